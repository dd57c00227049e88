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
    writer.finish()
}
