//! The HTTP API: JSON over HTTP, problem details for errors, SSE for the live feed.
//! Every route but `/openapi.json`, `/v1/health` and sign-in needs a bearer token.

use std::sync::Arc;

use axum::extract::{DefaultBodyLimit, FromRequestParts};
use axum::http::{header, request::Parts};
use axum::routing::get;
use axum::{Json, Router};
use serde_json::{json, Value};

use crate::access::Principal;
use crate::error::{ApiError, ApiResult};
use crate::state::AppState;

/// What every resource's file uses.
pub(crate) mod prelude {
    pub(crate) use std::convert::Infallible;
    pub(crate) use std::sync::atomic::Ordering;
    pub(crate) use std::sync::Arc;
    pub(crate) use std::time::Duration;

    pub(crate) use axum::body::Bytes;
    pub(crate) use axum::extract::{Path, State};
    pub(crate) use axum::http::{header, HeaderMap, StatusCode};
    pub(crate) use axum::response::{Html, IntoResponse, Response};
    pub(crate) use axum::routing::{get, post};
    pub(crate) use axum::{Json, Router};
    pub(crate) use serde::Deserialize;
    pub(crate) use serde_json::{json, Value};
    pub(crate) use sha2::{Digest, Sha256};
    pub(crate) use truceline_engine::agreement::Role;

    pub(crate) use super::{blocking, Body, Query, MAX_PAGE, S};
    pub(crate) use crate::access::Principal;
    pub(crate) use crate::acts::{Act, Signing};
    pub(crate) use crate::error::{ApiError, ApiResult};
    pub(crate) use crate::feed::FeedItem;
    pub(crate) use crate::incidents::IncidentDraft;
    pub(crate) use crate::notices::NoticeDraft;
    pub(crate) use crate::state::AppState;
}

pub use acts::read_envelope;
pub use reports::ingest;

/// Largest request body (a batch of reports or an evidence file).
pub const MAX_BODY_BYTES: usize = 16 * 1024 * 1024;
/// Most items one list call returns.
pub const MAX_PAGE: usize = 1_000;

pub const OPENAPI: &str = include_str!("../../openapi.json");

pub(crate) type S = axum::extract::State<Arc<AppState>>;

/// Runs a blocking mechanism operation (it waits for a ledger commit) off the async
/// workers, and to completion even if the client goes away.
pub(crate) async fn blocking<T: Send + 'static, E: Send + 'static>(
    f: impl FnOnce() -> Result<T, E> + Send + 'static,
) -> ApiResult<T>
where
    ApiError: From<E>,
{
    tokio::task::spawn_blocking(f)
        .await
        .map_err(|e| ApiError::internal(e.to_string()))?
        .map_err(ApiError::from)
}

/// The principal behind the request's bearer token, for any state that can check tokens
/// (the whole API's, or a narrow one such as the console's).
impl<St: crate::auth::HasAuth + Send + Sync> FromRequestParts<Arc<St>> for Principal {
    type Rejection = ApiError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &Arc<St>,
    ) -> Result<Self, Self::Rejection> {
        let header = parts
            .headers
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok());
        let token = match header {
            Some(h) => h
                .strip_prefix("Bearer ")
                .ok_or_else(|| ApiError::unauthorized("use Authorization: Bearer <token>"))?
                .to_owned(),
            None => parts
                .uri
                .query()
                .and_then(|q| q.split('&').find_map(|kv| kv.strip_prefix("access_token=")))
                .map(str::to_owned)
                .ok_or_else(|| {
                    ApiError::unauthorized(
                        "sign in: POST /v1/auth/challenge, sign, POST /v1/auth/token",
                    )
                })?,
        };
        state.auth().principal(&token)
    }
}

/// JSON body with our problem details on rejection.
pub(crate) struct Body<T>(pub T);

/// A query string, with our problem details on rejection (axum's answers plain text).
pub(crate) struct Query<T>(pub T);

impl<T: serde::de::DeserializeOwned, St: Send + Sync> FromRequestParts<St> for Query<T> {
    type Rejection = ApiError;
    async fn from_request_parts(parts: &mut Parts, state: &St) -> Result<Self, Self::Rejection> {
        axum::extract::Query::<T>::from_request_parts(parts, state)
            .await
            .map(|axum::extract::Query(v)| Query(v))
            .map_err(|e| ApiError::bad_request(format!("query string: {}", e.body_text())))
    }
}

impl<T: serde::de::DeserializeOwned, St: Send + Sync> axum::extract::FromRequest<St> for Body<T> {
    type Rejection = ApiError;
    async fn from_request(
        req: axum::extract::Request,
        state: &St,
    ) -> Result<Self, Self::Rejection> {
        let Json(v) = Json::<T>::from_request(req, state).await?;
        Ok(Body(v))
    }
}

pub mod acts;
pub mod agreement;
pub mod auth;
pub mod evidence;
pub mod feed;
pub mod incidents;
pub mod ledger;
pub mod notices;
pub mod patrols;
pub mod phases;
pub mod reports;
pub mod summary;
pub mod talks;
pub mod webhooks;

/// The whole API: every resource's router, problem JSON for every error (413, 414 and
/// the framework's own rejections included), the body limit and the URI limit.
pub fn app(state: Arc<AppState>) -> Router {
    Router::new()
        .route(
            "/openapi.json",
            get(|| async { ([(header::CONTENT_TYPE, "application/json")], OPENAPI) }),
        )
        .route("/v1/health", get(health))
        .merge(auth::router())
        .merge(agreement::router())
        .merge(reports::router())
        .merge(feed::router())
        .merge(notices::router())
        .merge(incidents::router())
        .merge(acts::router())
        .merge(evidence::router())
        .merge(summary::router())
        .merge(webhooks::router())
        .merge(ledger::router())
        .merge(talks::router())
        .merge(phases::router())
        .merge(patrols::router())
        .fallback(|| async { ApiError::not_found("no such route; see /openapi.json") })
        .layer(DefaultBodyLimit::max(MAX_BODY_BYTES))
        .layer(axum::middleware::map_response(crate::error::as_problem))
        .layer(axum::middleware::from_fn(crate::error::limit_uri))
        .with_state(state)
}

async fn health(axum::extract::State(s): S) -> Json<Value> {
    Json(
        json!({"ok": true, "agreement": s.agreement.id, "ledger_size": s.ledger.size(), "feed": s.feed.last_id()}),
    )
}
