//! A read-only XML tree, namespace-resolved, whose names and most text borrow from the input.
//!
//! The mapping asks many small path questions of each record ("the codeListValue of
//! `gmd:role/gmd:CI_RoleCode`"), which a tree answers directly; building it costs one pass of
//! quick-xml and no allocation per element name. DOCTYPEs are refused outright: ISO records
//! never need a DTD, and refusing one is the only sure defence against entity expansion and
//! external entities.

mod read;

use std::borrow::Cow;

/// The namespaces the mapping reads; every other one is `Other`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Ns {
    Gmd,
    /// ISO 19115-2 (`gmi:MI_Metadata`, imagery and gridded data): an `MD_Metadata` with more.
    Gmi,
    Gco,
    Gmx,
    Srv,
    Gml,
    Xlink,
    Csw,
    Ows,
    None,
    Other,
}

impl Ns {
    fn of(uri: &[u8]) -> Self {
        match uri {
            b"http://www.isotc211.org/2005/gmd" => Self::Gmd,
            b"http://www.isotc211.org/2005/gco" => Self::Gco,
            b"http://www.isotc211.org/2005/gmi" => Self::Gmi,
            b"http://www.isotc211.org/2005/gmx" => Self::Gmx,
            b"http://www.isotc211.org/2005/srv" => Self::Srv,
            b"http://www.opengis.net/gml" | b"http://www.opengis.net/gml/3.2" => Self::Gml,
            b"http://www.w3.org/1999/xlink" => Self::Xlink,
            b"http://www.opengis.net/cat/csw/2.0.2" => Self::Csw,
            b"http://www.opengis.net/ows" | b"http://www.opengis.net/ows/1.1" => Self::Ows,
            _ => Self::Other,
        }
    }
}

/// Why a document could not be read as XML.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct XmlError(pub String);

impl std::fmt::Display for XmlError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for XmlError {}

type NodeId = u32;
const NONE: NodeId = NodeId::MAX;

#[derive(Debug)]
struct Node<'a> {
    ns: Ns,
    /// The local name, a slice of the input (names are never escaped).
    name: &'a str,
    /// Where its attributes are in the document's list: (first, count).
    attributes: (u32, u32),
    /// The element's own text (text and CDATA children, joined).
    text: Cow<'a, str>,
    first_child: NodeId,
    next_sibling: NodeId,
    parent: NodeId,
}

/// A parsed document: every element, in document order.
#[derive(Debug)]
pub(crate) struct Document<'a> {
    nodes: Vec<Node<'a>>,
    /// Every element's attributes, one element after the other: (namespace, name, value).
    attributes: Vec<(Ns, Cow<'a, str>, Cow<'a, str>)>,
}

/// How large a document's tree may grow: it is bounded while it is read, as a DCAT page is
/// (a document past a limit is refused before it is held whole).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TreeLimits {
    /// Elements in one document (`max_page_triples` in a harvest).
    pub max_elements: usize,
    /// Elements nested deeper than this are refused (`max_nesting_depth`; real records stay
    /// under 40).
    pub max_depth: usize,
}

impl Default for TreeLimits {
    fn default() -> Self {
        Self {
            max_elements: 2_000_000,
            max_depth: 256,
        }
    }
}

impl<'a> Document<'a> {
    #[cfg(test)]
    pub(crate) fn parse(text: &'a str) -> Result<Self, XmlError> {
        Self::parse_within(text, &TreeLimits::default())
    }

    pub(crate) fn root(&self) -> Element<'_, 'a> {
        Element { doc: self, id: 0 }
    }

    /// Every element, in document order.
    pub(crate) fn elements(&self) -> impl Iterator<Item = Element<'_, 'a>> {
        (0..self.nodes.len() as NodeId).map(|id| Element { doc: self, id })
    }

    /// Every element named `ns:name`, in document order.
    pub(crate) fn all(&self, ns: Ns, name: &str) -> impl Iterator<Item = Element<'_, 'a>> {
        self.elements().filter(move |e| e.is(ns, name))
    }
}

/// Equal short strings, compared in place: names and prefixes are a few bytes, where a call to
/// `memcmp` cost more than the comparison (a tenth of the parse).
#[inline]
fn same(a: &str, b: &str) -> bool {
    a.len() == b.len() && a.bytes().zip(b.bytes()).all(|(x, y)| x == y)
}

/// One element of a [`Document`].
#[derive(Clone, Copy)]
pub(crate) struct Element<'d, 'a> {
    doc: &'d Document<'a>,
    id: NodeId,
}

impl<'d, 'a> Element<'d, 'a> {
    fn node(&self) -> &'d Node<'a> {
        &self.doc.nodes[self.id as usize]
    }

    pub(crate) fn is(&self, ns: Ns, name: &str) -> bool {
        let n = self.node();
        // Names of equal length are common (most are gmd:); their first bytes mostly differ.
        n.ns == ns && same(n.name, name)
    }

    pub(crate) fn ns(&self) -> Ns {
        self.node().ns
    }

    pub(crate) fn name(&self) -> &'d str {
        self.node().name
    }

    pub(crate) fn parent(&self) -> Option<Self> {
        let p = self.node().parent;
        (p != NONE).then_some(Self {
            doc: self.doc,
            id: p,
        })
    }

    /// The element's children, in order.
    pub(crate) fn children(self) -> impl Iterator<Item = Self> + 'd {
        let doc = self.doc;
        let mut next = self.node().first_child;
        std::iter::from_fn(move || {
            (next != NONE).then(|| {
                let e = Self { doc, id: next };
                next = doc.nodes[next as usize].next_sibling;
                e
            })
        })
    }

    /// The children named `ns:name`.
    pub(crate) fn all(self, ns: Ns, name: &'static str) -> impl Iterator<Item = Self> + 'd {
        self.children().filter(move |c| c.is(ns, name))
    }

    /// The first child named `ns:name`.
    pub(crate) fn child(&self, ns: Ns, name: &str) -> Option<Self> {
        self.children().find(|c| c.is(ns, name))
    }

    /// The first element child, whatever its name (the `*` of an XPath step).
    pub(crate) fn first(&self) -> Option<Self> {
        self.children().next()
    }

    /// The elements at the end of `path` from here, in document order; `("*", _)` matches
    /// any element, as `*` in XPath.
    pub(crate) fn path(&self, path: &[(Ns, &str)]) -> Vec<Self> {
        let mut out = Vec::new();
        self.collect(path, &mut out);
        out
    }

    fn collect(&self, path: &[(Ns, &str)], out: &mut Vec<Self>) {
        let Some(((ns, name), rest)) = path.split_first() else {
            out.push(*self);
            return;
        };
        for c in self.children() {
            if *name == "*" || c.is(*ns, name) {
                c.collect(rest, out);
            }
        }
    }

    /// The first element at the end of `path`.
    pub(crate) fn at(&self, path: &[(Ns, &str)]) -> Option<Self> {
        let Some(((ns, name), rest)) = path.split_first() else {
            return Some(*self);
        };
        self.children()
            .filter(|c| *name == "*" || c.is(*ns, name))
            .find_map(|c| c.at(rest))
    }

    pub(crate) fn attribute(&self, ns: Ns, name: &str) -> Option<&'d str> {
        let (first, count) = self.node().attributes;
        self.doc.attributes[first as usize..(first + count) as usize]
            .iter()
            .find(|(n, local, _)| *n == ns && local == name)
            .map(|(_, _, v)| v.as_ref())
    }

    /// The element's own text, as written.
    pub(crate) fn own_text(&self) -> &'d str {
        &self.node().text
    }

    /// All the text inside the element (XPath's string value), spaces normalised.
    pub(crate) fn text(&self) -> String {
        // Most asked are leaves (a gco:CharacterString): their own text is all there is.
        if self.node().first_child == NONE {
            return normalize_space(self.own_text());
        }
        let mut out = String::new();
        self.collect_text(&mut out);
        normalize_space(&out)
    }

    fn collect_text(&self, out: &mut String) {
        // XPath's string value interleaves text and children; records put text only in leaves,
        // so the own text first and then the children's is the same string.
        out.push_str(self.own_text());
        for c in self.children() {
            c.collect_text(out);
        }
    }
}

/// XPath's `normalize-space`: trimmed, every run of white space one space.
pub(crate) fn normalize_space(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for word in text.split_ascii_whitespace() {
        if !out.is_empty() {
            out.push(' ');
        }
        out.push_str(word);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_any_prefix_and_the_default_namespace() {
        let doc = Document::parse(
            r#"<MD_Metadata xmlns="http://www.isotc211.org/2005/gmd" xmlns:c="http://www.isotc211.org/2005/gco" xmlns:x="http://www.w3.org/1999/xlink">
                 <fileIdentifier><c:CharacterString> a &amp;  b </c:CharacterString></fileIdentifier>
                 <contact x:href="http://e.org/c"/>
               </MD_Metadata>"#,
        )
        .unwrap();
        let root = doc.root();
        assert!(root.is(Ns::Gmd, "MD_Metadata"));
        let id = root.at(&[(Ns::Gmd, "fileIdentifier"), (Ns::Gco, "CharacterString")]);
        assert_eq!(id.unwrap().text(), "a & b");
        let crlf = Document::parse("<a>x\r\ny\rz</a>").unwrap();
        assert_eq!(crlf.root().own_text(), "x\ny\nz");
        let contact = root.child(Ns::Gmd, "contact").unwrap();
        assert_eq!(contact.attribute(Ns::Xlink, "href"), Some("http://e.org/c"));
        assert_eq!(contact.parent().unwrap().name(), "MD_Metadata");
    }

    #[test]
    fn refuses_doctypes_and_broken_xml() {
        let e = Document::parse(r#"<!DOCTYPE r [<!ENTITY x "y">]><r>&x;</r>"#).unwrap_err();
        assert!(e.0.contains("DOCTYPE"), "{e}");
        assert!(Document::parse("<a><b></a>").is_err());
        assert!(Document::parse("<a>").is_err());
        assert!(Document::parse("").is_err());
        let deep = "<a>".repeat(TreeLimits::default().max_depth + 1);
        assert!(
            Document::parse(&deep)
                .unwrap_err()
                .0
                .contains("levels deep (limit max_nesting_depth)")
        );
    }
}
