//! Operational read-only JSON: `/health`, `/api/sources`, `/api/runs`; and `/`, a page that says
//! where everything is.

use crate::AppState;
use crate::catalog::error;
use axum::Json;
use axum::extract::{Query, State};
use axum::http::{StatusCode, header};
use axum::response::{Html, IntoResponse, Response};
use serde::{Deserialize, Serialize};

pub async fn health(State(state): State<AppState>) -> Response {
    Json(serde_json::json!({
        "status": "ok",
        "records": state.store.count(None),
    }))
    .into_response()
}

/// A source with how it last ran and what it holds now.
#[derive(Serialize)]
pub struct SourceStatus {
    #[serde(flatten)]
    pub source: crate::SourceSummary,
    pub records: usize,
    /// Since when its schedule is paused (admin API), if it is.
    pub paused_since: Option<chrono::DateTime<chrono::Utc>>,
    pub last_run: Option<alzette_runlog::Run>,
    /// What the scheduler says of it (absent when no scheduler runs).
    #[serde(flatten, skip_serializing_if = "Option::is_none")]
    pub schedule: Option<crate::ScheduleState>,
}

pub async fn sources(State(state): State<AppState>) -> Response {
    let mut out = Vec::new();
    for s in state.sources.get().iter() {
        let status = state
            .runlog
            .last_run(&s.id)
            .and_then(|last| Ok((last, state.runlog.paused_since(&s.id)?)));
        let (last_run, paused_since) = match status {
            Ok(r) => r,
            Err(e) => return error(StatusCode::INTERNAL_SERVER_ERROR, e.to_string()),
        };
        out.push(SourceStatus {
            source: s.clone(),
            records: state.store.count(Some(&s.id)),
            paused_since,
            last_run,
            schedule: state.schedule.as_ref().and_then(|v| v.state(&s.id)),
        });
    }
    Json(out).into_response()
}

#[derive(Deserialize)]
pub struct RunsQuery {
    source: Option<String>,
    limit: Option<usize>,
}

pub async fn runs(State(state): State<AppState>, Query(q): Query<RunsQuery>) -> Response {
    match state
        .runlog
        .runs(q.source.as_deref(), q.limit.unwrap_or(20).min(1000))
    {
        Ok(runs) => Json(runs).into_response(),
        Err(e) => error(StatusCode::INTERNAL_SERVER_ERROR, e.to_string()),
    }
}

pub async fn index(State(state): State<AppState>) -> Response {
    let base = &state.config.base_uri;
    let sources: String = state
        .sources
        .get()
        .iter()
        .map(|s| {
            format!(
                "<li><a href=\"{base}catalog/{id}\">{id}</a> ({kind}, {n} records)</li>",
                id = s.id,
                kind = s.kind,
                n = state.store.count(Some(&s.id))
            )
        })
        .collect();
    let page = format!(
        "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>Alzette</title></head><body>\
         <h1>Alzette</h1><p>{n} records harvested.</p>\
         <ul><li><a href=\"{base}catalog\">Federation catalogue</a> (DCAT-AP; Turtle, RDF/XML, JSON-LD, N-Triples)</li>\
         <li><a href=\"{base}sparql\">SPARQL endpoint</a> (a query page in a browser)</li>\
         <li><a href=\"{base}api/sources\">Sources</a> and <a href=\"{base}api/runs\">runs</a> (JSON)</li></ul>\
         <h2>Sources</h2><ul>{sources}</ul></body></html>",
        n = state.store.count(None),
    );
    ([(header::CACHE_CONTROL, "no-cache")], Html(page)).into_response()
}
