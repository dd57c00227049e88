//! The DCAT-AP versions Alzette publishes, and the rewriting of its DCAT-AP 3 graphs for
//! DCAT-AP 2.1.1 consumers (what the European data portal converts everything to).
//!
//! ```
//! use alzette_dcat::{Profile, to_dcat_ap_2};
//! use alzette_vocab::{dcat, dct, rdf};
//! use oxrdf::{NamedNode, Triple};
//!
//! let series = NamedNode::new("https://example.org/series/1").unwrap();
//! let member = NamedNode::new("https://example.org/dataset/1").unwrap();
//! let graph = to_dcat_ap_2([
//!     Triple::new(series.clone(), rdf::TYPE, dcat::DATASET_SERIES),
//!     Triple::new(member.clone(), dcat::IN_SERIES, series.clone()),
//! ]);
//! assert!(graph.contains(&Triple::new(series.clone(), rdf::TYPE, dcat::DATASET)));
//! assert!(graph.contains(&Triple::new(member, dct::IS_PART_OF, series)));
//! assert_eq!(Profile::parse("dcat-ap-2.1.1"), Some(Profile::DcatAp2));
//! ```

use alzette_vocab::{dcat, dcatap, dct, owl, rdf, xsd};
use oxrdf::{Literal, NamedNodeRef, Term, Triple};

/// A version of DCAT-AP that a catalogue response conforms to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Profile {
    /// DCAT-AP 3.0.1: what Alzette stores, and serves by default.
    DcatAp3,
    /// DCAT-AP 2.1.1.
    DcatAp2,
}

impl Profile {
    pub const ALL: [Profile; 2] = [Profile::DcatAp3, Profile::DcatAp2];

    /// The profile's IRI (`Content-Profile`, `Accept-Profile`).
    pub fn iri(self) -> &'static str {
        match self {
            Profile::DcatAp3 => "https://semiceu.github.io/DCAT-AP/releases/3.0.1/",
            Profile::DcatAp2 => "https://semiceu.github.io/DCAT-AP/releases/2.1.1/",
        }
    }

    /// The short name (`?profile=`).
    pub fn token(self) -> &'static str {
        match self {
            Profile::DcatAp3 => "dcat-ap-3",
            Profile::DcatAp2 => "dcat-ap-2.1.1",
        }
    }

    /// A profile by its token, its IRI, or a common variant of either (`dcat-ap-3.0.1`,
    /// `dcat-ap-2`, the IRI without its final slash).
    pub fn parse(name: &str) -> Option<Self> {
        let name = name.trim();
        let bare = name.trim_end_matches('/');
        Self::ALL.into_iter().find(|p| {
            name.eq_ignore_ascii_case(p.token())
                || bare == p.iri().trim_end_matches('/')
                || match p {
                    Profile::DcatAp3 => name.eq_ignore_ascii_case("dcat-ap-3.0.1"),
                    Profile::DcatAp2 => name.eq_ignore_ascii_case("dcat-ap-2"),
                }
        })
    }
}

/// What DCAT-AP 3 says one way and DCAT-AP 2.1.1 another (docs/publication.md has the table).
const RENAMED: [(NamedNodeRef<'static>, NamedNodeRef<'static>); 4] = [
    (dcat::IN_SERIES, dct::IS_PART_OF),
    (dcat::SERIES_MEMBER, dct::HAS_PART),
    (dcat::HAS_VERSION, dct::HAS_VERSION),
    (dcat::VERSION, owl::VERSION_INFO),
];

/// DCAT-AP 3 properties with no DCAT-AP 2.1.1 counterpart.
const DROPPED: [NamedNodeRef<'static>; 7] = [
    dcat::FIRST,
    dcat::LAST,
    dcat::PREV,
    dcat::PREVIOUS_VERSION,
    dcat::HAS_CURRENT_VERSION,
    dcatap::APPLICABLE_LEGISLATION,
    dcatap::HVD_CATEGORY,
];

/// Integer datatypes DCAT-AP 3 gives `dcat:byteSize` (2.1.1 wants `xsd:decimal`).
const INTEGERS: [NamedNodeRef<'static>; 6] = [
    xsd::NON_NEGATIVE_INTEGER,
    xsd::INTEGER,
    xsd::POSITIVE_INTEGER,
    xsd::LONG,
    xsd::INT,
    xsd::UNSIGNED_LONG,
];

/// `triples` (DCAT-AP 3) as DCAT-AP 2.1.1: dataset series become datasets, DCAT 3 properties
/// become their DCAT 2 equivalents or are dropped, byte sizes become decimals. Everything else
/// passes unchanged, in order, without duplicates.
pub fn to_dcat_ap_2(triples: impl IntoIterator<Item = Triple>) -> Vec<Triple> {
    let mut out: Vec<Triple> = Vec::new();
    let mut seen = std::collections::HashSet::new();
    for triple in triples {
        let Some(t) = rewrite(triple) else { continue };
        if seen.insert(t.clone()) {
            out.push(t);
        }
    }
    out
}

fn rewrite(mut t: Triple) -> Option<Triple> {
    let predicate = t.predicate.as_ref();
    if DROPPED.contains(&predicate) {
        return None;
    }
    if let Some((_, to)) = RENAMED.iter().find(|(from, _)| *from == predicate) {
        t.predicate = to.into_owned();
    } else if predicate == rdf::TYPE && t.object == Term::from(dcat::DATASET_SERIES) {
        t.object = dcat::DATASET.into();
    } else if predicate == dcat::BYTE_SIZE
        && let Term::Literal(size) = &t.object
        && INTEGERS.contains(&size.datatype())
    {
        t.object = Literal::new_typed_literal(size.value(), xsd::DECIMAL).into();
    }
    Some(t)
}

#[cfg(test)]
mod tests {
    use super::*;
    use oxrdf::NamedNode;

    fn iri(s: &str) -> NamedNode {
        NamedNode::new(s).unwrap()
    }

    #[test]
    fn every_rule() {
        let (d, s, other) = (iri("http://x/d"), iri("http://x/s"), iri("http://x/o"));
        let size = |dt| Literal::new_typed_literal("1024", dt);
        let out = to_dcat_ap_2([
            Triple::new(s.clone(), rdf::TYPE, dcat::DATASET_SERIES),
            Triple::new(s.clone(), rdf::TYPE, dcat::DATASET),
            Triple::new(s.clone(), dcat::SERIES_MEMBER, d.clone()),
            Triple::new(s.clone(), dcat::FIRST, d.clone()),
            Triple::new(d.clone(), dcat::IN_SERIES, s.clone()),
            Triple::new(d.clone(), dcat::PREV, other.clone()),
            Triple::new(d.clone(), dcat::VERSION, Literal::new_simple_literal("2")),
            Triple::new(d.clone(), dcat::HAS_VERSION, other.clone()),
            Triple::new(d.clone(), dcatap::APPLICABLE_LEGISLATION, other.clone()),
            Triple::new(d.clone(), dcat::BYTE_SIZE, size(xsd::NON_NEGATIVE_INTEGER)),
            Triple::new(other.clone(), dcat::BYTE_SIZE, size(xsd::DECIMAL)),
            Triple::new(other.clone(), dct::TITLE, Literal::new_simple_literal("t")),
        ]);
        assert_eq!(
            out,
            [
                Triple::new(s.clone(), rdf::TYPE, dcat::DATASET),
                Triple::new(s.clone(), dct::HAS_PART, d.clone()),
                Triple::new(d.clone(), dct::IS_PART_OF, s.clone()),
                Triple::new(
                    d.clone(),
                    owl::VERSION_INFO,
                    Literal::new_simple_literal("2")
                ),
                Triple::new(d.clone(), dct::HAS_VERSION, other.clone()),
                Triple::new(d.clone(), dcat::BYTE_SIZE, size(xsd::DECIMAL)),
                Triple::new(other.clone(), dcat::BYTE_SIZE, size(xsd::DECIMAL)),
                Triple::new(other, dct::TITLE, Literal::new_simple_literal("t")),
            ]
        );
    }

    #[test]
    fn names() {
        for p in Profile::ALL {
            assert_eq!(Profile::parse(p.token()), Some(p));
            assert_eq!(Profile::parse(p.iri()), Some(p));
        }
        assert_eq!(
            Profile::parse("https://semiceu.github.io/DCAT-AP/releases/2.1.1"),
            Some(Profile::DcatAp2)
        );
        assert_eq!(Profile::parse("DCAT-AP-3.0.1"), Some(Profile::DcatAp3));
        assert_eq!(Profile::parse("dcat-ap-1.2"), None);
    }
}
