//! The W3C SHACL 1.0 Core test suite (../shared/fixtures/shacl-w3c-tests), run through the
//! public API. A test passes when `sh:conforms` matches and the results, as a multiset of
//! (focus node, path, component, severity, value, source shape), equal the expected ones; the
//! messages too where the test expects messages (the suite's full-compliance rule).

use alzette_shacl::{DataGraph, Path, Shapes, ValidationResult};
use oxrdf::{Graph, NamedNodeRef, NamedOrBlankNodeRef, Term, TermRef};
use oxrdfio::{RdfFormat, RdfParser};
use std::collections::HashMap;
use std::path::{Path as FsPath, PathBuf};

const MF: &str = "http://www.w3.org/2001/sw/DataAccess/tests/test-manifest#";
const SHT: &str = "http://www.w3.org/ns/shacl-test#";
const SH: &str = "http://www.w3.org/ns/shacl#";
const RDF_TYPE: NamedNodeRef<'_> =
    NamedNodeRef::new_unchecked("http://www.w3.org/1999/02/22-rdf-syntax-ns#type");

fn suite() -> Option<PathBuf> {
    alzette_testkit::shared_fixtures("w3c").map(|f| f.join("shacl-w3c-tests/core"))
}

fn iri(local: &str, ns: &str) -> oxrdf::NamedNode {
    oxrdf::NamedNode::new(format!("{ns}{local}")).unwrap()
}

fn load(file: &FsPath) -> Graph {
    let base = format!("file://{}", file.display());
    let bytes = std::fs::read(file).unwrap();
    RdfParser::from_format(RdfFormat::Turtle)
        .with_base_iri(&base)
        .unwrap()
        .for_slice(&bytes)
        .map(|q| oxrdf::Triple::from(q.unwrap_or_else(|e| panic!("{}: {e}", file.display()))))
        .collect()
}

fn object<'a>(g: &'a Graph, s: TermRef<'a>, p: &oxrdf::NamedNode) -> Option<TermRef<'a>> {
    let s: NamedOrBlankNodeRef<'a> = match s {
        TermRef::NamedNode(n) => n.into(),
        TermRef::BlankNode(b) => b.into(),
        _ => return None,
    };
    g.object_for_subject_predicate(s, p)
}

fn objects<'a>(g: &'a Graph, s: TermRef<'a>, p: &oxrdf::NamedNode) -> Vec<TermRef<'a>> {
    let s: NamedOrBlankNodeRef<'a> = match s {
        TermRef::NamedNode(n) => n.into(),
        TermRef::BlankNode(b) => b.into(),
        _ => return Vec::new(),
    };
    g.objects_for_subject_predicate(s, p).collect()
}

/// The files a manifest includes, recursively, down to the test files.
fn test_files(manifest: &FsPath, out: &mut Vec<PathBuf>) {
    let graph = load(manifest);
    let includes: Vec<PathBuf> = graph
        .triples_for_predicate(&iri("include", MF))
        .map(|t| match t.object {
            TermRef::NamedNode(n) => PathBuf::from(n.as_str().strip_prefix("file://").unwrap()),
            other => panic!("mf:include {other}"),
        })
        .collect();
    if includes.is_empty() {
        out.push(manifest.to_owned());
    }
    for file in includes {
        test_files(&file, out);
    }
}

/// A result as the suite compares it; blank nodes of another graph than the test file's
/// cannot be matched by label, so they compare as "a blank node".
fn key(
    focus: &Term,
    path: &Option<Path>,
    component: &str,
    severity: &str,
    value: &Option<Term>,
    shape: &Term,
    same_graph: bool,
) -> String {
    let show = |t: &Term| match t {
        Term::BlankNode(_) if !same_graph => "_:".to_owned(),
        other => other.to_string(),
    };
    format!(
        "focus={} path={} component={component} severity={severity} value={} shape={}",
        show(focus),
        path.as_ref().map_or("-".into(), |p| p.to_string()),
        value.as_ref().map_or("-".into(), show),
        show(shape),
    )
}

fn actual_key(r: &ValidationResult, same_graph: bool) -> String {
    key(
        &r.focus_node,
        &r.path,
        r.component.as_str(),
        r.severity.as_str(),
        &r.value,
        &r.source_shape,
        same_graph,
    )
}

#[test]
fn w3c_shacl_core_suite_passes_in_full() {
    let Some(root) = suite() else { return };
    let mut files = Vec::new();
    test_files(&root.join("manifest.ttl"), &mut files);
    let (mut passed, mut failures) = (0, Vec::new());
    let mut cache: HashMap<String, Graph> = HashMap::new();
    for file in &files {
        let manifest = load(file);
        let file_iri = format!("file://{}", file.display());
        for test in manifest.subjects_for_predicate_object(RDF_TYPE, &iri("Validate", SHT)) {
            let test_t = TermRef::from(test);
            let name = file.strip_prefix(&root).unwrap().display().to_string();
            let action = object(&manifest, test_t, &iri("action", MF)).unwrap();
            let graph_of = |p: &str, cache: &mut HashMap<String, Graph>| -> String {
                let TermRef::NamedNode(g) = object(&manifest, action, &iri(p, SHT)).unwrap() else {
                    panic!("{name}: {p} is not an IRI")
                };
                let g = g.as_str().to_owned();
                if g != file_iri && !cache.contains_key(&g) {
                    cache.insert(
                        g.clone(),
                        load(FsPath::new(g.strip_prefix("file://").unwrap())),
                    );
                }
                g
            };
            let data_iri = graph_of("dataGraph", &mut cache);
            let shapes_iri = graph_of("shapesGraph", &mut cache);
            let pick = |g: &str| if g == file_iri { &manifest } else { &cache[g] };
            let same_graph = data_iri == file_iri && shapes_iri == file_iri;
            let outcome = Shapes::from_graph(pick(&shapes_iri))
                .map(|shapes| shapes.validate(&DataGraph::from(pick(&data_iri))));
            let report = match outcome {
                Ok(report) => report,
                Err(e) => {
                    failures.push(format!("{name}: the shapes were refused: {e}"));
                    continue;
                }
            };
            let expected = object(&manifest, test_t, &iri("result", MF)).unwrap();
            let conforms = object(&manifest, expected, &iri("conforms", SH))
                .is_some_and(|c| matches!(c, TermRef::Literal(l) if l.value() == "true"));
            let mut want = Vec::new();
            let mut want_messages = Vec::new();
            for r in objects(&manifest, expected, &iri("result", SH)) {
                let term = |p: &str| object(&manifest, r, &iri(p, SH)).map(TermRef::into_owned);
                let path = object(&manifest, r, &iri("resultPath", SH))
                    .map(|p| Path::from_graph(&manifest, p).unwrap());
                let k = key(
                    &term("focusNode").unwrap(),
                    &path,
                    term("sourceConstraintComponent")
                        .unwrap()
                        .to_string()
                        .trim_matches(['<', '>']),
                    term("resultSeverity")
                        .unwrap()
                        .to_string()
                        .trim_matches(['<', '>']),
                    &term("value"),
                    &term("sourceShape").unwrap(),
                    same_graph,
                );
                let mut messages: Vec<String> = objects(&manifest, r, &iri("resultMessage", SH))
                    .iter()
                    .map(|m| m.to_string())
                    .collect();
                messages.sort();
                if !messages.is_empty() {
                    want_messages.push((k.clone(), messages));
                }
                want.push(k);
            }
            let mut got: Vec<String> = report
                .results
                .iter()
                .map(|r| actual_key(r, same_graph))
                .collect();
            want.sort();
            got.sort();
            let mut problems = Vec::new();
            if report.conforms() != conforms {
                problems.push(format!(
                    "conforms {} instead of {conforms}",
                    report.conforms()
                ));
            }
            if want != got {
                problems.push(format!(
                    "results differ\n    expected:\n      {}\n    got:\n      {}",
                    want.join("\n      "),
                    got.join("\n      ")
                ));
            }
            for (k, messages) in want_messages {
                let found = report.results.iter().any(|r| {
                    let mut got: Vec<String> = r.messages.iter().map(|m| m.to_string()).collect();
                    got.sort();
                    actual_key(r, same_graph) == k && got == messages
                });
                if !found {
                    problems.push(format!("no result {k} with the messages {messages:?}"));
                }
            }
            if problems.is_empty() {
                passed += 1;
            } else {
                failures.push(format!("{name}: {}", problems.join("; ")));
            }
        }
    }
    eprintln!(
        "W3C SHACL Core: {passed} of {} tests pass",
        passed + failures.len()
    );
    assert!(
        failures.is_empty(),
        "{} failures:\n{}",
        failures.len(),
        failures.join("\n")
    );
    assert_eq!(passed, 98, "the suite has 98 tests");
}
