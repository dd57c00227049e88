//! The documents read whole rather than as catalogue pages — vocabularies, background
//! vocabularies and SHACL shapes — through the guard and limits pages have (`PageParser::triples`,
//! as `alzette-harvest` reads them), shapes then compiled; and an ISO 19139 document read within
//! small tree limits. Errors are fine; panics, hangs and memory past the limits are not.
#![no_main]

use alzette_dcat::{PageLimits, PageParser, RdfFormat, sniff};
use alzette_iso19139::{Options, TreeLimits, map_document};
use libfuzzer_sys::fuzz_target;

const MAX_TRIPLES: usize = 5_000;

fuzz_target!(|data: &[u8]| {
    let Some((choice, body)) = data.split_first() else {
        return;
    };
    if choice % 6 == 5 {
        // An ISO record: the tree is bounded while it is read, so a large one is refused
        // without being held.
        let options = Options {
            limits: TreeLimits {
                max_elements: 2_000,
                max_depth: 32,
            },
            ..Options::default()
        };
        let _ = map_document(body, &options);
        return;
    }
    let format = match choice % 6 {
        0 => RdfFormat::Turtle,
        1 => RdfFormat::NTriples,
        2 => RdfFormat::RdfXml,
        3 => RdfFormat::JsonLd {
            profile: oxrdfio::JsonLdProfileSet::empty(),
        },
        _ => sniff(body).unwrap_or(RdfFormat::Turtle),
    };
    let limits = PageLimits {
        max_triples: MAX_TRIPLES,
        max_nesting_depth: 64,
        max_expanded_size: 1024 * 1024,
    };
    let Ok(triples) = PageParser::new(format, "https://fuzz.example.org/shapes.ttl")
        .with_limits(limits)
        .triples(body)
    else {
        return;
    };
    assert!(triples.len() <= MAX_TRIPLES);
    // The same triples as a shapes graph: compiling them must refuse, not fail otherwise.
    let graph: oxrdf::Graph = triples.iter().collect();
    let _ = alzette_shacl::Shapes::from_graph(&graph);
});
