//! ISO 19139 metadata (INSPIRE, TG 1.3 and 2.0) to GeoDCAT-AP 3, and the CSW 2.0.2 responses
//! that carry it.
//!
//! [`map_document`] reads one document (a bare `gmd:MD_Metadata`, a `GetRecordById` or a
//! `GetRecords` response, any prefix or the default namespace) and maps every record in it;
//! [`read_csw_page`] reads a `GetRecords` response's paging. The crate does no I/O: bytes in,
//! triples out. The mapping follows the SEMIC reference XSLT (`iso-19139-to-dcat-ap`),
//! element by element; `docs/mapping-iso19139.md` lists where Alzette deliberately differs.
//!
//! ```
//! use alzette_iso19139::{Options, ResourceKind, map_document};
//! let xml = br#"<gmd:MD_Metadata xmlns:gmd="http://www.isotc211.org/2005/gmd"
//!     xmlns:gco="http://www.isotc211.org/2005/gco">
//!   <gmd:fileIdentifier><gco:CharacterString>abc</gco:CharacterString></gmd:fileIdentifier>
//!   <gmd:hierarchyLevel><gmd:MD_ScopeCode codeListValue="dataset"/></gmd:hierarchyLevel>
//!   <gmd:identificationInfo><gmd:MD_DataIdentification><gmd:citation><gmd:CI_Citation>
//!     <gmd:title><gco:CharacterString>Rivers</gco:CharacterString></gmd:title>
//!   </gmd:CI_Citation></gmd:citation></gmd:MD_DataIdentification></gmd:identificationInfo>
//! </gmd:MD_Metadata>"#;
//! let records = map_document(xml, &Options::default()).unwrap();
//! assert_eq!(records.len(), 1);
//! assert_eq!(records[0].kind, ResourceKind::Dataset);
//! assert_eq!(records[0].file_identifier.as_deref(), Some("abc"));
//! assert!(records[0].triples.iter().any(|t| t.object.to_string() == "\"Rivers\""));
//! ```

mod codes;
mod csw;
mod graph;
mod map;
mod xml;

pub use csw::{CswPage, get_records_bindings, read_csw_page};
pub use xml::{TreeLimits, XmlError};

use oxrdf::{NamedOrBlankNode, Triple};
use std::collections::HashMap;

/// GeoDCAT-AP's two profiles: core maps what DCAT-AP has a place for; extended maps every
/// INSPIRE and ISO 19115 core element.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Profile {
    Core,
    #[default]
    Extended,
}

/// A profile name that is neither `core` nor `extended`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("\"{0}\" is not a GeoDCAT-AP profile (core or extended)")]
pub struct UnknownProfile(pub String);

/// `core` or `extended`, as written in the configuration and on the command line.
impl std::str::FromStr for Profile {
    type Err = UnknownProfile;

    fn from_str(name: &str) -> Result<Self, UnknownProfile> {
        match name {
            "core" => Ok(Self::Core),
            "extended" => Ok(Self::Extended),
            other => Err(UnknownProfile(other.to_owned())),
        }
    }
}

/// How to map.
#[derive(Debug, Clone)]
pub struct Options {
    pub profile: Profile,
    /// The ISO 639-2 code of the language to prefer where one translation must be chosen
    /// (an address's city, a service's title).
    pub preferred_language: String,
    /// How large a document's tree may grow while it is read.
    pub limits: TreeLimits,
}

impl Default for Options {
    fn default() -> Self {
        Self {
            profile: Profile::Extended,
            preferred_language: "eng".into(),
            limits: TreeLimits::default(),
        }
    }
}

/// What an ISO record describes (`gmd:hierarchyLevel`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ResourceKind {
    Dataset,
    Series,
    Service,
    /// Another scope code (`feature`, `software`, …): mapped, but not as a DCAT resource.
    Other(String),
}

impl ResourceKind {
    /// The scope code (`dataset`, `series`, `service`, or the other one).
    pub fn code(&self) -> &str {
        match self {
            Self::Dataset => "dataset",
            Self::Series => "series",
            Self::Service => "service",
            Self::Other(code) => code,
        }
    }

    /// A dataset or a series: data, not a service.
    pub fn is_data(&self) -> bool {
        matches!(self, Self::Dataset | Self::Series)
    }
}

/// One ISO record, mapped.
#[derive(Debug, Clone)]
pub struct MappedRecord {
    /// `gmd:fileIdentifier`: the record's identity at its source.
    pub file_identifier: Option<String>,
    /// The dataset, series or service: its IRI when an identifier is one, else a blank node.
    pub resource: NamedOrBlankNode,
    pub kind: ResourceKind,
    pub triples: Vec<Triple>,
    /// What the record got wrong that the mapping worked around or left out.
    pub warnings: Vec<String>,
}

/// Why a document could not be mapped at all.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DocumentError {
    /// Not XML, or XML Alzette refuses (a DOCTYPE).
    Xml(XmlError),
    /// The server answered with an `ows:ExceptionReport`.
    Exception(String),
    /// Well-formed XML, but no ISO record and not a CSW answer (often an HTML error page).
    NotIso(String),
}

impl std::fmt::Display for DocumentError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Xml(e) => write!(f, "{e}"),
            Self::Exception(e) => write!(f, "the server answered with an exception: {e}"),
            Self::NotIso(root) => write!(
                f,
                "not ISO 19139 metadata or a CSW response (the root element is <{root}>)"
            ),
        }
    }
}

impl std::error::Error for DocumentError {}

/// Maps every `gmd:MD_Metadata` (and ISO 19115-2 `gmi:MI_Metadata`) of `bytes`, wherever it
/// sits in the document.
pub fn map_document(bytes: &[u8], options: &Options) -> Result<Vec<MappedRecord>, DocumentError> {
    let text = decode(bytes).map_err(DocumentError::Xml)?;
    let doc = xml::Document::parse_within(&text, &options.limits).map_err(DocumentError::Xml)?;
    map_parsed(&doc, options)
}

/// Reads a CSW `GetRecords` response once: its paging and its records, mapped.
pub fn map_csw_page(
    bytes: &[u8],
    options: &Options,
) -> Result<(CswPage, Vec<MappedRecord>), DocumentError> {
    let text = decode(bytes).map_err(DocumentError::Xml)?;
    let doc = xml::Document::parse_within(&text, &options.limits).map_err(DocumentError::Xml)?;
    // The records are counted as they are mapped, not looked for twice.
    let records = map_parsed(&doc, options)?;
    let page = csw::page_of(&doc, records.len())?;
    Ok((page, records))
}

/// The metadata records of a document, in order.
fn metadata_records<'d, 'a>(doc: &'d xml::Document<'a>) -> Vec<xml::Element<'d, 'a>> {
    doc.elements()
        .filter(|e| e.is(xml::Ns::Gmd, "MD_Metadata") || e.is(xml::Ns::Gmi, "MI_Metadata"))
        .collect()
}

fn map_parsed(
    doc: &xml::Document<'_>,
    options: &Options,
) -> Result<Vec<MappedRecord>, DocumentError> {
    let root = doc.root();
    if root.is(xml::Ns::Ows, "ExceptionReport") {
        return Err(DocumentError::Exception(csw::exception_text(root)));
    }
    // One pass over the document: its records and its locales.
    let mut records = Vec::new();
    let mut locales: HashMap<&str, String> = HashMap::new();
    let mut preferred_locale = None;
    for e in doc.elements() {
        if e.is(xml::Ns::Gmd, "MD_Metadata") || e.is(xml::Ns::Gmi, "MI_Metadata") {
            records.push(e);
        } else if e.is(xml::Ns::Gmd, "PT_Locale") {
            let code = e
                .at(&[
                    (xml::Ns::Gmd, "languageCode"),
                    (xml::Ns::Gmd, "LanguageCode"),
                ])
                .and_then(|c| c.attribute(xml::Ns::None, "codeListValue"));
            if let (Some(id), Some(code)) = (e.attribute(xml::Ns::None, "id"), code) {
                if preferred_locale.is_none() && code == options.preferred_language {
                    preferred_locale = Some(id);
                }
                locales.entry(id).or_insert_with(|| code.to_owned());
            }
        }
    }
    if records.is_empty() && root.ns() != xml::Ns::Csw {
        return Err(DocumentError::NotIso(root.name().to_owned()));
    }
    let context = map::DocumentContext {
        locales,
        preferred_locale,
    };
    Ok(records
        .into_iter()
        .map(|md| {
            let mapped = map::map_record(md, &context, options.profile);
            MappedRecord {
                file_identifier: mapped.file_identifier,
                resource: mapped.resource,
                kind: mapped.kind,
                triples: mapped.out.triples,
                warnings: mapped.out.warnings,
            }
        })
        .collect())
}

/// The document as text: UTF-8 (with or without a byte order mark), or ISO-8859-1 when the
/// XML declaration says so.
fn decode(bytes: &[u8]) -> Result<std::borrow::Cow<'_, str>, XmlError> {
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    match std::str::from_utf8(bytes) {
        Ok(text) => Ok(text.into()),
        Err(e) => {
            let head = String::from_utf8_lossy(&bytes[..bytes.len().min(200)]).to_lowercase();
            if head.contains("iso-8859-1") || head.contains("latin1") {
                Ok(bytes
                    .iter()
                    .map(|&b| char::from(b))
                    .collect::<String>()
                    .into())
            } else {
                Err(XmlError(format!(
                    "not UTF-8 ({e}) and no other encoding declared"
                )))
            }
        }
    }
}
