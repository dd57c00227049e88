//! The catalogue order (and the change order with it): derived state, saved in the store's
//! folder at a clean stop, loaded at the next start, rebuilt from the records otherwise.

use crate::index::{CatalogIndex, Entry};
use crate::{Operation, RecordStore, StoreError, micros};
use alzette_vocab::{alz, dct};
use chrono::DateTime;
use oxigraph::model::{NamedOrBlankNode, Term};
use oxigraph::store::StorageError;
use std::path::{Path, PathBuf};

/// Inside the store's folder, so that it goes wherever the store goes (RocksDB leaves files it
/// does not know alone).
pub(crate) fn order_file(path: &Path) -> PathBuf {
    path.join("alzette-catalog-order")
}

impl RecordStore {
    /// The catalogue order saved by the last clean stop, if any. The file is removed at once: it
    /// stands for the store only while nothing writes to it, so a process that dies leaves none
    /// and the next start rebuilds the order from the records.
    pub(crate) fn load_order(&self) -> Option<CatalogIndex> {
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
    pub(crate) fn save_order(&self) -> std::io::Result<()> {
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
    pub(crate) fn rebuild_index(&self) -> Result<CatalogIndex, StoreError> {
        self.scan_index()
            .map_err(self.failed(Operation::RebuildOrder))
    }

    fn scan_index(&self) -> Result<CatalogIndex, StorageError> {
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
