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

mod index;
mod iris;

use alzette_dcat::{ContentHash, RecordGraph, RecordKind};
use alzette_vocab::{alz, dcat, dct, foaf, rdf, xsd};
use chrono::{DateTime, SecondsFormat, Utc};
use index::{CatalogIndex, Entry};
pub use iris::{hex, parse_key, Iris, RecordKey};
use oxigraph::model::{
    BlankNode, GraphNameRef, Literal, NamedNode, NamedNodeRef, NamedOrBlankNode, Quad, QuadRef,
    Term, Triple,
};
use oxigraph::store::{StorageError, Store};
use std::collections::HashSet;
use std::path::Path;
use std::sync::RwLock;

pub use oxigraph;

/// A store that could not be used.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("cannot open the store at {path}: {message}")]
    Open { path: String, message: String },
    #[error("store error: {0}")]
    Storage(#[from] StorageError),
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

/// What writing a record would do.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Change {
    Add,
    Update,
    Unchanged,
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

pub struct RecordStore {
    store: Store,
    iris: Iris,
    index: RwLock<CatalogIndex>,
}

impl RecordStore {
    /// Opens (or creates) the store at `path`. IRIs are minted below `base_uri`.
    pub fn open(path: &Path, base_uri: &str) -> Result<Self, StoreError> {
        if let Some(parent) = path.parent() {
            let _ = std::fs::create_dir_all(parent);
        }
        let store = Store::open(path).map_err(|e| StoreError::Open {
            path: path.display().to_string(),
            message: explain_open_error(&e),
        })?;
        let this = Self {
            store,
            iris: Iris::new(base_uri),
            index: RwLock::new(CatalogIndex::default()),
        };
        let index = this.rebuild_index()?;
        *this.index.write().expect("index lock") = index;
        Ok(this)
    }

    pub fn iris(&self) -> &Iris {
        &self.iris
    }

    /// The Oxigraph store, for SPARQL.
    pub fn oxigraph(&self) -> &Store {
        &self.store
    }

    /// Records in the store, of one source or all.
    pub fn count(&self, source: Option<&str>) -> usize {
        self.index.read().expect("index lock").len(source)
    }

    /// (Re)writes the federation catalogue's and the sources' catalogue descriptions.
    pub fn describe_catalogs(&self, title: &str, sources: &[SourceDescription]) -> Result<(), StoreError> {
        let federation = self.iris.federation_catalog();
        let mut tx = self.store.start_transaction()?;
        tx.clear_graph(&federation)?;
        let g = GraphNameRef::from(&federation);
        tx.insert(QuadRef::new(&federation, rdf::TYPE, dcat::CATALOG, g));
        tx.insert(QuadRef::new(&federation, dct::TITLE, &Literal::new_language_tagged_literal_unchecked(title, "en"), g));
        tx.insert(QuadRef::new(
            &federation,
            dct::DESCRIPTION,
            &Literal::new_language_tagged_literal_unchecked("Datasets harvested by Alzette from the sources listed as parts of this catalogue.", "en"),
            g,
        ));
        for s in sources {
            let cat = self.iris.source_catalog(&s.id);
            tx.insert(QuadRef::new(&federation, dcat::CATALOG_PROPERTY, &cat, g));
            tx.insert(QuadRef::new(&federation, dct::HAS_PART, &cat, g));
            tx.clear_graph(&cat)?;
            let cg = GraphNameRef::from(&cat);
            tx.insert(QuadRef::new(&cat, rdf::TYPE, dcat::CATALOG, cg));
            tx.insert(QuadRef::new(&cat, dct::TITLE, &Literal::new_language_tagged_literal_unchecked(&s.title, "en"), cg));
            tx.insert(QuadRef::new(
                &cat,
                dct::DESCRIPTION,
                &Literal::new_language_tagged_literal_unchecked(format!("Records harvested from the source \"{}\".", s.id), "en"),
                cg,
            ));
            tx.insert(QuadRef::new(&cat, dct::IDENTIFIER, &Literal::new_simple_literal(&s.id), cg));
            if let Ok(url) = NamedNode::new(&s.url) {
                tx.insert(QuadRef::new(&cat, dct::SOURCE, &url, cg));
            }
            tx.insert(QuadRef::new(&cat, dct::IS_PART_OF, &federation, cg));
        }
        tx.commit()?;
        Ok(())
    }

    /// What writing each record would do, without writing.
    pub fn plan(&self, source: &str, records: &[RecordGraph]) -> Result<Vec<Change>, StoreError> {
        records
            .iter()
            .map(|r| {
                let graph = self.iris.record(source, &Iris::record_key(r.resource.as_str()));
                Ok(match stored_hash(&self.store, &graph)? {
                    None => Change::Add,
                    Some(h) if h == r.hash => Change::Unchanged,
                    Some(_) => Change::Update,
                })
            })
            .collect()
    }

    /// Writes a batch of records of one source in one transaction: a reader sees all of them
    /// or none. A record whose content hash is the stored one is not rewritten (its
    /// `dct:modified` stays); `dct:issued` is kept from the first time the record was seen.
    pub fn write(&self, source: &str, records: &[RecordGraph], now: DateTime<Utc>) -> Result<WriteSummary, StoreError> {
        let mut summary = WriteSummary::default();
        let mut added = Vec::new();
        let now_literal = date_time(now);
        let source_catalog = self.iris.source_catalog(source);
        let mut tx = self.store.start_transaction()?;
        for r in records {
            let key = Iris::record_key(r.resource.as_str());
            let graph = self.iris.record(source, &key);
            let g = GraphNameRef::from(&graph);
            let (old_hash, old_issued) = {
                let hash = first_literal(tx.quads_for_pattern(Some((&graph).into()), Some(alz::CONTENT_HASH), None, Some(g)))?;
                let issued = first_literal(tx.quads_for_pattern(Some((&graph).into()), Some(dct::ISSUED), None, Some(g)))?;
                (hash.and_then(|h| h.value().parse::<ContentHash>().ok()), issued)
            };
            if old_hash == Some(r.hash) {
                summary.unchanged += 1;
                continue;
            }
            let issued = match &old_issued {
                Some(l) => {
                    summary.updated += 1;
                    l.clone()
                }
                None => {
                    summary.added += 1;
                    added.push(key);
                    now_literal.clone()
                }
            };
            tx.clear_graph(g)?;
            let prefix = format!("r{}_", hex(&key[..8]));
            for t in &r.triples {
                let subject = relabel_subject(&t.subject, &prefix);
                let object = relabel_object(&t.object, &prefix);
                tx.insert(QuadRef::new(&subject, &t.predicate, &object, g));
            }
            let hash = Literal::new_simple_literal(r.hash.to_string());
            tx.insert(QuadRef::new(&graph, rdf::TYPE, dcat::CATALOG_RECORD, g));
            tx.insert(QuadRef::new(&graph, foaf::PRIMARY_TOPIC, &r.resource, g));
            tx.insert(QuadRef::new(&graph, dct::ISSUED, &issued, g));
            tx.insert(QuadRef::new(&graph, dct::MODIFIED, &now_literal, g));
            tx.insert(QuadRef::new(&graph, alz::CONTENT_HASH, &hash, g));
            if let Some(original) = r.source_record() {
                let original = relabel_subject(original, &prefix);
                tx.insert(QuadRef::new(&graph, dct::SOURCE, &original, g));
            }
            tx.insert(QuadRef::new(&source_catalog, dcat::RECORD, &graph, g));
            let listing = if r.kinds == [RecordKind::DataService] {
                dcat::SERVICE
            } else {
                dcat::DATASET_PROPERTY
            };
            tx.insert(QuadRef::new(&source_catalog, listing, &r.resource, g));
        }
        tx.commit()?;
        if !added.is_empty() {
            let issued = now.timestamp_micros();
            let mut index = self.index.write().expect("index lock");
            for key in added {
                index.insert(source, Entry { issued, key });
            }
        }
        Ok(summary)
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
        let mut tx = self.store.start_transaction()?;
        for key in keys {
            tx.remove_named_graph(&self.iris.record(source, key))?;
        }
        tx.commit()?;
        self.index.write().expect("index lock").remove(source, keys);
        Ok(keys.len())
    }

    /// The resource a record is about.
    pub fn resource_of(&self, source: &str, key: &RecordKey) -> Result<Option<NamedNode>, StoreError> {
        let graph = self.iris.record(source, key);
        for q in self.store.quads_for_pattern(Some((&graph).into()), Some(foaf::PRIMARY_TOPIC), None, Some((&graph).into())) {
            if let Term::NamedNode(n) = q?.object {
                return Ok(Some(n));
            }
        }
        Ok(None)
    }

    /// A page of a catalogue: the federation's (`source` None) or one source's. `offset` and
    /// `limit` count records; the cost does not depend on `offset`.
    pub fn catalog_page(&self, source: Option<&str>, offset: usize, limit: usize) -> Result<CatalogPage, StoreError> {
        let source_filter = source;
        let (slice, total) = {
            let index = self.index.read().expect("index lock");
            (index.slice(source, offset, limit), index.len(source))
        };
        let catalog = match source {
            Some(s) => self.iris.source_catalog(s),
            None => self.iris.federation_catalog(),
        };
        let mut triples: Vec<Triple> = Vec::new();
        for q in self.store.quads_for_pattern(None, None, None, Some((&catalog).into())) {
            triples.push(q?.into());
        }
        let mut items = 0;
        for (source, key) in slice {
            let graph = self.iris.record(&source, &key);
            let mut resource = None;
            let mut listing = dcat::DATASET_PROPERTY;
            for q in self.store.quads_for_pattern(None, None, None, Some((&graph).into())) {
                let q = q?;
                if q.subject == NamedOrBlankNode::from(graph.clone()) && q.predicate == foaf::PRIMARY_TOPIC {
                    if let Term::NamedNode(n) = &q.object {
                        resource = Some(n.clone());
                    }
                }
                if q.predicate == dcat::SERVICE {
                    listing = dcat::SERVICE;
                }
                triples.push(q.into());
            }
            // A record deleted since the index was read is simply not on the page.
            if let Some(resource) = resource {
                items += 1;
                // Record graphs list their resource in their source's catalogue; the federation
                // catalogue lists the page's resources too, for consumers that read one catalogue.
                if source_filter.is_none() {
                    triples.push(Triple::new(catalog.clone(), listing, resource));
                }
            }
        }
        Ok(CatalogPage { catalog, triples, total, items })
    }

    /// The quads of one record graph.
    pub fn record_quads(&self, record: NamedNodeRef<'_>) -> Result<Vec<Quad>, StoreError> {
        Ok(self
            .store
            .quads_for_pattern(None, None, None, Some(record.into()))
            .collect::<Result<_, _>>()?)
    }

    /// Flushes to disk (RocksDB keeps a write-ahead log; this makes a clean stop quicker to reopen).
    pub fn flush(&self) -> Result<(), StoreError> {
        Ok(self.store.flush()?)
    }

    /// Rebuilds the catalogue order from the records' `dct:issued`, in one scan.
    fn rebuild_index(&self) -> Result<CatalogIndex, StoreError> {
        let mut entries = Vec::new();
        for q in self.store.quads_for_pattern(None, Some(dct::ISSUED), None, None) {
            let q = q?;
            let (NamedOrBlankNode::NamedNode(subject), oxigraph::model::GraphName::NamedNode(graph)) = (&q.subject, &q.graph_name) else {
                continue;
            };
            if subject != graph {
                continue;
            }
            let Some((source, key)) = self.iris.parse_record(graph.as_str()) else {
                continue;
            };
            let issued = match &q.object {
                Term::Literal(l) => DateTime::parse_from_rfc3339(l.value()).map(|d| d.timestamp_micros()).unwrap_or(0),
                _ => 0,
            };
            entries.push((source.to_owned(), Entry { issued, key }));
        }
        Ok(CatalogIndex::from_entries(entries))
    }
}

fn stored_hash(store: &Store, graph: &NamedNode) -> Result<Option<ContentHash>, StoreError> {
    let hash = first_literal(store.quads_for_pattern(Some(graph.into()), Some(alz::CONTENT_HASH), None, Some(graph.into())))?;
    Ok(hash.and_then(|h| h.value().parse().ok()))
}

fn first_literal(mut quads: impl Iterator<Item = Result<Quad, StorageError>>) -> Result<Option<Literal>, StoreError> {
    match quads.next() {
        Some(q) => match q?.object {
            Term::Literal(l) => Ok(Some(l)),
            _ => Ok(None),
        },
        None => Ok(None),
    }
}

fn date_time(t: DateTime<Utc>) -> Literal {
    Literal::new_typed_literal(t.to_rfc3339_opts(SecondsFormat::Millis, true), xsd::DATE_TIME)
}

fn relabel_subject(s: &NamedOrBlankNode, prefix: &str) -> NamedOrBlankNode {
    match s {
        NamedOrBlankNode::BlankNode(b) => BlankNode::new_unchecked(format!("{prefix}{}", b.as_str())).into(),
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
        format!("{text} — another Alzette process (e.g. `alzette serve`) has it open; stop it or use its HTTP interface")
    } else {
        text
    }
}
