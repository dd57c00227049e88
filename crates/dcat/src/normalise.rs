//! The one step every source kind's records go through: a resource as its source described
//! it (an IRI or a blank node), its kinds, its triples and what identifies it become a
//! [`RecordGraph`] — limits checked, an IRI minted for a blank node, the description in
//! canonical form and hashed once, the key computed once — or a [`Refused`] record that says
//! why, in the same words for a DCAT page, an ISO record or any other kind.

use crate::canonical::{canonicalize_around, sort_and_hash};
use crate::record::{MintedFrom, RecordGraph, RecordKey, RecordKind};
use oxrdf::{BlankNode, Literal, NamedNode, NamedOrBlankNode, Term, Triple};
use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, utf8_percent_encode};

/// The limits one record is held to (`max_record_triples`, `max_literal_size`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RecordLimits {
    /// A record with more triples than this is refused.
    pub max_record_triples: usize,
    /// A record with a literal longer than this (bytes) is refused.
    pub max_literal_size: u64,
}

impl Default for RecordLimits {
    fn default() -> Self {
        Self {
            max_record_triples: 100_000,
            max_literal_size: 1024 * 1024,
        }
    }
}

/// What a source found about one resource, before normalisation.
#[derive(Debug, Clone)]
pub struct Description {
    /// The dataset, data service or series, as the source named it.
    pub resource: NamedOrBlankNode,
    pub kinds: Vec<RecordKind>,
    pub triples: Vec<Triple>,
    /// What names a blank-node resource stably across harvests (its `dct:identifier`, an ISO
    /// record's `gmd:fileIdentifier`); without it, its IRI is minted from its content.
    pub identifier: Option<String>,
}

/// Why a record was refused.
#[derive(Debug, thiserror::Error)]
pub enum Refusal {
    #[error("the record has more than {limit} triples (limit max_record_triples)")]
    TooManyTriples { limit: usize },
    #[error("its {predicate} value is {size} bytes, more than {limit} (limit max_literal_size)")]
    LiteralTooLarge {
        predicate: NamedNode,
        size: u64,
        limit: u64,
    },
    #[error(
        "its resource <{iri}> is in Alzette's own namespace <{namespace}>: a source may describe only its own resources (check the source's IRIs, or the server's base_uri)"
    )]
    ReservedNamespace { iri: NamedNode, namespace: String },
    #[error("cannot mint an IRI for it ({iri}): {reason}")]
    Unmintable {
        iri: String,
        reason: oxrdf::IriParseError,
    },
}

/// A record that was refused, with what is known of its resource: a record refused whose
/// resource is known keeps its earlier version.
#[derive(Debug, thiserror::Error)]
#[error("{reason}")]
pub struct Refused {
    /// The resource's IRI, when it has one or one could be minted before the refusal.
    pub resource: Option<NamedNode>,
    pub reason: Refusal,
}

impl Refused {
    /// The key of the record's resource, when it is known.
    pub fn key(&self) -> Option<RecordKey> {
        self.resource.as_ref().map(|r| RecordKey::of(r.as_str()))
    }
}

/// Turns [`Description`]s into [`RecordGraph`]s for one source.
///
/// ```
/// use alzette_dcat::{Description, Normaliser, RecordKind, RecordLimits};
/// use oxrdf::{BlankNode, Literal, NamedNode, Triple};
/// let normaliser = Normaliser::new("https://alz.example/id/src/", RecordLimits::default());
/// let dataset = BlankNode::default();
/// let title = NamedNode::new("http://purl.org/dc/terms/title").unwrap();
/// let record = normaliser
///     .record(Description {
///         resource: dataset.clone().into(),
///         kinds: vec![RecordKind::Dataset],
///         triples: vec![Triple::new(dataset, title, Literal::from("Roads"))],
///         identifier: Some("roads 1".into()),
///     })
///     .unwrap();
/// assert_eq!(record.resource.as_str(), "https://alz.example/id/src/roads%201");
/// ```
#[derive(Debug, Clone)]
pub struct Normaliser {
    mint_base: String,
    limits: RecordLimits,
    /// Alzette's own namespace (its base URI): a record may not describe anything in it but the
    /// IRIs minted for its own source.
    reserved: Option<String>,
}

impl Normaliser {
    /// Blank-node resources get IRIs starting with `mint_base` (e.g.
    /// `http://localhost:8080/id/my-source/`).
    pub fn new(mint_base: impl Into<String>, limits: RecordLimits) -> Self {
        Self {
            mint_base: mint_base.into(),
            limits,
            reserved: None,
        }
    }

    /// Refuses records about resources in `namespace` (Alzette's base URI) and drops their
    /// triples about anything in it (another source's records, the catalogue, runs), saying
    /// so; IRIs minted under this normaliser's own mint base stay allowed.
    pub fn with_reserved_namespace(mut self, namespace: impl Into<String>) -> Self {
        self.reserved = Some(namespace.into());
        self
    }

    pub fn reserved_namespace(&self) -> Option<&str> {
        self.reserved.as_deref()
    }

    /// Whether `iri` is in the reserved namespace and not this source's own minted IRIs.
    fn is_reserved(&self, iri: &str) -> bool {
        self.reserved
            .as_deref()
            .is_some_and(|ns| iri.starts_with(ns) && !iri.starts_with(&self.mint_base))
    }

    /// The triples about reserved subjects, dropped, and what was said about them.
    fn drop_reserved(&self, triples: Vec<Triple>) -> (Vec<Triple>, Option<String>) {
        if self.reserved.is_none() {
            return (triples, None);
        }
        let (dropped, kept): (Vec<Triple>, Vec<Triple>) = triples.into_iter().partition(|t| {
            matches!(&t.subject, NamedOrBlankNode::NamedNode(n) if self.is_reserved(n.as_str()))
        });
        if dropped.is_empty() {
            return (kept, None);
        }
        let mut subjects: Vec<String> = dropped.iter().map(|t| t.subject.to_string()).collect();
        subjects.sort_unstable();
        subjects.dedup();
        let more = subjects.len().saturating_sub(3);
        subjects.truncate(3);
        let note = format!(
            "{} triple(s) about {}{} dropped: they are in Alzette's own namespace <{}>, and a source may describe only its own resources (not the catalogue, runs or other sources' records)",
            dropped.len(),
            subjects.join(", "),
            if more > 0 {
                format!(" and {more} more")
            } else {
                String::new()
            },
            self.reserved.as_deref().unwrap_or_default()
        );
        (kept, Some(note))
    }

    pub fn limits(&self) -> &RecordLimits {
        &self.limits
    }

    pub fn mint_base(&self) -> &str {
        &self.mint_base
    }

    /// The record of `description`, or why it was refused. The resource's IRI comes first (a
    /// refused record keeps its earlier version only when its resource is known), then the
    /// limits, then the canonical form, computed once.
    pub fn record(&self, description: Description) -> Result<RecordGraph, Refused> {
        let Description {
            resource,
            kinds,
            triples,
            identifier,
        } = description;
        let named = self.iri_of(&resource, identifier.as_deref())?;
        if let Some(iri) = named.as_ref().filter(|n| self.is_reserved(n.as_str())) {
            return Err(Refused {
                resource: None,
                reason: Refusal::ReservedNamespace {
                    iri: iri.clone(),
                    namespace: self.reserved.clone().unwrap_or_default(),
                },
            });
        }
        let (triples, dropped) = self.drop_reserved(triples);
        let (triples, mut repairs) = xml_safe_literals(triples);
        repairs.extend(dropped);
        if let Err(reason) = self.check(&triples) {
            return Err(Refused {
                resource: named,
                reason,
            });
        }
        let mut record = match (resource, named) {
            (NamedOrBlankNode::NamedNode(_), Some(iri)) => RecordGraph::new(iri, kinds, triples),
            (NamedOrBlankNode::BlankNode(blank), Some(iri)) => {
                let mut record =
                    RecordGraph::new(iri.clone(), kinds, replace_blank_node(triples, blank, &iri));
                record.minted_from = identifier.map(MintedFrom::Identifier);
                record
            }
            (NamedOrBlankNode::BlankNode(blank), None) => {
                // Named by its content: canonical form once, with the resource still blank (so
                // that the IRI does not depend on itself), then the resource renamed in it.
                let (canonical, hash, label) = canonicalize_around(triples, &blank);
                let hex = hash.to_string();
                let iri = self.named(format!("{}sha256-{}", self.mint_base, &hex[..32]))?;
                let triples = match label {
                    Some(label) => replace_blank_node(canonical, label, &iri),
                    None => canonical,
                };
                let (triples, hash) = sort_and_hash(triples);
                let mut record = RecordGraph::from_canonical(iri, kinds, triples, hash);
                record.minted_from = Some(MintedFrom::ContentHash);
                record
            }
            (NamedOrBlankNode::NamedNode(_), None) => unreachable!("a named resource is named"),
        };
        record.repairs = repairs;
        Ok(record)
    }

    /// The IRI a resource gets when it is known before its description is: its own, or one
    /// minted from its identifier; `None` for a blank node named by its content.
    pub fn iri_of(
        &self,
        resource: &NamedOrBlankNode,
        identifier: Option<&str>,
    ) -> Result<Option<NamedNode>, Refused> {
        match (resource, identifier) {
            (NamedOrBlankNode::NamedNode(iri), _) => Ok(Some(iri.clone())),
            (NamedOrBlankNode::BlankNode(_), Some(id)) => {
                self.named(minted_iri(&self.mint_base, id)).map(Some)
            }
            (NamedOrBlankNode::BlankNode(_), None) => Ok(None),
        }
    }

    /// Whether a description being gathered has gone past `max_record_triples` already (a
    /// source stops gathering it there).
    pub fn too_many_triples(&self, count: usize) -> Option<Refusal> {
        (count > self.limits.max_record_triples).then_some(Refusal::TooManyTriples {
            limit: self.limits.max_record_triples,
        })
    }

    fn check(&self, triples: &[Triple]) -> Result<(), Refusal> {
        if let Some(refusal) = self.too_many_triples(triples.len()) {
            return Err(refusal);
        }
        let limit = self.limits.max_literal_size;
        match triples.iter().find_map(|t| match &t.object {
            Term::Literal(l) if l.value().len() as u64 > limit => Some((t, l.value().len())),
            _ => None,
        }) {
            Some((t, size)) => Err(Refusal::LiteralTooLarge {
                predicate: t.predicate.clone(),
                size: size as u64,
                limit,
            }),
            None => Ok(()),
        }
    }

    fn named(&self, iri: String) -> Result<NamedNode, Refused> {
        NamedNode::new(&iri).map_err(|reason| Refused {
            resource: None,
            reason: Refusal::Unmintable { iri, reason },
        })
    }
}

/// Whether XML 1.0 can carry `c` (its `Char` production): every catalogue format Alzette
/// publishes in (RDF/XML, OAI-PMH, SPARQL XML results) is XML.
pub fn is_xml_char(c: char) -> bool {
    matches!(c, '\t' | '\n' | '\r' | '\u{20}'..='\u{D7FF}' | '\u{E000}'..='\u{FFFD}' | '\u{10000}'..)
}

/// Literals without the characters XML cannot carry (a NUL in a title would make every XML
/// page that holds the record unreadable, other records included); says what was removed.
fn xml_safe_literals(triples: Vec<Triple>) -> (Vec<Triple>, Vec<String>) {
    let mut repairs = Vec::new();
    let triples = triples
        .into_iter()
        .map(|mut t| {
            if let Term::Literal(l) = &t.object
                && !l.value().chars().all(is_xml_char)
            {
                let mut removed: Vec<String> = l
                    .value()
                    .chars()
                    .filter(|c| !is_xml_char(*c))
                    .map(|c| format!("U+{:04X}", c as u32))
                    .collect();
                let count = removed.len();
                removed.dedup();
                let value: String = l.value().chars().filter(|c| is_xml_char(*c)).collect();
                let repaired = match (l.language(), l.datatype()) {
                    (Some(lang), _) => Literal::new_language_tagged_literal_unchecked(value, lang),
                    (None, datatype) => Literal::new_typed_literal(value, datatype),
                };
                repairs.push(format!(
                    "its {} value held {count} character(s) XML cannot carry ({}); removed",
                    t.predicate,
                    removed.join(", ")
                ));
                t.object = repaired.into();
            }
            t
        })
        .collect();
    (triples, repairs)
}

/// Characters kept as they are in a minted IRI segment: RFC 3986 unreserved.
const SEGMENT: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'.')
    .remove(b'_')
    .remove(b'~');

/// The IRI Alzette gives a resource its source left without one: the source's mint base and
/// an identifier, percent-encoded as one path segment. `.` and `..` alone are encoded too: as
/// path segments they would mean "here" and "up" (`{base}id/src/..` is `{base}id/`).
///
/// ```
/// assert_eq!(
///     alzette_dcat::minted_iri("https://alz.example/id/src/", "a b/1"),
///     "https://alz.example/id/src/a%20b%2F1"
/// );
/// assert_eq!(
///     alzette_dcat::minted_iri("https://alz.example/id/src/", ".."),
///     "https://alz.example/id/src/%2E%2E"
/// );
/// ```
pub fn minted_iri(mint_base: &str, identifier: &str) -> String {
    match identifier {
        "." => format!("{mint_base}%2E"),
        ".." => format!("{mint_base}%2E%2E"),
        _ => format!("{mint_base}{}", utf8_percent_encode(identifier, SEGMENT)),
    }
}

/// `triples` with the blank node `from` (subject or object) renamed `to`.
pub fn replace_blank_node(triples: Vec<Triple>, from: BlankNode, to: &NamedNode) -> Vec<Triple> {
    let subject_from = NamedOrBlankNode::BlankNode(from.clone());
    let object_from = Term::BlankNode(from);
    triples
        .into_iter()
        .map(|mut t| {
            if t.subject == subject_from {
                t.subject = to.clone().into();
            }
            if t.object == object_from {
                t.object = to.clone().into();
            }
            t
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use oxrdf::Literal;

    fn p(name: &str) -> NamedNode {
        NamedNode::new(format!("http://e.org/{name}")).unwrap()
    }

    #[test]
    fn records_say_nothing_about_alzettes_own_namespace() {
        let n = normaliser(100, 100).with_reserved_namespace("http://alz/");
        let ds = NamedNode::new("https://a.example/ds").unwrap();
        let other_record = NamedNode::new("http://alz/record/b/0011").unwrap();
        let own_minted = NamedNode::new("http://alz/id/s/contact").unwrap();
        let record = n
            .record(Description {
                resource: ds.clone().into(),
                kinds: vec![RecordKind::Dataset],
                triples: vec![
                    Triple::new(ds.clone(), p("title"), Literal::from("A")),
                    Triple::new(ds.clone(), p("page"), other_record.clone()),
                    Triple::new(other_record.clone(), p("topic"), p("phish")),
                    Triple::new(own_minted.clone(), p("name"), Literal::from("B")),
                ],
                identifier: None,
            })
            .unwrap();
        assert_eq!(record.triples.len(), 3, "{:?}", record.triples);
        assert!(
            record
                .triples
                .iter()
                .all(|t| t.subject != other_record.clone().into())
        );
        assert!(
            record
                .repairs
                .iter()
                .any(|r| r.contains("1 triple(s) about <http://alz/record/b/0011> dropped"))
        );
        // A resource in the namespace is refused, not stored under another source.
        let refused = n
            .record(Description {
                resource: NamedNode::new("http://alz/catalog").unwrap().into(),
                kinds: vec![RecordKind::Dataset],
                triples: vec![],
                identifier: None,
            })
            .unwrap_err();
        assert!(matches!(refused.reason, Refusal::ReservedNamespace { .. }));
        assert!(
            refused
                .to_string()
                .contains("a source may describe only its own resources")
        );
    }

    fn normaliser(max_triples: usize, max_literal: u64) -> Normaliser {
        Normaliser::new(
            "http://alz/id/s/",
            RecordLimits {
                max_record_triples: max_triples,
                max_literal_size: max_literal,
            },
        )
    }

    fn blank_dataset(label: &str, title: &str, identifier: Option<&str>) -> Description {
        let b = BlankNode::new(label).unwrap();
        let dist = BlankNode::new(format!("{label}d")).unwrap();
        Description {
            resource: b.clone().into(),
            kinds: vec![RecordKind::Dataset],
            triples: vec![
                Triple::new(b.clone(), p("title"), Literal::from(title)),
                Triple::new(b, p("distribution"), dist.clone()),
                Triple::new(dist, p("url"), p("file")),
            ],
            identifier: identifier.map(str::to_owned),
        }
    }

    #[test]
    fn a_named_resource_keeps_its_iri_and_key() {
        let d = Description {
            resource: p("d").into(),
            kinds: vec![RecordKind::Dataset],
            triples: vec![Triple::new(p("d"), p("title"), Literal::from("T"))],
            identifier: Some("ignored".into()),
        };
        let r = normaliser(10, 10).record(d).unwrap();
        assert_eq!(r.resource, p("d"));
        assert_eq!(r.key, RecordKey::of("http://e.org/d"));
        assert_eq!(r.minted_from, None);
    }

    #[test]
    fn a_blank_resource_is_named_by_identifier_or_content() {
        let n = normaliser(10, 100);
        let by_id = n.record(blank_dataset("x", "T", Some("A/1"))).unwrap();
        assert_eq!(by_id.resource.as_str(), "http://alz/id/s/A%2F1");
        assert_eq!(
            by_id.minted_from,
            Some(MintedFrom::Identifier("A/1".into()))
        );
        let a = n.record(blank_dataset("x", "T", None)).unwrap();
        let b = n.record(blank_dataset("other", "T", None)).unwrap();
        assert!(a.resource.as_str().starts_with("http://alz/id/s/sha256-"));
        assert_eq!(a.resource, b.resource, "relabelling is no change");
        assert_eq!((a.hash, &a.triples), (b.hash, &b.triples));
        assert_eq!(a.minted_from, Some(MintedFrom::ContentHash));
        let c = n.record(blank_dataset("x", "other title", None)).unwrap();
        assert_ne!(a.resource, c.resource);
        // The resource is renamed in the canonical form: no blank root is left.
        assert!(
            a.triples
                .iter()
                .any(|t| t.subject == a.resource.clone().into())
        );
        // The stored hash is the hash of the stored lines.
        assert_eq!(sort_and_hash(a.triples.clone()).1, a.hash);
    }

    #[test]
    fn limits_refuse_with_the_resource_known_when_it_can_be() {
        let over = normaliser(2, 100).record(blank_dataset("x", "T", Some("id")));
        let refused = over.unwrap_err();
        assert!(matches!(
            refused.reason,
            Refusal::TooManyTriples { limit: 2 }
        ));
        assert_eq!(
            refused.resource.as_ref().map(NamedNode::as_str),
            Some("http://alz/id/s/id")
        );
        assert_eq!(refused.key(), Some(RecordKey::of("http://alz/id/s/id")));
        assert_eq!(
            refused.to_string(),
            "the record has more than 2 triples (limit max_record_triples)"
        );
        let long = normaliser(10, 3).record(blank_dataset("x", "long title", None));
        let refused = long.unwrap_err();
        assert_eq!(
            refused.resource, None,
            "a content-named resource is unknown"
        );
        assert_eq!(
            refused.to_string(),
            "its <http://e.org/title> value is 10 bytes, more than 3 (limit max_literal_size)"
        );
    }

    #[test]
    fn characters_xml_cannot_carry_are_removed_and_said() {
        let d = Description {
            resource: p("d").into(),
            kinds: vec![RecordKind::Dataset],
            triples: vec![
                Triple::new(
                    p("d"),
                    p("title"),
                    Literal::new_language_tagged_literal_unchecked("A\u{0}B\u{1b}", "en"),
                ),
                Triple::new(p("d"), p("note"), Literal::from("fine\ttab")),
            ],
            identifier: None,
        };
        let r = normaliser(10, 100).record(d).unwrap();
        let title = r
            .triples
            .iter()
            .find(|t| t.predicate == p("title"))
            .unwrap();
        assert_eq!(
            title.object,
            Literal::new_language_tagged_literal_unchecked("AB", "en").into()
        );
        assert_eq!(
            r.repairs,
            [
                "its <http://e.org/title> value held 2 character(s) XML cannot carry (U+0000, U+001B); removed"
            ]
        );
        assert!(is_xml_char('\t') && is_xml_char('é') && !is_xml_char('\u{FFFE}'));
    }
}
