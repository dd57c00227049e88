//! A harvested record: one dataset, data service or dataset series with what hangs off it, in
//! canonical form, with its content hash.

use oxrdf::dataset::{CanonicalizationAlgorithm, CanonicalizationHashAlgorithm};
use oxrdf::{Graph, NamedNode, NamedOrBlankNode, Term, Triple};
use sha2::{Digest, Sha256};
use std::fmt;
use std::str::FromStr;

/// What a record describes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum RecordKind {
    Dataset,
    DataService,
    DatasetSeries,
}

impl RecordKind {
    pub fn class(self) -> oxrdf::NamedNodeRef<'static> {
        use alzette_vocab::dcat;
        match self {
            Self::Dataset => dcat::DATASET,
            Self::DataService => dcat::DATA_SERVICE,
            Self::DatasetSeries => dcat::DATASET_SERIES,
        }
    }
}

/// SHA-256 over a record's canonical N-Triples (RDFC-1.0 blank node labels, lines sorted):
/// two records with the same hash say the same thing, whatever their blank node labels.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ContentHash(pub [u8; 32]);

impl fmt::Display for ContentHash {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for b in self.0 {
            write!(f, "{b:02x}")?;
        }
        Ok(())
    }
}

impl fmt::Debug for ContentHash {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "ContentHash({self})")
    }
}

impl FromStr for ContentHash {
    type Err = ();

    fn from_str(s: &str) -> Result<Self, ()> {
        if s.len() != 64 || !s.is_ascii() {
            return Err(());
        }
        let mut out = [0; 32];
        for (i, byte) in out.iter_mut().enumerate() {
            *byte = u8::from_str_radix(&s[2 * i..2 * i + 2], 16).map_err(|_| ())?;
        }
        Ok(Self(out))
    }
}

/// How a blank-node resource got its IRI.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MintedFrom {
    /// From the source id and this `dct:identifier`.
    Identifier(String),
    /// From the record's content hash (no `dct:identifier`): the IRI changes with the content.
    ContentHash,
}

/// One record, ready to store.
#[derive(Debug, Clone)]
pub struct RecordGraph {
    /// The dataset, data service or series the record is about.
    pub resource: NamedNode,
    pub kinds: Vec<RecordKind>,
    /// The description, blank nodes labelled canonically (`c14n0`, ...), sorted.
    pub triples: Vec<Triple>,
    pub hash: ContentHash,
    /// Set when the resource was a blank node at the source.
    pub minted_from: Option<MintedFrom>,
}

impl RecordGraph {
    /// Builds a record from its triples: canonicalises and hashes them.
    pub fn new(resource: NamedNode, kinds: Vec<RecordKind>, triples: Vec<Triple>) -> Self {
        let (triples, hash) = canonicalize(triples);
        Self {
            resource,
            kinds,
            triples,
            hash,
            minted_from: None,
        }
    }

    /// The source's own catalogue record about the resource, when the page carried one.
    pub fn source_record(&self) -> Option<&NamedOrBlankNode> {
        use alzette_vocab::{dcat, foaf, rdf};
        self.triples.iter().find_map(|t| {
            (t.predicate.as_ref() == foaf::PRIMARY_TOPIC
                && t.object == Term::NamedNode(self.resource.clone())
                && self.triples.iter().any(|u| {
                    u.subject == t.subject
                        && u.predicate.as_ref() == rdf::TYPE
                        && u.object == Term::NamedNode(dcat::CATALOG_RECORD.into_owned())
                }))
            .then_some(&t.subject)
        })
    }

    /// A title for messages: the first `dct:title` of the resource, else its IRI.
    pub fn label(&self) -> String {
        self.triples
            .iter()
            .find_map(|t| match (&t.subject, t.predicate.as_ref(), &t.object) {
                (NamedOrBlankNode::NamedNode(s), p, Term::Literal(l))
                    if *s == self.resource && p == alzette_vocab::dct::TITLE =>
                {
                    Some(format!("\"{}\" <{}>", l.value(), self.resource.as_str()))
                }
                _ => None,
            })
            .unwrap_or_else(|| format!("<{}>", self.resource.as_str()))
    }
}

/// Puts triples in canonical form (RDFC-1.0 blank node labels, sorted) and hashes them.
///
/// ```
/// use alzette_dcat::canonicalize;
/// use oxrdf::{BlankNode, NamedNode, Triple, Literal};
/// let p = NamedNode::new("http://e.org/p").unwrap();
/// let s = NamedNode::new("http://e.org/s").unwrap();
/// let one = |label: &str| vec![
///     Triple::new(s.clone(), p.clone(), BlankNode::new(label).unwrap()),
///     Triple::new(BlankNode::new(label).unwrap(), p.clone(), Literal::from("x")),
/// ];
/// let (_, a) = canonicalize(one("first"));
/// let (_, b) = canonicalize(one("other"));
/// assert_eq!(a, b); // blank node relabelling is no change
/// ```
pub fn canonicalize(triples: Vec<Triple>) -> (Vec<Triple>, ContentHash) {
    let has_blank_nodes = triples.iter().any(|t| {
        t.subject.is_blank_node() || matches!(t.object, Term::BlankNode(_))
    });
    let triples = if has_blank_nodes {
        let mut graph: Graph = triples.iter().collect();
        graph.canonicalize(CanonicalizationAlgorithm::Rdfc10 {
            hash_algorithm: CanonicalizationHashAlgorithm::Sha256,
        });
        graph.iter().map(|t| t.into_owned()).collect()
    } else {
        triples
    };
    let mut lines: Vec<(String, Triple)> = triples
        .into_iter()
        .map(|t| (t.to_string(), t))
        .collect();
    lines.sort_unstable_by(|a, b| a.0.cmp(&b.0));
    lines.dedup_by(|a, b| a.0 == b.0);
    let mut hasher = Sha256::new();
    for (line, _) in &lines {
        hasher.update(line.as_bytes());
        hasher.update(b" .\n");
    }
    let hash = ContentHash(hasher.finalize().into());
    (lines.into_iter().map(|(_, t)| t).collect(), hash)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hash_round_trips_through_text() {
        let (_, h) = canonicalize(vec![]);
        assert_eq!(h.to_string().parse::<ContentHash>(), Ok(h));
        assert!("xyz".parse::<ContentHash>().is_err());
    }

    #[test]
    fn different_content_different_hash() {
        let t = |o: &str| {
            vec![Triple::new(
                NamedNode::new("http://e.org/s").unwrap(),
                NamedNode::new("http://e.org/p").unwrap(),
                oxrdf::Literal::from(o),
            )]
        };
        assert_ne!(canonicalize(t("a")).1, canonicalize(t("b")).1);
        assert_eq!(canonicalize(t("a")).1, canonicalize(t("a")).1);
    }
}
