//! `/oai`: OAI-PMH 2.0 over the published view, as the European data portal prefers to
//! harvest. Items are resources, each once however many sources describe it (identifier: the
//! resource's IRI; its metadata: the published record, docs/federation.md); an item's set is
//! the source of its published record; `dcat_ap` is the
//! record graph as RDF/XML, `oai_dc` a Dublin Core summary, `dcat_ap_2` the record graph as
//! DCAT-AP 2.1.1. Lists are ordered by last change and resumed after the last item sent, so a
//! token stays valid while harvests write: a record that changes meanwhile is listed again at
//! the end, none is skipped. Deleted records are listed from
//! their tombstones.

use crate::AppState;
use crate::rdf::serialize;
use alzette_oai::{Cursor, ListArgs, OaiError, Request, datestamp, escape, parse_request};
use alzette_store::{ChangeCursor, ListedChange, RecordKey};
use alzette_vocab::{dcat, dct, foaf};
use axum::body::Bytes;
use axum::extract::{RawQuery, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, TimeZone, Utc};
use oxigraph::io::RdfFormat;
use oxigraph::model::{NamedNode, NamedOrBlankNode, Quad, Term, Triple};
use std::fmt::Write as _;

const OAI_NS: &str = "http://www.openarchives.org/OAI/2.0/";
/// The metadata formats: prefix, schema, namespace.
const FORMATS: &[(&str, &str, &str)] = &[
    (
        "dcat_ap",
        "http://www.w3.org/1999/02/22-rdf-syntax-ns#",
        "http://www.w3.org/ns/dcat#",
    ),
    (
        "oai_dc",
        "http://www.openarchives.org/OAI/2.0/oai_dc.xsd",
        "http://www.openarchives.org/OAI/2.0/oai_dc/",
    ),
    // The record graph as DCAT-AP 2.1.1 (`alzette_dcat::to_dcat_ap_2`, docs/publication.md).
    (
        "dcat_ap_2",
        "http://www.w3.org/1999/02/22-rdf-syntax-ns#",
        "http://www.w3.org/ns/dcat#",
    ),
];

pub async fn get(state: State<AppState>, RawQuery(query): RawQuery) -> Response {
    answer(state, query.unwrap_or_default().as_bytes()).await
}

pub async fn post(state: State<AppState>, headers: HeaderMap, body: Bytes) -> Response {
    let form = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/x-www-form-urlencoded"));
    if !form {
        return (
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "OAI-PMH requests are POSTed as application/x-www-form-urlencoded\n",
        )
            .into_response();
    }
    answer(state, &body).await
}

async fn answer(State(state): State<AppState>, query: &[u8]) -> Response {
    let args: Vec<(String, String)> = url::form_urlencoded::parse(query).into_owned().collect();
    let base_url = format!("{}oai", state.config.base_uri);
    match tokio::task::spawn_blocking(move || respond(&state, &args, &base_url)).await {
        Ok(body) => ([(header::CONTENT_TYPE, "text/xml; charset=utf-8")], body).into_response(),
        Err(e) => crate::catalog::error(StatusCode::INTERNAL_SERVER_ERROR, e.to_string()),
    }
}

fn respond(state: &AppState, args: &[(String, String)], base_url: &str) -> String {
    let mut out = String::with_capacity(16 * 1024);
    out.push_str("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    let _ = write!(
        out,
        "<OAI-PMH xmlns=\"{OAI_NS}\" xmlns:xsi=\"http://www.w3.org/2001/XMLSchema-instance\" xsi:schemaLocation=\"{OAI_NS} http://www.openarchives.org/OAI/2.0/OAI-PMH.xsd\">\n<responseDate>{}</responseDate>\n",
        datestamp(Utc::now())
    );
    let request = |out: &mut String, with_args: bool| {
        out.push_str("<request");
        if with_args {
            for (k, v) in args {
                let _ = write!(out, " {}=\"{}\"", k, escape(v));
            }
        }
        let _ = writeln!(out, ">{}</request>", escape(base_url));
    };
    let request_parsed = match parse_request(args) {
        Ok(r) => r,
        Err(e) => {
            request(&mut out, false);
            error(&mut out, &e);
            out.push_str("</OAI-PMH>\n");
            return out;
        }
    };
    let mut body = String::new();
    let result = match request_parsed {
        Request::Identify => identify(state, base_url, &mut body),
        Request::ListMetadataFormats { identifier } => {
            list_metadata_formats(state, identifier.as_deref(), &mut body)
        }
        Request::ListSets { resumption_token } => {
            list_sets(state, resumption_token.as_deref(), &mut body)
        }
        Request::List {
            records,
            list: args,
        } => list(state, &args, records, &mut body),
        Request::GetRecord { identifier, prefix } => {
            get_record(state, &identifier, &prefix, &mut body)
        }
    };
    match result {
        Ok(()) => {
            request(&mut out, true);
            out.push_str(&body);
        }
        Err(e) => {
            request(&mut out, e.echoes_arguments());
            error(&mut out, &e);
        }
    }
    out.push_str("</OAI-PMH>\n");
    out
}

fn identify(state: &AppState, base_url: &str, out: &mut String) -> Result<(), OaiError> {
    let catalog = state.catalog.read().expect("catalog lock").clone();
    let earliest = state
        .store
        .earliest_change()
        .unwrap_or_else(|| Utc.timestamp_opt(0, 0).single().expect("the epoch"));
    let deleted = if state.store.tombstones_persist() {
        "persistent"
    } else {
        "transient"
    };
    let _ = write!(
        out,
        "<Identify>\n<repositoryName>{}</repositoryName>\n<baseURL>{}</baseURL>\n<protocolVersion>2.0</protocolVersion>\n<adminEmail>{}</adminEmail>\n<earliestDatestamp>{}</earliestDatestamp>\n<deletedRecord>{deleted}</deletedRecord>\n<granularity>YYYY-MM-DDThh:mm:ssZ</granularity>\n</Identify>\n",
        escape(&catalog.title),
        escape(base_url),
        escape(&catalog.admin_email),
        datestamp(earliest),
    );
    Ok(())
}

fn list_metadata_formats(
    state: &AppState,
    identifier: Option<&str>,
    out: &mut String,
) -> Result<(), OaiError> {
    if let Some(id) = identifier {
        item(state, id)?;
    }
    out.push_str("<ListMetadataFormats>\n");
    for (prefix, schema, namespace) in FORMATS {
        let _ = writeln!(
            out,
            "<metadataFormat><metadataPrefix>{prefix}</metadataPrefix><schema>{schema}</schema><metadataNamespace>{namespace}</metadataNamespace></metadataFormat>"
        );
    }
    out.push_str("</ListMetadataFormats>\n");
    Ok(())
}

fn list_sets(
    state: &AppState,
    resumption_token: Option<&str>,
    out: &mut String,
) -> Result<(), OaiError> {
    if resumption_token.is_some() {
        return Err(OaiError::new(
            "badResumptionToken",
            "ListSets is answered whole; there is no token to resume",
        ));
    }
    out.push_str("<ListSets>\n");
    for s in state.sources.get().iter() {
        let _ = writeln!(
            out,
            "<set><setSpec>{id}</setSpec><setName>Records harvested from the source {id}</setName></set>",
            id = escape(&s.id)
        );
    }
    out.push_str("</ListSets>\n");
    Ok(())
}

fn list(
    state: &AppState,
    request: &ListArgs,
    records: bool,
    out: &mut String,
) -> Result<(), OaiError> {
    let after = match &request.after {
        None => None,
        Some(c) => Some(ChangeCursor {
            modified: c.modified,
            source: c.set.clone(),
            key: c.key.parse::<RecordKey>().map_err(|_| {
                OaiError::new("badResumptionToken", "the token's item key is unreadable")
            })?,
        }),
    };
    if !FORMATS.iter().any(|(p, _, _)| *p == request.prefix) {
        return Err(cannot_disseminate(&request.prefix));
    }
    let size = state.config.oai_page_size;
    let mut changes = state
        .store
        .published_changes(
            request.set.as_deref(),
            request.from,
            request.until,
            after.as_ref(),
            size + 1,
            true,
        )
        .map_err(|e| OaiError::new("noRecordsMatch", e.to_string()))?;
    if changes.is_empty() && request.after.is_none() {
        return Err(OaiError::new(
            "noRecordsMatch",
            "no record matches these arguments",
        ));
    }
    let more = changes.len() > size;
    changes.truncate(size);
    let verb = if records {
        "ListRecords"
    } else {
        "ListIdentifiers"
    };
    let _ = writeln!(out, "<{verb}>");
    for change in &changes {
        let record = state.store.iris().record(&change.source, &change.key);
        // A record's metadata names its resource: read once.
        let quads = if records && !change.deleted {
            Some(
                state
                    .store
                    .record_graph_quads(record.as_ref())
                    .map_err(|e| OaiError::new("idDoesNotExist", e.to_string()))?,
            )
        } else {
            None
        };
        let resource = match &quads {
            Some(quads) => primary_topic(quads, &record),
            None => resource_of(state, change)?,
        };
        let Some(resource) = resource else {
            // Deleted since the list was read.
            continue;
        };
        if records {
            out.push_str("<record>");
            header(out, &resource, change);
            if let Some(quads) = quads {
                metadata(quads, &record, &request.prefix, out)?;
            }
            out.push_str("</record>\n");
        } else {
            header(out, &resource, change);
            out.push('\n');
        }
    }
    match (more, changes.last()) {
        (true, Some(last)) => {
            let _ = writeln!(
                out,
                "<resumptionToken>{}</resumptionToken>",
                escape(&request.token(&Cursor {
                    modified: last.modified,
                    set: last.source.clone(),
                    key: last.key.to_string(),
                }))
            );
        }
        // The last part of a resumed list carries an empty token.
        _ if request.after.is_some() => out.push_str("<resumptionToken/>\n"),
        _ => {}
    }
    let _ = writeln!(out, "</{verb}>");
    Ok(())
}

fn get_record(
    state: &AppState,
    identifier: &str,
    prefix: &str,
    out: &mut String,
) -> Result<(), OaiError> {
    let (change, resource) = item(state, identifier)?;
    if !FORMATS.iter().any(|(p, _, _)| *p == prefix) {
        return Err(cannot_disseminate(prefix));
    }
    let record = state.store.iris().record(&change.source, &change.key);
    out.push_str("<GetRecord><record>");
    header(out, &resource, &change);
    if !change.deleted {
        let quads = state
            .store
            .record_graph_quads(record.as_ref())
            .map_err(|e| OaiError::new("idDoesNotExist", e.to_string()))?;
        metadata(quads, &record, prefix, out)?;
    }
    out.push_str("</record></GetRecord>\n");
    Ok(())
}

/// The item an identifier names (a resource IRI; a record IRI names its resource): the change
/// of its published record, or its deletion; and the resource.
fn item(state: &AppState, identifier: &str) -> Result<(ListedChange, NamedNode), OaiError> {
    let missing = || {
        OaiError::new(
            "idDoesNotExist",
            format!("\"{identifier}\" is not an item of this repository"),
        )
    };
    let change = state
        .store
        .published_item(identifier)
        .map_err(|e| OaiError::new("idDoesNotExist", e.to_string()))?
        .ok_or_else(missing)?;
    let resource = resource_of(state, &change)?.ok_or_else(missing)?;
    Ok((change, resource))
}

/// The resource a record graph's `dcat:CatalogRecord` is about.
fn primary_topic(quads: &[Quad], record: &NamedNode) -> Option<NamedNode> {
    quads.iter().find_map(|q| match (&q.subject, &q.object) {
        (NamedOrBlankNode::NamedNode(s), Term::NamedNode(o))
            if s == record && q.predicate == foaf::PRIMARY_TOPIC =>
        {
            Some(o.clone())
        }
        _ => None,
    })
}

/// The resource a listed change is about (a tombstone keeps it).
fn resource_of(state: &AppState, change: &ListedChange) -> Result<Option<NamedNode>, OaiError> {
    state
        .store
        .resource_of(&change.source, &change.key)
        .map_err(|e| OaiError::new("idDoesNotExist", e.to_string()))
}

fn header(out: &mut String, resource: &NamedNode, change: &ListedChange) {
    let status = if change.deleted {
        " status=\"deleted\""
    } else {
        ""
    };
    let time = DateTime::from_timestamp_micros(change.modified).unwrap_or_default();
    let _ = write!(
        out,
        "<header{status}><identifier>{}</identifier><datestamp>{}</datestamp><setSpec>{}</setSpec></header>",
        escape(resource.as_str()),
        datestamp(time),
        escape(&change.source)
    );
}

fn metadata(
    quads: Vec<Quad>,
    record: &NamedNode,
    prefix: &str,
    out: &mut String,
) -> Result<(), OaiError> {
    out.push_str("<metadata>");
    if prefix == "oai_dc" {
        dublin_core(&quads, record, out);
    } else {
        let mut triples: Vec<Triple> = quads.into_iter().map(Triple::from).collect();
        if prefix == "dcat_ap_2" {
            triples = alzette_dcat::to_dcat_ap_2(triples);
        }
        let xml = serialize(RdfFormat::RdfXml, triples.iter().map(Triple::as_ref))
            .map_err(|e| OaiError::new("cannotDisseminateFormat", e.to_string()))?;
        let xml = String::from_utf8_lossy(&xml);
        // Inside <metadata>, without its own XML declaration.
        let body = match xml.strip_prefix("<?xml") {
            Some(rest) => rest.split_once("?>").map_or("", |(_, b)| b),
            None => &xml,
        };
        out.push_str(body.trim());
    }
    out.push_str("</metadata>");
    Ok(())
}

/// A Dublin Core summary of the record's resource.
fn dublin_core(quads: &[Quad], record: &NamedNode, out: &mut String) {
    let resource = primary_topic(quads, record);
    out.push_str("<oai_dc:dc xmlns:oai_dc=\"http://www.openarchives.org/OAI/2.0/oai_dc/\" xmlns:dc=\"http://purl.org/dc/elements/1.1/\" xmlns:xsi=\"http://www.w3.org/2001/XMLSchema-instance\" xsi:schemaLocation=\"http://www.openarchives.org/OAI/2.0/oai_dc/ http://www.openarchives.org/OAI/2.0/oai_dc.xsd\">");
    let Some(resource) = resource else {
        out.push_str("</oai_dc:dc>");
        return;
    };
    let values = |predicate: oxigraph::model::NamedNodeRef<'_>| -> Vec<Term> {
        quads
            .iter()
            .filter(|q| {
                matches!(&q.subject, NamedOrBlankNode::NamedNode(s) if *s == resource)
                    && q.predicate == predicate
            })
            .map(|q| q.object.clone())
            .collect()
    };
    let text = |t: &Term| match t {
        Term::Literal(l) => Some(l.value().to_owned()),
        Term::NamedNode(n) => Some(n.as_str().to_owned()),
        _ => None,
    };
    let mut element = |name: &str, value: Option<String>| {
        if let Some(v) = value {
            let _ = write!(out, "<dc:{name}>{}</dc:{name}>", escape(&v));
        }
    };
    for t in values(dct::TITLE) {
        element("title", text(&t));
    }
    for t in values(dct::DESCRIPTION) {
        element("description", text(&t));
    }
    element("identifier", Some(resource.as_str().to_owned()));
    for t in values(dct::IDENTIFIER) {
        element("identifier", text(&t));
    }
    for t in values(dcat::KEYWORD) {
        element("subject", text(&t));
    }
    for t in values(dct::PUBLISHER) {
        // The publisher's name where the record has it, else its IRI.
        let name = match &t {
            Term::NamedNode(p) => quads.iter().find_map(|q| match (&q.subject, &q.object) {
                (NamedOrBlankNode::NamedNode(s), Term::Literal(l))
                    if s == p && q.predicate == foaf::NAME =>
                {
                    Some(l.value().to_owned())
                }
                _ => None,
            }),
            _ => None,
        };
        element("publisher", name.or_else(|| text(&t)));
    }
    for t in values(dct::MODIFIED)
        .into_iter()
        .chain(values(dct::ISSUED))
        .take(1)
    {
        element("date", text(&t));
    }
    element("type", Some("Dataset".into()));
    out.push_str("</oai_dc:dc>");
}

fn cannot_disseminate(prefix: &str) -> OaiError {
    OaiError::new(
        "cannotDisseminateFormat",
        format!(
            "\"{prefix}\" is not a metadata format of this repository (dcat_ap, oai_dc, dcat_ap_2)"
        ),
    )
}

fn error(out: &mut String, e: &OaiError) {
    let _ = writeln!(
        out,
        "<error code=\"{}\">{}</error>",
        e.code,
        escape(&e.message)
    );
}
