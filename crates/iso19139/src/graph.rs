//! The triples a record maps to, with the terms of the vocabularies GeoDCAT-AP uses.

use oxrdf::{BlankNode, Literal, NamedNode, NamedNodeRef, NamedOrBlankNode, Term, Triple};

// Terms and namespaces as alzette-vocab spells them: `t!(dct, "title")`, `ns!(inspire)`.
pub(crate) use alzette_vocab::{namespace as ns, term as t};

pub(crate) const RDF_TYPE: NamedNodeRef<'static> = t!(rdf, "type");

/// The triples of one record, and what went wrong on the way.
#[derive(Default)]
pub(crate) struct Out {
    pub(crate) triples: Vec<Triple>,
    pub(crate) warnings: Vec<String>,
    /// Language tags seen, and what they are as RDF tags (`None`: not a tag).
    tags: Vec<(String, Option<String>)>,
}

impl Out {
    /// Notes what the record got wrong (once).
    pub(crate) fn warn(&mut self, warning: String) {
        if !self.warnings.contains(&warning) {
            self.warnings.push(warning);
        }
    }

    /// A fresh blank node, unique in the process (numbered, not formatted: records have many).
    pub(crate) fn node(&mut self) -> NamedOrBlankNode {
        use std::sync::atomic::{AtomicU64, Ordering};
        static NEXT: AtomicU64 = AtomicU64::new(0);
        static PROCESS: std::sync::OnceLock<u64> = std::sync::OnceLock::new();
        let process = *PROCESS.get_or_init(|| {
            use std::hash::{BuildHasher, Hasher};
            std::collections::hash_map::RandomState::new()
                .build_hasher()
                .finish()
        });
        let n = NEXT.fetch_add(1, Ordering::Relaxed);
        // The label is the id in hex: its first digit a letter (0xa), as RDF/XML's
        // rdf:nodeID (an XML name) needs.
        let high = (0xa << 60) | (process >> 4);
        BlankNode::new_from_unique_id((u128::from(high) << 64) | u128::from(n)).into()
    }

    /// The IRI `value`, or a warning naming `what` when it is not one (real records put
    /// "N/A", e-mail addresses with spaces and prose where URLs belong).
    pub(crate) fn iri(&mut self, value: &str, what: &str) -> Option<NamedNode> {
        let value = value.trim();
        if value.is_empty() {
            return None;
        }
        match NamedNode::new(value) {
            Ok(iri) => Some(iri),
            Err(e) => {
                self.warn(format!("{what} \"{value}\" is not an IRI ({e}); left out"));
                None
            }
        }
    }

    pub(crate) fn add(&mut self, s: &NamedOrBlankNode, p: NamedNodeRef<'_>, o: impl Into<Term>) {
        self.triples.push(Triple::new(s.clone(), p, o));
    }

    pub(crate) fn typed(&mut self, s: &NamedOrBlankNode, class: NamedNodeRef<'_>) {
        self.add(s, RDF_TYPE, class);
    }

    /// `s p "text"@lang`; a plain string when the language is unknown or not a tag.
    /// Empty text is left out: an empty title or label says nothing (the reference writes
    /// them).
    pub(crate) fn text(
        &mut self,
        s: &NamedOrBlankNode,
        p: NamedNodeRef<'_>,
        text: &str,
        lang: &str,
    ) {
        if text.trim().is_empty() {
            return;
        }
        // A record's literals share one or a few tags: each is checked once.
        let tag = match self.tags.iter().find(|(t, _)| t == lang) {
            Some((_, checked)) => checked.clone(),
            None => {
                let checked = lang_literal("", lang).language().map(str::to_owned);
                self.tags.push((lang.to_owned(), checked.clone()));
                checked
            }
        };
        let literal = match tag {
            Some(tag) => Literal::new_language_tagged_literal_unchecked(text, tag),
            None => Literal::new_simple_literal(text),
        };
        self.add(s, p, literal);
    }

    pub(crate) fn typed_literal(
        &mut self,
        s: &NamedOrBlankNode,
        p: NamedNodeRef<'_>,
        text: &str,
        datatype: NamedNodeRef<'_>,
    ) {
        if !text.trim().is_empty() {
            self.add(s, p, Literal::new_typed_literal(text, datatype));
        }
    }
}

pub(crate) fn lang_literal(text: &str, lang: &str) -> Literal {
    if lang.is_empty() {
        return Literal::new_simple_literal(text);
    }
    Literal::new_language_tagged_literal(text, lang)
        .unwrap_or_else(|_| Literal::new_simple_literal(text))
}
