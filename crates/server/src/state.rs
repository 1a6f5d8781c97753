//! Wiring: the shared state every handler holds, and how it is opened from a data directory.

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::atomic::AtomicUsize;
use std::sync::Arc;

use truceline_engine::agreement::Role;
use truceline_engine::Agreement;
use truceline_ledger::keys::{Keyring, SignerKey, VerifierKey};
use truceline_ledger::ledger::{Ledger, LedgerConfig};

use crate::auth::Auth;
use crate::clock::Clock;
use crate::feed::Feed;
use crate::live::{Live, LiveEvent};
use crate::mechanism::Mechanism;
use crate::policy::NoticePolicy;
use crate::store::{SqliteStore, Store};

pub const DEFAULT_MAX_SUBSCRIBERS: usize = 10_000;

/// What the server needs to start.
pub struct Config {
    pub agreement: Arc<Agreement>,
    pub policy: NoticePolicy,
    /// Holds `server.db`, `ledger.db` and `evidence/`.
    pub data_dir: PathBuf,
    /// Public keys of the principals, named by their party id in the agreement.
    pub keys: Vec<VerifierKey>,
    /// The mediator's log key: signs checkpoints, the server's own entries and webhooks.
    pub log_key: SignerKey,
    pub clock: Arc<dyn Clock>,
    pub max_subscribers: usize,
}

#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct StartError(pub String);

pub struct AppState {
    pub agreement: Arc<Agreement>,
    pub auth: Auth,
    pub live: Live,
    /// Units as last reported, for the console's map; the engine thread feeds it.
    pub tracker: Arc<crate::console::Tracker>,
    pub feed: Arc<Feed>,
    pub mech: Arc<Mechanism>,
    pub ledger: Arc<Ledger>,
    pub store: Arc<dyn Store>,
    pub clock: Arc<dyn Clock>,
    pub log_key: SignerKey,
    pub data_dir: PathBuf,
    pub subscribers: AtomicUsize,
    pub max_subscribers: usize,
    pub hooks: crate::webhooks::Hooks,
    pub webhook_tls: Arc<rustls::ClientConfig>,
}

impl AppState {
    pub fn open(config: Config) -> Result<Arc<AppState>, StartError> {
        Self::open_with_webhook_ca(config, &[])
    }

    /// Opens, trusting `webhook_ca` for webhook endpoints over https besides the Mozilla
    /// roots (a monitor's private CA, say); see [`crate::webhooks::read_ca_pem`].
    pub fn open_with_webhook_ca(
        config: Config,
        webhook_ca: &[rustls::pki_types::CertificateDer<'static>],
    ) -> Result<Arc<AppState>, StartError> {
        let e = |what: &str, err: &dyn std::fmt::Display| StartError(format!("{what}: {err}"));
        let agreement = config.agreement;
        std::fs::create_dir_all(config.data_dir.join("evidence"))
            .map_err(|err| e("creating the data directory", &err))?;
        let mediator = agreement
            .parties
            .iter()
            .find(|p| p.role == Role::Mediator)
            .ok_or_else(|| {
                StartError("the agreement names no mediator; the server runs for one".into())
            })?
            .id
            .clone();
        let mut keys = HashMap::new();
        let mut ledger_ring = Keyring::new();
        for key in &config.keys {
            let party = agreement
                .parties
                .iter()
                .find(|p| p.id == key.name())
                .ok_or_else(|| {
                    StartError(format!(
                        "key {:?} names no party of the agreement",
                        key.name()
                    ))
                })?;
            if keys
                .insert(party.id.clone(), (party.role, *key.key()))
                .is_some()
            {
                return Err(StartError(format!("two keys for {:?}", party.id)));
            }
            if party.role != Role::Mediator {
                ledger_ring
                    .insert(key.clone())
                    .map_err(|err| e("keyring", &err))?;
            }
        }
        let log_vkey = config
            .log_key
            .verifier()
            .renamed(&mediator)
            .map_err(|err| e("log key", &err))?;
        ledger_ring
            .insert(log_vkey)
            .map_err(|err| e("keyring", &err))?;
        let ledger_store =
            truceline_ledger::store::SqliteStore::open(config.data_dir.join("ledger.db"))
                .map_err(|err| e("opening the ledger", &err))?;
        let (ledger, _report) = Ledger::open(
            ledger_store,
            LedgerConfig {
                log_key: config.log_key.clone(),
                keyring: ledger_ring,
                mediator,
            },
        )
        .map_err(|err| e("opening the ledger", &err))?;
        let ledger = Arc::new(ledger);
        let store: Arc<dyn Store> = Arc::new(
            SqliteStore::open(&config.data_dir.join("server.db"))
                .map_err(|err| e("opening the store", &err))?,
        );
        let feed = Feed::open(Arc::clone(&store)).map_err(|err| e("opening the feed", &err))?;
        let mech = Arc::new(
            Mechanism::open(
                Arc::clone(&agreement),
                config.policy,
                Arc::clone(&ledger),
                Arc::clone(&store),
                Arc::clone(&feed),
                Arc::clone(&config.clock),
            )
            .map_err(|err| e("loading notices and incidents", &err))?,
        );
        // Breaches become incidents on their own thread, so that the engine never waits for
        // the ledger.
        let (events_tx, events_rx) = std::sync::mpsc::sync_channel::<Vec<LiveEvent>>(4096);
        let opener = Arc::clone(&mech);
        std::thread::Builder::new()
            .name("incidents".into())
            .spawn(move || {
                while let Ok(events) = events_rx.recv() {
                    opener.engine_events(&events);
                }
            })
            .map_err(|err| e("starting the incident thread", &err))?;
        let sink: crate::live::EventSink = Arc::new(move |events: &[LiveEvent]| {
            let _ = events_tx.send(events.to_vec());
        });
        let tracker = Arc::new(crate::console::Tracker::default());
        let live = Live::start(
            Arc::clone(&agreement),
            Arc::clone(&feed),
            sink,
            Arc::clone(&tracker),
            Arc::clone(&config.clock),
        );
        if ledger.size() == 0 {
            let body = serde_json::json!({
                "agreement": agreement.id,
                "version": agreement.version,
                "title": agreement.title,
                "parties": agreement.parties.iter().map(|p| serde_json::json!({"id": p.id, "role": p.role.as_str()})).collect::<Vec<_>>(),
            });
            let everyone: Vec<String> = agreement
                .parties
                .iter()
                .filter(|p| p.role != Role::Mediator)
                .map(|p| p.id.clone())
                .collect();
            ledger
                .append_own(
                    "agreement/in-force",
                    everyone,
                    body,
                    config.clock.now_ms().max(0) as u64,
                )
                .map_err(|err| e("recording the agreement", &err))?;
        }
        let hooks = crate::webhooks::Hooks::load(store.as_ref())
            .map_err(|err| e("loading webhooks", &err))?;
        let webhook_tls =
            crate::webhooks::tls_config(webhook_ca).map_err(|err| e("webhook TLS", &err))?;
        Ok(Arc::new(AppState {
            // Tokens and challenges live in real time, whatever clock the mechanism runs on
            // (the demo's runs 600 times faster; a token must not expire in 1.5 s).
            auth: Auth::new(
                format!("truceline/{}", agreement.id),
                keys,
                Arc::new(crate::clock::SystemClock),
            ),
            agreement,
            live,
            tracker,
            feed,
            mech,
            ledger,
            store,
            clock: config.clock,
            log_key: config.log_key,
            data_dir: config.data_dir,
            subscribers: AtomicUsize::new(0),
            max_subscribers: config.max_subscribers,
            hooks,
            webhook_tls,
        }))
    }
}

/// Checks notice deadlines once a second (of real time).
pub fn start_ticker(state: Arc<AppState>) {
    tokio::spawn(async move {
        let mut interval = tokio::time::interval(std::time::Duration::from_secs(1));
        loop {
            interval.tick().await;
            let s = Arc::clone(&state);
            let _ = tokio::task::spawn_blocking(move || s.mech.tick()).await;
        }
    });
}
