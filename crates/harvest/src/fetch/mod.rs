//! Fetching pages over HTTP(S) or from files, within explicit limits: time, size, redirects and
//! retries.

mod file;
mod redirect;

pub(crate) use file::folder_files;

use crate::policy::UrlPolicy;
use alzette_config::HarvestLimits;
use bytes::{Bytes, BytesMut};
use futures_util::StreamExt;
use redirect::Answer;
use reqwest::StatusCode;
use reqwest::header::{self, HeaderMap, HeaderValue};
use std::fmt;
use std::time::Duration;
use tokio_util::sync::CancellationToken;
use url::Url;

/// What the RDF sources are asked for, in order of preference.
const ACCEPT: &str = "text/turtle, application/rdf+xml;q=0.9, application/ld+json;q=0.9, \
                      application/n-triples;q=0.8, application/trig;q=0.5, */*;q=0.1";

/// What XML services (CSW) are asked for.
pub const ACCEPT_XML: &str = "application/xml, text/xml;q=0.9, */*;q=0.1";

/// What one request asks.
#[derive(Clone, Copy)]
enum Request<'a> {
    Get {
        cache_validators: Option<&'a CacheValidators>,
        accept: &'static str,
    },
    Post {
        body: &'a Bytes,
        content_type: &'static str,
        accept: &'static str,
    },
}

/// The longest wait a `Retry-After` header can impose.
const MAX_RETRY_AFTER: Duration = Duration::from_secs(300);

/// HTTP cache validators (ETag, Last-Modified) of a page fetched before: what a conditional
/// request sends. (Not to be confused with SHACL validation.)
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CacheValidators {
    pub etag: Option<String>,
    pub last_modified: Option<String>,
}

/// A fetched page.
#[derive(Debug)]
pub enum Fetched {
    Body {
        /// After redirects.
        url: Url,
        content_type: Option<String>,
        body: Bytes,
        cache_validators: CacheValidators,
    },
    /// The server answered 304 to the validators sent.
    NotModified,
}

/// Why a fetch failed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FetchErrorKind {
    /// HTTP status other than 2xx/304, after retries.
    Status(u16),
    /// The URL policy refused the URL (docs/reliability.md): nothing was requested.
    Denied,
    Timeout,
    Connect,
    TooLarge,
    Redirect,
    Io,
    Cancelled,
    Other,
}

#[derive(Debug, Clone)]
pub struct FetchError {
    pub url: String,
    pub kind: FetchErrorKind,
    pub message: String,
}

impl fmt::Display for FetchError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.url, self.message)
    }
}

impl std::error::Error for FetchError {}

/// The HTTP client could not be made (its TLS backend failed to start).
#[derive(Debug, thiserror::Error)]
#[error("cannot build the HTTP client: {0}")]
pub struct ClientError(reqwest::Error);

impl ClientError {
    pub(crate) fn new(e: reqwest::Error) -> Self {
        Self(e)
    }
}

/// Fetches with one source's limits, every URL (redirect hops included) through its policy.
#[derive(Clone)]
pub struct Fetcher {
    client: reqwest::Client,
    limits: HarvestLimits,
    policy: UrlPolicy,
}

impl Fetcher {
    /// A fetcher within `limits` that fetches only what `policy` admits.
    pub fn new(
        limits: &HarvestLimits,
        user_agent: &str,
        policy: UrlPolicy,
    ) -> Result<Self, ClientError> {
        // Redirects are followed by hand (redirect.rs), each hop through the policy; names are
        // resolved through it too, so that a name cannot lead to a refused address.
        let client = reqwest::Client::builder()
            .user_agent(user_agent)
            .redirect(reqwest::redirect::Policy::none())
            .dns_resolver(policy.resolver())
            .connect_timeout(limits.connect_timeout)
            .timeout(limits.request_timeout)
            .build()
            .map_err(ClientError)?;
        Ok(Self {
            client,
            limits: limits.clone(),
            policy,
        })
    }

    /// The policy this fetcher holds its URLs to.
    pub fn policy(&self) -> &UrlPolicy {
        &self.policy
    }

    /// Fetches `url`, sending `cache_validators` when given (a conditional request). Server
    /// errors (5xx, 429) and connection failures are retried with exponential backoff (and the
    /// server's `Retry-After`); the body is cut off with an error past `max_body_size`, counted
    /// after decompression.
    pub async fn fetch(
        &self,
        url: &Url,
        cache_validators: Option<&CacheValidators>,
        cancel: &CancellationToken,
    ) -> Result<Fetched, FetchError> {
        self.fetch_with_accept(url, cache_validators, ACCEPT, cancel)
            .await
    }

    /// [`fetch`](Self::fetch), asking for `accept` (e.g. [`ACCEPT_XML`]).
    pub async fn fetch_with_accept(
        &self,
        url: &Url,
        cache_validators: Option<&CacheValidators>,
        accept: &'static str,
        cancel: &CancellationToken,
    ) -> Result<Fetched, FetchError> {
        let url = &self.admit(url)?;
        if url.scheme() == "file" {
            return self.read_file(url).await;
        }
        self.send(
            url,
            Request::Get {
                cache_validators,
                accept,
            },
            cancel,
        )
        .await
    }

    /// POSTs `body` (a CSW request) to `url`, with the same limits and retries as a fetch.
    pub async fn post(
        &self,
        url: &Url,
        body: &Bytes,
        content_type: &'static str,
        accept: &'static str,
        cancel: &CancellationToken,
    ) -> Result<Fetched, FetchError> {
        let url = &self.admit(url)?;
        if url.scheme() == "file" {
            return Err(error(
                url,
                FetchErrorKind::Other,
                "a file cannot be POSTed to",
            ));
        }
        let request = Request::Post {
            body,
            content_type,
            accept,
        };
        self.send(url, request, cancel).await
    }

    /// The URL to fetch for `url` under the policy, or a fetch error saying why not.
    fn admit(&self, url: &Url) -> Result<Url, FetchError> {
        self.policy
            .admit(url)
            .map_err(|denied| error(url, FetchErrorKind::Denied, denied.to_string()))
    }

    /// One request to `url`, retried as the limits allow; a redirect is an answer.
    async fn send_with_retries(
        &self,
        url: &Url,
        request: Request<'_>,
        cancel: &CancellationToken,
    ) -> Result<Answer, FetchError> {
        let mut attempt = 0;
        loop {
            let result = tokio::select! {
                r = self.fetch_once(url, request) => r,
                () = cancel.cancelled() => return Err(error(url, FetchErrorKind::Cancelled, "cancelled")),
            };
            let failure = match result {
                Ok(fetched) => return Ok(fetched),
                Err(failure) => failure,
            };
            if !failure.retry || attempt >= self.limits.retries {
                return Err(failure.error);
            }
            let retry_after = failure.after;
            attempt += 1;
            let backoff = self
                .limits
                .retry_backoff
                .saturating_mul(1 << (attempt - 1).min(16));
            let delay = retry_after
                .unwrap_or(backoff + jitter(backoff))
                .min(MAX_RETRY_AFTER);
            tracing::debug!(%url, attempt, ?delay, "retrying");
            tokio::select! {
                () = tokio::time::sleep(delay) => {}
                () = cancel.cancelled() => return Err(error(url, FetchErrorKind::Cancelled, "cancelled")),
            }
        }
    }

    async fn fetch_once(&self, url: &Url, request: Request<'_>) -> Result<Answer, Retryable> {
        let mut headers = HeaderMap::new();
        let (cache_validators, accept) = match request {
            Request::Get {
                cache_validators,
                accept,
            } => (cache_validators, accept),
            Request::Post {
                content_type,
                accept,
                ..
            } => {
                headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
                (None, accept)
            }
        };
        headers.insert(header::ACCEPT, HeaderValue::from_static(accept));
        if let Some(v) = cache_validators {
            if let Some(etag) = v
                .etag
                .as_deref()
                .and_then(|e| HeaderValue::from_str(e).ok())
            {
                headers.insert(header::IF_NONE_MATCH, etag);
            }
            if let Some(lm) = v
                .last_modified
                .as_deref()
                .and_then(|e| HeaderValue::from_str(e).ok())
            {
                headers.insert(header::IF_MODIFIED_SINCE, lm);
            }
        }
        let builder = match request {
            Request::Get { .. } => self.client.get(url.clone()),
            Request::Post { body, .. } => self.client.post(url.clone()).body(body.clone()),
        };
        let response = builder
            .headers(headers)
            .send()
            .await
            .map_err(|e| classify(url, &e))?;
        let status = response.status();
        if status == StatusCode::NOT_MODIFIED {
            return Ok(Answer::Fetched(Fetched::NotModified));
        }
        if status.is_redirection()
            && let Some(location) = response.headers().get(header::LOCATION)
        {
            return Ok(Answer::Redirect {
                status: status.as_u16(),
                location: location.to_str().unwrap_or_default().to_owned(),
            });
        }
        if !status.is_success() {
            // 501 and 505 say what the server cannot do, not that it is busy: no retry.
            let retryable = (status.is_server_error()
                && !matches!(
                    status,
                    StatusCode::NOT_IMPLEMENTED | StatusCode::HTTP_VERSION_NOT_SUPPORTED
                ))
                || status == StatusCode::TOO_MANY_REQUESTS;
            let after = retry_after(response.headers());
            let err = error(
                url,
                FetchErrorKind::Status(status.as_u16()),
                format!("HTTP {status}"),
            );
            return Err(if retryable {
                Retryable::new(err, after)
            } else {
                Retryable::fatal(err)
            });
        }
        let final_url = response.url().clone();
        let header_text = |name| {
            response
                .headers()
                .get(name)
                .and_then(|v: &HeaderValue| v.to_str().ok())
                .map(str::to_owned)
        };
        let content_type = header_text(header::CONTENT_TYPE);
        let cache_validators = CacheValidators {
            etag: header_text(header::ETAG),
            last_modified: header_text(header::LAST_MODIFIED),
        };
        let limit = self.limits.max_body_size;
        if response.content_length().is_some_and(|len| len > limit) {
            return Err(Retryable::fatal(too_large(url, limit)));
        }
        let mut body = BytesMut::new();
        let mut stream = response.bytes_stream();
        while let Some(chunk) = stream.next().await {
            let chunk = chunk.map_err(|e| classify(url, &e))?;
            if body.len() as u64 + chunk.len() as u64 > limit {
                return Err(Retryable::fatal(too_large(url, limit)));
            }
            body.extend_from_slice(&chunk);
        }
        Ok(Answer::Fetched(Fetched::Body {
            url: final_url,
            content_type,
            body: body.freeze(),
            cache_validators,
        }))
    }
}

/// A failed attempt, and whether (and when) it may be tried again.
struct Retryable {
    error: FetchError,
    retry: bool,
    after: Option<Duration>,
}

impl Retryable {
    fn new(error: FetchError, after: Option<Duration>) -> Self {
        Self {
            error,
            retry: true,
            after,
        }
    }

    fn fatal(error: FetchError) -> Self {
        Self {
            error,
            retry: false,
            after: None,
        }
    }
}

fn error(url: &Url, kind: FetchErrorKind, message: impl Into<String>) -> FetchError {
    FetchError {
        url: url.to_string(),
        kind,
        message: message.into(),
    }
}

fn too_large(url: &Url, limit: u64) -> FetchError {
    error(
        url,
        FetchErrorKind::TooLarge,
        format!("the body is larger than {limit} bytes (limit max_body_size)"),
    )
}

fn classify(url: &Url, e: &reqwest::Error) -> Retryable {
    use std::error::Error as _;
    let mut message = e.to_string();
    let mut source = e.source();
    while let Some(s) = source {
        message.push_str(": ");
        message.push_str(&s.to_string());
        source = s.source();
    }
    if e.is_redirect() {
        return Retryable::fatal(error(url, FetchErrorKind::Redirect, message));
    }
    if e.is_timeout() {
        return Retryable::new(
            error(
                url,
                FetchErrorKind::Timeout,
                format!("timed out (limit request_timeout): {message}"),
            ),
            None,
        );
    }
    if e.is_connect() {
        return Retryable::new(error(url, FetchErrorKind::Connect, message), None);
    }
    // Resets and truncated bodies: worth another try.
    Retryable::new(error(url, FetchErrorKind::Other, message), None)
}

fn retry_after(headers: &HeaderMap) -> Option<Duration> {
    let value = headers.get(header::RETRY_AFTER)?.to_str().ok()?.trim();
    if let Ok(secs) = value.parse::<u64>() {
        return Some(Duration::from_secs(secs));
    }
    let when = httpdate::parse_http_date(value).ok()?;
    Some(
        when.duration_since(std::time::SystemTime::now())
            .unwrap_or_default(),
    )
}

/// Up to half of `base`, varying from call to call, so that retries of many clients spread out.
fn jitter(base: Duration) -> Duration {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.subsec_nanos())
        .unwrap_or(0);
    base.mul_f64(f64::from(nanos % 1000) / 2000.0)
}
