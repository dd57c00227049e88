//! What the run log remembers of a source's pages (HTTP cache validators, the body's hash, the
//! next link, the records the page gave), as a DCAT walk uses it: a page answered `304 Not
//! Modified`, or sending the same bytes as last time, stands for the records it gave then —
//! under the same source configuration, and only while the store still has them all.

use crate::fetch::CacheValidators;
use alzette_runlog::{PageCacheEntry, RunLog};
use alzette_store::RecordStore;
use std::sync::Arc;

pub(crate) struct PageCache {
    /// `None` in a dry run: nothing is reused (every page is read).
    runlog: Option<Arc<RunLog>>,
    store: Arc<RecordStore>,
    source: String,
    /// Names everything that changes what a page yields; an entry made under another one no
    /// longer applies.
    fingerprint: String,
}

impl PageCache {
    pub fn new(
        runlog: Option<Arc<RunLog>>,
        store: Arc<RecordStore>,
        source: &str,
        fingerprint: String,
    ) -> Self {
        Self {
            runlog,
            store,
            source: source.to_owned(),
            fingerprint,
        }
    }

    /// What is remembered of `url` under this configuration.
    pub fn lookup(&self, url: &str) -> Option<PageCacheEntry> {
        let log = self.runlog.as_ref()?;
        log.page(&self.source, url)
            .ok()
            .flatten()
            .filter(|entry| entry.fingerprint == self.fingerprint)
    }

    /// Whether the store still has every record the entry stands for (a restored or new
    /// store may not: the page is then read again).
    pub fn still_stored(&self, entry: &PageCacheEntry) -> bool {
        self.store
            .has_records(&self.source, &entry.records)
            .unwrap_or(false)
    }

    /// A new entry for a page read now; its records are filled in once they are stored.
    pub fn entry(
        &self,
        cache_validators: CacheValidators,
        body_hash: String,
        next: Option<String>,
        announced: Option<u64>,
    ) -> PageCacheEntry {
        PageCacheEntry {
            etag: cache_validators.etag,
            last_modified: cache_validators.last_modified,
            body_hash,
            next,
            announced,
            records: Vec::new(),
            fingerprint: self.fingerprint.clone(),
        }
    }
}

/// The validators a conditional request sends for a remembered page, if it has any.
pub(crate) fn conditional(entry: &PageCacheEntry) -> Option<CacheValidators> {
    (entry.etag.is_some() || entry.last_modified.is_some()).then(|| CacheValidators {
        etag: entry.etag.clone(),
        last_modified: entry.last_modified.clone(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use alzette_dcat::{PageParser, RdfFormat, RecordKey, SplitOptions, split_records};
    use alzette_store::HarvestRun;

    fn entry(fingerprint: &str, records: Vec<RecordKey>) -> PageCacheEntry {
        PageCacheEntry {
            etag: Some("\"e1\"".into()),
            body_hash: "h".into(),
            records,
            fingerprint: fingerprint.into(),
            ..PageCacheEntry::default()
        }
    }

    fn setup() -> (tempfile::TempDir, Arc<RunLog>, Arc<RecordStore>) {
        let dir = tempfile::tempdir().unwrap();
        let log = Arc::new(RunLog::open(&dir.path().join("log")).unwrap());
        let store =
            Arc::new(RecordStore::open(&dir.path().join("store"), "http://alz.example/").unwrap());
        (dir, log, store)
    }

    #[test]
    fn an_entry_applies_only_under_its_configuration() {
        let (_dir, log, store) = setup();
        log.put_page("s", "http://e.org/p1", &entry("config-a", vec![]))
            .unwrap();
        let same = PageCache::new(Some(log.clone()), store.clone(), "s", "config-a".into());
        let other = PageCache::new(Some(log.clone()), store.clone(), "s", "config-b".into());
        let dry = PageCache::new(None, store, "s", "config-a".into());
        assert!(same.lookup("http://e.org/p1").is_some());
        assert!(same.lookup("http://e.org/p2").is_none());
        assert!(other.lookup("http://e.org/p1").is_none());
        assert!(
            dry.lookup("http://e.org/p1").is_none(),
            "a dry run reads every page"
        );
    }

    #[test]
    fn an_entry_stands_for_its_records_only_while_they_are_stored() {
        let (_dir, log, store) = setup();
        let graph = PageParser::new(RdfFormat::Turtle, "http://e.org/")
            .parse(b"<d1> a <http://www.w3.org/ns/dcat#Dataset> .")
            .unwrap();
        let records = split_records(&graph, &SplitOptions::new("http://alz.example/id/s/")).records;
        let stored = records[0].key;
        let run = HarvestRun {
            id: 1,
            started: chrono::Utc::now(),
            source_url: "http://e.org/".into(),
        };
        store.write("s", records, chrono::Utc::now(), &run).unwrap();
        let cache = PageCache::new(Some(log), store, "s", "f".into());
        assert!(cache.still_stored(&entry("f", vec![stored])));
        assert!(!cache.still_stored(&entry(
            "f",
            vec![stored, RecordKey::of("http://e.org/gone")]
        )));
        assert!(
            cache.still_stored(&entry("f", vec![])),
            "an empty page stands for nothing"
        );
    }

    #[test]
    fn conditional_requests_need_a_validator() {
        let mut e = entry("f", vec![]);
        assert_eq!(conditional(&e).unwrap().etag.as_deref(), Some("\"e1\""));
        e.etag = None;
        assert!(conditional(&e).is_none());
        e.last_modified = Some("Mon, 07 Dec 2026 10:00:00 GMT".into());
        assert!(conditional(&e).is_some());
    }
}
