//! `/catalog`: the federation catalogue and the sources' catalogues as DCAT-AP, Hydra-paged.
//!
//! Every page is self-contained (each dataset with its distributions, contact points and
//! publisher: the record graphs carry them) and costs the same whatever its number: the store
//! finds it by position.

use crate::AppState;
use crate::rdf::{content_type, from_extension, negotiate_rdf, serialize};
use alzette_vocab::{hydra, rdf as rdfv, xsd};
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use oxigraph::model::{Graph, Literal, NamedNode, Triple};
use serde::Deserialize;

#[derive(Debug, Deserialize)]
pub struct PageQuery {
    page: Option<String>,
    #[serde(rename = "pageSize")]
    page_size: Option<String>,
}

pub async fn federation(
    state: State<AppState>,
    headers: HeaderMap,
    q: Query<PageQuery>,
) -> Response {
    respond(state, headers, q, None, None).await
}

pub async fn federation_ttl(
    state: State<AppState>,
    headers: HeaderMap,
    q: Query<PageQuery>,
) -> Response {
    respond(state, headers, q, None, Some("ttl")).await
}

pub async fn federation_rdf(
    state: State<AppState>,
    headers: HeaderMap,
    q: Query<PageQuery>,
) -> Response {
    respond(state, headers, q, None, Some("rdf")).await
}

pub async fn federation_jsonld(
    state: State<AppState>,
    headers: HeaderMap,
    q: Query<PageQuery>,
) -> Response {
    respond(state, headers, q, None, Some("jsonld")).await
}

pub async fn federation_nt(
    state: State<AppState>,
    headers: HeaderMap,
    q: Query<PageQuery>,
) -> Response {
    respond(state, headers, q, None, Some("nt")).await
}

/// `/catalog/{source}` and `/catalog/{source}.{ext}`.
pub async fn source(
    state: State<AppState>,
    Path(segment): Path<String>,
    headers: HeaderMap,
    q: Query<PageQuery>,
) -> Response {
    let (source, ext) = match segment.rsplit_once('.') {
        Some((s, e)) if from_extension(e).is_some() => (s.to_owned(), Some(e)),
        _ => (segment.clone(), None),
    };
    let known =
        state.sources.get().iter().any(|s| s.id == source) || state.store.count(Some(&source)) > 0;
    if !known {
        return error(
            StatusCode::NOT_FOUND,
            format!("there is no source \"{source}\"; /api/sources lists them"),
        );
    }
    let ext = ext.map(str::to_owned);
    respond(state, headers, q, Some(source), ext.as_deref()).await
}

async fn respond(
    State(state): State<AppState>,
    headers: HeaderMap,
    Query(q): Query<PageQuery>,
    source: Option<String>,
    ext: Option<&str>,
) -> Response {
    let format = match ext {
        Some(e) => from_extension(e).expect("routes only carry known extensions"),
        None => match negotiate_rdf(headers.get(header::ACCEPT).and_then(|v| v.to_str().ok())) {
            Some(f) => f,
            None => {
                return error(
                    StatusCode::NOT_ACCEPTABLE,
                    "the catalogue is available as text/turtle, application/rdf+xml, application/ld+json and application/n-triples".into(),
                );
            }
        },
    };
    let config = &state.config;
    let page = match parse_positive(q.page.as_deref(), 1, usize::MAX) {
        Ok(p) => p,
        Err(m) => return error(StatusCode::BAD_REQUEST, format!("page: {m}")),
    };
    let size = match parse_positive(
        q.page_size.as_deref(),
        config.catalog_page_size,
        config.catalog_max_page_size,
    ) {
        Ok(s) => s,
        Err(m) => {
            return error(
                StatusCode::BAD_REQUEST,
                format!("pageSize: {m} (at most {})", config.catalog_max_page_size),
            );
        }
    };

    let path = match (&source, ext) {
        (None, None) => "catalog".to_owned(),
        (None, Some(e)) => format!("catalog.{e}"),
        (Some(s), None) => format!("catalog/{s}"),
        (Some(s), Some(e)) => format!("catalog/{s}.{e}"),
    };
    let endpoint = format!("{}{path}", config.base_uri);
    let store = state.store.clone();
    let result = tokio::task::spawn_blocking(move || {
        let offset = (page - 1).saturating_mul(size);
        let catalog_page = store.catalog_page(source.as_deref(), offset, size)?;
        let last = catalog_page.total.div_ceil(size).max(1);
        if page > last {
            return Ok(Err(last));
        }
        let mut graph: Graph = catalog_page.triples.iter().collect();
        for t in hydra_view(
            &catalog_page.catalog,
            &endpoint,
            page,
            size,
            last,
            catalog_page.total,
        ) {
            graph.insert(&t);
        }
        Ok::<_, alzette_store::StoreError>(Ok(serialize(format, graph.iter())))
    })
    .await;
    match result {
        Ok(Ok(Ok(Ok(body)))) => (
            [
                (header::CONTENT_TYPE, content_type(format)),
                (header::VARY, "Accept"),
            ],
            body,
        )
            .into_response(),
        Ok(Ok(Err(last))) => error(
            StatusCode::NOT_FOUND,
            format!("page {page} is beyond the last page ({last}) at pageSize={size}"),
        ),
        Ok(Ok(Ok(Err(e)))) => error(
            StatusCode::INTERNAL_SERVER_ERROR,
            format!("cannot write the page: {e}"),
        ),
        Ok(Err(e)) => error(StatusCode::INTERNAL_SERVER_ERROR, e.to_string()),
        Err(e) => error(StatusCode::INTERNAL_SERVER_ERROR, e.to_string()),
    }
}

/// The Hydra collection and the view of this page, with links to first, previous, next, last.
fn hydra_view(
    catalog: &NamedNode,
    endpoint: &str,
    page: usize,
    size: usize,
    last: usize,
    total: usize,
) -> Vec<Triple> {
    let page_iri =
        |n: usize| NamedNode::new_unchecked(format!("{endpoint}?page={n}&pageSize={size}"));
    let view = page_iri(page);
    let mut t = vec![
        Triple::new(catalog.clone(), rdfv::TYPE, hydra::COLLECTION),
        Triple::new(
            catalog.clone(),
            hydra::TOTAL_ITEMS,
            Literal::new_typed_literal(total.to_string(), xsd::INTEGER),
        ),
        Triple::new(catalog.clone(), hydra::VIEW, view.clone()),
        Triple::new(view.clone(), rdfv::TYPE, hydra::PARTIAL_COLLECTION_VIEW),
        Triple::new(view.clone(), hydra::FIRST, page_iri(1)),
        Triple::new(view.clone(), hydra::LAST, page_iri(last)),
    ];
    if page > 1 {
        t.push(Triple::new(
            view.clone(),
            hydra::PREVIOUS,
            page_iri(page - 1),
        ));
    }
    if page < last {
        t.push(Triple::new(view, hydra::NEXT, page_iri(page + 1)));
    }
    t
}

fn parse_positive(value: Option<&str>, default: usize, max: usize) -> Result<usize, String> {
    match value {
        None => Ok(default),
        Some(v) => match v.trim().parse::<usize>() {
            Ok(n) if n >= 1 && n <= max => Ok(n),
            _ => Err(format!("\"{v}\" is not a whole number from 1")),
        },
    }
}

pub(crate) fn error(status: StatusCode, message: String) -> Response {
    (
        status,
        [(header::CONTENT_TYPE, "text/plain; charset=utf-8")],
        format!("{message}\n"),
    )
        .into_response()
}
