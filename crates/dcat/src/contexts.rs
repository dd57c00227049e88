//! JSON-LD contexts a page may refer to by IRI.
//!
//! Remote contexts are never fetched while parsing: a page's parser only sees the contexts in its
//! [`ContextSet`], which holds the bundled DCAT-AP contexts plus those the harvest loaded from the
//! locations the configuration allows. [`remote_context_iris`] tells the harvest which IRIs a
//! document needs before it parses it.

use std::collections::HashMap;

/// Contexts by IRI.
#[derive(Debug, Clone, Default)]
pub struct ContextSet {
    contexts: HashMap<String, Vec<u8>>,
}

/// Contexts Alzette carries, written for this project from the DCAT-AP specifications (the terms
/// and IRIs are those of the specifications; see `docs/configuration.md`).
const BUNDLED: &[(&str, &str)] = &[
    (
        "https://semiceu.github.io/DCAT-AP/releases/3.0.0/context/dcat-ap.jsonld",
        include_str!("../contexts/dcat-ap-3.jsonld"),
    ),
    (
        "https://semiceu.github.io/DCAT-AP/releases/3.0.1/context/dcat-ap.jsonld",
        include_str!("../contexts/dcat-ap-3.jsonld"),
    ),
    (
        "https://w3id.org/alzette/contexts/dcat-ap-3.jsonld",
        include_str!("../contexts/dcat-ap-3.jsonld"),
    ),
];

impl ContextSet {
    /// The bundled contexts only.
    pub fn bundled() -> Self {
        let mut set = Self::default();
        for (iri, text) in BUNDLED {
            set.insert(*iri, text.as_bytes().to_vec());
        }
        set
    }

    /// The IRIs of the bundled contexts.
    pub fn bundled_iris() -> impl Iterator<Item = &'static str> {
        BUNDLED.iter().map(|(iri, _)| *iri)
    }

    pub fn insert(&mut self, iri: impl Into<String>, content: Vec<u8>) {
        self.contexts.insert(iri.into(), content);
    }

    pub fn get(&self, iri: &str) -> Option<&[u8]> {
        self.contexts.get(iri).map(Vec::as_slice)
    }

    pub fn contains(&self, iri: &str) -> bool {
        self.contexts.contains_key(iri)
    }
}

/// The absolute IRIs used as `@context` values anywhere in a JSON(-LD) document (strings, or
/// strings inside arrays), in document order without repeats. Relative references are resolved
/// against `base`. Not JSON: empty.
///
/// ```
/// use alzette_dcat::remote_context_iris;
/// let doc = br#"{"@context": ["https://e.org/c1.jsonld", {"x": "http://x/"}],
///               "@graph": [{"@context": "c2.jsonld", "@id": "a"}]}"#;
/// assert_eq!(
///     remote_context_iris(doc, "https://e.org/data/page1"),
///     vec!["https://e.org/c1.jsonld".to_owned(), "https://e.org/data/c2.jsonld".to_owned()]
/// );
/// ```
pub fn remote_context_iris(document: &[u8], base: &str) -> Vec<String> {
    let Ok(value) = serde_json::from_slice::<serde_json::Value>(document) else {
        return Vec::new();
    };
    let base = url::Url::parse(base).ok();
    let mut found = Vec::new();
    let mut stack = vec![&value];
    while let Some(v) = stack.pop() {
        match v {
            serde_json::Value::Object(map) => {
                for (k, child) in map.iter().rev() {
                    if k == "@context" {
                        collect_context_iris(child, base.as_ref(), &mut found);
                    }
                    stack.push(child);
                }
            }
            serde_json::Value::Array(items) => stack.extend(items.iter().rev()),
            _ => {}
        }
    }
    found
}

fn collect_context_iris(v: &serde_json::Value, base: Option<&url::Url>, found: &mut Vec<String>) {
    let mut push = |s: &str| {
        let iri = match base {
            Some(b) => b.join(s).map(String::from).unwrap_or_else(|_| s.to_owned()),
            None => s.to_owned(),
        };
        if !found.contains(&iri) {
            found.push(iri);
        }
    };
    match v {
        serde_json::Value::String(s) => push(s),
        serde_json::Value::Array(items) => {
            for item in items {
                if let serde_json::Value::String(s) = item {
                    push(s);
                }
            }
        }
        _ => {}
    }
}
