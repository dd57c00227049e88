//! Runs end: deadlines, shutdown, killed processes, the scheduler.

mod support;

use std::time::{Duration, Instant};
use support::*;

fn source(id: &str, url: &str, extra: &str) -> String {
    dcat_source(id, url, extra)
}

fn runs_output(env: &Env, source: &str) -> String {
    String::from_utf8(env.run(&["runs", source]).stdout).unwrap()
}

#[test]
fn a_run_past_its_deadline_is_cancelled_and_failed() {
    let server = PageServer::start();
    server.set(
        "/c.ttl",
        Page::ok(
            "text/turtle",
            format!("{PREFIXES}<https://e.org/d> a dcat:Dataset ."),
        )
        .with_delay(Duration::from_secs(3600)),
    );
    let env = Env::new(&source(
        "s",
        &server.url("/c.ttl"),
        "run_deadline = \"2s\"\nrequest_timeout = \"1h\"",
    ));
    let started = Instant::now();
    let (code, out) = env.harvest("s", &[]);
    assert!(started.elapsed() < Duration::from_secs(30), "no stuck job");
    assert_eq!(code, 1, "{out}");
    assert!(
        out.contains("failed") && out.contains("deadline") && out.contains("run_deadline"),
        "{out}"
    );
}

#[test]
fn sigterm_interrupts_a_run_and_a_killed_run_is_marked_at_next_start() {
    let server = PageServer::start();
    let ids: Vec<usize> = (0..4).collect();
    server.serve_catalogue(&catalogue_pages(
        &server.url(""),
        &ids,
        2,
        Syntax::Turtle,
        false,
        &|_| 1,
    ));
    let env = Env::new(&source("s", &server.url("/catalog.ttl?page=1"), ""));
    assert_eq!(env.harvest("s", &[]).0, 0);

    // Page 2 hangs; SIGTERM stops the run, which is logged interrupted and deletes nothing.
    let slow = catalogue_pages(&server.url(""), &ids, 2, Syntax::Turtle, false, &|_| 1)[1]
        .1
        .clone()
        .with_delay(Duration::from_secs(3600));
    server.set("/catalog.ttl?page=2", slow);
    let child = env
        .command(&["harvest", "s"])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    wait_for_hit(&server, "/catalog.ttl?page=2", 2);
    terminate(&child);
    let out = child.wait_with_output().unwrap();
    assert_eq!(out.status.code(), Some(1));
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        stdout.contains("interrupted") && stdout.contains("nothing was deleted"),
        "{stdout}"
    );
    assert_eq!(env.store().count(Some("s")), 4);

    // SIGKILL leaves the run open; the next start marks it interrupted.
    let mut child = env.command(&["harvest", "s"]).spawn().unwrap();
    wait_for_hit(&server, "/catalog.ttl?page=2", 3);
    child.kill().unwrap();
    child.wait().unwrap();
    assert!(
        runs_output(&env, "s")
            .lines()
            .nth(1)
            .unwrap()
            .contains("running"),
        "the killed run is still open"
    );
    server.serve_catalogue(&catalogue_pages(
        &server.url(""),
        &ids,
        2,
        Syntax::Turtle,
        false,
        &|_| 1,
    ));
    let (code, out) = env.harvest("s", &[]);
    assert_eq!(code, 0, "{out}");
    let runs = runs_output(&env, "s");
    let lines: Vec<&str> = runs
        .lines()
        .filter(|l| {
            l.trim_start()
                .chars()
                .next()
                .is_some_and(|c| c.is_ascii_digit())
        })
        .collect();
    assert!(lines[0].contains(" ok "), "{runs}");
    assert!(lines[1].contains("interrupted"), "{runs}");
    assert!(lines[2].contains("interrupted"), "{runs}");
    assert_eq!(env.store().count(Some("s")), 4);
}

fn wait_for_hit(server: &PageServer, path: &str, n: usize) {
    let deadline = Instant::now() + Duration::from_secs(30);
    while server.hits(path) < n {
        assert!(Instant::now() < deadline, "{path} was not requested");
        std::thread::sleep(Duration::from_millis(20));
    }
}

#[test]
fn serve_harvests_never_run_sources_at_start_and_stops_cleanly() {
    let server = PageServer::start();
    server.set(
        "/a.ttl",
        Page::ok(
            "text/turtle",
            format!("{PREFIXES}<https://e.org/a> a dcat:Dataset ."),
        ),
    );
    server.set(
        "/b.ttl",
        Page::ok(
            "text/turtle",
            format!("{PREFIXES}<https://e.org/b> a dcat:Dataset ."),
        ),
    );
    let sources = format!(
        "{}{}{}",
        source("a", &server.url("/a.ttl"), ""),
        source("b", &server.url("/b.ttl"), ""),
        source("off", &server.url("/off.ttl"), "enabled = false")
    );
    let env = Env::new(&sources);
    let alzette = env.serve();
    let status = alzette.wait_for_runs(&["a", "b"]);
    let by_id = |id: &str| {
        status
            .as_array()
            .unwrap()
            .iter()
            .find(|s| s["id"] == id)
            .unwrap()
            .clone()
    };
    assert_eq!(by_id("a")["records"], 1);
    assert_eq!(by_id("b")["last_run"]["outcome"], "ok");
    assert!(
        by_id("off")["last_run"].is_null(),
        "a disabled source does not run"
    );
    assert_eq!(server.hits("/off.ttl"), 0);
    // While serving, `alzette sources` asks the server (it holds the run log).
    let out = env.run(&["sources"]);
    let table = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        table
            .lines()
            .any(|l| l.starts_with("a ") && l.contains(" ok ")),
        "{table}"
    );
    // A second run of the schedule at start does not happen: the sources ran already.
    let stderr = alzette.stop();
    assert!(!stderr.contains("panicked"), "{stderr}");
    let again = env.serve();
    // The scheduler's next firing of a is its schedule's, not now.
    let next_run = {
        let (_, _, body) = http_get(&again.url("/api/sources"), &[]).unwrap();
        let sources: Vec<serde_json::Value> = serde_json::from_slice(&body).unwrap();
        let a = sources.iter().find(|s| s["id"] == "a").unwrap().clone();
        chrono::DateTime::parse_from_rfc3339(a["next_run"].as_str().expect("a next run")).unwrap()
    };
    assert!(
        next_run > chrono::Utc::now() + chrono::Duration::minutes(1),
        "a source that ran before waits for its schedule: next run {next_run}"
    );
    assert_eq!(server.hits("/a.ttl"), 1);
    again.stop();
    let out = env.run(&["runs"]);
    assert_eq!(
        String::from_utf8_lossy(&out.stdout).lines().count(),
        3,
        "two runs and the header"
    );
}

#[test]
fn harvest_is_refused_while_serve_holds_the_store() {
    let env = Env::new(&source("s", "https://e.org/c.ttl", "enabled = false"));
    let alzette = env.serve();
    let (code, out) = env.harvest("s", &[]);
    assert_eq!(code, 1);
    // Which file is held, by whom, and how to run the harvest in the daemon instead.
    assert!(
        out.contains("in use by another process")
            && out.contains("alzette serve")
            && out.contains("POST /api/admin/sources/ID/run"),
        "{out}"
    );
    alzette.stop();
}

#[test]
fn serve_runs_at_most_max_concurrent_runs_at_once() {
    let server = PageServer::start();
    let mut sources = String::new();
    for id in ["a", "b", "c"] {
        server.set(
            &format!("/{id}.ttl"),
            Page::ok(
                "text/turtle",
                format!("{PREFIXES}<https://e.org/{id}> a dcat:Dataset ."),
            )
            .with_delay(Duration::from_millis(700)),
        );
        sources.push_str(&source(id, &server.url(&format!("/{id}.ttl")), ""));
    }
    let env = Env::new(&sources);
    let text = std::fs::read_to_string(&env.config)
        .unwrap()
        .replace("[harvest]\n", "[harvest]\nmax_concurrent_runs = 1\n");
    std::fs::write(&env.config, text).unwrap();
    let alzette = env.serve();
    alzette.wait_for_runs(&["a", "b", "c"]);
    let (_, _, body) = http_get(&alzette.url("/api/runs"), &[]).unwrap();
    let runs: Vec<serde_json::Value> = serde_json::from_slice(&body).unwrap();
    assert_eq!(runs.len(), 3);
    let mut spans: Vec<(String, String)> = runs
        .iter()
        .map(|r| {
            (
                r["started"].as_str().unwrap().to_owned(),
                r["ended"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    spans.sort();
    for w in spans.windows(2) {
        assert!(w[0].1 <= w[1].0, "runs overlapped: {spans:?}");
    }
    alzette.stop();
}

#[test]
fn logs_can_be_json_lines() {
    let server = PageServer::start();
    server.set(
        "/a.ttl",
        Page::ok(
            "text/turtle",
            format!("{PREFIXES}<https://e.org/a> a dcat:Dataset ."),
        ),
    );
    let env = Env::new(&source("a", &server.url("/a.ttl"), ""));
    let out = env
        .command(&["--log-format", "json", "harvest", "a"])
        .env("ALZETTE_LOG", "info")
        .output()
        .unwrap();
    assert!(out.status.success());
    let stderr = String::from_utf8(out.stderr).unwrap();
    let lines: Vec<serde_json::Value> = stderr
        .lines()
        .map(|l| serde_json::from_str(l).expect("a JSON object a line"))
        .collect();
    assert!(
        lines
            .iter()
            .any(|l| l["fields"]["message"] == "run ended" && l["fields"]["outcome"] == "ok"),
        "{stderr}"
    );
}
