//! Canonical form: Alzette's first-degree fast path must give exactly RDFC-1.0's result (oxrdf's
//! complete implementation) whenever it applies, and the same hash for a relabelled graph.
#![no_main]

use alzette_dcat::canonicalize;
use libfuzzer_sys::fuzz_target;
use oxrdf::dataset::{CanonicalizationAlgorithm, CanonicalizationHashAlgorithm};
use oxrdf::{BlankNode, Graph, NamedOrBlankNode, Term, Triple};
use oxrdfio::{RdfFormat, RdfParser};
use std::collections::HashSet;

/// Few enough blank nodes that RDFC-1.0's N-degree steps stay quick on any structure.
const MAX_BLANK_NODES: usize = 24;

fuzz_target!(|data: &[u8]| {
    let Ok(triples) = RdfParser::from_format(RdfFormat::NTriples)
        .for_slice(data)
        .map(|q| q.map(Triple::from))
        .collect::<Result<Vec<_>, _>>()
    else {
        return;
    };
    let blank: HashSet<String> = triples
        .iter()
        .flat_map(|t| {
            let s = match &t.subject {
                NamedOrBlankNode::BlankNode(b) => Some(b.as_str().to_owned()),
                _ => None,
            };
            let o = match &t.object {
                Term::BlankNode(b) => Some(b.as_str().to_owned()),
                _ => None,
            };
            [s, o]
        })
        .flatten()
        .collect();
    if blank.len() > MAX_BLANK_NODES {
        return;
    }
    let (ours, hash) = canonicalize(triples.clone());
    let mut reference: Graph = triples.iter().collect();
    reference.canonicalize(CanonicalizationAlgorithm::Rdfc10 {
        hash_algorithm: CanonicalizationHashAlgorithm::Sha256,
    });
    let mut expected: Vec<String> = reference.iter().map(|t| t.to_string()).collect();
    expected.sort();
    let mut got: Vec<String> = ours.iter().map(|t| t.to_string()).collect();
    got.sort();
    assert_eq!(got, expected);

    // Another labelling of the same graph: the same canonical form.
    let relabel = |b: &BlankNode| BlankNode::new_unchecked(format!("other{}", b.as_str()));
    let renamed: Vec<Triple> = triples
        .iter()
        .map(|t| {
            let subject = match &t.subject {
                NamedOrBlankNode::BlankNode(b) => relabel(b).into(),
                s => s.clone(),
            };
            let object = match &t.object {
                Term::BlankNode(b) => relabel(b).into(),
                o => o.clone(),
            };
            Triple::new(subject, t.predicate.clone(), object)
        })
        .collect();
    assert_eq!(canonicalize(renamed).1, hash);
});
