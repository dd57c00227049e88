//! Validation results, and the W3C `sh:ValidationReport` graph they make.

use crate::path::Path;
use crate::vocab::{rdf, sh, xsd};
use oxrdf::{BlankNode, Graph, Literal, NamedNode, NamedOrBlankNode, Term, Triple};

/// One result: a focus node that does not conform to one constraint of one shape.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ValidationResult {
    pub focus_node: Term,
    /// The path of the property shape (for sh:closed, the unexpected predicate).
    pub path: Option<Path>,
    /// The value node at fault, when the constraint names one.
    pub value: Option<Term>,
    /// `sh:Violation`, `sh:Warning`, `sh:Info`, or the shape's own severity IRI.
    pub severity: NamedNode,
    /// The constraint component, e.g. `sh:MinCountConstraintComponent`.
    pub component: NamedNode,
    pub source_shape: Term,
    /// The shape's `sh:message` values; when it has none, one message written by the engine.
    pub messages: Vec<Term>,
    /// For `sh:node`: the results that made the value fail the node shape (`sh:detail`).
    pub details: Vec<ValidationResult>,
}

impl ValidationResult {
    /// The component's local name (`MinCount` for `sh:MinCountConstraintComponent`).
    pub fn component_name(&self) -> &str {
        let iri = self.component.as_str();
        let local = iri.rsplit(['#', '/']).next().unwrap_or(iri);
        local.strip_suffix("ConstraintComponent").unwrap_or(local)
    }

    /// Whether the result's severity is `sh:Violation`.
    pub fn is_violation(&self) -> bool {
        self.severity == sh::VIOLATION
    }

    /// The severity's local name (`Violation`, `Warning`, `Info`).
    pub fn severity_name(&self) -> &str {
        let iri = self.severity.as_str();
        iri.rsplit(['#', '/']).next().unwrap_or(iri)
    }

    /// The first message, as plain text.
    pub fn message(&self) -> String {
        match self.messages.first() {
            Some(Term::Literal(l)) => l.value().to_owned(),
            Some(other) => other.to_string(),
            None => String::new(),
        }
    }
}

/// The outcome of validating one data graph.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ValidationReport {
    pub results: Vec<ValidationResult>,
}

impl ValidationReport {
    /// SHACL's `sh:conforms`: no result of any severity.
    pub fn conforms(&self) -> bool {
        self.results.is_empty()
    }

    /// How many results have severity `sh:Violation`.
    pub fn violations(&self) -> usize {
        self.count(sh::VIOLATION.as_str())
    }

    /// How many results have severity `sh:Warning`.
    pub fn warnings(&self) -> usize {
        self.count(sh::WARNING.as_str())
    }

    fn count(&self, severity: &str) -> usize {
        self.results
            .iter()
            .filter(|r| r.severity.as_str() == severity)
            .count()
    }

    /// The first result with severity `sh:Violation`.
    pub fn first_violation(&self) -> Option<&ValidationResult> {
        self.results.iter().find(|r| r.is_violation())
    }

    /// The report as a W3C `sh:ValidationReport` graph about the node `report`.
    ///
    /// ```
    /// use alzette_shacl::ValidationReport;
    /// use oxrdf::{BlankNode, Graph};
    /// let mut graph = Graph::new();
    /// ValidationReport::default().write(&mut graph, BlankNode::default().into());
    /// assert_eq!(graph.len(), 2); // a sh:ValidationReport; sh:conforms true
    /// ```
    pub fn write(&self, graph: &mut Graph, report: NamedOrBlankNode) {
        graph.insert(&Triple::new(
            report.clone(),
            rdf::TYPE,
            sh::VALIDATION_REPORT,
        ));
        let conforms = Literal::new_typed_literal(self.conforms().to_string(), xsd::BOOLEAN);
        graph.insert(&Triple::new(report.clone(), sh::CONFORMS, conforms));
        for result in &self.results {
            let node = BlankNode::default();
            graph.insert(&Triple::new(report.clone(), sh::RESULT, node.clone()));
            result.write(graph, node);
        }
    }

    /// The report as a graph of its own, about a blank report node.
    pub fn to_graph(&self) -> Graph {
        let mut graph = Graph::new();
        self.write(&mut graph, BlankNode::default().into());
        graph
    }
}

impl ValidationResult {
    fn write(&self, graph: &mut Graph, node: BlankNode) {
        let mut add = |p: oxrdf::NamedNodeRef<'_>, o: Term| {
            graph.insert(&Triple::new(node.clone(), p, o));
        };
        add(rdf::TYPE, sh::VALIDATION_RESULT.into_owned().into());
        add(sh::FOCUS_NODE, self.focus_node.clone());
        if let Some(value) = &self.value {
            add(sh::VALUE, value.clone());
        }
        add(sh::RESULT_SEVERITY, self.severity.clone().into());
        add(
            sh::SOURCE_CONSTRAINT_COMPONENT,
            self.component.clone().into(),
        );
        add(sh::SOURCE_SHAPE, self.source_shape.clone());
        for message in &self.messages {
            add(sh::RESULT_MESSAGE, message.clone());
        }
        if let Some(path) = &self.path {
            let path = path.write(graph);
            graph.insert(&Triple::new(node.clone(), sh::RESULT_PATH, path));
        }
        for detail in &self.details {
            let child = BlankNode::default();
            graph.insert(&Triple::new(node.clone(), sh::DETAIL, child.clone()));
            detail.write(graph, child);
        }
    }
}
