//! The store's side of the federation (`federation.rs`): building it from the records, keeping
//! it up to date as records are written and deleted, the catalogue order's shadowed marks, and
//! what operators ask of it (clusters, counts).

use crate::federation::{Cluster, Federation, FederationRules, Publication, SourceCounts};
use crate::index::{CatalogIndex, Entry};
use crate::{ChangeCursor, ListedChange, Operation, RecordKey, RecordStore, StoreError};
use alzette_dcat::RecordGraph;
use alzette_dcat::identity::{IdentityCollector, MatchKey, identity_values};
use alzette_vocab::{adms, dcat, dct, foaf, skos};
use chrono::{DateTime, Utc};
use oxigraph::model::{GraphName, NamedNode, NamedOrBlankNode, Quad, Term};
use oxigraph::store::StorageError;
use std::collections::{BTreeMap, HashMap, HashSet};
use std::sync::RwLockWriteGuard;

/// What telling the federation about a write changed.
pub(crate) struct Federated {
    /// Records whose publication changed.
    pub publications: Vec<Publication>,
    /// Which of the written (or deleted) records were published before.
    pub published_before: HashSet<RecordKey>,
}

/// A record of a cluster, as operators see it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClusterMember {
    pub source: String,
    pub key: RecordKey,
    /// The record's IRI (its graph, and its `dcat:CatalogRecord`).
    pub record: NamedNode,
    /// The resource it describes.
    pub resource: Option<NamedNode>,
    pub published: bool,
}

/// Records of several sources describing one resource.
#[derive(Debug, Clone)]
pub struct DuplicateCluster {
    /// The published records first.
    pub members: Vec<ClusterMember>,
    /// Why the first member's source publishes: `highest priority`, …
    pub reason: &'static str,
}

impl RecordStore {
    /// Sets each source's priority and match keys. When they differ from the rules the
    /// federation was worked out with, it is worked out anew when next needed (every record's
    /// identity read again): opening stays quick, the first write or catalogue page pays.
    pub fn set_federation_rules(&self, rules: FederationRules) {
        let mut federation = self.federation.write().expect("federation lock");
        if federation.as_ref().is_some_and(|f| f.rules != rules) {
            *federation = None;
        }
        *self.federation_rules.write().expect("rules lock") = rules;
    }

    /// Forgets the federation (a write failed half-way): worked out anew when next needed.
    pub(crate) fn forget_federation(&self) {
        *self.federation.write().expect("federation lock") = None;
    }

    /// Makes sure the federation is worked out (readers then take its read lock).
    pub(crate) fn ensure_federation(&self) -> Result<(), StoreError> {
        if self.federation.read().expect("federation lock").is_some() {
            return Ok(());
        }
        drop(self.federation()?);
        Ok(())
    }

    /// The federation, worked out with the rules in force when it was not yet (and the
    /// published view rebuilt when it was made with other rules or left unfinished).
    pub(crate) fn federation(
        &self,
    ) -> Result<RwLockWriteGuard<'_, Option<Federation>>, StoreError> {
        let mut federation = self.federation.write().expect("federation lock");
        if federation.is_none() {
            let rules = self.federation_rules.read().expect("rules lock").clone();
            let built = self.build_federation(rules)?;
            let current = self
                .view_is_current(&built.rules)
                .map_err(self.failed(Operation::RebuildView))?;
            if !current {
                self.rebuild_view(&built)?;
            }
            *federation = Some(built);
        }
        Ok(federation)
    }

    /// Reads every record's identity and works out publication. One scan of the store per
    /// predicate that identity uses (point reads cost a RocksDB iterator each: ten times more).
    fn build_federation(&self, rules: FederationRules) -> Result<Federation, StoreError> {
        let started = std::time::Instant::now();
        let records: HashMap<(String, RecordKey), i64> = {
            let index = self.index.read().expect("index lock");
            index.entries().map(|(s, k, t)| ((s, k), t)).collect()
        };
        let collectors = self
            .scan_identities(&rules, &records)
            .map_err(self.failed(Operation::BuildFederation))?;
        let identities: Vec<((String, RecordKey), Vec<_>)> = collectors
            .into_iter()
            .map(|(rec, c)| (rec, c.finish().iter().map(|v| v.hash()).collect()))
            .collect();
        let mut federation = Federation::new(rules);
        for ((source, key), keys) in identities {
            let issued = records[&(source.clone(), key)];
            federation.load(&source, key, keys, issued);
        }
        let shadowed = federation.settle_all();
        {
            let mut index = self.index.write().expect("index lock");
            index.clear_shadowed();
            apply(&mut index, &shadowed);
        }
        tracing::info!(records = records.len(), shadowed = shadowed.len(), took = ?started.elapsed(), "federation worked out");
        Ok(federation)
    }

    /// What each stored record offers for matching: the same values [`identity_values`] finds
    /// in a record's triples, gathered by scanning the store predicate by predicate.
    fn scan_identities<'r>(
        &self,
        rules: &'r FederationRules,
        records: &HashMap<(String, RecordKey), i64>,
    ) -> Result<HashMap<(String, RecordKey), IdentityCollector<'r>>, StorageError> {
        // The record a quad belongs to, when its subject is the record's resource (whose IRI
        // the record key is the hash of).
        let about_resource = |q: &Quad| -> Option<(String, RecordKey)> {
            let GraphName::NamedNode(g) = &q.graph_name else {
                return None;
            };
            let (source, key) = self.iris.parse_record(g.as_str())?;
            match &q.subject {
                NamedOrBlankNode::NamedNode(s) if RecordKey::of(s.as_str()) == key => {
                    Some((source.to_owned(), key))
                }
                _ => None,
            }
        };
        let mut collectors = HashMap::with_capacity(records.len());
        for q in self
            .store
            .quads_for_pattern(None, Some(foaf::PRIMARY_TOPIC), None, None)
        {
            let q = q?;
            let (GraphName::NamedNode(g), NamedOrBlankNode::NamedNode(s), Term::NamedNode(o)) =
                (&q.graph_name, &q.subject, &q.object)
            else {
                continue;
            };
            if g != s {
                continue;
            }
            if let Some((source, key)) = self.iris.parse_record(g.as_str())
                && records.contains_key(&(source.to_owned(), key))
            {
                collectors.insert(
                    (source.to_owned(), key),
                    IdentityCollector::new(o.as_str(), rules.match_on(source)),
                );
            }
        }
        let uses = |k: MatchKey| {
            collectors
                .values()
                .any(|c: &IdentityCollector<'_>| c.uses(k))
        };
        let (adms_on, landing_on, downloads_on) = (
            uses(MatchKey::AdmsIdentifier),
            uses(MatchKey::LandingPage),
            uses(MatchKey::DownloadUrls),
        );
        for q in self
            .store
            .quads_for_pattern(None, Some(dct::IDENTIFIER), None, None)
        {
            let q = q?;
            if let Some(rec) = about_resource(&q)
                && let Some(c) = collectors.get_mut(&rec)
            {
                c.identifier(term_text(&q.object));
            }
        }
        if adms_on {
            // adms:identifier nodes, then their notations (an IRI without one stands for itself).
            let mut nodes: HashMap<(GraphName, Term), ((String, RecordKey), bool)> = HashMap::new();
            for q in self
                .store
                .quads_for_pattern(None, Some(adms::IDENTIFIER), None, None)
            {
                let q = q?;
                if let Some(rec) = about_resource(&q) {
                    nodes.insert((q.graph_name, q.object), (rec, false));
                }
            }
            if !nodes.is_empty() {
                for q in self
                    .store
                    .quads_for_pattern(None, Some(skos::NOTATION), None, None)
                {
                    let q = q?;
                    let node = (q.graph_name, Term::from(q.subject));
                    if let Some((rec, seen)) = nodes.get_mut(&node)
                        && let Some(c) = collectors.get_mut(rec)
                    {
                        c.adms_identifier(term_text(&q.object));
                        *seen = true;
                    }
                }
            }
            for ((_, node), (rec, seen)) in nodes {
                if let (false, Term::NamedNode(n), Some(c)) =
                    (seen, &node, collectors.get_mut(&rec))
                {
                    c.adms_identifier(n.as_str());
                }
            }
        }
        if landing_on {
            for q in self
                .store
                .quads_for_pattern(None, Some(dcat::LANDING_PAGE), None, None)
            {
                let q = q?;
                if let (Some(rec), Term::NamedNode(page)) = (about_resource(&q), &q.object)
                    && let Some(c) = collectors.get_mut(&rec)
                {
                    c.landing_page(page.as_str());
                }
            }
        }
        if downloads_on {
            let mut distributions: HashMap<(GraphName, Term), (String, RecordKey)> = HashMap::new();
            for q in
                self.store
                    .quads_for_pattern(None, Some(dcat::DISTRIBUTION_PROPERTY), None, None)
            {
                let q = q?;
                if let Some(rec) = about_resource(&q) {
                    distributions.insert((q.graph_name, q.object), rec);
                }
            }
            for q in self
                .store
                .quads_for_pattern(None, Some(dcat::DOWNLOAD_URL), None, None)
            {
                let q = q?;
                let node = (q.graph_name, Term::from(q.subject));
                if let (Some(rec), Term::NamedNode(url)) = (distributions.get(&node), &q.object)
                    && let Some(c) = collectors.get_mut(rec)
                {
                    c.download_url(url.as_str());
                }
            }
        }
        Ok(collectors)
    }

    /// Tells the federation about records just written (`issued`: first seen, for new ones;
    /// `None` keeps it); returns what changed (for [`apply`] with the catalogue order's update)
    /// and which of the records were published before.
    pub(crate) fn federate_written(
        &self,
        source: &str,
        records: &[RecordGraph],
        issued: Option<i64>,
    ) -> Result<Federated, StoreError> {
        let mut guard = self.federation()?;
        let federation = guard.as_mut().expect("built");
        let published_before =
            Self::published_among(federation, source, records.iter().map(|r| &r.key));
        let match_on = federation.rules.match_on(source).to_vec();
        let mut changed = Vec::new();
        for r in records {
            let keys = identity_values(&r.resource, &r.triples, &match_on)
                .iter()
                .map(|v| v.hash())
                .collect();
            changed.extend(federation.upsert(source, r.key, keys, issued));
        }
        Ok(Federated {
            publications: changed,
            published_before,
        })
    }

    /// Tells the federation about records deleted; returns what changed, for [`apply`].
    pub(crate) fn federate_deleted(
        &self,
        source: &str,
        keys: &HashSet<RecordKey>,
    ) -> Result<Federated, StoreError> {
        let mut guard = self.federation()?;
        let federation = guard.as_mut().expect("built");
        let published_before = Self::published_among(federation, source, keys);
        let mut changed = Vec::new();
        for key in keys {
            changed.extend(federation.remove(source, *key));
        }
        Ok(Federated {
            publications: changed,
            published_before,
        })
    }

    /// Whether a record is the published one of its resource (not shadowed by another source's).
    pub fn is_published(&self, source: &str, key: &RecordKey) -> Result<bool, StoreError> {
        Ok(self
            .federation()?
            .as_ref()
            .expect("built")
            .is_published(source, key))
    }

    /// The records of other sources about the same resource as this one, with whether each is
    /// published.
    pub fn alternates(
        &self,
        source: &str,
        key: &RecordKey,
    ) -> Result<Vec<(String, RecordKey, bool)>, StoreError> {
        Ok(self
            .federation()?
            .as_ref()
            .expect("built")
            .others(source, key)
            .into_iter()
            .map(|(s, k, p)| (s.to_string(), k, p))
            .collect())
    }

    /// Resources described by several sources (those of one source's records, or all): each
    /// cluster's records, the published first, and why.
    pub fn duplicates(&self, source: Option<&str>) -> Result<Vec<DuplicateCluster>, StoreError> {
        let clusters: Vec<Cluster> = self.federation()?.as_ref().expect("built").clusters(source);
        clusters
            .into_iter()
            .map(|c| {
                let members = c
                    .members
                    .into_iter()
                    .map(|(source, key, published)| {
                        Ok(ClusterMember {
                            record: self.iris.record(&source, &key),
                            resource: self.resource_of(&source, &key)?,
                            source,
                            key,
                            published,
                        })
                    })
                    .collect::<Result<_, StoreError>>()?;
                Ok(DuplicateCluster {
                    members,
                    reason: c.precedence.describe(),
                })
            })
            .collect()
    }

    /// Per source: its records published, and shadowed (by which source).
    pub fn federation_counts(&self) -> Result<BTreeMap<String, SourceCounts>, StoreError> {
        Ok(self.federation()?.as_ref().expect("built").counts())
    }

    /// The changes of the published view in `[from, until]`, of one source or all, after
    /// `after`: what OAI-PMH lists, one item per resource. A record published is listed as it
    /// changed; a tombstone (or, with `deletions_of_shadowed`, a record now shadowed by a record
    /// of another IRI) is listed as the deletion of its resource only when no live record
    /// publishes that resource, and only once (its latest change).
    pub fn published_changes(
        &self,
        source: Option<&str>,
        from: Option<DateTime<Utc>>,
        until: Option<DateTime<Utc>>,
        after: Option<&ChangeCursor>,
        limit: usize,
        deletions_of_shadowed: bool,
    ) -> Result<Vec<ListedChange>, StoreError> {
        self.ensure_federation()?;
        let federation = self.federation.read().expect("federation lock");
        let index = self.index.read().expect("index lock");
        let published =
            |s: &str, k: &RecordKey| federation.as_ref().is_none_or(|f| f.is_published(s, k));
        Ok(index.changes.list_filtered(
            source,
            from.map(|t| t.timestamp_micros()),
            until.map(|t| t.timestamp_micros()),
            after,
            limit,
            |c| {
                if !c.deleted && published(&c.source, &c.key) {
                    return Some(c);
                }
                if !c.deleted && !deletions_of_shadowed {
                    return None;
                }
                let others = index.changes.of_key(&c.key);
                if others
                    .iter()
                    .any(|(s, _, deleted)| !deleted && published(s, &c.key))
                {
                    return None;
                }
                if others
                    .iter()
                    .any(|(s, t, _)| (*t, *s) > (c.modified, c.source.as_str()))
                {
                    return None;
                }
                Some(ListedChange { deleted: true, ..c })
            },
        ))
    }

    /// The item of the published view an identifier names (a resource IRI, or a record IRI for
    /// its resource): its published record's change, or its resource's deletion.
    pub fn published_item(&self, identifier: &str) -> Result<Option<ListedChange>, StoreError> {
        let key = match self.iris.parse_record(identifier) {
            Some((_, key)) => key,
            None => RecordKey::of(identifier),
        };
        self.ensure_federation()?;
        let federation = self.federation.read().expect("federation lock");
        let index = self.index.read().expect("index lock");
        let published = |s: &str| federation.as_ref().is_none_or(|f| f.is_published(s, &key));
        let others = index.changes.of_key(&key);
        let item = match others
            .iter()
            .find(|(s, _, deleted)| !deleted && published(s))
        {
            Some((s, t, _)) => Some((*s, *t, false)),
            None => others
                .iter()
                .max_by_key(|(s, t, _)| (*t, *s))
                .map(|(s, t, _)| (*s, *t, true)),
        };
        Ok(item.map(|(source, modified, deleted)| ListedChange {
            modified,
            source: source.to_owned(),
            key,
            deleted,
        }))
    }

    /// Resources in the federation catalogue: each once.
    pub fn published_count(&self) -> Result<usize, StoreError> {
        self.ensure_federation()?;
        Ok(self.index.read().expect("index lock").published_len())
    }
}

/// Marks records shadowed or published again in the catalogue order, and moves their changes
/// to `now` in the change order (consumers of the published view see the switch).
pub(crate) fn apply_at(index: &mut CatalogIndex, changed: &[Publication], now: i64) {
    apply(index, changed);
    for p in changed {
        index.changes.touch(&p.source, p.key, now);
    }
}

/// Marks records shadowed or published again in the catalogue order.
pub(crate) fn apply(index: &mut CatalogIndex, changed: &[Publication]) {
    for p in changed {
        index.shadow(
            &p.source,
            Entry {
                issued: p.issued,
                key: p.key,
            },
            !p.published,
        );
    }
}

fn term_text(t: &Term) -> &str {
    match t {
        Term::NamedNode(n) => n.as_str(),
        Term::Literal(l) => l.value(),
        _ => "",
    }
}
