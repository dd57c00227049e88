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
    let doc =
        Document::parse_within(&text, &crate::TreeLimits::default()).map_err(DocumentError::Xml)?;
    let records = crate::metadata_records(&doc).len();
    page_of(&doc, records)
}

/// The paging of a response whose `records` are already counted.
pub(crate) fn page_of(doc: &Document<'_>, records: usize) -> Result<CswPage, DocumentError> {
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
        records,
    })
}

/// The HTTP bindings a CSW's capabilities give `GetRecords`: (GET, POST); `None` when the
/// document is not capabilities that describe that operation.
///
/// ```
/// let caps = br#"<csw:Capabilities xmlns:csw="http://www.opengis.net/cat/csw/2.0.2"
///     xmlns:ows="http://www.opengis.net/ows"><ows:OperationsMetadata>
///   <ows:Operation name="GetRecords"><ows:DCP><ows:HTTP><ows:Get/></ows:HTTP></ows:DCP></ows:Operation>
/// </ows:OperationsMetadata></csw:Capabilities>"#;
/// assert_eq!(alzette_iso19139::get_records_bindings(caps), Some((true, false)));
/// ```
pub fn get_records_bindings(bytes: &[u8]) -> Option<(bool, bool)> {
    let text = decode(bytes).ok()?;
    let doc = Document::parse_within(&text, &crate::TreeLimits::default()).ok()?;
    let operation = doc
        .all(Ns::Ows, "Operation")
        .find(|o| o.attribute(Ns::None, "name") == Some("GetRecords"))?;
    let bindings = operation.path(&[(Ns::Ows, "DCP"), (Ns::Ows, "HTTP"), (Ns::Ows, "*")]);
    Some((
        bindings.iter().any(|b| b.is(Ns::Ows, "Get")),
        bindings.iter().any(|b| b.is(Ns::Ows, "Post")),
    ))
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
