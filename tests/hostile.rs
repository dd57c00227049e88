//! Hostile input (`tests/hostile/`, and large inputs generated here): each gives a clear error
//! within the configured limits, with no panic, while the daemon keeps serving and keeps what it
//! harvested before.

mod support;

use serde_json::Value;
use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::{Duration, Instant};
use support::*;

const RDF_XML: &str = "application/rdf+xml";
const TURTLE: &str = "text/turtle";
const JSON_LD: &str = "application/ld+json";

/// A hostile page and what its run must say.
struct Case {
    id: &'static str,
    content_type: &'static str,
    body: Vec<u8>,
    /// The run's outcome.
    outcome: &'static str,
    /// Said in the run's message or record errors.
    says: &'static str,
}

fn corpus(file: &str) -> Vec<u8> {
    std::fs::read(
        Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../../tests/hostile")
            .join(file),
    )
    .unwrap()
}

const RDF_HEAD: &str = r#"<?xml version="1.0"?>
<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#" xmlns:dcat="http://www.w3.org/ns/dcat#" xmlns:dct="http://purl.org/dc/terms/">
"#;

fn cases() -> Vec<Case> {
    let case = |id, content_type, body: Vec<u8>, outcome, says| Case {
        id,
        content_type,
        body,
        outcome,
        says,
    };
    let flat_bomb = format!(
        "<?xml version=\"1.0\"?>\n<!DOCTYPE rdf:RDF [<!ENTITY big \"{}\">]>\n{RDF_HEAD}<dcat:Dataset rdf:about=\"https://hostile.example.org/flat\"><dct:title>{}</dct:title></dcat:Dataset></rdf:RDF>",
        "x".repeat(100_000),
        "&big;".repeat(10_000)
    );
    let n = 100_000;
    let deep_xml = format!(
        "{RDF_HEAD}<dcat:Dataset rdf:about=\"https://hostile.example.org/deep\">{}{}</dcat:Dataset></rdf:RDF>",
        "<dct:relation><dcat:Dataset>".repeat(n),
        "</dcat:Dataset></dct:relation>".repeat(n)
    );
    let deep_object = format!(
        "{{\"@context\":{{\"dct\":\"http://purl.org/dc/terms/\"}},\"@id\":\"https://hostile.example.org/deep\",\"@type\":\"http://www.w3.org/ns/dcat#Dataset\",\"dct:relation\":{}{{}}{}}}",
        "{\"dct:relation\":".repeat(n),
        "}".repeat(n)
    );
    let deep_array = format!(
        "{{\"@context\":{{\"dct\":\"http://purl.org/dc/terms/\"}},\"@id\":\"https://hostile.example.org/deep\",\"@type\":\"http://www.w3.org/ns/dcat#Dataset\",\"dct:title\":{}\"x\"{}}}",
        "[".repeat(n),
        "]".repeat(n)
    );
    let huge_literal = format!(
        "{PREFIXES}<https://hostile.example.org/huge> a dcat:Dataset ; dct:title \"Huge\" ; dct:description \"{}\" .\n<https://hostile.example.org/fine> a dcat:Dataset ; dct:title \"Fine\" .\n",
        "x".repeat(20 * 1024 * 1024)
    );
    let record_100mb = format!(
        "{PREFIXES}<https://hostile.example.org/100mb> a dcat:Dataset ; dct:title \"100 MB\" ; dct:description \"{}\" .\n",
        "y".repeat(100 * 1024 * 1024)
    );
    let mut keywords = format!(
        "{PREFIXES}<https://hostile.example.org/keywords> a dcat:Dataset ; dct:title \"Keywords\""
    );
    let mut i = 0;
    while keywords.len() < 100 * 1024 * 1024 {
        keywords.push_str(&format!(" ; dcat:keyword \"k{i}\""));
        i += 1;
    }
    keywords.push_str(" .\n");
    let mut distributions = String::with_capacity(100 * 1024 * 1024);
    distributions.push_str("<https://hostile.example.org/million> <http://www.w3.org/1999/02/22-rdf-syntax-ns#type> <http://www.w3.org/ns/dcat#Dataset> .\n");
    for i in 0..1_000_000 {
        distributions.push_str(&format!("<https://hostile.example.org/million> <http://www.w3.org/ns/dcat#distribution> <https://hostile.example.org/million/dist/{i}> .\n"));
    }
    vec![
        case(
            "billion-laughs",
            RDF_XML,
            corpus("billion-laughs.rdf"),
            "failed",
            "nested entities",
        ),
        case(
            "xxe",
            RDF_XML,
            corpus("xxe.rdf"),
            "failed",
            "external entity \"xxe\"",
        ),
        case(
            "xxe-public",
            RDF_XML,
            corpus("xxe-public.rdf"),
            "failed",
            "external entity \"xxe\"",
        ),
        case(
            "parameter-entity",
            RDF_XML,
            corpus("parameter-entity.rdf"),
            "failed",
            "parameter entity",
        ),
        case(
            "dtd-namespaces",
            RDF_XML,
            corpus("dtd-namespaces.rdf"),
            "ok",
            "",
        ),
        case(
            "remote-context",
            JSON_LD,
            corpus("remote-context.jsonld"),
            "failed",
            "is not allowed; list it under jsonld_contexts",
        ),
        case(
            "invalid-utf8",
            TURTLE,
            corpus("invalid-utf8.ttl"),
            "failed",
            "Invalid UTF-8",
        ),
        case(
            "iri-space",
            TURTLE,
            corpus("iri-space.ttl"),
            "failed",
            "Invalid IRI code point ' '",
        ),
        case(
            "flat-entity-bomb",
            RDF_XML,
            flat_bomb.into_bytes(),
            "failed",
            "limit max_body_size",
        ),
        case(
            "deep-xml",
            RDF_XML,
            deep_xml.into_bytes(),
            "failed",
            "more than 256 levels deep (limit max_nesting_depth)",
        ),
        case(
            "deep-json-object",
            JSON_LD,
            deep_object.into_bytes(),
            "failed",
            "limit max_nesting_depth",
        ),
        case(
            "deep-json-array",
            JSON_LD,
            deep_array.into_bytes(),
            "failed",
            "limit max_nesting_depth",
        ),
        case(
            "huge-literal",
            TURTLE,
            huge_literal.into_bytes(),
            "ok-with-errors",
            "20971520 bytes, more than 1048576 (limit max_literal_size)",
        ),
        case(
            "record-100mb",
            TURTLE,
            record_100mb.into_bytes(),
            "ok-with-errors",
            "(limit max_literal_size)",
        ),
        case(
            "page-of-keywords",
            TURTLE,
            keywords.into_bytes(),
            "failed",
            "more than 2000000 triples (limit max_page_triples)",
        ),
        case(
            "million-distributions",
            "application/n-triples",
            distributions.into_bytes(),
            "ok-with-errors",
            "more than 100000 triples (limit max_record_triples)",
        ),
    ]
}

/// Everything a run said: its message and its record errors.
fn said(run: &Value) -> String {
    let mut text = run["message"].as_str().unwrap_or_default().to_owned();
    for e in run["errors"].as_array().into_iter().flatten() {
        text.push('\n');
        text.push_str(&e.to_string());
    }
    text
}

/// Peak resident memory of a process, in bytes.
fn peak_rss(pid: u32) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap();
    let line = status.lines().find(|l| l.starts_with("VmHWM:")).unwrap();
    let kb: u64 = line.split_whitespace().nth(1).unwrap().parse().unwrap();
    kb * 1024
}

#[test]
fn hostile_pages_are_refused_clearly_while_the_daemon_serves() {
    let server = PageServer::start();
    // A normal source harvested first: nothing hostile may touch it.
    server.serve_catalogue(&catalogue_pages(
        &server.url(""),
        &[0, 1, 2],
        3,
        Syntax::Turtle,
        false,
        &|_| 1,
    ));
    let cases = cases();
    let mut sources = dcat_source("good", &server.url("/catalog.ttl?page=1"), "");
    for c in &cases {
        let path = format!("/{}", c.id);
        server.set(&path, Page::ok(c.content_type, c.body.clone()));
        sources.push_str(&dcat_source(c.id, &server.url(&path), "enabled = false"));
    }
    let env = Env::new(&sources);
    assert_eq!(env.harvest("good", &[]).0, 0);
    let token = "hostile-test-admin-token-0123456789";
    let daemon = env.serve_with_env(&[("ALZETTE_ADMIN_TOKEN", token)]);

    // Clients keep being served while the hostile runs go on.
    let stop = Arc::new(AtomicBool::new(false));
    let served = Arc::new(AtomicUsize::new(0));
    let poller = {
        let (stop, served) = (Arc::clone(&stop), Arc::clone(&served));
        let url = daemon.url("/catalog/good.nt");
        std::thread::spawn(move || {
            let mut failures = Vec::new();
            while !stop.load(Ordering::Relaxed) {
                match http_get(&url, &[]) {
                    Ok((200, _, body)) if String::from_utf8_lossy(&body).contains("dataset/2") => {
                        served.fetch_add(1, Ordering::Relaxed);
                    }
                    other => failures.push(format!("{:?}", other.map(|(s, _, _)| s))),
                }
                std::thread::sleep(Duration::from_millis(50));
            }
            failures
        })
    };

    let auth = format!("Bearer {token}");
    for c in &cases {
        let started = Instant::now();
        let (status, _, body) = http(
            reqwest::Method::POST,
            &daemon.url(&format!("/api/admin/sources/{}/run", c.id)),
            &[("authorization", &auth)],
            None,
        )
        .unwrap();
        assert_eq!(status, 202, "{}", String::from_utf8_lossy(&body));
        let run = daemon.wait_for_runs(&[c.id]);
        let run = run
            .as_array()
            .unwrap()
            .iter()
            .find(|s| s["id"] == c.id)
            .unwrap()["last_run"]
            .clone();
        let text = said(&run);
        assert_eq!(run["outcome"], c.outcome, "{}: {text}", c.id);
        assert!(
            text.contains(c.says),
            "{}: expected {:?} in {text}",
            c.id,
            c.says
        );
        if c.outcome != "ok" {
            assert!(
                text.contains(&server.url(&format!("/{}", c.id)))
                    || text.contains("hostile.example.org"),
                "{}: the error names the page or record: {text}",
                c.id
            );
        }
        eprintln!("{}: {} in {:?}", c.id, c.outcome, started.elapsed());
    }
    stop.store(true, Ordering::Relaxed);
    let failures = poller.join().unwrap();
    assert!(
        failures.is_empty(),
        "requests failed while hostile runs went on: {failures:?}"
    );
    assert!(served.load(Ordering::Relaxed) > 10);

    // Memory stayed bounded: the largest page is ~100 MB and is refused or cut, not expanded.
    let peak = peak_rss(daemon.child.id());
    eprintln!("peak RSS of alzette serve: {} MB", peak / 1024 / 1024);
    assert!(
        peak < 1536 * 1024 * 1024,
        "peak RSS {} MB",
        peak / 1024 / 1024
    );

    let (_, _, body) = http_get(&daemon.url("/health"), &[]).unwrap();
    let health: Value = serde_json::from_slice(&body).unwrap();
    // good: 3; dtd-namespaces: 1; huge-literal: the fine one; nothing else.
    assert_eq!(health["records"], 5, "{health}");
    let stderr = daemon.stop();
    assert!(!stderr.contains("panicked"), "{stderr}");
    let store = env.store();
    assert_eq!(stored_resources(&store, "good").len(), 3);
    assert_eq!(
        stored_resources(&store, "dtd-namespaces"),
        ["https://hostile.example.org/dtd-dataset"]
    );
    assert_eq!(
        stored_resources(&store, "huge-literal"),
        ["https://hostile.example.org/fine"]
    );
    let passwd = std::fs::read_to_string("/etc/passwd").unwrap_or_default();
    let first_line = passwd.lines().next().unwrap_or("root:x:0:0");
    let leaked = select(
        &store,
        &format!(
            "SELECT ?s WHERE {{ GRAPH ?g {{ ?s ?p ?o FILTER(CONTAINS(STR(?o), \"{}\")) }} }}",
            first_line.replace('"', "")
        ),
    );
    assert!(leaked.is_empty(), "no file content reached the store");
}

/// Vocabularies and shapes are read as pages are: the same guard before parsing and the same
/// limits while parsing (`max_page_triples` counted as triples come, `max_literal_size`). A
/// refused vocabulary keeps the one stored before; refused shapes stop the run before its
/// first page.
#[test]
fn vocabularies_and_shapes_pass_the_guard_pages_pass() {
    let server = PageServer::start();
    let good = format!(
        "{PREFIXES}@prefix skos: <http://www.w3.org/2004/02/skos/core#> .\n<http://e.org/t/A> a skos:Concept ; skos:prefLabel \"A\" .\n"
    );
    let n = 200_000;
    let deep = format!(
        "{RDF_HEAD}<rdf:Description rdf:about=\"http://e.org/deep\">{}{}</rdf:Description></rdf:RDF>",
        "<dct:relation><rdf:Description>".repeat(n),
        "</rdf:Description></dct:relation>".repeat(n)
    );
    let many: String = (0..200)
        .map(|i| {
            format!(
                "<http://e.org/t/{i}> <http://www.w3.org/2004/02/skos/core#prefLabel> \"{i}\" .\n"
            )
        })
        .collect();
    let long = format!(
        "<http://e.org/t/long> <http://www.w3.org/2004/02/skos/core#definition> \"{}\" .\n",
        "x".repeat(2 * 1024 * 1024)
    );
    // (id, body, media type, what the run says)
    let cases: Vec<(&str, Vec<u8>, &str, &str)> = vec![
        (
            "laughs",
            corpus("billion-laughs.rdf"),
            RDF_XML,
            "refuses nested entities",
        ),
        ("xxe", corpus("xxe.rdf"), RDF_XML, "external entity \"xxe\""),
        (
            "deep",
            deep.into_bytes(),
            RDF_XML,
            "more than 256 levels deep (limit max_nesting_depth)",
        ),
        (
            "many",
            many.into_bytes(),
            "application/n-triples",
            "more than 100 triples (limit max_page_triples)",
        ),
        (
            "long",
            long.into_bytes(),
            "application/n-triples",
            "(limit max_literal_size)",
        ),
    ];
    let mut sources = String::new();
    for (id, body, media_type, _) in &cases {
        let path = format!("/{id}.voc");
        // The first harvest reads a good vocabulary; the hostile one comes after.
        server.set_sequence(&path, vec![Page::ok(TURTLE, good.clone())]);
        server.set(&path, Page::ok(media_type, body.clone()));
        sources.push_str(&source_table(
            id,
            "vocabulary",
            &server.url(&path),
            AT_3AM,
            "max_page_triples = 100",
        ));
    }
    let env = Env::new(&sources);
    for (id, _, _, says) in &cases {
        let first = env.harvest_json(id, &[]);
        assert_eq!(first.code, 0, "{id}: {first}");
        let started = Instant::now();
        let h = env.harvest_json(id, &[]);
        eprintln!("{id}: {} in {:?}", h.run.outcome, started.elapsed());
        assert_eq!(h.code, 1, "{id}: {h}");
        assert!(h.says(says), "{id}: expected {says:?}: {h}");
        assert!(h.says("the vocabulary stored before is kept"), "{id}: {h}");
        let kept = env.store().vocabulary(id).unwrap();
        assert_eq!(
            kept.len(),
            2,
            "{id}: the vocabulary stored before is kept: {kept:?}"
        );
    }

    // Shapes fetched from a URL: an entity bomb stops the run before its first page.
    server.set(
        "/shapes.rdf",
        Page::ok(RDF_XML, corpus("billion-laughs.rdf")),
    );
    server.serve_turtle(&[1, 2], 2, &|_| 1);
    let env = Env::new(&format!(
        "[validation]\nshapes = [\"{}\"]\n\n{}",
        server.url("/shapes.rdf"),
        dcat_source("s", &server.url("/catalog.ttl?page=1"), "")
    ));
    let (code, out) = env.harvest("s", &[]);
    assert_eq!(code, 1, "{out}");
    assert!(
        out.contains("shapes.rdf") && out.contains("refuses nested entities"),
        "{out}"
    );
    assert_eq!(env.store().count(Some("s")), 0);
}

/// Slowloris: many connections that send half a request head (a byte now and then) or nothing,
/// more than the daemon's 256 file descriptors. Each is closed once `header_read_timeout`
/// passes, connections beyond `max_connections` are answered 503 at once, and `/health` keeps
/// answering.
#[test]
fn slow_and_idle_connections_cannot_take_the_endpoints_down() {
    use std::io::{Read, Write};
    let env = Env::with_server(
        "",
        "header_read_timeout = \"2s\"\nmax_connections = 24\nrequest_body_timeout = \"2s\"",
    );
    let daemon = env.serve_with_fd_limit(256);
    let addr = format!("127.0.0.1:{}", env.port);
    // 300 attackers, more than the daemon has descriptors: half trickle a header byte every
    // 300 ms, half send nothing.
    let closed = Arc::new(AtomicUsize::new(0));
    let stop = Arc::new(AtomicBool::new(false));
    let attackers: Vec<_> = (0..300)
        .map(|i| {
            let (addr, closed, stop) = (addr.clone(), Arc::clone(&closed), Arc::clone(&stop));
            std::thread::spawn(move || {
                let Ok(mut stream) = std::net::TcpStream::connect(&addr) else {
                    closed.fetch_add(1, Ordering::SeqCst);
                    return;
                };
                stream
                    .set_read_timeout(Some(Duration::from_millis(300)))
                    .unwrap();
                let head = b"GET /health HTTP/1.1\r\nHost: x\r\nX-Slow: ";
                let mut sent = 0;
                let mut buf = [0u8; 256];
                while !stop.load(Ordering::SeqCst) {
                    if i % 2 == 0 {
                        let byte = head.get(sent).copied().unwrap_or(b'a');
                        if stream.write_all(&[byte]).is_err() {
                            break;
                        }
                        sent += 1;
                    }
                    match stream.read(&mut buf) {
                        // The server closed it (or answered 503 and closed it).
                        Ok(0) | Ok(_) => break,
                        Err(e)
                            if e.kind() == std::io::ErrorKind::WouldBlock
                                || e.kind() == std::io::ErrorKind::TimedOut => {}
                        Err(_) => break,
                    }
                }
                if !stop.load(Ordering::SeqCst) {
                    closed.fetch_add(1, Ordering::SeqCst);
                }
            })
        })
        .collect();
    // Every attacker is dropped by the server, none outlives the header timeout for long.
    wait_until("the server closed every slow or idle connection", || {
        closed.load(Ordering::SeqCst) == 300
    });
    // And meanwhile, and after, the endpoints answer.
    wait_until("/health answers", || {
        http_get(&daemon.url("/health"), &[]).is_ok_and(|(s, _, _)| s == 200)
    });
    stop.store(true, Ordering::SeqCst);
    for a in attackers {
        a.join().unwrap();
    }

    // A body that never comes is cut at request_body_timeout.
    let mut stream = std::net::TcpStream::connect(&addr).unwrap();
    stream
        .write_all(b"POST /sparql HTTP/1.1\r\nHost: x\r\nContent-Type: application/sparql-query\r\nContent-Length: 100\r\n\r\nSELECT")
        .unwrap();
    stream
        .set_read_timeout(Some(Duration::from_secs(30)))
        .unwrap();
    let mut answer = String::new();
    let _ = stream.read_to_string(&mut answer);
    assert!(
        answer.starts_with("HTTP/1.1 4"),
        "a request whose body never comes is refused: {answer:?}"
    );
    let stderr = daemon.stop();
    assert!(!stderr.contains("panicked"), "{stderr}");
}

/// A character XML cannot carry (a NUL, valid in a Turtle string) in one record's title breaks
/// no XML answer: harvest removes it and says so on the record, and every XML response (OAI-PMH
/// pages of both DCAT-AP versions, the catalogue's RDF/XML, SPARQL XML results) reads as XML.
#[test]
fn a_character_xml_cannot_carry_breaks_no_xml_answer() {
    let server = PageServer::start();
    let page = format!(
        "{PREFIXES}<https://data.example.org/bad> a dcat:Dataset ; dct:title \"Bad\\u0000title\\u001B\"@en .\n\
         <https://data.example.org/good> a dcat:Dataset ; dct:title \"Good\"@en .\n"
    );
    server.set("/c.ttl", Page::ok(TURTLE, page));
    let env = Env::new(&dcat_source("s", &server.url("/c.ttl"), ""));
    let h = env.harvest_json("s", &[]);
    assert_eq!(h.code, 0, "{h}");
    assert!(
        h.run
            .warnings
            .iter()
            .any(|w| w.record.contains("https://data.example.org/bad")
                && w.message.contains("U+0000, U+001B")),
        "the record says what was removed: {h}"
    );
    let daemon = env.serve();
    let well_formed = |what: &str, body: &[u8]| {
        let mut reader = quick_xml::Reader::from_reader(body);
        let mut buf = Vec::new();
        loop {
            match reader.read_event_into(&mut buf) {
                Ok(quick_xml::events::Event::Eof) => break,
                Ok(_) => buf.clear(),
                Err(e) => panic!(
                    "{what} is not well-formed XML ({e}): {}",
                    String::from_utf8_lossy(body)
                ),
            }
        }
        assert!(!body.contains(&0), "{what}: no NUL reaches an XML answer");
    };
    for path in [
        "/oai?verb=ListRecords&metadataPrefix=dcat_ap",
        "/oai?verb=ListRecords&metadataPrefix=dcat_ap_2",
        "/oai?verb=ListRecords&metadataPrefix=oai_dc",
        "/catalog.rdf",
    ] {
        let (status, _, body) = http_get(&daemon.url(path), &[]).unwrap();
        assert_eq!(status, 200, "{path}");
        well_formed(path, &body);
        assert!(
            String::from_utf8_lossy(&body).contains("Badtitle"),
            "{path}"
        );
    }
    let query = url::form_urlencoded::Serializer::new(String::new())
        .append_pair(
            "query",
            "SELECT ?t WHERE { ?d <http://purl.org/dc/terms/title> ?t }",
        )
        .finish();
    let (status, _, body) = http_get(
        &daemon.url(&format!("/sparql?{query}")),
        &[("accept", "application/sparql-results+xml")],
    )
    .unwrap();
    assert_eq!(status, 200);
    well_formed("SPARQL XML results", &body);
    daemon.stop();
}

/// An ISO record is bounded while it is read, as a DCAT page is: a 78 MB record with a million
/// keywords is refused at `max_page_triples` elements, not after its whole tree and mapping
/// were held (2 GB before; the body limit would have let 13 GB through).
#[test]
fn an_iso_record_with_a_million_keywords_is_refused_while_read() {
    let mut record = String::from(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<gmd:MD_Metadata xmlns:gmd=\"http://www.isotc211.org/2005/gmd\" xmlns:gco=\"http://www.isotc211.org/2005/gco\">\
         <gmd:fileIdentifier><gco:CharacterString>keywords</gco:CharacterString></gmd:fileIdentifier>\
         <gmd:identificationInfo><gmd:MD_DataIdentification><gmd:descriptiveKeywords><gmd:MD_Keywords>",
    );
    for i in 0..1_000_000 {
        record.push_str(&format!(
            "<gmd:keyword><gco:CharacterString>k{i}</gco:CharacterString></gmd:keyword>"
        ));
    }
    record.push_str("</gmd:MD_Keywords></gmd:descriptiveKeywords></gmd:MD_DataIdentification></gmd:identificationInfo></gmd:MD_Metadata>");
    assert!(record.len() > 70 * 1024 * 1024);
    let server = PageServer::start();
    server.set("/record.xml", Page::ok("application/xml", record));
    let token = "hostile-test-admin-token-0123456789";
    let env = Env::new(&source_table(
        "iso",
        "iso19139",
        &server.url("/record.xml"),
        AT_3AM,
        "enabled = false",
    ));
    let daemon = env.serve_with_env(&[("ALZETTE_ADMIN_TOKEN", token)]);
    let run = daemon.run_now("iso", token);
    let text = said(&run);
    assert!(
        text.contains("more than 2000000 XML elements (limit max_page_triples)"),
        "{text}"
    );
    let peak = peak_rss(daemon.child.id());
    eprintln!("peak RSS of alzette serve: {} MB", peak / 1024 / 1024);
    assert!(
        peak < 1024 * 1024 * 1024,
        "peak RSS {} MB",
        peak / 1024 / 1024
    );
    daemon.stop();
}
