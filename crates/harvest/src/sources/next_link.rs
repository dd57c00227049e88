//! Where a DCAT page's next link leads: rewritten by `page_url_rewrite`, and only within the
//! source's origin or the `page_origins` it lists.

use super::{PageFailure, origin};
use alzette_config::DcatOptions;
use alzette_runlog::Stage;
use url::Url;

/// Where a next-page link leads: rewritten by `page_url_rewrite`, and refused when it leaves
/// the source's origin (`start_origin`) for one `page_origins` does not list.
pub(super) fn next_url(
    options: &DcatOptions,
    start_origin: &str,
    next: &str,
    from: &str,
) -> Result<Url, PageFailure> {
    let mut target = next.to_owned();
    if let Some((prefix, replacement)) = options
        .page_url_rewrite
        .iter()
        .find(|(p, _)| next.starts_with(p.as_str()))
    {
        target = format!("{replacement}{}", &next[prefix.len()..]);
    }
    let url = Url::parse(&target).map_err(|e| {
        PageFailure::new(
            from,
            Stage::Page,
            format!("the next-page link <{target}> is not a valid URL: {e}"),
        )
    })?;
    let o = origin(&url);
    if o != start_origin && !options.page_origins.contains(&o) {
        return Err(PageFailure::new(
            from,
            Stage::Page,
            format!(
                "the next-page link <{target}> leaves the source's origin ({start_origin}); list its origin in page_origins or map it with page_url_rewrite"
            ),
        ));
    }
    Ok(url)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn options(origins: &[&str], rewrite: &[(&str, &str)]) -> DcatOptions {
        DcatOptions {
            page_origins: origins.iter().map(|o| (*o).to_owned()).collect(),
            page_url_rewrite: rewrite
                .iter()
                .map(|(a, b)| ((*a).to_owned(), (*b).to_owned()))
                .collect(),
            ..DcatOptions::default()
        }
    }

    #[test]
    fn next_links_stay_on_the_sources_origin() {
        let o = options(&[], &[]);
        let start = "http://127.0.0.1:9000";
        let same = next_url(&o, start, "http://127.0.0.1:9000/catalog?page=2", "p1").unwrap();
        assert_eq!(same.as_str(), "http://127.0.0.1:9000/catalog?page=2");
        let e = next_url(&o, start, "http://127.0.0.1:9001/catalog?page=2", "p1").unwrap_err();
        assert!(
            e.message
                .contains("leaves the source's origin (http://127.0.0.1:9000)"),
            "{}",
            e.message
        );
        assert_eq!(e.url, "p1", "the failure is the page's that linked");
        let e = next_url(&o, start, "not a url", "p1").unwrap_err();
        assert!(e.message.contains("is not a valid URL"));
    }

    #[test]
    fn listed_origins_and_rewrites_are_followed() {
        let o = options(
            &["https://mirror.example"],
            &[("https://public.example/", "http://127.0.0.1:9000/")],
        );
        let start = "http://127.0.0.1:9000";
        let listed = next_url(&o, start, "https://mirror.example/p2", "p1").unwrap();
        assert_eq!(listed.as_str(), "https://mirror.example/p2");
        let rewritten = next_url(&o, start, "https://public.example/catalog?page=3", "p2").unwrap();
        assert_eq!(rewritten.as_str(), "http://127.0.0.1:9000/catalog?page=3");
    }
}
