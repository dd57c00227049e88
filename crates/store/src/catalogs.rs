//! The catalogues' own descriptions: the federation catalogue `{base}catalog` and one
//! catalogue per source `{base}catalog/{source}`, each in its own graph.

use crate::{Operation, RecordStore, StoreError};
use alzette_vocab::{dcat, dct, foaf, rdf};
use oxigraph::model::{GraphNameRef, Literal, NamedNode, QuadRef};

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
    /// that every catalogue page carries it.
    pub fn describe_catalogs(
        &self,
        federation_description: &CatalogDescription,
        sources: &[SourceDescription],
    ) -> Result<(), StoreError> {
        let federation = self.iris.federation_catalog();
        let publisher = match &federation_description.publisher_iri {
            Some(iri) => NamedNode::new(iri).map_err(|reason| StoreError::PublisherIri {
                iri: iri.clone(),
                reason,
            })?,
            None => NamedNode::new_unchecked(format!("{}publisher", self.iris.base())),
        };
        let publisher_name = Literal::new_simple_literal(&federation_description.publisher_name);
        let failed = self.failed(Operation::DescribeCatalogs);
        let mut tx = self.store.start_transaction().map_err(&failed)?;
        tx.clear_graph(&federation).map_err(&failed)?;
        let g = GraphNameRef::from(&federation);
        tx.insert(QuadRef::new(&federation, rdf::TYPE, dcat::CATALOG, g));
        tx.insert(QuadRef::new(
            &federation,
            dct::TITLE,
            &Literal::new_language_tagged_literal_unchecked(&federation_description.title, "en"),
            g,
        ));
        tx.insert(QuadRef::new(
            &federation,
            dct::DESCRIPTION,
            &Literal::new_language_tagged_literal_unchecked(
                &federation_description.description,
                "en",
            ),
            g,
        ));
        let describe_publisher = |tx: &mut oxigraph::store::Transaction<'_>,
                                  catalog: &NamedNode,
                                  graph: GraphNameRef<'_>| {
            tx.insert(QuadRef::new(catalog, dct::PUBLISHER, &publisher, graph));
            tx.insert(QuadRef::new(&publisher, rdf::TYPE, foaf::AGENT, graph));
            tx.insert(QuadRef::new(&publisher, foaf::NAME, &publisher_name, graph));
        };
        describe_publisher(&mut tx, &federation, g);
        for s in sources {
            let cat = self.iris.source_catalog(&s.id);
            tx.insert(QuadRef::new(&federation, dcat::CATALOG_PROPERTY, &cat, g));
            tx.insert(QuadRef::new(&federation, dct::HAS_PART, &cat, g));
            tx.clear_graph(&cat).map_err(&failed)?;
            let cg = GraphNameRef::from(&cat);
            tx.insert(QuadRef::new(&cat, rdf::TYPE, dcat::CATALOG, cg));
            tx.insert(QuadRef::new(
                &cat,
                dct::TITLE,
                &Literal::new_language_tagged_literal_unchecked(&s.title, "en"),
                cg,
            ));
            tx.insert(QuadRef::new(
                &cat,
                dct::DESCRIPTION,
                &Literal::new_language_tagged_literal_unchecked(
                    format!("Records harvested from the source \"{}\".", s.id),
                    "en",
                ),
                cg,
            ));
            tx.insert(QuadRef::new(
                &cat,
                dct::IDENTIFIER,
                &Literal::new_simple_literal(&s.id),
                cg,
            ));
            if let Ok(url) = NamedNode::new(&s.url) {
                tx.insert(QuadRef::new(&cat, dct::SOURCE, &url, cg));
            }
            tx.insert(QuadRef::new(&cat, dct::IS_PART_OF, &federation, cg));
            describe_publisher(&mut tx, &cat, cg);
        }
        tx.commit().map_err(&failed)?;
        self.changed();
        Ok(())
    }
}
