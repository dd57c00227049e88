//! The SPARQL query page for people: YASGUI (vendored from npm, `assets/yasgui/README.md`) with
//! example queries for analysts. Browsers asking `/sparql` for HTML get it; every file it loads
//! comes from this binary, none from a CDN.

use axum::http::{HeaderValue, header};
use axum::response::{Html, IntoResponse, Response};

/// Part of the assets' URLs, so that a browser may keep them for ever.
pub const YASGUI_VERSION: &str = "4.6.2";

static SCRIPT: &[u8] = include_bytes!("../assets/yasgui/yasgui.min.js");
static STYLE: &[u8] = include_bytes!("../assets/yasgui/yasgui.min.css");
static PAGE: &str = include_str!("../assets/query.html");

/// The example queries, each opened in its own tab.
const EXAMPLES: [(&str, &str); 7] = [
    (
        "Datasets per publisher",
        "PREFIX dcat: <http://www.w3.org/ns/dcat#>
PREFIX dct: <http://purl.org/dc/terms/>
PREFIX foaf: <http://xmlns.com/foaf/0.1/>

# The default graph is the published view: each dataset once, each triple once.
SELECT ?publisher ?name (COUNT(?dataset) AS ?datasets)
WHERE {
  ?dataset a dcat:Dataset ;
           dct:publisher ?publisher .
  OPTIONAL { ?publisher foaf:name ?name }
}
GROUP BY ?publisher ?name
ORDER BY DESC(?datasets)
LIMIT 100",
    ),
    (
        "Datasets per theme",
        "PREFIX dcat: <http://www.w3.org/ns/dcat#>

SELECT ?theme (COUNT(?dataset) AS ?datasets)
WHERE {
  ?dataset a dcat:Dataset ;
           dcat:theme ?theme .
}
GROUP BY ?theme
ORDER BY DESC(?datasets)",
    ),
    (
        "Recently changed",
        "PREFIX dcat: <http://www.w3.org/ns/dcat#>
PREFIX dct: <http://purl.org/dc/terms/>
PREFIX foaf: <http://xmlns.com/foaf/0.1/>

# dct:modified of a catalogue record moves only when the harvested content changes.
# The 50 records first, their titles after: sorting every dataset's titles takes longer.
SELECT ?dataset (SAMPLE(?anyTitle) AS ?title) ?modified
WHERE {
  {
    SELECT ?dataset ?modified
    WHERE {
      ?record a dcat:CatalogRecord ;
              foaf:primaryTopic ?dataset ;
              dct:modified ?modified .
    }
    ORDER BY DESC(?modified)
    LIMIT 50
  }
  OPTIONAL { ?dataset dct:title ?anyTitle }
}
GROUP BY ?dataset ?modified
ORDER BY DESC(?modified)",
    ),
    (
        "Datasets per source",
        "PREFIX dcat: <http://www.w3.org/ns/dcat#>
PREFIX dct: <http://purl.org/dc/terms/>

# Each source has its catalogue, part of the federation catalogue; a dataset several sources
# carry counts for the source it is published from (GRAPH ?g { ... } counts every record).
SELECT ?source (COUNT(?dataset) AS ?datasets)
WHERE {
  ?catalog a dcat:Catalog ;
           dct:identifier ?source ;
           dcat:dataset ?dataset .
}
GROUP BY ?source
ORDER BY DESC(?datasets)",
    ),
    (
        "Distributions per format",
        "PREFIX dcat: <http://www.w3.org/ns/dcat#>
PREFIX dct: <http://purl.org/dc/terms/>

SELECT ?format (COUNT(DISTINCT ?distribution) AS ?distributions)
WHERE {
  ?dataset dcat:distribution ?distribution .
  OPTIONAL { ?distribution dct:format ?f }
  BIND(COALESCE(?f, \"(none)\") AS ?format)
}
GROUP BY ?format
ORDER BY DESC(?distributions)",
    ),
    (
        "Datasets per quality rating",
        "PREFIX dqv: <http://www.w3.org/ns/dqv#>
PREFIX alz: <https://w3id.org/alzette/ns#>
PREFIX pv: <https://piveau.eu/ns/voc#>

# data.europa.eu's metadata quality score (MQA), made at harvest (docs/quality.md).
SELECT ?rating (COUNT(?dataset) AS ?datasets) (AVG(?points) AS ?averageScore)
WHERE {
  ?dataset dqv:hasQualityMeasurement ?r , ?s .
  ?r dqv:isMeasurementOf alz:qualityRating ; dqv:value ?rating .
  ?s dqv:isMeasurementOf pv:score ; dqv:value ?points .
}
GROUP BY ?rating
ORDER BY DESC(?averageScore)",
    ),
    (
        "Most violated constraints",
        "PREFIX sh: <http://www.w3.org/ns/shacl#>

# Validation reports are stored beside each record (docs/validation.md).
SELECT ?path ?component (COUNT(*) AS ?results)
WHERE {
  ?report a sh:ValidationReport ; sh:result ?r .
  ?r sh:resultSeverity sh:Violation ;
     sh:sourceConstraintComponent ?component .
  OPTIONAL { ?r sh:resultPath ?path }
}
GROUP BY ?path ?component
ORDER BY DESC(?results)
LIMIT 20",
    ),
];

/// The query of the example called `name` on the query page.
pub fn example(name: &str) -> Option<&'static str> {
    EXAMPLES.iter().find(|(n, _)| *n == name).map(|(_, q)| *q)
}

/// The page, its query timeout stated.
pub fn page(timeout: std::time::Duration) -> Response {
    let examples: Vec<_> = EXAMPLES
        .iter()
        .map(|(name, query)| serde_json::json!({ "name": name, "query": query }))
        .collect();
    // `</` cannot close the script element from inside the JSON.
    let examples = serde_json::to_string(&examples)
        .expect("examples serialize")
        .replace("</", "<\\/");
    let html = PAGE
        .replace("{{version}}", YASGUI_VERSION)
        .replace("{{timeout}}", &timeout.as_secs().to_string())
        .replace("{{examples}}", &examples);
    (
        [
            (header::CACHE_CONTROL, "no-cache"),
            (header::VARY, "Accept"),
        ],
        Html(html),
    )
        .into_response()
}

pub async fn script() -> Response {
    asset(SCRIPT, "text/javascript; charset=utf-8")
}

pub async fn style() -> Response {
    asset(STYLE, "text/css; charset=utf-8")
}

fn asset(body: &'static [u8], content_type: &'static str) -> Response {
    (
        [
            (header::CONTENT_TYPE, HeaderValue::from_static(content_type)),
            (
                header::CACHE_CONTROL,
                HeaderValue::from_static("public, max-age=31536000, immutable"),
            ),
        ],
        body,
    )
        .into_response()
}

/// Whether `accept` prefers HTML to the RDF syntaxes of the service description: browsers do,
/// programs (and `*/*`) do not.
pub fn wants_html(accept: Option<&str>) -> bool {
    let offered = [
        "text/turtle",
        "application/rdf+xml",
        "application/ld+json",
        "application/n-triples",
        "text/html",
    ];
    crate::negotiate(accept, &offered) == Some(offered.len() - 1)
}
