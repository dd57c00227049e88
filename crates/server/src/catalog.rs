//! `/catalog`: the federation catalogue and the sources' catalogues as DCAT-AP, Hydra-paged.
//!
//! Every page is self-contained (each dataset with its distributions, contact points and
//! publisher: the record graphs carry them) and costs the same whatever its number: the store
//! finds it by position.

use crate::AppState;
use crate::rdf::{content_type, from_extension, negotiate_rdf, serialize};
use alzette_dcat::{Profile, to_dcat_ap_2};
use alzette_store::StoreVersion;
use alzette_vocab::{hydra, rdf as rdfv, xsd};
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use oxigraph::model::{Graph, Literal, NamedNode, Triple};
use serde::Deserialize;
use sha2::{Digest, Sha256};
use std::time::SystemTime;

#[derive(Debug, Deserialize)]
pub struct PageQuery {
    page: Option<String>,
    #[serde(rename = "pageSize")]
    page_size: Option<String>,
    /// `/catalog?source=ID` is `/catalog/ID`.
    source: Option<String>,
    /// Only what changed since (RFC 3339 date-time, or a date): records, and tombstones of
    /// deleted ones, oldest change first.
    #[serde(rename = "modified-since")]
    modified_since: Option<String>,
    /// The DCAT-AP version (`dcat-ap-3`, `dcat-ap-2.1.1`, or a profile IRI); overrides
    /// `Accept-Profile`.
    profile: Option<String>,
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
    let ext = ext.map(str::to_owned);
    respond(state, headers, q, Some(source), ext.as_deref()).await
}

/// Why a catalogue page is not served.
#[derive(Debug, thiserror::Error)]
enum CatalogError {
    #[error("there is no source \"{0}\"; /api/sources lists them")]
    UnknownSource(String),
    #[error(
        "the catalogue is available as text/turtle, application/rdf+xml, application/ld+json and application/n-triples"
    )]
    NotAcceptable,
    /// A parameter that cannot be read: its message says which and why.
    #[error("{0}")]
    BadParameter(String),
    #[error("page {page} is beyond the last page ({last}) at pageSize={size}")]
    BeyondLast {
        page: usize,
        last: usize,
        size: usize,
    },
    #[error(transparent)]
    Store(#[from] alzette_store::StoreError),
    #[error("cannot write the page: {0}")]
    Serialize(std::io::Error),
    #[error("the page stopped being made: {0}")]
    Task(#[from] tokio::task::JoinError),
}

impl IntoResponse for CatalogError {
    fn into_response(self) -> Response {
        let status = match &self {
            Self::UnknownSource(_) | Self::BeyondLast { .. } => StatusCode::NOT_FOUND,
            Self::NotAcceptable => StatusCode::NOT_ACCEPTABLE,
            Self::BadParameter(_) => StatusCode::BAD_REQUEST,
            Self::Store(_) | Self::Serialize(_) | Self::Task(_) => {
                StatusCode::INTERNAL_SERVER_ERROR
            }
        };
        error(status, self.to_string())
    }
}

async fn respond(
    State(state): State<AppState>,
    headers: HeaderMap,
    Query(q): Query<PageQuery>,
    source: Option<String>,
    ext: Option<&str>,
) -> Response {
    page(state, headers, q, source, ext)
        .await
        .unwrap_or_else(IntoResponse::into_response)
}

async fn page(
    state: AppState,
    headers: HeaderMap,
    q: PageQuery,
    source: Option<String>,
    ext: Option<&str>,
) -> Result<Response, CatalogError> {
    let source = source.or(q.source);
    if let Some(source) = &source {
        let known = state.sources.get().iter().any(|s| &s.id == source)
            || state.store.count(Some(source)) > 0;
        if !known {
            return Err(CatalogError::UnknownSource(source.clone()));
        }
    }
    let format = match ext {
        Some(e) => from_extension(e).expect("routes only carry known extensions"),
        None => negotiate_rdf(headers.get(header::ACCEPT).and_then(|v| v.to_str().ok()))
            .ok_or(CatalogError::NotAcceptable)?,
    };
    let config = &state.config;
    let bad = CatalogError::BadParameter;
    let page =
        parse_positive(q.page.as_deref(), 1, usize::MAX).map_err(|m| bad(format!("page: {m}")))?;
    let size = parse_positive(
        q.page_size.as_deref(),
        config.catalog_page_size,
        config.catalog_max_page_size,
    )
    .map_err(|m| {
        bad(format!(
            "pageSize: {m} (at most {})",
            config.catalog_max_page_size
        ))
    })?;
    let since = q
        .modified_since
        .as_deref()
        .map(parse_since)
        .transpose()
        .map_err(bad)?;
    let profile = pick_profile(q.profile.as_deref(), &headers).map_err(bad)?;
    let path = match (&source, ext) {
        (None, None) => "catalog".to_owned(),
        (None, Some(e)) => format!("catalog.{e}"),
        (Some(s), None) => format!("catalog/{s}"),
        (Some(s), Some(e)) => format!("catalog/{s}.{e}"),
    };
    let endpoint = format!("{}{path}", config.base_uri);
    // Validated against the store's version, read before the page: a write landing while the
    // page is made gives a newer page under the older ETag, never an older page under a newer.
    let version = state.store.version();
    // Hydra links keep the filter and a profile asked for by name; the ETag keeps both and
    // the profile however it was asked for.
    let mut filter = since
        .map(|t| {
            format!(
                "&modified-since={}",
                t.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
            )
        })
        .unwrap_or_default();
    if q.profile.is_some() {
        filter.push_str(&format!("&profile={}", profile.token()));
    }
    let cache = CacheHeaders::new(
        &version,
        &format!("{path}{filter}|{}", profile.token()),
        page,
        size,
        content_type(format),
        profile,
    );
    if cache.matches(&headers) {
        return Ok(cache.not_modified());
    }
    let store = state.store.clone();
    let body = tokio::task::spawn_blocking(move || {
        let offset = (page - 1).saturating_mul(size);
        let catalog_page = match since {
            Some(t) => store.changes_page(source.as_deref(), t, offset, size)?,
            None => store.catalog_page(source.as_deref(), offset, size)?,
        };
        let last = catalog_page.total.div_ceil(size).max(1);
        if page > last {
            return Err(CatalogError::BeyondLast { page, last, size });
        }
        let mut graph: Graph = catalog_page.triples.iter().collect();
        for t in hydra_view(
            &catalog_page.catalog,
            &endpoint,
            &filter,
            page,
            size,
            last,
            catalog_page.total,
        ) {
            graph.insert(&t);
        }
        let body = match profile {
            Profile::DcatAp3 => serialize(format, graph.iter()),
            Profile::DcatAp2 => {
                let triples = to_dcat_ap_2(graph.iter().map(Triple::from));
                serialize(format, triples.iter().map(Into::into))
            }
        };
        body.map_err(CatalogError::Serialize)
    })
    .await??;
    let mut response = ([(header::CONTENT_TYPE, content_type(format))], body).into_response();
    cache.add_to(response.headers_mut());
    Ok(response)
}

/// `?profile=` decides (an unknown name is an error); else the best known profile of
/// `Accept-Profile` (`<IRI>` or a token, with q-values); else DCAT-AP 3.
fn pick_profile(asked: Option<&str>, headers: &HeaderMap) -> Result<Profile, String> {
    if let Some(name) = asked {
        return Profile::parse(name).ok_or_else(|| {
            let known: Vec<String> = Profile::ALL
                .iter()
                .map(|p| format!("{} ({})", p.token(), p.iri()))
                .collect();
            format!(
                "profile: \"{name}\" is not a profile this catalogue serves; it serves {}",
                known.join(" and ")
            )
        });
    }
    let Some(accept) = headers.get("accept-profile").and_then(|v| v.to_str().ok()) else {
        return Ok(Profile::DcatAp3);
    };
    let mut best: Option<(Profile, f32)> = None;
    for item in accept.split(',') {
        let item = item.trim();
        // An IRI in angle brackets may itself hold `;`.
        let (name, params) = match item.strip_prefix('<').and_then(|r| r.split_once('>')) {
            Some((iri, rest)) => (iri, rest),
            None => item.split_once(';').map_or((item, ""), |(n, r)| (n, r)),
        };
        let q = params
            .split(';')
            .filter_map(|p| p.trim().strip_prefix("q="))
            .find_map(|v| v.trim().parse::<f32>().ok())
            .unwrap_or(1.0);
        if let Some(p) = Profile::parse(name)
            && q > 0.0
            && best.is_none_or(|(_, b)| q > b)
        {
            best = Some((p, q));
        }
    }
    Ok(best.map_or(Profile::DcatAp3, |(p, _)| p))
}

/// The HTTP cache headers of a catalogue response (ETag and Last-Modified, from the store's
/// version) and its profile headers (W3C Content Negotiation by Profile).
struct CacheHeaders {
    etag: HeaderValue,
    last_modified: HeaderValue,
    changed: SystemTime,
    profile: Profile,
}

impl CacheHeaders {
    fn new(
        version: &StoreVersion,
        path: &str,
        page: usize,
        size: usize,
        media_type: &str,
        profile: Profile,
    ) -> Self {
        let digest = Sha256::digest(
            format!(
                "{}|{}|{path}|{page}|{size}|{media_type}",
                version.instance, version.generation
            )
            .as_bytes(),
        );
        let hex = alzette_dcat::hex(&digest[..12]);
        // Weak: the same page compressed differently is still the same page.
        let etag = HeaderValue::from_str(&format!("W/\"{hex}\"")).expect("hex is a valid header");
        // At the second, as HTTP dates are, so that If-Modified-Since compares like with like.
        let changed = SystemTime::UNIX_EPOCH
            + std::time::Duration::from_secs(version.changed.timestamp().max(0).unsigned_abs());
        let last_modified = HeaderValue::from_str(&httpdate::fmt_http_date(changed))
            .expect("a date is a valid header");
        Self {
            etag,
            last_modified,
            changed,
            profile,
        }
    }

    /// RFC 9110 section 13.1: If-None-Match (weak comparison) decides when present; else
    /// If-Modified-Since, at the second.
    fn matches(&self, headers: &HeaderMap) -> bool {
        let ours = opaque(self.etag.to_str().unwrap_or_default());
        if let Some(inm) = headers
            .get(header::IF_NONE_MATCH)
            .and_then(|v| v.to_str().ok())
        {
            return inm
                .split(',')
                .map(str::trim)
                .any(|tag| tag == "*" || opaque(tag) == ours);
        }
        headers
            .get(header::IF_MODIFIED_SINCE)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| httpdate::parse_http_date(v).ok())
            .is_some_and(|since| self.changed <= since)
    }

    fn not_modified(&self) -> Response {
        let mut response = StatusCode::NOT_MODIFIED.into_response();
        self.add_to(response.headers_mut());
        response
    }

    fn add_to(&self, headers: &mut HeaderMap) {
        headers.insert(
            header::VARY,
            HeaderValue::from_static("Accept, Accept-Profile"),
        );
        let profile = HeaderValue::from_str(&format!("<{}>", self.profile.iri()))
            .expect("a profile IRI is a valid header");
        headers.insert("content-profile", profile);
        headers.insert(header::ETAG, self.etag.clone());
        headers.insert(header::LAST_MODIFIED, self.last_modified.clone());
        // Caches may keep a page but must ask again before using it: it is cheap to answer 304.
        headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    }
}

/// An entity tag without its weakness marker.
fn opaque(tag: &str) -> &str {
    tag.strip_prefix("W/").unwrap_or(tag)
}

/// The Hydra collection and the view of this page, with links to first, previous, next, last.
fn hydra_view(
    catalog: &NamedNode,
    endpoint: &str,
    filter: &str,
    page: usize,
    size: usize,
    last: usize,
    total: usize,
) -> Vec<Triple> {
    let page_iri =
        |n: usize| NamedNode::new_unchecked(format!("{endpoint}?page={n}&pageSize={size}{filter}"));
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

/// `?modified-since=`: an RFC 3339 date-time (`2026-11-27T10:00:00Z`) or a date (midnight UTC).
fn parse_since(v: &str) -> Result<chrono::DateTime<chrono::Utc>, String> {
    if let Ok(t) = chrono::DateTime::parse_from_rfc3339(v) {
        return Ok(t.with_timezone(&chrono::Utc));
    }
    chrono::NaiveDate::parse_from_str(v, "%Y-%m-%d")
        .ok()
        .and_then(|d| d.and_hms_opt(0, 0, 0))
        .map(|t| t.and_utc())
        .ok_or_else(|| {
            format!("modified-since: \"{v}\" is neither a date-time (2026-11-27T10:00:00Z) nor a date (2026-11-27)")
        })
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
