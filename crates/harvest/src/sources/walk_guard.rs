//! What ends a walk that would not end by itself: more pages than `max_pages`, a page URL
//! fetched before, a page whose content an earlier page of the run had (a server that ignores
//! the paging parameter serves the same page under every URL).

use super::PageFailure;
use alzette_runlog::Stage;
use std::collections::HashSet;

pub(crate) struct WalkGuard {
    max_pages: u64,
    pages: u64,
    urls: HashSet<String>,
    contents: HashSet<String>,
}

impl WalkGuard {
    pub fn new(max_pages: u64) -> Self {
        Self {
            max_pages,
            pages: 0,
            urls: HashSet::new(),
            contents: HashSet::new(),
        }
    }

    /// Before a page is fetched: refuses the page past `max_pages`, or a URL fetched before.
    pub fn enter(&mut self, url: &str) -> Result<(), PageFailure> {
        self.within_max_pages(url)?;
        if !self.urls.insert(url.to_owned()) {
            return Err(PageFailure::new(
                url,
                Stage::Page,
                "paging loop: this page was already fetched in this run",
            ));
        }
        self.pages += 1;
        Ok(())
    }

    /// Before a page is fetched from a source whose pages share one URL (CSW asks by
    /// `startPosition`): refuses the page past `max_pages`.
    pub fn count(&mut self, at: &str) -> Result<(), PageFailure> {
        self.within_max_pages(at)?;
        self.pages += 1;
        Ok(())
    }

    fn within_max_pages(&self, at: &str) -> Result<(), PageFailure> {
        if self.pages < self.max_pages {
            return Ok(());
        }
        Err(PageFailure::new(
            at,
            Stage::Page,
            format!(
                "the walk stopped after {} pages (limit max_pages); the next page was not fetched",
                self.max_pages
            ),
        ))
    }

    /// Once a page's content is known (a hash of it): refuses content seen before in the run.
    pub fn check_content(&mut self, url: &str, content_hash: &str) -> Result<(), PageFailure> {
        if self.contents.insert(content_hash.to_owned()) {
            Ok(())
        } else {
            Err(PageFailure::new(
                url,
                Stage::Page,
                "paging loop: this page repeats the content of an earlier page of this run",
            ))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn max_pages_lets_exactly_that_many_through() {
        let mut g = WalkGuard::new(2);
        assert!(g.enter("p1").is_ok());
        assert!(g.enter("p2").is_ok());
        let e = g.enter("p3").unwrap_err();
        assert_eq!(e.stage, Stage::Page);
        assert!(
            e.message.contains("after 2 pages (limit max_pages)"),
            "{}",
            e.message
        );
        assert_eq!(e.url, "p3");
        // Counted pages share the limit.
        let mut g = WalkGuard::new(1);
        assert!(g.count("start=1").is_ok());
        assert!(g.count("start=11").is_err());
    }

    #[test]
    fn a_url_fetched_before_is_a_loop() {
        let mut g = WalkGuard::new(100);
        g.enter("http://s/catalog?page=1").unwrap();
        g.enter("http://s/catalog?page=2").unwrap();
        let e = g.enter("http://s/catalog?page=1").unwrap_err();
        assert!(
            e.message
                .starts_with("paging loop: this page was already fetched")
        );
    }

    #[test]
    fn content_seen_before_under_another_url_is_a_loop() {
        let mut g = WalkGuard::new(100);
        g.check_content("a", "h1").unwrap();
        g.check_content("b", "h2").unwrap();
        let e = g.check_content("c", "h1").unwrap_err();
        assert!(e.message.contains("repeats the content of an earlier page"));
        assert_eq!(e.url, "c");
    }
}
