//! The triples of one page, indexed by subject and by predicate.
//!
//! A page is read once and cut into records; an index of two hash maps over the parsed triples
//! costs a fraction of a fully indexed `oxrdf::Graph` (three ordered indexes over interned
//! terms), which is what made parsing slower than splitting.

use oxrdf::{NamedNodeRef, NamedOrBlankNode, NamedOrBlankNodeRef, Term, TermRef, Triple};
use std::borrow::Cow;
use std::collections::HashMap;

/// The triples of a page. Duplicates are kept (records are deduplicated when canonicalised).
#[derive(Debug, Default)]
pub struct PageGraph {
    triples: Vec<Triple>,
    by_subject: HashMap<Box<str>, Vec<u32>>,
    by_predicate: HashMap<Box<str>, Vec<u32>>,
}

/// The key of a subject: its IRI, or `_:` and its label (no IRI starts with `_:`).
fn key(node: NamedOrBlankNodeRef<'_>) -> Cow<'_, str> {
    match node {
        NamedOrBlankNodeRef::NamedNode(n) => Cow::Borrowed(n.as_str()),
        NamedOrBlankNodeRef::BlankNode(b) => Cow::Owned(format!("_:{}", b.as_str())),
    }
}

impl PageGraph {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn insert(&mut self, triple: Triple) {
        let i = u32::try_from(self.triples.len()).expect("fewer than 2^32 triples a page");
        match self
            .by_subject
            .get_mut(key(triple.subject.as_ref()).as_ref())
        {
            Some(list) => list.push(i),
            None => {
                self.by_subject
                    .insert(key(triple.subject.as_ref()).into(), vec![i]);
            }
        }
        match self.by_predicate.get_mut(triple.predicate.as_str()) {
            Some(list) => list.push(i),
            None => {
                self.by_predicate
                    .insert(triple.predicate.as_str().into(), vec![i]);
            }
        }
        self.triples.push(triple);
    }

    pub fn len(&self) -> usize {
        self.triples.len()
    }

    pub fn is_empty(&self) -> bool {
        self.triples.is_empty()
    }

    pub fn iter(&self) -> std::slice::Iter<'_, Triple> {
        self.triples.iter()
    }

    fn listed<'a>(&'a self, list: Option<&'a Vec<u32>>) -> impl Iterator<Item = &'a Triple> + 'a {
        list.into_iter()
            .flatten()
            .map(|i| &self.triples[*i as usize])
    }

    pub fn triples_for_subject<'a>(
        &'a self,
        subject: NamedOrBlankNodeRef<'_>,
    ) -> impl Iterator<Item = &'a Triple> + 'a {
        self.listed(self.by_subject.get(key(subject).as_ref()))
    }

    pub fn triples_for_predicate<'a>(
        &'a self,
        predicate: NamedNodeRef<'_>,
    ) -> impl Iterator<Item = &'a Triple> + 'a {
        self.listed(self.by_predicate.get(predicate.as_str()))
    }

    /// Where the page first says something about `node` (its first triple's position).
    pub fn first_position(&self, node: NamedOrBlankNodeRef<'_>) -> Option<usize> {
        self.by_subject
            .get(key(node).as_ref())
            .and_then(|list| list.first())
            .map(|i| *i as usize)
    }

    /// Whether the page says anything about `node`.
    pub fn describes(&self, node: NamedOrBlankNodeRef<'_>) -> bool {
        self.by_subject.contains_key(key(node).as_ref())
    }

    pub fn subjects_with<'a>(
        &'a self,
        predicate: NamedNodeRef<'a>,
        object: TermRef<'a>,
    ) -> impl Iterator<Item = &'a NamedOrBlankNode> + 'a {
        self.triples_for_predicate(predicate)
            .filter(move |t| t.object.as_ref() == object)
            .map(|t| &t.subject)
    }

    pub fn objects<'a>(
        &'a self,
        subject: NamedOrBlankNodeRef<'_>,
        predicate: NamedNodeRef<'a>,
    ) -> impl Iterator<Item = &'a Term> + 'a {
        self.triples_for_subject(subject)
            .filter(move |t| t.predicate.as_ref() == predicate)
            .map(|t| &t.object)
    }

    pub fn contains(
        &self,
        subject: NamedOrBlankNodeRef<'_>,
        predicate: NamedNodeRef<'_>,
        object: TermRef<'_>,
    ) -> bool {
        self.triples_for_subject(subject)
            .any(|t| t.predicate.as_ref() == predicate && t.object.as_ref() == object)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use oxrdf::{BlankNode, Literal, NamedNode};

    #[test]
    fn blank_nodes_and_iris_do_not_collide() {
        let p = NamedNode::new("http://e.org/p").unwrap();
        let mut g = PageGraph::new();
        g.insert(Triple::new(
            BlankNode::new("x").unwrap(),
            p.clone(),
            Literal::from("blank"),
        ));
        g.insert(Triple::new(
            NamedNode::new("http://e.org/x").unwrap(),
            p.clone(),
            Literal::from("iri"),
        ));
        let b = BlankNode::new("x").unwrap();
        let values: Vec<String> = g
            .triples_for_subject(b.as_ref().into())
            .map(|t| t.object.to_string())
            .collect();
        assert_eq!(values, vec!["\"blank\""]);
        assert_eq!(g.triples_for_predicate(p.as_ref()).count(), 2);
        assert!(g.contains(
            b.as_ref().into(),
            p.as_ref(),
            Literal::from("blank").as_ref().into()
        ));
        assert!(!g.describes(NamedNode::new("http://e.org/y").unwrap().as_ref().into()));
    }
}
