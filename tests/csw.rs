//! Harvesting CSW catalogues and ISO 19139 records with the real binary, against a CSW server
//! on 127.0.0.1 that serves Alzette's sample records and can misbehave as real servers do.

mod support;

use std::sync::{Arc, Mutex};
use support::*;

/// How the test server misbehaves.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Quirk {
    None,
    /// Says it matches more records than it has; past the end it answers 0 records with
    /// nextRecord 1 (pycsw's answer to a startPosition past the end).
    Overcounts,
    /// nextRecord repeats the page's own startPosition.
    NotAdvancing,
    /// No nextRecord attribute at all.
    NoNextRecord,
    /// nextRecord far beyond numberOfRecordsMatched on the last page.
    NextBeyondMatched,
    /// numberOfRecordsReturned disagrees with the records present.
    WrongReturned,
    /// An ows:ExceptionReport (HTTP 200) for the second page.
    ExceptionOnPage2,
    /// An HTML error page (HTTP 200) for the second page.
    HtmlOnPage2,
    /// The second page cut off in the middle.
    TruncatedPage2,
    /// The second page has a DOCTYPE with an external entity.
    DoctypePage2,
    /// Refuses requests that sort (an exception, as servers without sorting answer).
    NoSorting,
    /// Serves the first records whatever startPosition asks, announcing a million.
    IgnoresStart,
}

struct State {
    records: Vec<String>,
    quirk: Quirk,
    /// The server's own cap on maxRecords.
    cap: usize,
    /// Whether the capabilities offer POST for GetRecords.
    post: bool,
    /// (method, startPosition, sorted) of each GetRecords.
    requests: Vec<(String, usize, bool)>,
    /// Each record's modification date, for `apiso:Modified >= '…'` constraints.
    modified: Vec<String>,
    /// The modification date each GetRecords asked from, if any.
    since: Vec<Option<String>>,
}

struct CswServer {
    addr: std::net::SocketAddr,
    state: Arc<Mutex<State>>,
}

const GMD: &str = "http://www.isotc211.org/2005/gmd";

fn record(i: usize) -> String {
    let text = std::fs::read_to_string(samples().join("dataset-watercourses.xml")).unwrap();
    let body = &text[text.find("<gmd:MD_Metadata").unwrap()..];
    body.replace("lu-alzette-sample-0001", &format!("rec-{i:04}"))
        .replace(
            "https://data.example.lu/id/dataset/watercourses",
            &format!("https://data.example.lu/id/dataset/ds-{i}"),
        )
        .replace(
            "Watercourses of Luxembourg",
            &format!("Watercourses, part {i}"),
        )
}

/// Alzette's own sample ISO records.
fn samples() -> std::path::PathBuf {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../examples/iso19139")
        .canonicalize()
        .unwrap()
}

fn attribute(text: &str, name: &str) -> Option<usize> {
    let at = text.find(&format!("{name}=\""))? + name.len() + 2;
    text[at..].split('"').next()?.parse().ok()
}

fn query_value(query: &str, name: &str) -> Option<String> {
    url::form_urlencoded::parse(query.as_bytes())
        .find(|(k, _)| k.eq_ignore_ascii_case(name))
        .map(|(_, v)| v.into_owned())
}

impl CswServer {
    fn start(records: usize) -> Self {
        let state = Arc::new(Mutex::new(State {
            records: (1..=records).map(record).collect(),
            quirk: Quirk::None,
            cap: 1000,
            post: true,
            requests: Vec::new(),
            modified: vec!["2000-01-01".to_owned(); records],
            since: Vec::new(),
        }));
        let shared = Arc::clone(&state);
        let addr = serve_app(
            axum::Router::new().fallback(move |req: axum::extract::Request| {
                let state = Arc::clone(&shared);
                async move { answer(&state, req).await }
            }),
        );
        Self { addr, state }
    }

    fn url(&self) -> String {
        format!("http://{}/csw", self.addr)
    }

    fn set(&self, f: impl FnOnce(&mut State)) {
        f(&mut self.state.lock().unwrap());
    }

    fn take_requests(&self) -> Vec<(String, usize, bool)> {
        std::mem::take(&mut self.state.lock().unwrap().requests)
    }
}

async fn answer(state: &Mutex<State>, req: axum::extract::Request) -> axum::response::Response {
    use axum::response::IntoResponse;
    let method = req.method().to_string();
    let query = req.uri().query().unwrap_or("").to_owned();
    let body = axum::body::to_bytes(req.into_body(), 1 << 20)
        .await
        .unwrap();
    let body = String::from_utf8_lossy(&body).into_owned();
    let xml = |text: String| ([("content-type", "application/xml")], text).into_response();
    let request = query_value(&query, "request").unwrap_or_default();
    if request.eq_ignore_ascii_case("GetCapabilities") {
        let post = state.lock().unwrap().post;
        let bindings = if post {
            "<ows:Get xlink:href=\"x\"/><ows:Post xlink:href=\"x\"/>"
        } else {
            "<ows:Get xlink:href=\"x\"/>"
        };
        return xml(format!(
            "<csw:Capabilities xmlns:csw=\"http://www.opengis.net/cat/csw/2.0.2\" xmlns:ows=\"http://www.opengis.net/ows\" xmlns:xlink=\"http://www.w3.org/1999/xlink\"><ows:OperationsMetadata><ows:Operation name=\"GetCapabilities\"><ows:DCP><ows:HTTP><ows:Get xlink:href=\"x\"/></ows:HTTP></ows:DCP></ows:Operation><ows:Operation name=\"GetRecords\"><ows:DCP><ows:HTTP>{bindings}</ows:HTTP></ows:DCP></ows:Operation></ows:OperationsMetadata></csw:Capabilities>"
        ));
    }
    let (start, max, sorted) = if method == "POST" {
        assert!(body.contains(&format!("outputSchema=\"{GMD}\"")), "{body}");
        assert!(
            body.contains("<csw:ElementSetName>full</csw:ElementSetName>"),
            "{body}"
        );
        (
            attribute(&body, "startPosition").unwrap_or(1),
            attribute(&body, "maxRecords").unwrap_or(10),
            body.contains("<ogc:SortBy>"),
        )
    } else {
        assert_eq!(
            query_value(&query, "outputSchema").as_deref(),
            Some(GMD),
            "{query}"
        );
        (
            query_value(&query, "startPosition")
                .and_then(|v| v.parse().ok())
                .unwrap_or(1),
            query_value(&query, "maxRecords")
                .and_then(|v| v.parse().ok())
                .unwrap_or(10),
            query_value(&query, "sortBy").is_some(),
        )
    };
    let mut s = state.lock().unwrap();
    s.requests.push((method, start, sorted));
    let exception = |code: &str, text: &str| {
        format!(
            "<ows:ExceptionReport xmlns:ows=\"http://www.opengis.net/ows\" version=\"1.2.0\"><ows:Exception exceptionCode=\"{code}\"><ows:ExceptionText>{text}</ows:ExceptionText></ows:Exception></ows:ExceptionReport>"
        )
    };
    if s.quirk == Quirk::NoSorting && sorted {
        return xml(exception(
            "InvalidParameterValue",
            "Sorting is not supported",
        ));
    }
    let page2 = start > 1;
    match s.quirk {
        Quirk::ExceptionOnPage2 if page2 => {
            return xml(exception("NoApplicableCode", "database connection lost"));
        }
        Quirk::HtmlOnPage2 if page2 => {
            return (
                [("content-type", "text/html")],
                "<html><body><h1>Proxy error</h1></body></html>",
            )
                .into_response();
        }
        _ => {}
    }
    // The one constraint the tests send: records modified since a date (compared as text, as
    // pycsw does).
    let since = body
        .split("apiso:Modified &gt;= '")
        .nth(1)
        .and_then(|rest| rest.split('\'').next())
        .map(str::to_owned);
    s.since.push(since.clone());
    let matching: Vec<String> = s
        .records
        .iter()
        .zip(&s.modified)
        .filter(|(_, m)| since.as_ref().is_none_or(|since| *m >= since))
        .map(|(r, _)| r.clone())
        .collect();
    let total = matching.len();
    let max = max.min(s.cap);
    let from = if s.quirk == Quirk::IgnoresStart {
        0
    } else {
        start.max(1) - 1
    };
    let page: Vec<&String> = matching.iter().skip(from).take(max).collect();
    let returned = page.len();
    let matched = match s.quirk {
        Quirk::Overcounts => total + 2,
        Quirk::IgnoresStart => 1_000_000,
        _ => total,
    };
    let next = if s.quirk == Quirk::IgnoresStart {
        start + returned
    } else if from + returned >= total {
        0
    } else {
        from + returned + 1
    };
    let next_attr = match s.quirk {
        Quirk::Overcounts if returned == 0 => " nextRecord=\"1\"".to_owned(),
        Quirk::Overcounts if next == 0 => format!(" nextRecord=\"{}\"", total + 1),
        Quirk::NotAdvancing if page2 => format!(" nextRecord=\"{start}\""),
        Quirk::NoNextRecord => String::new(),
        Quirk::NextBeyondMatched if next == 0 => " nextRecord=\"9999\"".to_owned(),
        _ => format!(" nextRecord=\"{next}\""),
    };
    let said = if s.quirk == Quirk::WrongReturned {
        returned + 2
    } else {
        returned
    };
    let mut out = String::new();
    if s.quirk == Quirk::DoctypePage2 && page2 {
        out.push_str(
            "<?xml version=\"1.0\"?><!DOCTYPE r [<!ENTITY x SYSTEM \"file:///etc/passwd\">]>",
        );
    }
    out.push_str(&format!(
        "<csw:GetRecordsResponse xmlns:csw=\"http://www.opengis.net/cat/csw/2.0.2\" version=\"2.0.2\"><csw:SearchStatus timestamp=\"2026-11-28T00:00:00Z\"/><csw:SearchResults numberOfRecordsMatched=\"{matched}\" numberOfRecordsReturned=\"{said}\"{next_attr} recordSchema=\"{GMD}\" elementSet=\"full\">"
    ));
    for r in page {
        out.push_str(r);
    }
    out.push_str("</csw:SearchResults></csw:GetRecordsResponse>");
    if s.quirk == Quirk::TruncatedPage2 && page2 {
        out.truncate(out.len() / 2);
    }
    xml(out)
}

fn csw_source(id: &str, url: &str, extra: &str) -> String {
    source_table(id, "csw", url, AT_3AM, extra)
}

fn dataset(i: usize) -> String {
    format!("https://data.example.lu/id/dataset/ds-{i}")
}

#[test]
fn a_csw_catalogue_is_walked_page_by_page_and_reconciled() {
    let server = CswServer::start(23);
    let env = Env::new(&csw_source("geo", &server.url(), "page_size = 10"));
    let h = env.harvest_json("geo", &[]);
    assert_eq!(h.code, 0, "{h}");
    assert_eq!(h.run.pages, 3, "{h}");
    assert_eq!(h.tally(), [23, 0, 0, 0, 0], "{h}");
    assert!((h.run.announced, h.run.received) == (Some(23), 23), "{h}");
    // Full records from the pages, POSTed (the capabilities offer it), sorted, no request per record.
    let requests = server.take_requests();
    assert_eq!(
        requests,
        vec![
            ("POST".to_owned(), 1, true),
            ("POST".into(), 11, true),
            ("POST".into(), 21, true)
        ]
    );
    let store = env.store();
    let stored = stored_resources(&store, "geo");
    assert_eq!(stored.len(), 23);
    assert!(stored.contains(&dataset(17)));
    // The mapping's output is what is stored: GeoDCAT-AP with the record's parts.
    let titles = select(
        &store,
        &format!(
            "SELECT ?t WHERE {{ <{}> <http://purl.org/dc/terms/title> ?t FILTER(lang(?t) = 'en') }}",
            dataset(5)
        ),
    );
    assert_eq!(titles, ["Watercourses, part 5"]);
    drop(store);

    // Again: nothing rewritten.
    let h = env.harvest_json("geo", &[]);
    assert_eq!(h.code, 0, "{h}");
    assert_eq!(h.tally(), [0, 0, 23, 0, 0], "{h}");

    // Two records leave the catalogue, one changes: a complete walk deletes and updates.
    server.set(|s| {
        s.records.truncate(21);
        s.records[0] = s.records[0].replace("Watercourses, part 1", "Watercourses, part one");
    });
    let h = env.harvest_json("geo", &[]);
    assert_eq!(h.code, 0, "{h}");
    assert_eq!(h.tally(), [0, 1, 20, 2, 0], "{h}");
}

#[test]
fn server_quirks_stop_the_walk_where_they_should() {
    let server = CswServer::start(23);
    let env = Env::new(&csw_source("geo", &server.url(), "page_size = 10"));
    let (code, out) = env.harvest("geo", &[]);
    assert_eq!(code, 0, "{out}");
    server.take_requests();

    // The server caps maxRecords at 5: its nextRecord is followed, not our page size.
    server.set(|s| s.cap = 5);
    let h = env.harvest_json("geo", &[]);
    assert_eq!(h.code, 0, "{h}");
    assert!(
        h.run.pages == 5
            && h.run.counts.added == 0
            && h.run.counts.updated == 0
            && h.run.counts.unchanged == 23,
        "{h}"
    );
    assert_eq!(
        server
            .take_requests()
            .iter()
            .map(|r| r.1)
            .collect::<Vec<_>>(),
        [1, 6, 11, 16, 21]
    );
    server.set(|s| s.cap = 1000);

    // Harmless quirks: the walk ends, complete, and says what the server got wrong.
    for (quirk, says) in [
        (Quirk::NextBeyondMatched, None),
        (
            Quirk::WrongReturned,
            Some("numberOfRecordsReturned says 12 but the page holds 10 records"),
        ),
    ] {
        server.set(|s| s.quirk = quirk);
        let h = env.harvest_json("geo", &[]);
        let expected_code = if says.is_some() { 3 } else { 0 };
        assert_eq!(h.code, expected_code, "{quirk:?}: {h}");
        assert!(
            h.run.counts.unchanged == 23 && h.run.counts.deleted == 0,
            "{quirk:?}: {h}"
        );
        if let Some(says) = says {
            let runs =
                String::from_utf8(env.run(&["runs", "geo", "--limit", "1", "--errors"]).stdout)
                    .unwrap();
            assert!(runs.contains(says), "{quirk:?}: {runs}");
        }
        assert!(server.take_requests().len() <= 3, "{quirk:?}: no loop");
    }

    // A missing nextRecord on the first page: the walk stops there; 10 of 23 came, so it is
    // incomplete and nothing is deleted.
    server.set(|s| s.quirk = Quirk::NoNextRecord);
    let h = env.harvest_json("geo", &[]);
    assert_eq!(h.code, 3, "{h}");
    assert!(
        h.says("the response has no nextRecord") && h.says("nothing is deleted"),
        "{h}"
    );
    assert!(
        h.run.counts.unchanged == 10 && h.run.counts.deleted == 0,
        "{h}"
    );
    assert_eq!(server.take_requests().len(), 1);

    // nextRecord stuck on the page's own start: one page more, then stop, incomplete.
    server.set(|s| s.quirk = Quirk::NotAdvancing);
    let (code, out) = env.harvest("geo", &[]);
    assert_eq!(code, 3, "{out}");
    assert!(
        out.contains("nextRecord 11 does not move past startPosition 11"),
        "{out}"
    );
    assert_eq!(server.take_requests().len(), 2);

    // The server announces 25 for 23: past the end it answers nothing and nextRecord 1.
    server.set(|s| s.quirk = Quirk::Overcounts);
    let h = env.harvest_json("geo", &[]);
    assert_eq!(h.code, 3, "{h}");
    assert!(
        h.says("holds no record")
            && h.says("announced 25 records (numberOfRecordsMatched) and 23 came"),
        "{h}"
    );
    assert!(
        h.run.counts.unchanged == 23 && h.run.counts.deleted == 0,
        "{h}"
    );
    assert!((h.run.announced, h.run.received) == (Some(25), 23), "{h}");
    assert_eq!(server.take_requests().len(), 4);
    assert_eq!(stored_resources(&env.store(), "geo").len(), 23);

    // A server that ignores startPosition (the same ten records on every page, a million
    // announced): the second page repeats the first, and the walk stops there, incomplete,
    // instead of going on to max_pages.
    server.set(|s| s.quirk = Quirk::IgnoresStart);
    let h = env.harvest_json("geo", &[]);
    assert_eq!(h.code, 3, "{h}");
    assert!(
        h.says("repeats the content of an earlier page")
            && h.says("the server seems to ignore startPosition")
            && h.says("nothing is deleted"),
        "{h}"
    );
    assert_eq!(
        server.take_requests().len(),
        2,
        "two pages, not a hundred thousand"
    );
    assert_eq!(h.run.counts.deleted, 0, "{h}");
    assert_eq!(stored_resources(&env.store(), "geo").len(), 23);
}

#[test]
fn bad_pages_end_the_walk_without_losing_anything() {
    let server = CswServer::start(23);
    let env = Env::new(&csw_source(
        "geo",
        &server.url(),
        "page_size = 10\nmax_record_triples = 100000",
    ));
    let (code, out) = env.harvest("geo", &[]);
    assert_eq!(code, 0, "{out}");
    for (quirk, says) in [
        (
            Quirk::ExceptionOnPage2,
            "the server answered with an exception: NoApplicableCode: database connection lost",
        ),
        (
            Quirk::HtmlOnPage2,
            "not ISO 19139 metadata or a CSW response (the root element is <html>)",
        ),
        (Quirk::TruncatedPage2, "not well-formed XML"),
        (Quirk::DoctypePage2, "DOCTYPE"),
    ] {
        server.set(|s| s.quirk = quirk);
        let h = env.harvest_json("geo", &[]);
        assert_eq!(h.code, 3, "{quirk:?}: {h}");
        assert!(h.says(says), "{quirk:?}: {h}");
        assert!(h.says("startPosition=11"), "{quirk:?} names the page: {h}");
        assert!(
            h.run.counts.unchanged == 10 && h.run.counts.deleted == 0,
            "{quirk:?}: {h}"
        );
        assert_eq!(stored_resources(&env.store(), "geo").len(), 23, "{quirk:?}");
    }
}

#[test]
fn sorting_capabilities_constraints_and_limits() {
    // A server without sorting: asked again unsorted, and told so once.
    let server = CswServer::start(12);
    server.set(|s| s.quirk = Quirk::NoSorting);
    let env = Env::new(&csw_source("geo", &server.url(), "page_size = 10"));
    let h = env.harvest_json("geo", &[]);
    assert_eq!(h.code, 3, "{h}");
    assert!(h.run.counts.added == 12, "{h}");
    let runs =
        String::from_utf8(env.run(&["runs", "geo", "--limit", "1", "--errors"]).stdout).unwrap();
    assert!(
        runs.contains("the server refused to sort by apiso:Identifier"),
        "{runs}"
    );
    assert_eq!(
        server.take_requests(),
        vec![
            ("POST".to_owned(), 1, true),
            ("POST".into(), 1, false),
            ("POST".into(), 11, false)
        ]
    );

    // Capabilities without POST: GET with the query in the URL; sorting off by configuration.
    let server = CswServer::start(12);
    server.set(|s| s.post = false);
    let env = Env::new(&csw_source(
        "geo",
        &server.url(),
        "page_size = 10\nsort_by = \"\"",
    ));
    let (code, out) = env.harvest("geo", &[]);
    assert_eq!(code, 0, "{out}");
    assert_eq!(
        server.take_requests(),
        vec![("GET".to_owned(), 1, false), ("GET".into(), 11, false)]
    );

    // A record over the size limit fails alone.
    let server = CswServer::start(3);
    server.set(|s| s.records[1].push_str(""));
    let small = server.state.lock().unwrap().records[0].clone();
    server.set(|s| {
        s.records[1] = small
            .replace("rec-0001", "rec-big")
            .replace("ds-1<", "ds-big<")
            .replace(
                "https://data.example.lu/id/dataset/ds-1",
                "https://data.example.lu/id/dataset/ds-big",
            )
            .replace("Centre lines", &"Centre lines ".repeat(20_000))
    });
    let env = Env::new(&csw_source(
        "geo",
        &server.url(),
        "max_literal_size = \"64KB\"",
    ));
    let h = env.harvest_json("geo", &[]);
    assert_eq!(h.code, 3, "{h}");
    assert!(h.run.counts.added == 2 && h.run.counts.failed == 1, "{h}");
    let runs =
        String::from_utf8(env.run(&["runs", "geo", "--limit", "1", "--errors"]).stdout).unwrap();
    assert!(
        runs.contains("ISO record rec-big") && runs.contains("max_literal_size"),
        "{runs}"
    );

    // Options of one kind refused on another.
    let env = Env::new(&csw_source("geo", &server.url(), "format = \"turtle\""));
    let out = env.run(&["check-config"]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("format") && err.contains("applies to kind = \"dcat\" only"),
        "{err}"
    );
}

#[test]
fn iso_records_from_a_folder_and_a_web_folder() {
    let samples = samples();
    let env = Env::new(&source_table(
        "iso",
        "iso19139",
        &samples.display().to_string(),
        AT_3AM,
        "",
    ));
    let h = env.harvest_json("iso", &[]);
    // The series sample carries faults: warnings, not failures.
    assert_eq!(h.code, 0, "{h}");
    assert!(h.run.counts.added == 3 && h.run.counts.failed == 0, "{h}");
    assert!(!h.run.warnings.is_empty(), "{h}");
    let runs =
        String::from_utf8(env.run(&["runs", "iso", "--limit", "1", "--errors"]).stdout).unwrap();
    assert!(
        runs.contains("warning [map] ISO record lu-alzette-sample-0003")
            && runs.contains("printemps 2024"),
        "{runs}"
    );
    let store = env.store();
    let stored = stored_resources(&store, "iso");
    // The service and the series had no http identifier: minted from their fileIdentifier.
    assert!(
        stored
            .iter()
            .any(|r| r.ends_with("/lu-alzette-sample-0002")),
        "{stored:?}"
    );
    assert!(
        stored.contains(&"https://data.example.lu/id/dataset/watercourses".to_owned()),
        "{stored:?}"
    );
    drop(store);

    // A web folder: an HTML index of .xml files, one of them broken.
    let pages = PageServer::start();
    pages.set(
        "/records/",
        Page::ok("text/html", "<html><body><a href=\"a.xml\">a</a> <a href=\"b.xml\">b</a> <a href=\"readme.txt\">r</a></body></html>"),
    );
    pages.set(
        "/records/a.xml",
        Page::ok(
            "application/xml",
            std::fs::read(samples.join("dataset-watercourses.xml")).unwrap(),
        ),
    );
    pages.set(
        "/records/b.xml",
        Page::ok(
            "application/xml",
            "<gmd:MD_Metadata xmlns:gmd=\"http://www.isotc211.org/2005/gmd\"><gmd:fileIdentifier>",
        ),
    );
    let env = Env::new(&source_table(
        "web",
        "iso19139",
        &pages.url("/records/"),
        AT_3AM,
        "",
    ));
    let h = env.harvest_json("web", &[]);
    assert_eq!(h.code, 3, "{h}");
    assert!(h.run.counts.added == 1 && h.run.counts.failed == 1, "{h}");
    // An unreadable document's records are unknown: the walk cannot say what went.
    assert!(
        h.says("1 documents could not be read") && h.says("nothing was deleted"),
        "{h}"
    );
    let runs =
        String::from_utf8(env.run(&["runs", "web", "--limit", "1", "--errors"]).stdout).unwrap();
    assert!(
        runs.contains("/records/b.xml") && runs.contains("XML"),
        "{runs}"
    );
    assert_eq!(pages.hits("/records/readme.txt"), 0);
}

fn parse_rdf(bytes: &[u8], format: oxigraph::io::RdfFormat) -> Vec<oxigraph::model::Quad> {
    oxigraph::io::RdfParser::from_format(format)
        .for_slice(bytes)
        .collect::<Result<_, _>>()
        .unwrap_or_else(|e| panic!("not valid {format:?}: {e}"))
}

#[test]
fn convert_prints_what_alzette_makes_of_a_record() {
    use oxigraph::io::RdfFormat;
    let env = Env::new("");
    let dataset = samples().join("dataset-watercourses.xml");
    let dataset = dataset.to_str().unwrap();
    let title = "Watercourses of Luxembourg";
    let mut sizes = Vec::new();
    for (to, format) in [
        ("turtle", RdfFormat::Turtle),
        ("ntriples", RdfFormat::NTriples),
        ("rdfxml", RdfFormat::RdfXml),
        (
            "jsonld",
            RdfFormat::JsonLd {
                profile: Default::default(),
            },
        ),
    ] {
        let out = env.run(&["convert", dataset, "--to", to]);
        assert_eq!(
            out.status.code(),
            Some(0),
            "{to}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        let quads = parse_rdf(&out.stdout, format);
        assert!(
            quads
                .iter()
                .any(|q| q.object.to_string() == format!("\"{title}\"@en")),
            "{to}"
        );
        sizes.push(quads.len());
    }
    assert!(sizes.iter().all(|s| *s == sizes[0]), "{sizes:?}");
    let core = env.run(&["convert", dataset, "--to", "ntriples", "--profile", "core"]);
    assert!(parse_rdf(&core.stdout, RdfFormat::NTriples).len() < sizes[0]);

    // A CSW response with several records, and a DCAT file, in one call.
    let text = std::fs::read_to_string(samples().join("service-hydro-wms.xml")).unwrap();
    let response = format!(
        "<csw:GetRecordsResponse xmlns:csw=\"http://www.opengis.net/cat/csw/2.0.2\"><csw:SearchResults numberOfRecordsMatched=\"2\" numberOfRecordsReturned=\"2\" nextRecord=\"0\">{}{}</csw:SearchResults></csw:GetRecordsResponse>",
        record(1),
        &text[text.find("<MD_Metadata").unwrap()..]
    );
    let csw = env.path("response.xml");
    std::fs::write(&csw, response).unwrap();
    let catalog = sample_catalog();
    let out = env.run(&[
        "convert",
        csw.to_str().unwrap(),
        catalog.to_str().unwrap(),
        "--to",
        "ntriples",
    ]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(text.contains("<https://data.example.lu/id/dataset/ds-1> <http://www.w3.org/1999/02/22-rdf-syntax-ns#type> <http://www.w3.org/ns/dcat#Dataset>"), "{text}");
    assert!(text.contains("<http://www.w3.org/ns/dcat#DataService>"));
    assert!(
        text.contains("<http://www.w3.org/ns/dcat#Catalog>"),
        "the DCAT file is read too"
    );

    // Bad input: named, with its cause; the good files are still printed; exit code 2.
    let hostile = env.path("hostile.xml");
    std::fs::write(&hostile, "<!DOCTYPE r [<!ENTITY x SYSTEM \"file:///etc/passwd\">]><gmd:MD_Metadata xmlns:gmd=\"http://www.isotc211.org/2005/gmd\">&x;</gmd:MD_Metadata>").unwrap();
    let out = env.run(&[
        "convert",
        hostile.to_str().unwrap(),
        "/nonexistent/r.xml",
        dataset,
        "--to",
        "ntriples",
    ]);
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("hostile.xml") && err.contains("DOCTYPE"),
        "{err}"
    );
    assert!(err.contains("/nonexistent/r.xml"), "{err}");
    assert!(String::from_utf8_lossy(&out.stdout).contains(title));
    // The faults of a record are warnings on stderr, with the record.
    let series = samples().join("series-orthophotos.xml");
    let out = env.run(&["convert", series.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(0));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("record lu-alzette-sample-0003") && err.contains("printemps 2024"),
        "{err}"
    );
}

#[test]
fn an_unchanged_catalogue_rewrites_neither_records_nor_reports() {
    // The shapes' property shapes are blank nodes, labelled anew each time the shapes are
    // read: a report that named them would look new at every run and be rewritten.
    let shapes = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../shapes/dcat-ap-3-recommended.ttl")
        .canonicalize()
        .unwrap();
    let server = CswServer::start(5);
    let env = Env::new(&format!(
        "[validation]\nshapes = [{:?}]\n\n{}",
        shapes.display().to_string(),
        csw_source("geo", &server.url(), "")
    ));
    let results = |env: &Env| {
        select(
            &env.store(),
            "SELECT ?r WHERE { ?report <https://w3id.org/alzette/ns#validationOf> ?d ; <http://www.w3.org/ns/shacl#result> ?r }",
        )
    };
    let (code, out) = env.harvest("geo", &[]);
    assert_eq!(code, 0, "{out}");
    let first = results(&env);
    assert!(
        !first.is_empty(),
        "the samples have recommendations to report"
    );
    let h = env.harvest_json("geo", &[]);
    assert_eq!(h.code, 0, "{h}");
    assert!(h.run.counts.unchanged == 5, "{h}");
    assert_eq!(results(&env), first, "the reports were rewritten");
}

#[test]
fn incremental_runs_ask_for_changes_and_full_runs_find_what_went() {
    let server = CswServer::start(5);
    let env = Env::new(&csw_source(
        "geo",
        &server.url(),
        "incremental = true\nfull_every = \"4s\"\nconstraint = \"type = 'dataset'\"",
    ));
    // The first run is full: no modification date asked for.
    let h = env.harvest_json("geo", &[]);
    assert_eq!(h.code, 0, "{h}");
    assert!(h.run.counts.added == 5, "{h}");
    assert_eq!(
        std::mem::take(&mut server.state.lock().unwrap().since),
        vec![None]
    );

    // One record changes (and says so), one leaves the catalogue.
    server.set(|s| {
        s.records[1] = s.records[1].replace("Watercourses, part 2", "Watercourses, part two");
        s.modified[1] = "2999-01-01".into();
        s.records.remove(3);
        s.modified.remove(3);
    });
    let h = env.harvest_json("geo", &[]);
    assert_eq!(h.code, 0, "{h}");
    assert!(
        h.run.counts.added == 0
            && h.run.counts.updated == 1
            && h.run.counts.unchanged == 0
            && h.run.counts.deleted == 0,
        "{h}"
    );
    assert!(
        h.says("incremental run: only the records modified since"),
        "{h}"
    );
    let since = std::mem::take(&mut server.state.lock().unwrap().since);
    assert_eq!(since.len(), 1);
    let date = since[0]
        .clone()
        .expect("an incremental run asks for changes");
    assert_eq!(
        date.len(),
        10,
        "a date, compared as text by catalogues: {date}"
    );
    assert!(
        stored_resources(&env.store(), "geo").contains(&dataset(4)),
        "nothing deleted"
    );

    // Once the last full run is older than full_every (4 s): a full run, which finds what went.
    let last_full = env
        .runs("geo")
        .into_iter()
        .find(|r| r.complete && r.incremental_since.is_none())
        .expect("a full run");
    wait_for_clock(last_full.started + chrono::Duration::seconds(4));
    let h = env.harvest_json("geo", &[]);
    assert_eq!(h.code, 0, "{h}");
    assert!(
        h.run.counts.added == 0
            && h.run.counts.updated == 0
            && h.run.counts.unchanged == 4
            && h.run.counts.deleted == 1,
        "{h}"
    );
    assert_eq!(
        std::mem::take(&mut server.state.lock().unwrap().since),
        vec![None]
    );
    assert!(!stored_resources(&env.store(), "geo").contains(&dataset(4)));

    // An ogc:Filter constraint cannot be combined: refused when the configuration is read.
    let env = Env::new(&csw_source(
        "geo",
        &server.url(),
        "incremental = true\nconstraint = \"<ogc:Filter xmlns:ogc='http://www.opengis.net/ogc'/>\"",
    ));
    let out = env.run(&["check-config"]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("must be CQL text"), "{err}");
}

#[test]
fn a_record_refused_for_its_size_keeps_its_earlier_version() {
    let server = CswServer::start(3);
    // No shrink guard: only the record's refusal may keep it.
    let env = Env::new(&csw_source(
        "geo",
        &server.url(),
        "max_literal_size = \"64KB\"\nmax_shrink = 1.0",
    ));
    let (code, out) = env.harvest("geo", &[]);
    assert_eq!(code, 0, "{out}");
    // The service sample has no http identifier: its IRI is minted from its fileIdentifier,
    // and a refused version of it must still be known as that resource.
    let service = std::fs::read_to_string(samples().join("service-hydro-wms.xml")).unwrap();
    let service = &service[service.find("<MD_Metadata").unwrap()..];
    server.set(|s| {
        s.records.push(service.to_owned());
        s.modified.push("2000-01-01".into());
    });
    let (code, out) = env.harvest("geo", &[]);
    assert_eq!(code, 0, "{out}");
    assert_eq!(stored_resources(&env.store(), "geo").len(), 4);
    server.set(|s| {
        s.records[1] = s.records[1].replace("Centre lines", &"Centre lines ".repeat(20_000));
        s.records[3] = s.records[3].replace("Views of", &"Views of ".repeat(20_000));
    });
    let h = env.harvest_json("geo", &[]);
    assert_eq!(h.code, 3, "{h}");
    assert!(h.run.counts.failed == 2 && h.run.counts.deleted == 0, "{h}");
    let stored = stored_resources(&env.store(), "geo");
    assert_eq!(stored.len(), 4, "{stored:?}");
    assert!(stored.contains(&dataset(2)));
    assert!(
        stored
            .iter()
            .any(|r| r.ends_with("/lu-alzette-sample-0002")),
        "{stored:?}"
    );
}

/// A `csw` source pointed at a file server (which answers a CSW POST with 501) fails at once,
/// without retrying what will never work, and says what the URL should be.
#[test]
fn a_csw_source_at_a_file_server_says_what_is_wrong() {
    let server = PageServer::start();
    server.set("/records/", Page::status(501));
    let env = Env::new(&csw_source(
        "geo",
        &server.url("/records/"),
        "method = \"post\"\nretries = 3\nretry_backoff = \"2s\"",
    ));
    let h = env.harvest_json("geo", &[]);
    assert_eq!(h.code, 1, "{h}");
    assert!(
        h.says("HTTP 501") && h.says("is url the endpoint of a catalogue service?"),
        "{h}"
    );
    assert!(h.says("kind = \"iso19139\""), "{h}");
    assert_eq!(server.hits("/records/"), 1, "501 is not retried: {h}");
}

/// `max_pages` ends a CSW walk as it ends a Hydra one, saying how large the pages were.
#[test]
fn max_pages_ends_a_csw_walk_incomplete() {
    let server = CswServer::start(23);
    let env = Env::new(&csw_source(
        "geo",
        &server.url(),
        "page_size = 10\nmax_pages = 2\nmax_record_triples = 100000",
    ));
    let h = env.harvest_json("geo", &[]);
    assert_eq!(h.code, 3, "{h}");
    assert!(
        h.says("the walk stopped after 2 pages (limit max_pages)")
            && h.says("pages hold 10 records: raise max_pages or page_size"),
        "{h}"
    );
    assert_eq!(h.run.counts.added, 20, "{h}");
    assert_eq!(h.run.counts.deleted, 0, "{h}");
}
