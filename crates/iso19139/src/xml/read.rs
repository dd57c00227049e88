//! Building a [`Document`] from quick-xml's events in one pass, bounded by [`TreeLimits`] while
//! it is read: a document past a limit is refused before it is held whole.

use super::{Document, NONE, Node, NodeId, Ns, TreeLimits, XmlError, same};
use quick_xml::Reader;
use quick_xml::events::{BytesStart, Event};
use std::borrow::Cow;

impl<'a> Document<'a> {
    pub(crate) fn parse_within(text: &'a str, limits: &TreeLimits) -> Result<Self, XmlError> {
        let mut reader = Reader::from_str(text);
        reader.config_mut().trim_text(false);
        let mut tree = Builder::new(text, *limits);
        loop {
            let event = reader.read_event().map_err(|e| fail(&reader, &e))?;
            match event {
                Event::Start(ref start) | Event::Empty(ref start) => {
                    let (id, scope) = tree.element(start, &reader)?;
                    if matches!(event, Event::Start(_)) {
                        tree.open.push((id, NONE, scope));
                    }
                }
                Event::End(_) => {
                    tree.open.pop();
                }
                Event::Text(t) => tree.text(&t, &reader)?,
                Event::CData(t) => {
                    if let Some(&(id, _, _)) = tree.open.last() {
                        append(&mut tree.nodes[id as usize].text, borrow(text, &t)?);
                    }
                }
                Event::DocType(_) => {
                    return Err(XmlError(
                        "the document has a DOCTYPE; Alzette never processes DTDs or entities in ISO records".into(),
                    ));
                }
                Event::Eof => break,
                _ => {}
            }
        }
        tree.finish()
    }
}

/// The tree so far, and what is open while it is read.
struct Builder<'a> {
    text: &'a str,
    limits: TreeLimits,
    nodes: Vec<Node<'a>>,
    /// Every element's attributes so far: (namespace, name, value).
    attributes: Vec<(Ns, Cow<'a, str>, Cow<'a, str>)>,
    /// Namespace declarations: (prefix, namespace, the declaration in scope before it).
    /// Namespaces are resolved here rather than by quick-xml's NsReader: records declare them
    /// once, on the root, so a declaration is looked at once and every name after costs a
    /// prefix comparison or two (NsReader resolved each name against the URI).
    bindings: Vec<(&'a str, Ns, u32)>,
    /// The open elements: (element, its last child so far, the declarations in scope).
    open: Vec<(NodeId, NodeId, u32)>,
}

impl<'a> Builder<'a> {
    fn new(text: &'a str, limits: TreeLimits) -> Self {
        Self {
            text,
            limits,
            // About one element per 60 bytes in real records; never more than the limit allows.
            nodes: Vec::with_capacity((text.len() / 60).min(limits.max_elements)),
            attributes: Vec::with_capacity((text.len() / 80).min(limits.max_elements)),
            bindings: Vec::new(),
            open: Vec::new(),
        }
    }

    /// Adds the element `start` opens under the open one; returns it and the namespace
    /// declarations in scope inside it.
    fn element(
        &mut self,
        start: &BytesStart<'_>,
        reader: &Reader<&[u8]>,
    ) -> Result<(NodeId, u32), XmlError> {
        if self.open.len() >= self.limits.max_depth {
            return Err(XmlError(format!(
                "elements nested more than {} levels deep (limit max_nesting_depth)",
                self.limits.max_depth
            )));
        }
        if self.nodes.len() >= self.limits.max_elements {
            return Err(XmlError(format!(
                "more than {} XML elements (limit max_page_triples)",
                self.limits.max_elements
            )));
        }
        let first_attribute = self.attributes.len();
        let scope = self.attributes_of(start, reader)?;
        let Cow::Borrowed(qname) = borrow(self.text, start.name().into_inner())? else {
            return Err(XmlError(
                "an element name is not part of the document".into(),
            ));
        };
        let (ns, name) = match split_prefix(qname) {
            Some((prefix, local)) => (resolve(&self.bindings, scope, prefix), local),
            None => (resolve(&self.bindings, scope, ""), qname),
        };
        // Prefixes resolved once the element's own declarations are all known; attributes
        // without a prefix are in no namespace.
        for (ns, key, _) in &mut self.attributes[first_attribute..] {
            match key {
                Cow::Borrowed(k) => {
                    if let Some((prefix, local)) = split_prefix(k) {
                        *ns = resolve(&self.bindings, scope, prefix);
                        *k = local;
                    }
                }
                Cow::Owned(_) => *ns = Ns::Other,
            }
        }
        let attributes = (
            first_attribute as u32,
            (self.attributes.len() - first_attribute) as u32,
        );
        let id = self.nodes.len() as NodeId;
        let parent = self.open.last().map_or(NONE, |o| o.0);
        if let Some((_, last, _)) = self.open.last_mut() {
            if *last == NONE {
                self.nodes[parent as usize].first_child = id;
            } else {
                self.nodes[*last as usize].next_sibling = id;
            }
            *last = id;
        } else if !self.nodes.is_empty() {
            return Err(XmlError(
                "not well-formed XML: more than one root element".into(),
            ));
        }
        self.nodes.push(Node {
            ns,
            name,
            attributes,
            text: Cow::Borrowed(""),
            first_child: NONE,
            next_sibling: NONE,
            parent,
        });
        Ok((id, scope))
    }

    /// Keeps the attributes of `start` (names unresolved yet) and takes its namespace
    /// declarations; returns the declarations in scope inside the element.
    fn attributes_of(
        &mut self,
        start: &BytesStart<'_>,
        reader: &Reader<&[u8]>,
    ) -> Result<u32, XmlError> {
        let mut scope = self.open.last().map_or(NONE, |o| o.2);
        for attribute in start.attributes() {
            let attribute = attribute.map_err(|e| fail(reader, &e))?;
            let key = borrow(self.text, attribute.key.into_inner())?;
            let value =
                unescape(borrow(self.text, &attribute.value)?).map_err(|e| fail(reader, &e))?;
            let declared = match &key {
                Cow::Borrowed("xmlns") => Some(""),
                Cow::Borrowed(k) => k.strip_prefix("xmlns:"),
                Cow::Owned(_) => None,
            };
            match declared {
                Some(prefix) => {
                    self.bindings
                        .push((prefix, Ns::of(value.as_bytes()), scope));
                    scope = (self.bindings.len() - 1) as u32;
                }
                None => self.attributes.push((Ns::None, key, value)),
            }
        }
        Ok(scope)
    }

    /// Text inside the open element.
    fn text(&mut self, raw: &[u8], reader: &Reader<&[u8]>) -> Result<(), XmlError> {
        let Some(&(id, _, _)) = self.open.last() else {
            return Ok(());
        };
        let node = &mut self.nodes[id as usize];
        let raw = borrow(self.text, raw)?;
        // Indentation between child elements says nothing (text() normalises spaces): only an
        // element's first run of it is kept, unjoined.
        if node.first_child != NONE && raw.trim_ascii().is_empty() {
            return Ok(());
        }
        let t = unescape(raw).map_err(|e| fail(reader, &e))?;
        append(&mut node.text, t);
        Ok(())
    }

    fn finish(self) -> Result<Document<'a>, XmlError> {
        if self.nodes.is_empty() {
            return Err(XmlError("not XML: no element in it".into()));
        }
        if !self.open.is_empty() {
            return Err(XmlError(
                "not well-formed XML: the document ends inside an element".into(),
            ));
        }
        Ok(Document {
            nodes: self.nodes,
            attributes: self.attributes,
        })
    }
}

fn fail(reader: &Reader<&[u8]>, e: &dyn std::fmt::Display) -> XmlError {
    XmlError(format!(
        "not well-formed XML at byte {}: {e}",
        reader.buffer_position()
    ))
}

/// The namespace `prefix` is bound to in `scope` (a chain of declarations).
fn resolve(bindings: &[(&str, Ns, u32)], mut scope: u32, prefix: &str) -> Ns {
    while scope != NONE {
        let (p, ns, parent) = bindings[scope as usize];
        if same(p, prefix) {
            return ns;
        }
        scope = parent;
    }
    if prefix == "xml" { Ns::Other } else { Ns::None }
}

/// `prefix:local` split at its colon.
#[inline]
fn split_prefix(qname: &str) -> Option<(&str, &str)> {
    let at = qname.bytes().position(|b| b == b':')?;
    Some((&qname[..at], &qname[at + 1..]))
}

/// Entity and character references resolved; the input borrowed when it has none.
fn unescape(text: Cow<'_, str>) -> Result<Cow<'_, str>, quick_xml::escape::EscapeError> {
    match text {
        Cow::Borrowed(t) => quick_xml::escape::unescape(t),
        Cow::Owned(t) => quick_xml::escape::unescape(&t).map(|u| Cow::Owned(u.into_owned())),
    }
}

fn append<'a>(text: &mut Cow<'a, str>, more: Cow<'a, str>) {
    // XML's end-of-line handling: a parser reports CR LF and lone CR as LF (XML 1.0 §2.11).
    let more = if more.contains('\r') {
        Cow::Owned(more.replace("\r\n", "\n").replace('\r', "\n"))
    } else {
        more
    };
    if text.is_empty() {
        *text = more;
    } else {
        text.to_mut().push_str(&more);
    }
}

/// Bytes the parser handed out (a name, raw text, an attribute value) as text: reading from a
/// `&str`, it hands out slices of the input, which are borrowed without a second UTF-8 check.
fn borrow<'a>(input: &'a str, bytes: &[u8]) -> Result<Cow<'a, str>, XmlError> {
    let start = (bytes.as_ptr() as usize).wrapping_sub(input.as_ptr() as usize);
    if start <= input.len()
        && bytes.len() <= input.len() - start
        && let Some(slice) = input.get(start..start + bytes.len())
    {
        return Ok(Cow::Borrowed(slice));
    }
    std::str::from_utf8(bytes)
        .map(|s| Cow::Owned(s.to_owned()))
        .map_err(|e| XmlError(e.to_string()))
}
