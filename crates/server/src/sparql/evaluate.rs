//! One query, evaluated against a store and serialized: what a query worker process does for
//! each request (`worker.rs`). No HTTP here: a failure is a status code and a message.

use crate::negotiate::negotiate;
use crate::rdf::{content_type as rdf_content_type, negotiate_rdf};
use oxigraph::io::{RdfFormat, RdfSerializer};
use oxigraph::model::{GraphName, NamedNode, NamedOrBlankNode};
use oxigraph::sparql::results::{QueryResultsFormat, QueryResultsSerializer};
use oxigraph::sparql::{CancellationToken, QueryEvaluationError, QueryResults, SparqlEvaluator};
use oxigraph::store::Store;
use serde::{Deserialize, Serialize};
use std::io::Write;
use std::time::Duration;

const RESULT_FORMATS: [(&str, QueryResultsFormat); 7] = [
    ("application/sparql-results+json", QueryResultsFormat::Json),
    ("application/sparql-results+xml", QueryResultsFormat::Xml),
    ("text/csv", QueryResultsFormat::Csv),
    ("text/tab-separated-values", QueryResultsFormat::Tsv),
    ("application/json", QueryResultsFormat::Json),
    ("application/xml", QueryResultsFormat::Xml),
    ("text/xml", QueryResultsFormat::Xml),
];

/// A query with the protocol's parameters and the limits it runs under.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct QueryRequest {
    pub query: String,
    /// `default-graph-uri`: empty for the store's default graph, the published view (each
    /// triple once, however many records repeat it), or the query's own FROM.
    pub default_graphs: Vec<String>,
    /// `named-graph-uri`.
    pub named_graphs: Vec<String>,
    /// The client's `Accept` header.
    pub accept: Option<String>,
    /// Largest serialized result, in bytes (`server.max_query_result_size`).
    pub result_limit: u64,
    /// The evaluation cancels itself after this long (`server.query_timeout`).
    pub timeout: Duration,
}

/// Serialized results.
#[derive(Debug)]
pub struct Answer {
    pub content_type: String,
    pub body: Vec<u8>,
}

/// Why a query has no answer, as an HTTP status and a message for the client.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Failure {
    pub status: u16,
    pub message: String,
    /// The store could not be read (not the query's fault): worth one more try on a fresh
    /// opening of the store.
    pub storage: bool,
}

impl Failure {
    pub fn new(status: u16, message: impl Into<String>) -> Self {
        Self {
            status,
            message: message.into(),
            storage: false,
        }
    }

    pub fn timeout(timeout: Duration) -> Self {
        Self::new(
            503,
            format!(
                "the query was cancelled after {} s (limit server.query_timeout)",
                timeout.as_secs_f64()
            ),
        )
    }
}

/// Evaluates `request` on `store`; `token` cancels it (the caller cancels at the timeout).
pub fn evaluate(
    store: &Store,
    request: &QueryRequest,
    token: CancellationToken,
) -> Result<Answer, Failure> {
    let mut prepared = match SparqlEvaluator::new()
        .with_cancellation_token(token)
        .parse_query(&request.query)
    {
        Ok(p) => p,
        Err(e) => {
            if SparqlEvaluator::new().parse_update(&request.query).is_ok() {
                return Err(Failure::new(
                    403,
                    "this endpoint is read-only: SPARQL Update is not accepted",
                ));
            }
            return Err(Failure::new(
                400,
                format!("the query is not valid SPARQL: {e}"),
            ));
        }
    };
    let dataset = prepared.dataset_mut();
    if !request.default_graphs.is_empty() || !request.named_graphs.is_empty() {
        let iri = |s: &String| {
            NamedNode::new(s)
                .map_err(|e| Failure::new(400, format!("<{s}> is not a valid graph IRI: {e}")))
        };
        let defaults = request
            .default_graphs
            .iter()
            .map(|g| iri(g).map(GraphName::from))
            .collect::<Result<Vec<_>, _>>()?;
        let named = request
            .named_graphs
            .iter()
            .map(|g| iri(g).map(NamedOrBlankNode::from))
            .collect::<Result<Vec<_>, _>>()?;
        dataset.set_default_graph(defaults);
        if !named.is_empty() {
            dataset.set_available_named_graphs(named);
        }
    }
    // Otherwise the store's own default graph: the published view (alzette_store's `view.rs`).
    let timeout = request.timeout;
    let evaluation_failure = |e: QueryEvaluationError| -> Failure {
        if matches!(e, QueryEvaluationError::Cancelled) {
            Failure::timeout(timeout)
        } else if matches!(
            e,
            QueryEvaluationError::Service(_)
                | QueryEvaluationError::UnsupportedService(_)
                | QueryEvaluationError::UnboundService
                | QueryEvaluationError::InvalidServiceName(_)
        ) {
            // The binary is built without Oxigraph's HTTP client: the endpoint never makes
            // requests on a client's behalf (no SSRF through SERVICE).
            Failure::new(
                400,
                format!("federated queries (SERVICE) are off on this endpoint: {e}"),
            )
        } else if matches!(e, QueryEvaluationError::Dataset(_)) {
            Failure {
                storage: true,
                ..Failure::new(500, format!("the store could not be read: {e}"))
            }
        } else {
            Failure::new(500, format!("the query failed: {e}"))
        }
    };
    let results = prepared
        .on_store(store)
        .execute()
        .map_err(evaluation_failure)?;
    let limit = usize::try_from(request.result_limit).unwrap_or(usize::MAX);
    let mut out = Limited {
        buf: Vec::new(),
        limit,
    };
    let io = |e: std::io::Error| -> Failure {
        if e.kind() == std::io::ErrorKind::FileTooLarge {
            Failure::new(
                500,
                format!(
                    "the result is larger than {limit} bytes (limit server.max_query_result_size); add a LIMIT"
                ),
            )
        } else {
            Failure::new(500, format!("cannot write the results: {e}"))
        }
    };
    let accept = request.accept.as_deref();
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
            Ok(Answer {
                content_type: media,
                body: xml_safe_if(format == QueryResultsFormat::Xml, out.buf),
            })
        }
        QueryResults::Boolean(value) => {
            let (media, format) = pick_results_format(accept)?;
            QueryResultsSerializer::from_format(format)
                .serialize_boolean_to_writer(&mut out, value)
                .map_err(io)?;
            Ok(Answer {
                content_type: media,
                body: out.buf,
            })
        }
        QueryResults::Graph(triples) => {
            let format = negotiate_rdf(accept).ok_or_else(|| {
                Failure::new(
                    406,
                    "CONSTRUCT and DESCRIBE results are available as text/turtle, application/rdf+xml, application/ld+json and application/n-triples",
                )
            })?;
            let mut writer = RdfSerializer::from_format(format).for_writer(&mut out);
            for t in triples {
                let t = t.map_err(evaluation_failure)?;
                writer.serialize_triple(&t).map_err(io)?;
            }
            writer.finish().map_err(io)?;
            Ok(Answer {
                content_type: rdf_content_type(format).to_owned(),
                body: xml_safe_if(format == RdfFormat::RdfXml, out.buf),
            })
        }
    }
}

/// XML answers pass [`crate::rdf::xml_safe`].
fn xml_safe_if(xml: bool, body: Vec<u8>) -> Vec<u8> {
    if xml {
        crate::rdf::xml_safe(body)
    } else {
        body
    }
}

fn pick_results_format(accept: Option<&str>) -> Result<(String, QueryResultsFormat), Failure> {
    let offered: Vec<&str> = RESULT_FORMATS.iter().map(|(m, _)| *m).collect();
    let i = negotiate(accept, &offered).ok_or_else(|| {
        Failure::new(
            406,
            "SELECT and ASK results are available as application/sparql-results+json, application/sparql-results+xml, text/csv and text/tab-separated-values",
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
