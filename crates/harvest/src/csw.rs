//! A CSW 2.0.2 catalogue (an INSPIRE discovery service): `GetRecords` pages of full ISO
//! 19139 records, walked by `nextRecord`, with every known server quirk stopping the walk
//! where it should and the count reconciled against `numberOfRecordsMatched`.

use crate::fetch::{ACCEPT_XML, FetchErrorKind, Fetched, Fetcher};
use crate::iso::{mapping_options, to_records};
use crate::source::{PageContent, PageFailure, Source, SourcePage};
use alzette_config::{CswConstraint, CswMethod, CswOptions, SourceConfig};
use alzette_iso19139::{CswPage, DocumentError, Options, get_records_bindings, map_csw_page};
use alzette_runlog::Stage;
use bytes::Bytes;
use futures_util::future::BoxFuture;
use tokio_util::sync::CancellationToken;
use url::Url;

const GMD: &str = "http://www.isotc211.org/2005/gmd";

/// Walks a CSW endpoint.
pub struct CswSource {
    config: SourceConfig,
    options: CswOptions,
    mapping: Options,
    fetcher: Fetcher,
    mint_base: String,
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
    pages: u64,
    /// Set for an incremental run: records modified since this date only.
    since: Option<String>,
}

impl CswSource {
    /// `since`: ask only for records modified since this date (an incremental run).
    pub fn new(
        config: &SourceConfig,
        options: &CswOptions,
        fetcher: Fetcher,
        mint_base: String,
        since: Option<String>,
    ) -> Self {
        let mut options = options.clone();
        if let Some(since) = &since {
            let modified = format!("apiso:Modified >= '{since}'");
            options.constraint = Some(CswConstraint::Cql(match &options.constraint {
                Some(CswConstraint::Cql(cql)) => format!("({cql}) AND {modified}"),
                _ => modified,
            }));
        }
        Self {
            config: config.clone(),
            mapping: mapping_options(options.profile),
            fetcher,
            mint_base,
            method: match options.method {
                CswMethod::Auto => None,
                m => Some(m),
            },
            sort: options.sort_by.is_some(),
            start: Some(1),
            incomplete: None,
            matched: None,
            received: 0,
            pages: 0,
            since,
            options,
        }
    }

    /// POST when the capabilities list a POST binding for `GetRecords` (or cannot be read),
    /// else GET.
    async fn resolve_method(&mut self, cancel: &CancellationToken) -> (CswMethod, Option<String>) {
        let mut url = self.config.url.clone();
        url.query_pairs_mut()
            .append_pair("service", "CSW")
            .append_pair("request", "GetCapabilities")
            .append_pair("version", "2.0.2");
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

    fn request_xml(&self, start: u64) -> String {
        let mut query = String::from("<csw:ElementSetName>full</csw:ElementSetName>");
        match &self.options.constraint {
            Some(CswConstraint::Cql(cql)) => query.push_str(&format!(
                "<csw:Constraint version=\"1.1.0\"><csw:CqlText>{}</csw:CqlText></csw:Constraint>",
                escape(cql)
            )),
            Some(CswConstraint::Filter(filter)) => query.push_str(&format!(
                "<csw:Constraint version=\"1.1.0\">{filter}</csw:Constraint>"
            )),
            None => {}
        }
        if let (true, Some(by)) = (self.sort, &self.options.sort_by) {
            query.push_str(&format!(
                "<ogc:SortBy><ogc:SortProperty><ogc:PropertyName>{}</ogc:PropertyName><ogc:SortOrder>ASC</ogc:SortOrder></ogc:SortProperty></ogc:SortBy>",
                escape(by)
            ));
        }
        format!(
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<csw:GetRecords xmlns:csw=\"http://www.opengis.net/cat/csw/2.0.2\" xmlns:ogc=\"http://www.opengis.net/ogc\" xmlns:gmd=\"{GMD}\" xmlns:apiso=\"http://www.opengis.net/cat/csw/apiso/1.0\" service=\"CSW\" version=\"2.0.2\" resultType=\"results\" startPosition=\"{start}\" maxRecords=\"{}\" outputFormat=\"application/xml\" outputSchema=\"{GMD}\"><csw:Query typeNames=\"gmd:MD_Metadata\">{query}</csw:Query></csw:GetRecords>",
            self.options.page_size
        )
    }

    fn request_url(&self, start: u64) -> Url {
        let mut url = self.config.url.clone();
        {
            let mut q = url.query_pairs_mut();
            q.append_pair("service", "CSW")
                .append_pair("version", "2.0.2")
                .append_pair("request", "GetRecords")
                .append_pair("typeNames", "gmd:MD_Metadata")
                .append_pair("namespace", &format!("xmlns(gmd={GMD})"))
                .append_pair("resultType", "results")
                .append_pair("outputSchema", GMD)
                .append_pair("elementSetName", "full")
                .append_pair("startPosition", &start.to_string())
                .append_pair("maxRecords", &self.options.page_size.to_string());
            match &self.options.constraint {
                Some(CswConstraint::Cql(cql)) => {
                    q.append_pair("constraintLanguage", "CQL_TEXT")
                        .append_pair("constraint_language_version", "1.1.0")
                        .append_pair("constraint", cql);
                }
                Some(CswConstraint::Filter(filter)) => {
                    q.append_pair("constraintLanguage", "FILTER")
                        .append_pair("constraint_language_version", "1.1.0")
                        .append_pair("constraint", filter);
                }
                None => {}
            }
            if let (true, Some(by)) = (self.sort, &self.options.sort_by) {
                q.append_pair("sortBy", &format!("{by}:A"));
            }
        }
        url
    }

    async fn get_records(
        &mut self,
        start: u64,
        cancel: &CancellationToken,
    ) -> Result<(String, Bytes), PageFailure> {
        let method = self.method.unwrap_or(CswMethod::Post);
        let (label, result) = match method {
            CswMethod::Get => {
                let url = self.request_url(start);
                (
                    url.to_string(),
                    self.fetcher
                        .fetch_with_accept(&url, None, ACCEPT_XML, cancel)
                        .await,
                )
            }
            _ => {
                let body = Bytes::from(self.request_xml(start));
                let label = format!("{} (GetRecords startPosition={start})", self.config.url);
                let result = self
                    .fetcher
                    .post(
                        &self.config.url,
                        &body,
                        "application/xml",
                        ACCEPT_XML,
                        cancel,
                    )
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
            Err(e) => Err(PageFailure {
                cancelled: e.kind == FetchErrorKind::Cancelled,
                ..PageFailure::new(&label, Stage::Fetch, e.message)
            }),
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
        if self.pages >= self.config.limits.max_pages {
            return Err(PageFailure::new(
                self.config.url.as_str(),
                Stage::Page,
                format!(
                    "the walk stopped after {} pages of {} records (limit max_pages); raise max_pages or page_size",
                    self.config.limits.max_pages, self.options.page_size
                ),
            ));
        }
        self.pages += 1;
        let (mut label, mut body) = self.get_records(start, cancel).await?;
        let mapping = self.mapping.clone();
        let parse = |body: Bytes| {
            let mapping = mapping.clone();
            tokio::task::spawn_blocking(move || map_csw_page(&body, &mapping))
        };
        let mut parsed = parse(body.clone()).await.map_err(|e| {
            PageFailure::new(&label, Stage::Parse, format!("the mapping stopped: {e}"))
        })?;
        // Servers that cannot sort say so with an exception: ask again without sorting.
        if let (Err(DocumentError::Exception(message)), true) = (&parsed, self.sort) {
            warnings.push(format!(
                "the server refused to sort by {} ({message}); pages are asked for unsorted",
                self.options.sort_by.as_deref().unwrap_or_default()
            ));
            self.sort = false;
            (label, body) = self.get_records(start, cancel).await?;
            parsed = parse(body).await.map_err(|e| {
                PageFailure::new(&label, Stage::Parse, format!("the mapping stopped: {e}"))
            })?;
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
        self.start = self.next_start(start, &csw, &mut warnings);
        let records = to_records(mapped, &self.config, &self.mint_base);
        Ok(SourcePage {
            url: label,
            content: PageContent::Records {
                records: records.records,
                problems: records.problems,
            },
            announced: self.matched,
            cache: None,
            warnings,
            record_warnings: records.warnings,
        })
    }

    /// Where the next page starts, or `None` when the walk ends here. The server's
    /// `nextRecord` is followed only when it moves forward within the result set; an end on a
    /// quirk before every announced record came leaves the walk incomplete.
    fn next_start(
        &mut self,
        start: u64,
        page: &CswPage,
        warnings: &mut Vec<String>,
    ) -> Option<u64> {
        let matched = self.matched;
        let all_received = matched.is_none_or(|m| self.received >= m);
        let present = page.records as u64;
        let quirk = match page.next_record {
            _ if present == 0 => Some(format!("the page at startPosition {start} holds no record")),
            None => Some("the response has no nextRecord".to_owned()),
            Some(0) => None,
            Some(n) if matched.is_some_and(|m| n > m) => None,
            Some(n) if n <= start => Some(format!(
                "nextRecord {n} does not move past startPosition {start}"
            )),
            Some(n) => return Some(n),
        };
        let shortfall = matched.filter(|m| self.received < *m).map(|m| {
            format!(
                "the server announced {m} records (numberOfRecordsMatched) and {} came",
                self.received
            )
        });
        match (quirk, shortfall) {
            (_, None) if all_received => {}
            (None, Some(shortfall)) => {
                // The server said this was the last page.
                warnings.push(format!("{shortfall}: the server's last page came early"));
            }
            (Some(quirk), Some(shortfall)) => {
                self.incomplete = Some(PageFailure::new(
                    self.config.url.as_str(),
                    Stage::Page,
                    format!(
                        "{quirk}; {shortfall}, so the walk is incomplete and nothing is deleted"
                    ),
                ));
            }
            (Some(quirk), None) => warnings.push(format!("{quirk}; the walk ends here")),
            (None, None) => {}
        }
        None
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

fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
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
