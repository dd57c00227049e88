//! Sources: where pages of records come from. A source walks its pages and splits each into
//! records; the run stores them.

use crate::fetch::{FetchErrorKind, Fetched, Fetcher, Validators};
use alzette_config::{DcatOptions, RdfSyntax, SourceConfig};
use alzette_dcat::{
    ContextSet, DetectedBy, JSON_LD, PageLimits, PageParser, RdfFormat, RecordGraph, RecordProblem,
    SplitOptions, detect_syntax, from_url, page_links, remote_context_iris, sniff, split_records,
    syntax_name,
};
use alzette_runlog::{PageCacheEntry, RunLog, Stage};
use alzette_store::{RecordKey, RecordStore, hex, parse_key};
use futures_util::future::BoxFuture;
use sha2::{Digest, Sha256};
use std::collections::HashSet;
use std::sync::Arc;
use tokio_util::sync::CancellationToken;
use url::Url;

/// One page of a source.
#[derive(Debug)]
pub struct SourcePage {
    pub url: String,
    pub content: PageContent,
    /// What the source says it holds in all (Hydra `totalItems`).
    pub announced: Option<u64>,
    /// What to remember of the page once its records are stored.
    pub cache: Option<PageCacheEntry>,
    /// What the source should fix though the page was read (logged with the run as errors).
    pub warnings: Vec<String>,
    /// What records got wrong that did not stop them: (record, message), logged as warnings.
    pub record_warnings: Vec<(String, String)>,
}

#[derive(Debug)]
pub enum PageContent {
    Records {
        records: Vec<RecordGraph>,
        problems: Vec<RecordProblem>,
    },
    /// The page is as it was last time (HTTP 304, or the same bytes): these records are still
    /// there, unchanged.
    Unchanged { keys: Vec<RecordKey> },
}

/// A page that could not be read: the walk stops there and is incomplete.
#[derive(Debug, Clone)]
pub struct PageFailure {
    pub url: String,
    pub stage: Stage,
    pub message: String,
    pub cancelled: bool,
}

impl PageFailure {
    pub(crate) fn new(url: impl Into<String>, stage: Stage, message: impl Into<String>) -> Self {
        Self {
            url: url.into(),
            stage,
            message: message.into(),
            cancelled: false,
        }
    }
}

/// A source of record pages.
pub trait Source: Send {
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

/// Where the walk goes after the current page.
enum Next {
    Page(Url),
    /// The page's next link cannot be followed: the walk fails there.
    Fail(PageFailure),
    End,
}

/// A DCAT catalogue in any RDF syntax, in one document or paged with Hydra.
pub struct DcatSource {
    id: String,
    options: DcatOptions,
    fetcher: Fetcher,
    runlog: Option<Arc<RunLog>>,
    /// What remembered pages are checked against: a 304 stands for records only if the store
    /// still has them.
    store: Arc<RecordStore>,
    split: SplitOptions,
    page_limits: PageLimits,
    max_pages: u64,
    fingerprint: String,
    start_origin: String,
    next: Next,
    pages: u64,
    seen_urls: HashSet<String>,
    seen_bodies: HashSet<String>,
    contexts: Arc<ContextSet>,
}

impl DcatSource {
    pub fn new(
        config: &SourceConfig,
        options: &DcatOptions,
        fetcher: Fetcher,
        runlog: Option<Arc<RunLog>>,
        store: Arc<RecordStore>,
        validation: Option<&str>,
    ) -> Self {
        let mint_base = store.iris().mint_base(&config.id);
        let mut split = SplitOptions::new(&mint_base);
        split.max_record_triples = config.limits.max_record_triples;
        split.max_literal_size = config.limits.max_literal_size;
        let page_limits = PageLimits {
            max_triples: config.limits.max_page_triples,
            max_nesting_depth: config.limits.max_nesting_depth,
            max_expanded_size: config.limits.max_body_size,
        };
        // Anything that changes what a page yields invalidates what was remembered of it;
        // so do other shapes or vocabularies, whose reports must then be made again.
        let fingerprint = hex(&Sha256::digest(
            format!(
                "{}|{:?}|{mint_base}|{}|{}|{page_limits:?}|{:?}|{:?}",
                config.url,
                options,
                config.limits.max_record_triples,
                config.limits.max_literal_size,
                validation,
                config.on_invalid,
            )
            .as_bytes(),
        )[..16]);
        Self {
            id: config.id.clone(),
            options: options.clone(),
            fetcher,
            runlog,
            store,
            split,
            page_limits,
            max_pages: config.limits.max_pages,
            fingerprint,
            start_origin: origin(&config.url),
            next: Next::Page(config.url.clone()),
            pages: 0,
            seen_urls: HashSet::new(),
            seen_bodies: HashSet::new(),
            contexts: Arc::new(ContextSet::bundled()),
        }
    }

    async fn page(
        &mut self,
        url: Url,
        cancel: &CancellationToken,
    ) -> Result<SourcePage, PageFailure> {
        let url_text = url.to_string();
        if self.pages >= self.max_pages {
            return Err(PageFailure::new(
                &url_text,
                Stage::Page,
                format!(
                    "the walk stopped after {} pages (limit max_pages); the next page was not fetched",
                    self.max_pages
                ),
            ));
        }
        if !self.seen_urls.insert(url_text.clone()) {
            return Err(PageFailure::new(
                &url_text,
                Stage::Page,
                "paging loop: this page was already fetched in this run",
            ));
        }
        self.pages += 1;

        let cached = match &self.runlog {
            Some(log) => log
                .page(&self.id, &url_text)
                .ok()
                .flatten()
                .filter(|c| c.fingerprint == self.fingerprint),
            None => None,
        };
        let validators = cached.as_ref().map(|c| Validators {
            etag: c.etag.clone(),
            last_modified: c.last_modified.clone(),
        });
        let validators = validators.filter(|v| v.etag.is_some() || v.last_modified.is_some());
        let mut fetched = self.fetch(&url, validators.as_ref(), cancel).await?;
        if let (Fetched::NotModified, Some(cached)) = (&fetched, &cached) {
            if let Some(page) = self.unchanged(&url_text, cached, None)? {
                return Ok(page);
            }
            // The store lost records this page stands for (a restored or new store): read it.
            fetched = self.fetch(&url, None, cancel).await?;
        }
        let (final_url, content_type, body, validators) = match fetched {
            Fetched::NotModified => {
                return Err(PageFailure::new(
                    &url_text,
                    Stage::Fetch,
                    "HTTP 304 Not Modified to a request without validators",
                ));
            }
            Fetched::Body {
                url,
                content_type,
                body,
                validators,
            } => (url, content_type, body, validators),
        };
        let body_hash = hex(&Sha256::digest(&body));
        // The same bytes as last time read with the same configuration give the same records:
        // for servers without validators, this is what a 304 would have said. (Not for JSON-LD
        // with remote contexts, which may have changed on their own.)
        if let Some(cached) = cached.as_ref().filter(|c| c.body_hash == body_hash) {
            let bundled_only = remote_context_iris(&body, url.as_str())
                .iter()
                .all(|iri| ContextSet::bundled_iris().any(|b| b == iri));
            if bundled_only
                && let Some(page) = self.unchanged(&url_text, cached, Some(validators.clone()))?
            {
                return Ok(page);
            }
        }
        self.check_repeat(&url_text, &body_hash)?;

        let detected = match self.options.format {
            Some(forced) => (format_of(forced), DetectedBy::Configuration),
            None => detect_syntax(content_type.as_deref(), final_url.as_str(), &body)
                .ok_or_else(|| {
                    PageFailure::new(
                        &url_text,
                        Stage::Parse,
                        format!(
                            "cannot tell the RDF syntax of the page (Content-Type {}, no known extension, content not recognised); set format in the source's configuration",
                            content_type.as_deref().unwrap_or("absent")
                        ),
                    )
                })?,
        };
        let format = detected.0;
        // A Content-Type can be wrong (RDF/XML sent as text/turtle...): when the declared
        // syntax does not parse, what the content looks like is tried before giving up.
        let fallback = (detected.1 == DetectedBy::ContentType)
            .then(|| from_url(final_url.as_str()).or_else(|| sniff(&body)))
            .flatten()
            .filter(|f| *f != format);
        if matches!(format, RdfFormat::JsonLd { .. }) {
            self.load_contexts(&body, final_url.as_str(), cancel)
                .await?;
        }

        let parser = PageParser::new(format, final_url.as_str())
            .with_contexts(Arc::clone(&self.contexts))
            .with_limits(self.page_limits);
        let split = self.split.clone();
        let base = final_url.to_string();
        let parsed = tokio::task::spawn_blocking(move || {
            let (graph, used) = match parser.parse(&body) {
                Ok(graph) => (graph, format),
                Err(e) => match fallback {
                    Some(other) => match parser.with_format(other).parse(&body) {
                        Ok(graph) => (graph, other),
                        Err(_) => return Err(e),
                    },
                    None => return Err(e),
                },
            };
            let links = page_links(&graph, &base);
            let page = split_records(&graph, &split);
            Ok::<_, alzette_dcat::PageError>((links, page, used))
        })
        .await
        .map_err(|e| {
            PageFailure::new(&url_text, Stage::Parse, format!("the parser stopped: {e}"))
        })?;
        let (links, split, used) = parsed.map_err(|e| {
            // A declared syntax that does not parse may be a wrong Content-Type: say what the
            // content looks like.
            PageFailure::new(
                &url_text,
                Stage::Parse,
                format!("{e} (read as {})", syntax_name(format)),
            )
        })?;
        if links.ambiguous_next {
            tracing::warn!(source = %self.id, page = %url_text, next = ?links.next, "several different next-page links; following the one of this page's view");
        }
        self.next = self.follow(links.next.as_deref(), &url_text);
        let cache = PageCacheEntry {
            etag: validators.etag,
            last_modified: validators.last_modified,
            body_hash,
            next: links.next.clone(),
            announced: links.total_items,
            records: Vec::new(),
            fingerprint: self.fingerprint.clone(),
        };
        let mut warnings = Vec::new();
        if used != format {
            warnings.push(format!(
                "the server declares {} (Content-Type {}) but the page is {}; it was read as {}",
                syntax_name(format),
                content_type.as_deref().unwrap_or_default(),
                syntax_name(used),
                syntax_name(used)
            ));
        }
        Ok(SourcePage {
            url: url_text,
            warnings,
            content: PageContent::Records {
                records: split.records,
                problems: split.problems,
            },
            announced: links.total_items,
            cache: Some(cache),
            record_warnings: Vec::new(),
        })
    }

    /// A page known from last time, when the store still has every record it stands for.
    fn unchanged(
        &mut self,
        url: &str,
        cached: &PageCacheEntry,
        validators: Option<Validators>,
    ) -> Result<Option<SourcePage>, PageFailure> {
        let keys: Vec<RecordKey> = cached.records.iter().filter_map(|k| parse_key(k)).collect();
        if !self.store.has_records(&self.id, &keys).unwrap_or(false) {
            return Ok(None);
        }
        self.check_repeat(url, &cached.body_hash)?;
        self.next = self.follow(cached.next.as_deref(), url);
        let mut entry = cached.clone();
        if let Some(v) = validators {
            entry.etag = v.etag;
            entry.last_modified = v.last_modified;
        }
        Ok(Some(SourcePage {
            url: url.to_owned(),
            content: PageContent::Unchanged { keys },
            announced: cached.announced,
            cache: Some(entry),
            warnings: Vec::new(),
            record_warnings: Vec::new(),
        }))
    }

    async fn fetch(
        &self,
        url: &Url,
        validators: Option<&Validators>,
        cancel: &CancellationToken,
    ) -> Result<Fetched, PageFailure> {
        self.fetcher
            .fetch(url, validators, cancel)
            .await
            .map_err(|e| PageFailure {
                cancelled: e.kind == FetchErrorKind::Cancelled,
                ..PageFailure::new(url.as_str(), Stage::Fetch, e.message)
            })
    }

    fn check_repeat(&mut self, url: &str, body_hash: &str) -> Result<(), PageFailure> {
        if self.seen_bodies.insert(body_hash.to_owned()) {
            Ok(())
        } else {
            Err(PageFailure::new(
                url,
                Stage::Page,
                "paging loop: this page repeats the content of an earlier page of this run",
            ))
        }
    }

    /// The next page: rewritten as configured, and only within allowed origins. A bad link
    /// fails the walk after this page's records are taken.
    fn follow(&self, next: Option<&str>, from: &str) -> Next {
        match next.map(|n| self.next_url(n, from)) {
            None => Next::End,
            Some(Ok(url)) => Next::Page(url),
            Some(Err(failure)) => Next::Fail(failure),
        }
    }

    fn next_url(&self, next: &str, from: &str) -> Result<Url, PageFailure> {
        let mut target = next.to_owned();
        if let Some((prefix, replacement)) = self
            .options
            .page_url_rewrite
            .iter()
            .find(|(p, _)| next.starts_with(p.as_str()))
        {
            target = format!("{replacement}{}", &next[prefix.len()..]);
        }
        let url = Url::parse(&target).map_err(|e| {
            PageFailure::new(
                from,
                Stage::Page,
                format!("the next-page link <{target}> is not a valid URL: {e}"),
            )
        })?;
        let o = origin(&url);
        if o != self.start_origin && !self.options.page_origins.contains(&o) {
            return Err(PageFailure::new(
                from,
                Stage::Page,
                format!(
                    "the next-page link <{target}> leaves the source's origin ({}); list its origin in page_origins or map it with page_url_rewrite",
                    self.start_origin
                ),
            ));
        }
        Ok(url)
    }

    /// Makes the remote contexts a JSON-LD page names available: bundled, or loaded from the
    /// location the configuration gives. Others stay unknown and the parser refuses them.
    async fn load_contexts(
        &mut self,
        body: &[u8],
        base: &str,
        cancel: &CancellationToken,
    ) -> Result<(), PageFailure> {
        let mut pending = remote_context_iris(body, base);
        let mut loaded = 0;
        while let Some(iri) = pending.pop() {
            if self.contexts.contains(&iri) {
                continue;
            }
            let Some(location) = self.options.jsonld_contexts.get(&iri) else {
                continue;
            };
            loaded += 1;
            if loaded > 16 {
                return Err(PageFailure::new(
                    base,
                    Stage::Parse,
                    "more than 16 remote JSON-LD contexts",
                ));
            }
            let content = match self.fetcher.fetch(location, None, cancel).await {
                Ok(Fetched::Body { body, .. }) => body.to_vec(),
                Ok(Fetched::NotModified) => continue,
                Err(e) => {
                    return Err(PageFailure::new(
                        base,
                        Stage::Fetch,
                        format!(
                            "cannot load the JSON-LD context <{iri}> from {location}: {}",
                            e.message
                        ),
                    ));
                }
            };
            pending.extend(remote_context_iris(&content, location.as_str()));
            Arc::make_mut(&mut self.contexts).insert(iri, content);
        }
        Ok(())
    }
}

impl Source for DcatSource {
    fn next_page<'a>(
        &'a mut self,
        cancel: &'a CancellationToken,
    ) -> BoxFuture<'a, Result<Option<SourcePage>, PageFailure>> {
        Box::pin(async move {
            match std::mem::replace(&mut self.next, Next::End) {
                Next::End => Ok(None),
                Next::Fail(failure) => Err(failure),
                Next::Page(url) => self.page(url, cancel).await.map(Some),
            }
        })
    }
}

fn format_of(syntax: RdfSyntax) -> RdfFormat {
    match syntax {
        RdfSyntax::Turtle => RdfFormat::Turtle,
        RdfSyntax::NTriples => RdfFormat::NTriples,
        RdfSyntax::RdfXml => RdfFormat::RdfXml,
        RdfSyntax::JsonLd => JSON_LD,
    }
}

pub(crate) fn origin(url: &Url) -> String {
    match url.scheme() {
        "file" => "file://".to_owned(),
        _ => url.origin().ascii_serialization(),
    }
}
