//! Parsing one page of a DCAT source into a graph.

use crate::contexts::ContextSet;
#[cfg(test)]
use crate::guard::GuardError;
use crate::guard::{PageLimits, check_page};
use crate::page::PageGraph;
use crate::syntax::syntax_name;
use oxrdf::Triple;
use oxrdfio::{LoadedDocument, RdfFormat, RdfParser};
use std::sync::Arc;

/// Why a page could not be read.
#[derive(Debug, thiserror::Error)]
pub enum PageError {
    #[error("the page is not valid {syntax}: {message}")]
    Syntax {
        syntax: &'static str,
        message: String,
    },
    #[error("the page has more than {limit} triples (limit max_page_triples)")]
    TooManyTriples { limit: usize },
    #[error("the page is refused before parsing: {0}")]
    Refused(#[from] crate::guard::GuardError),
    #[error("{0} is not a syntax a DCAT page can be written in")]
    UnsupportedSyntax(&'static str),
}

/// How to read a page.
#[derive(Clone)]
pub struct PageParser {
    format: RdfFormat,
    base_iri: String,
    contexts: Arc<ContextSet>,
    limits: PageLimits,
}

impl PageParser {
    /// A parser for pages in `format`, resolving relative IRIs against `base_iri` (the page URL).
    pub fn new(format: RdfFormat, base_iri: impl Into<String>) -> Self {
        Self {
            format,
            base_iri: base_iri.into(),
            contexts: Arc::new(ContextSet::bundled()),
            limits: PageLimits::default(),
        }
    }

    /// The JSON-LD contexts the page may use (others are refused, never fetched).
    pub fn with_contexts(mut self, contexts: Arc<ContextSet>) -> Self {
        self.contexts = contexts;
        self
    }

    /// The same parser for another syntax.
    pub fn with_format(mut self, format: RdfFormat) -> Self {
        self.format = format;
        self
    }

    /// Refuse pages beyond these limits (triples, nesting, XML entity expansion).
    pub fn with_limits(mut self, limits: PageLimits) -> Self {
        self.limits = limits;
        self
    }

    /// Parses the page. Named graphs (a JSON-LD document may put everything in one) are merged
    /// into one graph: a page describes resources, where it keeps them does not matter.
    ///
    /// ```
    /// use alzette_dcat::PageParser;
    /// use oxrdfio::RdfFormat;
    /// let graph = PageParser::new(RdfFormat::Turtle, "https://e.org/catalog?page=1")
    ///     .parse(b"<d1> a <http://www.w3.org/ns/dcat#Dataset> .")
    ///     .unwrap();
    /// assert_eq!(graph.len(), 1);
    /// assert_eq!(graph.iter().next().unwrap().subject.to_string(), "<https://e.org/d1>");
    /// ```
    pub fn parse(&self, body: &[u8]) -> Result<PageGraph, PageError> {
        let mut graph = PageGraph::new();
        self.read(body, |t| graph.insert(t))?;
        Ok(graph)
    }

    /// Parses a document into its triples, with the same guard and limits as a page, without
    /// indexing them (vocabularies, shapes).
    pub fn triples(&self, body: &[u8]) -> Result<Vec<Triple>, PageError> {
        let mut triples = Vec::new();
        self.read(body, |t| triples.push(t))?;
        Ok(triples)
    }

    /// Guards, parses, and hands each triple to `sink`, counting them against `max_triples`
    /// as they come (a page past the limit is never held whole).
    fn read(&self, body: &[u8], mut sink: impl FnMut(Triple)) -> Result<(), PageError> {
        let syntax = syntax_name(self.format);
        if matches!(self.format, RdfFormat::N3) {
            return Err(PageError::UnsupportedSyntax(syntax));
        }
        check_page(body, self.format, &self.limits)?;
        // A UTF-8 byte order mark is no part of the document (RDF/XML and JSON-LD parsers skip
        // it already; Turtle's would call it an unexpected character).
        let body = body.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(body);
        // RDF/XML may declare ISO-8859-1 (as ISO records do, which are decoded so too): read as
        // the UTF-8 it maps to.
        let transcoded;
        let body = match latin1_xml(self.format, body) {
            Some(utf8) => {
                transcoded = utf8;
                transcoded.as_slice()
            }
            None => body,
        };
        let mut parser = RdfParser::from_format(self.format);
        if let Ok(p) = parser.clone().with_base_iri(self.base_iri.as_str()) {
            parser = p;
        }
        let mut reader = parser.for_slice(body);
        if matches!(self.format, RdfFormat::JsonLd { .. }) {
            let contexts = Arc::clone(&self.contexts);
            reader = reader.with_document_loader(move |iri| {
                let content = contexts.get(iri).ok_or_else(|| {
                    format!(
                        "the remote JSON-LD context <{iri}> is not allowed; \
                         list it under jsonld_contexts in the source's configuration"
                    )
                })?;
                Ok(LoadedDocument {
                    url: iri.to_owned(),
                    content: content.to_vec(),
                    format: crate::syntax::JSON_LD,
                })
            });
        }
        let mut count = 0;
        for quad in reader {
            let quad = quad.map_err(|e| PageError::Syntax {
                syntax,
                message: e.to_string(),
            })?;
            count += 1;
            if count > self.limits.max_triples {
                return Err(PageError::TooManyTriples {
                    limit: self.limits.max_triples,
                });
            }
            sink(Triple::from(quad));
        }
        Ok(())
    }
}

/// An RDF/XML document that declares ISO-8859-1 (Latin-1) and is not UTF-8, as UTF-8.
fn latin1_xml(format: RdfFormat, body: &[u8]) -> Option<Vec<u8>> {
    if format != RdfFormat::RdfXml || std::str::from_utf8(body).is_ok() {
        return None;
    }
    let head = String::from_utf8_lossy(&body[..body.len().min(200)]).to_ascii_lowercase();
    let declaration = head.split("?>").next().unwrap_or_default();
    let latin1 = declaration.contains("iso-8859-1") || declaration.contains("latin1");
    latin1.then(|| {
        let text: String = body.iter().map(|&b| char::from(b)).collect();
        // The declaration now says what the bytes are (the parser reads UTF-8 only).
        let end = text.find("?>").filter(|_| text.starts_with("<?xml"));
        match end {
            Some(end) => {
                format!("<?xml version=\"1.0\" encoding=\"UTF-8\"{}", &text[end..]).into_bytes()
            }
            None => text.into_bytes(),
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_byte_order_mark_is_no_part_of_the_document() {
        let body = b"\xEF\xBB\xBF<http://e.org/d> <http://e.org/p> \"x\" .";
        for format in [RdfFormat::Turtle, RdfFormat::NTriples] {
            let triples = PageParser::new(format, "http://e.org/")
                .triples(body)
                .unwrap();
            assert_eq!(triples.len(), 1, "{format:?}");
        }
    }

    #[test]
    fn documents_are_guarded_and_counted_while_parsed() {
        let bomb = br#"<?xml version="1.0"?><!DOCTYPE r [<!ENTITY a "aaaa"><!ENTITY b "&a;&a;">]>
            <rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#"><rdf:Description rdf:about="http://e.org/d"><rdf:value>&b;</rdf:value></rdf:Description></rdf:RDF>"#;
        let e = PageParser::new(RdfFormat::RdfXml, "http://e.org/")
            .triples(bomb)
            .unwrap_err();
        assert!(
            matches!(e, PageError::Refused(GuardError::NestedEntity(_))),
            "{e}"
        );
        let many: String = (0..10)
            .map(|i| format!("<http://e.org/d{i}> <http://e.org/p> \"{i}\" .\n"))
            .collect();
        let limits = PageLimits {
            max_triples: 9,
            ..PageLimits::default()
        };
        let e = PageParser::new(RdfFormat::NTriples, "http://e.org/")
            .with_limits(limits)
            .triples(many.as_bytes())
            .unwrap_err();
        assert!(matches!(e, PageError::TooManyTriples { limit: 9 }), "{e}");
    }

    #[test]
    fn rdf_xml_declared_latin1_is_read() {
        let mut body = br#"<?xml version="1.0" encoding="ISO-8859-1"?>
<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#" xmlns:dct="http://purl.org/dc/terms/">
<rdf:Description rdf:about="http://e.org/d"><dct:title>Donn"#.to_vec();
        body.push(0xE9); // é in Latin-1
        body.extend_from_slice(b"es</dct:title></rdf:Description></rdf:RDF>");
        let triples = PageParser::new(RdfFormat::RdfXml, "http://e.org/")
            .triples(&body)
            .unwrap();
        assert_eq!(triples[0].object.to_string(), "\"Donn\u{e9}es\"");
        // Not declared: not guessed.
        let undeclared = body.split_off(body.iter().position(|b| *b == b'\n').unwrap());
        assert!(
            PageParser::new(RdfFormat::RdfXml, "http://e.org/")
                .triples(&undeclared)
                .is_err()
        );
    }
}
