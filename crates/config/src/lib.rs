//! The `harvest-sources.toml` configuration: what Alzette harvests, where it keeps its data and
//! how it publishes.
//!
//! [`Config::load`] reads a file; [`Config::parse`] reads a string. Both refuse unknown keys,
//! bad cron expressions, duplicate source ids and bad URLs with a [`ConfigError`] that names the
//! file, the line and the key, so that an operator can fix the file without guessing.
//!
//! ```
//! use alzette_config::{Config, SourceKind};
//! let config = Config::parse(r#"
//! [server]
//! bind = "127.0.0.1:8080"
//! base_uri = "http://localhost:8080/"
//!
//! [store]
//! path = "data/store"
//!
//! [[source]]
//! id = "sample-dcat"
//! kind = "dcat"
//! url = "examples/sample-catalog.ttl"
//! schedule = "0 3 * * *"
//! "#, "harvest-sources.toml".as_ref()).unwrap();
//! assert_eq!(config.sources[0].id, "sample-dcat");
//! assert!(matches!(config.sources[0].kind, SourceKind::Dcat(_)));
//! assert!(config.sources[0].url.as_str().starts_with("file:///"));
//! ```

mod raw;
mod schedule;
mod units;

use std::collections::BTreeMap;
use std::fmt;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;

pub use alzette_dcat::identity::MatchKey;
pub use schedule::{Schedule, ScheduleError};
use url::Url;

/// The whole configuration.
#[derive(Debug, Clone)]
pub struct Config {
    /// The file it was read from (absolute when it was read from a file).
    pub file: PathBuf,
    pub server: ServerConfig,
    pub catalog: CatalogConfig,
    pub store: StoreConfig,
    pub harvest: HarvestDefaults,
    pub validation: ValidationConfig,
    pub quality: QualityConfig,
    pub sources: Vec<SourceConfig>,
}

/// `[quality]`: the link checker behind the quality score's reachability metrics.
#[derive(Debug, Clone, PartialEq)]
pub struct QualityConfig {
    /// Check the access and download URLs of harvested datasets. Off by default: it sends
    /// requests to the publishers' servers.
    pub check_links: bool,
    /// A URL checked longer ago than this is checked again.
    pub link_recheck: Duration,
    /// Deadline of one check (connecting, and the answer's headers).
    pub link_timeout: Duration,
    /// Checks going on at once.
    pub link_concurrency: usize,
    /// Least time between two requests to one host.
    pub link_host_interval: Duration,
    /// URLs one run checks at most; the others wait for the next run.
    pub max_links_per_run: usize,
}

impl Default for QualityConfig {
    fn default() -> Self {
        Self {
            check_links: false,
            link_recheck: Duration::from_secs(7 * 24 * 3600),
            link_timeout: Duration::from_secs(10),
            link_concurrency: 8,
            link_host_interval: Duration::from_millis(500),
            max_links_per_run: 10_000,
        }
    }
}

/// `[validation]`: the SHACL shapes every harvested record is validated against.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ValidationConfig {
    /// Shapes documents (files as `file:` URLs, or http(s) URLs), read together as one shapes
    /// graph at the start of each run. Empty: records are not validated.
    pub shapes: Vec<Url>,
    /// Ids of `kind = "vocabulary"` sources whose triples are read together with every record
    /// (what `sh:class` on authority-table IRIs needs), never copied into it.
    pub background: Vec<String>,
}

/// What a harvest does with a record that has SHACL violations.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum OnInvalid {
    /// Store and publish it, with its report (the portal sees the same verdict).
    #[default]
    Store,
    /// Do not store it; an earlier version stays as it was.
    Reject,
}

/// `[server]`: the HTTP publication.
#[derive(Debug, Clone, PartialEq)]
pub struct ServerConfig {
    pub bind: SocketAddr,
    /// IRIs Alzette mints (records, catalogues, blank-node datasets) start with this; ends with `/`.
    pub base_uri: Url,
    /// A SPARQL query running longer than this is cancelled.
    pub query_timeout: Duration,
    /// SPARQL queries evaluated at once; more wait in a queue.
    pub max_concurrent_queries: usize,
    /// SPARQL queries waiting for a free slot; more are answered 503 with Retry-After at once.
    pub max_queued_queries: usize,
    /// Records in one OAI-PMH list response (then a resumption token).
    pub oai_page_size: usize,
    /// SPARQL results larger than this are refused with an error instead of being sent.
    pub max_query_result_size: u64,
    /// Bytes one SPARQL query's evaluation may hold at once in its worker process (counted by
    /// the worker's allocator; RocksDB's caches are outside the count).
    pub query_memory_limit: u64,
    /// Largest SPARQL request body (POST) accepted.
    pub max_request_body_size: u64,
    /// Catalogue page size when the request does not give one.
    pub catalog_page_size: usize,
    /// Largest page size a client may ask for.
    pub catalog_max_page_size: usize,
    /// The bearer token of the admin API (`/api/admin/...`); the API is off without one.
    /// `ALZETTE_ADMIN_TOKEN` in the environment takes precedence (the binary reads it).
    pub admin_token: Option<Secret>,
    /// A client must send a request's complete head within this, counted from when the server
    /// waits for one (a new connection, or the end of the previous response): idle, half-sent
    /// and trickled heads are closed.
    pub header_read_timeout: Duration,
    /// A request's body must arrive within this once its head has (else `408`).
    pub request_body_timeout: Duration,
    /// Connections served at once; beyond, a new connection is answered `503` and closed.
    pub max_connections: usize,
    /// Groups, brackets and parentheses a SPARQL query may nest (deeper is refused before it
    /// is parsed: a parser's recursion has a bottom).
    pub max_query_nesting: usize,
}

/// A value that must not appear in logs or debug output.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    pub fn new(value: impl Into<String>) -> Self {
        Self(value.into())
    }

    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Debug for Secret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Secret(..)")
    }
}

/// `[catalog]`: how the federation catalogue describes itself (DCAT-AP requires a title, a
/// description and a publisher of every catalogue).
#[derive(Debug, Clone, PartialEq)]
pub struct CatalogConfig {
    pub title: String,
    pub description: String,
    /// The publisher of the federation catalogue and of each source's catalogue in it.
    pub publisher_name: String,
    /// The publisher's IRI; `{base_uri}publisher` when not given.
    pub publisher_uri: Option<Url>,
    /// Who answers for the repository (OAI-PMH `adminEmail`).
    pub admin_email: String,
}

/// `[store]`: where the data lives.
#[derive(Debug, Clone, PartialEq)]
pub struct StoreConfig {
    /// The embedded Oxigraph store (RocksDB folder).
    pub path: PathBuf,
    /// The operational run log (sled folder).
    pub runlog: PathBuf,
    /// How long tombstones of deleted records are kept; `None`: for ever.
    pub tombstone_retention: Option<Duration>,
    /// What to do with a run log that cannot be read.
    pub damaged_runlog: DamagedRunlog,
}

/// What happens to a run log that cannot be read (corrupt, truncated). It is operational state
/// only; the store holds every record either way.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum DamagedRunlog {
    /// Move it aside (saying where) and start a fresh one: Alzette goes on serving.
    #[default]
    SetAside,
    /// Stop with a message saying what to do.
    Refuse,
}

/// `[harvest]`: limits every source gets unless it sets its own.
#[derive(Debug, Clone)]
pub struct HarvestDefaults {
    /// Runs going on at once in `serve`.
    pub max_concurrent_runs: usize,
    pub limits: HarvestLimits,
    pub user_agent: String,
}

/// Limits of one run; every one of them can be set in `[harvest]` and overridden per source.
#[derive(Debug, Clone, PartialEq)]
pub struct HarvestLimits {
    /// A run still going after this is cancelled and marked failed.
    pub run_deadline: Duration,
    /// Whole-request deadline for one page (connect, headers and body).
    pub request_timeout: Duration,
    pub connect_timeout: Duration,
    /// A page body larger than this (after decompression) is an error.
    pub max_body_size: u64,
    /// The walk stops with an error after this many pages.
    pub max_pages: u64,
    /// Records (triples) per record graph above which the record is refused.
    pub max_record_triples: usize,
    /// Triples per page above which the page is refused (pages are held in memory whole).
    pub max_page_triples: usize,
    /// A literal longer than this (bytes) makes its record refused.
    pub max_literal_size: u64,
    /// XML elements or JSON objects and arrays nested deeper than this make the page refused.
    pub max_nesting_depth: usize,
    /// Share of a source's records that one run may delete (0.0 to 1.0).
    pub max_shrink: f64,
    /// Retries of a failed request (5xx, 429, connection errors), with exponential backoff.
    pub retries: u32,
    /// First backoff delay; doubled at each retry, with jitter.
    pub retry_backoff: Duration,
    pub max_redirects: usize,
    /// Fetch from loopback, private and link-local addresses even when the source's own URL is
    /// not one (a source whose URL is such an address may always; see `docs/reliability.md`).
    pub allow_private_addresses: bool,
}

impl Default for HarvestLimits {
    fn default() -> Self {
        Self {
            run_deadline: Duration::from_secs(6 * 3600),
            request_timeout: Duration::from_secs(120),
            connect_timeout: Duration::from_secs(15),
            max_body_size: 512 * 1024 * 1024,
            max_pages: 100_000,
            max_record_triples: 100_000,
            max_page_triples: 2_000_000,
            max_literal_size: 1024 * 1024,
            max_nesting_depth: 256,
            max_shrink: 0.2,
            retries: 3,
            retry_backoff: Duration::from_secs(1),
            max_redirects: 5,
            allow_private_addresses: false,
        }
    }
}

/// One `[[source]]`.
#[derive(Debug, Clone, PartialEq)]
pub struct SourceConfig {
    pub id: String,
    pub title: Option<String>,
    /// Where the first page is: an http(s) URL or a `file:` URL (paths are resolved against the
    /// configuration file's folder).
    pub url: Url,
    pub schedule: Schedule,
    pub enabled: bool,
    pub limits: HarvestLimits,
    pub kind: SourceKind,
    pub on_invalid: OnInvalid,
    /// Which source's record is published when several describe the same resource: the
    /// highest priority wins (default 0; ties: the source that had the resource first, then
    /// the source id).
    pub priority: i64,
    /// What its records are matched with other sources' records on (`match_on`).
    pub match_on: Vec<MatchKey>,
    /// The line of `[[source]]` in the file, for messages.
    pub line: usize,
}

/// What a source is, with the options only that kind has.
#[derive(Debug, Clone, PartialEq)]
pub enum SourceKind {
    Dcat(DcatOptions),
    /// A CSW 2.0.2 catalogue (an INSPIRE discovery service) of ISO 19139 records.
    Csw(CswOptions),
    /// ISO 19139 records: a file, a folder, a web folder (an HTML index of `.xml` files), or
    /// the URLs listed in `urls`.
    Iso19139(IsoOptions),
    /// SKOS or other RDF vocabularies (a file, a folder of files, or a URL), kept whole in the
    /// store as background knowledge for validation; they are not catalogue records.
    Vocabulary,
}

impl SourceConfig {
    /// True when `other` configures the same harvest (where it sits in the file aside).
    pub fn same_settings(&self, other: &Self) -> bool {
        self == &Self {
            line: self.line,
            ..other.clone()
        }
    }
}

impl SourceKind {
    pub fn name(&self) -> &'static str {
        match self {
            Self::Dcat(_) => "dcat",
            Self::Csw(_) => "csw",
            Self::Iso19139(_) => "iso19139",
            Self::Vocabulary => "vocabulary",
        }
    }
}

/// Options of `kind = "dcat"`.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct DcatOptions {
    /// Force the RDF syntax instead of detecting it (`turtle`, `ntriples`, `rdfxml`, `jsonld`).
    pub format: Option<RdfSyntax>,
    /// JSON-LD remote contexts Alzette may load: context IRI → where to read it (an http(s) URL,
    /// a `file:` URL or a path). Contexts not listed here and not bundled are never fetched.
    pub jsonld_contexts: BTreeMap<String, Url>,
    /// Page links (Hydra `next`) starting with a key are fetched from the value instead, for
    /// catalogues that advertise a public address while Alzette reaches them on another.
    pub page_url_rewrite: Vec<(String, String)>,
    /// Origins, besides the source URL's own, that page links may point to.
    pub page_origins: Vec<String>,
}

/// Options of `kind = "csw"`.
#[derive(Debug, Clone, PartialEq)]
pub struct CswOptions {
    /// Records asked for per `GetRecords` page (`maxRecords`).
    pub page_size: u64,
    /// Only the records matching this constraint.
    pub constraint: Option<CswConstraint>,
    /// The queryable pages are sorted by (ascending), so that pages stay stable while the
    /// catalogue changes; `None` when sorting is off (`sort_by = ""`).
    pub sort_by: Option<String>,
    pub method: CswMethod,
    pub profile: IsoProfile,
    /// Ask only for the records modified since the last complete run (and delete nothing),
    /// between full runs.
    pub incremental: bool,
    /// With `incremental`: a full run (everything asked for, deletions found) when the last
    /// one is older than this.
    pub full_every: Duration,
}

impl Default for CswOptions {
    fn default() -> Self {
        Self {
            page_size: 100,
            constraint: None,
            sort_by: Some("apiso:Identifier".into()),
            method: CswMethod::Auto,
            profile: IsoProfile::Extended,
            incremental: false,
            full_every: Duration::from_secs(7 * 24 * 3600),
        }
    }
}

/// A `GetRecords` constraint.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CswConstraint {
    /// OGC CQL text, e.g. `type = 'dataset'`.
    Cql(String),
    /// An `ogc:Filter` element, as XML.
    Filter(String),
}

/// How `GetRecords` is sent.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CswMethod {
    /// As the server's capabilities say: POST (XML) when it takes it, else GET (KVP).
    Auto,
    Post,
    Get,
}

/// Options of `kind = "iso19139"`.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct IsoOptions {
    /// Further documents besides `url`.
    pub urls: Vec<Url>,
    pub profile: IsoProfile,
}

/// The GeoDCAT-AP profile ISO records are mapped with.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum IsoProfile {
    /// What DCAT-AP has a place for.
    Core,
    /// Every INSPIRE and ISO 19115 core element.
    #[default]
    Extended,
}

/// An RDF syntax a source may be forced to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RdfSyntax {
    Turtle,
    NTriples,
    RdfXml,
    JsonLd,
}

/// A configuration that cannot be used, with where and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfigError {
    pub file: PathBuf,
    /// 1-based line, when the problem has a place in the file.
    pub line: Option<usize>,
    /// The key at fault (`source[2].schedule`), when there is one.
    pub key: Option<String>,
    pub message: String,
}

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.file.display())?;
        if let Some(line) = self.line {
            write!(f, ":{line}")?;
        }
        write!(f, ": ")?;
        if let Some(key) = &self.key {
            write!(f, "key `{key}`: ")?;
        }
        write!(f, "{}", self.message)
    }
}

impl std::error::Error for ConfigError {}

impl Config {
    /// Reads and checks a configuration file. Relative paths in it are taken from its folder.
    pub fn load(file: impl AsRef<Path>) -> Result<Self, ConfigError> {
        let file = file.as_ref();
        let text = std::fs::read_to_string(file).map_err(|e| ConfigError {
            file: file.to_owned(),
            line: None,
            key: None,
            message: format!("cannot read the configuration file: {e}"),
        })?;
        let absolute = std::path::absolute(file).unwrap_or_else(|_| file.to_owned());
        raw::parse(&text, &absolute, true)
    }

    /// Parses and checks configuration text as if read from `file` (which sets the folder
    /// relative paths are taken from and the name errors give). Unlike [`Config::load`], it does
    /// not look at the disk: the files and folders the text names need not exist.
    pub fn parse(text: &str, file: &Path) -> Result<Self, ConfigError> {
        raw::parse(text, file, false)
    }

    /// The source with this id.
    pub fn source(&self, id: &str) -> Option<&SourceConfig> {
        self.sources.iter().find(|s| s.id == id)
    }
}
