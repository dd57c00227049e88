//! Redirects, followed by hand so that every hop passes the URL policy (the source's origins,
//! no private address, no other scheme) as the first URL did, within `max_redirects`, never
//! twice to one URL.

use super::{FetchError, FetchErrorKind, Fetched, Fetcher, Request, error};
use tokio_util::sync::CancellationToken;
use url::Url;

/// What one request got: a page (or a 304), or a redirect to follow.
pub(super) enum Answer {
    Fetched(Fetched),
    Redirect { status: u16, location: String },
}

impl Fetcher {
    /// Sends `request` to `url`, following redirects through the policy.
    pub(super) async fn send(
        &self,
        url: &Url,
        request: Request<'_>,
        cancel: &CancellationToken,
    ) -> Result<Fetched, FetchError> {
        let mut url = url.clone();
        let mut request = request;
        let mut visited = vec![url.clone()];
        loop {
            let (status, location) = match self.send_with_retries(&url, request, cancel).await? {
                Answer::Fetched(fetched) => return Ok(fetched),
                Answer::Redirect { status, location } => (status, location),
            };
            let refused = |message: String| {
                error(
                    &url,
                    FetchErrorKind::Redirect,
                    format!("HTTP {status}: {message}"),
                )
            };
            let next = url
                .join(&location)
                .map_err(|_| refused(format!("the redirect to {location:?} is not a URL")))?;
            let next = self
                .policy
                .admit(&next)
                .map_err(|denied| refused(format!("the redirect to {denied}; not followed")))?;
            if visited.contains(&next) {
                return Err(refused(format!("a redirect loop back to <{next}>")));
            }
            if visited.len() > self.limits.max_redirects {
                return Err(refused(format!(
                    "more than {} redirects (limit max_redirects)",
                    self.limits.max_redirects
                )));
            }
            // As browsers do: 301, 302 and 303 after a POST are followed with a GET.
            if matches!(request, Request::Post { .. }) && matches!(status, 301..=303) {
                request = Request::Get {
                    cache_validators: None,
                    accept: request.accept(),
                };
            }
            tracing::debug!(from = %url, to = %next, status, "following a redirect");
            visited.push(next.clone());
            url = next;
        }
    }
}

impl Request<'_> {
    fn accept(&self) -> &'static str {
        match self {
            Self::Get { accept, .. } | Self::Post { accept, .. } => accept,
        }
    }
}
