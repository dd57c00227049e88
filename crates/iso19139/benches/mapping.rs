//! Mapping throughput: every `.xml` of a folder read and mapped (bytes in, triples out),
//! round after round, after one warm-up round. `benches/iso-mapping.sh` runs it beside
//! Saxon-HE running the SEMIC XSLT on the same files.
//!
//!   cargo bench -p alzette-iso19139 --bench mapping -- DIR [ROUNDS]
//!
//! Prints one JSON line: records mapped, documents that failed, triples, seconds.

use alzette_iso19139::{Options, map_document};
use std::time::Instant;

// The allocator of the `alzette` binary, which maps records in harvests.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() {
    let mut args = std::env::args().skip(1).filter(|a| a != "--bench");
    let Some(dir) = args.next() else {
        eprintln!("usage: mapping DIR [ROUNDS]");
        std::process::exit(2);
    };
    let rounds: usize = args.next().and_then(|r| r.parse().ok()).unwrap_or(100);
    let mut files: Vec<_> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{dir}: {e}"))
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "xml"))
        .collect();
    files.sort();
    let options = Options::default();
    let round = || {
        let (mut records, mut failed, mut triples) = (0usize, 0usize, 0usize);
        for f in &files {
            let bytes = std::fs::read(f).unwrap();
            if std::env::var_os("PARSE_ONLY").is_some() {
                let _ = alzette_iso19139::read_csw_page(&bytes);
                records += 1;
                continue;
            }
            match map_document(&bytes, &options) {
                Ok(mapped) => {
                    records += mapped.len();
                    triples += mapped.iter().map(|r| r.triples.len()).sum::<usize>();
                }
                Err(_) => failed += 1,
            }
        }
        (records, failed, triples)
    };
    round();
    let start = Instant::now();
    let (mut records, mut failed, mut triples) = (0, 0, 0);
    for _ in 0..rounds {
        let (r, f, t) = round();
        records += r;
        failed += f;
        triples += t;
    }
    let seconds = start.elapsed().as_secs_f64();
    println!(
        "{{\"tool\": \"alzette\", \"records\": {records}, \"failed\": {failed}, \"triples\": {triples}, \"seconds\": {seconds:.3}}}"
    );
}
