//! Every DCAT file of the shared fixtures harvests (`../shared/fixtures/dcat/`). Skipped, with a
//! notice, when the shared folder is absent.

mod support;

use std::path::Path;
use support::*;

/// Records each file yields: its resources typed dcat:Dataset, dcat:DataService or
/// dcat:DatasetSeries, plus untyped ones a catalogue lists (counted independently with rdflib
/// 7.6 when this test was written).
const FILES: &[(&str, usize)] = &[
    ("ckanext-dcat-catalog.rdf", 2),
    ("ckanext-dcat-catalog_with_at_graph.jsonld", 1),
    ("ckanext-dcat-dataset_gob_es.ttl", 1),
    ("ckanext-dcat-dataset_gov_de.rdf", 1),
    ("ckanext-dcat-dataset_multilingual.ttl", 1),
    ("ckanext-dcat-dataset_sweden.rdf", 1),
    ("geodcat-ap-2.0.0-catalogue-record.rdf", 0),
    ("geodcat-ap-2.0.0-data-service.rdf", 1),
    ("geodcat-ap-2.0.0-dataset.jsonld", 2),
    ("geodcat-ap-2.0.0-dataset.rdf", 2),
    ("geodcat-ap-2.0.0-dataset.ttl", 2),
    (
        "semic-3.0.1-bee-population-dataset-series-combined.jsonld",
        6,
    ),
    ("semic-hvd-ms_catalogue.jsonld", 2),
    ("semic-hvd-ms_catalogue.ttl", 2),
    ("semic-hvd-ms_catalogue_hvd.ttl", 2),
];

const BEE_CONTEXT: &str = "https://semiceu.github.io/uri.semic.eu-generated/DCAT-AP/releases/3.0.0/html/examples/context.jsonld";

fn source(id: &str, url: &str, extra: &str) -> String {
    dcat_source(id, url, extra)
}

#[test]
fn every_dcat_fixture_harvests() {
    let Some(fixtures) = shared_fixtures("every_dcat_fixture_harvests") else {
        return;
    };
    let dir = fixtures.join("dcat");
    let listed: Vec<String> = std::fs::read_dir(&dir)
        .unwrap()
        .filter_map(|e| e.ok())
        .filter(|e| e.path().is_file())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| !n.starts_with("constructed-hydra"))
        .collect();
    for name in &listed {
        assert!(
            FILES.iter().any(|(f, _)| f == name),
            "a new fixture file {name} is not covered here"
        );
    }
    // One source per file, all in one configuration; the example context is mapped to its copy.
    let mut sources = String::new();
    for (i, (file, _)) in FILES.iter().enumerate() {
        let extra = if file.contains("bee-population") {
            let ctx = dir.join("contexts/semic-3.0.1-examples-context.jsonld");
            format!(
                "jsonld_contexts = {{ \"{BEE_CONTEXT}\" = \"{}\" }}",
                ctx.display()
            )
        } else {
            String::new()
        };
        sources.push_str(&source(
            &format!("f{i}"),
            &dir.join(file).display().to_string(),
            &extra,
        ));
    }
    let env = Env::new(&sources);
    for (i, (file, expected)) in FILES.iter().enumerate() {
        let h = env.harvest_json(&format!("f{i}"), &[]);
        assert_eq!(h.code, 0, "{file}: {h}");
        assert_eq!(
            h.run.counts.added, *expected as u64,
            "{file}: expected {expected} records: {h}"
        );
    }
    // The same graph in two syntaxes (the HVD example, isomorphic per rdflib) gives the same
    // records with the same content hashes. (The GeoDCAT-AP example's three files differ in
    // literal whitespace and in "10" vs "10.0", so their hashes rightly differ.)
    let store = env.store();
    let hashes = |source: &str| {
        select(
            &store,
            &format!(
                "SELECT ?h WHERE {{ GRAPH ?g {{ <http://127.0.0.1:{}/catalog/{source}> <http://www.w3.org/ns/dcat#record> ?g . ?g <https://w3id.org/alzette/ns#contentHash> ?h }} }}",
                env.port
            ),
        )
    };
    let ttl = hashes("f13");
    assert_eq!(ttl.len(), 2);
    assert_eq!(hashes("f12"), ttl, "JSON-LD and Turtle");
    assert_ne!(
        hashes("f10"),
        hashes("f9"),
        "GeoDCAT-AP Turtle and RDF/XML differ in content"
    );
}

#[test]
fn the_invalid_fixture_is_refused_with_its_line() {
    let Some(fixtures) = shared_fixtures("the_invalid_fixture_is_refused_with_its_line") else {
        return;
    };
    let file = fixtures.join("dcat/invalid/semic-3.0.1-bee-population-dataset-series-combined.ttl");
    let env = Env::new(&source("bad", &file.display().to_string(), ""));
    let (code, out) = env.harvest("bad", &[]);
    assert_eq!(code, 1, "{out}");
    assert!(
        out.contains("not valid Turtle") && out.contains("line 32"),
        "{out}"
    );
}

#[test]
fn both_hydra_fixture_pairs_give_three_datasets() {
    let Some(fixtures) = shared_fixtures("both_hydra_fixture_pairs_give_three_datasets") else {
        return;
    };
    let server = PageServer::start();
    let dir = fixtures.join("dcat");
    let serve = |path: &str, file: &str, media: &str| {
        server.set(
            path,
            Page::ok(media, std::fs::read(Path::new(&dir).join(file)).unwrap()),
        );
    };
    serve(
        "/catalog.rdf?page=1",
        "constructed-hydra-paged-page1.rdf",
        "application/rdf+xml",
    );
    serve(
        "/catalog.rdf?page=2",
        "constructed-hydra-paged-page2.rdf",
        "application/rdf+xml",
    );
    serve(
        "/catalog.ttl?page=1",
        "constructed-hydra-partialview-page1.ttl",
        "text/turtle",
    );
    serve(
        "/catalog.ttl?page=2",
        "constructed-hydra-partialview-page2.ttl",
        "text/turtle",
    );
    // The pages link to their public address; the rewrite maps it to the test server.
    let rewrite = format!(
        "page_url_rewrite = {{ \"https://catalog.example.org/\" = \"{}/\" }}",
        server.url("")
    );
    let sources = format!(
        "{}{}",
        source("legacy", &server.url("/catalog.rdf?page=1"), &rewrite),
        source("current", &server.url("/catalog.ttl?page=1"), &rewrite)
    );
    let env = Env::new(&sources);
    for id in ["legacy", "current"] {
        let h = env.harvest_json(id, &[]);
        assert_eq!(h.code, 0, "{id}: {h}");
        assert!(h.run.pages == 2 && h.run.counts.added == 3, "{id}: {h}");
        assert_eq!(h.run.announced, Some(3), "{id}: {h}");
    }
    let store = env.store();
    assert_eq!(
        stored_resources(&store, "legacy"),
        stored_resources(&store, "current")
    );
    assert_eq!(server.hits("/catalog.rdf?page=2"), 1);
}
