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
//! A harvest classifies each page's records ([`RecordStore::classify`]: new, changed,
//! unchanged), replaces the changed ones ([`RecordStore::update`]), bulk-loads the new ones
//! ([`RecordStore::add`]) and, after a complete walk, deletes what its source no longer has
//! ([`RecordStore::delete`]).
//!
//! ```no_run
//! use alzette_store::RecordStore;
//! let store = RecordStore::open("data/store".as_ref(), "http://localhost:8080/")?;
//! println!("{} records", store.count(None));
//! # Ok::<_, alzette_store::StoreError>(())
//! ```

mod assessment;
mod catalogs;
mod changes;
mod error;
mod federation;
mod index;
mod iris;
mod order;
mod published;
mod read;
mod tombstones;
mod view;
mod write;

pub use alzette_dcat::RecordKey;
pub use assessment::StoredReport;
pub use catalogs::{CatalogDescription, SourceDescription};
pub use changes::{ChangeCursor, ListedChange};
pub use error::{Operation, StoreError};
pub use federation::{FederationRules, MAX_SHARED, SourceCounts};
pub use iris::{GraphKind, Iris};
pub use oxigraph;
pub use published::{ClusterMember, DuplicateCluster};
pub use read::CatalogPage;
pub use write::{Classified, HarvestRun, WriteSummary};

use alzette_dcat::hex;
use chrono::{DateTime, SecondsFormat, Utc};
use error::is_lock_error;
use index::CatalogIndex;
use oxigraph::model::{BlankNode, Literal, NamedOrBlankNode, Term};
use oxigraph::store::{StorageError, Store};
use std::path::{Path, PathBuf};
use std::sync::RwLock;

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
    /// The store's folder, for messages.
    path: PathBuf,
    iris: Iris,
    index: RwLock<CatalogIndex>,
    /// Identity and precedence across sources; built when first needed (see `published.rs`).
    federation: RwLock<Option<federation::Federation>>,
    /// The rules the federation is (or will be) worked out with.
    federation_rules: RwLock<FederationRules>,
    /// One write at a time: a write and the published view's upkeep read and change shared
    /// triples, and a bulk load is outside any transaction.
    write_lock: std::sync::Mutex<()>,
    version: RwLock<StoreVersion>,
    tombstone_retention: RwLock<Option<std::time::Duration>>,
    /// Where the catalogue order is saved when the store is closed cleanly.
    order_file: PathBuf,
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

impl RecordStore {
    /// Opens (or creates) the store at `path`. IRIs are minted below `base_uri`.
    pub fn open(path: &Path, base_uri: &str) -> Result<Self, StoreError> {
        if let Some(parent) = path.parent() {
            let _ = std::fs::create_dir_all(parent);
        }
        let started = std::time::Instant::now();
        let store = Store::open(path).map_err(|cause| {
            if is_lock_error(&cause) {
                StoreError::Locked {
                    path: path.to_owned(),
                }
            } else {
                StoreError::Open {
                    path: path.to_owned(),
                    cause,
                }
            }
        })?;
        let opened = started.elapsed();
        let this = Self {
            store,
            path: path.to_owned(),
            iris: Iris::new(base_uri),
            index: RwLock::new(CatalogIndex::default()),
            federation: RwLock::new(None),
            federation_rules: RwLock::new(FederationRules::default()),
            write_lock: std::sync::Mutex::new(()),
            version: RwLock::new(StoreVersion {
                instance: random_instance(),
                generation: 0,
                changed: Utc::now(),
            }),
            tombstone_retention: RwLock::new(None),
            order_file: order::order_file(path),
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

    /// The store's folder.
    pub fn path(&self) -> &Path {
        &self.path
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

    /// Flushes to disk (RocksDB keeps a write-ahead log; this makes a clean stop quicker to
    /// reopen).
    pub fn flush(&self) -> Result<(), StoreError> {
        self.store.flush().map_err(self.failed(Operation::Flush))
    }

    /// Turns Oxigraph's error into one that says which store failed doing what.
    fn failed(&self, operation: Operation) -> impl Fn(StorageError) -> StoreError + '_ {
        move |cause| StoreError::Storage {
            path: self.path.clone(),
            operation,
            cause,
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

/// Microseconds since the epoch of an `xsd:dateTime` literal Alzette wrote (0 if unreadable).
fn micros(l: &Literal) -> i64 {
    DateTime::parse_from_rfc3339(l.value()).map_or(0, |d| d.timestamp_micros())
}

fn date_time(t: DateTime<Utc>) -> Literal {
    Literal::new_typed_literal(
        t.to_rfc3339_opts(SecondsFormat::Millis, true),
        alzette_vocab::xsd::DATE_TIME,
    )
}

/// The prefix a record's blank nodes are stored with, so that no two records share one.
fn blank_prefix(key: &RecordKey) -> String {
    format!("r{}_", hex(&key.as_bytes()[..8]))
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
