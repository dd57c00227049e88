//! Federation: the same resources from several sources (by IRI, by a DOI in
//! `adms:identifier`, by an ISO resource identifier) are published once, from the source with
//! precedence; the others take over when it drops them; a source cannot write about another
//! source's records or Alzette's catalogue.

mod support;

use alzette_dcat::RecordKey;
use oxigraph::io::RdfFormat;
use oxigraph::model::Graph;
use std::collections::BTreeSet;
use support::*;

const DATA: &str = "https://data.example.lu";

/// A Turtle page as a graph.
fn parse_turtle(body: &[u8], base: &str) -> Graph {
    parse(body, RdfFormat::Turtle, base)
}

const ADMS: &str = "@prefix adms: <http://www.w3.org/ns/adms#> .\n@prefix skos: <http://www.w3.org/2004/02/skos/core#> .\n";

/// The national portal's page: the shared datasets 0..7 (version 1), a copy of a DOI-named
/// dataset under its own IRI, a copy of the geoportal's watercourses named by its ISO
/// identifier (written with a trailing `/`), three of its own; and triples about another
/// source's record and about Alzette's catalogue.
fn portal_page(base: &str, shared: &[usize]) -> String {
    let mut page = format!("{PREFIXES}{ADMS}");
    for i in shared.iter().copied().chain(20..23) {
        page.push_str(&dataset_turtle(DATA, i, 1));
    }
    page.push_str(&format!(
        r#"<https://portal.example/ds/doi> a dcat:Dataset ; dct:title "Rainfall (portal copy)"@en ;
    adms:identifier [ a adms:Identifier ; skos:notation "https://doi.org/10.5281/ZENODO.77" ] .
<https://portal.example/ds/wc> a dcat:Dataset ; dct:title "Watercourses (portal copy)"@en ;
    dct:identifier "https://water.example.lu/registry/WC-2019/" .
<{DATA}/dataset/20> foaf:isPrimaryTopicOf <{base}record/geo/00112233445566778899aabbccddeeff> ;
    dct:isPartOf <{base}catalog> .
<{base}record/geo/00112233445566778899aabbccddeeff> foaf:primaryTopic <https://phish.example/ds3> .
<{base}catalog> dct:title "pwned"@en .
"#
    ));
    page
}

/// The geoportal's DCAT page: the shared datasets (version 2), the DOI dataset under its own
/// IRI, two of its own.
fn geo_page(shared: &[usize]) -> String {
    let mut page = format!("{PREFIXES}{ADMS}");
    for i in shared.iter().copied().chain(30..32) {
        page.push_str(&dataset_turtle(DATA, i, 2));
    }
    page.push_str(
        r#"<https://geo.example/ds/doi> a dcat:Dataset ; dct:title "Rainfall"@en ;
    adms:identifier [ a adms:Identifier ; skos:notation "doi:10.5281/zenodo.77" ] .
"#,
    );
    page
}

/// Every page of the federation catalogue: (datasets listed, totalItems, the graph of every
/// page merged).
fn walk_catalogue(server: &Server, port: u16) -> (Vec<String>, String, Graph) {
    let catalog = format!("http://127.0.0.1:{port}/catalog");
    let mut url = server.url("/catalog");
    let mut seen = Vec::new();
    let mut total;
    let mut all = Graph::new();
    loop {
        let (status, _, body) = http_get(&url, &[("accept", "text/turtle")]).unwrap();
        assert_eq!(status, 200, "{url}");
        let g = parse_turtle(&body, &url);
        seen.extend(objects(&g, &catalog, "http://www.w3.org/ns/dcat#dataset"));
        seen.extend(objects(&g, &catalog, "http://www.w3.org/ns/dcat#service"));
        total = objects(&g, &catalog, "http://www.w3.org/ns/hydra/core#totalItems")[0].clone();
        let view = objects(&g, &catalog, "http://www.w3.org/ns/hydra/core#view");
        let next = objects(&g, &view[0], "http://www.w3.org/ns/hydra/core#next");
        all.extend(g.iter());
        match next.first() {
            Some(next) => url = next.replace(&format!("http://127.0.0.1:{port}"), &server.base),
            None => break,
        }
    }
    (seen, total, all)
}

fn json(server: &Server, path: &str) -> serde_json::Value {
    let (status, _, body) = http_get(&server.url(path), &[]).unwrap();
    assert_eq!(status, 200, "{path}");
    serde_json::from_slice(&body).unwrap()
}

#[test]
fn the_same_resources_from_three_sources_are_published_once_from_the_source_with_precedence() {
    let pages = PageServer::start();
    let shared: Vec<usize> = (0..7).collect();
    let iso_samples = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../examples/iso19139")
        .canonicalize()
        .unwrap();
    let port = free_port();
    let base = format!("http://127.0.0.1:{port}/");
    pages.set(
        "/portal.ttl",
        Page::ok("text/turtle", portal_page(&base, &shared)),
    );
    pages.set("/geo.ttl", Page::ok("text/turtle", geo_page(&shared)));
    let sources = [
        dcat_source("portal", &pages.url("/portal.ttl"), ""),
        dcat_source("geo", &pages.url("/geo.ttl"), "priority = 10"),
        source_table(
            "iso",
            "iso19139",
            &iso_samples.display().to_string(),
            AT_3AM,
            "priority = 5",
        ),
    ]
    .concat();
    let env = Env::with_port(&sources, "catalog_page_size = 5\n", port);
    let server = env.serve();
    let status = server.wait_for_runs(&["portal", "geo", "iso"]);
    for s in status.as_array().unwrap() {
        assert!(
            s["last_run"]["outcome"] == "ok" || s["last_run"]["outcome"] == "warnings",
            "{s}"
        );
    }

    // 12 + 10 + 3 records; 16 resources: 7 shared by IRI, 1 by DOI, 1 by ISO identifier, 3 of
    // the portal's own, 2 of the geoportal's, the ISO service and series.
    let (seen, total, graph) = walk_catalogue(&server, port);
    let unique: BTreeSet<&String> = seen.iter().collect();
    assert_eq!(total, "16", "{seen:?}");
    assert_eq!(seen.len(), 16, "each resource listed once: {seen:?}");
    assert_eq!(unique.len(), 16);
    // The higher-priority source's descriptions are the ones published.
    let ds0 = format!("{DATA}/dataset/0");
    assert_eq!(
        objects(&graph, &ds0, "http://purl.org/dc/terms/title"),
        vec!["Dataset 0 v2"]
    );
    assert!(unique.contains(&"https://geo.example/ds/doi".to_owned()));
    assert!(!unique.contains(&"https://portal.example/ds/doi".to_owned()));
    assert!(unique.contains(&"https://data.example.lu/id/dataset/watercourses".to_owned()));
    assert!(!unique.contains(&"https://portal.example/ds/wc".to_owned()));
    // Where else it came from: prov:alternateOf the portal's record.
    let geo_record = format!("{base}record/geo/{}", RecordKey::of(&ds0));
    let portal_record = format!("{base}record/portal/{}", RecordKey::of(&ds0));
    assert_eq!(
        objects(&graph, &geo_record, "http://www.w3.org/ns/prov#alternateOf"),
        vec![portal_record.clone()]
    );
    assert_eq!(health_published(&server), 16);

    // OAI-PMH lists each resource once, by its IRI, walked by a real client.
    let live: Vec<String> = oai_headers(&server)
        .into_iter()
        .filter(|(_, deleted)| !deleted)
        .map(|(id, _)| id)
        .collect();
    assert_eq!(live.iter().collect::<BTreeSet<_>>(), unique, "{live:?}");
    assert_eq!(live.len(), 16);
    if let Some(python) = python_with("sickle", "the OAI-PMH client walk of a federation") {
        let script = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../../tests/clients/oai_walk.py");
        let out = std::process::Command::new(&python)
            .arg(script)
            .args([server.url("/oai").as_str(), "16"])
            .output()
            .unwrap();
        let stdout = String::from_utf8_lossy(&out.stdout);
        assert!(
            out.status.success() && stdout.contains("ListRecords dcat_ap: 16 records"),
            "{stdout}{}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    // GetRecord by the resource's IRI gives the published description.
    let one = oai_get(&server, &ds0);
    assert!(
        one.contains("Dataset 0 v2") && one.contains("<setSpec>geo</setSpec>"),
        "{one}"
    );

    // The source's own catalogue still lists its records, the shadowed ones marked.
    let (_, _, body) = http_get(
        &server.url("/catalog/portal?pageSize=100"),
        &[("accept", "text/turtle")],
    )
    .unwrap();
    let g = parse_turtle(&body, &base);
    assert_eq!(
        objects(
            &g,
            &format!("{base}catalog/portal"),
            "http://www.w3.org/ns/dcat#dataset"
        )
        .len(),
        12
    );
    assert_eq!(
        objects(&g, &portal_record, "https://w3id.org/alzette/ns#shadowedBy"),
        vec![geo_record.clone()]
    );

    // Operators see the clusters and the counts.
    let duplicates = json(&server, "/api/duplicates");
    let clusters = duplicates.as_array().unwrap();
    assert_eq!(clusters.len(), 9, "{duplicates:#}");
    let wc = clusters
        .iter()
        .find(|c| c["resource"] == "https://data.example.lu/id/dataset/watercourses")
        .expect("the ISO identifier matched");
    assert_eq!(wc["published_from"], "iso");
    assert_eq!(wc["reason"], "highest priority");
    let sources = json(&server, "/api/sources");
    let portal = sources
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["id"] == "portal")
        .unwrap();
    assert_eq!(portal["federation"]["published"], 3, "{portal:#}");
    assert_eq!(portal["federation"]["shadowed"], 9);
    assert_eq!(portal["federation"]["shadowed_by"]["geo"], 8);
    assert_eq!(portal["federation"]["shadowed_by"]["iso"], 1);

    // Isolation: what the portal said about the geoportal's record and the catalogue is not
    // stored, and its run says so.
    let warnings = server.finished_runs("portal")[0]["warnings"].to_string();
    assert!(
        warnings.contains("dropped") && warnings.contains("only its own resources"),
        "{warnings}"
    );
    let ask = |q: &str| -> bool { sparql(&server, q)["boolean"].as_bool().unwrap() };
    assert!(!ask(
        "ASK { ?s <http://xmlns.com/foaf/0.1/primaryTopic> <https://phish.example/ds3> }"
    ));
    assert!(!ask(&format!(
        "ASK {{ <{base}catalog> <http://purl.org/dc/terms/title> \"pwned\"@en }}"
    )));
    assert!(ask(&format!(
        "ASK {{ <{DATA}/dataset/20> <http://purl.org/dc/terms/title> ?t }}"
    )));

    // The default graph is a set: each resource once, each shared description once.
    let select = |q: &str| -> Vec<serde_json::Value> {
        sparql(&server, q)["results"]["bindings"]
            .as_array()
            .unwrap()
            .clone()
    };
    let count = |q: &str| -> u64 {
        select(q)[0]["n"]["value"]
            .as_str()
            .unwrap()
            .parse()
            .unwrap()
    };
    let all = count("SELECT (COUNT(*) AS ?n) WHERE { ?d a <http://www.w3.org/ns/dcat#Dataset> }");
    let distinct = count(
        "SELECT (COUNT(DISTINCT ?d) AS ?n) WHERE { ?d a <http://www.w3.org/ns/dcat#Dataset> }",
    );
    assert_eq!(all, distinct);
    assert!(all >= 13, "{all}");
    assert!(
        !ask("ASK { <https://portal.example/ds/doi> ?p ?o }"),
        "a shadowed description is not in the default graph"
    );
    assert!(
        ask("ASK { GRAPH ?g { <https://portal.example/ds/doi> ?p ?o } }"),
        "its record graph is"
    );
    let repeated = select(
        "PREFIX dct: <http://purl.org/dc/terms/> PREFIX foaf: <http://xmlns.com/foaf/0.1/> \
         SELECT ?d (COUNT(*) AS ?n) WHERE { ?d dct:publisher/foaf:name ?name } GROUP BY ?d HAVING (COUNT(*) > 1)",
    );
    assert!(repeated.is_empty(), "{repeated:?}");
    // The naive "datasets per publisher": datasets 0-6, 20-22 and 30-31 are published, with
    // publishers org/(i mod 3).
    let per_publisher: Vec<(String, String)> = select(
        "PREFIX dct: <http://purl.org/dc/terms/> PREFIX foaf: <http://xmlns.com/foaf/0.1/> \
         SELECT ?name (COUNT(*) AS ?n) WHERE { ?d dct:publisher ?p . ?p foaf:name ?name FILTER(STRSTARTS(?name, \"Organisation\")) } GROUP BY ?name ORDER BY ?name",
    )
    .iter()
    .map(|b| {
        (
            b["name"]["value"].as_str().unwrap().to_owned(),
            b["n"]["value"].as_str().unwrap().to_owned(),
        )
    })
    .collect();
    let expected: Vec<(String, String)> = [
        ("Organisation 0", 5),
        ("Organisation 1", 4),
        ("Organisation 2", 3),
    ]
    .iter()
    .map(|(n, c)| (n.to_string(), c.to_string()))
    .collect();
    assert_eq!(per_publisher, expected);
    // docs/federation.md's query: the records of one IRI, with their sources.
    let query = format!(
        "PREFIX foaf: <http://xmlns.com/foaf/0.1/> PREFIX prov: <http://www.w3.org/ns/prov#> \
         SELECT ?record ?source WHERE {{ GRAPH ?record {{ ?record foaf:primaryTopic <{ds0}> ; prov:hadPrimarySource ?source }} }}"
    );
    let mut records: Vec<String> = select(&query)
        .iter()
        .map(|b| b["record"]["value"].as_str().unwrap().to_owned())
        .collect();
    records.sort_unstable();
    let mut expected_records = vec![geo_record.clone(), portal_record.clone()];
    expected_records.sort_unstable();
    assert_eq!(records, expected_records);
    server.stop();

    // The geoportal drops dataset 0: the portal's description takes over, still once.
    pages.set("/geo.ttl", Page::ok("text/turtle", geo_page(&shared[1..])));
    let h = env.harvest_json("geo", &[]);
    assert_eq!(h.run.counts.deleted, 1, "{h}");
    let out = env.run(&["duplicates", "--format", "json"]);
    let clusters: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(clusters.as_array().unwrap().len(), 8, "{clusters:#}");
    let text = String::from_utf8(env.run(&["duplicates", "portal"]).stdout).unwrap();
    assert!(
        text.contains("published from geo (highest priority)"),
        "{text}"
    );
    let store = env.store();
    store.set_federation_rules(rules());
    let page = store.catalog_page(None, 0, 100).unwrap();
    assert_eq!(page.total, 16);
    assert!(store.is_published("portal", &RecordKey::of(&ds0)).unwrap());
    drop(store);
    // OAI-PMH: the dataset is still there, now the portal's description, changed (no tombstone).
    let server = env.serve();
    let headers = oai_headers(&server);
    assert!(headers.contains(&(ds0.clone(), false)), "{headers:?}");
    assert!(!headers.contains(&(ds0.clone(), true)), "{headers:?}");
    let one = oai_get(&server, &ds0);
    assert!(
        one.contains("Dataset 0 v1") && one.contains("<setSpec>portal</setSpec>"),
        "{one}"
    );
    // The default graph follows: the portal's title only.
    let query = format!("SELECT ?t WHERE {{ <{ds0}> <http://purl.org/dc/terms/title> ?t }}");
    let titles = sparql(&server, &query);
    let titles: Vec<&str> = titles["results"]["bindings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|b| b["t"]["value"].as_str().unwrap())
        .collect();
    assert_eq!(titles, ["Dataset 0 v1"]);
    server.stop();

    // The portal drops it too: it leaves the federation.
    pages.set(
        "/portal.ttl",
        Page::ok("text/turtle", portal_page(&base, &shared[1..])),
    );
    let h = env.harvest_json("portal", &[]);
    assert_eq!(h.run.counts.deleted, 1, "{h}");
    // The run says how many of its records other sources shadow, and by which.
    assert_eq!(
        h.run.shadowed_by,
        [("geo".to_owned(), 7), ("iso".to_owned(), 1)].into()
    );
    let store = env.store();
    store.set_federation_rules(rules());
    assert_eq!(store.catalog_page(None, 0, 100).unwrap().total, 15);
    drop(store);
    // Gone from the federation: now OAI-PMH lists its deletion, once.
    let server = env.serve();
    let headers = oai_headers(&server);
    assert_eq!(
        headers
            .iter()
            .filter(|(id, _)| *id == ds0)
            .collect::<Vec<_>>(),
        [&(ds0.clone(), true)],
        "{headers:?}"
    );
    assert_eq!(headers.iter().filter(|(_, d)| !d).count(), 15);
    // And the default graph no longer describes it.
    let query = format!("ASK {{ <{ds0}> ?p ?o }}");
    let answer = sparql(&server, &query);
    assert_eq!(answer["boolean"], false);
    server.stop();
}

/// Every header of `ListIdentifiers`, followed through its resumption tokens: (identifier,
/// deleted).
fn oai_headers(server: &Server) -> Vec<(String, bool)> {
    let mut out = Vec::new();
    let mut query = "verb=ListIdentifiers&metadataPrefix=dcat_ap".to_owned();
    loop {
        let (_, _, body) = http_get(&server.url(&format!("/oai?{query}")), &[]).unwrap();
        let xml = String::from_utf8(body).unwrap();
        for header in xml.split("<header").skip(1) {
            let id = header
                .split_once("<identifier>")
                .and_then(|(_, rest)| rest.split_once("</identifier>"))
                .map(|(id, _)| id.replace("&amp;", "&"))
                .unwrap();
            out.push((id, header.starts_with(" status=\"deleted\"")));
        }
        match xml
            .split_once("<resumptionToken>")
            .and_then(|(_, rest)| rest.split_once("</resumptionToken>"))
        {
            Some((token, _)) if !token.is_empty() => {
                query = format!(
                    "verb=ListIdentifiers&resumptionToken={}",
                    urlencode(&token.replace("&amp;", "&"))
                );
            }
            _ => return out,
        }
    }
}

/// The rules of the test's configuration.
fn rules() -> alzette_store::FederationRules {
    use alzette_dcat::identity::MatchKey;
    let mut iso = MatchKey::DEFAULTS.to_vec();
    iso.push(MatchKey::IsoIdentifier);
    alzette_store::FederationRules::default()
        .source("portal", 0, &MatchKey::DEFAULTS)
        .source("geo", 10, &MatchKey::DEFAULTS)
        .source("iso", 5, &iso)
}

/// `GetRecord` of an item in `oai_dc`.
fn oai_get(server: &Server, identifier: &str) -> String {
    let (_, _, body) = http_get(
        &server.url(&format!(
            "/oai?verb=GetRecord&metadataPrefix=oai_dc&identifier={identifier}"
        )),
        &[],
    )
    .unwrap();
    String::from_utf8(body).unwrap()
}

/// A query's JSON results from `/sparql`.
fn sparql(server: &Server, query: &str) -> serde_json::Value {
    let (status, _, body) = http_get(
        &server.url(&format!("/sparql?query={}", urlencode(query))),
        &[("accept", "application/sparql-results+json")],
    )
    .unwrap();
    assert_eq!(status, 200, "{}", String::from_utf8_lossy(&body));
    serde_json::from_slice(&body).unwrap()
}

fn health_published(server: &Server) -> u64 {
    json(server, "/health")["published"].as_u64().unwrap()
}

fn urlencode(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}
