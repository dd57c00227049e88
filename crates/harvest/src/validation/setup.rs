//! A run's validator: the configured shapes, read (files) or fetched (URLs) at the start of
//! each run, over the background vocabularies as the store holds them.

use super::{RecordValidator, ValidatorError};
use crate::fetch::{FetchError, FetchErrorKind, Fetched, Fetcher};
use crate::policy::UrlPolicy;
use crate::sources::page_limits;
use alzette_config::{HarvestLimits, ValidationConfig};
use alzette_store::RecordStore;
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio_util::sync::CancellationToken;

/// How long a run waits for a background vocabulary being harvested at the same time.
const VOCABULARY_WAIT: Duration = Duration::from_secs(600);

/// The validator for a run (`None` when `[validation]` names no shapes). A background
/// vocabulary that `is_busy` (being harvested, or waiting to be: at start, `serve` runs every
/// never-run source at once) is waited for first: records validated without it would all fail.
pub(crate) async fn validator_for_run(
    config: ValidationConfig,
    store: Arc<RecordStore>,
    user_agent: &str,
    is_busy: &(dyn Fn(&str) -> bool + Sync),
) -> Result<Option<Arc<RecordValidator>>, ValidatorError> {
    if config.shapes.is_empty() {
        return Ok(None);
    }
    let started = Instant::now();
    while config.background.iter().any(|id| is_busy(id)) && started.elapsed() < VOCABULARY_WAIT {
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let documents = read_shapes(&config, user_agent).await?;
    tokio::task::spawn_blocking(move || {
        let mut triples = Vec::new();
        for id in &config.background {
            let vocabulary = store
                .vocabulary(id)
                .map_err(|cause| ValidatorError::Vocabulary {
                    id: id.clone(),
                    cause,
                })?;
            if vocabulary.is_empty() {
                tracing::warn!(vocabulary = %id, "the background vocabulary is empty: harvest it first (`alzette harvest {id}`), or sh:class checks on its terms fail");
            }
            triples.extend(vocabulary);
        }
        RecordValidator::new(&documents, triples, &page_limits(&HarvestLimits::default()))
            .map(|v| Some(Arc::new(v)))
    })
    .await
    .map_err(|e| ValidatorError::Task(crate::errors::join_cause(e)))?
}

/// The shapes documents as (URL, content), with the harvest's default limits.
async fn read_shapes(
    config: &ValidationConfig,
    user_agent: &str,
) -> Result<Vec<(String, Vec<u8>)>, ValidatorError> {
    let never = CancellationToken::new();
    let mut documents = Vec::with_capacity(config.shapes.len());
    for url in &config.shapes {
        let fetcher = Fetcher::new(
            &HarvestLimits::default(),
            user_agent,
            UrlPolicy::configured(url),
        )?;
        match fetcher.fetch(url, None, &never).await {
            Ok(Fetched::Body { body, .. }) => documents.push((url.to_string(), body.to_vec())),
            Ok(Fetched::NotModified) => {
                return Err(ValidatorError::Fetch {
                    url: url.to_string(),
                    cause: FetchError {
                        url: url.to_string(),
                        kind: FetchErrorKind::Status(304),
                        message: "HTTP 304 Not Modified to a request without validators".into(),
                    },
                });
            }
            Err(cause) => {
                return Err(ValidatorError::Fetch {
                    url: url.to_string(),
                    cause,
                });
            }
        }
    }
    Ok(documents)
}
