//! Faults at the source: each checks the run's outcome and that nothing harvested earlier is
//! lost. (Hydra loops, repeated pages and a suddenly empty catalogue are in harvest_dcat.rs.)

mod support;

use alzette_runlog::Outcome;
use std::io::Write;
use std::time::{Duration, Instant};
use support::*;

const GOOD: &str = "/good.ttl";

/// A source harvested once from a good page (3 datasets), then pointed at `url` with `extra`
/// limits; returns the second run's exit code and output.
fn after_a_good_harvest(url: &str, extra: &str) -> (Env, Harvest) {
    let good = PageServer::start();
    let ids: Vec<usize> = (0..3).collect();
    let (_, page) =
        catalogue_pages(&good.url(""), &ids, 10, Syntax::Turtle, false, &|_| 1).remove(0);
    good.set(GOOD, page);
    let source = |u: &str| dcat_source("s", u, extra);
    let env = Env::new(&source(&good.url(GOOD)));
    let (code, out) = env.harvest("s", &[]);
    assert_eq!(code, 0, "{out}");
    let text = std::fs::read_to_string(&env.config)
        .unwrap()
        .replace(&good.url(GOOD), url);
    std::fs::write(&env.config, text).unwrap();
    let h = env.harvest_json("s", &[]);
    assert_eq!(
        env.store().count(Some("s")),
        3,
        "nothing harvested earlier is lost: {h}"
    );
    (env, h)
}

const RETRIES: &str = "retries = 2\nretry_backoff = \"50ms\"";

#[test]
fn server_errors_are_retried_a_bounded_number_of_times() {
    for status in [500, 502, 503] {
        let server = PageServer::start();
        server.set("/c.ttl", Page::status(status));
        let (_, h) = after_a_good_harvest(&server.url("/c.ttl"), RETRIES);
        assert_eq!(h.code, 1, "{status}: {h}");
        assert!(
            h.says(&format!("HTTP {status}")) && h.run.outcome == Outcome::Failed,
            "{h}"
        );
        assert_eq!(
            server.hits("/c.ttl"),
            3,
            "{status}: one try and two retries"
        );
    }
}

#[test]
fn retry_after_is_honoured_and_the_run_recovers() {
    for status in [503, 502, 429] {
        let server = PageServer::start();
        let ids: Vec<usize> = (0..3).collect();
        let (_, page) =
            catalogue_pages(&server.url(""), &ids, 10, Syntax::Turtle, false, &|_| 1).remove(0);
        server.set("/c.ttl", page);
        server.set_sequence(
            "/c.ttl",
            vec![Page::status(status).with_header("Retry-After", "1")],
        );
        let started = Instant::now();
        let (_, h) = after_a_good_harvest(&server.url("/c.ttl"), RETRIES);
        assert_eq!(h.code, 0, "{status}: {h}");
        assert_eq!(h.run.counts.unchanged, 3, "{h}");
        assert_eq!(server.hits("/c.ttl"), 2);
        assert!(
            started.elapsed() >= Duration::from_secs(1),
            "waited as the server asked"
        );
    }
    // Without Retry-After: exponential backoff, then success.
    let server = PageServer::start();
    let ids: Vec<usize> = (0..3).collect();
    let (_, page) =
        catalogue_pages(&server.url(""), &ids, 10, Syntax::Turtle, false, &|_| 1).remove(0);
    server.set("/c.ttl", page);
    server.set_sequence("/c.ttl", vec![Page::status(503), Page::status(503)]);
    let (_, h) = after_a_good_harvest(&server.url("/c.ttl"), RETRIES);
    assert_eq!(h.code, 0, "{h}");
    assert_eq!(server.hits("/c.ttl"), 3);
}

#[test]
fn connection_refused() {
    let url = format!("http://127.0.0.1:{}/c.ttl", free_port());
    let (_, h) = after_a_good_harvest(&url, "retries = 1\nretry_backoff = \"50ms\"");
    assert_eq!(h.code, 1, "{h}");
    assert!(h.says("connect") || h.says("Connect"), "{h}");
}

#[test]
fn connection_closed_without_an_answer() {
    let server = FaultServer::start(Fault::Close);
    let (_, h) = after_a_good_harvest(
        &server.url("/c.ttl"),
        "retries = 1\nretry_backoff = \"50ms\"",
    );
    assert_eq!(h.code, 1, "{h}");
    assert_eq!(server.connections(), 2, "tried twice");
}

#[test]
fn a_server_that_never_answers_times_out() {
    let server = FaultServer::start(Fault::Hang);
    let started = Instant::now();
    let (_, h) = after_a_good_harvest(&server.url("/c.ttl"), "request_timeout = \"1s\"");
    assert_eq!(h.code, 1, "{h}");
    assert!(h.says("timed out (limit request_timeout)"), "{h}");
    assert!(started.elapsed() < Duration::from_secs(20));
}

#[test]
fn a_trickling_body_hits_the_request_and_the_run_deadlines() {
    let server = FaultServer::start(Fault::Trickle {
        len: 1000,
        every: Duration::from_secs(1),
    });
    let (_, h) = after_a_good_harvest(&server.url("/c.ttl"), "request_timeout = \"2s\"");
    assert_eq!(h.code, 1, "{h}");
    assert!(h.says("timed out (limit request_timeout)"), "{h}");
    let (_, h) = after_a_good_harvest(
        &server.url("/c.ttl"),
        "request_timeout = \"1h\"\nrun_deadline = \"2s\"",
    );
    assert_eq!(h.code, 1, "{h}");
    assert!(h.says("deadline") && h.says("run_deadline"), "{h}");
}

#[test]
fn a_truncated_body_is_an_error() {
    let server = FaultServer::start(Fault::Truncate {
        declared: 5000,
        sent: 100,
    });
    let (_, h) = after_a_good_harvest(
        &server.url("/c.ttl"),
        "retries = 1\nretry_backoff = \"50ms\"",
    );
    assert_eq!(h.code, 1, "{h}");
    assert_eq!(server.connections(), 2);
}

#[test]
fn a_wrong_content_type_is_read_by_what_the_content_is_and_reported() {
    let server = PageServer::start();
    let ids: Vec<usize> = (0..3).collect();
    let (_, page) =
        catalogue_pages(&server.url(""), &ids, 10, Syntax::RdfXml, false, &|_| 1).remove(0);
    // RDF/XML declared as Turtle, at a URL without extension.
    server.set("/c", Page::ok("text/turtle", page.body));
    let (_, h) = after_a_good_harvest(&server.url("/c"), "");
    assert_eq!(h.code, 3, "ok-with-errors: {h}");
    assert!(
        h.says("declares Turtle") && h.says("read as RDF/XML"),
        "{h}"
    );
    assert_eq!(h.run.counts.unchanged, 3, "{h}");
}

#[test]
fn redirect_loops_and_redirects_out_of_http_are_refused() {
    let server = PageServer::start();
    let redirect = |to: &str| {
        let mut p = Page::status(302);
        p.headers.push(("Location".into(), to.into()));
        p
    };
    server.set("/a", redirect(&server.url("/b")));
    server.set("/b", redirect(&server.url("/a")));
    let (_, h) = after_a_good_harvest(&server.url("/a"), "");
    assert_eq!(h.code, 1, "{h}");
    assert!(h.says("redirect"), "{h}");
    server.set("/secret", redirect("file:///etc/passwd"));
    let (_, h) = after_a_good_harvest(&server.url("/secret"), "");
    assert_eq!(h.code, 1, "{h}");
    assert!(
        h.says("the redirect to <file:///etc/passwd> is not an http(s) URL; not followed"),
        "{h}"
    );
    assert!(
        !h.says("root:") && !h.stderr.contains("root:"),
        "nothing of the file was read"
    );
}

#[test]
fn a_gzip_bomb_stops_at_the_body_limit() {
    let server = PageServer::start();
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
    for _ in 0..64 {
        gz.write_all(&vec![b' '; 1 << 20]).unwrap();
    }
    let bomb = gz.finish().unwrap();
    assert!(bomb.len() < 200_000, "64 MiB in {} bytes", bomb.len());
    let mut page = Page::ok("text/turtle", bomb);
    page.content_encoding = Some("gzip".into());
    server.set("/bomb.ttl", page);
    let (_, h) = after_a_good_harvest(&server.url("/bomb.ttl"), "max_body_size = \"1MiB\"");
    assert_eq!(h.code, 1, "{h}");
    assert!(
        h.says("larger than 1048576 bytes (limit max_body_size)"),
        "{h}"
    );
}

/// Every redirect hop passes the source's origin rules: a same-origin next link that
/// redirects to another port is not followed, and nothing from there is stored; a first page
/// that redirects away is not read at all (so nothing of it can reach `/api/runs`).
#[test]
fn redirects_keep_to_the_sources_origins() {
    let server = PageServer::start();
    let elsewhere = PageServer::start();
    let redirect = |to: &str| {
        let mut p = Page::status(302);
        p.headers.push(("Location".into(), to.into()));
        p
    };
    // Page 1 here, page 2 redirects to another port that serves records of its own.
    let ids: Vec<usize> = (0..4).collect();
    let pages = catalogue_pages(&server.url(""), &ids, 2, Syntax::Turtle, false, &|_| 1);
    server.set(&pages[0].0, pages[0].1.clone());
    server.set(&pages[1].0, redirect(&elsewhere.url(&pages[1].0)));
    let other = catalogue_pages(
        &elsewhere.url(""),
        &[7, 8],
        2,
        Syntax::Turtle,
        false,
        &|_| 1,
    );
    elsewhere.set(&pages[1].0, other[0].1.clone());
    let env = Env::new(&dcat_source("s", &server.url("/catalog.ttl?page=1"), ""));
    let h = env.harvest_json("s", &[]);
    assert_eq!(h.code, 3, "{h}");
    assert!(
        h.says("the redirect to") && h.says("leaves the source's origin"),
        "{h}"
    );
    assert_eq!(elsewhere.hits(&pages[1].0), 0, "never requested");
    assert_eq!(
        stored_resources(&env.store(), "s"),
        [
            "https://data.example.org/dataset/0",
            "https://data.example.org/dataset/1"
        ]
    );

    // A first page redirecting to another origin's secret page.
    elsewhere.set(
        "/secret",
        Page::ok("text/plain", "Hello admin-token-0123 world"),
    );
    server.set("/start", redirect(&elsewhere.url("/secret")));
    let env = Env::new(&dcat_source("t", &server.url("/start"), ""));
    let h = env.harvest_json("t", &[]);
    assert_eq!(h.code, 1, "{h}");
    assert_eq!(elsewhere.hits("/secret"), 0, "never requested");
    assert!(!h.says("admin-token"), "{h}");
}

/// A file source reads its own folder only: a next link elsewhere on the disk stops the walk.
#[test]
fn a_file_source_is_confined_to_its_folder() {
    let dir = tempfile::tempdir().unwrap();
    let folder = dir.path().join("catalogue");
    std::fs::create_dir(&folder).unwrap();
    let secret = dir.path().join("secret.ttl");
    std::fs::write(
        &secret,
        format!("{PREFIXES}<https://secret.example/d> a dcat:Dataset ; dct:title \"Secret\" .\n"),
    )
    .unwrap();
    let page = format!(
        "{PREFIXES}<https://data.example.org/d> a dcat:Dataset ; dct:title \"D\" .\n\
         <{}> a hydra:PartialCollectionView ; hydra:next <{}> .\n",
        url::Url::from_file_path(folder.join("c.ttl")).unwrap(),
        url::Url::from_file_path(&secret).unwrap()
    );
    std::fs::write(folder.join("c.ttl"), page).unwrap();
    let env = Env::new(&dcat_source(
        "f",
        &folder.join("c.ttl").display().to_string(),
        "",
    ));
    let h = env.harvest_json("f", &[]);
    assert_eq!(h.code, 3, "{h}");
    assert!(h.says("is outside the folder of the source's file"), "{h}");
    assert_eq!(
        stored_resources(&env.store(), "f"),
        ["https://data.example.org/d"]
    );
}
