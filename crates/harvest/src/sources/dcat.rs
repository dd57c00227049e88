//! `kind = "dcat"`: a DCAT catalogue in any RDF syntax, in one document or paged with Hydra.
//!
//! A page goes through named steps: the walk's guard (`max_pages`, loops), the page cache
//! (a conditional request, or the same bytes as last time), the syntax (configured, declared,
//! or recognised, with a fallback when the declared one does not parse), the JSON-LD contexts
//! the page names, parsing and splitting into records, and the next link.

use super::next_link::next_url;
use super::page_cache::{PageCache, conditional};
use super::walk_guard::WalkGuard;
use super::{PageContent, PageFailure, Problem, Source, SourcePage, page_limits};
use crate::fetch::{CacheValidators, Fetched, Fetcher};
use alzette_config::{DcatOptions, RdfSyntax, SourceConfig};
use alzette_dcat::hex;
use alzette_dcat::{
    ContextSet, DetectedBy, JSON_LD, PageLimits, PageLinks, PageParser, RdfFormat, SplitOptions,
    SplitPage, detect_syntax, from_url, looks_like, page_links, remote_context_iris, sniff,
    split_records, syntax_name,
};
use alzette_runlog::{PageCacheEntry, RunLog, Stage};
use alzette_store::RecordStore;
use bytes::Bytes;
use futures_util::future::BoxFuture;
use sha2::{Digest, Sha256};
use std::sync::Arc;
use tokio_util::sync::CancellationToken;
use url::Url;

/// Where the walk goes after the current page.
enum Next {
    Page(Url),
    /// The page's next link cannot be followed: the walk fails there.
    Fail(PageFailure),
    End,
}

/// What a fetch gave: the page's body, or the page as it was last time.
enum Fetch {
    Body(Body),
    Unchanged(SourcePage),
}

/// A page's body as fetched.
struct Body {
    /// After redirects.
    url: Url,
    content_type: Option<String>,
    bytes: Bytes,
    cache_validators: CacheValidators,
    /// SHA-256 of the bytes, hex.
    hash: String,
}

/// The syntax a page is read in, and the one tried when that does not parse.
#[derive(Clone, Copy)]
struct Syntax {
    format: RdfFormat,
    fallback: Option<RdfFormat>,
}

/// A page parsed and split.
struct Parsed {
    links: PageLinks,
    split: SplitPage,
    /// The syntax that parsed.
    used: RdfFormat,
}

pub(crate) struct DcatSource {
    id: String,
    options: DcatOptions,
    fetcher: Fetcher,
    cache: PageCache,
    split: SplitOptions,
    page_limits: PageLimits,
    guard: WalkGuard,
    next: Next,
    contexts: Arc<ContextSet>,
}

impl DcatSource {
    /// `assessment` names the shapes, vocabularies and link-check period records are assessed
    /// with: another one makes pages be read again, so that their reports are made again.
    pub fn new(
        config: &SourceConfig,
        options: &DcatOptions,
        fetcher: Fetcher,
        runlog: Option<Arc<RunLog>>,
        store: Arc<RecordStore>,
        assessment: Option<&str>,
    ) -> Self {
        let mint_base = store.iris().mint_base(&config.id);
        let split = SplitOptions {
            normaliser: super::normaliser(&store, config),
            ..SplitOptions::new(&mint_base)
        };
        let page_limits = page_limits(&config.limits);
        // Anything that changes what a page yields invalidates what was remembered of it
        // (`reserved`: pages read before records were kept out of Alzette's namespace).
        let fingerprint = hex(&Sha256::digest(
            format!(
                "{}|{:?}|{mint_base}|reserved|{}|{}|{page_limits:?}|{:?}|{:?}",
                config.url,
                options,
                config.limits.max_record_triples,
                config.limits.max_literal_size,
                assessment,
                config.on_invalid,
            )
            .as_bytes(),
        )[..16]);
        Self {
            id: config.id.clone(),
            options: options.clone(),
            fetcher,
            cache: PageCache::new(runlog, store, &config.id, fingerprint),
            split,
            page_limits,
            guard: WalkGuard::new(config.limits.max_pages),
            next: Next::Page(config.url.clone()),
            contexts: Arc::new(ContextSet::bundled()),
        }
    }

    async fn page(
        &mut self,
        url: Url,
        cancel: &CancellationToken,
    ) -> Result<SourcePage, PageFailure> {
        let url_text = url.to_string();
        self.guard.enter(&url_text)?;
        let cached = self.cache.lookup(&url_text);
        let body = match self.fetch(&url, cached.as_ref(), cancel).await? {
            Fetch::Unchanged(page) => return Ok(page),
            Fetch::Body(body) => body,
        };
        if let Some(unchanged) = self.same_bytes(&url_text, cached.as_ref(), &body)? {
            return Ok(unchanged);
        }
        self.guard.check_content(&url_text, &body.hash)?;
        let syntax = self.syntax(&url_text, &body)?;
        if matches!(syntax.format, RdfFormat::JsonLd { .. }) {
            self.load_contexts(&body.bytes, body.url.as_str(), cancel)
                .await?;
        }
        let parsed = self.parse(&url_text, syntax, &body).await?;
        if parsed.links.ambiguous_next {
            tracing::warn!(source = %self.id, page = %url_text, next = ?parsed.links.next, "several different next-page links; following the one of this page's view");
        }
        self.next = self.follow(parsed.links.next.as_deref(), &url_text);
        let mut warnings = Vec::new();
        if parsed.used != syntax.format {
            warnings.push(format!(
                "the server declares {} (Content-Type {}) but the page is {}; it was read as {}",
                syntax_name(syntax.format),
                body.content_type.as_deref().unwrap_or_default(),
                syntax_name(parsed.used),
                syntax_name(parsed.used)
            ));
        }
        let cache = self.cache.entry(
            body.cache_validators,
            body.hash,
            parsed.links.next.clone(),
            parsed.links.total_items,
        );
        let problems = parsed
            .split
            .problems
            .into_iter()
            .map(Problem::from)
            .collect();
        Ok(SourcePage {
            announced: parsed.links.total_items,
            cache: Some(cache),
            warnings,
            ..SourcePage::records(url_text, parsed.split.records, problems)
        })
    }

    /// The page's body, or the page as it was last time when the server says it has not
    /// changed (a conditional request) and the store still has its records.
    async fn fetch(
        &mut self,
        url: &Url,
        cached: Option<&PageCacheEntry>,
        cancel: &CancellationToken,
    ) -> Result<Fetch, PageFailure> {
        let cache_validators = cached.and_then(conditional);
        let mut fetched = self.get(url, cache_validators.as_ref(), cancel).await?;
        if let (Fetched::NotModified, Some(cached)) = (&fetched, cached) {
            if let Some(page) = self.unchanged(url.as_str(), cached, None)? {
                return Ok(Fetch::Unchanged(page));
            }
            // The store lost records this page stands for (a restored or new store): read it.
            fetched = self.get(url, None, cancel).await?;
        }
        match fetched {
            Fetched::NotModified => Err(PageFailure::new(
                url.as_str(),
                Stage::Fetch,
                "HTTP 304 Not Modified to a request without validators",
            )),
            Fetched::Body {
                url,
                content_type,
                body,
                cache_validators,
            } => Ok(Fetch::Body(Body {
                hash: hex(&Sha256::digest(&body)),
                url,
                content_type,
                bytes: body,
                cache_validators,
            })),
        }
    }

    /// The same bytes as last time read with the same configuration give the same records:
    /// for servers without validators, this is what a 304 would have said. (Not for JSON-LD
    /// with remote contexts, which may have changed on their own.)
    fn same_bytes(
        &mut self,
        url: &str,
        cached: Option<&PageCacheEntry>,
        body: &Body,
    ) -> Result<Option<SourcePage>, PageFailure> {
        let Some(cached) = cached.filter(|c| c.body_hash == body.hash) else {
            return Ok(None);
        };
        let bundled_only = remote_context_iris(&body.bytes, body.url.as_str())
            .iter()
            .all(|iri| ContextSet::bundled_iris().any(|b| b == iri));
        if !bundled_only {
            return Ok(None);
        }
        self.unchanged(url, cached, Some(body.cache_validators.clone()))
    }

    /// A page known from last time, when the store still has every record it stands for.
    fn unchanged(
        &mut self,
        url: &str,
        cached: &PageCacheEntry,
        cache_validators: Option<CacheValidators>,
    ) -> Result<Option<SourcePage>, PageFailure> {
        if !self.cache.still_stored(cached) {
            return Ok(None);
        }
        self.guard.check_content(url, &cached.body_hash)?;
        self.next = self.follow(cached.next.as_deref(), url);
        let mut entry = cached.clone();
        if let Some(v) = cache_validators {
            entry.etag = v.etag;
            entry.last_modified = v.last_modified;
        }
        Ok(Some(SourcePage {
            url: url.to_owned(),
            content: PageContent::Unchanged {
                keys: cached.records.clone(),
            },
            announced: cached.announced,
            cache: Some(entry),
            warnings: Vec::new(),
            record_warnings: Vec::new(),
        }))
    }

    async fn get(
        &self,
        url: &Url,
        cache_validators: Option<&CacheValidators>,
        cancel: &CancellationToken,
    ) -> Result<Fetched, PageFailure> {
        self.fetcher
            .fetch(url, cache_validators, cancel)
            .await
            .map_err(|e| PageFailure::fetch(url.as_str(), e))
    }

    /// The syntax to read the page in: the configured one, else what the server declares or
    /// the URL or content says. A Content-Type can be wrong (RDF/XML sent as text/turtle...):
    /// what the content looks like is then tried before giving up.
    fn syntax(&self, url: &str, body: &Body) -> Result<Syntax, PageFailure> {
        let (format, detected_by) = match self.options.format {
            Some(forced) => (format_of(forced), DetectedBy::Configuration),
            None => detect_syntax(body.content_type.as_deref(), body.url.as_str(), &body.bytes)
                .ok_or_else(|| {
                    PageFailure::new(
                        url,
                        Stage::Parse,
                        match looks_like(&body.bytes) {
                            Some(what) => format!("the page is not RDF: {what}"),
                            None => format!(
                                "cannot tell the RDF syntax of the page (Content-Type {}, no known extension, content not recognised); set format in the source's configuration",
                                body.content_type.as_deref().unwrap_or("absent")
                            ),
                        },
                    )
                })?,
        };
        let fallback = (detected_by == DetectedBy::ContentType)
            .then(|| from_url(body.url.as_str()).or_else(|| sniff(&body.bytes)))
            .flatten()
            .filter(|f| *f != format);
        Ok(Syntax { format, fallback })
    }

    /// Parses the page (in the fallback syntax when the declared one fails), reads its Hydra
    /// links and splits it into records, off the async threads.
    async fn parse(&self, url: &str, syntax: Syntax, body: &Body) -> Result<Parsed, PageFailure> {
        let parser = PageParser::new(syntax.format, body.url.as_str())
            .with_contexts(Arc::clone(&self.contexts))
            .with_limits(self.page_limits);
        let split = self.split.clone();
        let base = body.url.to_string();
        let bytes = body.bytes.clone();
        let parsed = tokio::task::spawn_blocking(move || {
            let (graph, used) = match parser.parse(&bytes) {
                Ok(graph) => (graph, syntax.format),
                Err(e) => match syntax.fallback.and_then(|other| {
                    parser
                        .with_format(other)
                        .parse(&bytes)
                        .ok()
                        .map(|g| (g, other))
                }) {
                    Some(parsed) => parsed,
                    None => return Err(e),
                },
            };
            let links = page_links(&graph, &base);
            let split = split_records(&graph, &split);
            Ok(Parsed { links, split, used })
        })
        .await
        .map_err(|e| PageFailure::new(url, Stage::Parse, format!("the parser stopped: {e}")))?;
        // A declared syntax that does not parse may be a wrong Content-Type: say what it was
        // read as, and what the body looks like when it is one of the usual wrong things.
        parsed.map_err(|e| {
            let message = match looks_like(&body.bytes) {
                Some(what) => format!(
                    "the page cannot be read as {}: {what}",
                    syntax_name(syntax.format)
                ),
                None => format!("{e} (read as {})", syntax_name(syntax.format)),
            };
            PageFailure::new(url, Stage::Parse, message)
        })
    }

    /// The next page: rewritten as configured, and only within allowed origins. A bad link
    /// fails the walk after this page's records are taken.
    fn follow(&self, next: Option<&str>, from: &str) -> Next {
        match next.map(|n| next_url(self.fetcher.policy(), n, from)) {
            None => Next::End,
            Some(Ok(url)) => Next::Page(url),
            Some(Err(failure)) => Next::Fail(failure),
        }
    }

    /// Makes the remote contexts a JSON-LD page names available: bundled, or loaded from the
    /// location the configuration gives. Others stay unknown and the parser refuses them.
    async fn load_contexts(
        &mut self,
        body: &[u8],
        base: &str,
        cancel: &CancellationToken,
    ) -> Result<(), PageFailure> {
        const MAX_REMOTE_CONTEXTS: usize = 16;
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
            if loaded > MAX_REMOTE_CONTEXTS {
                return Err(PageFailure::new(
                    base,
                    Stage::Parse,
                    format!("more than {MAX_REMOTE_CONTEXTS} remote JSON-LD contexts"),
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
