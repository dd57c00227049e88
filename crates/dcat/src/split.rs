//! Splitting a page into records: one per `dcat:Dataset`, `dcat:DataService` and
//! `dcat:DatasetSeries`, each with what hangs off it.

use crate::normalise::{Description, Normaliser, RecordLimits, Refusal, Refused};
use crate::page::PageGraph;
use crate::record::{RecordGraph, RecordKind};
use alzette_vocab::{dcat, dct, foaf, hydra, rdf};
use oxrdf::{NamedOrBlankNode, NamedOrBlankNodeRef, Term, TermRef, Triple};
use std::collections::{BTreeSet, HashMap, HashSet, VecDeque};

/// How to split a page.
#[derive(Debug, Clone)]
pub struct SplitOptions {
    /// Makes each resource's description a record (limits, IRIs for blank nodes, canonical form).
    pub normaliser: Normaliser,
    /// How many links away from the resource its description is followed.
    pub max_depth: usize,
}

impl SplitOptions {
    /// Blank-node resources get IRIs starting with `mint_base`; records are held to the
    /// default [`RecordLimits`] (see [`SplitOptions::with_limits`]).
    pub fn new(mint_base: impl Into<String>) -> Self {
        Self {
            normaliser: Normaliser::new(mint_base, RecordLimits::default()),
            max_depth: 16,
        }
    }

    pub fn with_limits(mut self, limits: RecordLimits) -> Self {
        let reserved = self.normaliser.reserved_namespace().map(str::to_owned);
        self.normaliser = Normaliser::new(self.normaliser.mint_base(), limits);
        if let Some(ns) = reserved {
            self.normaliser = self.normaliser.with_reserved_namespace(ns);
        }
        self
    }

    /// See [`Normaliser::with_reserved_namespace`].
    pub fn with_reserved_namespace(mut self, namespace: impl Into<String>) -> Self {
        self.normaliser = self.normaliser.with_reserved_namespace(namespace);
        self
    }
}

/// A record of the page that could not be made, and why.
#[derive(Debug)]
pub struct RecordProblem {
    /// The resource as the page names it (`<iri>` or `_:label`), with its title when it has one.
    pub record: String,
    pub refused: Refused,
}

/// The records of one page.
#[derive(Debug, Default)]
pub struct SplitPage {
    pub records: Vec<RecordGraph>,
    pub problems: Vec<RecordProblem>,
}

/// Splits a page into records.
///
/// A record holds the resource's triples and, recursively, those of the blank nodes and the IRIs
/// described on the page that it links to (distributions, contact points, publishers, periods,
/// locations...), and the source's own `dcat:CatalogRecord` about it. The description stops at
/// other records' resources, catalogues and Hydra paging nodes: those are linked, not copied.
///
/// ```
/// use alzette_dcat::{split_records, PageParser, SplitOptions};
/// use oxrdfio::RdfFormat;
/// let page = br#"
///   @prefix dcat: <http://www.w3.org/ns/dcat#> . @prefix dct: <http://purl.org/dc/terms/> .
///   <cat> a dcat:Catalog ; dcat:dataset <d1>, [ a dcat:Dataset ; dct:identifier "x 2" ] .
///   <d1> a dcat:Dataset ; dct:publisher <org> ; dcat:distribution [ dcat:accessURL <f> ] .
///   <org> dct:title "Agency" ."#;
/// let graph = PageParser::new(RdfFormat::Turtle, "https://e.org/").parse(page).unwrap();
/// let split = split_records(&graph, &SplitOptions::new("https://alz.example/id/src/"));
/// assert_eq!(split.records.len(), 2);
/// let d1 = split.records.iter().find(|r| r.resource.as_str() == "https://e.org/d1").unwrap();
/// assert_eq!(d1.triples.len(), 5); // type, publisher, distribution, accessURL, the agency's title
/// assert!(split.records.iter().any(|r| r.resource.as_str() == "https://alz.example/id/src/x%202"));
/// ```
pub fn split_records(graph: &PageGraph, options: &SplitOptions) -> SplitPage {
    let roots = find_roots(graph);
    let boundary = boundary(graph, &roots);
    let mut page = SplitPage::default();
    for (root, kinds) in &roots {
        match make_record(graph, root.as_ref(), kinds, &boundary, options) {
            Ok(record) => page.records.push(record),
            Err(refused) => page.problems.push(RecordProblem {
                record: describe(graph, root.as_ref()),
                refused,
            }),
        }
    }
    page
}

/// The resources that become records, with their kinds; an untyped resource that a catalogue
/// lists with `dcat:dataset` or `dcat:service` gets the matching kind.
fn find_roots(graph: &PageGraph) -> Vec<(NamedOrBlankNode, BTreeSet<RecordKind>)> {
    let mut roots: HashMap<NamedOrBlankNode, BTreeSet<RecordKind>> = HashMap::new();
    for kind in [
        RecordKind::Dataset,
        RecordKind::DataService,
        RecordKind::DatasetSeries,
    ] {
        for s in graph.subjects_with(rdf::TYPE, kind.class().into()) {
            roots.entry(s.clone()).or_default().insert(kind);
        }
    }
    for (link, kind) in [
        (dcat::DATASET_PROPERTY, RecordKind::Dataset),
        (dcat::SERVICE, RecordKind::DataService),
    ] {
        for t in graph.triples_for_predicate(link) {
            let node = match t.object.as_ref() {
                TermRef::NamedNode(n) => NamedOrBlankNodeRef::from(n),
                TermRef::BlankNode(b) => NamedOrBlankNodeRef::from(b),
                _ => continue,
            };
            if graph.describes(node) {
                roots
                    .entry(node.into_owned())
                    .or_insert_with(|| [kind].into());
            }
        }
    }
    // In page order (where each is first described): when two describe one resource, the
    // first on the page is the one kept; the same page gives the same order every run.
    let mut roots: Vec<_> = roots.into_iter().collect();
    roots.sort_by_cached_key(|(node, _)| (graph.first_position(node.as_ref()), node.to_string()));
    roots
}

/// Nodes a record's description does not go into.
fn boundary<'a>(
    graph: &'a PageGraph,
    roots: &'a [(NamedOrBlankNode, BTreeSet<RecordKind>)],
) -> HashSet<NamedOrBlankNodeRef<'a>> {
    let mut b: HashSet<NamedOrBlankNodeRef<'a>> = roots.iter().map(|(r, _)| r.as_ref()).collect();
    b.extend(
        graph
            .subjects_with(rdf::TYPE, dcat::CATALOG.into())
            .map(NamedOrBlankNode::as_ref),
    );
    for p in [
        dcat::DATASET_PROPERTY,
        dcat::SERVICE,
        dcat::CATALOG_PROPERTY,
        dcat::RECORD,
    ] {
        b.extend(graph.triples_for_predicate(p).map(|t| t.subject.as_ref()));
    }
    for class in [
        hydra::COLLECTION,
        hydra::PARTIAL_COLLECTION_VIEW,
        hydra::PAGED_COLLECTION,
    ] {
        b.extend(
            graph
                .subjects_with(rdf::TYPE, class.into())
                .map(NamedOrBlankNode::as_ref),
        );
    }
    for p in [
        hydra::VIEW,
        hydra::NEXT,
        hydra::NEXT_PAGE,
        hydra::PREVIOUS,
        hydra::FIRST,
        hydra::LAST,
        hydra::TOTAL_ITEMS,
    ] {
        for t in graph.triples_for_predicate(p) {
            b.insert(t.subject.as_ref());
            match t.object.as_ref() {
                TermRef::NamedNode(n) => {
                    b.insert(n.into());
                }
                TermRef::BlankNode(n) => {
                    b.insert(n.into());
                }
                _ => {}
            }
        }
    }
    b
}

fn make_record(
    graph: &PageGraph,
    root: NamedOrBlankNodeRef<'_>,
    kinds: &BTreeSet<RecordKind>,
    boundary: &HashSet<NamedOrBlankNodeRef<'_>>,
    options: &SplitOptions,
) -> Result<RecordGraph, Refused> {
    // A blank-node resource is named by its identifier (the smallest, if several), known
    // before the description is gathered: a record refused for its size keeps its earlier
    // version.
    let identifier = match root {
        NamedOrBlankNodeRef::NamedNode(_) => None,
        NamedOrBlankNodeRef::BlankNode(_) => graph
            .objects(root, dct::IDENTIFIER)
            .filter_map(|o| match o {
                Term::Literal(l) => Some(l.value().trim().to_owned()),
                _ => None,
            })
            .filter(|v| !v.is_empty())
            .min(),
    };
    let refused = |reason| Refused {
        resource: options
            .normaliser
            .iri_of(&root.into_owned(), identifier.as_deref())
            .ok()
            .flatten(),
        reason,
    };
    let mut triples = closure(graph, root, boundary, options).map_err(refused)?;
    // An untyped resource listed by a catalogue: say what it is.
    for kind in kinds {
        if !graph.contains(root, rdf::TYPE, kind.class().into()) {
            triples.push(Triple::new(root.into_owned(), rdf::TYPE, kind.class()));
        }
    }
    // The source's own catalogue records about the resource.
    let root_term: Term = root.into_owned().into();
    for record in graph.subjects_with(foaf::PRIMARY_TOPIC, root_term.as_ref()) {
        if graph.contains(record.as_ref(), rdf::TYPE, dcat::CATALOG_RECORD.into()) {
            let mut inner = boundary.clone();
            inner.insert(root);
            triples.extend(closure(graph, record.as_ref(), &inner, options).map_err(refused)?);
        }
    }
    options.normaliser.record(Description {
        resource: root.into_owned(),
        kinds: kinds.iter().copied().collect(),
        triples,
        identifier,
    })
}

/// The triples of `start` and of what it links to, breadth first, stopping at the boundary.
fn closure<'a>(
    graph: &'a PageGraph,
    start: NamedOrBlankNodeRef<'a>,
    boundary: &HashSet<NamedOrBlankNodeRef<'_>>,
    options: &SplitOptions,
) -> Result<Vec<Triple>, Refusal> {
    let mut out = Vec::new();
    let mut visited: HashSet<NamedOrBlankNodeRef<'a>> = HashSet::from([start]);
    let mut queue = VecDeque::from([(start, 0usize)]);
    while let Some((node, depth)) = queue.pop_front() {
        for t in graph.triples_for_subject(node) {
            out.push(t.clone());
            if let Some(refusal) = options.normaliser.too_many_triples(out.len()) {
                return Err(refusal);
            }
            let next: NamedOrBlankNodeRef<'a> = match &t.object {
                Term::NamedNode(n) => n.as_ref().into(),
                Term::BlankNode(b) => b.as_ref().into(),
                _ => continue,
            };
            if depth + 1 > options.max_depth
                || boundary.contains(&next)
                || !visited.insert(next)
                || !graph.describes(next)
            {
                continue;
            }
            queue.push_back((next, depth + 1));
        }
    }
    Ok(out)
}

/// `<iri> "title"` or `_:b "title"`, for messages about a record that could not be made.
fn describe(graph: &PageGraph, node: NamedOrBlankNodeRef<'_>) -> String {
    let title = graph.objects(node, dct::TITLE).find_map(|o| match o {
        Term::Literal(l) => Some(l.value().to_owned()),
        _ => None,
    });
    match title {
        Some(t) => format!("{node} \"{t}\""),
        None => node.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::PageParser;
    use crate::record::MintedFrom;
    use oxrdfio::RdfFormat;

    const P: &str = "@prefix dcat: <http://www.w3.org/ns/dcat#> . @prefix dct: <http://purl.org/dc/terms/> . @prefix foaf: <http://xmlns.com/foaf/0.1/> . @prefix hydra: <http://www.w3.org/ns/hydra/core#> .\n";

    fn split(ttl: &str) -> SplitPage {
        let g = PageParser::new(RdfFormat::Turtle, "http://e.org/page")
            .parse(format!("{P}{ttl}").as_bytes())
            .unwrap();
        split_records(&g, &SplitOptions::new("http://alz/id/s/"))
    }

    fn record<'a>(page: &'a SplitPage, iri: &str) -> &'a RecordGraph {
        page.records
            .iter()
            .find(|r| r.resource.as_str() == iri)
            .unwrap_or_else(|| panic!("no record {iri}"))
    }

    #[test]
    fn records_stop_at_other_records_catalogues_and_paging() {
        let page = split(
            "<cat> a dcat:Catalog ; dct:title \"C\" ; dcat:dataset <d1>, <d2> ; hydra:view <page> .
             <page> hydra:next <page2> .
             <d1> a dcat:Dataset ; dcat:inSeries <series> ; dct:isPartOf <cat> ; dcat:distribution <dist1> .
             <dist1> a dcat:Distribution ; dcat:accessService <svc> .
             <svc> a dcat:DataService ; dcat:servesDataset <d1> ; dct:title \"S\" .
             <series> a dcat:DatasetSeries ; dct:title \"Series\" .
             <d2> dct:title \"untyped, listed\" .",
        );
        assert_eq!(page.records.len(), 4);
        let d1 = record(&page, "http://e.org/d1");
        // d1: type, inSeries, isPartOf, distribution + dist1's two triples.
        assert_eq!(d1.triples.len(), 6, "{:#?}", d1.triples);
        assert!(
            !d1.triples
                .iter()
                .any(|t| t.subject.to_string() == "<http://e.org/svc>")
        );
        assert_eq!(
            record(&page, "http://e.org/svc").kinds,
            vec![RecordKind::DataService]
        );
        let d2 = record(&page, "http://e.org/d2");
        assert_eq!(d2.kinds, vec![RecordKind::Dataset]);
        assert!(d2.triples.iter().any(|t| t.predicate == rdf::TYPE));
    }

    #[test]
    fn shared_descriptions_are_copied_into_every_record() {
        let page = split(
            "<d1> a dcat:Dataset ; dct:publisher <org> ; dcat:contactPoint _:c .
             <d2> a dcat:Dataset ; dct:publisher <org> ; dcat:contactPoint _:c .
             <org> a foaf:Agent ; foaf:name \"Org\" .
             _:c <http://www.w3.org/2006/vcard/ns#fn> \"Desk\" .",
        );
        for d in ["http://e.org/d1", "http://e.org/d2"] {
            let r = record(&page, d);
            assert_eq!(r.triples.len(), 6, "{d}");
        }
    }

    #[test]
    fn blank_node_datasets_get_stable_iris() {
        let a = split("[] a dcat:Dataset ; dct:identifier \"ABC/1\" ; dct:title \"t\" .");
        let b = split("_:other a dcat:Dataset ; dct:title \"t\" ; dct:identifier \"ABC/1\" .");
        assert_eq!(a.records[0].resource.as_str(), "http://alz/id/s/ABC%2F1");
        assert_eq!(a.records[0].hash, b.records[0].hash);
        assert_eq!(
            a.records[0].minted_from,
            Some(MintedFrom::Identifier("ABC/1".into()))
        );

        let c = split("[] a dcat:Dataset ; dct:title \"no identifier\" .");
        let d = split("[] a dcat:Dataset ; dct:title \"no identifier\" .");
        let e = split("[] a dcat:Dataset ; dct:title \"other content\" .");
        assert!(
            c.records[0]
                .resource
                .as_str()
                .starts_with("http://alz/id/s/sha256-")
        );
        assert_eq!(c.records[0].resource, d.records[0].resource);
        assert_ne!(c.records[0].resource, e.records[0].resource);
        assert_eq!(c.records[0].minted_from, Some(MintedFrom::ContentHash));
    }

    #[test]
    fn blank_node_relabelling_is_no_change() {
        let a = split(
            "<d> a dcat:Dataset ; dcat:distribution _:x, _:y . _:x dcat:accessURL <a> . _:y dcat:accessURL <b> .",
        );
        let b = split(
            "<d> a dcat:Dataset ; dcat:distribution [ dcat:accessURL <b> ], [ dcat:accessURL <a> ] .",
        );
        assert_eq!(a.records[0].hash, b.records[0].hash);
        assert_eq!(a.records[0].triples, b.records[0].triples);
        let c = split(
            "<d> a dcat:Dataset ; dcat:distribution [ dcat:accessURL <b> ], [ dcat:accessURL <c> ] .",
        );
        assert_ne!(a.records[0].hash, c.records[0].hash);
    }

    #[test]
    fn source_catalogue_records_come_along() {
        let page = split(
            "<d> a dcat:Dataset . [] a dcat:CatalogRecord ; foaf:primaryTopic <d> ; dct:modified \"2024-01-01\" .",
        );
        let r = &page.records[0];
        assert_eq!(r.triples.len(), 4);
        assert!(r.source_record().is_some());
    }

    #[test]
    fn oversized_records_are_problems_not_failures() {
        let g = PageParser::new(RdfFormat::Turtle, "http://e.org/")
            .parse(format!("{P}<big> a dcat:Dataset ; dct:title \"Big\" ; dcat:keyword \"a\", \"b\", \"c\" . <small> a dcat:Dataset .").as_bytes())
            .unwrap();
        let mut o = SplitOptions::new("http://alz/id/s/");
        o = o.with_limits(crate::RecordLimits {
            max_record_triples: 3,
            ..Default::default()
        });
        let page = split_records(&g, &o);
        assert_eq!(page.records.len(), 1);
        assert_eq!(page.problems.len(), 1);
        assert!(page.problems[0].record.contains("\"Big\""));
        assert!(
            page.problems[0]
                .refused
                .to_string()
                .contains("max_record_triples")
        );

        let g = PageParser::new(RdfFormat::Turtle, "http://e.org/")
            .parse(format!("{P}<long> a dcat:Dataset ; dct:description \"{}\" . <short> a dcat:Dataset ; dct:description \"ok\" .", "x".repeat(101)).as_bytes())
            .unwrap();
        let mut o = SplitOptions::new("http://alz/id/s/");
        o = o.with_limits(crate::RecordLimits {
            max_literal_size: 100,
            ..Default::default()
        });
        let page = split_records(&g, &o);
        assert_eq!(page.records.len(), 1);
        assert_eq!(page.records[0].resource.as_str(), "http://e.org/short");
        assert_eq!(page.problems[0].record, "<http://e.org/long>");
        assert_eq!(
            page.problems[0].refused.to_string(),
            "its <http://purl.org/dc/terms/description> value is 101 bytes, more than 100 (limit max_literal_size)"
        );
    }

    #[test]
    fn cycles_terminate() {
        let page = split(
            "<d> a dcat:Dataset ; dct:relation <x> . <x> dct:relation <y> . <y> dct:relation <x> .",
        );
        assert_eq!(page.records[0].triples.len(), 4);
    }

    /// Two blank-node datasets with one identifier name one resource: the first on the page is
    /// the one kept (the run counts the other as a duplicate).
    #[test]
    fn records_come_in_page_order() {
        let page = split(
            "_:zz a dcat:Dataset ; dct:identifier \"same\" ; dct:title \"first on the page\" .
             _:aa a dcat:Dataset ; dct:identifier \"same\" ; dct:title \"second\" .",
        );
        assert_eq!(page.records.len(), 2);
        assert_eq!(page.records[0].resource, page.records[1].resource);
        assert!(
            page.records[0].label().contains("first on the page"),
            "{}",
            page.records[0].label()
        );
    }
}
