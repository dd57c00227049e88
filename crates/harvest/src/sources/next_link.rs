//! Where a DCAT page's next link leads: the run's URL policy decides (rewritten by
//! `page_url_rewrite`, only within the source's origin or the `page_origins` it lists, never to
//! a private address unless allowed), so a next link cannot take the walk anywhere a redirect
//! could not.

use super::PageFailure;
use crate::policy::UrlPolicy;
use alzette_runlog::Stage;
use url::Url;

/// The URL of the page `next` links to from the page `from`, or why the walk stops there.
pub(super) fn next_url(policy: &UrlPolicy, next: &str, from: &str) -> Result<Url, PageFailure> {
    let fail = |message: String| PageFailure::new(from, Stage::Page, message);
    let url = Url::parse(next).map_err(|e| {
        fail(format!(
            "the next-page link <{next}> is not a valid URL: {e}"
        ))
    })?;
    policy
        .admit(&url)
        .map_err(|denied| fail(format!("the next-page link {denied}")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_walk_stops_where_the_policy_refuses() {
        let policy = UrlPolicy::for_origins(&["http://127.0.0.1:9000"], &[], true);
        let same = next_url(&policy, "http://127.0.0.1:9000/catalog?page=2", "p1").unwrap();
        assert_eq!(same.as_str(), "http://127.0.0.1:9000/catalog?page=2");
        let e = next_url(&policy, "http://127.0.0.1:9001/catalog?page=2", "p1").unwrap_err();
        assert_eq!(e.url, "p1", "the failure is the page's that linked");
        assert!(
            e.message.starts_with("the next-page link <http://127.0.0.1:9001/catalog?page=2> leaves the source's origin (http://127.0.0.1:9000)"),
            "{}",
            e.message
        );
        let e = next_url(&policy, "not a url", "p1").unwrap_err();
        assert!(e.message.contains("is not a valid URL"));
    }
}
