//! Sources: where pages of records come from. A source walks its pages (fetching, following
//! the protocol's paging, stopping where a walk must stop) and turns each page into records
//! through `alzette-dcat`'s one normalisation step; the run stores them.
//!
//! | kind | source | pages |
//! |---|---|---|
//! | `dcat` | [`DcatSource`] | an RDF document, or Hydra pages (`hydra:next`) |
//! | `csw` | [`CswSource`] | `GetRecords` responses (`nextRecord`), ISO 19139 records |
//! | `iso19139` | [`IsoSource`] | ISO 19139 documents: a file, a folder, a web folder, a list |
//! | `vocabulary` | [`vocabulary`] | RDF documents read whole, not a walk of records |

mod csw;
mod dcat;
mod iso;
mod next_link;
mod page_cache;
pub(crate) mod vocabulary;
mod walk_guard;

pub(crate) use csw::{CswSource, incremental_since};
pub(crate) use dcat::DcatSource;
pub(crate) use iso::IsoSource;

use alzette_config::SourceConfig;
use alzette_dcat::{RecordGraph, RecordKey, RecordLimits, RecordProblem};
use alzette_runlog::{PageCacheEntry, Stage};
use futures_util::future::BoxFuture;
use tokio_util::sync::CancellationToken;

/// One page of a source.
#[derive(Debug)]
pub(crate) struct SourcePage {
    pub url: String,
    pub content: PageContent,
    /// What the source says it holds in all (Hydra `totalItems`, CSW `numberOfRecordsMatched`).
    pub announced: Option<u64>,
    /// What to remember of the page once its records are stored.
    pub cache: Option<PageCacheEntry>,
    /// What the source should fix though the page was read (logged with the run as errors).
    pub warnings: Vec<String>,
    /// What records got wrong that did not stop them: (record, message), logged as warnings.
    pub record_warnings: Vec<(String, String)>,
}

impl SourcePage {
    /// A page of records, with nothing else to say.
    pub fn records(
        url: impl Into<String>,
        records: Vec<RecordGraph>,
        problems: Vec<Problem>,
    ) -> Self {
        Self {
            url: url.into(),
            content: PageContent::Records { records, problems },
            announced: None,
            cache: None,
            warnings: Vec::new(),
            record_warnings: Vec::new(),
        }
    }
}

#[derive(Debug)]
pub(crate) enum PageContent {
    Records {
        records: Vec<RecordGraph>,
        problems: Vec<Problem>,
    },
    /// The page is as it was last time (HTTP 304, or the same bytes): these records are still
    /// there, unchanged.
    Unchanged { keys: Vec<RecordKey> },
}

/// A record of a page that could not be taken, and why. Its earlier version stays when its key
/// is known.
#[derive(Debug)]
pub(crate) struct Problem {
    /// The record as the page names it, with its title when it has one.
    pub record: String,
    pub key: Option<RecordKey>,
    pub message: String,
}

impl From<RecordProblem> for Problem {
    fn from(p: RecordProblem) -> Self {
        Self {
            key: p.refused.key(),
            message: p.refused.to_string(),
            record: p.record,
        }
    }
}

/// A page that could not be read: the walk stops there and is incomplete.
#[derive(Debug, Clone)]
pub(crate) struct PageFailure {
    pub url: String,
    pub stage: Stage,
    pub message: String,
    pub cancelled: bool,
}

impl PageFailure {
    pub fn new(url: impl Into<String>, stage: Stage, message: impl Into<String>) -> Self {
        Self {
            url: url.into(),
            stage,
            message: message.into(),
            cancelled: false,
        }
    }

    /// A fetch that failed, or was cancelled.
    pub fn fetch(url: &str, error: crate::fetch::FetchError) -> Self {
        Self {
            cancelled: error.kind == crate::fetch::FetchErrorKind::Cancelled,
            ..Self::new(url, Stage::Fetch, error.message)
        }
    }
}

/// A source of record pages.
pub(crate) trait Source: Send {
    /// The next page, or `None` when the walk reached the last page.
    fn next_page<'a>(
        &'a mut self,
        cancel: &'a CancellationToken,
    ) -> BoxFuture<'a, Result<Option<SourcePage>, PageFailure>>;

    /// Why a complete walk of this source still does not show what it no longer has (an
    /// incremental run asks for changed records only); `None` when it does.
    fn partial(&self) -> Option<String> {
        None
    }
}

/// The limits every record of a source is held to, whatever its kind.
/// The one normalisation step for a source's records: its limits, IRIs minted under its own
/// base, nothing said about Alzette's own namespace.
pub(crate) fn normaliser(
    store: &alzette_store::RecordStore,
    config: &SourceConfig,
) -> alzette_dcat::Normaliser {
    alzette_dcat::Normaliser::new(store.iris().mint_base(&config.id), record_limits(config))
        .with_reserved_namespace(store.iris().base())
}

pub(crate) fn record_limits(config: &SourceConfig) -> RecordLimits {
    RecordLimits {
        max_record_triples: config.limits.max_record_triples,
        max_literal_size: config.limits.max_literal_size,
    }
}

/// The limits every document of a source is read within (pages, vocabularies, shapes).
pub(crate) fn page_limits(limits: &alzette_config::HarvestLimits) -> alzette_dcat::PageLimits {
    alzette_dcat::PageLimits {
        max_triples: limits.max_page_triples,
        max_nesting_depth: limits.max_nesting_depth,
        max_expanded_size: limits.max_body_size,
    }
}

pub(crate) use crate::policy::origin;
