//! SHACL property paths: reading them from a shapes graph, writing them into a report.

use crate::vocab::{rdf, sh};
use oxrdf::{BlankNode, Graph, NamedNode, NamedOrBlankNodeRef, Term, TermRef, Triple};
use std::fmt;

/// A SHACL property path (SHACL §2.3.1).
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum Path {
    Predicate(NamedNode),
    Inverse(Box<Path>),
    Sequence(Vec<Path>),
    Alternative(Vec<Path>),
    ZeroOrMore(Box<Path>),
    OneOrMore(Box<Path>),
    ZeroOrOne(Box<Path>),
}

/// Why a node of the shapes graph is not a well-formed path.
#[derive(Debug, Clone, thiserror::Error)]
#[error("{node} is not a well-formed SHACL path: {reason}")]
pub struct PathError {
    pub node: String,
    pub reason: String,
}

impl Path {
    /// Reads the path that `node` describes in `graph`.
    ///
    /// ```
    /// use alzette_shacl::Path;
    /// use oxrdf::{BlankNode, Graph, NamedNode, TripleRef};
    /// let (path, p) = (BlankNode::default(), NamedNode::new("http://e.org/p").unwrap());
    /// let inverse = NamedNode::new("http://www.w3.org/ns/shacl#inversePath").unwrap();
    /// let mut graph = Graph::new();
    /// graph.insert(TripleRef::new(&path, &inverse, &p));
    /// let path = Path::from_graph(&graph, path.as_ref().into()).unwrap();
    /// assert_eq!(path.to_string(), "^<http://e.org/p>");
    /// ```
    pub fn from_graph(graph: &Graph, node: TermRef<'_>) -> Result<Self, PathError> {
        Self::read(graph, node, 0)
    }

    fn read(graph: &Graph, node: TermRef<'_>, depth: usize) -> Result<Self, PathError> {
        let error = |reason: &str| PathError {
            node: node.to_string(),
            reason: reason.to_owned(),
        };
        if depth > 64 {
            return Err(error("paths nest deeper than 64 levels"));
        }
        let subject = match node {
            TermRef::NamedNode(iri) => return Ok(Self::Predicate(iri.into_owned())),
            TermRef::BlankNode(b) => NamedOrBlankNodeRef::from(b),
            _ => return Err(error("a path is an IRI or a blank node")),
        };
        if graph
            .object_for_subject_predicate(subject, rdf::FIRST)
            .is_some()
        {
            let members = read_list(graph, node).map_err(|reason| error(&reason))?;
            if members.len() < 2 {
                return Err(error("a sequence path has at least two members"));
            }
            let paths = members
                .into_iter()
                .map(|m| Self::read(graph, m, depth + 1))
                .collect::<Result<_, _>>()?;
            return Ok(Self::Sequence(paths));
        }
        let one = |predicate| {
            let mut values = graph.objects_for_subject_predicate(subject, predicate);
            let first = values.next();
            if values.next().is_some() {
                return Err(error("a path node has one value for its path property"));
            }
            Ok(first)
        };
        if let Some(inner) = one(sh::INVERSE_PATH)? {
            return Ok(Self::Inverse(Box::new(Self::read(
                graph,
                inner,
                depth + 1,
            )?)));
        }
        if let Some(list) = one(sh::ALTERNATIVE_PATH)? {
            let members = read_list(graph, list).map_err(|reason| error(&reason))?;
            if members.len() < 2 {
                return Err(error("an alternative path has at least two members"));
            }
            let paths = members
                .into_iter()
                .map(|m| Self::read(graph, m, depth + 1))
                .collect::<Result<_, _>>()?;
            return Ok(Self::Alternative(paths));
        }
        for (predicate, wrap) in [
            (
                sh::ZERO_OR_MORE_PATH,
                Self::ZeroOrMore as fn(Box<Self>) -> Self,
            ),
            (sh::ONE_OR_MORE_PATH, Self::OneOrMore),
            (sh::ZERO_OR_ONE_PATH, Self::ZeroOrOne),
        ] {
            if let Some(inner) = one(predicate)? {
                return Ok(wrap(Box::new(Self::read(graph, inner, depth + 1)?)));
            }
        }
        Err(error(
            "a blank node path is a list, or has sh:inversePath, sh:alternativePath, sh:zeroOrMorePath, sh:oneOrMorePath or sh:zeroOrOnePath",
        ))
    }

    /// The predicate, when the path is a single predicate.
    pub fn as_predicate(&self) -> Option<&NamedNode> {
        match self {
            Self::Predicate(p) => Some(p),
            _ => None,
        }
    }

    /// Writes the path into `graph` in SHACL syntax and returns the node that stands for it.
    pub fn write(&self, graph: &mut Graph) -> Term {
        let node = BlankNode::default();
        match self {
            Self::Predicate(p) => return p.clone().into(),
            Self::Inverse(inner) => {
                let inner = inner.write(graph);
                graph.insert(&Triple::new(node.clone(), sh::INVERSE_PATH, inner));
            }
            Self::Sequence(paths) => {
                let members: Vec<Term> = paths.iter().map(|p| p.write(graph)).collect();
                return write_list(graph, members);
            }
            Self::Alternative(paths) => {
                let members: Vec<Term> = paths.iter().map(|p| p.write(graph)).collect();
                let list = write_list(graph, members);
                graph.insert(&Triple::new(node.clone(), sh::ALTERNATIVE_PATH, list));
            }
            Self::ZeroOrMore(inner) | Self::OneOrMore(inner) | Self::ZeroOrOne(inner) => {
                let predicate = match self {
                    Self::ZeroOrMore(_) => sh::ZERO_OR_MORE_PATH,
                    Self::OneOrMore(_) => sh::ONE_OR_MORE_PATH,
                    _ => sh::ZERO_OR_ONE_PATH,
                };
                let inner = inner.write(graph);
                graph.insert(&Triple::new(node.clone(), predicate, inner));
            }
        }
        node.into()
    }
}

/// SPARQL property path syntax, which operators know from queries.
impl fmt::Display for Path {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let join = |f: &mut fmt::Formatter<'_>, paths: &[Path], sep: &str| {
            f.write_str("(")?;
            for (i, p) in paths.iter().enumerate() {
                if i > 0 {
                    f.write_str(sep)?;
                }
                write!(f, "{p}")?;
            }
            f.write_str(")")
        };
        match self {
            Self::Predicate(p) => write!(f, "{p}"),
            Self::Inverse(p) => write!(f, "^{p}"),
            Self::Sequence(paths) => join(f, paths, " / "),
            Self::Alternative(paths) => join(f, paths, " | "),
            Self::ZeroOrMore(p) => write!(f, "{p}*"),
            Self::OneOrMore(p) => write!(f, "{p}+"),
            Self::ZeroOrOne(p) => write!(f, "{p}?"),
        }
    }
}

/// The members of an RDF list, refusing cycles and branches.
pub(crate) fn read_list<'a>(
    graph: &'a Graph,
    head: TermRef<'a>,
) -> Result<Vec<TermRef<'a>>, String> {
    let mut members = Vec::new();
    let mut node = head;
    let mut seen = std::collections::HashSet::new();
    loop {
        if node == TermRef::from(rdf::NIL) {
            return Ok(members);
        }
        let subject = match node {
            TermRef::NamedNode(n) => NamedOrBlankNodeRef::from(n),
            TermRef::BlankNode(b) => NamedOrBlankNodeRef::from(b),
            _ => return Err(format!("the list node {node} is a literal")),
        };
        if !seen.insert(node) {
            return Err(format!("the list through {node} has a cycle"));
        }
        let mut first = graph.objects_for_subject_predicate(subject, rdf::FIRST);
        let mut rest = graph.objects_for_subject_predicate(subject, rdf::REST);
        match (first.next(), first.next(), rest.next(), rest.next()) {
            (Some(value), None, Some(next), None) => {
                members.push(value);
                node = next;
            }
            _ => {
                return Err(format!(
                    "the list node {node} needs one rdf:first and one rdf:rest"
                ));
            }
        }
    }
}

pub(crate) fn write_list(graph: &mut Graph, members: Vec<Term>) -> Term {
    let mut list: Term = rdf::NIL.into_owned().into();
    for member in members.into_iter().rev() {
        let node = BlankNode::default();
        graph.insert(&Triple::new(node.clone(), rdf::FIRST, member));
        graph.insert(&Triple::new(node.clone(), rdf::REST, list));
        list = node.into();
    }
    list
}
