//! The mapping on Alzette's own sample records (examples/iso19139): what each part of an ISO
//! record becomes, the faults real records carry, the profiles, and bad input.

use alzette_iso19139::{
    DocumentError, MappedRecord, Options, Profile, ResourceKind, map_csw_page, map_document,
    read_csw_page,
};
use oxrdf::{Graph, NamedNodeRef, NamedOrBlankNodeRef, Term, TermRef};
use std::path::Path;

fn sample(name: &str) -> Vec<u8> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../examples/iso19139")
        .join(name);
    std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

fn map_one(name: &str, options: &Options) -> (MappedRecord, Graph) {
    let mut records = map_document(&sample(name), options).unwrap();
    assert_eq!(records.len(), 1);
    let record = records.remove(0);
    let graph: Graph = record.triples.iter().cloned().collect();
    (record, graph)
}

fn iri(s: &str) -> NamedNodeRef<'_> {
    NamedNodeRef::new(s).unwrap()
}

const DCAT: &str = "http://www.w3.org/ns/dcat#";
const DCT: &str = "http://purl.org/dc/terms/";

fn p(prefixed: &str) -> String {
    let (prefix, local) = prefixed.split_once(':').unwrap();
    let ns = match prefix {
        "dcat" => DCAT,
        "dct" => DCT,
        "foaf" => "http://xmlns.com/foaf/0.1/",
        "vcard" => "http://www.w3.org/2006/vcard/ns#",
        "skos" => "http://www.w3.org/2004/02/skos/core#",
        "geodcatap" => "http://data.europa.eu/930/",
        "prov" => "http://www.w3.org/ns/prov#",
        "locn" => "http://www.w3.org/ns/locn#",
        "rdf" => "http://www.w3.org/1999/02/22-rdf-syntax-ns#",
        "dqv" => "http://www.w3.org/ns/dqv#",
        "adms" => "http://www.w3.org/ns/adms#",
        "owl" => "http://www.w3.org/2002/07/owl#",
        other => panic!("prefix {other}"),
    };
    format!("{ns}{local}")
}

/// The objects of `s p`, written as N-Triples terms.
fn objects<'a>(
    g: &'a Graph,
    s: impl Into<NamedOrBlankNodeRef<'a>>,
    predicate: &str,
) -> Vec<String> {
    let predicate = p(predicate);
    let mut out: Vec<String> = g
        .objects_for_subject_predicate(s.into(), iri(&predicate))
        .map(|o| o.to_string())
        .collect();
    out.sort();
    out
}

/// The one node at `s p` (a blank node or IRI).
fn node<'a>(
    g: &'a Graph,
    s: impl Into<NamedOrBlankNodeRef<'a>>,
    predicate: &str,
) -> NamedOrBlankNodeRef<'a> {
    let predicate = p(predicate);
    let mut found = g
        .objects_for_subject_predicate(s.into(), iri(&predicate))
        .filter_map(|o| match o {
            TermRef::NamedNode(n) => Some(NamedOrBlankNodeRef::NamedNode(n)),
            TermRef::BlankNode(b) => Some(NamedOrBlankNodeRef::BlankNode(b)),
            TermRef::Literal(_) => None,
        });
    let first = found.next().unwrap_or_else(|| panic!("no {predicate}"));
    assert!(found.next().is_none(), "more than one {predicate}");
    first
}

const WATERCOURSES: &str = "https://data.example.lu/id/dataset/watercourses";

#[test]
fn a_dataset_record_maps_part_by_part() {
    let (record, g) = map_one("dataset-watercourses.xml", &Options::default());
    assert_eq!(record.kind, ResourceKind::Dataset);
    assert_eq!(
        record.file_identifier.as_deref(),
        Some("lu-alzette-sample-0001")
    );
    assert!(record.warnings.is_empty(), "{:?}", record.warnings);
    let d = iri(WATERCOURSES);
    assert_eq!(record.resource.to_string(), format!("<{WATERCOURSES}>"));
    assert_eq!(
        objects(&g, d, "rdf:type"),
        [
            format!("<{DCAT}Dataset>"),
            "<http://www.w3.org/ns/prov#Entity>".into()
        ]
    );
    // Multilingual text: the record's language, then each translation by its locale.
    assert_eq!(
        objects(&g, d, "dct:title"),
        [
            "\"Cours d'eau du Luxembourg\"@fr",
            "\"Fließgewässer Luxemburgs\"@de",
            "\"Watercourses of Luxembourg\"@en"
        ]
    );
    // Identifiers: a URI as anyURI, a code with its code space.
    assert_eq!(
        objects(&g, d, "dct:identifier"),
        [
            format!("\"{WATERCOURSES}\"^^<http://www.w3.org/2001/XMLSchema#anyURI>"),
            "\"https://water.example.lu/registry/WC-2019\"^^<http://www.w3.org/2001/XMLSchema#anyURI>".into()
        ]
    );
    // Keywords: an INSPIRE theme anchor, a thesaurus concept, free keywords (translated).
    let themes = objects(&g, d, "dcat:theme");
    assert!(
        themes.contains(&"<http://inspire.ec.europa.eu/theme/hy>".to_owned()),
        "{themes:?}"
    );
    assert_eq!(themes.len(), 2);
    assert_eq!(
        objects(&g, d, "dcat:keyword"),
        ["\"Alzette\"@en", "\"rivers\"@en", "\"rivières\"@fr"]
    );
    assert_eq!(
        objects(&g, d, "geodcatap:topicCategory"),
        ["<http://inspire.ec.europa.eu/metadata-codelist/TopicCategory/inlandWaters>"]
    );
    // Resource languages, as the EU table names them (ISO 639-2/T).
    assert_eq!(
        objects(&g, d, "dct:language"),
        [
            "<http://publications.europa.eu/resource/authority/language/DEU>",
            "<http://publications.europa.eu/resource/authority/language/FRA>"
        ]
    );
    // Dates by type, typed by form.
    assert_eq!(
        objects(&g, d, "dct:issued"),
        ["\"2020-01-15\"^^<http://www.w3.org/2001/XMLSchema#date>"]
    );
    assert_eq!(
        objects(&g, d, "dct:modified"),
        ["\"2026-02-28T10:30:00\"^^<http://www.w3.org/2001/XMLSchema#dateTime>"]
    );
    assert_eq!(
        objects(&g, d, "dct:created"),
        ["\"2019-06-01\"^^<http://www.w3.org/2001/XMLSchema#date>"]
    );
    assert_eq!(
        objects(&g, d, "dct:accrualPeriodicity"),
        ["<http://publications.europa.eu/resource/authority/frequency/ANNUAL>"]
    );
    // Where and when.
    let spatial = objects(&g, d, "dct:spatial");
    assert!(
        spatial
            .contains(&"<http://publications.europa.eu/resource/authority/country/LUX>".to_owned())
    );
    let location = g
        .objects_for_subject_predicate(d, iri(&p("dct:spatial")))
        .find_map(|o| match o {
            TermRef::BlankNode(b) => Some(b),
            _ => None,
        })
        .unwrap();
    let bbox = objects(&g, location, "dcat:bbox");
    assert_eq!(bbox.len(), 3);
    assert!(bbox.iter().any(|b| {
        b.starts_with("\"POLYGON((5.73 50.18,6.53 50.18,6.53 49.45,5.73 49.45,5.73 50.18))\"")
    }));
    assert_eq!(objects(&g, location, "locn:geometry").len(), 2);
    let period = node(&g, d, "dct:temporal");
    assert_eq!(
        objects(&g, period, "dcat:startDate"),
        ["\"2019-01-01\"^^<http://www.w3.org/2001/XMLSchema#date>"]
    );
    // Responsible parties: publisher (an organisation with an IRI), contact point (vCard),
    // custodian (GeoDCAT-AP), each also as a qualified attribution.
    let publisher = node(&g, d, "dct:publisher");
    assert_eq!(publisher.to_string(), "<https://water.example.lu/org>");
    assert!(objects(&g, publisher, "foaf:phone").contains(&"<tel:+3522456-1>".to_owned()));
    let contact = node(&g, d, "dcat:contactPoint");
    assert_eq!(objects(&g, contact, "vcard:fn"), ["\"Anne Schmit\"@en"]);
    assert_eq!(
        objects(&g, contact, "vcard:hasEmail"),
        ["<mailto:anne.schmit@water.example.lu>"]
    );
    assert_eq!(
        objects(&g, node(&g, d, "geodcatap:custodian"), "foaf:name"),
        ["\"Survey Office\"@en"]
    );
    assert_eq!(objects(&g, d, "prov:qualifiedAttribution").len(), 3);
    // Lineage, conformity, reference systems, resolution.
    let provenance = node(&g, d, "dct:provenance");
    assert_eq!(objects(&g, provenance, "dct:description").len(), 1);
    assert_eq!(
        objects(&g, d, "dct:conformsTo"),
        ["<http://data.europa.eu/eli/reg/2010/1089>"]
    );
    assert_eq!(
        objects(&g, d, "geodcatap:referenceSystem"),
        [
            "<http://www.opengis.net/def/crs/EPSG/0/2169>",
            "<http://www.opengis.net/def/crs/EPSG/0/4258>"
        ]
    );
    assert_eq!(
        objects(&g, d, "dcat:spatialResolutionInMeters"),
        ["\"5\"^^<http://www.w3.org/2001/XMLSchema#decimal>"]
    );
    // Distributions: a download (size, format from the EU table, licence, access rights), a
    // WMS (an access service with its endpoint), a page and a landing page.
    let distributions: Vec<_> = g
        .objects_for_subject_predicate(d, iri(&p("dcat:distribution")))
        .filter_map(|o| match o {
            TermRef::BlankNode(b) => Some(b),
            _ => None,
        })
        .collect();
    assert_eq!(distributions.len(), 2);
    let download = distributions
        .iter()
        .find(|x| {
            objects(&g, **x, "dcat:accessURL")
                == ["<https://download.example.lu/watercourses.gpkg>"]
        })
        .unwrap();
    assert_eq!(
        objects(&g, *download, "dcat:byteSize"),
        ["\"12500000\"^^<http://www.w3.org/2001/XMLSchema#nonNegativeInteger>"]
    );
    assert_eq!(
        objects(&g, *download, "dct:format"),
        ["<http://publications.europa.eu/resource/authority/file-type/GPKG>"]
    );
    assert_eq!(
        objects(&g, *download, "dct:license"),
        ["<http://creativecommons.org/publicdomain/zero/1.0/>"]
    );
    assert_eq!(
        objects(&g, *download, "dct:accessRights"),
        ["<http://inspire.ec.europa.eu/metadata-codelist/LimitationsOnPublicAccess/noLimitations>"]
    );
    let wms = distributions.iter().find(|x| **x != *download).unwrap();
    let service = node(&g, *wms, "dcat:accessService");
    assert_eq!(
        objects(&g, service, "dcat:endpointURL"),
        ["<https://wms.example.lu/hydro>"]
    );
    assert_eq!(
        objects(&g, service, "geodcatap:serviceProtocol"),
        ["<http://www.opengeospatial.org/standards/wms>"]
    );
    assert_eq!(
        objects(&g, d, "foaf:page"),
        ["<https://water.example.lu/watercourses>"]
    );
    assert_eq!(
        objects(&g, d, "dcat:landingPage"),
        ["<https://geoportal.example.lu/watercourses>"]
    );
    // The catalogue record: metadata language, date, contact, standard and encoding.
    let record_node = node(&g, d, "foaf:isPrimaryTopicOf");
    assert_eq!(
        objects(&g, record_node, "foaf:primaryTopic"),
        [format!("<{WATERCOURSES}>")]
    );
    assert_eq!(
        objects(&g, record_node, "dct:modified"),
        ["\"2026-03-14\"^^<http://www.w3.org/2001/XMLSchema#date>"]
    );
    let source = node(&g, record_node, "dct:source");
    let standard = node(&g, source, "dct:conformsTo");
    assert_eq!(objects(&g, standard, "owl:versionInfo"), ["\"1.0\"@en"]);
}

#[test]
fn the_core_profile_leaves_out_what_only_the_extended_one_maps() {
    let (_, extended) = map_one("dataset-watercourses.xml", &Options::default());
    let core_options = Options {
        profile: Profile::Core,
        ..Options::default()
    };
    let (_, core) = map_one("dataset-watercourses.xml", &core_options);
    let d = iri(WATERCOURSES);
    for extended_only in [
        "geodcatap:topicCategory",
        "geodcatap:custodian",
        "dct:created",
        "dqv:hasQualityMeasurement",
    ] {
        assert!(
            !objects(&extended, d, extended_only).is_empty(),
            "{extended_only}"
        );
        assert!(
            objects(&core, d, extended_only).is_empty(),
            "{extended_only} in core"
        );
    }
    // What DCAT-AP has a place for stays.
    for both in [
        "dct:title",
        "dct:publisher",
        "dcat:contactPoint",
        "dcat:distribution",
        "dct:spatial",
    ] {
        assert_eq!(
            objects(&core, d, both).len(),
            objects(&extended, d, both).len(),
            "{both}"
        );
    }
    assert!(core.len() < extended.len());
}

#[test]
fn a_service_in_the_default_namespace_serves_its_datasets() {
    let (record, g) = map_one("service-hydro-wms.xml", &Options::default());
    assert_eq!(record.kind, ResourceKind::Service);
    // No http(s) identifier: the service is a blank node (the harvest mints its IRI).
    let s = match &record.resource {
        oxrdf::NamedOrBlankNode::BlankNode(b) => b.as_ref(),
        other => panic!("{other}"),
    };
    assert_eq!(objects(&g, s, "rdf:type"), [format!("<{DCAT}DataService>")]);
    assert_eq!(
        objects(&g, s, "geodcatap:serviceType"),
        ["<http://inspire.ec.europa.eu/metadata-codelist/SpatialDataServiceType/view>"]
    );
    assert_eq!(
        objects(&g, s, "geodcatap:serviceCategory"),
        [
            "<http://inspire.ec.europa.eu/metadata-codelist/SpatialDataServiceCategory/infoMapAccessService>"
        ]
    );
    // The category keyword is not also a theme.
    assert!(objects(&g, s, "dcat:theme").is_empty());
    assert_eq!(
        objects(&g, s, "dcat:endpointURL"),
        ["<https://wms.example.lu/hydro>"]
    );
    assert_eq!(
        objects(&g, s, "dct:accessRights"),
        ["<http://inspire.ec.europa.eu/metadata-codelist/LimitationsOnPublicAccess/noLimitations>"]
    );
    // operatesOn: by uriref, and by uuidref with the record it points to.
    let served = objects(&g, s, "dcat:servesDataset");
    assert_eq!(served.len(), 2);
    assert!(served.contains(&format!("<{WATERCOURSES}>")));
    let by_id = g
        .objects_for_subject_predicate(s, iri(&p("dcat:servesDataset")))
        .find_map(|o| match o {
            TermRef::BlankNode(b) => Some(b),
            _ => None,
        })
        .unwrap();
    assert_eq!(
        objects(&g, by_id, "dct:identifier"),
        ["\"lu-alzette-sample-0001\""]
    );
    // An unevaluated test: not conformant, but its activity says so.
    assert!(objects(&g, s, "dct:conformsTo").is_empty());
    let activity = node(&g, s, "prov:wasUsedBy");
    let generated = node(&g, activity, "prov:generated");
    assert_eq!(
        objects(&g, generated, "dct:type"),
        ["<http://inspire.ec.europa.eu/metadata-codelist/DegreeOfConformity/notEvaluated>"]
    );
    assert_eq!(
        objects(&g, s, "dct:issued"),
        ["\"2021-05-01\"^^<http://www.w3.org/2001/XMLSchema#date>"]
    );
}

#[test]
fn the_faults_of_real_records_are_warnings_not_failures() {
    let (record, g) = map_one("series-orthophotos.xml", &Options::default());
    assert_eq!(record.kind, ResourceKind::Series);
    let warnings = record.warnings.join("\n");
    for expected in [
        "\"printemps 2024\" is not a date",
        "bounding box lacks a corner",
        "\"URL of the download service\" is not an IRI",
        "\"mailto:pas disponible\" is not an IRI",
    ] {
        assert!(warnings.contains(expected), "{expected} in {warnings}");
    }
    // Each fault is said once (the owner appears twice, as rights holder and attribution).
    assert_eq!(record.warnings.len(), 4, "{warnings}");
    let s = match &record.resource {
        oxrdf::NamedOrBlankNode::BlankNode(b) => b.as_ref(),
        other => panic!("{other}"),
    };
    assert_eq!(
        objects(&g, s, "rdf:type"),
        [format!("<{DCAT}DatasetSeries>")]
    );
    // The rest is there: the title in the metadata language (the first of "fre ger").
    assert_eq!(
        objects(&g, s, "dct:title"),
        ["\"Orthophotos du Luxembourg\"@fr"]
    );
    let period = node(&g, s, "dct:temporal");
    assert_eq!(
        objects(&g, period, "dcat:startDate"),
        ["\"2001\"^^<http://www.w3.org/2001/XMLSchema#gYear>"]
    );
    assert!(objects(&g, period, "dcat:endDate").is_empty());
    // No empty literals (the empty purpose) and no literal typed as what it is not.
    for t in g.iter() {
        if let TermRef::Literal(l) = t.object {
            assert!(!l.value().trim().is_empty(), "{t}");
        }
    }
    assert!(objects(&g, s, "dct:issued").is_empty());
    assert_eq!(
        objects(&g, node(&g, s, "dct:rightsHolder"), "foaf:name"),
        ["\"Administration du cadastre\"@fr"]
    );
}

#[test]
fn a_csw_response_is_read_once_for_paging_and_records() {
    let mut response = String::from(
        r#"<?xml version="1.0"?><csw:GetRecordsResponse xmlns:csw="http://www.opengis.net/cat/csw/2.0.2"><csw:SearchResults numberOfRecordsMatched="7" numberOfRecordsReturned="3" nextRecord="3">"#,
    );
    for name in ["dataset-watercourses.xml", "service-hydro-wms.xml"] {
        let text = String::from_utf8(sample(name)).unwrap();
        let body = &text[text.find("?>").unwrap() + 2..];
        response.push_str(body);
    }
    response.push_str("</csw:SearchResults></csw:GetRecordsResponse>");
    let (page, records) = map_csw_page(response.as_bytes(), &Options::default()).unwrap();
    assert_eq!(
        (page.matched, page.returned, page.next_record, page.records),
        (Some(7), Some(3), Some(3), 2)
    );
    assert_eq!(records.len(), 2);
    assert_eq!(records[1].kind, ResourceKind::Service);
    assert_eq!(read_csw_page(response.as_bytes()).unwrap(), page);
}

#[test]
fn bad_documents_are_refused_with_the_reason() {
    let options = Options::default();
    let exception = br#"<ows:ExceptionReport xmlns:ows="http://www.opengis.net/ows" version="1.2.0"><ows:Exception exceptionCode="InvalidParameterValue" locator="startPosition"><ows:ExceptionText>startPosition must be positive</ows:ExceptionText></ows:Exception></ows:ExceptionReport>"#;
    match map_document(exception, &options) {
        Err(DocumentError::Exception(m)) => {
            assert!(
                m.contains("InvalidParameterValue") && m.contains("must be positive"),
                "{m}"
            )
        }
        other => panic!("{other:?}"),
    }
    let html = b"<html><body><h1>502 Bad Gateway</h1></body></html>";
    assert!(
        matches!(map_document(html, &options), Err(DocumentError::NotIso(root)) if root == "html")
    );
    let doctype = br#"<?xml version="1.0"?><!DOCTYPE x [<!ENTITY e SYSTEM "file:///etc/passwd">]><gmd:MD_Metadata xmlns:gmd="http://www.isotc211.org/2005/gmd">&e;</gmd:MD_Metadata>"#;
    let e = map_document(doctype, &options).unwrap_err().to_string();
    assert!(e.contains("DOCTYPE"), "{e}");
    let truncated = &sample("dataset-watercourses.xml")[..3000];
    let e = map_document(truncated, &options).unwrap_err().to_string();
    assert!(
        e.contains("not well-formed") || e.contains("ends inside"),
        "{e}"
    );
    let latin1 = b"<?xml version=\"1.0\" encoding=\"ISO-8859-1\"?><gmd:MD_Metadata xmlns:gmd=\"http://www.isotc211.org/2005/gmd\" xmlns:gco=\"http://www.isotc211.org/2005/gco\"><gmd:identificationInfo><gmd:MD_DataIdentification><gmd:citation><gmd:CI_Citation><gmd:title><gco:CharacterString>Caf\xe9</gco:CharacterString></gmd:title></gmd:CI_Citation></gmd:citation></gmd:MD_DataIdentification></gmd:identificationInfo></gmd:MD_Metadata>";
    let records = map_document(latin1, &options).unwrap();
    assert!(
        records[0]
            .triples
            .iter()
            .any(|t| matches!(&t.object, Term::Literal(l) if l.value() == "Café"))
    );
    // No hierarchyLevel: a dataset, with a warning.
    assert_eq!(records[0].kind, ResourceKind::Dataset);
    assert!(
        records[0]
            .warnings
            .iter()
            .any(|w| w.contains("hierarchyLevel"))
    );
}
