//! The admin JSON API (`/api/admin/...`): run a source now, pause and resume its schedule,
//! re-read the configuration. Every request needs `Authorization: Bearer TOKEN`; without a
//! configured token the API is off. What the actions do is the binary's business ([`Admin`]):
//! this module only guards and routes.

use crate::AppState;
use alzette_config::Secret;
use axum::Json;
use axum::extract::{Path, Request, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use futures_util::future::BoxFuture;
use sha2::{Digest, Sha256};
use std::sync::Arc;

/// The actions behind the admin API.
pub trait Admin: Send + Sync {
    /// Starts a run of `source` now; `allow_shrink` accepts deleting beyond `max_shrink`.
    fn run_now<'a>(
        &'a self,
        source: &'a str,
        allow_shrink: bool,
    ) -> BoxFuture<'a, Result<(), AdminError>>;
    /// Pauses (`true`) or resumes (`false`) the schedule of `source`.
    fn set_paused<'a>(
        &'a self,
        source: &'a str,
        paused: bool,
    ) -> BoxFuture<'a, Result<(), AdminError>>;
    /// Re-reads the configuration; answers what changed.
    fn reload(&self) -> BoxFuture<'_, Result<serde_json::Value, AdminError>>;
}

/// Why an admin action was refused, with the HTTP status it maps to.
#[derive(Debug, Clone)]
pub enum AdminError {
    /// 404: no such source.
    NotFound(String),
    /// 409: e.g. the source is already running.
    Conflict(String),
    /// 422: e.g. the new configuration is invalid (the old one stays).
    Invalid(String),
    /// 503: e.g. the daemon is stopping.
    Unavailable(String),
}

impl std::fmt::Display for AdminError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::NotFound(m) | Self::Conflict(m) | Self::Invalid(m) | Self::Unavailable(m) => {
                f.write_str(m)
            }
        }
    }
}

/// The admin API's token and actions.
#[derive(Clone)]
pub struct AdminAccess {
    pub token: Secret,
    pub actions: Arc<dyn Admin>,
}

/// Checks the bearer token before any admin handler runs.
pub async fn guard(
    State(state): State<AppState>,
    headers: HeaderMap,
    request: Request,
    next: Next,
) -> Response {
    let Some(admin) = &state.admin else {
        return json_error(
            StatusCode::NOT_FOUND,
            "the admin API is off: set [server] admin_token or ALZETTE_ADMIN_TOKEN to turn it on"
                .into(),
        );
    };
    let given = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(bearer_token);
    match given {
        Some(token) if same_secret(token, admin.token.expose()) => next.run(request).await,
        _ => {
            tracing::warn!("admin API: request refused, missing or wrong bearer token");
            let mut response = json_error(
                StatusCode::UNAUTHORIZED,
                "missing or wrong token: send `Authorization: Bearer TOKEN`".into(),
            );
            response.headers_mut().insert(
                header::WWW_AUTHENTICATE,
                header::HeaderValue::from_static("Bearer realm=\"alzette-admin\""),
            );
            response
        }
    }
}

/// Compares in time that depends on neither value: both are hashed first (so their lengths do
/// not show either), then every byte of the digests is compared.
fn same_secret(given: &str, expected: &str) -> bool {
    let a = Sha256::digest(given.as_bytes());
    let b = Sha256::digest(expected.as_bytes());
    let difference = a
        .iter()
        .zip(b.iter())
        .fold(0u8, |acc, (x, y)| acc | (x ^ y));
    std::hint::black_box(difference) == 0
}

/// `POST /api/admin/sources/{id}/run[?allow_shrink=true]`.
#[derive(Debug, serde::Deserialize)]
pub struct RunParams {
    #[serde(default)]
    allow_shrink: bool,
}

pub async fn run_now(
    State(state): State<AppState>,
    Path(source): Path<String>,
    params: Result<axum::extract::Query<RunParams>, axum::extract::rejection::QueryRejection>,
) -> Response {
    let admin = state.admin.as_ref().expect("guarded");
    let Ok(axum::extract::Query(params)) = params else {
        return (
            StatusCode::BAD_REQUEST,
            Json(serde_json::json!({
                "error": "the query string takes allow_shrink=true or allow_shrink=false"
            })),
        )
            .into_response();
    };
    match admin.actions.run_now(&source, params.allow_shrink).await {
        Ok(()) => (
            StatusCode::ACCEPTED,
            Json(serde_json::json!({
                "source": source,
                "status": "started",
                "runs": format!("{}api/runs?source={source}", state.config.base_uri),
            })),
        )
            .into_response(),
        Err(e) => admin_error(e),
    }
}

pub async fn pause(State(state): State<AppState>, Path(source): Path<String>) -> Response {
    set_paused(state, source, true).await
}

pub async fn resume(State(state): State<AppState>, Path(source): Path<String>) -> Response {
    set_paused(state, source, false).await
}

async fn set_paused(state: AppState, source: String, paused: bool) -> Response {
    let admin = state.admin.as_ref().expect("guarded");
    match admin.actions.set_paused(&source, paused).await {
        Ok(()) => Json(serde_json::json!({ "source": source, "paused": paused })).into_response(),
        Err(e) => admin_error(e),
    }
}

pub async fn reload(State(state): State<AppState>) -> Response {
    let admin = state.admin.as_ref().expect("guarded");
    match admin.actions.reload().await {
        Ok(report) => Json(report).into_response(),
        Err(e) => admin_error(e),
    }
}

fn admin_error(e: AdminError) -> Response {
    match e {
        AdminError::NotFound(m) => json_error(StatusCode::NOT_FOUND, m),
        AdminError::Conflict(m) => json_error(StatusCode::CONFLICT, m),
        AdminError::Invalid(m) => json_error(StatusCode::UNPROCESSABLE_ENTITY, m),
        AdminError::Unavailable(m) => json_error(StatusCode::SERVICE_UNAVAILABLE, m),
    }
}

pub(crate) fn json_error(status: StatusCode, message: String) -> Response {
    (status, Json(serde_json::json!({ "error": message }))).into_response()
}

#[cfg(test)]
mod tests {
    use super::same_secret;

    #[test]
    fn secrets_compare_by_value() {
        assert!(same_secret("0123456789abcdef", "0123456789abcdef"));
        assert!(!same_secret("0123456789abcdeF", "0123456789abcdef"));
        assert!(!same_secret("", "0123456789abcdef"));
        assert!(!same_secret("0123456789abcdef0", "0123456789abcdef"));
    }
}

/// The token of an `Authorization: Bearer TOKEN` value; the scheme's case does not matter
/// (RFC 9110, 11.1).
fn bearer_token(value: &str) -> Option<&str> {
    let (scheme, token) = value.trim().split_once(' ')?;
    scheme
        .eq_ignore_ascii_case("bearer")
        .then(|| token.trim())
        .filter(|t| !t.is_empty())
}

#[cfg(test)]
mod bearer_tests {
    use super::bearer_token;

    #[test]
    fn the_scheme_is_case_insensitive() {
        assert_eq!(bearer_token("Bearer abc"), Some("abc"));
        assert_eq!(bearer_token("bearer abc"), Some("abc"));
        assert_eq!(bearer_token("BEARER  abc "), Some("abc"));
        assert_eq!(bearer_token("Basic abc"), None);
        assert_eq!(bearer_token("Bearer "), None);
        assert_eq!(bearer_token("Bearerabc"), None);
    }
}
