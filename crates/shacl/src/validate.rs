//! The engine: focus nodes from targets, value nodes from paths, constraints on value nodes.

use crate::index::{Background, GraphIndex, Id, NumberedTriples};
use crate::literal::{compare, is_well_formed};
use crate::path::Path;
use crate::report::{ValidationReport, ValidationResult};
use crate::shapes::{
    ConstId, Constraint, NodeKind, RDF_TYPE, RDFS_SUB_CLASS_OF, Shape, ShapeId, Shapes, Target,
    ValuePath,
};
use crate::vocab::rdf;
use oxrdf::{Graph, Literal, Term, TermRef, Triple};
use rustc_hash::FxHashSet;
use std::cell::RefCell;
use std::cmp::Ordering;

/// The graph a validation reads: one record's graph, optionally over a [`Background`]
/// (vocabularies shared by every record, never copied into them).
///
/// Focus nodes come from the record graph only: a background concept is validated when the
/// record uses it, not in every record. Everything else (value nodes, `sh:class`,
/// `rdfs:subClassOf`) reads both graphs as one.
pub struct DataGraph<'b> {
    record: GraphIndex,
    background: Option<&'b Background>,
}

impl DataGraph<'static> {
    pub fn new(triples: impl IntoIterator<Item = Triple>) -> Self {
        Self {
            record: GraphIndex::build(triples, None),
            background: None,
        }
    }
}

impl<'b> DataGraph<'b> {
    /// The record's triples read together with `background`.
    pub fn over(background: &'b Background, triples: impl IntoIterator<Item = Triple>) -> Self {
        Self {
            record: GraphIndex::build(triples, Some(&background.index)),
            background: Some(background).filter(|b| !b.is_empty()),
        }
    }

    /// The record's triples, numbered in pieces (on other threads, for a large document), read
    /// together with `background`.
    pub fn from_pieces(
        background: &'b Background,
        pieces: impl IntoIterator<Item = NumberedTriples>,
    ) -> Self {
        Self {
            record: GraphIndex::merge(pieces, Some(&background.index)),
            background: Some(background).filter(|b| !b.is_empty()),
        }
    }

    /// How many triples the record has.
    pub fn len(&self) -> usize {
        self.record.len()
    }

    pub fn is_empty(&self) -> bool {
        self.record.len() == 0
    }

    fn indexes(&self) -> impl Iterator<Item = &GraphIndex> {
        std::iter::once(&self.record).chain(self.background.map(|b| &b.index))
    }

    fn id(&self, term: TermRef<'_>) -> Option<Id> {
        self.indexes().find_map(|i| i.id(term))
    }

    fn term(&self, id: Id) -> Option<&Term> {
        self.indexes().find_map(|i| i.term(id))
    }

    fn objects(&self, s: Id, p: Id, out: &mut Vec<Id>) {
        let start = out.len();
        out.extend(self.record.objects(s, p));
        if let Some(b) = self.background {
            out.extend(b.index.objects(s, p));
            dedup_from(out, start);
        }
    }

    fn subjects(&self, p: Id, o: Id, out: &mut Vec<Id>) {
        let start = out.len();
        out.extend(self.record.subjects(p, o));
        if let Some(b) = self.background {
            out.extend(b.index.subjects(p, o));
            dedup_from(out, start);
        }
    }

    fn has_any(&self, s: Id, p: Id) -> bool {
        self.indexes().any(|i| i.objects(s, p).next().is_some())
    }

    fn has_any_subject(&self, p: Id, o: Id) -> bool {
        self.indexes().any(|i| i.subjects(p, o).next().is_some())
    }

    fn in_record(&self, node: Id) -> bool {
        self.record.has_subject(node) || self.record.has_object(node)
    }
}

impl From<&Graph> for DataGraph<'static> {
    fn from(graph: &Graph) -> Self {
        Self::new(graph.iter().map(|t| t.into_owned()))
    }
}

/// Removes repeats from `values[start..]`, keeping the first of each.
fn dedup_from(values: &mut Vec<Id>, start: usize) {
    if values.len() - start > 1 {
        let mut seen = FxHashSet::default();
        let mut i = start;
        values.retain(|v| {
            let keep = i < start || seen.insert(*v);
            i += 1;
            keep
        });
    }
}

/// Removes from `values[start..]` what is already in `values` before it: a walk up or down
/// `rdfs:subClassOf` then visits each class once, even on cycles.
fn keep_new(values: &mut Vec<Id>, start: usize) {
    let mut j = start;
    while j < values.len() {
        if values[..j].contains(&values[j]) {
            values.swap_remove(j);
        } else {
            j += 1;
        }
    }
}

fn dedup(values: &mut Vec<Id>) {
    dedup_from(values, 0);
}

impl Shapes {
    /// Validates `data` against these shapes.
    ///
    /// ```
    /// use alzette_shacl::{DataGraph, Shapes};
    /// use oxrdf::Graph;
    /// use oxrdfio::{RdfFormat, RdfParser};
    /// let read = |ttl: &str| -> Graph {
    ///     RdfParser::from_format(RdfFormat::Turtle)
    ///         .for_slice(ttl.as_bytes())
    ///         .map(|q| oxrdf::Triple::from(q.unwrap()))
    ///         .collect()
    /// };
    /// let shapes = Shapes::from_graph(&read(r#"
    ///     @prefix sh: <http://www.w3.org/ns/shacl#> .
    ///     <http://e.org/S> sh:targetClass <http://e.org/Dataset> ;
    ///         sh:property [ sh:path <http://e.org/title> ; sh:minCount 1 ] ."#)).unwrap();
    /// let data = read("<http://e.org/d> a <http://e.org/Dataset> .");
    /// let report = shapes.validate(&DataGraph::from(&data));
    /// assert_eq!(report.results.len(), 1);
    /// assert_eq!(report.results[0].component_name(), "MinCount");
    /// ```
    pub fn validate(&self, data: &DataGraph<'_>) -> ValidationReport {
        let record_nodes = data.background.map(|_| data.record.nodes());
        let threads = if data.len() >= PARALLEL_FROM {
            std::thread::available_parallelism().map_or(1, usize::from)
        } else {
            1
        };
        // Thread `k` of `threads` checks the `k`th share of the (shape, focus node) pairs with
        // an engine of its own, so the results keep their order.
        let share = |k: usize| {
            let engine = Engine {
                shapes: self,
                data,
                resolved: RefCell::new(vec![UNRESOLVED; self.constants.len()]),
                absent: RefCell::new(Vec::new()),
                in_progress: RefCell::new(FxHashSet::default()),
            };
            let mut pairs = Vec::new();
            for &id in &self.targeted {
                let focus_nodes = engine.focus_nodes(&self.shapes[id], record_nodes.as_deref());
                pairs.extend(focus_nodes.into_iter().map(|focus| (id, focus)));
            }
            let mut results = Vec::new();
            let share = pairs.len() * k / threads..pairs.len() * (k + 1) / threads;
            for &(id, focus) in &pairs[share] {
                engine.validate(id, focus, &mut Sink::Collect(&mut results));
            }
            results
        };
        let results = if threads == 1 {
            share(0)
        } else {
            std::thread::scope(|s| {
                let shares: Vec<_> = (0..threads).map(|k| s.spawn(move || share(k))).collect();
                shares
                    .into_iter()
                    .flat_map(|h| h.join().unwrap_or_else(|e| std::panic::resume_unwind(e)))
                    .collect()
            })
        };
        ValidationReport { results }
    }
}

/// From this many triples a data graph is validated on every core (a record graph, a few
/// hundred triples, is not worth a thread).
const PARALLEL_FROM: usize = 1 << 20;

/// Where results go: into the report, or (inside sh:node, sh:or, …) only whether there was one.
enum Sink<'r> {
    Collect(&'r mut Vec<ValidationResult>),
    Check(bool),
}

impl Sink<'_> {
    fn failed(&self) -> bool {
        matches!(self, Self::Check(true))
    }
}

const UNRESOLVED: Id = Id::MAX;

struct Engine<'a, 'b> {
    shapes: &'a Shapes,
    data: &'a DataGraph<'b>,
    /// Constant → number in the data, found on first use; `UNRESOLVED` before.
    resolved: RefCell<Vec<Id>>,
    /// Numbers for constants the data lacks (target nodes, sh:in members…): past the data's own.
    absent: RefCell<Vec<ConstId>>,
    /// (shape, node) pairs being checked, so that recursive shapes over cyclic data end.
    in_progress: RefCell<FxHashSet<(ShapeId, Id)>>,
}

impl Engine<'_, '_> {
    /// The number of a constant: the data's, or one of its own past the data's numbers (a node
    /// with no triples, equal only to itself).
    fn constant(&self, c: ConstId) -> Id {
        let known = self.resolved.borrow()[c];
        if known != UNRESOLVED {
            return known;
        }
        let id = self
            .data
            .id(self.shapes.constants[c].as_ref())
            .unwrap_or_else(|| {
                let mut absent = self.absent.borrow_mut();
                absent.push(c);
                self.data.record.end() + absent.len() as Id - 1
            });
        self.resolved.borrow_mut()[c] = id;
        id
    }

    fn term(&self, id: Id) -> Term {
        match self.data.term(id) {
            Some(term) => term.clone(),
            None => {
                let c = self.absent.borrow()[(id - self.data.record.end()) as usize];
                self.shapes.constants[c].clone()
            }
        }
    }

    fn with_term<T>(&self, id: Id, f: impl FnOnce(TermRef<'_>) -> T) -> T {
        match self.data.term(id) {
            Some(term) => f(term.as_ref()),
            None => f(self.term(id).as_ref()),
        }
    }

    fn focus_nodes(&self, shape: &Shape, record_nodes: Option<&[Id]>) -> Vec<Id> {
        let mut nodes = Vec::new();
        let data = self.data;
        for target in &shape.targets {
            match (target, record_nodes) {
                (Target::Node(c), _) => nodes.push(self.constant(*c)),
                (Target::Class(c), None) => {
                    let ty = self.constant(RDF_TYPE);
                    for class in self.subclasses(self.constant(*c)) {
                        data.subjects(ty, class, &mut nodes);
                    }
                }
                (Target::SubjectsOf(p), None) => nodes.extend(
                    data.record
                        .with_predicate(self.constant(*p))
                        .map(|(s, _)| s),
                ),
                (Target::ObjectsOf(p), None) => nodes.extend(
                    data.record
                        .with_predicate(self.constant(*p))
                        .map(|(_, o)| o),
                ),
                // With a background, a node is a target if the union says so and the
                // record mentions it.
                (Target::Class(c), Some(candidates)) => {
                    let class = self.constant(*c);
                    nodes.extend(candidates.iter().filter(|n| self.is_instance(**n, class)));
                }
                (Target::SubjectsOf(p), Some(candidates)) => {
                    let p = self.constant(*p);
                    nodes.extend(candidates.iter().filter(|n| data.has_any(**n, p)));
                }
                (Target::ObjectsOf(p), Some(candidates)) => {
                    let p = self.constant(*p);
                    nodes.extend(candidates.iter().filter(|n| data.has_any_subject(p, **n)));
                }
            }
        }
        dedup(&mut nodes);
        if record_nodes.is_some() {
            // Background triples make the record's nodes targets; they never bring new ones.
            let explicit: Vec<Id> = shape
                .targets
                .iter()
                .filter_map(|t| match t {
                    Target::Node(c) => Some(self.constant(*c)),
                    _ => None,
                })
                .collect();
            nodes.retain(|n| explicit.contains(n) || data.in_record(*n));
        }
        nodes
    }

    /// `class` and every class below it by `rdfs:subClassOf`.
    fn subclasses(&self, class: Id) -> Vec<Id> {
        let sub = self.constant(RDFS_SUB_CLASS_OF);
        let mut classes = vec![class];
        let mut i = 0;
        while i < classes.len() {
            let start = classes.len();
            self.data.subjects(sub, classes[i], &mut classes);
            keep_new(&mut classes, start);
            i += 1;
        }
        classes
    }

    /// SHACL instance: `node` has an `rdf:type` that is `class` or below it.
    fn is_instance(&self, node: Id, class: Id) -> bool {
        let (ty, sub) = (self.constant(RDF_TYPE), self.constant(RDFS_SUB_CLASS_OF));
        let mut types = Vec::new();
        self.data.objects(node, ty, &mut types);
        let mut i = 0;
        while i < types.len() {
            if types[i] == class {
                return true;
            }
            let start = types.len();
            self.data.objects(types[i], sub, &mut types);
            keep_new(&mut types, start);
            i += 1;
        }
        false
    }

    fn conforms(&self, id: ShapeId, node: Id) -> bool {
        if !self.in_progress.borrow_mut().insert((id, node)) {
            // Recursion on cyclic data: assume the node conforms on this branch.
            return true;
        }
        let mut sink = Sink::Check(false);
        self.validate(id, node, &mut sink);
        self.in_progress.borrow_mut().remove(&(id, node));
        !sink.failed()
    }

    /// The results of `node` against shape `id`, or `None` when it conforms.
    fn failures(&self, id: ShapeId, node: Id) -> Option<Vec<ValidationResult>> {
        if !self.in_progress.borrow_mut().insert((id, node)) {
            return None;
        }
        let mut results = Vec::new();
        self.validate(id, node, &mut Sink::Collect(&mut results));
        self.in_progress.borrow_mut().remove(&(id, node));
        (!results.is_empty()).then_some(results)
    }

    fn validate(&self, id: ShapeId, focus: Id, sink: &mut Sink<'_>) {
        let shape = &self.shapes.shapes[id];
        if shape.deactivated {
            return;
        }
        let values = match &shape.value_path {
            Some(path) => {
                let mut values = self.eval(path, vec![focus], true);
                if !matches!(path, ValuePath::Predicate(_)) {
                    dedup(&mut values);
                }
                values
            }
            None => vec![focus],
        };
        for constraint in &shape.constraints {
            self.check(shape, constraint, focus, &values, sink);
            if sink.failed() {
                return;
            }
        }
    }

    fn check(
        &self,
        shape: &Shape,
        constraint: &Constraint,
        focus: Id,
        values: &[Id],
        sink: &mut Sink<'_>,
    ) {
        let collecting = matches!(sink, Sink::Collect(_));
        let mut report = |value: Option<Id>, path: Option<&Path>, details| {
            if let Sink::Collect(results) = sink {
                results.push(self.result(shape, constraint, focus, value, path, details));
            } else {
                *sink = Sink::Check(true);
            }
        };
        let mut each = |ok: &dyn Fn(Id) -> bool| {
            for &v in values {
                if !ok(v) {
                    report(Some(v), None, Vec::new());
                }
            }
        };
        match constraint {
            Constraint::Class(class) => {
                let class = self.constant(*class);
                each(&|v| self.is_instance(v, class))
            }
            Constraint::Datatype(datatype) => each(&|v| {
                self.with_term(v, |t| match t {
                    TermRef::Literal(l) => {
                        l.datatype() == datatype.as_ref()
                            && (l.language().is_some() || datatype.as_ref() != rdf::LANG_STRING)
                            && is_well_formed(l)
                    }
                    _ => false,
                })
            }),
            Constraint::NodeKind(kind) => each(&|v| {
                self.with_term(v, |t| {
                    let (iri, blank, literal) = (
                        matches!(t, TermRef::NamedNode(_)),
                        matches!(t, TermRef::BlankNode(_)),
                        matches!(t, TermRef::Literal(_)),
                    );
                    match kind {
                        NodeKind::Iri => iri,
                        NodeKind::BlankNode => blank,
                        NodeKind::Literal => literal,
                        NodeKind::BlankNodeOrIri => blank || iri,
                        NodeKind::BlankNodeOrLiteral => blank || literal,
                        NodeKind::IriOrLiteral => iri || literal,
                    }
                })
            }),
            Constraint::MinCount(min) => {
                if (values.len() as u64) < *min {
                    report(None, None, Vec::new());
                }
            }
            Constraint::MaxCount(max) => {
                if (values.len() as u64) > *max {
                    report(None, None, Vec::new());
                }
            }
            Constraint::MinExclusive(bound) => each(&|v| self.cmp(v, bound, Ordering::is_gt)),
            Constraint::MinInclusive(bound) => each(&|v| self.cmp(v, bound, Ordering::is_ge)),
            Constraint::MaxExclusive(bound) => each(&|v| self.cmp(v, bound, Ordering::is_lt)),
            Constraint::MaxInclusive(bound) => each(&|v| self.cmp(v, bound, Ordering::is_le)),
            Constraint::MinLength(min) => each(&|v| {
                self.with_term(v, |t| {
                    string(t).is_some_and(|s| s.chars().count() as u64 >= *min)
                })
            }),
            Constraint::MaxLength(max) => each(&|v| {
                self.with_term(v, |t| {
                    string(t).is_some_and(|s| s.chars().count() as u64 <= *max)
                })
            }),
            Constraint::Pattern(regex) => {
                each(&|v| self.with_term(v, |t| string(t).is_some_and(|s| regex.is_match(s))))
            }
            Constraint::LanguageIn(ranges) => each(&|v| {
                self.with_term(v, |t| match t {
                    TermRef::Literal(l) => l
                        .language()
                        .is_some_and(|tag| ranges.iter().any(|r| lang_matches(tag, r))),
                    _ => false,
                })
            }),
            Constraint::UniqueLang => {
                let mut seen: Vec<String> = Vec::new();
                let mut repeated: Vec<String> = Vec::new();
                for &v in values {
                    let tag = self.with_term(v, |t| match t {
                        TermRef::Literal(l) => l.language().map(str::to_ascii_lowercase),
                        _ => None,
                    });
                    if let Some(tag) = tag {
                        if seen.contains(&tag) {
                            if !repeated.contains(&tag) {
                                repeated.push(tag);
                            }
                        } else {
                            seen.push(tag);
                        }
                    }
                }
                for _ in repeated {
                    report(None, None, Vec::new());
                }
            }
            Constraint::Equals(p) => {
                let others = self.values_of(focus, *p);
                for v in values.iter().filter(|v| !others.contains(v)) {
                    report(Some(*v), None, Vec::new());
                }
                for o in others.iter().filter(|o| !values.contains(o)) {
                    report(Some(*o), None, Vec::new());
                }
            }
            Constraint::Disjoint(p) => {
                let others = self.values_of(focus, *p);
                for v in values.iter().filter(|v| others.contains(v)) {
                    report(Some(*v), None, Vec::new());
                }
            }
            Constraint::LessThan(p) | Constraint::LessThanOrEquals(p) => {
                let or_equal = matches!(constraint, Constraint::LessThanOrEquals(_));
                let others = self.values_of(focus, *p);
                for &v in values {
                    for &o in &others {
                        let order = self.with_term(v, |a| {
                            self.with_term(o, |b| match (a, b) {
                                (TermRef::Literal(a), TermRef::Literal(b)) => compare(a, b),
                                _ => None,
                            })
                        });
                        if !order.is_some_and(|o| o.is_lt() || (or_equal && o.is_eq())) {
                            report(Some(v), None, Vec::new());
                        }
                    }
                }
            }
            Constraint::Not(id) => each(&|v| !self.conforms(*id, v)),
            Constraint::And(ids) => each(&|v| ids.iter().all(|id| self.conforms(*id, v))),
            Constraint::Or(ids) => each(&|v| ids.iter().any(|id| self.conforms(*id, v))),
            Constraint::Xone(ids) => {
                each(&|v| ids.iter().filter(|id| self.conforms(**id, v)).count() == 1)
            }
            // Like pySHACL, say why a value fails a node shape (sh:detail); SHACL allows it
            // and an operator needs it, since the node shape's own results are not reported.
            Constraint::Node(id) if collecting => {
                for &v in values {
                    if let Some(details) = self.failures(*id, v) {
                        report(Some(v), None, details);
                    }
                }
            }
            Constraint::Node(id) => each(&|v| self.conforms(*id, v)),
            Constraint::Property(id) => {
                for &v in values {
                    self.validate(*id, v, sink);
                    if sink.failed() {
                        return;
                    }
                }
            }
            Constraint::QualifiedMin(q) | Constraint::QualifiedMax(q) => {
                let conforming = values
                    .iter()
                    .filter(|v| {
                        self.conforms(q.shape, **v)
                            && q.siblings.iter().all(|s| !self.conforms(*s, **v))
                    })
                    .count() as u64;
                let failed = match constraint {
                    Constraint::QualifiedMin(_) => conforming < q.count,
                    _ => conforming > q.count,
                };
                if failed {
                    report(None, None, Vec::new());
                }
            }
            Constraint::Closed(allowed) => {
                let allowed: Vec<Id> = allowed.iter().map(|c| self.constant(*c)).collect();
                for &v in values {
                    for index in self.data.indexes() {
                        for (p, o) in index.with_subject(v) {
                            if !allowed.contains(&p) {
                                let path = match self.term(p) {
                                    Term::NamedNode(p) => Path::Predicate(p),
                                    _ => continue,
                                };
                                report(Some(o), Some(&path), Vec::new());
                            }
                        }
                    }
                }
            }
            Constraint::HasValue(expected) => {
                if !values.contains(&self.constant(*expected)) {
                    report(None, None, Vec::new());
                }
            }
            Constraint::In(members) => {
                let members: Vec<Id> = members.iter().map(|c| self.constant(*c)).collect();
                each(&|v| members.contains(&v))
            }
        }
    }

    /// The values of predicate `p` at `focus`.
    fn values_of(&self, focus: Id, p: ConstId) -> Vec<Id> {
        let mut out = Vec::new();
        self.data.objects(focus, self.constant(p), &mut out);
        out
    }

    fn cmp(&self, value: Id, bound: &Literal, ok: fn(Ordering) -> bool) -> bool {
        self.with_term(value, |t| match t {
            TermRef::Literal(l) => compare(l, bound.as_ref()).is_some_and(ok),
            _ => false,
        })
    }

    /// The nodes reached from `inputs` along `path` (or against it, when not `forward`).
    fn eval(&self, path: &ValuePath, inputs: Vec<Id>, forward: bool) -> Vec<Id> {
        match path {
            ValuePath::Predicate(p) => {
                let p = self.constant(*p);
                let mut out = Vec::new();
                for node in inputs {
                    if forward {
                        self.data.objects(node, p, &mut out);
                    } else {
                        self.data.subjects(p, node, &mut out);
                    }
                }
                out
            }
            ValuePath::Inverse(inner) => self.eval(inner, inputs, !forward),
            ValuePath::Sequence(steps) => {
                let mut nodes = inputs;
                let ordered: Vec<&ValuePath> = if forward {
                    steps.iter().collect()
                } else {
                    steps.iter().rev().collect()
                };
                for step in ordered {
                    nodes = self.eval(step, nodes, forward);
                    dedup(&mut nodes);
                }
                nodes
            }
            ValuePath::Alternative(options) => {
                let mut out = Vec::new();
                for option in options {
                    out.extend(self.eval(option, inputs.clone(), forward));
                }
                out
            }
            ValuePath::ZeroOrOne(inner) => {
                let mut out = inputs.clone();
                out.extend(self.eval(inner, inputs, forward));
                out
            }
            ValuePath::ZeroOrMore(inner) | ValuePath::OneOrMore(inner) => {
                let start = if matches!(path, ValuePath::ZeroOrMore(_)) {
                    inputs.clone()
                } else {
                    Vec::new()
                };
                let mut seen: FxHashSet<Id> = start.iter().copied().collect();
                let mut out = start;
                let mut frontier = inputs;
                while !frontier.is_empty() {
                    let next = self.eval(inner, frontier, forward);
                    frontier = next.into_iter().filter(|n| seen.insert(*n)).collect();
                    out.extend(frontier.iter().copied());
                }
                out
            }
        }
    }

    fn result(
        &self,
        shape: &Shape,
        constraint: &Constraint,
        focus: Id,
        value: Option<Id>,
        path: Option<&Path>,
        details: Vec<ValidationResult>,
    ) -> ValidationResult {
        let value = value.map(|v| self.term(v));
        ValidationResult {
            focus_node: self.term(focus),
            path: path.or(shape.path.as_ref()).cloned(),
            severity: shape.severity.clone(),
            component: constraint.component().into_owned(),
            source_shape: shape.id.clone(),
            messages: if shape.messages.is_empty() {
                vec![Literal::new_simple_literal(self.describe(constraint, value.as_ref())).into()]
            } else {
                shape.messages.clone()
            },
            value,
            details,
        }
    }

    /// A message for operators when the shape has no sh:message of its own.
    fn describe(&self, constraint: &Constraint, value: Option<&Term>) -> String {
        let value = value.map_or_else(String::new, |v| format!("{v}: "));
        let name = |c: &ConstId| self.shapes.constants[*c].to_string();
        let text = match constraint {
            Constraint::Class(c) => format!("not an instance of {}", name(c)),
            Constraint::Datatype(d) => format!("not a well-formed literal of datatype {d}"),
            Constraint::NodeKind(k) => format!("not of node kind {k:?}"),
            Constraint::MinCount(n) => format!("fewer than {n} values"),
            Constraint::MaxCount(n) => format!("more than {n} values"),
            Constraint::MinExclusive(b) => format!("not greater than {b}"),
            Constraint::MinInclusive(b) => format!("less than {b}"),
            Constraint::MaxExclusive(b) => format!("not less than {b}"),
            Constraint::MaxInclusive(b) => format!("greater than {b}"),
            Constraint::MinLength(n) => format!("shorter than {n} characters"),
            Constraint::MaxLength(n) => format!("longer than {n} characters"),
            Constraint::Pattern(r) => format!("does not match {:?}", r.as_str()),
            Constraint::LanguageIn(tags) => format!("language not one of {}", tags.join(", ")),
            Constraint::UniqueLang => "two values share a language".into(),
            Constraint::Equals(p) => format!("values differ from those of {}", name(p)),
            Constraint::Disjoint(p) => format!("also a value of {}", name(p)),
            Constraint::LessThan(p) => format!("not less than the values of {}", name(p)),
            Constraint::LessThanOrEquals(p) => format!("greater than the values of {}", name(p)),
            Constraint::Not(_) => "conforms to a shape it must not conform to".into(),
            Constraint::And(_) => "does not conform to all of the shapes".into(),
            Constraint::Or(_) => "conforms to none of the shapes".into(),
            Constraint::Xone(_) => "does not conform to exactly one of the shapes".into(),
            Constraint::Node(_) => "does not conform to the node shape".into(),
            Constraint::Property(_) => "does not conform to the property shape".into(),
            Constraint::QualifiedMin(q) => {
                format!(
                    "fewer than {} values conform to the qualified shape",
                    q.count
                )
            }
            Constraint::QualifiedMax(q) => {
                format!(
                    "more than {} values conform to the qualified shape",
                    q.count
                )
            }
            Constraint::Closed(_) => "a property the closed shape does not allow".into(),
            Constraint::HasValue(v) => format!("missing the value {}", name(v)),
            Constraint::In(_) => "not one of the allowed values".into(),
        };
        format!("{value}{text}")
    }
}

/// The string that sh:minLength, sh:maxLength and sh:pattern look at; blank nodes have none.
fn string(term: TermRef<'_>) -> Option<&str> {
    match term {
        TermRef::NamedNode(n) => Some(n.as_str()),
        TermRef::Literal(l) => Some(l.value()),
        _ => None,
    }
}

/// SPARQL's `langMatches` (RFC 4647 basic filtering); ranges are stored in lower case.
fn lang_matches(tag: &str, range: &str) -> bool {
    if range == "*" {
        return !tag.is_empty();
    }
    let tag = tag.to_ascii_lowercase();
    tag == range || (tag.starts_with(range) && tag.as_bytes().get(range.len()) == Some(&b'-'))
}
