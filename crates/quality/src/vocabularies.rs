//! What the MQA looks up in vocabularies, read once from their triples.

use oxrdf::{NamedNodeRef, Term, TermRef, Triple};
use rustc_hash::FxHashSet;

const SKOS_IN_SCHEME: &str = concat!(alzette_vocab::namespace!(skos), "inScheme");
const EDP: &str = alzette_vocab::namespace!(edp);
const AUTHORITY: &str = alzette_vocab::namespace!(op);
/// IANA media types, as the data portal's list (and DCAT-AP) write them.
const IANA_SCHEMES: [&str; 2] = [
    "https://www.iana.org/assignments/media-types",
    "http://www.iana.org/assignments/media-types",
];

/// The vocabulary facts the MQA needs: which IRIs are EU file types, IANA media types, known
/// licences, EU access rights; which formats are non-proprietary or machine-readable.
#[derive(Debug, Default, Clone)]
pub struct Vocabularies {
    file_types: FxHashSet<String>,
    media_types: FxHashSet<String>,
    licences: FxHashSet<String>,
    access_rights: FxHashSet<String>,
    non_proprietary: FxHashSet<String>,
    machine_readable: FxHashSet<String>,
}

impl Vocabularies {
    /// Reads the facts out of vocabulary triples (any mix of vocabularies; the rest is ignored).
    pub fn from_triples<'a>(triples: impl IntoIterator<Item = &'a Triple>) -> Self {
        let mut v = Self::default();
        for t in triples {
            let subject = match &t.subject {
                oxrdf::NamedOrBlankNode::NamedNode(n) => n.as_str(),
                _ => continue,
            };
            let predicate = t.predicate.as_str();
            if predicate == SKOS_IN_SCHEME {
                let Term::NamedNode(scheme) = &t.object else {
                    continue;
                };
                let set = match scheme.as_str().strip_prefix(AUTHORITY) {
                    Some("file-type") => &mut v.file_types,
                    Some("licence") => &mut v.licences,
                    Some("access-right") => &mut v.access_rights,
                    _ if IANA_SCHEMES.contains(&scheme.as_str()) => &mut v.media_types,
                    _ => continue,
                };
                set.insert(subject.to_owned());
            } else if let Some(flag) = predicate.strip_prefix(EDP) {
                let is_true = matches!(t.object.as_ref(), TermRef::Literal(l) if l.value() == "true" || l.value() == "1");
                let set = match flag {
                    "isNonProprietary" => &mut v.non_proprietary,
                    "isMachineReadable" => &mut v.machine_readable,
                    _ => continue,
                };
                if is_true {
                    set.insert(subject.to_owned());
                }
            }
        }
        v
    }

    /// How many facts were read (for logs: an empty set means no vocabulary was loaded).
    pub fn len(&self) -> usize {
        self.file_types.len()
            + self.media_types.len()
            + self.licences.len()
            + self.access_rights.len()
            + self.non_proprietary.len()
            + self.machine_readable.len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    pub(crate) fn is_file_type(&self, iri: NamedNodeRef<'_>) -> bool {
        self.file_types.contains(iri.as_str())
    }

    /// IANA media types are known by scheme when the IANA vocabulary is loaded, and otherwise
    /// by their IRI form, which is the registry's own.
    pub(crate) fn is_media_type(&self, iri: NamedNodeRef<'_>) -> bool {
        self.media_types.contains(iri.as_str())
            || self
                .media_types
                .contains(&iri.as_str().replacen("http://", "https://", 1))
            || self
                .media_types
                .contains(&iri.as_str().replacen("https://", "http://", 1))
    }

    pub(crate) fn is_licence(&self, iri: NamedNodeRef<'_>) -> bool {
        self.licences.contains(iri.as_str())
    }

    pub(crate) fn is_access_right(&self, iri: NamedNodeRef<'_>) -> bool {
        self.access_rights.contains(iri.as_str())
    }

    pub(crate) fn is_non_proprietary(&self, iri: NamedNodeRef<'_>) -> bool {
        self.non_proprietary.contains(iri.as_str())
    }

    pub(crate) fn is_machine_readable(&self, iri: NamedNodeRef<'_>) -> bool {
        self.machine_readable.contains(iri.as_str())
    }
}
