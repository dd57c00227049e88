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
use std::fmt;
use std::path::{Path, PathBuf};

/// At most this many record errors are kept per run; the rest are counted.
pub const MAX_RECORDED_ERRORS: usize = 1000;

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
}

/// How a run ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Outcome {
    Running,
    Ok,
    OkWithErrors,
    Failed,
    Interrupted,
}

impl fmt::Display for Outcome {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Running => "running",
            Self::Ok => "ok",
            Self::OkWithErrors => "ok-with-errors",
            Self::Failed => "failed",
            Self::Interrupted => "interrupted",
        })
    }
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Counts {
    pub added: u64,
    pub updated: u64,
    pub unchanged: u64,
    pub deleted: u64,
    pub failed: u64,
    /// Records not stored because they had SHACL violations (`on_invalid = "reject"`).
    #[serde(default)]
    pub rejected: u64,
    /// Records that describe a resource an earlier record of the run described (the first is
    /// kept).
    #[serde(default)]
    pub duplicates: u64,
}

/// What validation found in a run's records.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ValidationSummary {
    /// Names the shapes and background the records were validated with.
    pub shapes: String,
    pub records: u64,
    /// Records with no result of any severity.
    pub conforming: u64,
    /// Records with at least one `sh:Violation`.
    pub with_violations: u64,
    pub violations: u64,
    pub warnings: u64,
    /// Results per constraint ("Violation dct:title MinCount"); see [`ValidationSummary::top`].
    pub by_constraint: std::collections::BTreeMap<String, u64>,
    /// Datasets given a quality score (data services and series are not scored).
    #[serde(default)]
    pub scored: u64,
    /// The sum of their scores, in tenths of a point (see [`ValidationSummary::average_score`]).
    #[serde(default)]
    pub score_tenths: u64,
    /// Datasets per quality rating (excellent, good, sufficient, bad).
    #[serde(default)]
    pub ratings: std::collections::BTreeMap<String, u64>,
    /// Access and download URLs the link checker checked in this run.
    #[serde(default)]
    pub links_checked: u64,
}

impl ValidationSummary {
    /// The average quality score of the datasets scored, out of 405.
    pub fn average_score(&self) -> Option<f64> {
        (self.scored > 0).then(|| self.score_tenths as f64 / 10.0 / self.scored as f64)
    }

    /// The `n` most frequent constraints with their result counts, most frequent first.
    pub fn top(&self, n: usize) -> Vec<(&str, u64)> {
        let mut all: Vec<(&str, u64)> = self
            .by_constraint
            .iter()
            .map(|(k, v)| (k.as_str(), *v))
            .collect();
        all.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(b.0)));
        all.truncate(n);
        all
    }
}

/// Where in the pipeline something went wrong.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Stage {
    Fetch,
    Parse,
    Page,
    Split,
    Validate,
    /// Mapping a record to DCAT (ISO 19139).
    Map,
    /// Normalising a record (what was repaired).
    Normalise,
    Store,
    Delete,
}

impl fmt::Display for Stage {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Fetch => "fetch",
            Self::Parse => "parse",
            Self::Page => "page",
            Self::Split => "split",
            Self::Validate => "validate",
            Self::Map => "map",
            Self::Normalise => "normalise",
            Self::Store => "store",
            Self::Delete => "delete",
        })
    }
}

/// A record (or page) that failed, and why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RecordError {
    /// The record (resource IRI and title) or the page URL.
    pub record: String,
    pub stage: Stage,
    pub message: String,
}

/// One harvest run.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Run {
    pub id: u64,
    pub source: String,
    pub started: DateTime<Utc>,
    pub ended: Option<DateTime<Utc>>,
    pub outcome: Outcome,
    pub counts: Counts,
    pub pages: u64,
    /// What the source said it holds (Hydra `totalItems`, CSW `numberOfRecordsMatched`), when
    /// it says it.
    pub announced: Option<u64>,
    /// Records the source delivered in this run (repeats and failures included), to set
    /// against `announced`.
    #[serde(default)]
    pub received: u64,
    /// Records the source has in the store after the run.
    pub records: Option<u64>,
    pub errors: Vec<RecordError>,
    /// Errors beyond [`MAX_RECORDED_ERRORS`], counted only.
    pub errors_dropped: u64,
    /// Why the run failed, or what it chose not to do (e.g. the shrink guard).
    pub message: Option<String>,
    /// Set when the records were validated (`[validation]`).
    #[serde(default)]
    pub validation: Option<ValidationSummary>,
    /// What the source got wrong that did not stop a record (an ISO record's bad date, a
    /// placeholder URL left out…): shown with the errors, not counted as failures.
    #[serde(default)]
    pub warnings: Vec<RecordError>,
    #[serde(default)]
    pub warnings_dropped: u64,
    /// The walk reached the source's end (what it no longer has could be deleted).
    #[serde(default)]
    pub complete: bool,
    /// Set for an incremental run: the modification date records were asked from.
    #[serde(default)]
    pub incremental_since: Option<String>,
}

impl Run {
    /// A run of `source` starting now.
    pub fn new(id: u64, source: &str) -> Self {
        Self {
            id,
            source: source.to_owned(),
            started: Utc::now(),
            ended: None,
            outcome: Outcome::Running,
            counts: Counts::default(),
            pages: 0,
            announced: None,
            records: None,
            errors: Vec::new(),
            errors_dropped: 0,
            message: None,
            validation: None,
            received: 0,
            warnings: Vec::new(),
            warnings_dropped: 0,
            complete: false,
            incremental_since: None,
        }
    }

    /// Records a page's or a record's error; past [`MAX_RECORDED_ERRORS`] it is only counted.
    pub fn record_error(
        &mut self,
        record: impl Into<String>,
        stage: Stage,
        message: impl Into<String>,
    ) {
        capped_push(
            &mut self.errors,
            &mut self.errors_dropped,
            record,
            stage,
            message,
        );
    }

    /// Records what a record got wrong that did not stop it; capped like the errors.
    pub fn record_warning(
        &mut self,
        record: impl Into<String>,
        stage: Stage,
        message: impl Into<String>,
    ) {
        capped_push(
            &mut self.warnings,
            &mut self.warnings_dropped,
            record,
            stage,
            message,
        );
    }

    /// Ends a run that is not logged (a dry run); [`RunLog::finish`] for one that is.
    pub fn end(&mut self, outcome: Outcome, message: Option<String>) {
        self.outcome = outcome;
        self.ended = Some(Utc::now());
        if message.is_some() {
            self.message = message;
        }
    }

    pub fn error_count(&self) -> u64 {
        self.errors.len() as u64 + self.errors_dropped
    }
}

/// Keeps at most [`MAX_RECORDED_ERRORS`] entries; counts the others in `dropped`.
fn capped_push(
    list: &mut Vec<RecordError>,
    dropped: &mut u64,
    record: impl Into<String>,
    stage: Stage,
    message: impl Into<String>,
) {
    if list.len() < MAX_RECORDED_ERRORS {
        list.push(RecordError {
            record: record.into(),
            stage,
            message: message.into(),
        });
    } else {
        *dropped += 1;
    }
}

/// What Alzette remembers of a page it fetched.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
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

    /// Opens the run log at `path`; when it cannot be read (corrupt or truncated files), moves
    /// it aside to `PATH.damaged-TIME` and starts a fresh one, returning where the damaged one
    /// went. The run log is operational state: the store is the truth, nothing of it is lost.
    /// A log held by another process is not damaged: that is an error as with [`RunLog::open`].
    pub fn open_or_set_aside(path: &Path) -> Result<(Self, Option<PathBuf>), RunLogError> {
        match Self::open(path) {
            Ok(log) => Ok((log, None)),
            Err(e @ RunLogError::Locked { .. }) => Err(e),
            Err(RunLogError::Open { cause, .. }) if !is_damage(&cause) => Err(RunLogError::Open {
                path: path.to_owned(),
                cause,
            }),
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

/// Whether sled failed on what it read (corrupt, truncated, garbled files), as opposed to the
/// folder being out of reach (permissions), which moving it would not mend.
fn is_damage(e: &sled::Error) -> bool {
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
            etag: None,
            last_modified: None,
            body_hash: "h".into(),
            next: None,
            announced: None,
            records: vec![],
            fingerprint: "f".into(),
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
