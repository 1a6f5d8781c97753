//! truceline's mechanism server: the parties' liaison cells, the mediator, monitors and
//! observers connect with their own Ed25519 keys and see what the agreement lets them see.
//!
//! Boundary and invariants:
//! - [`app`] builds the whole HTTP API as a `Router` over an [`AppState`]; tests drive it
//!   in-process or on 127.0.0.1 port 0. [`serve`] runs it until a shutdown signal.
//! - One engine thread ([`live`]) applies report batches in arrival order; a batch is
//!   checked whole before any report in it is applied.
//! - Whom an item is for is its [`access::Audience`]; what each principal sees of it is
//!   [`disclosure::Disclosure`]'s, by every route (API, feed, streams, webhooks, search,
//!   ledger entries and so exports). Ids a caller may not see answer 404 like ids that do
//!   not exist.
//! - The engine owns compliance state (open breaches, cap totals: [`live::Snapshot`]); the
//!   ledger owns the record. Notices, incidents and their feed items are a projection of
//!   ledger entries ([`projection`]), brought level with the ledger on open and rebuilt
//!   from it alone by `serve --rebuild`; their ids are ledger indices.
//! - A party's or monitor's own acts (notices, answers, withdrawals, incident reports,
//!   responses, investigations) are entries it signs with its own key (`POST /v1/acts`;
//!   [`acts::Signing`]); the log key signs only the mediator's entries. The server holds
//!   no private key but the log's.
//! - A feed item is committed to disk before any stream or webhook sees it.
//! - "Now" comes from a [`clock::Clock`].

pub mod access;
pub mod acts;
pub mod api;
pub mod auth;
pub mod basemap;
pub mod clock;
pub mod console;
pub mod disclosure;
pub mod error;
pub mod feed;
pub mod geo;
pub mod incidents;
pub mod live;
pub mod mechanism;
pub mod notices;
pub mod operations;
pub mod phases;
pub mod policy;
pub mod projection;
pub mod refusal;
pub mod state;
pub mod store;
pub mod summary;
pub mod talks;
pub mod webhooks;

pub use state::{AppState, Config};

use std::sync::Arc;

/// The whole HTTP surface: the API ([`api::app`]) and the web console ([`console`]) at `/`.
pub fn app(state: Arc<AppState>) -> axum::Router {
    api::app(Arc::clone(&state)).merge(console::router(Arc::clone(&state.console)))
}

/// Serves `state` on `listener` until `shutdown` resolves.
pub async fn serve(
    listener: tokio::net::TcpListener,
    state: Arc<AppState>,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    use axum::serve::ListenerExt;
    webhooks::start(Arc::clone(&state.webhooks));
    state::start_ticker(Arc::clone(&state));
    // Without TCP_NODELAY a stream's second small write waits for the ACK of the first,
    // which the client delays (40 ms or more): events would reach subscribers late.
    let listener = listener.tap_io(|tcp| {
        if let Err(e) = tcp.set_nodelay(true) {
            tracing::warn!("TCP_NODELAY: {e}");
        }
    });
    axum::serve(listener, app(state))
        .with_graceful_shutdown(shutdown)
        .await
}
