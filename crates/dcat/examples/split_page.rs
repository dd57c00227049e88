//! Times parsing and splitting one page, for profiling the pure half of a harvest:
//!
//! ```sh
//! cargo run --release -p alzette-dcat --example split_page PAGE.ttl [ROUNDS]
//! ```

use alzette_dcat::{PageParser, RdfFormat, SplitOptions, detect_syntax, split_records};
use std::time::Instant;

fn main() {
    let mut args = std::env::args().skip(1);
    let path = args.next().expect("usage: split_page PAGE [ROUNDS]");
    let rounds: usize = args.next().and_then(|r| r.parse().ok()).unwrap_or(5);
    let body = std::fs::read(&path).expect("a readable page");
    let format = detect_syntax(None, &path, &body).map_or(RdfFormat::Turtle, |(f, _)| f);
    for _ in 0..rounds {
        let started = Instant::now();
        let graph = PageParser::new(format, "http://example.org/page")
            .parse(&body)
            .expect("the page parses");
        let parsed = started.elapsed();
        let page = split_records(&graph, &SplitOptions::new("http://example.org/id/"));
        println!(
            "parse {parsed:?}, split {:?}: {} triples, {} records",
            started.elapsed() - parsed,
            graph.len(),
            page.records.len()
        );
    }
}
