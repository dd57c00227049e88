//! Validation at harvest: records validated against the project's shapes, with a vocabulary
//! source as background; reports stored beside the records and queryable; the run log's
//! summary; the reject policy; `alzette validate`.

mod support;

use std::path::{Path, PathBuf};
use support::*;

fn repo(path: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../..")
        .join(path)
        .canonicalize()
        .unwrap()
}

/// `[validation]` with the four layers of shapes/ (and a background when given).
fn validation(background: &[&str]) -> String {
    let shapes: Vec<String> = [
        "dcat-ap-3-base.ttl",
        "dcat-ap-3-range.ttl",
        "dcat-ap-3-recommended.ttl",
        "dcat-ap-3-vocabularies.ttl",
    ]
    .iter()
    .map(|f| format!("{:?}", repo(&format!("shapes/{f}")).display().to_string()))
    .collect();
    let background: Vec<String> = background.iter().map(|b| format!("{b:?}")).collect();
    format!(
        "[validation]\nshapes = [{}]\nbackground = [{}]\n\n",
        shapes.join(", "),
        background.join(", ")
    )
}

fn vocabulary_source(id: &str, url: &Path) -> String {
    source_table(
        id,
        "vocabulary",
        &url.display().to_string(),
        "0 2 * * *",
        "",
    )
}

const SH: &str = "http://www.w3.org/ns/shacl#";
const ALZ: &str = "https://w3id.org/alzette/ns#";

/// Resources whose stored report has a result of `severity`.
fn with_results(store: &alzette_store::RecordStore, severity: &str) -> Vec<String> {
    select(
        store,
        &format!(
            "SELECT DISTINCT ?d WHERE {{ ?report <{ALZ}validationOf> ?d ; <{SH}result> ?r . ?r <{SH}resultSeverity> <{SH}{severity}> }}"
        ),
    )
}

#[test]
fn records_are_validated_with_the_vocabularies_as_background_and_reports_are_queryable() {
    let env = Env::new(&format!(
        "{}{}{}",
        validation(&["eu-tables"]),
        vocabulary_source("eu-tables", &repo("examples/vocabularies")),
        dcat_source("sample", &sample_catalog().display().to_string(), "")
    ));

    // Before the vocabulary is harvested, every theme, format, frequency… fails its table.
    let (code, out) = env.harvest("sample", &[]);
    assert_eq!(code, 0, "{out}");
    let runs = String::from_utf8(env.run(&["runs", "sample"]).stdout).unwrap();
    assert!(runs.contains("with violations"), "{runs}");
    assert!(runs.contains("Violation dcat:theme Node"), "{runs}");
    let (records, violating, modified_before) = {
        let store = env.store();
        let records = stored_resources(&store, "sample");
        let reports = select(
            &store,
            &format!("SELECT ?d WHERE {{ ?r <{ALZ}validationOf> ?d }}"),
        );
        assert_eq!(reports, records, "one report per record, about it");
        (
            records,
            with_results(&store, "Violation"),
            modified_times(&store),
        )
    };
    assert!(violating.len() >= 4, "{violating:?}");

    // The vocabulary source: a folder of RDF files, stored whole, not as catalogue records.
    let (code, out) = env.harvest("eu-tables", &[]);
    assert_eq!(code, 0, "{out}");
    assert!(out.contains("triples in 2 documents"), "{out}");
    let runs = String::from_utf8(env.run(&["runs", "eu-tables"]).stdout).unwrap();
    assert!(runs.contains("ok"), "{runs}");

    // Again: no record changed, so none is rewritten, but every report is, and the values
    // that are in the tables now pass.
    let (code, out) = env.harvest("sample", &[]);
    assert_eq!(code, 0, "{out}");
    let store = env.store();
    assert_eq!(stored_resources(&store, "sample"), records);
    assert_eq!(
        modified_times(&store),
        modified_before,
        "dct:modified moves only with content"
    );
    assert_eq!(with_results(&store, "Violation"), Vec::<String>::new());
    assert!(
        !with_results(&store, "Warning").is_empty(),
        "recommended properties stay warnings"
    );
    // sh:conforms says whether a report has results of any severity.
    let conforming = select(
        &store,
        &format!("SELECT ?d WHERE {{ ?r <{ALZ}validationOf> ?d ; <{SH}conforms> true }}"),
    );
    let mut all = conforming.clone();
    all.extend(with_results(&store, "Warning"));
    all.sort();
    assert_eq!(all, records);
    // The vocabulary is queryable, and no catalogue lists it.
    let labels = select(
        &store,
        "SELECT ?l WHERE { <http://publications.europa.eu/resource/authority/data-theme/ENVI> <http://www.w3.org/2004/02/skos/core#prefLabel> ?l }",
    );
    assert_eq!(labels, ["Environment"]);
    assert_eq!(store.count(Some("eu-tables")), 0);
    drop(store);
    let runs = String::from_utf8(env.run(&["runs", "sample"]).stdout).unwrap();
    assert!(
        runs.contains(&format!("validated {} records", records.len())),
        "{runs}"
    );
}

/// The first two columns of a SELECT over all graphs, as text.
fn pairs(store: &alzette_store::RecordStore, query: &str) -> Vec<(String, String)> {
    select_rows(store, query)
        .into_iter()
        .map(|row| (row[0].clone(), row[1].clone()))
        .collect()
}

/// One (rating, datasets) pair per row of the query page's example.
fn ratings(store: &alzette_store::RecordStore) -> Vec<(String, String)> {
    pairs(
        store,
        alzette_server::example("Datasets per quality rating").unwrap(),
    )
}

#[test]
fn datasets_get_the_data_portals_quality_score_with_their_missing_points() {
    let env = Env::new(&format!(
        "{}{}{}",
        validation(&["eu-tables"]),
        vocabulary_source("eu-tables", &repo("examples/vocabularies")),
        dcat_source("sample", &sample_catalog().display().to_string(), "")
    ));
    let out = env.run(&["quality"]);
    assert!(!out.status.success());
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("harvest first"),
        "{out:?}"
    );
    let scored = |env: &Env| {
        let (code, out) = env.harvest("sample", &[]);
        assert_eq!(code, 0, "{out}");
        let store = env.store();
        let scores = pairs(
            &store,
            "SELECT ?d ?v WHERE { ?d <http://www.w3.org/ns/dqv#hasQualityMeasurement> ?m . ?m <http://www.w3.org/ns/dqv#isMeasurementOf> <https://piveau.eu/ns/voc#score> ; <http://www.w3.org/ns/dqv#value> ?v }",
        );
        (scores, ratings(&store))
    };
    // Without the vocabularies, formats, licences and access rights are not known to be
    // from the EU tables, and no record is DCAT-AP compliant (the vocabulary shapes fail).
    let (before, _) = scored(&env);
    assert_eq!(env.harvest("eu-tables", &[]).0, 0);
    let (after, ratings) = scored(&env);
    let out = env.run(&["quality", "eu-tables"]);
    assert!(
        String::from_utf8_lossy(&out.stdout).contains("No quality scores stored for \"eu-tables\""),
        "{out:?}"
    );
    // Six datasets are scored; the series and the data service are not.
    let datasets = 6;
    assert_eq!(env.store().record_keys("sample").len(), 8);
    assert_eq!(after.len(), datasets, "{after:?}");
    let points = |v: &[(String, String)], d: &str| -> f64 {
        v.iter()
            .find(|(x, _)| x.ends_with(d))
            .unwrap()
            .1
            .parse()
            .unwrap()
    };
    // air-quality: compliance (30), format vocabulary (10), non-proprietary (20),
    // machine-readable (20), known licence (10), access rights vocabulary (5) = 95 more.
    assert_eq!(
        points(&after, "air-quality") - points(&before, "air-quality"),
        95.0
    );
    let total: usize = ratings
        .iter()
        .map(|(_, n)| n.parse::<usize>().unwrap())
        .sum();
    assert_eq!(total, datasets, "{ratings:?}");

    let out = env.run(&["quality", "sample", "--limit", "2"]);
    assert_eq!(out.status.code(), Some(0));
    let text = String::from_utf8(out.stdout).unwrap();
    let line = text
        .lines()
        .find(|l| l.starts_with("sample"))
        .unwrap_or_else(|| panic!("{text}"));
    let cells: Vec<&str> = line.split_whitespace().collect();
    assert_eq!(cells[1], datasets.to_string(), "{text}");
    let average = after
        .iter()
        .map(|(_, v)| v.parse::<f64>().unwrap())
        .sum::<f64>()
        / datasets as f64;
    assert_eq!(cells[2], format!("{average:.1}"), "{text}");
    assert!(text.contains("(2 of 6;"), "{text}");
    assert!(
        text.contains("missing: access URLs that answer (2xx or 3xx) (50.0, not measured)"),
        "{text}"
    );
    let runs = String::from_utf8(env.run(&["runs", "sample"]).stdout).unwrap();
    assert!(
        runs.contains(&format!(
            "quality (data.europa.eu MQA): {datasets} datasets, average {average:.1} of 405"
        )),
        "{runs}"
    );
    assert!(!env.run(&["quality", "nope"]).status.success());
}

const PAGE_HEAD: &str =
    "@prefix dcat: <http://www.w3.org/ns/dcat#> .\n@prefix dct: <http://purl.org/dc/terms/> .\n";

fn dataset(base: &str, i: usize, title: Option<&str>) -> String {
    let title = title.map_or(String::new(), |t| format!("dct:title \"{t}\"@en ; "));
    format!(
        "<{base}/d/{i}> a dcat:Dataset ; {title}dct:description \"Dataset {i}.\"@en .\n<{base}/c> dcat:dataset <{base}/d/{i}> .\n"
    )
}

#[test]
fn a_source_that_rejects_invalid_records_keeps_their_earlier_version() {
    let server = PageServer::start();
    let base = server.url("");
    let url = server.url("/catalog.ttl");
    let page = |titles: [Option<&str>; 3]| {
        let mut body = format!("{PAGE_HEAD}<{base}/c> a dcat:Catalog .\n");
        for (i, t) in titles.iter().enumerate() {
            body.push_str(&dataset(&base, i, *t));
        }
        Page::ok("text/turtle", body)
    };
    // The shapes from a URL this time.
    server.set(
        "/shapes.ttl",
        Page::ok(
            "text/turtle",
            std::fs::read(repo("shapes/dcat-ap-3-base.ttl")).unwrap(),
        ),
    );
    let env = Env::new(&format!(
        "[validation]\nshapes = [{:?}]\n\n{}\non_invalid = \"reject\"\n\n{}",
        server.url("/shapes.ttl"),
        dcat_source("strict", &url, "").trim_end(),
        dcat_source("lenient", &url, "")
    ));
    server.set("/catalog.ttl", page([Some("A"), Some("B"), None]));

    // A new invalid record: rejected by one source, stored and flagged by the other.
    let h = env.harvest_json("strict", &[]);
    assert_eq!(
        h.code, 3,
        "a rejected record makes the run ok-with-errors: {h}"
    );
    // The quality average is that of the records stored: the rejected one has no part in it.
    let v = h.run.validation.as_ref().expect("validated");
    assert_eq!((v.records, h.run.counts.rejected), (3, 1), "{h}");
    assert_eq!(v.scored, 2, "only stored datasets are scored: {h}");
    let (code, out) = env.harvest("lenient", &[]);
    assert_eq!(code, 0, "{out}");
    {
        let store = env.store();
        let d = |i: usize| format!("{base}/d/{i}");
        assert_eq!(stored_resources(&store, "strict"), [d(0), d(1)]);
        assert_eq!(stored_resources(&store, "lenient"), [d(0), d(1), d(2)]);
        assert_eq!(with_results(&store, "Violation"), [d(2)]);
    }
    let runs = String::from_utf8(env.run(&["runs", "strict", "--errors"]).stdout).unwrap();
    assert!(
        runs.contains("[validate]") && runs.contains(&format!("{base}/d/2")),
        "{runs}"
    );
    assert!(runs.contains("dct:title MinCount"), "{runs}");
    assert!(runs.contains("1 rejected"), "{runs}");

    // Dataset 1 loses its title: the strict source keeps the version it had, and does not
    // delete it; dataset 0 changes validly and is updated.
    server.set("/catalog.ttl", page([Some("A2"), None, None]));
    let (code, out) = env.harvest("strict", &[]);
    assert_eq!(code, 3, "{out}");
    let store = env.store();
    let titles = select(
        &store,
        &format!(
            "SELECT ?t WHERE {{ GRAPH ?g {{ ?d <http://purl.org/dc/terms/title> ?t }} FILTER(STRSTARTS(STR(?g), \"http://127.0.0.1:{}/record/strict/\")) }}",
            env.port
        ),
    );
    assert!(
        titles.contains(&"A2".to_owned()) && titles.contains(&"B".to_owned()),
        "{titles:?}"
    );
    assert_eq!(
        stored_resources(&store, "strict").len(),
        2,
        "nothing was deleted"
    );
}

#[test]
fn validate_prints_a_w3c_report_and_exits_by_conformance() {
    let env = Env::new("");
    let shapes = repo("shapes/dcat-ap-3-base.ttl");
    let bad = env.path("bad.ttl");
    std::fs::write(
        &bad,
        format!("{PAGE_HEAD}<http://e.org/d> a dcat:Dataset ; dct:description \"no title\" ."),
    )
    .unwrap();
    let out = env.run(&[
        "validate",
        bad.to_str().unwrap(),
        "--shapes",
        shapes.to_str().unwrap(),
        "--format",
        "turtle",
    ]);
    assert_eq!(out.status.code(), Some(1));
    let report = String::from_utf8(out.stdout).unwrap();
    let graph: oxigraph::model::Graph =
        oxigraph::io::RdfParser::from_format(oxigraph::io::RdfFormat::Turtle)
            .for_slice(report.as_bytes())
            .map(|q| oxigraph::model::Triple::from(q.unwrap()))
            .collect();
    let conforms: Vec<_> = graph
        .triples_for_predicate(oxigraph::model::NamedNodeRef::new_unchecked(
            "http://www.w3.org/ns/shacl#conforms",
        ))
        .map(|t| t.object.to_string())
        .collect();
    assert_eq!(
        conforms,
        ["\"false\"^^<http://www.w3.org/2001/XMLSchema#boolean>"]
    );
    assert!(report.contains("A dataset needs a title"), "{report}");

    let out = env.run(&[
        "validate",
        &sample_catalog().display().to_string(),
        "-s",
        shapes.to_str().unwrap(),
    ]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );

    let out = env.run(&["validate", bad.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("--shapes"));
    let out = env.run(&["validate", bad.to_str().unwrap(), "-s", "/nonexistent.ttl"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("/nonexistent.ttl"));
}

#[test]
fn a_background_that_is_not_a_vocabulary_source_is_refused() {
    let env = Env::new(&format!(
        "{}{}",
        validation(&["sample"]),
        dcat_source("sample", &sample_catalog().display().to_string(), "")
    ));
    let out = env.run(&["check-config"]);
    assert_ne!(out.status.code(), Some(0));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("validation.background[0]") && err.contains("kind vocabulary"),
        "{err}"
    );
}

#[test]
fn serve_validates_with_a_vocabulary_harvested_at_the_same_start() {
    // The dcat source comes first: its run must still wait for the vocabulary's.
    let env = Env::new(&format!(
        "{}{}{}",
        validation(&["eu-tables"]),
        dcat_source("sample", &sample_catalog().display().to_string(), ""),
        vocabulary_source("eu-tables", &repo("examples/vocabularies")),
    ));
    let server = env.serve();
    let sources = server.wait_for_runs(&["sample", "eu-tables"]);
    let sample = sources
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["id"] == "sample")
        .unwrap();
    let validation = &sample["last_run"]["validation"];
    assert_eq!(validation["records"], 8, "{sample}");
    assert_eq!(validation["with_violations"], 0, "{sample}");
    assert_eq!(validation["scored"], 6, "{sample}");
}

#[test]
fn links_are_checked_within_a_budget_reused_and_counted_in_the_score() {
    let server = PageServer::start();
    let base = server.url("");
    let closed = format!("http://127.0.0.1:{}/gone", free_port());
    let mut body = format!("{PAGE_HEAD}<{base}/c> a dcat:Catalog .\n");
    for (i, access) in [
        format!("{base}/ok"),
        format!("{base}/head-refused"),
        format!("{base}/missing"),
        closed.clone(),
    ]
    .iter()
    .enumerate()
    {
        body.push_str(&format!(
            "<{base}/d/{i}> a dcat:Dataset ; dct:title \"D{i}\" ; dct:description \"d\" ; dcat:distribution <{base}/d/{i}/x> .\n\
             <{base}/d/{i}/x> a dcat:Distribution ; dcat:accessURL <{access}> .\n<{base}/c> dcat:dataset <{base}/d/{i}> .\n"
        ));
    }
    server.set("/catalog.ttl", Page::ok("text/turtle", body));
    server.set("/ok", Page::ok("text/plain", "ok"));
    // HEAD refused (405), GET answers: reachable.
    server.set_sequence("/head-refused", vec![Page::status(405)]);
    server.set("/head-refused", Page::ok("text/plain", "ok"));
    server.set("/missing", Page::status(404));
    let env = Env::new(&format!(
        "[validation]\nshapes = [{:?}]\n\n[quality]\ncheck_links = true\nlink_host_interval = \"10ms\"\nmax_links_per_run = 3\n\n{}",
        repo("shapes/dcat-ap-3-base.ttl").display().to_string(),
        dcat_source("links", &server.url("/catalog.ttl"), "")
    ));
    let access_points = |env: &Env| -> Vec<(String, String)> {
        pairs(
            &env.store(),
            "SELECT ?d ?v WHERE { ?d <http://www.w3.org/ns/dqv#hasQualityMeasurement> ?m . \
             ?m <http://www.w3.org/ns/dqv#isMeasurementOf> <https://piveau.eu/ns/voc#accessUrlStatusCode> ; \
             <http://www.w3.org/ns/dqv#value> ?v . FILTER NOT EXISTS { ?m <https://w3id.org/alzette/ns#measured> false } }",
        )
    };

    // The budget lets three of the four URLs be checked; the fourth dataset stays unmeasured.
    assert_eq!(env.harvest("links", &[]).0, 0);
    assert_eq!(access_points(&env).len(), 3);
    let runs = String::from_utf8(env.run(&["runs", "links"]).stdout).unwrap();
    assert!(runs.contains("3 links checked"), "{runs}");

    // The page is read again (a link was left unchecked); only the fourth URL is checked.
    assert_eq!(env.harvest("links", &[]).0, 0);
    let d = |i: usize| format!("{base}/d/{i}");
    assert_eq!(
        access_points(&env),
        [
            (d(0), "50".into()),
            (d(1), "50".into()),
            (d(2), "0".into()),
            (d(3), "0".into())
        ]
    );
    assert_eq!(server.hits("/ok"), 1, "one HEAD, reused since");
    assert_eq!(server.hits("/head-refused"), 2, "HEAD refused, then GET");
    let runs = String::from_utf8(env.run(&["runs", "links"]).stdout).unwrap();
    assert!(runs.contains("1 links checked"), "{runs}");

    // Every result is fresh: nothing is asked again.
    assert_eq!(env.harvest("links", &[]).0, 0);
    assert_eq!(
        server.hits("/ok") + server.hits("/missing") + server.hits("/head-refused"),
        4
    );
}

#[test]
fn shapes_that_cannot_be_read_fail_the_run_and_name_them() {
    let gone = format!("http://127.0.0.1:{}/shapes.ttl", free_port());
    let env = Env::new(&format!(
        "[validation]\nshapes = [{gone:?}]\n\n{}",
        dcat_source("sample", &sample_catalog().display().to_string(), "")
    ));
    let (code, out) = env.harvest("sample", &[]);
    assert_ne!(code, 0, "{out}");
    assert!(
        out.contains("cannot read the shapes") && out.contains(&gone),
        "{out}"
    );
    assert!(stored_resources(&env.store(), "sample").is_empty());
}

#[test]
fn validate_reads_a_large_file_in_pieces_and_loses_nothing() {
    // Over 16 MiB: parsed in parallel pieces (one per core); every triple must still count.
    let env = Env::new("");
    let data = env.path("large.nt");
    let mut text = String::with_capacity(20 << 20);
    let n: usize = 120_000;
    for i in 0..n {
        text.push_str(&format!(
            "<http://example.org/dataset/{i:07}> <http://www.w3.org/1999/02/22-rdf-syntax-ns#type> <http://www.w3.org/ns/dcat#Dataset> .\n"
        ));
        if i % 3 != 0 {
            text.push_str(&format!(
                "<http://example.org/dataset/{i:07}> <http://purl.org/dc/terms/title> \"Dataset number {i}\" .\n<http://example.org/dataset/{i:07}> <http://purl.org/dc/terms/description> \"d\" .\n"
            ));
        }
    }
    assert!(text.len() > 17 << 20, "{} bytes", text.len());
    std::fs::write(&data, text).unwrap();
    let shapes = repo("shapes/dcat-ap-3-base.ttl");
    let out = env.run(&[
        "validate",
        data.to_str().unwrap(),
        "-s",
        shapes.to_str().unwrap(),
        "-f",
        "tsv",
    ]);
    assert_eq!(out.status.code(), Some(1));
    let rows = String::from_utf8(out.stdout).unwrap();
    // Every third dataset lacks a title and a description.
    assert_eq!(rows.lines().count(), 2 * n.div_ceil(3));
    assert!(rows.lines().all(|r| r.contains("MinCount")));

    // A syntax error in the last piece is reported, naming the file and the cause.
    let mut broken = std::fs::read_to_string(&data).unwrap();
    broken.push_str("<http://example.org/dataset/x> <http://purl.org/dc/terms/title> \"no end .\n");
    let broken_path = env.path("broken.nt");
    std::fs::write(&broken_path, broken).unwrap();
    let out = env.run(&[
        "validate",
        broken_path.to_str().unwrap(),
        "-s",
        shapes.to_str().unwrap(),
    ]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(
        err.contains("broken.nt") && err.contains("not valid N-Triples"),
        "{err}"
    );
}

/// The link checker requests only what the URL policy admits: the links of a source that is
/// not on the operator's network may not point into it (they are "not checked", never
/// requested), so a harvested record cannot make Alzette probe internal addresses.
#[test]
fn links_into_the_operators_network_are_not_requested() {
    let internal = PageServer::start();
    internal.set("/admin", Page::ok("text/plain", "internal"));
    let dir = tempfile::tempdir().unwrap();
    let page = format!(
        "{PAGE_HEAD}<https://data.example.org/d> a dcat:Dataset ; dct:title \"D\" ; dct:description \"d\" ; \
         dcat:distribution <https://data.example.org/d/x> .\n\
         <https://data.example.org/d/x> a dcat:Distribution ; dcat:accessURL <{}> .\n",
        internal.url("/admin")
    );
    let file = dir.path().join("c.ttl");
    std::fs::write(&file, page).unwrap();
    let env = Env::new(&format!(
        "[validation]\nshapes = [{:?}]\n\n[quality]\ncheck_links = true\n\n{}",
        repo("shapes/dcat-ap-3-base.ttl").display().to_string(),
        dcat_source("public", &file.display().to_string(), "")
    ));
    let h = env.harvest_json("public", &[]);
    assert_eq!(h.code, 0, "{h}");
    assert_eq!(
        internal.hits("/admin"),
        0,
        "an internal address is never requested"
    );

    // The operator may allow it.
    let env = Env::new(&format!(
        "[validation]\nshapes = [{:?}]\n\n[quality]\ncheck_links = true\n\n{}",
        repo("shapes/dcat-ap-3-base.ttl").display().to_string(),
        dcat_source(
            "allowed",
            &file.display().to_string(),
            "allow_private_addresses = true"
        )
    ));
    assert_eq!(env.harvest_json("allowed", &[]).code, 0);
    assert_eq!(internal.hits("/admin"), 1, "allowed: checked once");
}
