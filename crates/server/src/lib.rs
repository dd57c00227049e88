//! HTTP publication: the DCAT-AP catalogue (`/catalog`), the SPARQL endpoint (`/sparql`), the
//! operational JSON (`/api/sources`, `/api/runs`) and `/health`.
//!
//! ```no_run
//! # async fn f(state: alzette_server::AppState) -> std::io::Result<()> {
//! let listener = tokio::net::TcpListener::bind("127.0.0.1:8080").await?;
//! alzette_server::serve(listener, state, tokio_util::sync::CancellationToken::new()).await
//! # }
//! ```

mod api;
mod catalog;
mod negotiate;
mod rdf;
mod sparql;

use alzette_config::ServerConfig;
use alzette_runlog::RunLog;
use alzette_store::RecordStore;
use axum::Router;
use axum::routing::get;
use std::sync::Arc;
use tokio_util::sync::CancellationToken;

pub use negotiate::negotiate;

/// What a source looks like to the operational API.
#[derive(Debug, Clone, serde::Serialize)]
pub struct SourceSummary {
    pub id: String,
    pub kind: String,
    pub url: String,
    pub schedule: String,
    pub enabled: bool,
}

/// Everything the handlers share.
#[derive(Clone)]
pub struct AppState {
    pub store: Arc<RecordStore>,
    pub runlog: Arc<RunLog>,
    pub config: Arc<ServerConfig>,
    pub sources: Arc<Vec<SourceSummary>>,
}

/// The routes.
pub fn router(state: AppState) -> Router {
    let body_limit = usize::try_from(state.config.max_request_body_size).unwrap_or(usize::MAX);
    Router::new()
        .route("/", get(api::index))
        .route("/health", get(api::health))
        .route("/api/sources", get(api::sources))
        .route("/api/runs", get(api::runs))
        .route("/catalog", get(catalog::federation))
        .route("/catalog.ttl", get(catalog::federation_ttl))
        .route("/catalog.rdf", get(catalog::federation_rdf))
        .route("/catalog.jsonld", get(catalog::federation_jsonld))
        .route("/catalog.nt", get(catalog::federation_nt))
        .route("/catalog/{source}", get(catalog::source))
        .route(
            "/sparql",
            get(sparql::get)
                .post(sparql::post)
                .layer(tower_http::cors::CorsLayer::permissive()),
        )
        .layer(axum::extract::DefaultBodyLimit::max(body_limit))
        .layer(tower_http::compression::CompressionLayer::new())
        .with_state(state)
}

/// Serves until `shutdown` is cancelled, then finishes the requests under way.
pub async fn serve(
    listener: tokio::net::TcpListener,
    state: AppState,
    shutdown: CancellationToken,
) -> std::io::Result<()> {
    axum::serve(listener, router(state))
        .with_graceful_shutdown(async move { shutdown.cancelled().await })
        .await
}
