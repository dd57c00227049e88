//! Identity across sources: what a record says that names its resource (its IRI, its
//! identifiers, optionally its landing page or its download URLs), normalised so that two
//! sources writing the same identifier differently still compare equal.
//!
//! Records of different sources whose resources share an [`IdentityValue`] describe the same
//! resource (the store clusters them and publishes one). Which values a record offers is its
//! source's choice ([`MatchKey`], `match_on` in the configuration).
//!
//! ```
//! use alzette_dcat::identity::{normalise_identifier, MatchKey, identity_values};
//! use oxrdf::{BlankNode, Literal, NamedNode, Triple};
//! assert_eq!(normalise_identifier("https://doi.org/10.5281/ZENODO.1"), Some("doi:10.5281/zenodo.1".into()));
//! assert_eq!(normalise_identifier("doi:10.5281/zenodo.1"), Some("doi:10.5281/zenodo.1".into()));
//! assert_eq!(normalise_identifier("HTTPS://Geo.Example/id/"), Some("https://geo.example/id".into()));
//!
//! let dataset = NamedNode::new("https://a.example/ds/1").unwrap();
//! let id = BlankNode::default();
//! let triples = vec![
//!     Triple::new(dataset.clone(), alzette_vocab::adms::IDENTIFIER, id.clone()),
//!     Triple::new(id, alzette_vocab::skos::NOTATION, Literal::from("10.5281/zenodo.1")),
//! ];
//! let values = identity_values(&dataset, &triples, &MatchKey::DEFAULTS);
//! assert!(values.iter().any(|v| v.value == "doi:10.5281/zenodo.1"));
//! ```

use alzette_vocab::{adms, dcat, dct, skos};
use oxrdf::{NamedNode, NamedOrBlankNode, Term, Triple};
use sha2::{Digest, Sha256};
use std::collections::{BTreeSet, HashSet};

/// What records may be matched on (`match_on`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum MatchKey {
    /// The resource's IRI.
    Iri,
    /// `adms:identifier`: its `skos:notation` (or the identifier's own IRI).
    AdmsIdentifier,
    /// `dct:identifier` when it is an absolute IRI, a URN or a DOI.
    Identifier,
    /// `dct:identifier` whatever its form: what the ISO mapping writes for the resource
    /// identifier (code space + code). On by default for CSW and ISO 19139 sources only.
    IsoIdentifier,
    /// `dcat:landingPage` (off by default: portals share landing pages between datasets).
    LandingPage,
    /// The set of the distributions' `dcat:downloadURL`s, compared as a whole (off by default).
    DownloadUrls,
}

impl MatchKey {
    /// What every DCAT source matches on unless it says otherwise.
    pub const DEFAULTS: [MatchKey; 3] = [Self::Iri, Self::AdmsIdentifier, Self::Identifier];

    /// The name used in the configuration.
    pub fn name(self) -> &'static str {
        match self {
            Self::Iri => "iri",
            Self::AdmsIdentifier => "adms_identifier",
            Self::Identifier => "identifier",
            Self::IsoIdentifier => "iso_identifier",
            Self::LandingPage => "landing_page",
            Self::DownloadUrls => "download_urls",
        }
    }

    pub fn from_name(name: &str) -> Option<Self> {
        [
            Self::Iri,
            Self::AdmsIdentifier,
            Self::Identifier,
            Self::IsoIdentifier,
            Self::LandingPage,
            Self::DownloadUrls,
        ]
        .into_iter()
        .find(|k| k.name() == name)
    }

    /// Values of these keys compare with each other: an IRI with an identifier, a DOI in
    /// `adms:identifier` with one in `dct:identifier`. Landing pages and download URLs each
    /// compare only among themselves.
    fn space(self) -> u8 {
        match self {
            Self::Iri | Self::AdmsIdentifier | Self::Identifier | Self::IsoIdentifier => b'i',
            Self::LandingPage => b'l',
            Self::DownloadUrls => b'd',
        }
    }
}

/// One normalised value a record offers for matching, with the key it came from.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct IdentityValue {
    pub key: MatchKey,
    pub value: String,
}

/// The hash of an [`IdentityValue`] (what the store indexes: 16 bytes whatever the value).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct IdentityKey(pub [u8; 16]);

impl IdentityValue {
    pub fn hash(&self) -> IdentityKey {
        let mut h = Sha256::new();
        h.update([self.key.space(), 0]);
        h.update(self.value.as_bytes());
        let mut key = [0; 16];
        key.copy_from_slice(&h.finalize()[..16]);
        IdentityKey(key)
    }
}

/// Gathers what a record says about its resource's identity, from whatever order its triples
/// come in (a record's triples, or a scan of the store by predicate).
#[derive(Debug)]
pub struct IdentityCollector<'a> {
    match_on: &'a [MatchKey],
    values: BTreeSet<IdentityValue>,
    downloads: BTreeSet<String>,
}

impl<'a> IdentityCollector<'a> {
    pub fn new(resource: &str, match_on: &'a [MatchKey]) -> Self {
        let mut this = Self {
            match_on,
            values: BTreeSet::new(),
            downloads: BTreeSet::new(),
        };
        this.push(MatchKey::Iri, resource);
        this
    }

    /// Whether this record's source matches on `key` (a store scan skips what no source uses).
    pub fn uses(&self, key: MatchKey) -> bool {
        self.match_on.contains(&key)
    }

    fn push(&mut self, key: MatchKey, raw: &str) {
        if self.uses(key)
            && let Some(value) = normalise_identifier(raw)
        {
            self.values.insert(IdentityValue { key, value });
        }
    }

    /// A `dct:identifier` of the resource.
    pub fn identifier(&mut self, raw: &str) {
        if self.uses(MatchKey::IsoIdentifier) && is_distinctive(raw) {
            self.push(MatchKey::IsoIdentifier, raw);
        } else if is_absolute(raw) {
            self.push(MatchKey::Identifier, raw);
        }
    }

    /// An `adms:identifier` of the resource: its notation (or its IRI).
    pub fn adms_identifier(&mut self, raw: &str) {
        self.push(MatchKey::AdmsIdentifier, raw);
    }

    pub fn landing_page(&mut self, iri: &str) {
        self.push(MatchKey::LandingPage, iri);
    }

    /// A `dcat:downloadURL` of one of the resource's distributions.
    pub fn download_url(&mut self, iri: &str) {
        if let Some(v) = normalise_identifier(iri) {
            self.downloads.insert(v);
        }
    }

    pub fn finish(mut self) -> Vec<IdentityValue> {
        if self.uses(MatchKey::DownloadUrls) && !self.downloads.is_empty() {
            let joined = std::mem::take(&mut self.downloads)
                .into_iter()
                .collect::<Vec<_>>()
                .join(" ");
            self.values.insert(IdentityValue {
                key: MatchKey::DownloadUrls,
                value: joined,
            });
        }
        self.values.into_iter().collect()
    }
}

/// What a record about `resource` offers for matching, with the keys `match_on` allows.
pub fn identity_values(
    resource: &NamedNode,
    triples: &[Triple],
    match_on: &[MatchKey],
) -> Vec<IdentityValue> {
    let mut c = IdentityCollector::new(resource.as_str(), match_on);
    let subject: NamedOrBlankNode = resource.clone().into();
    let mut adms_nodes = HashSet::new();
    let mut distributions = HashSet::new();
    for t in triples.iter().filter(|t| t.subject == subject) {
        match (&t.object, t.predicate.as_ref()) {
            (o, p) if p == dct::IDENTIFIER => c.identifier(term_text(o)),
            (o, p) if p == adms::IDENTIFIER => {
                adms_nodes.insert(o.clone());
            }
            (Term::NamedNode(n), p) if p == dcat::LANDING_PAGE => c.landing_page(n.as_str()),
            (o, p) if p == dcat::DISTRIBUTION_PROPERTY => {
                distributions.insert(o.clone());
            }
            _ => {}
        }
    }
    for node in &adms_nodes {
        let notations: Vec<&Term> = triples
            .iter()
            .filter(|t| Term::from(t.subject.clone()) == *node && t.predicate == skos::NOTATION)
            .map(|t| &t.object)
            .collect();
        if notations.is_empty() {
            if let Term::NamedNode(n) = node {
                c.adms_identifier(n.as_str());
            }
        } else {
            for n in notations {
                c.adms_identifier(term_text(n));
            }
        }
    }
    if !distributions.is_empty() {
        for t in triples {
            if t.predicate == dcat::DOWNLOAD_URL
                && distributions.contains(&Term::from(t.subject.clone()))
                && let Term::NamedNode(url) = &t.object
            {
                c.download_url(url.as_str());
            }
        }
    }
    c.finish()
}

fn term_text(t: &Term) -> &str {
    match t {
        Term::NamedNode(n) => n.as_str(),
        Term::Literal(l) => l.value(),
        _ => "",
    }
}

/// The form identifiers are compared in:
/// - surrounding white space removed; nothing left → `None`;
/// - DOIs (`doi:10.…`, `https://doi.org/10.…`, `http://dx.doi.org/10.…`, `info:doi/10.…`,
///   a bare `10.NNNN/…`) as `doi:10.…`, in lower case (DOIs are case-insensitive);
/// - http(s) URLs with scheme and host in lower case, without a default port, a trailing `/`
///   or an empty fragment (`https://x.example/id/` = `https://X.example:443/id`);
/// - URNs with `urn:` and the namespace id in lower case;
/// - UUIDs in lower case (geoportals write them in both);
/// - anything else as written.
pub fn normalise_identifier(raw: &str) -> Option<String> {
    let v = raw.trim();
    if v.is_empty() {
        return None;
    }
    if let Some(doi) = doi_suffix(v) {
        return Some(format!("doi:{}", doi.to_lowercase()));
    }
    let lower = v.to_ascii_lowercase();
    if lower.starts_with("http://") || lower.starts_with("https://") {
        return Some(normalise_url(v));
    }
    if lower.starts_with("urn:") {
        let mut parts = v.splitn(3, ':');
        let (_, nid, rest) = (parts.next(), parts.next(), parts.next());
        return Some(match (nid, rest) {
            (Some(nid), Some(rest)) => format!("urn:{}:{rest}", nid.to_ascii_lowercase()),
            _ => lower,
        });
    }
    if is_uuid(v) {
        return Some(lower);
    }
    Some(v.to_owned())
}

fn doi_suffix(v: &str) -> Option<&str> {
    let lower = v.to_ascii_lowercase();
    for prefix in [
        "https://doi.org/",
        "http://doi.org/",
        "https://dx.doi.org/",
        "http://dx.doi.org/",
        "doi:",
        "info:doi/",
    ] {
        if lower.starts_with(prefix) {
            let rest = v[prefix.len()..].trim_start();
            return rest.starts_with("10.").then_some(rest);
        }
    }
    let (prefix, suffix) = v.split_once('/')?;
    let registrant = prefix.strip_prefix("10.")?;
    (!registrant.is_empty()
        && registrant.bytes().all(|b| b.is_ascii_digit() || b == b'.')
        && !suffix.is_empty()
        && !v.contains(char::is_whitespace))
    .then_some(v)
}

fn normalise_url(v: &str) -> String {
    let (scheme, rest) = v.split_once("://").unwrap_or(("", v));
    let scheme = scheme.to_ascii_lowercase();
    let (authority, path) = match rest.find(['/', '?', '#']) {
        Some(i) => rest.split_at(i),
        None => (rest, ""),
    };
    let mut host = authority.to_ascii_lowercase();
    let default_port = if scheme == "https" { ":443" } else { ":80" };
    if let Some(h) = host.strip_suffix(default_port) {
        host = h.to_owned();
    }
    let mut path = path.strip_suffix('#').unwrap_or(path);
    while let Some(p) = path.strip_suffix('/') {
        path = p;
    }
    format!("{scheme}://{host}{path}")
}

fn is_absolute(v: &str) -> bool {
    let lower = v.trim().to_ascii_lowercase();
    lower.starts_with("http://")
        || lower.starts_with("https://")
        || lower.starts_with("urn:")
        || doi_suffix(v.trim()).is_some()
}

/// Whether an identifier of any form is distinctive enough to compare: absolute, with a code
/// space, a UUID, or at least 8 characters (codes like `1` or `roads` would match unrelated
/// resources of two catalogues).
fn is_distinctive(v: &str) -> bool {
    let v = v.trim();
    is_absolute(v) || v.contains('/') || is_uuid(v) || v.chars().count() >= 8
}

fn is_uuid(v: &str) -> bool {
    let b = v.as_bytes();
    b.len() == 36
        && b.iter().enumerate().all(|(i, c)| match i {
            8 | 13 | 18 | 23 => *c == b'-',
            _ => c.is_ascii_hexdigit(),
        })
}

#[cfg(test)]
mod tests {
    use super::*;
    use oxrdf::{BlankNode, Literal};

    #[test]
    fn identifiers_compare_in_one_form() {
        let cases = [
            ("  doi:10.1000/ABC ", "doi:10.1000/abc"),
            ("https://doi.org/10.1000/abc", "doi:10.1000/abc"),
            ("http://dx.doi.org/10.1000/Abc", "doi:10.1000/abc"),
            ("info:doi/10.1000/abc", "doi:10.1000/abc"),
            ("10.1000/abc", "doi:10.1000/abc"),
            ("HTTPS://GEO.example:443/id/x/", "https://geo.example/id/x"),
            ("http://geo.example:80/id/x#", "http://geo.example/id/x"),
            ("https://geo.example/ID/X", "https://geo.example/ID/X"),
            ("URN:UUID:ABC", "urn:uuid:ABC"),
            (
                "6E1D3A0C-0D4C-4B1F-9A55-0123456789AB",
                "6e1d3a0c-0d4c-4b1f-9a55-0123456789ab",
            ),
            ("lu-sample-0001", "lu-sample-0001"),
        ];
        for (raw, normal) in cases {
            assert_eq!(normalise_identifier(raw).as_deref(), Some(normal), "{raw}");
        }
        assert_eq!(normalise_identifier("   "), None);
        // Not a DOI: a version number, a path.
        assert_eq!(normalise_identifier("10.2/").as_deref(), Some("10.2/"));
    }

    fn iri(s: &str) -> NamedNode {
        NamedNode::new(s).unwrap()
    }

    #[test]
    fn a_record_offers_what_its_source_matches_on() {
        let ds = iri("https://a.example/ds/1");
        let id = BlankNode::default();
        let dist = BlankNode::default();
        let triples = vec![
            Triple::new(ds.clone(), dct::IDENTIFIER, Literal::from("ds-1")),
            Triple::new(
                ds.clone(),
                dct::IDENTIFIER,
                Literal::from("https://a.example/ds/1/"),
            ),
            Triple::new(ds.clone(), adms::IDENTIFIER, id.clone()),
            Triple::new(id, skos::NOTATION, Literal::from("doi:10.1/X")),
            Triple::new(ds.clone(), dcat::LANDING_PAGE, iri("https://a.example/p")),
            Triple::new(ds.clone(), dcat::DISTRIBUTION_PROPERTY, dist.clone()),
            Triple::new(dist, dcat::DOWNLOAD_URL, iri("https://a.example/f.csv")),
        ];
        let values = |keys: &[MatchKey]| -> Vec<(MatchKey, String)> {
            identity_values(&ds, &triples, keys)
                .into_iter()
                .map(|v| (v.key, v.value))
                .collect()
        };
        assert_eq!(
            values(&MatchKey::DEFAULTS),
            vec![
                (MatchKey::Iri, "https://a.example/ds/1".into()),
                (MatchKey::AdmsIdentifier, "doi:10.1/x".into()),
                (MatchKey::Identifier, "https://a.example/ds/1".into()),
            ]
        );
        // A short code is not distinctive enough even for the ISO rule.
        assert!(
            !values(&[MatchKey::IsoIdentifier])
                .iter()
                .any(|(_, v)| v == "ds-1")
        );
        assert_eq!(
            values(&[MatchKey::LandingPage, MatchKey::DownloadUrls]),
            vec![
                (MatchKey::LandingPage, "https://a.example/p".into()),
                (MatchKey::DownloadUrls, "https://a.example/f.csv".into()),
            ]
        );
        // The IRI and an identifier URL written with a trailing slash hash alike.
        let all = identity_values(&ds, &triples, &MatchKey::DEFAULTS);
        assert_eq!(all[0].hash(), all[2].hash());
        // A landing page never matches an identifier of the same text.
        let landing = IdentityValue {
            key: MatchKey::LandingPage,
            value: "https://a.example/ds/1".into(),
        };
        assert_ne!(landing.hash(), all[0].hash());
    }

    #[test]
    fn iso_identifiers_with_and_without_a_slash_after_the_code_space_match() {
        let ds = iri("https://geo.example/ds");
        let with = vec![Triple::new(
            ds.clone(),
            dct::IDENTIFIER,
            Literal::from("https://geo.example/id/ABC-123/"),
        )];
        let without = vec![Triple::new(
            ds.clone(),
            dct::IDENTIFIER,
            Literal::from("https://geo.example/id/ABC-123"),
        )];
        let keys = [MatchKey::IsoIdentifier];
        assert_eq!(
            identity_values(&ds, &with, &keys)[0].hash(),
            identity_values(&ds, &without, &keys)[0].hash()
        );
    }
}
