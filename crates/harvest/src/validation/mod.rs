//! Validation at harvest: the configured shapes, read at the start of each run
//! ([`setup`]), and the background graph that vocabulary sources provide, applied to every
//! record before it is stored; the report and quality score kept beside the record
//! ([`report`]); and what a run's summary counts.

mod report;
mod setup;

pub(crate) use report::stored_report;
pub(crate) use setup::validator_for_run;

use crate::fetch::{ClientError, FetchError};
use crate::rdf_file::{RdfFileError, read_triples};
use alzette_dcat::{PageLimits, RecordGraph, RecordKind};
use alzette_quality::{QualityScore, Vocabularies, assess};
pub use alzette_runlog::ValidationSummary;
use alzette_shacl::{
    Background, DataGraph, Shapes, ShapesError, ValidationReport, ValidationResult,
};
use alzette_store::StoreError;
use oxrdf::{Graph, Triple};
use sha2::{Digest, Sha256};

/// Why a run's validator could not be made.
#[derive(Debug, thiserror::Error)]
pub enum ValidatorError {
    #[error("cannot read the shapes {url}: {}", cause.message)]
    Fetch { url: String, cause: FetchError },
    #[error("cannot read the shapes: {0}")]
    Read(#[from] RdfFileError),
    #[error("the shapes are not usable: {0}")]
    Shapes(#[from] ShapesError),
    #[error("cannot read the background vocabulary \"{id}\": {cause}")]
    Vocabulary { id: String, cause: StoreError },
    #[error(transparent)]
    Client(#[from] ClientError),
    #[error(
        "the validator's setup stopped unexpectedly ({0}); this is a bug in Alzette: please report it"
    )]
    Task(String),
}

/// Shapes and background a run validates its records with.
pub struct RecordValidator {
    shapes: Shapes,
    background: Background,
    /// What the quality score looks up in the same vocabularies.
    vocabularies: Vocabularies,
    /// Names the shapes and background, so that a stored report says what it was made with.
    fingerprint: String,
}

impl RecordValidator {
    /// `shapes`: the shapes graph, as (URL, content) documents read together within `limits`
    /// (the guard and limits of pages). The fingerprint
    /// covers the shapes' bytes and the background's triples, so a change of either shows in
    /// reports (and makes the next run re-read its pages).
    pub fn new(
        shapes: &[(String, Vec<u8>)],
        background: Vec<Triple>,
        limits: &PageLimits,
    ) -> Result<Self, ValidatorError> {
        let mut graph = Graph::new();
        let mut hash = Sha256::new();
        for (url, bytes) in shapes {
            hash.update(bytes);
            graph.extend(read_triples(bytes, url, url, limits)?);
        }
        let shapes = Shapes::from_graph(&graph)?;
        for warning in shapes.warnings() {
            tracing::warn!("validation shapes: {warning}");
        }
        // Background triples come in store order, which is stable for unchanged content.
        for t in &background {
            hash.update(t.to_string().as_bytes());
        }
        let vocabularies = Vocabularies::from_triples(&background);
        let background = Background::new(background);
        let fingerprint = alzette_dcat::hex(&hash.finalize()[..8]);
        Ok(Self {
            shapes,
            background,
            vocabularies,
            fingerprint,
        })
    }

    pub fn fingerprint(&self) -> &str {
        &self.fingerprint
    }

    /// Validates one record graph, with the background.
    pub fn validate(&self, record: &RecordGraph) -> ValidationReport {
        let data = DataGraph::over(&self.background, record.triples.iter().cloned());
        self.shapes.validate(&data)
    }

    /// data.europa.eu's quality score of a dataset record, DCAT-AP compliance being the
    /// validation's verdict; `None` for data services and series, which the MQA does not score.
    /// `reachable` says what the link checker knows of a URL (`None`: not checked).
    pub fn assess(
        &self,
        record: &RecordGraph,
        report: &ValidationReport,
        reachable: &dyn Fn(&str) -> Option<bool>,
    ) -> Option<QualityScore> {
        if !record.kinds.contains(&RecordKind::Dataset) {
            return None;
        }
        let graph: Graph = record.triples.iter().collect();
        Some(assess(
            &graph,
            record.resource.as_ref(),
            Some(report.violations() == 0),
            &self.vocabularies,
            reachable,
        ))
    }
}

/// Counts `report` into a run's summary.
pub fn summarize(
    summary: &mut ValidationSummary,
    report: &ValidationReport,
    quality: Option<&QualityScore>,
) {
    if let Some(q) = quality {
        summary.scored += 1;
        summary.score_tenths += (q.total() * 10.0).round() as u64;
        *summary
            .ratings
            .entry(q.rating().name().to_owned())
            .or_default() += 1;
    }
    summary.records += 1;
    if report.conforms() {
        summary.conforming += 1;
    }
    let violations = report.violations() as u64;
    if violations > 0 {
        summary.with_violations += 1;
    }
    summary.violations += violations;
    summary.warnings += report.warnings() as u64;
    for r in &report.results {
        *summary
            .by_constraint
            .entry(constraint_label(r))
            .or_default() += 1;
    }
}

/// "Violation dct:title MinCount", or the shape where there is no path.
pub fn constraint_label(r: &ValidationResult) -> String {
    let place = match &r.path {
        Some(path) => alzette_vocab::compact(&path.to_string()),
        None => alzette_vocab::compact(&r.source_shape.to_string()),
    };
    format!("{} {place} {}", r.severity_name(), r.component_name())
}
