//! Every error is RFC 9457 problem JSON, whoever produced it: a query string that does not
//! parse, a URI or a body over its limit, a method a route does not take.

mod common;

use common::*;
use serde_json::Value;

fn problem(status: u16, body: &[u8]) -> Value {
    let v: Value = serde_json::from_slice(body)
        .unwrap_or_else(|_| panic!("{status}: not JSON: {}", String::from_utf8_lossy(body)));
    assert_eq!(v["status"], status, "{v}");
    assert!(v["title"].is_string() && v["detail"].is_string(), "{v}");
    v
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_error_is_problem_json() {
    let server = start("").await;
    let ru = server.login("RU").await;
    let (s, b) = ru.get_bytes("/v1/feed?after=yesterday").await;
    assert_eq!(s, 400);
    assert!(problem(400, &b)["detail"]
        .as_str()
        .unwrap()
        .contains("query string"));

    let long = format!("/v1/search?q={}", "x".repeat(10_000));
    let (s, b) = ru.get_bytes(&long).await;
    assert_eq!(s, 414);
    problem(414, &b);

    let big = vec![b'\n'; truceline_server::api::MAX_BODY_BYTES + 1];
    let (s, b) = raw(
        "POST",
        &format!("{}/v1/reports", server.base),
        Some(&ru.token),
        "application/x-ndjson",
        big,
    )
    .await;
    assert_eq!(s, 413);
    problem(413, &b);

    let (s, b) = raw(
        "DELETE",
        &format!("{}/v1/feed", server.base),
        Some(&ru.token),
        "application/json",
        Vec::new(),
    )
    .await;
    assert_eq!(s, 405);
    problem(405, &b);

    let (s, b) = ru.get_bytes("/v1/summary?from=2025-13-01T00:00:00Z").await;
    assert_eq!(s, 422);
    problem(422, &b);
}
