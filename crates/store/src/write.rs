//! Writing records: classify a page's records (new, changed, unchanged), bulk-load the new
//! ones, replace the changed ones, delete the ones a source no longer has (leaving
//! tombstones), and drop old tombstones.

use crate::federation::{Federation, Publication};
use crate::index::Entry;
use crate::published::Federated;
use crate::{
    Operation, RecordKey, RecordStore, StoreError, blank_prefix, date_time, micros, relabel_object,
    relabel_subject,
};
use alzette_dcat::{ContentHash, RecordGraph, RecordKind};
use alzette_vocab::{alz, dcat, dct, foaf, prov, rdf};
use chrono::{DateTime, Utc};
use oxigraph::model::{
    GraphName, GraphNameRef, Literal, NamedNode, NamedNodeRef, Quad, QuadRef, Term, Triple,
};
use oxigraph::store::StorageError;
use std::collections::HashSet;

/// Memory the bulk loader may use for one batch of new records.
pub(crate) const BULK_LOAD_MEMORY_MB: usize = 256;

/// What a write did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct WriteSummary {
    pub added: usize,
    pub updated: usize,
    pub unchanged: usize,
}

/// Records classified by what writing them would do.
#[derive(Debug, Default)]
pub struct Classified {
    /// No graph yet (or a tombstone): to [`RecordStore::add`].
    pub new: Vec<RecordGraph>,
    /// Another content hash than the stored one: to [`RecordStore::update`].
    pub changed: Vec<RecordGraph>,
    /// The stored hash: nothing to write.
    pub unchanged: usize,
}

/// The harvest run that writes record versions, for their PROV provenance.
#[derive(Debug, Clone)]
pub struct HarvestRun {
    /// The run's id in the run log.
    pub id: u64,
    pub started: DateTime<Utc>,
    /// Where the source is harvested from.
    pub source_url: String,
}

impl RecordStore {
    /// Classifies records of a source by what writing them would do, reading only: new ones
    /// (no graph yet), changed ones (another content hash) and unchanged ones (counted).
    pub fn classify(
        &self,
        source: &str,
        records: Vec<RecordGraph>,
    ) -> Result<Classified, StoreError> {
        let failed = self.failed(Operation::Classify);
        let mut classified = Classified::default();
        for r in records {
            let graph = self.iris.record(source, &r.key);
            // A deleted record that comes back is new again.
            if !self.is_record(source, &r.key, &graph).map_err(&failed)? {
                classified.new.push(r);
            } else if self.stored_hash(&graph).map_err(&failed)? == Some(r.hash) {
                classified.unchanged += 1;
            } else {
                classified.changed.push(r);
            }
        }
        Ok(classified)
    }

    /// Adds records that have no graph yet (see [`RecordStore::classify`]) through Oxigraph's
    /// bulk loader: sorted files ingested at once, atomically, several times faster than a
    /// transaction. Batches of thousands of records keep RocksDB's compaction work low.
    pub fn add(
        &self,
        source: &str,
        records: &[RecordGraph],
        now: DateTime<Utc>,
        run: &HarvestRun,
    ) -> Result<usize, StoreError> {
        if records.is_empty() {
            return Ok(0);
        }
        let failed = self.failed(Operation::AddRecords);
        let _one_writer = self.write_lock.lock().expect("write lock");
        let now_literal = date_time(now);
        // Records deleted earlier and back now: their tombstones go first.
        let revived: Vec<RecordKey> = {
            let index = self.index.read().expect("index lock");
            records
                .iter()
                .filter(|r| index.changes.tombstone(source, &r.key).is_some())
                .map(|r| r.key)
                .collect()
        };
        if !revived.is_empty() {
            let mut tx = self.store.start_transaction().map_err(&failed)?;
            for key in &revived {
                tx.clear_graph(&self.iris.record(source, key))
                    .map_err(&failed)?;
            }
            tx.commit().map_err(&failed)?;
        }
        // As written (milliseconds), so that the change can be found again from the record.
        let issued = micros(&now_literal);
        // Identity first: which new records are published, which stored ones change.
        let publications = self
            .federate_written(source, records, Some(issued))?
            .publications;
        let federation = self.federation.read().expect("federation lock");
        let published_new = federation
            .as_ref()
            .map(|f| Self::published_among(f, source, records.iter().map(|r| &r.key)));
        let view = GraphName::DefaultGraph;
        let mut loader = self
            .store
            .bulk_loader()
            .with_num_threads(2)
            .with_max_memory_size_in_megabytes(BULK_LOAD_MEMORY_MB);
        let quads = records.iter().flat_map(|r| {
            let graph = self.iris.record(source, &r.key);
            let quads = self.record_quads(source, r, &graph, &now_literal, &now_literal, run);
            let in_view: Vec<Quad> = if published_new.as_ref().is_some_and(|p| p.contains(&r.key)) {
                quads
                    .iter()
                    .map(|q| {
                        Quad::new(
                            q.subject.clone(),
                            q.predicate.clone(),
                            q.object.clone(),
                            view.clone(),
                        )
                    })
                    .collect()
            } else {
                Vec::new()
            };
            quads.into_iter().chain(in_view)
        });
        let loaded = loader
            .load_quads(quads.chain(std::iter::once(self.pending_mark())))
            .and_then(|()| loader.commit())
            .map_err(&failed);
        // The follow-up: stored records published or shadowed by the new ones, and the mark.
        let followed = loaded.and_then(|()| match federation.as_ref() {
            Some(f) => self
                .after_bulk_load(f, source, records, &publications)
                .map_err(&failed),
            None => Ok(()),
        });
        drop(federation);
        if let Err(e) = followed {
            // The federation was told of records that may not be there: worked out anew.
            self.forget_federation();
            return Err(e);
        }
        {
            let mut index = self.index.write().expect("index lock");
            crate::published::apply_at(&mut index, &publications, issued);
            // A record's change replaces its earlier one (a tombstone, for one back).
            for r in records {
                index.insert(source, Entry { issued, key: r.key });
                index.changes.insert(source, r.key, issued, false);
            }
        }
        // After the index: a reader that sees the new version sees the new records.
        self.changed();
        Ok(records.len())
    }

    /// Replaces records that changed (see [`RecordStore::classify`]), in one transaction: a
    /// reader sees the old versions or the new ones. `dct:issued` stays; `dct:modified` becomes
    /// `now`.
    pub fn update(
        &self,
        source: &str,
        records: &[RecordGraph],
        now: DateTime<Utc>,
        run: &HarvestRun,
    ) -> Result<usize, StoreError> {
        if records.is_empty() {
            return Ok(0);
        }
        let failed = self.failed(Operation::UpdateRecords);
        let _one_writer = self.write_lock.lock().expect("write lock");
        let now_literal = date_time(now);
        // Identifiers may have changed: the record may join or leave a cluster.
        let Federated {
            publications,
            published_before,
        } = self.federate_written(source, records, None)?;
        let federation = self.federation.read().expect("federation lock");
        let replaced = self
            .replace(
                source,
                records,
                &now_literal,
                run,
                federation
                    .as_ref()
                    .map(|f| (f, &published_before, &publications[..])),
            )
            .map_err(&failed);
        drop(federation);
        if let Err(e) = replaced {
            self.forget_federation();
            return Err(e);
        }
        {
            let mut index = self.index.write().expect("index lock");
            crate::published::apply_at(&mut index, &publications, micros(&now_literal));
            for r in records {
                index
                    .changes
                    .insert(source, r.key, micros(&now_literal), false);
            }
        }
        self.changed();
        Ok(records.len())
    }

    /// The transaction of [`RecordStore::update`], with the published view's upkeep: the
    /// federation, the records published before, and the publications that changed.
    fn replace(
        &self,
        source: &str,
        records: &[RecordGraph],
        now: &Literal,
        run: &HarvestRun,
        view: Option<(&Federation, &HashSet<RecordKey>, &[Publication])>,
    ) -> Result<(), StorageError> {
        let mut tx = self.store.start_transaction()?;
        for r in records {
            let graph = self.iris.record(source, &r.key);
            let old = match view {
                Some(_) => Self::graph_triples(&tx, &graph)?,
                None => Vec::new(),
            };
            let issued = first_literal(tx.quads_for_pattern(
                Some((&graph).into()),
                Some(dct::ISSUED),
                None,
                Some((&graph).into()),
            ))?
            .unwrap_or_else(|| now.clone());
            let quads = self.record_quads(source, r, &graph, &issued, now, run);
            tx.clear_graph(&graph)?;
            tx.extend(&quads);
            if let Some((federation, before, _)) = view {
                let new: HashSet<Triple> = quads.into_iter().map(Triple::from).collect();
                if federation.is_published(source, &r.key) {
                    self.publish_triples(&mut tx, &new);
                    let gone: Vec<Triple> = old.into_iter().filter(|t| !new.contains(t)).collect();
                    self.withdraw_triples(&mut tx, federation, &gone)?;
                } else if before.contains(&r.key) {
                    self.withdraw_triples(&mut tx, federation, &old)?;
                }
            }
        }
        if let Some((federation, _, publications)) = view {
            let updated: HashSet<RecordKey> = records.iter().map(|r| r.key).collect();
            for p in publications {
                if &*p.source != source || !updated.contains(&p.key) {
                    self.republish(&mut tx, federation, &p.source, &p.key, p.published)?;
                }
            }
        }
        tx.commit()
    }

    /// Writes records of a source: [`RecordStore::classify`], then [`RecordStore::update`] and
    /// [`RecordStore::add`] in one go (for tools and tests; a harvest calls them separately, to
    /// batch new records across pages). A record whose content hash is the stored one is not
    /// rewritten.
    pub fn write(
        &self,
        source: &str,
        records: Vec<RecordGraph>,
        now: DateTime<Utc>,
        run: &HarvestRun,
    ) -> Result<WriteSummary, StoreError> {
        let classified = self.classify(source, records)?;
        Ok(WriteSummary {
            updated: self.update(source, &classified.changed, now, run)?,
            added: self.add(source, &classified.new, now, run)?,
            unchanged: classified.unchanged,
        })
    }

    /// The quads of a record's graph: its triples (blank nodes relabelled for the record), its
    /// catalogue record and its listing in the source's catalogue.
    fn record_quads(
        &self,
        source: &str,
        r: &RecordGraph,
        graph: &NamedNode,
        issued: &Literal,
        modified: &Literal,
        run: &HarvestRun,
    ) -> Vec<Quad> {
        let g = GraphName::NamedNode(graph.clone());
        let prefix = blank_prefix(&r.key);
        let mut quads = Vec::with_capacity(r.triples.len() + 8);
        for t in &r.triples {
            quads.push(Quad::new(
                relabel_subject(&t.subject, &prefix),
                t.predicate.clone(),
                relabel_object(&t.object, &prefix),
                g.clone(),
            ));
        }
        let mut about =
            |p: NamedNodeRef<'_>, o: Term| quads.push(Quad::new(graph.clone(), p, o, g.clone()));
        about(rdf::TYPE, dcat::CATALOG_RECORD.into_owned().into());
        about(foaf::PRIMARY_TOPIC, r.resource.clone().into());
        about(dct::ISSUED, issued.clone().into());
        about(dct::MODIFIED, modified.clone().into());
        about(
            alz::CONTENT_HASH,
            Literal::new_simple_literal(r.hash.to_string()).into(),
        );
        if let Some(original) = r.source_record() {
            about(dct::SOURCE, relabel_subject(original, &prefix).into());
        }
        // Provenance: the run that wrote this version, from which source. The activity is
        // described in every record graph it wrote, so that each graph stands alone.
        let activity = self.iris.run(source, run.id);
        let source_url = NamedNode::new(&run.source_url).ok();
        if let Some(url) = &source_url {
            about(prov::HAD_PRIMARY_SOURCE, url.clone().into());
        }
        about(prov::WAS_GENERATED_BY, activity.clone().into());
        quads.push(Quad::new(
            activity.clone(),
            rdf::TYPE,
            prov::ACTIVITY,
            g.clone(),
        ));
        quads.push(Quad::new(
            activity.clone(),
            prov::STARTED_AT_TIME,
            date_time(run.started),
            g.clone(),
        ));
        if let Some(url) = source_url {
            quads.push(Quad::new(activity, prov::USED, url, g.clone()));
        }
        let catalog = self.iris.source_catalog(source);
        let listing = if r.kinds == [RecordKind::DataService] {
            dcat::SERVICE
        } else {
            dcat::DATASET_PROPERTY
        };
        quads.push(Quad::new(
            catalog.clone(),
            dcat::RECORD,
            graph.clone(),
            g.clone(),
        ));
        quads.push(Quad::new(catalog, listing, r.resource.clone(), g));
        quads
    }

    /// Whether every one of these records of a source is in the store.
    pub fn has_records(&self, source: &str, keys: &[RecordKey]) -> Result<bool, StoreError> {
        for key in keys {
            let graph = self.iris.record(source, key);
            if !self
                .is_record(source, key, &graph)
                .map_err(self.failed(Operation::ReadRecords))?
            {
                return Ok(false);
            }
        }
        Ok(true)
    }

    /// Whether `graph` (the record graph of `key`) holds a record: it exists and is no tombstone.
    fn is_record(
        &self,
        source: &str,
        key: &RecordKey,
        graph: &NamedNode,
    ) -> Result<bool, StorageError> {
        let tombstoned = self
            .index
            .read()
            .expect("index lock")
            .changes
            .tombstone(source, key)
            .is_some();
        Ok(!tombstoned && self.store.contains_named_graph(graph)?)
    }

    fn stored_hash(&self, graph: &NamedNode) -> Result<Option<ContentHash>, StorageError> {
        let hash = first_literal(self.store.quads_for_pattern(
            Some(graph.into()),
            Some(alz::CONTENT_HASH),
            None,
            Some(graph.into()),
        ))?;
        Ok(hash.and_then(|h| h.value().parse().ok()))
    }

    /// The keys of a source's records.
    pub fn record_keys(&self, source: &str) -> Vec<RecordKey> {
        self.index.read().expect("index lock").keys_of(source)
    }

    /// Deletes records of a source, in one transaction; each leaves a tombstone.
    pub fn delete(&self, source: &str, keys: &HashSet<RecordKey>) -> Result<usize, StoreError> {
        if keys.is_empty() {
            return Ok(0);
        }
        let failed = self.failed(Operation::DeleteRecords);
        let _one_writer = self.write_lock.lock().expect("write lock");
        let deleted_at = date_time(Utc::now());
        let Federated {
            publications,
            published_before,
        } = self.federate_deleted(source, keys)?;
        let federation = self.federation.read().expect("federation lock");
        let view = federation
            .as_ref()
            .map(|f| (f, &published_before, &publications[..]));
        let deleted = self
            .tombstone(source, keys, &deleted_at, view)
            .map_err(&failed);
        drop(federation);
        if let Err(e) = deleted {
            self.forget_federation();
            return Err(e);
        }
        {
            let mut index = self.index.write().expect("index lock");
            index.remove(source, keys);
            crate::published::apply_at(&mut index, &publications, micros(&deleted_at));
            for key in keys {
                index
                    .changes
                    .insert(source, *key, micros(&deleted_at), true);
            }
        }
        self.changed();
        self.purge_tombstones()?;
        Ok(keys.len())
    }

    /// The transaction of [`RecordStore::delete`], with the published view's upkeep (see
    /// [`RecordStore::replace`]).
    fn tombstone(
        &self,
        source: &str,
        keys: &HashSet<RecordKey>,
        deleted_at: &Literal,
        view: Option<(&Federation, &HashSet<RecordKey>, &[Publication])>,
    ) -> Result<(), StorageError> {
        let mut tx = self.store.start_transaction()?;
        let mut withdrawn = Vec::new();
        for key in keys {
            let graph = self.iris.record(source, key);
            let g = GraphNameRef::from(&graph);
            if let Some((_, before, _)) = view
                && before.contains(key)
            {
                withdrawn.extend(Self::graph_triples(&tx, &graph)?);
                withdrawn.extend(Self::graph_triples(
                    &tx,
                    &self.iris.assessment(source, key),
                )?);
            }
            let resource = tx
                .quads_for_pattern(
                    Some((&graph).into()),
                    Some(foaf::PRIMARY_TOPIC),
                    None,
                    Some(g),
                )
                .next()
                .transpose()?
                .map(|q| q.object);
            tx.remove_named_graph(&graph)?;
            tx.remove_named_graph(&self.iris.assessment(source, key))?;
            // What is left: a tombstone, for consumers that list changes (OAI-PMH).
            tx.insert(QuadRef::new(&graph, rdf::TYPE, alz::DELETED_RECORD, g));
            tx.insert(QuadRef::new(&graph, alz::DELETED, deleted_at, g));
            if let Some(resource) = &resource {
                tx.insert(QuadRef::new(&graph, foaf::PRIMARY_TOPIC, resource, g));
            }
        }
        if let Some((federation, _, publications)) = view {
            // The deleted records are no longer in the federation: they hold nothing up.
            self.withdraw_triples(&mut tx, federation, &withdrawn)?;
            for p in publications {
                self.republish(&mut tx, federation, &p.source, &p.key, p.published)?;
            }
        }
        tx.commit()
    }
}

pub(crate) fn first_literal(
    mut quads: impl Iterator<Item = Result<Quad, StorageError>>,
) -> Result<Option<Literal>, StorageError> {
    match quads.next() {
        Some(q) => match q?.object {
            Term::Literal(l) => Ok(Some(l)),
            _ => Ok(None),
        },
        None => Ok(None),
    }
}
