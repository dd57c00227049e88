//! The catalogues' own descriptions: the federation catalogue `{base}catalog` and one
//! catalogue per source `{base}catalog/{source}`, each in its own graph.

use crate::{Operation, RecordStore, StoreError};
use alzette_vocab::{dcat, dct, foaf, rdf};
use oxigraph::model::{Literal, NamedNode, Triple};
use std::collections::HashSet;

/// The federation catalogue as it describes itself.
#[derive(Debug, Clone)]
pub struct CatalogDescription {
    pub title: String,
    pub description: String,
    /// The publisher of the federation catalogue and of every source's catalogue in it.
    pub publisher_name: String,
    /// The publisher's IRI; `{base}publisher` when `None`.
    pub publisher_iri: Option<String>,
}

/// A source as its catalogue describes it.
#[derive(Debug, Clone)]
pub struct SourceDescription {
    pub id: String,
    pub title: String,
    /// Where the source is harvested from.
    pub url: String,
}

impl RecordStore {
    /// (Re)writes the federation catalogue's and the sources' catalogue descriptions. Each
    /// catalogue names its publisher (a `foaf:Agent` with a name), described in its own graph so
    /// that every catalogue page carries it. Descriptions that did not change are not
    /// rewritten (a start with the same configuration writes nothing).
    pub fn describe_catalogs(
        &self,
        federation_description: &CatalogDescription,
        sources: &[SourceDescription],
    ) -> Result<(), StoreError> {
        let wanted = self.catalog_descriptions(federation_description, sources)?;
        let failed = self.failed(Operation::DescribeCatalogs);
        let mut changed = Vec::new();
        for (graph, triples) in wanted {
            let stored: HashSet<Triple> = self
                .store
                .quads_for_pattern(None, None, None, Some((&graph).into()))
                .map(|q| q.map(Triple::from))
                .collect::<Result<_, _>>()
                .map_err(&failed)?;
            if stored != triples.iter().cloned().collect::<HashSet<_>>() {
                changed.push((graph, triples));
            }
        }
        if changed.is_empty() {
            return Ok(());
        }
        let _one_writer = self.write_lock.lock().expect("write lock");
        self.ensure_federation()?;
        let federation = self.federation.read().expect("federation lock");
        let mut tx = self.store.start_transaction().map_err(&failed)?;
        for (graph, triples) in &changed {
            self.replace_contributing_in(&mut tx, graph, triples, federation.as_ref())
                .map_err(&failed)?;
        }
        tx.commit().map_err(&failed)?;
        self.changed();
        Ok(())
    }

    /// The catalogues' description graphs, as they should be.
    fn catalog_descriptions(
        &self,
        description: &CatalogDescription,
        sources: &[SourceDescription],
    ) -> Result<Vec<(NamedNode, Vec<Triple>)>, StoreError> {
        let federation = self.iris.federation_catalog();
        let publisher = match &description.publisher_iri {
            Some(iri) => NamedNode::new(iri).map_err(|reason| StoreError::PublisherIri {
                iri: iri.clone(),
                reason,
            })?,
            None => NamedNode::new_unchecked(format!("{}publisher", self.iris.base())),
        };
        let publisher_name = Literal::new_simple_literal(&description.publisher_name);
        let english = |text: &str| Literal::new_language_tagged_literal_unchecked(text, "en");
        let with_publisher = |catalog: &NamedNode, triples: &mut Vec<Triple>| {
            triples.push(Triple::new(
                catalog.clone(),
                dct::PUBLISHER,
                publisher.clone(),
            ));
            triples.push(Triple::new(publisher.clone(), rdf::TYPE, foaf::AGENT));
            triples.push(Triple::new(
                publisher.clone(),
                foaf::NAME,
                publisher_name.clone(),
            ));
        };
        let mut fed = vec![
            Triple::new(federation.clone(), rdf::TYPE, dcat::CATALOG),
            Triple::new(federation.clone(), dct::TITLE, english(&description.title)),
            Triple::new(
                federation.clone(),
                dct::DESCRIPTION,
                english(&description.description),
            ),
        ];
        with_publisher(&federation, &mut fed);
        let mut out = Vec::new();
        for s in sources {
            let cat = self.iris.source_catalog(&s.id);
            fed.push(Triple::new(
                federation.clone(),
                dcat::CATALOG_PROPERTY,
                cat.clone(),
            ));
            fed.push(Triple::new(federation.clone(), dct::HAS_PART, cat.clone()));
            let mut triples = vec![
                Triple::new(cat.clone(), rdf::TYPE, dcat::CATALOG),
                Triple::new(cat.clone(), dct::TITLE, english(&s.title)),
                Triple::new(
                    cat.clone(),
                    dct::DESCRIPTION,
                    english(&format!("Records harvested from the source \"{}\".", s.id)),
                ),
                Triple::new(
                    cat.clone(),
                    dct::IDENTIFIER,
                    Literal::new_simple_literal(&s.id),
                ),
            ];
            if let Ok(url) = NamedNode::new(&s.url) {
                triples.push(Triple::new(cat.clone(), dct::SOURCE, url));
            }
            triples.push(Triple::new(
                cat.clone(),
                dct::IS_PART_OF,
                federation.clone(),
            ));
            with_publisher(&cat, &mut triples);
            out.push((cat, triples));
        }
        out.insert(0, (federation, fed));
        Ok(out)
    }
}
