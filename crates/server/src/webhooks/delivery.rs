//! Delivering webhooks: each hook has its own task, which reads its owner's view of the
//! feed after its cursor, POSTs each item and moves the cursor on a 2xx. A dead endpoint
//! backs off (0.5 s doubling to 60 s) without slowing any other hook.
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

use crate::access::Principal;
use crate::acts::Recorder;
use crate::clock::Clock;
use crate::error::{ApiError, ApiResult};
use crate::feed::Feed;
use crate::projection::Projector;
use crate::store::Store;

const TIMEOUT: Duration = Duration::from_secs(10);
const MAX_BACKOFF: Duration = Duration::from_secs(60);

/// What webhooks need, and no more: the registry's projection and the recorder that
/// changes it, the feed they read, the store of cursors, the clock and the log key that
/// signs each delivery.
pub struct Delivery {
    pub projector: Arc<Projector>,
    pub recorder: Arc<Recorder>,
    /// The delivery task of each live hook, by id: cleared to stop it.
    running: Mutex<HashMap<String, Arc<AtomicBool>>>,
    changes: Mutex<()>,
    pub agreement: Arc<truceline_engine::Agreement>,
    pub feed: Arc<Feed>,
    pub store: Arc<dyn Store>,
    pub clock: Arc<dyn Clock>,
    pub log_key: truceline_ledger::keys::SignerKey,
    pub tls: Arc<rustls::ClientConfig>,
}

impl Delivery {
    #[allow(clippy::too_many_arguments)]
    pub fn new(
        projector: Arc<Projector>,
        recorder: Arc<Recorder>,
        agreement: Arc<truceline_engine::Agreement>,
        feed: Arc<Feed>,
        store: Arc<dyn Store>,
        clock: Arc<dyn Clock>,
        log_key: truceline_ledger::keys::SignerKey,
        tls: Arc<rustls::ClientConfig>,
    ) -> Delivery {
        Delivery {
            projector,
            recorder,
            running: Mutex::new(HashMap::new()),
            changes: Mutex::new(()),
            agreement,
            feed,
            store,
            clock,
            log_key,
            tls,
        }
    }

    /// Serialises registrations and removals.
    pub(super) fn lock_changes(&self) -> std::sync::MutexGuard<'_, ()> {
        self.changes.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn running(&self) -> std::sync::MutexGuard<'_, HashMap<String, Arc<AtomicBool>>> {
        self.running.lock().unwrap_or_else(|e| e.into_inner())
    }

    pub(super) fn project(&self) -> ApiResult<()> {
        self.projector
            .catch_up()
            .map_err(|e| ApiError::unavailable(format!("the projection stopped: {e}")))
    }

    /// The live hooks of `who`.
    pub fn list_for(&self, who: &Principal) -> Vec<super::Hook> {
        self.projector.read(|b| b.hooks.list_for(who))
    }

    /// Starts the hook's delivery task unless it runs already.
    pub(super) fn start_hook(self: &Arc<Self>, hook: &super::Hook) {
        let mut running = self.running();
        if running.contains_key(&hook.id) {
            return;
        }
        let live = Arc::new(AtomicBool::new(true));
        running.insert(hook.id.clone(), Arc::clone(&live));
        tokio::spawn(deliver(Arc::clone(self), hook.clone(), live));
    }

    pub(super) fn stop_hook(&self, id: &str) {
        if let Some(live) = self.running().remove(id) {
            live.store(false, Ordering::SeqCst);
        }
    }
}

/// Starts a delivery task for every live hook of the registry.
pub fn start(state: Arc<Delivery>) {
    let hooks: Vec<super::Hook> = state.projector.read(|b| b.hooks.live().cloned().collect());
    for hook in hooks {
        state.start_hook(&hook);
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

pub(super) fn check_url(url: &str) -> ApiResult<()> {
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

async fn deliver(state: Arc<Delivery>, hook: super::Hook, live: Arc<AtomicBool>) {
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
    // A cursor lost with a rebuilt store resumes at the registration's feed position.
    let mut cursor = match state.store.cursor(&hook.id) {
        Ok(Some(c)) => c,
        Ok(None) | Err(_) => hook.from_feed,
    };
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
