//! `truceline serve` and the live `truceline demo`: wiring of the mechanism server.

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;

use anyhow::Context;
use truceline_engine::agreement::Role;
use truceline_ledger::envelope::Draft;
use truceline_ledger::keys::{Keyring, SignerKey};
use truceline_server::access::Principal;
use truceline_server::acts::{Act, AnswerAct};
use truceline_server::clock::{Clock, ScaledClock, SystemClock};
use truceline_server::{AppState, Config};

use crate::exit::bad_input;

/// The example's reports (the same file the offline demo replays).
const EXAMPLE_TRACKS: &[u8] = include_bytes!("../../../examples/golan-illustrative/tracks.jsonl");

#[derive(clap::Args)]
pub struct Args {
    /// The agreement's directory (holding agreement.toml) or its agreement.toml.
    #[arg(long)]
    agreement: PathBuf,
    /// Where the server keeps server.db, ledger.db, evidence/ and the log key.
    #[arg(long)]
    data: PathBuf,
    /// Address to listen on.
    #[arg(long, default_value = "127.0.0.1:7878")]
    listen: String,
    /// Public keys of the principals, one vkey line each (`truceline keys`), named by party
    /// id. Default: DATA/keyring.
    #[arg(long)]
    keyring: Option<PathBuf>,
    /// Extra CA certificates (PEM) trusted for webhook endpoints over https, besides the
    /// Mozilla roots: for monitors whose endpoints have certificates of a private CA.
    #[arg(long, value_name = "FILE")]
    webhook_ca: Option<PathBuf>,
    /// Drop the projections (notices, incidents) and rebuild them from the ledger alone
    /// before serving. The feed's items already published are kept, not said again.
    #[arg(long)]
    rebuild: bool,
    /// The mission's own basemap for the console: a PMTiles (v3) or MBTiles file, vector
    /// or raster, served to signed-in principals (without it, the bundled outlines).
    #[arg(long, value_name = "FILE")]
    basemap: Option<PathBuf>,
}

#[derive(clap::Args)]
pub struct DemoArgs {
    /// Print the offline replay's findings instead of starting the server.
    #[arg(long)]
    offline: bool,
    /// With --offline: how many events of the timeline to print.
    #[arg(long, default_value_t = 25)]
    timeline: usize,
    /// Address to listen on.
    #[arg(long, default_value = "127.0.0.1:7878")]
    listen: String,
    /// Data directory (default: a new temporary one).
    #[arg(long)]
    data: Option<PathBuf>,
    /// Simulated seconds per real second. The default, 30, gives a notice's 120-minute
    /// answer window four real minutes: time for a person to do the flow in the console.
    #[arg(long, default_value_t = 30.0)]
    speed: f64,
}

fn load_agreement(
    path: &Path,
) -> anyhow::Result<(
    Arc<truceline_engine::Agreement>,
    truceline_server::policy::ServerPolicy,
    truceline_server::talks::Bundle,
)> {
    let file = if path.is_dir() {
        path.join("agreement.toml")
    } else {
        path.to_path_buf()
    };
    let text = crate::load::read_limited(&file, 16 * 1024 * 1024)?;
    let name = file.display().to_string();
    let geometry = truceline_server::policy::geometry_path(&text, &name)
        .map_err(|e| bad_input(e.to_string()))?;
    let geometry_path = file.parent().unwrap_or(Path::new(".")).join(geometry);
    let geometry_text = crate::load::read_limited(&geometry_path, 512 * 1024 * 1024)?;
    let (agreement, policy) = truceline_server::policy::load_all(
        &text,
        &name,
        &geometry_text,
        &geometry_path.display().to_string(),
    )
    .map_err(|e| bad_input(e.to_string()))?;
    let files = truceline_server::talks::Bundle {
        agreement_toml: text,
        geometry: geometry_text,
    };
    Ok((Arc::new(agreement), policy, files))
}

fn log_key(data: &Path, agreement_id: &str) -> anyhow::Result<SignerKey> {
    let path = data.join("log.key");
    if path.exists() {
        let text = std::fs::read_to_string(&path)
            .with_context(|| format!("reading {}", path.display()))?;
        return SignerKey::parse(&text).map_err(|e| bad_input(format!("{}: {e}", path.display())));
    }
    let key = SignerKey::generate(&format!("truceline/{agreement_id}"))?;
    write_secret(&path, key.to_secret_text().as_bytes())?;
    Ok(key)
}

fn write_secret(path: &Path, bytes: &[u8]) -> anyhow::Result<()> {
    use std::io::Write;
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    let mut f = options
        .open(path)
        .with_context(|| format!("creating {}", path.display()))?;
    f.write_all(bytes)?;
    f.sync_all()?;
    Ok(())
}

fn runtime() -> anyhow::Result<tokio::runtime::Runtime> {
    Ok(tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?)
}

async fn shutdown() {
    let _ = tokio::signal::ctrl_c().await;
}

pub fn run(args: Args) -> anyhow::Result<ExitCode> {
    let (agreement, policy, files) = load_agreement(&args.agreement)?;
    std::fs::create_dir_all(&args.data)
        .with_context(|| format!("creating {}", args.data.display()))?;
    let keyring_path = args
        .keyring
        .clone()
        .unwrap_or_else(|| args.data.join("keyring"));
    let text = std::fs::read_to_string(&keyring_path).map_err(|e| {
        bad_input(format!(
            "{}: {e} (one public key a line, named by party id)",
            keyring_path.display()
        ))
    })?;
    let keyring =
        Keyring::parse(&text).map_err(|e| bad_input(format!("{}: {e}", keyring_path.display())))?;
    let log_key = log_key(&args.data, &agreement.id)?;
    // Checked before anything opens, so that a wrong file changes nothing.
    let basemap = args
        .basemap
        .as_deref()
        .map(truceline_server::basemap::Basemap::open)
        .transpose()
        .map_err(|e| bad_input(e.to_string()))?;
    let webhook_ca = match &args.webhook_ca {
        Some(path) => {
            let pem = crate::load::read_limited(path, 1024 * 1024)?;
            truceline_server::webhooks::read_ca_pem(pem.as_bytes())
                .map_err(|e| bad_input(format!("{}: {e}", path.display())))?
        }
        None => Vec::new(),
    };
    let state = AppState::open_with_webhook_ca(
        Config {
            agreement,
            policy,
            data_dir: args.data.clone(),
            keys: keyring.iter().cloned().collect(),
            log_key,
            clock: Arc::new(SystemClock),
            max_subscribers: truceline_server::state::DEFAULT_MAX_SUBSCRIBERS,
            rebuild: args.rebuild,
            agreement_files: Some(files),
        },
        &webhook_ca,
    )?;
    if let Some(map) = basemap {
        let _ = state.console.basemap.set(Arc::new(map));
    }
    let rt = runtime()?;
    rt.block_on(async {
        let listener = tokio::net::TcpListener::bind(&args.listen)
            .await
            .with_context(|| format!("listening on {}", args.listen))?;
        eprintln!(
            "truceline: serving {} on http://{} (API: /openapi.json)",
            state.agreement.id,
            listener.local_addr()?
        );
        truceline_server::serve(listener, state, shutdown()).await?;
        anyhow::Ok(())
    })?;
    Ok(ExitCode::SUCCESS)
}

pub fn demo(args: DemoArgs) -> anyhow::Result<ExitCode> {
    if args.offline {
        return crate::replay::demo(crate::replay::DemoArgs {
            timeline: args.timeline,
        });
    }
    if !(args.speed.is_finite() && args.speed > 0.0 && args.speed <= 1e6) {
        return Err(bad_input("--speed: above 0 and at most 1000000"));
    }
    let agreement = crate::replay::example_agreement()?;
    let (data, _temp) = match &args.data {
        Some(d) => (d.clone(), None),
        None => {
            let d = std::env::temp_dir().join(format!("truceline-demo-{}", std::process::id()));
            (d.clone(), Some(d))
        }
    };
    std::fs::create_dir_all(data.join("keys"))?;
    // Keys for every principal: the private halves go to DATA/keys for the people using the
    // demo; the server keeps only the public ones.
    let mut keys = Vec::new();
    let mut signers = Vec::new();
    for p in &agreement.parties {
        let path = data.join("keys").join(format!("{}.key", p.id));
        let key = if path.exists() {
            SignerKey::parse(&std::fs::read_to_string(&path)?)
                .map_err(|e| bad_input(e.to_string()))?
        } else {
            let k = SignerKey::generate(&p.id)?;
            write_secret(&path, k.to_secret_text().as_bytes())?;
            k
        };
        keys.push(key.verifier());
        signers.push((p.id.clone(), p.role, key, path));
    }
    let ring: String = keys.iter().map(|k| format!("{k}\n")).collect();
    std::fs::write(data.join("keyring"), ring)?;
    let first_t = std::str::from_utf8(EXAMPLE_TRACKS)?
        .lines()
        .next()
        .and_then(|l| {
            truceline_engine::parse_report(l.as_bytes())
                .ok()
                .map(|r| r.t.0 / 1_000_000)
        })
        .unwrap_or(0);
    // Simulated time starts a little before the first report, so that notices can be given
    // with their lead time.
    let clock = Arc::new(ScaledClock::new(first_t - 3 * 3_600_000, args.speed));
    let state = AppState::open(Config {
        agreement: Arc::clone(&agreement),
        policy: Default::default(),
        data_dir: data.clone(),
        keys,
        log_key: log_key(&data, &agreement.id)?,
        clock: clock.clone(),
        max_subscribers: truceline_server::state::DEFAULT_MAX_SUBSCRIBERS,
        rebuild: false,
        agreement_files: Some(crate::replay::example_files()),
    })?;
    let rt = runtime()?;
    rt.block_on(async move {
        let listener = tokio::net::TcpListener::bind(&args.listen).await.with_context(|| format!("listening on {}", args.listen))?;
        let base = format!("http://{}", listener.local_addr()?);
        println!("truceline demo: the example agreement {} served on {base}", agreement.id);
        println!("API: {base}/openapi.json   data: {}", data.display());
        println!("Time runs {}x faster than real time, from 3 hours before the first report.\n", args.speed);
        println!("Sign in with a key: POST {base}/v1/auth/challenge {{\"id\":ID}}, sign the returned message");
        println!("with the key (Ed25519), POST {base}/v1/auth/token {{\"id\",\"nonce\",\"signature\"}} -> bearer token.");
        println!("For convenience, tokens the demo signed for each principal (valid 15 minutes):\n");
        for (id, role, key, path) in &signers {
            let (nonce, _) = state.auth.challenge(id)?;
            let sig = truceline_server::auth::sign_challenge(key.signing_key(), state.auth.origin(), id, &nonce);
            let (token, _, _) = state.auth.token(id, &nonce, &sig)?;
            println!("  {id:<6} {:<8} key {}\n         curl -N -H 'Authorization: Bearer {token}' {base}/v1/stream", role.as_str(), path.display());
        }
        println!();
        let serving = tokio::spawn(truceline_server::serve(listener, Arc::clone(&state), shutdown()));
        replay(&state, &*clock, &signers).await?;
        println!("Replay done; the server keeps running. Ctrl-C to stop.");
        serving.await??;
        anyhow::Ok(())
    })?;
    Ok(ExitCode::SUCCESS)
}

/// Notices from both sides, then the example's reports as the monitor would send them,
/// each when simulated time reaches it.
async fn replay(
    state: &Arc<AppState>,
    clock: &dyn Clock,
    signers: &[(String, Role, SignerKey, PathBuf)],
) -> anyhow::Result<()> {
    let who = |id: &str| -> anyhow::Result<Principal> {
        let role = state
            .agreement
            .parties
            .iter()
            .find(|p| p.id == id)
            .map(|p| p.role)
            .context("party")?;
        Ok(Principal {
            id: id.into(),
            role,
        })
    };
    let mediator = state
        .agreement
        .parties
        .iter()
        .find(|p| p.role == Role::Mediator)
        .context("mediator")?
        .id
        .clone();
    let (sy, il, med) = (who("SY")?, who("IL")?, who(&mediator)?);
    let now = clock.now_ms();
    let at = |h: i64| truceline_server::clock::rfc3339_ms(now + h * 3_600_000);
    let notice = |kind: &str,
                  ring: serde_json::Value,
                  from: String,
                  until: String,
                  forces: serde_json::Value| {
        serde_json::from_value::<truceline_server::notices::NoticeDraft>(serde_json::json!({
            "kind": kind, "place": {"area": {"ring": ring}}, "from": from, "until": until, "forces": forces,
        }))
    };
    let snapshot = state.live.snapshot().await?;
    // Each party signs its own acts with its own key, as its client would: the server
    // prepares the envelope, the party signs it, the server records the party's entry.
    let signed = |who: &Principal, act: Act| -> anyhow::Result<serde_json::Value> {
        let key = signers
            .iter()
            .find(|s| s.0 == who.id)
            .map(|s| &s.2)
            .context("key")?;
        let prepared = state.mech.prepare(who, act, &snapshot)?;
        let entry = Draft::from_value(&prepared["envelope"])?.sign(key)?;
        Ok(state.mech.act(who, entry, &snapshot)?.0)
    };
    let n1 = notice(
        "movement",
        serde_json::json!([
            [36.2, 33.3],
            [36.3, 33.3],
            [36.3, 33.4],
            [36.2, 33.4],
            [36.2, 33.3]
        ]),
        at(2),
        at(6),
        serde_json::json!([{"category": "tank", "count": 20}]),
    )?;
    let n1 = signed(&sy, Act::Notice(n1))?;
    let n1_id = n1["id"].as_str().context("notice id")?.to_owned();
    state.mech.relay_notice(&med, &n1_id)?;
    signed(
        &il,
        Act::Answer(AnswerAct {
            notice: n1_id.clone(),
            answer: "acknowledge".into(),
            reason: String::new(),
        }),
    )?;
    let n2 = notice(
        "exercise",
        serde_json::json!([
            [35.5, 33.0],
            [35.6, 33.0],
            [35.6, 33.1],
            [35.5, 33.1],
            [35.5, 33.0]
        ]),
        at(3),
        at(8),
        serde_json::json!([{"category": "personnel", "count": 300}]),
    )?;
    let n2 = signed(&il, Act::Notice(n2))?;
    let n2_id = n2["id"].as_str().context("notice id")?.to_owned();
    state.mech.relay_notice(&med, &n2_id)?;
    println!("Notices: {n1_id} (SY, acknowledged by IL); {n2_id} (IL, relayed to SY, left unanswered: it goes overdue)");
    let monitor = state
        .agreement
        .parties
        .iter()
        .find(|p| p.role == Role::Monitor)
        .map_or(med.clone(), |p| Principal {
            id: p.id.clone(),
            role: p.role,
        });
    let mut patrols = crate::demo_force::task_patrols(state, &med)?;
    println!("Patrols tasked on lines A and B: {}", patrols.join(", "));
    let tracks =
        &crate::demo_force::tracks_with_patrols(EXAMPLE_TRACKS, &state.agreement, &monitor.id)[..];
    let mut start = 0;
    let mut sent = 0usize;
    while start < tracks.len() {
        let now_ns = clock.now_ms() * 1_000_000;
        let mut end = start;
        while end < tracks.len() {
            let line_end =
                memchr::memchr(b'\n', &tracks[end..]).map_or(tracks.len(), |i| end + i + 1);
            let t = truceline_engine::parse_report(tracks[end..line_end].trim_ascii())
                .map(|r| r.t.0)
                .unwrap_or(0);
            if t > now_ns {
                break;
            }
            end = line_end;
        }
        if end > start {
            let out = truceline_server::api::ingest(
                state,
                &monitor,
                bytes::Bytes::copy_from_slice(&tracks[start..end]),
            )
            .await?;
            sent += out["accepted"].as_u64().unwrap_or(0) as usize;
            for e in out["events"].as_array().into_iter().flatten() {
                println!("  event {}: {}", e["id"], e["event"]);
            }
            start = end;
        }
        crate::demo_force::report_ended(state, &monitor, &mut patrols, &signed)?;
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    println!("Replayed {sent} reports.");
    Ok(())
}
