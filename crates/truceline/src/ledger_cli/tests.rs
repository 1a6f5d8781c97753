//! The commands end to end, in a scratch directory: keys, init, append, export, verify
//! (good and tampered), witness (growth, then a fork refused), cosign.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use super::log_cmd::{
    AppendArgs, CosignArgs, DataArgs, ExportArgs, InitArgs, ProofArgs, VerifyArgs,
};
use super::*;

struct Scratch(PathBuf);

impl Scratch {
    fn new(name: &str) -> Self {
        let dir = std::env::temp_dir().join(format!(
            "truceline-ledger-cli-{name}-{}",
            std::process::id()
        ));
        let _ = fs::remove_dir_all(&dir);
        fs::create_dir_all(&dir).unwrap();
        Self(dir)
    }
    fn p(&self, rel: &str) -> PathBuf {
        self.0.join(rel)
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = fs::remove_dir_all(&self.0);
    }
}

fn ok(r: anyhow::Result<ExitCode>) {
    assert_eq!(r.unwrap(), ExitCode::SUCCESS);
}

fn append(s: &Scratch, who: &str, audience: &[&str], body: &str) {
    let file = s.p("body.json");
    fs::write(&file, body).unwrap();
    ok(log(LogCommand::Append(AppendArgs {
        data: s.p("data"),
        key: s.p(&format!("keys/{who}.key")),
        kind: "notice".into(),
        audience: audience.iter().map(|a| a.to_string()).collect(),
        body: file,
        time_ms: Some(1_700_000_000_000),
    })));
}

fn verify_args(s: &Scratch, export: &Path) -> VerifyArgs {
    VerifyArgs {
        export: export.to_path_buf(),
        log_key: Some(s.p("data/log.pub").to_string_lossy().into_owned()),
        party_keys: Some(s.p("data/keyring")),
        checkpoint: vec![],
        receipt: vec![],
        party: Some("israel".into()),
    }
}

fn witness_args(s: &Scratch, checkpoint: Option<PathBuf>, proof: Option<PathBuf>) -> WitnessArgs {
    WitnessArgs {
        key: s.p("keys/syria.key"),
        log_key: s.p("data/log.pub").to_string_lossy().into_owned(),
        state: s.p("witness"),
        data: if checkpoint.is_none() {
            Some(s.p("data"))
        } else {
            None
        },
        checkpoint,
        proof,
        out: Some(s.p("cosigned.txt")),
    }
}

#[test]
fn keys_log_and_witness_end_to_end() {
    let s = Scratch::new("e2e");
    for party in ["israel", "syria"] {
        ok(keys(KeysCommand::New {
            party: party.into(),
            out: s.p("keys"),
        }));
    }
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = fs::metadata(s.p("keys/israel.key"))
            .unwrap()
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o600, "private key must be owner-only");
    }
    // A second `keys new` for the same party refuses to overwrite.
    assert!(keys(KeysCommand::New {
        party: "israel".into(),
        out: s.p("keys")
    })
    .is_err());
    ok(log(LogCommand::Init(InitArgs {
        data: s.p("data"),
        agreement: "golan-1".into(),
        party_keys: s.p("keys"),
        mediator: "mediator".into(),
        log_key: None,
    })));
    append(
        &s,
        "israel",
        &["syria"],
        r#"{"area": "A", "window": [1, 2]}"#,
    );
    append(&s, "syria", &[], r#"{"private": "SYRIA-ONLY"}"#);
    // Bad input is refused with status 2 (BadInput) and stores nothing.
    let file = s.p("bad.json");
    fs::write(&file, "{not json").unwrap();
    let bad = log(LogCommand::Append(AppendArgs {
        data: s.p("data"),
        key: s.p("keys/israel.key"),
        kind: "notice".into(),
        audience: vec![],
        body: file,
        time_ms: None,
    }));
    assert!(bad
        .unwrap_err()
        .chain()
        .any(|c| c.downcast_ref::<crate::exit::BadInput>().is_some()));

    let export = s.p("israel.jsonl");
    ok(log(LogCommand::Export(ExportArgs {
        data: s.p("data"),
        party: "israel".into(),
        out: Some(export.clone()),
    })));
    let text = fs::read_to_string(&export).unwrap();
    assert!(
        !text.contains("SYRIA-ONLY"),
        "israel's export must not carry syria's private body"
    );
    ok(log(LogCommand::Verify(verify_args(&s, &export))));

    // Tampered: one body byte changed. Verification fails with status 1.
    let tampered = s.p("tampered.jsonl");
    fs::write(
        &tampered,
        text.replacen("\"area\":\"A\"", "\"area\":\"B\"", 1),
    )
    .unwrap();
    assert_eq!(
        log(LogCommand::Verify(verify_args(&s, &tampered))).unwrap(),
        ExitCode::from(1)
    );

    // Witness: first checkpoint on trust, then growth with a proof from `log proof`.
    ok(witness(witness_args(&s, None, None)));
    ok(log(LogCommand::Cosign(CosignArgs {
        data: s.p("data"),
        note: s.p("cosigned.txt"),
    })));
    append(&s, "israel", &[], r#"{"n": 3}"#);
    ok(log(LogCommand::Checkpoint(DataArgs { data: s.p("data") })));
    ok(log(LogCommand::Proof(ProofArgs {
        data: s.p("data"),
        old: 2,
        new: None,
    })));
    ok(witness(witness_args(&s, None, None)));

    // A forked checkpoint of the same size, signed by the log key: refused (status 1).
    let log_key = super::files::read_signer(&s.p("data/log.key")).unwrap();
    let forked = truceline_ledger::Checkpoint {
        origin: log_key.name().into(),
        size: 3,
        root: [7; 32],
    }
    .sign(&log_key);
    fs::write(s.p("fork.txt"), forked.to_string()).unwrap();
    fs::write(s.p("proof.txt"), "old 3\n").unwrap();
    assert_eq!(
        witness(witness_args(
            &s,
            Some(s.p("fork.txt")),
            Some(s.p("proof.txt"))
        ))
        .unwrap(),
        ExitCode::from(1)
    );
}

#[test]
fn log_sign_signs_a_prepared_envelope_with_the_authors_key_only() {
    use super::log_cmd::SignArgs;
    let s = Scratch::new("sign");
    for party in ["israel", "syria"] {
        ok(keys(KeysCommand::New {
            party: party.into(),
            out: s.p("keys"),
        }));
    }
    // What a server's POST /v1/acts/prepare answers (or its 428 problem carries).
    let prepared = r#"{"envelope": {"audience": ["israel", "syria"], "author": "israel",
        "body": {"notice": "N-000001", "answer": "acknowledge", "reason": ""},
        "kind": "notice/answered", "seq": 3, "time": 1764547200000},
        "signing_input": "ignored: the signer rebuilds the bytes from the fields"}"#;
    fs::write(s.p("prepared.json"), prepared).unwrap();
    ok(log(LogCommand::Sign(SignArgs {
        key: s.p("keys/israel.key"),
        envelope: s.p("prepared.json"),
        out: Some(s.p("signed.json")),
    })));
    let bytes = fs::read(s.p("signed.json")).unwrap();
    let entry = truceline_ledger::envelope::Entry::parse(bytes.trim_ascii_end()).unwrap();
    assert_eq!((entry.author(), entry.seq()), ("israel", 3));
    let israel = super::files::read_signer(&s.p("keys/israel.key")).unwrap();
    entry.verify(&israel.verifier()).unwrap();
    // Syria's key does not sign israel's envelope.
    let refused = log(LogCommand::Sign(SignArgs {
        key: s.p("keys/syria.key"),
        envelope: s.p("prepared.json"),
        out: Some(s.p("forged.json")),
    }));
    assert!(refused
        .unwrap_err()
        .chain()
        .any(|c| c.downcast_ref::<crate::exit::BadInput>().is_some()));
    assert!(!s.p("forged.json").exists());
}
