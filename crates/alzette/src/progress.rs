//! Run progress: a bar on a terminal, log lines otherwise.

use alzette_harvest::Progress;
use alzette_runlog::Run;
use indicatif::{ProgressBar, ProgressStyle};
use std::io::IsTerminal;

pub struct TerminalProgress {
    bar: Option<ProgressBar>,
    source: String,
}

impl TerminalProgress {
    pub fn new(source: &str) -> Self {
        let bar = std::io::stderr().is_terminal().then(|| {
            let bar = ProgressBar::new_spinner();
            bar.set_style(
                ProgressStyle::with_template(
                    "{spinner} {prefix} [{elapsed_precise}] {wide_bar} {pos}/{len} {msg}",
                )
                .unwrap_or_else(|_| ProgressStyle::default_spinner()),
            );
            bar.set_prefix(source.to_owned());
            bar
        });
        Self {
            bar,
            source: source.to_owned(),
        }
    }

    pub fn finish(&self) {
        if let Some(bar) = &self.bar {
            bar.finish_and_clear();
        }
    }
}

impl Progress for TerminalProgress {
    fn page(&self, run: &Run) {
        let c = &run.counts;
        let seen = c.added + c.updated + c.unchanged + c.failed;
        match &self.bar {
            Some(bar) => {
                if let Some(total) = run.announced {
                    bar.set_length(total);
                }
                bar.set_position(seen);
                bar.set_message(format!(
                    "page {} · +{} ~{} ={} ✗{}",
                    run.pages, c.added, c.updated, c.unchanged, c.failed
                ));
            }
            None => tracing::info!(
                source = %self.source, pages = run.pages, records = seen, announced = ?run.announced,
                added = c.added, updated = c.updated, unchanged = c.unchanged, failed = c.failed,
                "page done"
            ),
        }
    }
}
