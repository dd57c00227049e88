//! A run log that cannot be read is set aside and a fresh one started; a fresh log goes on
//! numbering runs from where the store's provenance left off. The store is the truth: the run
//! log is operational state, and losing it loses no record.

use crate::{RunLog, RunLogError};
use chrono::Utc;
use std::path::{Path, PathBuf};

impl RunLog {
    /// Opens the run log at `path`; when it cannot be read (corrupt or truncated files), moves
    /// it aside to `PATH.damaged-TIME` and starts a fresh one, returning where the damaged one
    /// went. The run log is operational state: the store is the truth, nothing of it is lost.
    /// A log held by another process is not damaged: that is an error as with [`RunLog::open`].
    pub fn open_or_set_aside(path: &Path) -> Result<(Self, Option<PathBuf>), RunLogError> {
        match Self::open(path) {
            Ok(log) => Ok((log, None)),
            Err(e @ RunLogError::Locked { .. }) => Err(e),
            Err(e @ RunLogError::Open { .. }) if !e.is_damage() => Err(e),
            Err(damage) => {
                let stamp = Utc::now().format("%Y%m%dT%H%M%SZ");
                // A second damage within the second keeps the first one set aside too.
                let aside = (0..)
                    .map(|n| {
                        let suffix = if n == 0 {
                            String::new()
                        } else {
                            format!("-{n}")
                        };
                        PathBuf::from(format!("{}.damaged-{stamp}{suffix}", path.display()))
                    })
                    .find(|p| !p.exists())
                    .expect("some name is free");
                std::fs::rename(path, &aside).map_err(|e| RunLogError::Open {
                    path: path.to_owned(),
                    cause: sled::Error::Io(e),
                })?;
                tracing::warn!(
                    damaged = %aside.display(),
                    "the run log could not be read ({damage}); it was moved aside and a fresh one started. The store keeps every record; run history, pauses and page validators start over"
                );
                Ok((Self::open(path)?, Some(aside)))
            }
        }
    }

    /// Whether no run was ever started in this log (a new or a set-aside one).
    pub fn is_fresh(&self) -> Result<bool, RunLogError> {
        Ok(!self
            .db
            .contains_key(b"next-run-id")
            .map_err(self.failed("reading the run counter"))?)
    }

    /// Makes the next run's id larger than `floor`: run ids name PROV activities in the store
    /// (`{base}run/{source}/{id}`), which must stay unique for the store's life even when the
    /// log is lost or replaced.
    pub fn ensure_run_ids_above(&self, floor: u64) -> Result<(), RunLogError> {
        self.db
            .update_and_fetch(b"next-run-id", |old| {
                let n = old
                    .and_then(|b| <[u8; 8]>::try_from(b).ok())
                    .map_or(0, u64::from_be_bytes);
                Some(n.max(floor).to_be_bytes().to_vec())
            })
            .map_err(self.failed("setting the run counter"))?;
        self.db
            .flush()
            .map_err(self.failed("setting the run counter"))?;
        Ok(())
    }
}
