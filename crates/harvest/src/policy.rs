//! The one policy every URL a run fetches passes: the source's URL, its next links, every
//! redirect hop, the documents an ISO source lists, and the links the link checker follows.
//!
//! - Only `http(s)` URLs, and `file:` URLs for a source whose own URL is a file: within that
//!   file's folder (a next link cannot reach the rest of the disk).
//! - Pages stay on the source's origin, or an origin `page_origins` lists; `page_url_rewrite`
//!   maps a URL first (a catalogue that names its public address behind a proxy).
//! - Loopback, private and link-local addresses are refused unless the source's own URL is
//!   one (an intranet source) or `allow_private_addresses` says so: checked on the URL's host
//!   when it is an address, and on every address a name resolves to when it is a name (the
//!   resolver below), so a harvested page cannot make Alzette probe the operator's network.

use alzette_config::{SourceConfig, SourceKind};
use reqwest::dns::{Addrs, Name, Resolve, Resolving};
use std::net::{IpAddr, SocketAddr};
use std::path::PathBuf;
use std::sync::Arc;
use url::Url;

/// Why a URL is not fetched.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Denied {
    #[error("<{0}> is not an http(s) URL")]
    Scheme(String),
    #[error(
        "<{url}> leaves the source's origin ({origin}); list its origin in page_origins or map it with page_url_rewrite"
    )]
    Origin { url: String, origin: String },
    #[error(
        "<{url}> is a loopback, private or link-local address ({address}); Alzette fetches from such addresses only for a source whose own URL is one, or with allow_private_addresses"
    )]
    Private { url: String, address: String },
    #[error(
        "<{url}> is outside the folder of the source's file ({folder}); a file source reads only there"
    )]
    OutsideFolder { url: String, folder: String },
    #[error("<{0}> is not a valid URL")]
    Invalid(String),
}

/// What URLs one run may fetch.
#[derive(Debug, Clone)]
pub struct UrlPolicy {
    /// Origins pages may come from; `None` for any (the link checker, shapes).
    origins: Option<Vec<String>>,
    /// `page_url_rewrite`: (prefix, replacement).
    rewrite: Vec<(String, String)>,
    private_allowed: bool,
    /// For a `file:` source, the folder its files must be in; `None`: no file is read.
    folder: Option<PathBuf>,
}

impl UrlPolicy {
    /// The policy of a source's run.
    pub fn for_source(config: &SourceConfig) -> Self {
        let mut origins = vec![origin(&config.url)];
        let mut rewrite = Vec::new();
        match &config.kind {
            SourceKind::Dcat(options) => {
                origins.extend(options.page_origins.iter().cloned());
                rewrite.clone_from(&options.page_url_rewrite);
            }
            // An ISO source reads the documents its configuration lists, wherever they are.
            SourceKind::Iso19139(options) => origins.extend(options.urls.iter().map(origin)),
            SourceKind::Csw(_) | SourceKind::Vocabulary => {}
        }
        Self {
            origins: Some(origins),
            rewrite,
            private_allowed: config.limits.allow_private_addresses || is_private_url(&config.url),
            folder: file_folder(&config.url),
        }
    }

    /// Any http(s) origin, no file; private addresses as `private_allowed` says. For the links
    /// a record names.
    pub fn any_origin(private_allowed: bool) -> Self {
        Self {
            origins: None,
            rewrite: Vec::new(),
            private_allowed,
            folder: None,
        }
    }

    /// For a document the configuration names (a shapes file): the operator chose it, so any
    /// origin, their own network included; a file only in its own folder.
    pub fn configured(url: &Url) -> Self {
        Self {
            origins: None,
            rewrite: Vec::new(),
            private_allowed: true,
            folder: file_folder(url),
        }
    }

    /// A policy of these origins and rewrites, for tests.
    #[cfg(test)]
    pub(crate) fn for_origins(
        origins: &[&str],
        rewrite: &[(&str, &str)],
        private_allowed: bool,
    ) -> Self {
        Self {
            origins: Some(origins.iter().map(|o| (*o).to_owned()).collect()),
            rewrite: rewrite
                .iter()
                .map(|(a, b)| ((*a).to_owned(), (*b).to_owned()))
                .collect(),
            private_allowed,
            folder: None,
        }
    }

    /// Whether addresses of the operator's network may be fetched from.
    pub fn private_allowed(&self) -> bool {
        self.private_allowed
    }

    /// The URL to fetch for `url` (rewritten as configured), or why it is not fetched.
    pub fn admit(&self, url: &Url) -> Result<Url, Denied> {
        let text = url.as_str();
        let url = match self
            .rewrite
            .iter()
            .find(|(p, _)| text.starts_with(p.as_str()))
        {
            Some((prefix, replacement)) => {
                let target = format!("{replacement}{}", &text[prefix.len()..]);
                Url::parse(&target).map_err(|_| Denied::Invalid(target))?
            }
            None => url.clone(),
        };
        match url.scheme() {
            "file" => self.admit_file(url),
            "http" | "https" => {
                let o = origin(&url);
                if let Some(origins) = &self.origins
                    && !origins.contains(&o)
                {
                    return Err(Denied::Origin {
                        url: url.to_string(),
                        origin: origins[0].clone(),
                    });
                }
                if !self.private_allowed
                    && let Some(address) = private_host(&url)
                {
                    return Err(Denied::Private {
                        url: url.to_string(),
                        address,
                    });
                }
                Ok(url)
            }
            _ => Err(Denied::Scheme(url.to_string())),
        }
    }

    fn admit_file(&self, url: Url) -> Result<Url, Denied> {
        let Some(folder) = &self.folder else {
            return Err(Denied::Scheme(url.to_string()));
        };
        let outside = || Denied::OutsideFolder {
            url: url.to_string(),
            folder: folder.display().to_string(),
        };
        let path = url.to_file_path().map_err(|()| outside())?;
        // Symbolic links and `..` are resolved first; a file that does not exist yet is
        // judged by its folder.
        let real = path
            .canonicalize()
            .or_else(|_| {
                let parent = path.parent().ok_or(())?.canonicalize().map_err(|_| ())?;
                Ok::<_, ()>(parent.join(path.file_name().ok_or(())?))
            })
            .map_err(|()| outside())?;
        if real.starts_with(folder) {
            Ok(url)
        } else {
            Err(outside())
        }
    }

    /// The resolver that keeps the policy at connection time: a name that resolves to a
    /// private address is refused, whatever the URL looked like.
    pub fn resolver(&self) -> Arc<PolicyResolver> {
        Arc::new(PolicyResolver {
            private_allowed: self.private_allowed,
        })
    }
}

/// Resolves names as the system does, then drops the addresses the policy refuses.
#[derive(Debug)]
pub struct PolicyResolver {
    private_allowed: bool,
}

impl Resolve for PolicyResolver {
    fn resolve(&self, name: Name) -> Resolving {
        let private_allowed = self.private_allowed;
        Box::pin(async move {
            let host = name.as_str().to_owned();
            let all: Vec<SocketAddr> = tokio::net::lookup_host((host.as_str(), 0)).await?.collect();
            let allowed: Vec<SocketAddr> = all
                .iter()
                .copied()
                .filter(|a| private_allowed || !is_private(a.ip()))
                .collect();
            if allowed.is_empty() && !all.is_empty() {
                return Err(Box::new(Denied::Private {
                    url: host,
                    address: all[0].ip().to_string(),
                })
                    as Box<dyn std::error::Error + Send + Sync>);
            }
            Ok(Box::new(allowed.into_iter()) as Addrs)
        })
    }
}

/// What a page may link to: the same scheme, host and port (for `file:` URLs, any file; the
/// folder rule confines them).
pub fn origin(url: &Url) -> String {
    match url.scheme() {
        "file" => "file://".to_owned(),
        _ => url.origin().ascii_serialization(),
    }
}

/// The folder a `file:` source is confined to: its own folder, or the folder it names.
fn file_folder(url: &Url) -> Option<PathBuf> {
    let path = url.to_file_path().ok()?;
    let folder = if path.is_dir() {
        path
    } else {
        path.parent()?.to_owned()
    };
    Some(folder.canonicalize().unwrap_or(folder))
}

/// Whether a source's own URL is on the operator's network (an intranet source).
fn is_private_url(url: &Url) -> bool {
    private_host(url).is_some()
}

/// The host of `url` when it is a private address or `localhost`.
fn private_host(url: &Url) -> Option<String> {
    match url.host()? {
        url::Host::Ipv4(ip) => is_private(IpAddr::V4(ip)).then(|| ip.to_string()),
        url::Host::Ipv6(ip) => is_private(IpAddr::V6(ip)).then(|| ip.to_string()),
        url::Host::Domain(name) => {
            let name = name.trim_end_matches('.').to_ascii_lowercase();
            (name == "localhost" || name.ends_with(".localhost")).then_some(name)
        }
    }
}

/// Loopback, private (RFC 1918, unique local), link-local, shared (CGNAT), unspecified,
/// broadcast and benchmarking addresses, and IPv4 addresses mapped into IPv6.
pub fn is_private(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => {
            let [a, b, ..] = v4.octets();
            v4.is_loopback()
                || v4.is_private()
                || v4.is_link_local()
                || v4.is_unspecified()
                || v4.is_broadcast()
                || (a == 100 && (64..128).contains(&b))
                || (a == 198 && (18..20).contains(&b))
                || a == 0
        }
        IpAddr::V6(v6) => {
            if let Some(v4) = v6.to_ipv4_mapped() {
                return is_private(IpAddr::V4(v4));
            }
            let first = v6.segments()[0];
            v6.is_loopback()
                || v6.is_unspecified()
                || (first & 0xfe00) == 0xfc00
                || (first & 0xffc0) == 0xfe80
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn url(s: &str) -> Url {
        Url::parse(s).unwrap()
    }

    fn source(toml_extra: &str, source_url: &str) -> SourceConfig {
        let dir = std::env::temp_dir();
        let file = dir.join(format!("policy-{}.toml", std::process::id()));
        std::fs::write(
            &file,
            format!(
                "[[source]]\nid = \"s\"\nkind = \"dcat\"\nurl = \"{source_url}\"\nschedule = \"0 3 * * *\"\n{toml_extra}\n"
            ),
        )
        .unwrap();
        let config = alzette_config::Config::load(&file).unwrap();
        config.sources[0].clone()
    }

    #[test]
    fn private_addresses() {
        for private in [
            "127.0.0.1",
            "10.1.2.3",
            "172.16.0.1",
            "192.168.1.1",
            "169.254.169.254",
            "100.64.0.1",
            "0.0.0.0",
            "::1",
            "fd00::1",
            "fe80::1",
            "::ffff:127.0.0.1",
        ] {
            assert!(is_private(private.parse().unwrap()), "{private}");
        }
        for public in ["8.8.8.8", "193.0.14.129", "2001:db8::1", "2a00:1450::1"] {
            assert!(!is_private(public.parse().unwrap()), "{public}");
        }
    }

    #[test]
    fn a_public_source_reaches_neither_private_addresses_nor_other_origins() {
        let policy = UrlPolicy::for_source(&source("", "https://data.example.lu/catalog"));
        assert!(
            policy
                .admit(&url("https://data.example.lu/catalog?page=2"))
                .is_ok()
        );
        let denied = policy
            .admit(&url("https://data.example.lu:8443/x"))
            .unwrap_err();
        assert!(matches!(denied, Denied::Origin { .. }), "{denied}");
        let any = UrlPolicy::any_origin(policy.private_allowed());
        for internal in [
            "http://127.0.0.1:9000/",
            "http://169.254.169.254/latest/meta-data/",
            "http://[::1]/",
            "http://localhost:8080/admin",
        ] {
            let denied = any.admit(&url(internal)).unwrap_err();
            assert!(
                matches!(denied, Denied::Private { .. }),
                "{internal}: {denied}"
            );
        }
        assert!(matches!(
            any.admit(&url("ftp://e.org/x")),
            Err(Denied::Scheme(_))
        ));
        assert!(matches!(
            any.admit(&url("file:///etc/passwd")),
            Err(Denied::Scheme(_))
        ));
    }

    #[test]
    fn an_intranet_source_or_the_operator_allows_private_addresses() {
        let local = UrlPolicy::for_source(&source("", "http://127.0.0.1:9000/c.ttl"));
        assert!(
            local
                .admit(&url("http://127.0.0.1:9000/c.ttl?page=2"))
                .is_ok()
        );
        let allowed = UrlPolicy::for_source(&source(
            "allow_private_addresses = true",
            "https://data.example.lu/c",
        ));
        assert!(
            UrlPolicy::any_origin(allowed.private_allowed())
                .admit(&url("http://10.0.0.5/file.csv"))
                .is_ok()
        );
    }

    #[test]
    fn rewrites_apply_before_the_origin_rule() {
        let policy = UrlPolicy::for_source(&source(
            "page_url_rewrite = { \"https://public.example/\" = \"http://127.0.0.1:9000/\" }",
            "http://127.0.0.1:9000/catalog",
        ));
        let admitted = policy
            .admit(&url("https://public.example/catalog?page=3"))
            .unwrap();
        assert_eq!(admitted.as_str(), "http://127.0.0.1:9000/catalog?page=3");
    }

    #[test]
    fn a_file_source_reads_only_its_folder() {
        let dir = tempfile::tempdir().unwrap();
        let folder = dir.path().join("catalogue");
        std::fs::create_dir(&folder).unwrap();
        std::fs::write(folder.join("c.ttl"), "").unwrap();
        std::fs::write(folder.join("page2.ttl"), "").unwrap();
        std::fs::write(dir.path().join("secret.ttl"), "").unwrap();
        let start = Url::from_file_path(folder.join("c.ttl")).unwrap();
        let policy = UrlPolicy::for_source(&source("", start.as_str()));
        assert!(
            policy
                .admit(&Url::from_file_path(folder.join("page2.ttl")).unwrap())
                .is_ok()
        );
        let escape = url(&format!(
            "{}/../secret.ttl",
            Url::from_file_path(&folder).unwrap()
        ));
        assert!(
            matches!(policy.admit(&escape), Err(Denied::OutsideFolder { .. })),
            "{escape}"
        );
        assert!(matches!(
            policy.admit(&url("file:///etc/passwd")),
            Err(Denied::OutsideFolder { .. })
        ));
    }
}
