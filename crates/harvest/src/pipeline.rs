//! A run's pipeline. The source walks its pages in a task of its own, one page ahead; each page
//! it gives goes through the steps below, in order, and the run counts everything:
//!
//! 1. an unchanged page (304, same bytes) stands for its records: they are seen, not read;
//! 2. records the source could not make are failures (their earlier versions stay);
//! 3. a record describing a resource an earlier record of the run described is a duplicate;
//! 4. links are checked (for the quality score), records validated and scored; a source with
//!    `on_invalid = "reject"` has its non-conforming records left out;
//! 5. records and reports are written ([`RecordWriter`]).
//!
//! After a complete walk, [`Pipeline::sweep`] deletes what the source no longer has.

use crate::errors::{RunError, task_failure};
use crate::harvester::{Progress, RunOptions};
use crate::links::LinkChecker;
use crate::outcome::{Shrink, Sweep, WalkEnd, shrink_guard};
use crate::sources::{PageContent, PageFailure, Problem, Source, SourcePage};
use crate::validation::{RecordValidator, stored_report, summarize};
use crate::writer::RecordWriter;
use alzette_config::{OnInvalid, SourceConfig};
use alzette_dcat::{RecordGraph, RecordKey};
use alzette_runlog::{PageCacheEntry, Run, RunLog, Stage};
use alzette_store::{RecordStore, StoredReport};
use std::collections::HashSet;
use std::sync::Arc;
use tokio_util::sync::CancellationToken;

/// What records are assessed with, when `[validation]` names shapes.
pub(crate) struct Assessment {
    pub validator: Arc<RecordValidator>,
    /// Set when `[quality] check_links`.
    pub links: Option<LinkChecker>,
    /// Links this run may still check.
    pub link_budget: usize,
}

pub(crate) struct Pipeline<'a> {
    pub source: &'a SourceConfig,
    pub options: RunOptions,
    pub run: &'a mut Run,
    pub writer: RecordWriter,
    pub store: Arc<RecordStore>,
    /// Where link results are read (and, when not a dry run, the run's progress saved).
    pub runlog: Arc<RunLog>,
    pub assessment: Option<Assessment>,
    /// Records the source still has: stored, unchanged, or failed this time but kept.
    pub seen: HashSet<RecordKey>,
    /// Page URLs visited in this walk.
    pub visited: HashSet<String>,
}

impl Pipeline<'_> {
    /// Walks the source to its end (or to a page that fails, or until cancelled); what the
    /// pages before gave is stored either way.
    pub async fn walk(
        &mut self,
        mut source: Box<dyn Source>,
        cancel: &CancellationToken,
        progress: &dyn Progress,
    ) -> WalkEnd {
        let (pages, mut received) = tokio::sync::mpsc::channel(1);
        let walker_cancel = cancel.child_token();
        let walker = tokio::spawn({
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
            let page = tokio::select! {
                page = received.recv() => page,
                () = cancel.cancelled() => return self.end(WalkEnd::Incomplete(cancelled())).await,
            };
            let page = match page {
                Some(Ok(Some(page))) => page,
                Some(Ok(None)) => return self.end(WalkEnd::Complete).await,
                Some(Err(failure)) => {
                    if !failure.cancelled {
                        tracing::warn!(source = %self.source.id, url = %failure.url, stage = %failure.stage, "{}", failure.message);
                        self.run
                            .record_error(&failure.url, failure.stage, &failure.message);
                    }
                    return self.end(WalkEnd::Incomplete(failure)).await;
                }
                // The source's task ended without saying so: it panicked.
                None => {
                    let error = match walker.await {
                        Err(e) => task_failure("the source", e),
                        Ok(()) => RunError::Task {
                            task: "the source",
                            cause: "it stopped without a last page".into(),
                        },
                    };
                    self.run
                        .record_error(self.source.url.as_str(), Stage::Page, error.to_string());
                    return self.end(WalkEnd::Fatal(error)).await;
                }
            };
            if let Err(error) = self.take_page(page).await {
                // A load under way still ends (and is counted) before the run does.
                let _ = self.writer.finish_load(self.run).await;
                return WalkEnd::Fatal(error);
            }
            self.run.pages += 1;
            if !self.options.dry_run {
                let _ = self.runlog.save(self.run);
            }
            progress.page(self.run);
        }
    }

    /// Stores what is pending before the walk ends as `end`.
    async fn end(&mut self, end: WalkEnd) -> WalkEnd {
        match self.writer.flush(self.run).await {
            Ok(()) => end,
            Err(error) => WalkEnd::Fatal(error),
        }
    }

    async fn take_page(&mut self, page: SourcePage) -> Result<(), RunError> {
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
        self.visited.insert(url.clone());
        match content {
            PageContent::Unchanged { keys } => {
                self.take_unchanged(&url, keys, cache);
                Ok(())
            }
            PageContent::Records { records, problems } => {
                self.take_records(&url, records, problems, cache).await
            }
        }
    }

    /// A page as it was last time: its records are seen and unchanged.
    fn take_unchanged(&mut self, url: &str, keys: Vec<RecordKey>, cache: Option<PageCacheEntry>) {
        self.run.received += keys.len() as u64;
        for key in keys {
            if self.seen.insert(key) {
                self.run.counts.unchanged += 1;
            }
        }
        if let Some(entry) = cache {
            self.writer.remember(url, &entry);
        }
    }

    async fn take_records(
        &mut self,
        url: &str,
        records: Vec<RecordGraph>,
        problems: Vec<Problem>,
        cache: Option<PageCacheEntry>,
    ) -> Result<(), RunError> {
        self.run.received += (records.len() + problems.len()) as u64;
        let page_keys: Vec<RecordKey> = records.iter().map(|r| r.key).collect();
        let clean = problems.is_empty();
        self.fail(url, problems);
        let fresh = self.first_of_run(url, records);
        let rejected_before = self.run.counts.rejected;
        let (fresh, reports, all_links_known) = match self.assessment.is_some() {
            true => {
                let all_links_known = self.check_links(&fresh).await;
                let (kept, reports) = self.validate(fresh);
                (kept, reports, all_links_known)
            }
            false => (fresh, Vec::new(), true),
        };
        // A page with rejected records is read again next time, to report them again; so is
        // a page with links left unchecked (the run's link budget ran out).
        let clean = clean && self.run.counts.rejected == rejected_before && all_links_known;
        let cache = cache.filter(|_| clean).map(|mut entry| {
            entry.records = page_keys;
            entry
        });
        self.writer.write(fresh, url, cache, self.run).await?;
        self.writer.write_reports(reports, url, self.run).await
    }

    /// Records the source could not make: failures, whose earlier versions stay.
    fn fail(&mut self, url: &str, problems: Vec<Problem>) {
        for p in problems {
            tracing::warn!(source = %self.source.id, page = %url, record = %p.record, "{}", p.message);
            self.run.record_error(
                format!("{} (page {url})", p.record),
                Stage::Split,
                p.message,
            );
            self.run.counts.failed += 1;
            if let Some(key) = p.key {
                self.seen.insert(key);
            }
        }
    }

    /// The records whose resource no earlier record of the run described: the first is kept.
    /// What normalisation repaired in them is said as warnings.
    fn first_of_run(&mut self, url: &str, records: Vec<RecordGraph>) -> Vec<RecordGraph> {
        let mut fresh = Vec::with_capacity(records.len());
        for r in records {
            for repair in &r.repairs {
                self.run.record_warning(
                    format!("<{}> (page {url})", r.resource),
                    Stage::Normalise,
                    repair,
                );
            }
            if self.seen.insert(r.key) {
                fresh.push(r);
            } else {
                tracing::debug!(source = %self.source.id, resource = %r.resource, "already harvested in this run; the first version is kept");
                self.run.counts.duplicates += 1;
                self.run.record_warning(
                    format!("<{}> (page {url})", r.resource),
                    Stage::Split,
                    "an earlier record of this run describes the same resource; the first is kept",
                );
            }
        }
        fresh
    }

    /// Validates a page's records; returns those to store, with their reports. A record with
    /// violations from a source with `on_invalid = "reject"` is left out (its earlier version,
    /// if any, stays: it was seen).
    fn validate(&mut self, records: Vec<RecordGraph>) -> (Vec<RecordGraph>, Vec<StoredReport>) {
        let Some(assessment) = &self.assessment else {
            return (records, Vec::new());
        };
        let validator = &assessment.validator;
        let links_checked = assessment.links.is_some();
        let mut kept = Vec::with_capacity(records.len());
        let mut reports = Vec::with_capacity(records.len());
        for record in records {
            let report = validator.validate(&record);
            let runlog = &self.runlog;
            let reachable = |url: &str| {
                links_checked
                    .then(|| crate::links::reachable(runlog, url))
                    .flatten()
            };
            let quality = validator.assess(&record, &report, &reachable);
            let violations = report.violations();
            let rejected = violations > 0 && self.source.on_invalid == OnInvalid::Reject;
            if let Some(summary) = self.run.validation.as_mut() {
                // A rejected record is not stored: its score is no score of the source's.
                summarize(summary, &report, quality.as_ref().filter(|_| !rejected));
            }
            if rejected {
                self.run.counts.rejected += 1;
                let first = report
                    .first_violation()
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
            let node = self.store.assessment_graph(&self.source.id, &record.key);
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
        let Some(Assessment {
            links: Some(links),
            link_budget,
            ..
        }) = &mut self.assessment
        else {
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
        let checked = links.check_stale(&urls, &self.runlog, link_budget).await;
        if let Some(summary) = self.run.validation.as_mut() {
            summary.links_checked += checked as u64;
        }
        urls.iter()
            .all(|u| self.runlog.link(u).ok().flatten().is_some())
    }

    /// After a complete walk: forgets the pages the source no longer has, and deletes the
    /// records it no longer has, unless the shrink guard holds.
    pub async fn sweep(&mut self) -> Sweep {
        self.writer.forget_pages_except(&self.visited);
        let stored = self.writer.stored_keys();
        let missing: HashSet<RecordKey> = stored
            .iter()
            .filter(|k| !self.seen.contains(*k))
            .copied()
            .collect();
        let guard = shrink_guard(
            &self.source.id,
            stored.len(),
            missing.len(),
            self.source.limits.max_shrink,
            self.options.allow_shrink,
        );
        match guard {
            Shrink::Nothing => Sweep::Done,
            Shrink::Hold(message) => {
                tracing::warn!(source = %self.source.id, "{message}");
                Sweep::Held(message)
            }
            Shrink::Delete => match self.writer.delete(missing, self.run).await {
                Ok(()) => Sweep::Done,
                Err(error) => Sweep::Failed(error),
            },
        }
    }
}

fn cancelled() -> PageFailure {
    PageFailure {
        cancelled: true,
        ..PageFailure::new(String::new(), Stage::Page, "cancelled")
    }
}
