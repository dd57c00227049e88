//! What each subcommand does: open what it needs, call the library, print.

use crate::OutputFormat;
use crate::admin::{DaemonAdmin, admin_token};
use crate::output::{out, outln};
use crate::progress::TerminalProgress;
use crate::tables;
use alzette_config::{Config, DamagedRunlog, SourceConfig};
use alzette_harvest::{Harvester, RunOptions, ScheduleBoard, Scheduler};
use alzette_runlog::{Outcome, Run, RunLog, RunLogError};
use alzette_server::{
    AdminAccess, AppState, ScheduleState, ScheduleView, SkippedFirings, SourceList, SourceSummary,
    WorkerCommand,
};
use alzette_store::{CatalogDescription, FederationRules, RecordStore, SourceDescription};
use anyhow::{Context, Result, bail};
use std::process::ExitCode;
use std::sync::{Arc, Mutex, RwLock};
use tokio_util::sync::CancellationToken;

/// Exit code of `harvest` when the run ended `ok-with-errors`.
const EXIT_WITH_ERRORS: u8 = 3;

/// The run log, set aside and started afresh when it cannot be read (unless the configuration
/// says to refuse): it is operational state, and the store holds every record either way.
fn open_runlog(config: &Config) -> Result<RunLog, RunLogError> {
    let path = &config.store.runlog;
    match config.store.damaged_runlog {
        DamagedRunlog::SetAside => {
            let (log, aside) = RunLog::open_or_set_aside(path)?;
            if let Some(aside) = aside {
                eprintln!(
                    "warning: the run log could not be read; it was moved to {} and a fresh one started (the store keeps every record)",
                    aside.display()
                );
            }
            Ok(log)
        }
        DamagedRunlog::Refuse => RunLog::open(path),
    }
}

fn open(config: &Config) -> Result<(Arc<RecordStore>, Arc<RunLog>)> {
    let runlog = open_runlog(config).map_err(|e| match e {
        RunLogError::Open { .. } | RunLogError::Storage { .. } | RunLogError::Decode { .. }
            if config.store.damaged_runlog == DamagedRunlog::Refuse =>
        {
            anyhow::anyhow!(
                "{e}\n  the run log is operational state only (the store keeps every record): move it aside (`mv {0} {0}.damaged`) to start a fresh one, or set [store] damaged_runlog = \"set-aside\"",
                config.store.runlog.display()
            )
        }
        e => e.into(),
    })?;
    let store = RecordStore::open(&config.store.path, config.server.base_uri.as_str())?;
    if runlog.is_fresh()? {
        // A new (or set-aside) run log: its runs continue the store's numbering.
        runlog.ensure_run_ids_above(store.highest_run_id()?)?;
    }
    for run in runlog.close_interrupted()? {
        tracing::warn!(source = %run.source, run = run.id, started = %run.started, "a run left open by a stopped process is marked interrupted");
    }
    describe_sources(&store, config)?;
    store.set_tombstone_retention(config.store.tombstone_retention);
    let purged = store.purge_tombstones()?;
    if purged > 0 {
        tracing::info!(
            purged,
            "tombstones older than store.tombstone_retention dropped"
        );
    }
    Ok((Arc::new(store), Arc::new(runlog)))
}

/// Writes the federation catalogue and one catalogue per configured source.
pub fn describe_sources(store: &RecordStore, config: &Config) -> Result<()> {
    let sources: Vec<SourceDescription> = config
        .sources
        .iter()
        .map(|s| SourceDescription {
            id: s.id.clone(),
            title: s.title.clone().unwrap_or_else(|| s.id.clone()),
            url: s.url.to_string(),
        })
        .collect();
    let catalog = CatalogDescription {
        title: config.catalog.title.clone(),
        description: config.catalog.description.clone(),
        publisher_name: config.catalog.publisher_name.clone(),
        publisher_iri: config
            .catalog
            .publisher_uri
            .as_ref()
            .map(ToString::to_string),
    };
    store.describe_catalogs(&catalog, &sources)?;
    // Identity and precedence across sources: worked out again when they change.
    store.set_federation_rules(federation_rules(config));
    Ok(())
}

/// Each source's priority and match keys.
pub fn federation_rules(config: &Config) -> FederationRules {
    config
        .sources
        .iter()
        .fold(FederationRules::default(), |rules, s| {
            rules.source(&s.id, s.priority, &s.match_on)
        })
}

/// Cancelled on Ctrl-C or SIGTERM.
fn shutdown_on_signals() -> CancellationToken {
    let token = CancellationToken::new();
    let t = token.clone();
    tokio::spawn(async move {
        let ctrl_c = tokio::signal::ctrl_c();
        #[cfg(unix)]
        {
            let mut term =
                tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
                    .expect("SIGTERM handler");
            tokio::select! {
                _ = ctrl_c => {}
                _ = term.recv() => {}
            }
        }
        #[cfg(not(unix))]
        let _ = ctrl_c.await;
        tracing::info!("stopping: runs stop between records and are marked interrupted");
        t.cancel();
    });
    token
}

pub async fn serve(config: Config) -> Result<ExitCode> {
    let (store, runlog) = open(&config)?;
    let harvester = Arc::new(Harvester::new(
        Arc::clone(&store),
        Arc::clone(&runlog),
        config.harvest.user_agent.clone(),
    ));
    harvester.set_validation(config.validation.clone());
    harvester.set_quality(config.quality.clone());
    let shutdown = shutdown_on_signals();
    let token = admin_token(&config)?;
    let bind = config.server.bind;
    let listener = tokio::net::TcpListener::bind(bind).await.with_context(|| {
        format!("cannot listen on {bind} (is another server using it? change [server] bind)")
    })?;
    let (scheduler, control) = Scheduler::new(
        Arc::clone(&harvester),
        config.sources.clone(),
        config.harvest.max_concurrent_runs,
    );
    let sources = Arc::new(SourceList::new(
        config.sources.iter().map(summary).collect(),
    ));
    let catalog = Arc::new(RwLock::new(config.catalog.clone()));
    let daemon = Arc::new(DaemonAdmin {
        scheduler: control,
        harvester,
        store: Arc::clone(&store),
        sources: Arc::clone(&sources),
        catalog: Arc::clone(&catalog),
        config: Mutex::new(config.clone()),
    });
    reload_on_sighup(Arc::clone(&daemon), shutdown.clone());
    match &token {
        Some(_) => tracing::info!(
            "admin API on at {}api/admin/ (bearer token)",
            config.server.base_uri
        ),
        None => tracing::info!(
            "admin API off: set [server] admin_token or ALZETTE_ADMIN_TOKEN to turn it on"
        ),
    }
    let board = daemon.scheduler.board();
    let admin = token.map(|token| AdminAccess {
        token,
        actions: daemon as Arc<dyn alzette_server::Admin>,
    });
    let state = AppState::new(
        Arc::clone(&store),
        Arc::clone(&runlog),
        config.server.clone(),
        catalog,
        sources,
        admin,
        query_workers(&config)?,
    )
    .with_schedule(Arc::new(ScheduleOf(board)));
    tracing::info!(
        "serving http://{bind}/ — catalogue {}catalog, SPARQL {}sparql; {} records",
        config.server.base_uri,
        config.server.base_uri,
        store.count(None)
    );
    let (served, ()) = tokio::join!(
        alzette_server::serve(listener, state, shutdown.clone()),
        scheduler.run(shutdown.clone())
    );
    flush(&store, &runlog);
    served.context("the HTTP server stopped")?;
    Ok(ExitCode::SUCCESS)
}

/// The scheduler's board as the server reports it.
struct ScheduleOf(Arc<ScheduleBoard>);

impl ScheduleView for ScheduleOf {
    fn state(&self, source: &str) -> Option<ScheduleState> {
        self.0.get(source).map(|s| ScheduleState {
            next_run: s.next,
            skipped_firings: SkippedFirings {
                paused: s.skipped_paused,
                running: s.skipped_busy,
            },
        })
    }
}

/// SPARQL queries run in this same binary's `query-worker` subcommand.
fn query_workers(config: &Config) -> Result<WorkerCommand> {
    let program = std::env::current_exe().context("cannot find the alzette binary")?;
    Ok(WorkerCommand::new(
        program,
        &config.store.path,
        config.server.query_memory_limit,
    ))
}

/// Flushes before exit. A failure (a full disk) is reported; the run's outcome says the rest.
fn flush(store: &RecordStore, runlog: &RunLog) {
    if let Err(e) = store.flush() {
        eprintln!("warning: flushing the store: {e}");
    }
    if let Err(e) = runlog.flush() {
        eprintln!("warning: flushing the run log: {e}");
    }
}

/// SIGHUP re-reads the configuration, as `POST /api/admin/reload` does.
fn reload_on_sighup(daemon: Arc<DaemonAdmin>, shutdown: CancellationToken) {
    #[cfg(unix)]
    tokio::spawn(async move {
        let Ok(mut hup) = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::hangup())
        else {
            tracing::warn!("cannot listen for SIGHUP; reload through the admin API");
            return;
        };
        loop {
            tokio::select! {
                _ = hup.recv() => {}
                () = shutdown.cancelled() => return,
            }
            match daemon.reload_config().await {
                Ok(report) => tracing::info!(%report, "SIGHUP: configuration reloaded"),
                Err(e) => tracing::error!("SIGHUP: configuration not reloaded: {e}"),
            }
        }
    });
    #[cfg(not(unix))]
    let _ = (daemon, shutdown);
}

pub fn summary(s: &SourceConfig) -> SourceSummary {
    SourceSummary {
        id: s.id.clone(),
        kind: s.kind.name().to_owned(),
        url: s.url.to_string(),
        schedule: s.schedule.expression().to_owned(),
        enabled: s.enabled,
    }
}

pub(crate) fn find_source<'a>(config: &'a Config, id: &str) -> Result<&'a SourceConfig> {
    match config.source(id) {
        Some(s) => Ok(s),
        None => {
            let ids: Vec<&str> = config.sources.iter().map(|s| s.id.as_str()).collect();
            bail!(
                "there is no source \"{id}\" in {} (sources: {})",
                config.file.display(),
                if ids.is_empty() {
                    "none".to_owned()
                } else {
                    ids.join(", ")
                }
            )
        }
    }
}

pub async fn harvest(
    config: Config,
    id: &str,
    options: RunOptions,
    format: OutputFormat,
) -> Result<ExitCode> {
    let source = find_source(&config, id)?.clone();
    if !source.enabled {
        tracing::info!(source = %source.id, "the source is disabled in the configuration; harvesting it once since it was asked for by name");
    }
    let (store, runlog) = open(&config)?;
    let harvester = Harvester::new(
        Arc::clone(&store),
        Arc::clone(&runlog),
        config.harvest.user_agent.clone(),
    );
    harvester.set_validation(config.validation.clone());
    harvester.set_quality(config.quality.clone());
    let shutdown = shutdown_on_signals();
    let progress = TerminalProgress::new(&source.id);
    let report = harvester
        .run(&source, options, &shutdown, &progress)
        .await?;
    progress.finish();
    flush(&store, &runlog);
    let run = &report.run;
    let code = match run.outcome {
        Outcome::Ok => ExitCode::SUCCESS,
        Outcome::OkWithErrors => ExitCode::from(EXIT_WITH_ERRORS),
        _ => ExitCode::FAILURE,
    };
    if format == OutputFormat::Json {
        print_json(&report)?;
        return Ok(code);
    }
    if let Some(plan) = &report.plan {
        outln!("dry run of \"{}\": nothing was written", source.id)?;
        for (label, list) in [
            ("add", &plan.add),
            ("update", &plan.update),
            ("delete", &plan.delete),
        ] {
            outln!("would {label} {}:", list.len())?;
            for iri in list {
                outln!("  {iri}")?;
            }
        }
    }
    outln!("{}", tables::run_summary(run))?;
    let said = run.message.as_deref().unwrap_or_default();
    for e in run
        .errors
        .iter()
        .filter(|e| !said.contains(&e.message))
        .take(20)
    {
        outln!("  [{}] {}: {}", e.stage, e.record, e.message)?;
    }
    if run.error_count() > 20 {
        outln!(
            "  ... {} errors in all: `alzette runs {} --errors`",
            run.error_count(),
            source.id
        )?;
    }
    Ok(code)
}

pub fn check_config(config: &Config) -> Result<ExitCode> {
    let enabled = config.sources.iter().filter(|s| s.enabled).count();
    outln!(
        "{}: OK — {} sources ({} enabled), store {}, serving {} as {}",
        config.file.display(),
        config.sources.len(),
        enabled,
        config.store.path.display(),
        config.server.bind,
        config.server.base_uri
    )?;
    for s in &config.sources {
        outln!(
            "  {:<24} {:<10} {:<16} {}{}",
            s.id,
            s.kind.name(),
            s.schedule.expression(),
            s.url,
            if s.enabled { "" } else { "  (disabled)" }
        )?;
        // The folder was checked when the file was loaded; the file itself may come later
        // (an export written before the first run), which is worth a word.
        if let Ok(path) = s.url.to_file_path()
            && !path.exists()
        {
            outln!(
                "  {:<24} note: {} does not exist yet; its runs fail until it does",
                "",
                path.display()
            )?;
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// A source as `alzette sources` shows it, read from the run log or from a running server.
#[derive(serde::Deserialize, serde::Serialize)]
pub struct SourceRow {
    pub id: String,
    pub kind: String,
    pub schedule: String,
    pub enabled: bool,
    pub records: Option<usize>,
    pub last_run: Option<Run>,
}

pub async fn sources(config: &Config, format: OutputFormat) -> Result<ExitCode> {
    let rows: Vec<SourceRow> = match open_runlog(config) {
        Ok(log) => config
            .sources
            .iter()
            .map(|s| {
                let last_run = log.last_run(&s.id)?;
                Ok(SourceRow {
                    id: s.id.clone(),
                    kind: s.kind.name().to_owned(),
                    schedule: s.schedule.expression().to_owned(),
                    enabled: s.enabled,
                    records: last_run
                        .as_ref()
                        .and_then(|r| r.records)
                        .map(|n| n as usize),
                    last_run,
                })
            })
            .collect::<Result<_, RunLogError>>()?,
        Err(e) if e.is_locked() => from_server(config, "api/sources").await?,
        Err(e) => return Err(e.into()),
    };
    match format {
        OutputFormat::Text => out!("{}", tables::sources(&rows))?,
        OutputFormat::Json => print_json(&rows)?,
    }
    Ok(ExitCode::SUCCESS)
}

pub async fn runs(
    config: &Config,
    source: Option<&str>,
    limit: usize,
    errors: bool,
    format: OutputFormat,
) -> Result<ExitCode> {
    if let Some(id) = source {
        find_source(config, id)?;
    }
    let runs: Vec<Run> = match open_runlog(config) {
        Ok(log) => log.runs(source, limit)?,
        Err(e) if e.is_locked() => {
            let mut path = format!("api/runs?limit={limit}");
            if let Some(s) = source {
                path.push_str(&format!("&source={s}"));
            }
            from_server(config, &path).await?
        }
        Err(e) => return Err(e.into()),
    };
    match format {
        OutputFormat::Text => out!("{}", tables::runs(&runs, errors))?,
        OutputFormat::Json => print_json(&runs)?,
    }
    Ok(ExitCode::SUCCESS)
}

/// Pretty JSON on stdout, one document.
pub(crate) fn print_json(value: &impl serde::Serialize) -> Result<()> {
    let mut out = crate::output::Stdout;
    serde_json::to_writer_pretty(&mut out, value)?;
    std::io::Write::write_all(&mut out, b"\n")?;
    Ok(())
}

/// While `alzette serve` runs it holds the run log; ask it instead.
pub(crate) async fn from_server<T: serde::de::DeserializeOwned>(
    config: &Config,
    path: &str,
) -> Result<T> {
    let url = format!("http://{}/{path}", config.server.bind);
    let response = reqwest::get(&url).await.with_context(|| {
        format!("the store and run log are held by another process (alzette serve?), and {url} does not answer")
    })?;
    if !response.status().is_success() {
        bail!("{url} answered {}", response.status());
    }
    let body = response.bytes().await?;
    serde_json::from_slice(&body)
        .with_context(|| format!("{url} answered something else than the expected JSON"))
}
