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
    let published = match state.store.published_count() {
        Ok(n) => n,
        Err(e) => return error(StatusCode::INTERNAL_SERVER_ERROR, e.to_string()),
    };
    Json(serde_json::json!({
        "status": "ok",
        "records": state.store.count(None),
        "published": published,
    }))
    .into_response()
}

/// One record of a resource described by several sources.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct DuplicateRecord {
    pub source: String,
    /// The record's IRI (its graph and `dcat:CatalogRecord`).
    pub record: String,
    pub resource: Option<String>,
    pub published: bool,
}

/// A resource described by several sources: which record is published, and why.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Duplicate {
    /// The published resource.
    pub resource: Option<String>,
    pub published_from: String,
    /// `highest priority`, `same priority, had the resource first`, …
    pub reason: String,
    /// The published records first.
    pub records: Vec<DuplicateRecord>,
}

impl From<alzette_store::DuplicateCluster> for Duplicate {
    fn from(c: alzette_store::DuplicateCluster) -> Self {
        let records: Vec<DuplicateRecord> = c
            .members
            .into_iter()
            .map(|m| DuplicateRecord {
                source: m.source,
                record: m.record.into_string(),
                resource: m.resource.map(|r| r.into_string()),
                published: m.published,
            })
            .collect();
        Self {
            resource: records.first().and_then(|r| r.resource.clone()),
            published_from: records
                .first()
                .map(|r| r.source.clone())
                .unwrap_or_default(),
            reason: c.reason.to_owned(),
            records,
        }
    }
}

#[derive(Deserialize)]
pub struct DuplicatesQuery {
    source: Option<String>,
}

/// `/api/duplicates[?source=ID]`: resources described by several sources.
pub async fn duplicates(
    State(state): State<AppState>,
    Query(q): Query<DuplicatesQuery>,
) -> Response {
    match state.store.duplicates(q.source.as_deref()) {
        Ok(clusters) => Json(
            clusters
                .into_iter()
                .map(Duplicate::from)
                .collect::<Vec<_>>(),
        )
        .into_response(),
        Err(e) => error(StatusCode::INTERNAL_SERVER_ERROR, e.to_string()),
    }
}

/// A source with how it last ran and what it holds now.
#[derive(Serialize)]
pub struct SourceStatus {
    #[serde(flatten)]
    pub source: crate::SourceSummary,
    pub records: usize,
    /// Of its records: published in the federation, and shadowed by another source's record of
    /// the same resource (by source).
    pub federation: alzette_store::SourceCounts,
    /// Since when its schedule is paused (admin API), if it is.
    pub paused_since: Option<chrono::DateTime<chrono::Utc>>,
    pub last_run: Option<alzette_runlog::Run>,
    /// What the scheduler says of it (absent when no scheduler runs).
    #[serde(flatten, skip_serializing_if = "Option::is_none")]
    pub schedule: Option<crate::ScheduleState>,
}

pub async fn sources(State(state): State<AppState>) -> Response {
    let mut out = Vec::new();
    let counts = match state.store.federation_counts() {
        Ok(c) => c,
        Err(e) => return error(StatusCode::INTERNAL_SERVER_ERROR, e.to_string()),
    };
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
            federation: counts.get(&s.id).cloned().unwrap_or_default(),
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
