//! How a run ends, as pure functions of what happened: whether it may delete what its source
//! no longer has, what the shrink guard says to that, and the outcome and message it is logged
//! with (the table in `docs/architecture.md`).

use crate::errors::RunError;
use crate::sources::PageFailure;
use alzette_runlog::Outcome;
use std::time::Duration;

/// How the walk of the source's pages ended.
#[derive(Debug)]
pub(crate) enum WalkEnd {
    /// The walk reached the source's last page.
    Complete,
    /// A page could not be read (or the walk was cancelled); the pages before were taken.
    Incomplete(PageFailure),
    /// The run could not go on: the store refused a write, a task died.
    Fatal(RunError),
}

/// What stopped the run from outside, if anything.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Stop {
    None,
    /// The source's `run_deadline` passed.
    Deadline(Duration),
    /// The process was asked to stop.
    Shutdown,
}

/// What became of deleting the records the source no longer has.
#[derive(Debug)]
pub(crate) enum Sweep {
    /// Not attempted: the walk did not show what the source no longer has.
    NotDone,
    /// Done (the run counts what was deleted; possibly nothing).
    Done,
    /// The shrink guard held: nothing was deleted, for this reason.
    Held(String),
    /// The store refused the deletion.
    Failed(RunError),
}

/// Everything the outcome depends on.
#[derive(Debug)]
pub(crate) struct RunEnd<'a> {
    pub walk: &'a WalkEnd,
    pub stop: Stop,
    /// Pages taken.
    pub pages: u64,
    /// Why a complete walk still does not show what the source no longer has (an incremental
    /// run); see `Source::partial`.
    pub partial: Option<&'a str>,
    pub sweep: &'a Sweep,
    /// Errors recorded by the run (pages, records, the store).
    pub errors: u64,
}

/// How the run is logged.
#[derive(Debug, PartialEq, Eq)]
pub(crate) struct Verdict {
    pub outcome: Outcome,
    pub message: Option<String>,
    /// The walk reached the source's end.
    pub complete: bool,
}

/// Whether the run may delete what its source no longer has: only after a complete walk that
/// nothing stopped, of a source that lists everything it has.
pub(crate) fn may_sweep(walk: &WalkEnd, stop: Stop, partial: Option<&str>) -> bool {
    matches!(walk, WalkEnd::Complete) && stop == Stop::None && partial.is_none()
}

/// The outcome of a run and its message.
pub(crate) fn verdict(end: &RunEnd<'_>) -> Verdict {
    let ended = |outcome, message: Option<String>, complete| Verdict {
        outcome,
        message,
        complete,
    };
    let with_errors = |errors| {
        if errors > 0 {
            Outcome::OkWithErrors
        } else {
            Outcome::Ok
        }
    };
    match end.stop {
        Stop::Deadline(deadline) => {
            return ended(
                Outcome::Failed,
                Some(format!(
                    "the run was stopped at its deadline ({deadline:?}, limit run_deadline); nothing was deleted"
                )),
                false,
            );
        }
        Stop::Shutdown => {
            return ended(
                Outcome::Interrupted,
                Some("stopped by shutdown; nothing was deleted".to_owned()),
                false,
            );
        }
        Stop::None => {}
    }
    match end.walk {
        WalkEnd::Fatal(error) => ended(Outcome::Failed, Some(error.to_string()), false),
        WalkEnd::Incomplete(failure) if end.pages == 0 => ended(
            Outcome::Failed,
            Some(format!("{}: {}", failure.url, failure.message)),
            false,
        ),
        WalkEnd::Incomplete(failure) => ended(
            Outcome::OkWithErrors,
            Some(format!(
                "the walk stopped at {}: {}; nothing was deleted",
                failure.url, failure.message
            )),
            false,
        ),
        WalkEnd::Complete => match (end.partial, end.sweep) {
            (Some(partial), _) => ended(with_errors(end.errors), Some(partial.to_owned()), true),
            (None, Sweep::Failed(error)) => ended(Outcome::Failed, Some(error.to_string()), true),
            (None, Sweep::Held(guard)) => ended(Outcome::OkWithErrors, Some(guard.clone()), true),
            (None, Sweep::Done | Sweep::NotDone) => ended(with_errors(end.errors), None, true),
        },
    }
}

/// What the shrink guard says to deleting `missing` of a source's `stored` records.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Shrink {
    /// Nothing is missing.
    Nothing,
    Delete,
    /// More than `max_shrink` is missing: nothing is deleted, for this reason.
    Hold(String),
}

/// Deleting more than `max_shrink` of a source's records needs `allow_shrink`: a source that
/// vanished (an empty page, a wrong URL) must not empty the catalogue. Exactly `max_shrink`
/// is allowed.
pub(crate) fn shrink_guard(
    source: &str,
    stored: usize,
    missing: usize,
    max_shrink: f64,
    allow_shrink: bool,
) -> Shrink {
    if missing == 0 {
        return Shrink::Nothing;
    }
    let share = missing as f64 / stored.max(missing) as f64;
    // A share equal to the limit, however the division rounds, is within it.
    if share > max_shrink + 1e-9 && !allow_shrink {
        return Shrink::Hold(format!(
            "shrink guard: {missing} of the source's {stored} records ({:.0}%) are missing from it, more than max_shrink ({:.0}%); nothing was deleted. \
             If the source really shrank, run `alzette harvest {source} --allow-shrink` \
             (while `alzette serve` runs: `POST /api/admin/sources/{source}/run?allow_shrink=true`)",
            share * 100.0,
            max_shrink * 100.0,
        ));
    }
    Shrink::Delete
}

#[cfg(test)]
mod tests {
    use super::*;
    use alzette_runlog::Stage;
    use alzette_store::{Operation, StoreError};

    fn failure() -> PageFailure {
        PageFailure::new("http://s/p3", Stage::Fetch, "HTTP 503")
    }

    fn store_error() -> RunError {
        RunError::Store(StoreError::Storage {
            path: "data/store".into(),
            operation: Operation::DeleteRecords,
            cause: std::io::Error::other("No space left on device").into(),
        })
    }

    /// The verdict of a run that ended so.
    fn run_that(
        walk: WalkEnd,
        stop: Stop,
        pages: u64,
        partial: Option<&str>,
        sweep: Sweep,
        errors: u64,
    ) -> Verdict {
        verdict(&RunEnd {
            walk: &walk,
            stop,
            pages,
            partial,
            sweep: &sweep,
            errors,
        })
    }

    #[track_caller]
    fn expect(v: Verdict, outcome: Outcome, message: Option<&str>, complete: bool) {
        assert_eq!((v.outcome, v.complete), (outcome, complete), "{v:?}");
        match (message, &v.message) {
            (None, None) => {}
            (Some(m), Some(got)) => assert!(got.starts_with(m), "{got}"),
            (m, got) => panic!("expected {m:?}, got {got:?}"),
        }
    }

    /// Every row of the outcome table (docs/architecture.md, "Runs").
    #[test]
    fn the_outcome_table() {
        use Outcome::*;
        use WalkEnd::{Complete, Fatal, Incomplete};
        let deadline = Stop::Deadline(Duration::from_secs(60));
        // Complete walks: ok, or ok-with-errors when something failed or the guard held.
        let v = run_that(Complete, Stop::None, 3, None, Sweep::Done, 0);
        expect(v, Ok, None, true);
        let v = run_that(Complete, Stop::None, 3, None, Sweep::Done, 2);
        expect(v, OkWithErrors, None, true);
        let held = Sweep::Held("shrink guard: 9 of 10".into());
        let v = run_that(Complete, Stop::None, 3, None, held, 0);
        expect(v, OkWithErrors, Some("shrink guard: 9 of 10"), true);
        let v = run_that(
            Complete,
            Stop::None,
            3,
            None,
            Sweep::Failed(store_error()),
            1,
        );
        let refused = "the store at data/store failed while deleting records";
        expect(v, Failed, Some(refused), true);
        // An incremental walk: complete, nothing swept, and it says why.
        let partial = Some("incremental run: only the records modified since");
        let v = run_that(Complete, Stop::None, 3, partial, Sweep::NotDone, 0);
        expect(v, Ok, partial, true);
        let v = run_that(Complete, Stop::None, 3, partial, Sweep::NotDone, 1);
        expect(v, OkWithErrors, partial, true);
        // A walk that stopped at a page: what came is kept.
        let v = run_that(
            Incomplete(failure()),
            Stop::None,
            2,
            None,
            Sweep::NotDone,
            1,
        );
        let stopped = "the walk stopped at http://s/p3: HTTP 503; nothing was deleted";
        expect(v, OkWithErrors, Some(stopped), false);
        // ... at its first page: nothing came, the run failed.
        let v = run_that(
            Incomplete(failure()),
            Stop::None,
            0,
            None,
            Sweep::NotDone,
            1,
        );
        expect(v, Failed, Some("http://s/p3: HTTP 503"), false);
        // The store refused a write.
        let v = run_that(Fatal(store_error()), Stop::None, 2, None, Sweep::NotDone, 1);
        expect(v, Failed, Some("the store at data/store failed"), false);
        // Stopped from outside: the deadline fails the run, a shutdown interrupts it.
        let at_deadline =
            "the run was stopped at its deadline (60s, limit run_deadline); nothing was deleted";
        let v = run_that(Complete, deadline, 3, None, Sweep::NotDone, 0);
        expect(v, Failed, Some(at_deadline), false);
        let v = run_that(Incomplete(failure()), deadline, 3, None, Sweep::NotDone, 0);
        expect(v, Failed, Some(at_deadline), false);
        let v = run_that(
            Incomplete(failure()),
            Stop::Shutdown,
            1,
            None,
            Sweep::NotDone,
            0,
        );
        expect(
            v,
            Interrupted,
            Some("stopped by shutdown; nothing was deleted"),
            false,
        );
    }

    #[test]
    fn only_a_complete_undisturbed_full_walk_sweeps() {
        assert!(may_sweep(&WalkEnd::Complete, Stop::None, None));
        assert!(!may_sweep(
            &WalkEnd::Complete,
            Stop::None,
            Some("incremental")
        ));
        assert!(!may_sweep(&WalkEnd::Complete, Stop::Shutdown, None));
        assert!(!may_sweep(
            &WalkEnd::Complete,
            Stop::Deadline(Duration::ZERO),
            None
        ));
        assert!(!may_sweep(
            &WalkEnd::Incomplete(failure()),
            Stop::None,
            None
        ));
        assert!(!may_sweep(&WalkEnd::Fatal(store_error()), Stop::None, None));
    }

    #[test]
    fn the_shrink_guard_at_its_edges() {
        // A first run: nothing stored, nothing missing.
        assert_eq!(shrink_guard("s", 0, 0, 0.2, false), Shrink::Nothing);
        assert_eq!(shrink_guard("s", 10, 0, 0.2, false), Shrink::Nothing);
        // Exactly at max_shrink deletes; one more holds.
        assert_eq!(shrink_guard("s", 10, 2, 0.2, false), Shrink::Delete);
        assert_eq!(shrink_guard("s", 10, 3, 0.3, false), Shrink::Delete);
        assert_eq!(shrink_guard("s", 1000, 70, 0.07, false), Shrink::Delete);
        let Shrink::Hold(message) = shrink_guard("lu-geo", 10, 3, 0.2, false) else {
            panic!("3 of 10 is more than 20%")
        };
        assert_eq!(
            message,
            "shrink guard: 3 of the source's 10 records (30%) are missing from it, more than max_shrink (20%); nothing was deleted. \
             If the source really shrank, run `alzette harvest lu-geo --allow-shrink` \
             (while `alzette serve` runs: `POST /api/admin/sources/lu-geo/run?allow_shrink=true`)"
        );
        // A source that came back empty holds, unless allowed.
        assert!(matches!(
            shrink_guard("s", 10, 10, 0.2, false),
            Shrink::Hold(_)
        ));
        assert_eq!(shrink_guard("s", 10, 10, 0.2, true), Shrink::Delete);
        // max_shrink = 100% lets a source empty itself.
        assert_eq!(shrink_guard("s", 10, 10, 1.0, false), Shrink::Delete);
        // max_shrink = 0 holds at the first missing record.
        assert!(matches!(
            shrink_guard("s", 10, 1, 0.0, false),
            Shrink::Hold(_)
        ));
    }
}
