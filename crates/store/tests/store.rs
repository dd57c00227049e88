//! The store through its public interface, on disk.

use alzette_dcat::{PageParser, RdfFormat, SplitOptions, split_records};
use alzette_store::{HarvestRun, RecordStore};
use chrono::{TimeZone, Utc};

const BASE: &str = "http://alz.example/";

fn records(ids: std::ops::Range<usize>, version: u32) -> Vec<alzette_dcat::RecordGraph> {
    let mut ttl = String::from(
        "@prefix dcat: <http://www.w3.org/ns/dcat#> . @prefix dct: <http://purl.org/dc/terms/> .\n",
    );
    for i in ids {
        ttl.push_str(&format!("<http://e.org/d{i}> a dcat:Dataset ; dct:title \"D{i} v{version}\" ; dcat:contactPoint [ dct:title \"c\" ] .\n"));
    }
    let graph = PageParser::new(RdfFormat::Turtle, "http://e.org/")
        .parse(ttl.as_bytes())
        .unwrap();
    split_records(&graph, &SplitOptions::new(format!("{BASE}id/s/"))).records
}

fn run(id: u64) -> HarvestRun {
    HarvestRun {
        id,
        started: Utc.with_ymd_and_hms(2026, 1, 1, 0, 0, 0).unwrap(),
        source_url: "https://source.example/catalog.ttl".into(),
    }
}

fn page_resources(
    store: &RecordStore,
    source: Option<&str>,
    offset: usize,
    limit: usize,
) -> Vec<String> {
    let page = store.catalog_page(source, offset, limit).unwrap();
    let mut out: Vec<String> = page
        .triples
        .iter()
        .filter(|t| t.predicate.as_str() == "http://xmlns.com/foaf/0.1/primaryTopic")
        .map(|t| t.object.to_string())
        .collect();
    out.sort();
    out
}

#[test]
fn writes_sort_updates_and_deletes() {
    let dir = tempfile::tempdir().unwrap();
    let store = RecordStore::open(&dir.path().join("store"), BASE).unwrap();
    let t1 = Utc.with_ymd_and_hms(2026, 1, 1, 0, 0, 0).unwrap();
    let w = store.write("s", records(0..5, 1), t1, &run(1)).unwrap();
    assert_eq!((w.added, w.updated, w.unchanged), (5, 0, 0));
    let w = store.write("s", records(0..5, 1), t1, &run(1)).unwrap();
    assert_eq!((w.added, w.updated, w.unchanged), (0, 0, 5));
    let t2 = Utc.with_ymd_and_hms(2026, 2, 1, 0, 0, 0).unwrap();
    let w = store.write("s", records(3..7, 2), t2, &run(2)).unwrap();
    assert_eq!((w.added, w.updated, w.unchanged), (2, 2, 0));
    assert_eq!(store.count(Some("s")), 7);
    // An updated record keeps its first-seen date.
    let rec = store
        .iris()
        .record("s", &alzette_store::RecordKey::of("http://e.org/d3"));
    let quads = store.record_graph_quads(rec.as_ref()).unwrap();
    let value = |p: &str| {
        quads
            .iter()
            .find(|q| q.predicate.as_str() == p)
            .unwrap()
            .object
            .to_string()
    };
    assert!(value("http://purl.org/dc/terms/issued").contains("2026-01-01"));
    assert!(value("http://purl.org/dc/terms/modified").contains("2026-02-01"));
    // Provenance: the run that wrote this version, and the source it read.
    assert_eq!(
        value("http://www.w3.org/ns/prov#wasGeneratedBy"),
        format!("<{BASE}run/s/2>")
    );
    assert_eq!(
        value("http://www.w3.org/ns/prov#hadPrimarySource"),
        "<https://source.example/catalog.ttl>"
    );
    assert_eq!(
        value("http://www.w3.org/ns/prov#used"),
        "<https://source.example/catalog.ttl>"
    );
    let unchanged = store
        .iris()
        .record("s", &alzette_store::RecordKey::of("http://e.org/d0"));
    let unchanged = store.record_graph_quads(unchanged.as_ref()).unwrap();
    assert!(
        unchanged.iter().any(|q| q.predicate.as_str()
            == "http://www.w3.org/ns/prov#wasGeneratedBy"
            && q.object.to_string() == format!("<{BASE}run/s/1>")),
        "a record not rewritten keeps the run that wrote it"
    );
    // Blank nodes of different records are different nodes.
    let blank: std::collections::HashSet<String> = (0..7)
        .flat_map(|i| {
            let rec = store.iris().record(
                "s",
                &alzette_store::RecordKey::of(&format!("http://e.org/d{i}")),
            );
            store.record_graph_quads(rec.as_ref()).unwrap()
        })
        .filter(|q| q.subject.is_blank_node())
        .map(|q| q.subject.to_string())
        .collect();
    assert_eq!(blank.len(), 7);
    let keys: std::collections::HashSet<_> =
        [alzette_store::RecordKey::of("http://e.org/d0")].into();
    assert_eq!(store.delete("s", &keys).unwrap(), 1);
    assert_eq!(store.count(Some("s")), 6);
    assert!(!page_resources(&store, Some("s"), 0, 100).contains(&"<http://e.org/d0>".to_owned()));
}

#[test]
fn the_catalogue_order_survives_a_clean_stop_and_is_rebuilt_after_a_crash() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("store");
    let order = path.join("alzette-catalog-order");
    let pages = |store: &RecordStore| {
        (0..4)
            .map(|p| page_resources(store, None, p * 3, 3))
            .collect::<Vec<_>>()
    };
    let before = {
        let store = RecordStore::open(&path, BASE).unwrap();
        store
            .write(
                "b",
                records(0..4, 1),
                Utc.with_ymd_and_hms(2026, 1, 1, 0, 0, 0).unwrap(),
                &run(1),
            )
            .unwrap();
        store
            .write(
                "a",
                records(10..15, 1),
                Utc.with_ymd_and_hms(2026, 1, 2, 0, 0, 0).unwrap(),
                &run(1),
            )
            .unwrap();
        store
            .write(
                "a",
                records(20..22, 1),
                Utc.with_ymd_and_hms(2026, 1, 3, 0, 0, 0).unwrap(),
                &run(1),
            )
            .unwrap();
        pages(&store)
    };
    assert!(order.exists(), "a clean stop saves the order");
    assert_eq!(before.iter().map(Vec::len).sum::<usize>(), 11);
    {
        let store = RecordStore::open(&path, BASE).unwrap();
        assert!(
            !order.exists(),
            "the saved order is consumed while the store is open"
        );
        assert_eq!(pages(&store), before);
    }
    // As after a crash: no saved order. The order is rebuilt from the records, the same.
    std::fs::remove_file(&order).unwrap();
    let store = RecordStore::open(&path, BASE).unwrap();
    assert_eq!(pages(&store), before);
    // Source a's records come first (sources in id order), oldest first: its five of 2 January,
    // then its two of 3 January, then source b's four.
    let first_seen_2_jan: Vec<String> = (10..15).map(|i| format!("<http://e.org/d{i}>")).collect();
    assert!(
        before[0].iter().all(|r| first_seen_2_jan.contains(r)),
        "{before:?}"
    );
    let of_b: Vec<String> = (0..4).map(|i| format!("<http://e.org/d{i}>")).collect();
    assert!(
        before[3].iter().all(|r| of_b.contains(r)) && before[3].len() == 2,
        "{before:?}"
    );
    drop(store);

    // A saved order that no longer matches the store (a record removed behind Alzette's back)
    // is not trusted.
    {
        let raw = oxigraph::store::Store::open(&path).unwrap();
        let rec = alzette_store::Iris::new(BASE)
            .record("a", &alzette_store::RecordKey::of("http://e.org/d10"));
        raw.remove_named_graph(&rec).unwrap();
    }
    let store = RecordStore::open(&path, BASE).unwrap();
    assert_eq!(store.count(None), 10);
}
