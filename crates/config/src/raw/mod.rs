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
            allow_private_addresses: Option<S<bool>>,
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
    max_query_nesting: Option<S<usize>>,
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
    damaged_runlog: Option<S<String>>,
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
    priority: Option<S<i64>>,
    match_on: Option<S<Vec<String>>>,
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
    /// Whether the files and folders the configuration names are checked on this machine's
    /// disk ([`Config::load`]) or the text is only read ([`Config::parse`]).
    disk: bool,
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

    /// Refuses a `file:` location whose folder does not exist (a file in it may come later, as
    /// an export does; a folder that is not there is a typo). The folder also bounds what the
    /// source may read (`docs/reliability.md`), so it must be the one meant.
    fn existing_folder(
        &self,
        url: &Url,
        span: &Range<usize>,
        key: &str,
    ) -> Result<(), ConfigError> {
        if !self.disk {
            return Ok(());
        }
        let Ok(path) = url.to_file_path() else {
            return Ok(());
        };
        let folder = if url.path().ends_with('/') || path.is_dir() {
            path.as_path()
        } else {
            path.parent().unwrap_or(&path)
        };
        if folder.is_dir() {
            return Ok(());
        }
        Err(self.err(
            span,
            key,
            format!(
                "the folder {} does not exist; create it or correct the path (relative paths \
                 are taken from {})",
                folder.display(),
                self.folder().display()
            ),
        ))
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
            allow_private_addresses: raw
                .allow_private_addresses
                .as_ref()
                .map_or(base.allow_private_addresses, |v| *v.get_ref()),
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

mod diagnose;
mod sections;
mod source;

use diagnose::toml_error;
use sections::{catalog, default_user_agent, quality, server, store, validation};

/// Checks `text` as the configuration read from `file`; `disk` also checks the files and
/// folders it names.
pub fn parse(text: &str, file: &Path, disk: bool) -> Result<Config, ConfigError> {
    let ctx = Ctx { text, file, disk };
    if text.lines().all(|l| {
        let l = l.trim();
        l.is_empty() || l.starts_with('#')
    }) {
        return Err(ConfigError {
            file: file.to_owned(),
            line: None,
            key: None,
            message: "the file sets nothing; it needs at least one [[source]] \
                      (start from the harvest-sources.toml in Alzette's repository; every key is in \
                      docs/configuration.md)"
                .into(),
        });
    }
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
        sources.push(source::source(&ctx, i, spanned, &harvest, &mut seen)?);
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
