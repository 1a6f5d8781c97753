//! One error type for the whole API, answered as RFC 9457 problem details.

use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use serde_json::{json, Value};
use std::sync::Arc;

/// What went wrong, with the HTTP status it maps to. Every handler returns this; nothing
/// changes state before a handler has decided it will not return one.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{title}: {detail}")]
pub struct ApiError {
    pub status: StatusCode,
    pub title: &'static str,
    pub detail: String,
    /// Extension members of the problem (RFC 9457 section 3.2), merged into the body.
    pub ext: Option<Arc<Value>>,
}

impl ApiError {
    pub fn new(status: StatusCode, title: &'static str, detail: impl Into<String>) -> Self {
        ApiError {
            status,
            title,
            detail: detail.into(),
            ext: None,
        }
    }
    /// Adds extension members (an object) to the problem.
    pub fn with_ext(mut self, ext: Value) -> Self {
        self.ext = Some(Arc::new(ext));
        self
    }
    pub fn bad_request(detail: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, "bad request", detail)
    }
    pub fn unprocessable(detail: impl Into<String>) -> Self {
        Self::new(StatusCode::UNPROCESSABLE_ENTITY, "invalid input", detail)
    }
    pub fn unauthorized(detail: impl Into<String>) -> Self {
        Self::new(StatusCode::UNAUTHORIZED, "not signed in", detail)
    }
    pub fn forbidden(detail: impl Into<String>) -> Self {
        Self::new(StatusCode::FORBIDDEN, "not allowed", detail)
    }
    /// Also used for what exists but the caller may not see, so that ids leak nothing.
    pub fn not_found(detail: impl Into<String>) -> Self {
        Self::new(StatusCode::NOT_FOUND, "not found", detail)
    }
    pub fn precondition_required(detail: impl Into<String>) -> Self {
        Self::new(
            StatusCode::PRECONDITION_REQUIRED,
            "signature required",
            detail,
        )
    }
    pub fn conflict(detail: impl Into<String>) -> Self {
        Self::new(StatusCode::CONFLICT, "conflict", detail)
    }
    pub fn too_large(detail: impl Into<String>) -> Self {
        Self::new(StatusCode::PAYLOAD_TOO_LARGE, "too large", detail)
    }
    pub fn unavailable(detail: impl Into<String>) -> Self {
        Self::new(StatusCode::SERVICE_UNAVAILABLE, "unavailable", detail)
    }
    pub fn internal(detail: impl Into<String>) -> Self {
        Self::new(StatusCode::INTERNAL_SERVER_ERROR, "internal error", detail)
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        if self.status.is_server_error() {
            tracing::error!(status = %self.status, detail = %self.detail, "request failed");
        }
        let mut body = json!({
            "type": "about:blank",
            "title": self.title,
            "status": self.status.as_u16(),
            "detail": self.detail,
        });
        if let (Some(Value::Object(ext)), Some(o)) = (self.ext.as_deref(), body.as_object_mut()) {
            for (k, v) in ext {
                o.entry(k.clone()).or_insert_with(|| v.clone());
            }
        }
        let mut response = (self.status, body.to_string()).into_response();
        response.headers_mut().insert(
            header::CONTENT_TYPE,
            header::HeaderValue::from_static("application/problem+json"),
        );
        response
    }
}

impl From<axum::extract::rejection::JsonRejection> for ApiError {
    fn from(rejection: axum::extract::rejection::JsonRejection) -> Self {
        use axum::extract::rejection::JsonRejection as J;
        match rejection {
            J::BytesRejection(_) => ApiError::too_large(rejection.body_text()),
            J::MissingJsonContentType(_) => ApiError::new(
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                "unsupported media type",
                "send the body as application/json",
            ),
            _ => ApiError::unprocessable(rejection.body_text()),
        }
    }
}

pub type ApiResult<T> = Result<T, ApiError>;

/// The one mapping of the domains' refusals to HTTP.
impl From<crate::refusal::Refusal> for ApiError {
    fn from(r: crate::refusal::Refusal) -> Self {
        use crate::refusal::Refusal as R;
        match r {
            R::Invalid(d) => ApiError::unprocessable(d),
            R::Forbidden(d) => ApiError::forbidden(d),
            R::NotFound(d) => ApiError::not_found(d),
            R::Conflict(d) => ApiError::conflict(d),
            R::Unavailable(d) => ApiError::unavailable(d),
            R::SignatureRequired { detail, envelope } => {
                let mut e = ApiError::precondition_required(detail);
                e.ext = Some(envelope);
                e
            }
            R::Internal(d) => ApiError::internal(d),
        }
    }
}

/// Longest request target (path and query) the API reads.
pub const MAX_URI_BYTES: usize = 8 * 1024;

/// Refuses a request whose URI is longer than [`MAX_URI_BYTES`] with 414, as problem JSON.
pub async fn limit_uri(request: axum::extract::Request, next: axum::middleware::Next) -> Response {
    let len = request
        .uri()
        .path_and_query()
        .map_or(0, |p| p.as_str().len());
    if len > MAX_URI_BYTES {
        return ApiError::new(
            StatusCode::URI_TOO_LONG,
            "URI too long",
            format!("the request target is {len} bytes; at most {MAX_URI_BYTES}"),
        )
        .into_response();
    }
    next.run(request).await
}

/// Most of a non-problem error body kept as the problem's detail.
const MAX_DETAIL_BYTES: usize = 2048;

/// Every error answer is problem JSON (RFC 9457): the framework's own rejections (a body
/// over the limit, a method not allowed, a path that does not parse) answer plain text,
/// and this turns them into problems with the same status and their text as the detail.
pub async fn as_problem(response: Response) -> Response {
    let status = response.status();
    let is_problem = response
        .headers()
        .get(header::CONTENT_TYPE)
        .is_some_and(|v| v.as_bytes().starts_with(b"application/problem+json"));
    if !(status.is_client_error() || status.is_server_error()) || is_problem {
        return response;
    }
    let body = response.into_body();
    let detail = match axum::body::to_bytes(body, MAX_DETAIL_BYTES).await {
        Ok(bytes) if !bytes.is_empty() => String::from_utf8_lossy(&bytes).into_owned(),
        _ => status.canonical_reason().unwrap_or("error").to_owned(),
    };
    let title = match status {
        StatusCode::PAYLOAD_TOO_LARGE => "too large",
        StatusCode::METHOD_NOT_ALLOWED => "method not allowed",
        StatusCode::UNSUPPORTED_MEDIA_TYPE => "unsupported media type",
        StatusCode::URI_TOO_LONG => "URI too long",
        s if s.is_server_error() => "internal error",
        _ => "bad request",
    };
    ApiError::new(status, title, detail).into_response()
}
