//! The data the engine reads: terms numbered once, triples in two sorted arrays.
//!
//! Validation asks "objects of (s, p)", "subjects of (p, o)" and "triples with p" millions of
//! times; over numbers in sorted arrays that is a binary search and a slice, and the whole index
//! takes about 24 bytes per triple plus the terms (an `oxrdf::Graph` keeps six B-trees).

use indexmap::IndexSet;
use oxrdf::{Graph, Term, TermRef, Triple};
use rustc_hash::FxBuildHasher;

pub(crate) type Id = u32;

/// From this many triples the two orders are sorted on two threads.
const PARALLEL_SORT_FROM: usize = 1 << 20;

/// Triples of one graph, numbered after an optional base (the background), whose numbers
/// they share so that lookups span both without translation.
#[derive(Debug, Default)]
pub(crate) struct GraphIndex {
    /// The first number of this index's own terms (the base's term count).
    offset: Id,
    /// This index's terms; a term's number is `offset` + its position. One copy of each term
    /// (a map plus a list kept each twice, and was most of the memory at 100,000 datasets).
    terms: IndexSet<Term, FxBuildHasher>,
    /// (subject, predicate, object), sorted.
    spo: Vec<[Id; 3]>,
    /// (predicate, object, subject), sorted.
    pos: Vec<[Id; 3]>,
    /// Every object, sorted, without repeats.
    objects: Vec<Id>,
}

/// Triples numbered among themselves: a piece of a large document, numbered on a thread of its
/// own, that [`DataGraph::from_pieces`](crate::DataGraph::from_pieces) then renumbers one
/// distinct term at a time instead of one triple at a time.
///
/// ```
/// use alzette_shacl::NumberedTriples;
/// let t = oxrdf::Triple::new(
///     oxrdf::NamedNode::new_unchecked("http://e.org/s"),
///     oxrdf::NamedNode::new_unchecked("http://e.org/p"),
///     oxrdf::NamedNode::new_unchecked("http://e.org/s"),
/// );
/// let piece: NumberedTriples = [t.clone(), t].into_iter().collect();
/// assert_eq!((piece.len(), piece.terms()), (2, 2));
/// ```
#[derive(Debug, Default)]
pub struct NumberedTriples {
    terms: IndexSet<Term, FxBuildHasher>,
    triples: Vec<[Id; 3]>,
}

impl NumberedTriples {
    /// How many triples (repeats included).
    pub fn len(&self) -> usize {
        self.triples.len()
    }

    pub fn is_empty(&self) -> bool {
        self.triples.is_empty()
    }

    /// How many distinct terms.
    pub fn terms(&self) -> usize {
        self.terms.len()
    }
}

impl FromIterator<Triple> for NumberedTriples {
    fn from_iter<I: IntoIterator<Item = Triple>>(triples: I) -> Self {
        let triples = triples.into_iter();
        let mut terms = IndexSet::default();
        let mut number = |term: Term| terms.insert_full(term).0 as Id;
        let triples = triples
            .map(|t| {
                [
                    number(t.subject.into()),
                    number(t.predicate.into()),
                    number(t.object),
                ]
            })
            .collect();
        Self { terms, triples }
    }
}

impl GraphIndex {
    /// One index of `triples`, numbered after `base` as they come (a record graph: one pass).
    pub(crate) fn build(
        triples: impl IntoIterator<Item = Triple>,
        base: Option<&GraphIndex>,
    ) -> Self {
        let mut index = Self::after(base);
        for t in triples {
            let s = index.intern(t.subject.into(), base);
            let p = index.intern(t.predicate.into(), base);
            let o = index.intern(t.object, base);
            index.spo.push([s, p, o]);
        }
        index.sorted()
    }

    /// One index of `pieces`, numbered after `base`: each piece's distinct terms are looked
    /// up once, and its triples renumbered through a table.
    pub(crate) fn merge(
        pieces: impl IntoIterator<Item = NumberedTriples>,
        base: Option<&GraphIndex>,
    ) -> Self {
        let mut index = Self::after(base);
        for piece in pieces {
            let numbers: Vec<Id> = piece
                .terms
                .into_iter()
                .map(|term| index.intern(term, base))
                .collect();
            index.spo.extend(
                piece
                    .triples
                    .iter()
                    .map(|t| t.map(|local| numbers[local as usize])),
            );
        }
        index.sorted()
    }

    /// An empty index whose numbers follow `base`'s.
    fn after(base: Option<&GraphIndex>) -> Self {
        Self {
            offset: base.map_or(0, |b| b.offset + b.terms.len() as Id),
            ..Self::default()
        }
    }

    /// The index once its `spo` triples are all in: both orders sorted, repeats gone.
    fn sorted(mut self) -> Self {
        let index = &mut self;
        index.pos = index.spo.iter().map(|&[s, p, o]| [p, o, s]).collect();
        let sort = |triples: &mut Vec<[Id; 3]>| {
            triples.sort_unstable();
            triples.dedup();
        };
        if index.spo.len() >= PARALLEL_SORT_FROM {
            std::thread::scope(|s| {
                s.spawn(|| sort(&mut index.pos));
                sort(&mut index.spo);
            });
        } else {
            sort(&mut index.spo);
            sort(&mut index.pos);
        }
        index.objects = index.pos.iter().map(|t| t[1]).collect();
        index.objects.dedup();
        self
    }

    fn intern(&mut self, term: Term, base: Option<&GraphIndex>) -> Id {
        if let Some(id) = base.and_then(|b| b.own_id(&term)) {
            return id;
        }
        self.offset + self.terms.insert_full(term).0 as Id
    }

    fn own_id(&self, term: &Term) -> Option<Id> {
        self.terms.get_index_of(term).map(|i| self.offset + i as Id)
    }

    pub(crate) fn id(&self, term: TermRef<'_>) -> Option<Id> {
        self.own_id(&term.into_owned())
    }

    /// The term numbered `id`, when this index numbered it.
    pub(crate) fn term(&self, id: Id) -> Option<&Term> {
        id.checked_sub(self.offset)
            .and_then(|i| self.terms.get_index(i as usize))
    }

    pub(crate) fn len(&self) -> usize {
        self.spo.len()
    }

    /// The first number after this index's terms.
    pub(crate) fn end(&self) -> Id {
        self.offset + self.terms.len() as Id
    }

    pub(crate) fn objects(&self, s: Id, p: Id) -> impl Iterator<Item = Id> + '_ {
        range2(&self.spo, s, p).iter().map(|t| t[2])
    }

    pub(crate) fn subjects(&self, p: Id, o: Id) -> impl Iterator<Item = Id> + '_ {
        range2(&self.pos, p, o).iter().map(|t| t[2])
    }

    /// (subject, object) of the triples with predicate `p`.
    pub(crate) fn with_predicate(&self, p: Id) -> impl Iterator<Item = (Id, Id)> + '_ {
        range1(&self.pos, p).iter().map(|t| (t[2], t[1]))
    }

    /// (predicate, object) of the triples with subject `s`.
    pub(crate) fn with_subject(&self, s: Id) -> impl Iterator<Item = (Id, Id)> + '_ {
        range1(&self.spo, s).iter().map(|t| (t[1], t[2]))
    }

    pub(crate) fn has_subject(&self, s: Id) -> bool {
        !range1(&self.spo, s).is_empty()
    }

    pub(crate) fn has_object(&self, o: Id) -> bool {
        self.objects.binary_search(&o).is_ok()
    }

    /// Every subject and object, without repeats.
    pub(crate) fn nodes(&self) -> Vec<Id> {
        let mut nodes: Vec<Id> = self.spo.iter().map(|t| t[0]).collect();
        nodes.extend(&self.objects);
        nodes.sort_unstable();
        nodes.dedup();
        nodes
    }
}

fn range1(triples: &[[Id; 3]], a: Id) -> &[[Id; 3]] {
    let start = triples.partition_point(|t| t[0] < a);
    let end = start + triples[start..].partition_point(|t| t[0] == a);
    &triples[start..end]
}

fn range2(triples: &[[Id; 3]], a: Id, b: Id) -> &[[Id; 3]] {
    let start = triples.partition_point(|t| (t[0], t[1]) < (a, b));
    let end = start + triples[start..].partition_point(|t| t[0] == a && t[1] == b);
    &triples[start..end]
}

/// Vocabularies read together with every record graph; numbered once, shared by all.
///
/// ```
/// use alzette_shacl::Background;
/// let background = Background::from(&oxrdf::Graph::new());
/// assert_eq!(background.len(), 0);
/// ```
#[derive(Debug, Default)]
pub struct Background {
    pub(crate) index: GraphIndex,
}

impl Background {
    pub fn new(triples: impl IntoIterator<Item = Triple>) -> Self {
        Self {
            index: GraphIndex::build(triples, None),
        }
    }

    /// How many triples.
    pub fn len(&self) -> usize {
        self.index.len()
    }

    pub fn is_empty(&self) -> bool {
        self.index.len() == 0
    }
}

impl From<&Graph> for Background {
    fn from(graph: &Graph) -> Self {
        Self::new(graph.iter().map(|t| t.into_owned()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use oxrdf::{Literal, NamedNode};

    fn triple(s: &str, p: &str, o: Term) -> Triple {
        Triple::new(NamedNode::new_unchecked(s), NamedNode::new_unchecked(p), o)
    }

    #[test]
    fn pieces_merge_into_one_numbering() {
        let iri = |s: &str| Term::from(NamedNode::new_unchecked(s));
        let first: NumberedTriples = [
            triple("http://e.org/a", "http://e.org/p", iri("http://e.org/b")),
            triple(
                "http://e.org/a",
                "http://e.org/q",
                Literal::from("x").into(),
            ),
        ]
        .into_iter()
        .collect();
        // The second piece repeats a triple and shares terms in other positions.
        let second: NumberedTriples = [
            triple("http://e.org/b", "http://e.org/p", iri("http://e.org/a")),
            triple("http://e.org/a", "http://e.org/p", iri("http://e.org/b")),
        ]
        .into_iter()
        .collect();
        let base = GraphIndex::build(
            [triple(
                "http://e.org/b",
                "http://e.org/q",
                Literal::from("y").into(),
            )],
            None,
        );
        let index = GraphIndex::merge([first, second], Some(&base));
        assert_eq!(index.len(), 3);
        let id = |t: Term| index.own_id(&t).or_else(|| base.own_id(&t)).unwrap();
        let (a, b, p) = (
            id(iri("http://e.org/a")),
            id(iri("http://e.org/b")),
            id(iri("http://e.org/p")),
        );
        // `b` and `q` were numbered by the base; the record's own numbers follow the base's.
        assert!(b < base.end() && a >= base.end());
        assert_eq!(index.objects(a, p).collect::<Vec<_>>(), [b]);
        assert_eq!(index.subjects(p, b).collect::<Vec<_>>(), [a]);
        assert_eq!(index.term(a), Some(&iri("http://e.org/a")));
        assert!(index.has_object(a) && !index.has_subject(id(Literal::from("x").into())));
    }
}
