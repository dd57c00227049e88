//! Agreement with the SEMIC reference mapping: every ISO record and CSW response in
//! ../shared/fixtures is mapped and compared with what the reference XSLT (Saxon, extended
//! profile) made of it, in ../shared/fixtures/reference/expected: the share of its triples
//! Alzette reproduces (recall) and the share of Alzette's triples it has (precision), blank
//! nodes matched by structure. `docs/mapping-iso19139.md` explains the differences.
//!
//! Both graphs are compared lean: where a subject has several identical blank-node trees
//! under one predicate, one is kept. The reference writes each conformity activity once per
//! specification of the record (N² activities for N reports, the same tree each time); the
//! copies say nothing more (the graphs are equivalent under RDF simple entailment), so they
//! are neither credited nor held against anyone.

use alzette_iso19139::{Options, map_document};
use oxrdf::{BlankNode, NamedOrBlankNode, Term, Triple};
use oxrdfio::{RdfFormat, RdfParser};
use std::collections::{HashMap, HashSet, VecDeque};
use std::path::{Path, PathBuf};

fn fixtures() -> Option<PathBuf> {
    alzette_testkit::shared_fixtures("ISO 19139 reference agreement")
}

fn read_expected(file: &Path) -> Vec<Triple> {
    let bytes = std::fs::read(file).unwrap();
    let base = format!("file://{}", file.display());
    RdfParser::from_format(RdfFormat::RdfXml)
        .with_base_iri(&base)
        .unwrap()
        .lenient()
        .for_slice(&bytes)
        .filter_map(|q| q.ok().map(Triple::from))
        .collect()
}

/// Triples by subject, and the subjects each blank node is an object of.
struct Shape {
    by_subject: HashMap<NamedOrBlankNode, Vec<(String, Term)>>,
    roots: Vec<BlankNode>,
}

impl Shape {
    fn new(triples: &[Triple]) -> Self {
        let mut by_subject: HashMap<NamedOrBlankNode, Vec<(String, Term)>> = HashMap::new();
        let mut objects = HashSet::new();
        for t in triples {
            by_subject
                .entry(t.subject.clone())
                .or_default()
                .push((t.predicate.as_str().to_owned(), t.object.clone()));
            if let Term::BlankNode(b) = &t.object {
                objects.insert(b.clone());
            }
        }
        // Where matching starts besides named subjects: blank nodes nothing points to, and
        // blank datasets, services and series (a record and its resource point to each other,
        // which leaves neither unpointed-to).
        let resource = |d: &Vec<(String, Term)>| {
            d.iter().any(|(p, o)| {
                p == "http://www.w3.org/1999/02/22-rdf-syntax-ns#type"
                    && matches!(o, Term::NamedNode(c) if [
                        "http://www.w3.org/ns/dcat#Dataset",
                        "http://www.w3.org/ns/dcat#DataService",
                        "http://www.w3.org/ns/dcat#DatasetSeries",
                    ].contains(&c.as_str()))
            })
        };
        let mut roots: Vec<BlankNode> = by_subject
            .iter()
            .filter_map(|(s, d)| match s {
                NamedOrBlankNode::BlankNode(b) if !objects.contains(b) || resource(d) => {
                    Some(b.clone())
                }
                _ => None,
            })
            .collect();
        roots.sort_by_key(|b| b.as_str().to_owned());
        Self { by_subject, roots }
    }

    fn description(&self, b: &BlankNode) -> &[(String, Term)] {
        self.by_subject
            .get(&NamedOrBlankNode::BlankNode(b.clone()))
            .map_or(&[], Vec::as_slice)
    }
}

/// How alike two blank nodes are: shared (predicate, value) pairs count 2, shared
/// predicates leading to blank nodes 1.
fn likeness(a: &[(String, Term)], b: &[(String, Term)]) -> usize {
    let plain = |d: &[(String, Term)]| -> HashSet<(String, Term)> {
        d.iter()
            .filter(|(_, o)| !matches!(o, Term::BlankNode(_)))
            .cloned()
            .collect()
    };
    let nested = |d: &[(String, Term)]| -> HashSet<String> {
        d.iter()
            .filter(|(_, o)| matches!(o, Term::BlankNode(_)))
            .map(|(p, _)| p.clone())
            .collect()
    };
    2 * plain(a).intersection(&plain(b)).count() + nested(a).intersection(&nested(b)).count()
}

/// Pairs up `ours` with `theirs` by likeness, most alike first.
fn pair(
    ours: &Shape,
    theirs: &Shape,
    a: &[BlankNode],
    b: &[BlankNode],
) -> Vec<(BlankNode, BlankNode)> {
    let mut scored = Vec::new();
    for (i, x) in a.iter().enumerate() {
        for (j, y) in b.iter().enumerate() {
            scored.push((likeness(ours.description(x), theirs.description(y)), i, j));
        }
    }
    scored.sort_by(|p, q| q.0.cmp(&p.0).then(p.1.cmp(&q.1)).then(p.2.cmp(&q.2)));
    let (mut used_a, mut used_b) = (HashSet::new(), HashSet::new());
    let mut out = Vec::new();
    for (_, i, j) in scored {
        if used_a.contains(&i) || used_b.contains(&j) {
            continue;
        }
        used_a.insert(i);
        used_b.insert(j);
        out.push((a[i].clone(), b[j].clone()));
    }
    out
}

/// Our blank nodes renamed to the expected ones they correspond to, found from the named
/// subjects (and the unnamed roots) down.
fn match_blank_nodes(ours: &[Triple], expected: &[Triple]) -> HashMap<BlankNode, BlankNode> {
    let (a, b) = (Shape::new(ours), Shape::new(expected));
    let mut mapping = HashMap::new();
    let mut queue: VecDeque<(NamedOrBlankNode, NamedOrBlankNode)> = a
        .by_subject
        .keys()
        .filter(|s| matches!(s, NamedOrBlankNode::NamedNode(_)) && b.by_subject.contains_key(*s))
        .map(|s| (s.clone(), s.clone()))
        .collect();
    for (x, y) in pair(&a, &b, &a.roots, &b.roots) {
        mapping.insert(x.clone(), y.clone());
        queue.push_back((x.into(), y.into()));
    }
    while let Some((x, y)) = queue.pop_front() {
        let children = |shape: &Shape, s: &NamedOrBlankNode| -> HashMap<String, Vec<BlankNode>> {
            let mut by_p: HashMap<String, Vec<BlankNode>> = HashMap::new();
            for (p, o) in shape.by_subject.get(s).map_or(&[][..], Vec::as_slice) {
                if let Term::BlankNode(c) = o {
                    by_p.entry(p.clone()).or_default().push(c.clone());
                }
            }
            by_p
        };
        let (cx, cy) = (children(&a, &x), children(&b, &y));
        for (p, xs) in cx {
            let Some(ys) = cy.get(&p) else { continue };
            let xs: Vec<_> = xs
                .into_iter()
                .filter(|c| !mapping.contains_key(c))
                .collect();
            for (c, d) in pair(&a, &b, &xs, ys) {
                if mapping.values().any(|v| v == &d) {
                    continue;
                }
                mapping.insert(c.clone(), d.clone());
                queue.push_back((c.into(), d.into()));
            }
        }
    }
    mapping
}

struct Agreement {
    expected: usize,
    produced: usize,
    common: usize,
    missing: Vec<String>,
    extra: Vec<String>,
}

/// A blank node's tree, written out canonically (its triples and its blank children's,
/// recursively; records' blank nodes form trees).
fn tree(shape: &Shape, b: &BlankNode, depth: usize) -> String {
    let mut parts: Vec<String> = shape
        .description(b)
        .iter()
        .map(|(p, o)| match o {
            Term::BlankNode(c) if depth < 16 => format!("{p} [{}]", tree(shape, c, depth + 1)),
            o => format!("{p} {o}"),
        })
        .collect();
    parts.sort();
    parts.join(" ; ")
}

/// The triples without repeated sibling blank-node trees (and their insides).
fn lean(triples: &[Triple]) -> Vec<Triple> {
    let shape = Shape::new(triples);
    let mut seen: HashSet<(NamedOrBlankNode, String, String)> = HashSet::new();
    let mut dropped: HashSet<BlankNode> = HashSet::new();
    for t in triples {
        if let Term::BlankNode(b) = &t.object {
            let key = (
                t.subject.clone(),
                t.predicate.as_str().to_owned(),
                tree(&shape, b, 0),
            );
            if !seen.insert(key) {
                dropped.insert(b.clone());
            }
        }
    }
    // A dropped tree's insides go with it.
    let mut stack: Vec<BlankNode> = dropped.iter().cloned().collect();
    while let Some(b) = stack.pop() {
        for (_, o) in shape.description(&b) {
            if let Term::BlankNode(c) = o
                && dropped.insert(c.clone())
            {
                stack.push(c.clone());
            }
        }
    }
    triples
        .iter()
        .filter(|t| {
            let subject_dropped =
                matches!(&t.subject, NamedOrBlankNode::BlankNode(b) if dropped.contains(b));
            let object_dropped = matches!(&t.object, Term::BlankNode(b) if dropped.contains(b));
            !subject_dropped && !object_dropped
        })
        .cloned()
        .collect()
}

fn compare(ours: &[Triple], expected: &[Triple]) -> Agreement {
    let (ours, expected) = (&lean(ours)[..], &lean(expected)[..]);
    let mapping = match_blank_nodes(ours, expected);
    let rename_subject = |s: &NamedOrBlankNode| match s {
        NamedOrBlankNode::BlankNode(b) => mapping
            .get(b)
            .cloned()
            .unwrap_or_else(|| BlankNode::new_unchecked(format!("unmatched{}", b.as_str())))
            .into(),
        other => other.clone(),
    };
    let renamed: HashSet<Triple> = ours
        .iter()
        .map(|t| {
            let object = match &t.object {
                Term::BlankNode(b) => Term::from(mapping.get(b).cloned().unwrap_or_else(|| {
                    BlankNode::new_unchecked(format!("unmatched{}", b.as_str()))
                })),
                o => o.clone(),
            };
            Triple::new(rename_subject(&t.subject), t.predicate.clone(), object)
        })
        .collect();
    let expected: HashSet<Triple> = expected.iter().cloned().collect();
    let common = renamed.intersection(&expected).count();
    Agreement {
        expected: expected.len(),
        produced: renamed.len(),
        common,
        missing: expected
            .difference(&renamed)
            .map(ToString::to_string)
            .collect(),
        extra: renamed
            .difference(&expected)
            .map(ToString::to_string)
            .collect(),
    }
}

#[test]
fn the_mapping_agrees_with_the_reference_xslt() {
    let Some(fixtures) = fixtures() else { return };
    let expected_dir = fixtures.join("reference/expected");
    let mut inputs: Vec<PathBuf> = std::fs::read_dir(fixtures.join("iso19139"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    for csw in [
        "owslib-inspire-getrecords-response.xml",
        "owslib-dov-getrecordbyid-response.xml",
        "pycsw-getrecords-iso-page1.xml",
    ] {
        inputs.push(fixtures.join("csw").join(csw));
    }
    inputs.sort();
    let (mut expected_total, mut produced_total, mut common_total) = (0, 0, 0);
    let verbose = std::env::var_os("ALZETTE_MAPPING_DIFF").is_some();
    println!(
        "| file | expected | produced | common | recall | precision |\n|---|---:|---:|---:|---:|---:|"
    );
    for input in &inputs {
        let name = input.file_stem().unwrap().to_str().unwrap();
        let expected = read_expected(&expected_dir.join(format!("{name}.rdf")));
        let records = map_document(&std::fs::read(input).unwrap(), &Options::default())
            .unwrap_or_else(|e| panic!("{name}: {e}"));
        assert!(!records.is_empty(), "{name}: no record");
        let ours: Vec<Triple> = records
            .iter()
            .flat_map(|r| r.triples.iter().cloned())
            .collect();
        let a = compare(&ours, &expected);
        println!(
            "| {name} | {} | {} | {} | {:.1}% | {:.1}% |",
            a.expected,
            a.produced,
            a.common,
            100.0 * a.common as f64 / a.expected as f64,
            100.0 * a.common as f64 / a.produced as f64
        );
        if verbose {
            for m in &a.missing {
                println!("    missing {m}");
            }
            for e in &a.extra {
                println!("    extra   {e}");
            }
        }
        expected_total += a.expected;
        produced_total += a.produced;
        common_total += a.common;
    }
    let recall = common_total as f64 / expected_total as f64;
    let precision = common_total as f64 / produced_total as f64;
    println!(
        "| all {} files | {expected_total} | {produced_total} | {common_total} | {:.1}% | {:.1}% |",
        inputs.len(),
        100.0 * recall,
        100.0 * precision
    );
    assert!(
        recall >= 0.95 && precision >= 0.95,
        "recall {recall:.3}, precision {precision:.3}"
    );
}
