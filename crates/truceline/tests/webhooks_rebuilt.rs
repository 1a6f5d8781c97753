//! Webhooks are a projection of the ledger: a hook registered before the server's store is
//! lost is there again after it, with the same id, and delivers from where its
//! registration says (at least once: an item may come twice, none is skipped). Drives the
//! real `truceline serve` on loopback; a hook endpoint of its own receives.

mod support;

use std::collections::BTreeSet;
use std::convert::Infallible;
use std::time::Duration;

use http_body_util::BodyExt;
use serde_json::{json, Value};
use support::{report, Server};
use tokio::sync::mpsc;

const AOS_IN: (f64, f64) = (35.884334, 33.011197);
const FAR_EAST: (f64, f64) = (36.5, 33.5);
const DEADLINE: Duration = Duration::from_secs(30);

/// A hook endpoint on loopback: every POST's delivery id and body, answered 200.
async fn endpoint() -> (String, mpsc::UnboundedReceiver<(u64, Value)>) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/hook", listener.local_addr().unwrap());
    let (tx, rx) = mpsc::unbounded_channel();
    tokio::spawn(async move {
        loop {
            let Ok((socket, _)) = listener.accept().await else {
                return;
            };
            let tx = tx.clone();
            tokio::spawn(async move {
                let service = hyper::service::service_fn(move |req: hyper::Request<_>| {
                    let tx = tx.clone();
                    async move {
                        let id = req
                            .headers()
                            .get("truceline-delivery")
                            .and_then(|v| v.to_str().ok())
                            .and_then(|v| v.parse::<u64>().ok())
                            .unwrap_or(0);
                        let body: hyper::body::Incoming = req.into_body();
                        let bytes = body
                            .collect()
                            .await
                            .map(|b| b.to_bytes())
                            .unwrap_or_default();
                        let v = serde_json::from_slice(&bytes).unwrap_or(Value::Null);
                        let _ = tx.send((id, v));
                        Ok::<_, Infallible>(hyper::Response::new(http_body_util::Full::new(
                            bytes::Bytes::new(),
                        )))
                    }
                });
                let _ = hyper::server::conn::http1::Builder::new()
                    .serve_connection(hyper_util::rt::TokioIo::new(socket), service)
                    .await;
            });
        }
    });
    (url, rx)
}

/// Deliveries until an event of `event_kind` arrives; all of them.
async fn until_event(
    rx: &mut mpsc::UnboundedReceiver<(u64, Value)>,
    event_kind: &str,
) -> Vec<(u64, Value)> {
    let mut got = Vec::new();
    loop {
        let item = tokio::time::timeout(DEADLINE, rx.recv())
            .await
            .unwrap_or_else(|_| panic!("no {event_kind} delivered within {DEADLINE:?}: {got:?}"))
            .expect("the endpoint runs");
        let done = item.1["kind"] == "event" && item.1["data"]["kind"] == event_kind;
        got.push(item);
        if done {
            return got;
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_hook_outlives_its_store_and_delivers_at_least_once() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    support::write_keyring(&data);
    let (url, mut rx) = endpoint().await;

    let server = Server::start(&data, &[]);
    let sy = server.login("SY").await;
    let (s, hook) = sy.post("/v1/webhooks", &json!({"url": url})).await.unwrap();
    assert_eq!(s, 201, "{hook}");
    let id = hook["id"].as_str().unwrap().to_owned();
    let ru = server.login("RU").await;
    let (s, b) = ru
        .post_lines(&report(
            "2025-12-01T03:00:00Z",
            "SY-TB-3",
            "SY",
            14,
            AOS_IN.0,
            AOS_IN.1,
        ))
        .await
        .unwrap();
    assert_eq!(s, 200, "{b}");
    let before = until_event(&mut rx, "exclusion_breach").await;
    let il = server.login("IL").await;
    let (_, il_hooks) = il.get("/v1/webhooks").await.unwrap();
    assert_eq!(il_hooks["items"], json!([]), "IL sees no hook of SY's");
    let (_, il_export) = il.get_bytes("/v1/ledger/export").await.unwrap();
    assert!(
        !String::from_utf8_lossy(&il_export).contains(&url),
        "IL's export does not carry SY's endpoint"
    );
    server.kill();

    // The store is lost: its projections, the hooks' documents and their cursors.
    for name in ["server.db", "server.db-wal", "server.db-shm"] {
        let _ = std::fs::remove_file(data.join(name));
    }
    let server = Server::start(&data, &[]);
    let sy = server.login("SY").await;
    let (_, hooks) = sy.get("/v1/webhooks").await.unwrap();
    let items = hooks["items"].as_array().unwrap();
    assert_eq!(items.len(), 1, "{hooks}");
    assert_eq!(items[0]["id"], json!(id), "the same id, from the ledger");
    assert_eq!(items[0]["url"], json!(url));
    let ru = server.login("RU").await;
    // The engine starts afresh after a restart: the unit comes in and goes out again.
    let (s, b) = ru
        .post_lines(
            &(report(
                "2025-12-01T03:05:00Z",
                "SY-TB-3",
                "SY",
                14,
                AOS_IN.0,
                AOS_IN.1,
            ) + &report(
                "2025-12-01T03:10:00Z",
                "SY-TB-3",
                "SY",
                14,
                FAR_EAST.0,
                FAR_EAST.1,
            )),
        )
        .await
        .unwrap();
    assert_eq!(s, 200, "{b}");
    let after = until_event(&mut rx, "exclusion_cleared").await;

    // Every item SY may see since the hook was registered came at least once (the old
    // server's last deliveries and the new one's resumption may overlap).
    let mut delivered: BTreeSet<u64> = before.iter().chain(&after).map(|(i, _)| *i).collect();
    let (_, feed) = sy.get("/v1/feed?after=0&limit=1000").await.unwrap();
    let from = hook["from_feed"].as_u64().unwrap();
    let visible: BTreeSet<u64> = feed["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["id"].as_u64().unwrap())
        .filter(|&i| i > from)
        .collect();
    // Items after the clearing (its incident's update) may still be on their way.
    while !visible.is_subset(&delivered) {
        let missing: Vec<_> = visible.difference(&delivered).collect();
        let (i, _) = tokio::time::timeout(DEADLINE, rx.recv())
            .await
            .unwrap_or_else(|_| panic!("never delivered: {missing:?}"))
            .expect("the endpoint runs");
        delivered.insert(i);
    }

    // Removed, it stays removed after a rebuild.
    let (s, _) = sy
        .send(
            "DELETE",
            &format!("/v1/webhooks/{id}"),
            "application/json",
            Vec::new(),
        )
        .await
        .unwrap();
    assert_eq!(s, 204);
    server.kill();
    let server = Server::start(&data, &["--rebuild"]);
    let sy = server.login("SY").await;
    let (_, hooks) = sy.get("/v1/webhooks").await.unwrap();
    assert_eq!(hooks["items"], json!([]), "{hooks}");
    server.kill();
}
