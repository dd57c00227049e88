//! Plain-text tables for the terminal.

use crate::commands::SourceRow;
use alzette_runlog::Run;
use std::fmt::Write;

fn when(t: &chrono::DateTime<chrono::Utc>) -> String {
    t.format("%Y-%m-%d %H:%M:%S").to_string()
}

fn duration(run: &Run) -> String {
    match run.ended {
        Some(end) => format!(
            "{:.1}s",
            (end - run.started).num_milliseconds() as f64 / 1000.0
        ),
        None => "-".into(),
    }
}

pub fn run_summary(run: &Run) -> String {
    let c = &run.counts;
    let mut s = format!(
        "run {} of \"{}\": {} in {} — {} pages, added {}, updated {}, unchanged {}, deleted {}, failed {}",
        run.id,
        run.source,
        run.outcome,
        duration(run),
        run.pages,
        c.added,
        c.updated,
        c.unchanged,
        c.deleted,
        c.failed
    );
    if let Some(n) = run.records {
        let _ = write!(s, "; {n} records in the store");
    }
    if !run.shadowed_by.is_empty() {
        let by: Vec<String> = run
            .shadowed_by
            .iter()
            .map(|(source, n)| format!("{n} by {source}"))
            .collect();
        let _ = write!(
            s,
            "; shadowed by other sources' records of the same resource: {}",
            by.join(", ")
        );
    }
    if let Some(a) = run.announced {
        let _ = write!(
            s,
            "; the source announced {a} and delivered {}",
            run.received
        );
    }
    if c.duplicates > 0 {
        let _ = write!(
            s,
            "; {} records described a resource an earlier one of the run described (first kept)",
            c.duplicates
        );
    }
    let warnings = run.warnings.len() as u64 + run.warnings_dropped;
    if warnings > 0 {
        let _ = write!(
            s,
            "; {warnings} warnings (`alzette runs {} --errors`)",
            run.source
        );
    }
    if let Some(m) = &run.message {
        let _ = write!(s, "\n  {m}");
    }
    s.push_str(&validation(run, "  ", 10));
    s
}

/// What validation found, indented, with the `top` most frequent constraints.
fn validation(run: &Run, indent: &str, top: usize) -> String {
    // A run that validated nothing (it failed before, or every page was unchanged) says
    // nothing about validation.
    let Some(v) = run.validation.as_ref().filter(|v| v.records > 0) else {
        return String::new();
    };
    let mut s = format!(
        "\n{indent}validated {} records (shapes {}): {} conform, {} with violations ({} violations, {} warnings), {} rejected",
        v.records,
        v.shapes,
        v.conforming,
        v.with_violations,
        v.violations,
        v.warnings,
        run.counts.rejected
    );
    if let Some(average) = v.average_score() {
        let ratings: Vec<String> = ["excellent", "good", "sufficient", "bad"]
            .iter()
            .filter_map(|r| v.ratings.get(*r).map(|n| format!("{n} {r}")))
            .collect();
        let _ = write!(
            s,
            "\n{indent}quality (data.europa.eu MQA): {} datasets, average {average:.1} of 405; {}",
            v.scored,
            ratings.join(", ")
        );
        if v.links_checked > 0 {
            let _ = write!(s, "; {} links checked", v.links_checked);
        }
    }
    for (label, count) in v.top(top) {
        let _ = write!(s, "\n{indent}  {count:>8}  {label}");
    }
    s
}

pub fn sources(rows: &[SourceRow]) -> String {
    let mut out = format!(
        "{:<24} {:<10} {:<16} {:<8} {:<20} {:<15} {:>9}\n",
        "ID", "KIND", "SCHEDULE", "ENABLED", "LAST RUN", "OUTCOME", "RECORDS"
    );
    for r in rows {
        let (last, outcome) = match &r.last_run {
            Some(run) => (when(&run.started), run.outcome.to_string()),
            None => ("never".into(), "-".into()),
        };
        let records = r.records.map_or_else(|| "-".to_owned(), |n| n.to_string());
        let _ = writeln!(
            out,
            "{:<24} {:<10} {:<16} {:<8} {:<20} {:<15} {:>9}",
            r.id,
            r.kind,
            r.schedule,
            if r.enabled { "yes" } else { "no" },
            last,
            outcome,
            records
        );
    }
    out
}

pub fn runs(runs: &[Run], errors: bool) -> String {
    let mut out = format!(
        "{:>6} {:<20} {:<20} {:>9} {:<15} {:>7} {:>7} {:>9} {:>7} {:>6}\n",
        "RUN",
        "SOURCE",
        "STARTED",
        "TOOK",
        "OUTCOME",
        "ADDED",
        "UPDATED",
        "UNCHANGED",
        "DELETED",
        "FAILED"
    );
    for r in runs {
        let c = &r.counts;
        let _ = writeln!(
            out,
            "{:>6} {:<20} {:<20} {:>9} {:<15} {:>7} {:>7} {:>9} {:>7} {:>6}",
            r.id,
            r.source,
            when(&r.started),
            duration(r),
            r.outcome.to_string(),
            c.added,
            c.updated,
            c.unchanged,
            c.deleted,
            c.failed
        );
        if let Some(m) = &r.message {
            let _ = writeln!(out, "       {m}");
        }
        let v = validation(r, "       ", 3);
        if !v.is_empty() {
            let _ = writeln!(out, "{}", v.trim_start_matches('\n'));
        }
        if errors {
            for e in &r.errors {
                let _ = writeln!(out, "       [{}] {}: {}", e.stage, e.record, e.message);
            }
            if r.errors_dropped > 0 {
                let _ = writeln!(out, "       ... and {} more", r.errors_dropped);
            }
            for w in &r.warnings {
                let _ = writeln!(
                    out,
                    "       warning [{}] {}: {}",
                    w.stage, w.record, w.message
                );
            }
            if r.warnings_dropped > 0 {
                let _ = writeln!(out, "       ... and {} more warnings", r.warnings_dropped);
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use alzette_runlog::{Outcome, ValidationSummary};

    #[test]
    fn a_run_that_validated_nothing_says_nothing_of_validation() {
        let mut run = Run::new(7, "s");
        run.outcome = Outcome::Failed;
        run.validation = Some(ValidationSummary::default());
        let summary = run_summary(&run);
        assert!(!summary.contains("validated"), "{summary}");
        assert!(!summary.contains("quality"), "{summary}");

        run.validation = Some(ValidationSummary {
            records: 2,
            conforming: 2,
            scored: 2,
            score_tenths: 4000,
            ..ValidationSummary::default()
        });
        let summary = run_summary(&run);
        assert!(summary.contains("validated 2 records"), "{summary}");
        assert!(summary.contains("average 200.0 of 405"), "{summary}");
    }
}
