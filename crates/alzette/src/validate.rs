//! `alzette validate`: SHACL validation of RDF files, for operators checking a source and for
//! comparing Alzette's engine with others (`--format turtle` prints a W3C report).

use alzette_harvest::rdf_file::{local_file_limits, read_file, read_in_pieces};
use alzette_harvest::validation::{ValidationSummary, summarize};
use alzette_shacl::{
    Background, DataGraph, NumberedTriples, Shapes, ValidationReport, ValidationResult,
};
use anyhow::{Context, Result, bail};
use clap::ValueEnum;
use oxrdf::{Graph, Triple};
use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

/// How `validate` prints its report.
#[derive(Clone, Copy, ValueEnum)]
pub enum ReportFormat {
    /// One line per result, then the most frequent constraints.
    Text,
    /// A W3C `sh:ValidationReport` in Turtle.
    Turtle,
    /// The same in N-Triples.
    Ntriples,
    /// One tab-separated row per result: severity, focus node, path, value, component, shape.
    Tsv,
}

/// Validates the union of `data` against the union of `shapes`, with `background` read
/// together with the data. Exit code 0 when the data conforms, 1 when there are results.
pub fn validate(
    data: &[PathBuf],
    shapes: &[PathBuf],
    background: &[PathBuf],
    format: ReportFormat,
) -> Result<ExitCode> {
    if shapes.is_empty() {
        bail!(
            "no shapes: name at least one shapes file with --shapes (e.g. --shapes shapes/dcat-ap-3-base.ttl)"
        );
    }
    let union = |files: &[PathBuf]| -> Result<Vec<Triple>> {
        let mut triples = Vec::new();
        for file in files {
            triples.extend(read_file(file, &local_file_limits())?);
        }
        Ok(triples)
    };
    let shapes_graph: Graph = union(shapes)?.into_iter().collect();
    let shapes = Shapes::from_graph(&shapes_graph).context("the shapes are not usable")?;
    for warning in shapes.warnings() {
        eprintln!("warning: {warning}");
    }
    let background = Background::new(union(background)?);
    // One file (the usual case, and the large one) is numbered piece by piece as it is parsed.
    let data = match data {
        [file] => read_in_pieces(
            file,
            &local_file_limits(),
            |triples| triples.collect::<NumberedTriples>(),
            |pieces| DataGraph::from_pieces(&background, pieces),
        )?,
        files => DataGraph::over(&background, union(files)?),
    };
    let report = shapes.validate(&data);
    let mut out = crate::output::Stdout;
    match format {
        ReportFormat::Text => print_text(&mut out, &report)?,
        ReportFormat::Turtle | ReportFormat::Ntriples => {
            let syntax = if matches!(format, ReportFormat::Turtle) {
                oxrdfio::RdfFormat::Turtle
            } else {
                oxrdfio::RdfFormat::NTriples
            };
            let graph = report.to_graph();
            out.write_all(&alzette_server::serialize(syntax, graph.iter())?)?;
        }
        ReportFormat::Tsv => {
            for r in &report.results {
                writeln!(out, "{}", tsv_row(r))?;
            }
        }
    }
    out.flush()?;
    Ok(if report.conforms() {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}

fn print_text(out: &mut impl Write, report: &ValidationReport) -> Result<()> {
    for r in &report.results {
        writeln!(
            out,
            "{:<9} {}  {}  {}: {}",
            r.severity_name(),
            r.focus_node,
            r.path
                .as_ref()
                .map_or("-".into(), |p| alzette_vocab::compact(&p.to_string())),
            r.component_name(),
            r.message()
        )?;
    }
    let mut summary = ValidationSummary::default();
    summarize(&mut summary, report, None);
    writeln!(
        out,
        "\n{} results: {} violations, {} warnings{}",
        report.results.len(),
        report.violations(),
        report.warnings(),
        if report.conforms() { " (conforms)" } else { "" }
    )?;
    for (label, count) in summary.top(10) {
        writeln!(out, "{count:>8}  {label}")?;
    }
    Ok(())
}

fn tsv_row(r: &ValidationResult) -> String {
    let term = |t: &oxrdf::Term| t.to_string().replace(['\t', '\n'], " ");
    [
        r.severity_name().to_owned(),
        term(&r.focus_node),
        r.path.as_ref().map_or(String::new(), |p| p.to_string()),
        r.value.as_ref().map_or(String::new(), term),
        r.component_name().to_owned(),
        term(&r.source_shape),
    ]
    .join("\t")
}
