//! data.europa.eu's metadata quality assessment (MQA) of one DCAT-AP dataset.
//!
//! [`Vocabularies`] is read once from the background vocabularies (EU file types, licences,
//! access rights, the data portal's lists of non-proprietary and machine-readable formats, IANA
//! media types); [`assess`] scores a dataset from its record graph, whether it is DCAT-AP
//! compliant (the validation's verdict), and what a link checker knows of its URLs; the
//! [`QualityScore`] says each metric's points and writes itself as DQV measurements.
//!
//! The points are the portal's: Findability 100, Accessibility 100, Interoperability 110,
//! Reusability 75, Contextuality 20, 405 in all; a distribution metric gives the dataset its
//! points in proportion to the share of its distributions that meet it (docs/quality.md says
//! why). A metric Alzette could not measure (URLs not checked) scores 0 and says so.
//!
//! ```
//! use alzette_quality::{Vocabularies, assess, Rating};
//! use oxrdf::{Graph, NamedNode};
//! use oxrdfio::{RdfFormat, RdfParser};
//! let graph: Graph = RdfParser::from_format(RdfFormat::Turtle)
//!     .for_slice(br#"@prefix dcat: <http://www.w3.org/ns/dcat#> .
//!         <http://e.org/d> a dcat:Dataset ; dcat:keyword "air" ."#.as_slice())
//!     .map(|q| oxrdf::Triple::from(q.unwrap()))
//!     .collect();
//! let d = NamedNode::new("http://e.org/d").unwrap();
//! let score = assess(&graph, d.as_ref(), Some(true), &Vocabularies::default(), &|_| None);
//! assert_eq!(score.total(), 60.0); // keyword 30 + DCAT-AP compliance 30
//! assert_eq!(score.rating(), Rating::Bad);
//! ```

mod metrics;
mod vocabularies;

pub use metrics::{Dimension, MAX_POINTS, Measurement, Metric, QualityScore, Rating, assess};
pub use vocabularies::Vocabularies;
