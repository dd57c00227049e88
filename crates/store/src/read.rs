//! Reading: catalogue pages (by position in the catalogue order), pages of changes, the
//! change order OAI-PMH lists, and single records.

use crate::{Operation, RecordKey, RecordStore, StoreError};
use alzette_vocab::{alz, dcat, foaf, prov, rdf};
use chrono::{DateTime, Utc};
use oxigraph::model::{NamedNode, NamedNodeRef, NamedOrBlankNode, Quad, Term, Triple};
use oxigraph::store::StorageError;
use std::collections::HashSet;

/// The records on one catalogue page, with the catalogue they are listed in.
#[derive(Debug)]
pub struct CatalogPage {
    pub catalog: NamedNode,
    /// The catalogue's own description, the links to the page's records and resources, and every
    /// record graph on the page.
    pub triples: Vec<Triple>,
    /// Records in the whole catalogue (not only on this page).
    pub total: usize,
    /// Resources on this page.
    pub items: usize,
}

impl RecordStore {
    /// The time of the oldest change listed.
    pub fn earliest_change(&self) -> Option<DateTime<Utc>> {
        let micros = self.index.read().expect("index lock").changes.earliest()?;
        DateTime::from_timestamp_micros(micros)
    }

    /// The resource a record is about.
    pub fn resource_of(
        &self,
        source: &str,
        key: &RecordKey,
    ) -> Result<Option<NamedNode>, StoreError> {
        let graph = self.iris.record(source, key);
        for q in self.store.quads_for_pattern(
            Some((&graph).into()),
            Some(foaf::PRIMARY_TOPIC),
            None,
            Some((&graph).into()),
        ) {
            if let Term::NamedNode(n) = q.map_err(self.failed(Operation::ReadRecords))?.object {
                return Ok(Some(n));
            }
        }
        Ok(None)
    }

    /// A page of a catalogue: the federation's (`source` None) or one source's. `offset` and
    /// `limit` count records; the cost does not depend on `offset`.
    pub fn catalog_page(
        &self,
        source: Option<&str>,
        offset: usize,
        limit: usize,
    ) -> Result<CatalogPage, StoreError> {
        // The federation's catalogue lists each resource once: shadowed records are left out.
        self.ensure_federation()?;
        let (slice, total) = {
            let index = self.index.read().expect("index lock");
            match source {
                Some(_) => (index.slice(source, offset, limit), index.len(source)),
                None => (index.published_slice(offset, limit), index.published_len()),
            }
        };
        self.render_page(source, slice, total)
            .map_err(self.failed(Operation::ReadCatalogPage))
    }

    /// A page of the records (and tombstones) changed since `since`, oldest change first: what
    /// an incremental consumer reads. Finding page N walks the changes before it, so this is for
    /// the recent changes, not for reading everything (plain pages are).
    pub fn changes_page(
        &self,
        source: Option<&str>,
        since: DateTime<Utc>,
        offset: usize,
        limit: usize,
    ) -> Result<CatalogPage, StoreError> {
        // A source's own view lists what it harvested; the federation's, the published view.
        let all = match source {
            Some(_) => self.index.read().expect("index lock").changes.list(
                source,
                Some(since.timestamp_micros()),
                None,
                None,
                usize::MAX,
            ),
            None => self.published_changes(None, Some(since), None, None, usize::MAX, false)?,
        };
        let total = all.len();
        let slice: Vec<(String, RecordKey)> = all
            .into_iter()
            .skip(offset)
            .take(limit)
            .map(|c| (c.source, c.key))
            .collect();
        self.render_page(source, slice, total)
            .map_err(self.failed(Operation::ReadCatalogPage))
    }

    fn render_page(
        &self,
        source: Option<&str>,
        slice: Vec<(String, RecordKey)>,
        total: usize,
    ) -> Result<CatalogPage, StorageError> {
        // Where else each record's resource came from, read before the store (the federation's
        // lock is never held while reading records).
        type Alternates = (bool, Vec<(String, RecordKey, bool)>);
        let alternates: Vec<Alternates> = {
            let federation = self.federation.read().expect("federation lock");
            slice
                .iter()
                .map(|(s, k)| {
                    federation.as_ref().map_or_else(
                        || (true, Vec::new()),
                        |f| {
                            let others = f.others(s, k).into_iter();
                            let others = others.map(|(s, k, p)| (s.to_string(), k, p)).collect();
                            (f.is_published(s, k), others)
                        },
                    )
                })
                .collect()
        };
        let source_filter = source;
        let catalog = match source {
            Some(s) => self.iris.source_catalog(s),
            None => self.iris.federation_catalog(),
        };
        let mut triples: Vec<Triple> = Vec::new();
        let mut described = HashSet::new();
        let mut describe =
            |catalog: &NamedNode, triples: &mut Vec<Triple>| -> Result<(), StorageError> {
                if described.insert(catalog.clone()) {
                    for q in self
                        .store
                        .quads_for_pattern(None, None, None, Some(catalog.into()))
                    {
                        triples.push(q?.into());
                    }
                }
                Ok(())
            };
        describe(&catalog, &mut triples)?;
        let mut items = 0;
        for ((source, key), (published_here, alternates)) in slice.into_iter().zip(alternates) {
            // The page lists records in their sources' catalogues: those are described too.
            describe(&self.iris.source_catalog(&source), &mut triples)?;
            let graph = self.iris.record(&source, &key);
            let mut resource = None;
            let mut listing = dcat::DATASET_PROPERTY;
            let mut deleted = false;
            for q in self
                .store
                .quads_for_pattern(None, None, None, Some((&graph).into()))
            {
                let q = q?;
                if q.subject == NamedOrBlankNode::from(graph.clone())
                    && q.predicate == foaf::PRIMARY_TOPIC
                    && let Term::NamedNode(n) = &q.object
                {
                    resource = Some(n.clone());
                }
                if q.predicate == dcat::SERVICE {
                    listing = dcat::SERVICE;
                }
                if q.predicate == alz::DELETED {
                    deleted = true;
                }
                triples.push(q.into());
            }
            // A record deleted since the index was read is simply not on the page.
            if let Some(resource) = resource {
                items += 1;
                // Record graphs list their resource in their source's catalogue; the federation
                // catalogue lists the page's resources too, for consumers that read one catalogue.
                // A tombstone (only on pages of changes) is on the page, its dataset not listed.
                if source_filter.is_none() && !deleted {
                    triples.push(Triple::new(catalog.clone(), listing, resource));
                }
                // The other sources' records of the same resource: `prov:alternateOf` from the
                // published record; a shadowed one (on its source's page) names what shadows it.
                for (other_source, other_key, other_published) in &alternates {
                    let other = self.iris.record(other_source, other_key);
                    if published_here || *other_published {
                        triples.push(Triple::new(
                            graph.clone(),
                            prov::ALTERNATE_OF,
                            other.clone(),
                        ));
                    }
                    if !published_here && *other_published {
                        triples.push(Triple::new(graph.clone(), alz::SHADOWED_BY, other));
                    }
                }
            }
        }
        Ok(CatalogPage {
            catalog,
            triples,
            total,
            items,
        })
    }

    /// The quads of one record graph.
    pub fn record_graph_quads(&self, record: NamedNodeRef<'_>) -> Result<Vec<Quad>, StoreError> {
        self.store
            .quads_for_pattern(None, None, None, Some(record.into()))
            .collect::<Result<_, _>>()
            .map_err(self.failed(Operation::ReadRecords))
    }

    /// The highest run id any record's provenance names (`{base}run/{source}/{id}`), 0 when
    /// none: a new run log starts above it, so that run IRIs stay unique for the store's life.
    /// Scans one quad a record: for the rare start with a new run log.
    pub fn highest_run_id(&self) -> Result<u64, StoreError> {
        let prefix = format!("{}run/", self.iris.base());
        let mut highest = 0;
        for q in
            self.store
                .quads_for_pattern(None, Some(rdf::TYPE), Some(prov::ACTIVITY.into()), None)
        {
            let q = q.map_err(self.failed(Operation::ReadRecords))?;
            if let NamedOrBlankNode::NamedNode(activity) = &q.subject
                && let Some(rest) = activity.as_str().strip_prefix(&prefix)
                && let Some(id) = rest
                    .rsplit('/')
                    .next()
                    .and_then(|id| id.parse::<u64>().ok())
            {
                highest = highest.max(id);
            }
        }
        Ok(highest)
    }
}
