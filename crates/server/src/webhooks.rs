//! Webhooks: each hook gets, in feed order and at least once, every feed item its owner may
//! see, POSTed as JSON and signed with the log key. The feed is the durable outbox and a
//! hook's cursor (in the store) is the last item it acknowledged with a 2xx, so a restart
//! resumes where delivery stopped. Each hook has its own task: a dead endpoint backs off
//! (0.5 s doubling to 60 s) without slowing any other hook.
//!
//! Endpoints are `http://` or `https://`. TLS is rustls (ring): the server trusts the
//! Mozilla roots (webpki-roots) and whatever CAs the operator adds (`truceline serve
//! --webhook-ca FILE`, PEM), for monitors whose endpoints have certificates of a private CA.
//!
//! Headers: `Truceline-Delivery: <feed id>`, `Truceline-Signature: keyid=<log key name>,
//! t=<unix ms>, sig=<base64 Ed25519 over "<t>.<feed id>.<body>">`.

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use base64::engine::general_purpose::STANDARD as B64;
use base64::Engine as _;
use bytes::Bytes;
use http_body_util::Full;
use hyper_util::client::legacy::connect::HttpConnector;
use rustls::pki_types::CertificateDer;
use serde::{Deserialize, Serialize};
use truceline_engine::agreement::Role;

use crate::access::Principal;
use crate::clock::Clock;
use crate::error::{ApiError, ApiResult};
use crate::feed::Feed;
use crate::store::{DocKind, Store, StoreError};

pub const MAX_HOOKS: usize = 256;
pub const MAX_HOOKS_PER_OWNER: usize = 8;
const TIMEOUT: Duration = Duration::from_secs(10);
const MAX_BACKOFF: Duration = Duration::from_secs(60);

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Hook {
    pub id: String,
    pub owner: String,
    pub url: String,
    pub created_at: String,
}

#[derive(Default)]
pub struct Hooks {
    hooks: Mutex<HashMap<String, (Hook, Arc<AtomicBool>)>>,
}

impl Hooks {
    pub fn load(store: &dyn Store) -> Result<Hooks, StoreError> {
        let hooks = Hooks::default();
        for doc in store.docs(DocKind::Webhook)? {
            let h: Hook =
                serde_json::from_str(&doc).map_err(|e| StoreError(format!("webhook: {e}")))?;
            hooks
                .lock()
                .insert(h.id.clone(), (h, Arc::new(AtomicBool::new(true))));
        }
        Ok(hooks)
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<String, (Hook, Arc<AtomicBool>)>> {
        self.hooks.lock().unwrap_or_else(|e| e.into_inner())
    }

    pub fn list_for(&self, who: &Principal) -> Vec<Hook> {
        let mut v: Vec<Hook> = self
            .lock()
            .values()
            .filter(|(h, _)| h.owner == who.id)
            .map(|(h, _)| h.clone())
            .collect();
        v.sort_by(|a, b| a.id.cmp(&b.id));
        v
    }
}

/// What webhook delivery needs, and no more: the hooks, the feed it reads, the store of
/// cursors, the clock and the log key that signs each delivery.
pub struct Delivery {
    pub hooks: Hooks,
    pub agreement: Arc<truceline_engine::Agreement>,
    pub feed: Arc<Feed>,
    pub store: Arc<dyn Store>,
    pub clock: Arc<dyn Clock>,
    pub log_key: truceline_ledger::keys::SignerKey,
    pub tls: Arc<rustls::ClientConfig>,
}

/// Starts a delivery task for every hook.
pub fn start(state: Arc<Delivery>) {
    let hooks: Vec<(Hook, Arc<AtomicBool>)> = state.hooks.lock().values().cloned().collect();
    for (hook, live) in hooks {
        tokio::spawn(deliver(Arc::clone(&state), hook, live));
    }
}

/// The client configuration for webhook endpoints over https: the Mozilla roots and the
/// operator's extra CAs.
pub fn tls_config(
    extra_roots: &[CertificateDer<'static>],
) -> Result<Arc<rustls::ClientConfig>, String> {
    let mut roots = rustls::RootCertStore::empty();
    roots.extend(webpki_roots::TLS_SERVER_ROOTS.iter().cloned());
    for (i, cert) in extra_roots.iter().enumerate() {
        roots
            .add(cert.clone())
            .map_err(|e| format!("extra CA certificate {}: {e}", i + 1))?;
    }
    let config = rustls::ClientConfig::builder_with_provider(Arc::new(
        rustls::crypto::ring::default_provider(),
    ))
    .with_safe_default_protocol_versions()
    .map_err(|e| e.to_string())?
    .with_root_certificates(roots)
    .with_no_client_auth();
    Ok(Arc::new(config))
}

/// Reads CA certificates from PEM text (a file of one or more `CERTIFICATE` blocks).
pub fn read_ca_pem(pem: &[u8]) -> Result<Vec<CertificateDer<'static>>, String> {
    use rustls::pki_types::pem::PemObject;
    let certs = CertificateDer::pem_slice_iter(pem)
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| format!("reading PEM certificates: {e}"))?;
    if certs.is_empty() {
        return Err("no PEM CERTIFICATE block in it".into());
    }
    Ok(certs)
}

type HookClient =
    hyper_util::client::legacy::Client<hyper_rustls::HttpsConnector<HttpConnector>, Full<Bytes>>;

/// A client of its own for each hook, so that one endpoint's connections never hold up
/// another's.
fn client(tls: &rustls::ClientConfig) -> HookClient {
    let mut http = HttpConnector::new();
    http.enforce_http(false);
    http.set_nodelay(true);
    http.set_connect_timeout(Some(TIMEOUT));
    let https = hyper_rustls::HttpsConnectorBuilder::new()
        .with_tls_config(tls.clone())
        .https_or_http()
        .enable_http1()
        .wrap_connector(http);
    hyper_util::client::legacy::Client::builder(hyper_util::rt::TokioExecutor::new()).build(https)
}

fn check_url(url: &str) -> ApiResult<()> {
    let ok = url.len() <= 2048
        && (url.starts_with("http://") || url.starts_with("https://"))
        && url.parse::<hyper::Uri>().is_ok_and(|u| u.host().is_some());
    if !ok {
        return Err(ApiError::unprocessable(
            "url: an absolute http:// or https:// URL",
        ));
    }
    Ok(())
}

pub fn create(state: &Arc<Delivery>, who: &Principal, url: String) -> ApiResult<Hook> {
    if who.role == Role::Observer {
        return Err(ApiError::forbidden(
            "observers read the summary; they do not subscribe hooks",
        ));
    }
    check_url(&url)?;
    let mut hooks = state.hooks.lock();
    if hooks.len() >= MAX_HOOKS
        || hooks.values().filter(|(h, _)| h.owner == who.id).count() >= MAX_HOOKS_PER_OWNER
    {
        return Err(ApiError::conflict("too many webhooks"));
    }
    let mut raw = [0u8; 8];
    rand_core::RngCore::fill_bytes(&mut rand_core::OsRng, &mut raw);
    let hook = Hook {
        id: format!("H-{}", hex::encode(raw)),
        owner: who.id.clone(),
        url,
        created_at: crate::clock::rfc3339_ms(state.clock.now_ms()),
    };
    // New hooks start at the present: they are for what happens from now on.
    let json = serde_json::to_string(&hook).map_err(|e| ApiError::internal(e.to_string()))?;
    state
        .store
        .set_cursor(&hook.id, state.feed.last_id())
        .map_err(|e| ApiError::internal(e.to_string()))?;
    state
        .store
        .put_doc(DocKind::Webhook, &hook.id, &json)
        .map_err(|e| ApiError::internal(e.to_string()))?;
    let live = Arc::new(AtomicBool::new(true));
    hooks.insert(hook.id.clone(), (hook.clone(), Arc::clone(&live)));
    tokio::spawn(deliver(Arc::clone(state), hook.clone(), live));
    Ok(hook)
}

pub fn delete(state: &Arc<Delivery>, who: &Principal, id: &str) -> ApiResult<()> {
    let mut hooks = state.hooks.lock();
    match hooks.get(id) {
        Some((h, _)) if h.owner == who.id => {}
        _ => return Err(ApiError::not_found(format!("no webhook {id:?} of yours"))),
    }
    state
        .store
        .delete_doc(DocKind::Webhook, id)
        .map_err(|e| ApiError::internal(e.to_string()))?;
    if let Some((_, live)) = hooks.remove(id) {
        live.store(false, Ordering::SeqCst);
    }
    Ok(())
}

/// The signature header for a delivery.
pub fn signature(state: &Delivery, t_ms: i64, id: u64, body: &[u8]) -> String {
    let mut msg = format!("{t_ms}.{id}.").into_bytes();
    msg.extend_from_slice(body);
    format!(
        "keyid={}, t={t_ms}, sig={}",
        state.log_key.name(),
        B64.encode(state.log_key.sign(&msg).to_bytes())
    )
}

async fn deliver(state: Arc<Delivery>, hook: Hook, live: Arc<AtomicBool>) {
    let Some(role) = state
        .agreement
        .parties
        .iter()
        .find(|p| p.id == hook.owner)
        .map(|p| p.role)
    else {
        return;
    };
    let owner = Principal {
        id: hook.owner.clone(),
        role,
    };
    let client = client(&state.tls);
    let mut rx = state.feed.subscribe();
    let mut cursor = state.store.cursor(&hook.id).unwrap_or(0);
    let mut backoff = Duration::from_millis(500);
    while live.load(Ordering::SeqCst) {
        let (items, scanned) = state.feed.visible_after(&owner, cursor, 256);
        if items.is_empty() {
            if scanned > cursor {
                cursor = scanned;
                let _ = state.store.set_cursor(&hook.id, cursor);
                continue;
            }
            // Wait for something new (or a lag, which the next read covers).
            let _ = tokio::time::timeout(Duration::from_secs(5), rx.recv()).await;
            continue;
        }
        for item in items {
            let body = format!(
                "{{\"id\":{},\"kind\":\"{}\",\"data\":{}}}",
                item.id, item.kind, item.data
            );
            loop {
                if !live.load(Ordering::SeqCst) {
                    return;
                }
                let t = state.clock.now_ms();
                let request = hyper::Request::post(&hook.url)
                    .header("content-type", "application/json")
                    .header("truceline-delivery", item.id.to_string())
                    .header(
                        "truceline-signature",
                        signature(&state, t, item.id, body.as_bytes()),
                    )
                    .body(Full::new(Bytes::from(body.clone())));
                let Ok(request) = request else { return };
                let ok = matches!(tokio::time::timeout(TIMEOUT, client.request(request)).await, Ok(Ok(r)) if r.status().is_success());
                if ok {
                    backoff = Duration::from_millis(500);
                    break;
                }
                tokio::time::sleep(backoff).await;
                backoff = (backoff * 2).min(MAX_BACKOFF);
            }
            cursor = item.id;
            let _ = state.store.set_cursor(&hook.id, cursor);
        }
        if scanned > cursor {
            cursor = scanned;
            let _ = state.store.set_cursor(&hook.id, cursor);
        }
    }
}
