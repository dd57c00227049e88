//! `kind = "csw"`: a CSW 2.0.2 catalogue (an INSPIRE discovery service): `GetRecords` pages
//! of full ISO 19139 records, walked by `nextRecord`, with every known server quirk stopping
//! the walk where it should and the count reconciled against `numberOfRecordsMatched`.

mod paging;
mod request;

pub(crate) use paging::incremental_since;

use super::iso::{mapping_options, to_records};
use super::walk_guard::WalkGuard;
use super::{PageFailure, Source, SourcePage};
use crate::fetch::{ACCEPT_XML, FetchErrorKind, Fetched, Fetcher};
use alzette_config::{CswMethod, CswOptions, SourceConfig};
use alzette_dcat::Normaliser;
use alzette_iso19139::{DocumentError, Options, get_records_bindings, map_csw_page};
use alzette_runlog::Stage;
use bytes::Bytes;
use futures_util::future::BoxFuture;
use paging::{NextStart, next_start};
use tokio_util::sync::CancellationToken;
use url::Url;

/// Walks a CSW endpoint.
pub(crate) struct CswSource {
    endpoint: Url,
    /// `max_pages`, and pages whose records an earlier page had: a server that ignores
    /// `startPosition` serves the same records on every page.
    guard: WalkGuard,
    options: CswOptions,
    mapping: Options,
    fetcher: Fetcher,
    normaliser: Normaliser,
    /// POST or GET, once the capabilities told.
    method: Option<CswMethod>,
    /// Sorting, until the server refuses it.
    sort: bool,
    /// The next `startPosition` (1-based); `None` once the walk ended.
    start: Option<u64>,
    /// Set when the walk ended on a quirk before all announced records came: the run must
    /// not count as complete (nothing is deleted).
    incomplete: Option<PageFailure>,
    matched: Option<u64>,
    received: u64,
    /// Set for an incremental run: records modified since this date only.
    since: Option<String>,
}

impl CswSource {
    /// `since`: ask only for records modified since this date (an incremental run; see
    /// [`incremental_since`]).
    pub fn new(
        config: &SourceConfig,
        options: &CswOptions,
        fetcher: Fetcher,
        normaliser: Normaliser,
        since: Option<String>,
    ) -> Self {
        let options = match &since {
            Some(since) => request::modified_since(options, since),
            None => options.clone(),
        };
        Self {
            endpoint: config.url.clone(),
            guard: WalkGuard::new(config.limits.max_pages),
            mapping: mapping_options(options.profile, &config.limits),
            fetcher,
            normaliser,
            method: match options.method {
                CswMethod::Auto => None,
                m => Some(m),
            },
            sort: options.sort_by.is_some(),
            start: Some(1),
            incomplete: None,
            matched: None,
            received: 0,
            since,
            options,
        }
    }

    /// POST when the capabilities list a POST binding for `GetRecords` (or cannot be read),
    /// else GET.
    async fn resolve_method(&mut self, cancel: &CancellationToken) -> (CswMethod, Option<String>) {
        let url = request::capabilities_url(&self.endpoint);
        match self
            .fetcher
            .fetch_with_accept(&url, None, ACCEPT_XML, cancel)
            .await
        {
            Ok(Fetched::Body { body, .. }) => match get_records_bindings(&body) {
                Some((_, true)) => (CswMethod::Post, None),
                Some((true, false)) => (CswMethod::Get, None),
                _ => (
                    CswMethod::Post,
                    Some("the capabilities list no GetRecords binding; POST is used".into()),
                ),
            },
            Ok(Fetched::NotModified) => (CswMethod::Post, None),
            Err(e) => (
                CswMethod::Post,
                Some(format!(
                    "cannot read the capabilities ({}); POST is used",
                    e.message
                )),
            ),
        }
    }

    /// One `GetRecords` response: (what to call it in messages, its body).
    async fn get_records(
        &mut self,
        start: u64,
        cancel: &CancellationToken,
    ) -> Result<(String, Bytes), PageFailure> {
        let (label, result) = match self.method.unwrap_or(CswMethod::Post) {
            CswMethod::Get => {
                let url = request::request_url(&self.endpoint, &self.options, self.sort, start);
                let result = self
                    .fetcher
                    .fetch_with_accept(&url, None, ACCEPT_XML, cancel)
                    .await;
                (url.to_string(), result)
            }
            _ => {
                let body = Bytes::from(request::request_xml(&self.options, self.sort, start));
                let label = format!("{} (GetRecords startPosition={start})", self.endpoint);
                let result = self
                    .fetcher
                    .post(&self.endpoint, &body, "application/xml", ACCEPT_XML, cancel)
                    .await;
                (label, result)
            }
        };
        match result {
            Ok(Fetched::Body { body, .. }) => Ok((label, body)),
            Ok(Fetched::NotModified) => Err(PageFailure::new(
                &label,
                Stage::Fetch,
                "unexpected HTTP 304",
            )),
            Err(e) => {
                // A file server answers a POST with 501 or 405: the URL is no CSW endpoint.
                let hint = matches!(e.kind, FetchErrorKind::Status(405 | 501))
                    .then_some("; the server does not take CSW requests: is url the endpoint of a catalogue service? For saved ISO 19139 records, use kind = \"iso19139\"")
                    .unwrap_or_default();
                let mut failure = PageFailure::fetch(&label, e);
                failure.message.push_str(hint);
                Err(failure)
            }
        }
    }

    async fn page(
        &mut self,
        start: u64,
        cancel: &CancellationToken,
    ) -> Result<SourcePage, PageFailure> {
        let mut warnings = Vec::new();
        if self.method.is_none() {
            let (method, warning) = self.resolve_method(cancel).await;
            self.method = Some(method);
            warnings.extend(warning);
        }
        self.guard.count(self.endpoint.as_str()).map_err(|mut e| {
            let hint = format!(
                "; pages hold {} records: raise max_pages or page_size",
                self.options.page_size
            );
            e.message.push_str(&hint);
            e
        })?;
        let (mut label, mut body) = self.get_records(start, cancel).await?;
        let mut parsed = self.map(&label, body).await?;
        // Servers that cannot sort say so with an exception: ask again without sorting.
        if let (Err(DocumentError::Exception(message)), true) = (&parsed, self.sort) {
            warnings.push(format!(
                "the server refused to sort by {} ({message}); pages are asked for unsorted",
                self.options.sort_by.as_deref().unwrap_or_default()
            ));
            self.sort = false;
            (label, body) = self.get_records(start, cancel).await?;
            parsed = self.map(&label, body).await?;
        }
        let (csw, mapped) =
            parsed.map_err(|e| PageFailure::new(&label, Stage::Parse, e.to_string()))?;
        let present = csw.records as u64;
        if let Some(returned) = csw.returned.filter(|r| *r != present) {
            warnings.push(format!(
                "numberOfRecordsReturned says {returned} but the page holds {present} records"
            ));
        }
        if let (Some(before), Some(now)) = (self.matched, csw.matched)
            && before != now
        {
            warnings.push(format!(
                "numberOfRecordsMatched changed from {before} to {now} during the walk (the catalogue changed)"
            ));
        }
        if csw.matched.is_some() {
            self.matched = csw.matched;
        }
        self.received += present;
        self.start = match next_start(start, &csw, self.matched, self.received) {
            NextStart::At(next) => Some(next),
            NextStart::End { warning } => {
                warnings.extend(warning);
                None
            }
            NextStart::Incomplete(message) => {
                self.incomplete = Some(PageFailure::new(
                    self.endpoint.as_str(),
                    Stage::Page,
                    message,
                ));
                None
            }
        };
        let records = to_records(mapped, &self.normaliser);
        if !records.records.is_empty() {
            self.guard
                .check_content(&label, &content_of(&records.records))
                .map_err(|mut e| {
                    self.start = None;
                    e.message.push_str(" (the server seems to ignore startPosition); the walk is incomplete and nothing is deleted");
                    e
                })?;
        }
        Ok(SourcePage {
            announced: self.matched,
            warnings,
            record_warnings: records.warnings,
            ..SourcePage::records(label, records.records, records.problems)
        })
    }

    /// Maps a response's records, off the async threads.
    async fn map(
        &self,
        label: &str,
        body: Bytes,
    ) -> Result<
        Result<
            (
                alzette_iso19139::CswPage,
                Vec<alzette_iso19139::MappedRecord>,
            ),
            DocumentError,
        >,
        PageFailure,
    > {
        let mapping = self.mapping.clone();
        tokio::task::spawn_blocking(move || map_csw_page(&body, &mapping))
            .await
            .map_err(|e| PageFailure::new(label, Stage::Parse, format!("the mapping stopped: {e}")))
    }
}

impl Source for CswSource {
    fn partial(&self) -> Option<String> {
        self.since.as_ref().map(|since| {
            format!(
                "incremental run: only the records modified since {since} were asked for, so nothing was deleted (a full run every {})",
                in_days(self.options.full_every)
            )
        })
    }

    fn next_page<'a>(
        &'a mut self,
        cancel: &'a CancellationToken,
    ) -> BoxFuture<'a, Result<Option<SourcePage>, PageFailure>> {
        Box::pin(async move {
            match self.start.take() {
                Some(start) => self.page(start, cancel).await.map(Some),
                None => match self.incomplete.take() {
                    Some(failure) => Err(failure),
                    None => Ok(None),
                },
            }
        })
    }
}

/// What a page holds, as a text to compare with other pages': its records' keys and hashes.
fn content_of(records: &[alzette_dcat::RecordGraph]) -> String {
    let mut keys: Vec<String> = records
        .iter()
        .map(|r| format!("{}:{}", r.key, r.hash))
        .collect();
    keys.sort_unstable();
    keys.concat()
}

/// A duration in days or hours, for messages.
fn in_days(d: std::time::Duration) -> String {
    let hours = d.as_secs() / 3600;
    if hours >= 24 && hours.is_multiple_of(24) {
        format!("{} days", hours / 24)
    } else if hours > 0 {
        format!("{hours} hours")
    } else {
        format!("{} s", d.as_secs())
    }
}
