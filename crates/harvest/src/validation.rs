//! Validation at harvest: the configured shapes, read at the start of each run, and the
//! background graph that vocabulary sources provide, applied to every record before it is
//! stored; and reading RDF files, for shapes and for `alzette validate`.

use alzette_dcat::{
    PageLimits, PageParser, RdfFormat, RecordGraph, RecordKind, from_url, sniff, syntax_name,
};
use alzette_quality::{QualityScore, Vocabularies, assess};
pub use alzette_runlog::ValidationSummary;
use alzette_shacl::{Background, DataGraph, Shapes, ValidationReport, ValidationResult};
use oxrdf::{Graph, Triple};
use sha2::{Digest, Sha256};
use std::path::Path;

/// Shapes and background a run validates its records with.
pub struct RecordValidator {
    shapes: Shapes,
    background: Background,
    /// What the quality score looks up in the same vocabularies.
    vocabularies: Vocabularies,
    /// Names the shapes and background, so that a stored report says what it was made with.
    fingerprint: String,
}

impl RecordValidator {
    /// `shapes`: the shapes graph, as (URL, content) documents read together. The fingerprint
    /// covers the shapes' bytes and the background's triples, so a change of either shows in
    /// reports (and makes the next run re-read its pages).
    pub fn new(shapes: &[(String, Vec<u8>)], background: Vec<Triple>) -> Result<Self, String> {
        let mut graph = Graph::new();
        let mut hash = Sha256::new();
        for (url, bytes) in shapes {
            hash.update(bytes);
            graph.extend(read_triples(bytes, url, url)?);
        }
        let shapes =
            Shapes::from_graph(&graph).map_err(|e| format!("the shapes are not usable: {e}"))?;
        for warning in shapes.warnings() {
            tracing::warn!("validation shapes: {warning}");
        }
        // Background triples come in store order, which is stable for unchanged content.
        for t in &background {
            hash.update(t.to_string().as_bytes());
        }
        let vocabularies = Vocabularies::from_triples(&background);
        let background = Background::new(background);
        let fingerprint = alzette_store::hex(&hash.finalize()[..8]);
        Ok(Self {
            shapes,
            background,
            vocabularies,
            fingerprint,
        })
    }

    pub fn fingerprint(&self) -> &str {
        &self.fingerprint
    }

    /// Validates one record graph, with the background.
    pub fn validate(&self, record: &RecordGraph) -> ValidationReport {
        let data = DataGraph::over(&self.background, record.triples.iter().cloned());
        self.shapes.validate(&data)
    }

    /// data.europa.eu's quality score of a dataset record, DCAT-AP compliance being the
    /// validation's verdict; `None` for data services and series, which the MQA does not score.
    /// `reachable` says what the link checker knows of a URL (`None`: not checked).
    pub fn assess(
        &self,
        record: &RecordGraph,
        report: &ValidationReport,
        reachable: &dyn Fn(&str) -> Option<bool>,
    ) -> Option<QualityScore> {
        if !record.kinds.contains(&RecordKind::Dataset) {
            return None;
        }
        let graph: Graph = record.triples.iter().collect();
        Some(assess(
            &graph,
            record.resource.as_ref(),
            Some(report.violations() == 0),
            &self.vocabularies,
            reachable,
        ))
    }
}

/// Reads an RDF document whose syntax is told by its name or, failing that, its content, into
/// triples (named graphs merged). `name` is for messages; relative IRIs resolve against `base`.
pub fn read_triples(bytes: &[u8], name: &str, base: &str) -> Result<Vec<Triple>, String> {
    read_document(bytes, syntax_of(bytes, name)?, name, base)
}

/// The syntax a document's name says, or else its first bytes.
fn syntax_of(bytes: &[u8], name: &str) -> Result<RdfFormat, String> {
    from_url(name).or_else(|| sniff(bytes)).ok_or_else(|| {
        format!("{name}: cannot tell its RDF syntax (name it .ttl, .rdf, .jsonld or .nt)")
    })
}

/// Reads an RDF document in `format` into triples (named graphs merged).
pub fn read_document(
    bytes: &[u8],
    format: RdfFormat,
    name: &str,
    base: &str,
) -> Result<Vec<Triple>, String> {
    let fail =
        |e: &dyn std::fmt::Display| format!("{name}: not valid {}: {e}", syntax_name(format));
    if matches!(format, RdfFormat::JsonLd { .. }) {
        // JSON-LD goes through the page parser, which knows the bundled contexts.
        let limits = PageLimits {
            max_triples: usize::MAX,
            ..PageLimits::default()
        };
        let page = PageParser::new(format, base)
            .with_limits(limits)
            .parse(bytes)
            .map_err(|e| fail(&e))?;
        return Ok(page.iter().cloned().collect());
    }
    let mut parser = oxrdfio::RdfParser::from_format(format);
    if let Ok(p) = parser.clone().with_base_iri(base) {
        parser = p;
    }
    parser
        .for_slice(bytes)
        .map(|q| q.map(Triple::from).map_err(|e| fail(&e)))
        .collect()
}

/// Reads an RDF file piece by piece without holding its triples: `per_piece` takes each
/// piece's triples as they are parsed, on a thread per core for Turtle and N-Triples from
/// 16 MiB (parsing is most of what `alzette validate` spends), and `take` reads what it made of
/// them in document order. A syntax error ends the triples early and is returned after `take`.
pub fn read_in_pieces<T: Send, R>(
    path: &Path,
    per_piece: impl Fn(&mut dyn Iterator<Item = Triple>) -> T + Sync,
    take: impl FnOnce(&mut dyn Iterator<Item = T>) -> R,
) -> Result<R, String> {
    let bytes = std::fs::read(path).map_err(|e| format!("cannot read {}: {e}", path.display()))?;
    let name = path.display().to_string();
    let format = syntax_of(&bytes, &name)?;
    if matches!(format, RdfFormat::JsonLd { .. }) {
        let triples = read_document(&bytes, format, &name, &file_url(path))?;
        return Ok(take(&mut std::iter::once(per_piece(
            &mut triples.into_iter(),
        ))));
    }
    let fail = |e: String| format!("{name}: not valid {}: {e}", syntax_name(format));
    if let Some(pieces) = pieces_of(&bytes, format, &file_url(path)) {
        return parse_pipelined(pieces, per_piece, take).map_err(fail);
    }
    let mut parser = oxrdfio::RdfParser::from_format(format);
    if let Ok(p) = parser.clone().with_base_iri(file_url(path)) {
        parser = p;
    }
    let mut error = None;
    let mut triples = parser.for_slice(&bytes).map_while(|q| match q {
        Ok(q) => Some(Triple::from(q)),
        Err(e) => {
            error = Some(fail(e.to_string()));
            None
        }
    });
    let piece = per_piece(&mut triples);
    drop(triples);
    let taken = take(&mut std::iter::once(piece));
    error.map_or(Ok(taken), Err)
}

/// A piece of a document, parsed on its own.
type Piece<'a> = Box<dyn Iterator<Item = Result<Triple, String>> + Send + 'a>;

/// Turtle and N-Triples documents from 16 MiB are cut into pieces of about 16 MiB to be parsed
/// on every core (parsing is most of what `alzette validate` spends); `None` when that does not
/// apply.
fn pieces_of<'a>(bytes: &'a [u8], format: RdfFormat, base: &str) -> Option<Vec<Piece<'a>>> {
    const MIN_SIZE: usize = 16 << 20;
    let threads = std::thread::available_parallelism().map_or(1, usize::from);
    if bytes.len() < MIN_SIZE || threads < 2 {
        return None;
    }
    let count = (bytes.len() / MIN_SIZE).max(threads);
    fn boxed<'a, E: std::fmt::Display>(
        pieces: Vec<impl Iterator<Item = Result<Triple, E>> + Send + 'a>,
    ) -> Vec<Piece<'a>> {
        pieces
            .into_iter()
            .map(|p| Box::new(p.map(|t| t.map_err(|e| e.to_string()))) as Piece<'a>)
            .collect()
    }
    match format {
        RdfFormat::Turtle => {
            let parser = oxttl::TurtleParser::new().with_base_iri(base).ok()?;
            Some(boxed(parser.split_slice_for_parallel_parsing(bytes, count)))
        }
        RdfFormat::NTriples => Some(boxed(
            oxttl::NTriplesParser::new().split_slice_for_parallel_parsing(bytes, count),
        )),
        _ => None,
    }
}

/// Runs `per_piece` over each of `pieces` on a thread per core while `take` reads the results
/// in document order. A finished piece waits for `take` (a rendezvous), so no more pieces than
/// there are threads are ever held; joining all parsed triples first held six times the file.
fn parse_pipelined<T: Send, R>(
    pieces: Vec<Piece<'_>>,
    per_piece: impl Fn(&mut dyn Iterator<Item = Triple>) -> T + Sync,
    take: impl FnOnce(&mut dyn Iterator<Item = T>) -> R,
) -> Result<R, String> {
    let threads = std::thread::available_parallelism().map_or(1, usize::from);
    let (senders, receivers): (Vec<_>, Vec<_>) = (0..pieces.len())
        .map(|_| std::sync::mpsc::sync_channel::<(T, Option<String>)>(0))
        .unzip();
    // Pieces are handed out in order, so the one `take` reads next is always being parsed.
    let work = std::sync::Mutex::new(pieces.into_iter().zip(senders));
    std::thread::scope(|s| {
        for _ in 0..threads {
            s.spawn(|| {
                loop {
                    let next = work.lock().map(|mut w| w.next());
                    let Ok(Some((piece, to_reader))) = next else {
                        return;
                    };
                    let mut error = None;
                    let mut triples = piece.map_while(|t| t.map_err(|e| error = Some(e)).ok());
                    let made = per_piece(&mut triples);
                    drop(triples);
                    // A send fails once the reader has stopped (an error in an earlier piece).
                    if to_reader.send((made, error)).is_err() {
                        return;
                    }
                }
            });
        }
        let mut error = None;
        let mut made = receivers.into_iter().map_while(|r| {
            if error.is_some() {
                return None;
            }
            match r.recv() {
                Ok((made, e)) => {
                    error = e;
                    Some(made)
                }
                Err(_) => {
                    error = Some("the parser stopped".to_owned());
                    None
                }
            }
        });
        let taken = take(&mut made);
        // Dropping the receivers stops the parsers.
        drop(made);
        error.map_or(Ok(taken), Err)
    })
}

/// Reads an RDF file (see [`read_triples`]).
pub fn read_file(path: &Path) -> Result<Vec<Triple>, String> {
    let bytes = std::fs::read(path).map_err(|e| format!("cannot read {}: {e}", path.display()))?;
    read_triples(&bytes, &path.display().to_string(), &file_url(path))
}

fn file_url(path: &Path) -> String {
    let absolute = std::path::absolute(path).unwrap_or_else(|_| path.to_owned());
    url::Url::from_file_path(&absolute).map_or_else(
        |()| format!("file:///{}", path.display()),
        |u| u.to_string(),
    )
}

/// Counts `report` into a run's summary.
pub fn summarize(
    summary: &mut ValidationSummary,
    report: &ValidationReport,
    quality: Option<&QualityScore>,
) {
    if let Some(q) = quality {
        summary.scored += 1;
        summary.score_tenths += (q.total() * 10.0).round() as u64;
        *summary
            .ratings
            .entry(q.rating().name().to_owned())
            .or_default() += 1;
    }
    summary.records += 1;
    if report.conforms() {
        summary.conforming += 1;
    }
    let violations = report.violations() as u64;
    if violations > 0 {
        summary.with_violations += 1;
    }
    summary.violations += violations;
    summary.warnings += report.warnings() as u64;
    for r in &report.results {
        *summary
            .by_constraint
            .entry(constraint_label(r))
            .or_default() += 1;
    }
}

/// "Violation dct:title MinCount", or the shape where there is no path.
pub fn constraint_label(r: &ValidationResult) -> String {
    let place = match &r.path {
        Some(path) => alzette_vocab::compact(&path.to_string()),
        None => alzette_vocab::compact(&r.source_shape.to_string()),
    };
    format!("{} {place} {}", r.severity_name(), r.component_name())
}
