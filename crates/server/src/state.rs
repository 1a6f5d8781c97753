//! Wiring: the shared state every handler holds, and how it is opened from a data directory.

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::atomic::AtomicUsize;
use std::sync::Arc;

use truceline_engine::agreement::Role;
use truceline_engine::Agreement;
use truceline_ledger::keys::{Keyring, SignerKey, VerifierKey};
use truceline_ledger::ledger::{Ledger, LedgerConfig};

use crate::acts::Recorder;
use crate::auth::Auth;
use crate::clock::Clock;
use crate::disclosure::Disclosure;
use crate::feed::Feed;
use crate::live::{Live, Outlets};
use crate::mechanism::Mechanism;
use crate::policy::ServerPolicy;
use crate::projection::{Context, Projector};
use crate::store::{SqliteStore, Store};

pub const DEFAULT_MAX_SUBSCRIBERS: usize = 10_000;

/// What the server needs to start.
pub struct Config {
    pub agreement: Arc<Agreement>,
    pub policy: ServerPolicy,
    /// Holds `server.db`, `ledger.db` and `evidence/`.
    pub data_dir: PathBuf,
    /// Public keys of the principals, named by their party id in the agreement.
    pub keys: Vec<VerifierKey>,
    /// The mediator's log key: signs checkpoints, the server's own entries and webhooks.
    pub log_key: SignerKey,
    pub clock: Arc<dyn Clock>,
    pub max_subscribers: usize,
    /// Drop the projections (notices, incidents) and rebuild them from the ledger alone.
    pub rebuild: bool,
    /// The agreement's two files as read (server tables included): the version the
    /// mechanism runs is named by their hash (spec/negotiation.md). `None` when the
    /// agreement came from elsewhere; the version is then unnamed.
    pub agreement_files: Option<crate::talks::Bundle>,
}

/// The file in the data directory that holds the keys a verifier needs: each party's and
/// monitor's, and the log key under the mediator's id (it signs the mediator's entries).
pub const VERIFIER_KEYRING: &str = "verifier-keyring";

#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct StartError(pub String);

pub struct AppState {
    pub agreement: Arc<Agreement>,
    pub auth: Arc<Auth>,
    /// What the console's routes hold: not the whole state.
    pub console: Arc<crate::console::ConsoleState>,
    /// What webhook delivery holds.
    pub webhooks: Arc<crate::webhooks::Delivery>,
    pub live: Live,
    /// Units as last reported, for the console's map; the engine thread feeds it.
    pub tracker: Arc<crate::console::Tracker>,
    pub feed: Arc<Feed>,
    pub mech: Arc<Mechanism>,
    pub disclosure: Arc<Disclosure>,
    pub ledger: Arc<Ledger>,
    /// [`VERIFIER_KEYRING`]'s text, served at `/v1/ledger/keys`.
    pub verifier_keyring: String,
    pub store: Arc<dyn Store>,
    pub clock: Arc<dyn Clock>,
    pub log_key: SignerKey,
    pub data_dir: PathBuf,
    /// The files of the version the ledger began under (server tables blanked), for a
    /// party that drafts a change to it; `None` when the server was given none.
    pub starting_files: Option<crate::talks::Bundle>,
    pub subscribers: AtomicUsize,
    pub max_subscribers: usize,
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
        // The log key appears twice: under the mediator's id (it signs the mediator's
        // entries) and under the checkpoints' origin (it signs them), which is the name
        // `log verify` looks for when no --log-key is given.
        let ledger_ring_text = format!(
            "# The keys that verify this agreement's ledger: each party's and monitor's, and the\n# log key under the mediator's id and under the checkpoints' origin. For\n# `truceline log verify EXPORT --party-keys THIS-FILE`.\n{ledger_ring}{}\n",
            config.log_key.verifier()
        );
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
        let policy = config.policy;
        let disclosure = Arc::new(Disclosure::new(
            &agreement,
            policy.disclosure.clone(),
            policy.notices.clone(),
        ));
        let recorder = Arc::new(Recorder::new(
            &agreement,
            Arc::clone(&ledger),
            Arc::clone(&config.clock),
        ));
        let tracker = Arc::new(crate::console::Tracker::default());
        let tracks = Arc::new(crate::operations::tracks::PatrolTracks::new(
            &agreement,
            f64::from(agreement.operations().coverage_corridor_m),
        ));
        let starting_files = config
            .agreement_files
            .as_ref()
            .map(|files| crate::talks::Bundle {
                agreement_toml: crate::policy::without_server_tables(&files.agreement_toml),
                geometry: files.geometry.clone(),
            });
        let version_sha256 = match &starting_files {
            Some(files) => {
                files
                    .build()
                    .map_err(|err| e("naming the agreement's version", &err))?
                    .sha256
            }
            None => String::new(),
        };
        let (live, restored) = Live::start(
            Arc::clone(&agreement),
            version_sha256.clone(),
            Outlets {
                feed: Arc::clone(&feed),
                recorder: Arc::clone(&recorder),
                disclosure: Arc::clone(&disclosure),
            },
            Arc::clone(&tracker),
            Arc::clone(&tracks),
            Arc::clone(&config.clock),
        )
        .map_err(|err| {
            e(
                "replaying the ledger's report batches into the engine",
                &err,
            )
        })?;
        if restored.without_body > 0 {
            eprintln!(
                "truceline: {} report batches in the ledger predate kept bodies; the engine starts after them",
                restored.without_body
            );
        }
        if restored.events_recorded > 0 {
            eprintln!(
                "truceline: recorded {} events of report batches whose events a crash lost",
                restored.events_recorded
            );
        }
        if ledger.size() == 0 {
            let body = serde_json::json!({
                "agreement": agreement.id,
                "version": agreement.version,
                "title": agreement.title,
                "sha256": version_sha256,
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
        // The projections come level with the ledger (or are rebuilt from it) before the
        // server answers anyone.
        let projector = Projector::open(
            Arc::clone(&ledger),
            Arc::clone(&store),
            Arc::clone(&feed),
            Arc::clone(&disclosure),
            Context::new(&agreement, policy.incidents.join_within_ms()),
        )
        .map_err(|err| e("bringing the projections level with the ledger", &err))?;
        if config.rebuild {
            projector
                .rebuild()
                .map_err(|err| e("rebuilding the projections", &err))?;
        }
        projector
            .start_background()
            .map_err(|err| e("starting the projection thread", &err))?;
        let mech = Arc::new(Mechanism::new(
            Arc::clone(&agreement),
            policy,
            Arc::clone(&recorder),
            Arc::clone(&projector),
            Arc::clone(&disclosure),
            Arc::clone(&config.clock),
            crate::mechanism::EngineViews {
                versions: Arc::clone(live.versions()),
                tracks,
            },
        ));
        mech.recover_unchecked_notices()
            .map_err(|err| e("recording the checks a crash lost", &err))?;
        let verifier_keyring = ledger_ring_text;
        std::fs::write(config.data_dir.join(VERIFIER_KEYRING), &verifier_keyring)
            .map_err(|err| e("writing the verifier keyring", &err))?;
        secure_data_dir(&config.data_dir).map_err(|err| e("securing the data directory", &err))?;
        let webhook_tls =
            crate::webhooks::tls_config(webhook_ca).map_err(|err| e("webhook TLS", &err))?;
        // Tokens and challenges live in real time, whatever clock the mechanism runs on
        // (the demo's runs faster; a token must not expire in seconds).
        let auth = Arc::new(Auth::new(
            format!("truceline/{}", agreement.id),
            keys,
            Arc::new(crate::clock::SystemClock),
        ));
        let console = Arc::new(crate::console::ConsoleState {
            auth: Arc::clone(&auth),
            agreement: Arc::clone(&agreement),
            versions: Arc::clone(live.versions()),
            tracker: Arc::clone(&tracker),
            clock: Arc::clone(&config.clock),
            basemap: std::sync::OnceLock::new(),
        });
        let webhooks = Arc::new(crate::webhooks::Delivery::new(
            projector,
            recorder,
            Arc::clone(&agreement),
            Arc::clone(&feed),
            Arc::clone(&store),
            Arc::clone(&config.clock),
            config.log_key.clone(),
            webhook_tls,
        ));
        Ok(Arc::new(AppState {
            auth,
            console,
            webhooks,
            agreement,
            live,
            tracker,
            feed,
            mech,
            disclosure,
            ledger,
            verifier_keyring,
            store,
            clock: config.clock,
            log_key: config.log_key,
            data_dir: config.data_dir,
            starting_files,
            subscribers: AtomicUsize::new(0),
            max_subscribers: config.max_subscribers,
        }))
    }
}

/// The data directory holds the record and its keys: only its owner reads it (0700 for
/// directories, 0600 for files, whatever the umask made them).
fn secure_data_dir(dir: &std::path::Path) -> std::io::Result<()> {
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o700))?;
    for entry in std::fs::read_dir(dir)? {
        let entry = entry?;
        let kind = entry.file_type()?;
        if kind.is_dir() {
            secure_data_dir(&entry.path())?;
        } else if kind.is_file() {
            std::fs::set_permissions(entry.path(), std::fs::Permissions::from_mode(0o600))?;
        }
    }
    Ok(())
}

/// Checks notice and operations deadlines once a second (of real time).
pub fn start_ticker(state: Arc<AppState>) {
    tokio::spawn(async move {
        let mut interval = tokio::time::interval(std::time::Duration::from_secs(1));
        loop {
            interval.tick().await;
            let s = Arc::clone(&state);
            let _ = tokio::task::spawn_blocking(move || {
                s.mech.tick();
                s.mech.tick_operations();
            })
            .await;
        }
    });
}

impl crate::auth::HasAuth for AppState {
    fn auth(&self) -> &Auth {
        &self.auth
    }
}
