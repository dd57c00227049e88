//! `kind = "vocabulary"` sources: RDF vocabularies (SKOS authority tables, media types…) read
//! whole from a file, a folder of files, or a URL, and kept in the store as the background
//! knowledge that validation reads. A failed fetch or parse keeps the vocabulary stored before.

use crate::fetch::{Fetched, Fetcher, folder_files};
use crate::validation::read_document;
use alzette_config::SourceConfig;
use alzette_dcat::detect_syntax;
use alzette_store::RecordStore;
use oxrdf::Triple;
use std::sync::Arc;
use tokio_util::sync::CancellationToken;
use url::Url;

/// What a vocabulary harvest read.
pub(crate) struct VocabularyRead {
    pub documents: usize,
    pub triples: Vec<Triple>,
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
pub(crate) async fn read(
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
        let read = read_document(&body, format, final_url.as_str(), final_url.as_str())?;
        if triples.len() + read.len() > source.limits.max_page_triples {
            return Err(format!(
                "the vocabulary has more than {} triples (limit max_page_triples)",
                source.limits.max_page_triples
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
pub(crate) async fn store(
    store: &Arc<RecordStore>,
    source: &str,
    read: VocabularyRead,
) -> Result<usize, String> {
    let store = Arc::clone(store);
    let source = source.to_owned();
    tokio::task::spawn_blocking(move || store.replace_vocabulary(&source, &read.triples))
        .await
        .map_err(|e| e.to_string())?
        .map_err(|e| {
            format!("the store refused the vocabulary ({e}); check the disk and the store folder")
        })
}
