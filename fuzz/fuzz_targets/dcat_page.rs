//! A DCAT page from a source: guarded, parsed in the syntax the first byte picks, its Hydra links
//! read and its records split and canonicalised. Errors are fine; panics and hangs are not.
#![no_main]

use alzette_dcat::{
    PageLimits, PageParser, RdfFormat, RecordLimits, SplitOptions, page_links, sniff,
    split_records,
};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Some((choice, body)) = data.split_first() else {
        return;
    };
    let format = match choice % 5 {
        0 => RdfFormat::Turtle,
        1 => RdfFormat::NTriples,
        2 => RdfFormat::RdfXml,
        3 => RdfFormat::JsonLd {
            profile: oxrdfio::JsonLdProfileSet::empty(),
        },
        _ => sniff(body).unwrap_or(RdfFormat::Turtle),
    };
    let limits = PageLimits {
        max_triples: 10_000,
        max_nesting_depth: 64,
        max_expanded_size: 1024 * 1024,
    };
    let page_url = "https://fuzz.example.org/catalog?page=1";
    let Ok(graph) = PageParser::new(format, page_url).with_limits(limits).parse(body) else {
        return;
    };
    let _ = page_links(&graph, page_url);
    let options = SplitOptions::new("http://localhost:8080/id/fuzz/").with_limits(RecordLimits {
        max_record_triples: 5_000,
        ..RecordLimits::default()
    });
    let page = split_records(&graph, &options);
    for record in &page.records {
        assert!(record.triples.len() <= 5_000);
    }
});
