//! Writing a run's records. A page's changed records are replaced at once; new records wait in
//! a batch that is bulk-loaded in the background while the walk goes on (large loads leave
//! RocksDB far less compaction work than one a page); a page is remembered as read (its cache
//! entry, for the next run) only once all its records are stored. After a complete walk, what
//! the source no longer has is deleted. A dry run writes nothing and makes a [`Plan`].

use crate::errors::{RunError, task_failure};
use crate::harvester::Plan;
use alzette_dcat::{RecordGraph, RecordKey};
use alzette_runlog::{PageCacheEntry, Run, RunLog, Stage};
use alzette_store::{HarvestRun, RecordStore, StoreError, StoredReport};
use std::collections::HashSet;
use std::sync::Arc;
use tokio::task::JoinHandle;

/// New records are added in batches of this many: large bulk loads leave RocksDB far less
/// compaction work than one per page (about 200 MB of records in memory at most).
const ADD_BATCH: usize = 5_000;

/// What a background bulk load gives back: its result, how many records, the pages it stood for.
type Loaded = (
    Result<usize, StoreError>,
    usize,
    Vec<(String, PageCacheEntry)>,
);

pub(crate) struct RecordWriter {
    store: Arc<RecordStore>,
    /// `None` in a dry run.
    runlog: Option<Arc<RunLog>>,
    source: String,
    /// The run, as record versions name it in their provenance.
    provenance: Arc<HarvestRun>,
    dry_run: bool,
    batch: usize,
    /// New records waiting to be added in one bulk load.
    pending: Vec<RecordGraph>,
    /// Pages to remember once the pending records are stored.
    pending_pages: Vec<(String, PageCacheEntry)>,
    /// The bulk load under way.
    loading: Option<JoinHandle<Loaded>>,
    /// What a dry run would do.
    pub plan: Plan,
}

impl RecordWriter {
    pub fn new(
        store: Arc<RecordStore>,
        runlog: Option<Arc<RunLog>>,
        source: &str,
        provenance: Arc<HarvestRun>,
        dry_run: bool,
    ) -> Self {
        Self {
            store,
            runlog,
            source: source.to_owned(),
            provenance,
            dry_run,
            batch: ADD_BATCH,
            pending: Vec::new(),
            pending_pages: Vec::new(),
            loading: None,
            plan: Plan::default(),
        }
    }

    /// Stores a page's records (counted in `run`): changed ones at once, new ones into the
    /// pending batch. `page` (its URL and cache entry) is remembered once they are all stored.
    pub async fn write(
        &mut self,
        records: Vec<RecordGraph>,
        page_url: &str,
        page: Option<PageCacheEntry>,
        run: &mut Run,
    ) -> Result<(), RunError> {
        let store = Arc::clone(&self.store);
        let source = self.source.clone();
        let classified = tokio::task::spawn_blocking(move || store.classify(&source, records))
            .await
            .map_err(|e| task_failure("comparing records with the store", e))??;
        run.counts.unchanged += classified.unchanged as u64;
        if self.dry_run {
            run.counts.added += classified.new.len() as u64;
            run.counts.updated += classified.changed.len() as u64;
            let iris = |records: &[RecordGraph]| {
                records
                    .iter()
                    .map(|r| r.resource.to_string())
                    .collect::<Vec<_>>()
            };
            self.plan.add.extend(iris(&classified.new));
            self.plan.update.extend(iris(&classified.changed));
            return Ok(());
        }
        if !classified.changed.is_empty() {
            let store = Arc::clone(&self.store);
            let source = self.source.clone();
            let changed = classified.changed;
            let count = changed.len();
            let provenance = Arc::clone(&self.provenance);
            let updated = tokio::task::spawn_blocking(move || {
                store.update(&source, &changed, chrono::Utc::now(), &provenance)
            })
            .await
            .map_err(|e| task_failure("replacing changed records", e))?;
            match updated {
                Ok(n) => run.counts.updated += n as u64,
                Err(e) => {
                    run.counts.failed += count as u64;
                    run.record_error(page_url, Stage::Store, e.to_string());
                    return Err(e.into());
                }
            }
        }
        self.pending.extend(classified.new);
        self.pending_pages
            .extend(page.map(|entry| (page_url.to_owned(), entry)));
        if self.pending.len() >= self.batch {
            self.start_load(run).await?;
        }
        Ok(())
    }

    /// Writes the reports that differ from the stored ones.
    pub async fn write_reports(
        &self,
        reports: Vec<StoredReport>,
        page_url: &str,
        run: &mut Run,
    ) -> Result<(), RunError> {
        if reports.is_empty() || self.dry_run {
            return Ok(());
        }
        let store = Arc::clone(&self.store);
        let source = self.source.clone();
        let written = tokio::task::spawn_blocking(move || store.put_reports(&source, &reports))
            .await
            .map_err(|e| task_failure("writing validation reports", e))?;
        written.map(|_| ()).map_err(|e| {
            run.record_error(page_url, Stage::Store, e.to_string());
            e.into()
        })
    }

    /// Remembers a page whose records are all stored already (an unchanged page).
    pub fn remember(&self, url: &str, entry: &PageCacheEntry) {
        if let Some(log) = &self.runlog
            && let Err(e) = log.put_page(&self.source, url, entry)
        {
            tracing::warn!(source = %self.source, page = %url, "cannot remember the page: {e}");
        }
    }

    /// Starts adding the pending new records in one bulk load, in the background: the walk
    /// goes on meanwhile. One load at a time; the one before is finished first.
    async fn start_load(&mut self, run: &mut Run) -> Result<(), RunError> {
        self.finish_load(run).await?;
        let records = std::mem::take(&mut self.pending);
        let pages = std::mem::take(&mut self.pending_pages);
        let store = Arc::clone(&self.store);
        let source = self.source.clone();
        let provenance = Arc::clone(&self.provenance);
        self.loading = Some(tokio::task::spawn_blocking(move || {
            let added = store.add(&source, &records, chrono::Utc::now(), &provenance);
            (added, records.len(), pages)
        }));
        Ok(())
    }

    /// Waits for the bulk load under way, counts it, and remembers its pages.
    pub async fn finish_load(&mut self, run: &mut Run) -> Result<(), RunError> {
        let Some(loading) = self.loading.take() else {
            return Ok(());
        };
        let (added, count, pages) = loading
            .await
            .map_err(|e| task_failure("adding new records", e))?;
        match added {
            Ok(n) => run.counts.added += n as u64,
            Err(e) => {
                // The batch is not stored; nothing earlier is touched (the bulk load is
                // atomic). The store failing is not the source's fault: the run stops.
                run.counts.failed += count as u64;
                run.record_error(&self.source, Stage::Store, e.to_string());
                return Err(e.into());
            }
        }
        for (url, entry) in pages {
            self.remember(&url, &entry);
        }
        Ok(())
    }

    /// Adds every pending new record and waits until they are stored.
    pub async fn flush(&mut self, run: &mut Run) -> Result<(), RunError> {
        if !self.pending.is_empty() || !self.pending_pages.is_empty() {
            self.start_load(run).await?;
        }
        self.finish_load(run).await
    }

    /// After a complete walk: the pages not visited are no longer the source's.
    pub fn forget_pages_except(&self, visited: &HashSet<String>) {
        if let Some(log) = &self.runlog
            && let Err(e) = log.retain_pages(&self.source, visited)
        {
            tracing::warn!(source = %self.source, "cannot prune remembered pages: {e}");
        }
    }

    /// The keys of the source's records in the store.
    pub fn stored_keys(&self) -> Vec<RecordKey> {
        self.store.record_keys(&self.source)
    }

    /// Deletes the source's records that are `missing` from it (counted in `run`).
    pub async fn delete(
        &mut self,
        missing: HashSet<RecordKey>,
        run: &mut Run,
    ) -> Result<(), RunError> {
        if self.dry_run {
            for key in &missing {
                let iri = self
                    .store
                    .resource_of(&self.source, key)
                    .ok()
                    .flatten()
                    .map_or_else(|| key.to_string(), |n| n.to_string());
                self.plan.delete.push(iri);
            }
            run.counts.deleted = missing.len() as u64;
            return Ok(());
        }
        let store = Arc::clone(&self.store);
        let source = self.source.clone();
        let deleted = tokio::task::spawn_blocking(move || store.delete(&source, &missing))
            .await
            .map_err(|e| task_failure("deleting records", e))?;
        match deleted {
            Ok(n) => {
                run.counts.deleted = n as u64;
                Ok(())
            }
            Err(e) => {
                run.record_error(&self.source, Stage::Delete, e.to_string());
                Err(e.into())
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use alzette_dcat::{PageParser, RdfFormat, SplitOptions, split_records};

    fn records(ids: std::ops::Range<usize>, version: u32) -> Vec<RecordGraph> {
        let mut ttl = String::new();
        for i in ids {
            ttl.push_str(&format!(
                "<d{i}> a <http://www.w3.org/ns/dcat#Dataset> ; <http://purl.org/dc/terms/title> \"D{i} v{version}\" .\n"
            ));
        }
        let graph = PageParser::new(RdfFormat::Turtle, "http://e.org/")
            .parse(ttl.as_bytes())
            .unwrap();
        split_records(&graph, &SplitOptions::new("http://alz.example/id/s/")).records
    }

    fn entry() -> PageCacheEntry {
        PageCacheEntry {
            body_hash: "h".into(),
            fingerprint: "f".into(),
            ..PageCacheEntry::default()
        }
    }

    struct Setup {
        _dir: tempfile::TempDir,
        store: Arc<RecordStore>,
        log: Arc<RunLog>,
    }

    fn setup() -> Setup {
        let dir = tempfile::tempdir().unwrap();
        let log = Arc::new(RunLog::open(&dir.path().join("log")).unwrap());
        let store =
            Arc::new(RecordStore::open(&dir.path().join("store"), "http://alz.example/").unwrap());
        Setup {
            _dir: dir,
            store,
            log,
        }
    }

    fn writer(s: &Setup, dry_run: bool, batch: usize) -> RecordWriter {
        let provenance = Arc::new(HarvestRun {
            id: 1,
            started: chrono::Utc::now(),
            source_url: "http://e.org/".into(),
        });
        let runlog = (!dry_run).then(|| Arc::clone(&s.log));
        let mut w = RecordWriter::new(Arc::clone(&s.store), runlog, "s", provenance, dry_run);
        w.batch = batch;
        w
    }

    #[tokio::test]
    async fn new_records_wait_for_their_batch_and_pages_for_their_records() {
        let s = setup();
        let mut w = writer(&s, false, 5);
        let mut run = Run::new(1, "s");
        w.write(records(0..3, 1), "p1", Some(entry()), &mut run)
            .await
            .unwrap();
        assert_eq!(
            s.store.count(Some("s")),
            0,
            "below the batch size, nothing is loaded yet"
        );
        assert!(
            s.log.page("s", "p1").unwrap().is_none(),
            "nor is the page remembered"
        );
        w.write(records(3..6, 1), "p2", Some(entry()), &mut run)
            .await
            .unwrap();
        w.flush(&mut run).await.unwrap();
        assert_eq!(s.store.count(Some("s")), 6);
        assert_eq!(run.counts.added, 6);
        assert!(s.log.page("s", "p1").unwrap().is_some());
        assert!(s.log.page("s", "p2").unwrap().is_some());
    }

    #[tokio::test]
    async fn changed_records_are_replaced_and_unchanged_ones_counted() {
        let s = setup();
        let mut run = Run::new(1, "s");
        let mut w = writer(&s, false, 100);
        w.write(records(0..4, 1), "p1", None, &mut run)
            .await
            .unwrap();
        w.flush(&mut run).await.unwrap();
        let mut again = Run::new(2, "s");
        let mut next = records(0..2, 1);
        next.extend(records(2..4, 2));
        w.write(next, "p1", None, &mut again).await.unwrap();
        w.flush(&mut again).await.unwrap();
        assert_eq!(
            (
                again.counts.added,
                again.counts.updated,
                again.counts.unchanged
            ),
            (0, 2, 2)
        );
    }

    #[tokio::test]
    async fn a_dry_run_plans_and_writes_nothing() {
        let s = setup();
        let mut run = Run::new(1, "s");
        let mut real = writer(&s, false, 100);
        real.write(records(0..2, 1), "p", None, &mut run)
            .await
            .unwrap();
        real.flush(&mut run).await.unwrap();
        let mut dry = writer(&s, true, 100);
        let mut dry_run = Run::new(0, "s");
        let mut changed = records(0..1, 2);
        changed.extend(records(5..6, 1));
        dry.write(changed, "p", Some(entry()), &mut dry_run)
            .await
            .unwrap();
        dry.flush(&mut dry_run).await.unwrap();
        dry.delete([RecordKey::of("http://e.org/d1")].into(), &mut dry_run)
            .await
            .unwrap();
        assert_eq!(dry.plan.add, ["<http://e.org/d5>"]);
        assert_eq!(dry.plan.update, ["<http://e.org/d0>"]);
        assert_eq!(dry.plan.delete, ["<http://e.org/d1>"]);
        assert_eq!(s.store.count(Some("s")), 2, "nothing was written");
        assert!(s.log.page("s", "p").unwrap().is_none());
    }
}
