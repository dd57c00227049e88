//! Where and when: geographic identifiers, bounding boxes, temporal extents, citation dates.

use super::{Record, date_datatype, is_http};
use crate::graph::t;
use crate::xml::{Element, Ns};
use oxrdf::vocab::xsd;
use oxrdf::{Literal, NamedOrBlankNode};

use Ns::{Gco, Gmd, Gmx, Xlink};

const CRS84: &str = "http://www.opengis.net/def/crs/OGC/1.3/CRS84";

impl Record<'_, '_, '_> {
    /// A named place: its IRI when the code is one, else a location labelled with the code
    /// (or identified by it, for a URN) in the scheme of its authority.
    pub(super) fn geographic_identifier(&mut self, s: &NamedOrBlankNode, id: Element<'_, '_>) {
        let code = match id.child(Gmd, "code") {
            Some(c) => match c.child(Gco, "CharacterString") {
                Some(string) => string.own_text().trim().to_owned(),
                None => c
                    .child(Gmx, "Anchor")
                    .and_then(|a| a.attribute(Xlink, "href"))
                    .unwrap_or("")
                    .trim()
                    .to_owned(),
            },
            None => String::new(),
        };
        if code.is_empty() {
            return;
        }
        if is_http(&code) {
            if let Some(iri) = self.out.iri(&code, "the geographic identifier") {
                self.out.add(s, t!(dct, "spatial"), iri.clone());
                self.out.typed(&iri.into(), t!(dct, "Location"));
            }
            return;
        }
        let location = self.out.node();
        self.out.add(s, t!(dct, "spatial"), location.clone());
        self.out.typed(&location, t!(dct, "Location"));
        if code.starts_with("urn:") {
            self.out
                .typed_literal(&location, t!(dct, "identifier"), &code, xsd::ANY_URI);
        } else {
            let lang = self.lang.clone();
            self.out
                .text(&location, t!(skos, "prefLabel"), &code, &lang);
        }
        for authority in id.path(&[(Gmd, "authority"), (Gmd, "CI_Citation")]) {
            let scheme = self.out.node();
            self.out
                .add(&location, t!(skos, "inScheme"), scheme.clone());
            self.out.typed(&scheme, t!(skos, "ConceptScheme"));
            let title = authority
                .child(Gmd, "title")
                .and_then(|t| {
                    t.child(Gco, "CharacterString")
                        .or_else(|| t.child(Gmx, "Anchor"))
                })
                .map(|t| t.own_text().to_owned())
                .unwrap_or_default();
            let lang = self.lang.clone();
            self.out.text(&scheme, t!(dct, "title"), &title, &lang);
            for date in authority.path(&[(Gmd, "date"), (Gmd, "CI_Date")]) {
                self.date(&scheme, date);
            }
        }
    }

    /// `gmd:EX_GeographicBoundingBox` (WGS 84 longitudes and latitudes, as ISO requires) as a
    /// location with its box in WKT, GML and GeoJSON (`dcat:bbox`) and its geometry in WKT and
    /// GeoJSON (`locn:geometry`).
    pub(super) fn bounding_box(&mut self, s: &NamedOrBlankNode, bbox: Element<'_, '_>) {
        let corner = |name: &str| {
            bbox.at(&[(Gmd, name), (Gco, "Decimal")])
                .map(|d| normalize_number(d.own_text()))
                .filter(|n| !n.is_empty())
        };
        let (Some(west), Some(east), Some(south), Some(north)) = (
            corner("westBoundLongitude"),
            corner("eastBoundLongitude"),
            corner("southBoundLatitude"),
            corner("northBoundLatitude"),
        ) else {
            self.out.warn(
                "a bounding box lacks a corner or has one that is not a number; left out".into(),
            );
            return;
        };
        let wkt = format!(
            "POLYGON(({west} {north},{east} {north},{east} {south},{west} {south},{west} {north}))"
        );
        let gml = format!(
            "<gml:Envelope srsName=\"{CRS84}\"><gml:lowerCorner>{west} {south}</gml:lowerCorner><gml:upperCorner>{east} {north}</gml:upperCorner></gml:Envelope>"
        );
        let geojson = format!(
            "{{\"type\":\"Polygon\",\"coordinates\":[[[{west},{north}],[{east},{north}],[{east},{south}],[{west},{south}],[{west},{north}]]]}}"
        );
        let location = self.out.node();
        self.out.add(s, t!(dct, "spatial"), location.clone());
        self.out.typed(&location, t!(dct, "Location"));
        let wkt_type = t!(gsp, "wktLiteral");
        let geojson_type = t!(gsp, "geoJSONLiteral");
        self.out
            .typed_literal(&location, t!(dcat, "bbox"), &wkt, wkt_type);
        self.out
            .typed_literal(&location, t!(dcat, "bbox"), &gml, t!(gsp, "gmlLiteral"));
        self.out
            .typed_literal(&location, t!(dcat, "bbox"), &geojson, geojson_type);
        self.out
            .typed_literal(&location, t!(locn, "geometry"), &wkt, wkt_type);
        self.out
            .typed_literal(&location, t!(locn, "geometry"), &geojson, geojson_type);
    }

    /// `gmd:EX_TemporalExtent`: a time instant, or a period with both ends written (an end may
    /// be empty, "now").
    pub(super) fn temporal(&mut self, s: &NamedOrBlankNode, extent: Element<'_, '_>) {
        let Some(inner) = extent.child(Gmd, "extent") else {
            return;
        };
        for time in inner.children() {
            let local = |name: &str| time.children().find(|c| c.name() == name);
            let (start, end) = match time.name() {
                "TimeInstant" => {
                    let at = local("timePosition").map(|p| p.text()).unwrap_or_default();
                    (at.clone(), at)
                }
                "TimePeriod" => match (local("beginPosition"), local("endPosition")) {
                    (Some(b), Some(e)) => (b.text(), e.text()),
                    _ => continue,
                },
                _ => continue,
            };
            if start.is_empty() && end.is_empty() {
                continue;
            }
            let period = self.out.node();
            self.out.add(s, t!(dct, "temporal"), period.clone());
            self.out.typed(&period, t!(dct, "PeriodOfTime"));
            for (p, date) in [(t!(dcat, "startDate"), &start), (t!(dcat, "endDate"), &end)] {
                if date.is_empty() {
                    continue;
                }
                match date_datatype(date) {
                    Some(datatype) => {
                        self.out
                            .add(&period, p, Literal::new_typed_literal(date, datatype));
                    }
                    None => self.out.warn(format!(
                        "the temporal extent's \"{date}\" is not a date; left out"
                    )),
                }
            }
        }
    }

    /// `gmd:CI_Date`: publication → `dct:issued`, revision → `dct:modified`, creation →
    /// `dct:created` (extended).
    pub(super) fn date(&mut self, s: &NamedOrBlankNode, date: Element<'_, '_>) {
        let value = date
            .at(&[(Gmd, "date"), (Gco, "Date")])
            .or_else(|| date.at(&[(Gmd, "date"), (Gco, "DateTime")]))
            .map(|d| d.text())
            .unwrap_or_default();
        if value.is_empty() {
            return;
        }
        let kind = date
            .at(&[(Gmd, "dateType"), (Gmd, "CI_DateTypeCode")])
            .and_then(|c| c.attribute(Ns::None, "codeListValue"))
            .unwrap_or("");
        let p = match kind {
            "publication" => t!(dct, "issued"),
            "revision" => t!(dct, "modified"),
            "creation" if self.extended => t!(dct, "created"),
            _ => return,
        };
        match date_datatype(&value) {
            Some(datatype) => self.out.typed_literal(s, p, &value, datatype),
            None => self.out.warn(format!(
                "the {kind} date \"{value}\" is not a date; left out"
            )),
        }
    }
}

/// A decimal as written, without leading zeros or a plus sign in its integer part (the
/// reference's `normalize-number`): "014.50" → "14.50". Not a number → empty.
fn normalize_number(text: &str) -> String {
    let text = text.trim();
    let (integer, fraction) = match text.split_once('.') {
        Some((i, f)) => (i, Some(f)),
        None => (text, None),
    };
    let negative = integer.starts_with('-');
    let digits = integer.trim_start_matches(['-', '+']);
    let valid = |s: &str| s.bytes().all(|b| b.is_ascii_digit());
    if !valid(digits)
        || !fraction.is_none_or(valid)
        || (digits.is_empty() && fraction.is_none_or(str::is_empty))
    {
        return String::new();
    }
    let digits = digits.trim_start_matches('0');
    let digits = if digits.is_empty() { "0" } else { digits };
    let sign = if negative { "-" } else { "" };
    match fraction {
        Some(f) => format!("{sign}{digits}.{f}"),
        None => format!("{sign}{digits}"),
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn numbers_lose_only_leading_zeros() {
        use super::normalize_number as n;
        assert_eq!(n(" 014.50 "), "14.50");
        assert_eq!(n("-5"), "-5");
        assert_eq!(n("+7.1"), "7.1");
        assert_eq!(n("-0.5"), "-0.5");
        assert_eq!(n("abc"), "");
        assert_eq!(n(""), "");
    }
}
