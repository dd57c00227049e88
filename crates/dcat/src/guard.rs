//! Checks a page before it is parsed, against what a hostile source could send that a parser
//! would otherwise act on: XML entity expansion (billion laughs), external entities (XXE) and
//! nesting deeper than any catalogue needs. They scan the bytes once and keep nothing.

use oxrdfio::RdfFormat;
use quick_xml::events::Event;

/// Limits of one page, before and while it is parsed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PageLimits {
    /// Triples a page may hold.
    pub max_triples: usize,
    /// Elements (XML) or objects and arrays (JSON-LD) nested deeper than this are refused.
    pub max_nesting_depth: usize,
    /// The page after XML entity expansion may not be larger than this (bytes).
    pub max_expanded_size: u64,
}

impl Default for PageLimits {
    fn default() -> Self {
        Self {
            max_triples: 2_000_000,
            max_nesting_depth: 256,
            max_expanded_size: 512 * 1024 * 1024,
        }
    }
}

/// Entities an RDF/XML page may declare: real ones abbreviate namespaces, a handful at most.
const MAX_ENTITIES: usize = 1000;

/// Why a page is refused before it is parsed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum GuardError {
    #[error("its DTD declares a parameter entity; Alzette refuses them")]
    ParameterEntity,
    #[error(
        "its DTD declares the external entity \"{0}\"; Alzette never reads files or URLs a document names"
    )]
    ExternalEntity(String),
    #[error(
        "its DTD declares the entity \"{0}\" in terms of other entities (an entity expansion attack, or too clever); Alzette refuses nested entities"
    )]
    NestedEntity(String),
    #[error("its DTD declares more than {MAX_ENTITIES} entities")]
    TooManyEntities,
    #[error(
        "its XML entities would expand it to {expanded} bytes, more than {limit} (limit max_body_size)"
    )]
    Expansion { expanded: u64, limit: u64 },
    #[error("it nests {what} more than {max} levels deep (limit max_nesting_depth)")]
    TooDeep { what: &'static str, max: usize },
}

/// Refuses a page whose structure would make its parser exceed `limits`; says why.
///
/// ```
/// use alzette_dcat::{PageLimits, check_page};
/// use alzette_dcat::RdfFormat;
/// let xxe = br#"<!DOCTYPE r [<!ENTITY x SYSTEM "file:///etc/passwd">]><r>&x;</r>"#;
/// let e = check_page(xxe, RdfFormat::RdfXml, &PageLimits::default()).unwrap_err();
/// assert!(e.to_string().contains("external entity"));
/// ```
pub fn check_page(body: &[u8], format: RdfFormat, limits: &PageLimits) -> Result<(), GuardError> {
    match format {
        RdfFormat::RdfXml => check_xml(body, limits),
        RdfFormat::JsonLd { .. } => check_json_depth(body, limits.max_nesting_depth),
        _ => Ok(()),
    }
}

fn check_xml(body: &[u8], limits: &PageLimits) -> Result<(), GuardError> {
    let mut reader = quick_xml::Reader::from_reader(body);
    reader.config_mut().check_end_names = false;
    let mut depth = 0usize;
    let mut entities: Vec<(Vec<u8>, usize)> = Vec::new();
    loop {
        // A syntax error is the parser's to report, with its position.
        let Ok(event) = reader.read_event() else {
            return Ok(());
        };
        match event {
            Event::DocType(doctype) => entities = declared_entities(&doctype)?,
            Event::Start(_) => {
                depth += 1;
                if depth > limits.max_nesting_depth {
                    return Err(too_deep(limits.max_nesting_depth, "XML elements"));
                }
            }
            Event::End(_) => depth = depth.saturating_sub(1),
            Event::Eof => break,
            _ => {}
        }
    }
    if !entities.is_empty() {
        let expanded = expanded_size(body, &entities);
        if expanded > limits.max_expanded_size {
            return Err(GuardError::Expansion {
                expanded,
                limit: limits.max_expanded_size,
            });
        }
    }
    Ok(())
}

/// The internal entities of a DTD, name and value length; refuses external entities, parameter
/// entities, and entities that refer to other entities (the nesting entity bombs are made of).
fn declared_entities(doctype: &[u8]) -> Result<Vec<(Vec<u8>, usize)>, GuardError> {
    let mut out = Vec::new();
    let mut rest = doctype;
    while let Some(at) = find(rest, b"<!ENTITY") {
        rest = &rest[at + b"<!ENTITY".len()..];
        let trimmed = trim_start(rest);
        if trimmed.first() == Some(&b'%') {
            return Err(GuardError::ParameterEntity);
        }
        let name_len = trimmed
            .iter()
            .position(|b| b.is_ascii_whitespace())
            .unwrap_or(trimmed.len());
        let name = trimmed[..name_len].to_vec();
        let after = trim_start(&trimmed[name_len..]);
        let quote = match after.first() {
            Some(q @ (b'"' | b'\'')) => *q,
            _ => {
                return Err(GuardError::ExternalEntity(
                    String::from_utf8_lossy(&name).into_owned(),
                ));
            }
        };
        let Some(end) = after[1..].iter().position(|b| *b == quote) else {
            return Ok(out); // unterminated: the parser reports it
        };
        let value = &after[1..=end];
        if refers_to_entity(value) {
            return Err(GuardError::NestedEntity(
                String::from_utf8_lossy(&name).into_owned(),
            ));
        }
        out.push((name, value.len()));
        if out.len() > MAX_ENTITIES {
            return Err(GuardError::TooManyEntities);
        }
        rest = &after[end + 2..];
    }
    Ok(out)
}

/// True when `value` holds `&name;` or `%name;` (character references `&#...;` are fine).
fn refers_to_entity(value: &[u8]) -> bool {
    value.windows(2).any(|w| {
        (w[0] == b'&' && w[1] != b'#')
            || (w[0] == b'%' && (w[1].is_ascii_alphabetic() || w[1] == b'_'))
    })
}

/// The page's size once every reference to a declared entity is replaced by its value.
fn expanded_size(body: &[u8], entities: &[(Vec<u8>, usize)]) -> u64 {
    let mut size = body.len() as u64;
    let mut i = 0;
    while let Some(at) = body[i..].iter().position(|b| *b == b'&') {
        let start = i + at + 1;
        let end = body[start..]
            .iter()
            .take(256)
            .position(|b| *b == b';')
            .map(|p| start + p);
        if let Some(end) = end {
            let name = &body[start..end];
            if let Some((_, len)) = entities.iter().find(|(n, _)| n == name) {
                size += *len as u64;
            }
        }
        i = start;
    }
    size
}

/// Refuses JSON nested deeper than `max` (objects and arrays), strings skipped.
fn check_json_depth(body: &[u8], max: usize) -> Result<(), GuardError> {
    let mut depth = 0usize;
    let mut in_string = false;
    let mut escaped = false;
    for b in body {
        if in_string {
            match (escaped, b) {
                (true, _) => escaped = false,
                (false, b'\\') => escaped = true,
                (false, b'"') => in_string = false,
                _ => {}
            }
            continue;
        }
        match b {
            b'"' => in_string = true,
            b'{' | b'[' => {
                depth += 1;
                if depth > max {
                    return Err(too_deep(max, "JSON objects and arrays"));
                }
            }
            b'}' | b']' => depth = depth.saturating_sub(1),
            _ => {}
        }
    }
    Ok(())
}

fn too_deep(max: usize, what: &'static str) -> GuardError {
    GuardError::TooDeep { what, max }
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}

fn trim_start(bytes: &[u8]) -> &[u8] {
    let n = bytes.iter().take_while(|b| b.is_ascii_whitespace()).count();
    &bytes[n..]
}

#[cfg(test)]
mod tests {
    use super::*;

    const RDF: &str = r#"<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#" xmlns:dct="http://purl.org/dc/terms/">"#;

    fn check(xml: &str) -> Result<(), GuardError> {
        check_page(xml.as_bytes(), RdfFormat::RdfXml, &PageLimits::default())
    }

    #[test]
    fn namespace_entities_are_fine() {
        let xml = format!(
            "<?xml version=\"1.0\"?>\n<!DOCTYPE rdf:RDF [\n <!ENTITY xsd \"http://www.w3.org/2001/XMLSchema#\">\n <!ENTITY e 'https://e.org/'>\n]>\n{RDF}<rdf:Description rdf:about=\"&e;d\"><dct:issued rdf:datatype=\"&xsd;date\">2020-01-01</dct:issued></rdf:Description></rdf:RDF>"
        );
        assert_eq!(check(&xml), Ok(()));
    }

    #[test]
    fn nested_external_and_parameter_entities_are_refused() {
        let bomb = "<!DOCTYPE r [<!ENTITY a \"aaaa\"><!ENTITY b \"&a;&a;&a;\">]><r>&b;</r>";
        assert_eq!(check(bomb), Err(GuardError::NestedEntity("b".into())));
        let xxe = "<!DOCTYPE r [<!ENTITY x PUBLIC \"-//x\" \"http://127.0.0.1:9/x\">]><r>&x;</r>";
        assert_eq!(check(xxe), Err(GuardError::ExternalEntity("x".into())));
        let param = "<!DOCTYPE r [<!ENTITY % p \"<!ENTITY x 'y'>\"> %p;]><r/>";
        assert_eq!(check(param), Err(GuardError::ParameterEntity));
    }

    #[test]
    fn flat_expansion_is_bounded() {
        let value = "x".repeat(1000);
        let refs = "&big;".repeat(2000);
        let xml = format!("<!DOCTYPE r [<!ENTITY big \"{value}\">]><r>{refs}</r>");
        let limits = PageLimits {
            max_expanded_size: 1_000_000,
            ..PageLimits::default()
        };
        let e = check_page(xml.as_bytes(), RdfFormat::RdfXml, &limits).unwrap_err();
        assert!(e.to_string().contains("expand it to 2"), "{e}");
        let limits = PageLimits {
            max_expanded_size: 3_000_000,
            ..PageLimits::default()
        };
        assert_eq!(
            check_page(xml.as_bytes(), RdfFormat::RdfXml, &limits),
            Ok(())
        );
    }

    #[test]
    fn depth_is_bounded() {
        let xml = format!("{RDF}{}{}</rdf:RDF>", "<a>".repeat(300), "</a>".repeat(300));
        assert!(
            check(&xml)
                .unwrap_err()
                .to_string()
                .contains("(limit max_nesting_depth)")
        );
        let xml = format!("{RDF}{}{}</rdf:RDF>", "<a>".repeat(200), "</a>".repeat(200));
        assert_eq!(check(&xml), Ok(()));
        let json = format!("{}{}", "[".repeat(300), "]".repeat(300));
        let json_ld = RdfFormat::JsonLd {
            profile: oxrdfio::JsonLdProfileSet::empty(),
        };
        assert!(check_page(json.as_bytes(), json_ld, &PageLimits::default()).is_err());
        let in_string = format!("{{\"a\": \"{}\"}}", "[{".repeat(300));
        assert_eq!(
            check_page(in_string.as_bytes(), json_ld, &PageLimits::default()),
            Ok(())
        );
    }
}
