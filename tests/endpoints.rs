//! The endpoints' security: the admin API behind its bearer token (run now, pause, resume,
//! reload, SIGHUP), and public endpoints that change nothing.

mod support;

use reqwest::Method;
use serde_json::Value;
use std::time::Duration;
use support::*;

const TOKEN: &str = "admin-token-for-tests-0123456789";

fn source(id: &str, url: &str, schedule: &str, extra: &str) -> String {
    source_table(id, "dcat", url, schedule, extra)
}

/// POSTs to the admin API: (status, JSON body, headers).
fn admin(
    server: &Server,
    path: &str,
    auth: Option<&str>,
) -> (u16, Value, reqwest::header::HeaderMap) {
    let headers: Vec<(&str, &str)> = auth.map(|a| ("authorization", a)).into_iter().collect();
    let (status, headers, body) = http(Method::POST, &server.url(path), &headers, None).unwrap();
    let json = serde_json::from_slice(&body)
        .unwrap_or_else(|_| panic!("{path} answers JSON: {}", String::from_utf8_lossy(&body)));
    (status, json, headers)
}

fn sorted_lines(body: &[u8]) -> Vec<String> {
    let mut lines: Vec<String> = String::from_utf8_lossy(body)
        .lines()
        .map(str::to_owned)
        .collect();
    lines.sort();
    lines
}

fn bearer() -> String {
    format!("Bearer {TOKEN}")
}

fn source_status(server: &Server) -> Vec<Value> {
    let (_, _, body) = http_get(&server.url("/api/sources"), &[]).unwrap();
    serde_json::from_slice(&body).unwrap()
}

/// `/api/sources`'s entry for `id`.
fn status_of(server: &Server, id: &str) -> Value {
    source_status(server)
        .into_iter()
        .find(|s| s["id"] == id)
        .unwrap_or_else(|| panic!("no source {id} in /api/sources"))
}

/// Firings of `id` the scheduler skipped because it was paused.
fn skipped_while_paused(server: &Server, id: &str) -> u64 {
    status_of(server, id)["skipped_firings"]["paused"]
        .as_u64()
        .unwrap()
}

fn source_ids(server: &Server) -> Vec<String> {
    source_status(server)
        .iter()
        .map(|s| s["id"].as_str().unwrap().to_owned())
        .collect()
}

#[test]
fn the_admin_api_needs_its_token_and_runs_pauses_resumes_and_reloads() {
    let pages = PageServer::start();
    pages.serve_turtle(&[0, 1, 2], 2, &|_| 1);
    let slow = format!("{PREFIXES}<https://e.org/slow> a dcat:Dataset ; dct:title \"Slow\" .");
    pages.set(
        "/slow.ttl",
        Page::ok("text/turtle", slow).with_delay(Duration::from_secs(3)),
    );
    let catalogue = pages.url("/catalog.ttl?page=1");
    let sources = [
        source("a", &catalogue, "0 3 * * *", ""),
        source("b", &catalogue, "* * * * * *", ""),
        source("c", &pages.url("/slow.ttl"), "0 3 * * *", "enabled = false"),
    ]
    .concat();
    let env = Env::with_server(&sources, &format!("admin_token = \"{TOKEN}\""));
    let head = std::fs::read_to_string(&env.config).unwrap();
    let head = head[..head.find("[[source]]").unwrap()].to_owned();
    let server = env.serve();
    server.wait_for_runs(&["a", "b"]);

    // Without the token, with a wrong one, or in another scheme: 401, and nothing runs.
    let runs_of_a = server.finished_runs("a").len();
    for auth in [
        None,
        Some("Bearer admin-token-for-tests-012345678X".to_owned()),
        Some(format!("Basic {TOKEN}")),
        Some(TOKEN.to_owned()),
    ] {
        let (status, body, headers) = admin(&server, "/api/admin/sources/a/run", auth.as_deref());
        assert_eq!(status, 401, "{auth:?}: {body}");
        assert!(body["error"].as_str().unwrap().contains("Bearer"), "{body}");
        assert!(
            headers["www-authenticate"]
                .to_str()
                .unwrap()
                .starts_with("Bearer")
        );
    }
    let (status, _, _) = admin(&server, "/api/admin/reload", Some("Bearer nope"));
    assert_eq!(status, 401);

    // Run now: 202, and a run follows.
    let (status, body, _) = admin(&server, "/api/admin/sources/a/run", Some(&bearer()));
    assert_eq!(status, 202, "{body}");
    assert_eq!(body["source"], "a");
    wait_until("the second run of a finished", || {
        server.finished_runs("a").len() == runs_of_a + 1
    });
    assert_eq!(server.finished_runs("a")[0]["outcome"], "ok");
    let (status, body, _) = admin(&server, "/api/admin/sources/nope/run", Some(&bearer()));
    assert_eq!(status, 404);
    assert!(body["error"].as_str().unwrap().contains("nope"), "{body}");

    // A disabled source runs when asked; asked again while it runs: 409.
    let (status, body, _) = admin(&server, "/api/admin/sources/c/run", Some(&bearer()));
    assert_eq!(status, 202, "{body}");
    let (status, body, _) = admin(&server, "/api/admin/sources/c/run", Some(&bearer()));
    assert_eq!(status, 409, "{body}");
    assert!(
        body["error"].as_str().unwrap().contains("already running"),
        "{body}"
    );
    wait_until("c's run finished", || server.finished_runs("c").len() == 1);

    // Pause: b (every second) stops firing; resume: it fires again.
    let (status, body, _) = admin(&server, "/api/admin/sources/b/pause", Some(&bearer()));
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["paused"], true);
    let paused = |server: &Server| {
        source_status(server)
            .iter()
            .find(|s| s["id"] == "b")
            .unwrap()["paused_since"]
            .is_string()
    };
    assert!(paused(&server));
    // A run fired before the pause ends; the scheduler then skips b's firings. Three of them
    // skipped (b fires every second) without a run is what "does not fire" means.
    wait_until("b's firing is skipped while paused", || {
        skipped_while_paused(&server, "b") >= 1
    });
    wait_until("b's last run ended", || {
        status_of(&server, "b")["last_run"]["outcome"] != "running"
    });
    let runs_of_b = server.finished_runs("b").len();
    let skipped = skipped_while_paused(&server, "b");
    wait_until("three more firings of b are skipped", || {
        skipped_while_paused(&server, "b") >= skipped + 3
    });
    assert_eq!(
        server.finished_runs("b").len(),
        runs_of_b,
        "a paused source does not fire"
    );

    // The pause outlives a restart.
    server.stop();
    let server = env.serve();
    assert!(paused(&server), "paused across a restart");
    wait_until("two firings of b are skipped after the restart", || {
        skipped_while_paused(&server, "b") >= 2
    });
    assert_eq!(server.finished_runs("b").len(), runs_of_b);
    let (status, _, _) = admin(&server, "/api/admin/sources/b/resume", Some(&bearer()));
    assert_eq!(status, 200);
    assert!(!paused(&server));
    wait_until("b fired again", || {
        server.finished_runs("b").len() > runs_of_b
    });

    // Reload: d added, b removed, c changed, a unchanged; d runs at once (it never ran).
    let reloaded = [
        source("a", &catalogue, "0 3 * * *", ""),
        source("c", &pages.url("/slow.ttl"), "0 4 * * *", "enabled = false"),
        source("d", &catalogue, "0 3 * * *", ""),
    ]
    .concat();
    std::fs::write(&env.config, format!("{head}{reloaded}")).unwrap();
    let (status, body, _) = admin(&server, "/api/admin/reload", Some(&bearer()));
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["added"], serde_json::json!(["d"]), "{body}");
    assert_eq!(body["removed"], serde_json::json!(["b"]), "{body}");
    assert_eq!(body["changed"], serde_json::json!(["c"]), "{body}");
    assert_eq!(body["unchanged"], serde_json::json!(["a"]), "{body}");
    assert_eq!(body["needs_restart"], serde_json::json!([]), "{body}");
    assert_eq!(source_ids(&server), ["a", "c", "d"]);
    server.wait_for_runs(&["d"]);
    let (_, _, catalogue_page) =
        http_get(&server.url("/catalog/d"), &[("accept", "text/turtle")]).unwrap();
    assert!(
        String::from_utf8_lossy(&catalogue_page).contains("dataset/1"),
        "d's records are published"
    );
    // A removed source has no firing left: the scheduler no longer holds it.
    assert!(
        !source_status(&server).iter().any(|s| s["id"] == "b"),
        "a removed source is no longer listed"
    );
    assert!(
        status_of(&server, "a")["next_run"].is_string(),
        "the scheduler reports the firings it holds"
    );

    // An invalid file changes nothing and says where it is wrong.
    let bad = format!("{head}{reloaded}[[source]]\nid = \"Bad Id\"\n");
    std::fs::write(&env.config, &bad).unwrap();
    // The 1-based line of the bad table's `[[source]]` header.
    let lines: Vec<&str> = bad.lines().collect();
    let bad_table = lines.iter().position(|l| *l == "id = \"Bad Id\"").unwrap();
    assert_eq!(lines[bad_table - 1], "[[source]]");
    let (status, body, _) = admin(&server, "/api/admin/reload", Some(&bearer()));
    assert_eq!(status, 422, "{body}");
    let message = body["error"].as_str().unwrap();
    assert!(
        message.contains(&format!("harvest-sources.toml:{bad_table}"))
            && message.contains("unchanged"),
        "the table's line is named: {message}"
    );
    assert_eq!(source_ids(&server), ["a", "c", "d"]);

    // A server setting changed: applied at the next start, and said so.
    let head2 = head.replace("[server]\n", "[server]\nquery_timeout = \"5s\"\n");
    std::fs::write(&env.config, format!("{head2}{reloaded}")).unwrap();
    let (status, body, _) = admin(&server, "/api/admin/reload", Some(&bearer()));
    assert_eq!(status, 200, "{body}");
    assert_eq!(
        body["needs_restart"],
        serde_json::json!(["server"]),
        "{body}"
    );

    // SIGHUP reloads too.
    let with_e = format!(
        "{head}{reloaded}{}",
        source("e", &catalogue, "0 3 * * *", "")
    );
    std::fs::write(&env.config, with_e).unwrap();
    let hup = std::process::Command::new("kill")
        .args(["-HUP", &server.child.id().to_string()])
        .status()
        .unwrap();
    assert!(hup.success());
    wait_until("e appeared", || {
        source_ids(&server).contains(&"e".to_owned())
    });
    server.wait_for_runs(&["e"]);
    let stderr = server.stop();
    assert!(!stderr.contains(TOKEN), "the token is never logged");
}

#[test]
fn without_a_token_the_admin_api_is_off_and_the_environment_can_give_one() {
    let pages = PageServer::start();
    pages.serve_turtle(&[0], 2, &|_| 1);
    let env = Env::new(&source(
        "a",
        &pages.url("/catalog.ttl?page=1"),
        "0 3 * * *",
        "enabled = false",
    ));
    let server = env.serve();
    let (status, body, _) = admin(&server, "/api/admin/sources/a/run", Some(&bearer()));
    assert_eq!(status, 404, "{body}");
    assert!(
        body["error"].as_str().unwrap().contains("admin API is off"),
        "{body}"
    );
    server.stop();

    let server = env.serve_with_env(&[("ALZETTE_ADMIN_TOKEN", TOKEN)]);
    let (status, body, _) = admin(&server, "/api/admin/sources/a/run", Some(&bearer()));
    assert_eq!(status, 202, "{body}");
    server.wait_for_runs(&["a"]);
    server.stop();

    // A short token is refused at start, with what to do.
    let out = env
        .command(&["serve"])
        .env("ALZETTE_ADMIN_TOKEN", "short")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("ALZETTE_ADMIN_TOKEN is shorter than 16")
    );
}

#[test]
fn public_endpoints_change_nothing_and_make_no_requests() {
    let pages = PageServer::start();
    pages.serve_turtle(&[0, 1], 2, &|_| 1);
    let env = Env::new(&source(
        "a",
        &pages.url("/catalog.ttl?page=1"),
        "0 3 * * *",
        "",
    ));
    let server = env.serve();
    server.wait_for_runs(&["a"]);
    let (_, _, before) = http_get(&server.url("/catalog.nt"), &[]).unwrap();

    // Graph Store Protocol writes and other methods on the publication: refused.
    for (method, path) in [
        (Method::PUT, "/catalog"),
        (Method::DELETE, "/catalog"),
        (Method::POST, "/catalog"),
        (Method::PUT, "/catalog/a"),
        (Method::DELETE, "/catalog/a"),
        (Method::PUT, "/sparql?default"),
        (Method::DELETE, "/sparql?graph=http://e.org/g"),
        (Method::PUT, "/store?default"),
        (Method::POST, "/store?graph=http://e.org/g"),
        (Method::POST, "/api/sources"),
    ] {
        let body = Some((
            "text/turtle",
            b"<http://e.org/a> <http://e.org/b> <http://e.org/c> .".to_vec(),
        ));
        let (status, _, _) = http(method.clone(), &server.url(path), &[], body).unwrap();
        assert!(
            matches!(status, 404 | 405 | 415),
            "{method} {path}: {status}"
        );
    }

    // SERVICE would make the server a client of anyone: refused with the reason, and no
    // request reaches the target.
    let target = PageServer::start();
    target.set(
        "/sparql",
        Page::ok(
            "application/sparql-results+json",
            r#"{"head":{"vars":[]},"results":{"bindings":[]}}"#,
        ),
    );
    let query = format!(
        "SELECT * WHERE {{ SERVICE <{}> {{ ?s ?p ?o }} }}",
        target.url("/sparql")
    );
    let url = format!(
        "{}?query={}",
        server.url("/sparql"),
        url::form_urlencoded::byte_serialize(query.as_bytes()).collect::<String>()
    );
    let (status, _, body) =
        http_get(&url, &[("accept", "application/sparql-results+json")]).unwrap();
    assert_eq!(status, 400, "{}", String::from_utf8_lossy(&body));
    assert!(
        String::from_utf8_lossy(&body).contains("SERVICE"),
        "{}",
        String::from_utf8_lossy(&body)
    );
    assert_eq!(target.hits("/sparql"), 0);

    // A request body over the limit is refused before it is read whole.
    let big = vec![b'#'; 2 * 1024 * 1024];
    let (status, _, _) = http(
        Method::POST,
        &server.url("/sparql"),
        &[],
        Some(("application/sparql-query", big)),
    )
    .unwrap();
    assert_eq!(status, 413);

    let (_, _, after) = http_get(&server.url("/catalog.nt"), &[]).unwrap();
    assert!(
        sorted_lines(&before) == sorted_lines(&after),
        "nothing changed"
    );
    server.stop();
}

/// `alzette serve` with one source of 40 datasets, harvested, and `server_extra` in `[server]`.
fn forty_datasets(server_extra: &str) -> (PageServer, Env, Server) {
    let pages = PageServer::start();
    let ids: Vec<usize> = (0..40).collect();
    pages.serve_turtle(&ids, 40, &|_| 1);
    let env = Env::with_server(
        &source("a", &pages.url("/catalog.ttl?page=1"), "0 3 * * *", ""),
        server_extra,
    );
    let server = env.serve();
    server.wait_for_runs(&["a"]);
    (pages, env, server)
}

/// `/sparql?query=QUERY` on `server`.
fn query_url(server: &Server, query: &str) -> String {
    format!(
        "{}?query={}",
        server.url("/sparql"),
        url::form_urlencoded::byte_serialize(query.as_bytes()).collect::<String>()
    )
}

#[test]
fn a_saturated_sparql_endpoint_answers_503_with_retry_after() {
    let (_pages, _env, server) = forty_datasets(
        "query_timeout = \"3s\"\nmax_concurrent_queries = 1\nmax_queued_queries = 0",
    );
    let query_url = |q: &str| query_url(&server, q);
    let quick = query_url("ASK { ?s ?p ?o }");
    // The first query starts a worker process; on a loaded machine that alone can pass the
    // 3 s timeout (a 503 too), so the endpoint is first seen answering.
    wait_until("a quick query answers", || {
        http_get(&quick, &[]).unwrap().0 == 200
    });

    // One query takes the only slot (it runs until its 3 s timeout); the next one is turned
    // away at once, saying why and when to come back.
    let slow = query_url(
        "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . FILTER NOT EXISTS { ?g ?h ?i FILTER(?g = ?a && ?i = ?f) } }",
    );
    // Once the slow query holds the slot, a quick one is turned away. A quick probe can take
    // the slot first and turn the slow query away instead: then it is sent again.
    let running = loop {
        let slow = slow.clone();
        let running = std::thread::spawn(move || http_get(&slow, &[]).unwrap());
        wait_until(
            "the slow query holds the only slot, or was turned away",
            || running.is_finished() || http_get(&quick, &[]).unwrap().0 == 503,
        );
        if !running.is_finished() {
            break running;
        }
        let (status, _, body) = running.join().unwrap();
        let said = String::from_utf8_lossy(&body);
        assert!(status == 503 && said.contains("busy"), "{status}: {said}");
    };
    let (status, headers, body) = http_get(&quick, &[]).unwrap();
    let message = String::from_utf8_lossy(&body);
    assert_eq!(status, 503, "{message}");
    assert_eq!(headers["retry-after"], "1");
    assert!(
        message.contains("busy") && message.contains("max_concurrent_queries"),
        "{message}"
    );
    // The catalogue is not behind the SPARQL limit.
    assert_eq!(http_get(&server.url("/catalog"), &[]).unwrap().0, 200);

    let (status, _, body) = running.join().unwrap();
    assert_eq!(status, 503);
    assert!(String::from_utf8_lossy(&body).contains("query_timeout"));
    // The slot is free again once the runaway query has stopped.
    wait_until("the slot is free", || {
        http_get(&quick, &[]).unwrap().0 == 200
    });
    server.stop();
}

/// A query that would run for minutes or take gigabytes is stopped, not only answered: its
/// worker process is killed at the timeout, and it cannot allocate past its memory limit. The
/// daemon and other clients are unaffected.
#[test]
fn a_runaway_query_is_stopped_at_its_timeout_and_cannot_take_the_memory() {
    let (_pages, _env, server) =
        forty_datasets("query_timeout = \"2s\"\nquery_memory_limit = \"512MiB\"");
    let query_url = |q: &str| query_url(&server, q);
    let quick = query_url("ASK { ?s ?p ?o }");
    assert!(
        server.query_workers().is_empty(),
        "no worker before a query"
    );

    // Billions of solutions counted: no memory to speak of, but minutes of work.
    let slow =
        query_url("SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i . ?j ?k ?l }");
    let running = std::thread::spawn(move || http_get(&slow, &[]).unwrap());
    wait_until("the query's worker is running", || {
        server.query_workers().len() == 1
    });
    let runaway = server.query_workers()[0];
    let (status, _, body) = running.join().unwrap();
    assert_eq!(status, 503, "{}", String::from_utf8_lossy(&body));
    assert!(String::from_utf8_lossy(&body).contains("query_timeout"));
    wait_until("the runaway worker is gone", || {
        !server.query_workers().contains(&runaway)
    });
    assert_eq!(
        http_get(&quick, &[]).unwrap().0,
        200,
        "the next query is answered"
    );

    // Sorting billions of solutions needs them all in memory: refused at the limit, not by
    // the operating system's OOM killer picking a process.
    let (status, _, body) = http_get(
        &query_url("SELECT * WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i } ORDER BY ?c ?f ?i"),
        &[],
    )
    .unwrap();
    let message = String::from_utf8_lossy(&body);
    assert_eq!(status, 500, "{message}");
    assert!(
        message.contains("query_memory_limit") && message.contains("512 MiB"),
        "{message}"
    );
    assert_eq!(
        http_get(&quick, &[]).unwrap().0,
        200,
        "the daemon still answers"
    );
    assert_eq!(http_get(&server.url("/catalog"), &[]).unwrap().0, 200);

    server.stop();
}

/// A worker busy with a query that could run for minutes dies with the daemon, even a daemon
/// killed with SIGKILL (which cannot stop its children itself).
#[test]
fn a_busy_query_worker_dies_with_the_daemon() {
    // Long enough that only the daemon's death can end the query within the wait below.
    let (_pages, _env, mut server) = forty_datasets("query_timeout = \"10m\"");
    let slow = query_url(
        &server,
        "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i . ?j ?k ?l }",
    );
    let _client = std::thread::spawn(move || http_get(&slow, &[]));
    wait_until("the query's worker is running", || {
        server.query_workers().len() == 1
    });
    let worker = server.query_workers()[0];
    server.child.kill().unwrap();
    server.child.wait().unwrap();
    wait_until("the busy worker is gone with the daemon", || {
        !std::path::Path::new(&format!("/proc/{worker}")).exists()
    });
}

/// The scheme of `Authorization` is case-insensitive (RFC 9110), and a run asked for through
/// the admin API can allow a shrink as `alzette harvest --allow-shrink` does, which the shrink
/// guard's message says.
#[test]
fn the_admin_api_takes_any_case_of_bearer_and_can_allow_a_shrink() {
    let pages = PageServer::start();
    pages.serve_turtle(&[0, 1, 2, 3, 4], 5, &|_| 1);
    let env = Env::with_server(
        &source("a", &pages.url("/catalog.ttl?page=1"), "0 3 * * *", ""),
        &format!("admin_token = \"{TOKEN}\""),
    );
    let server = env.serve();
    server.wait_for_runs(&["a"]);
    pages.serve_turtle(&[0], 1, &|_| 1);

    let run = |path: &str, auth: String| {
        let before = server.finished_runs("a").len();
        let (status, body, _) = admin(&server, path, Some(&auth));
        assert_eq!(status, 202, "{path} with {auth:?}: {body}");
        wait_until("the run finished", || {
            server.finished_runs("a").len() == before + 1
        });
        server.finished_runs("a").remove(0)
    };
    let held = run("/api/admin/sources/a/run", format!("bearer {TOKEN}"));
    let message = held["message"].as_str().unwrap_or_default();
    assert!(
        message.contains("nothing was deleted")
            && message.contains("POST /api/admin/sources/a/run?allow_shrink=true"),
        "{held}"
    );
    assert_eq!(held["counts"]["deleted"], 0, "{held}");

    let allowed = run(
        "/api/admin/sources/a/run?allow_shrink=true",
        format!("BEARER {TOKEN}"),
    );
    assert_eq!(allowed["outcome"], "ok", "{allowed}");
    assert_eq!(allowed["counts"]["deleted"], 4, "{allowed}");
    let (status, _, _) = admin(
        &server,
        "/api/admin/sources/a/run?allow_shrink=maybe",
        Some(&bearer()),
    );
    assert_eq!(status, 400, "a value that is not a boolean is refused");
    server.stop();
}

/// A query nested deeper than `max_query_nesting` is refused before a worker parses it; with the
/// bound lifted, the worker's stack overflows, and the answer says so (not "memory").
#[test]
fn deeply_nested_queries_are_refused_and_a_worker_crash_says_why() {
    let post_query = |server: &Server, query: String| {
        let (status, _, body) = http(
            Method::POST,
            &server.url("/sparql"),
            &[],
            Some(("application/sparql-query", query.into_bytes())),
        )
        .unwrap();
        (status, String::from_utf8_lossy(&body).into_owned())
    };
    let nested = |depth: usize| {
        // Without spaces, 300,000 levels stay under the 1 MiB request body limit.
        format!(
            "SELECT * WHERE {}?s ?p ?o{}",
            "{".repeat(depth),
            "}".repeat(depth)
        )
    };
    let (_pages, env, server) = forty_datasets("");
    let (status, body) = post_query(&server, nested(100));
    assert_eq!(status, 200, "within the bound: {body}");
    let (status, body) = post_query(&server, nested(300_000));
    assert_eq!(status, 400, "{body}");
    assert!(
        body.contains("more than 128 levels deep (limit server.max_query_nesting)"),
        "{body}"
    );
    let (status, _) = post_query(&server, nested(3));
    assert_eq!(status, 200, "the endpoint is unaffected");
    server.stop();

    let text = std::fs::read_to_string(&env.config).unwrap();
    std::fs::write(
        &env.config,
        text.replace("[server]\n", "[server]\nmax_query_nesting = 1000000\n"),
    )
    .unwrap();
    let server = env.serve();
    let (status, body) = post_query(&server, nested(300_000));
    assert_eq!(status, 500, "{body}");
    assert!(
        body.contains("nested too deeply") && !body.contains("memory"),
        "{body}"
    );
    let (status, _) = post_query(&server, nested(3));
    assert_eq!(status, 200, "the next query is answered");
    server.stop();
}
