//! Which version was in force when, from a party's own export: the real `truceline serve`
//! puts a countersigned version in force, and `truceline log verify` on IL's export names
//! the starting version and the new one with its instant, after checking every entry.

mod support;

use std::process::Command;

use serde_json::json;
use support::{example_dir, Server};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn log_verify_names_the_versions_in_force_from_a_partys_export() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    support::write_keyring(&data);
    let server = Server::start(&data, &[]);
    let (ru, il, sy) = (
        server.login("RU").await,
        server.login("IL").await,
        server.login("SY").await,
    );
    let toml = std::fs::read_to_string(example_dir().join("agreement.toml"))
        .unwrap()
        .replacen("version = 1", "version = 2", 1);
    let zones = std::fs::read_to_string(example_dir().join("zones.geojson")).unwrap();
    let (s, d) = ru
        .post(
            "/v1/drafts",
            &json!({"title": "version 2", "agreement_toml": toml, "geometry": zones}),
        )
        .await
        .unwrap();
    assert_eq!(s, 201, "{d}");
    let id = d["id"].as_str().unwrap();
    let sha = d["sha256"].as_str().unwrap();
    let (s, _) = ru
        .post(
            &format!("/v1/drafts/{id}/share"),
            &json!({"with": ["IL", "SY"]}),
        )
        .await
        .unwrap();
    assert_eq!(s, 200);
    for party in [&il, &sy] {
        let (s, p) = party
            .act(&format!("/v1/drafts/{id}/sign"), &json!({}))
            .await
            .unwrap();
        assert_eq!(s, 201, "{p}");
    }
    let (s, p) = ru
        .post(
            &format!("/v1/drafts/{id}/countersign"),
            &json!({"in_force_at": "2026-01-01T00:00:00Z"}),
        )
        .await
        .unwrap();
    assert_eq!(s, 200, "{p}");
    let (_, agreement) = il.get("/v1/agreement").await.unwrap();
    let first = agreement["history"][0]["sha256"]
        .as_str()
        .unwrap()
        .to_owned();
    assert_eq!(agreement["history"][1]["sha256"], sha);

    let (s, export) = il.get_bytes("/v1/ledger/export").await.unwrap();
    assert_eq!(s, 200);
    let file = dir.path().join("il.jsonl");
    std::fs::write(&file, &export).unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_truceline"))
        .args(["log", "verify"])
        .arg(&file)
        .args(["--as", "IL", "--party-keys"])
        .arg(data.join("verifier-keyring"))
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{stdout}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let line = stdout
        .lines()
        .find(|l| l.starts_with("versions in force: "))
        .unwrap_or_else(|| panic!("{stdout}"));
    let expected = format!("versions in force: {first} from the start (entry 0); {sha} from 2026-01-01T00:00:00Z (entry ");
    assert!(line.starts_with(&expected), "{line}");
    server.kill();
}
