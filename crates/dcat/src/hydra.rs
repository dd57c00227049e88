//! Hydra paging: where the next page is, in both the current form (`hydra:view` →
//! `hydra:PartialCollectionView` with `hydra:next`) and the legacy one (`hydra:PagedCollection`
//! with `hydra:nextPage`).

use crate::page::PageGraph;
use alzette_vocab::hydra;
use oxrdf::{NamedOrBlankNode, Term};

/// The paging links of one page.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct PageLinks {
    /// The next page, absolute.
    pub next: Option<String>,
    /// `hydra:totalItems`, when the page says it.
    pub total_items: Option<u64>,
    /// Several different next links were found; `next` is the one of the view of this page.
    pub ambiguous_next: bool,
}

/// Reads the paging links of a page fetched from `page_url`.
///
/// A next link is taken from the view describing this page when there is one (its IRI is the
/// page URL, or it is the `hydra:view` of a collection), else from any view or paged collection
/// on the page. Links may be IRIs or, as some catalogues write them, string literals.
///
/// ```
/// use alzette_dcat::{page_links, PageParser};
/// use oxrdfio::RdfFormat;
/// let page = br#"
///   @prefix hydra: <http://www.w3.org/ns/hydra/core#> .
///   <catalog> a hydra:Collection ; hydra:totalItems 3 ; hydra:view <catalog?page=1> .
///   <catalog?page=1> a hydra:PartialCollectionView ; hydra:next <catalog?page=2> ."#;
/// let graph = PageParser::new(RdfFormat::Turtle, "https://e.org/catalog?page=1").parse(page).unwrap();
/// let links = page_links(&graph, "https://e.org/catalog?page=1");
/// assert_eq!(links.next.as_deref(), Some("https://e.org/catalog?page=2"));
/// assert_eq!(links.total_items, Some(3));
/// ```
pub fn page_links(graph: &PageGraph, page_url: &str) -> PageLinks {
    let mut candidates: Vec<(u8, String)> = Vec::new();
    for predicate in [hydra::NEXT, hydra::NEXT_PAGE] {
        for t in graph.triples_for_predicate(predicate) {
            let Some(target) = link_target(&t.object, page_url) else {
                continue;
            };
            // Rank: 0 = the view whose IRI is this page, 1 = a collection's hydra:view,
            // 2 = anything else.
            let rank = match &t.subject {
                NamedOrBlankNode::NamedNode(n) if same_page(n.as_str(), page_url) => 0,
                s if graph
                    .triples_for_predicate(hydra::VIEW)
                    .any(|v| v.object == Term::from(s.clone())) =>
                {
                    1
                }
                _ => 2,
            };
            candidates.push((rank, target));
        }
    }
    candidates.sort();
    candidates.dedup();
    let next = candidates.first().map(|(_, n)| n.clone());
    let ambiguous_next = candidates.iter().any(|(_, n)| Some(n) != next.as_ref());
    let total_items = graph
        .triples_for_predicate(hydra::TOTAL_ITEMS)
        .find_map(|t| match &t.object {
            Term::Literal(l) => l.value().trim().parse::<u64>().ok(),
            _ => None,
        });
    PageLinks {
        next,
        total_items,
        ambiguous_next,
    }
}

fn link_target(object: &Term, page_url: &str) -> Option<String> {
    match object {
        Term::NamedNode(n) => Some(n.as_str().to_owned()),
        Term::Literal(l) => {
            let text = l.value().trim();
            if text.is_empty() {
                return None;
            }
            let base = url::Url::parse(page_url).ok()?;
            base.join(text).ok().map(String::from)
        }
        _ => None,
    }
}

/// Two page URLs are the same page when they differ only in a fragment.
fn same_page(a: &str, b: &str) -> bool {
    a.split('#').next() == b.split('#').next()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::PageParser;
    use oxrdfio::RdfFormat;

    fn links(ttl: &str, url: &str) -> PageLinks {
        let g = PageParser::new(RdfFormat::Turtle, url)
            .parse(ttl.as_bytes())
            .unwrap();
        page_links(&g, url)
    }

    const PREFIX: &str = "@prefix hydra: <http://www.w3.org/ns/hydra/core#> .\n";

    #[test]
    fn legacy_paged_collection() {
        let l = links(
            &format!(
                "{PREFIX}<c?p=1> a hydra:PagedCollection ; hydra:nextPage <c?p=2> ; hydra:totalItems \"7\" ."
            ),
            "http://x/c?p=1",
        );
        assert_eq!(l.next.as_deref(), Some("http://x/c?p=2"));
        assert_eq!(l.total_items, Some(7));
    }

    #[test]
    fn literal_next_is_resolved() {
        let l = links(
            &format!("{PREFIX}<c?p=1> hydra:nextPage \"c?p=2\" ."),
            "http://x/dir/c?p=1",
        );
        assert_eq!(l.next.as_deref(), Some("http://x/dir/c?p=2"));
    }

    #[test]
    fn last_page_has_no_next() {
        let l = links(
            &format!(
                "{PREFIX}<c> hydra:view <c?p=2> . <c?p=2> hydra:previous <c?p=1> ; hydra:first <c?p=1> ."
            ),
            "http://x/c?p=2",
        );
        assert_eq!(l.next, None);
        assert!(!l.ambiguous_next);
    }

    #[test]
    fn the_view_of_this_page_wins() {
        let l = links(
            &format!("{PREFIX}<other?p=5> hydra:next <other?p=6> . <c?p=1> hydra:next <c?p=2> ."),
            "http://x/c?p=1",
        );
        assert_eq!(l.next.as_deref(), Some("http://x/c?p=2"));
        assert!(l.ambiguous_next);
    }
}
