//! The link checker behind the quality score's reachability metrics: does a dataset's access
//! or download URL answer? Off unless `[quality] check_links`.
//!
//! Polite by construction: a bounded number of checks at once, a least interval between two
//! requests to one host, HEAD first and GET only when HEAD is refused or fails (the body of a
//! GET is never read), results kept in the run log and reused until `link_recheck` has passed,
//! and at most `max_links_per_run` URLs checked by one run (the rest wait for the next).
//!
//! And harmless: a record names its links, so each URL and each redirect hop passes the URL
//! policy (`policy.rs`): no private, loopback or link-local address unless the record's source
//! is on such an address or allowed them; a refused link is "not checked", never requested.

use crate::fetch::ClientError;
use crate::policy::UrlPolicy;
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
    policy: UrlPolicy,
    config: QualityConfig,
    /// When each host may be asked next.
    next_slot: Mutex<HashMap<String, Instant>>,
}

impl LinkChecker {
    /// A checker that requests only what `policy` admits (redirect hops included).
    pub fn new(
        config: &QualityConfig,
        user_agent: &str,
        policy: UrlPolicy,
    ) -> Result<Self, ClientError> {
        let client = reqwest::Client::builder()
            .user_agent(user_agent)
            .timeout(config.link_timeout)
            .connect_timeout(config.link_timeout)
            .redirect(reqwest::redirect::Policy::none())
            .dns_resolver(policy.resolver())
            .build()
            .map_err(ClientError::new)?;
        Ok(Self {
            client,
            policy,
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

    /// One check: HEAD, then GET when HEAD is refused or fails; redirects followed by hand,
    /// each hop through the policy.
    pub async fn check(&self, url: &str) -> LinkStatus {
        let not_checked = |error: String| LinkStatus {
            status: None,
            error: Some(error),
            checked: Utc::now(),
        };
        let Ok(mut url) = url::Url::parse(url) else {
            return not_checked("not a URL".into());
        };
        for _ in 0..=MAX_REDIRECTS {
            url = match self.policy.admit(&url) {
                Ok(admitted) => admitted,
                Err(denied) => return not_checked(format!("not checked: {denied}")),
            };
            let answer = match self.head_or_get(&url).await {
                Ok(answer) => answer,
                Err(e) => return not_checked(describe(&e)),
            };
            let location = answer
                .headers()
                .get(reqwest::header::LOCATION)
                .and_then(|l| l.to_str().ok())
                .and_then(|l| url.join(l).ok());
            match location {
                Some(next) if answer.status().is_redirection() => url = next,
                _ => {
                    return LinkStatus {
                        status: Some(answer.status().as_u16()),
                        error: None,
                        checked: Utc::now(),
                    };
                }
            }
        }
        not_checked(format!("more than {MAX_REDIRECTS} redirects"))
    }

    /// HEAD, or GET when HEAD is refused or fails. Dropping the response unread closes the
    /// connection: a GET's body is never downloaded.
    async fn head_or_get(&self, url: &url::Url) -> reqwest::Result<reqwest::Response> {
        let host = url.host_str().unwrap_or_default();
        self.wait_for_host(host).await;
        let head = self.client.head(url.clone()).send().await;
        let retry_with_get = match &head {
            Ok(r) => matches!(r.status().as_u16(), 400 | 403 | 405 | 406 | 500 | 501),
            Err(_) => true,
        };
        if !retry_with_get {
            return head;
        }
        self.wait_for_host(host).await;
        self.client.get(url.clone()).send().await
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

/// Why a request got no answer, in a few words.
fn describe(e: &reqwest::Error) -> String {
    if e.is_timeout() {
        "timed out (limit quality.link_timeout)".into()
    } else if e.is_connect() {
        "cannot connect".into()
    } else {
        e.to_string()
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
