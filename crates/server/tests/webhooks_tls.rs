//! Webhooks over https, against real TLS endpoints on loopback with certificates of a CA
//! made in the test (the operator's extra CA): delivered in order, at least once (a failed
//! delivery is retried), signed with the log key; an endpoint that never answers, and one
//! whose certificate the server does not trust, do not hold the others up.

mod common;

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use common::*;
use http_body_util::{BodyExt, Full};
use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};
use serde_json::{json, Value};

const AOS_IN: (f64, f64) = (35.884334, 33.011197);
const FAR_EAST: (f64, f64) = (36.5, 33.5);

struct Pki {
    ca: CertificateDer<'static>,
    /// Chain and key for 127.0.0.1 and localhost, issued by `ca`.
    chain: Vec<CertificateDer<'static>>,
    key: PrivateKeyDer<'static>,
}

fn pki(name: &str) -> Pki {
    use rcgen::{
        BasicConstraints, CertificateParams, DnType, IsCa, Issuer, KeyPair, KeyUsagePurpose,
    };
    let ca_key = KeyPair::generate().unwrap();
    let mut ca_params = CertificateParams::new(Vec::<String>::new()).unwrap();
    ca_params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    ca_params
        .distinguished_name
        .push(DnType::CommonName, format!("{name} test CA"));
    ca_params.key_usages = vec![
        KeyUsagePurpose::KeyCertSign,
        KeyUsagePurpose::CrlSign,
        KeyUsagePurpose::DigitalSignature,
    ];
    let ca = ca_params.self_signed(&ca_key).unwrap();
    let issuer = Issuer::new(ca_params, ca_key);
    let leaf_key = KeyPair::generate().unwrap();
    let leaf_params =
        CertificateParams::new(vec!["127.0.0.1".to_owned(), "localhost".to_owned()]).unwrap();
    let leaf = leaf_params.signed_by(&leaf_key, &issuer).unwrap();
    Pki {
        ca: ca.der().clone(),
        chain: vec![leaf.der().clone(), ca.der().clone()],
        key: PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(leaf_key.serialize_der())),
    }
}

type Seen = tokio::sync::mpsc::UnboundedSender<(String, String, String)>;

/// An https endpoint on 127.0.0.1: sends each delivery (id, signature, body) to `seen`;
/// answers 500 to the first `fail_first` requests, 200 after.
async fn https_endpoint(p: &Pki, seen: Seen, fail_first: usize) -> String {
    let config = rustls::ServerConfig::builder_with_provider(Arc::new(
        rustls::crypto::ring::default_provider(),
    ))
    .with_safe_default_protocol_versions()
    .unwrap()
    .with_no_client_auth()
    .with_single_cert(p.chain.clone(), p.key.clone_key())
    .unwrap();
    let acceptor = tokio_rustls::TlsAcceptor::from(Arc::new(config));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("https://{}/hook", listener.local_addr().unwrap());
    let count = Arc::new(AtomicUsize::new(0));
    tokio::spawn(async move {
        loop {
            let Ok((tcp, _)) = listener.accept().await else {
                return;
            };
            let (acceptor, seen, count) = (acceptor.clone(), seen.clone(), Arc::clone(&count));
            tokio::spawn(async move {
                let Ok(tls) = acceptor.accept(tcp).await else {
                    return;
                };
                let service = hyper::service::service_fn(
                    move |req: hyper::Request<hyper::body::Incoming>| {
                        let (seen, count) = (seen.clone(), Arc::clone(&count));
                        async move {
                            let h = |n: &str| {
                                req.headers()
                                    .get(n)
                                    .and_then(|v| v.to_str().ok())
                                    .unwrap_or("")
                                    .to_owned()
                            };
                            let (id, sig) = (h("truceline-delivery"), h("truceline-signature"));
                            let body = req.into_body().collect().await?.to_bytes();
                            let _ =
                                seen.send((id, sig, String::from_utf8_lossy(&body).into_owned()));
                            let status = if count.fetch_add(1, Ordering::SeqCst) < fail_first {
                                500
                            } else {
                                200
                            };
                            Ok::<_, hyper::Error>(
                                hyper::Response::builder()
                                    .status(status)
                                    .body(Full::new(Bytes::from_static(b"ok")))
                                    .unwrap(),
                            )
                        }
                    },
                );
                let _ = hyper::server::conn::http1::Builder::new()
                    .serve_connection(hyper_util::rt::TokioIo::new(tls), service)
                    .await;
            });
        }
    });
    url
}

/// An https endpoint that accepts connections and never says anything (a hung monitor).
async fn silent_endpoint() -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("https://{}/hook", listener.local_addr().unwrap());
    tokio::spawn(async move {
        let mut held = Vec::new();
        while let Ok((tcp, _)) = listener.accept().await {
            held.push(tcp);
        }
    });
    url
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn https_webhooks_are_signed_in_order_at_least_once_and_dead_ones_hold_nobody_up() {
    let trusted = pki("private monitor");
    let untrusted = pki("unknown");
    let server = start_with("", vec![trusted.ca.clone()]).await;
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
    let (bad_tx, mut bad_rx) = tokio::sync::mpsc::unbounded_channel();
    // The first delivery is refused once: it must come again, before anything after it.
    let good = https_endpoint(&trusted, tx, 1).await;
    let not_trusted = https_endpoint(&untrusted, bad_tx, 0).await;
    let sy = server.login("SY").await;
    let mp = server.login("RU-MP").await;
    for (who, url) in [
        (&mp, silent_endpoint().await),
        (&sy, silent_endpoint().await),
        (&sy, not_trusted),
        (&mp, "http://127.0.0.1:9/dead".to_owned()),
        (&sy, good),
    ] {
        let (s, h) = who.post("/v1/webhooks", json!({ "url": url })).await;
        assert_eq!(s, 201, "{url}: {h}");
    }
    let (s, p) = sy
        .post("/v1/webhooks", json!({"url": "ftp://127.0.0.1/x"}))
        .await;
    assert_eq!((s, p["status"].as_u64()), (422, Some(422)), "{p}");

    let (s, b) = mp
        .post_lines(
            &(report(
                "2025-12-01T03:00:00Z",
                "SY-TB-3",
                "SY",
                "tank",
                14,
                AOS_IN.0,
                AOS_IN.1,
            ) + &report(
                "2025-12-01T03:05:00Z",
                "SY-TB-3",
                "SY",
                "tank",
                14,
                FAR_EAST.0,
                FAR_EAST.1,
            )),
        )
        .await;
    assert_eq!(s, 200, "{b}");

    // The silent endpoints hold a connection for the client's 10 s timeout; the good
    // endpoint gets everything (with one retry after 0.5 s) well before that.
    let deadline = tokio::time::Instant::now() + Duration::from_secs(8);
    let mut deliveries: Vec<(u64, String)> = Vec::new();
    let mut distinct = 0;
    while distinct < 3 {
        let (id, sig, body) = tokio::time::timeout_at(deadline, rx.recv())
            .await
            .expect("deliveries to the good endpoint within 8 s, whatever the dead ones do")
            .unwrap();
        let v: Value = serde_json::from_str(&body).unwrap();
        let t = sig.split("t=").nth(1).unwrap().split(',').next().unwrap();
        assert!(
            sig.starts_with("keyid=truceline/golan-illustrative, "),
            "{sig}"
        );
        let sig_b64 = sig.split("sig=").nth(1).unwrap();
        use base64::Engine as _;
        let raw = base64::engine::general_purpose::STANDARD
            .decode(sig_b64)
            .unwrap();
        assert!(
            server.log_key.verifier().verify(
                format!("{t}.{id}.{body}").as_bytes(),
                &ed25519_dalek::Signature::from_slice(&raw).unwrap()
            ),
            "signature of delivery {id}"
        );
        let id: u64 = id.parse().unwrap();
        assert_eq!(v["id"], id);
        if deliveries.last().is_none_or(|(last, _)| *last != id) {
            distinct += 1;
        }
        deliveries.push((id, v["kind"].as_str().unwrap().to_owned()));
    }
    let ids: Vec<u64> = deliveries.iter().map(|d| d.0).collect();
    assert_eq!(
        ids[0], ids[1],
        "the refused first delivery came again: {ids:?}"
    );
    assert!(ids.windows(2).all(|w| w[0] <= w[1]), "in order: {ids:?}");
    let kinds: Vec<&str> = deliveries.iter().map(|d| d.1.as_str()).collect();
    assert!(
        kinds.contains(&"event") && kinds.contains(&"incident"),
        "{kinds:?}"
    );
    // What SY may see and nothing else: the feed under SY's name has the same ids.
    let (_, feed) = sy.get("/v1/feed").await;
    let visible: Vec<u64> = feed["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["id"].as_u64().unwrap())
        .collect();
    let mut got = ids.clone();
    got.dedup();
    assert_eq!(got, visible[..got.len()].to_vec());
    // The endpoint whose certificate no trusted CA issued never got a request.
    assert!(
        bad_rx.try_recv().is_err(),
        "a delivery went to an untrusted endpoint"
    );
}
