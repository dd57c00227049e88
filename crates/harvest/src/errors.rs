//! What keeps a run from starting, and what stops one in the middle. A source's own faults (a
//! page that cannot be fetched or parsed, a record refused) do not stop a run: they end the
//! walk or fail a record, and the run says so (see `outcome`).

use crate::fetch::ClientError;
use crate::validation::ValidatorError;
use alzette_runlog::RunLogError;
use alzette_store::StoreError;
use std::any::Any;

/// Why a run could not be started or logged.
#[derive(Debug, thiserror::Error)]
pub enum HarvestError {
    #[error(
        "source \"{0}\" is already being harvested (a run is under way or waiting for a free slot); `alzette runs {0}` shows it"
    )]
    AlreadyRunning(String),
    #[error("source \"{source_id}\": {error}")]
    Setup {
        source_id: String,
        error: SetupError,
    },
    #[error(transparent)]
    RunLog(#[from] RunLogError),
}

/// What a run needs before its first page and could not get.
#[derive(Debug, thiserror::Error)]
pub enum SetupError {
    #[error(transparent)]
    Client(#[from] ClientError),
    #[error("validation: {0}")]
    Validation(#[from] ValidatorError),
}

/// What stops a run in the middle: not the source's fault, so the run fails (nothing is
/// deleted, what was stored stays).
#[derive(Debug, thiserror::Error)]
pub enum RunError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(
        "{task} stopped unexpectedly ({cause}); this is a bug in Alzette: please report it with the run's log"
    )]
    Task { task: &'static str, cause: String },
}

/// A blocking task or the source's task that ended without its result.
pub(crate) fn task_failure(task: &'static str, e: tokio::task::JoinError) -> RunError {
    RunError::Task {
        task,
        cause: join_cause(e),
    }
}

/// Why a task ended without its result: its panic's text.
pub(crate) fn join_cause(e: tokio::task::JoinError) -> String {
    if e.is_panic() {
        format!("it panicked: {}", panic_text(e.into_panic()))
    } else {
        "it was cancelled".to_owned()
    }
}

/// What `panic!` said.
pub(crate) fn panic_text(payload: Box<dyn Any + Send>) -> String {
    match payload.downcast::<String>() {
        Ok(text) => *text,
        Err(payload) => match payload.downcast::<&'static str>() {
            Ok(text) => (*text).to_owned(),
            Err(_) => "a panic without a message".to_owned(),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_panicking_task_reports_its_panic_text() {
        let handle = tokio::spawn(async { panic!("the page index {} is out of range", 7) });
        let error = task_failure("the source", handle.await.unwrap_err());
        assert_eq!(
            error.to_string(),
            "the source stopped unexpectedly (it panicked: the page index 7 is out of range); this is a bug in Alzette: please report it with the run's log"
        );
        let handle = tokio::task::spawn_blocking(|| std::panic::panic_any(42_u8));
        let error = task_failure("a store write", handle.await.unwrap_err());
        assert!(error.to_string().contains("a panic without a message"));
    }
}
