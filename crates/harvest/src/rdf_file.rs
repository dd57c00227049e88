//! Reading RDF documents whole (shapes, vocabularies, `alzette validate`'s files): the syntax
//! from the name or the content, named graphs merged; large Turtle and N-Triples files parsed
//! in pieces on every core. Every document goes through the guard pages go through (XML
//! entities, nesting) and is held to limits while it is parsed (triples counted as they come).

use alzette_dcat::{
    GuardError, PageError, PageLimits, PageParser, RdfFormat, check_page, from_url, sniff,
    syntax_name,
};
use oxrdf::Triple;
use std::path::{Path, PathBuf};

/// An RDF document that could not be read.
#[derive(Debug, thiserror::Error)]
pub enum RdfFileError {
    #[error("cannot read {}: {cause}", path.display())]
    Io {
        path: PathBuf,
        cause: std::io::Error,
    },
    #[error("{name}: cannot tell its RDF syntax (name it .ttl, .rdf, .jsonld or .nt)")]
    UnknownSyntax { name: String },
    #[error("{name}: not valid {syntax}: {message}")]
    Syntax {
        name: String,
        syntax: &'static str,
        message: String,
    },
    #[error("{name}: refused before parsing: {guard}")]
    Refused { name: String, guard: GuardError },
    #[error("{name}: more than {limit} triples (limit max_page_triples)")]
    TooManyTriples { name: String, limit: usize },
}

impl RdfFileError {
    fn of_page(name: &str, format: RdfFormat, e: PageError) -> Self {
        let name = name.to_owned();
        match e {
            PageError::Syntax { syntax, message } => Self::Syntax {
                name,
                syntax,
                message,
            },
            PageError::TooManyTriples { limit } => Self::TooManyTriples { name, limit },
            PageError::Refused(guard) => Self::Refused { name, guard },
            PageError::UnsupportedSyntax(syntax) => Self::Syntax {
                name,
                syntax,
                message: format!("{} documents are not read", syntax_name(format)),
            },
        }
    }
}

/// Reads an RDF document whose syntax is told by its name or, failing that, its content, into
/// triples (named graphs merged), within `limits`. `name` is for messages; relative IRIs
/// resolve against `base`.
pub fn read_triples(
    bytes: &[u8],
    name: &str,
    base: &str,
    limits: &PageLimits,
) -> Result<Vec<Triple>, RdfFileError> {
    read_document(bytes, syntax_of(bytes, name)?, name, base, limits)
}

/// The syntax a document's name says, or else its first bytes.
fn syntax_of(bytes: &[u8], name: &str) -> Result<RdfFormat, RdfFileError> {
    from_url(name)
        .or_else(|| sniff(bytes))
        .ok_or_else(|| RdfFileError::UnknownSyntax {
            name: name.to_owned(),
        })
}

fn syntax_error(name: &str, format: RdfFormat, message: impl ToString) -> RdfFileError {
    RdfFileError::Syntax {
        name: name.to_owned(),
        syntax: syntax_name(format),
        message: message.to_string(),
    }
}

fn unreadable(path: &Path, cause: std::io::Error) -> RdfFileError {
    RdfFileError::Io {
        path: path.to_owned(),
        cause,
    }
}

/// Reads an RDF document in `format` into triples (named graphs merged), within `limits`: the
/// page parser's guard and limits (JSON-LD contexts only the bundled ones).
pub fn read_document(
    bytes: &[u8],
    format: RdfFormat,
    name: &str,
    base: &str,
    limits: &PageLimits,
) -> Result<Vec<Triple>, RdfFileError> {
    PageParser::new(format, base)
        .with_limits(*limits)
        .triples(bytes)
        .map_err(|e| RdfFileError::of_page(name, format, e))
}

/// Reads an RDF file piece by piece without holding its triples: `per_piece` takes each
/// piece's triples as they are parsed, on a thread per core for Turtle and N-Triples from
/// 16 MiB (parsing is most of what `alzette validate` spends), and `take` reads what it made of
/// them in document order. A syntax error ends the triples early and is returned after `take`.
pub fn read_in_pieces<T: Send, R>(
    path: &Path,
    limits: &PageLimits,
    per_piece: impl Fn(&mut dyn Iterator<Item = Triple>) -> T + Sync,
    take: impl FnOnce(&mut dyn Iterator<Item = T>) -> R,
) -> Result<R, RdfFileError> {
    let bytes = std::fs::read(path).map_err(|e| unreadable(path, e))?;
    let name = path.display().to_string();
    let format = syntax_of(&bytes, &name)?;
    if !matches!(format, RdfFormat::Turtle | RdfFormat::NTriples) {
        let triples = read_document(&bytes, format, &name, &file_url(path), limits)?;
        return Ok(take(&mut std::iter::once(per_piece(
            &mut triples.into_iter(),
        ))));
    }
    // Turtle and N-Triples have nothing for the guard to refuse; a byte order mark is skipped.
    check_page(&bytes, format, limits).map_err(|guard| RdfFileError::Refused {
        name: name.clone(),
        guard,
    })?;
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(&bytes);
    let fail = |e: String| syntax_error(&name, format, e);
    if let Some(pieces) = pieces_of(bytes, format, &file_url(path)) {
        return parse_pipelined(pieces, per_piece, take).map_err(fail);
    }
    let mut parser = oxrdfio::RdfParser::from_format(format);
    if let Ok(p) = parser.clone().with_base_iri(file_url(path)) {
        parser = p;
    }
    let mut error = None;
    let mut triples = parser.for_slice(bytes).map_while(|q| match q {
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
pub fn read_file(path: &Path, limits: &PageLimits) -> Result<Vec<Triple>, RdfFileError> {
    let bytes = std::fs::read(path).map_err(|e| unreadable(path, e))?;
    read_triples(&bytes, &path.display().to_string(), &file_url(path), limits)
}

/// The limits of a file an operator hands Alzette on the command line: the guard as for any
/// document, but no triple count (their own files may be large).
pub fn local_file_limits() -> PageLimits {
    PageLimits {
        max_triples: usize::MAX,
        ..PageLimits::default()
    }
}

fn file_url(path: &Path) -> String {
    let absolute = std::path::absolute(path).unwrap_or_else(|_| path.to_owned());
    url::Url::from_file_path(&absolute).map_or_else(
        |()| format!("file:///{}", path.display()),
        |u| u.to_string(),
    )
}
