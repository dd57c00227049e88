//! What can go wrong with the run log, saying where, what it was doing, and what to do.

use std::path::PathBuf;

/// A run log that could not be used, naming its folder, what it was doing, and what to do.
#[derive(Debug, thiserror::Error)]
pub enum RunLogError {
    /// Another process has the log open (sled keeps an exclusive file lock).
    #[error(
        "the run log at {} is in use by another process (`alzette serve` holds it while it runs): \
         stop it, or work through it (`alzette runs` and `alzette sources` ask it; \
         `POST /api/admin/sources/ID/run` runs a harvest there)",
        path.display()
    )]
    Locked { path: PathBuf },
    #[error(
        "cannot open the run log at {}: {cause}; check that the folder is writable ([store] runlog)",
        path.display()
    )]
    Open { path: PathBuf, cause: sled::Error },
    #[error(
        "the run log at {} failed while {operation}: {cause}; check the disk (free space, permissions)",
        path.display()
    )]
    Storage {
        path: PathBuf,
        operation: &'static str,
        cause: sled::Error,
    },
    #[error(
        "the run log at {} holds an unreadable {what} ({cause}); it is operational state only: \
         move the folder aside to start a fresh one (the store keeps every record)",
        path.display()
    )]
    Decode {
        path: PathBuf,
        what: &'static str,
        cause: serde_json::Error,
    },
}

impl RunLogError {
    /// True when another process holds the log.
    pub fn is_locked(&self) -> bool {
        matches!(self, Self::Locked { .. })
    }

    /// Whether the log could not be opened because sled failed on what it read (corrupt,
    /// truncated, garbled files), as opposed to the folder being out of reach (permissions),
    /// which moving it aside would not mend.
    pub(crate) fn is_damage(&self) -> bool {
        matches!(self, Self::Open { cause, .. } if sled_damage(cause))
    }
}

fn sled_damage(e: &sled::Error) -> bool {
    match e {
        // A garbled settings file reads as a log "of an older sled" (`Unsupported`): the
        // settings are always the same here, so it is damage too.
        sled::Error::Corruption { .. }
        | sled::Error::ReportableBug(_)
        | sled::Error::Unsupported(_) => true,
        sled::Error::Io(io) => !matches!(
            io.kind(),
            std::io::ErrorKind::PermissionDenied | std::io::ErrorKind::NotFound
        ),
        _ => false,
    }
}
