//! Publication: `alzette serve` harvests at start, then serves the catalogue and SPARQL.

mod support;

use oxigraph::io::RdfFormat;
use oxigraph::model::{Graph, NamedNodeRef, Term};
use reqwest::Method;
use std::collections::BTreeSet;
use std::path::Path;
use std::time::{Duration, Instant};
use support::*;

const DATASET_PROP: NamedNodeRef<'static> =
    NamedNodeRef::new_unchecked("http://www.w3.org/ns/dcat#dataset");

/// Two sources (27 and 6 datasets) harvested by `serve` at start.
fn served() -> (PageServer, Env, Server) {
    let pages = PageServer::start();
    let a: Vec<usize> = (0..27).collect();
    let b: Vec<usize> = (100..106).collect();
    let sources = alpha_and_beta(&pages, &a, &b);
    let env = Env::with_server(&sources, "query_timeout = \"1s\"\ncatalog_page_size = 7\n");
    let server = env.serve();
    let status = server.wait_for_runs(&["alpha", "beta"]);
    for s in status.as_array().unwrap() {
        assert_eq!(s["last_run"]["outcome"], "ok", "{s}");
    }
    (pages, env, server)
}

#[test]
fn walking_every_catalogue_page_gives_back_exactly_the_harvested_datasets() {
    let (_pages, env, server) = served();
    let catalog = format!("http://127.0.0.1:{}/catalog", env.port);
    let mut url = server.url("/catalog");
    let mut seen: Vec<String> = Vec::new();
    let mut pages = 0;
    let mut total;
    loop {
        let (status, headers, body) = http_get(&url, &[("accept", "text/turtle")]).unwrap();
        assert_eq!(status, 200, "{url}");
        assert!(
            headers["content-type"]
                .to_str()
                .unwrap()
                .starts_with("text/turtle")
        );
        let g = parse(&body, RdfFormat::Turtle, &url);
        pages += 1;
        let on_page = objects(&g, &catalog, DATASET_PROP.as_str());
        assert!(on_page.len() <= 7);
        // Self-contained: every dataset on the page comes with its distribution, contact
        // point and publisher.
        for d in &on_page {
            let dist = objects(&g, d, "http://www.w3.org/ns/dcat#distribution");
            assert_eq!(dist.len(), 1, "{d} on {url}");
            assert_eq!(
                objects(&g, &dist[0], "http://www.w3.org/ns/dcat#accessURL").len(),
                1,
                "{d}"
            );
            let publisher = objects(&g, d, "http://purl.org/dc/terms/publisher");
            assert_eq!(
                objects(&g, &publisher[0], "http://xmlns.com/foaf/0.1/name").len(),
                1,
                "{d}"
            );
            let contact = g
                .objects_for_subject_predicate(
                    NamedNodeRef::new(d).unwrap(),
                    NamedNodeRef::new("http://www.w3.org/ns/dcat#contactPoint").unwrap(),
                )
                .next()
                .unwrap();
            let Term::BlankNode(c) = contact.into_owned() else {
                panic!("contact is a blank node")
            };
            assert!(
                g.triples_for_subject(&c).count() >= 2,
                "contact point described on the page"
            );
        }
        seen.extend(on_page);
        let view = objects(&g, &catalog, "http://www.w3.org/ns/hydra/core#view");
        assert_eq!(view.len(), 1);
        assert_eq!(
            objects(&g, &view[0], "http://www.w3.org/ns/hydra/core#first").len(),
            1
        );
        assert_eq!(
            objects(&g, &view[0], "http://www.w3.org/ns/hydra/core#last").len(),
            1
        );
        total = objects(&g, &catalog, "http://www.w3.org/ns/hydra/core#totalItems")
            .first()
            .cloned();
        match objects(&g, &view[0], "http://www.w3.org/ns/hydra/core#next").first() {
            Some(next) => {
                url = next.replace(&format!("http://127.0.0.1:{}", env.port), &server.base)
            }
            None => break,
        }
    }
    assert_eq!(total.as_deref(), Some("33"));
    assert_eq!(pages, 5, "33 datasets in pages of 7");
    let unique: BTreeSet<_> = seen.iter().cloned().collect();
    assert_eq!(unique.len(), seen.len(), "no dataset on two pages");
    let mut expected: BTreeSet<String> = (0..27)
        .map(|i| format!("https://data.example.org/dataset/{i}"))
        .collect();
    expected.extend((100..106).map(|i| format!("https://data.example.org/dataset/{i}")));
    assert_eq!(unique, expected);

    // A source's own catalogue.
    let (status, _, body) = http_get(&server.url("/catalog/beta.nt?pageSize=100"), &[]).unwrap();
    assert_eq!(status, 200);
    let g = parse(&body, RdfFormat::NTriples, "http://x/");
    assert_eq!(
        objects(&g, &format!("{catalog}/beta"), DATASET_PROP.as_str()).len(),
        6
    );
    assert_eq!(http_get(&server.url("/catalog/nope"), &[]).unwrap().0, 404);
    assert_eq!(
        http_get(&server.url("/catalog?page=99"), &[]).unwrap().0,
        404
    );
    assert_eq!(
        http_get(&server.url("/catalog?pageSize=0"), &[]).unwrap().0,
        400
    );
    assert_eq!(
        http_get(&server.url("/catalog?pageSize=100000"), &[])
            .unwrap()
            .0,
        400
    );
    server.stop();
}

#[test]
fn the_catalogue_is_content_negotiated() {
    let (_pages, _env, server) = served();
    let cases = [
        ("text/turtle", RdfFormat::Turtle),
        ("application/rdf+xml", RdfFormat::RdfXml),
        (
            "application/ld+json",
            RdfFormat::JsonLd {
                profile: Default::default(),
            },
        ),
        ("application/n-triples", RdfFormat::NTriples),
    ];
    let mut sizes = Vec::new();
    for (accept, format) in cases {
        let (status, headers, body) =
            http_get(&server.url("/catalog?page=2"), &[("accept", accept)]).unwrap();
        assert_eq!(status, 200, "{accept}");
        assert!(
            headers["content-type"]
                .to_str()
                .unwrap()
                .starts_with(accept),
            "{accept}"
        );
        sizes.push(parse(&body, format, "http://x/").len());
    }
    for (ext, format) in [
        ("ttl", cases[0].1),
        ("rdf", cases[1].1),
        ("jsonld", cases[2].1),
        ("nt", cases[3].1),
    ] {
        let (status, _, body) = http_get(
            &server.url(&format!("/catalog.{ext}?page=2")),
            &[("accept", "text/html")],
        )
        .unwrap();
        assert_eq!(status, 200, "{ext}");
        let g = parse(&body, format, "http://x/");
        // Same page, same triples (the view's IRI names the extension, the rest is equal).
        assert!(
            g.len().abs_diff(sizes[0]) == 0,
            "{ext}: {} vs {}",
            g.len(),
            sizes[0]
        );
    }
    assert!(sizes.iter().all(|s| *s == sizes[0]), "{sizes:?}");
    let (status, _, _) = http_get(&server.url("/catalog"), &[("accept", "image/png")]).unwrap();
    assert_eq!(status, 406);
    let (status, _, _) = http_get(
        &server.url("/catalog"),
        &[("accept", "application/rdf+xml;q=0.2, text/turtle;q=0.9")],
    )
    .unwrap();
    assert_eq!(status, 200);
    server.stop();
}

/// `?profile=` and `Accept-Profile` (W3C Content Negotiation by Profile) choose between
/// DCAT-AP 3 and 2.1.1, on the project's sample, which holds what DCAT-AP 3 added.
#[test]
fn the_catalogue_is_negotiated_by_profile() {
    let env = Env::new(&dcat_source(
        "sample",
        &sample_catalog().display().to_string(),
        "",
    ));
    let server = env.serve();
    server.wait_for_runs(&["sample"]);
    let v3 = "https://semiceu.github.io/DCAT-AP/releases/3.0.1/";
    let v2 = "https://semiceu.github.io/DCAT-AP/releases/2.1.1/";
    let dcat = |t: &str| format!("http://www.w3.org/ns/dcat#{t}");
    let series = "https://example.data.lu/dataset/population-series";
    let get = |path: &str, headers: &[(&str, &str)]| {
        let (status, h, body) = http_get(&server.url(path), headers).unwrap();
        assert_eq!(status, 200, "{path}: {}", String::from_utf8_lossy(&body));
        let profile = h["content-profile"].to_str().unwrap().to_owned();
        assert!(
            h["vary"].to_str().unwrap().contains("Accept-Profile"),
            "{h:?}"
        );
        let etag = h["etag"].to_str().unwrap().to_owned();
        (profile, etag, parse(&body, RdfFormat::Turtle, "http://x/"))
    };
    let uses = |g: &Graph, p: &str| {
        g.iter()
            .any(|t| t.predicate.as_str() == p || t.object.to_string() == format!("<{p}>"))
    };

    // By default, DCAT-AP 3 as harvested.
    let (profile, etag3, g3) = get("/catalog.ttl?pageSize=1000", &[]);
    assert_eq!(profile, format!("<{v3}>"));
    for term in [
        dcat("DatasetSeries"),
        dcat("inSeries"),
        "http://data.europa.eu/r5r/applicableLegislation".to_owned(),
    ] {
        assert!(uses(&g3, &term), "the sample has {term}");
    }

    // DCAT-AP 2.1.1 by name: what DCAT-AP 3 added is mapped or gone.
    let (profile, etag2, g2) = get("/catalog.ttl?pageSize=1000&profile=dcat-ap-2.1.1", &[]);
    assert_eq!(profile, format!("<{v2}>"));
    assert_ne!(etag2, etag3, "another representation, another ETag");
    for term in [
        dcat("DatasetSeries"),
        dcat("inSeries"),
        dcat("seriesMember"),
        "http://data.europa.eu/r5r/applicableLegislation".to_owned(),
    ] {
        assert!(!uses(&g2, &term), "{term} is not DCAT-AP 2.1.1");
    }
    assert!(objects(&g2, series, &rdf_type()).contains(&dcat("Dataset")));
    let members: Vec<String> = g2
        .iter()
        .filter(|t| {
            t.predicate.as_str() == "http://purl.org/dc/terms/isPartOf"
                && t.object.to_string() == format!("<{series}>")
        })
        .map(|t| t.subject.to_string())
        .collect();
    assert!(!members.is_empty(), "the series' members point at it");
    let sizes: Vec<Term> = g2
        .iter()
        .filter(|t| t.predicate.as_str() == dcat("byteSize"))
        .map(|t| t.object.into_owned())
        .collect();
    assert!(!sizes.is_empty());
    for size in sizes {
        assert!(
            size.to_string()
                .ends_with("^^<http://www.w3.org/2001/XMLSchema#decimal>"),
            "{size}"
        );
    }
    // Outside what DCAT-AP 3 added, the two are the same graph.
    let titles = |g: &Graph| {
        g.iter()
            .filter(|t| t.predicate.as_str() == "http://purl.org/dc/terms/title")
            .count()
    };
    assert_eq!(titles(&g2), titles(&g3));

    // By header, with q-values; an unknown profile only gets the default.
    let accept = format!("<{v3}>;q=0.4, <{v2}>;q=0.9, <https://example.org/other>");
    let (profile, etag, _) = get("/catalog.ttl?pageSize=1000", &[("accept-profile", &accept)]);
    assert_eq!(profile, format!("<{v2}>"));
    // (Not etag2: asked for by name, the profile is also in the page's Hydra links.)
    assert_ne!(etag, etag3);
    let (profile, _, _) = get(
        "/catalog.ttl?pageSize=1000",
        &[("accept-profile", "<https://example.org/other>")],
    );
    assert_eq!(profile, format!("<{v3}>"));
    // The query string decides over the header.
    let (profile, _, _) = get(
        "/catalog.ttl?pageSize=1000&profile=dcat-ap-3",
        &[("accept-profile", &format!("<{v2}>"))],
    );
    assert_eq!(profile, format!("<{v3}>"));

    // A 304 is for the same profile only.
    let (status, _, _) = http_get(
        &server.url("/catalog.ttl?pageSize=1000&profile=dcat-ap-2.1.1"),
        &[("if-none-match", &etag3)],
    )
    .unwrap();
    assert_eq!(status, 200);
    let (status, h, _) = http_get(
        &server.url("/catalog.ttl?pageSize=1000&profile=dcat-ap-2.1.1"),
        &[("if-none-match", &etag2)],
    )
    .unwrap();
    assert_eq!(status, 304);
    assert_eq!(h["content-profile"].to_str().unwrap(), format!("<{v2}>"));

    // Hydra links keep a profile asked for by name.
    let (_, _, paged) = get("/catalog/sample.ttl?pageSize=2&profile=dcat-ap-2.1.1", &[]);
    let next: Vec<String> = paged
        .iter()
        .filter(|t| t.predicate.as_str() == "http://www.w3.org/ns/hydra/core#next")
        .map(|t| t.object.to_string())
        .collect();
    assert_eq!(next.len(), 1);
    assert!(next[0].contains("profile=dcat-ap-2.1.1"), "{next:?}");

    let (status, _, body) = http_get(&server.url("/catalog?profile=dcat-ap-1.2"), &[]).unwrap();
    let message = String::from_utf8_lossy(&body);
    assert_eq!(status, 400);
    assert!(
        message.contains("dcat-ap-2.1.1") && message.contains("dcat-ap-3"),
        "{message}"
    );
    server.stop();
}

fn rdf_type() -> String {
    "http://www.w3.org/1999/02/22-rdf-syntax-ns#type".to_owned()
}

fn sparql(
    server: &Server,
    method: Method,
    query: &str,
    accept: &str,
    direct: bool,
) -> (u16, String, Vec<u8>) {
    let result = if method == Method::GET {
        let encoded: String = url::form_urlencoded::byte_serialize(query.as_bytes()).collect();
        http_get(
            &server.url(&format!("/sparql?query={encoded}")),
            &[("accept", accept)],
        )
    } else if direct {
        http(
            Method::POST,
            &server.url("/sparql"),
            &[("accept", accept)],
            Some(("application/sparql-query", query.as_bytes().to_vec())),
        )
    } else {
        let encoded: String = url::form_urlencoded::Serializer::new(String::new())
            .append_pair("query", query)
            .finish();
        http(
            Method::POST,
            &server.url("/sparql"),
            &[("accept", accept)],
            Some(("application/x-www-form-urlencoded", encoded.into_bytes())),
        )
    };
    let (status, headers, body) = result.unwrap();
    let ct = headers
        .get("content-type")
        .map(|v| v.to_str().unwrap().to_owned())
        .unwrap_or_default();
    (status, ct, body)
}

/// The rows of a JSON SELECT result, each binding as text.
fn json_rows(body: &[u8]) -> Vec<std::collections::BTreeMap<String, String>> {
    let v: serde_json::Value = serde_json::from_slice(body).unwrap();
    v["results"]["bindings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|row| {
            row.as_object()
                .unwrap()
                .iter()
                .map(|(k, v)| (k.clone(), v["value"].as_str().unwrap().to_owned()))
                .collect()
        })
        .collect()
}

#[test]
fn the_query_pages_examples_answer_over_the_endpoint() {
    // Both sources name the same three publishers, and every record repeats its publisher's
    // name: the examples count each dataset once and list each dataset once.
    let (_pages, _env, server) = served();
    let run = |name: &str| {
        let query = alzette_server::example(name).unwrap();
        let (status, _, body) = sparql(
            &server,
            Method::POST,
            query,
            "application/sparql-results+json",
            false,
        );
        assert_eq!(status, 200, "{name}: {}", String::from_utf8_lossy(&body));
        json_rows(&body)
    };

    let publishers: BTreeSet<(String, String, String)> = run("Datasets per publisher")
        .into_iter()
        .map(|r| {
            (
                r["publisher"].clone(),
                r["name"].clone(),
                r["datasets"].clone(),
            )
        })
        .collect();
    let expected: BTreeSet<(String, String, String)> = (0..3)
        .map(|org| {
            (
                format!("https://data.example.org/org/{org}"),
                format!("Organisation {org}"),
                "11".to_owned(),
            )
        })
        .collect();
    assert_eq!(publishers, expected);

    let recent = run("Recently changed");
    let datasets: BTreeSet<&str> = recent.iter().map(|r| r["dataset"].as_str()).collect();
    assert_eq!((recent.len(), datasets.len()), (33, 33), "{recent:?}");
    for row in &recent {
        let i = row["dataset"].rsplit('/').next().unwrap();
        assert_eq!(row["title"], format!("Dataset {i} v1"), "{row:?}");
        assert!(!row["modified"].is_empty());
    }

    let per_source: BTreeSet<(String, String)> = run("Datasets per source")
        .into_iter()
        .map(|r| (r["source"].clone(), r["datasets"].clone()))
        .collect();
    assert_eq!(
        per_source,
        BTreeSet::from([
            ("alpha".to_owned(), "27".to_owned()),
            ("beta".to_owned(), "6".to_owned())
        ])
    );
    for name in [
        "Datasets per theme",
        "Distributions per format",
        "Datasets per quality rating",
        "Most violated constraints",
    ] {
        run(name);
    }
    server.stop();
}

#[test]
fn sparql_queries_in_every_format() {
    let (_pages, _env, server) = served();
    let select = "SELECT ?d WHERE { ?d a <http://www.w3.org/ns/dcat#Dataset> }";
    for (method, direct) in [
        (Method::GET, false),
        (Method::POST, false),
        (Method::POST, true),
    ] {
        let (status, ct, body) = sparql(
            &server,
            method.clone(),
            select,
            "application/sparql-results+json",
            direct,
        );
        assert_eq!(
            status,
            200,
            "{method} {direct}: {}",
            String::from_utf8_lossy(&body)
        );
        assert_eq!(ct, "application/sparql-results+json");
        let v: serde_json::Value = serde_json::from_slice(&body).unwrap();
        assert_eq!(
            v["results"]["bindings"].as_array().unwrap().len(),
            33,
            "the default graph is the union of the record graphs"
        );
    }
    let (status, ct, body) = sparql(
        &server,
        Method::GET,
        select,
        "application/sparql-results+xml",
        false,
    );
    assert_eq!(
        (status, ct.as_str()),
        (200, "application/sparql-results+xml")
    );
    assert_eq!(
        String::from_utf8(body).unwrap().matches("<result>").count(),
        33
    );
    let (status, ct, body) = sparql(&server, Method::GET, select, "text/csv", false);
    assert_eq!((status, ct.as_str()), (200, "text/csv; charset=utf-8"));
    assert_eq!(
        String::from_utf8(body).unwrap().lines().count(),
        34,
        "header + 33 rows"
    );
    let (status, ct, body) = sparql(
        &server,
        Method::GET,
        select,
        "text/tab-separated-values",
        false,
    );
    assert_eq!(
        (status, ct.as_str()),
        (200, "text/tab-separated-values; charset=utf-8")
    );
    assert!(
        String::from_utf8(body)
            .unwrap()
            .starts_with("?d\n<https://data.example.org/dataset/")
    );
    let (status, ct, _) = sparql(
        &server,
        Method::GET,
        select,
        "text/csv;q=0.5, application/sparql-results+xml;q=0.9",
        false,
    );
    assert_eq!(
        (status, ct.as_str()),
        (200, "application/sparql-results+xml")
    );
    let (status, ct, _) = sparql(&server, Method::GET, select, "", false);
    assert_eq!(
        (status, ct.as_str()),
        (200, "application/sparql-results+json"),
        "no Accept: JSON"
    );
    assert_eq!(
        sparql(&server, Method::GET, select, "image/png", false).0,
        406
    );

    let ask = "ASK { <https://data.example.org/dataset/103> <http://purl.org/dc/terms/title> ?t }";
    let (status, _, body) = sparql(
        &server,
        Method::GET,
        ask,
        "application/sparql-results+json",
        false,
    );
    assert_eq!(status, 200);
    assert_eq!(
        serde_json::from_slice::<serde_json::Value>(&body).unwrap()["boolean"],
        true
    );
    let (status, _, body) = sparql(
        &server,
        Method::POST,
        ask.replace("103", "999").as_str(),
        "application/sparql-results+xml",
        true,
    );
    assert_eq!(status, 200);
    assert!(
        String::from_utf8(body)
            .unwrap()
            .contains("<boolean>false</boolean>")
    );

    let construct = "CONSTRUCT { ?d <http://purl.org/dc/terms/title> ?t } WHERE { ?d a <http://www.w3.org/ns/dcat#Dataset> ; <http://purl.org/dc/terms/title> ?t }";
    for (accept, format) in [
        ("text/turtle", RdfFormat::Turtle),
        ("application/n-triples", RdfFormat::NTriples),
        ("application/rdf+xml", RdfFormat::RdfXml),
        (
            "application/ld+json",
            RdfFormat::JsonLd {
                profile: Default::default(),
            },
        ),
    ] {
        let (status, ct, body) = sparql(&server, Method::GET, construct, accept, false);
        assert_eq!(status, 200, "{accept}");
        assert!(ct.starts_with(accept), "{accept}: {ct}");
        assert_eq!(parse(&body, format, "http://x/").len(), 33, "{accept}");
    }
    assert_eq!(
        sparql(
            &server,
            Method::GET,
            construct,
            "application/sparql-results+json",
            false
        )
        .0,
        406
    );

    // The dataset can be narrowed to one record graph.
    let graphs =
        "SELECT DISTINCT ?g WHERE { GRAPH ?g { ?g a <http://www.w3.org/ns/dcat#CatalogRecord> } }";
    let (_, _, body) = sparql(
        &server,
        Method::GET,
        graphs,
        "application/sparql-results+json",
        false,
    );
    let v: serde_json::Value = serde_json::from_slice(&body).unwrap();
    let g = v["results"]["bindings"][0]["g"]["value"]
        .as_str()
        .unwrap()
        .to_owned();
    let encoded: String = url::form_urlencoded::Serializer::new(String::new())
        .append_pair("query", select)
        .append_pair("default-graph-uri", &g)
        .finish();
    let (status, _, body) = http_get(&server.url(&format!("/sparql?{encoded}")), &[]).unwrap();
    assert_eq!(status, 200);
    let v: serde_json::Value = serde_json::from_slice(&body).unwrap();
    assert_eq!(v["results"]["bindings"].as_array().unwrap().len(), 1);

    // Malformed queries: 400 with the parser's message.
    let (status, _, body) = sparql(&server, Method::GET, "SELECT ?x WHERE {", "", false);
    assert_eq!(status, 400);
    assert!(
        String::from_utf8(body)
            .unwrap()
            .contains("not valid SPARQL")
    );
    // The service description.
    let (status, headers, body) =
        http_get(&server.url("/sparql"), &[("accept", "text/turtle")]).unwrap();
    assert_eq!(status, 200);
    assert!(
        headers["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/turtle")
    );
    let sd = parse(&body, RdfFormat::Turtle, "http://x/");
    // The default graph is the published view (a set), not the union of the record graphs.
    assert!(!sd.iter().any(|t| t.object.to_string()
        == "<http://www.w3.org/ns/sparql-service-description#UnionDefaultGraph>"));
    assert!(sd.iter().any(|t| t.predicate.as_str()
        == "http://www.w3.org/ns/sparql-service-description#defaultDataset"));
    assert!(
        sd.iter()
            .any(|t| t.object.to_string().contains("published view"))
    );
    server.stop();
}

#[test]
fn updates_are_refused_and_slow_queries_time_out() {
    let (_pages, env, server) = served();
    let update = "DELETE WHERE { ?s ?p ?o }";
    let form: String = url::form_urlencoded::Serializer::new(String::new())
        .append_pair("update", update)
        .finish();
    let (status, _, _) = http(
        Method::POST,
        &server.url("/sparql"),
        &[],
        Some(("application/x-www-form-urlencoded", form.into_bytes())),
    )
    .unwrap();
    assert_eq!(status, 403);
    let (status, _, _) = http(
        Method::POST,
        &server.url("/sparql"),
        &[],
        Some(("application/sparql-update", update.as_bytes().to_vec())),
    )
    .unwrap();
    assert_eq!(status, 403);
    assert_eq!(
        sparql(&server, Method::POST, update, "", true).0,
        403,
        "an update sent as a query"
    );
    assert_eq!(
        sparql(
            &server,
            Method::GET,
            "INSERT DATA { <a:a> <a:a> <a:a> }",
            "",
            false
        )
        .0,
        403
    );
    let (status, _, _) = http(
        Method::POST,
        &server.url("/sparql"),
        &[],
        Some(("text/plain", b"SELECT * {}".to_vec())),
    )
    .unwrap();
    assert_eq!(status, 415);

    // A join of every triple with every triple, each pair checked against every triple again:
    // hours of work, cancelled at the 1 s timeout while others are served.
    let slow = "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . FILTER NOT EXISTS { ?g ?h ?i FILTER(?g = ?a && ?i = ?f) } }";
    let url = server.url("/sparql");
    let started = Instant::now();
    let handle = std::thread::spawn(move || {
        let form: String = url::form_urlencoded::Serializer::new(String::new())
            .append_pair("query", slow)
            .finish();
        http(
            Method::POST,
            &url,
            &[],
            Some(("application/x-www-form-urlencoded", form.into_bytes())),
        )
        .unwrap()
    });
    // Other clients are served for as long as the slow query runs.
    let mut served = 0;
    while !handle.is_finished() {
        let (status, _, _) = http_get(&server.url("/health"), &[]).unwrap();
        assert_eq!(status, 200, "other clients are served meanwhile");
        served += 1;
    }
    assert!(served > 0, "the slow query ran long enough to overlap");
    let (status, _, body) = handle.join().unwrap();
    let took = started.elapsed();
    assert_eq!(status, 503, "{}", String::from_utf8_lossy(&body));
    assert!(String::from_utf8_lossy(&body).contains("limit server.query_timeout"));
    assert!(
        took < Duration::from_secs(20),
        "cancelled, not run to the end ({took:?})"
    );

    // A cross join computed in memory, which Oxigraph cannot cancel midway: its worker is killed
    // at the timeout, the client gets its answer, and the server still stops when asked.
    let cross = "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i . ?j ?k ?l }";
    let started = Instant::now();
    let (status, _, body) = sparql(&server, Method::GET, cross, "", false);
    assert_eq!(status, 503, "{}", String::from_utf8_lossy(&body));
    assert!(
        started.elapsed() < Duration::from_secs(10),
        "{:?}",
        started.elapsed()
    );
    let started = Instant::now();
    server.stop();
    assert!(
        started.elapsed() < Duration::from_secs(15),
        "shutdown waited for the runaway query"
    );
    // Nothing changed.
    assert_eq!(env.store().count(None), 33);
}

#[test]
fn catalogue_responses_are_validated_compressed_and_filtered_by_source() {
    let pages = PageServer::start();
    let ids: Vec<usize> = (0..12).collect();
    pages.serve_turtle(&ids, 5, &|_| 1);
    let token = "publish-test-admin-token-0123456789";
    let env = Env::with_server(
        &dcat_source("alpha", &pages.url("/catalog.ttl?page=1"), ""),
        &format!("admin_token = \"{token}\""),
    );
    let server = env.serve();
    server.wait_for_runs(&["alpha"]);
    let url = server.url("/catalog?page=2&pageSize=5");
    let turtle = [("accept", "text/turtle")];

    let (status, headers, body) = http_get(&url, &turtle).unwrap();
    assert_eq!(status, 200);
    let etag = headers["etag"].to_str().unwrap().to_owned();
    let last_modified = headers["last-modified"].to_str().unwrap().to_owned();
    assert!(etag.starts_with("W/\""), "{etag}");
    assert_eq!(headers["cache-control"], "no-cache");

    // Unchanged: 304 with no body, by ETag, by date, and by ETag among others.
    for conditional in [
        vec![("if-none-match", etag.as_str())],
        vec![("if-modified-since", last_modified.as_str())],
        vec![("if-none-match", &format!("\"other\", {etag}"))],
    ] {
        let mut h = turtle.to_vec();
        h.extend(conditional.iter().map(|(k, v)| (*k, *v)));
        let (status, headers, body) = http_get(&url, &h).unwrap();
        assert_eq!(status, 304, "{conditional:?}");
        assert!(body.is_empty());
        assert_eq!(headers["etag"].to_str().unwrap(), etag);
    }
    // If-None-Match decides over If-Modified-Since; another representation has another ETag.
    let (status, _, _) = http_get(
        &url,
        &[
            ("accept", "text/turtle"),
            ("if-none-match", "\"stale\""),
            ("if-modified-since", &last_modified),
        ],
    )
    .unwrap();
    assert_eq!(status, 200);
    let (status, headers, _) = http_get(
        &url,
        &[
            ("accept", "application/n-triples"),
            ("if-none-match", &etag),
        ],
    )
    .unwrap();
    assert_eq!(status, 200);
    assert_ne!(headers["etag"].to_str().unwrap(), etag);
    let (status, _, _) = http_get(
        &url,
        &[
            ("accept", "text/turtle"),
            ("if-modified-since", "Sat, 01 Jan 2000 00:00:00 GMT"),
        ],
    )
    .unwrap();
    assert_eq!(status, 200);

    // Compressed on request (reqwest here decodes nothing: the raw encoding is checked).
    for (encoding, magic) in [("br", None), ("gzip", Some(&[0x1f_u8, 0x8b][..]))] {
        let (status, headers, raw) = http_get_undecoded(
            &url,
            &[("accept", "text/turtle"), ("accept-encoding", encoding)],
        )
        .unwrap();
        assert_eq!(status, 200);
        assert_eq!(
            headers.get("content-encoding").map(|v| v.to_str().unwrap()),
            Some(encoding),
            "{headers:?}"
        );
        assert!(
            raw.len() < body.len(),
            "{encoding}: {} < {}",
            raw.len(),
            body.len()
        );
        if let Some(magic) = magic {
            assert_eq!(&raw[..2], magic);
        }
    }

    // ?source= is the source's catalogue.
    let (_, _, by_query) =
        http_get(&server.url("/catalog.nt?source=alpha&pageSize=100"), &[]).unwrap();
    let (_, _, by_path) = http_get(&server.url("/catalog/alpha.nt?pageSize=100"), &[]).unwrap();
    assert_eq!(
        parse(&by_query, RdfFormat::NTriples, "http://x/").len(),
        parse(&by_path, RdfFormat::NTriples, "http://x/").len()
    );
    assert_eq!(
        http_get(&server.url("/catalog?source=nope"), &[])
            .unwrap()
            .0,
        404
    );

    // A changed record: the same conditional request now gets the new page.
    pages.serve_turtle(&ids, 5, &|i| if i == 7 { 2 } else { 1 });
    let run = server.run_now("alpha", token);
    assert_eq!(run["counts"]["updated"], 1, "{run}");
    let (status, headers, _) =
        http_get(&url, &[("accept", "text/turtle"), ("if-none-match", &etag)]).unwrap();
    assert_eq!(status, 200);
    assert_ne!(headers["etag"].to_str().unwrap(), etag);
    let (_, _, all) = http_get(&server.url("/catalog?pageSize=100"), &turtle).unwrap();
    assert!(
        String::from_utf8_lossy(&all).contains("Dataset 7 v2"),
        "the new version is served"
    );
    server.stop();
}

#[test]
fn the_sparql_protocol_checker_and_real_clients_pass() {
    let (_pages, _env, server) = served();
    let endpoint = server.url("/sparql");
    if let Some(fixtures) = shared_fixtures("sparql protocol checker") {
        let script = fixtures
            .parent()
            .unwrap()
            .join("tools/sparql-protocol-check.sh");
        let out = std::process::Command::new("bash")
            .arg(&script)
            .args([endpoint.as_str(), "-", "-"])
            .output()
            .unwrap();
        let stdout = String::from_utf8_lossy(&out.stdout);
        assert!(out.status.success() && stdout.contains("0 BAD"), "{stdout}");
        assert!(
            stdout.lines().filter(|l| l.starts_with("ok ")).count() >= 19,
            "{stdout}"
        );
    }
    if let Some(python) = python_with(
        "SPARQLWrapper, rdflib",
        "the check with real SPARQL clients",
    ) {
        let script =
            Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/clients/sparql_clients.py");
        let out = std::process::Command::new(python)
            .arg(script)
            .args([endpoint.as_str(), "33"])
            .output()
            .unwrap();
        let stdout = String::from_utf8_lossy(&out.stdout);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(out.status.success(), "{stdout}{stderr}");
        assert!(
            stdout.contains("rdflib SPARQLStore SELECT: 33 datasets"),
            "{stdout}"
        );
    }
    server.stop();
}
