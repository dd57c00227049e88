//! What can go wrong with the store, each error naming the store's folder, what it was doing,
//! and what to do about it.

use oxigraph::store::StorageError;
use std::fmt;
use std::path::PathBuf;

/// A store that could not be used.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// Another process has the store open for writing (RocksDB holds a lock on its folder).
    #[error(
        "the store at {} is in use by another process (`alzette serve` or `alzette harvest`): \
         stop it, or work through the running daemon (`POST /api/admin/sources/ID/run` runs a \
         harvest there; `alzette runs`, `alzette sources` and `alzette duplicates` ask it)",
        path.display()
    )]
    Locked { path: PathBuf },
    #[error(
        "cannot open the store at {}: {cause}; check that the folder is writable and holds an \
         Alzette store ([store] path)",
        path.display()
    )]
    Open { path: PathBuf, cause: StorageError },
    #[error(
        "the store at {} failed while {operation}: {cause}; check the disk (free space, \
         permissions) and the store folder",
        path.display()
    )]
    Storage {
        path: PathBuf,
        operation: Operation,
        cause: StorageError,
    },
    #[error(
        "the catalogue's publisher <{iri}> is not a valid IRI ({reason}); fix [catalog] publisher_uri"
    )]
    PublisherIri {
        iri: String,
        reason: oxigraph::model::IriParseError,
    },
}

/// What the store was doing when it failed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Operation {
    DescribeCatalogs,
    Classify,
    AddRecords,
    UpdateRecords,
    DeleteRecords,
    PurgeTombstones,
    ReadRecords,
    WriteReports,
    ReplaceVocabulary,
    ReadVocabulary,
    ReadCatalogPage,
    RebuildOrder,
    BuildFederation,
    RebuildView,
    Flush,
}

impl fmt::Display for Operation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::DescribeCatalogs => "describing the catalogues",
            Self::Classify => "comparing records with the stored ones",
            Self::AddRecords => "adding new records",
            Self::UpdateRecords => "replacing changed records",
            Self::DeleteRecords => "deleting records",
            Self::PurgeTombstones => "dropping old tombstones",
            Self::ReadRecords => "reading records",
            Self::WriteReports => "writing validation reports",
            Self::ReplaceVocabulary => "replacing a vocabulary",
            Self::ReadVocabulary => "reading a vocabulary",
            Self::ReadCatalogPage => "reading a catalogue page",
            Self::RebuildOrder => "rebuilding the catalogue order from the records",
            Self::BuildFederation => "reading every record's identity to work out the federation",
            Self::RebuildView => "rebuilding the published view (the SPARQL default graph)",
            Self::Flush => "flushing to disk",
        })
    }
}

/// RocksDB reports its lock as an I/O error text ("lock hold by current process", "Resource
/// temporarily unavailable"): the only place where the store reads an error's words.
pub(crate) fn is_lock_error(e: &StorageError) -> bool {
    let text = e.to_string();
    text.contains("lock") || text.contains("LOCK") || text.contains("temporarily unavailable")
}
