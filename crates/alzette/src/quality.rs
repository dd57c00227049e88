//! `alzette quality [SOURCE]`: the quality scores harvests stored (data.europa.eu's MQA),
//! averaged per source and for the catalogue, and each dataset's biggest missing points.
//! Reads the store read-only, so it works while `serve` runs.

use crate::output::{out, outln};
use alzette_config::Config;
use alzette_quality::{MAX_POINTS, Metric, Rating};
use alzette_store::oxigraph::model::Term;
use alzette_store::oxigraph::sparql::{QueryResults, SparqlEvaluator};
use alzette_store::oxigraph::store::Store;
use anyhow::{Context, Result, bail};
use std::collections::BTreeMap;
use std::fmt::Write;
use std::process::ExitCode;

const PV: &str = alzette_vocab::namespace!(pv);
const ALZ: &str = alzette_vocab::namespace!(alz);

#[derive(Default)]
struct Dataset {
    source: String,
    iri: String,
    score: f64,
    rating: String,
    /// metric → (points, measured)
    metrics: BTreeMap<String, (f64, bool)>,
}

pub fn quality(config: &Config, source: Option<&str>, limit: usize) -> Result<ExitCode> {
    if let Some(id) = source
        && !config.sources.iter().any(|s| s.id == id)
    {
        bail!(
            "no source \"{id}\" in {} (see `alzette sources`)",
            config.file.display()
        );
    }
    if !config.store.path.exists() {
        bail!(
            "no store at {} yet: harvest first",
            config.store.path.display()
        );
    }
    let store = Store::open_read_only(&config.store.path)
        .with_context(|| format!("cannot open the store at {}", config.store.path.display()))?;
    let prefix = format!("{}record/", config.server.base_uri);
    let query = "PREFIX dqv: <http://www.w3.org/ns/dqv#>
        SELECT ?g ?d ?metric ?value ?measured WHERE { GRAPH ?g {
          ?d dqv:hasQualityMeasurement ?m . ?m dqv:isMeasurementOf ?metric ; dqv:value ?value .
          OPTIONAL { ?m <https://w3id.org/alzette/ns#measured> ?measured } } }";
    let QueryResults::Solutions(solutions) = SparqlEvaluator::new()
        .parse_query(query)?
        .on_store(&store)
        .execute()?
    else {
        unreachable!("a SELECT query")
    };
    let mut datasets: BTreeMap<String, Dataset> = BTreeMap::new();
    for solution in solutions {
        let solution = solution?;
        let text = |name: &str| match solution.get(name) {
            Some(Term::NamedNode(n)) => n.as_str().to_owned(),
            Some(Term::Literal(l)) => l.value().to_owned(),
            Some(other) => other.to_string(),
            None => String::new(),
        };
        let graph = text("g");
        let Some(rest) = graph.strip_prefix(&prefix) else {
            continue;
        };
        let Some((from, _)) = rest.split_once('/') else {
            continue;
        };
        if source.is_some_and(|s| s != from) {
            continue;
        }
        let d = datasets.entry(graph.clone()).or_default();
        d.source = from.to_owned();
        d.iri = text("d");
        let metric = text("metric");
        let value = text("value");
        if metric == format!("{PV}score") {
            d.score = value.parse().unwrap_or(0.0);
        } else if metric == format!("{ALZ}qualityRating") {
            d.rating = value;
        } else if let Some(name) = metric.strip_prefix(PV) {
            let measured = text("measured") != "false";
            d.metrics
                .insert(name.to_owned(), (value.parse().unwrap_or(0.0), measured));
        }
    }
    if datasets.is_empty() {
        outln!(
            "No quality scores stored{}. Scores are made at harvest when [validation] names shapes (docs/quality.md).",
            source.map(|s| format!(" for \"{s}\"")).unwrap_or_default()
        )?;
        return Ok(ExitCode::SUCCESS);
    }
    out!("{}", report(datasets.into_values().collect(), limit))?;
    Ok(ExitCode::SUCCESS)
}

fn report(mut datasets: Vec<Dataset>, limit: usize) -> String {
    let mut out = format!(
        "{:<24} {:>8} {:>8} {:>9} {:>5} {:>10} {:>4}\n",
        "SOURCE", "DATASETS", "AVERAGE", "EXCELLENT", "GOOD", "SUFFICIENT", "BAD"
    );
    let mut per_source: BTreeMap<&str, Vec<&Dataset>> = BTreeMap::new();
    for d in &datasets {
        per_source.entry(d.source.as_str()).or_default().push(d);
    }
    let mut line = |name: &str, group: &[&Dataset]| {
        let average = group.iter().map(|d| d.score).sum::<f64>() / group.len() as f64;
        let count = |r: Rating| group.iter().filter(|d| d.rating == r.name()).count();
        let _ = writeln!(
            out,
            "{:<24} {:>8} {:>8.1} {:>9} {:>5} {:>10} {:>4}",
            name,
            group.len(),
            average,
            count(Rating::Excellent),
            count(Rating::Good),
            count(Rating::Sufficient),
            count(Rating::Bad)
        );
    };
    for (source, group) in &per_source {
        line(source, group);
    }
    if per_source.len() > 1 {
        let all: Vec<&Dataset> = datasets.iter().collect();
        line("(catalogue)", &all);
    }
    datasets.sort_by(|a, b| a.score.total_cmp(&b.score).then(a.iri.cmp(&b.iri)));
    let _ = writeln!(
        out,
        "\nDatasets, lowest score first ({} of {}; scores out of {MAX_POINTS}):",
        limit.min(datasets.len()),
        datasets.len()
    );
    for d in datasets.iter().take(limit) {
        let _ = writeln!(out, "{:>6.1} {:<10} {}", d.score, d.rating, d.iri);
        let mut missing: Vec<(f64, String)> = Metric::ALL
            .iter()
            .filter_map(|m| {
                let (points, measured) = d.metrics.get(m.name()).copied()?;
                let lost = f64::from(m.points()) - points;
                (lost > 0.0).then(|| {
                    let note = if measured { "" } else { ", not measured" };
                    (lost, format!("{} ({lost:.1}{note})", m.label()))
                })
            })
            .collect();
        missing.sort_by(|a, b| b.0.total_cmp(&a.0));
        let top: Vec<String> = missing.into_iter().take(3).map(|(_, t)| t).collect();
        if !top.is_empty() {
            let _ = writeln!(out, "                  missing: {}", top.join("; "));
        }
    }
    out
}
