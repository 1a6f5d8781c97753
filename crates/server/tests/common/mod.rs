//! A server on 127.0.0.1 port 0 with the bundled example agreement, keys for everyone, a
//! manual clock, and small clients that sign in with their keys. No sleeps: every wait is
//! on a condition with a deadline.
#![allow(dead_code)]

use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use ed25519_dalek::SigningKey;
use http_body_util::{BodyExt, Full};
use hyper_util::client::legacy::Client as HClient;
use serde_json::{json, Value};
use truceline_ledger::keys::SignerKey;
use truceline_server::clock::ManualClock;
use truceline_server::{AppState, Config};

pub const AGREEMENT: &str = include_str!("../../../../examples/golan-illustrative/agreement.toml");
pub const ZONES: &str = include_str!("../../../../examples/golan-illustrative/zones.geojson");
pub const T0_MS: i64 = 1_764_547_200_000; // 2025-12-01T00:00:00Z
pub const DEADLINE: Duration = Duration::from_secs(20);

pub struct TestServer {
    pub base: String,
    pub state: Arc<AppState>,
    pub clock: Arc<ManualClock>,
    pub keys: Vec<(String, SigningKey)>,
    pub log_key: SignerKey,
    _dir: Option<tempfile::TempDir>,
    _stop: tokio::sync::oneshot::Sender<()>,
}

fn key_for(id: &str) -> SigningKey {
    // Deterministic per id: tests need no randomness for identities.
    let mut seed = [7u8; 32];
    for (i, b) in id.bytes().enumerate() {
        seed[i % 32] ^= b;
    }
    SigningKey::from_bytes(&seed)
}

pub async fn start(extra_toml: &str) -> TestServer {
    start_with(extra_toml, Vec::new()).await
}

/// What [`open_at`] gives: the state, its clock, everyone's keys and the log key.
pub type Opened = (
    Arc<AppState>,
    Arc<ManualClock>,
    Vec<(String, SigningKey)>,
    SignerKey,
);

/// The server's state opened on `dir` with the example agreement, everyone's keys and a
/// manual clock at `T0_MS`; opening the same directory again is a restart.
pub fn open_at(
    dir: &std::path::Path,
    extra_toml: &str,
    webhook_ca: &[rustls::pki_types::CertificateDer<'static>],
) -> Opened {
    let text = format!("{AGREEMENT}\n{extra_toml}");
    let (agreement, policy) =
        truceline_server::policy::load_all(&text, "agreement.toml", ZONES, "zones.geojson")
            .unwrap();
    let agreement = Arc::new(agreement);
    let keys: Vec<(String, SigningKey)> = agreement
        .parties
        .iter()
        .map(|p| (p.id.clone(), key_for(&p.id)))
        .collect();
    let vkeys = keys
        .iter()
        .map(|(id, k)| {
            SignerKey::from_signing_key(id, k.clone())
                .unwrap()
                .verifier()
        })
        .collect();
    let log_key = SignerKey::from_signing_key(
        "truceline/golan-illustrative",
        SigningKey::from_bytes(&[9u8; 32]),
    )
    .unwrap();
    let clock = Arc::new(ManualClock::new(T0_MS));
    let state = AppState::open_with_webhook_ca(
        Config {
            agreement,
            policy,
            data_dir: dir.to_path_buf(),
            keys: vkeys,
            log_key: log_key.clone(),
            clock: clock.clone(),
            max_subscribers: 2_000,
            rebuild: false,
            agreement_files: Some(truceline_server::talks::Bundle {
                agreement_toml: text.clone(),
                geometry: ZONES.to_owned(),
            }),
        },
        webhook_ca,
    )
    .unwrap();
    (state, clock, keys, log_key)
}

/// A server that also trusts `webhook_ca` for webhook endpoints over https.
pub async fn start_with(
    extra_toml: &str,
    webhook_ca: Vec<rustls::pki_types::CertificateDer<'static>>,
) -> TestServer {
    let dir = tempfile::tempdir().unwrap();
    let mut server = serve_opened(open_at(dir.path(), extra_toml, &webhook_ca)).await;
    server._dir = Some(dir);
    server
}

/// Serves a state opened with [`open_at`] (the caller keeps its directory, so that it can
/// open it again: a restart).
pub async fn serve_opened((state, clock, keys, log_key): Opened) -> TestServer {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    tokio::spawn(truceline_server::serve(
        listener,
        Arc::clone(&state),
        async move {
            let _ = stopped.await;
        },
    ));
    TestServer {
        base,
        state,
        clock,
        keys,
        log_key,
        _dir: None,
        _stop: stop,
    }
}

pub struct Client {
    pub base: String,
    pub id: String,
    pub token: String,
    /// The principal's own key: it signs its acts (the server never holds it).
    pub key: SigningKey,
    http: HClient<hyper_util::client::legacy::connect::HttpConnector, Full<Bytes>>,
}

pub fn http() -> HClient<hyper_util::client::legacy::connect::HttpConnector, Full<Bytes>> {
    HClient::builder(hyper_util::rt::TokioExecutor::new()).build_http()
}

pub async fn raw(
    method: &str,
    url: &str,
    token: Option<&str>,
    ctype: &str,
    body: Vec<u8>,
) -> (u16, Vec<u8>) {
    let mut req = hyper::Request::builder()
        .method(method)
        .uri(url)
        .header("content-type", ctype);
    if let Some(t) = token {
        req = req.header("authorization", format!("Bearer {t}"));
    }
    let resp = http()
        .request(req.body(Full::new(Bytes::from(body))).unwrap())
        .await
        .unwrap();
    let status = resp.status().as_u16();
    let bytes = resp
        .into_body()
        .collect()
        .await
        .unwrap()
        .to_bytes()
        .to_vec();
    (status, bytes)
}

impl TestServer {
    pub fn key(&self, id: &str) -> &SigningKey {
        &self.keys.iter().find(|(k, _)| k == id).unwrap().1
    }

    pub async fn login(&self, id: &str) -> Client {
        let (s, b) = raw(
            "POST",
            &format!("{}/v1/auth/challenge", self.base),
            None,
            "application/json",
            json!({"id": id}).to_string().into_bytes(),
        )
        .await;
        assert_eq!(s, 200);
        let c: Value = serde_json::from_slice(&b).unwrap();
        let nonce = c["nonce"].as_str().unwrap();
        let sig = truceline_server::auth::sign_challenge(
            self.key(id),
            "truceline/golan-illustrative",
            id,
            nonce,
        );
        let (s, b) = raw(
            "POST",
            &format!("{}/v1/auth/token", self.base),
            None,
            "application/json",
            json!({"id": id, "nonce": nonce, "signature": sig})
                .to_string()
                .into_bytes(),
        )
        .await;
        assert_eq!(s, 200, "{}", String::from_utf8_lossy(&b));
        let t: Value = serde_json::from_slice(&b).unwrap();
        Client {
            base: self.base.clone(),
            id: id.into(),
            token: t["token"].as_str().unwrap().into(),
            key: self.key(id).clone(),
            http: http(),
        }
    }
}

impl Client {
    pub async fn call(&self, method: &str, path: &str, body: Option<Value>) -> (u16, Value) {
        let bytes = body.map(|b| b.to_string().into_bytes()).unwrap_or_default();
        let (s, b) = raw(
            method,
            &format!("{}{path}", self.base),
            Some(&self.token),
            "application/json",
            bytes,
        )
        .await;
        (s, serde_json::from_slice(&b).unwrap_or(Value::Null))
    }
    pub async fn get(&self, path: &str) -> (u16, Value) {
        self.call("GET", path, None).await
    }
    pub async fn post(&self, path: &str, body: Value) -> (u16, Value) {
        self.call("POST", path, Some(body)).await
    }
    /// An act of this principal's own, signed with its key: the route answers 428 with the
    /// envelope to sign; the client signs it and posts it to /v1/acts. Answers the status
    /// of /v1/acts and what the route would have answered (or the first refusal).
    pub async fn act(&self, path: &str, body: Value) -> (u16, Value) {
        let (s, p) = self.post(path, body).await;
        if s != 428 {
            return (s, p);
        }
        let (s, r) = self.post_envelope(&self.sign(&p)).await;
        if s == 201 {
            (s, r["result"].clone())
        } else {
            (s, r)
        }
    }

    /// Signs a prepared envelope (from /v1/acts/prepare or a 428) with this client's key.
    pub fn sign(&self, prepared: &Value) -> Vec<u8> {
        sign_with(&self.id, &self.key, prepared)
    }

    pub async fn post_envelope(&self, bytes: &[u8]) -> (u16, Value) {
        let (s, b) = raw(
            "POST",
            &format!("{}/v1/acts", self.base),
            Some(&self.token),
            "application/json",
            bytes.to_vec(),
        )
        .await;
        (s, serde_json::from_slice(&b).unwrap_or(Value::Null))
    }

    pub async fn post_lines(&self, lines: &str) -> (u16, Value) {
        let (s, b) = raw(
            "POST",
            &format!("{}/v1/reports", self.base),
            Some(&self.token),
            "application/x-ndjson",
            lines.as_bytes().to_vec(),
        )
        .await;
        (s, serde_json::from_slice(&b).unwrap_or(Value::Null))
    }
    pub async fn get_bytes(&self, path: &str) -> (u16, Vec<u8>) {
        raw(
            "GET",
            &format!("{}{path}", self.base),
            Some(&self.token),
            "application/json",
            Vec::new(),
        )
        .await
    }

    /// Opens the SSE stream (optionally resuming after `last`).
    pub async fn stream(&self, last: Option<u64>) -> Sse {
        let mut req = hyper::Request::get(format!("{}/v1/stream", self.base))
            .header("authorization", format!("Bearer {}", self.token));
        if let Some(l) = last {
            req = req.header("last-event-id", l.to_string());
        }
        let resp = self
            .http
            .request(req.body(Full::new(Bytes::new())).unwrap())
            .await
            .unwrap();
        assert_eq!(resp.status(), 200);
        Sse {
            body: resp.into_body(),
            buf: String::new(),
        }
    }
}

pub struct Sse {
    body: hyper::body::Incoming,
    buf: String,
}

#[derive(Debug, Clone)]
pub struct SseMsg {
    pub id: u64,
    pub event: String,
    pub data: Value,
}

impl Sse {
    /// The next message, or None at the deadline.
    pub async fn next(&mut self, within: Duration) -> Option<SseMsg> {
        let deadline = tokio::time::Instant::now() + within;
        loop {
            if let Some(end) = self.buf.find("\n\n") {
                let block: String = self.buf.drain(..end + 2).collect();
                let (mut id, mut event, mut data) = (0, String::new(), String::new());
                for line in block.lines() {
                    if let Some(v) = line.strip_prefix("id:") {
                        id = v.trim().parse().unwrap_or(0);
                    } else if let Some(v) = line.strip_prefix("event:") {
                        event = v.trim().into();
                    } else if let Some(v) = line.strip_prefix("data:") {
                        data.push_str(v.trim_start());
                    }
                }
                if data.is_empty() {
                    continue; // keep-alive comment
                }
                return Some(SseMsg {
                    id,
                    event,
                    data: serde_json::from_str(&data).unwrap_or(Value::Null),
                });
            }
            let frame = tokio::time::timeout_at(deadline, self.body.frame())
                .await
                .ok()??
                .ok()?;
            if let Ok(data) = frame.into_data() {
                self.buf.push_str(&String::from_utf8_lossy(&data));
            }
        }
    }

    /// Reads until a message matches, or panics at the deadline.
    pub async fn until(&mut self, what: &str, pred: impl Fn(&SseMsg) -> bool) -> SseMsg {
        let deadline = tokio::time::Instant::now() + DEADLINE;
        loop {
            let left = deadline.saturating_duration_since(tokio::time::Instant::now());
            match self.next(left).await {
                Some(m) if pred(&m) => return m,
                Some(_) => {}
                None => panic!("no stream message {what} within {DEADLINE:?}"),
            }
        }
    }
}

/// Waits for a condition with a deadline (no fixed sleeps).
pub async fn eventually<F, Fut>(what: &str, mut f: F) -> Value
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Option<Value>>,
{
    let deadline = tokio::time::Instant::now() + DEADLINE;
    loop {
        if let Some(v) = f().await {
            return v;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "{what}: not within {DEADLINE:?}"
        );
        tokio::task::yield_now().await;
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
}

/// Signs `prepared["envelope"]` as `id` with `key`: the signed envelope's bytes.
pub fn sign_with(id: &str, key: &SigningKey, prepared: &Value) -> Vec<u8> {
    let draft = truceline_ledger::envelope::Draft::from_value(&prepared["envelope"])
        .unwrap_or_else(|e| panic!("no envelope to sign in {prepared}: {e}"));
    let signer = SignerKey::from_signing_key(id, key.clone()).unwrap();
    draft.sign(&signer).unwrap().into_bytes()
}

pub fn report(
    t: &str,
    unit: &str,
    party: &str,
    category: &str,
    count: u64,
    lon: f64,
    lat: f64,
) -> String {
    format!("{{\"t\":\"{t}\",\"unit\":\"{unit}\",\"party\":\"{party}\",\"category\":\"{category}\",\"count\":{count},\"lon\":{lon},\"lat\":{lat}}}\n")
}

pub fn verify_export(server: &TestServer, export: &[u8]) -> truceline_ledger::export::Report {
    let trust = trust(server);
    let outside = truceline_ledger::export::Outside {
        checkpoints: Vec::new(),
        receipts: Vec::new(),
        party: None,
    };
    truceline_ledger::export::verify_export(&mut std::io::BufReader::new(export), &trust, &outside)
        .unwrap()
}

/// What a verifier trusts: every principal's public key and the log key (the mediator's).
pub fn trust(server: &TestServer) -> truceline_ledger::export::Trust {
    let mut keyring = truceline_ledger::keys::Keyring::new();
    for (id, k) in &server.keys {
        if id != "RU" {
            keyring
                .insert(
                    SignerKey::from_signing_key(id, k.clone())
                        .unwrap()
                        .verifier(),
                )
                .unwrap();
        }
    }
    keyring
        .insert(server.log_key.verifier().renamed("RU").unwrap())
        .unwrap();
    truceline_ledger::export::Trust {
        log_key: server.log_key.verifier(),
        keyring,
    }
}
