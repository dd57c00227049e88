//! One harvest run: walk a source's pages, store their records, delete what the source no
//! longer has (only after a complete walk, within the shrink guard), and log it all.

use crate::fetch::Fetcher;
use crate::links::LinkChecker;
use crate::source::{DcatSource, PageContent, PageFailure, Source, SourcePage};
use crate::validation::{RecordValidator, summarize};
use alzette_config::{OnInvalid, QualityConfig, SourceConfig, SourceKind, ValidationConfig};
use alzette_dcat::RecordGraph;
use alzette_quality::QualityScore;
use alzette_runlog::PageCacheEntry;
use alzette_runlog::{Outcome, Run, RunLog, RunLogError, Stage};
use alzette_shacl::ValidationReport;
use alzette_store::{HarvestRun, Iris, RecordKey, RecordStore, StoreError, StoredReport, hex};
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
#[derive(Debug, Clone, Default)]
pub struct Plan {
    pub add: Vec<String>,
    pub update: Vec<String>,
    pub delete: Vec<String>,
}

/// A finished run.
#[derive(Debug, Clone)]
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

#[derive(Debug, thiserror::Error)]
pub enum HarvestError {
    #[error("source \"{0}\" is already being harvested")]
    AlreadyRunning(String),
    #[error("source \"{source_id}\": {message}")]
    Setup { source_id: String, message: String },
    #[error(transparent)]
    RunLog(#[from] RunLogError),
}

/// Runs harvests against one store and run log; never two runs of one source at once.
pub struct Harvester {
    store: Arc<RecordStore>,
    runlog: Arc<RunLog>,
    user_agent: String,
    running: Mutex<HashSet<String>>,
    /// Sources the scheduler has queued, running or waiting for a permit.
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

    /// The link checker's settings for the runs that start from now on.
    pub fn set_quality(&self, quality: QualityConfig) {
        *self.quality.write().expect("quality lock") = quality;
    }

    /// Whether `source` runs, or waits to (queued by the scheduler).
    fn is_running(&self, source: &str) -> bool {
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

    /// Validates the records of the runs that start from now on against these shapes.
    pub fn set_validation(&self, validation: ValidationConfig) {
        *self.validation.write().expect("validation lock") = validation;
    }

    /// The validator for a run: the configured shapes over the stored vocabularies.
    async fn validator(&self) -> Result<Option<Arc<RecordValidator>>, String> {
        let config = self.validation.read().expect("validation lock").clone();
        if config.shapes.is_empty() {
            return Ok(None);
        }
        // A background vocabulary being harvested, or waiting to be (at start, `serve` runs
        // every never-run source at once), is waited for: records validated without it would
        // all fail.
        let started = std::time::Instant::now();
        while config.background.iter().any(|id| self.is_running(id))
            && started.elapsed() < VOCABULARY_WAIT
        {
            tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        }
        // Shapes documents are read (files) or fetched (URLs) at each run, with the harvest's
        // default limits.
        let fetcher = Fetcher::new(&alzette_config::HarvestLimits::default(), &self.user_agent)?;
        let mut documents = Vec::with_capacity(config.shapes.len());
        let never = CancellationToken::new();
        for url in &config.shapes {
            match fetcher.fetch(url, None, &never).await {
                Ok(crate::fetch::Fetched::Body { body, .. }) => {
                    documents.push((url.to_string(), body.to_vec()));
                }
                Ok(crate::fetch::Fetched::NotModified) => {
                    return Err(format!("cannot read the shapes {url}: unexpected 304"));
                }
                Err(e) => return Err(format!("cannot read the shapes {url}: {}", e.message)),
            }
        }
        let store = Arc::clone(&self.store);
        tokio::task::spawn_blocking(move || {
            let mut triples = Vec::new();
            for id in &config.background {
                let vocabulary = store
                    .vocabulary(id)
                    .map_err(|e| format!("cannot read the vocabulary \"{id}\": {e}"))?;
                if vocabulary.is_empty() {
                    tracing::warn!(vocabulary = %id, "the background vocabulary is empty: harvest it first (`alzette harvest {id}`), or sh:class checks on its terms fail");
                }
                triples.extend(vocabulary);
            }
            RecordValidator::new(&documents, triples).map(|v| Some(Arc::new(v)))
        })
        .await
        .map_err(|e| e.to_string())?
    }

    pub fn runlog(&self) -> &Arc<RunLog> {
        &self.runlog
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
        if !self
            .running
            .lock()
            .expect("running lock")
            .insert(source.id.clone())
        {
            return Err(HarvestError::AlreadyRunning(source.id.clone()));
        }
        let _claim = Claim {
            harvester: self,
            source: &source.id,
        };

        let fetcher = Fetcher::new(&source.limits, &self.user_agent).map_err(|message| {
            HarvestError::Setup {
                source_id: source.id.clone(),
                message,
            }
        })?;
        let runlog = (!options.dry_run).then(|| Arc::clone(&self.runlog));
        if matches!(source.kind, SourceKind::Vocabulary) {
            return self
                .run_vocabulary(source, options, shutdown, &fetcher, runlog.as_deref())
                .await;
        }
        let validator = match self.validator().await {
            Ok(v) => v,
            Err(message) => {
                return Err(HarvestError::Setup {
                    source_id: source.id.clone(),
                    message: format!("validation: {message}"),
                });
            }
        };
        let quality = self.quality.read().expect("quality lock").clone();
        // Links are checked for scores, which need validation; never in a dry run.
        let links = match (&validator, quality.check_links && !options.dry_run) {
            (Some(_), true) => Some(LinkChecker::new(&quality, &self.user_agent).map_err(
                |message| HarvestError::Setup {
                    source_id: source.id.clone(),
                    message,
                },
            )?),
            _ => None,
        };
        // Other shapes, vocabularies or a new link-recheck period make pages be read again.
        let assessment = validator.as_ref().map(|v| match &links {
            Some(_) => format!(
                "{}|links {}",
                v.fingerprint(),
                crate::links::recheck_epoch(&quality)
            ),
            None => v.fingerprint().to_owned(),
        });
        // An incremental CSW run asks for changes since this date (None: a full run).
        let since = match &source.kind {
            SourceKind::Csw(opts) => self.incremental_since(source, opts),
            _ => None,
        };
        let walker: Box<dyn Source> = match &source.kind {
            SourceKind::Dcat(opts) => Box::new(DcatSource::new(
                source,
                opts,
                fetcher,
                runlog.clone(),
                Arc::clone(&self.store),
                assessment.as_deref(),
            )),
            SourceKind::Csw(opts) => Box::new(crate::csw::CswSource::new(
                source,
                opts,
                fetcher,
                self.store.iris().mint_base(&source.id),
                since.clone(),
            )),
            SourceKind::Iso19139(opts) => Box::new(crate::iso::IsoSource::new(
                source,
                opts,
                fetcher,
                self.store.iris().mint_base(&source.id),
            )),
            SourceKind::Vocabulary => unreachable!("vocabulary runs do not walk pages"),
        };

        let partial = walker.partial();
        let mut run = match &runlog {
            Some(log) => log.start(&source.id)?,
            // A dry run is not logged: run 0.
            None => Run::new(0, &source.id),
        };
        run.incremental_since = since;
        tracing::info!(source = %source.id, run = run.id, dry_run = options.dry_run, "run started");

        let cancel = shutdown.child_token();
        let deadline_hit = Arc::new(AtomicBool::new(false));
        let timer = tokio::spawn({
            let cancel = cancel.clone();
            let hit = Arc::clone(&deadline_hit);
            let deadline = source.limits.run_deadline;
            async move {
                tokio::time::sleep(deadline).await;
                hit.store(true, Ordering::SeqCst);
                cancel.cancel();
            }
        });

        let provenance = Arc::new(HarvestRun {
            id: run.id,
            started: run.started,
            source_url: source.url.to_string(),
        });
        let mut state = RunState {
            harvester: self,
            source,
            options,
            provenance,
            run: &mut run,
            seen: HashSet::new(),
            plan: Plan::default(),
            runlog: runlog.as_deref(),
            pending: Vec::new(),
            pending_pages: Vec::new(),
            visited: HashSet::new(),
            loading: None,
            validator,
            links,
            link_budget: quality.max_links_per_run,
        };
        if let Some(v) = &state.validator {
            state.run.validation = Some(alzette_runlog::ValidationSummary {
                shapes: v.fingerprint().to_owned(),
                ..Default::default()
            });
        }
        let walk = state.walk(walker, &cancel, progress).await;
        timer.abort();

        let (outcome, message) = if deadline_hit.load(Ordering::SeqCst) {
            (
                Outcome::Failed,
                Some(format!(
                    "the run was stopped at its deadline ({:?}, limit run_deadline); nothing was deleted",
                    source.limits.run_deadline
                )),
            )
        } else if shutdown.is_cancelled() {
            (
                Outcome::Interrupted,
                Some("stopped by shutdown; nothing was deleted".to_owned()),
            )
        } else {
            match walk {
                Walk::Fatal(message) => (Outcome::Failed, Some(message)),
                Walk::Incomplete(failure) if state.run.pages == 0 => (
                    Outcome::Failed,
                    Some(format!("{}: {}", failure.url, failure.message)),
                ),
                Walk::Incomplete(failure) => (
                    Outcome::OkWithErrors,
                    Some(format!(
                        "the walk stopped at {}: {}; nothing was deleted",
                        failure.url, failure.message
                    )),
                ),
                Walk::Complete if partial.is_some() => {
                    state.run.complete = true;
                    let outcome = if state.run.error_count() > 0 {
                        Outcome::OkWithErrors
                    } else {
                        Outcome::Ok
                    };
                    (outcome, partial)
                }
                Walk::Complete => {
                    state.run.complete = true;
                    state.forget_old_pages();
                    match state.delete_missing().await {
                        Err(message) => (Outcome::Failed, Some(message)),
                        Ok(guard) if guard.is_some() => (Outcome::OkWithErrors, guard),
                        Ok(_) if state.run.error_count() > 0 => (Outcome::OkWithErrors, None),
                        Ok(_) => (Outcome::Ok, None),
                    }
                }
            }
        };
        let plan = options.dry_run.then(|| std::mem::take(&mut state.plan));
        run.records = Some(self.store.count(Some(&source.id)) as u64);
        match &runlog {
            Some(log) => log.finish(&mut run, outcome, message)?,
            None => {
                run.outcome = outcome;
                run.ended = Some(chrono::Utc::now());
                run.message = message;
            }
        }
        tracing::info!(
            source = %source.id, run = run.id, outcome = %run.outcome,
            added = run.counts.added, updated = run.counts.updated, unchanged = run.counts.unchanged,
            deleted = run.counts.deleted, failed = run.counts.failed, pages = run.pages,
            detail = run.message.as_deref().unwrap_or(""), "run ended"
        );
        Ok(RunReport { run, plan })
    }
}

impl Harvester {
    /// A run of a vocabulary source: read every document, then replace the stored vocabulary
    /// in one transaction. Any failure keeps the vocabulary stored before.
    async fn run_vocabulary(
        &self,
        source: &SourceConfig,
        options: RunOptions,
        shutdown: &CancellationToken,
        fetcher: &Fetcher,
        runlog: Option<&RunLog>,
    ) -> Result<RunReport, HarvestError> {
        let mut run = match runlog {
            Some(log) => log.start(&source.id)?,
            None => Run::new(0, &source.id),
        };
        tracing::info!(source = %source.id, run = run.id, "vocabulary run started");
        let cancel = shutdown.child_token();
        let read = tokio::select! {
            read = crate::vocabulary::read(source, fetcher, &cancel) => read,
            () = tokio::time::sleep(source.limits.run_deadline) => Err(format!(
                "the run was stopped at its deadline ({:?}, limit run_deadline)",
                source.limits.run_deadline
            )),
        };
        let (outcome, message) = match read {
            Err(message) => {
                run.record_error(source.url.as_str(), Stage::Fetch, &message);
                let outcome = if shutdown.is_cancelled() {
                    Outcome::Interrupted
                } else {
                    Outcome::Failed
                };
                (
                    outcome,
                    Some(format!("{message}; the vocabulary stored before is kept")),
                )
            }
            Ok(read) if options.dry_run => (
                Outcome::Ok,
                Some(format!(
                    "{} triples in {} documents (dry run: not stored)",
                    read.triples.len(),
                    read.documents
                )),
            ),
            Ok(read) => {
                let documents = read.documents;
                run.pages = documents as u64;
                match crate::vocabulary::store(&self.store, &source.id, read).await {
                    Ok(triples) => {
                        run.counts.updated = 1;
                        (
                            Outcome::Ok,
                            Some(format!("{triples} triples in {documents} documents")),
                        )
                    }
                    Err(message) => (Outcome::Failed, Some(message)),
                }
            }
        };
        match runlog {
            Some(log) => log.finish(&mut run, outcome, message)?,
            None => {
                run.outcome = outcome;
                run.ended = Some(chrono::Utc::now());
                run.message = message;
            }
        }
        tracing::info!(source = %source.id, run = run.id, outcome = %run.outcome, detail = run.message.as_deref().unwrap_or(""), "vocabulary run ended");
        Ok(RunReport { run, plan: None })
    }

    /// For an incremental CSW source between full runs: the date to ask for changes from (a
    /// day before the last complete run started, as a date: catalogues compare modification
    /// dates as text, written with or without a time). `None` when this run must be full: the
    /// first, or the last full one is older than `full_every`.
    fn incremental_since(
        &self,
        source: &SourceConfig,
        options: &alzette_config::CswOptions,
    ) -> Option<String> {
        if !options.incremental {
            return None;
        }
        let runs = self.runlog.runs(Some(&source.id), 1000).ok()?;
        let last_full = runs
            .iter()
            .find(|r| r.complete && r.incremental_since.is_none())?;
        let full_every = chrono::Duration::from_std(options.full_every).ok()?;
        if chrono::Utc::now() - last_full.started >= full_every {
            return None;
        }
        let last_complete = runs.iter().find(|r| r.complete)?;
        Some(
            (last_complete.started - chrono::Duration::days(1))
                .format("%Y-%m-%d")
                .to_string(),
        )
    }
}

/// How long a run waits for a background vocabulary being harvested at the same time.
const VOCABULARY_WAIT: std::time::Duration = std::time::Duration::from_secs(600);

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

enum Walk {
    Complete,
    Incomplete(PageFailure),
    Fatal(String),
}

struct RunState<'a> {
    harvester: &'a Harvester,
    source: &'a SourceConfig,
    options: RunOptions,
    /// The run, as record versions name it in their provenance.
    provenance: Arc<HarvestRun>,
    run: &'a mut Run,
    /// Records the source still has: stored, unchanged, or failed this time but kept.
    seen: HashSet<RecordKey>,
    plan: Plan,
    runlog: Option<&'a RunLog>,
    /// New records waiting to be added in one bulk load.
    pending: Vec<RecordGraph>,
    /// Pages to remember once the pending records are stored.
    pending_pages: Vec<(String, PageCacheEntry)>,
    /// Page URLs visited in this walk.
    visited: HashSet<String>,
    /// The bulk load under way: its result, its size, its pages.
    loading: Option<tokio::task::JoinHandle<Loaded>>,
    /// Set when `[validation]` names shapes.
    validator: Option<Arc<RecordValidator>>,
    /// Set when `[quality] check_links`.
    links: Option<LinkChecker>,
    /// Links this run may still check.
    link_budget: usize,
}

/// What a background bulk load gives back: its result, how many records, the pages it stood for.
type Loaded = (
    Result<usize, StoreError>,
    usize,
    Vec<(String, PageCacheEntry)>,
);

/// New records are added in batches of this many: large bulk loads leave RocksDB far less
/// compaction work than one per page (about 200 MB of records in memory at most).
const ADD_BATCH: usize = 5_000;

impl RunState<'_> {
    /// Walks the source: the source fetches and splits the next page while this one is
    /// stored, one page ahead at most.
    async fn walk(
        &mut self,
        mut source: Box<dyn Source>,
        cancel: &CancellationToken,
        progress: &dyn Progress,
    ) -> Walk {
        let (pages, mut received) = tokio::sync::mpsc::channel(1);
        let walker_cancel = cancel.child_token();
        tokio::spawn({
            let cancel = walker_cancel.clone();
            async move {
                loop {
                    let page = source.next_page(&cancel).await;
                    let more = matches!(page, Ok(Some(_)));
                    if pages.send(page).await.is_err() || !more {
                        break;
                    }
                }
            }
        });
        // However the walk ends, the source stops.
        let _stop_source = walker_cancel.drop_guard();
        loop {
            let cancelled = || PageFailure {
                url: String::new(),
                stage: Stage::Page,
                message: "cancelled".into(),
                cancelled: true,
            };
            let page = tokio::select! {
                page = received.recv() => page,
                () = cancel.cancelled() => {
                    return self.flush().await.map_or_else(Walk::Fatal, |()| Walk::Incomplete(cancelled()));
                }
            };
            let page = match page {
                Some(Ok(Some(page))) => page,
                Some(Ok(None)) => {
                    return self
                        .flush()
                        .await
                        .map_or_else(Walk::Fatal, |()| Walk::Complete);
                }
                Some(Err(failure)) => {
                    if !failure.cancelled {
                        tracing::warn!(source = %self.source.id, url = %failure.url, stage = %failure.stage, "{}", failure.message);
                        self.run
                            .record_error(&failure.url, failure.stage, &failure.message);
                    }
                    // What the pages before gave is kept.
                    return self
                        .flush()
                        .await
                        .map_or_else(Walk::Fatal, |()| Walk::Incomplete(failure));
                }
                None => return Walk::Fatal("the source stopped unexpectedly".into()),
            };
            if let Err(message) = self.take_page(page).await {
                // A load under way still ends (and is counted) before the run does.
                let _ = self.finish_loading().await;
                return Walk::Fatal(message);
            }
            self.run.pages += 1;
            if let Some(log) = self.runlog {
                let _ = log.save(self.run);
            }
            progress.page(self.run);
        }
    }

    async fn take_page(&mut self, page: SourcePage) -> Result<(), String> {
        if page.announced.is_some() {
            self.run.announced = page.announced;
        }
        let SourcePage {
            url,
            content,
            cache,
            warnings,
            record_warnings,
            ..
        } = page;
        for w in warnings {
            tracing::warn!(source = %self.source.id, page = %url, "{w}");
            self.run.record_error(&url, Stage::Parse, w);
        }
        for (record, w) in record_warnings {
            tracing::debug!(source = %self.source.id, page = %url, record = %record, "{w}");
            self.run.record_warning(record, Stage::Map, w);
        }
        self.run.received += match &content {
            PageContent::Unchanged { keys } => keys.len(),
            PageContent::Records { records, problems } => records.len() + problems.len(),
        } as u64;
        self.visited.insert(url.clone());
        match content {
            PageContent::Unchanged { keys } => {
                for key in keys {
                    if self.seen.insert(key) {
                        self.run.counts.unchanged += 1;
                    }
                }
                if let (Some(log), Some(entry), false) = (self.runlog, cache, self.options.dry_run)
                {
                    let _ = log.put_page(&self.source.id, &url, &entry);
                }
                Ok(())
            }
            PageContent::Records { records, problems } => {
                let source_id = &self.source.id;
                let page_keys: Vec<String> = records
                    .iter()
                    .map(|r| hex(&Iris::record_key(r.resource.as_str())))
                    .collect();
                let clean = problems.is_empty();
                for p in problems {
                    tracing::warn!(source = %source_id, page = %url, record = %p.record, "{}", p.message);
                    self.run.record_error(
                        format!("{} (page {url})", p.record),
                        Stage::Split,
                        p.message,
                    );
                    self.run.counts.failed += 1;
                    // Its earlier version stays.
                    if let Some(iri) = p.resource {
                        self.seen.insert(Iris::record_key(&iri));
                    }
                }
                let mut fresh: Vec<RecordGraph> = Vec::with_capacity(records.len());
                for r in records {
                    if self.seen.insert(Iris::record_key(r.resource.as_str())) {
                        fresh.push(r);
                    } else {
                        tracing::debug!(source = %source_id, resource = %r.resource, "already harvested in this run; the first version is kept");
                        self.run.counts.duplicates += 1;
                        self.run.record_warning(
                            format!("<{}> (page {url})", r.resource),
                            Stage::Split,
                            "an earlier record of this run describes the same resource; the first is kept",
                        );
                    }
                }
                let rejected_before = self.run.counts.rejected;
                let all_links_known = self.check_links(&fresh).await;
                let (fresh, reports) = match self.validator.clone() {
                    Some(v) => self.validate(&v, fresh),
                    None => (fresh, Vec::new()),
                };
                // A page with rejected records is read again next time, to report them again;
                // so is a page with links left unchecked (the run's link budget ran out).
                let clean = clean && self.run.counts.rejected == rejected_before && all_links_known;
                let cache = cache.filter(|_| clean).map(|mut entry| {
                    entry.records = page_keys;
                    (url.clone(), entry)
                });
                self.store(fresh, &url, cache).await?;
                self.store_reports(reports, &url).await
            }
        }
    }

    /// Validates a page's records; returns those to store, with their reports. A record with
    /// violations from a source with `on_invalid = "reject"` is left out (its earlier version,
    /// if any, stays: it was seen).
    fn validate(
        &mut self,
        validator: &RecordValidator,
        records: Vec<RecordGraph>,
    ) -> (Vec<RecordGraph>, Vec<StoredReport>) {
        let mut kept = Vec::with_capacity(records.len());
        let mut reports = Vec::with_capacity(records.len());
        for record in records {
            let report = validator.validate(&record);
            let runlog = &self.harvester.runlog;
            let reachable = |url: &str| {
                self.links
                    .as_ref()
                    .and_then(|_| crate::links::reachable(runlog, url))
            };
            let quality = validator.assess(&record, &report, &reachable);
            if let Some(summary) = self.run.validation.as_mut() {
                summarize(summary, &report, quality.as_ref());
            }
            let violations = report.violations();
            if violations > 0 && self.source.on_invalid == OnInvalid::Reject {
                self.run.counts.rejected += 1;
                let first = report
                    .results
                    .iter()
                    .find(|r| r.severity_name() == "Violation")
                    .map(|r| {
                        format!(
                            "{}: {}",
                            crate::validation::constraint_label(r),
                            r.message()
                        )
                    })
                    .unwrap_or_default();
                self.run.record_error(
                    record.resource.as_str(),
                    Stage::Validate,
                    format!("rejected (on_invalid = \"reject\"): {violations} SHACL violations, e.g. {first}"),
                );
                continue;
            }
            let node = self
                .harvester
                .store
                .assessment_graph(&self.source.id, &Iris::record_key(record.resource.as_str()));
            reports.push(stored_report(
                &record,
                &report,
                quality.as_ref(),
                validator.fingerprint(),
                node,
            ));
            kept.push(record);
        }
        (kept, reports)
    }

    /// Checks the access and download URLs of a page's records whose result is missing or
    /// stale, within the run's budget. Returns whether every one now has a result.
    async fn check_links(&mut self, records: &[RecordGraph]) -> bool {
        let Some(links) = &self.links else {
            return true;
        };
        let mut urls: Vec<String> = Vec::new();
        for r in records {
            for t in &r.triples {
                if t.predicate == alzette_vocab::dcat::ACCESS_URL
                    || t.predicate == alzette_vocab::dcat::DOWNLOAD_URL
                {
                    let url = match &t.object {
                        oxrdf::Term::NamedNode(n) => n.as_str().to_owned(),
                        oxrdf::Term::Literal(l) => l.value().to_owned(),
                        oxrdf::Term::BlankNode(_) => continue,
                    };
                    if !urls.contains(&url) {
                        urls.push(url);
                    }
                }
            }
        }
        let runlog = &self.harvester.runlog;
        let checked = links
            .check_stale(&urls, runlog, &mut self.link_budget)
            .await;
        if let Some(summary) = self.run.validation.as_mut() {
            summary.links_checked += checked as u64;
        }
        urls.iter().all(|u| runlog.link(u).ok().flatten().is_some())
    }

    /// Writes the reports that differ from the stored ones.
    async fn store_reports(&mut self, reports: Vec<StoredReport>, url: &str) -> Result<(), String> {
        if reports.is_empty() || self.options.dry_run {
            return Ok(());
        }
        let store = Arc::clone(&self.harvester.store);
        let source = self.source.id.clone();
        let written = tokio::task::spawn_blocking(move || store.put_reports(&source, &reports))
            .await
            .map_err(|e| e.to_string())?;
        match written {
            Ok(_) => Ok(()),
            Err(e) => {
                self.run.record_error(url, Stage::Store, e.to_string());
                Err(store_failure(&e))
            }
        }
    }

    /// Stores a page's records: changed ones at once, new ones into the pending batch. The
    /// page is remembered (validators, records) once all of its records are stored.
    async fn store(
        &mut self,
        records: Vec<RecordGraph>,
        url: &str,
        cache: Option<(String, PageCacheEntry)>,
    ) -> Result<(), String> {
        let store = Arc::clone(&self.harvester.store);
        let source = self.source.id.clone();
        let sorted = tokio::task::spawn_blocking(move || store.sort(&source, records))
            .await
            .map_err(|e| e.to_string())?
            .map_err(|e| store_failure(&e))?;
        self.run.counts.unchanged += sorted.unchanged as u64;
        if self.options.dry_run {
            self.run.counts.added += sorted.new.len() as u64;
            self.run.counts.updated += sorted.changed.len() as u64;
            self.plan
                .add
                .extend(sorted.new.iter().map(|r| r.resource.to_string()));
            self.plan
                .update
                .extend(sorted.changed.iter().map(|r| r.resource.to_string()));
            return Ok(());
        }
        if !sorted.changed.is_empty() {
            let store = Arc::clone(&self.harvester.store);
            let source = self.source.id.clone();
            let count = sorted.changed.len();
            let changed = sorted.changed;
            let provenance = Arc::clone(&self.provenance);
            let updated = tokio::task::spawn_blocking(move || {
                store.update(&source, &changed, chrono::Utc::now(), &provenance)
            })
            .await
            .map_err(|e| e.to_string())?;
            match updated {
                Ok(n) => self.run.counts.updated += n as u64,
                Err(e) => {
                    self.run.counts.failed += count as u64;
                    self.run.record_error(url, Stage::Store, e.to_string());
                    return Err(store_failure(&e));
                }
            }
        }
        self.pending.extend(sorted.new);
        self.pending_pages.extend(cache);
        if self.pending.len() >= ADD_BATCH {
            self.start_flush().await?;
        }
        Ok(())
    }

    /// Starts adding the pending new records in one bulk load, in the background: the walk
    /// goes on meanwhile. One load at a time; the one before is finished first.
    async fn start_flush(&mut self) -> Result<(), String> {
        self.finish_loading().await?;
        let records = std::mem::take(&mut self.pending);
        let pages = std::mem::take(&mut self.pending_pages);
        let store = Arc::clone(&self.harvester.store);
        let source = self.source.id.clone();
        let provenance = Arc::clone(&self.provenance);
        self.loading = Some(tokio::task::spawn_blocking(move || {
            let added = store.add(&source, &records, chrono::Utc::now(), &provenance);
            (added, records.len(), pages)
        }));
        Ok(())
    }

    /// Waits for the bulk load under way, counts it, and remembers its pages.
    async fn finish_loading(&mut self) -> Result<(), String> {
        let Some(loading) = self.loading.take() else {
            return Ok(());
        };
        let (added, count, pages) = loading.await.map_err(|e| e.to_string())?;
        match added {
            Ok(n) => self.run.counts.added += n as u64,
            Err(e) => {
                // The batch is not stored; nothing earlier is touched (the bulk load is
                // atomic). The store failing is not the source's fault: stop the run.
                self.run.counts.failed += count as u64;
                self.run
                    .record_error(&self.source.id, Stage::Store, e.to_string());
                return Err(store_failure(&e));
            }
        }
        if let Some(log) = self.runlog {
            for (url, entry) in pages {
                let _ = log.put_page(&self.source.id, &url, &entry);
            }
        }
        Ok(())
    }

    /// Adds every pending new record and waits until they are stored.
    async fn flush(&mut self) -> Result<(), String> {
        if !self.pending.is_empty() || !self.pending_pages.is_empty() {
            self.start_flush().await?;
        }
        self.finish_loading().await
    }

    /// After a complete walk, the pages not visited are no longer the source's.
    fn forget_old_pages(&self) {
        if let Some(log) = self.runlog
            && let Err(e) = log.retain_pages(&self.source.id, &self.visited)
        {
            tracing::warn!(source = %self.source.id, "cannot prune remembered pages: {e}");
        }
    }

    /// Deletes the records the source no longer has, unless that is more than the source's
    /// `max_shrink` share of its records. Returns the guard's message when it held.
    async fn delete_missing(&mut self) -> Result<Option<String>, String> {
        let store = Arc::clone(&self.harvester.store);
        let source = self.source.id.clone();
        let stored = store.record_keys(&source);
        let missing: HashSet<RecordKey> = stored
            .iter()
            .filter(|k| !self.seen.contains(*k))
            .copied()
            .collect();
        if missing.is_empty() {
            return Ok(None);
        }
        let share = missing.len() as f64 / stored.len() as f64;
        let limit = self.source.limits.max_shrink;
        if share > limit && !self.options.allow_shrink {
            let message = format!(
                "shrink guard: {} of the source's {} records ({:.0}%) are missing from it, more than max_shrink ({:.0}%); nothing was deleted. \
                 If the source really shrank, run `alzette harvest {} --allow-shrink`",
                missing.len(),
                stored.len(),
                share * 100.0,
                limit * 100.0,
                self.source.id
            );
            tracing::warn!(source = %self.source.id, "{message}");
            return Ok(Some(message));
        }
        if self.options.dry_run {
            for key in &missing {
                let iri = store
                    .resource_of(&source, key)
                    .ok()
                    .flatten()
                    .map_or_else(|| hex(key), |n| n.to_string());
                self.plan.delete.push(iri);
            }
            self.run.counts.deleted = missing.len() as u64;
            return Ok(None);
        }
        let deleted = tokio::task::spawn_blocking(move || store.delete(&source, &missing))
            .await
            .map_err(|e| e.to_string())?;
        match deleted {
            Ok(n) => {
                self.run.counts.deleted = n as u64;
                Ok(None)
            }
            Err(e) => {
                self.run
                    .record_error(&self.source.id, Stage::Delete, e.to_string());
                Err(store_failure(&e))
            }
        }
    }
}

/// A report as the store keeps it: its triples about the record's report node, and a digest of
/// its results (not of its blank node labels, which are new each time).
fn stored_report(
    record: &RecordGraph,
    report: &ValidationReport,
    quality: Option<&QualityScore>,
    shapes: &str,
    node: oxrdf::NamedNode,
) -> StoredReport {
    use sha2::{Digest, Sha256};
    let key = Iris::record_key(record.resource.as_str());
    let mut rows: Vec<String> = report
        .results
        .iter()
        .map(|r| {
            format!(
                "{}|{}|{:?}|{:?}|{}|{}",
                r.severity,
                r.focus_node,
                r.path.as_ref().map(ToString::to_string),
                r.value.as_ref().map(ToString::to_string),
                r.component,
                // A shape written as a blank node gets a new label each time the shapes are
                // read: its label would make every report look new at every run.
                match &r.source_shape {
                    oxrdf::Term::BlankNode(_) => "[]".to_owned(),
                    shape => shape.to_string(),
                }
            )
        })
        .collect();
    rows.sort();
    if let Some(q) = quality {
        rows.extend(
            q.measurements
                .iter()
                .map(|m| format!("{:?}={}/{}", m.metric, m.points, m.measured)),
        );
    }
    let mut hash = Sha256::new();
    hash.update(shapes.as_bytes());
    for row in &rows {
        hash.update(row.as_bytes());
        hash.update(b"\n");
    }
    let mut graph = oxrdf::Graph::new();
    report.write(&mut graph, node.into());
    if let Some(q) = quality {
        q.write(&mut graph, record.resource.as_ref().into());
    }
    StoredReport {
        key,
        resource: record.resource.clone(),
        digest: hex(&hash.finalize()[..16]),
        shapes: shapes.to_owned(),
        triples: graph.iter().map(|t| t.into_owned()).collect(),
    }
}

fn store_failure(e: &StoreError) -> String {
    format!("the store refused a write ({e}); check the disk and the store folder")
}
