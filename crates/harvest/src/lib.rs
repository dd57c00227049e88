//! Harvesting: the I/O half of the pipeline.
//!
//! ```text
//! Source (fetch pages, split records) ──► normalise (canonical form, hash) ──► store
//!   DcatSource + Fetcher                   alzette-dcat                       alzette-store
//! ```
//!
//! A [`Harvester`] runs one source at a time per source, logging every run in the run log; a
//! [`Scheduler`] fires the runs on the sources' cron schedules.

mod fetch;
pub mod links;
mod run;
mod scheduler;
mod source;
pub mod validation;
mod vocabulary;

pub use fetch::{FetchError, FetchErrorKind, Fetched, Fetcher, Validators};
pub use run::{HarvestError, Harvester, Plan, Progress, Quiet, RunOptions, RunReport};
pub use scheduler::{ControlError, ReloadReport, Scheduler, SchedulerHandle};
pub use source::{DcatSource, PageContent, PageFailure, Source, SourcePage};
