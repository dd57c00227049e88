//! The metrics, their points, and how one dataset scores.

use crate::Vocabularies;
use alzette_vocab::namespace;
use oxrdf::{
    BlankNode, Graph, Literal, NamedNode, NamedNodeRef, NamedOrBlankNode, NamedOrBlankNodeRef,
    Term, TermRef, Triple,
};
use std::fmt;

const DCAT: &str = namespace!(dcat);
const DCT: &str = namespace!(dct);
/// piveau's metric IRIs, which data.europa.eu's MQA publishes its measurements with.
const PV: &str = namespace!(pv);
const DQV: &str = namespace!(dqv);
const ALZ: &str = namespace!(alz);
const XSD_DECIMAL: &str = concat!(namespace!(xsd), "decimal");
const XSD_BOOLEAN: &str = concat!(namespace!(xsd), "boolean");
const RDF_TYPE: &str = concat!(namespace!(rdf), "type");

/// The MQA's five dimensions.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Dimension {
    Findability,
    Accessibility,
    Interoperability,
    Reusability,
    Contextuality,
}

impl Dimension {
    pub const ALL: [Self; 5] = [
        Self::Findability,
        Self::Accessibility,
        Self::Interoperability,
        Self::Reusability,
        Self::Contextuality,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Self::Findability => "findability",
            Self::Accessibility => "accessibility",
            Self::Interoperability => "interoperability",
            Self::Reusability => "reusability",
            Self::Contextuality => "contextuality",
        }
    }
}

macro_rules! metrics {
    ($($variant:ident = $iri:literal, $dimension:ident, $points:literal, $distribution:literal, $label:literal;)*) => {
        /// One MQA metric.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        pub enum Metric { $($variant),* }

        impl Metric {
            pub const ALL: &'static [Metric] = &[$(Metric::$variant),*];

            /// The local name of the metric's IRI in piveau's vocabulary.
            pub fn name(self) -> &'static str {
                match self { $(Self::$variant => $iri),* }
            }

            pub fn dimension(self) -> Dimension {
                match self { $(Self::$variant => Dimension::$dimension),* }
            }

            /// The points the metric is worth.
            pub fn points(self) -> u32 {
                match self { $(Self::$variant => $points),* }
            }

            /// Whether the metric is about distributions (then it scores by their share).
            pub fn per_distribution(self) -> bool {
                match self { $(Self::$variant => $distribution),* }
            }

            /// What meeting it takes, for operators.
            pub fn label(self) -> &'static str {
                match self { $(Self::$variant => $label),* }
            }
        }
    };
}

metrics! {
    Keyword = "keywordAvailability", Findability, 30, false, "keywords (dcat:keyword)";
    Theme = "categoryAvailability", Findability, 30, false, "a theme (dcat:theme)";
    Spatial = "spatialAvailability", Findability, 20, false, "a spatial coverage (dct:spatial)";
    Temporal = "temporalAvailability", Findability, 20, false, "a temporal coverage (dct:temporal)";
    AccessUrlReachable = "accessUrlStatusCode", Accessibility, 50, true, "access URLs that answer (2xx or 3xx)";
    DownloadUrl = "downloadUrlAvailability", Accessibility, 20, true, "download URLs (dcat:downloadURL)";
    DownloadUrlReachable = "downloadUrlStatusCode", Accessibility, 30, true, "download URLs that answer (2xx or 3xx)";
    Format = "formatAvailability", Interoperability, 20, true, "a format (dct:format)";
    MediaType = "mediaTypeAvailability", Interoperability, 10, true, "a media type (dcat:mediaType)";
    FormatVocabulary = "formatMediaTypeVocabularyAlignment", Interoperability, 10, true, "a format from the EU file types or a media type from IANA";
    NonProprietary = "formatMediaTypeNonProprietary", Interoperability, 20, true, "a non-proprietary format";
    MachineReadable = "formatMediaTypeMachineInterpretable", Interoperability, 20, true, "a machine-readable format";
    DcatApCompliance = "dcatApCompliance", Interoperability, 30, false, "no DCAT-AP violations";
    Licence = "licenceAvailability", Reusability, 20, true, "a licence (dct:license)";
    KnownLicence = "knownLicence", Reusability, 10, true, "a licence from the EU licence table";
    AccessRights = "accessRightsAvailability", Reusability, 10, false, "access rights (dct:accessRights)";
    AccessRightsVocabulary = "accessRightsVocabularyAlignment", Reusability, 5, false, "access rights from the EU access right table";
    ContactPoint = "contactPointAvailability", Reusability, 20, false, "a contact point (dcat:contactPoint)";
    Publisher = "publisherAvailability", Reusability, 10, false, "a publisher (dct:publisher)";
    Rights = "rightsAvailability", Contextuality, 5, true, "rights (dct:rights)";
    ByteSize = "byteSizeAvailability", Contextuality, 5, true, "a byte size (dcat:byteSize)";
    Issued = "dateIssuedAvailability", Contextuality, 5, true, "a release date (dct:issued)";
    Modified = "dateModifiedAvailability", Contextuality, 5, true, "a modification date (dct:modified)";
}

/// The points of the whole method.
pub const MAX_POINTS: u32 = 405;

/// The MQA's rating of a total.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Rating {
    Bad,
    Sufficient,
    Good,
    Excellent,
}

impl Rating {
    /// Excellent above 350, good 221–350, sufficient 120–220, bad below 120.
    pub fn of(total: f64) -> Self {
        if total > 350.0 {
            Self::Excellent
        } else if total >= 221.0 {
            Self::Good
        } else if total >= 120.0 {
            Self::Sufficient
        } else {
            Self::Bad
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            Self::Bad => "bad",
            Self::Sufficient => "sufficient",
            Self::Good => "good",
            Self::Excellent => "excellent",
        }
    }
}

impl fmt::Display for Rating {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// One metric's outcome.
#[derive(Debug, Clone, PartialEq)]
pub struct Measurement {
    pub metric: Metric,
    /// Points earned, 0 to `metric.points()` (one decimal for distribution metrics).
    pub points: f64,
    /// False when Alzette could not tell (URLs not checked, compliance unknown).
    pub measured: bool,
}

/// A dataset's score.
#[derive(Debug, Clone, PartialEq)]
pub struct QualityScore {
    pub measurements: Vec<Measurement>,
}

impl QualityScore {
    pub fn total(&self) -> f64 {
        round(self.measurements.iter().map(|m| m.points).sum())
    }

    pub fn rating(&self) -> Rating {
        Rating::of(self.total())
    }

    pub fn dimension(&self, dimension: Dimension) -> f64 {
        round(
            self.measurements
                .iter()
                .filter(|m| m.metric.dimension() == dimension)
                .map(|m| m.points)
                .sum(),
        )
    }

    /// The metrics that lost the most points, most first (unmeasured ones included).
    pub fn missing(&self) -> Vec<(Metric, f64)> {
        let mut lost: Vec<(Metric, f64)> = self
            .measurements
            .iter()
            .map(|m| (m.metric, round(f64::from(m.metric.points()) - m.points)))
            .filter(|(_, lost)| *lost > 0.0)
            .collect();
        lost.sort_by(|a, b| b.1.total_cmp(&a.1));
        lost
    }

    /// Writes the score as DQV: one `dqv:QualityMeasurement` per metric (`dqv:value` its
    /// points, `alz:measured false` when it could not be measured), one for the total
    /// (`pv:score`) and one for the rating (`alz:qualityRating`, e.g. "good").
    pub fn write(&self, graph: &mut Graph, dataset: NamedOrBlankNodeRef<'_>) {
        let measurement = |graph: &mut Graph, metric: &str, value: Literal| -> BlankNode {
            let node = BlankNode::default();
            let dataset: NamedOrBlankNode = dataset.into_owned();
            graph.insert(&Triple::new(
                dataset,
                iri(DQV, "hasQualityMeasurement"),
                node.clone(),
            ));
            graph.insert(&Triple::new(
                node.clone(),
                iri(RDF_TYPE, ""),
                iri(DQV, "QualityMeasurement"),
            ));
            graph.insert(&Triple::new(
                node.clone(),
                iri(DQV, "isMeasurementOf"),
                NamedNode::new_unchecked(metric),
            ));
            graph.insert(&Triple::new(node.clone(), iri(DQV, "value"), value));
            node
        };
        for m in &self.measurements {
            let node = measurement(
                graph,
                &format!("{PV}{}", m.metric.name()),
                decimal(m.points),
            );
            if !m.measured {
                graph.insert(&Triple::new(
                    node,
                    iri(ALZ, "measured"),
                    Literal::new_typed_literal("false", iri(XSD_BOOLEAN, "")),
                ));
            }
        }
        measurement(graph, &format!("{PV}score"), decimal(self.total()));
        measurement(
            graph,
            &format!("{ALZ}qualityRating"),
            Literal::new_simple_literal(self.rating().name()),
        );
    }
}

fn iri(ns: &str, local: &str) -> NamedNode {
    NamedNode::new_unchecked(format!("{ns}{local}"))
}

fn decimal(points: f64) -> Literal {
    Literal::new_typed_literal(format!("{:.1}", round(points)), iri(XSD_DECIMAL, ""))
}

fn round(x: f64) -> f64 {
    (x * 10.0).round() / 10.0
}

/// Scores `dataset` from the record graph that holds it and its distributions.
///
/// `compliant`: whether it passed the DCAT-AP shapes without violation (`None`: not
/// validated). `reachable(url)`: what the link checker knows of a URL (`None`: not checked).
pub fn assess(
    graph: &Graph,
    dataset: NamedNodeRef<'_>,
    compliant: Option<bool>,
    vocabularies: &Vocabularies,
    reachable: &dyn Fn(&str) -> Option<bool>,
) -> QualityScore {
    let values = |s: NamedOrBlankNodeRef<'_>, ns: &str, local: &str| -> Vec<Term> {
        graph
            .objects_for_subject_predicate(s, NamedNodeRef::new_unchecked(&format!("{ns}{local}")))
            .map(TermRef::into_owned)
            .collect()
    };
    let d = NamedOrBlankNodeRef::from(dataset);
    let has = |ns: &str, local: &str| !values(d, ns, local).is_empty();
    let distributions: Vec<NamedOrBlankNode> = values(d, DCAT, "distribution")
        .into_iter()
        .filter_map(|t| match t {
            Term::NamedNode(n) => Some(n.into()),
            Term::BlankNode(b) => Some(b.into()),
            _ => None,
        })
        .collect();
    let iris = |terms: Vec<Term>| -> Vec<NamedNode> {
        terms
            .into_iter()
            .filter_map(|t| match t {
                Term::NamedNode(n) => Some(n),
                _ => None,
            })
            .collect()
    };
    let access_rights = iris(values(d, DCT, "accessRights"));
    let dataset_issued = has(DCT, "issued");
    let dataset_modified = has(DCT, "modified");

    let mut measurements = Vec::with_capacity(Metric::ALL.len());
    for &metric in Metric::ALL {
        let full = f64::from(metric.points());
        let (points, measured) = if metric.per_distribution() {
            if distributions.is_empty() {
                (0.0, true)
            } else {
                let mut met = 0usize;
                let mut measured = true;
                for dist in &distributions {
                    let dist = dist.as_ref();
                    let formats = iris(values(dist, DCT, "format"));
                    let media = iris(values(dist, DCAT, "mediaType"));
                    let formats_and_media = || formats.iter().chain(media.iter());
                    let urls = |local: &str| -> Vec<String> {
                        values(dist, DCAT, local)
                            .into_iter()
                            .filter_map(|t| match t {
                                Term::NamedNode(n) => Some(n.into_string()),
                                Term::Literal(l) => Some(l.value().to_owned()),
                                Term::BlankNode(_) => None,
                            })
                            .collect()
                    };
                    let check_urls = |local: &str, measured: &mut bool| -> bool {
                        let mut any = false;
                        for url in urls(local) {
                            match reachable(&url) {
                                Some(true) => any = true,
                                Some(false) => {}
                                None => *measured = false,
                            }
                        }
                        any
                    };
                    let ok = match metric {
                        Metric::AccessUrlReachable => check_urls("accessURL", &mut measured),
                        Metric::DownloadUrl => !urls("downloadURL").is_empty(),
                        Metric::DownloadUrlReachable => check_urls("downloadURL", &mut measured),
                        Metric::Format => !values(dist, DCT, "format").is_empty(),
                        Metric::MediaType => !values(dist, DCAT, "mediaType").is_empty(),
                        Metric::FormatVocabulary => {
                            formats
                                .iter()
                                .any(|f| vocabularies.is_file_type(f.as_ref()))
                                || media.iter().any(|m| vocabularies.is_media_type(m.as_ref()))
                        }
                        Metric::NonProprietary => {
                            formats_and_media().any(|f| vocabularies.is_non_proprietary(f.as_ref()))
                        }
                        Metric::MachineReadable => formats_and_media()
                            .any(|f| vocabularies.is_machine_readable(f.as_ref())),
                        Metric::Licence => !values(dist, DCT, "license").is_empty(),
                        Metric::KnownLicence => iris(values(dist, DCT, "license"))
                            .iter()
                            .any(|l| vocabularies.is_licence(l.as_ref())),
                        Metric::Rights => !values(dist, DCT, "rights").is_empty(),
                        Metric::ByteSize => !values(dist, DCAT, "byteSize").is_empty(),
                        Metric::Issued => dataset_issued || !values(dist, DCT, "issued").is_empty(),
                        Metric::Modified => {
                            dataset_modified || !values(dist, DCT, "modified").is_empty()
                        }
                        _ => unreachable!("dataset metrics are scored below"),
                    };
                    met += usize::from(ok);
                }
                (full * met as f64 / distributions.len() as f64, measured)
            }
        } else {
            let ok = |b: bool| (if b { full } else { 0.0 }, true);
            match metric {
                Metric::Keyword => ok(has(DCAT, "keyword")),
                Metric::Theme => ok(has(DCAT, "theme")),
                Metric::Spatial => ok(has(DCT, "spatial")),
                Metric::Temporal => ok(has(DCT, "temporal")),
                Metric::DcatApCompliance => match compliant {
                    Some(c) => ok(c),
                    None => (0.0, false),
                },
                Metric::AccessRights => ok(has(DCT, "accessRights")),
                Metric::AccessRightsVocabulary => ok(access_rights
                    .iter()
                    .any(|a| vocabularies.is_access_right(a.as_ref()))),
                Metric::ContactPoint => ok(has(DCAT, "contactPoint")),
                Metric::Publisher => ok(has(DCT, "publisher")),
                _ => unreachable!("distribution metrics are scored above"),
            }
        };
        measurements.push(Measurement {
            metric,
            points: round(points),
            measured,
        });
    }
    QualityScore { measurements }
}

#[cfg(test)]
mod tests {
    use super::*;
    use oxrdfio::{RdfFormat, RdfParser};

    fn graph(ttl: &str) -> Graph {
        let ttl = format!(
            "@prefix dcat: <http://www.w3.org/ns/dcat#> . @prefix dct: <http://purl.org/dc/terms/> . @prefix at: <http://publications.europa.eu/resource/authority/> .\n{ttl}"
        );
        RdfParser::from_format(RdfFormat::Turtle)
            .for_slice(ttl.as_bytes())
            .map(|q| Triple::from(q.unwrap()))
            .collect()
    }

    fn vocabularies() -> Vocabularies {
        let g = graph(
            r#"@prefix skos: <http://www.w3.org/2004/02/skos/core#> . @prefix edp: <https://europeandataportal.eu/voc#> .
            <http://publications.europa.eu/resource/authority/file-type/CSV> skos:inScheme at:file-type ;
                edp:isNonProprietary true ; edp:isMachineReadable true .
            <http://publications.europa.eu/resource/authority/file-type/XLSX> skos:inScheme at:file-type ; edp:isMachineReadable true .
            <http://publications.europa.eu/resource/authority/licence/CC_BY_4_0> skos:inScheme at:licence .
            <http://publications.europa.eu/resource/authority/access-right/PUBLIC> skos:inScheme at:access-right ."#,
        );
        Vocabularies::from_triples(g.iter().map(|t| t.into_owned()).collect::<Vec<_>>().iter())
    }

    const FULL: &str = r#"<http://e.org/d> a dcat:Dataset ; dcat:keyword "k" ; dcat:theme <http://publications.europa.eu/resource/authority/data-theme/ENVI> ;
        dct:spatial <http://publications.europa.eu/resource/authority/country/LUX> ; dct:temporal [ dcat:startDate "2020-01-01" ] ;
        dct:accessRights <http://publications.europa.eu/resource/authority/access-right/PUBLIC> ;
        dcat:contactPoint [ ] ; dct:publisher <http://e.org/p> ; dct:issued "2020" ; dct:modified "2021" ;
        dcat:distribution <http://e.org/d/csv> .
    <http://e.org/d/csv> dcat:accessURL <http://e.org/a> ; dcat:downloadURL <http://e.org/a.csv> ;
        dct:format <http://publications.europa.eu/resource/authority/file-type/CSV> ;
        dcat:mediaType <http://www.iana.org/assignments/media-types/text/csv> ;
        dct:license <http://publications.europa.eu/resource/authority/licence/CC_BY_4_0> ;
        dct:rights [ ] ; dcat:byteSize 10 ."#;

    fn d() -> NamedNode {
        NamedNode::new("http://e.org/d").unwrap()
    }

    #[test]
    fn the_points_are_the_portals() {
        let sum: u32 = Metric::ALL.iter().map(|m| m.points()).sum();
        assert_eq!(sum, MAX_POINTS);
        let by = |dim| {
            Metric::ALL
                .iter()
                .filter(|m| m.dimension() == dim)
                .map(|m| m.points())
                .sum::<u32>()
        };
        assert_eq!(
            Dimension::ALL.map(by),
            [100, 100, 110, 75, 20],
            "findability, accessibility, interoperability, reusability, contextuality"
        );
        assert_eq!(Rating::of(351.0), Rating::Excellent);
        assert_eq!(Rating::of(350.0), Rating::Good);
        assert_eq!(Rating::of(221.0), Rating::Good);
        assert_eq!(Rating::of(220.0), Rating::Sufficient);
        assert_eq!(Rating::of(120.0), Rating::Sufficient);
        assert_eq!(Rating::of(119.9), Rating::Bad);
    }

    #[test]
    fn a_complete_dataset_scores_everything() {
        let score = assess(
            &graph(FULL),
            d().as_ref(),
            Some(true),
            &vocabularies(),
            &|_| Some(true),
        );
        assert_eq!(score.total(), 405.0, "{:?}", score.missing());
        assert_eq!(score.rating(), Rating::Excellent);
        assert!(score.missing().is_empty());
    }

    #[test]
    fn unchecked_urls_and_unknown_vocabularies_cost_their_points_and_say_so() {
        let score = assess(
            &graph(FULL),
            d().as_ref(),
            None,
            &Vocabularies::default(),
            &|_| None,
        );
        let lost: Vec<Metric> = score.missing().iter().map(|(m, _)| *m).collect();
        for m in [
            Metric::AccessUrlReachable,
            Metric::DownloadUrlReachable,
            Metric::DcatApCompliance,
            Metric::FormatVocabulary,
            Metric::NonProprietary,
            Metric::MachineReadable,
            Metric::KnownLicence,
            Metric::AccessRightsVocabulary,
        ] {
            assert!(lost.contains(&m), "{m:?} {lost:?}");
        }
        let unmeasured: Vec<Metric> = score
            .measurements
            .iter()
            .filter(|m| !m.measured)
            .map(|m| m.metric)
            .collect();
        assert_eq!(
            unmeasured,
            [
                Metric::AccessUrlReachable,
                Metric::DownloadUrlReachable,
                Metric::DcatApCompliance
            ]
        );
        assert_eq!(
            score.total(),
            405.0 - 50.0 - 30.0 - 30.0 - 10.0 - 20.0 - 20.0 - 10.0 - 5.0
        );
    }

    #[test]
    fn distributions_count_by_their_share() {
        let g = graph(
            r#"<http://e.org/d> a dcat:Dataset ; dcat:distribution <http://e.org/1>, <http://e.org/2>, <http://e.org/3>, <http://e.org/4> .
            <http://e.org/1> dct:format <http://publications.europa.eu/resource/authority/file-type/CSV> .
            <http://e.org/2> dct:format <http://publications.europa.eu/resource/authority/file-type/XLSX> .
            <http://e.org/3> dcat:downloadURL <http://e.org/x> .
            <http://e.org/4> dcat:accessURL <http://e.org/y> ."#,
        );
        let reachable = |url: &str| Some(url == "http://e.org/y");
        let score = assess(&g, d().as_ref(), Some(false), &vocabularies(), &reachable);
        let points = |metric| {
            score
                .measurements
                .iter()
                .find(|m| m.metric == metric)
                .unwrap()
                .points
        };
        assert_eq!(points(Metric::Format), 10.0, "2 of 4 distributions");
        assert_eq!(points(Metric::NonProprietary), 5.0, "CSV only");
        assert_eq!(points(Metric::MachineReadable), 10.0, "CSV and XLSX");
        assert_eq!(points(Metric::DownloadUrl), 5.0);
        assert_eq!(points(Metric::DownloadUrlReachable), 0.0);
        assert_eq!(points(Metric::AccessUrlReachable), 12.5);
        assert_eq!(points(Metric::DcatApCompliance), 0.0);
        assert_eq!(points(Metric::Keyword), 0.0);
    }

    #[test]
    fn the_score_is_written_as_dqv() {
        let score = assess(
            &graph(FULL),
            d().as_ref(),
            Some(true),
            &vocabularies(),
            &|_| None,
        );
        let mut g = Graph::new();
        score.write(&mut g, d().as_ref().into());
        let has_measurement = alzette_vocab::term!(dqv, "hasQualityMeasurement");
        assert_eq!(
            g.objects_for_subject_predicate(d().as_ref(), has_measurement)
                .count(),
            Metric::ALL.len() + 2
        );
        let values: Vec<String> = g
            .triples_for_predicate(NamedNodeRef::new_unchecked(
                "http://www.w3.org/ns/dqv#value",
            ))
            .map(|t| t.object.to_string())
            .collect();
        assert!(
            values.contains(&"\"325.0\"^^<http://www.w3.org/2001/XMLSchema#decimal>".to_owned()),
            "{values:?}"
        );
        assert!(values.contains(&"\"good\"".to_owned()), "{values:?}");
        let unmeasured = g
            .triples_for_predicate(NamedNodeRef::new_unchecked(
                "https://w3id.org/alzette/ns#measured",
            ))
            .count();
        assert_eq!(unmeasured, 2);
    }
}
