//! Runs every enabled source on its cron schedule: at most `max_concurrent_runs` at once, never
//! two of one source, and once at start for a source that never ran. A [`SchedulerHandle`] lets
//! the admin API run a source now, pause and resume its schedule, and swap in a re-read
//! configuration, all while runs go on.

use crate::harvester::{Harvester, Quiet, RunOptions};
use alzette_config::SourceConfig;
use chrono::{DateTime, Utc};
use std::collections::HashMap;
use std::sync::{Arc, RwLock};
use tokio::sync::{Semaphore, mpsc, oneshot};
use tokio::task::JoinSet;
use tokio_util::sync::CancellationToken;

pub struct Scheduler {
    harvester: Arc<Harvester>,
    sources: Vec<Slot>,
    max_concurrent_runs: usize,
    commands: mpsc::Receiver<Command>,
    board: Arc<ScheduleBoard>,
}

/// What the scheduler says of each source: when it fires next, and which firings it skipped.
/// Shared with whoever reports on the schedule (the operational API).
#[derive(Debug, Default)]
pub struct ScheduleBoard(RwLock<HashMap<String, SlotState>>);

/// One source on the [`ScheduleBoard`].
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SlotState {
    /// When its schedule fires next; `None` when disabled or without a future firing.
    pub next: Option<DateTime<Utc>>,
    /// Firings skipped because the source was paused, since the scheduler started.
    pub skipped_paused: u64,
    /// Firings skipped because its previous run was still going.
    pub skipped_busy: u64,
}

impl ScheduleBoard {
    /// The state of `source`; `None` when the scheduler has no such source.
    pub fn get(&self, source: &str) -> Option<SlotState> {
        self.0.read().expect("board lock").get(source).cloned()
    }

    fn update(&self, source: &str, change: impl FnOnce(&mut SlotState)) {
        change(
            self.0
                .write()
                .expect("board lock")
                .entry(source.to_owned())
                .or_default(),
        );
    }

    fn retain(&self, sources: &[Slot]) {
        self.0
            .write()
            .expect("board lock")
            .retain(|id, _| sources.iter().any(|s| &s.config.id == id));
    }
}

/// A source and when it fires next (`None`: disabled, or its schedule has no future firing).
struct Slot {
    config: SourceConfig,
    next: Option<DateTime<Utc>>,
}

/// Talks to a running [`Scheduler`]; cheap to clone.
#[derive(Clone)]
pub struct SchedulerHandle {
    commands: mpsc::Sender<Command>,
    board: Arc<ScheduleBoard>,
}

/// Why the scheduler refused an admin action.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ControlError {
    #[error("there is no source \"{0}\" in the configuration")]
    UnknownSource(String),
    #[error("source \"{0}\" is already running or waiting for a free run slot")]
    AlreadyRunning(String),
    #[error("the scheduler is shutting down")]
    Stopped,
    #[error("{0}")]
    RunLog(String),
}

/// What a reload changed, by source id.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
pub struct ReloadReport {
    pub added: Vec<String>,
    pub removed: Vec<String>,
    pub changed: Vec<String>,
    pub unchanged: Vec<String>,
}

enum Command {
    RunNow(
        String,
        RunOptions,
        oneshot::Sender<Result<(), ControlError>>,
    ),
    Pause(String, bool, oneshot::Sender<Result<(), ControlError>>),
    Reload(Vec<SourceConfig>, oneshot::Sender<ReloadReport>),
}

impl SchedulerHandle {
    /// What the scheduler says of each source.
    pub fn board(&self) -> Arc<ScheduleBoard> {
        Arc::clone(&self.board)
    }

    /// Starts a run of `source` now (as soon as a run slot is free), whether or not it is
    /// enabled or paused.
    /// `allow_shrink` accepts deleting more than the source's `max_shrink` in that run (as
    /// `alzette harvest --allow-shrink`).
    pub async fn run_now(&self, source: &str, allow_shrink: bool) -> Result<(), ControlError> {
        let options = RunOptions {
            dry_run: false,
            allow_shrink,
        };
        self.ask(|reply| Command::RunNow(source.to_owned(), options, reply))
            .await?
    }

    /// Stops firing `source` on its schedule (a run under way goes on); lasts across restarts.
    pub async fn pause(&self, source: &str) -> Result<(), ControlError> {
        self.ask(|reply| Command::Pause(source.to_owned(), true, reply))
            .await?
    }

    /// Fires `source` on its schedule again.
    pub async fn resume(&self, source: &str) -> Result<(), ControlError> {
        self.ask(|reply| Command::Pause(source.to_owned(), false, reply))
            .await?
    }

    /// Replaces the sources: new ones are scheduled, removed ones no longer fire (a run under
    /// way finishes), changed ones get their new settings from their next run on.
    pub async fn reload(&self, sources: Vec<SourceConfig>) -> Result<ReloadReport, ControlError> {
        self.ask(|reply| Command::Reload(sources, reply)).await
    }

    async fn ask<T>(
        &self,
        command: impl FnOnce(oneshot::Sender<T>) -> Command,
    ) -> Result<T, ControlError> {
        let (reply, answer) = oneshot::channel();
        self.commands
            .send(command(reply))
            .await
            .map_err(|_| ControlError::Stopped)?;
        answer.await.map_err(|_| ControlError::Stopped)
    }
}

impl Scheduler {
    /// A scheduler over all configured sources (disabled ones can still be run by hand).
    pub fn new(
        harvester: Arc<Harvester>,
        sources: Vec<SourceConfig>,
        max_concurrent_runs: usize,
    ) -> (Self, SchedulerHandle) {
        let (tx, commands) = mpsc::channel(16);
        let now = Utc::now();
        let board = Arc::new(ScheduleBoard::default());
        let mut scheduler = Self {
            harvester,
            sources: Vec::new(),
            max_concurrent_runs: max_concurrent_runs.max(1),
            commands,
            board: Arc::clone(&board),
        };
        scheduler.sources = sources
            .into_iter()
            .map(|config| scheduler.slot(config, now))
            .collect();
        (
            scheduler,
            SchedulerHandle {
                commands: tx,
                board,
            },
        )
    }

    fn slot(&self, config: SourceConfig, now: DateTime<Utc>) -> Slot {
        let next = if !config.enabled {
            None
        } else if matches!(self.harvester.runlog().last_run(&config.id), Ok(None)) {
            Some(now)
        } else {
            config.schedule.next_after(&now)
        };
        tracing::info!(source = %config.id, schedule = config.schedule.expression(), next = ?next, "scheduled");
        self.board.update(&config.id, |s| s.next = next);
        Slot { config, next }
    }

    /// Schedules until `shutdown`; then waits for the runs going on, which stop between records
    /// and are marked interrupted.
    pub async fn run(mut self, shutdown: CancellationToken) {
        let runs = Runs {
            harvester: Arc::clone(&self.harvester),
            permits: Arc::new(Semaphore::new(self.max_concurrent_runs)),
            shutdown: shutdown.clone(),
        };
        let mut tasks = JoinSet::new();
        loop {
            let soonest = self.sources.iter().filter_map(|s| s.next).min();
            let wait = soonest.map(|t| (t - Utc::now()).to_std().unwrap_or_default());
            tokio::select! {
                () = sleep_or_forever(wait) => {}
                () = shutdown.cancelled() => break,
                Some(_) = tasks.join_next(), if !tasks.is_empty() => continue,
                Some(command) = self.commands.recv() => {
                    self.obey(command, &runs, &mut tasks);
                    continue;
                }
            }
            let now = Utc::now();
            let mut due = Vec::new();
            for slot in &mut self.sources {
                if slot.next.is_none_or(|t| t > now) {
                    continue;
                }
                slot.next = slot.config.schedule.next_after(&now);
                let id = &slot.config.id;
                self.board.update(id, |s| s.next = slot.next);
                match self.harvester.runlog().paused_since(id) {
                    Ok(Some(since)) => {
                        tracing::info!(source = %id, %since, "paused; this firing is skipped");
                        self.board.update(id, |s| s.skipped_paused += 1);
                        continue;
                    }
                    Ok(None) => {}
                    Err(e) => {
                        tracing::warn!(source = %id, "cannot read whether the source is paused, running it: {e}")
                    }
                }
                if runs.reserve(&slot.config.id) {
                    due.push(slot.config.clone());
                } else {
                    tracing::info!(source = %id, "still running or waiting from its previous firing; this firing is skipped");
                    self.board.update(id, |s| s.skipped_busy += 1);
                }
            }
            // All are reserved before any starts: a run that waits for another (validation for
            // its background vocabulary) then sees it, whichever task the runtime runs first.
            for source in due {
                runs.spawn(source, RunOptions::default(), &mut tasks);
            }
        }
        while tasks.join_next().await.is_some() {}
    }

    fn obey(&mut self, command: Command, runs: &Runs, tasks: &mut JoinSet<()>) {
        match command {
            Command::RunNow(id, options, reply) => {
                let result = match self.find(&id) {
                    Some(slot) => runs.start(&slot.config, options, tasks),
                    None => Err(ControlError::UnknownSource(id)),
                };
                let _ = reply.send(result);
            }
            Command::Pause(id, paused, reply) => {
                let result = match self.find(&id) {
                    Some(_) => self
                        .harvester
                        .runlog()
                        .set_paused(&id, paused)
                        .map_err(|e| ControlError::RunLog(e.to_string())),
                    None => Err(ControlError::UnknownSource(id.clone())),
                };
                if result.is_ok() {
                    tracing::info!(source = %id, "{}", if paused { "paused" } else { "resumed" });
                }
                let _ = reply.send(result);
            }
            Command::Reload(sources, reply) => {
                let _ = reply.send(self.reload(sources));
            }
        }
    }

    fn find(&self, id: &str) -> Option<&Slot> {
        self.sources.iter().find(|s| s.config.id == id)
    }

    fn reload(&mut self, sources: Vec<SourceConfig>) -> ReloadReport {
        let now = Utc::now();
        let mut report = ReloadReport::default();
        let mut old: Vec<Slot> = std::mem::take(&mut self.sources);
        for config in sources {
            let slot = match old.iter().position(|s| s.config.id == config.id) {
                Some(i) => {
                    let previous = old.swap_remove(i);
                    if previous.config.same_settings(&config) {
                        report.unchanged.push(config.id.clone());
                        Slot { config, ..previous }
                    } else {
                        report.changed.push(config.id.clone());
                        self.slot(config, now)
                    }
                }
                None => {
                    report.added.push(config.id.clone());
                    self.slot(config, now)
                }
            };
            self.sources.push(slot);
        }
        report.removed = old.into_iter().map(|s| s.config.id).collect();
        self.board.retain(&self.sources);
        tracing::info!(
            added = ?report.added,
            removed = ?report.removed,
            changed = ?report.changed,
            "sources reloaded"
        );
        report
    }
}

/// Starts runs: one per source at a time, at most as many at once as there are permits.
struct Runs {
    harvester: Arc<Harvester>,
    permits: Arc<Semaphore>,
    shutdown: CancellationToken,
}

impl Runs {
    fn start(
        &self,
        source: &SourceConfig,
        options: RunOptions,
        tasks: &mut JoinSet<()>,
    ) -> Result<(), ControlError> {
        if !self.reserve(&source.id) {
            return Err(ControlError::AlreadyRunning(source.id.clone()));
        }
        self.spawn(source.clone(), options, tasks);
        Ok(())
    }

    /// Marks `source` as waiting for a permit; false when it already runs or waits.
    fn reserve(&self, source: &str) -> bool {
        self.harvester.queue(source)
    }

    /// Starts a run reserved with [`Runs::reserve`].
    fn spawn(&self, source: SourceConfig, options: RunOptions, tasks: &mut JoinSet<()>) {
        let harvester = Arc::clone(&self.harvester);
        let permits = Arc::clone(&self.permits);
        let shutdown = self.shutdown.clone();
        tasks.spawn(async move {
            let permit = tokio::select! {
                p = permits.acquire_owned() => p,
                () = shutdown.cancelled() => {
                    harvester.unqueue(&source.id);
                    return;
                }
            };
            if let Err(e) = harvester.run(&source, options, &shutdown, &Quiet).await {
                tracing::error!(source = %source.id, "{e}");
            }
            drop(permit);
            harvester.unqueue(&source.id);
        });
    }
}

async fn sleep_or_forever(wait: Option<std::time::Duration>) {
    match wait {
        Some(d) => tokio::time::sleep(d).await,
        None => std::future::pending().await,
    }
}
