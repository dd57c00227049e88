//! The file as written (every value with its place in the text) and its checked conversion to
//! [`Config`].

use crate::units::{self, Quantity};
use crate::{
    CatalogConfig, Config, ConfigError, CswConstraint, CswMethod, CswOptions, DcatOptions,
    HarvestDefaults, HarvestLimits, IsoOptions, IsoProfile, OnInvalid, QualityConfig, RdfSyntax,
    Schedule, ServerConfig, SourceConfig, SourceKind, StoreConfig, ValidationConfig,
};
use serde::Deserialize;
use std::collections::{BTreeMap, HashMap};
use std::ops::Range;
use std::path::{Path, PathBuf};
use toml::Spanned;
use url::Url;

type S<T> = Spanned<T>;

/// Declares a raw table with every limit of [`HarvestLimits`] plus its own keys, since serde's
/// `flatten` cannot be combined with `deny_unknown_fields`.
macro_rules! table_with_limits {
    ($name:ident { $($field:ident : $ty:ty),* $(,)? }) => {
        #[derive(Deserialize)]
        #[serde(deny_unknown_fields)]
        struct $name {
            run_deadline: Option<S<Quantity>>,
            request_timeout: Option<S<Quantity>>,
            connect_timeout: Option<S<Quantity>>,
            max_body_size: Option<S<Quantity>>,
            max_pages: Option<S<u64>>,
            max_record_triples: Option<S<usize>>,
            max_page_triples: Option<S<usize>>,
            max_literal_size: Option<S<Quantity>>,
            max_nesting_depth: Option<S<usize>>,
            max_shrink: Option<S<f64>>,
            retries: Option<S<u32>>,
            retry_backoff: Option<S<Quantity>>,
            max_redirects: Option<S<usize>>,
            $($field: $ty),*
        }
    };
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawConfig {
    server: Option<RawServer>,
    catalog: Option<RawCatalog>,
    store: Option<RawStore>,
    harvest: Option<RawHarvest>,
    validation: Option<RawValidation>,
    quality: Option<RawQuality>,
    #[serde(default)]
    source: Vec<S<RawSource>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawQuality {
    check_links: Option<bool>,
    link_recheck: Option<S<Quantity>>,
    link_timeout: Option<S<Quantity>>,
    link_concurrency: Option<S<usize>>,
    link_host_interval: Option<S<Quantity>>,
    max_links_per_run: Option<S<usize>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawValidation {
    #[serde(default)]
    shapes: Vec<S<String>>,
    #[serde(default)]
    background: Vec<S<String>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawServer {
    bind: Option<S<String>>,
    base_uri: Option<S<String>>,
    query_timeout: Option<S<Quantity>>,
    max_concurrent_queries: Option<S<usize>>,
    max_queued_queries: Option<S<usize>>,
    oai_page_size: Option<S<usize>>,
    max_query_result_size: Option<S<Quantity>>,
    query_memory_limit: Option<S<Quantity>>,
    max_request_body_size: Option<S<Quantity>>,
    catalog_page_size: Option<S<usize>>,
    catalog_max_page_size: Option<S<usize>>,
    admin_token: Option<S<String>>,
    header_read_timeout: Option<S<Quantity>>,
    request_body_timeout: Option<S<Quantity>>,
    max_connections: Option<S<usize>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawCatalog {
    title: Option<S<String>>,
    description: Option<S<String>>,
    publisher_name: Option<S<String>>,
    publisher_uri: Option<S<String>>,
    admin_email: Option<S<String>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawStore {
    path: Option<S<String>>,
    runlog: Option<S<String>>,
    tombstone_retention: Option<S<Quantity>>,
}

table_with_limits!(RawHarvest {
    max_concurrent_runs: Option<S<usize>>,
    user_agent: Option<S<String>>,
});

table_with_limits!(RawSource {
    id: S<String>,
    kind: S<String>,
    url: S<String>,
    schedule: S<String>,
    enabled: Option<bool>,
    title: Option<String>,
    format: Option<S<String>>,
    jsonld_contexts: Option<S<BTreeMap<String, String>>>,
    page_url_rewrite: Option<S<BTreeMap<String, String>>>,
    page_origins: Option<S<Vec<String>>>,
    on_invalid: Option<S<String>>,
    page_size: Option<S<u64>>,
    constraint: Option<S<String>>,
    sort_by: Option<S<String>>,
    method: Option<S<String>>,
    profile: Option<S<String>>,
    urls: Option<S<Vec<String>>>,
    incremental: Option<S<bool>>,
    full_every: Option<S<Quantity>>,
});

/// Turns spans into lines and carries the file name into errors.
struct Ctx<'a> {
    text: &'a str,
    file: &'a Path,
}

impl Ctx<'_> {
    fn line(&self, span: &Range<usize>) -> usize {
        let end = span.start.min(self.text.len());
        self.text[..end].bytes().filter(|b| *b == b'\n').count() + 1
    }

    fn err(
        &self,
        span: &Range<usize>,
        key: impl Into<String>,
        message: impl Into<String>,
    ) -> ConfigError {
        ConfigError {
            file: self.file.to_owned(),
            line: Some(self.line(span)),
            key: Some(key.into()),
            message: message.into(),
        }
    }

    /// The folder relative paths are resolved against.
    fn folder(&self) -> PathBuf {
        self.file
            .parent()
            .map(Path::to_owned)
            .unwrap_or_else(|| PathBuf::from("."))
    }

    fn path(&self, value: &str) -> PathBuf {
        let p = Path::new(value);
        if p.is_absolute() {
            p.to_owned()
        } else {
            self.folder().join(p)
        }
    }

    /// An http(s) URL, a `file:` URL or a path (made a `file:` URL).
    fn location(&self, value: &S<String>, key: &str) -> Result<Url, ConfigError> {
        let text = value.get_ref().trim();
        if text.is_empty() {
            return Err(self.err(
                &value.span(),
                key,
                "is empty; give an http(s) URL, a file: URL or a path",
            ));
        }
        let looks_like_url = text.contains("://") || text.starts_with("file:");
        if looks_like_url {
            let url = Url::parse(text).map_err(|e| {
                self.err(
                    &value.span(),
                    key,
                    format!("\"{text}\" is not a valid URL: {e}"),
                )
            })?;
            match url.scheme() {
                "http" | "https" => {
                    if url.host_str().is_none_or(str::is_empty) {
                        return Err(self.err(&value.span(), key, format!("\"{text}\" has no host")));
                    }
                    Ok(url)
                }
                "file" => Ok(url),
                other => Err(self.err(
                    &value.span(),
                    key,
                    format!("\"{text}\": the scheme `{other}` is not supported (use http, https, file or a path)"),
                )),
            }
        } else {
            let path = std::path::absolute(self.path(text)).unwrap_or_else(|_| self.path(text));
            Url::from_file_path(&path).map_err(|()| {
                self.err(
                    &value.span(),
                    key,
                    format!("\"{text}\" is not a usable path"),
                )
            })
        }
    }
}

fn quantity<T>(
    ctx: &Ctx<'_>,
    value: &Option<S<Quantity>>,
    key: &str,
    convert: fn(&Quantity) -> Result<T, String>,
    default: T,
) -> Result<T, ConfigError> {
    match value {
        None => Ok(default),
        Some(v) => convert(v.get_ref()).map_err(|m| ctx.err(&v.span(), key, m)),
    }
}

/// `value` unless it is below `min`, whose text says why the minimum is what it is.
fn at_least<T: PartialOrd, Q>(
    ctx: &Ctx<'_>,
    raw: &Option<S<Q>>,
    key: &str,
    value: T,
    (min, why): (T, &str),
) -> Result<T, ConfigError> {
    match raw {
        Some(v) if value < min => Err(ctx.err(&v.span(), key, format!("must be at least {why}"))),
        _ => Ok(value),
    }
}

fn positive<T: PartialOrd + Default + Copy>(
    ctx: &Ctx<'_>,
    value: &Option<S<T>>,
    key: &str,
    default: T,
) -> Result<T, ConfigError> {
    match value {
        None => Ok(default),
        Some(v) if *v.get_ref() > T::default() => Ok(*v.get_ref()),
        Some(v) => Err(ctx.err(&v.span(), key, "must be greater than 0")),
    }
}

macro_rules! limits_of {
    ($ctx:expr, $raw:expr, $prefix:expr, $base:expr) => {{
        let raw = $raw;
        let base: &HarvestLimits = $base;
        let key = |k: &str| format!("{}{}", $prefix, k);
        let limits = HarvestLimits {
            run_deadline: quantity(
                $ctx,
                &raw.run_deadline,
                &key("run_deadline"),
                units::duration,
                base.run_deadline,
            )?,
            request_timeout: quantity(
                $ctx,
                &raw.request_timeout,
                &key("request_timeout"),
                units::duration,
                base.request_timeout,
            )?,
            connect_timeout: quantity(
                $ctx,
                &raw.connect_timeout,
                &key("connect_timeout"),
                units::duration,
                base.connect_timeout,
            )?,
            max_body_size: quantity(
                $ctx,
                &raw.max_body_size,
                &key("max_body_size"),
                units::size,
                base.max_body_size,
            )?,
            max_pages: positive($ctx, &raw.max_pages, &key("max_pages"), base.max_pages)?,
            max_record_triples: positive(
                $ctx,
                &raw.max_record_triples,
                &key("max_record_triples"),
                base.max_record_triples,
            )?,
            max_page_triples: positive(
                $ctx,
                &raw.max_page_triples,
                &key("max_page_triples"),
                base.max_page_triples,
            )?,
            max_literal_size: quantity(
                $ctx,
                &raw.max_literal_size,
                &key("max_literal_size"),
                units::size,
                base.max_literal_size,
            )?,
            max_nesting_depth: positive(
                $ctx,
                &raw.max_nesting_depth,
                &key("max_nesting_depth"),
                base.max_nesting_depth,
            )?,
            max_shrink: match &raw.max_shrink {
                None => base.max_shrink,
                Some(v) if (0.0..=1.0).contains(v.get_ref()) => *v.get_ref(),
                Some(v) => {
                    return Err($ctx.err(
                        &v.span(),
                        key("max_shrink"),
                        "must be between 0.0 and 1.0 (a share of the source's records)",
                    ));
                }
            },
            retries: raw.retries.as_ref().map_or(base.retries, |v| *v.get_ref()),
            retry_backoff: quantity(
                $ctx,
                &raw.retry_backoff,
                &key("retry_backoff"),
                units::duration,
                base.retry_backoff,
            )?,
            max_redirects: raw
                .max_redirects
                .as_ref()
                .map_or(base.max_redirects, |v| *v.get_ref()),
        };
        for (name, d) in [
            ("run_deadline", limits.run_deadline),
            ("request_timeout", limits.request_timeout),
            ("connect_timeout", limits.connect_timeout),
        ] {
            if d.is_zero() {
                return Err(ConfigError {
                    file: $ctx.file.to_owned(),
                    line: None,
                    key: Some(key(name)),
                    message: "must be longer than 0".into(),
                });
            }
        }
        limits
    }};
}

pub fn parse(text: &str, file: &Path) -> Result<Config, ConfigError> {
    let ctx = Ctx { text, file };
    let raw: RawConfig = toml::from_str(text).map_err(|e| toml_error(&ctx, &e))?;

    let server = server(&ctx, raw.server)?;
    let store = store(&ctx, raw.store)?;
    let catalog = catalog(&ctx, raw.catalog, &server)?;
    let harvest = match raw.harvest {
        None => HarvestDefaults {
            max_concurrent_runs: 2,
            limits: HarvestLimits::default(),
            user_agent: default_user_agent(),
        },
        Some(h) => HarvestDefaults {
            max_concurrent_runs: positive(
                &ctx,
                &h.max_concurrent_runs,
                "harvest.max_concurrent_runs",
                2,
            )?,
            limits: limits_of!(&ctx, &h, "harvest.", &HarvestLimits::default()),
            user_agent: h
                .user_agent
                .map_or_else(default_user_agent, |u| u.into_inner()),
        },
    };

    let mut sources = Vec::with_capacity(raw.source.len());
    let mut seen: HashMap<String, usize> = HashMap::new();
    for (i, spanned) in raw.source.iter().enumerate() {
        let line = ctx.line(&spanned.span());
        let s = spanned.get_ref();
        let prefix = format!("source[{i}].");
        let key = |k: &str| format!("{prefix}{k}");
        let id = s.id.get_ref().clone();
        if id.is_empty()
            || !id
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        {
            return Err(ctx.err(
                &s.id.span(),
                key("id"),
                format!(
                    "\"{id}\" is not a valid source id: use lower-case letters, digits and '-'"
                ),
            ));
        }
        if let Some(first_line) = seen.insert(id.clone(), ctx.line(&s.id.span())) {
            return Err(ctx.err(
                &s.id.span(),
                key("id"),
                format!("duplicate source id \"{id}\" (first used on line {first_line})"),
            ));
        }
        let schedule: Schedule =
            s.schedule
                .get_ref()
                .parse()
                .map_err(|e: crate::ScheduleError| {
                    ctx.err(&s.schedule.span(), key("schedule"), e.to_string())
                })?;
        let url = ctx.location(&s.url, &key("url"))?;
        let limits = limits_of!(&ctx, s, prefix.as_str(), &harvest.limits);
        let kind = match s.kind.get_ref().as_str() {
            "dcat" => SourceKind::Dcat(dcat_options(&ctx, s, &key)?),
            "csw" => SourceKind::Csw(csw_options(&ctx, s, &key)?),
            "iso19139" => SourceKind::Iso19139(iso_options(&ctx, s, &key)?),
            "vocabulary" => SourceKind::Vocabulary,
            other => {
                return Err(ctx.err(
                    &s.kind.span(),
                    key("kind"),
                    format!(
                        "unknown source kind \"{other}\" (known: dcat, csw, iso19139, vocabulary)"
                    ),
                ));
            }
        };
        only_for_kind(&ctx, s, &key)?;
        let on_invalid = match s
            .on_invalid
            .as_ref()
            .map(|v| (v.get_ref().as_str(), v.span()))
        {
            None | Some(("store", _)) => OnInvalid::Store,
            Some(("reject", _)) => OnInvalid::Reject,
            Some((other, span)) => {
                return Err(ctx.err(
                    &span,
                    key("on_invalid"),
                    format!("\"{other}\" is not a policy: use \"store\" (publish with its report) or \"reject\" (keep the earlier version)"),
                ));
            }
        };
        sources.push(SourceConfig {
            id,
            title: s.title.clone(),
            url,
            schedule,
            enabled: s.enabled.unwrap_or(true),
            limits,
            kind,
            on_invalid,
            line,
        });
    }
    let validation = validation(&ctx, raw.validation, &sources)?;
    let quality = quality(&ctx, raw.quality)?;

    Ok(Config {
        file: file.to_owned(),
        server,
        catalog,
        store,
        harvest,
        validation,
        quality,
        sources,
    })
}

fn quality(ctx: &Ctx<'_>, raw: Option<RawQuality>) -> Result<QualityConfig, ConfigError> {
    let base = QualityConfig::default();
    let Some(raw) = raw else {
        return Ok(base);
    };
    let d = units::duration;
    Ok(QualityConfig {
        check_links: raw.check_links.unwrap_or(base.check_links),
        link_recheck: quantity(
            ctx,
            &raw.link_recheck,
            "quality.link_recheck",
            d,
            base.link_recheck,
        )?,
        link_timeout: quantity(
            ctx,
            &raw.link_timeout,
            "quality.link_timeout",
            d,
            base.link_timeout,
        )?,
        link_concurrency: positive(
            ctx,
            &raw.link_concurrency,
            "quality.link_concurrency",
            base.link_concurrency,
        )?,
        link_host_interval: quantity(
            ctx,
            &raw.link_host_interval,
            "quality.link_host_interval",
            d,
            base.link_host_interval,
        )?,
        max_links_per_run: raw
            .max_links_per_run
            .map_or(base.max_links_per_run, |v| v.into_inner()),
    })
}

fn validation(
    ctx: &Ctx<'_>,
    raw: Option<RawValidation>,
    sources: &[SourceConfig],
) -> Result<ValidationConfig, ConfigError> {
    let Some(raw) = raw else {
        return Ok(ValidationConfig::default());
    };
    let mut shapes = Vec::with_capacity(raw.shapes.len());
    for (i, file) in raw.shapes.iter().enumerate() {
        let key = format!("validation.shapes[{i}]");
        let url = ctx.location(file, &key)?;
        if let Ok(path) = url.to_file_path()
            && !path.is_file()
        {
            return Err(ctx.err(
                &file.span(),
                key,
                format!("no shapes file at {}", path.display()),
            ));
        }
        shapes.push(url);
    }
    let mut background = Vec::with_capacity(raw.background.len());
    for (i, id) in raw.background.iter().enumerate() {
        match sources.iter().find(|s| &s.id == id.get_ref()) {
            Some(s) if matches!(s.kind, SourceKind::Vocabulary) => background.push(s.id.clone()),
            Some(s) => {
                return Err(ctx.err(
                    &id.span(),
                    format!("validation.background[{i}]"),
                    format!(
                        "source \"{}\" is of kind {}; background sources are of kind vocabulary",
                        s.id,
                        s.kind.name()
                    ),
                ));
            }
            None => {
                return Err(ctx.err(
                    &id.span(),
                    format!("validation.background[{i}]"),
                    format!(
                        "no source \"{}\" (name a source of kind vocabulary)",
                        id.get_ref()
                    ),
                ));
            }
        }
    }
    if shapes.is_empty() && !background.is_empty() {
        return Err(ConfigError {
            file: ctx.file.to_owned(),
            line: None,
            key: Some("validation.shapes".into()),
            message: "background vocabularies are set but no shapes: name the shapes files".into(),
        });
    }
    Ok(ValidationConfig { shapes, background })
}

fn default_user_agent() -> String {
    format!("Alzette/{} (DCAT-AP harvester)", env!("CARGO_PKG_VERSION"))
}

fn server(ctx: &Ctx<'_>, raw: Option<RawServer>) -> Result<ServerConfig, ConfigError> {
    let raw = raw.unwrap_or(RawServer {
        bind: None,
        base_uri: None,
        query_timeout: None,
        max_concurrent_queries: None,
        max_queued_queries: None,
        oai_page_size: None,
        max_query_result_size: None,
        query_memory_limit: None,
        max_request_body_size: None,
        catalog_page_size: None,
        catalog_max_page_size: None,
        admin_token: None,
        header_read_timeout: None,
        request_body_timeout: None,
        max_connections: None,
    });
    let bind = match &raw.bind {
        None => "127.0.0.1:8080".parse().expect("a valid default address"),
        Some(b) => b.get_ref().parse().map_err(|e| {
            ctx.err(
                &b.span(),
                "server.bind",
                format!(
                    "\"{}\" is not an address with a port, like 127.0.0.1:8080 ({e})",
                    b.get_ref()
                ),
            )
        })?,
    };
    let base_uri = match &raw.base_uri {
        None => Url::parse(&format!("http://{bind}/")).expect("a valid URL"),
        Some(b) => {
            let url = Url::parse(b.get_ref()).map_err(|e| {
                ctx.err(
                    &b.span(),
                    "server.base_uri",
                    format!("\"{}\" is not a valid URL: {e}", b.get_ref()),
                )
            })?;
            if !matches!(url.scheme(), "http" | "https")
                || url.query().is_some()
                || url.fragment().is_some()
            {
                return Err(ctx.err(
                    &b.span(),
                    "server.base_uri",
                    "must be an http(s) URL without query or fragment",
                ));
            }
            if !url.path().ends_with('/') {
                return Err(ctx.err(
                    &b.span(),
                    "server.base_uri",
                    format!(
                        "\"{}\" must end with '/' (IRIs are minted below it)",
                        b.get_ref()
                    ),
                ));
            }
            url
        }
    };
    let page_size = positive(ctx, &raw.catalog_page_size, "server.catalog_page_size", 100)?;
    let max_page_size = positive(
        ctx,
        &raw.catalog_max_page_size,
        "server.catalog_max_page_size",
        1000,
    )?;
    if page_size > max_page_size {
        let span = raw
            .catalog_page_size
            .as_ref()
            .map(|s| s.span())
            .unwrap_or(0..0);
        return Err(ctx.err(
            &span,
            "server.catalog_page_size",
            format!("{page_size} is larger than catalog_max_page_size ({max_page_size})"),
        ));
    }
    let admin_token = match &raw.admin_token {
        Some(t) if t.get_ref().trim().len() < 16 => {
            return Err(ctx.err(
                &t.span(),
                "server.admin_token",
                "shorter than 16 characters; use a long random string (e.g. `openssl rand -hex 32`)",
            ));
        }
        t => t.as_ref().map(|t| crate::Secret::new(t.get_ref().trim())),
    };
    Ok(ServerConfig {
        bind,
        base_uri,
        admin_token,
        query_timeout: quantity(
            ctx,
            &raw.query_timeout,
            "server.query_timeout",
            units::duration,
            std::time::Duration::from_secs(30),
        )?,
        // A query keeps a core busy: more at once than cores only adds switching between worker
        // processes (docs/performance.md measured 0.8x the throughput at 4 on 2 cores).
        max_concurrent_queries: positive(
            ctx,
            &raw.max_concurrent_queries,
            "server.max_concurrent_queries",
            std::thread::available_parallelism().map_or(2, usize::from),
        )?,
        max_queued_queries: raw.max_queued_queries.as_ref().map_or(64, |v| *v.get_ref()),
        oai_page_size: positive(ctx, &raw.oai_page_size, "server.oai_page_size", 100)?,
        max_query_result_size: quantity(
            ctx,
            &raw.max_query_result_size,
            "server.max_query_result_size",
            units::size,
            512 * 1024 * 1024,
        )?,
        query_memory_limit: at_least(
            ctx,
            &raw.query_memory_limit,
            "server.query_memory_limit",
            quantity(
                ctx,
                &raw.query_memory_limit,
                "server.query_memory_limit",
                units::size,
                2 * 1024 * 1024 * 1024,
            )?,
            (
                256 * 1024 * 1024,
                "256MiB: less would refuse ordinary queries",
            ),
        )?,
        max_request_body_size: quantity(
            ctx,
            &raw.max_request_body_size,
            "server.max_request_body_size",
            units::size,
            1024 * 1024,
        )?,
        catalog_page_size: page_size,
        catalog_max_page_size: max_page_size,
        header_read_timeout: quantity(
            ctx,
            &raw.header_read_timeout,
            "server.header_read_timeout",
            units::duration,
            std::time::Duration::from_secs(10),
        )?,
        request_body_timeout: quantity(
            ctx,
            &raw.request_body_timeout,
            "server.request_body_timeout",
            units::duration,
            std::time::Duration::from_secs(30),
        )?,
        max_connections: positive(ctx, &raw.max_connections, "server.max_connections", 512)?,
    })
}

fn catalog(
    ctx: &Ctx<'_>,
    raw: Option<RawCatalog>,
    server: &ServerConfig,
) -> Result<CatalogConfig, ConfigError> {
    let raw = raw.unwrap_or(RawCatalog {
        title: None,
        description: None,
        publisher_name: None,
        publisher_uri: None,
        admin_email: None,
    });
    let text = |v: &Option<S<String>>, key: &str, default: &str| -> Result<String, ConfigError> {
        match v {
            None => Ok(default.to_owned()),
            Some(t) if t.get_ref().trim().is_empty() => {
                Err(ctx.err(&t.span(), key, "must not be empty"))
            }
            Some(t) => Ok(t.get_ref().trim().to_owned()),
        }
    };
    let publisher_uri = match &raw.publisher_uri {
        None => None,
        Some(u) => match Url::parse(u.get_ref()) {
            Ok(url) if matches!(url.scheme(), "http" | "https") => Some(url),
            _ => {
                return Err(ctx.err(
                    &u.span(),
                    "catalog.publisher_uri",
                    format!("\"{}\" is not an http(s) URL", u.get_ref()),
                ));
            }
        },
    };
    Ok(CatalogConfig {
        title: text(&raw.title, "catalog.title", "Alzette federation catalogue")?,
        description: text(
            &raw.description,
            "catalog.description",
            "Datasets harvested by Alzette from the sources listed as parts of this catalogue.",
        )?,
        publisher_name: text(
            &raw.publisher_name,
            "catalog.publisher_name",
            "Operator of this Alzette catalogue",
        )?,
        publisher_uri,
        admin_email: match &raw.admin_email {
            Some(e) if !e.get_ref().contains('@') || e.get_ref().trim().contains(' ') => {
                return Err(ctx.err(
                    &e.span(),
                    "catalog.admin_email",
                    format!("\"{}\" is not an e-mail address", e.get_ref()),
                ));
            }
            Some(e) => e.get_ref().trim().to_owned(),
            None => format!(
                "webmaster@{}",
                server.base_uri.host_str().unwrap_or("localhost")
            ),
        },
    })
}

fn store(ctx: &Ctx<'_>, raw: Option<RawStore>) -> Result<StoreConfig, ConfigError> {
    let path = raw
        .as_ref()
        .and_then(|r| r.path.as_ref())
        .map_or_else(|| ctx.path("data/store"), |p| ctx.path(p.get_ref()));
    let runlog = raw.as_ref().and_then(|r| r.runlog.as_ref()).map_or_else(
        || {
            path.parent()
                .map_or_else(|| ctx.path("runlog"), |p| p.join("runlog"))
        },
        |p| ctx.path(p.get_ref()),
    );
    let tombstone_retention = match raw.as_ref().and_then(|r| r.tombstone_retention.as_ref()) {
        None => None,
        Some(_) => Some(quantity(
            ctx,
            &raw.as_ref().and_then(|r| r.tombstone_retention.clone()),
            "store.tombstone_retention",
            units::duration,
            std::time::Duration::ZERO,
        )?),
    };
    Ok(StoreConfig {
        path,
        runlog,
        tombstone_retention,
    })
}

fn dcat_options(
    ctx: &Ctx<'_>,
    s: &RawSource,
    key: &dyn Fn(&str) -> String,
) -> Result<DcatOptions, ConfigError> {
    let format = match &s.format {
        None => None,
        Some(f) => Some(match f.get_ref().as_str() {
            "turtle" | "ttl" => RdfSyntax::Turtle,
            "ntriples" | "nt" => RdfSyntax::NTriples,
            "rdfxml" | "rdf" | "xml" => RdfSyntax::RdfXml,
            "jsonld" | "json-ld" => RdfSyntax::JsonLd,
            other => {
                return Err(ctx.err(
                    &f.span(),
                    key("format"),
                    format!("unknown RDF syntax \"{other}\" (turtle, ntriples, rdfxml, jsonld)"),
                ));
            }
        }),
    };
    let mut jsonld_contexts = BTreeMap::new();
    if let Some(map) = &s.jsonld_contexts {
        for (iri, location) in map.get_ref() {
            Url::parse(iri).map_err(|e| {
                ctx.err(
                    &map.span(),
                    key("jsonld_contexts"),
                    format!("\"{iri}\" is not a valid context IRI: {e}"),
                )
            })?;
            let loc = ctx.location(
                &Spanned::new(map.span(), location.clone()),
                &key("jsonld_contexts"),
            )?;
            jsonld_contexts.insert(iri.clone(), loc);
        }
    }
    let mut page_url_rewrite = Vec::new();
    if let Some(map) = &s.page_url_rewrite {
        for (from, to) in map.get_ref() {
            for u in [from, to] {
                Url::parse(u).map_err(|e| {
                    ctx.err(
                        &map.span(),
                        key("page_url_rewrite"),
                        format!("\"{u}\" is not a valid URL prefix: {e}"),
                    )
                })?;
            }
            page_url_rewrite.push((from.clone(), to.clone()));
        }
        // Longest prefix first, so that the most specific rewrite wins.
        page_url_rewrite.sort_by_key(|(from, _)| std::cmp::Reverse(from.len()));
    }
    let mut page_origins = Vec::new();
    if let Some(list) = &s.page_origins {
        for o in list.get_ref() {
            let url = Url::parse(o).map_err(|e| {
                ctx.err(
                    &list.span(),
                    key("page_origins"),
                    format!("\"{o}\" is not a valid origin: {e}"),
                )
            })?;
            page_origins.push(url.origin().ascii_serialization());
        }
    }
    Ok(DcatOptions {
        format,
        jsonld_contexts,
        page_url_rewrite,
        page_origins,
    })
}

/// Refuses options that the source's kind does not have (a `page_size` on a DCAT source would
/// otherwise be silently ignored).
fn only_for_kind(
    ctx: &Ctx<'_>,
    s: &RawSource,
    key: &dyn Fn(&str) -> String,
) -> Result<(), ConfigError> {
    let kind = s.kind.get_ref().as_str();
    let spans = [
        ("page_size", s.page_size.as_ref().map(S::span), &["csw"][..]),
        ("constraint", s.constraint.as_ref().map(S::span), &["csw"]),
        ("sort_by", s.sort_by.as_ref().map(S::span), &["csw"]),
        ("method", s.method.as_ref().map(S::span), &["csw"]),
        (
            "profile",
            s.profile.as_ref().map(S::span),
            &["csw", "iso19139"],
        ),
        ("urls", s.urls.as_ref().map(S::span), &["iso19139"]),
        ("incremental", s.incremental.as_ref().map(S::span), &["csw"]),
        ("full_every", s.full_every.as_ref().map(S::span), &["csw"]),
        ("format", s.format.as_ref().map(S::span), &["dcat"]),
        (
            "jsonld_contexts",
            s.jsonld_contexts.as_ref().map(S::span),
            &["dcat"],
        ),
        (
            "page_url_rewrite",
            s.page_url_rewrite.as_ref().map(S::span),
            &["dcat"],
        ),
        (
            "page_origins",
            s.page_origins.as_ref().map(S::span),
            &["dcat"],
        ),
    ];
    for (name, span, kinds) in spans {
        if let Some(span) = span
            && !kinds.contains(&kind)
        {
            return Err(ctx.err(
                &span,
                key(name),
                format!(
                    "applies to kind = \"{}\" only, not \"{kind}\"",
                    kinds.join("\" or \"")
                ),
            ));
        }
    }
    Ok(())
}

fn iso_profile(
    ctx: &Ctx<'_>,
    s: &RawSource,
    key: &dyn Fn(&str) -> String,
) -> Result<IsoProfile, ConfigError> {
    match s.profile.as_ref().map(|p| (p.get_ref().as_str(), p.span())) {
        None | Some(("extended", _)) => Ok(IsoProfile::Extended),
        Some(("core", _)) => Ok(IsoProfile::Core),
        Some((other, span)) => Err(ctx.err(
            &span,
            key("profile"),
            format!("\"{other}\" is not a GeoDCAT-AP profile: use \"core\" or \"extended\""),
        )),
    }
}

fn csw_options(
    ctx: &Ctx<'_>,
    s: &RawSource,
    key: &dyn Fn(&str) -> String,
) -> Result<CswOptions, ConfigError> {
    let base = CswOptions::default();
    let page_size = match &s.page_size {
        None => base.page_size,
        Some(v) if (1..=10_000).contains(v.get_ref()) => *v.get_ref(),
        Some(v) => {
            return Err(ctx.err(
                &v.span(),
                key("page_size"),
                "must be between 1 and 10000 records",
            ));
        }
    };
    let constraint = s.constraint.as_ref().and_then(|c| {
        let text = c.get_ref().trim();
        (!text.is_empty()).then(|| {
            if text.starts_with('<') {
                CswConstraint::Filter(text.to_owned())
            } else {
                CswConstraint::Cql(text.to_owned())
            }
        })
    });
    let sort_by = match &s.sort_by {
        None => base.sort_by,
        Some(v) if v.get_ref().trim().is_empty() => None,
        Some(v) => Some(v.get_ref().trim().to_owned()),
    };
    let method = match s.method.as_ref().map(|m| (m.get_ref().as_str(), m.span())) {
        None | Some(("auto", _)) => CswMethod::Auto,
        Some(("post", _)) => CswMethod::Post,
        Some(("get", _)) => CswMethod::Get,
        Some((other, span)) => {
            return Err(ctx.err(
                &span,
                key("method"),
                format!("\"{other}\" is not a method: use \"auto\", \"post\" or \"get\""),
            ));
        }
    };
    let incremental = s
        .incremental
        .as_ref()
        .map_or(base.incremental, |v| *v.get_ref());
    if let (true, Some(CswConstraint::Filter(_)), Some(c)) =
        (incremental, &constraint, &s.constraint)
    {
        return Err(ctx.err(
            &c.span(),
            key("constraint"),
            "an incremental source's constraint must be CQL text (Alzette adds the modification date to it)",
        ));
    }
    Ok(CswOptions {
        page_size,
        constraint,
        sort_by,
        method,
        profile: iso_profile(ctx, s, key)?,
        incremental,
        full_every: quantity(
            ctx,
            &s.full_every,
            &key("full_every"),
            units::duration,
            base.full_every,
        )?,
    })
}

fn iso_options(
    ctx: &Ctx<'_>,
    s: &RawSource,
    key: &dyn Fn(&str) -> String,
) -> Result<IsoOptions, ConfigError> {
    let mut urls = Vec::new();
    if let Some(list) = &s.urls {
        for u in list.get_ref() {
            urls.push(ctx.location(&Spanned::new(list.span(), u.clone()), &key("urls"))?);
        }
    }
    Ok(IsoOptions {
        urls,
        profile: iso_profile(ctx, s, key)?,
    })
}

/// A TOML or shape error, placed on its line, with the key that line sets when there is one.
fn toml_error(ctx: &Ctx<'_>, e: &toml::de::Error) -> ConfigError {
    let span = e.span();
    let line = span.as_ref().map(|s| ctx.line(s));
    let key = line.and_then(|l| {
        let text = ctx.text.lines().nth(l - 1)?;
        let (k, _) = text.split_once('=')?;
        let k = k.trim().trim_matches('"');
        (!k.is_empty() && !k.starts_with('[')).then(|| k.to_owned())
    });
    let message = e.message().trim().to_owned();
    ConfigError {
        file: ctx.file.to_owned(),
        line,
        key,
        message,
    }
}
