//! One `gmd:MD_Metadata` to GeoDCAT-AP triples, following the SEMIC reference mapping
//! (`iso-19139-to-dcat-ap.xsl`, GeoDCAT-AP 3) element by element; `docs/mapping-iso19139.md`
//! has the table and the places where Alzette deliberately differs.

use crate::codes;
use crate::graph::{Out, lang_literal, ns, t};
use crate::xml::{Element, Ns, normalize_space};
use crate::{Profile, ResourceKind};
use oxrdf::vocab::xsd;
use oxrdf::{NamedNode, NamedNodeRef, NamedOrBlankNode};
use std::collections::HashMap;

use Ns::{Gco, Gmd, Gmx, Srv, Xlink};

mod distribution;
mod extent;
mod keywords;
mod parties;
mod quality;

/// What the whole document says that a record needs: its locales (`gmd:PT_Locale` ids to
/// language codes, looked up document-wide as the reference does).
pub(crate) struct DocumentContext<'d> {
    pub(crate) locales: HashMap<&'d str, String>,
    /// The id of the locale preferred where one text must be chosen among translations.
    pub(crate) preferred_locale: Option<&'d str>,
}

pub(crate) struct Mapped {
    pub(crate) resource: NamedOrBlankNode,
    pub(crate) kind: ResourceKind,
    pub(crate) file_identifier: Option<String>,
    pub(crate) out: Out,
}

struct Record<'d, 'a, 'c> {
    md: Element<'d, 'a>,
    doc: &'c DocumentContext<'d>,
    extended: bool,
    /// The metadata language, as a literal's tag (`en`); shared, as nearly every literal has it.
    lang: std::rc::Rc<str>,
    /// What the record describes.
    kind: ResourceKind,
    out: Out,
}

const DATASET_SCOPES: [&str; 2] = ["dataset", "nonGeographicDataset"];

pub(crate) fn map_record(
    md: Element<'_, '_>,
    doc: &DocumentContext<'_>,
    profile: Profile,
) -> Mapped {
    let metadata_language = metadata_language(md);
    let scope_code = md
        .at(&[(Gmd, "hierarchyLevel"), (Gmd, "MD_ScopeCode")])
        .and_then(|c| c.attribute(Ns::None, "codeListValue"))
        .map(normalize_space)
        .unwrap_or_default();
    let mut out = Out::default();
    let kind = match scope_code.as_str() {
        code if DATASET_SCOPES.contains(&code) => ResourceKind::Dataset,
        "series" => ResourceKind::Series,
        "service" => ResourceKind::Service,
        "" => {
            out.warn("no gmd:hierarchyLevel; read as a dataset (ISO 19115's default)".into());
            ResourceKind::Dataset
        }
        other => ResourceKind::Other(other.to_owned()),
    };
    let mut r = Record {
        md,
        doc,
        extended: profile == Profile::Extended,
        lang: codes::language_tag(&metadata_language).into(),
        kind: kind.clone(),
        out,
    };
    let resource = match resource_uri(md) {
        Some(uri) => r.out.iri(&uri, "the resource identifier").map(Into::into),
        None => None,
    }
    .unwrap_or_else(|| r.out.node());
    let file_identifier = md
        .at(&[(Gmd, "fileIdentifier"), (Gco, "CharacterString")])
        .map(|e| e.own_text().trim().to_owned())
        .filter(|s| !s.is_empty());
    r.catalog_record(
        &resource,
        &metadata_language,
        &scope_code,
        file_identifier.as_deref(),
    );
    r.resource(&resource, &scope_code);
    Mapped {
        resource,
        kind,
        file_identifier,
        out: r.out,
    }
}

/// The metadata language code as written (`eng`), lower case; the first when a record
/// (wrongly) gives two.
fn metadata_language(md: Element<'_, '_>) -> String {
    let Some(language) = md.child(Gmd, "language") else {
        return String::new();
    };
    let code = language.child(Gmd, "LanguageCode");
    code.and_then(|c| c.attribute(Ns::None, "codeListValue"))
        .map(str::to_owned)
        .filter(|c| !c.trim().is_empty())
        .or_else(|| code.map(|c| c.text()).filter(|c| !c.is_empty()))
        .or_else(|| language.child(Gco, "CharacterString").map(|c| c.text()))
        .map(|c| c.split_whitespace().next().unwrap_or("").to_lowercase())
        .unwrap_or_default()
}

/// The resource's IRI: the first identifier that is an http(s) URI, with its code space.
fn resource_uri(md: Element<'_, '_>) -> Option<String> {
    let identifiers = md.path(&[
        (Gmd, "identificationInfo"),
        (Gmd, "*"),
        (Gmd, "citation"),
        (Gmd, "*"),
        (Gmd, "identifier"),
        (Gmd, "*"),
    ]);
    identifiers.into_iter().find_map(|id| {
        let value = |e: Option<Element<'_, '_>>| {
            e.map(|e| {
                e.child(Gco, "CharacterString")
                    .map(|c| c.own_text().to_owned())
                    .or_else(|| {
                        e.child(Gmx, "Anchor")
                            .and_then(|a| a.attribute(Xlink, "href"))
                            .map(str::to_owned)
                    })
                    .unwrap_or_default()
            })
        };
        let code = value(id.child(Gmd, "code")).unwrap_or_default();
        let uri = match value(id.child(Gmd, "codeSpace")) {
            Some(space) => space + &code,
            None => code,
        };
        (uri.starts_with("http://") || uri.starts_with("https://")).then_some(uri)
    })
}

/// The XSD datatype of a date (`xsd:gYear`, `xsd:date` or `xsd:dateTime`, by its form), or
/// `None` when it is none of them ("spring 2024", "2019-13-45").
pub(crate) fn date_datatype(date: &str) -> Option<NamedNodeRef<'static>> {
    use oxsdatatypes::{Date, DateTime, GYear};
    use std::str::FromStr;
    match date.len() {
        4 => GYear::from_str(date).is_ok().then_some(xsd::G_YEAR),
        n if n > 10 => DateTime::from_str(date).is_ok().then_some(xsd::DATE_TIME),
        _ => Date::from_str(date).is_ok().then_some(xsd::DATE),
    }
}

/// `xlink:href` of the element's `gmx:Anchor` child.
fn anchor_href<'d>(e: Element<'d, '_>) -> Option<&'d str> {
    e.child(Gmx, "Anchor")
        .and_then(|a| a.attribute(Xlink, "href"))
        .map(str::trim)
        .filter(|h| !h.is_empty())
}

fn is_http(s: &str) -> bool {
    s.starts_with("http://") || s.starts_with("https://")
}

impl<'d, 'a> Record<'d, 'a, '_> {
    fn ident(&self) -> Element<'d, 'a> {
        self.md
            .child(Gmd, "identificationInfo")
            .and_then(|i| i.first())
            .unwrap_or(self.md)
    }

    /// Every `gmd:identificationInfo/*`.
    fn idents(&self) -> Vec<Element<'d, 'a>> {
        self.md.path(&[(Gmd, "identificationInfo"), (Gmd, "*")])
    }

    /// `e p "text"@lang` with the text of `e`'s character string (normalised or not), then
    /// one literal per translation in its `gmd:PT_FreeText`.
    fn text_and_translations(
        &mut self,
        s: &NamedOrBlankNode,
        p: NamedNodeRef<'_>,
        e: Element<'_, '_>,
        normalize: bool,
    ) {
        let text = match e
            .child(Gco, "CharacterString")
            .or_else(|| e.child(Gmx, "Anchor"))
        {
            Some(c) if normalize => c.text(),
            Some(c) => c.own_text().to_owned(),
            None => String::new(),
        };
        if !text.trim().is_empty() {
            let lang = self.lang.clone();
            self.out.text(s, p, &text, &lang);
        }
        self.translations(s, p, e);
    }

    fn translations(&mut self, s: &NamedOrBlankNode, p: NamedNodeRef<'_>, e: Element<'_, '_>) {
        let Some(free) = e.child(Gmd, "PT_FreeText") else {
            return;
        };
        for group in free.children() {
            for l in group.all(Gmd, "LocalisedCharacterString") {
                let value = l.text();
                if value.is_empty() {
                    continue;
                }
                let id = l.attribute(Ns::None, "locale").unwrap_or("");
                let id = id.strip_prefix('#').unwrap_or(id);
                let lang = self
                    .doc
                    .locales
                    .get(id)
                    .map(|code| codes::language_tag(code).to_owned())
                    .unwrap_or_default();
                self.out.add(s, p, lang_literal(&value, &lang));
            }
        }
    }

    /// The reference's `getTextContent`: an anchor's or string's text, else the preferred
    /// translation, else everything inside.
    fn text_content(&self, e: Option<Element<'_, '_>>) -> String {
        let Some(e) = e else {
            return String::new();
        };
        if let Some(c) = e
            .child(Gmx, "Anchor")
            .or_else(|| e.child(Gco, "CharacterString"))
        {
            return c.text();
        }
        if let Some(free) = e.child(Gmd, "PT_FreeText") {
            let strings: Vec<_> = free
                .children()
                .flat_map(|g| g.all(Gmd, "LocalisedCharacterString"))
                .collect();
            let preferred = self.doc.preferred_locale.and_then(|id| {
                strings.iter().find(|s| {
                    s.attribute(Ns::None, "locale")
                        .is_some_and(|l| l.strip_prefix('#') == Some(id))
                })
            });
            if let Some(s) = preferred.or(strings.first()) {
                return s.text();
            }
        }
        e.first().map(|c| c.text()).unwrap_or_default()
    }

    fn catalog_record(
        &mut self,
        resource: &NamedOrBlankNode,
        metadata_language: &str,
        _scope_code: &str,
        file_identifier: Option<&str>,
    ) {
        let md = self.md;
        let record = match file_identifier.filter(|f| is_http(f)) {
            Some(uri) => self.out.iri(uri, "the file identifier").map(Into::into),
            None => None,
        }
        .unwrap_or_else(|| self.out.node());
        self.out
            .add(resource, t!(foaf, "isPrimaryTopicOf"), record.clone());
        self.out.typed(&record, t!(dcat, "CatalogRecord"));
        // For a blank resource too (the reference leaves it out): the harvest names it, and
        // DCAT-AP requires a catalogue record's primary topic.
        self.out
            .add(&record, t!(foaf, "primaryTopic"), resource.clone());
        let profile = if self.extended {
            t!(geodcatap, "")
        } else {
            t!(dcatap, "")
        };
        self.out.add(&record, t!(dct, "conformsTo"), profile);
        self.out
            .typed(&profile.into_owned().into(), t!(dct, "Standard"));
        if !metadata_language.is_empty() {
            self.language(&record, metadata_language);
        }
        let date = md
            .at(&[(Gmd, "dateStamp"), (Gco, "Date")])
            .or_else(|| md.at(&[(Gmd, "dateStamp"), (Gco, "DateTime")]))
            .map(|d| d.text())
            .filter(|d| !d.is_empty());
        let date = date.and_then(|d| match date_datatype(&d) {
            Some(datatype) => Some((d, datatype)),
            None => {
                self.out
                    .warn(format!("the metadata date \"{d}\" is not a date; left out"));
                None
            }
        });
        if let Some((date, datatype)) = &date {
            self.out
                .typed_literal(&record, t!(dct, "modified"), date, *datatype);
        }
        if self.extended {
            for contact in md.path(&[(Gmd, "contact"), (Gmd, "CI_ResponsibleParty")]) {
                self.party(&record, contact);
            }
            for id in md.path(&[(Gmd, "fileIdentifier"), (Gco, "CharacterString")]) {
                self.out
                    .typed_literal(&record, t!(dct, "identifier"), id.own_text(), xsd::STRING);
            }
        }
        // The metadata standard and encoding describe the ISO record the catalogue record
        // was made from: a record of its own, the catalogue record's source.
        let encoding = md
            .at(&[(Gmd, "characterSet"), (Gmd, "MD_CharacterSetCode")])
            .and_then(|c| c.attribute(Ns::None, "codeListValue"))
            .and_then(codes::character_set);
        let standard_names: Vec<_> = md.all(Gmd, "metadataStandardName").collect();
        let standard_uri = md.child(Gmd, "metadataStandardName").and_then(anchor_href);
        let standard_named = standard_names.iter().any(|n| !n.text().is_empty());
        if encoding.is_some() || standard_uri.is_some() || standard_named {
            let source = self.out.node();
            self.out.add(&record, t!(dct, "source"), source.clone());
            self.out.typed(&source, t!(dcat, "CatalogRecord"));
            if let Some((date, datatype)) = &date {
                self.out
                    .typed_literal(&source, t!(dct, "modified"), date, *datatype);
            }
            if let Some(encoding) = encoding {
                self.out.typed_literal(
                    &source,
                    t!(cnt, "characterEncoding"),
                    encoding,
                    xsd::STRING,
                );
            }
            if let Some(uri) = standard_uri.and_then(|u| self.out.iri(u, "the metadata standard")) {
                self.out.add(&source, t!(dct, "conformsTo"), uri.clone());
                self.out.typed(&uri.into(), t!(dct, "Standard"));
            } else if standard_named {
                let standard = self.out.node();
                self.out
                    .add(&source, t!(dct, "conformsTo"), standard.clone());
                self.out.typed(&standard, t!(dct, "Standard"));
                for name in standard_names {
                    self.text_and_translations(&standard, t!(dct, "title"), name, true);
                }
                if let Some(version) = md
                    .at(&[(Gmd, "metadataStandardVersion"), (Gco, "CharacterString")])
                    .map(|v| v.own_text().to_owned())
                    .filter(|v| !v.is_empty())
                {
                    let lang = self.lang.clone();
                    self.out
                        .text(&standard, t!(owl, "versionInfo"), &version, &lang);
                }
            }
        }
    }

    fn language(&mut self, s: &NamedOrBlankNode, code: &str) {
        let code = codes::terminology_code(code.trim());
        let iri = format!("{}language/{}", ns!(op), code.to_uppercase());
        if let Some(iri) = self.out.iri(&iri, "the language code") {
            self.out.add(s, t!(dct, "language"), iri.clone());
            self.out.typed(&iri.into(), t!(dct, "LinguisticSystem"));
        }
    }

    fn resource(&mut self, s: &NamedOrBlankNode, scope_code: &str) {
        let ident = self.ident();
        match self.kind {
            ResourceKind::Dataset => self.out.typed(s, t!(dcat, "Dataset")),
            ResourceKind::Series => self.out.typed(s, t!(dcat, "DatasetSeries")),
            ResourceKind::Service => self.out.typed(s, t!(dcat, "DataService")),
            ResourceKind::Other(_) => {}
        }
        if ["dataset", "series", "service"].contains(&scope_code) {
            let iri = format!(
                "{}metadata-codelist/ResourceType/{}",
                ns!(inspire),
                self.kind.code()
            );
            if let Some(iri) = self.out.iri(&iri, "the resource type") {
                self.out.add(s, t!(geodcatap, "resourceType"), iri);
            }
        }
        for title in ident.path(&[(Gmd, "citation"), (Gmd, "*"), (Gmd, "title")]) {
            self.text_and_translations(s, t!(dct, "title"), title, true);
        }
        for abstract_ in ident.all(Gmd, "abstract") {
            self.text_and_translations(s, t!(dct, "description"), abstract_, false);
        }
        for purpose in ident.all(Gmd, "purpose") {
            self.text_and_translations(s, t!(geodcatap, "purpose"), purpose, true);
        }
        let idents = self.idents();
        for i in &idents {
            for code in i.path(&[
                (Gmd, "resourceMaintenance"),
                (Gmd, "MD_MaintenanceInformation"),
                (Gmd, "maintenanceAndUpdateFrequency"),
                (Gmd, "MD_MaintenanceFrequencyCode"),
            ]) {
                if let Some(f) = code
                    .attribute(Ns::None, "codeListValue")
                    .and_then(codes::frequency)
                {
                    let iri = NamedNode::new_unchecked(format!("{}frequency/{f}", ns!(op)));
                    self.out.add(s, t!(dct, "accrualPeriodicity"), iri.clone());
                    self.out.typed(&iri.into(), t!(dct, "Frequency"));
                }
            }
        }
        if self.extended {
            for i in &idents {
                for topic in i.path(&[(Gmd, "topicCategory"), (Gmd, "MD_TopicCategoryCode")]) {
                    let code = topic.text();
                    if !code.is_empty() {
                        let iri = format!("{}metadata-codelist/TopicCategory/{code}", ns!(inspire));
                        if let Some(iri) = self.out.iri(&iri, "the topic category") {
                            self.out.add(s, t!(geodcatap, "topicCategory"), iri);
                        }
                    }
                }
            }
        }
        for i in &idents {
            for keywords in i.path(&[(Gmd, "descriptiveKeywords"), (Gmd, "MD_Keywords")]) {
                self.keywords(s, keywords);
            }
        }
        for i in &idents {
            for id in i.path(&[
                (Gmd, "citation"),
                (Gmd, "*"),
                (Gmd, "identifier"),
                (Gmd, "*"),
            ]) {
                self.identifier(s, id);
            }
        }
        for operates_on in ident.all(Srv, "operatesOn") {
            self.coupled_resource(s, operates_on);
        }
        if self.kind.is_data() {
            let codes: Vec<String> = idents
                .iter()
                .flat_map(|i| i.all(Gmd, "language"))
                .filter_map(|l| {
                    let code = l.child(Gmd, "LanguageCode");
                    code.and_then(|c| c.attribute(Ns::None, "codeListValue"))
                        .map(str::to_owned)
                        .or_else(|| code.map(|c| c.text()))
                        .or_else(|| l.child(Gco, "CharacterString").map(|c| c.text()))
                })
                .map(|c| c.to_lowercase())
                .filter(|c| !c.is_empty())
                .collect();
            for code in codes {
                self.language(s, &code);
            }
        }
        if self.kind == ResourceKind::Service {
            let category = idents
                .iter()
                .flat_map(|i| {
                    i.path(&[
                        (Gmd, "descriptiveKeywords"),
                        (Gmd, "MD_Keywords"),
                        (Gmd, "keyword"),
                        (Gmx, "Anchor"),
                    ])
                })
                .filter_map(|a| a.attribute(Xlink, "href"))
                .find(|h| h.starts_with(SERVICE_CATEGORY));
            if let Some(iri) = category.and_then(|c| self.out.iri(c, "the service category")) {
                self.out.add(s, t!(geodcatap, "serviceCategory"), iri);
            }
            let service_type = idents
                .iter()
                .find_map(|i| i.at(&[(Srv, "serviceType"), (Gco, "LocalName")]))
                .map(|t| t.text())
                .unwrap_or_default();
            if !service_type.is_empty() {
                let iri = format!(
                    "{}metadata-codelist/SpatialDataServiceType/{service_type}",
                    ns!(inspire)
                );
                if let Some(iri) = self.out.iri(&iri, "the service type") {
                    self.out.add(s, t!(geodcatap, "serviceType"), iri);
                }
            }
        }
        for extent in ident
            .children()
            .filter(|c| c.is(Gmd, "extent") || c.is(Srv, "extent"))
        {
            for element in extent.path(&[(Gmd, "*"), (Gmd, "geographicElement")]) {
                for id in element.path(&[
                    (Gmd, "EX_GeographicDescription"),
                    (Gmd, "geographicIdentifier"),
                    (Gmd, "*"),
                ]) {
                    self.geographic_identifier(s, id);
                }
                for bbox in element.all(Gmd, "EX_GeographicBoundingBox") {
                    self.bounding_box(s, bbox);
                }
            }
        }
        for i in &idents {
            for temporal in i.path(&[
                (Gmd, "extent"),
                (Gmd, "EX_Extent"),
                (Gmd, "temporalElement"),
                (Gmd, "EX_TemporalExtent"),
            ]) {
                self.temporal(s, temporal);
            }
        }
        for i in &idents {
            for date in i.path(&[
                (Gmd, "citation"),
                (Gmd, "CI_Citation"),
                (Gmd, "date"),
                (Gmd, "CI_Date"),
            ]) {
                self.date(s, date);
            }
        }
        if self.kind != ResourceKind::Service {
            for statement in self.md.path(&[
                (Gmd, "dataQualityInfo"),
                (Gmd, "*"),
                (Gmd, "lineage"),
                (Gmd, "*"),
                (Gmd, "statement"),
            ]) {
                let provenance = self.out.node();
                self.out.add(s, t!(dct, "provenance"), provenance.clone());
                self.out.typed(&provenance, t!(dct, "ProvenanceStatement"));
                self.text_and_translations(&provenance, t!(dct, "description"), statement, false);
            }
        }
        for rs in self.md.path(&[
            (Gmd, "referenceSystemInfo"),
            (Gmd, "MD_ReferenceSystem"),
            (Gmd, "referenceSystemIdentifier"),
            (Gmd, "RS_Identifier"),
        ]) {
            self.reference_system(s, rs);
        }
        for i in &idents {
            for resolution in i.path(&[(Gmd, "spatialResolution"), (Gmd, "MD_Resolution")]) {
                self.spatial_resolution(s, resolution);
            }
        }
        if self.kind == ResourceKind::Service {
            self.constraints(s);
        }
        self.conformity(s);
        self.distributions(s);
        for i in &idents {
            for party in i.path(&[(Gmd, "pointOfContact"), (Gmd, "CI_ResponsibleParty")]) {
                self.party(s, party);
            }
        }
    }
}

const SERVICE_CATEGORY: &str =
    "http://inspire.ec.europa.eu/metadata-codelist/SpatialDataServiceCategory";
