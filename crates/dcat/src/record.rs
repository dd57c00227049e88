//! A harvested record: one dataset, data service or dataset series with what hangs off it, in
//! canonical form, with its content hash and its key.

use crate::canonical::canonicalize;
use crate::hex::{from_hex, hex};
use oxrdf::{NamedNode, NamedOrBlankNode, Term, Triple};
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
        f.write_str(&hex(&self.0))
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
        from_hex(s).map(Self).ok_or(())
    }
}

/// The key of a record inside its source: the first 128 bits of SHA-256 over the resource's
/// IRI. Computed once, when the record is made ([`RecordGraph::new`]), and carried with it:
/// the store names the record's graph with it, the run log remembers pages by it.
///
/// ```
/// use alzette_dcat::RecordKey;
/// let key = RecordKey::of("https://data.public.lu/dataset/1");
/// let text = key.to_string();
/// assert_eq!(text.len(), 32);
/// assert_eq!(text.parse::<RecordKey>(), Ok(key));
/// ```
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct RecordKey([u8; 16]);

impl RecordKey {
    /// The key of the record about `resource`.
    pub fn of(resource: &str) -> Self {
        let digest = Sha256::digest(resource.as_bytes());
        let mut key = [0; 16];
        key.copy_from_slice(&digest[..16]);
        Self(key)
    }

    pub fn from_bytes(bytes: [u8; 16]) -> Self {
        Self(bytes)
    }

    pub fn as_bytes(&self) -> &[u8; 16] {
        &self.0
    }
}

impl fmt::Display for RecordKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&hex(&self.0))
    }
}

impl fmt::Debug for RecordKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "RecordKey({self})")
    }
}

/// A text that is not 32 hexadecimal digits.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("a record key is 32 hexadecimal digits")]
pub struct BadRecordKey;

impl FromStr for RecordKey {
    type Err = BadRecordKey;

    fn from_str(s: &str) -> Result<Self, BadRecordKey> {
        from_hex(s).map(Self).ok_or(BadRecordKey)
    }
}

/// As its hex text, so that the run log stays readable.
impl serde::Serialize for RecordKey {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> serde::Deserialize<'de> for RecordKey {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let text = <std::borrow::Cow<'de, str>>::deserialize(d)?;
        text.parse().map_err(serde::de::Error::custom)
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

/// One record, ready to store. Made by [`crate::Normaliser`] (or [`RecordGraph::new`] for a
/// resource with an IRI and triples within limits).
#[derive(Debug, Clone)]
pub struct RecordGraph {
    /// The dataset, data service or series the record is about.
    pub resource: NamedNode,
    /// The record's key, from `resource`.
    pub key: RecordKey,
    pub kinds: Vec<RecordKind>,
    /// The description, blank nodes labelled canonically (`c14n0`, ...), sorted.
    pub triples: Vec<Triple>,
    pub hash: ContentHash,
    /// Set when the resource was a blank node at the source.
    pub minted_from: Option<MintedFrom>,
    /// What normalisation repaired in the record (each said once, for the run's warnings).
    pub repairs: Vec<String>,
}

impl RecordGraph {
    /// Builds a record from its triples: canonicalises and hashes them.
    pub fn new(resource: NamedNode, kinds: Vec<RecordKind>, triples: Vec<Triple>) -> Self {
        let (triples, hash) = canonicalize(triples);
        Self::from_canonical(resource, kinds, triples, hash)
    }

    /// A record whose triples are in canonical form already, with their hash.
    pub(crate) fn from_canonical(
        resource: NamedNode,
        kinds: Vec<RecordKind>,
        triples: Vec<Triple>,
        hash: ContentHash,
    ) -> Self {
        Self {
            key: RecordKey::of(resource.as_str()),
            resource,
            kinds,
            triples,
            hash,
            minted_from: None,
            repairs: Vec::new(),
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
