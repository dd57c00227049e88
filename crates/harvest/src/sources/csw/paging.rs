//! The rules of a CSW walk, as pure functions: where the next page starts (servers get
//! `nextRecord` wrong in every way), and when a run may ask only for what changed.

use alzette_config::CswOptions;
use alzette_iso19139::CswPage;
use alzette_runlog::Run;
use chrono::{DateTime, Utc};

/// Where the walk goes after a page.
#[derive(Debug, PartialEq, Eq)]
pub(super) enum NextStart {
    /// The next page starts there.
    At(u64),
    /// The walk ended, possibly with something the source should fix.
    End { warning: Option<String> },
    /// The walk ended on a quirk before every announced record came: it is incomplete (nothing
    /// is deleted).
    Incomplete(String),
}

/// After the page at `start` (`received` records so far, `matched` announced): the server's
/// `nextRecord` is followed only when it moves forward within the result set; an end on a
/// quirk before every announced record came leaves the walk incomplete.
pub(super) fn next_start(
    start: u64,
    page: &CswPage,
    matched: Option<u64>,
    received: u64,
) -> NextStart {
    let present = page.records as u64;
    let quirk = match page.next_record {
        _ if present == 0 => Some(format!("the page at startPosition {start} holds no record")),
        None => Some("the response has no nextRecord".to_owned()),
        Some(0) => None,
        Some(n) if matched.is_some_and(|m| n > m) => None,
        Some(n) if n <= start => Some(format!(
            "nextRecord {n} does not move past startPosition {start}"
        )),
        Some(n) => return NextStart::At(n),
    };
    // Records are missing only when the server announced more than came.
    let Some(shortfall) = matched.filter(|m| received < *m).map(|m| {
        format!("the server announced {m} records (numberOfRecordsMatched) and {received} came")
    }) else {
        return NextStart::End { warning: None };
    };
    match quirk {
        // The server said this was the last page.
        None => NextStart::End {
            warning: Some(format!("{shortfall}: the server's last page came early")),
        },
        Some(quirk) => NextStart::Incomplete(format!(
            "{quirk}; {shortfall}, so the walk is incomplete and nothing is deleted"
        )),
    }
}

/// For an incremental CSW source between full runs: the date to ask for changes from (a day
/// before the last complete run started, as a date: catalogues compare modification dates as
/// text, written with or without a time). `None` when this run must be full: incremental runs
/// are off, it is the first run, or the last full one is older than `full_every`. `runs` are
/// the source's runs, newest first.
pub(crate) fn incremental_since(
    options: &CswOptions,
    runs: &[Run],
    now: DateTime<Utc>,
) -> Option<String> {
    if !options.incremental {
        return None;
    }
    let last_full = runs
        .iter()
        .find(|r| r.complete && r.incremental_since.is_none())?;
    let full_every = chrono::Duration::from_std(options.full_every).ok()?;
    if now - last_full.started >= full_every {
        return None;
    }
    let last_complete = runs.iter().find(|r| r.complete)?;
    Some(
        (last_complete.started - chrono::Duration::days(1))
            .format("%Y-%m-%d")
            .to_string(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn page(records: usize, next_record: Option<u64>) -> CswPage {
        CswPage {
            matched: None,
            returned: Some(records as u64),
            next_record,
            records,
        }
    }

    /// Where the walk goes after the page at `start` with `records` records and `next`
    /// (`nextRecord`), `matched` announced, `received` so far.
    fn after(
        start: u64,
        records: usize,
        next: Option<u64>,
        matched: Option<u64>,
        received: u64,
    ) -> NextStart {
        next_start(start, &page(records, next), matched, received)
    }

    #[test]
    fn next_record_rules() {
        use NextStart::*;
        let end = End { warning: None };
        // Plain paging.
        assert_eq!(after(1, 10, Some(11), Some(25), 10), At(11));
        // The last page: nextRecord 0, or past the result set (pycsw says matched + 1).
        assert_eq!(after(21, 5, Some(0), Some(25), 25), end);
        assert_eq!(after(21, 5, Some(26), Some(25), 25), end);
        // No nextRecord once everything came: the end.
        assert_eq!(after(21, 5, None, Some(25), 25), end);
        // The server ends early: what came is all there is, said as a warning.
        let early = "the server announced 30 records (numberOfRecordsMatched) and 20 came: the server's last page came early";
        assert_eq!(
            after(11, 10, Some(0), Some(30), 20),
            End {
                warning: Some(early.into())
            }
        );
        // An empty page before the announced end (pycsw past the end says nextRecord=1).
        let empty = "the page at startPosition 21 holds no record; the server announced 30 records (numberOfRecordsMatched) and 20 came, so the walk is incomplete and nothing is deleted";
        assert_eq!(
            after(21, 0, Some(1), Some(30), 20),
            Incomplete(empty.into())
        );
        // nextRecord going backwards before the end: incomplete.
        let back = "nextRecord 5 does not move past startPosition 11; the server announced 30 records (numberOfRecordsMatched) and 20 came, so the walk is incomplete and nothing is deleted";
        assert_eq!(
            after(11, 10, Some(5), Some(30), 20),
            Incomplete(back.into())
        );
        // The same quirk once every announced record came: the walk just ends there.
        assert_eq!(after(11, 10, Some(11), Some(20), 20), end);
        assert_eq!(after(11, 10, None, Some(15), 20), end);
        // Without numberOfRecordsMatched nothing says records are missing: a quirk ends the
        // walk there.
        assert_eq!(after(11, 10, Some(3), None, 20), end);
        assert_eq!(after(11, 10, None, None, 20), end);
    }

    fn run(id: u64, days_ago: i64, complete: bool, since: Option<&str>, now: DateTime<Utc>) -> Run {
        let mut r = Run::new(id, "csw");
        r.started = now - chrono::Duration::days(days_ago);
        r.complete = complete;
        r.incremental_since = since.map(str::to_owned);
        r
    }

    #[test]
    fn incremental_runs_between_full_ones() {
        let now = DateTime::parse_from_rfc3339("2026-12-07T12:00:00Z")
            .unwrap()
            .to_utc();
        let on = CswOptions {
            incremental: true,
            full_every: std::time::Duration::from_secs(7 * 24 * 3600),
            ..CswOptions::default()
        };
        let off = CswOptions {
            incremental: false,
            ..on.clone()
        };
        // Newest first: an incremental run 1 day ago, a full one 3 days ago.
        let runs = vec![
            run(2, 1, true, Some("2026-12-03"), now),
            run(1, 3, true, None, now),
        ];
        assert_eq!(incremental_since(&off, &runs, now), None, "off");
        assert_eq!(
            incremental_since(&on, &[], now),
            None,
            "the first run is full"
        );
        // From a day before the last complete run.
        assert_eq!(
            incremental_since(&on, &runs, now).as_deref(),
            Some("2026-12-05")
        );
        // The last full run is 7 days old: full again.
        let old = vec![run(2, 1, true, Some("x"), now), run(1, 7, true, None, now)];
        assert_eq!(incremental_since(&on, &old, now), None);
        // An incomplete run does not count as the last complete one.
        let failed_last = vec![run(3, 0, false, None, now), run(1, 3, true, None, now)];
        assert_eq!(
            incremental_since(&on, &failed_last, now).as_deref(),
            Some("2026-12-03")
        );
    }
}
