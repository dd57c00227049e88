//! Harvesting: the I/O half of the pipeline.
//!
//! ```text
//! Source (fetch pages, split records) ──► normalise (canonical form, hash) ──► store
//!   DcatSource + Fetcher                   alzette-dcat                       alzette-store
//!   CswSource, IsoSource                   alzette-iso19139 (ISO → GeoDCAT-AP)
//! ```
//!
//! A [`Harvester`] runs one source at a time per source, logging every run in the run log; a
//! [`Scheduler`] fires the runs on the sources' cron schedules.

mod csw;
mod fetch;
mod iso;
pub mod links;
mod run;
mod scheduler;
mod source;
pub mod validation;
mod vocabulary;

pub use csw::CswSource;
pub use fetch::{FetchError, FetchErrorKind, Fetched, Fetcher, Validators};
pub use iso::IsoSource;
pub use run::{HarvestError, Harvester, Plan, Progress, Quiet, RunOptions, RunReport};
pub use scheduler::{ControlError, ReloadReport, Scheduler, SchedulerHandle};
pub use source::{DcatSource, PageContent, PageFailure, Source, SourcePage};
