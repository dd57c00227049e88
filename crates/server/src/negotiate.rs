//! HTTP content negotiation: the best of the offered media types for an `Accept` header, with
//! q-values and wildcards (RFC 9110 §12.5.1).

/// One media range of an Accept header.
#[derive(Debug, Clone, PartialEq)]
struct Range {
    main: String,
    sub: String,
    q: f32,
    /// Position in the header: earlier wins a tie.
    order: usize,
}

fn parse(accept: &str) -> Vec<Range> {
    accept
        .split(',')
        .enumerate()
        .filter_map(|(order, item)| {
            let mut parts = item.split(';');
            let media = parts.next()?.trim().to_ascii_lowercase();
            let (main, sub) = media.split_once('/')?;
            let mut q = 1.0;
            for p in parts {
                if let Some((k, v)) = p.split_once('=')
                    && k.trim().eq_ignore_ascii_case("q")
                {
                    q = v.trim().parse().unwrap_or(0.0);
                }
            }
            Some(Range {
                main: main.trim().to_owned(),
                sub: sub.trim().to_owned(),
                q,
                order,
            })
        })
        .collect()
}

/// The index into `offered` of the type to answer with, or `None` when the client accepts none
/// of them (406). No Accept header, or an empty one, means the first offered.
///
/// ```
/// use alzette_server::negotiate;
/// let offered = ["application/sparql-results+json", "application/sparql-results+xml", "text/csv"];
/// assert_eq!(negotiate(None, &offered), Some(0));
/// assert_eq!(negotiate(Some("text/csv;q=0.9, application/sparql-results+xml"), &offered), Some(1));
/// assert_eq!(negotiate(Some("text/*"), &offered), Some(2));
/// assert_eq!(negotiate(Some("image/png"), &offered), None);
/// assert_eq!(negotiate(Some("*/*;q=0.1, text/csv;q=0"), &offered), Some(0));
/// ```
pub fn negotiate(accept: Option<&str>, offered: &[&str]) -> Option<usize> {
    let accept = accept.map(str::trim).filter(|a| !a.is_empty());
    let Some(accept) = accept else {
        return (!offered.is_empty()).then_some(0);
    };
    let ranges = parse(accept);
    let mut best: Option<(f32, u8, usize, usize)> = None; // (q, specificity, -order, index)
    for (index, media) in offered.iter().enumerate() {
        let (main, sub) = media.split_once('/').unwrap_or((media, ""));
        // The most specific range that matches decides this type's q.
        let matching = ranges
            .iter()
            .filter_map(|r| {
                let specificity = if r.main == main && r.sub == sub {
                    2
                } else if r.main == main && r.sub == "*" {
                    1
                } else if r.main == "*" && r.sub == "*" {
                    0
                } else {
                    return None;
                };
                Some((specificity, r))
            })
            .max_by_key(|(s, _)| *s);
        let Some((specificity, range)) = matching else {
            continue;
        };
        if range.q <= 0.0 {
            continue;
        }
        let candidate = (range.q, specificity, usize::MAX - range.order, index);
        let better = match best {
            None => true,
            Some((q, s, o, _)) => (range.q, specificity, usize::MAX - range.order) > (q, s, o),
        };
        if better {
            best = Some(candidate);
        }
    }
    best.map(|(_, _, _, index)| index)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn q_values_and_order() {
        let offered = [
            "text/turtle",
            "application/rdf+xml",
            "application/ld+json",
            "application/n-triples",
        ];
        assert_eq!(negotiate(Some("application/ld+json"), &offered), Some(2));
        assert_eq!(
            negotiate(
                Some("application/rdf+xml;q=0.5, application/n-triples"),
                &offered
            ),
            Some(3)
        );
        assert_eq!(
            negotiate(Some("application/n-triples, application/rdf+xml"), &offered),
            Some(3)
        );
        assert_eq!(negotiate(Some("*/*"), &offered), Some(0));
        assert_eq!(negotiate(Some("application/*"), &offered), Some(1));
        assert_eq!(negotiate(Some("text/html"), &offered), None);
        assert_eq!(
            negotiate(Some("TEXT/Turtle; charset=utf-8"), &offered),
            Some(0)
        );
    }
}
