//! The IRIs Alzette mints, all below the configured base URI (see `docs/architecture.md`):
//!
//! | IRI | what it names |
//! |---|---|
//! | `{base}catalog` | the federation catalogue, and the named graph describing it |
//! | `{base}catalog/{source}` | a source's catalogue, and the named graph describing it |
//! | `{base}record/{source}/{key}` | a harvested record's `dcat:CatalogRecord`, and the named graph holding the record |
//! | `{base}id/{source}/{identifier}` | a dataset that was a blank node at the source, from its `dct:identifier` |
//! | `{base}id/{source}/sha256-{hash}` | the same without `dct:identifier`, from its content |
//!
//! `{key}` is the record's [`RecordKey`] (the first 128 bits of SHA-256 over the resource IRI,
//! in hex): stable across re-harvests for as long as the source keeps the resource's IRI.

use alzette_dcat::RecordKey;
use oxigraph::model::NamedNode;

#[derive(Debug, Clone)]
pub struct Iris {
    base: String,
}

impl Iris {
    /// `base` must end with `/` (the configuration checks it).
    pub fn new(base: impl Into<String>) -> Self {
        let mut base = base.into();
        if !base.ends_with('/') {
            base.push('/');
        }
        Self { base }
    }

    pub fn base(&self) -> &str {
        &self.base
    }

    pub fn federation_catalog(&self) -> NamedNode {
        NamedNode::new_unchecked(format!("{}catalog", self.base))
    }

    pub fn source_catalog(&self, source: &str) -> NamedNode {
        NamedNode::new_unchecked(format!("{}catalog/{source}", self.base))
    }

    /// Where blank-node resources of a source get their IRIs.
    pub fn mint_base(&self, source: &str) -> String {
        format!("{}id/{source}/", self.base)
    }

    pub fn record(&self, source: &str, key: &RecordKey) -> NamedNode {
        NamedNode::new_unchecked(format!("{}record/{source}/{key}", self.base))
    }

    /// The graph of what Alzette says about a record (its validation report, whose node it
    /// also names, and its quality measurements).
    pub fn assessment(&self, source: &str, key: &RecordKey) -> NamedNode {
        NamedNode::new_unchecked(format!("{}record/{source}/{key}/assessment", self.base))
    }

    /// The graph holding a vocabulary source's triples.
    pub fn vocabulary(&self, source: &str) -> NamedNode {
        NamedNode::new_unchecked(format!("{}vocabulary/{source}", self.base))
    }

    /// A harvest run (the PROV activity that wrote record versions).
    pub fn run(&self, source: &str, id: u64) -> NamedNode {
        NamedNode::new_unchecked(format!("{}run/{source}/{id}", self.base))
    }

    /// The published view (the store's default graph: every triple of the published records,
    /// their assessments, the catalogues' descriptions and the vocabularies, once), as the
    /// subject of what is said about it (the rules it was made with).
    pub fn published(&self) -> NamedNode {
        NamedNode::new_unchecked(format!("{}published", self.base))
    }

    /// What a graph of the store is, from its name.
    pub fn graph_kind<'a>(&self, iri: &'a str) -> GraphKind<'a> {
        let Some(rest) = iri.strip_prefix(&self.base) else {
            return GraphKind::Other;
        };
        if let Some(rest) = rest.strip_prefix("record/")
            && let Some((source, key)) = rest.split_once('/')
        {
            let (key, assessment) = match key.strip_suffix("/assessment") {
                Some(key) => (key, true),
                None => (key, false),
            };
            if let Ok(key) = key.parse() {
                return if assessment {
                    GraphKind::Assessment(source, key)
                } else {
                    GraphKind::Record(source, key)
                };
            }
        }
        if rest == "catalog" || rest.starts_with("catalog/") {
            GraphKind::Catalog
        } else if rest.starts_with("vocabulary/") {
            GraphKind::Vocabulary
        } else {
            GraphKind::Other
        }
    }

    /// The source and key of a record IRI minted by [`Iris::record`].
    pub fn parse_record<'a>(&self, iri: &'a str) -> Option<(&'a str, RecordKey)> {
        let rest = iri.strip_prefix(&self.base)?.strip_prefix("record/")?;
        let (source, key) = rest.split_once('/')?;
        Some((source, key.parse().ok()?))
    }
}

/// The graphs of the store, by what they hold.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum GraphKind<'a> {
    Record(&'a str, RecordKey),
    Assessment(&'a str, RecordKey),
    Catalog,
    Vocabulary,
    Other,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn record_iris_round_trip() {
        let iris = Iris::new("http://localhost:8080/");
        let key = RecordKey::of("https://data.public.lu/dataset/1");
        let rec = iris.record("lu-dcat", &key);
        assert!(
            rec.as_str()
                .starts_with("http://localhost:8080/record/lu-dcat/")
        );
        assert_eq!(iris.parse_record(rec.as_str()), Some(("lu-dcat", key)));
        assert_eq!(iris.parse_record("http://other/record/x/00"), None);
        assert_eq!(
            iris.graph_kind(rec.as_str()),
            GraphKind::Record("lu-dcat", key)
        );
        let assessment = iris.assessment("lu-dcat", &key);
        assert_eq!(
            iris.graph_kind(assessment.as_str()),
            GraphKind::Assessment("lu-dcat", key)
        );
        assert_eq!(
            iris.graph_kind(iris.source_catalog("a").as_str()),
            GraphKind::Catalog
        );
        assert_eq!(
            iris.graph_kind(iris.vocabulary("v").as_str()),
            GraphKind::Vocabulary
        );
        assert_eq!(
            iris.graph_kind("http://localhost:8080/run/a/1"),
            GraphKind::Other
        );
    }
}
