//! Distributions and service endpoints (`gmd:distributionInfo`), and the constraints on
//! access and use that travel with them.

use super::Record;
use crate::ResourceKind;
use crate::codes::{self, FormatIri};
use crate::graph::{ns, t};
use crate::xml::{Element, Ns};
use oxrdf::vocab::xsd;
use oxrdf::{Literal, NamedNode, NamedOrBlankNode};

use Ns::{Gco, Gmd, Xlink};

const IANA_MEDIA_TYPES: &str = "https://www.iana.org/assignments/media-types/";

/// A format named by a record: a vocabulary IRI, or only a label.
enum Format {
    Iri(NamedNode),
    Label(String),
}

impl Record<'_, '_, '_> {
    /// The constraints of the first identification: licences and rights statements for use,
    /// access rights for access.
    pub(super) fn constraints(&mut self, s: &NamedOrBlankNode) {
        for constraints in self.ident().all(Gmd, "resourceConstraints") {
            let Some(constraints) = constraints.first() else {
                continue;
            };
            let on_use = constraints.child(Gmd, "useConstraints").is_some();
            let on_access = constraints.child(Gmd, "accessConstraints").is_some();
            for other in constraints.all(Gmd, "otherConstraints") {
                if on_use {
                    self.constraint(s, other, false);
                }
                if on_access {
                    self.constraint(s, other, true);
                }
            }
        }
    }

    fn constraint(&mut self, s: &NamedOrBlankNode, other: Element<'_, '_>, access: bool) {
        let string = other
            .child(Gco, "CharacterString")
            .map(|c| c.text())
            .unwrap_or_default();
        if !string.is_empty() {
            let rights = self.out.node();
            self.out.add(s, t!(dct, "rights"), rights.clone());
            self.out.typed(&rights, t!(dct, "RightsStatement"));
            self.text_and_translations(&rights, t!(dct, "description"), other, true);
            return;
        }
        if let Some(code) = other.child(Gmd, "MD_RestrictionCode") {
            let code_value = code
                .attribute(Ns::None, "codeListValue")
                .unwrap_or("")
                .trim();
            let text = other.text();
            let text = if text.is_empty() {
                code_value.to_owned()
            } else {
                text
            };
            let rights = self.out.node();
            self.out.add(s, t!(dct, "rights"), rights.clone());
            self.out.typed(&rights, t!(dct, "RightsStatement"));
            self.out
                .typed_literal(&rights, t!(dct, "identifier"), code_value, xsd::STRING);
            let lang = self.lang.clone();
            self.out.text(&rights, t!(dct, "description"), &text, &lang);
            self.translations(&rights, t!(dct, "description"), other);
            return;
        }
        let Some(href) = super::anchor_href(other) else {
            return;
        };
        let Some(iri) = self.out.iri(href, "the constraint") else {
            return;
        };
        if access {
            self.out.add(s, t!(dct, "accessRights"), iri.clone());
            self.out.typed(&iri.into(), t!(dct, "RightsStatement"));
        } else {
            self.out.add(s, t!(dct, "license"), iri.clone());
            self.out.typed(&iri.into(), t!(dct, "LicenseDocument"));
        }
    }

    /// Every online resource of `gmd:distributionInfo`: for a service, its endpoints; for a
    /// dataset or series, a distribution (downloads, orders, and service requests), a page
    /// (information, search) or a landing page (anything else).
    pub(super) fn distributions(&mut self, s: &NamedOrBlankNode) {
        let representations: Vec<String> = self
            .idents()
            .iter()
            .flat_map(|i| {
                i.path(&[
                    (Gmd, "spatialRepresentationType"),
                    (Gmd, "MD_SpatialRepresentationTypeCode"),
                ])
            })
            .filter_map(|c| c.attribute(Ns::None, "codeListValue").map(str::to_owned))
            .collect();
        let resource_encoding: Vec<&str> = self
            .md
            .path(&[
                (Gmd, "identificationInfo"),
                (Gmd, "MD_DataIdentification"),
                (Gmd, "characterSet"),
                (Gmd, "MD_CharacterSetCode"),
            ])
            .iter()
            .filter_map(|c| c.attribute(Ns::None, "codeListValue"))
            .filter_map(codes::character_set)
            .collect();
        for distribution in self
            .md
            .path(&[(Gmd, "distributionInfo"), (Gmd, "MD_Distribution")])
        {
            let formats = self.formats(distribution.all(Gmd, "distributionFormat"));
            let mut online: Vec<(Element<'_, '_>, Option<Vec<Format>>)> = Vec::new();
            for options in distribution.path(&[(Gmd, "transferOptions"), (Gmd, "*")]) {
                online.extend(
                    options
                        .all(Gmd, "onLine")
                        .filter_map(|o| o.first())
                        .map(|o| (o, None)),
                );
            }
            for distributor in distribution.path(&[(Gmd, "distributor"), (Gmd, "MD_Distributor")]) {
                let own = self.formats(distributor.all(Gmd, "distributorFormat"));
                let own = (!own.is_empty()).then_some(own);
                for options in distributor.path(&[(Gmd, "distributorTransferOptions"), (Gmd, "*")])
                {
                    for o in options.all(Gmd, "onLine").filter_map(|o| o.first()) {
                        let own = own
                            .as_ref()
                            .map(|f| f.iter().map(Format::clone_of).collect());
                        online.push((o, own));
                    }
                }
            }
            for (resource, own_formats) in online {
                let formats = own_formats.as_ref().unwrap_or(&formats);
                self.online_resource(s, resource, formats, &representations, &resource_encoding);
            }
        }
    }

    fn formats<'x, 'y: 'x>(
        &mut self,
        formats: impl Iterator<Item = Element<'x, 'y>>,
    ) -> Vec<Format> {
        let mut out = Vec::new();
        for f in formats {
            for name in f.path(&[(Gmd, "MD_Format"), (Gmd, "name"), (Gmd, "*")]) {
                let label = name.text();
                let href = name
                    .attribute(Xlink, "href")
                    .map(str::trim)
                    .filter(|h| !h.is_empty());
                let iri = match href {
                    Some(h) => self.out.iri(h, "the format"),
                    None => codes::format(&label).map(|f| match f {
                        FormatIri::FileType(local) => {
                            NamedNode::new_unchecked(format!("{}file-type/{local}", ns!(op)))
                        }
                        FormatIri::Iana(m) => {
                            NamedNode::new_unchecked(format!("{IANA_MEDIA_TYPES}{m}"))
                        }
                        FormatIri::Inspire(m) => {
                            NamedNode::new_unchecked(format!("{}media-types/{m}", ns!(inspire)))
                        }
                    }),
                };
                match iri {
                    Some(iri) => out.push(Format::Iri(iri)),
                    None if !label.is_empty() => out.push(Format::Label(label)),
                    None => {}
                }
            }
        }
        out
    }

    fn online_resource(
        &mut self,
        s: &NamedOrBlankNode,
        resource: Element<'_, '_>,
        formats: &[Format],
        representations: &[String],
        resource_encoding: &[&str],
    ) {
        let url = resource
            .at(&[(Gmd, "linkage"), (Gmd, "URL")])
            .map(|u| u.own_text().trim().to_owned())
            .unwrap_or_default();
        let protocol = resource
            .child(Gmd, "protocol")
            .and_then(|p| p.first())
            .map(|p| p.text())
            .unwrap_or_default();
        let function = resource
            .at(&[(Gmd, "function"), (Gmd, "CI_OnLineFunctionCode")])
            .and_then(|f| f.attribute(Ns::None, "codeListValue"))
            .unwrap_or("")
            .to_owned();
        if url.is_empty() {
            self.out
                .warn("an online resource has no URL; left out".into());
            return;
        }
        if self.kind == ResourceKind::Service {
            self.endpoint(s, &url, &protocol);
            return;
        }
        if !self.kind.is_data() {
            return;
        }
        let service_request = url
            .to_lowercase()
            .split_once('?')
            .is_some_and(|(_, q)| q.contains("request=getcapabilities"));
        if service_request || ["download", "offlineAccess", "order"].contains(&function.as_str()) {
            let distribution = self.out.node();
            self.out
                .add(s, t!(dcat, "distribution"), distribution.clone());
            self.out.typed(&distribution, t!(dcat, "Distribution"));
            self.titles(&distribution, resource);
            if service_request {
                let service = self.out.node();
                self.out
                    .add(&distribution, t!(dcat, "accessService"), service.clone());
                self.out.typed(&service, t!(dcat, "DataService"));
                let mut title = self.text_content(resource.child(Gmd, "name"));
                if title.is_empty() {
                    title = self.text_content(resource.child(Gmd, "description"));
                }
                if title.is_empty() {
                    title = "N/A".into();
                }
                let lang = self.lang.clone();
                self.out.text(&service, t!(dct, "title"), &title, &lang);
                self.endpoint(&service, &url, &protocol);
            }
            if let Some(iri) = self.out.iri(&url, "the access URL") {
                self.out.add(&distribution, t!(dcat, "accessURL"), iri);
            }
            self.constraints(&distribution);
            if self.extended {
                for code in representations {
                    let iri = format!(
                        "{}metadata-codelist/SpatialRepresentationType/{code}",
                        ns!(inspire)
                    );
                    if let Some(iri) = self.out.iri(&iri, "the spatial representation type") {
                        self.out
                            .add(&distribution, t!(adms, "representationTechnique"), iri);
                    }
                }
            }
            let size = resource
                .parent()
                .and_then(|online| online.parent())
                .and_then(|options| options.at(&[(Gmd, "transferSize"), (Gco, "Real")]))
                .and_then(|r| r.own_text().trim().parse::<f64>().ok())
                .filter(|mb| mb.is_finite() && *mb >= 0.0);
            if let Some(mb) = size {
                let bytes = format!("{}", (mb * 1_000_000.0).round() as u64);
                self.out.add(
                    &distribution,
                    t!(dcat, "byteSize"),
                    Literal::new_typed_literal(bytes, xsd::NON_NEGATIVE_INTEGER),
                );
            }
            for format in formats {
                match format {
                    Format::Iri(iri) => {
                        let p = if iri.as_str().starts_with(IANA_MEDIA_TYPES) {
                            t!(dcat, "mediaType")
                        } else {
                            t!(dct, "format")
                        };
                        self.out.add(&distribution, p, iri.clone());
                        self.out.typed(&iri.clone().into(), t!(dct, "MediaType"));
                    }
                    Format::Label(label) => {
                        let node = self.out.node();
                        self.out.add(&distribution, t!(dct, "format"), node.clone());
                        self.out.typed(&node, t!(dct, "MediaType"));
                        self.out
                            .add(&node, t!(rdfs, "label"), Literal::new_simple_literal(label));
                    }
                }
            }
            if self.extended {
                for encoding in resource_encoding {
                    self.out.typed_literal(
                        &distribution,
                        t!(cnt, "characterEncoding"),
                        encoding,
                        xsd::STRING,
                    );
                }
            }
            return;
        }
        let Some(page) = self.out.iri(&url, "the page URL") else {
            return;
        };
        let p = if function == "information" || function == "search" {
            t!(foaf, "page")
        } else {
            t!(dcat, "landingPage")
        };
        self.out.add(s, p, page.clone());
        let page: NamedOrBlankNode = page.into();
        self.out.typed(&page, t!(foaf, "Document"));
        self.titles(&page, resource);
    }

    /// An online resource's name and description as title and description.
    fn titles(&mut self, s: &NamedOrBlankNode, resource: Element<'_, '_>) {
        for name in resource.all(Gmd, "name") {
            self.text_and_translations(s, t!(dct, "title"), name, true);
        }
        for description in resource.all(Gmd, "description") {
            let text = description
                .first()
                .map(|d| d.own_text().to_owned())
                .unwrap_or_default();
            let lang = self.lang.clone();
            self.out.text(s, t!(dct, "description"), &text, &lang);
            self.translations(s, t!(dct, "description"), description);
        }
    }

    /// A service endpoint: the URL without its query, the whole URL as its description, and
    /// (extended) the OGC protocol it speaks.
    fn endpoint(&mut self, s: &NamedOrBlankNode, url: &str, protocol: &str) {
        let base = url.split_once('?').map_or(url, |(b, _)| b);
        if let Some(iri) = self.out.iri(base, "the endpoint URL") {
            self.out.add(s, t!(dcat, "endpointURL"), iri);
        }
        if let Some(iri) = self.out.iri(url, "the endpoint description") {
            self.out.add(s, t!(dcat, "endpointDescription"), iri);
        }
        if let Some(standard) = codes::service_protocol(url, protocol).filter(|_| self.extended) {
            let standard = NamedNode::new_unchecked(standard);
            self.out
                .add(s, t!(geodcatap, "serviceProtocol"), standard.clone());
            self.out.typed(&standard.into(), t!(dct, "Standard"));
        }
    }
}

impl Format {
    fn clone_of(&self) -> Self {
        match self {
            Self::Iri(i) => Self::Iri(i.clone()),
            Self::Label(l) => Self::Label(l.clone()),
        }
    }
}
