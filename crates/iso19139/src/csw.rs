//! CSW 2.0.2 `GetRecords` responses: where a page stands in the result set.

use crate::xml::{Document, Element, Ns};
use crate::{DocumentError, decode};

/// The paging of one `GetRecords` response (`csw:SearchResults`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CswPage {
    /// `numberOfRecordsMatched`: how many records the whole result set has.
    pub matched: Option<u64>,
    /// `numberOfRecordsReturned`: how many this page says it holds.
    pub returned: Option<u64>,
    /// `nextRecord`: where the next page starts; 0 or absent at the end (servers differ).
    pub next_record: Option<u64>,
    /// How many `gmd:MD_Metadata` the page really holds.
    pub records: usize,
}

/// Reads the paging of a `GetRecords` response; an `ows:ExceptionReport` (whatever the HTTP
/// status said) or a document that is not a CSW response is an error.
pub fn read_csw_page(bytes: &[u8]) -> Result<CswPage, DocumentError> {
    let text = decode(bytes).map_err(DocumentError::Xml)?;
    let doc = Document::parse(&text).map_err(DocumentError::Xml)?;
    page_of(&doc)
}

pub(crate) fn page_of(doc: &Document<'_>) -> Result<CswPage, DocumentError> {
    let root = doc.root();
    if root.is(Ns::Ows, "ExceptionReport") {
        return Err(DocumentError::Exception(exception_text(root)));
    }
    let Some(results) = doc.all(Ns::Csw, "SearchResults").next() else {
        return Err(DocumentError::NotIso(root.name().to_owned()));
    };
    let number = |name: &str| {
        results
            .attribute(Ns::None, name)
            .and_then(|v| v.trim().parse::<u64>().ok())
    };
    Ok(CswPage {
        matched: number("numberOfRecordsMatched"),
        returned: number("numberOfRecordsReturned"),
        next_record: number("nextRecord"),
        records: crate::metadata_records(doc).len(),
    })
}

/// The exception codes and texts of an `ows:ExceptionReport`.
pub(crate) fn exception_text(report: Element<'_, '_>) -> String {
    let parts: Vec<String> = report
        .all(Ns::Ows, "Exception")
        .map(|e| {
            let code = e.attribute(Ns::None, "exceptionCode").unwrap_or("");
            let texts: Vec<String> = e.all(Ns::Ows, "ExceptionText").map(|t| t.text()).collect();
            format!("{code}: {}", texts.join("; "))
        })
        .collect();
    if parts.is_empty() {
        "no exception text".into()
    } else {
        parts.join(" | ")
    }
}
