//! `alzette convert`: what Alzette makes of ISO 19139 records, CSW responses or DCAT files,
//! printed as RDF, for operators working out why a source harvests as it does.

use alzette_harvest::rdf_file::{local_file_limits, read_file};
use alzette_iso19139::{DocumentError, Options, Profile, map_document};
use anyhow::Result;
use clap::ValueEnum;
use oxrdf::Triple;
use oxrdfio::RdfFormat;
use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

/// What the input files are.
#[derive(Clone, Copy, ValueEnum, PartialEq, Eq)]
pub enum Input {
    /// ISO 19139 when the file is XML with a gmd:MD_Metadata or a CSW response, else DCAT.
    Auto,
    /// ISO 19139 records (gmd:MD_Metadata, one or many per file).
    Iso19139,
    /// CSW 2.0.2 GetRecords or GetRecordById responses with ISO records.
    Csw,
    /// DCAT in RDF/XML, Turtle, JSON-LD or N-Triples.
    Dcat,
}

/// The RDF syntax printed.
#[derive(Clone, Copy, ValueEnum)]
pub enum Output {
    Turtle,
    Rdfxml,
    Jsonld,
    Ntriples,
}

/// Converts every file, prints the triples of all of them, and says on stderr what each
/// record's mapping left out. Exit code 2 when a file could not be read at all (the others
/// are still printed).
pub fn convert(files: &[PathBuf], from: Input, to: Output, profile: Profile) -> Result<ExitCode> {
    let options = Options {
        profile,
        ..Options::default()
    };
    let mut triples: Vec<Triple> = Vec::new();
    let mut failed = false;
    for file in files {
        let bytes = match std::fs::read(file) {
            Ok(b) => b,
            Err(e) => {
                eprintln!("error: cannot read {}: {e}", file.display());
                failed = true;
                continue;
            }
        };
        let iso = match from {
            Input::Iso19139 | Input::Csw => true,
            Input::Dcat => false,
            Input::Auto => looks_like_iso(&bytes),
        };
        if !iso {
            match read_file(file, &local_file_limits()) {
                Ok(t) => triples.extend(t),
                Err(e) => {
                    eprintln!("error: {e}");
                    failed = true;
                }
            }
            continue;
        }
        match map_document(&bytes, &options) {
            Ok(records) => {
                if records.is_empty() {
                    eprintln!("warning: {}: no ISO record in it", file.display());
                }
                for record in records {
                    let id = record
                        .file_identifier
                        .as_deref()
                        .unwrap_or("(no fileIdentifier)");
                    for warning in &record.warnings {
                        eprintln!("warning: {} record {id}: {warning}", file.display());
                    }
                    triples.extend(record.triples);
                }
            }
            Err(e) => {
                let hint = match e {
                    DocumentError::NotIso(_) => " (use --from dcat for RDF)",
                    _ => "",
                };
                eprintln!("error: {}: {e}{hint}", file.display());
                failed = true;
            }
        }
    }
    let format = match to {
        Output::Turtle => RdfFormat::Turtle,
        Output::Rdfxml => RdfFormat::RdfXml,
        Output::Jsonld => RdfFormat::JsonLd {
            profile: Default::default(),
        },
        Output::Ntriples => RdfFormat::NTriples,
    };
    let bytes = alzette_server::serialize(format, triples.iter().map(Triple::as_ref))?;
    crate::output::Stdout.write_all(&bytes)?;
    Ok(if failed {
        ExitCode::from(2)
    } else {
        ExitCode::SUCCESS
    })
}

/// XML whose text names the ISO 19139 or CSW namespace.
fn looks_like_iso(bytes: &[u8]) -> bool {
    let start = bytes
        .iter()
        .position(|b| !b.is_ascii_whitespace())
        .unwrap_or(0);
    let head = &bytes[start..bytes.len().min(start + 4096)];
    let text = String::from_utf8_lossy(head);
    text.starts_with('<')
        && (text.contains("http://www.isotc211.org/2005/gmd")
            || text.contains("http://www.opengis.net/cat/csw/2.0.2")
            || text.contains("http://www.opengis.net/ows"))
}
