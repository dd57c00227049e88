//! RDF vocabulary terms used across Alzette.
//!
//! One module per namespace, each with its `NAMESPACE` IRI and the terms Alzette reads or writes
//! as [`NamedNodeRef`] constants, so that no other crate spells an IRI by hand.
//!
//! ```
//! use alzette_vocab::{dcat, dct};
//! assert_eq!(dcat::DATASET.as_str(), "http://www.w3.org/ns/dcat#Dataset");
//! assert_eq!(dct::TITLE.as_str(), "http://purl.org/dc/terms/title");
//! ```

pub use oxrdf::NamedNodeRef;
pub use oxrdf::vocab::{rdf, xsd};

/// Every namespace IRI Alzette uses, spelled once, as a literal (so that `concat!` and
/// [`term!`] can build constants from it): `namespace!(dcat)` is
/// `"http://www.w3.org/ns/dcat#"`.
///
/// ```
/// assert_eq!(alzette_vocab::namespace!(dct), "http://purl.org/dc/terms/");
/// ```
#[macro_export]
macro_rules! namespace {
    (adms) => {
        "http://www.w3.org/ns/adms#"
    };
    (alz) => {
        "https://w3id.org/alzette/ns#"
    };
    (cnt) => {
        "http://www.w3.org/2011/content#"
    };
    (dcat) => {
        "http://www.w3.org/ns/dcat#"
    };
    (dcatap) => {
        "http://data.europa.eu/r5r/"
    };
    (dct) => {
        "http://purl.org/dc/terms/"
    };
    (dqv) => {
        "http://www.w3.org/ns/dqv#"
    };
    (edp) => {
        "https://europeandataportal.eu/voc#"
    };
    (foaf) => {
        "http://xmlns.com/foaf/0.1/"
    };
    (geodcatap) => {
        "http://data.europa.eu/930/"
    };
    (gsp) => {
        "http://www.opengis.net/ont/geosparql#"
    };
    (hydra) => {
        "http://www.w3.org/ns/hydra/core#"
    };
    (inspire) => {
        "http://inspire.ec.europa.eu/"
    };
    (locn) => {
        "http://www.w3.org/ns/locn#"
    };
    // The EU Publications Office's authority tables.
    (op) => {
        "http://publications.europa.eu/resource/authority/"
    };
    (org) => {
        "http://www.w3.org/ns/org#"
    };
    (owl) => {
        "http://www.w3.org/2002/07/owl#"
    };
    (prov) => {
        "http://www.w3.org/ns/prov#"
    };
    // piveau's vocabulary, in which data.europa.eu's quality method names its metrics.
    (pv) => {
        "https://piveau.eu/ns/voc#"
    };
    (rdf) => {
        "http://www.w3.org/1999/02/22-rdf-syntax-ns#"
    };
    (rdfs) => {
        "http://www.w3.org/2000/01/rdf-schema#"
    };
    (sdmx) => {
        "http://purl.org/linked-data/sdmx/2009/attribute#"
    };
    (sh) => {
        "http://www.w3.org/ns/shacl#"
    };
    (skos) => {
        "http://www.w3.org/2004/02/skos/core#"
    };
    (spdx) => {
        "http://spdx.org/rdf/terms#"
    };
    (vcard) => {
        "http://www.w3.org/2006/vcard/ns#"
    };
    (xsd) => {
        "http://www.w3.org/2001/XMLSchema#"
    };
}

/// A term as a [`NamedNodeRef`] constant, from its namespace in [`namespace!`]:
/// `term!(dct, "title")`.
///
/// ```
/// const TITLE: alzette_vocab::NamedNodeRef<'static> = alzette_vocab::term!(dct, "title");
/// assert_eq!(TITLE, alzette_vocab::dct::TITLE);
/// ```
#[macro_export]
macro_rules! term {
    ($ns:ident, $local:literal) => {
        $crate::NamedNodeRef::new_unchecked(concat!($crate::namespace!($ns), $local))
    };
}

macro_rules! vocabulary {
    ($(#[$doc:meta])* $module:ident { $($name:ident = $local:literal),* $(,)? }) => {
        $(#[$doc])*
        pub mod $module {
            use super::NamedNodeRef;
            /// The namespace IRI.
            pub const NAMESPACE: &str = namespace!($module);
            $(
                #[doc = concat!("`", namespace!($module), $local, "`")]
                pub const $name: NamedNodeRef<'static> = term!($module, $local);
            )*
        }
    };
}

vocabulary! {
    /// [DCAT 3](https://www.w3.org/TR/vocab-dcat-3/).
    dcat {
        KEYWORD = "keyword",
        CATALOG = "Catalog",
        CATALOG_RECORD = "CatalogRecord",
        DATASET = "Dataset",
        DATASET_SERIES = "DatasetSeries",
        DATA_SERVICE = "DataService",
        DISTRIBUTION = "Distribution",
        CATALOG_PROPERTY = "catalog",
        CONTACT_POINT = "contactPoint",
        DATASET_PROPERTY = "dataset",
        DISTRIBUTION_PROPERTY = "distribution",
        RECORD = "record",
        SERVICE = "service",
        SERVES_DATASET = "servesDataset",
        IN_SERIES = "inSeries",
        SERIES_MEMBER = "seriesMember",
        FIRST = "first",
        LAST = "last",
        PREV = "prev",
        HAS_VERSION = "hasVersion",
        VERSION = "version",
        PREVIOUS_VERSION = "previousVersion",
        HAS_CURRENT_VERSION = "hasCurrentVersion",
        BYTE_SIZE = "byteSize",
        ACCESS_SERVICE = "accessService",
        ACCESS_URL = "accessURL",
        DOWNLOAD_URL = "downloadURL",
        LANDING_PAGE = "landingPage",
    }
}

vocabulary! {
    /// [ADMS](https://www.w3.org/TR/vocab-adms/): identifiers other than the first.
    adms {
        IDENTIFIER = "identifier",
    }
}

vocabulary! {
    /// [SKOS](https://www.w3.org/TR/skos-reference/): only what identity needs.
    skos {
        NOTATION = "notation",
    }
}

vocabulary! {
    /// [DCAT-AP](https://semiceu.github.io/DCAT-AP/releases/3.0.1/)'s own terms.
    dcatap {
        APPLICABLE_LEGISLATION = "applicableLegislation",
        HVD_CATEGORY = "hvdCategory",
    }
}

vocabulary! {
    /// [OWL](https://www.w3.org/TR/owl2-rdf-based-semantics/): only what DCAT-AP uses.
    owl {
        VERSION_INFO = "versionInfo",
    }
}

vocabulary! {
    /// [DCMI Metadata Terms](https://www.dublincore.org/specifications/dublin-core/dcmi-terms/).
    dct {
        CONFORMS_TO = "conformsTo",
        DESCRIPTION = "description",
        HAS_PART = "hasPart",
        HAS_VERSION = "hasVersion",
        IDENTIFIER = "identifier",
        IS_PART_OF = "isPartOf",
        ISSUED = "issued",
        MODIFIED = "modified",
        PUBLISHER = "publisher",
        SOURCE = "source",
        TITLE = "title",
    }
}

vocabulary! {
    /// [FOAF](http://xmlns.com/foaf/spec/).
    foaf {
        PRIMARY_TOPIC = "primaryTopic",
        AGENT = "Agent",
        NAME = "name",
    }
}

vocabulary! {
    /// [Hydra Core](https://www.hydra-cg.com/spec/latest/core/), including the legacy
    /// `PagedCollection` terms that CKAN and many national catalogues still publish.
    hydra {
        COLLECTION = "Collection",
        PARTIAL_COLLECTION_VIEW = "PartialCollectionView",
        PAGED_COLLECTION = "PagedCollection",
        VIEW = "view",
        FIRST = "first",
        PREVIOUS = "previous",
        NEXT = "next",
        LAST = "last",
        TOTAL_ITEMS = "totalItems",
        NEXT_PAGE = "nextPage",
        PREVIOUS_PAGE = "previousPage",
        FIRST_PAGE = "firstPage",
        LAST_PAGE = "lastPage",
        ITEMS_PER_PAGE = "itemsPerPage",
    }
}

vocabulary! {
    /// [PROV-O](https://www.w3.org/TR/prov-o/).
    prov {
        WAS_GENERATED_BY = "wasGeneratedBy",
        HAD_PRIMARY_SOURCE = "hadPrimarySource",
        ACTIVITY = "Activity",
        STARTED_AT_TIME = "startedAtTime",
        USED = "used",
        ALTERNATE_OF = "alternateOf",
    }
}

vocabulary! {
    /// [SPDX](https://spdx.org/rdf/terms/) checksums.
    spdx {
        CHECKSUM = "checksum",
        CHECKSUM_CLASS = "Checksum",
        ALGORITHM = "algorithm",
        CHECKSUM_VALUE = "checksumValue",
        CHECKSUM_ALGORITHM_SHA256 = "checksumAlgorithm_sha256",
    }
}

vocabulary! {
    /// Alzette's own terms, for what no standard vocabulary says: where a harvested record
    /// came from inside Alzette.
    alz {
        HARVEST_SOURCE = "harvestSource",
        CONTENT_HASH = "contentHash",
        DELETED_RECORD = "DeletedRecord",
        DELETED = "deleted",
        VALIDATION_OF = "validationOf",
        SHAPES = "shapes",
        REPORT_DIGEST = "reportDigest",
        VOCABULARY = "Vocabulary",
        SHADOWED_BY = "shadowedBy",
        FEDERATION_RULES = "federationRules",
        PENDING = "pending",
    }
}

/// Prefixes used when Alzette writes Turtle or RDF/XML, so that output is readable.
pub const PREFIXES: &[(&str, &str)] = &[
    ("dcat", dcat::NAMESPACE),
    ("dct", dct::NAMESPACE),
    ("dcatap", dcatap::NAMESPACE),
    ("foaf", foaf::NAMESPACE),
    ("hydra", hydra::NAMESPACE),
    ("prov", prov::NAMESPACE),
    ("spdx", spdx::NAMESPACE),
    ("vcard", namespace!(vcard)),
    ("adms", namespace!(adms)),
    ("locn", namespace!(locn)),
    ("skos", namespace!(skos)),
    ("xsd", namespace!(xsd)),
    ("rdf", namespace!(rdf)),
    ("alz", alz::NAMESPACE),
    ("sh", namespace!(sh)),
    ("dqv", namespace!(dqv)),
    ("geodcatap", namespace!(geodcatap)),
    ("cnt", namespace!(cnt)),
    ("owl", owl::NAMESPACE),
    ("rdfs", namespace!(rdfs)),
    ("gsp", namespace!(gsp)),
    ("org", namespace!(org)),
];

/// Writes every `<IRI>` of `text` (terms as `Display` writes them) in a known namespace as
/// `prefix:local`, for messages that operators read.
///
/// ```
/// assert_eq!(
///     alzette_vocab::compact("(<http://purl.org/dc/terms/title> / <http://e.org/x>)"),
///     "(dct:title / <http://e.org/x>)"
/// );
/// ```
pub fn compact(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(start) = rest.find('<') {
        out.push_str(&rest[..start]);
        let Some(len) = rest[start..].find('>') else {
            break;
        };
        let iri = &rest[start + 1..start + len];
        let short = PREFIXES.iter().find_map(|(prefix, ns)| {
            iri.strip_prefix(ns)
                .filter(|local| {
                    !local.is_empty()
                        && local
                            .chars()
                            .all(|c| c.is_alphanumeric() || c == '_' || c == '-')
                })
                .map(|local| format!("{prefix}:{local}"))
        });
        match short {
            Some(short) => out.push_str(&short),
            None => out.push_str(&rest[start..=start + len]),
        }
        rest = &rest[start + len + 1..];
    }
    out.push_str(rest);
    out
}
