//! The operational run log and HTTP cache validators, in sled.
//!
//! The store is the truth about records; this log says what runs did (when, how they ended,
//! what they counted, which records failed and why) and remembers, per page URL, the validators
//! (ETag, Last-Modified) and what the page held, so that an unchanged page is not downloaded or
//! parsed again.
//!
//! ```
//! use alzette_runlog::{Outcome, RunLog};
//! let dir = tempfile::tempdir().unwrap();
//! let log = RunLog::open(dir.path()).unwrap();
//! let mut run = log.start("sample-dcat").unwrap();
//! run.counts.added = 3;
//! log.finish(&mut run, Outcome::Ok, None).unwrap();
//! assert_eq!(log.last_run("sample-dcat").unwrap().unwrap().counts.added, 3);
//! log.set_paused("sample-dcat", true).unwrap();
//! assert!(log.paused_since("sample-dcat").unwrap().is_some());
//! ```

use alzette_dcat::RecordKey;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};

mod error;
mod recovery;
mod run;

pub use error::RunLogError;
pub use run::{Counts, MAX_RECORDED_ERRORS, Outcome, RecordError, Run, Stage, ValidationSummary};

/// What Alzette remembers of a page it fetched.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct PageCacheEntry {
    pub etag: Option<String>,
    pub last_modified: Option<String>,
    /// SHA-256 of the body, hex: a page seen again under another URL is a paging loop.
    pub body_hash: String,
    pub next: Option<String>,
    pub announced: Option<u64>,
    /// The records the page yielded (their keys, written in hex).
    pub records: Vec<RecordKey>,
    /// Fingerprint of the source configuration the page was read with; another one means the
    /// entry no longer applies.
    pub fingerprint: String,
}

pub struct RunLog {
    /// The log's folder, for messages.
    path: PathBuf,
    db: sled::Db,
    runs: sled::Tree,
    by_source: sled::Tree,
    open_runs: sled::Tree,
    pages: sled::Tree,
    paused: sled::Tree,
    links: sled::Tree,
}

/// What the link checker found at a URL, and when.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LinkStatus {
    /// The HTTP status of the last answer (after redirects), when there was one.
    pub status: Option<u16>,
    /// Why there was no answer (timeout, connection refused, not an http(s) URL…).
    pub error: Option<String>,
    pub checked: DateTime<Utc>,
}

impl LinkStatus {
    /// Reachable as data.europa.eu counts it: an answer in 2xx or 3xx.
    pub fn reachable(&self) -> bool {
        self.status.is_some_and(|s| (200..400).contains(&s))
    }
}

impl RunLog {
    pub fn open(path: &Path) -> Result<Self, RunLogError> {
        let db = sled::Config::new().path(path).open().map_err(|cause| {
            // sled says so in words only ("could not acquire lock on ...").
            if cause.to_string().contains("could not acquire lock") {
                RunLogError::Locked {
                    path: path.to_owned(),
                }
            } else {
                RunLogError::Open {
                    path: path.to_owned(),
                    cause,
                }
            }
        })?;
        let tree = |name: &str| {
            db.open_tree(name).map_err(|cause| RunLogError::Open {
                path: path.to_owned(),
                cause,
            })
        };
        Ok(Self {
            runs: tree("runs")?,
            by_source: tree("runs-by-source")?,
            open_runs: tree("open-runs")?,
            pages: tree("pages")?,
            paused: tree("paused")?,
            links: tree("links")?,
            path: path.to_owned(),
            db,
        })
    }

    /// The log's folder.
    pub fn path(&self) -> &Path {
        &self.path
    }

    fn failed(&self, operation: &'static str) -> impl Fn(sled::Error) -> RunLogError + '_ {
        move |cause| RunLogError::Storage {
            path: self.path.clone(),
            operation,
            cause,
        }
    }

    fn unreadable(&self, what: &'static str) -> impl Fn(serde_json::Error) -> RunLogError + '_ {
        move |cause| RunLogError::Decode {
            path: self.path.clone(),
            what,
            cause,
        }
    }

    /// Opens a run of `source`, saved as `running` until it is finished.
    pub fn start(&self, source: &str) -> Result<Run, RunLogError> {
        let failed = self.failed("starting a run");
        // sled's generate_id jumps by large steps across restarts; runs get plain 1, 2, 3...
        let next = self
            .db
            .update_and_fetch(b"next-run-id", |old| {
                let n = old
                    .and_then(|b| <[u8; 8]>::try_from(b).ok())
                    .map_or(0, u64::from_be_bytes);
                Some((n + 1).to_be_bytes().to_vec())
            })
            .map_err(&failed)?;
        let id = next
            .and_then(|b| <[u8; 8]>::try_from(b.as_ref()).ok())
            .map_or(1, u64::from_be_bytes);
        let run = Run::new(id, source);
        self.save(&run)?;
        self.open_runs
            .insert(id.to_be_bytes(), source.as_bytes())
            .map_err(&failed)?;
        self.by_source
            .insert(source_key(source, id), &[])
            .map_err(&failed)?;
        self.db.flush().map_err(&failed)?;
        Ok(run)
    }

    /// Saves a run's progress.
    pub fn save(&self, run: &Run) -> Result<(), RunLogError> {
        let entry = serde_json::to_vec(run).map_err(self.unreadable("run"))?;
        self.runs
            .insert(run.id.to_be_bytes(), entry)
            .map_err(self.failed("saving a run"))?;
        Ok(())
    }

    /// Ends a run.
    pub fn finish(
        &self,
        run: &mut Run,
        outcome: Outcome,
        message: Option<String>,
    ) -> Result<(), RunLogError> {
        run.end(outcome, message);
        self.save(run)?;
        let failed = self.failed("finishing a run");
        self.open_runs
            .remove(run.id.to_be_bytes())
            .map_err(&failed)?;
        self.db.flush().map_err(&failed)?;
        Ok(())
    }

    /// Marks runs left open by a process that died as `interrupted`; returns them.
    pub fn close_interrupted(&self) -> Result<Vec<Run>, RunLogError> {
        let failed = self.failed("closing runs left open");
        let mut closed = Vec::new();
        for item in self.open_runs.iter() {
            let (id, _) = item.map_err(&failed)?;
            if let Some(bytes) = self.runs.get(&id).map_err(&failed)? {
                let mut run: Run =
                    serde_json::from_slice(&bytes).map_err(self.unreadable("run"))?;
                run.outcome = Outcome::Interrupted;
                run.message
                    .get_or_insert_with(|| "the process stopped before the run ended".into());
                self.save(&run)?;
                closed.push(run);
            }
            self.open_runs.remove(id).map_err(&failed)?;
        }
        self.db.flush().map_err(&failed)?;
        Ok(closed)
    }

    /// Runs, newest first, of one source or all.
    pub fn runs(&self, source: Option<&str>, limit: usize) -> Result<Vec<Run>, RunLogError> {
        let failed = self.failed("reading runs");
        let decode = self.unreadable("run");
        let mut out = Vec::new();
        match source {
            Some(s) => {
                let prefix = source_prefix(s);
                for item in self.by_source.scan_prefix(&prefix).rev().take(limit) {
                    let (k, _) = item.map_err(&failed)?;
                    if let Some(bytes) = self.runs.get(&k[prefix.len()..]).map_err(&failed)? {
                        out.extend(readable(serde_json::from_slice(&bytes).map_err(&decode)));
                    }
                }
            }
            None => {
                for item in self.runs.iter().rev().take(limit) {
                    let (_, v) = item.map_err(&failed)?;
                    out.extend(readable(serde_json::from_slice(&v).map_err(&decode)));
                }
            }
        }
        Ok(out)
    }

    pub fn last_run(&self, source: &str) -> Result<Option<Run>, RunLogError> {
        Ok(self.runs(Some(source), 1)?.into_iter().next())
    }

    /// What is remembered of a page (`None` also when the entry is from an older version).
    pub fn page(&self, source: &str, url: &str) -> Result<Option<PageCacheEntry>, RunLogError> {
        match self
            .pages
            .get(page_key(source, url))
            .map_err(self.failed("reading a page's cache entry"))?
        {
            Some(bytes) => Ok(serde_json::from_slice(&bytes).ok()),
            None => Ok(None),
        }
    }

    pub fn put_page(
        &self,
        source: &str,
        url: &str,
        entry: &PageCacheEntry,
    ) -> Result<(), RunLogError> {
        let entry = serde_json::to_vec(entry).map_err(self.unreadable("page cache entry"))?;
        self.pages
            .insert(page_key(source, url), entry)
            .map_err(self.failed("remembering a page"))?;
        Ok(())
    }

    /// The link checker's last result for `url`.
    pub fn link(&self, url: &str) -> Result<Option<LinkStatus>, RunLogError> {
        match self
            .links
            .get(url.as_bytes())
            .map_err(self.failed("reading a link check"))?
        {
            Some(bytes) => Ok(serde_json::from_slice(&bytes).ok()),
            None => Ok(None),
        }
    }

    pub fn put_link(&self, url: &str, status: &LinkStatus) -> Result<(), RunLogError> {
        let entry = serde_json::to_vec(status).map_err(self.unreadable("link check"))?;
        self.links
            .insert(url.as_bytes(), entry)
            .map_err(self.failed("recording a link check"))?;
        Ok(())
    }

    pub fn remove_page(&self, source: &str, url: &str) -> Result<(), RunLogError> {
        self.pages
            .remove(page_key(source, url))
            .map_err(self.failed("forgetting a page"))?;
        Ok(())
    }

    /// Forgets the pages of a source that are not in `keep` (pages its catalogue no longer
    /// has); returns how many.
    pub fn retain_pages(
        &self,
        source: &str,
        keep: &std::collections::HashSet<String>,
    ) -> Result<usize, RunLogError> {
        let failed = self.failed("forgetting pages");
        let prefix = source_prefix(source);
        let mut removed = 0;
        for item in self.pages.scan_prefix(&prefix) {
            let (k, _) = item.map_err(&failed)?;
            let url = String::from_utf8_lossy(&k[prefix.len()..]);
            if !keep.contains(url.as_ref()) {
                self.pages.remove(&k).map_err(&failed)?;
                removed += 1;
            }
        }
        Ok(removed)
    }

    /// Pauses or resumes the schedule of a source; a pause lasts across restarts, until resumed.
    pub fn set_paused(&self, source: &str, paused: bool) -> Result<(), RunLogError> {
        let failed = self.failed("pausing or resuming a source");
        if paused {
            let since = serde_json::to_vec(&Utc::now()).map_err(self.unreadable("pause"))?;
            self.paused
                .insert(source.as_bytes(), since)
                .map_err(&failed)?;
        } else {
            self.paused.remove(source.as_bytes()).map_err(&failed)?;
        }
        self.paused.flush().map_err(&failed)?;
        Ok(())
    }

    /// Since when the schedule of a source is paused, if it is.
    pub fn paused_since(&self, source: &str) -> Result<Option<DateTime<Utc>>, RunLogError> {
        match self
            .paused
            .get(source.as_bytes())
            .map_err(self.failed("reading whether a source is paused"))?
        {
            None => Ok(None),
            Some(v) => Ok(Some(
                serde_json::from_slice(&v).map_err(self.unreadable("pause"))?,
            )),
        }
    }

    pub fn flush(&self) -> Result<(), RunLogError> {
        self.db.flush().map_err(self.failed("flushing to disk"))?;
        Ok(())
    }
}

/// A run entry that cannot be read is left out of listings (with a warning), not made the end
/// of every listing.
fn readable(run: Result<Run, RunLogError>) -> Option<Run> {
    run.map_err(|e| tracing::warn!("{e}; the entry is left out"))
        .ok()
}

fn source_prefix(source: &str) -> Vec<u8> {
    let mut k = source.as_bytes().to_vec();
    k.push(0);
    k
}

fn source_key(source: &str, id: u64) -> Vec<u8> {
    let mut k = source_prefix(source);
    k.extend_from_slice(&id.to_be_bytes());
    k
}

fn page_key(source: &str, url: &str) -> Vec<u8> {
    let mut k = source_prefix(source);
    k.extend_from_slice(url.as_bytes());
    k
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn runs_left_open_are_interrupted_at_next_open() {
        let dir = tempfile::tempdir().unwrap();
        let id = {
            let log = RunLog::open(dir.path()).unwrap();
            let mut done = log.start("a").unwrap();
            log.finish(&mut done, Outcome::Ok, None).unwrap();
            let open = log.start("a").unwrap();
            open.id
        };
        let log = RunLog::open(dir.path()).unwrap();
        let closed = log.close_interrupted().unwrap();
        assert_eq!(closed.len(), 1);
        assert_eq!(closed[0].id, id);
        let runs = log.runs(Some("a"), 10).unwrap();
        assert_eq!(runs.len(), 2);
        assert_eq!(runs[0].outcome, Outcome::Interrupted);
        assert_eq!(runs[1].outcome, Outcome::Ok);
        assert!(log.close_interrupted().unwrap().is_empty());
    }

    #[test]
    fn runs_are_listed_per_source_newest_first() {
        let dir = tempfile::tempdir().unwrap();
        let log = RunLog::open(dir.path()).unwrap();
        for s in ["a", "b", "a", "ab"] {
            let mut r = log.start(s).unwrap();
            log.finish(&mut r, Outcome::Ok, None).unwrap();
        }
        let a = log.runs(Some("a"), 10).unwrap();
        assert_eq!(a.len(), 2);
        assert!(a[0].id > a[1].id);
        assert_eq!(log.runs(None, 10).unwrap().len(), 4);
        assert_eq!(log.runs(None, 2).unwrap().len(), 2);
    }

    #[test]
    fn pages_of_a_source_are_pruned_to_the_last_walk() {
        let dir = tempfile::tempdir().unwrap();
        let log = RunLog::open(dir.path()).unwrap();
        let entry = PageCacheEntry {
            body_hash: "h".into(),
            fingerprint: "f".into(),
            ..PageCacheEntry::default()
        };
        for url in ["u1", "u2", "u3"] {
            log.put_page("a", url, &entry).unwrap();
        }
        log.put_page("ab", "u9", &entry).unwrap();
        let keep = ["u2".to_owned()].into();
        assert_eq!(log.retain_pages("a", &keep).unwrap(), 2);
        assert!(log.page("a", "u2").unwrap().is_some());
        assert!(log.page("a", "u1").unwrap().is_none());
        assert!(
            log.page("ab", "u9").unwrap().is_some(),
            "another source's pages stay"
        );
    }

    #[test]
    fn errors_are_capped_and_counted() {
        let dir = tempfile::tempdir().unwrap();
        let log = RunLog::open(dir.path()).unwrap();
        let mut r = log.start("a").unwrap();
        for i in 0..MAX_RECORDED_ERRORS + 5 {
            r.record_error(format!("r{i}"), Stage::Split, "bad");
        }
        assert_eq!(r.errors.len(), MAX_RECORDED_ERRORS);
        assert_eq!(r.error_count(), (MAX_RECORDED_ERRORS + 5) as u64);
    }

    #[test]
    fn a_second_process_is_told_who_holds_the_log() {
        let dir = tempfile::tempdir().unwrap();
        let _first = RunLog::open(dir.path()).unwrap();
        // sled's lock is per process (an fcntl lock); a child process sees it taken.
        let out = std::process::Command::new("flock")
            .args(["--nonblock", "--exclusive"])
            .arg(dir.path().join("db"))
            .arg("true")
            .status()
            .expect("flock (util-linux) runs");
        assert!(!out.success(), "the run log should be locked");
    }

    #[test]
    fn errors_name_the_log_and_what_to_do() {
        let locked = RunLogError::Locked {
            path: "data/runlog".into(),
        };
        assert!(locked.is_locked());
        let text = locked.to_string();
        assert!(
            text.starts_with("the run log at data/runlog is in use by another process"),
            "{text}"
        );
        assert!(text.contains("POST /api/admin/sources/ID/run"), "{text}");
    }
}
