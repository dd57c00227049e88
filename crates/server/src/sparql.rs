//! `/sparql`: the SPARQL 1.1 Protocol, queries only. The default graph is the union of all
//! graphs; `default-graph-uri` / `named-graph-uri` (or the query's FROM) narrow it. A query
//! runs in a blocking thread and is cancelled at `server.query_timeout`.

use crate::AppState;
use crate::catalog::error;
use crate::negotiate::negotiate;
use crate::rdf::{content_type as rdf_content_type, negotiate_rdf};
use axum::body::Bytes;
use axum::extract::{RawQuery, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use oxigraph::io::RdfSerializer;
use oxigraph::model::{GraphName, NamedNode, NamedOrBlankNode};
use oxigraph::sparql::results::{QueryResultsFormat, QueryResultsSerializer};
use oxigraph::sparql::{CancellationToken, QueryEvaluationError, QueryResults, SparqlEvaluator};
use oxigraph::store::Store;
use std::io::Write;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;
use tokio::sync::{OwnedSemaphorePermit, Semaphore};

const RESULT_FORMATS: [(&str, QueryResultsFormat); 7] = [
    ("application/sparql-results+json", QueryResultsFormat::Json),
    ("application/sparql-results+xml", QueryResultsFormat::Xml),
    ("text/csv", QueryResultsFormat::Csv),
    ("text/tab-separated-values", QueryResultsFormat::Tsv),
    ("application/json", QueryResultsFormat::Json),
    ("application/xml", QueryResultsFormat::Xml),
    ("text/xml", QueryResultsFormat::Xml),
];

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
    let accept = headers
        .get(header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    let timeout = state.config.query_timeout;
    let Some(permit) = state.queries.enter(timeout).await else {
        return busy(&state);
    };
    let limit = usize::try_from(state.config.max_query_result_size).unwrap_or(usize::MAX);
    let token = CancellationToken::new();
    let timer = tokio::spawn({
        let token = token.clone();
        async move {
            tokio::time::sleep(timeout).await;
            token.cancel();
        }
    });
    let store = state.store.clone();
    let started = std::time::Instant::now();
    let evaluation = tokio::task::spawn_blocking(move || {
        // Held until the evaluation really ends: a query that overruns its timeout still
        // counts against the limit while it uses a core.
        let _permit = permit;
        let result = execute(
            store.oxigraph(),
            &query,
            &params,
            accept.as_deref(),
            token,
            timeout,
            limit,
        );
        let took = started.elapsed();
        if took > timeout + GRACE {
            // Oxigraph checks for cancellation when it reads the store; a join computed in
            // memory only notices at its end.
            tracing::warn!(?took, %query, "a SPARQL query ran past its timeout before it could be cancelled");
        }
        result
    });
    // The client gets its answer at the timeout even if the evaluation does not stop at once.
    let result = tokio::time::timeout(timeout + GRACE, evaluation).await;
    timer.abort();
    match result {
        Ok(Ok(Ok((content_type, body)))) => (
            [
                (header::CONTENT_TYPE, content_type),
                (header::VARY, "Accept".to_owned()),
            ],
            body,
        )
            .into_response(),
        Ok(Ok(Err((status, message)))) => error(status, message),
        Ok(Err(e)) => error(StatusCode::INTERNAL_SERVER_ERROR, e.to_string()),
        Err(_) => error(StatusCode::SERVICE_UNAVAILABLE, timeout_message(timeout)),
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

/// How long past its timeout a query's answer may wait for the evaluation to notice.
const GRACE: Duration = Duration::from_millis(500);

fn timeout_message(timeout: Duration) -> String {
    format!(
        "the query was cancelled after {} s (limit server.query_timeout)",
        timeout.as_secs_f64()
    )
}

type Failure = (StatusCode, String);

fn execute(
    store: &Store,
    query: &str,
    params: &Params,
    accept: Option<&str>,
    token: CancellationToken,
    timeout: Duration,
    limit: usize,
) -> Result<(String, Vec<u8>), Failure> {
    let mut prepared = match SparqlEvaluator::new()
        .with_cancellation_token(token)
        .parse_query(query)
    {
        Ok(p) => p,
        Err(e) => {
            if SparqlEvaluator::new().parse_update(query).is_ok() {
                return Err((
                    StatusCode::FORBIDDEN,
                    "this endpoint is read-only: SPARQL Update is not accepted".into(),
                ));
            }
            return Err((
                StatusCode::BAD_REQUEST,
                format!("the query is not valid SPARQL: {e}"),
            ));
        }
    };
    let dataset = prepared.dataset_mut();
    if !params.default_graphs.is_empty() || !params.named_graphs.is_empty() {
        let iri = |s: &String| {
            NamedNode::new(s).map_err(|e| {
                (
                    StatusCode::BAD_REQUEST,
                    format!("<{s}> is not a valid graph IRI: {e}"),
                )
            })
        };
        let defaults = params
            .default_graphs
            .iter()
            .map(|g| iri(g).map(GraphName::from))
            .collect::<Result<Vec<_>, _>>()?;
        let named = params
            .named_graphs
            .iter()
            .map(|g| iri(g).map(NamedOrBlankNode::from))
            .collect::<Result<Vec<_>, _>>()?;
        dataset.set_default_graph(defaults);
        if !named.is_empty() {
            dataset.set_available_named_graphs(named);
        }
    } else if dataset.is_default_dataset() {
        dataset.set_default_graph_as_union();
    }
    let evaluation_failure = |e: QueryEvaluationError| -> Failure {
        if matches!(e, QueryEvaluationError::Cancelled) {
            (StatusCode::SERVICE_UNAVAILABLE, timeout_message(timeout))
        } else if matches!(
            e,
            QueryEvaluationError::Service(_)
                | QueryEvaluationError::UnsupportedService(_)
                | QueryEvaluationError::UnboundService
                | QueryEvaluationError::InvalidServiceName(_)
        ) {
            // The binary is built without Oxigraph's HTTP client: the endpoint never makes
            // requests on a client's behalf (no SSRF through SERVICE).
            (
                StatusCode::BAD_REQUEST,
                format!("federated queries (SERVICE) are off on this endpoint: {e}"),
            )
        } else {
            (
                StatusCode::INTERNAL_SERVER_ERROR,
                format!("the query failed: {e}"),
            )
        }
    };
    let results = prepared
        .on_store(store)
        .execute()
        .map_err(evaluation_failure)?;
    let mut out = Limited {
        buf: Vec::new(),
        limit,
    };
    let io = |e: std::io::Error| -> Failure {
        if e.kind() == std::io::ErrorKind::FileTooLarge {
            (
                StatusCode::INTERNAL_SERVER_ERROR,
                format!(
                    "the result is larger than {limit} bytes (limit server.max_query_result_size); add a LIMIT"
                ),
            )
        } else {
            (
                StatusCode::INTERNAL_SERVER_ERROR,
                format!("cannot write the results: {e}"),
            )
        }
    };
    match results {
        QueryResults::Solutions(solutions) => {
            let (media, format) = pick_results_format(accept)?;
            let mut writer = QueryResultsSerializer::from_format(format)
                .serialize_solutions_to_writer(&mut out, solutions.variables().to_vec())
                .map_err(io)?;
            for solution in solutions {
                let solution = solution.map_err(evaluation_failure)?;
                writer.serialize(&solution).map_err(io)?;
            }
            writer.finish().map_err(io)?;
            Ok((media, out.buf))
        }
        QueryResults::Boolean(value) => {
            let (media, format) = pick_results_format(accept)?;
            QueryResultsSerializer::from_format(format)
                .serialize_boolean_to_writer(&mut out, value)
                .map_err(io)?;
            Ok((media, out.buf))
        }
        QueryResults::Graph(triples) => {
            let format = negotiate_rdf(accept).ok_or_else(|| {
                (
                    StatusCode::NOT_ACCEPTABLE,
                    "CONSTRUCT and DESCRIBE results are available as text/turtle, application/rdf+xml, application/ld+json and application/n-triples".to_owned(),
                )
            })?;
            let mut writer = RdfSerializer::from_format(format).for_writer(&mut out);
            for t in triples {
                let t = t.map_err(evaluation_failure)?;
                writer.serialize_triple(&t).map_err(io)?;
            }
            writer.finish().map_err(io)?;
            Ok((rdf_content_type(format).to_owned(), out.buf))
        }
    }
}

fn pick_results_format(accept: Option<&str>) -> Result<(String, QueryResultsFormat), Failure> {
    let offered: Vec<&str> = RESULT_FORMATS.iter().map(|(m, _)| *m).collect();
    let i = negotiate(accept, &offered).ok_or_else(|| {
        (
            StatusCode::NOT_ACCEPTABLE,
            "SELECT and ASK results are available as application/sparql-results+json, application/sparql-results+xml, text/csv and text/tab-separated-values".to_owned(),
        )
    })?;
    let (media, format) = RESULT_FORMATS[i];
    let media = match format {
        QueryResultsFormat::Csv | QueryResultsFormat::Tsv => format!("{media}; charset=utf-8"),
        _ => media.to_owned(),
    };
    Ok((media, format))
}

/// A buffer that refuses to grow past a limit.
struct Limited {
    buf: Vec<u8>,
    limit: usize,
}

impl Write for Limited {
    fn write(&mut self, data: &[u8]) -> std::io::Result<usize> {
        if self.buf.len() + data.len() > self.limit {
            return Err(std::io::Error::new(
                std::io::ErrorKind::FileTooLarge,
                "result too large",
            ));
        }
        self.buf.extend_from_slice(data);
        Ok(data.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
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
    sd:feature sd:UnionDefaultGraph ;
    sd:resultFormat <http://www.w3.org/ns/formats/SPARQL_Results_JSON>, <http://www.w3.org/ns/formats/SPARQL_Results_XML>,
        <http://www.w3.org/ns/formats/SPARQL_Results_CSV>, <http://www.w3.org/ns/formats/SPARQL_Results_TSV>,
        <http://www.w3.org/ns/formats/Turtle>, <http://www.w3.org/ns/formats/RDF_XML>,
        <http://www.w3.org/ns/formats/JSON-LD>, <http://www.w3.org/ns/formats/N-Triples> ;
    sd:defaultDataset [ a sd:Dataset ; dct:description "The default graph is the union of every record graph and catalogue graph."@en ] ;
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
