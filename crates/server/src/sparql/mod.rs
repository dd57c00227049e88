//! `/sparql`: the SPARQL 1.1 Protocol, queries only. The default graph is the union of all
//! graphs; `default-graph-uri` / `named-graph-uri` (or the query's FROM) narrow it. A query
//! is evaluated in a worker process (`worker.rs`), cancelled at `server.query_timeout`.

mod evaluate;
mod worker;

pub use evaluate::{Answer, Failure, QueryRequest};
pub use worker::{QueryWorkers, WorkerCommand, serve_worker};

use crate::AppState;
use crate::catalog::error;
use crate::rdf::{content_type as rdf_content_type, negotiate_rdf};
use axum::body::Bytes;
use axum::extract::{RawQuery, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;
use tokio::sync::{OwnedSemaphorePermit, Semaphore};

/// The protocol's parameters.
#[derive(Debug, Default)]
struct Params {
    query: Option<String>,
    update: Option<String>,
    default_graphs: Vec<String>,
    named_graphs: Vec<String>,
}

impl Params {
    fn read(&mut self, encoded: &[u8]) {
        for (k, v) in url::form_urlencoded::parse(encoded) {
            match &*k {
                "query" => self.query = Some(v.into_owned()),
                "update" => self.update = Some(v.into_owned()),
                "default-graph-uri" => self.default_graphs.push(v.into_owned()),
                "named-graph-uri" => self.named_graphs.push(v.into_owned()),
                _ => {}
            }
        }
    }
}

pub async fn get(
    State(state): State<AppState>,
    headers: HeaderMap,
    RawQuery(raw): RawQuery,
) -> Response {
    let mut params = Params::default();
    params.read(raw.unwrap_or_default().as_bytes());
    if params.update.is_some() {
        return refuse_update();
    }
    match params.query.take() {
        Some(query) => run(state, headers, query, params).await,
        None if crate::query_page::wants_html(
            headers.get(header::ACCEPT).and_then(|v| v.to_str().ok()),
        ) =>
        {
            crate::query_page::page(state.config.query_timeout)
        }
        None => service_description(&state, &headers),
    }
}

pub async fn post(
    State(state): State<AppState>,
    headers: HeaderMap,
    RawQuery(raw): RawQuery,
    body: Bytes,
) -> Response {
    let mut params = Params::default();
    params.read(raw.unwrap_or_default().as_bytes());
    let content_type = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .split(';')
        .next()
        .unwrap_or_default()
        .trim()
        .to_ascii_lowercase();
    match content_type.as_str() {
        "application/x-www-form-urlencoded" => params.read(&body),
        "application/sparql-query" => match String::from_utf8(body.to_vec()) {
            Ok(q) => params.query = Some(q),
            Err(_) => {
                return error(
                    StatusCode::BAD_REQUEST,
                    "the query is not valid UTF-8".into(),
                );
            }
        },
        "application/sparql-update" => return refuse_update(),
        other => {
            return error(
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                format!(
                    "a query is POSTed as application/sparql-query or application/x-www-form-urlencoded, not \"{other}\""
                ),
            );
        }
    }
    if params.update.is_some() {
        return refuse_update();
    }
    match params.query.take() {
        Some(query) => run(state, headers, query, params).await,
        None => error(
            StatusCode::BAD_REQUEST,
            "no query given (parameter `query`)".into(),
        ),
    }
}

fn refuse_update() -> Response {
    error(
        StatusCode::FORBIDDEN,
        "this endpoint is read-only: SPARQL Update is not accepted".into(),
    )
}

async fn run(state: AppState, headers: HeaderMap, query: String, params: Params) -> Response {
    let limit = state.config.max_query_nesting;
    if nesting(&query) > limit {
        return error(
            StatusCode::BAD_REQUEST,
            format!(
                "the query nests groups, brackets or parentheses more than {limit} levels deep (limit server.max_query_nesting)"
            ),
        );
    }
    let request = QueryRequest {
        query,
        default_graphs: params.default_graphs,
        named_graphs: params.named_graphs,
        accept: headers
            .get(header::ACCEPT)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned),
        result_limit: state.config.max_query_result_size,
        timeout: state.config.query_timeout,
    };
    // Held until the worker has answered or been killed.
    let Some(_permit) = state.queries.enter(request.timeout).await else {
        return busy(&state);
    };
    match state
        .workers
        .evaluate(&request, state.store.version())
        .await
    {
        Ok(answer) => (
            [
                (header::CONTENT_TYPE, answer.content_type),
                (header::VARY, "Accept".to_owned()),
            ],
            answer.body,
        )
            .into_response(),
        Err(failure) => error(
            StatusCode::from_u16(failure.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR),
            failure.message,
        ),
    }
}

/// Limits how many queries are evaluated at once, and how many wait for their turn.
pub struct QueryGate {
    running: Arc<Semaphore>,
    waiting: AtomicUsize,
    max_waiting: usize,
}

impl QueryGate {
    pub fn new(max_running: usize, max_waiting: usize) -> Self {
        Self {
            running: Arc::new(Semaphore::new(max_running.max(1))),
            waiting: AtomicUsize::new(0),
            max_waiting,
        }
    }

    /// A slot to evaluate a query in, waiting at most `patience` in a bounded queue; `None`
    /// when the queue is full or the wait too long.
    async fn enter(&self, patience: Duration) -> Option<OwnedSemaphorePermit> {
        if let Ok(permit) = Arc::clone(&self.running).try_acquire_owned() {
            return Some(permit);
        }
        if self.waiting.fetch_add(1, Ordering::SeqCst) >= self.max_waiting {
            self.waiting.fetch_sub(1, Ordering::SeqCst);
            return None;
        }
        let permit =
            tokio::time::timeout(patience, Arc::clone(&self.running).acquire_owned()).await;
        self.waiting.fetch_sub(1, Ordering::SeqCst);
        permit.ok()?.ok()
    }
}

fn busy(state: &AppState) -> Response {
    let mut response = error(
        StatusCode::SERVICE_UNAVAILABLE,
        format!(
            "the endpoint is busy: {} queries run at once and {} may wait (limits server.max_concurrent_queries, server.max_queued_queries); retry in a moment",
            state.config.max_concurrent_queries, state.config.max_queued_queries
        ),
    );
    response
        .headers_mut()
        .insert(header::RETRY_AFTER, header::HeaderValue::from_static("1"));
    response
}

/// The SPARQL 1.1 Service Description of the endpoint.
fn service_description(state: &AppState, headers: &HeaderMap) -> Response {
    let Some(format) = negotiate_rdf(headers.get(header::ACCEPT).and_then(|v| v.to_str().ok()))
    else {
        return error(
            StatusCode::NOT_ACCEPTABLE,
            "the service description is available in the RDF syntaxes".into(),
        );
    };
    let endpoint = format!("{}sparql", state.config.base_uri);
    let turtle = format!(
        r#"@prefix sd: <http://www.w3.org/ns/sparql-service-description#> .
@prefix dct: <http://purl.org/dc/terms/> .
<{endpoint}> a sd:Service ;
    sd:endpoint <{endpoint}> ;
    sd:supportedLanguage sd:SPARQL11Query ;
    sd:resultFormat <http://www.w3.org/ns/formats/SPARQL_Results_JSON>, <http://www.w3.org/ns/formats/SPARQL_Results_XML>,
        <http://www.w3.org/ns/formats/SPARQL_Results_CSV>, <http://www.w3.org/ns/formats/SPARQL_Results_TSV>,
        <http://www.w3.org/ns/formats/Turtle>, <http://www.w3.org/ns/formats/RDF_XML>,
        <http://www.w3.org/ns/formats/JSON-LD>, <http://www.w3.org/ns/formats/N-Triples> ;
    sd:defaultDataset [ a sd:Dataset ; dct:description "The default graph is the published view: every triple of the published records (each resource once, from the source with precedence), their validation reports and quality measurements, the catalogues and the vocabularies, each triple once. Every record graph is a named graph."@en ] ;
    dct:description "Alzette's read-only SPARQL 1.1 endpoint over the harvested DCAT-AP records."@en .
"#
    );
    let graph: Vec<_> = oxigraph::io::RdfParser::from_format(oxigraph::io::RdfFormat::Turtle)
        .for_slice(turtle.as_bytes())
        .filter_map(Result::ok)
        .map(oxigraph::model::Triple::from)
        .collect();
    match crate::rdf::serialize(format, graph.iter().map(Into::into)) {
        Ok(body) => ([(header::CONTENT_TYPE, rdf_content_type(format))], body).into_response(),
        Err(e) => error(StatusCode::INTERNAL_SERVER_ERROR, e.to_string()),
    }
}

/// How deep a query nests `{ }`, `( )` and `[ ]`, outside strings, IRIs and comments.
fn nesting(query: &str) -> usize {
    let (mut depth, mut deepest) = (0usize, 0usize);
    let bytes = query.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'{' | b'(' | b'[' => {
                depth += 1;
                deepest = deepest.max(depth);
            }
            b'}' | b')' | b']' => depth = depth.saturating_sub(1),
            b'#' => {
                while i < bytes.len() && bytes[i] != b'\n' {
                    i += 1;
                }
            }
            quote @ (b'"' | b'\'') => {
                // Long strings ("""…""") end at their own triple quote; `\` escapes.
                let long = bytes[i..].starts_with(&[quote; 3]);
                let end: &[u8] = if long { &[quote; 3] } else { &[quote] };
                i += end.len();
                while i < bytes.len() && !bytes[i..].starts_with(end) {
                    i += if bytes[i] == b'\\' { 2 } else { 1 };
                }
                i += end.len() - 1;
            }
            // An IRI: `<` then no space up to `>` (otherwise a less-than).
            b'<' => {
                if let Some(len) = bytes[i + 1..]
                    .iter()
                    .position(|b| *b == b'>' || b.is_ascii_whitespace())
                    && bytes[i + 1 + len] == b'>'
                {
                    i += 1 + len;
                }
            }
            _ => {}
        }
        i += 1;
    }
    deepest
}

#[cfg(test)]
mod tests {
    use super::nesting;

    #[test]
    fn nesting_is_counted_outside_strings_iris_and_comments() {
        assert_eq!(nesting("SELECT * { ?s ?p ?o }"), 1);
        assert_eq!(nesting("SELECT * { { ?s ?p ?o FILTER((?o > 1)) } }"), 4);
        assert_eq!(nesting(r#"SELECT * { ?s ?p "{{{{((" }"#), 1);
        assert_eq!(nesting(r#"SELECT * { ?s ?p '''{{\''' }"#), 1);
        assert_eq!(nesting(r#"SELECT * { ?s ?p "a\"{{" }"#), 1);
        assert_eq!(nesting("SELECT * { ?s <http://e.org/a(b)> ?o } # {{{{"), 1);
        assert_eq!(
            nesting("SELECT * { ?s ?p ?o FILTER(?o < 3 && (?o > 1)) }"),
            3
        );
        let deep = format!("SELECT * {}{}", "{".repeat(300_000), "}".repeat(300_000));
        assert_eq!(nesting(&deep), 300_000);
        assert_eq!(nesting("SELECT * { ?s ?p \"unterminated"), 1);
    }
}
