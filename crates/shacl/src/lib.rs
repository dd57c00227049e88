//! A SHACL Core validator over Oxigraph graphs.
//!
//! [`Shapes::from_graph`] reads a shapes graph once; [`Shapes::validate`] then checks any
//! number of data graphs against it, each optionally read together with a shared background
//! graph (the vocabularies that `sh:class` constraints on authority-table IRIs need), and gives
//! a [`ValidationReport`] that [`ValidationReport::write`] turns into a W3C
//! `sh:ValidationReport` graph.
//!
//! Everything in SHACL Core is supported: all targets (with implicit class targets and
//! `rdfs:subClassOf`), all property paths, all Core constraint components, severities,
//! `sh:deactivated` and `sh:message`. SHACL-SPARQL is not. The crate does no I/O.
//!
//! ```
//! use alzette_shacl::{Background, DataGraph, Shapes};
//! use oxrdf::Graph;
//! use oxrdfio::{RdfFormat, RdfParser};
//! let read = |ttl: &str| -> Graph {
//!     RdfParser::from_format(RdfFormat::Turtle)
//!         .for_slice(ttl.as_bytes())
//!         .map(|q| oxrdf::Triple::from(q.unwrap()))
//!         .collect()
//! };
//! let shapes = Shapes::from_graph(&read(r#"
//!     @prefix sh: <http://www.w3.org/ns/shacl#> .
//!     <http://e.org/S> sh:targetClass <http://e.org/Dataset> ;
//!         sh:property [ sh:path <http://e.org/theme> ; sh:class <http://e.org/Concept> ] ."#)).unwrap();
//! let record = read("<http://e.org/d> a <http://e.org/Dataset> ; <http://e.org/theme> <http://e.org/t> .");
//! let vocabulary = Background::from(&read("<http://e.org/t> a <http://e.org/Concept> ."));
//! assert!(!shapes.validate(&DataGraph::from(&record)).conforms());
//! let with_vocabulary = DataGraph::over(&vocabulary, record.iter().map(|t| t.into_owned()));
//! assert!(shapes.validate(&with_vocabulary).conforms());
//! ```

mod index;
mod literal;
mod path;
mod report;
mod shapes;
mod validate;
mod vocab;

pub use index::{Background, NumberedTriples};
pub use literal::is_well_formed;
pub use path::{Path, PathError};
pub use report::{ValidationReport, ValidationResult};
pub use shapes::{Shapes, ShapesError};
pub use validate::DataGraph;
