//! Test helpers: an HTTP server on 127.0.0.1 that serves pages (with ETags, failures, delays),
//! a generator of paged DCAT catalogues, and a harness that runs the real `alzette` binary on a
//! configuration of its own in a temporary folder.
#![allow(dead_code)]

use alzette_store::RecordStore;
use std::collections::HashMap;
use std::net::{SocketAddr, TcpListener};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

pub const DCAT: &str = "http://www.w3.org/ns/dcat#";

/// What the page server answers for one path (with its query string).
#[derive(Clone, Debug)]
pub struct Page {
    pub status: u16,
    pub content_type: Option<String>,
    pub body: Vec<u8>,
    /// Send an ETag and answer 304 to a matching If-None-Match.
    pub etag: bool,
    /// Wait this long before answering.
    pub delay: Option<Duration>,
    /// A Content-Encoding header (the body is sent as it is).
    pub content_encoding: Option<String>,
    /// Send this Last-Modified and answer 304 to the same If-Modified-Since.
    pub last_modified: Option<String>,
    /// Other headers.
    pub headers: Vec<(String, String)>,
}

impl Page {
    pub fn ok(content_type: &str, body: impl Into<Vec<u8>>) -> Self {
        Self {
            status: 200,
            content_type: Some(content_type.to_owned()),
            body: body.into(),
            etag: false,
            delay: None,
            content_encoding: None,
            last_modified: None,
            headers: Vec::new(),
        }
    }

    pub fn status(status: u16) -> Self {
        Self {
            status,
            content_type: Some("text/plain".into()),
            body: format!("error {status}").into_bytes(),
            etag: false,
            delay: None,
            content_encoding: None,
            last_modified: None,
            headers: Vec::new(),
        }
    }

    pub fn with_etag(mut self) -> Self {
        self.etag = true;
        self
    }

    pub fn with_header(mut self, name: &str, value: &str) -> Self {
        self.headers.push((name.to_owned(), value.to_owned()));
        self
    }

    pub fn with_last_modified(mut self, date: &str) -> Self {
        self.last_modified = Some(date.to_owned());
        self
    }

    pub fn with_delay(mut self, d: Duration) -> Self {
        self.delay = Some(d);
        self
    }
}

#[derive(Default)]
struct Shared {
    pages: HashMap<String, Page>,
    /// Answers given in turn before `pages` takes over.
    sequences: HashMap<String, std::collections::VecDeque<Page>>,
    hits: HashMap<String, usize>,
    not_modified: usize,
}

/// An HTTP server on 127.0.0.1, in a thread of its own, serving [`Page`]s by path and query.
pub struct PageServer {
    pub addr: SocketAddr,
    shared: Arc<Mutex<Shared>>,
}

impl PageServer {
    pub fn start() -> Self {
        let shared: Arc<Mutex<Shared>> = Arc::default();
        let state = Arc::clone(&shared);
        let addr = serve_app(
            axum::Router::new().fallback(move |req: axum::extract::Request| {
                let state = Arc::clone(&state);
                async move { answer(&state, req).await }
            }),
        );
        Self { addr, shared }
    }

    /// `http://127.0.0.1:PORT` followed by `path`.
    pub fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.addr)
    }

    pub fn set(&self, path: &str, page: Page) {
        self.shared
            .lock()
            .unwrap()
            .pages
            .insert(path.to_owned(), page);
    }

    /// Answers `pages` to the next requests of `path`, one each, then `set`'s page.
    pub fn set_sequence(&self, path: &str, pages: Vec<Page>) {
        self.shared
            .lock()
            .unwrap()
            .sequences
            .insert(path.to_owned(), pages.into());
    }

    pub fn remove(&self, path: &str) {
        self.shared.lock().unwrap().pages.remove(path);
    }

    pub fn hits(&self, path: &str) -> usize {
        self.shared
            .lock()
            .unwrap()
            .hits
            .get(path)
            .copied()
            .unwrap_or(0)
    }

    pub fn not_modified(&self) -> usize {
        self.shared.lock().unwrap().not_modified
    }

    /// Serves the pages of a [`Catalogue`] under `/catalog.{ext}?page=N`.
    pub fn serve_catalogue(&self, pages: &[(String, Page)]) {
        for (path, page) in pages {
            self.set(path, page.clone());
        }
    }

    /// Serves the datasets `ids` as a Turtle catalogue of pages of `per_page` (each dataset at
    /// `version_of(id)`); returns the first page's URL.
    pub fn serve_turtle(
        &self,
        ids: &[usize],
        per_page: usize,
        version_of: &dyn Fn(usize) -> u32,
    ) -> String {
        self.serve_catalogue(&catalogue_pages(
            &self.url(""),
            ids,
            per_page,
            Syntax::Turtle,
            false,
            version_of,
        ));
        self.url("/catalog.ttl?page=1")
    }
}

/// Serves `app` on 127.0.0.1 (a free port) from a thread of its own, for the rest of the test.
pub fn serve_app(app: axum::Router) -> SocketAddr {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind 127.0.0.1");
    listener.set_nonblocking(true).unwrap();
    let addr = listener.local_addr().unwrap();
    std::thread::spawn(move || {
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .unwrap();
        rt.block_on(async move {
            let listener = tokio::net::TcpListener::from_std(listener).unwrap();
            axum::serve(listener, app).await.unwrap();
        });
    });
    addr
}

/// Polls `done` every 100 ms, for at most a minute.
pub fn wait_until(what: &str, mut done: impl FnMut() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(60);
    while !done() {
        assert!(Instant::now() < deadline, "timed out waiting until {what}");
        std::thread::sleep(Duration::from_millis(100));
    }
}

/// Waits until the wall clock reaches `instant` (for what is decided by time: a `full_every`
/// passing, a tombstone's retention, an OAI-PMH datestamp's next second).
pub fn wait_for_clock(instant: chrono::DateTime<chrono::Utc>) {
    if let Ok(left) = (instant - chrono::Utc::now()).to_std() {
        std::thread::sleep(left);
    }
    assert!(chrono::Utc::now() >= instant);
}

/// Waits until the wall clock is in a later second than now (OAI-PMH datestamps and
/// `modified-since` have a second's granularity).
pub fn wait_for_next_second() {
    use chrono::{DurationRound, TimeDelta};
    let now = chrono::Utc::now();
    let second = now.duration_trunc(TimeDelta::seconds(1)).unwrap();
    wait_for_clock(second + TimeDelta::seconds(1));
}

impl Env {
    /// The runs of `source`, newest first (`alzette runs SOURCE --format json`).
    pub fn runs(&self, source: &str) -> Vec<alzette_runlog::Run> {
        let out = self.run(&["runs", source, "--limit", "1000", "--format", "json"]);
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        serde_json::from_slice(&out.stdout).expect("alzette runs --format json")
    }
}

/// A `[[source]]` table of a test configuration: `id` of `kind` at `url`, scheduled at 03:00
/// unless told otherwise, with `extra` lines (`key = value`) of its own.
pub fn source_table(id: &str, kind: &str, url: &str, schedule: &str, extra: &str) -> String {
    format!(
        "[[source]]\nid = \"{id}\"\nkind = \"{kind}\"\nurl = \"{url}\"\nschedule = \"{schedule}\"\n{extra}\n\n"
    )
}

/// The schedule test sources get unless they say otherwise: daily at 03:00, so never during a
/// test.
pub const AT_3AM: &str = "0 3 * * *";

/// A DCAT source `id` at `url` (see [`source_table`]).
pub fn dcat_source(id: &str, url: &str, extra: &str) -> String {
    source_table(id, "dcat", url, AT_3AM, extra)
}

/// Two DCAT sources served by `pages`: `alpha`, the datasets `alpha` in Turtle pages at `/`,
/// and `beta`, the datasets `beta` in Hydra-paged RDF/XML at `/b` (harvested at 04:00). Returns
/// their `[[source]]` tables.
pub fn alpha_and_beta(pages: &PageServer, alpha: &[usize], beta: &[usize]) -> String {
    pages.serve_catalogue(&catalogue_pages(
        &pages.url(""),
        alpha,
        10,
        Syntax::Turtle,
        false,
        &|_| 1,
    ));
    for (path, page) in catalogue_pages(&pages.url("/b"), beta, 10, Syntax::RdfXml, true, &|_| 1) {
        pages.set(&format!("/b{path}"), page);
    }
    [
        dcat_source("alpha", &pages.url("/catalog.ttl?page=1"), ""),
        source_table(
            "beta",
            "dcat",
            &pages.url("/b/catalog.rdf?page=1"),
            "0 4 * * *",
            "",
        ),
    ]
    .concat()
}

/// The project's own sample catalogue (`examples/sample-catalog.ttl`), which holds what DCAT-AP 3
/// added (a dataset series and its members, applicable legislation, an integer byte size).
pub fn sample_catalog() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../examples/sample-catalog.ttl")
        .canonicalize()
        .unwrap()
}

/// A Python that can import `modules` (`.ci/run` prepares one and sets `ALZETTE_PYTHON`), or
/// `None` after a notice that `check` is skipped.
pub fn python_with(modules: &str, check: &str) -> Option<String> {
    let python = std::env::var("ALZETTE_PYTHON").unwrap_or_else(|_| "python3".into());
    let ok = Command::new(&python)
        .args(["-c", &format!("import {modules}")])
        .output()
        .is_ok_and(|o| o.status.success());
    if !ok {
        alzette_testkit::missing(
            check,
            &format!("a Python that imports {modules} ({python} does not)"),
            "pip install them, or set ALZETTE_PYTHON",
        );
    }
    ok.then_some(python)
}

async fn answer(state: &Mutex<Shared>, req: axum::extract::Request) -> axum::response::Response {
    use axum::http::{HeaderValue, StatusCode, header};
    use axum::response::IntoResponse;
    let key = match req.uri().query() {
        Some(q) => format!("{}?{q}", req.uri().path()),
        None => req.uri().path().to_owned(),
    };
    let page = {
        let mut s = state.lock().unwrap();
        *s.hits.entry(key.clone()).or_default() += 1;
        let next = s.sequences.get_mut(&key).and_then(|q| q.pop_front());
        next.or_else(|| s.pages.get(&key).cloned())
    };
    let Some(page) = page else {
        return (StatusCode::NOT_FOUND, "no such page").into_response();
    };
    if let Some(d) = page.delay {
        tokio::time::sleep(d).await;
    }
    let etag = format!("\"{:x}\"", fxhash(&page.body));
    if page.etag {
        let matches = req
            .headers()
            .get(header::IF_NONE_MATCH)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v == etag);
        if matches {
            state.lock().unwrap().not_modified += 1;
            return (StatusCode::NOT_MODIFIED, [(header::ETAG, etag)]).into_response();
        }
    }
    if let Some(lm) = &page.last_modified {
        let unchanged = req
            .headers()
            .get(header::IF_MODIFIED_SINCE)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v == lm);
        if unchanged {
            state.lock().unwrap().not_modified += 1;
            return (
                StatusCode::NOT_MODIFIED,
                [(header::LAST_MODIFIED, lm.clone())],
            )
                .into_response();
        }
    }
    let mut response = (StatusCode::from_u16(page.status).unwrap(), page.body).into_response();
    if let Some(lm) = &page.last_modified {
        response
            .headers_mut()
            .insert(header::LAST_MODIFIED, HeaderValue::from_str(lm).unwrap());
    }
    if let Some(ct) = page.content_type {
        response
            .headers_mut()
            .insert(header::CONTENT_TYPE, HeaderValue::from_str(&ct).unwrap());
    }
    if page.etag {
        response
            .headers_mut()
            .insert(header::ETAG, HeaderValue::from_str(&etag).unwrap());
    }
    for (name, value) in &page.headers {
        response.headers_mut().insert(
            axum::http::HeaderName::from_bytes(name.as_bytes()).unwrap(),
            HeaderValue::from_str(value).unwrap(),
        );
    }
    if let Some(encoding) = page.content_encoding {
        response.headers_mut().insert(
            header::CONTENT_ENCODING,
            HeaderValue::from_str(&encoding).unwrap(),
        );
    }
    response
}

fn fxhash(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325, |h: u64, b| {
        (h ^ u64::from(*b)).wrapping_mul(0x0100_0000_01b3)
    })
}

/// A generated DCAT catalogue: `n` datasets with distributions, contact points (blank nodes),
/// a shared publisher and a period of time, split into Hydra pages.
pub struct Catalogue {
    pub base: String,
    pub datasets: Vec<String>,
}

/// The RDF syntaxes a catalogue can be served in, with the extension and media type used.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Syntax {
    Turtle,
    RdfXml,
    JsonLd,
    NTriples,
}

impl Syntax {
    pub const ALL: [Syntax; 4] = [
        Syntax::Turtle,
        Syntax::RdfXml,
        Syntax::JsonLd,
        Syntax::NTriples,
    ];

    pub fn ext(self) -> &'static str {
        match self {
            Syntax::Turtle => "ttl",
            Syntax::RdfXml => "rdf",
            Syntax::JsonLd => "jsonld",
            Syntax::NTriples => "nt",
        }
    }

    pub fn media_type(self) -> &'static str {
        match self {
            Syntax::Turtle => "text/turtle",
            Syntax::RdfXml => "application/rdf+xml",
            Syntax::JsonLd => "application/ld+json",
            Syntax::NTriples => "application/n-triples",
        }
    }

    fn format(self) -> oxigraph::io::RdfFormat {
        use oxigraph::io::{JsonLdProfileSet, RdfFormat};
        match self {
            Syntax::Turtle => RdfFormat::Turtle,
            Syntax::RdfXml => RdfFormat::RdfXml,
            Syntax::JsonLd => RdfFormat::JsonLd {
                profile: JsonLdProfileSet::empty(),
            },
            Syntax::NTriples => RdfFormat::NTriples,
        }
    }
}

/// The Turtle description of dataset `i` (with `version` in its title, so that a change can be
/// made), its distribution, contact point and period.
pub fn dataset_turtle(base: &str, i: usize, version: u32) -> String {
    format!(
        r#"<{base}/dataset/{i}> a dcat:Dataset ;
    dct:identifier "ds-{i}" ;
    dct:title "Dataset {i} v{version}"@en ;
    dct:description "Generated dataset number {i}."@en ;
    dcat:keyword "k{k}"@en ;
    dct:publisher <{base}/org/{org}> ;
    dcat:contactPoint [ a vcard:Organization ; vcard:fn "Desk {org}" ; vcard:hasEmail <mailto:desk{org}@example.org> ] ;
    dct:temporal [ a dct:PeriodOfTime ; dcat:startDate "2020-01-01"^^xsd:date ] ;
    dcat:distribution <{base}/dataset/{i}/csv> .
<{base}/dataset/{i}/csv> a dcat:Distribution ;
    dcat:accessURL <{base}/files/{i}.csv> ;
    dct:format <http://publications.europa.eu/resource/authority/file-type/CSV> .
<{base}/org/{org}> a foaf:Organization ; foaf:name "Organisation {org}" .
"#,
        k = i % 7,
        org = i % 3
    )
}

pub const PREFIXES: &str = "@prefix dcat: <http://www.w3.org/ns/dcat#> .\n@prefix dct: <http://purl.org/dc/terms/> .\n@prefix foaf: <http://xmlns.com/foaf/0.1/> .\n@prefix vcard: <http://www.w3.org/2006/vcard/ns#> .\n@prefix hydra: <http://www.w3.org/ns/hydra/core#> .\n@prefix xsd: <http://www.w3.org/2001/XMLSchema#> .\n";

/// Pages of a catalogue of the datasets `ids`, `per_page` a page, as served at
/// `{server}/catalog.{ext}?page=N`, with Hydra links in the current form (or the legacy one).
pub fn catalogue_pages(
    server: &str,
    ids: &[usize],
    per_page: usize,
    syntax: Syntax,
    legacy_hydra: bool,
    version_of: &dyn Fn(usize) -> u32,
) -> Vec<(String, Page)> {
    let base = "https://data.example.org";
    let chunks: Vec<&[usize]> = if ids.is_empty() {
        vec![&[]]
    } else {
        ids.chunks(per_page).collect()
    };
    let last = chunks.len();
    chunks
        .iter()
        .enumerate()
        .map(|(n, chunk)| {
            let page = n + 1;
            let path = format!("/catalog.{}?page={page}", syntax.ext());
            let url = |p: usize| format!("{server}/catalog.{}?page={p}", syntax.ext());
            let mut ttl = String::from(PREFIXES);
            ttl.push_str(&format!("<{base}/catalog> a dcat:Catalog ; dct:title \"Generated\"@en"));
            for i in chunk.iter() {
                ttl.push_str(&format!(" ; dcat:dataset <{base}/dataset/{i}>"));
            }
            ttl.push_str(" .\n");
            if legacy_hydra {
                ttl.push_str(&format!("<{}> a hydra:PagedCollection ; hydra:totalItems {} ; hydra:firstPage <{}> ; hydra:lastPage <{}>", url(page), ids.len(), url(1), url(last)));
                if page < last {
                    ttl.push_str(&format!(" ; hydra:nextPage <{}>", url(page + 1)));
                }
            } else {
                ttl.push_str(&format!("<{base}/catalog> a hydra:Collection ; hydra:totalItems {} ; hydra:view <{}> .\n", ids.len(), url(page)));
                ttl.push_str(&format!("<{}> a hydra:PartialCollectionView ; hydra:first <{}> ; hydra:last <{}>", url(page), url(1), url(last)));
                if page < last {
                    ttl.push_str(&format!(" ; hydra:next <{}>", url(page + 1)));
                }
            }
            ttl.push_str(" .\n");
            for i in chunk.iter() {
                ttl.push_str(&dataset_turtle(base, *i, version_of(*i)));
            }
            (path, Page::ok(syntax.media_type(), convert(&ttl, syntax)))
        })
        .collect()
}

/// Turtle text converted to another syntax with Oxigraph's serialisers.
pub fn convert(ttl: &str, syntax: Syntax) -> Vec<u8> {
    if syntax == Syntax::Turtle {
        return ttl.as_bytes().to_vec();
    }
    let quads: Vec<oxigraph::model::Quad> =
        oxigraph::io::RdfParser::from_format(oxigraph::io::RdfFormat::Turtle)
            .for_slice(ttl.as_bytes())
            .collect::<Result<_, _>>()
            .expect("generated Turtle parses");
    let mut w = oxigraph::io::RdfSerializer::from_format(syntax.format()).for_writer(Vec::new());
    for q in &quads {
        w.serialize_quad(q).unwrap();
    }
    w.finish().unwrap()
}

/// A port nobody listens on right now.
pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// A configuration in a temporary folder and the real binary to run on it.
pub struct Env {
    pub dir: tempfile::TempDir,
    pub config: PathBuf,
    pub port: u16,
}

impl Env {
    /// `sources` is appended to a `[server]`/`[store]` head of its own; `extra_head` goes into
    /// `[server]`.
    pub fn new(sources: &str) -> Self {
        Self::with_server(sources, "")
    }

    pub fn with_server(sources: &str, server_extra: &str) -> Self {
        Self::with_port(sources, server_extra, free_port())
    }

    /// [`Env::with_server`] on a port chosen beforehand (for sources that need the base URI).
    pub fn with_port(sources: &str, server_extra: &str, port: u16) -> Self {
        let dir = tempfile::tempdir().unwrap();
        let config = dir.path().join("harvest-sources.toml");
        let text = format!(
            "[server]\nbind = \"127.0.0.1:{port}\"\nbase_uri = \"http://127.0.0.1:{port}/\"\n{server_extra}\n[store]\npath = \"data/store\"\n\n[harvest]\nretries = 0\nrequest_timeout = \"10s\"\n\n{sources}"
        );
        std::fs::write(&config, text).unwrap();
        Self { dir, config, port }
    }

    pub fn path(&self, p: &str) -> PathBuf {
        self.dir.path().join(p)
    }

    pub fn command(&self, args: &[&str]) -> Command {
        let mut c = Command::new(env!("CARGO_BIN_EXE_alzette"));
        c.arg("--config")
            .arg(&self.config)
            .args(args)
            .env("ALZETTE_LOG", "warn");
        c
    }

    /// Runs `alzette ARGS` to the end.
    pub fn run(&self, args: &[&str]) -> Output {
        self.command(args)
            .output()
            .expect("the alzette binary runs")
    }

    /// Runs `alzette harvest SOURCE [extra] --format json`: the run as the run log keeps it,
    /// whatever the summary's wording.
    pub fn harvest_json(&self, source: &str, extra: &[&str]) -> Harvest {
        let mut args = vec!["harvest", source, "--format", "json"];
        args.extend_from_slice(extra);
        let out = self.run(&args);
        let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
        let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
            panic!(
                "alzette harvest --format json printed no JSON ({e}): {}{stderr}",
                String::from_utf8_lossy(&out.stdout)
            )
        });
        Harvest {
            code: out.status.code().unwrap_or(-1),
            run: serde_json::from_value(report["run"].clone()).expect("a run"),
            plan: report.get("plan").cloned().filter(|p| !p.is_null()),
            stderr,
        }
    }

    /// Runs `alzette harvest SOURCE [extra]` and returns (exit code, stdout).
    pub fn harvest(&self, source: &str, extra: &[&str]) -> (i32, String) {
        let mut args = vec!["harvest", source];
        args.extend_from_slice(extra);
        let out = self.run(&args);
        let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
        let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
        (out.status.code().unwrap_or(-1), format!("{stdout}{stderr}"))
    }

    /// Opens the store (no `alzette` process may be running on it).
    pub fn store(&self) -> RecordStore {
        RecordStore::open(
            &self.path("data/store"),
            &format!("http://127.0.0.1:{}/", self.port),
        )
        .unwrap()
    }

    /// Starts `alzette serve` and waits until it answers /health.
    pub fn serve(&self) -> Server {
        self.serve_with_env(&[])
    }

    /// Starts `alzette serve` with extra environment variables.
    pub fn serve_with_env(&self, vars: &[(&str, &str)]) -> Server {
        let mut command = self.command(&["serve"]);
        command.envs(vars.iter().copied());
        self.serve_command(command)
    }

    /// Starts `alzette serve` allowed only `files` open file descriptors (util-linux's
    /// `prlimit`, which execs it: the child is the daemon itself).
    pub fn serve_with_fd_limit(&self, files: u32) -> Server {
        let mut command = Command::new("prlimit");
        command
            .arg(format!("--nofile={files}:{files}"))
            .arg("--")
            .arg(env!("CARGO_BIN_EXE_alzette"))
            .arg("--config")
            .arg(&self.config)
            .arg("serve")
            .env("ALZETTE_LOG", "warn");
        self.serve_command(command)
    }

    fn serve_command(&self, mut command: Command) -> Server {
        let child = command
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let server = Server {
            child,
            base: format!("http://127.0.0.1:{}", self.port),
        };
        let deadline = Instant::now() + Duration::from_secs(30);
        while Instant::now() < deadline {
            if http_get(&format!("{}/health", server.base), &[]).is_ok_and(|(s, _, _)| s == 200) {
                return server;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        panic!("alzette serve did not come up");
    }
}

/// A run of `alzette harvest --format json`.
#[derive(Debug)]
pub struct Harvest {
    pub code: i32,
    pub run: alzette_runlog::Run,
    /// A dry run's plan.
    pub plan: Option<serde_json::Value>,
    pub stderr: String,
}

impl Harvest {
    /// What the run did: [added, updated, unchanged, deleted, failed].
    pub fn tally(&self) -> [u64; 5] {
        let c = &self.run.counts;
        [c.added, c.updated, c.unchanged, c.deleted, c.failed]
    }

    /// The run's message, or "".
    pub fn message(&self) -> &str {
        self.run.message.as_deref().unwrap_or_default()
    }

    /// Whether the run says `text` anywhere: its outcome, message, errors or warnings.
    pub fn says(&self, text: &str) -> bool {
        let r = &self.run;
        r.outcome.to_string().contains(text)
            || self.message().contains(text)
            || r.errors
                .iter()
                .chain(&r.warnings)
                .any(|e| e.record.contains(text) || e.message.contains(text))
    }
}

impl std::fmt::Display for Harvest {
    /// For assertion messages: the run and what was logged.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "exit {}: {:?}\n{}", self.code, self.run, self.stderr)
    }
}

/// A running `alzette serve`, stopped with SIGTERM when dropped.
pub struct Server {
    pub child: Child,
    pub base: String,
}

impl Server {
    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    /// The finished runs of a source, newest first.
    pub fn finished_runs(&self, source: &str) -> Vec<serde_json::Value> {
        let (_, _, body) = http_get(
            &self.url(&format!("/api/runs?source={source}&limit=1000")),
            &[],
        )
        .unwrap();
        let runs: Vec<serde_json::Value> = serde_json::from_slice(&body).unwrap();
        runs.into_iter()
            .filter(|r| r["outcome"] != "running")
            .collect()
    }

    /// Runs `source` now through the admin API (with `token`) and waits until that run has
    /// finished; returns it.
    pub fn run_now(&self, source: &str, token: &str) -> serde_json::Value {
        let before = self.finished_runs(source).len();
        let (status, _, body) = http(
            reqwest::Method::POST,
            &self.url(&format!("/api/admin/sources/{source}/run")),
            &[("authorization", &format!("Bearer {token}"))],
            None,
        )
        .unwrap();
        assert_eq!(status, 202, "{}", String::from_utf8_lossy(&body));
        wait_until(&format!("the run of {source} finished"), || {
            self.finished_runs(source).len() > before
        });
        self.finished_runs(source).remove(0)
    }

    /// The SPARQL query worker processes the server has running now (their pids).
    pub fn query_workers(&self) -> Vec<u32> {
        let parent = self.child.id().to_string();
        let mut pids = Vec::new();
        for entry in std::fs::read_dir("/proc").unwrap().flatten() {
            let Ok(pid) = entry.file_name().to_string_lossy().parse::<u32>() else {
                continue;
            };
            // Fields after the command name (which may hold spaces): state, then ppid.
            let Ok(stat) = std::fs::read_to_string(entry.path().join("stat")) else {
                continue;
            };
            let after_name = stat.rsplit_once(')').map_or("", |(_, rest)| rest);
            let ppid = after_name.split_whitespace().nth(1).unwrap_or_default();
            let cmdline = std::fs::read(entry.path().join("cmdline")).unwrap_or_default();
            if ppid == parent && String::from_utf8_lossy(&cmdline).contains("query-worker") {
                pids.push(pid);
            }
        }
        pids
    }

    /// Stops the server with SIGTERM and waits; returns its stderr.
    pub fn stop(mut self) -> String {
        terminate(&self.child);
        let out = wait_output(&mut self.child);
        std::mem::forget(self);
        out
    }

    /// Waits until /api/sources shows every enabled source with a finished last run.
    pub fn wait_for_runs(&self, sources: &[&str]) -> serde_json::Value {
        let deadline = Instant::now() + Duration::from_secs(60);
        loop {
            let (_, _, body) = http_get(&self.url("/api/sources"), &[]).unwrap();
            let v: serde_json::Value = serde_json::from_slice(&body).unwrap();
            let done = sources.iter().all(|id| {
                v.as_array().unwrap().iter().any(|s| {
                    s["id"] == *id
                        && s["last_run"].is_object()
                        && s["last_run"]["outcome"] != "running"
                })
            });
            if done {
                return v;
            }
            assert!(Instant::now() < deadline, "runs did not finish: {v}");
            std::thread::sleep(Duration::from_millis(100));
        }
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

pub fn terminate(child: &Child) {
    let _ = Command::new("kill")
        .arg("-TERM")
        .arg(child.id().to_string())
        .status();
}

fn wait_output(child: &mut Child) -> String {
    use std::io::Read;
    let deadline = Instant::now() + Duration::from_secs(30);
    while child.try_wait().unwrap().is_none() {
        assert!(Instant::now() < deadline, "the process did not stop");
        std::thread::sleep(Duration::from_millis(50));
    }
    let mut err = String::new();
    if let Some(mut e) = child.stderr.take() {
        let _ = e.read_to_string(&mut err);
    }
    err
}

/// A blocking HTTP GET with extra headers: (status, headers, body).
pub fn http_get(
    url: &str,
    headers: &[(&str, &str)],
) -> Result<(u16, reqwest::header::HeaderMap, Vec<u8>), String> {
    http(reqwest::Method::GET, url, headers, None)
}

/// A blocking HTTP GET that leaves the body as sent (no gzip decoding).
pub fn http_get_undecoded(
    url: &str,
    headers: &[(&str, &str)],
) -> Result<(u16, reqwest::header::HeaderMap, Vec<u8>), String> {
    request(reqwest::Method::GET, url, headers, None, false)
}

/// A blocking HTTP request.
pub fn http(
    method: reqwest::Method,
    url: &str,
    headers: &[(&str, &str)],
    body: Option<(&str, Vec<u8>)>,
) -> Result<(u16, reqwest::header::HeaderMap, Vec<u8>), String> {
    request(method, url, headers, body, true)
}

fn request(
    method: reqwest::Method,
    url: &str,
    headers: &[(&str, &str)],
    body: Option<(&str, Vec<u8>)>,
    decode: bool,
) -> Result<(u16, reqwest::header::HeaderMap, Vec<u8>), String> {
    let url = url.to_owned();
    let headers: Vec<(String, String)> = headers
        .iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect();
    let body = body.map(|(ct, b)| (ct.to_owned(), b));
    std::thread::spawn(move || {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        rt.block_on(async move {
            let mut client = reqwest::Client::builder().timeout(Duration::from_secs(60));
            if !decode {
                client = client.no_gzip();
            }
            let client = client.build().unwrap();
            let mut req = client.request(method, &url);
            for (k, v) in &headers {
                req = req.header(k, v);
            }
            if let Some((ct, b)) = body {
                req = req.header("content-type", ct).body(b);
            }
            let resp = req.send().await.map_err(|e| e.to_string())?;
            let status = resp.status().as_u16();
            let headers = resp.headers().clone();
            let bytes = resp.bytes().await.map_err(|e| e.to_string())?;
            Ok((status, headers, bytes.to_vec()))
        })
    })
    .join()
    .unwrap()
}

/// The resources (dataset IRIs) of a source in the store, sorted.
pub fn stored_resources(store: &RecordStore, source: &str) -> Vec<String> {
    let mut out: Vec<String> = store
        .record_keys(source)
        .iter()
        .filter_map(|k| store.resource_of(source, k).unwrap())
        .map(|n| n.as_str().to_owned())
        .collect();
    out.sort();
    out
}

/// One SPARQL SELECT over the store (union of the named graphs: every record graph, shadowed
/// and tombstoned ones included, as a bag), first column of each row.
pub fn select(store: &RecordStore, query: &str) -> Vec<String> {
    let mut out: Vec<String> = select_rows(store, query)
        .into_iter()
        .map(|row| row.into_iter().next().unwrap_or_default())
        .collect();
    out.sort();
    out
}

/// One SPARQL SELECT over the store (union of the named graphs, not the published view that is
/// the store's default graph): every row, each value as text (IRIs bare, literals' values, ""
/// when unbound), rows sorted.
pub fn select_rows(store: &RecordStore, query: &str) -> Vec<Vec<String>> {
    use oxigraph::model::{GraphName, NamedOrBlankNode};
    use oxigraph::sparql::{QueryResults, SparqlEvaluator};
    let mut prepared = SparqlEvaluator::new().parse_query(query).unwrap();
    let named: Vec<GraphName> = store
        .oxigraph()
        .named_graphs()
        .filter_map(|g| match g.unwrap() {
            NamedOrBlankNode::NamedNode(n) => Some(GraphName::NamedNode(n)),
            NamedOrBlankNode::BlankNode(_) => None,
        })
        .collect();
    prepared.dataset_mut().set_default_graph(named);
    let QueryResults::Solutions(solutions) = prepared.on_store(store.oxigraph()).execute().unwrap()
    else {
        panic!("not a SELECT")
    };
    let mut out: Vec<Vec<String>> = solutions
        .map(|s| {
            s.unwrap()
                .values()
                .iter()
                .map(|t| match t {
                    Some(oxigraph::model::Term::Literal(l)) => l.value().to_owned(),
                    Some(other) => other.to_string().trim_matches(['<', '>']).to_owned(),
                    None => String::new(),
                })
                .collect()
        })
        .collect();
    out.sort();
    out
}

/// `dct:modified` of each record of a source, by resource.
pub fn modified_times(store: &RecordStore) -> Vec<(String, String)> {
    select_pairs(
        store,
        "SELECT ?r ?m WHERE { GRAPH ?g { ?g <http://xmlns.com/foaf/0.1/primaryTopic> ?r ; <http://purl.org/dc/terms/modified> ?m } }",
    )
}

pub fn select_pairs(store: &RecordStore, query: &str) -> Vec<(String, String)> {
    use oxigraph::sparql::{QueryResults, SparqlEvaluator};
    let QueryResults::Solutions(solutions) = SparqlEvaluator::new()
        .parse_query(query)
        .unwrap()
        .on_store(store.oxigraph())
        .execute()
        .unwrap()
    else {
        panic!("not a SELECT")
    };
    let mut out: Vec<(String, String)> = solutions
        .map(|s| {
            let s = s.unwrap();
            let v: Vec<String> = s
                .values()
                .iter()
                .map(|t| t.as_ref().map(|t| t.to_string()).unwrap_or_default())
                .collect();
            (v[0].clone(), v[1].clone())
        })
        .collect();
    out.sort();
    out
}

/// The shared fixtures folder (`../shared/fixtures` next to the repository, or
/// `$ALZETTE_SHARED/fixtures`), or `None` with a notice when it is absent (a failure under
/// `ALZETTE_REQUIRE_FIXTURES=1`, which `.ci/run` sets).
#[track_caller]
pub fn shared_fixtures(test: &str) -> Option<PathBuf> {
    alzette_testkit::shared_fixtures(test)
}

/// What a [`FaultServer`] does with each connection once it has read the request.
#[derive(Clone, Debug)]
pub enum Fault {
    /// Close the connection without answering.
    Close,
    /// Keep the connection open and never answer.
    Hang,
    /// Answer `200` with a body of `len` bytes, sent one byte every `every`.
    Trickle { len: usize, every: Duration },
    /// Announce `declared` bytes, send `sent`, close.
    Truncate { declared: usize, sent: usize },
}

/// A raw TCP server on 127.0.0.1 that misbehaves below HTTP, for fault tests.
pub struct FaultServer {
    pub addr: SocketAddr,
    pub connections: Arc<std::sync::atomic::AtomicUsize>,
}

impl FaultServer {
    pub fn start(fault: Fault) -> Self {
        use std::io::{Read, Write};
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = listener.local_addr().unwrap();
        let connections: Arc<std::sync::atomic::AtomicUsize> = Arc::default();
        let count = Arc::clone(&connections);
        std::thread::spawn(move || {
            for stream in listener.incoming() {
                let Ok(mut stream) = stream else { continue };
                count.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
                let fault = fault.clone();
                std::thread::spawn(move || {
                    // Read the request head.
                    let mut head = Vec::new();
                    let mut buf = [0u8; 1024];
                    while !head.windows(4).any(|w| w == b"\r\n\r\n") {
                        match stream.read(&mut buf) {
                            Ok(0) | Err(_) => return,
                            Ok(n) => head.extend_from_slice(&buf[..n]),
                        }
                    }
                    match fault {
                        Fault::Close => {}
                        Fault::Hang => std::thread::sleep(Duration::from_secs(3600)),
                        Fault::Trickle { len, every } => {
                            let _ = write!(
                                stream,
                                "HTTP/1.1 200 OK\r\nContent-Type: text/turtle\r\nContent-Length: {len}\r\n\r\n"
                            );
                            for _ in 0..len {
                                if stream.write_all(b"#").is_err() {
                                    return;
                                }
                                std::thread::sleep(every);
                            }
                        }
                        Fault::Truncate { declared, sent } => {
                            let _ = write!(
                                stream,
                                "HTTP/1.1 200 OK\r\nContent-Type: text/turtle\r\nContent-Length: {declared}\r\n\r\n"
                            );
                            let _ = stream.write_all(&vec![b'#'; sent]);
                        }
                    }
                });
            }
        });
        Self { addr, connections }
    }

    pub fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.addr)
    }

    pub fn connections(&self) -> usize {
        self.connections.load(std::sync::atomic::Ordering::SeqCst)
    }
}

/// An RDF document as a graph (the test fails if it does not parse).
pub fn parse(body: &[u8], format: oxigraph::io::RdfFormat, base: &str) -> oxigraph::model::Graph {
    oxigraph::io::RdfParser::from_format(format)
        .with_base_iri(base)
        .unwrap()
        .for_slice(body)
        .map(|q| oxigraph::model::Triple::from(q.expect("the page parses")))
        .collect()
}

/// The objects of `s p ?o` in `g`: literals' values, IRIs bare.
pub fn objects(g: &oxigraph::model::Graph, s: &str, p: &str) -> Vec<String> {
    use oxigraph::model::NamedNodeRef;
    g.objects_for_subject_predicate(NamedNodeRef::new(s).unwrap(), NamedNodeRef::new(p).unwrap())
        .map(|o| match o {
            oxigraph::model::TermRef::Literal(l) => l.value().to_owned(),
            other => other.to_string().trim_matches(['<', '>']).to_owned(),
        })
        .collect()
}
