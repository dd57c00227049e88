//! A record's assessment as the store keeps it beside the record: the W3C report graph, the
//! quality measurements, and a digest of both that does not depend on blank node labels (so
//! that an unchanged report is not rewritten).

use alzette_dcat::RecordGraph;
use alzette_dcat::hex;
use alzette_quality::QualityScore;
use alzette_shacl::ValidationReport;
use alzette_store::StoredReport;
use sha2::{Digest, Sha256};

/// `shapes` names the shapes and background; `node` is the report's node (the record's
/// assessment graph).
pub(crate) fn stored_report(
    record: &RecordGraph,
    report: &ValidationReport,
    quality: Option<&QualityScore>,
    shapes: &str,
    node: oxrdf::NamedNode,
) -> StoredReport {
    let mut graph = oxrdf::Graph::new();
    report.write(&mut graph, node.into());
    if let Some(q) = quality {
        q.write(&mut graph, record.resource.as_ref().into());
    }
    StoredReport {
        key: record.key,
        resource: record.resource.clone(),
        digest: digest(report, quality, shapes),
        shapes: shapes.to_owned(),
        triples: graph.iter().map(|t| t.into_owned()).collect(),
    }
}

/// A digest of the report's results and the measurements, with the shapes' fingerprint.
fn digest(report: &ValidationReport, quality: Option<&QualityScore>, shapes: &str) -> String {
    let mut rows: Vec<String> = report
        .results
        .iter()
        .map(|r| {
            format!(
                "{}|{}|{:?}|{:?}|{}|{}",
                r.severity,
                r.focus_node,
                r.path.as_ref().map(ToString::to_string),
                r.value.as_ref().map(ToString::to_string),
                r.component,
                // A shape written as a blank node gets a new label each time the shapes are
                // read: its label would make every report look new at every run.
                match &r.source_shape {
                    oxrdf::Term::BlankNode(_) => "[]".to_owned(),
                    shape => shape.to_string(),
                }
            )
        })
        .collect();
    rows.sort();
    if let Some(q) = quality {
        rows.extend(
            q.measurements
                .iter()
                .map(|m| format!("{:?}={}/{}", m.metric, m.points, m.measured)),
        );
    }
    let mut hash = Sha256::new();
    hash.update(shapes.as_bytes());
    for row in &rows {
        hash.update(row.as_bytes());
        hash.update(b"\n");
    }
    hex(&hash.finalize()[..16])
}

#[cfg(test)]
mod tests {
    use super::*;
    use alzette_shacl::ValidationResult;
    use oxrdf::{BlankNode, NamedNode, Term};

    fn result(shape: Term) -> ValidationResult {
        let iri = |s: &str| NamedNode::new(s).unwrap();
        ValidationResult {
            focus_node: iri("http://e.org/d").into(),
            path: None,
            value: None,
            severity: iri("http://www.w3.org/ns/shacl#Violation"),
            component: iri("http://www.w3.org/ns/shacl#MinCountConstraintComponent"),
            source_shape: shape,
            messages: vec![],
            details: vec![],
        }
    }

    #[test]
    fn the_digest_ignores_blank_shape_labels_but_not_the_shapes() {
        let report = |label: &str| ValidationReport {
            results: vec![result(BlankNode::new(label).unwrap().into())],
        };
        assert_eq!(
            digest(&report("a"), None, "s1"),
            digest(&report("b"), None, "s1")
        );
        assert_ne!(
            digest(&report("a"), None, "s1"),
            digest(&report("a"), None, "s2")
        );
        assert_ne!(
            digest(&report("a"), None, "s1"),
            digest(&ValidationReport::default(), None, "s1")
        );
    }
}
