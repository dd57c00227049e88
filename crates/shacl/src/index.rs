//! The data the engine reads: terms numbered once, triples in two sorted arrays.
//!
//! Validation asks "objects of (s, p)", "subjects of (p, o)" and "triples with p" millions of
//! times; over numbers in sorted arrays that is a binary search and a slice, and the whole index
//! takes about 24 bytes per triple plus the terms (an `oxrdf::Graph` keeps six B-trees).

use oxrdf::{Graph, Term, TermRef, Triple};
use rustc_hash::FxHashMap;

pub(crate) type Id = u32;

/// Triples of one graph, numbered after an optional base (the background), whose numbers
/// they share so that lookups span both without translation.
#[derive(Debug, Default)]
pub(crate) struct GraphIndex {
    /// The first number of this index's own terms (the base's term count).
    offset: Id,
    terms: Vec<Term>,
    ids: FxHashMap<Term, Id>,
    /// (subject, predicate, object), sorted.
    spo: Vec<[Id; 3]>,
    /// (predicate, object, subject), sorted.
    pos: Vec<[Id; 3]>,
    /// Every object, sorted, without repeats.
    objects: Vec<Id>,
}

impl GraphIndex {
    pub(crate) fn build(
        triples: impl IntoIterator<Item = Triple>,
        base: Option<&GraphIndex>,
    ) -> Self {
        let mut index = Self {
            offset: base.map_or(0, |b| b.offset + b.terms.len() as Id),
            ..Self::default()
        };
        for t in triples {
            let s = index.intern(t.subject.into(), base);
            let p = index.intern(t.predicate.into(), base);
            let o = index.intern(t.object, base);
            index.spo.push([s, p, o]);
        }
        index.spo.sort_unstable();
        index.spo.dedup();
        index.pos = index.spo.iter().map(|&[s, p, o]| [p, o, s]).collect();
        index.pos.sort_unstable();
        index.objects = index.spo.iter().map(|t| t[2]).collect();
        index.objects.sort_unstable();
        index.objects.dedup();
        index
    }

    fn intern(&mut self, term: Term, base: Option<&GraphIndex>) -> Id {
        if let Some(id) = base.and_then(|b| b.ids.get(&term)) {
            return *id;
        }
        if let Some(id) = self.ids.get(&term) {
            return *id;
        }
        let id = self.offset + self.terms.len() as Id;
        self.terms.push(term.clone());
        self.ids.insert(term, id);
        id
    }

    pub(crate) fn id(&self, term: TermRef<'_>) -> Option<Id> {
        self.ids.get(&term.into_owned()).copied()
    }

    /// The term numbered `id`, when this index numbered it.
    pub(crate) fn term(&self, id: Id) -> Option<&Term> {
        id.checked_sub(self.offset)
            .and_then(|i| self.terms.get(i as usize))
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
