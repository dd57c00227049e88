//! `kind = "iso19139"`, and ISO 19139 records as harvest records (for CSW too): ISO documents
//! read as pages — a file, a folder, a web folder (an HTML index of `.xml` files) or a list of
//! URLs — mapped to GeoDCAT-AP and normalised like every other record.

use super::{PageFailure, Problem, Source, SourcePage, origin};
use crate::fetch::{ACCEPT_XML, Fetched, Fetcher, folder_files};
use alzette_config::{HarvestLimits, IsoOptions, IsoProfile, SourceConfig};
use alzette_dcat::{Description, Normaliser, RecordGraph, RecordKind};
use alzette_iso19139::{MappedRecord, Options, Profile, ResourceKind, TreeLimits};
use alzette_runlog::Stage;
use futures_util::future::BoxFuture;
use std::collections::{HashSet, VecDeque};
use tokio_util::sync::CancellationToken;
use url::Url;

/// Mapping options for a source's profile, its documents bounded as pages are (elements
/// counted against `max_page_triples` while the tree is built, nesting against
/// `max_nesting_depth`).
pub(crate) fn mapping_options(profile: IsoProfile, limits: &HarvestLimits) -> Options {
    Options {
        profile: match profile {
            IsoProfile::Core => Profile::Core,
            IsoProfile::Extended => Profile::Extended,
        },
        limits: TreeLimits {
            max_elements: limits.max_page_triples,
            max_depth: limits.max_nesting_depth,
        },
        ..Options::default()
    }
}

/// The records of one ISO document, ready for a run.
#[derive(Default)]
pub(crate) struct IsoPage {
    pub records: Vec<RecordGraph>,
    pub problems: Vec<Problem>,
    /// (record, what its mapping left out or worked around).
    pub warnings: Vec<(String, String)>,
}

/// Turns mapped ISO records into harvest records through the one normalisation step: a
/// resource without an IRI of its own gets one minted from the record's `gmd:fileIdentifier`
/// (stable across harvests), and the source's limits apply.
pub(crate) fn to_records(mapped: Vec<MappedRecord>, normaliser: &Normaliser) -> IsoPage {
    let mut page = IsoPage::default();
    for record in mapped {
        let label = match &record.file_identifier {
            Some(id) => format!("ISO record {id}"),
            None => format!("ISO record <{}>", record.resource),
        };
        for w in record.warnings {
            page.warnings.push((label.clone(), w));
        }
        let kind = match record.kind {
            ResourceKind::Dataset => RecordKind::Dataset,
            ResourceKind::Series => RecordKind::DatasetSeries,
            ResourceKind::Service => RecordKind::DataService,
            ResourceKind::Other(scope) => {
                page.warnings.push((
                    label,
                    format!("its hierarchyLevel is \"{scope}\", not a dataset, series or service; not harvested"),
                ));
                continue;
            }
        };
        let described = normaliser.record(Description {
            resource: record.resource,
            kinds: vec![kind],
            triples: record.triples,
            identifier: record.file_identifier,
        });
        match described {
            Ok(r) => page.records.push(r),
            Err(refused) => page.problems.push(Problem {
                record: label,
                key: refused.key(),
                message: refused.to_string(),
            }),
        }
    }
    page
}

/// ISO 19139 documents: `url` (a file, a folder, or a web page listing `.xml` files) and the
/// source's `urls`; each document is a page.
pub(crate) struct IsoSource {
    url: Url,
    max_pages: u64,
    options: Options,
    fetcher: Fetcher,
    normaliser: Normaliser,
    pending: VecDeque<Url>,
    /// The source's own `url`, which may turn out to be a folder or an index to expand.
    start: Option<Url>,
    seen: HashSet<Url>,
    pages: u64,
    /// Documents that could not be read: their records are unknown, so the walk cannot tell
    /// what the source no longer has (nothing is deleted).
    unreadable: Vec<String>,
}

impl IsoSource {
    pub fn new(
        config: &SourceConfig,
        options: &IsoOptions,
        fetcher: Fetcher,
        normaliser: Normaliser,
    ) -> Self {
        Self {
            url: config.url.clone(),
            max_pages: config.limits.max_pages,
            options: mapping_options(options.profile, &config.limits),
            fetcher,
            normaliser,
            pending: options.urls.iter().cloned().collect(),
            start: Some(config.url.clone()),
            seen: HashSet::new(),
            pages: 0,
            unreadable: Vec::new(),
        }
    }

    async fn document(
        &mut self,
        url: Url,
        cancel: &CancellationToken,
    ) -> Result<SourcePage, PageFailure> {
        if self.pages >= self.max_pages {
            return Err(PageFailure::new(
                url.as_str(),
                Stage::Page,
                format!(
                    "the source has more than {} documents (limit max_pages); the rest were not read",
                    self.max_pages
                ),
            ));
        }
        self.pages += 1;
        let body = match self
            .fetcher
            .fetch_with_accept(&url, None, ACCEPT_XML, cancel)
            .await
        {
            Ok(Fetched::Body {
                body, content_type, ..
            }) => {
                // A web folder: its index lists the records.
                if content_type.as_deref().is_some_and(|c| c.contains("html"))
                    || looks_like_html(&body)
                {
                    let links = xml_links(&String::from_utf8_lossy(&body), &url);
                    if links.is_empty() {
                        return Err(PageFailure::new(
                            url.as_str(),
                            Stage::Parse,
                            "an HTML page that links no .xml file (an error page, or not a web folder)",
                        ));
                    }
                    for link in links.into_iter().rev() {
                        if self.seen.insert(link.clone()) {
                            self.pending.push_front(link);
                        }
                    }
                    return Ok(SourcePage::records(url.as_str(), Vec::new(), Vec::new()));
                }
                body
            }
            Ok(Fetched::NotModified) => {
                return Err(PageFailure::new(
                    url.as_str(),
                    Stage::Fetch,
                    "unexpected HTTP 304",
                ));
            }
            Err(e) => return Err(PageFailure::fetch(url.as_str(), e)),
        };
        let options = self.options.clone();
        let normaliser = self.normaliser.clone();
        let name = url.to_string();
        // One bad document is one failed record, not the end of the walk.
        let page = tokio::task::spawn_blocking(move || {
            match alzette_iso19139::map_document(&body, &options) {
                Ok(mapped) => to_records(mapped, &normaliser),
                Err(e) => IsoPage {
                    problems: vec![Problem {
                        record: name,
                        key: None,
                        message: e.to_string(),
                    }],
                    ..IsoPage::default()
                },
            }
        })
        .await
        .map_err(|e| {
            PageFailure::new(
                url.as_str(),
                Stage::Parse,
                format!("the mapping stopped: {e}"),
            )
        })?;
        if page.problems.iter().any(|p| p.record == url.as_str()) {
            self.unreadable.push(url.to_string());
        }
        Ok(SourcePage {
            record_warnings: page.warnings,
            ..SourcePage::records(url.as_str(), page.records, page.problems)
        })
    }
}

impl Source for IsoSource {
    fn next_page<'a>(
        &'a mut self,
        cancel: &'a CancellationToken,
    ) -> BoxFuture<'a, Result<Option<SourcePage>, PageFailure>> {
        Box::pin(async move {
            if let Some(start) = self.start.take() {
                let files = folder_files(&start, &["xml"])
                    .map_err(|e| PageFailure::new(start.as_str(), Stage::Fetch, e.to_string()))?;
                match files {
                    Some(files) => {
                        for f in files.into_iter().rev() {
                            if self.seen.insert(f.clone()) {
                                self.pending.push_front(f);
                            }
                        }
                    }
                    None => {
                        self.seen.insert(start.clone());
                        self.pending.push_front(start);
                    }
                }
            }
            match self.pending.pop_front() {
                None if self.unreadable.is_empty() => Ok(None),
                None => Err(PageFailure::new(
                    self.url.as_str(),
                    Stage::Parse,
                    format!(
                        "{} documents could not be read ({}), so what the source no longer has is unknown",
                        self.unreadable.len(),
                        std::mem::take(&mut self.unreadable).join(", ")
                    ),
                )),
                Some(url) => self.document(url, cancel).await.map(Some),
            }
        })
    }
}

fn looks_like_html(body: &[u8]) -> bool {
    let head = String::from_utf8_lossy(&body[..body.len().min(512)]).to_lowercase();
    let head = head.trim_start();
    head.starts_with("<!doctype html") || head.starts_with("<html")
}

/// The `.xml` files an HTML index links to, on the index's own origin, in page order.
fn xml_links(html: &str, base: &Url) -> Vec<Url> {
    let mut out = Vec::new();
    let mut rest = html;
    while let Some(at) = rest.find("href=") {
        rest = &rest[at + 5..];
        let quote = rest.chars().next().unwrap_or(' ');
        let value = if quote == '"' || quote == '\'' {
            rest[1..].split(quote).next().unwrap_or("")
        } else {
            rest.split(|c: char| c.is_whitespace() || c == '>')
                .next()
                .unwrap_or("")
        };
        let Ok(url) = base.join(value) else { continue };
        let same_origin = origin(&url) == origin(base);
        if same_origin && url.path().to_lowercase().ends_with(".xml") && !out.contains(&url) {
            out.push(url);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    #[test]
    fn an_index_yields_its_xml_links_on_its_origin() {
        let base = url::Url::parse("http://127.0.0.1:9/records/").unwrap();
        let html = r#"<a href="a.xml">a</a> <a href='/other/b.XML'>b</a> <a href=c.txt>c</a>
            <a href="http://elsewhere.example/d.xml">d</a> <a href="a.xml">again</a>"#;
        let links: Vec<String> = super::xml_links(html, &base)
            .iter()
            .map(ToString::to_string)
            .collect();
        assert_eq!(
            links,
            [
                "http://127.0.0.1:9/records/a.xml",
                "http://127.0.0.1:9/other/b.XML"
            ]
        );
    }
}
