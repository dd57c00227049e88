//! Reading a shapes graph into shapes the engine can run.
//!
//! Only the shapes that validation can reach are read: those with a target, and those they
//! refer to. A malformed shape nobody uses is ignored, as SHACL asks (W3C test path-unused-001).

use crate::path::{Path, PathError, read_list};
use crate::vocab::{owl, rdf, rdfs, sh, xsd};
use oxrdf::{Graph, Literal, NamedNode, NamedNodeRef, NamedOrBlankNodeRef, Term, TermRef};
use regex::{Regex, RegexBuilder};
use std::collections::{HashMap, HashSet};

pub(crate) type ShapeId = usize;

/// A shapes graph made ready for validation.
///
/// ```
/// use alzette_shacl::Shapes;
/// use oxrdf::Graph;
/// let shapes = Shapes::from_graph(&Graph::new()).unwrap();
/// assert_eq!(shapes.targeted_count(), 0);
/// ```
#[derive(Debug)]
pub struct Shapes {
    pub(crate) shapes: Vec<Shape>,
    pub(crate) targeted: Vec<ShapeId>,
    /// The terms the shapes look for in data (classes, predicates, values), numbered so that a
    /// validation finds each in the data once.
    pub(crate) constants: Vec<Term>,
    warnings: Vec<String>,
}

/// A term of the shapes graph that validation looks up in the data.
pub(crate) type ConstId = usize;

/// Constants every validation needs.
pub(crate) const RDF_TYPE: ConstId = 0;
pub(crate) const RDFS_SUB_CLASS_OF: ConstId = 1;

/// A path over constants, for evaluation; [`Path`] is what results show.
#[derive(Debug)]
pub(crate) enum ValuePath {
    Predicate(ConstId),
    Inverse(Box<ValuePath>),
    Sequence(Vec<ValuePath>),
    Alternative(Vec<ValuePath>),
    ZeroOrMore(Box<ValuePath>),
    OneOrMore(Box<ValuePath>),
    ZeroOrOne(Box<ValuePath>),
}

/// Why a shapes graph cannot be used.
#[derive(Debug, Clone, thiserror::Error)]
pub enum ShapesError {
    #[error("shape {shape}: {reason}")]
    Shape { shape: String, reason: String },
    #[error("shape {shape}: {source}")]
    Path {
        shape: String,
        #[source]
        source: PathError,
    },
}

#[derive(Debug)]
pub(crate) struct Shape {
    pub id: Term,
    pub path: Option<Path>,
    pub value_path: Option<ValuePath>,
    pub targets: Vec<Target>,
    pub constraints: Vec<Constraint>,
    pub severity: NamedNode,
    pub messages: Vec<Term>,
    pub deactivated: bool,
}

#[derive(Debug)]
pub(crate) enum Target {
    Node(ConstId),
    Class(ConstId),
    SubjectsOf(ConstId),
    ObjectsOf(ConstId),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum NodeKind {
    Iri,
    BlankNode,
    Literal,
    BlankNodeOrIri,
    BlankNodeOrLiteral,
    IriOrLiteral,
}

#[derive(Debug)]
pub(crate) enum Constraint {
    Class(ConstId),
    Datatype(NamedNode),
    NodeKind(NodeKind),
    MinCount(u64),
    MaxCount(u64),
    MinExclusive(Literal),
    MinInclusive(Literal),
    MaxExclusive(Literal),
    MaxInclusive(Literal),
    MinLength(u64),
    MaxLength(u64),
    Pattern(Regex),
    LanguageIn(Vec<String>),
    UniqueLang,
    Equals(ConstId),
    Disjoint(ConstId),
    LessThan(ConstId),
    LessThanOrEquals(ConstId),
    Not(ShapeId),
    And(Vec<ShapeId>),
    Or(Vec<ShapeId>),
    Xone(Vec<ShapeId>),
    Node(ShapeId),
    Property(ShapeId),
    QualifiedMin(Qualified),
    QualifiedMax(Qualified),
    Closed(Vec<ConstId>),
    HasValue(ConstId),
    In(Vec<ConstId>),
}

#[derive(Debug, Clone)]
pub(crate) struct Qualified {
    pub shape: ShapeId,
    pub count: u64,
    /// The sibling shapes a value must not conform to, when sh:qualifiedValueShapesDisjoint.
    pub siblings: Vec<ShapeId>,
}

impl Constraint {
    /// The constraint component IRI that results of this constraint name.
    pub(crate) fn component(&self) -> NamedNodeRef<'static> {
        macro_rules! c {
            ($local:literal) => {
                NamedNodeRef::new_unchecked(concat!(
                    "http://www.w3.org/ns/shacl#",
                    $local,
                    "ConstraintComponent"
                ))
            };
        }
        match self {
            Self::Class(_) => c!("Class"),
            Self::Datatype(_) => c!("Datatype"),
            Self::NodeKind(_) => c!("NodeKind"),
            Self::MinCount(_) => c!("MinCount"),
            Self::MaxCount(_) => c!("MaxCount"),
            Self::MinExclusive(_) => c!("MinExclusive"),
            Self::MinInclusive(_) => c!("MinInclusive"),
            Self::MaxExclusive(_) => c!("MaxExclusive"),
            Self::MaxInclusive(_) => c!("MaxInclusive"),
            Self::MinLength(_) => c!("MinLength"),
            Self::MaxLength(_) => c!("MaxLength"),
            Self::Pattern(_) => c!("Pattern"),
            Self::LanguageIn(_) => c!("LanguageIn"),
            Self::UniqueLang => c!("UniqueLang"),
            Self::Equals(_) => c!("Equals"),
            Self::Disjoint(_) => c!("Disjoint"),
            Self::LessThan(_) => c!("LessThan"),
            Self::LessThanOrEquals(_) => c!("LessThanOrEquals"),
            Self::Not(_) => c!("Not"),
            Self::And(_) => c!("And"),
            Self::Or(_) => c!("Or"),
            Self::Xone(_) => c!("Xone"),
            Self::Node(_) => c!("Node"),
            Self::Property(_) => c!("Property"),
            Self::QualifiedMin(_) => c!("QualifiedMinCount"),
            Self::QualifiedMax(_) => c!("QualifiedMaxCount"),
            Self::Closed(_) => c!("Closed"),
            Self::HasValue(_) => c!("HasValue"),
            Self::In(_) => c!("In"),
        }
    }
}

impl Shapes {
    /// Reads the shapes of `graph`.
    pub fn from_graph(graph: &Graph) -> Result<Self, ShapesError> {
        let mut reader = Reader {
            graph,
            ids: HashMap::new(),
            shapes: Vec::new(),
            warnings: Vec::new(),
            constants: Vec::new(),
            constant_ids: HashMap::new(),
        };
        reader.constant(rdf::TYPE.into());
        reader.constant(rdfs::SUB_CLASS_OF.into());
        let mut roots: Vec<TermRef<'_>> = Vec::new();
        let mut seen = HashSet::new();
        for target in [
            sh::TARGET_CLASS,
            sh::TARGET_NODE,
            sh::TARGET_SUBJECTS_OF,
            sh::TARGET_OBJECTS_OF,
        ] {
            for triple in graph.triples_for_predicate(target) {
                let node = TermRef::from(triple.subject);
                if seen.insert(node) {
                    roots.push(node);
                }
            }
        }
        // Implicit class targets: a shape that is also a class targets its instances.
        for kind in [sh::NODE_SHAPE, sh::PROPERTY_SHAPE] {
            for shape in graph.subjects_for_predicate_object(rdf::TYPE, kind) {
                let is_class = [rdfs::CLASS, owl::CLASS]
                    .iter()
                    .any(|c| graph.contains(oxrdf::TripleRef::new(shape, rdf::TYPE, *c)));
                let node = TermRef::from(shape);
                if is_class && seen.insert(node) {
                    roots.push(node);
                }
            }
        }
        let mut targeted = Vec::new();
        for node in roots {
            let id = reader.shape(node)?;
            if !reader.shapes[id].as_ref().is_some_and(|s| s.deactivated) {
                targeted.push(id);
            }
        }
        let shapes = reader
            .shapes
            .into_iter()
            .map(|s| s.expect("every reserved shape is read before the reader ends"))
            .collect();
        Ok(Self {
            shapes,
            targeted,
            constants: reader.constants,
            warnings: reader.warnings,
        })
    }

    /// What was left out of the shapes graph, and why (e.g. an `sh:property` pointing at a node
    /// with no `sh:path`, as the official DCAT-AP 3.0.1 individual-constraints file has).
    pub fn warnings(&self) -> &[String] {
        &self.warnings
    }

    /// How many shapes have targets (the starting points of validation).
    pub fn targeted_count(&self) -> usize {
        self.targeted.len()
    }

    /// How many shapes were read, counting those only referred to.
    pub fn len(&self) -> usize {
        self.shapes.len()
    }

    pub fn is_empty(&self) -> bool {
        self.shapes.is_empty()
    }
}

struct Reader<'g> {
    graph: &'g Graph,
    ids: HashMap<TermRef<'g>, ShapeId>,
    shapes: Vec<Option<Shape>>,
    warnings: Vec<String>,
    constants: Vec<Term>,
    constant_ids: HashMap<Term, ConstId>,
}

impl<'g> Reader<'g> {
    fn constant(&mut self, term: TermRef<'_>) -> ConstId {
        let term = term.into_owned();
        if let Some(id) = self.constant_ids.get(&term) {
            return *id;
        }
        let id = self.constants.len();
        self.constants.push(term.clone());
        self.constant_ids.insert(term, id);
        id
    }

    fn value_path(&mut self, path: &Path) -> ValuePath {
        let many =
            |paths: &[Path], this: &mut Self| paths.iter().map(|p| this.value_path(p)).collect();
        match path {
            Path::Predicate(p) => ValuePath::Predicate(self.constant(p.as_ref().into())),
            Path::Inverse(p) => ValuePath::Inverse(Box::new(self.value_path(p))),
            Path::Sequence(ps) => ValuePath::Sequence(many(ps, self)),
            Path::Alternative(ps) => ValuePath::Alternative(many(ps, self)),
            Path::ZeroOrMore(p) => ValuePath::ZeroOrMore(Box::new(self.value_path(p))),
            Path::OneOrMore(p) => ValuePath::OneOrMore(Box::new(self.value_path(p))),
            Path::ZeroOrOne(p) => ValuePath::ZeroOrOne(Box::new(self.value_path(p))),
        }
    }

    fn shape(&mut self, node: TermRef<'g>) -> Result<ShapeId, ShapesError> {
        if let Some(&id) = self.ids.get(&node) {
            return Ok(id);
        }
        let id = self.shapes.len();
        self.ids.insert(node, id);
        self.shapes.push(None);
        let shape = self.read(node)?;
        self.shapes[id] = Some(shape);
        Ok(id)
    }

    fn read(&mut self, node: TermRef<'g>) -> Result<Shape, ShapesError> {
        let graph = self.graph;
        let fail = |reason: String| ShapesError::Shape {
            shape: node.to_string(),
            reason,
        };
        let subject = match node {
            TermRef::NamedNode(n) => NamedOrBlankNodeRef::from(n),
            TermRef::BlankNode(b) => NamedOrBlankNodeRef::from(b),
            _ => {
                return Err(fail(
                    "a shape is an IRI or a blank node, not a literal".into(),
                ));
            }
        };
        let values = |p: NamedNodeRef<'static>| graph.objects_for_subject_predicate(subject, p);
        let path = match values(sh::PATH).next() {
            Some(p) => Some(
                Path::from_graph(graph, p).map_err(|source| ShapesError::Path {
                    shape: node.to_string(),
                    source,
                })?,
            ),
            None => None,
        };
        let value_path = path.as_ref().map(|p| self.value_path(p));
        let mut shape = Shape {
            id: node.into_owned(),
            path,
            value_path,
            targets: Vec::new(),
            constraints: Vec::new(),
            severity: sh::VIOLATION.into_owned(),
            messages: values(sh::MESSAGE).map(TermRef::into_owned).collect(),
            deactivated: values(sh::DEACTIVATED).any(is_true),
        };
        if let Some(TermRef::NamedNode(severity)) = values(sh::SEVERITY).next() {
            shape.severity = severity.into_owned();
        }
        for class in values(sh::TARGET_CLASS) {
            shape.targets.push(Target::Class(self.constant(class)));
        }
        let is_class = [rdfs::CLASS, owl::CLASS]
            .iter()
            .any(|c| graph.contains(oxrdf::TripleRef::new(subject, rdf::TYPE, *c)));
        if is_class {
            shape.targets.push(Target::Class(self.constant(node)));
        }
        for target in values(sh::TARGET_NODE) {
            shape.targets.push(Target::Node(self.constant(target)));
        }
        for (predicate, make) in [
            (
                sh::TARGET_SUBJECTS_OF,
                Target::SubjectsOf as fn(ConstId) -> Target,
            ),
            (sh::TARGET_OBJECTS_OF, Target::ObjectsOf),
        ] {
            for p in values(predicate) {
                match p {
                    TermRef::NamedNode(_) => shape.targets.push(make(self.constant(p))),
                    other => return Err(fail(format!("{predicate} {other} is not an IRI"))),
                }
            }
        }
        let flags = match values(sh::FLAGS).next() {
            Some(TermRef::Literal(l)) => l.value().to_owned(),
            _ => String::new(),
        };
        let triples: Vec<_> = graph.triples_for_subject(subject).collect();
        for triple in triples {
            let value = triple.object;
            let p = triple.predicate;
            let constraint = if p == sh::CLASS {
                Constraint::Class(self.constant(value))
            } else if p == sh::DATATYPE {
                Constraint::Datatype(iri(value).map_err(&fail)?)
            } else if p == sh::NODE_KIND {
                Constraint::NodeKind(node_kind(value).map_err(&fail)?)
            } else if p == sh::MIN_COUNT || p == sh::MAX_COUNT {
                if shape.path.is_none() {
                    continue;
                }
                let n = count(value).map_err(&fail)?;
                if p == sh::MIN_COUNT {
                    Constraint::MinCount(n)
                } else {
                    Constraint::MaxCount(n)
                }
            } else if p == sh::MIN_EXCLUSIVE {
                Constraint::MinExclusive(literal(value).map_err(&fail)?)
            } else if p == sh::MIN_INCLUSIVE {
                Constraint::MinInclusive(literal(value).map_err(&fail)?)
            } else if p == sh::MAX_EXCLUSIVE {
                Constraint::MaxExclusive(literal(value).map_err(&fail)?)
            } else if p == sh::MAX_INCLUSIVE {
                Constraint::MaxInclusive(literal(value).map_err(&fail)?)
            } else if p == sh::MIN_LENGTH {
                Constraint::MinLength(count(value).map_err(&fail)?)
            } else if p == sh::MAX_LENGTH {
                Constraint::MaxLength(count(value).map_err(&fail)?)
            } else if p == sh::PATTERN {
                let pattern = literal(value).map_err(&fail)?;
                Constraint::Pattern(regex(pattern.value(), &flags).map_err(&fail)?)
            } else if p == sh::LANGUAGE_IN {
                let tags = read_list(graph, value)
                    .map_err(&fail)?
                    .into_iter()
                    .map(|t| match t {
                        TermRef::Literal(l) => Ok(l.value().to_ascii_lowercase()),
                        other => Err(fail(format!("sh:languageIn holds {other}, not a literal"))),
                    })
                    .collect::<Result<_, _>>()?;
                Constraint::LanguageIn(tags)
            } else if p == sh::UNIQUE_LANG {
                if shape.path.is_none() || !is_true(value) {
                    continue;
                }
                Constraint::UniqueLang
            } else if p == sh::EQUALS {
                iri(value).map_err(&fail)?;
                Constraint::Equals(self.constant(value))
            } else if p == sh::DISJOINT {
                iri(value).map_err(&fail)?;
                Constraint::Disjoint(self.constant(value))
            } else if p == sh::LESS_THAN {
                iri(value).map_err(&fail)?;
                Constraint::LessThan(self.constant(value))
            } else if p == sh::LESS_THAN_OR_EQUALS {
                iri(value).map_err(&fail)?;
                Constraint::LessThanOrEquals(self.constant(value))
            } else if p == sh::NOT {
                Constraint::Not(self.shape(value)?)
            } else if p == sh::AND || p == sh::OR || p == sh::XONE {
                let members = read_list(graph, value).map_err(&fail)?;
                let ids = members
                    .into_iter()
                    .map(|m| self.shape(m))
                    .collect::<Result<Vec<_>, _>>()?;
                if p == sh::AND {
                    Constraint::And(ids)
                } else if p == sh::OR {
                    Constraint::Or(ids)
                } else {
                    Constraint::Xone(ids)
                }
            } else if p == sh::NODE {
                Constraint::Node(self.shape(value)?)
            } else if p == sh::PROPERTY {
                let has_path = as_subject(value)
                    .is_some_and(|v| graph.object_for_subject_predicate(v, sh::PATH).is_some());
                if !has_path {
                    // A property shape without a path cannot be evaluated; published shapes
                    // have such dangling references, and one must not stop all the others.
                    self.warnings.push(format!(
                        "shape {node}: its sh:property {value} has no sh:path and is ignored"
                    ));
                    continue;
                }
                Constraint::Property(self.shape(value)?)
            } else if p == sh::QUALIFIED_VALUE_SHAPE {
                if shape.path.is_none() {
                    continue;
                }
                let qualified = Qualified {
                    shape: self.shape(value)?,
                    count: 0,
                    siblings: if values(sh::QUALIFIED_VALUE_SHAPES_DISJOINT).any(is_true) {
                        self.siblings(subject, value)?
                    } else {
                        Vec::new()
                    },
                };
                if let Some(min) = values(sh::QUALIFIED_MIN_COUNT).next() {
                    let count = count(min).map_err(&fail)?;
                    shape.constraints.push(Constraint::QualifiedMin(Qualified {
                        count,
                        ..qualified.clone()
                    }));
                }
                if let Some(max) = values(sh::QUALIFIED_MAX_COUNT).next() {
                    let count = count(max).map_err(&fail)?;
                    shape
                        .constraints
                        .push(Constraint::QualifiedMax(Qualified { count, ..qualified }));
                }
                continue;
            } else if p == sh::CLOSED {
                if !is_true(value) {
                    continue;
                }
                let mut allowed = Vec::new();
                for property in values(sh::PROPERTY) {
                    if let Some(s) = as_subject(property)
                        && let Some(p @ TermRef::NamedNode(_)) =
                            graph.objects_for_subject_predicate(s, sh::PATH).next()
                    {
                        allowed.push(self.constant(p));
                    }
                }
                for ignored in values(sh::IGNORED_PROPERTIES) {
                    for p in read_list(graph, ignored).map_err(&fail)? {
                        if let TermRef::NamedNode(_) = p {
                            allowed.push(self.constant(p));
                        }
                    }
                }
                Constraint::Closed(allowed)
            } else if p == sh::HAS_VALUE {
                Constraint::HasValue(self.constant(value))
            } else if p == sh::IN {
                let members = read_list(graph, value).map_err(&fail)?;
                Constraint::In(members.into_iter().map(|m| self.constant(m)).collect())
            } else {
                continue;
            };
            shape.constraints.push(constraint);
        }
        Ok(shape)
    }

    /// The other qualified value shapes of the property shapes that share a parent with `shape`
    /// (SHACL §4.7.3, sibling shapes).
    fn siblings(
        &mut self,
        shape: NamedOrBlankNodeRef<'g>,
        own: TermRef<'g>,
    ) -> Result<Vec<ShapeId>, ShapesError> {
        let graph = self.graph;
        let mut siblings = Vec::new();
        for parent in graph.subjects_for_predicate_object(sh::PROPERTY, shape) {
            for property in graph.objects_for_subject_predicate(parent, sh::PROPERTY) {
                let Some(property) = as_subject(property) else {
                    continue;
                };
                for q in graph.objects_for_subject_predicate(property, sh::QUALIFIED_VALUE_SHAPE) {
                    if q != own {
                        let id = self.shape(q)?;
                        if !siblings.contains(&id) {
                            siblings.push(id);
                        }
                    }
                }
            }
        }
        Ok(siblings)
    }
}

pub(crate) fn as_subject(term: TermRef<'_>) -> Option<NamedOrBlankNodeRef<'_>> {
    match term {
        TermRef::NamedNode(n) => Some(n.into()),
        TermRef::BlankNode(b) => Some(b.into()),
        _ => None,
    }
}

/// Only the literal `true` switches a boolean parameter on (W3C test uniqueLang-002).
fn is_true(term: TermRef<'_>) -> bool {
    matches!(term, TermRef::Literal(l) if l.datatype() == xsd::BOOLEAN && l.value() == "true")
}

fn iri(term: TermRef<'_>) -> Result<NamedNode, String> {
    match term {
        TermRef::NamedNode(n) => Ok(n.into_owned()),
        other => Err(format!("{other} is not an IRI")),
    }
}

fn literal(term: TermRef<'_>) -> Result<Literal, String> {
    match term {
        TermRef::Literal(l) => Ok(l.into_owned()),
        other => Err(format!("{other} is not a literal")),
    }
}

fn count(term: TermRef<'_>) -> Result<u64, String> {
    match term {
        TermRef::Literal(l) if l.datatype() == xsd::INTEGER => l
            .value()
            .trim_start_matches('+')
            .parse()
            .map_err(|_| format!("{term} is not a non-negative integer")),
        other => Err(format!("{other} is not an xsd:integer")),
    }
}

fn node_kind(term: TermRef<'_>) -> Result<NodeKind, String> {
    let kinds = [
        (sh::IRI, NodeKind::Iri),
        (sh::BLANK_NODE, NodeKind::BlankNode),
        (sh::LITERAL, NodeKind::Literal),
        (sh::BLANK_NODE_OR_IRI, NodeKind::BlankNodeOrIri),
        (sh::BLANK_NODE_OR_LITERAL, NodeKind::BlankNodeOrLiteral),
        (sh::IRI_OR_LITERAL, NodeKind::IriOrLiteral),
    ];
    kinds
        .iter()
        .find(|(iri, _)| TermRef::from(*iri) == term)
        .map(|(_, kind)| *kind)
        .ok_or_else(|| format!("{term} is not a SHACL node kind"))
}

/// A SPARQL `REGEX` pattern with its flags (XPath `fn:matches` flags s, m, i, x, q).
fn regex(pattern: &str, flags: &str) -> Result<Regex, String> {
    let mut builder;
    if flags.contains('q') {
        builder = RegexBuilder::new(&regex::escape(pattern));
    } else {
        builder = RegexBuilder::new(pattern);
    }
    for flag in flags.chars() {
        match flag {
            's' => builder.dot_matches_new_line(true),
            'm' => builder.multi_line(true),
            'i' => builder.case_insensitive(true),
            'x' => builder.ignore_whitespace(true),
            'q' => &mut builder,
            other => return Err(format!("unknown regular expression flag {other:?}")),
        };
    }
    builder
        .size_limit(1 << 20)
        .build()
        .map_err(|e| format!("bad sh:pattern {pattern:?}: {e}"))
}
