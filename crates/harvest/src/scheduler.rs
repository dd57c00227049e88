//! Runs every enabled source on its cron schedule: at most `max_concurrent_runs` at once, never
//! two of one source, and once at start for a source that never ran.

use crate::run::{Harvester, Quiet, RunOptions};
use alzette_config::SourceConfig;
use chrono::{DateTime, Utc};
use std::collections::HashSet;
use std::sync::{Arc, Mutex};
use tokio::sync::Semaphore;
use tokio::task::JoinSet;
use tokio_util::sync::CancellationToken;

pub struct Scheduler {
    harvester: Arc<Harvester>,
    sources: Vec<SourceConfig>,
    max_concurrent_runs: usize,
}

impl Scheduler {
    pub fn new(
        harvester: Arc<Harvester>,
        sources: Vec<SourceConfig>,
        max_concurrent_runs: usize,
    ) -> Self {
        Self {
            harvester,
            sources: sources.into_iter().filter(|s| s.enabled).collect(),
            max_concurrent_runs: max_concurrent_runs.max(1),
        }
    }

    /// Schedules until `shutdown`; then waits for the runs going on, which stop between records
    /// and are marked interrupted.
    pub async fn run(self, shutdown: CancellationToken) {
        let permits = Arc::new(Semaphore::new(self.max_concurrent_runs));
        let queued: Arc<Mutex<HashSet<String>>> = Arc::default();
        let mut tasks = JoinSet::new();
        let now = Utc::now();
        let mut next: Vec<Option<DateTime<Utc>>> = self
            .sources
            .iter()
            .map(|s| {
                let never_ran = matches!(self.harvester.runlog().last_run(&s.id), Ok(None));
                if never_ran {
                    Some(now)
                } else {
                    s.schedule.next_after(&now)
                }
            })
            .collect();
        for (s, when) in self.sources.iter().zip(&next) {
            tracing::info!(source = %s.id, schedule = s.schedule.expression(), next = ?when, "scheduled");
        }
        loop {
            let Some(soonest) = next.iter().flatten().min().copied() else {
                shutdown.cancelled().await;
                break;
            };
            let wait = (soonest - Utc::now()).to_std().unwrap_or_default();
            tokio::select! {
                () = tokio::time::sleep(wait) => {}
                () = shutdown.cancelled() => break,
                Some(_) = tasks.join_next(), if !tasks.is_empty() => continue,
            }
            let now = Utc::now();
            for (i, source) in self.sources.iter().enumerate() {
                if next[i].is_none_or(|t| t > now) {
                    continue;
                }
                next[i] = source.schedule.next_after(&now);
                if !queued.lock().expect("queue lock").insert(source.id.clone()) {
                    tracing::info!(source = %source.id, "still running or waiting from its previous firing; this firing is skipped");
                    continue;
                }
                let harvester = Arc::clone(&self.harvester);
                let permits = Arc::clone(&permits);
                let queued = Arc::clone(&queued);
                let shutdown = shutdown.clone();
                let source = source.clone();
                tasks.spawn(async move {
                    let permit = tokio::select! {
                        p = permits.acquire_owned() => p,
                        () = shutdown.cancelled() => {
                            queued.lock().expect("queue lock").remove(&source.id);
                            return;
                        }
                    };
                    if let Err(e) = harvester
                        .run(&source, RunOptions::default(), &shutdown, &Quiet)
                        .await
                    {
                        tracing::error!(source = %source.id, "{e}");
                    }
                    drop(permit);
                    queued.lock().expect("queue lock").remove(&source.id);
                });
            }
        }
        while tasks.join_next().await.is_some() {}
    }
}
