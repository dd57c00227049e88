//! What the admin API and SIGHUP do in `serve`: run, pause and resume sources through the
//! scheduler, and re-read the configuration file.

use crate::commands::{describe_sources, summary};
use alzette_config::{CatalogConfig, Config, Secret};
use alzette_harvest::{ControlError, Harvester, SchedulerHandle};
use alzette_server::{Admin, AdminError, SourceList};
use alzette_store::RecordStore;
use futures_util::future::BoxFuture;
use std::sync::{Arc, Mutex, RwLock};

pub struct DaemonAdmin {
    pub scheduler: SchedulerHandle,
    /// Told the new `[validation]` on reload.
    pub harvester: Arc<Harvester>,
    pub store: Arc<RecordStore>,
    pub sources: Arc<SourceList>,
    /// How the catalogue describes itself, as the server reads it.
    pub catalog: Arc<RwLock<CatalogConfig>>,
    /// The configuration in force; a reload replaces its sources.
    pub config: Mutex<Config>,
}

/// The admin token: `ALZETTE_ADMIN_TOKEN`, else `[server] admin_token`, else none (API off).
pub fn admin_token(config: &Config) -> anyhow::Result<Option<Secret>> {
    match std::env::var("ALZETTE_ADMIN_TOKEN") {
        Ok(t) if t.trim().len() < 16 => anyhow::bail!(
            "ALZETTE_ADMIN_TOKEN is shorter than 16 characters; use a long random string (e.g. `openssl rand -hex 32`)"
        ),
        Ok(t) => Ok(Some(Secret::new(t.trim()))),
        Err(_) => Ok(config.server.admin_token.clone()),
    }
}

impl DaemonAdmin {
    /// Re-reads the configuration file. An invalid file changes nothing. Sources are swapped in
    /// at once; settings only a restart applies are named in `needs_restart`.
    pub async fn reload_config(&self) -> Result<serde_json::Value, AdminError> {
        let file = self.config.lock().expect("config lock").file.clone();
        let new = Config::load(&file).map_err(|e| {
            AdminError::Invalid(format!("{e}; the configuration in force is unchanged"))
        })?;
        let needs_restart = {
            let old = self.config.lock().expect("config lock");
            let mut keys = Vec::new();
            if old.server != new.server {
                keys.push("server");
            }
            if old.store != new.store {
                keys.push("store");
            }
            if old.harvest.max_concurrent_runs != new.harvest.max_concurrent_runs {
                keys.push("harvest.max_concurrent_runs");
            }
            if old.harvest.user_agent != new.harvest.user_agent {
                keys.push("harvest.user_agent");
            }
            keys
        };
        describe_sources(&self.store, &new).map_err(|e| AdminError::Unavailable(e.to_string()))?;
        let report = self
            .scheduler
            .reload(new.sources.clone())
            .await
            .map_err(control_error)?;
        self.sources.set(new.sources.iter().map(summary).collect());
        self.harvester.set_validation(new.validation.clone());
        self.harvester.set_quality(new.quality.clone());
        *self.catalog.write().expect("catalog lock") = new.catalog.clone();
        if !needs_restart.is_empty() {
            tracing::warn!(sections = ?needs_restart, "changed in the configuration, but only applied at the next start");
        }
        let mut config = self.config.lock().expect("config lock");
        config.sources = new.sources;
        config.catalog = new.catalog;
        config.validation = new.validation;
        config.quality = new.quality;
        Ok(serde_json::json!({
            "file": file.display().to_string(),
            "added": report.added,
            "removed": report.removed,
            "changed": report.changed,
            "unchanged": report.unchanged,
            "needs_restart": needs_restart,
        }))
    }
}

impl Admin for DaemonAdmin {
    fn run_now<'a>(
        &'a self,
        source: &'a str,
        allow_shrink: bool,
    ) -> BoxFuture<'a, Result<(), AdminError>> {
        Box::pin(async move {
            self.scheduler
                .run_now(source, allow_shrink)
                .await
                .map_err(control_error)
        })
    }

    fn set_paused<'a>(
        &'a self,
        source: &'a str,
        paused: bool,
    ) -> BoxFuture<'a, Result<(), AdminError>> {
        Box::pin(async move {
            let result = if paused {
                self.scheduler.pause(source).await
            } else {
                self.scheduler.resume(source).await
            };
            result.map_err(control_error)
        })
    }

    fn reload(&self) -> BoxFuture<'_, Result<serde_json::Value, AdminError>> {
        Box::pin(self.reload_config())
    }
}

fn control_error(e: ControlError) -> AdminError {
    match e {
        ControlError::UnknownSource(_) => AdminError::NotFound(e.to_string()),
        ControlError::AlreadyRunning(_) => AdminError::Conflict(e.to_string()),
        ControlError::Stopped | ControlError::RunLog(_) => AdminError::Unavailable(e.to_string()),
    }
}
