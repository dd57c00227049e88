//! Which RDF syntax a page is written in: from its Content-Type, then its URL's extension, then
//! its first bytes.

use oxrdfio::{JsonLdProfileSet, RdfFormat};

/// How the syntax of a page was decided, for messages.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DetectedBy {
    Configuration,
    ContentType,
    Extension,
    Content,
}

/// The syntaxes Alzette reads from DCAT sources.
pub const JSON_LD: RdfFormat = RdfFormat::JsonLd {
    profile: JsonLdProfileSet::empty(),
};

/// Decides the syntax of a page. Generic media types (`text/plain`, `application/octet-stream`,
/// `text/html`...) say nothing and fall through to the extension, then to the content.
///
/// ```
/// use alzette_dcat::{detect_syntax, DetectedBy};
/// use oxrdfio::RdfFormat;
/// assert_eq!(
///     detect_syntax(Some("text/turtle; charset=utf-8"), "https://e.org/c", b""),
///     Some((RdfFormat::Turtle, DetectedBy::ContentType))
/// );
/// assert_eq!(
///     detect_syntax(Some("application/octet-stream"), "https://e.org/c.rdf?page=2", b""),
///     Some((RdfFormat::RdfXml, DetectedBy::Extension))
/// );
/// assert_eq!(
///     detect_syntax(None, "https://e.org/c", b"  <?xml version=\"1.0\"?><rdf:RDF/>"),
///     Some((RdfFormat::RdfXml, DetectedBy::Content))
/// );
/// ```
pub fn detect_syntax(
    content_type: Option<&str>,
    url: &str,
    body: &[u8],
) -> Option<(RdfFormat, DetectedBy)> {
    if let Some(f) = content_type.and_then(from_content_type) {
        return Some((f, DetectedBy::ContentType));
    }
    if let Some(f) = from_url(url) {
        return Some((f, DetectedBy::Extension));
    }
    sniff(body).map(|f| (f, DetectedBy::Content))
}

/// A syntax from a media type, or `None` for types that say nothing about RDF.
pub fn from_content_type(content_type: &str) -> Option<RdfFormat> {
    let essence = content_type
        .split(';')
        .next()
        .unwrap_or_default()
        .trim()
        .to_ascii_lowercase();
    match essence.as_str() {
        "text/turtle" | "application/x-turtle" | "application/turtle" => Some(RdfFormat::Turtle),
        "application/n-triples" => Some(RdfFormat::NTriples),
        "application/rdf+xml" => Some(RdfFormat::RdfXml),
        "application/ld+json" | "application/json" | "application/activity+json" => Some(JSON_LD),
        "application/n-quads" => Some(RdfFormat::NQuads),
        "application/trig" => Some(RdfFormat::TriG),
        // text/plain, text/html, application/xml, application/octet-stream, ...: not decisive
        // (application/xml may be any XML, text/plain is what many servers send for .ttl).
        _ => None,
    }
}

/// A syntax from the extension of the URL's last path segment.
pub fn from_url(url: &str) -> Option<RdfFormat> {
    let path = url.split(['?', '#']).next().unwrap_or_default();
    let last = path.rsplit('/').next().unwrap_or_default();
    let (_, ext) = last.rsplit_once('.')?;
    match ext.to_ascii_lowercase().as_str() {
        "ttl" | "turtle" => Some(RdfFormat::Turtle),
        "nt" => Some(RdfFormat::NTriples),
        "rdf" | "owl" | "xml" => Some(RdfFormat::RdfXml),
        "jsonld" | "json" => Some(JSON_LD),
        "nq" => Some(RdfFormat::NQuads),
        "trig" => Some(RdfFormat::TriG),
        _ => None,
    }
}

/// A syntax from the first meaningful bytes of the body.
pub fn sniff(body: &[u8]) -> Option<RdfFormat> {
    let body = body.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(body);
    let start = body.iter().position(|b| !b.is_ascii_whitespace())?;
    let head = &body[start..body.len().min(start + 4096)];
    match head[0] {
        b'{' | b'[' => return Some(JSON_LD),
        b'<' => {
            // `<?xml`, `<rdf:RDF`, `<!--` and `<!DOCTYPE` are XML; `<http://...> <...>` is
            // N-Triples or Turtle.
            if head.starts_with(b"<?xml") || head.starts_with(b"<!") || head.starts_with(b"<rdf:") {
                return Some(RdfFormat::RdfXml);
            }
            if let Some(end) = head.iter().position(|b| *b == b'>') {
                let inner = &head[1..end];
                if inner.contains(&b':') && !inner.contains(&b' ') && !inner.contains(&b'=') {
                    // An IRI: the Turtle parser reads N-Triples as well.
                    return Some(RdfFormat::Turtle);
                }
            }
            return Some(RdfFormat::RdfXml);
        }
        _ => {}
    }
    let text = String::from_utf8_lossy(head);
    let lowered = text.to_ascii_lowercase();
    let turtle_start = ["@prefix", "@base", "prefix ", "base ", "#", "_:"];
    if turtle_start.iter().any(|p| lowered.starts_with(p)) {
        return Some(RdfFormat::Turtle);
    }
    None
}

/// What a body that is not the RDF a DCAT source should send looks like, to tell the operator
/// what the URL points at instead.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NotRdf {
    /// A web page: usually a portal's landing page rather than its catalogue.
    Html,
    /// ISO 19139 metadata.
    Iso19139,
    /// A CSW (catalogue service) response.
    Csw,
    /// An OAI-PMH response.
    OaiPmh,
}

impl std::fmt::Display for NotRdf {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Self::Html => {
                "it is an HTML page, not RDF: probably the portal's landing page rather than its catalogue; point url at the catalogue's RDF (its DCAT export, e.g. /catalog.ttl)"
            }
            Self::Iso19139 => {
                "it is ISO 19139 metadata, not DCAT: harvest it with kind = \"iso19139\" (files, a folder) or kind = \"csw\" (a CSW endpoint)"
            }
            Self::Csw => "it is a CSW response: harvest the endpoint with kind = \"csw\"",
            Self::OaiPmh => "it is an OAI-PMH response, which this kind does not read",
        })
    }
}

/// What `body` looks like when it is one of the usual wrong things (see [`NotRdf`]).
///
/// ```
/// use alzette_dcat::{NotRdf, looks_like};
/// assert_eq!(looks_like(b"<!DOCTYPE html><html><body>Portal</body></html>"), Some(NotRdf::Html));
/// assert_eq!(looks_like(b"@prefix dcat: <http://www.w3.org/ns/dcat#> ."), None);
/// ```
pub fn looks_like(body: &[u8]) -> Option<NotRdf> {
    let head = String::from_utf8_lossy(&body[..body.len().min(4096)]).to_ascii_lowercase();
    let head = head.trim_start_matches('\u{feff}').trim_start();
    if head.starts_with("<!doctype html")
        || head.starts_with("<html")
        || head.contains("<html") && !head.contains("rdf:rdf")
    {
        Some(NotRdf::Html)
    } else if head.contains("http://www.opengis.net/cat/csw/2.0.2") && head.contains("getrecords") {
        Some(NotRdf::Csw)
    } else if head.contains("http://www.isotc211.org/2005/gmd") && !head.contains("rdf:rdf") {
        Some(NotRdf::Iso19139)
    } else if head.contains("http://www.openarchives.org/oai/2.0/") {
        Some(NotRdf::OaiPmh)
    } else {
        None
    }
}

/// A short name for messages.
pub fn syntax_name(format: RdfFormat) -> &'static str {
    match format {
        RdfFormat::Turtle => "Turtle",
        RdfFormat::NTriples => "N-Triples",
        RdfFormat::RdfXml => "RDF/XML",
        RdfFormat::JsonLd { .. } => "JSON-LD",
        RdfFormat::NQuads => "N-Quads",
        RdfFormat::TriG => "TriG",
        RdfFormat::N3 => "N3",
        _ => "RDF",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn content_type_wins_over_extension() {
        assert_eq!(
            detect_syntax(
                Some("application/rdf+xml"),
                "https://e.org/c.ttl",
                b"@prefix"
            ),
            Some((RdfFormat::RdfXml, DetectedBy::ContentType))
        );
    }

    #[test]
    fn generic_types_fall_through() {
        for ct in [
            "text/plain",
            "application/octet-stream",
            "text/html",
            "application/xml",
        ] {
            assert_eq!(
                detect_syntax(Some(ct), "https://e.org/c.nt", b""),
                Some((RdfFormat::NTriples, DetectedBy::Extension)),
                "{ct}"
            );
        }
    }

    #[test]
    fn sniffing() {
        assert_eq!(sniff(b"\n\n@prefix dcat: <x> ."), Some(RdfFormat::Turtle));
        assert_eq!(sniff(b"PREFIX dcat: <x>"), Some(RdfFormat::Turtle));
        assert_eq!(
            sniff(b"<http://e.org/a> <http://e.org/p> \"x\" ."),
            Some(RdfFormat::Turtle)
        );
        assert_eq!(sniff(b"\xEF\xBB\xBF{\"@context\": {}}"), Some(JSON_LD));
        assert_eq!(sniff(b"[{\"@id\": \"x\"}]"), Some(JSON_LD));
        assert_eq!(
            sniff(b"<rdf:RDF xmlns:rdf=\"...\">"),
            Some(RdfFormat::RdfXml)
        );
        assert_eq!(sniff(b"<!-- comment --><rdf:RDF>"), Some(RdfFormat::RdfXml));
        assert_eq!(sniff(b"PK\x03\x04 zip"), None);
        assert_eq!(sniff(b"   "), None);
    }

    #[test]
    fn extensions_ignore_query_and_case() {
        assert_eq!(
            from_url("https://e.org/catalog.TTL?page=3#x"),
            Some(RdfFormat::Turtle)
        );
        assert_eq!(from_url("https://e.org/catalog?format=ttl"), None);
        assert_eq!(from_url("https://e.org/v1.2/catalog"), None);
    }
}
