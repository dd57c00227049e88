//! DCAT pages to record graphs, with no I/O: bytes in, records out.
//!
//! A harvest hands each page it fetched to this crate:
//! 1. [`detect_syntax`] decides the RDF syntax (Content-Type, then extension, then content);
//! 2. [`PageParser`] parses it into a graph (JSON-LD contexts only from a [`ContextSet`]);
//! 3. [`page_links`] finds the Hydra link to the next page;
//! 4. [`split_records`] cuts the graph into [`Description`]s, one per dataset, data service or
//!    dataset series;
//! 5. [`Normaliser`] makes each a [`RecordGraph`] — the one step every kind of source (DCAT
//!    pages, ISO records) goes through: limits, an IRI for a blank node, canonical form
//!    (RDFC-1.0) and hash, so that an unchanged record is recognised whatever its blank node
//!    labels, and the [`RecordKey`] the store and the run log know it by.

mod canonical;
mod contexts;
mod guard;
mod hex;
mod hydra;
pub mod identity;
mod normalise;
mod page;
mod parse;
mod profile;
mod record;
mod split;
mod syntax;

pub use canonical::{MAX_TIED_BLANK_NODES, canonicalize};
pub use contexts::{ContextSet, remote_context_iris};
pub use guard::{GuardError, PageLimits, check_page};
pub use hex::hex;
pub use hydra::{PageLinks, page_links};
pub use normalise::{
    Description, Normaliser, RecordLimits, Refusal, Refused, is_xml_char, minted_iri,
    replace_blank_node,
};
pub use page::PageGraph;
pub use parse::{PageError, PageParser};
pub use profile::{Profile, to_dcat_ap_2};
pub use record::{BadRecordKey, ContentHash, MintedFrom, RecordGraph, RecordKey, RecordKind};
pub use split::{RecordProblem, SplitOptions, SplitPage, split_records};
pub use syntax::{
    DetectedBy, JSON_LD, NotRdf, detect_syntax, from_content_type, from_url, looks_like, sniff,
    syntax_name,
};

/// Re-exported so that users of this crate name formats without depending on `oxrdfio`.
pub use oxrdfio::RdfFormat;
