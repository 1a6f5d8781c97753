//! Shared fixtures: deterministic keys, a keyring, ledgers in temp dirs, entry makers.
#![allow(dead_code)]

use ed25519_dalek::SigningKey;
use serde_json::json;
use truceline_ledger::envelope::{Draft, Entry};
use truceline_ledger::export::Trust;
use truceline_ledger::keys::{Keyring, SignerKey};
use truceline_ledger::ledger::{Ledger, LedgerConfig, OpenReport};
use truceline_ledger::store::SqliteStore;

pub const ORIGIN: &str = "truceline/agr-test";
pub const PARTIES: [&str; 3] = ["israel", "syria", "undof"];
pub const MEDIATOR: &str = "mediator";

pub fn key(name: &str) -> SignerKey {
    // Seeds derived from the name, so every process (crash test child) agrees.
    let mut seed = [0u8; 32];
    for (i, b) in name.bytes().enumerate() {
        seed[i % 32] ^= b.wrapping_add(i as u8);
    }
    SignerKey::from_signing_key(name, SigningKey::from_bytes(&seed)).unwrap()
}

pub fn log_key() -> SignerKey {
    key(ORIGIN)
}

pub fn keyring() -> Keyring {
    let mut ring = Keyring::new();
    for p in PARTIES {
        ring.insert(key(p).verifier()).unwrap();
    }
    ring.insert(log_key().verifier().renamed(MEDIATOR).unwrap())
        .unwrap();
    ring
}

pub fn trust() -> Trust {
    Trust {
        log_key: log_key().verifier(),
        keyring: keyring(),
    }
}

pub fn config() -> LedgerConfig {
    LedgerConfig {
        log_key: log_key(),
        keyring: keyring(),
        mediator: MEDIATOR.into(),
    }
}

pub fn open(dir: &std::path::Path) -> (Ledger, OpenReport) {
    let store = SqliteStore::open(dir.join("ledger.sqlite3")).unwrap();
    Ledger::open(store, config()).unwrap()
}

pub fn entry(author: &str, seq: u64, audience: &[&str], body: serde_json::Value) -> Entry {
    Draft {
        seq,
        time_ms: 1_700_000_000_000 + seq,
        author: author.into(),
        kind: "notice".into(),
        audience: audience.iter().map(|s| s.to_string()).collect(),
        body,
    }
    .normalise()
    .unwrap()
    .sign(&key(author))
    .unwrap()
}

/// A ledger with a mix of entries: some for everyone, some private to two parties.
pub fn populated(dir: &std::path::Path) -> Ledger {
    let (ledger, _) = open(dir);
    for i in 1..=6u64 {
        ledger
            .append(entry(
                "israel",
                i,
                &["syria", "undof"],
                json!({"n": i, "text": "open"}),
            ))
            .unwrap();
        let secret = entry(
            "syria",
            i,
            &["undof"],
            json!({"n": i, "text": format!("SECRET-{i}")}),
        );
        ledger.append(secret).unwrap();
    }
    ledger
        .append_own(
            "engine-event",
            vec!["israel".into(), "syria".into()],
            json!({"rule": "r1", "state": "broken"}),
            1_700_000_100_000,
        )
        .unwrap();
    ledger
}

pub fn export(ledger: &Ledger, party: &str) -> String {
    let mut out = Vec::new();
    ledger.export(party, &mut out).unwrap();
    String::from_utf8(out).unwrap()
}

pub fn verify(
    text: &str,
) -> Result<truceline_ledger::export::Report, truceline_ledger::export::VerifyError> {
    truceline_ledger::export::verify_export(&mut text.as_bytes(), &trust(), &Default::default())
}
