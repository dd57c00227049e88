//! The embedded store: an on-disk Oxigraph database holding one named graph per harvested
//! record, with its `dcat:CatalogRecord`, and the catalogues that list them.
//!
//! A record graph `{base}record/{source}/{key}` holds:
//! - the record's triples as harvested, blank nodes relabelled per record so that records never
//!   share a blank node;
//! - `{record} a dcat:CatalogRecord; foaf:primaryTopic {resource}; dct:issued (first seen);
//!   dct:modified (last changed); alz:contentHash; dct:source (the source's own record, if any)`;
//! - `{base}catalog/{source} dcat:record {record}; dcat:dataset|dcat:service {resource}`,
//!
//! so that replacing or deleting a record is replacing or dropping one graph, atomically.
//!
//! ```no_run
//! use alzette_store::RecordStore;
//! let store = RecordStore::open("data/store".as_ref(), "http://localhost:8080/")?;
//! println!("{} records", store.count(None));
//! # Ok::<_, alzette_store::StoreError>(())
//! ```

mod assessment;
pub use assessment::StoredReport;
mod changes;
mod index;
mod iris;

use alzette_dcat::{ContentHash, RecordGraph, RecordKind};
use alzette_vocab::{alz, dcat, dct, foaf, prov, rdf, xsd};
pub use changes::{ChangeCursor, ListedChange};
use chrono::{DateTime, SecondsFormat, Utc};
use index::{CatalogIndex, Entry};
pub use iris::{Iris, RecordKey, hex, parse_key};
use oxigraph::model::{
    BlankNode, GraphName, GraphNameRef, Literal, NamedNode, NamedNodeRef, NamedOrBlankNode, Quad,
    QuadRef, Term, Triple,
};
use oxigraph::store::{StorageError, Store};
use std::collections::HashSet;
use std::path::Path;
use std::sync::RwLock;

pub use oxigraph;

/// Inside the store's folder, so that it goes wherever the store goes (RocksDB leaves files it
/// does not know alone).
fn order_file(path: &Path) -> std::path::PathBuf {
    path.join("alzette-catalog-order")
}

impl Drop for RecordStore {
    /// A clean stop: the store is flushed and the catalogue order saved.
    fn drop(&mut self) {
        if let Err(e) = self.store.flush() {
            tracing::warn!("flushing the store at stop: {e}");
        }
        if let Err(e) = self.save_order() {
            tracing::warn!(file = %self.order_file.display(), "cannot save the catalogue order ({e}); the next start rebuilds it");
        }
    }
}

/// A number no other opening of a store is likely to pick: the clock's nanoseconds mixed with
/// the process id (no randomness crate needed for this).
fn random_instance() -> u64 {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos() as u64);
    nanos ^ (u64::from(std::process::id()) << 40)
}

/// Memory the bulk loader may use for one batch of new records.
const BULK_LOAD_MEMORY_MB: usize = 256;

/// A store that could not be used.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("cannot open the store at {path}: {message}")]
    Open { path: String, message: String },
    #[error("store error: {0}")]
    Storage(#[from] StorageError),
    #[error("{0}")]
    Invalid(String),
}

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

/// What a write did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct WriteSummary {
    pub added: usize,
    pub updated: usize,
    pub unchanged: usize,
}

/// Records sorted by what writing them would do.
#[derive(Debug, Default)]
pub struct Sorted {
    pub new: Vec<RecordGraph>,
    pub changed: Vec<RecordGraph>,
    pub unchanged: usize,
}

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

/// The harvest run that writes record versions, for their PROV provenance.
#[derive(Debug, Clone)]
pub struct HarvestRun {
    /// The run's id in the run log.
    pub id: u64,
    pub started: DateTime<Utc>,
    /// Where the source is harvested from.
    pub source_url: String,
}

/// Which state of the store a reader saw: any write makes a new one. Catalogue responses are
/// validated against it (ETag, Last-Modified) without reading a record.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StoreVersion {
    /// Random per opening: versions of two processes never compare equal.
    pub instance: u64,
    /// Writes since the store was opened.
    pub generation: u64,
    /// When the store last changed (at the latest: when it was opened).
    pub changed: DateTime<Utc>,
}

pub struct RecordStore {
    store: Store,
    iris: Iris,
    index: RwLock<CatalogIndex>,
    version: RwLock<StoreVersion>,
    tombstone_retention: RwLock<Option<std::time::Duration>>,
    /// Where the catalogue order is saved when the store is closed cleanly.
    order_file: std::path::PathBuf,
}

impl RecordStore {
    /// Opens (or creates) the store at `path`. IRIs are minted below `base_uri`.
    pub fn open(path: &Path, base_uri: &str) -> Result<Self, StoreError> {
        if let Some(parent) = path.parent() {
            let _ = std::fs::create_dir_all(parent);
        }
        let started = std::time::Instant::now();
        let store = Store::open(path).map_err(|e| StoreError::Open {
            path: path.display().to_string(),
            message: explain_open_error(&e),
        })?;
        let opened = started.elapsed();
        let this = Self {
            store,
            iris: Iris::new(base_uri),
            index: RwLock::new(CatalogIndex::default()),
            version: RwLock::new(StoreVersion {
                instance: random_instance(),
                generation: 0,
                changed: Utc::now(),
            }),
            tombstone_retention: RwLock::new(None),
            order_file: order_file(path),
        };
        let (index, from) = match this.load_order() {
            Some(index) => (index, "saved at the last clean stop"),
            None => (this.rebuild_index()?, "rebuilt from the records"),
        };
        let records = index.len(None);
        *this.index.write().expect("index lock") = index;
        tracing::info!(path = %path.display(), records, ?opened, indexed = ?(started.elapsed() - opened), "store opened; catalogue order {from}");
        Ok(this)
    }

    pub fn iris(&self) -> &Iris {
        &self.iris
    }

    /// The Oxigraph store, for SPARQL.
    pub fn oxigraph(&self) -> &Store {
        &self.store
    }

    /// The state of the store now.
    pub fn version(&self) -> StoreVersion {
        *self.version.read().expect("version lock")
    }

    /// Called after every committed write.
    fn changed(&self) {
        let mut v = self.version.write().expect("version lock");
        v.generation += 1;
        v.changed = Utc::now();
    }

    /// Records in the store, of one source or all.
    pub fn count(&self, source: Option<&str>) -> usize {
        self.index.read().expect("index lock").len(source)
    }

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
            Some(iri) => NamedNode::new(iri)
                .map_err(|e| StoreError::Invalid(format!("publisher IRI <{iri}>: {e}")))?,
            None => NamedNode::new_unchecked(format!("{}publisher", self.iris.base())),
        };
        let publisher_name = Literal::new_simple_literal(&federation_description.publisher_name);
        let mut tx = self.store.start_transaction()?;
        tx.clear_graph(&federation)?;
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
            tx.clear_graph(&cat)?;
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
        tx.commit()?;
        self.changed();
        Ok(())
    }

    /// Sorts records of a source by what writing them would do, reading only: new ones (no
    /// graph yet), changed ones (another content hash) and unchanged ones (counted).
    pub fn sort(&self, source: &str, records: Vec<RecordGraph>) -> Result<Sorted, StoreError> {
        let mut sorted = Sorted::default();
        for r in records {
            let key = Iris::record_key(r.resource.as_str());
            let graph = self.iris.record(source, &key);
            // A deleted record that comes back is new again.
            if !self.is_record(source, &key, &graph)? {
                sorted.new.push(r);
            } else if stored_hash(&self.store, &graph)? == Some(r.hash) {
                sorted.unchanged += 1;
            } else {
                sorted.changed.push(r);
            }
        }
        Ok(sorted)
    }

    /// Adds records that have no graph yet (see [`RecordStore::sort`]) through Oxigraph's bulk
    /// loader: sorted files ingested at once, atomically, several times faster than a
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
        let now_literal = date_time(now);
        // Records deleted earlier and back now: their tombstones go first.
        let revived: Vec<(RecordKey, i64)> = {
            let index = self.index.read().expect("index lock");
            records
                .iter()
                .filter_map(|r| {
                    let key = Iris::record_key(r.resource.as_str());
                    index.changes.tombstone(source, &key).map(|t| (key, t))
                })
                .collect()
        };
        if !revived.is_empty() {
            let mut tx = self.store.start_transaction()?;
            for (key, _) in &revived {
                tx.clear_graph(&self.iris.record(source, key))?;
            }
            tx.commit()?;
        }
        let mut keys = Vec::with_capacity(records.len());
        let mut loader = self
            .store
            .bulk_loader()
            .with_num_threads(2)
            .with_max_memory_size_in_megabytes(BULK_LOAD_MEMORY_MB);
        let quads = records.iter().flat_map(|r| {
            let key = Iris::record_key(r.resource.as_str());
            keys.push(key);
            let graph = self.iris.record(source, &key);
            self.build_record_quads(source, r, &graph, &now_literal, &now_literal, run)
        });
        loader.load_quads(quads)?;
        loader.commit()?;
        // As written (milliseconds), so that the change can be found again from the record.
        let issued = micros(&now_literal);
        {
            let mut index = self.index.write().expect("index lock");
            for (key, deleted_at) in revived {
                index.changes.remove(source, key, deleted_at, true);
            }
            for key in keys {
                index.insert(source, Entry { issued, key });
                index.changes.insert(source, key, issued, false);
            }
        }
        // After the index: a reader that sees the new version sees the new records.
        self.changed();
        Ok(records.len())
    }

    /// Replaces records that changed (see [`RecordStore::sort`]), in one transaction: a reader
    /// sees the old versions or the new ones. `dct:issued` stays; `dct:modified` becomes `now`.
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
        let now_literal = date_time(now);
        let mut moved = Vec::with_capacity(records.len());
        let mut tx = self.store.start_transaction()?;
        for r in records {
            let key = Iris::record_key(r.resource.as_str());
            let graph = self.iris.record(source, &key);
            moved.push((key, last_modified(&tx, &graph)?));
            let issued = first_literal(tx.quads_for_pattern(
                Some((&graph).into()),
                Some(dct::ISSUED),
                None,
                Some((&graph).into()),
            ))?
            .unwrap_or_else(|| now_literal.clone());
            let quads = self.build_record_quads(source, r, &graph, &issued, &now_literal, run);
            tx.clear_graph(&graph)?;
            tx.extend(&quads);
        }
        tx.commit()?;
        {
            let mut index = self.index.write().expect("index lock");
            for (key, before) in moved {
                index.changes.remove(source, key, before, false);
                index
                    .changes
                    .insert(source, key, micros(&now_literal), false);
            }
        }
        self.changed();
        Ok(records.len())
    }

    /// Writes records of a source: [`RecordStore::sort`], then [`RecordStore::update`] and
    /// [`RecordStore::add`]. A record whose content hash is the stored one is not rewritten.
    pub fn write(
        &self,
        source: &str,
        records: Vec<RecordGraph>,
        now: DateTime<Utc>,
        run: &HarvestRun,
    ) -> Result<WriteSummary, StoreError> {
        let sorted = self.sort(source, records)?;
        Ok(WriteSummary {
            updated: self.update(source, &sorted.changed, now, run)?,
            added: self.add(source, &sorted.new, now, run)?,
            unchanged: sorted.unchanged,
        })
    }

    /// The quads of a record's graph: its triples (blank nodes relabelled for the record), its
    /// catalogue record and its listing in the source's catalogue.
    fn build_record_quads(
        &self,
        source: &str,
        r: &RecordGraph,
        graph: &NamedNode,
        issued: &Literal,
        modified: &Literal,
        run: &HarvestRun,
    ) -> Vec<Quad> {
        let g = GraphName::NamedNode(graph.clone());
        let key = Iris::record_key(r.resource.as_str());
        let prefix = format!("r{}_", hex(&key[..8]));
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
            if !self.is_record(source, key, &self.iris.record(source, key))? {
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
    ) -> Result<bool, StoreError> {
        let tombstoned = self
            .index
            .read()
            .expect("index lock")
            .changes
            .tombstone(source, key)
            .is_some();
        Ok(!tombstoned && self.store.contains_named_graph(graph)?)
    }

    /// The keys of a source's records.
    pub fn record_keys(&self, source: &str) -> Vec<RecordKey> {
        self.index.read().expect("index lock").keys_of(source)
    }

    /// Deletes records of a source, in one transaction.
    pub fn delete(&self, source: &str, keys: &HashSet<RecordKey>) -> Result<usize, StoreError> {
        if keys.is_empty() {
            return Ok(0);
        }
        let now = Utc::now();
        let deleted_at = date_time(now);
        let mut moved = Vec::with_capacity(keys.len());
        let mut tx = self.store.start_transaction()?;
        for key in keys {
            let graph = self.iris.record(source, key);
            let g = GraphNameRef::from(&graph);
            let modified = last_modified(&tx, &graph)?;
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
            tx.insert(QuadRef::new(&graph, alz::DELETED, &deleted_at, g));
            if let Some(resource) = &resource {
                tx.insert(QuadRef::new(&graph, foaf::PRIMARY_TOPIC, resource, g));
            }
            moved.push((*key, modified));
        }
        tx.commit()?;
        {
            let mut index = self.index.write().expect("index lock");
            index.remove(source, keys);
            for (key, before) in moved {
                index.changes.remove(source, key, before, false);
                index.changes.insert(source, key, micros(&deleted_at), true);
            }
        }
        self.changed();
        self.purge_tombstones()?;
        Ok(keys.len())
    }

    /// Keeps tombstones for `retention` (`None`: for ever, the default).
    pub fn set_tombstone_retention(&self, retention: Option<std::time::Duration>) {
        *self.tombstone_retention.write().expect("retention lock") = retention;
    }

    /// Whether tombstones are kept for ever (OAI-PMH `deletedRecord` `persistent`, else
    /// `transient`).
    pub fn tombstones_persist(&self) -> bool {
        self.tombstone_retention
            .read()
            .expect("retention lock")
            .is_none()
    }

    /// Drops tombstones older than the retention; returns how many.
    pub fn purge_tombstones(&self) -> Result<usize, StoreError> {
        let Some(retention) = *self.tombstone_retention.read().expect("retention lock") else {
            return Ok(0);
        };
        let cutoff =
            Utc::now() - chrono::Duration::from_std(retention).unwrap_or(chrono::TimeDelta::MAX);
        let old = self
            .index
            .read()
            .expect("index lock")
            .changes
            .tombstones_before(cutoff.timestamp_micros());
        if old.is_empty() {
            return Ok(0);
        }
        let mut tx = self.store.start_transaction()?;
        for (source, key, _) in &old {
            tx.remove_named_graph(&self.iris.record(source, key))?;
        }
        tx.commit()?;
        {
            let mut index = self.index.write().expect("index lock");
            for (source, key, at) in &old {
                index.changes.remove(source, *key, *at, true);
            }
        }
        self.changed();
        Ok(old.len())
    }

    /// Records and tombstones changed in `[from, until]` (inclusive), of one source or all,
    /// oldest first, after `after`: what OAI-PMH lists.
    pub fn changes(
        &self,
        source: Option<&str>,
        from: Option<DateTime<Utc>>,
        until: Option<DateTime<Utc>>,
        after: Option<&ChangeCursor>,
        limit: usize,
    ) -> Vec<ListedChange> {
        self.index.read().expect("index lock").changes.list(
            source,
            from.map(|t| t.timestamp_micros()),
            until.map(|t| t.timestamp_micros()),
            after,
            limit,
        )
    }

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
            if let Term::NamedNode(n) = q?.object {
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
        let (slice, total) = {
            let index = self.index.read().expect("index lock");
            (index.slice(source, offset, limit), index.len(source))
        };
        self.render_page(source, slice, total)
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
        let (slice, total) = {
            let index = self.index.read().expect("index lock");
            let all = index.changes.list(
                source,
                Some(since.timestamp_micros()),
                None,
                None,
                usize::MAX,
            );
            let total = all.len();
            let slice: Vec<(String, RecordKey)> = all
                .into_iter()
                .skip(offset)
                .take(limit)
                .map(|c| (c.source, c.key))
                .collect();
            (slice, total)
        };
        self.render_page(source, slice, total)
    }

    fn render_page(
        &self,
        source: Option<&str>,
        slice: Vec<(String, RecordKey)>,
        total: usize,
    ) -> Result<CatalogPage, StoreError> {
        let source_filter = source;
        let catalog = match source {
            Some(s) => self.iris.source_catalog(s),
            None => self.iris.federation_catalog(),
        };
        let mut triples: Vec<Triple> = Vec::new();
        let mut described = HashSet::new();
        let mut describe =
            |catalog: &NamedNode, triples: &mut Vec<Triple>| -> Result<(), StoreError> {
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
        for (source, key) in slice {
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
        Ok(self
            .store
            .quads_for_pattern(None, None, None, Some(record.into()))
            .collect::<Result<_, _>>()?)
    }

    /// Flushes to disk (RocksDB keeps a write-ahead log; this makes a clean stop quicker to reopen).
    pub fn flush(&self) -> Result<(), StoreError> {
        Ok(self.store.flush()?)
    }

    /// The catalogue order saved by the last clean stop, if any. The file is removed at once: it
    /// stands for the store only while nothing writes to it, so a process that dies leaves none
    /// and the next start rebuilds the order from the records.
    fn load_order(&self) -> Option<CatalogIndex> {
        let file = std::fs::File::open(&self.order_file).ok()?;
        let loaded = CatalogIndex::load(self.iris.base(), &mut std::io::BufReader::new(file));
        if let Err(e) = std::fs::remove_file(&self.order_file) {
            tracing::warn!(file = %self.order_file.display(), "cannot remove the saved catalogue order ({e}); rebuilding it");
            return None;
        }
        let index = loaded
            .map_err(|e| tracing::warn!(file = %self.order_file.display(), "the saved catalogue order is unusable ({e}); rebuilding it"))
            .ok()?;
        // A spot check against the records, in case the store was changed behind Alzette's back.
        for (source, key) in index.sample(16) {
            if !self
                .store
                .contains_named_graph(&self.iris.record(&source, &key))
                .unwrap_or(false)
            {
                tracing::warn!("the saved catalogue order does not match the store; rebuilding it");
                return None;
            }
        }
        Some(index)
    }

    /// Saves the catalogue order in the store's folder, for a quick next start.
    fn save_order(&self) -> std::io::Result<()> {
        let tmp = self.order_file.with_extension("order.tmp");
        {
            let mut w = std::io::BufWriter::new(std::fs::File::create(&tmp)?);
            self.index
                .read()
                .expect("index lock")
                .save(self.iris.base(), &mut w)?;
            std::io::Write::flush(&mut w)?;
            w.get_ref().sync_all()?;
        }
        std::fs::rename(&tmp, &self.order_file)
    }

    /// Rebuilds the catalogue order from the records' `dct:issued`, in one scan: a few seconds
    /// per 100,000 records, which is why a clean stop saves it.
    fn rebuild_index(&self) -> Result<CatalogIndex, StoreError> {
        let mut entries = Vec::new();
        for q in self
            .store
            .quads_for_pattern(None, Some(dct::ISSUED), None, None)
        {
            let q = q?;
            let (
                NamedOrBlankNode::NamedNode(subject),
                oxigraph::model::GraphName::NamedNode(graph),
            ) = (&q.subject, &q.graph_name)
            else {
                continue;
            };
            if subject != graph {
                continue;
            }
            let Some((source, key)) = self.iris.parse_record(graph.as_str()) else {
                continue;
            };
            let issued = match &q.object {
                Term::Literal(l) => DateTime::parse_from_rfc3339(l.value())
                    .map(|d| d.timestamp_micros())
                    .unwrap_or(0),
                _ => 0,
            };
            entries.push((source.to_owned(), Entry { issued, key }));
        }
        let mut index = CatalogIndex::from_entries(entries);
        for (predicate, deleted) in [(dct::MODIFIED, false), (alz::DELETED, true)] {
            for q in self
                .store
                .quads_for_pattern(None, Some(predicate), None, None)
            {
                let q = q?;
                let (
                    NamedOrBlankNode::NamedNode(subject),
                    oxigraph::model::GraphName::NamedNode(graph),
                    Term::Literal(time),
                ) = (&q.subject, &q.graph_name, &q.object)
                else {
                    continue;
                };
                if subject != graph {
                    continue;
                }
                if let Some((source, key)) = self.iris.parse_record(graph.as_str()) {
                    index.changes.insert(source, key, micros(time), deleted);
                }
            }
        }
        Ok(index)
    }
}

fn stored_hash(store: &Store, graph: &NamedNode) -> Result<Option<ContentHash>, StoreError> {
    let hash = first_literal(store.quads_for_pattern(
        Some(graph.into()),
        Some(alz::CONTENT_HASH),
        None,
        Some(graph.into()),
    ))?;
    Ok(hash.and_then(|h| h.value().parse().ok()))
}

fn first_literal(
    mut quads: impl Iterator<Item = Result<Quad, StorageError>>,
) -> Result<Option<Literal>, StoreError> {
    match quads.next() {
        Some(q) => match q?.object {
            Term::Literal(l) => Ok(Some(l)),
            _ => Ok(None),
        },
        None => Ok(None),
    }
}

/// A record's `dct:modified` as the change order keys it (0 when it has none).
fn last_modified(
    tx: &oxigraph::store::Transaction<'_>,
    graph: &NamedNode,
) -> Result<i64, StoreError> {
    let modified = first_literal(tx.quads_for_pattern(
        Some(graph.into()),
        Some(dct::MODIFIED),
        None,
        Some(graph.into()),
    ))?;
    Ok(modified.as_ref().map_or(0, micros))
}

/// Microseconds since the epoch of an `xsd:dateTime` literal Alzette wrote (0 if unreadable).
fn micros(l: &Literal) -> i64 {
    DateTime::parse_from_rfc3339(l.value()).map_or(0, |d| d.timestamp_micros())
}

fn date_time(t: DateTime<Utc>) -> Literal {
    Literal::new_typed_literal(
        t.to_rfc3339_opts(SecondsFormat::Millis, true),
        xsd::DATE_TIME,
    )
}

fn relabel_subject(s: &NamedOrBlankNode, prefix: &str) -> NamedOrBlankNode {
    match s {
        NamedOrBlankNode::BlankNode(b) => {
            BlankNode::new_unchecked(format!("{prefix}{}", b.as_str())).into()
        }
        other => other.clone(),
    }
}

fn relabel_object(o: &Term, prefix: &str) -> Term {
    match o {
        Term::BlankNode(b) => BlankNode::new_unchecked(format!("{prefix}{}", b.as_str())).into(),
        other => other.clone(),
    }
}

/// RocksDB's lock error says "lock hold by current process" or "Resource temporarily
/// unavailable"; tell the operator what it means.
fn explain_open_error(e: &StorageError) -> String {
    let text = e.to_string();
    if text.contains("lock") || text.contains("LOCK") || text.contains("temporarily unavailable") {
        format!(
            "{text} — another Alzette process (e.g. `alzette serve`) has it open; stop it or use its HTTP interface"
        )
    } else {
        text
    }
}
