//! Keywords and themes, resource identifiers, and the datasets a service operates on.

use super::{Record, anchor_href, is_http};
use crate::graph::t;
use crate::xml::{Element, Ns};
use oxrdf::NamedOrBlankNode;
use oxrdf::vocab::xsd;

use Ns::{Gco, Gmd, Gmx, Xlink};

const APPLICABLE_LEGISLATION_HVD: &str = "http://data.europa.eu/eli/reg_impl/2023/138/oj";
const HVD_CATEGORIES: &str = "http://data.europa.eu/bna/asd487ae75";

impl Record<'_, '_, '_> {
    /// One `gmd:MD_Keywords`: free keywords become `dcat:keyword`; keywords from a thesaurus
    /// become `dcat:theme`, a concept IRI when the keyword is an anchor, else a concept
    /// labelled with it in the thesaurus's scheme.
    pub(super) fn keywords(&mut self, s: &NamedOrBlankNode, keywords: Element<'_, '_>) {
        let thesaurus = keywords.at(&[(Gmd, "thesaurusName"), (Gmd, "CI_Citation")]);
        let scheme_uri = thesaurus
            .and_then(|c| c.child(Gmd, "title"))
            .and_then(anchor_href)
            .map(str::to_owned);
        let has_thesaurus = thesaurus.is_some_and(|c| {
            c.all(Gmd, "title").any(|t| !t.text().is_empty())
                || (self.extended && c.child(Gmd, "date").is_some_and(|d| !d.text().is_empty()))
        });
        for keyword in keywords.all(Gmd, "keyword") {
            let string = keyword
                .child(Gco, "CharacterString")
                .filter(|c| !c.text().is_empty());
            let href = anchor_href(keyword);
            if string.is_none() && href.is_none() {
                continue;
            }
            if !has_thesaurus && !href.is_some_and(is_http) {
                self.text_and_translations(s, t!(dcat, "keyword"), keyword, true);
                continue;
            }
            if let Some(label) = string {
                let concept = self.out.node();
                self.out.add(s, t!(dcat, "theme"), concept.clone());
                self.out.typed(&concept, t!(skos, "Concept"));
                let lang = self.lang.clone();
                self.out
                    .text(&concept, t!(skos, "prefLabel"), &label.text(), &lang);
                self.translations(&concept, t!(skos, "prefLabel"), keyword);
                match scheme_uri
                    .as_deref()
                    .and_then(|u| self.out.iri(u, "the thesaurus"))
                {
                    Some(scheme) => self.out.add(&concept, t!(skos, "inScheme"), scheme),
                    None => {
                        let scheme = self.out.node();
                        self.out.add(&concept, t!(skos, "inScheme"), scheme.clone());
                        self.out.typed(&scheme, t!(skos, "ConceptScheme"));
                        if let Some(thesaurus) = thesaurus {
                            self.thesaurus(&scheme, thesaurus);
                        }
                    }
                }
            } else if let Some(href) = href {
                let Some(iri) = self.out.iri(href, "the keyword") else {
                    continue;
                };
                if href == APPLICABLE_LEGISLATION_HVD {
                    self.out.add(s, t!(dcatap, "applicableLegislation"), iri);
                } else if scheme_uri.as_deref() == Some(HVD_CATEGORIES) {
                    self.out.add(s, t!(dcatap, "hvdCategory"), iri);
                } else if !href.starts_with(super::SERVICE_CATEGORY) {
                    self.out.add(s, t!(dcat, "theme"), iri);
                }
            }
        }
    }

    /// A thesaurus's titles (and, extended, its dates) on the concept scheme that stands for it.
    fn thesaurus(&mut self, scheme: &NamedOrBlankNode, citation: Element<'_, '_>) {
        for title in citation.all(Gmd, "title") {
            self.text_and_translations(scheme, t!(dct, "title"), title, true);
        }
        if self.extended {
            for date in citation.path(&[(Gmd, "date"), (Gmd, "CI_Date")]) {
                self.date(scheme, date);
            }
        }
    }

    /// A resource identifier (`gmd:MD_Identifier` / `gmd:RS_Identifier`): an anchor's text,
    /// else the code in its code space.
    pub(super) fn identifier(&mut self, s: &NamedOrBlankNode, id: Element<'_, '_>) {
        let space = id
            .at(&[(Gmd, "codeSpace"), (Gco, "CharacterString")])
            .map(|c| c.own_text().to_owned())
            .unwrap_or_default();
        let code = id
            .at(&[(Gmd, "code"), (Gco, "CharacterString")])
            .map(|c| c.own_text().to_owned())
            .unwrap_or_default();
        let anchor = id
            .at(&[(Gmd, "code"), (Gmx, "Anchor")])
            .map(|a| a.own_text().to_owned())
            .unwrap_or_default();
        let value = if !anchor.is_empty() {
            anchor
        } else {
            in_code_space(&space, &code)
        };
        if value.trim().is_empty() {
            return;
        }
        let datatype = if is_http(&value) || value.starts_with("urn:") {
            xsd::ANY_URI
        } else {
            xsd::STRING
        };
        self.out
            .typed_literal(s, t!(dct, "identifier"), &value, datatype);
    }

    /// `srv:operatesOn`: the dataset a service serves, by its IRI or by its identifier.
    pub(super) fn coupled_resource(&mut self, s: &NamedOrBlankNode, operates_on: Element<'_, '_>) {
        let inline = |field: &'static str| {
            operates_on
                .at(&[
                    (Gmd, "*"),
                    (Gmd, "citation"),
                    (Gmd, "*"),
                    (Gmd, "identifier"),
                    (Gmd, "*"),
                    (Gmd, field),
                    (Gco, "CharacterString"),
                ])
                .map(|c| c.own_text().to_owned())
                .filter(|c| !c.is_empty())
        };
        let code = inline("code").or_else(|| {
            operates_on
                .attribute(Ns::None, "uuidref")
                .map(str::to_owned)
                .filter(|c| !c.is_empty())
        });
        let space = inline("codeSpace").unwrap_or_default();
        let href = operates_on.attribute(Xlink, "href").unwrap_or("").trim();
        let uriref = operates_on
            .attribute(Ns::None, "uriref")
            .unwrap_or("")
            .trim();
        let named = if !uriref.is_empty() {
            Some(uriref.to_owned())
        } else {
            code.clone().filter(|c| is_http(c))
        };
        if let Some(iri) = named {
            if let Some(iri) = self.out.iri(&iri, "the coupled resource") {
                self.out.add(s, t!(dcat, "servesDataset"), iri.clone());
                self.out.typed(&iri.into(), t!(dcat, "Dataset"));
            }
            return;
        }
        let Some(code) = code else {
            return;
        };
        // Written as the dataset's own record writes its identifier, so that the two match.
        let id = in_code_space(&space, &code);
        let dataset = self.out.node();
        self.out.add(s, t!(dcat, "servesDataset"), dataset.clone());
        self.out.typed(&dataset, t!(dcat, "Dataset"));
        let datatype = if is_http(&id) {
            xsd::ANY_URI
        } else {
            xsd::STRING
        };
        self.out
            .typed_literal(&dataset, t!(dct, "identifier"), &id, datatype);
        if let Some(record) = Some(href)
            .filter(|h| is_http(h))
            .and_then(|h| self.out.iri(h, "the coupled resource's record"))
        {
            self.out
                .add(&dataset, t!(foaf, "isPrimaryTopicOf"), record.clone());
            self.out.typed(&record.into(), t!(dcat, "CatalogRecord"));
        }
    }
}

/// A code in its code space: `space/code` (one `/` whether the space ends with one or not:
/// geoportals write the same code space both ways), or the code alone.
fn in_code_space(space: &str, code: &str) -> String {
    match space.trim() {
        "" => code.to_owned(),
        s if s.ends_with('/') => format!("{s}{code}"),
        s => format!("{s}/{code}"),
    }
}
