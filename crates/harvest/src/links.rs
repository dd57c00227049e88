//! The link checker behind the quality score's reachability metrics: does a dataset's access
//! or download URL answer? Off unless `[quality] check_links`.
//!
//! Polite by construction: a bounded number of checks at once, a least interval between two
//! requests to one host, HEAD first and GET only when HEAD is refused or fails (the body of a
//! GET is never read), results kept in the run log and reused until `link_recheck` has passed,
//! and at most `max_links_per_run` URLs checked by one run (the rest wait for the next).

use crate::fetch::ClientError;
use alzette_config::QualityConfig;
use alzette_runlog::{LinkStatus, RunLog};
use chrono::Utc;
use futures_util::StreamExt;
use std::collections::HashMap;
use std::sync::Mutex;
use std::time::Duration;
use tokio::time::Instant;

/// Redirects a check follows; more is an unreachable URL.
const MAX_REDIRECTS: usize = 5;

pub struct LinkChecker {
    client: reqwest::Client,
    config: QualityConfig,
    /// When each host may be asked next.
    next_slot: Mutex<HashMap<String, Instant>>,
}

impl LinkChecker {
    pub fn new(config: &QualityConfig, user_agent: &str) -> Result<Self, ClientError> {
        let client = reqwest::Client::builder()
            .user_agent(user_agent)
            .timeout(config.link_timeout)
            .connect_timeout(config.link_timeout)
            .redirect(reqwest::redirect::Policy::limited(MAX_REDIRECTS))
            .build()
            .map_err(ClientError::new)?;
        Ok(Self {
            client,
            config: config.clone(),
            next_slot: Mutex::new(HashMap::new()),
        })
    }

    /// Whether the run log's result for `url` is recent enough to reuse.
    pub fn is_fresh(&self, status: &LinkStatus) -> bool {
        let age = Utc::now() - status.checked;
        age.to_std().is_ok_and(|age| age < self.config.link_recheck)
    }

    /// Checks the `urls` whose result is missing or stale, within `budget` checks; records the
    /// results in `runlog`. Returns how many were checked.
    pub async fn check_stale(&self, urls: &[String], runlog: &RunLog, budget: &mut usize) -> usize {
        let mut due: Vec<String> = Vec::new();
        for url in urls {
            if due.len() >= *budget {
                break;
            }
            let known = runlog.link(url).ok().flatten();
            if !known.is_some_and(|k| self.is_fresh(&k)) && !due.contains(url) {
                due.push(url.clone());
            }
        }
        *budget -= due.len();
        let checked = due.len();
        // Futures made by a named function (not a closure's async block) stay `Send` for any
        // lifetime, which the scheduler's spawned runs need.
        let mut results =
            futures_util::stream::iter(due.into_iter().map(|url| self.check_owned(url)))
                .buffer_unordered(self.config.link_concurrency);
        while let Some((url, status)) = results.next().await {
            if let Err(e) = runlog.put_link(&url, &status) {
                tracing::warn!(%url, "cannot record a link check: {e}");
            }
        }
        checked
    }

    async fn check_owned(&self, url: String) -> (String, LinkStatus) {
        let status = self.check(&url).await;
        (url, status)
    }

    /// One check: HEAD, then GET when HEAD is refused or fails.
    pub async fn check(&self, url: &str) -> LinkStatus {
        let parsed = match url::Url::parse(url) {
            Ok(u) if matches!(u.scheme(), "http" | "https") => u,
            _ => {
                return LinkStatus {
                    status: None,
                    error: Some("not an http(s) URL".into()),
                    checked: Utc::now(),
                };
            }
        };
        self.wait_for_host(parsed.host_str().unwrap_or_default())
            .await;
        let head = self.client.head(parsed.clone()).send().await;
        let retry_with_get = match &head {
            Ok(r) => matches!(r.status().as_u16(), 400 | 403 | 405 | 406 | 500 | 501),
            Err(_) => true,
        };
        let answer = if retry_with_get {
            self.wait_for_host(parsed.host_str().unwrap_or_default())
                .await;
            // Dropping the response unread closes the connection: the body is never downloaded.
            self.client.get(parsed).send().await
        } else {
            head
        };
        match answer {
            Ok(r) => LinkStatus {
                status: Some(r.status().as_u16()),
                error: None,
                checked: Utc::now(),
            },
            Err(e) => LinkStatus {
                status: None,
                error: Some(if e.is_timeout() {
                    "timed out (limit quality.link_timeout)".into()
                } else if e.is_connect() {
                    "cannot connect".into()
                } else if e.is_redirect() {
                    format!("more than {MAX_REDIRECTS} redirects")
                } else {
                    e.to_string()
                }),
                checked: Utc::now(),
            },
        }
    }

    /// Waits until `host` may be asked again, and books the next slot.
    async fn wait_for_host(&self, host: &str) {
        let slot = {
            let mut slots = self.next_slot.lock().expect("host slots lock");
            let now = Instant::now();
            let slot = slots.get(host).copied().filter(|t| *t > now).unwrap_or(now);
            slots.insert(host.to_owned(), slot + self.config.link_host_interval);
            slot
        };
        tokio::time::sleep_until(slot).await;
    }
}

/// What the score reads: a URL's result, when there is one (stale ones too: a result from last
/// week says more than none).
pub fn reachable(runlog: &RunLog, url: &str) -> Option<bool> {
    runlog.link(url).ok().flatten().map(|s| s.reachable())
}

/// Which recheck period `now` is in: pages read in an earlier one are read again, so that
/// their datasets' links are checked again and their scores follow.
pub fn recheck_epoch(config: &QualityConfig) -> u64 {
    let period = config.link_recheck.max(Duration::from_secs(1)).as_secs();
    (Utc::now().timestamp().max(0) as u64) / period
}
