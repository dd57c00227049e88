//! HTTP publication: the DCAT-AP catalogue (`/catalog`), OAI-PMH (`/oai`), the SPARQL endpoint
//! (`/sparql`, with a query page for browsers), the
//! operational JSON (`/api/sources`, `/api/runs`), `/health`, and the admin API
//! (`/api/admin/...`, behind a bearer token; see `docs/api.md`).
//!
//! ```no_run
//! # async fn f(state: alzette_server::AppState) -> std::io::Result<()> {
//! let listener = tokio::net::TcpListener::bind("127.0.0.1:8080").await?;
//! alzette_server::serve(listener, state, tokio_util::sync::CancellationToken::new()).await
//! # }
//! ```

mod admin;
mod api;
mod catalog;
mod listen;
mod negotiate;
mod oai;
mod query_page;
mod rdf;
mod sparql;

use alzette_config::{CatalogConfig, ServerConfig};
use alzette_runlog::RunLog;
use alzette_store::RecordStore;
use axum::Router;
use axum::routing::{get, post};
use std::sync::{Arc, RwLock};
use tokio_util::sync::CancellationToken;

pub use admin::{Admin, AdminAccess, AdminError};
pub use api::{Duplicate, DuplicateRecord};
pub use negotiate::negotiate;
pub use query_page::example;
pub use rdf::serialize;
pub use sparql::{Answer, Failure, QueryRequest, QueryWorkers, WorkerCommand, serve_worker};

/// What a source looks like to the operational API.
#[derive(Debug, Clone, serde::Serialize)]
pub struct SourceSummary {
    pub id: String,
    pub kind: String,
    pub url: String,
    pub schedule: String,
    pub enabled: bool,
}

/// What the scheduler says of a source, for `/api/sources`.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
pub struct ScheduleState {
    /// When its schedule fires next; `None` when disabled or without a future firing.
    pub next_run: Option<chrono::DateTime<chrono::Utc>>,
    /// Firings skipped since the daemon started: while paused, and while the previous run was
    /// still going.
    pub skipped_firings: SkippedFirings,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
pub struct SkippedFirings {
    pub paused: u64,
    pub running: u64,
}

/// Who tells the server about the schedule (the daemon's scheduler; the server itself does not
/// schedule).
pub trait ScheduleView: Send + Sync {
    /// `None` for a source the scheduler does not have.
    fn state(&self, source: &str) -> Option<ScheduleState>;
}

/// Everything the handlers share.
#[derive(Clone)]
pub struct AppState {
    pub store: Arc<RecordStore>,
    pub runlog: Arc<RunLog>,
    pub config: Arc<ServerConfig>,
    pub sources: Arc<SourceList>,
    /// The admin API; `None` turns it off.
    pub admin: Option<AdminAccess>,
    /// The SPARQL concurrency limit.
    pub queries: Arc<sparql::QueryGate>,
    /// The processes SPARQL queries are evaluated in.
    pub workers: Arc<QueryWorkers>,
    /// How the catalogue describes itself (replaced on reload).
    pub catalog: Arc<RwLock<CatalogConfig>>,
    /// The scheduler's view of the sources, when one runs.
    pub schedule: Option<Arc<dyn ScheduleView>>,
}

impl AppState {
    pub fn new(
        store: Arc<RecordStore>,
        runlog: Arc<RunLog>,
        config: ServerConfig,
        catalog: Arc<RwLock<CatalogConfig>>,
        sources: Arc<SourceList>,
        admin: Option<AdminAccess>,
        workers: WorkerCommand,
    ) -> Self {
        let queries = Arc::new(sparql::QueryGate::new(
            config.max_concurrent_queries,
            config.max_queued_queries,
        ));
        let workers = Arc::new(QueryWorkers::new(
            workers,
            config.query_memory_limit,
            config.max_concurrent_queries,
        ));
        Self {
            store,
            runlog,
            config: Arc::new(config),
            sources,
            admin,
            queries,
            workers,
            catalog,
            schedule: None,
        }
    }

    /// Reports what `schedule` says of each source in `/api/sources`.
    pub fn with_schedule(mut self, schedule: Arc<dyn ScheduleView>) -> Self {
        self.schedule = Some(schedule);
        self
    }
}

/// The configured sources, replaced as a whole when the configuration is reloaded.
#[derive(Default)]
pub struct SourceList(RwLock<Arc<Vec<SourceSummary>>>);

impl SourceList {
    pub fn new(sources: Vec<SourceSummary>) -> Self {
        Self(RwLock::new(Arc::new(sources)))
    }

    pub fn get(&self) -> Arc<Vec<SourceSummary>> {
        Arc::clone(&self.0.read().expect("source list lock"))
    }

    pub fn set(&self, sources: Vec<SourceSummary>) {
        *self.0.write().expect("source list lock") = Arc::new(sources);
    }
}

/// The routes.
pub fn router(state: AppState) -> Router {
    let body_limit = usize::try_from(state.config.max_request_body_size).unwrap_or(usize::MAX);
    // Admin actions take no body: anything beyond a few bytes is refused before it is read.
    let admin = Router::new()
        .route("/api/admin/sources/{id}/run", post(admin::run_now))
        .route("/api/admin/sources/{id}/pause", post(admin::pause))
        .route("/api/admin/sources/{id}/resume", post(admin::resume))
        .route("/api/admin/reload", post(admin::reload))
        .route_layer(axum::middleware::from_fn_with_state(
            state.clone(),
            admin::guard,
        ))
        .layer(axum::extract::DefaultBodyLimit::max(4096));
    Router::new()
        .merge(admin)
        .route("/", get(api::index))
        .route("/health", get(api::health))
        .route("/api/sources", get(api::sources))
        .route("/api/runs", get(api::runs))
        .route("/api/duplicates", get(api::duplicates))
        .route("/catalog", get(catalog::federation))
        .route("/catalog.ttl", get(catalog::federation_ttl))
        .route("/catalog.rdf", get(catalog::federation_rdf))
        .route("/catalog.jsonld", get(catalog::federation_jsonld))
        .route("/catalog.nt", get(catalog::federation_nt))
        .route("/catalog/{source}", get(catalog::source))
        .route("/oai", get(oai::get).post(oai::post))
        .route(
            &format!(
                "/assets/yasgui-{}/yasgui.min.js",
                query_page::YASGUI_VERSION
            ),
            get(query_page::script),
        )
        .route(
            &format!(
                "/assets/yasgui-{}/yasgui.min.css",
                query_page::YASGUI_VERSION
            ),
            get(query_page::style),
        )
        .route(
            "/sparql",
            get(sparql::get)
                .post(sparql::post)
                .layer(tower_http::cors::CorsLayer::permissive()),
        )
        .layer(axum::extract::DefaultBodyLimit::max(body_limit))
        .layer(tower_http::timeout::RequestBodyTimeoutLayer::new(
            state.config.request_body_timeout,
        ))
        .layer(tower_http::compression::CompressionLayer::new())
        .with_state(state)
}

/// Serves until `shutdown` is cancelled, then finishes the requests under way.
pub async fn serve(
    listener: tokio::net::TcpListener,
    state: AppState,
    shutdown: CancellationToken,
) -> std::io::Result<()> {
    // Idle query workers that opened the store before it changed hold replaced files (and
    // memory): they are stopped within a few seconds rather than at the next query.
    let retire = {
        let (workers, store) = (Arc::clone(&state.workers), Arc::clone(&state.store));
        tokio::spawn(async move {
            let mut tick = tokio::time::interval(std::time::Duration::from_secs(5));
            loop {
                tick.tick().await;
                workers.retire_stale(store.version());
            }
        })
    };
    let _stop_retiring = AbortOnDrop(retire);
    let limits = listen::ConnectionLimits {
        header_read_timeout: state.config.header_read_timeout,
        max_connections: state.config.max_connections,
    };
    listen::accept(listener, router(state), limits, shutdown).await
}

struct AbortOnDrop(tokio::task::JoinHandle<()>);

impl Drop for AbortOnDrop {
    fn drop(&mut self) {
        self.0.abort();
    }
}
