//! `kind = "vocabulary"` sources: RDF vocabularies (SKOS authority tables, media types…) read
//! whole from a file, a folder of files, or a URL, and kept in the store as the background
//! knowledge that validation reads. A run reads every document, then replaces the stored
//! vocabulary in one transaction; any failure keeps the vocabulary stored before.

use super::page_limits;
use crate::RunReport;
use crate::fetch::{Fetched, Fetcher, folder_files};
use crate::rdf_file::{RdfFileError, read_document};
use alzette_config::SourceConfig;
use alzette_dcat::detect_syntax;
use alzette_runlog::{Outcome, Run, RunLog, RunLogError, Stage};
use alzette_store::RecordStore;
use oxrdf::{Term, Triple};
use std::sync::Arc;
use tokio_util::sync::CancellationToken;
use url::Url;

/// What a vocabulary harvest read.
struct VocabularyRead {
    documents: usize,
    triples: Vec<Triple>,
}

/// One run of a vocabulary source; `runlog` is `None` for a dry run (nothing is written).
pub(crate) async fn run(
    store: &Arc<RecordStore>,
    runlog: Option<&RunLog>,
    source: &SourceConfig,
    shutdown: &CancellationToken,
    fetcher: &Fetcher,
) -> Result<RunReport, RunLogError> {
    let mut run = match runlog {
        Some(log) => log.start(&source.id)?,
        None => Run::new(0, &source.id),
    };
    tracing::info!(source = %source.id, run = run.id, "vocabulary run started");
    let cancel = shutdown.child_token();
    let read = tokio::select! {
        read = read(source, fetcher, &cancel) => read,
        () = tokio::time::sleep(source.limits.run_deadline) => Err(format!(
            "the run was stopped at its deadline ({:?}, limit run_deadline)",
            source.limits.run_deadline
        )),
    };
    let (outcome, message) = match read {
        Err(message) => {
            run.record_error(source.url.as_str(), Stage::Fetch, &message);
            let outcome = if shutdown.is_cancelled() {
                Outcome::Interrupted
            } else {
                Outcome::Failed
            };
            (
                outcome,
                Some(format!("{message}; the vocabulary stored before is kept")),
            )
        }
        Ok(read) if runlog.is_none() => (
            Outcome::Ok,
            Some(format!(
                "{} triples in {} documents (dry run: not stored)",
                read.triples.len(),
                read.documents
            )),
        ),
        Ok(read) => {
            let documents = read.documents;
            run.pages = documents as u64;
            match replace(store, &source.id, read).await {
                Ok(triples) => {
                    run.counts.updated = 1;
                    (
                        Outcome::Ok,
                        Some(format!("{triples} triples in {documents} documents")),
                    )
                }
                Err(message) => (Outcome::Failed, Some(message)),
            }
        }
    };
    match runlog {
        Some(log) => log.finish(&mut run, outcome, message)?,
        None => run.end(outcome, message),
    }
    tracing::info!(source = %source.id, run = run.id, outcome = %run.outcome, detail = run.message.as_deref().unwrap_or(""), "vocabulary run ended");
    Ok(RunReport { run, plan: None })
}

/// The documents of a vocabulary source: its URL, or for a `file:` folder, every RDF file in
/// it (not in subfolders), in name order.
fn documents(source: &SourceConfig) -> Result<Vec<Url>, String> {
    const RDF: [&str; 6] = ["ttl", "rdf", "owl", "xml", "nt", "jsonld"];
    match folder_files(&source.url, &RDF)? {
        None => Ok(vec![source.url.clone()]),
        Some(files) if files.is_empty() => Err(format!(
            "{} has no RDF files (.ttl, .rdf, .owl, .xml, .nt, .jsonld)",
            source.url
        )),
        Some(files) => Ok(files),
    }
}

/// Fetches and parses every document of the source; any failure fails the whole read.
async fn read(
    source: &SourceConfig,
    fetcher: &Fetcher,
    cancel: &CancellationToken,
) -> Result<VocabularyRead, String> {
    let mut triples = Vec::new();
    let urls = documents(source)?;
    for url in &urls {
        let (final_url, content_type, body) = match fetcher.fetch(url, None, cancel).await {
            Ok(Fetched::Body {
                url,
                content_type,
                body,
                ..
            }) => (url, content_type, body),
            Ok(Fetched::NotModified) => return Err(format!("{url}: unexpected 304")),
            Err(e) => return Err(e.to_string()),
        };
        let Some((format, _)) = detect_syntax(content_type.as_deref(), final_url.as_str(), &body)
        else {
            return Err(format!(
                "{final_url}: cannot tell its RDF syntax (name it .ttl, .rdf, .nt or .jsonld, or serve an RDF media type)"
            ));
        };
        // The guard and limits of pages; the triples of all documents together are counted
        // against max_page_triples while each is parsed.
        let mut limits = page_limits(&source.limits);
        limits.max_triples = limits.max_triples.saturating_sub(triples.len());
        let read = read_document(
            &body,
            format,
            final_url.as_str(),
            final_url.as_str(),
            &limits,
        )
        .map_err(|e| match e {
            RdfFileError::TooManyTriples { .. } => format!(
                "the vocabulary has more than {} triples (limit max_page_triples)",
                source.limits.max_page_triples
            ),
            e => e.to_string(),
        })?;
        if let Some(t) = read.iter().find(|t| {
            matches!(&t.object, Term::Literal(l) if l.value().len() as u64 > source.limits.max_literal_size)
        }) {
            return Err(format!(
                "{final_url}: its {} value is larger than {} bytes (limit max_literal_size)",
                t.predicate, source.limits.max_literal_size
            ));
        }
        triples.extend(read);
    }
    Ok(VocabularyRead {
        documents: urls.len(),
        triples,
    })
}

/// Stores what was read, replacing the source's vocabulary.
async fn replace(
    store: &Arc<RecordStore>,
    source: &str,
    read: VocabularyRead,
) -> Result<usize, String> {
    let store = Arc::clone(store);
    let source = source.to_owned();
    tokio::task::spawn_blocking(move || store.replace_vocabulary(&source, &read.triples))
        .await
        .map_err(|e| crate::errors::task_failure("the vocabulary write", e).to_string())?
        .map_err(|e| e.to_string())
}
