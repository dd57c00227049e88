//! Harvesting: the I/O half of the pipeline.
//!
//! ```text
//!  Source (sources/)           normalise (alzette-dcat)     Pipeline (pipeline.rs)          RecordWriter (writer.rs)
//!  fetch pages, follow  ──►    limits, IRIs for blank   ──► duplicates in the run,     ──►  classify, replace changed,
//!  paging, split/map           nodes, canonical hash,       link checks, SHACL + MQA        bulk-load new, remember pages;
//!  (DCAT, CSW, ISO)            record key                   (validation/)                   after a complete walk: sweep
//!                                                                                           (shrink guard, outcome.rs)
//! ```
//!
//! A [`Harvester`] runs harvests, never two of one source at once, logging every run in the
//! run log; a [`Scheduler`] fires the runs on the sources' cron schedules.

mod errors;
mod fetch;
mod harvester;
pub mod links;
mod outcome;
mod pipeline;
pub mod policy;
pub mod rdf_file;
mod scheduler;
mod sources;
pub mod validation;
mod writer;

pub use errors::{HarvestError, RunError, SetupError};
pub use fetch::{CacheValidators, ClientError, FetchError, FetchErrorKind, Fetched, Fetcher};
pub use harvester::{Harvester, Plan, Progress, Quiet, RunOptions, RunReport};
pub use scheduler::{
    ControlError, ReloadReport, ScheduleBoard, Scheduler, SchedulerHandle, SlotState,
};
