//! Harvesting DCAT sources with the real binary against HTTP servers on 127.0.0.1.

mod support;

use std::time::Duration;
use support::*;

fn v1(_: usize) -> u32 {
    1
}

fn expected(ids: &[usize]) -> Vec<String> {
    let mut v: Vec<String> = ids
        .iter()
        .map(|i| format!("https://data.example.org/dataset/{i}"))
        .collect();
    v.sort();
    v
}

#[test]
fn paged_catalogues_in_all_four_syntaxes() {
    let server = PageServer::start();
    let ids: Vec<usize> = (0..25).collect();
    for syntax in Syntax::ALL {
        for legacy in [false, true] {
            let pages = catalogue_pages(&server.url(""), &ids, 10, syntax, legacy, &v1);
            server.serve_catalogue(&pages);
            let env = Env::new(&dcat_source(
                "s",
                &server.url(&format!("/catalog.{}?page=1", syntax.ext())),
                "",
            ));
            let h = env.harvest_json("s", &[]);
            assert_eq!(h.code, 0, "{syntax:?} legacy={legacy}: {h}");
            assert_eq!(h.run.pages, 3, "{syntax:?}: {h}");
            assert_eq!(h.tally(), [25, 0, 0, 0, 0], "{syntax:?}: {h}");
            assert_eq!((h.run.announced, h.run.received), (Some(25), 25), "{h}");
            let store = env.store();
            assert_eq!(stored_resources(&store, "s"), expected(&ids), "{syntax:?}");
            // Each record carries its distribution, contact point and period.
            let dist = select(
                &store,
                "SELECT ?u WHERE { <https://data.example.org/dataset/7> <http://www.w3.org/ns/dcat#distribution>/<http://www.w3.org/ns/dcat#accessURL> ?u }",
            );
            assert_eq!(dist, vec!["https://data.example.org/files/7.csv"]);
            let contact = select(
                &store,
                "SELECT ?n WHERE { GRAPH ?g { <https://data.example.org/dataset/7> <http://www.w3.org/ns/dcat#contactPoint> ?c . ?c <http://www.w3.org/2006/vcard/ns#fn> ?n } }",
            );
            assert_eq!(
                contact,
                vec!["Desk 1"],
                "the contact point is in the record's own graph"
            );
        }
    }
}

#[test]
fn unchanged_reharvest_rewrites_nothing() {
    let server = PageServer::start();
    let ids: Vec<usize> = (0..12).collect();
    server.serve_catalogue(&catalogue_pages(
        &server.url(""),
        &ids,
        5,
        Syntax::Turtle,
        false,
        &v1,
    ));
    let env = Env::new(&dcat_source("s", &server.url("/catalog.ttl?page=1"), ""));
    assert_eq!(env.harvest("s", &[]).0, 0);
    let before = modified_times(&env.store());
    assert_eq!(before.len(), 12);
    // A rewrite from now on would show in dct:modified (milliseconds).
    wait_for_clock(chrono::Utc::now() + chrono::Duration::milliseconds(2));

    // The same bytes: the pages are known, nothing is parsed again.
    let h = env.harvest_json("s", &[]);
    assert_eq!(h.code, 0, "{h}");
    assert!(
        h.run.counts.added == 0
            && h.run.counts.updated == 0
            && h.run.counts.unchanged == 12
            && h.run.counts.deleted == 0,
        "{h}"
    );
    assert_eq!(
        modified_times(&env.store()),
        before,
        "dct:modified must not move"
    );

    // The same content in another syntax at the same URLs, blank nodes labelled otherwise:
    // every record is compared by its canonical hash, and none is rewritten.
    let as_ntriples: Vec<_> =
        catalogue_pages(&server.url(""), &ids, 5, Syntax::NTriples, false, &v1)
            .into_iter()
            .map(|(p, mut page)| {
                page.body = String::from_utf8(page.body)
                    .unwrap()
                    .replace(".nt?page", ".ttl?page")
                    .into_bytes();
                (p.replace(".nt?", ".ttl?"), page)
            })
            .collect();
    server.serve_catalogue(&as_ntriples);
    let h = env.harvest_json("s", &[]);
    assert_eq!(h.code, 0, "{h}");
    assert!(
        h.run.counts.added == 0
            && h.run.counts.updated == 0
            && h.run.counts.unchanged == 12
            && h.run.counts.deleted == 0,
        "{h}"
    );
    assert_eq!(
        modified_times(&env.store()),
        before,
        "dct:modified must not move"
    );

    // One dataset changes: only it is rewritten.
    server.serve_catalogue(&catalogue_pages(
        &server.url(""),
        &ids,
        5,
        Syntax::Turtle,
        false,
        &|i| if i == 3 { 2 } else { 1 },
    ));
    let h = env.harvest_json("s", &[]);
    assert!(
        h.run.counts.added == 0
            && h.run.counts.updated == 1
            && h.run.counts.unchanged == 11
            && h.run.counts.deleted == 0,
        "{h}"
    );
    let after = modified_times(&env.store());
    let changed: Vec<_> = after
        .iter()
        .zip(&before)
        .filter(|(a, b)| a != b)
        .map(|(a, _)| a.0.clone())
        .collect();
    assert_eq!(
        changed,
        vec!["<https://data.example.org/dataset/3>".to_owned()]
    );
    let issued = select(
        &env.store(),
        "SELECT ?i WHERE { GRAPH ?g { ?g <http://xmlns.com/foaf/0.1/primaryTopic> <https://data.example.org/dataset/3> ; <http://purl.org/dc/terms/issued> ?i } }",
    );
    assert_eq!(issued.len(), 1, "dct:issued is kept when a record changes");
}

#[test]
fn conditional_get_skips_unchanged_pages() {
    let server = PageServer::start();
    let ids: Vec<usize> = (0..9).collect();
    let pages: Vec<_> = catalogue_pages(&server.url(""), &ids, 3, Syntax::Turtle, false, &v1)
        .into_iter()
        .map(|(p, page)| (p, page.with_etag()))
        .collect();
    server.serve_catalogue(&pages);
    let env = Env::new(&dcat_source("s", &server.url("/catalog.ttl?page=1"), ""));
    assert_eq!(env.harvest("s", &[]).0, 0);
    assert_eq!(server.not_modified(), 0);
    let h = env.harvest_json("s", &[]);
    assert_eq!(h.code, 0, "{h}");
    assert_eq!(server.not_modified(), 3, "every page answered 304");
    assert!(
        h.run.pages == 3
            && h.run.counts.added == 0
            && h.run.counts.updated == 0
            && h.run.counts.unchanged == 9
            && h.run.counts.deleted == 0,
        "{h}"
    );
    // A changed dataset changes its page's ETag: that page is read again, the others are not.
    let pages: Vec<_> = catalogue_pages(&server.url(""), &ids, 3, Syntax::Turtle, false, &|i| {
        if i == 7 { 2 } else { 1 }
    })
    .into_iter()
    .map(|(p, page)| (p, page.with_etag()))
    .collect();
    server.serve_catalogue(&pages);
    let h = env.harvest_json("s", &[]);
    assert_eq!(h.code, 0, "{h}");
    assert_eq!(server.not_modified(), 5);
    assert!(
        h.run.counts.updated == 1 && h.run.counts.unchanged == 8 && h.run.counts.deleted == 0,
        "{h}"
    );

    // A new store with the old run log: the pages' 304s no longer stand for stored records,
    // so the pages are read again.
    std::fs::remove_dir_all(env.path("data/store")).unwrap();
    let h = env.harvest_json("s", &[]);
    assert_eq!(h.code, 0, "{h}");
    assert!(
        h.run.counts.added == 9 && h.run.counts.updated == 0 && h.run.counts.unchanged == 0,
        "{h}"
    );
    assert_eq!(stored_resources(&env.store(), "s").len(), 9);
}

#[test]
fn last_modified_is_sent_back_as_if_modified_since() {
    let server = PageServer::start();
    let ids: Vec<usize> = (0..4).collect();
    let pages: Vec<_> = catalogue_pages(&server.url(""), &ids, 2, Syntax::Turtle, false, &v1)
        .into_iter()
        .map(|(p, page)| (p, page.with_last_modified("Wed, 25 Nov 2026 10:00:00 GMT")))
        .collect();
    server.serve_catalogue(&pages);
    let env = Env::new(&dcat_source("s", &server.url("/catalog.ttl?page=1"), ""));
    assert_eq!(env.harvest("s", &[]).0, 0);
    let h = env.harvest_json("s", &[]);
    assert_eq!(h.code, 0, "{h}");
    assert_eq!(server.not_modified(), 2, "both pages answered 304");
    assert!(h.run.counts.unchanged == 4, "{h}");
}

#[test]
fn known_pages_without_validators_are_not_parsed_again_unless_the_store_lost_them() {
    let server = PageServer::start();
    let ids: Vec<usize> = (0..6).collect();
    server.serve_catalogue(&catalogue_pages(
        &server.url(""),
        &ids,
        3,
        Syntax::Turtle,
        false,
        &v1,
    ));
    let env = Env::new(&dcat_source("s", &server.url("/catalog.ttl?page=1"), ""));
    assert_eq!(env.harvest("s", &[]).0, 0);
    let h = env.harvest_json("s", &[]);
    assert!(
        h.run.pages == 2
            && h.run.counts.added == 0
            && h.run.counts.updated == 0
            && h.run.counts.unchanged == 6,
        "{h}"
    );
    // One record graph disappears behind Alzette's back: its page is read again.
    {
        let store = env.store();
        let key = store.record_keys("s")[0];
        store.delete("s", &[key].into()).unwrap();
    }
    let h = env.harvest_json("s", &[]);
    assert_eq!(h.code, 0, "{h}");
    assert!(
        h.run.counts.added == 1 && h.run.counts.updated == 0 && h.run.counts.unchanged == 5,
        "{h}"
    );
    assert_eq!(env.store().count(Some("s")), 6);
}

#[test]
fn removed_datasets_are_deleted_after_a_complete_walk() {
    let server = PageServer::start();
    let ids: Vec<usize> = (0..20).collect();
    server.serve_catalogue(&catalogue_pages(
        &server.url(""),
        &ids,
        5,
        Syntax::Turtle,
        false,
        &v1,
    ));
    let env = Env::new(&dcat_source("s", &server.url("/catalog.ttl?page=1"), ""));
    assert_eq!(env.harvest("s", &[]).0, 0);
    let fewer: Vec<usize> = ids
        .iter()
        .copied()
        .filter(|i| *i != 4 && *i != 17)
        .collect();
    for p in 1..=4 {
        server.remove(&format!("/catalog.ttl?page={p}"));
    }
    server.serve_catalogue(&catalogue_pages(
        &server.url(""),
        &fewer,
        5,
        Syntax::Turtle,
        false,
        &v1,
    ));
    let h = env.harvest_json("s", &[]);
    assert_eq!(h.code, 0, "{h}");
    assert!(h.run.counts.deleted == 2, "{h}");
    let store = env.store();
    assert_eq!(stored_resources(&store, "s"), expected(&fewer));
    // The record graphs are gone, not only the listing.
    let left = select(
        &store,
        "SELECT ?g WHERE { GRAPH ?g { <https://data.example.org/dataset/4> ?p ?o } }",
    );
    assert!(left.is_empty(), "{left:?}");
}

#[test]
fn a_page_failing_mid_walk_deletes_nothing() {
    let server = PageServer::start();
    let ids: Vec<usize> = (0..15).collect();
    server.serve_catalogue(&catalogue_pages(
        &server.url(""),
        &ids,
        5,
        Syntax::Turtle,
        false,
        &v1,
    ));
    let env = Env::new(&dcat_source("s", &server.url("/catalog.ttl?page=1"), ""));
    assert_eq!(env.harvest("s", &[]).0, 0);

    // Page 2 now fails; datasets of page 1 changed meanwhile.
    server.serve_catalogue(&catalogue_pages(
        &server.url(""),
        &ids,
        5,
        Syntax::Turtle,
        false,
        &|i| if i < 5 { 2 } else { 1 },
    ));
    server.set("/catalog.ttl?page=2", Page::status(500));
    let h = env.harvest_json("s", &[]);
    assert_eq!(h.code, 3, "ok-with-errors exits 3: {h}");
    assert!(h.says("ok-with-errors"), "{h}");
    assert!(
        h.says("catalog.ttl?page=2") && h.says("HTTP 500"),
        "the cause is named: {h}"
    );
    assert!(h.says("nothing was deleted"), "{h}");
    assert!(h.run.counts.updated == 5, "page 1 was still taken: {h}");
    assert_eq!(
        stored_resources(&env.store(), "s"),
        expected(&ids),
        "datasets of pages 2 and 3 are kept"
    );
}

#[test]
fn hydra_loops_end_the_walk_with_an_error() {
    let server = PageServer::start();
    let ids: Vec<usize> = (0..6).collect();
    let env = Env::new(&dcat_source("s", &server.url("/catalog.ttl?page=1"), ""));
    // A first complete harvest.
    server.serve_catalogue(&catalogue_pages(
        &server.url(""),
        &ids,
        2,
        Syntax::Turtle,
        false,
        &v1,
    ));
    assert_eq!(env.harvest("s", &[]).0, 0);

    // Page 3 points back at page 1.
    let mut pages = catalogue_pages(&server.url(""), &ids, 2, Syntax::Turtle, false, &v1);
    let p3 = String::from_utf8(pages[2].1.body.clone()).unwrap();
    let looped = p3.replace(
        " ; hydra:last",
        &format!(
            " ; hydra:next <{}> ; hydra:last",
            server.url("/catalog.ttl?page=1")
        ),
    );
    pages[2].1.body = looped.into_bytes();
    server.serve_catalogue(&pages);
    let (code, out) = env.harvest("s", &[]);
    assert_eq!(code, 3, "{out}");
    assert!(
        out.contains("paging loop: this page was already fetched"),
        "{out}"
    );
    assert_eq!(
        server.hits("/catalog.ttl?page=1"),
        2,
        "page 1 is fetched once per run, not again"
    );
    assert_eq!(stored_resources(&env.store(), "s"), expected(&ids));

    // A page that points at itself.
    let mut pages = catalogue_pages(&server.url(""), &ids, 2, Syntax::Turtle, false, &v1);
    let p2 = String::from_utf8(pages[1].1.body.clone()).unwrap();
    pages[1].1.body = p2
        .replace("catalog.ttl?page=3", "catalog.ttl?page=2")
        .into_bytes();
    server.serve_catalogue(&pages);
    let (code, out) = env.harvest("s", &[]);
    assert_eq!(code, 3, "{out}");
    assert!(out.contains("paging loop"), "{out}");

    // Another URL with the same content as an earlier page.
    let pages = catalogue_pages(&server.url(""), &ids, 2, Syntax::Turtle, false, &v1);
    server.serve_catalogue(&pages);
    let p2 = pages[1].1.body.clone();
    let p2 = String::from_utf8(p2)
        .unwrap()
        .replace("catalog.ttl?page=3", "catalog.ttl?page=2&again=1");
    server.set("/catalog.ttl?page=2", Page::ok("text/turtle", p2.clone()));
    server.set("/catalog.ttl?page=2&again=1", Page::ok("text/turtle", p2));
    let (code, out) = env.harvest("s", &[]);
    assert_eq!(code, 3, "{out}");
    assert!(
        out.contains("repeats the content of an earlier page"),
        "{out}"
    );
}

#[test]
fn the_page_limit_stops_the_walk() {
    let server = PageServer::start();
    let ids: Vec<usize> = (0..10).collect();
    server.serve_catalogue(&catalogue_pages(
        &server.url(""),
        &ids,
        2,
        Syntax::Turtle,
        false,
        &v1,
    ));
    let env = Env::new(&dcat_source(
        "s",
        &server.url("/catalog.ttl?page=1"),
        "max_pages = 3",
    ));
    let (code, out) = env.harvest("s", &[]);
    assert_eq!(code, 3, "{out}");
    assert!(out.contains("after 3 pages (limit max_pages)"), "{out}");
    assert_eq!(server.hits("/catalog.ttl?page=4"), 0);
    assert_eq!(env.store().count(Some("s")), 6);
}

#[test]
fn the_shrink_guard_holds_and_can_be_overridden() {
    let server = PageServer::start();
    let ids: Vec<usize> = (0..10).collect();
    server.serve_catalogue(&catalogue_pages(
        &server.url(""),
        &ids,
        10,
        Syntax::Turtle,
        false,
        &v1,
    ));
    let env = Env::new(&dcat_source("s", &server.url("/catalog.ttl?page=1"), ""));
    assert_eq!(env.harvest("s", &[]).0, 0);

    // The source suddenly answers an empty catalogue.
    server.serve_catalogue(&catalogue_pages(
        &server.url(""),
        &[],
        10,
        Syntax::Turtle,
        false,
        &v1,
    ));
    let (code, out) = env.harvest("s", &[]);
    assert_eq!(code, 3, "{out}");
    assert!(
        out.contains("shrink guard: 10 of the source's 10 records (100%)"),
        "{out}"
    );
    assert!(
        out.contains("--allow-shrink"),
        "the message says what to do: {out}"
    );
    assert_eq!(env.store().count(Some("s")), 10, "nothing deleted");

    // Three of ten gone is 30% > 20%: held too. Two of ten is within the limit.
    let seven: Vec<usize> = (0..7).collect();
    server.serve_catalogue(&catalogue_pages(
        &server.url(""),
        &seven,
        10,
        Syntax::Turtle,
        false,
        &v1,
    ));
    let (_, out) = env.harvest("s", &[]);
    assert!(
        out.contains("shrink guard: 3 of the source's 10 records (30%)"),
        "{out}"
    );
    let eight: Vec<usize> = (0..8).collect();
    server.serve_catalogue(&catalogue_pages(
        &server.url(""),
        &eight,
        10,
        Syntax::Turtle,
        false,
        &v1,
    ));
    let h = env.harvest_json("s", &[]);
    assert_eq!(h.code, 0, "{h}");
    assert!(h.run.counts.deleted == 2, "{h}");

    // The operator accepts the shrink.
    server.serve_catalogue(&catalogue_pages(
        &server.url(""),
        &[1],
        10,
        Syntax::Turtle,
        false,
        &v1,
    ));
    let h = env.harvest_json("s", &["--allow-shrink"]);
    assert_eq!(h.code, 0, "{h}");
    assert!(h.run.counts.deleted == 7, "{h}");
    assert_eq!(stored_resources(&env.store(), "s"), expected(&[1]));
}

#[test]
fn dry_run_prints_the_plan_and_writes_nothing() {
    let server = PageServer::start();
    let ids: Vec<usize> = (0..5).collect();
    server.serve_catalogue(&catalogue_pages(
        &server.url(""),
        &ids,
        10,
        Syntax::Turtle,
        false,
        &v1,
    ));
    let env = Env::new(&dcat_source("s", &server.url("/catalog.ttl?page=1"), ""));
    assert_eq!(env.harvest("s", &[]).0, 0);
    let runs_before = String::from_utf8(env.run(&["runs"]).stdout).unwrap();

    let changed: Vec<usize> = vec![0, 1, 2, 3, 9];
    server.serve_catalogue(&catalogue_pages(
        &server.url(""),
        &changed,
        10,
        Syntax::Turtle,
        false,
        &|i| if i == 2 { 5 } else { 1 },
    ));
    let (code, out) = env.harvest("s", &["--dry-run"]);
    assert_eq!(code, 0, "{out}");
    assert!(
        out.contains("would add 1:\n  <https://data.example.org/dataset/9>"),
        "{out}"
    );
    assert!(
        out.contains("would update 1:\n  <https://data.example.org/dataset/2>"),
        "{out}"
    );
    assert!(
        out.contains("would delete 1:\n  <https://data.example.org/dataset/4>"),
        "{out}"
    );
    assert_eq!(
        stored_resources(&env.store(), "s"),
        expected(&ids),
        "nothing written"
    );
    let runs_after = String::from_utf8(env.run(&["runs"]).stdout).unwrap();
    assert_eq!(runs_before, runs_after, "a dry run is not logged");
}

#[test]
fn bad_input_fails_with_its_cause_and_keeps_earlier_records() {
    let server = PageServer::start();
    let ids: Vec<usize> = (0..4).collect();
    let good = catalogue_pages(&server.url(""), &ids, 10, Syntax::Turtle, false, &v1);
    let env = Env::new(&dcat_source(
        "s",
        &server.url("/catalog.ttl?page=1"),
        "max_body_size = \"64KiB\"\nrequest_timeout = \"1s\"",
    ));
    server.serve_catalogue(&good);
    assert_eq!(env.harvest("s", &[]).0, 0);

    let cases: Vec<(Page, &str)> = vec![
        (
            Page::ok("text/html", "<html><body>Maintenance</body></html>"),
            "it is an HTML page, not RDF: probably the portal's landing page",
        ),
        (
            Page::ok(
                "application/xml",
                "<?xml version=\"1.0\"?>\n<gmd:MD_Metadata xmlns:gmd=\"http://www.isotc211.org/2005/gmd\"><gmd:fileIdentifier/></gmd:MD_Metadata>",
            ),
            "it is ISO 19139 metadata, not DCAT: harvest it with kind = \"iso19139\"",
        ),
        (
            Page::ok(
                "text/turtle",
                "@prefix dcat: <http://www.w3.org/ns/dcat#> .\n<a> a dcat:Dataset ; dcat:keyword \"unterminated .",
            ),
            "not valid Turtle",
        ),
        (Page::status(404), "HTTP 404"),
        (
            Page::ok("text/turtle", vec![b'#'; 200_000]),
            "larger than 65536 bytes (limit max_body_size)",
        ),
        (
            good[0].1.clone().with_delay(Duration::from_secs(3)),
            "timed out (limit request_timeout)",
        ),
    ];
    for (page, cause) in cases {
        server.set("/catalog.ttl?page=1", page);
        let (code, out) = env.harvest("s", &[]);
        assert_eq!(code, 1, "a run that read no page fails: {out}");
        assert!(out.contains(": failed"), "{out}");
        assert!(out.contains(cause), "expected «{cause}» in: {out}");
        assert!(
            out.contains(&server.url("/catalog.ttl?page=1")),
            "the page is named: {out}"
        );
        assert_eq!(
            stored_resources(&env.store(), "s"),
            expected(&ids),
            "earlier records untouched ({cause})"
        );
    }
    let runs = String::from_utf8(env.run(&["runs", "s", "--errors"]).stdout).unwrap();
    assert!(
        runs.contains("[fetch]") && runs.contains("[parse]"),
        "{runs}"
    );

    // No Content-Type that says RDF, no extension, content that is not RDF.
    server.set(
        "/data",
        Page::ok(
            "application/octet-stream",
            vec![0u8, 159, 146, 150, 1, 2, 3],
        ),
    );
    let env = Env::new(&dcat_source("t", &server.url("/data"), ""));
    let (code, out) = env.harvest("t", &[]);
    assert_eq!(code, 1, "{out}");
    assert!(
        out.contains("cannot tell the RDF syntax") && out.contains("set format"),
        "{out}"
    );
}

#[test]
fn a_wrong_record_is_reported_and_the_others_are_stored() {
    let server = PageServer::start();
    let mut ttl = String::from(PREFIXES);
    for i in 0..3 {
        ttl.push_str(&dataset_turtle("https://data.example.org", i, 1));
    }
    // A dataset with far too many keywords for max_record_triples.
    ttl.push_str("<https://data.example.org/dataset/huge> a dcat:Dataset ; dct:title \"Huge\"");
    for k in 0..200 {
        ttl.push_str(&format!(" ; dcat:keyword \"k{k}\""));
    }
    ttl.push_str(" .\n");
    server.set("/c.ttl", Page::ok("text/turtle", ttl));
    let env = Env::new(&dcat_source(
        "s",
        &server.url("/c.ttl"),
        "max_record_triples = 100",
    ));
    let h = env.harvest_json("s", &[]);
    assert_eq!(h.code, 3, "{h}");
    assert!(h.run.counts.added == 3 && h.run.counts.failed == 1, "{h}");
    assert!(
        h.says("\"Huge\"") && h.says("max_record_triples"),
        "the record and the cause are named: {h}"
    );
}

#[test]
fn blank_node_datasets_get_stable_iris() {
    let server = PageServer::start();
    let page = |label: &str| {
        format!(
            "{PREFIXES}_:{label} a dcat:Dataset ; dct:identifier \"LU/42\" ; dct:title \"No IRI\"@en ; dcat:distribution [ dcat:accessURL <https://e.org/f> ] .\n\
             [] a dcat:Dataset ; dct:title \"No IRI, no identifier\"@en ."
        )
    };
    server.set("/c.ttl", Page::ok("text/turtle", page("first")));
    let env = Env::new(&dcat_source("s", &server.url("/c.ttl"), ""));
    assert_eq!(env.harvest("s", &[]).0, 0);
    let first = stored_resources(&env.store(), "s");
    assert_eq!(first.len(), 2);
    assert!(
        first.contains(&format!("http://127.0.0.1:{}/id/s/LU%2F42", env.port)),
        "{first:?}"
    );
    assert!(
        first.iter().any(|r| r.contains("/id/s/sha256-")),
        "{first:?}"
    );
    server.set("/c.ttl", Page::ok("text/turtle", page("second")));
    let h = env.harvest_json("s", &[]);
    assert!(h.run.counts.unchanged == 2, "{h}");
    assert_eq!(stored_resources(&env.store(), "s"), first);
}

#[test]
fn json_ld_remote_contexts_are_fetched_only_when_allowed() {
    let server = PageServer::start();
    let doc = r#"{"@context": "CONTEXT", "@id": "https://e.org/d1", "@type": "Dataset", "title": "Contexted"}"#;
    let context = r#"{"@context": {"Dataset": "http://www.w3.org/ns/dcat#Dataset", "title": "http://purl.org/dc/terms/title"}}"#;
    let ctx_url = server.url("/context.jsonld");
    server.set(
        "/d.jsonld",
        Page::ok("application/ld+json", doc.replace("CONTEXT", &ctx_url)),
    );
    server.set("/context.jsonld", Page::ok("application/ld+json", context));

    let env = Env::new(&dcat_source("s", &server.url("/d.jsonld"), ""));
    let (code, out) = env.harvest("s", &[]);
    assert_eq!(code, 1, "{out}");
    assert!(
        out.contains("is not allowed") && out.contains("jsonld_contexts"),
        "{out}"
    );
    assert_eq!(server.hits("/context.jsonld"), 0, "never fetched");

    let env = Env::new(&dcat_source(
        "s",
        &server.url("/d.jsonld"),
        &format!("jsonld_contexts = {{ \"{ctx_url}\" = \"{ctx_url}\" }}"),
    ));
    let (code, out) = env.harvest("s", &[]);
    assert_eq!(code, 0, "{out}");
    assert_eq!(
        stored_resources(&env.store(), "s"),
        vec!["https://e.org/d1"]
    );

    // The bundled DCAT-AP 3 context needs no fetching at all.
    let bundled = r#"{"@context": "https://semiceu.github.io/DCAT-AP/releases/3.0.0/context/dcat-ap.jsonld",
        "@id": "https://e.org/d2", "@type": "Dataset", "title": {"@value": "Bundled", "@language": "en"}, "datasetDistribution": {"accessUrl": "https://e.org/f"}}"#;
    server.set("/b.jsonld", Page::ok("application/ld+json", bundled));
    let env = Env::new(&dcat_source("s", &server.url("/b.jsonld"), ""));
    let (code, out) = env.harvest("s", &[]);
    assert_eq!(code, 0, "{out}");
    let urls = select(
        &env.store(),
        "SELECT ?u WHERE { <https://e.org/d2> <http://www.w3.org/ns/dcat#distribution>/<http://www.w3.org/ns/dcat#accessURL> ?u }",
    );
    assert_eq!(urls, vec!["https://e.org/f"]);
}

#[test]
fn next_links_stay_in_the_source_origin_unless_mapped() {
    let server = PageServer::start();
    let ttl = format!(
        "{PREFIXES}<https://e.org/d1> a dcat:Dataset .\n<https://public.example.org/c?page=1> hydra:next <https://public.example.org/c?page=2> .\n"
    );
    let ttl2 = format!("{PREFIXES}<https://e.org/d2> a dcat:Dataset .\n");
    server.set("/c?page=1", Page::ok("text/turtle", ttl));
    server.set("/c?page=2", Page::ok("text/turtle", ttl2));
    let env = Env::new(&dcat_source("s", &server.url("/c?page=1"), ""));
    let (code, out) = env.harvest("s", &[]);
    assert_eq!(code, 3, "{out}");
    assert!(out.contains("leaves the source's origin"), "{out}");
    let env = Env::new(&dcat_source(
        "s",
        &server.url("/c?page=1"),
        &format!(
            "page_url_rewrite = {{ \"https://public.example.org/\" = \"{}/\" }}",
            server.url("")
        ),
    ));
    let (code, out) = env.harvest("s", &[]);
    assert_eq!(code, 0, "{out}");
    assert_eq!(
        stored_resources(&env.store(), "s"),
        vec!["https://e.org/d1", "https://e.org/d2"]
    );
}

#[test]
fn unknown_sources_and_bad_configurations_are_refused() {
    let env = Env::new(&dcat_source("s", "https://e.org/c.ttl", ""));
    let out = env.run(&["harvest", "nope"]);
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("there is no source \"nope\"") && err.contains("sources: s"),
        "{err}"
    );

    std::fs::write(&env.config, "[[source]]\nid = \"a\"\nkind = \"dcat\"\nurl = \"https://e.org/\"\nschedule = \"61 * * * *\"\n").unwrap();
    for args in [&["check-config"][..], &["serve"], &["harvest", "a"]] {
        let out = env.run(args);
        assert_eq!(out.status.code(), Some(2), "{args:?}");
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(
            err.contains(&format!(
                "{}:5: key `source[0].schedule`",
                env.config.display()
            )),
            "{args:?}: {err}"
        );
    }
    // A file source in a folder that is not there, and an empty file: refused at start too.
    std::fs::write(
        &env.config,
        "[[source]]\nid = \"a\"\nkind = \"dcat\"\nurl = \"exports/c.ttl\"\nschedule = \"@daily\"\n",
    )
    .unwrap();
    let out = env.run(&["check-config"]);
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains(":4: key `source[0].url`") && err.contains("exports does not exist"),
        "{err}"
    );
    // With the folder there, the file may come later: accepted, with a note.
    std::fs::create_dir(env.path("exports")).unwrap();
    let out = env.run(&["check-config"]);
    assert_eq!(out.status.code(), Some(0));
    let said = String::from_utf8_lossy(&out.stdout);
    assert!(
        said.contains("c.ttl does not exist yet; its runs fail until it does"),
        "{said}"
    );
    std::fs::write(&env.config, "# to do\n").unwrap();
    let out = env.run(&["serve"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("the file sets nothing"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );

    let good = Env::new(&dcat_source("s", "https://e.org/c.ttl", ""));
    let out = good.run(&["check-config"]);
    assert_eq!(out.status.code(), Some(0));
    assert!(String::from_utf8_lossy(&out.stdout).contains("OK — 1 sources (1 enabled)"));

    // `alzette check-config | head -1`, with the reader gone before anything is written: the
    // command ends as it would have, with no panic.
    for args in [&["check-config"][..], &["sources"], &["runs"]] {
        let (reader, writer) = std::io::pipe().unwrap();
        drop(reader);
        let out = good
            .command(args)
            .stdout(writer)
            .stderr(std::process::Stdio::piped())
            .output()
            .unwrap();
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(0), "{args:?}: {err}");
        assert!(
            !err.contains("panicked") && !err.contains("Broken pipe"),
            "{args:?}: {err}"
        );
    }
}

#[test]
fn gzip_encoded_pages_are_read() {
    use std::io::Write;
    let server = PageServer::start();
    let ids: Vec<usize> = (0..3).collect();
    let (path, page) =
        catalogue_pages(&server.url(""), &ids, 10, Syntax::Turtle, false, &v1).remove(0);
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    gz.write_all(&page.body).unwrap();
    let mut compressed = Page::ok("text/turtle", gz.finish().unwrap());
    compressed.content_encoding = Some("gzip".into());
    server.set(&path, compressed);
    let env = Env::new(&dcat_source("s", &server.url(&path), ""));
    let h = env.harvest_json("s", &[]);
    assert_eq!(h.code, 0, "{h}");
    assert!(h.run.counts.added == 3, "{h}");
}
