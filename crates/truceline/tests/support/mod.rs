//! The real `truceline serve` as a child process on a loopback port, and small clients
//! that sign in with their own keys and sign their own acts. Every wait is on a condition
//! with a deadline; nothing sleeps.
#![allow(dead_code)]

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::Duration;

use bytes::Bytes;
use ed25519_dalek::SigningKey;
use http_body_util::{BodyExt, Full};
use hyper_util::client::legacy::Client as HClient;
use serde_json::{json, Value};
use truceline_ledger::keys::{Keyring, SignerKey};

pub const PRINCIPALS: [&str; 5] = ["IL", "SY", "RU", "RU-MP", "US"];
pub const AGREEMENT_ID: &str = "golan-illustrative";

pub fn example_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../examples/golan-illustrative")
}

/// Deterministic per id: tests need no randomness for identities.
pub fn key_for(id: &str) -> SigningKey {
    let mut seed = [11u8; 32];
    for (i, b) in id.bytes().enumerate() {
        seed[i % 32] ^= b;
    }
    SigningKey::from_bytes(&seed)
}

/// Writes `DATA/keyring` with every principal's public key.
pub fn write_keyring(data: &Path) {
    std::fs::create_dir_all(data).unwrap();
    let mut ring = String::new();
    for id in PRINCIPALS {
        let k = SignerKey::from_signing_key(id, key_for(id)).unwrap();
        ring.push_str(&format!("{}\n", k.verifier()));
    }
    std::fs::write(data.join("keyring"), ring).unwrap();
}

/// A running `truceline serve`.
pub struct Server {
    pub child: Child,
    pub base: String,
    pub data: PathBuf,
}

impl Server {
    /// Starts the server on a free loopback port and waits (with a deadline) until it says
    /// where it listens.
    pub fn start(data: &Path, extra: &[&str]) -> Server {
        let mut child = Command::new(env!("CARGO_BIN_EXE_truceline"))
            .arg("serve")
            .arg("--agreement")
            .arg(example_dir())
            .arg("--data")
            .arg(data)
            .args(["--listen", "127.0.0.1:0"])
            .args(extra)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .expect("start truceline serve");
        let stderr = child.stderr.take().unwrap();
        let (tx, rx) = mpsc::channel();
        // Drains stderr for the child's whole life, so that it never blocks on a full pipe.
        std::thread::spawn(move || {
            for line in BufReader::new(stderr).lines().map_while(Result::ok) {
                let _ = tx.send(line);
            }
        });
        let deadline = std::time::Instant::now() + Duration::from_secs(60);
        let mut said = Vec::new();
        let base = loop {
            let left = deadline.saturating_duration_since(std::time::Instant::now());
            match rx.recv_timeout(left) {
                Ok(line) => {
                    if let Some(at) = line.find("http://") {
                        let rest = &line[at..];
                        break rest.split_whitespace().next().unwrap().to_owned();
                    }
                    said.push(line);
                }
                Err(_) => {
                    let _ = child.kill();
                    panic!("the server did not start: {said:?}");
                }
            }
        };
        Server {
            child,
            base,
            data: data.to_path_buf(),
        }
    }

    /// SIGKILL: no shutdown, no flush; what is on disk is all there is.
    pub fn kill(mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }

    pub async fn login(&self, id: &str) -> Client {
        Client::login(&self.base, id).await.expect("sign in")
    }

    /// What a verifier trusts: the keyring the server publishes in DATA, and its log key.
    pub fn trust(&self) -> truceline_ledger::export::Trust {
        let ring = std::fs::read_to_string(self.data.join("verifier-keyring")).unwrap();
        let log = std::fs::read_to_string(self.data.join("log.key")).unwrap();
        truceline_ledger::export::Trust {
            log_key: SignerKey::parse(&log).unwrap().verifier(),
            keyring: Keyring::parse(&ring).unwrap(),
        }
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

type Http = HClient<hyper_util::client::legacy::connect::HttpConnector, Full<Bytes>>;

pub struct Client {
    pub base: String,
    pub id: String,
    token: String,
    key: SigningKey,
    http: Http,
}

/// Anything that kept a request from being answered (the server died, say).
pub type Failure = String;

async fn request(
    http: &Http,
    method: &str,
    url: &str,
    token: Option<&str>,
    ctype: &str,
    body: Vec<u8>,
) -> Result<(u16, Vec<u8>), Failure> {
    let mut req = hyper::Request::builder()
        .method(method)
        .uri(url)
        .header("content-type", ctype);
    if let Some(t) = token {
        req = req.header("authorization", format!("Bearer {t}"));
    }
    let req = req
        .body(Full::new(Bytes::from(body)))
        .map_err(|e| e.to_string())?;
    let resp = tokio::time::timeout(Duration::from_secs(30), http.request(req))
        .await
        .map_err(|_| "no answer within 30 s".to_owned())?
        .map_err(|e| e.to_string())?;
    let status = resp.status().as_u16();
    let bytes = resp
        .into_body()
        .collect()
        .await
        .map_err(|e| e.to_string())?
        .to_bytes()
        .to_vec();
    Ok((status, bytes))
}

impl Client {
    pub async fn login(base: &str, id: &str) -> Result<Client, Failure> {
        let http: Http = HClient::builder(hyper_util::rt::TokioExecutor::new()).build_http();
        let url = |p: &str| format!("{base}{p}");
        let (s, b) = request(
            &http,
            "POST",
            &url("/v1/auth/challenge"),
            None,
            "application/json",
            json!({"id": id}).to_string().into_bytes(),
        )
        .await?;
        if s != 200 {
            return Err(format!("challenge: {s}"));
        }
        let c: Value = serde_json::from_slice(&b).map_err(|e| e.to_string())?;
        let nonce = c["nonce"].as_str().unwrap_or_default().to_owned();
        let key = key_for(id);
        let sig = truceline_server::auth::sign_challenge(
            &key,
            &format!("truceline/{AGREEMENT_ID}"),
            id,
            &nonce,
        );
        let (s, b) = request(
            &http,
            "POST",
            &url("/v1/auth/token"),
            None,
            "application/json",
            json!({"id": id, "nonce": nonce, "signature": sig})
                .to_string()
                .into_bytes(),
        )
        .await?;
        if s != 200 {
            return Err(format!("token: {s} {}", String::from_utf8_lossy(&b)));
        }
        let t: Value = serde_json::from_slice(&b).map_err(|e| e.to_string())?;
        Ok(Client {
            base: base.to_owned(),
            id: id.to_owned(),
            token: t["token"].as_str().unwrap_or_default().to_owned(),
            key,
            http,
        })
    }

    pub async fn send(
        &self,
        method: &str,
        path: &str,
        ctype: &str,
        body: Vec<u8>,
    ) -> Result<(u16, Vec<u8>), Failure> {
        request(
            &self.http,
            method,
            &format!("{}{path}", self.base),
            Some(&self.token),
            ctype,
            body,
        )
        .await
    }

    pub async fn get(&self, path: &str) -> Result<(u16, Value), Failure> {
        let (s, b) = self
            .send("GET", path, "application/json", Vec::new())
            .await?;
        Ok((s, serde_json::from_slice(&b).unwrap_or(Value::Null)))
    }

    pub async fn get_bytes(&self, path: &str) -> Result<(u16, Vec<u8>), Failure> {
        self.send("GET", path, "application/json", Vec::new()).await
    }

    pub async fn post(&self, path: &str, body: &Value) -> Result<(u16, Value), Failure> {
        let (s, b) = self
            .send(
                "POST",
                path,
                "application/json",
                body.to_string().into_bytes(),
            )
            .await?;
        Ok((s, serde_json::from_slice(&b).unwrap_or(Value::Null)))
    }

    pub async fn post_lines(&self, lines: &str) -> Result<(u16, Value), Failure> {
        let (s, b) = self
            .send(
                "POST",
                "/v1/reports",
                "application/x-ndjson",
                lines.as_bytes().to_vec(),
            )
            .await?;
        Ok((s, serde_json::from_slice(&b).unwrap_or(Value::Null)))
    }

    /// An act as its author makes it: the route answers 428 with the envelope, which this
    /// client signs with its own key and posts to /v1/acts. Answers /v1/acts' status and
    /// the route's result.
    pub async fn act(&self, path: &str, body: &Value) -> Result<(u16, Value), Failure> {
        let (s, p) = self.post(path, body).await?;
        if s != 428 {
            return Ok((s, p));
        }
        let draft = truceline_ledger::envelope::Draft::from_value(&p["envelope"])
            .map_err(|e| format!("no envelope in {p}: {e}"))?;
        let signer = SignerKey::from_signing_key(&self.id, self.key.clone()).unwrap();
        let bytes = draft.sign(&signer).map_err(|e| e.to_string())?.into_bytes();
        let (s, b) = self
            .send("POST", "/v1/acts", "application/json", bytes)
            .await?;
        let r: Value = serde_json::from_slice(&b).unwrap_or(Value::Null);
        Ok(if s == 201 {
            (s, r["result"].clone())
        } else {
            (s, r)
        })
    }
}

pub fn report(t: &str, unit: &str, party: &str, count: u64, lon: f64, lat: f64) -> String {
    format!("{{\"t\":\"{t}\",\"unit\":\"{unit}\",\"party\":\"{party}\",\"category\":\"tank\",\"count\":{count},\"lon\":{lon},\"lat\":{lat}}}\n")
}

/// RFC 3339 for milliseconds since the epoch.
pub fn rfc3339(ms: i64) -> String {
    truceline_server::clock::rfc3339_ms(ms)
}

pub fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_millis() as i64
}

/// The entries (index -> envelope) an export shows in full.
pub fn export_entries(export: &[u8]) -> std::collections::BTreeMap<u64, Value> {
    String::from_utf8_lossy(export)
        .lines()
        .filter_map(|l| serde_json::from_str::<Value>(l).ok())
        .filter(|v| v.get("entry").is_some())
        .map(|v| (v["index"].as_u64().unwrap(), v["entry"].clone()))
        .collect()
}

/// Verifies an export as `party` would, offline, with what the server publishes.
pub fn verify(server: &Server, export: &[u8], party: Option<&str>) -> Result<u64, String> {
    let outside = truceline_ledger::export::Outside {
        checkpoints: Vec::new(),
        receipts: Vec::new(),
        party: party.map(str::to_owned),
    };
    truceline_ledger::export::verify_export(
        &mut std::io::BufReader::new(export),
        &server.trust(),
        &outside,
    )
    .map(|r| r.size)
    .map_err(|e| e.to_string())
}
