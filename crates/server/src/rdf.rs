//! RDF syntaxes the server writes, by media type and by extension.

use crate::negotiate::negotiate;
use alzette_vocab::PREFIXES;
use oxigraph::io::{JsonLdProfileSet, RdfFormat, RdfSerializer};
use oxigraph::model::TripleRef;

/// The syntaxes offered, the first being the default.
pub const RDF_FORMATS: [(&str, RdfFormat); 4] = [
    ("text/turtle", RdfFormat::Turtle),
    ("application/rdf+xml", RdfFormat::RdfXml),
    (
        "application/ld+json",
        RdfFormat::JsonLd {
            profile: JsonLdProfileSet::empty(),
        },
    ),
    ("application/n-triples", RdfFormat::NTriples),
];

/// The syntax for an Accept header; `None` means 406.
pub fn negotiate_rdf(accept: Option<&str>) -> Option<RdfFormat> {
    let mut offered: Vec<&str> = RDF_FORMATS.iter().map(|(m, _)| *m).collect();
    // Clients asking for plain text or generic JSON get N-Triples and JSON-LD.
    offered.extend(["text/plain", "application/json"]);
    negotiate(accept, &offered).map(|i| match i {
        4 => RdfFormat::NTriples,
        5 => RDF_FORMATS[2].1,
        i => RDF_FORMATS[i].1,
    })
}

pub fn from_extension(ext: &str) -> Option<RdfFormat> {
    Some(match ext {
        "ttl" => RdfFormat::Turtle,
        "rdf" => RdfFormat::RdfXml,
        "jsonld" => RDF_FORMATS[2].1,
        "nt" => RdfFormat::NTriples,
        _ => return None,
    })
}

/// The Content-Type header for a syntax.
pub fn content_type(format: RdfFormat) -> &'static str {
    match format {
        RdfFormat::Turtle => "text/turtle; charset=utf-8",
        RdfFormat::RdfXml => "application/rdf+xml; charset=utf-8",
        RdfFormat::NTriples => "application/n-triples; charset=utf-8",
        _ => "application/ld+json",
    }
}

/// Writes triples in a syntax, with the usual prefixes where the syntax has prefixes.
pub fn serialize<'a>(
    format: RdfFormat,
    triples: impl IntoIterator<Item = TripleRef<'a>>,
) -> std::io::Result<Vec<u8>> {
    let mut serializer = RdfSerializer::from_format(format);
    if matches!(format, RdfFormat::Turtle | RdfFormat::RdfXml) {
        for (prefix, iri) in PREFIXES {
            serializer = serializer
                .with_prefix(*prefix, *iri)
                .map_err(std::io::Error::other)?;
        }
    }
    let mut writer = serializer.for_writer(Vec::new());
    for t in triples {
        writer.serialize_triple(t)?;
    }
    let bytes = writer.finish()?;
    Ok(match format {
        RdfFormat::RdfXml => xml_safe(bytes),
        _ => bytes,
    })
}

/// An XML document without the characters XML 1.0 cannot carry, which would make it unreadable
/// to every consumer (a NUL in one title breaks a whole OAI-PMH page of other sources' records).
/// Harvest removes them from records already; this is the last line of defence, for whatever
/// reaches an XML answer.
pub fn xml_safe(bytes: Vec<u8>) -> Vec<u8> {
    let clean = bytes
        .iter()
        .all(|b| *b >= 0x20 || matches!(b, b'\t' | b'\n' | b'\r'))
        && !bytes
            .windows(3)
            .any(|w| w[0] == 0xEF && w[1] == 0xBF && (w[2] == 0xBE || w[2] == 0xBF));
    if clean {
        return bytes;
    }
    String::from_utf8_lossy(&bytes)
        .chars()
        .filter(|c| alzette_dcat::is_xml_char(*c))
        .collect::<String>()
        .into_bytes()
}

#[cfg(test)]
mod tests {
    use super::*;
    use oxigraph::model::{Literal, NamedNode, Triple};

    /// A literal of any characters at all: its RDF/XML (the catalogue's `.rdf`, OAI-PMH's
    /// metadata) is always well-formed XML that reads back. (Property test: a thousand random
    /// strings drawn from every range of Unicode, control characters and noncharacters
    /// included, from a fixed seed.)
    #[test]
    fn every_literal_makes_well_formed_rdf_xml() {
        let mut seed: u64 = 0x5eed_0123_4567_89ab;
        let mut next = move || {
            seed = seed
                .wrapping_mul(6_364_136_223_846_793_005)
                .wrapping_add(1_442_695_040_888_963_407);
            seed >> 33
        };
        let s = NamedNode::new("http://e.org/d").unwrap();
        let p = NamedNode::new("http://purl.org/dc/terms/title").unwrap();
        for _ in 0..1000 {
            let len = next() % 24;
            let text: String = (0..len)
                .filter_map(|_| {
                    let code = match next() % 4 {
                        0 => next() % 0x20,
                        1 => 0xFFF0 + next() % 0x10,
                        2 => next() % 0x80,
                        _ => next() % 0x11_0000,
                    };
                    char::from_u32(code as u32)
                })
                .collect();
            let triple = Triple::new(s.clone(), p.clone(), Literal::new_simple_literal(&text));
            let xml = serialize(RdfFormat::RdfXml, [triple.as_ref()]).unwrap();
            let back: Result<Vec<_>, _> = oxigraph::io::RdfParser::from_format(RdfFormat::RdfXml)
                .for_slice(&xml)
                .collect();
            assert!(back.is_ok(), "{text:?}: {}", String::from_utf8_lossy(&xml));
            assert!(
                back.unwrap().len() == 1,
                "{text:?} reads back as one triple"
            );
        }
    }
}
