//! `GetRecords` requests: the POST body (CSW 2.0.2 XML) and the GET URL (KVP), with the
//! source's constraint and sort order.

use alzette_config::{CswConstraint, CswOptions};
use url::Url;

const GMD: &str = "http://www.isotc211.org/2005/gmd";

/// The `GetRecords` POST body for the page starting at `start` (1-based).
pub(super) fn request_xml(options: &CswOptions, sort: bool, start: u64) -> String {
    let mut query = String::from("<csw:ElementSetName>full</csw:ElementSetName>");
    match &options.constraint {
        Some(CswConstraint::Cql(cql)) => query.push_str(&format!(
            "<csw:Constraint version=\"1.1.0\"><csw:CqlText>{}</csw:CqlText></csw:Constraint>",
            escape(cql)
        )),
        Some(CswConstraint::Filter(filter)) => query.push_str(&format!(
            "<csw:Constraint version=\"1.1.0\">{filter}</csw:Constraint>"
        )),
        None => {}
    }
    if let (true, Some(by)) = (sort, &options.sort_by) {
        query.push_str(&format!(
            "<ogc:SortBy><ogc:SortProperty><ogc:PropertyName>{}</ogc:PropertyName><ogc:SortOrder>ASC</ogc:SortOrder></ogc:SortProperty></ogc:SortBy>",
            escape(by)
        ));
    }
    format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<csw:GetRecords xmlns:csw=\"http://www.opengis.net/cat/csw/2.0.2\" xmlns:ogc=\"http://www.opengis.net/ogc\" xmlns:gmd=\"{GMD}\" xmlns:apiso=\"http://www.opengis.net/cat/csw/apiso/1.0\" service=\"CSW\" version=\"2.0.2\" resultType=\"results\" startPosition=\"{start}\" maxRecords=\"{}\" outputFormat=\"application/xml\" outputSchema=\"{GMD}\"><csw:Query typeNames=\"gmd:MD_Metadata\">{query}</csw:Query></csw:GetRecords>",
        options.page_size
    )
}

/// The `GetRecords` GET URL for the page starting at `start` (1-based).
pub(super) fn request_url(endpoint: &Url, options: &CswOptions, sort: bool, start: u64) -> Url {
    let mut url = endpoint.clone();
    {
        let mut q = url.query_pairs_mut();
        q.append_pair("service", "CSW")
            .append_pair("version", "2.0.2")
            .append_pair("request", "GetRecords")
            .append_pair("typeNames", "gmd:MD_Metadata")
            .append_pair("namespace", &format!("xmlns(gmd={GMD})"))
            .append_pair("resultType", "results")
            .append_pair("outputSchema", GMD)
            .append_pair("elementSetName", "full")
            .append_pair("startPosition", &start.to_string())
            .append_pair("maxRecords", &options.page_size.to_string());
        match &options.constraint {
            Some(CswConstraint::Cql(cql)) => {
                q.append_pair("constraintLanguage", "CQL_TEXT")
                    .append_pair("constraint_language_version", "1.1.0")
                    .append_pair("constraint", cql);
            }
            Some(CswConstraint::Filter(filter)) => {
                q.append_pair("constraintLanguage", "FILTER")
                    .append_pair("constraint_language_version", "1.1.0")
                    .append_pair("constraint", filter);
            }
            None => {}
        }
        if let (true, Some(by)) = (sort, &options.sort_by) {
            q.append_pair("sortBy", &format!("{by}:A"));
        }
    }
    url
}

/// The `GetCapabilities` URL of an endpoint.
pub(super) fn capabilities_url(endpoint: &Url) -> Url {
    let mut url = endpoint.clone();
    url.query_pairs_mut()
        .append_pair("service", "CSW")
        .append_pair("request", "GetCapabilities")
        .append_pair("version", "2.0.2");
    url
}

/// Options for an incremental run: the configured constraint and `apiso:Modified >= since`.
pub(super) fn modified_since(options: &CswOptions, since: &str) -> CswOptions {
    let mut options = options.clone();
    let modified = format!("apiso:Modified >= '{since}'");
    options.constraint = Some(CswConstraint::Cql(match &options.constraint {
        Some(CswConstraint::Cql(cql)) => format!("({cql}) AND {modified}"),
        _ => modified,
    }));
    options
}

fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}
