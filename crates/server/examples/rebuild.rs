//! Benchmark: rebuilding the server's projections (notices, incidents, engine incidents)
//! from a large ledger, as `truceline serve --rebuild` does (issue 10: under 30 s for
//! 1,000,000 entries).
//!
//! ```text
//! cargo run --release -p truceline-server --example rebuild -- [--entries N] [--dir D] [--runs R]
//! ```
//!
//! It opens the real server state in-process with the bundled example agreement and, if
//! the data directory's ledger holds fewer than N entries, fills it the way a deployment
//! does: the example's tracks, replayed pass after pass two days apart, go through the
//! live pipeline (read, classified, applied by the engine thread, which records each
//! batch's `reports/batch` entry, its body attached, and its `engine/events` entries); every 100th
//! batch a party gives notice of a movement (its own signed entry, the mediator's check,
//! the relay, the other party's acknowledgement) and a party reports an incident (its
//! own signed entry). Keys are derived from fixed seeds, so a directory filled once is
//! reused by later runs. Then it times `Projector::rebuild` (drop every projection,
//! apply every entry again, store each batch) R times and prints each run and the median.

use std::sync::Arc;
use std::time::Instant;

use ed25519_dalek::SigningKey;
use serde_json::{json, Value};
use sha2::{Digest, Sha256};
use truceline_engine::agreement::Role;
use truceline_ledger::envelope::Draft;
use truceline_ledger::keys::SignerKey;
use truceline_server::access::Principal;
use truceline_server::acts::Act;
use truceline_server::clock::{rfc3339_ms, ManualClock};
use truceline_server::{AppState, Config};

const EXAMPLE_DIR: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../../examples/golan-illustrative"
);
const TWO_DAYS_MS: i64 = 2 * 86_400_000;
/// Waiting for the ledger once per this many queued batches keeps the fill pipelined.
const WAIT_EVERY: usize = 4096;

struct Options {
    entries: u64,
    dir: std::path::PathBuf,
    runs: usize,
    batch: usize,
}

fn options() -> Options {
    let mut o = Options {
        entries: 1_000_000,
        dir: std::path::PathBuf::from(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../../target/rebuild-bench"
        )),
        runs: 3,
        batch: 10,
    };
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        let mut value = || args.next().unwrap_or_else(|| panic!("{a} needs a value"));
        match a.as_str() {
            "--entries" => o.entries = value().parse().expect("--entries N"),
            "--dir" => o.dir = value().into(),
            "--runs" => o.runs = value().parse().expect("--runs R"),
            "--batch" => o.batch = value().parse().expect("--batch REPORTS"),
            other => panic!("unknown option {other}; see the file's header"),
        }
    }
    o
}

fn key_for(id: &str) -> SigningKey {
    SigningKey::from_bytes(&Sha256::digest(format!("rebuild-bench/{id}")).into())
}

fn main() {
    let o = options();
    std::fs::create_dir_all(&o.dir).expect("the data directory");
    let text = std::fs::read_to_string(format!("{EXAMPLE_DIR}/agreement.toml")).unwrap();
    let zones = std::fs::read_to_string(format!("{EXAMPLE_DIR}/zones.geojson")).unwrap();
    let tracks = std::fs::read_to_string(format!("{EXAMPLE_DIR}/tracks.jsonl")).unwrap();
    let (agreement, policy) =
        truceline_server::policy::load_all(&text, "agreement.toml", &zones, "zones.geojson")
            .expect("the example agreement loads");
    let agreement = Arc::new(agreement);
    let keys: Vec<VerifierKeyOf> = agreement
        .parties
        .iter()
        .map(|p| (p.id.clone(), p.role, key_for(&p.id)))
        .collect();
    let first_t_ms = truceline_server::clock::parse_ms("2025-12-01T00:00:00Z").unwrap();
    let clock = Arc::new(ManualClock::new(first_t_ms));
    let opening = Instant::now();
    let state = AppState::open(Config {
        agreement: Arc::clone(&agreement),
        policy,
        data_dir: o.dir.clone(),
        keys: keys
            .iter()
            .map(|(id, _, k)| {
                SignerKey::from_signing_key(id, k.clone())
                    .unwrap()
                    .verifier()
            })
            .collect(),
        log_key: SignerKey::from_signing_key(
            &format!("truceline/{}", agreement.id),
            key_for("log"),
        )
        .unwrap(),
        clock: clock.clone(),
        max_subscribers: 16,
        rebuild: false,
        agreement_files: None,
    })
    .expect("the server state opens");
    // Opening replays every report batch the ledger holds into the engine.
    eprintln!(
        "opened {} entries (the engine restored from them) in {:.1} s",
        state.ledger.size(),
        opening.elapsed().as_secs_f64()
    );

    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let have = state.ledger.size();
    if have < o.entries {
        eprintln!(
            "filling {} to {} entries (it holds {have})",
            o.dir.display(),
            o.entries
        );
        let started = Instant::now();
        rt.block_on(fill(&state, &clock, &keys, &tracks, &o));
        eprintln!(
            "filled: {} entries in {:.1} s",
            state.ledger.size(),
            started.elapsed().as_secs_f64()
        );
    }
    let entries = state.ledger.size();
    let projector = state.mech.projector();
    let mut times = Vec::new();
    for run in 1..=o.runs {
        let started = Instant::now();
        projector.rebuild().expect("the rebuild");
        let s = started.elapsed().as_secs_f64();
        let (notices, incidents) = projector.read(|b| (b.notices.len(), b.incidents.by_id.len()));
        println!(
            "run {run}: rebuilt {entries} entries ({notices} notices, {incidents} incidents) in {s:.2} s ({:.0} entries/s)",
            entries as f64 / s
        );
        times.push(s);
    }
    times.sort_by(f64::total_cmp);
    if let Some(median) = times.get(times.len() / 2) {
        println!(
            "median of {}: {median:.2} s for {entries} entries",
            times.len()
        );
    }
}

type VerifierKeyOf = (String, Role, SigningKey);

/// Fills the ledger through the live pipeline and the mechanism's own acts.
async fn fill(
    state: &Arc<AppState>,
    clock: &Arc<ManualClock>,
    keys: &[VerifierKeyOf],
    tracks: &str,
    o: &Options,
) {
    let mediator = keys
        .iter()
        .find(|(_, role, _)| *role == Role::Mediator)
        .map(|(id, _, _)| Principal {
            id: id.clone(),
            role: Role::Mediator,
        })
        .expect("a mediator");
    let lines: Vec<Value> = tracks
        .lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| serde_json::from_str(l).expect("a track line"))
        .collect();
    let t_of = |v: &Value| truceline_server::clock::parse_ms(v["t"].as_str().unwrap()).unwrap();
    // A directory filled in part by an earlier run goes on after its last report: the
    // engine was restored from the ledger, and times only go forward.
    let last_ms = state
        .live
        .snapshot()
        .await
        .expect("a snapshot")
        .last_report_t
        .map(|t| truceline_server::clock::parse_ms(&t).expect("a time"));
    let first_ms = lines.first().map(t_of).unwrap_or(0);
    let mut pass = last_ms.map_or(0, |l| (l - first_ms).div_euclid(TWO_DAYS_MS) + 1);
    let mut pending = Vec::new();
    let mut batches = 0u64;
    while state.ledger.size() < o.entries {
        let shift = pass * TWO_DAYS_MS;
        for chunk in lines.chunks(o.batch) {
            let mut body = String::new();
            for v in chunk {
                let mut v = v.clone();
                v["t"] = rfc3339_ms(t_of(&v) + shift).into();
                body.push_str(&v.to_string());
                body.push('\n');
            }
            let now = t_of(&chunk[chunk.len() - 1]) + shift;
            clock.set_ms(now);
            let prepared =
                truceline_server::live::prepare(&state.live.schedule(), body.into(), &mediator)
                    .expect("the batch reads");
            let applied = state
                .live
                .apply(prepared)
                .await
                .expect("the engine applies the batch");
            pending.push(applied.recording);
            batches += 1;
            if batches.is_multiple_of(100) {
                for p in pending.drain(..) {
                    p.wait().expect("durable");
                }
                acts(state, keys, &mediator, now).await;
            }
            if pending.len() >= WAIT_EVERY {
                for p in pending.drain(..) {
                    p.wait().expect("durable");
                }
            }
            if state.ledger.size() + pending.len() as u64 >= o.entries {
                break;
            }
        }
        for p in pending.drain(..) {
            p.wait().expect("durable");
        }
        pass += 1;
        eprintln!("  pass {pass}: {} entries", state.ledger.size());
    }
    for p in pending.drain(..) {
        p.wait().expect("durable");
    }
}

fn principal(keys: &[VerifierKeyOf], id: &str) -> (Principal, SigningKey) {
    let (id, role, key) = keys.iter().find(|(k, _, _)| k == id).expect("a party");
    (
        Principal {
            id: id.clone(),
            role: *role,
        },
        key.clone(),
    )
}

/// One act of its author, prepared, signed with its key and carried out.
async fn signed_act(state: &Arc<AppState>, who: &(Principal, SigningKey), act: Act) -> Value {
    let snapshot = state.live.snapshot().await.expect("a snapshot");
    let prepared = state
        .mech
        .prepare(&who.0, act, &snapshot)
        .expect("the act is valid");
    let draft = Draft::from_value(&prepared["envelope"]).expect("an envelope");
    let signer = SignerKey::from_signing_key(&who.0.id, who.1.clone()).unwrap();
    let entry = draft.sign(&signer).expect("signed");
    state
        .mech
        .act(&who.0, entry, &snapshot)
        .expect("the act is carried out")
        .0
}

/// A notice given, checked, relayed and acknowledged; an incident reported.
async fn acts(state: &Arc<AppState>, keys: &[VerifierKeyOf], mediator: &Principal, now_ms: i64) {
    let sy = principal(keys, "SY");
    let il = principal(keys, "IL");
    let from = now_ms + 3 * 86_400_000;
    let notice: truceline_server::notices::NoticeDraft = serde_json::from_value(json!({
        "kind": "movement",
        "place": {"area": {"ring": [[36.40, 33.40], [36.45, 33.40], [36.45, 33.45], [36.40, 33.45], [36.40, 33.40]]}},
        "from": rfc3339_ms(from), "until": rfc3339_ms(from + 7_200_000),
        "forces": [{"category": "tank", "count": 12}],
        "description": "convoy to the eastern depot"
    }))
    .unwrap();
    let made = signed_act(state, &sy, Act::Notice(notice)).await;
    let id = made["id"].as_str().expect("a notice id").to_owned();
    state
        .mech
        .relay_notice(mediator, &id)
        .expect("the mediator relays");
    let answer = serde_json::from_value(json!({"notice": id, "answer": "acknowledge"})).unwrap();
    signed_act(state, &il, Act::Answer(answer)).await;
    let incident = serde_json::from_value(json!({
        "category": "other", "occurred_at": rfc3339_ms(now_ms - 3_600_000),
        "description": "movement seen near the line", "alleged_party": "SY"
    }))
    .unwrap();
    signed_act(state, &il, Act::Incident(incident)).await;
}
