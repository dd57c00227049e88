//! Tombstones' retention: a deleted record leaves a tombstone (for OAI-PMH and `modified-since`
//! consumers) kept for ever, or for `[store] tombstone_retention`.

use crate::{Operation, RecordStore, StoreError};
use chrono::Utc;

impl RecordStore {
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
        let failed = self.failed(Operation::PurgeTombstones);
        let mut tx = self.store.start_transaction().map_err(&failed)?;
        for (source, key, _) in &old {
            tx.remove_named_graph(&self.iris.record(source, key))
                .map_err(&failed)?;
        }
        tx.commit().map_err(&failed)?;
        {
            let mut index = self.index.write().expect("index lock");
            for (source, key, _) in &old {
                index.changes.remove(source, *key);
            }
        }
        self.changed();
        Ok(old.len())
    }
}
