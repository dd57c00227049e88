//! The harvester: runs harvests against one store and run log, never two of one source at once.
//! [`Harvester::run`] reads as the pipeline does (docs/architecture.md): claim the source, set
//! up what records are assessed with, open the source, walk it through the pipeline, delete
//! what it no longer has when the walk was complete, and log how the run ended.

use crate::errors::{HarvestError, SetupError};
use crate::fetch::Fetcher;
use crate::links::{LinkChecker, recheck_epoch};
use crate::outcome::{RunEnd, Stop, Sweep, may_sweep, verdict};
use crate::pipeline::{Assessment, Pipeline};
use crate::policy::UrlPolicy;
use crate::sources::{
    self, CswSource, DcatSource, IsoSource, Source, incremental_since, vocabulary,
};
use crate::validation::{RecordValidator, validator_for_run};
use crate::writer::RecordWriter;
use alzette_config::{QualityConfig, SourceConfig, SourceKind, ValidationConfig};
use alzette_runlog::{Run, RunLog, ValidationSummary};
use alzette_store::{HarvestRun, RecordStore};
use std::collections::HashSet;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, RwLock};
use tokio_util::sync::CancellationToken;

/// How to run.
#[derive(Debug, Clone, Copy, Default)]
pub struct RunOptions {
    /// Work out what would change, write nothing (not even the run log).
    pub dry_run: bool,
    /// Delete missing records even beyond the source's `max_shrink`.
    pub allow_shrink: bool,
}

/// What a dry run would have done, by resource IRI.
#[derive(Debug, Clone, Default, serde::Serialize)]
pub struct Plan {
    pub add: Vec<String>,
    pub update: Vec<String>,
    pub delete: Vec<String>,
}

/// A finished run.
#[derive(Debug, Clone, serde::Serialize)]
pub struct RunReport {
    pub run: Run,
    /// Set for dry runs.
    pub plan: Option<Plan>,
}

/// Told about a run's progress after each page.
pub trait Progress: Send + Sync {
    fn page(&self, run: &Run);
}

/// Progress that goes nowhere.
pub struct Quiet;

impl Progress for Quiet {
    fn page(&self, _: &Run) {}
}

/// Runs harvests against one store and run log; never two runs of one source at once.
pub struct Harvester {
    store: Arc<RecordStore>,
    runlog: Arc<RunLog>,
    user_agent: String,
    /// Sources with a run under way.
    running: Mutex<HashSet<String>>,
    /// Sources the scheduler has queued, waiting for a permit or running.
    queued: Mutex<HashSet<String>>,
    validation: RwLock<ValidationConfig>,
    quality: RwLock<QualityConfig>,
}

impl Harvester {
    pub fn new(
        store: Arc<RecordStore>,
        runlog: Arc<RunLog>,
        user_agent: impl Into<String>,
    ) -> Self {
        Self {
            store,
            runlog,
            user_agent: user_agent.into(),
            running: Mutex::new(HashSet::new()),
            queued: Mutex::new(HashSet::new()),
            validation: RwLock::new(ValidationConfig::default()),
            quality: RwLock::new(QualityConfig::default()),
        }
    }

    /// Validates the records of the runs that start from now on against these shapes.
    pub fn set_validation(&self, validation: ValidationConfig) {
        *self.validation.write().expect("validation lock") = validation;
    }

    /// The link checker's settings for the runs that start from now on.
    pub fn set_quality(&self, quality: QualityConfig) {
        *self.quality.write().expect("quality lock") = quality;
    }

    pub fn runlog(&self) -> &Arc<RunLog> {
        &self.runlog
    }

    /// Whether `source` has a run under way or waits for one (queued by the scheduler).
    fn is_busy(&self, source: &str) -> bool {
        self.running.lock().expect("running lock").contains(source)
            || self.queued.lock().expect("queue lock").contains(source)
    }

    /// The scheduler's queue: `source` waits for a permit. False when it already waits or runs.
    pub(crate) fn queue(&self, source: &str) -> bool {
        !self.running.lock().expect("running lock").contains(source)
            && self
                .queued
                .lock()
                .expect("queue lock")
                .insert(source.to_owned())
    }

    pub(crate) fn unqueue(&self, source: &str) {
        self.queued.lock().expect("queue lock").remove(source);
    }

    /// Runs one harvest of `source`. `shutdown` stops it between records (the run is then
    /// `interrupted`); the source's `run_deadline` stops it too (the run then `failed`).
    pub async fn run(
        &self,
        source: &SourceConfig,
        options: RunOptions,
        shutdown: &CancellationToken,
        progress: &dyn Progress,
    ) -> Result<RunReport, HarvestError> {
        let _claim = self.claim(&source.id)?;
        let setup = |error: SetupError| HarvestError::Setup {
            source_id: source.id.clone(),
            error,
        };
        let policy = UrlPolicy::for_source(source);
        let fetcher = Fetcher::new(&source.limits, &self.user_agent, policy.clone())
            .map_err(|e| setup(e.into()))?;
        let runlog = (!options.dry_run).then(|| Arc::clone(&self.runlog));
        if matches!(source.kind, SourceKind::Vocabulary) {
            return Ok(
                vocabulary::run(&self.store, runlog.as_deref(), source, shutdown, &fetcher).await?,
            );
        }

        // What records are validated and scored with; the links they name are checked under
        // the source's rule for private addresses.
        let assessment = self
            .assessment(options, policy.private_allowed())
            .await
            .map_err(setup)?;
        let fingerprint = assessment.as_ref().map(|a| {
            // Other shapes, vocabularies or a new link-recheck period make pages be read again.
            let quality = self.quality.read().expect("quality lock");
            match &a.links {
                Some(_) => format!(
                    "{}|links {}",
                    a.validator.fingerprint(),
                    recheck_epoch(&quality)
                ),
                None => a.validator.fingerprint().to_owned(),
            }
        });

        // The source, and the run it is walked in.
        let since = match &source.kind {
            SourceKind::Csw(opts) => {
                let runs = self.runlog.runs(Some(&source.id), 1000).unwrap_or_default();
                incremental_since(opts, &runs, chrono::Utc::now())
            }
            _ => None,
        };
        let walker = self.open_source(
            source,
            fetcher,
            runlog.clone(),
            fingerprint.as_deref(),
            since.clone(),
        );
        let partial = walker.partial();
        let mut run = match &runlog {
            Some(log) => log.start(&source.id)?,
            // A dry run is not logged: run 0.
            None => Run::new(0, &source.id),
        };
        run.incremental_since = since;
        run.validation = assessment.as_ref().map(|a| ValidationSummary {
            shapes: a.validator.fingerprint().to_owned(),
            ..Default::default()
        });
        tracing::info!(source = %source.id, run = run.id, dry_run = options.dry_run, "run started");
        let provenance = Arc::new(HarvestRun {
            id: run.id,
            started: run.started,
            source_url: source.url.to_string(),
        });

        // The walk, within the run's deadline.
        let cancel = shutdown.child_token();
        let deadline = Deadline::start(source.limits.run_deadline, &cancel);
        let mut pipeline = Pipeline {
            source,
            options,
            writer: RecordWriter::new(
                Arc::clone(&self.store),
                runlog.clone(),
                &source.id,
                provenance,
                options.dry_run,
            ),
            run: &mut run,
            store: Arc::clone(&self.store),
            runlog: Arc::clone(&self.runlog),
            assessment,
            seen: HashSet::new(),
            visited: HashSet::new(),
        };
        let walk = pipeline.walk(walker, &cancel, progress).await;
        let stop = deadline.stop(shutdown);

        // What the source no longer has, deleted after a complete walk.
        let sweep = if may_sweep(&walk, stop, partial.as_deref()) {
            pipeline.sweep().await
        } else {
            Sweep::NotDone
        };
        let plan = options
            .dry_run
            .then(|| std::mem::take(&mut pipeline.writer.plan));
        drop(pipeline);

        // How the run ended.
        let verdict = verdict(&RunEnd {
            walk: &walk,
            stop,
            pages: run.pages,
            partial: partial.as_deref(),
            sweep: &sweep,
            errors: run.error_count(),
        });
        run.complete = verdict.complete;
        run.records = Some(self.store.count(Some(&source.id)) as u64);
        match self.store.federation_counts() {
            Ok(counts) => {
                if let Some(c) = counts.get(&source.id) {
                    run.shadowed_by = c
                        .shadowed_by
                        .iter()
                        .map(|(s, n)| (s.clone(), *n as u64))
                        .collect();
                }
            }
            Err(e) => {
                tracing::warn!(source = %source.id, "cannot count the records other sources shadow: {e}")
            }
        }
        match &runlog {
            Some(log) => log.finish(&mut run, verdict.outcome, verdict.message)?,
            None => run.end(verdict.outcome, verdict.message),
        }
        tracing::info!(
            source = %source.id, run = run.id, outcome = %run.outcome,
            added = run.counts.added, updated = run.counts.updated, unchanged = run.counts.unchanged,
            deleted = run.counts.deleted, failed = run.counts.failed, pages = run.pages,
            detail = run.message.as_deref().unwrap_or(""), "run ended"
        );
        Ok(RunReport { run, plan })
    }

    /// Marks `source` as running until the claim is dropped.
    fn claim<'a>(&'a self, source: &'a str) -> Result<Claim<'a>, HarvestError> {
        if self
            .running
            .lock()
            .expect("running lock")
            .insert(source.to_owned())
        {
            Ok(Claim {
                harvester: self,
                source,
            })
        } else {
            Err(HarvestError::AlreadyRunning(source.to_owned()))
        }
    }

    /// The validator and link checker of a run (`None` when `[validation]` names no shapes).
    /// Links are checked for scores, which need validation; never in a dry run.
    async fn assessment(
        &self,
        options: RunOptions,
        private_allowed: bool,
    ) -> Result<Option<Assessment>, SetupError> {
        let config = self.validation.read().expect("validation lock").clone();
        let busy = |id: &str| self.is_busy(id);
        let Some(validator) =
            validator_for_run(config, Arc::clone(&self.store), &self.user_agent, &busy).await?
        else {
            return Ok(None);
        };
        let quality = self.quality.read().expect("quality lock").clone();
        let links = match quality.check_links && !options.dry_run {
            true => Some(LinkChecker::new(
                &quality,
                &self.user_agent,
                UrlPolicy::any_origin(private_allowed),
            )?),
            false => None,
        };
        Ok(Some(Assessment {
            validator: validator as Arc<RecordValidator>,
            links,
            link_budget: quality.max_links_per_run,
        }))
    }

    /// The source of a run, by kind.
    fn open_source(
        &self,
        source: &SourceConfig,
        fetcher: Fetcher,
        runlog: Option<Arc<RunLog>>,
        fingerprint: Option<&str>,
        since: Option<String>,
    ) -> Box<dyn Source> {
        let normaliser = sources::normaliser(&self.store, source);
        match &source.kind {
            SourceKind::Dcat(opts) => Box::new(DcatSource::new(
                source,
                opts,
                fetcher,
                runlog,
                Arc::clone(&self.store),
                fingerprint,
            )),
            SourceKind::Csw(opts) => {
                Box::new(CswSource::new(source, opts, fetcher, normaliser, since))
            }
            SourceKind::Iso19139(opts) => {
                Box::new(IsoSource::new(source, opts, fetcher, normaliser))
            }
            SourceKind::Vocabulary => unreachable!("vocabulary runs do not walk pages"),
        }
    }
}

/// A run's deadline: cancels the run's token when `run_deadline` passes.
struct Deadline {
    limit: std::time::Duration,
    hit: Arc<AtomicBool>,
    timer: tokio::task::JoinHandle<()>,
}

impl Deadline {
    fn start(limit: std::time::Duration, cancel: &CancellationToken) -> Self {
        let hit = Arc::new(AtomicBool::new(false));
        let timer = tokio::spawn({
            let (cancel, hit) = (cancel.clone(), Arc::clone(&hit));
            async move {
                tokio::time::sleep(limit).await;
                hit.store(true, Ordering::SeqCst);
                cancel.cancel();
            }
        });
        Self { limit, hit, timer }
    }

    /// What stopped the run from outside, once its walk is over.
    fn stop(self, shutdown: &CancellationToken) -> Stop {
        self.timer.abort();
        if self.hit.load(Ordering::SeqCst) {
            Stop::Deadline(self.limit)
        } else if shutdown.is_cancelled() {
            Stop::Shutdown
        } else {
            Stop::None
        }
    }
}

/// Releases the source when the run ends, however it ends.
struct Claim<'a> {
    harvester: &'a Harvester,
    source: &'a str,
}

impl Drop for Claim<'_> {
    fn drop(&mut self) {
        self.harvester
            .running
            .lock()
            .expect("running lock")
            .remove(self.source);
    }
}
