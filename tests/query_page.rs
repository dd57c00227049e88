//! The SPARQL query page in a real browser: headless Chromium, driven over WebDriver by
//! chromedriver (Debian's `chromium` and `chromium-driver`, which `.ci/run` installs). The page
//! loads everything from the binary, runs a query typed into it and an example, and shows their
//! results.

mod support;

use reqwest::Method;
use serde_json::{Value, json};
use std::process::{Child, Command, Stdio};
use support::*;

/// A chromedriver with one headless Chromium session.
struct Browser {
    driver: Child,
    base: String,
    session: String,
    _profile: tempfile::TempDir,
}

impl Browser {
    /// `None`, after a notice, when Chromium or chromedriver is missing.
    fn start() -> Option<Self> {
        let chromium =
            std::env::var("ALZETTE_CHROMIUM").unwrap_or_else(|_| "/usr/bin/chromium".into());
        let chromedriver = std::env::var("ALZETTE_CHROMEDRIVER")
            .unwrap_or_else(|_| "/usr/bin/chromedriver".into());
        if !std::path::Path::new(&chromium).exists()
            || !std::path::Path::new(&chromedriver).exists()
        {
            alzette_testkit::missing(
                "the query page test",
                &format!("{chromium} or {chromedriver}"),
                "apt-get install chromium chromium-driver",
            );
            return None;
        }
        let port = free_port();
        let driver = Command::new(&chromedriver)
            .arg(format!("--port={port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let base = format!("http://127.0.0.1:{port}");
        wait_until("chromedriver answers", || {
            http_get(&format!("{base}/status"), &[]).is_ok_and(|(_, _, body)| {
                serde_json::from_slice::<Value>(&body).is_ok_and(|v| v["value"]["ready"] == true)
            })
        });
        let profile = tempfile::tempdir().unwrap();
        // Flags as the machine notes say: without the background-networking ones Chromium
        // tries to reach Google's hosts, which this closed network refuses.
        let args = [
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-dev-shm-usage",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            &format!("--user-data-dir={}", profile.path().display()),
        ];
        let mut browser = Self {
            driver,
            base,
            session: String::new(),
            _profile: profile,
        };
        let created = browser.command(
            Method::POST,
            "/session",
            json!({ "capabilities": { "alwaysMatch": {
                "browserName": "chrome",
                "goog:chromeOptions": { "binary": chromium, "args": args }
            }}}),
        );
        browser.session = created["sessionId"]
            .as_str()
            .unwrap_or_else(|| panic!("no session: {created}"))
            .to_owned();
        Some(browser)
    }

    /// A WebDriver command; its `value`.
    fn command(&self, method: Method, path: &str, body: Value) -> Value {
        let url = format!("{}{path}", self.base);
        let body = (method != Method::GET && method != Method::DELETE)
            .then(|| ("application/json", body.to_string().into_bytes()));
        let (status, _, response) = http(method, &url, &[], body).unwrap();
        let response: Value = serde_json::from_slice(&response).unwrap();
        assert_eq!(status, 200, "{path}: {response}");
        response["value"].clone()
    }

    fn session_command(&self, method: Method, path: &str, body: Value) -> Value {
        self.command(method, &format!("/session/{}{path}", self.session), body)
    }

    fn go(&self, url: &str) {
        self.session_command(Method::POST, "/url", json!({ "url": url }));
    }

    /// Runs `script` (a function body) in the page; its return value.
    fn eval(&self, script: &str) -> Value {
        self.session_command(
            Method::POST,
            "/execute/sync",
            json!({ "script": script, "args": [] }),
        )
    }

    /// Clicks the element `css` selects, as a user would.
    fn click(&self, css: &str) {
        let found = self.session_command(
            Method::POST,
            "/element",
            json!({ "using": "css selector", "value": css }),
        );
        let id = found
            .as_object()
            .and_then(|o| o.values().next())
            .and_then(Value::as_str)
            .unwrap_or_else(|| panic!("no element {css}: {found}"))
            .to_owned();
        self.session_command(Method::POST, &format!("/element/{id}/click"), json!({}));
    }
}

impl Drop for Browser {
    fn drop(&mut self) {
        if !self.session.is_empty() {
            let url = format!("{}/session/{}", self.base, self.session);
            let _ = http(Method::DELETE, &url, &[], None);
        }
        let _ = self.driver.kill();
        let _ = self.driver.wait();
    }
}

/// The rows of the results table in the active tab.
const ROWS: &str = "return [...document.querySelectorAll('.tabPanel.active .yasr tbody tr')].map(r => r.innerText);";

#[test]
fn the_query_page_runs_queries_in_a_browser_without_a_cdn() {
    let Some(browser) = Browser::start() else {
        return;
    };
    let pages = PageServer::start();
    let ids: Vec<usize> = (0..12).collect();
    pages.serve_turtle(&ids, 5, &|_| 1);
    let env = Env::new(&dcat_source("alpha", &pages.url("/catalog.ttl?page=1"), ""));
    let server = env.serve();
    server.wait_for_runs(&["alpha"]);

    // Programs still get the service description at the same address.
    let (status, headers, _) = http_get(&server.url("/sparql"), &[("accept", "*/*")]).unwrap();
    assert_eq!(status, 200);
    assert!(
        headers["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/turtle")
    );

    browser.go(&server.url("/sparql"));
    wait_until("YASGUI shows the example tabs", || {
        browser.eval("return typeof yasgui !== 'undefined' && document.querySelectorAll('.tabsList .tab').length;")
            == json!(7)
    });
    let tabs = browser.eval(
        "return [...document.querySelectorAll('.tabsList .tab')].map(t => t.innerText.split('\\n')[0].trim());",
    );
    for name in [
        "Datasets per publisher",
        "Datasets per theme",
        "Recently changed",
        "Datasets per source",
        "Distributions per format",
        "Datasets per quality rating",
        "Most violated constraints",
    ] {
        assert!(
            tabs.as_array().unwrap().iter().any(|t| t == name),
            "{name} in {tabs}"
        );
    }

    // A query typed into the editor, run with the editor's own button.
    browser.eval(
        "yasgui.getTab().setQuery('PREFIX dcat: <http://www.w3.org/ns/dcat#>\\n\
         PREFIX dct: <http://purl.org/dc/terms/>\\n\
         SELECT ?title WHERE { ?d a dcat:Dataset ; dct:title ?title } ORDER BY ?title'); return true;",
    );
    browser.click(".tabPanel.active .yasqe_queryButton");
    wait_until("the results table has the 12 titles", || {
        browser.eval(ROWS).as_array().is_some_and(|r| r.len() == 12)
    });
    let rows = browser.eval(ROWS);
    assert!(
        rows.as_array()
            .unwrap()
            .iter()
            .any(|r| r.as_str().unwrap().contains("Dataset 3 v1")),
        "{rows}"
    );

    // An example as it ships: the button opens its tab, the editor's button runs it.
    browser.click("#examples button:nth-of-type(3)");
    wait_until("the example's tab is active", || {
        browser.eval("return document.querySelector('.tabsList .tab.active').innerText.split('\\n')[0].trim();")
            == json!("Recently changed")
    });
    browser.click(".tabPanel.active .yasqe_queryButton");
    wait_until("the example lists the 12 datasets", || {
        browser.eval(ROWS).as_array().is_some_and(|r| r.len() == 12)
    });

    // Everything the page loaded came from the binary.
    let loaded = browser.eval(
        "return [location.href, ...performance.getEntriesByType('resource').map(e => e.name)];",
    );
    let loaded: Vec<&str> = loaded
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_str().unwrap())
        .collect();
    assert!(
        loaded.iter().any(|u| u.contains("/assets/yasgui-")),
        "{loaded:?}"
    );
    let origin = server.url("/");
    let elsewhere: Vec<&&str> = loaded.iter().filter(|u| !u.starts_with(&origin)).collect();
    assert!(elsewhere.is_empty(), "loaded from elsewhere: {elsewhere:?}");
    drop(browser);
    server.stop();
}
