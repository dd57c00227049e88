//! OAI-PMH 2.0 at `/oai`: every verb, every error code, lists walked by resumption token, tokens
//! that stay valid while harvests write, and deleted records from tombstones.

mod support;

use alzette_store::RecordKey;
use oxigraph::io::{RdfFormat, RdfParser};
use reqwest::Method;
use std::collections::BTreeSet;
use support::*;

const TOKEN: &str = "oai-test-admin-token-0123456789";
const DATA: &str = "https://data.example.org";

struct Repository {
    pages: PageServer,
    env: Env,
    server: Server,
    /// Every response `oai()` got, for the schema check.
    responses: std::cell::RefCell<Vec<(String, String)>>,
}

impl Repository {
    /// Source alpha: datasets 0..26 (Turtle, pages of 10); beta: 100..106 (RDF/XML).
    fn start() -> Self {
        let pages = PageServer::start();
        let alpha: Vec<usize> = (0..26).collect();
        let beta: Vec<usize> = (100..106).collect();
        let sources = alpha_and_beta(&pages, &alpha, &beta);
        let env = Env::with_server(
            &sources,
            &format!(
                "oai_page_size = 10\nadmin_token = \"{TOKEN}\"\n\n[catalog]\ntitle = \"Test repository\"\nadmin_email = \"oai@example.org\""
            ),
        );
        let server = env.serve();
        server.wait_for_runs(&["alpha", "beta"]);
        Self {
            pages,
            env,
            server,
            responses: Default::default(),
        }
    }

    fn oai(&self, query: &str) -> String {
        let (status, headers, body) =
            http_get(&self.server.url(&format!("/oai?{query}")), &[]).unwrap();
        assert_eq!(status, 200, "{query}");
        assert!(
            headers["content-type"]
                .to_str()
                .unwrap()
                .starts_with("text/xml")
        );
        let body = String::from_utf8(body).unwrap();
        well_formed(&body);
        self.responses
            .borrow_mut()
            .push((query.to_owned(), body.clone()));
        body
    }

    /// Every response so far is valid against the OAI-PMH 2.0 XML schema (`ALZETTE_OAI_XSD`,
    /// which `.ci/run` sets; skipped with a notice without it or without lxml).
    fn check_schema(&self) {
        let Ok(xsd) = std::env::var("ALZETTE_OAI_XSD") else {
            alzette_testkit::missing(
                "the OAI-PMH schema check",
                "the OAI-PMH XML schema (ALZETTE_OAI_XSD)",
                ".ci/run sets it",
            );
            return;
        };
        let Some(python) = python_with("lxml", "the OAI-PMH schema check") else {
            return;
        };
        let dir = tempfile::tempdir().unwrap();
        let responses = self.responses.borrow();
        let files: Vec<_> = responses
            .iter()
            .enumerate()
            .map(|(i, (_, body))| {
                let path = dir.path().join(format!("{i}.xml"));
                std::fs::write(&path, body).unwrap();
                path
            })
            .collect();
        let script = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../../tests/clients/oai_schema.py");
        let out = std::process::Command::new(python)
            .arg(script)
            .arg(&xsd)
            .args(&files)
            .output()
            .unwrap();
        let stdout = String::from_utf8_lossy(&out.stdout);
        let queries: Vec<&str> = responses.iter().map(|(q, _)| q.as_str()).collect();
        assert!(
            out.status.success(),
            "{stdout}{}\nresponses, in order: {queries:#?}",
            String::from_utf8_lossy(&out.stderr)
        );
        let all = format!("{} of {} responses valid", files.len(), files.len());
        assert!(stdout.contains(&all), "{stdout}");
    }
}

/// An item of the repository: the dataset's IRI (items are resources, docs/federation.md).
fn item_id(dataset: usize) -> String {
    format!("{DATA}/dataset/{dataset}")
}

impl Repository {
    fn record_iri(&self, source: &str, dataset: usize) -> String {
        let key = RecordKey::of(&format!("{DATA}/dataset/{dataset}"));
        format!("http://127.0.0.1:{}/record/{source}/{key}", self.env.port)
    }

    fn run_alpha(&self) {
        self.server.run_now("alpha", TOKEN);
    }

    /// At the source: dataset 0 changes, 3 is gone, 50 is new.
    fn change_alpha(&self) -> Vec<usize> {
        let alpha: Vec<usize> = (0..26).filter(|i| *i != 3).chain([50]).collect();
        self.pages
            .serve_turtle(&alpha, 10, &|i| if i == 0 { 2 } else { 1 });
        alpha
    }
}

/// Fails unless `xml` is well-formed.
fn well_formed(xml: &str) {
    let mut reader = quick_xml::Reader::from_str(xml);
    loop {
        match reader.read_event() {
            Ok(quick_xml::events::Event::Eof) => break,
            Ok(_) => {}
            Err(e) => panic!("not well-formed XML ({e}): {xml}"),
        }
    }
}

/// The text of every `<name>` element.
fn texts(xml: &str, name: &str) -> Vec<String> {
    let open = format!("<{name}>");
    let close = format!("</{name}>");
    xml.split(&open)
        .skip(1)
        .map(|s| s[..s.find(&close).unwrap()].to_owned())
        .collect()
}

fn error_code(xml: &str) -> Option<String> {
    let at = xml.find("<error code=\"")? + "<error code=\"".len();
    Some(xml[at..at + xml[at..].find('"')?].to_owned())
}

/// The resumption token of a list response: `Some("")` for the empty one that ends a list.
fn resumption_token(xml: &str) -> Option<String> {
    if xml.contains("<resumptionToken/>") {
        return Some(String::new());
    }
    texts(xml, "resumptionToken").into_iter().next()
}

fn unescape(s: &str) -> String {
    s.replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", "\"")
        .replace("&apos;", "'")
        .replace("&amp;", "&")
}

/// Walks a list to its end: (identifiers in order with their deleted flag, pages).
fn walk(repo: &Repository, first: &str) -> (Vec<(String, bool)>, usize) {
    let mut items = Vec::new();
    let mut pages = 0;
    let mut query = first.to_owned();
    loop {
        let xml = repo.oai(&query);
        pages += 1;
        assert!(error_code(&xml).is_none(), "{xml}");
        for header in xml.split("<header").skip(1) {
            let deleted = header.starts_with(" status=\"deleted\"");
            items.push((texts(header, "identifier")[0].clone(), deleted));
        }
        match resumption_token(&xml) {
            Some(t) if !t.is_empty() => {
                let verb = if first.contains("ListRecords") {
                    "ListRecords"
                } else {
                    "ListIdentifiers"
                };
                query = format!(
                    "verb={verb}&resumptionToken={}",
                    url::form_urlencoded::byte_serialize(unescape(&t).as_bytes())
                        .collect::<String>()
                );
            }
            _ => break,
        }
    }
    (items, pages)
}

#[test]
fn every_verb_every_error_and_whole_lists() {
    let repo = Repository::start();

    let identify = repo.oai("verb=Identify");
    assert_eq!(texts(&identify, "repositoryName"), ["Test repository"]);
    assert_eq!(texts(&identify, "baseURL"), [repo.server.url("/oai")]);
    assert_eq!(texts(&identify, "protocolVersion"), ["2.0"]);
    assert_eq!(texts(&identify, "adminEmail"), ["oai@example.org"]);
    assert_eq!(texts(&identify, "deletedRecord"), ["persistent"]);
    assert_eq!(texts(&identify, "granularity"), ["YYYY-MM-DDThh:mm:ssZ"]);
    assert_eq!(texts(&identify, "earliestDatestamp")[0].len(), 20);

    let formats = repo.oai("verb=ListMetadataFormats");
    assert_eq!(
        texts(&formats, "metadataPrefix"),
        ["dcat_ap", "oai_dc", "dcat_ap_2"]
    );
    let sets = repo.oai("verb=ListSets");
    assert_eq!(texts(&sets, "setSpec"), ["alpha", "beta"]);

    // ListRecords in dcat_ap, walked by token: every record once, in pages of 10.
    let (items, pages) = walk(&repo, "verb=ListRecords&metadataPrefix=dcat_ap");
    assert_eq!(pages, 4);
    let ids: BTreeSet<String> = items.iter().map(|(i, _)| i.clone()).collect();
    assert_eq!((items.len(), ids.len()), (32, 32));
    let expected: BTreeSet<String> = (0..26)
        .map(item_id)
        .chain((100..106).map(item_id))
        .collect();
    assert_eq!(ids, expected);

    // The metadata of a record is its graph in RDF/XML, the dataset in it.
    let one = repo.oai(&format!(
        "verb=GetRecord&metadataPrefix=dcat_ap&identifier={}",
        item_id(7)
    ));
    let metadata = &one[one.find("<metadata>").unwrap() + 10..one.find("</metadata>").unwrap()];
    let triples: Vec<_> = RdfParser::from_format(RdfFormat::RdfXml)
        .for_slice(metadata.as_bytes())
        .collect::<Result<_, _>>()
        .unwrap();
    assert!(
        triples
            .iter()
            .any(|q| q.subject.to_string() == format!("<{DATA}/dataset/7>")
                && q.object.to_string() == "<http://www.w3.org/ns/dcat#Dataset>")
    );
    assert!(one.contains("<setSpec>alpha</setSpec>"));

    let dc = repo.oai(&format!(
        "verb=GetRecord&metadataPrefix=oai_dc&identifier={}",
        item_id(103)
    ));
    assert_eq!(texts(&dc, "dc:title"), ["Dataset 103 v1"]);
    assert!(texts(&dc, "dc:identifier").contains(&format!("{DATA}/dataset/103")));

    // A set; identifiers only.
    let (beta, pages) = walk(&repo, "verb=ListIdentifiers&metadataPrefix=oai_dc&set=beta");
    assert_eq!((beta.len(), pages), (6, 1));
    let single = repo.oai("verb=ListIdentifiers&metadataPrefix=oai_dc&set=beta");
    assert!(
        resumption_token(&single).is_none(),
        "a complete list carries no token"
    );

    // POST works as GET.
    let (status, _, body) = http(
        Method::POST,
        &repo.server.url("/oai"),
        &[],
        Some((
            "application/x-www-form-urlencoded",
            b"verb=Identify".to_vec(),
        )),
    )
    .unwrap();
    assert_eq!(status, 200);
    assert!(
        String::from_utf8_lossy(&body).contains("<repositoryName>Test repository</repositoryName>")
    );

    // The protocol's errors.
    for (query, code) in [
        ("verb=Frobnicate", "badVerb"),
        ("", "badVerb"),
        ("verb=Identify&verb=Identify", "badVerb"),
        ("verb=ListRecords", "badArgument"),
        ("verb=Identify&extra=1", "badArgument"),
        (
            "verb=ListRecords&metadataPrefix=dcat_ap&metadataPrefix=oai_dc",
            "badArgument",
        ),
        (
            "verb=ListRecords&metadataPrefix=dcat_ap&from=2020-01-01&until=2020-01-01T00:00:00Z",
            "badArgument",
        ),
        (
            "verb=ListRecords&metadataPrefix=dcat_ap&from=2021-01-01&until=2020-01-01",
            "badArgument",
        ),
        (
            "verb=ListRecords&metadataPrefix=dcat_ap&from=yesterday",
            "badArgument",
        ),
        (
            "verb=ListRecords&resumptionToken=x&metadataPrefix=dcat_ap",
            "badArgument",
        ),
        (
            "verb=ListRecords&metadataPrefix=marc21",
            "cannotDisseminateFormat",
        ),
        (
            "verb=ListRecords&resumptionToken=garbage",
            "badResumptionToken",
        ),
        ("verb=ListSets&resumptionToken=x", "badResumptionToken"),
        (
            "verb=ListRecords&metadataPrefix=dcat_ap&from=2999-01-01",
            "noRecordsMatch",
        ),
        (
            "verb=ListRecords&metadataPrefix=dcat_ap&set=nope",
            "noRecordsMatch",
        ),
        (
            "verb=GetRecord&metadataPrefix=dcat_ap&identifier=http://elsewhere/record/x/00",
            "idDoesNotExist",
        ),
        (
            "verb=ListMetadataFormats&identifier=urn:nothing",
            "idDoesNotExist",
        ),
    ] {
        let xml = repo.oai(query);
        assert_eq!(error_code(&xml).as_deref(), Some(code), "{query}: {xml}");
        if matches!(code, "badVerb" | "badArgument") {
            assert!(
                xml.contains("<request>"),
                "no arguments echoed for {code}: {xml}"
            );
        }
    }
    repo.check_schema();
    repo.server.stop();
}

#[test]
fn tokens_survive_harvests_and_deletions_are_listed() {
    let repo = Repository::start();
    let first = repo.oai("verb=ListIdentifiers&metadataPrefix=dcat_ap");
    let seen_first: Vec<String> = texts(&first, "identifier");
    assert_eq!(seen_first.len(), 10);
    let token = unescape(&resumption_token(&first).unwrap());
    wait_for_next_second(); // the next changes fall in a later second

    let alpha = repo.change_alpha();
    let changed_at = chrono::Utc::now();
    repo.run_alpha();

    // The token still resumes; with the first page, nothing live is missed, and the deletion
    // and the change are listed.
    let (rest, _) = walk(
        &repo,
        &format!(
            "verb=ListIdentifiers&resumptionToken={}",
            url::form_urlencoded::byte_serialize(token.as_bytes()).collect::<String>()
        ),
    );
    let mut all: BTreeSet<String> = seen_first.iter().cloned().collect();
    all.extend(rest.iter().map(|(i, _)| i.clone()));
    for i in alpha.iter() {
        assert!(all.contains(&item_id(*i)), "dataset {i} was skipped");
    }
    let deleted = item_id(3);
    assert!(
        rest.contains(&(deleted.clone(), true)),
        "the deletion is listed: {rest:?}"
    );
    let changed = item_id(0);
    assert!(
        rest.iter().any(|(i, d)| *i == changed && !d),
        "the changed record is listed after the token"
    );

    // Incremental: only what changed since the second run began.
    let from = changed_at.format("%Y-%m-%dT%H:%M:%SZ").to_string();
    let (since, _) = walk(
        &repo,
        &format!("verb=ListIdentifiers&metadataPrefix=oai_dc&from={from}"),
    );
    let since: BTreeSet<(String, bool)> = since.into_iter().collect();
    let expected: BTreeSet<(String, bool)> = [
        (item_id(0), false),
        (item_id(50), false),
        (deleted.clone(), true),
    ]
    .into();
    assert_eq!(since, expected);

    // A deleted record: a header with status, no metadata.
    let gone = repo.oai(&format!(
        "verb=GetRecord&metadataPrefix=dcat_ap&identifier={deleted}"
    ));
    assert!(
        gone.contains("<header status=\"deleted\">") && !gone.contains("<metadata>"),
        "{gone}"
    );

    // After a restart, the same lists (the order of changes is saved and reloaded).
    let before = walk(&repo, "verb=ListIdentifiers&metadataPrefix=dcat_ap").0;
    repo.check_schema();
    let Repository {
        pages: _pages,
        env,
        server,
        ..
    } = repo;
    server.stop();
    let server = env.serve();
    let repo = Repository {
        pages: _pages,
        env,
        server,
        responses: Default::default(),
    };
    assert_eq!(
        walk(&repo, "verb=ListIdentifiers&metadataPrefix=dcat_ap").0,
        before
    );

    // The dataset comes back: listed live again, its tombstone gone.
    let alpha: Vec<usize> = (0..26).chain([50]).collect();
    repo.pages.serve_catalogue(&catalogue_pages(
        &repo.pages.url(""),
        &alpha,
        10,
        Syntax::Turtle,
        false,
        &|i| if i == 0 { 2 } else { 1 },
    ));
    repo.run_alpha();
    let (now, _) = walk(&repo, "verb=ListIdentifiers&metadataPrefix=dcat_ap");
    assert!(now.contains(&(deleted.clone(), false)));
    assert!(!now.contains(&(deleted, true)));
    let mut counts = std::collections::BTreeMap::new();
    for (i, d) in &now {
        *counts.entry((i.clone(), *d)).or_insert(0) += 1;
    }
    let twice: Vec<_> = counts.iter().filter(|(_, n)| **n > 1).collect();
    assert!(twice.is_empty(), "listed twice: {twice:?}");
    assert_eq!(now.len(), 33, "{now:?}");
    repo.server.stop();
}

#[test]
fn a_real_oai_client_walks_every_record() {
    let Some(python) = python_with("sickle", "the OAI-PMH client check") else {
        return;
    };
    let repo = Repository::start();
    let script =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/clients/oai_walk.py");
    let out = std::process::Command::new(&python)
        .arg(script)
        .args([repo.server.url("/oai").as_str(), "32"])
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{stdout}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        stdout.contains("ListRecords dcat_ap: 32 records")
            && stdout.contains("ListRecords oai_dc: 32 records"),
        "{stdout}"
    );
    repo.server.stop();
}

#[test]
fn tombstones_expire_after_their_retention() {
    let pages = PageServer::start();
    let ids: Vec<usize> = (0..10).collect();
    pages.serve_catalogue(&catalogue_pages(
        &pages.url(""),
        &ids,
        10,
        Syntax::Turtle,
        false,
        &|_| 1,
    ));
    let env = Env::new(&dcat_source("alpha", &pages.url("/catalog.ttl?page=1"), ""));
    // Retention sits in [store], which Env writes: add it there.
    let text = std::fs::read_to_string(&env.config).unwrap();
    std::fs::write(
        &env.config,
        text.replace("[store]\n", "[store]\ntombstone_retention = \"2s\"\n"),
    )
    .unwrap();
    assert_eq!(env.harvest("alpha", &[]).0, 0);
    let kept: Vec<usize> = (0..10).filter(|i| *i != 4).collect();
    pages.serve_catalogue(&catalogue_pages(
        &pages.url(""),
        &kept,
        10,
        Syntax::Turtle,
        false,
        &|_| 1,
    ));
    assert_eq!(env.harvest("alpha", &[]).0, 0);
    // The deletion happened during that run, so before its end.
    let deleted_by = env.runs("alpha")[0].ended.expect("the run ended");

    let key = RecordKey::of(&format!("{DATA}/dataset/4"));
    let deleted = format!("http://127.0.0.1:{}/record/alpha/{key}", env.port);
    let get = |server: &Server| {
        let (_, _, body) = http_get(
            &server.url(&format!(
                "/oai?verb=GetRecord&metadataPrefix=dcat_ap&identifier={deleted}"
            )),
            &[],
        )
        .unwrap();
        String::from_utf8(body).unwrap()
    };
    let server = env.serve();
    let (_, _, identify) = http_get(&server.url("/oai?verb=Identify"), &[]).unwrap();
    assert!(
        String::from_utf8_lossy(&identify).contains("<deletedRecord>transient</deletedRecord>")
    );
    assert!(get(&server).contains("<header status=\"deleted\">"));
    server.stop();

    // Past the 2 s retention.
    wait_for_clock(deleted_by + chrono::Duration::milliseconds(2001));
    let server = env.serve(); // purges at start
    assert_eq!(error_code(&get(&server)).as_deref(), Some("idDoesNotExist"));
    let (_, _, list) = http_get(
        &server.url("/oai?verb=ListIdentifiers&metadataPrefix=dcat_ap"),
        &[],
    )
    .unwrap();
    let list = String::from_utf8(list).unwrap();
    assert_eq!(texts(&list, "identifier").len(), 9);
    assert!(!list.contains("status=\"deleted\""));
    server.stop();
}

/// The same change order serves `/catalog?modified-since=`: incremental consumers of the
/// catalogue learn of changes and deletions too.
#[test]
fn the_catalogue_lists_what_changed_since_a_time_with_tombstones() {
    let repo = Repository::start();
    wait_for_next_second();
    repo.change_alpha();
    let since = chrono::Utc::now().format("%Y-%m-%dT%H:%M:%SZ").to_string();
    repo.run_alpha();

    let url = repo
        .server
        .url(&format!("/catalog.nt?modified-since={since}&pageSize=2"));
    let (status, _, body) = http_get(&url, &[]).unwrap();
    assert_eq!(status, 200);
    let page1 = String::from_utf8(body).unwrap();
    assert!(
        page1.contains("<http://www.w3.org/ns/hydra/core#totalItems> \"3\""),
        "{page1}"
    );
    // The next page keeps the filter.
    let next = format!("modified-since={}", since.replace(':', "%3A"));
    let next_link = page1
        .lines()
        .find(|l| l.contains("hydra/core#next"))
        .expect("a next link");
    assert!(
        next_link.contains(&since) || next_link.contains(&next),
        "{next_link}"
    );
    let (_, _, body) = http_get(
        &repo.server.url(&format!(
            "/catalog.nt?modified-since={since}&pageSize=2&page=2"
        )),
        &[],
    )
    .unwrap();
    let page2 = String::from_utf8(body).unwrap();
    let both = format!("{page1}{page2}");
    let dataset = |i: usize| format!("<{DATA}/dataset/{i}>");
    assert!(both.contains("Dataset 0 v2"), "the changed dataset");
    assert!(both.contains(&dataset(50)), "the new dataset");
    // The deleted one: its tombstone, and no listing as a dataset of the catalogue.
    let record = repo.record_iri("alpha", 3);
    assert!(
        both.contains(&format!("<{record}> <https://w3id.org/alzette/ns#deleted>")),
        "{both}"
    );
    assert!(
        !both.contains(&format!(
            "<http://www.w3.org/ns/dcat#dataset> {}",
            dataset(3)
        )),
        "{both}"
    );
    // Unchanged datasets are not there.
    assert!(!both.contains(&dataset(7)));

    for bad in ["yesterday", "2026-13-01"] {
        let (status, _, body) = http_get(
            &repo.server.url(&format!("/catalog?modified-since={bad}")),
            &[],
        )
        .unwrap();
        assert_eq!(status, 400);
        assert!(String::from_utf8_lossy(&body).contains("modified-since"));
    }
    repo.server.stop();
}
