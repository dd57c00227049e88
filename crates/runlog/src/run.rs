//! One harvest run as the log keeps it: when, how it ended, what it counted, and which records
//! failed and why.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use std::fmt;

/// At most this many record errors are kept per run; the rest are counted.
pub const MAX_RECORDED_ERRORS: usize = 1000;

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
    /// Of those, the ones another source's record of the same resource shadows (published
    /// from there instead, docs/federation.md), by that source, after the run.
    #[serde(default, skip_serializing_if = "std::collections::BTreeMap::is_empty")]
    pub shadowed_by: std::collections::BTreeMap<String, u64>,
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
            shadowed_by: Default::default(),
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
