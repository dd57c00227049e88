//! Data quality: conformity with specifications, reference systems, spatial resolution.

use super::{Record, anchor_href, is_http};
use crate::graph::{ns, t};
use crate::xml::{Element, Ns};
use oxrdf::vocab::xsd;
use oxrdf::{NamedNode, NamedOrBlankNode};

use Ns::{Gco, Gmd, Gmx, Xlink};

const EPSG: &str = "http://www.opengis.net/def/crs/EPSG/0";
const EPSG_URN: &str = "urn:ogc:def:crs:EPSG";
const OGC_CRS: &str = "http://www.opengis.net/def/crs/OGC";
const CRS84: &str = "http://www.opengis.net/def/crs/OGC/1.3/CRS84";
const ETRS89: &str = "http://www.opengis.net/def/crs/EPSG/0/4258";
const SRS_TYPE: &str = "http://inspire.ec.europa.eu/glossary/SpatialReferenceSystem";
const UOM: &str = "http://www.qudt.org/vocab/unit/";
const GMX_UOM: &str = "http://standards.iso.org/ittf/PubliclyAvailableStandards/ISO_19139_Schemas/resources/uom/ML_gmxUom.xml#";

impl Record<'_, '_, '_> {
    /// Each conformity report: `dct:conformsTo` the specification when the test passed, and
    /// (extended) the test as a `prov:Activity` with its degree of conformity.
    pub(super) fn conformity(&mut self, s: &NamedOrBlankNode) {
        let citations = self.md.path(&[
            (Gmd, "dataQualityInfo"),
            (Gmd, "*"),
            (Gmd, "report"),
            (Gmd, "*"),
            (Gmd, "result"),
            (Gmd, "*"),
            (Gmd, "specification"),
            (Gmd, "CI_Citation"),
        ]);
        for citation in citations {
            let result = citation.parent().and_then(|spec| spec.parent());
            let pass = result
                .and_then(|r| r.at(&[(Gmd, "pass"), (Gco, "Boolean")]))
                .map(|b| b.text())
                .unwrap_or_default();
            let spec_href = citation
                .parent()
                .and_then(|spec| spec.attribute(Xlink, "href"))
                .map(str::trim)
                .filter(|h| !h.is_empty());
            let spec_uri = citation
                .child(Gmd, "title")
                .and_then(anchor_href)
                .or(spec_href)
                .and_then(|u| self.out.iri(u, "the specification"));
            if pass == "true" {
                self.specification(
                    s,
                    t!(dct, "conformsTo"),
                    citation,
                    spec_uri.clone(),
                    t!(dct, "Standard"),
                );
            }
            let activity = self.out.node();
            self.out.add(s, t!(prov, "wasUsedBy"), activity.clone());
            self.out.typed(&activity, t!(prov, "Activity"));
            if let NamedOrBlankNode::NamedNode(iri) = s {
                self.out.add(&activity, t!(prov, "used"), iri.clone());
                self.out.typed(&iri.clone().into(), t!(prov, "Entity"));
            }
            let association = self.out.node();
            self.out.add(
                &activity,
                t!(prov, "qualifiedAssociation"),
                association.clone(),
            );
            self.out.typed(&association, t!(prov, "Association"));
            let plan = self.out.node();
            self.out
                .add(&association, t!(prov, "hadPlan"), plan.clone());
            self.out.typed(&plan, t!(prov, "Plan"));
            self.specification(
                &plan,
                t!(prov, "wasDerivedFrom"),
                citation,
                spec_uri,
                t!(prov, "Entity"),
            );
            let generated = self.out.node();
            self.out
                .add(&activity, t!(prov, "generated"), generated.clone());
            self.out.typed(&generated, t!(prov, "Entity"));
            let degree = match pass.as_str() {
                "true" => "conformant",
                "false" => "notConformant",
                _ => "notEvaluated",
            };
            let degree = NamedNode::new_unchecked(format!(
                "{}metadata-codelist/DegreeOfConformity/{degree}",
                ns!(inspire)
            ));
            self.out.add(&generated, t!(dct, "type"), degree);
            if let Some(result) = result {
                for explanation in result.all(Gmd, "explanation") {
                    self.text_and_translations(
                        &generated,
                        t!(dct, "description"),
                        explanation,
                        false,
                    );
                }
            }
        }
    }

    /// The specification of a conformity report: its IRI, or a node with its titles and dates.
    fn specification(
        &mut self,
        s: &NamedOrBlankNode,
        p: oxrdf::NamedNodeRef<'_>,
        citation: Element<'_, '_>,
        uri: Option<NamedNode>,
        class: oxrdf::NamedNodeRef<'_>,
    ) {
        let spec: NamedOrBlankNode = match uri {
            Some(iri) => {
                self.out.add(s, p, iri.clone());
                self.out.typed(&iri.into(), class);
                return;
            }
            None => self.out.node(),
        };
        self.out.add(s, p, spec.clone());
        self.out.typed(&spec, class);
        for title in citation.all(Gmd, "title") {
            self.text_and_translations(&spec, t!(dct, "title"), title, true);
        }
        for date in citation.path(&[(Gmd, "date"), (Gmd, "CI_Date")]) {
            self.date(&spec, date);
        }
    }

    /// `gmd:RS_Identifier`: an EPSG code (as a number, a URN or an IRI) to the OGC IRI of the
    /// reference system; anything else to a described node.
    pub(super) fn reference_system(&mut self, s: &NamedOrBlankNode, rs: Element<'_, '_>) {
        let string = |field: &str| {
            rs.at(&[(Gmd, field), (Gco, "CharacterString")])
                .or_else(|| rs.at(&[(Gmd, field), (Gmx, "Anchor")]))
                .map(|c| c.own_text().trim().to_owned())
                .unwrap_or_default()
        };
        let code = string("code");
        let space = string("codeSpace");
        let version = string("version");
        let link = rs.child(Gmd, "code").and_then(anchor_href).unwrap_or("");
        let lower = code.to_lowercase();
        let epsg_space = space.to_lowercase() == "epsg"
            || space.to_lowercase().starts_with(&EPSG_URN.to_lowercase());
        let named = |r: &mut Self, iri: &str| -> Option<NamedOrBlankNode> {
            let iri = r.out.iri(iri, "the reference system")?;
            let node: NamedOrBlankNode = iri.clone().into();
            r.out.add(s, t!(geodcatap, "referenceSystem"), iri);
            r.out.typed(&node, t!(dct, "Standard"));
            r.out
                .add(&node, t!(dct, "type"), NamedNode::new_unchecked(SRS_TYPE));
            Some(node)
        };
        if is_http(link) || is_http(&code) {
            named(self, if is_http(link) { link } else { &code });
            return;
        }
        // (IRI, URN, label, scheme, scheme title) of a reference system Alzette recognises.
        let known: Option<(String, String, Option<&str>, &str, &str)> = if lower.starts_with("urn:")
        {
            let srid = lower
                .starts_with(&EPSG_URN.to_lowercase())
                .then(|| code.rsplit(':').next().unwrap_or(""))
                .filter(|n| !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit()));
            srid.map(|n| {
                (
                    format!("{EPSG}/{n}"),
                    code.clone(),
                    None,
                    EPSG,
                    "EPSG Coordinate Reference Systems",
                )
            })
        } else if !code.is_empty() && code.bytes().all(|b| b.is_ascii_digit()) && epsg_space {
            Some((
                format!("{EPSG}/{code}"),
                format!("{EPSG_URN}:{version}:{code}"),
                None,
                EPSG,
                "EPSG Coordinate Reference Systems",
            ))
        } else {
            match lower.replace([':', ' '], "").as_str() {
                "etrs89" => Some((
                    ETRS89.into(),
                    format!("{EPSG_URN}::4258"),
                    Some("ETRS89 - European Terrestrial Reference System 1989"),
                    EPSG,
                    "EPSG Coordinate Reference Systems",
                )),
                "crs84" => Some((
                    CRS84.into(),
                    "urn:ogc:def:crs:OGC:1.3:CRS84".into(),
                    Some("CRS84"),
                    OGC_CRS,
                    "OGC Coordinate Reference Systems",
                )),
                _ => None,
            }
        };
        let lang = self.lang.clone();
        if let Some((iri, urn, label, scheme, scheme_title)) = known {
            let Some(node) = named(self, &iri) else {
                return;
            };
            self.out.typed(&node, t!(skos, "Concept"));
            self.out
                .typed_literal(&node, t!(dct, "identifier"), &urn, xsd::ANY_URI);
            self.out
                .typed_literal(&node, t!(skos, "notation"), &urn, xsd::ANY_URI);
            if let Some(label) = label {
                self.out.text(&node, t!(dct, "title"), label, "en");
                self.out.text(&node, t!(skos, "prefLabel"), label, "en");
            }
            let scheme_node: NamedOrBlankNode = NamedNode::new_unchecked(scheme).into();
            self.out
                .add(&node, t!(skos, "inScheme"), scheme_node.clone());
            self.out.typed(&scheme_node, t!(skos, "ConceptScheme"));
            self.out
                .text(&scheme_node, t!(dct, "title"), scheme_title, "en");
            if self.extended {
                self.out
                    .text(&node, t!(owl, "versionInfo"), &version, &lang);
            }
            return;
        }
        if code.is_empty() {
            return;
        }
        let node = self.out.node();
        self.out
            .add(s, t!(geodcatap, "referenceSystem"), node.clone());
        self.out.typed(&node, t!(dct, "Standard"));
        self.out
            .add(&node, t!(dct, "type"), NamedNode::new_unchecked(SRS_TYPE));
        if lower.starts_with("urn:") {
            self.out
                .typed_literal(&node, t!(dct, "identifier"), &code, xsd::ANY_URI);
            if !space.is_empty() {
                self.out.typed(&node, t!(skos, "Concept"));
                self.out
                    .typed_literal(&node, t!(skos, "notation"), &code, xsd::ANY_URI);
            }
        } else {
            self.out.typed(&node, t!(skos, "Concept"));
            self.out.text(&node, t!(dct, "title"), &code, &lang);
            if !space.is_empty() {
                self.out.text(&node, t!(skos, "prefLabel"), &code, &lang);
            }
        }
        if !space.is_empty() {
            let scheme = self.out.node();
            self.out.add(&node, t!(skos, "inScheme"), scheme.clone());
            self.out.typed(&scheme, t!(skos, "ConceptScheme"));
            self.out.text(&scheme, t!(dct, "title"), &space, &lang);
        }
        if self.extended {
            self.out
                .text(&node, t!(owl, "versionInfo"), &version, &lang);
        }
    }

    /// `gmd:MD_Resolution`: a distance in metres (or km, ft) to `dcat:spatialResolutionInMeters`;
    /// (extended) distances and scales as DQV measurements.
    pub(super) fn spatial_resolution(&mut self, s: &NamedOrBlankNode, resolution: Element<'_, '_>) {
        for distance in resolution.path(&[(Gmd, "distance"), (Gco, "Distance")]) {
            let value = distance.own_text().trim().to_owned();
            let uom = distance.attribute(Ns::None, "uom").unwrap_or("").trim();
            let unit = match uom {
                "EPSG::9001"
                | "urn:ogc:def:uom:EPSG::9001"
                | "urn:ogc:def:uom:UCUM::m"
                | "urn:ogc:def:uom:OGC::m"
                | "m" => Some(("M", 1.0)),
                "EPSG::9002"
                | "urn:ogc:def:uom:EPSG::9002"
                | "urn:ogc:def:uom:UCUM::[ft_i]"
                | "urn:ogc:def:uom:OGC::[ft_i]"
                | "ft" => Some(("FT", 0.3048)),
                "km" => Some(("KiloM", 1000.0)),
                other => match other.strip_prefix(GMX_UOM) {
                    Some("m") => Some(("M", 1.0)),
                    Some("km") => Some(("KiloM", 1000.0)),
                    Some("ft") => Some(("FT", 0.3048)),
                    _ => None,
                },
            };
            let number: Option<f64> = value.parse().ok().filter(|n: &f64| n.is_finite());
            match (unit, number) {
                (Some((unit, factor)), Some(n)) => {
                    let metres = if factor == 1.0 {
                        value.clone()
                    } else {
                        decimal(n * factor)
                    };
                    self.out.typed_literal(
                        s,
                        t!(dcat, "spatialResolutionInMeters"),
                        &metres,
                        xsd::DECIMAL,
                    );
                    if self.extended {
                        let m = self.measurement(s, "spatialResolutionAsDistance", &value);
                        let unit = NamedNode::new_unchecked(format!("{UOM}{unit}"));
                        self.out.add(&m, t!(sdmx, "unitMeasure"), unit);
                    }
                }
                _ if self.extended => {
                    let comment = format!("Spatial resolution (distance): {value}\u{a0}{uom}");
                    self.out.text(s, t!(rdfs, "comment"), &comment, "en");
                }
                _ => {}
            }
        }
        if !self.extended {
            return;
        }
        for denominator in resolution.path(&[
            (Gmd, "equivalentScale"),
            (Gmd, "MD_RepresentativeFraction"),
            (Gmd, "denominator"),
            (Gco, "Integer"),
        ]) {
            let text = denominator.own_text().trim().to_owned();
            match text.parse::<u64>() {
                Ok(n) if n > 0 => {
                    self.measurement(s, "spatialResolutionAsScale", &reciprocal(n));
                }
                _ => {
                    let comment = format!("Spatial resolution (equivalent scale): {text}");
                    self.out.text(s, t!(rdfs, "comment"), &comment, "en");
                }
            }
        }
    }

    fn measurement(&mut self, s: &NamedOrBlankNode, metric: &str, value: &str) -> NamedOrBlankNode {
        let m = self.out.node();
        self.out.add(s, t!(dqv, "hasQualityMeasurement"), m.clone());
        self.out.typed(&m, t!(dqv, "QualityMeasurement"));
        let metric: NamedOrBlankNode =
            NamedNode::new_unchecked(format!("{}{metric}", ns!(geodcatap))).into();
        self.out.add(&m, t!(dqv, "isMeasurementOf"), metric.clone());
        self.out.typed(&metric, t!(dqv, "Metric"));
        self.out
            .typed_literal(&m, t!(dqv, "value"), value, xsd::DECIMAL);
        m
    }
}

/// A decimal without exponent or trailing zeros.
fn decimal(n: f64) -> String {
    let text = format!("{n:.12}");
    let text = text.trim_end_matches('0').trim_end_matches('.');
    text.to_owned()
}

/// 1/n to 24 decimal places, trailing zeros dropped (the reference's
/// `format-number(1 div n, '0.####…')`): 1/50000 → "0.00002".
fn reciprocal(n: u64) -> String {
    if n == 1 {
        return "1".into();
    }
    let mut digits = String::from("0.");
    let mut remainder: u128 = 1;
    for _ in 0..24 {
        remainder *= 10;
        digits.push(char::from(b'0' + (remainder / u128::from(n)) as u8));
        remainder %= u128::from(n);
    }
    // Round half up at the 24th place.
    if remainder * 2 >= u128::from(n) {
        let mut bytes = digits.into_bytes();
        let mut i = bytes.len() - 1;
        loop {
            if bytes[i] == b'9' {
                bytes[i] = b'0';
                i -= 1;
            } else if bytes[i] == b'.' {
                return "1".into();
            } else {
                bytes[i] += 1;
                break;
            }
        }
        digits = String::from_utf8(bytes).unwrap_or_default();
    }
    let trimmed = digits.trim_end_matches('0').trim_end_matches('.');
    if trimmed.is_empty() {
        "0".into()
    } else {
        trimmed.to_owned()
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn scales_are_exact_decimals() {
        assert_eq!(super::reciprocal(50000), "0.00002");
        assert_eq!(super::reciprocal(3), "0.333333333333333333333333");
        assert_eq!(super::reciprocal(1), "1");
        assert_eq!(super::decimal(0.3048 * 10.0), "3.048");
    }
}
