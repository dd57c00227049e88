//! Identity and precedence across sources: which records describe the same resource
//! (clusters), and which of them is published.
//!
//! Records of different sources are linked when they share an identity value (their
//! resource's IRI, a DOI in `adms:identifier`, an ISO resource identifier… see
//! [`alzette_dcat::identity`]); a cluster is what is linked, directly or through other records.
//! In each cluster the records of one source are published: the highest `priority`, then the
//! source that had the resource first, then the lowest source id. The others are *shadowed*:
//! kept with their provenance, listed in their source's own catalogue, not in the federation's.
//!
//! Derived state like the catalogue order: in memory, rebuilt from the store when it is first
//! needed (a few point reads per record) and kept up to date by every write.

use alzette_dcat::RecordKey;
use alzette_dcat::identity::{IdentityKey, MatchKey};
use sha2::Digest;
use std::collections::{BTreeMap, HashMap, HashSet, VecDeque};
use std::sync::Arc;

/// An identity value held by more records than this is not distinctive (a portal's home page
/// given as every dataset's landing page): it links nothing, and clusters stay small.
pub const MAX_SHARED: usize = 64;

/// Per source: its priority and what its records are matched on.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct FederationRules {
    sources: BTreeMap<String, SourceRule>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
struct SourceRule {
    priority: i64,
    match_on: Vec<MatchKey>,
}

impl FederationRules {
    /// Sets a source's rule (sources without one: priority 0, [`MatchKey::DEFAULTS`]; rules
    /// equal to that are not kept, so that equal rules compare equal).
    pub fn source(mut self, id: &str, priority: i64, match_on: &[MatchKey]) -> Self {
        let mut match_on = match_on.to_vec();
        match_on.sort_unstable();
        match_on.dedup();
        let mut defaults = MatchKey::DEFAULTS.to_vec();
        defaults.sort_unstable();
        if priority == 0 && match_on == defaults {
            self.sources.remove(id);
        } else {
            self.sources
                .insert(id.to_owned(), SourceRule { priority, match_on });
        }
        self
    }

    /// Names the rules: the published view records the rules it was made with.
    pub fn digest(&self) -> String {
        let text = format!("{:?}", self.sources);
        alzette_dcat::hex(&sha2::Sha256::digest(text.as_bytes())[..8])
    }

    pub fn priority(&self, source: &str) -> i64 {
        self.sources.get(source).map_or(0, |r| r.priority)
    }

    pub fn match_on(&self, source: &str) -> &[MatchKey] {
        self.sources
            .get(source)
            .map_or(&MatchKey::DEFAULTS[..], |r| &r.match_on[..])
    }
}

/// A record: its source (an index into the source list) and key.
type Rec = (u32, RecordKey);

#[derive(Debug)]
struct Member {
    keys: Vec<IdentityKey>,
    /// First seen (microseconds), for the tie between sources of equal priority.
    issued: i64,
    published: bool,
}

/// A record whose publication changed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Publication {
    pub source: Arc<str>,
    pub key: RecordKey,
    /// When the record was first seen (its place in the catalogue order).
    pub issued: i64,
    pub published: bool,
}

/// Why one source's records are the published ones of a cluster.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Precedence {
    Priority,
    FirstSeen,
    SourceId,
}

impl Precedence {
    pub fn describe(self) -> &'static str {
        match self {
            Self::Priority => "highest priority",
            Self::FirstSeen => "same priority, had the resource first",
            Self::SourceId => "same priority and first seen, lowest source id",
        }
    }
}

/// One cluster, as listed: members with their publication, and why the winner wins.
#[derive(Debug, Clone)]
pub struct Cluster {
    /// (source, key, published), published first.
    pub members: Vec<(String, RecordKey, bool)>,
    pub precedence: Precedence,
}

#[derive(Debug, Default)]
pub(crate) struct Federation {
    pub rules: FederationRules,
    sources: Vec<Arc<str>>,
    members: HashMap<Rec, Member>,
    by_key: HashMap<IdentityKey, Vec<Rec>>,
}

impl Federation {
    pub fn new(rules: FederationRules) -> Self {
        Self {
            rules,
            ..Self::default()
        }
    }

    fn source_index(&mut self, source: &str) -> u32 {
        match self.sources.iter().position(|s| &**s == source) {
            Some(i) => i as u32,
            None => {
                self.sources.push(source.into());
                (self.sources.len() - 1) as u32
            }
        }
    }

    fn rec(&self, source: &str, key: RecordKey) -> Option<Rec> {
        let i = self.sources.iter().position(|s| &**s == source)?;
        Some((i as u32, key))
    }

    /// Adds records without working out publication (see [`Federation::settle_all`]): for
    /// rebuilding.
    pub fn load(&mut self, source: &str, key: RecordKey, keys: Vec<IdentityKey>, issued: i64) {
        let rec = (self.source_index(source), key);
        self.link(rec, &keys);
        self.members.insert(
            rec,
            Member {
                keys,
                issued,
                published: true,
            },
        );
    }

    /// Works out every cluster's publication after [`Federation::load`]; returns the shadowed
    /// records.
    pub fn settle_all(&mut self) -> Vec<Publication> {
        let mut seen = HashSet::new();
        let mut changed = Vec::new();
        let all: Vec<Rec> = self.members.keys().copied().collect();
        for rec in all {
            if seen.contains(&rec) {
                continue;
            }
            let component = self.component([rec]);
            seen.extend(component.iter().copied());
            changed.extend(self.settle(&component));
        }
        changed
    }

    /// Adds or replaces a record (`issued` None: keeps the one it had); returns the records
    /// whose publication changed (the record itself when it arrives shadowed).
    pub fn upsert(
        &mut self,
        source: &str,
        key: RecordKey,
        keys: Vec<IdentityKey>,
        issued: Option<i64>,
    ) -> Vec<Publication> {
        let rec = (self.source_index(source), key);
        let old = self.members.remove(&rec);
        if let Some(old) = &old {
            self.unlink(rec, &old.keys);
        }
        let before = self.states_around(rec, old.as_ref().map(|m| &m.keys[..]), Some(&keys));
        self.link(rec, &keys);
        let issued = issued.or(old.as_ref().map(|m| m.issued)).unwrap_or(0);
        self.members.insert(
            rec,
            Member {
                keys,
                issued,
                published: old.as_ref().is_none_or(|m| m.published),
            },
        );
        let mut before = before;
        before
            .entry(rec)
            .or_insert(old.as_ref().is_none_or(|m| m.published));
        self.resettle(before)
    }

    /// Forgets a record; returns the records whose publication changed.
    pub fn remove(&mut self, source: &str, key: RecordKey) -> Vec<Publication> {
        let Some(rec) = self.rec(source, key) else {
            return Vec::new();
        };
        let Some(old) = self.members.get(&rec) else {
            return Vec::new();
        };
        let keys = old.keys.clone();
        let mut before = self.states_around(rec, Some(&keys), None);
        before.remove(&rec);
        self.unlink(rec, &keys);
        self.members.remove(&rec);
        self.resettle(before)
    }

    /// Whether a record is published (records the federation does not know are).
    /// Whether a live record the federation knows is published (unknown records are not:
    /// tombstones, records being deleted).
    pub fn publishes(&self, source: &str, key: &RecordKey) -> bool {
        self.rec(source, *key)
            .and_then(|r| self.members.get(&r))
            .is_some_and(|m| m.published)
    }

    pub fn is_published(&self, source: &str, key: &RecordKey) -> bool {
        self.rec(source, *key)
            .and_then(|r| self.members.get(&r))
            .is_none_or(|m| m.published)
    }

    /// The other records of a record's cluster, with their publication.
    pub fn others(&self, source: &str, key: &RecordKey) -> Vec<(Arc<str>, RecordKey, bool)> {
        let Some(rec) = self.rec(source, *key) else {
            return Vec::new();
        };
        if !self.members.contains_key(&rec) {
            return Vec::new();
        }
        self.component([rec])
            .into_iter()
            .filter(|r| *r != rec)
            .map(|r| {
                (
                    Arc::clone(&self.sources[r.0 as usize]),
                    r.1,
                    self.members[&r].published,
                )
            })
            .collect()
    }

    /// Every cluster of more than one record (of one source's records, or all).
    pub fn clusters(&self, source: Option<&str>) -> Vec<Cluster> {
        let mut seen = HashSet::new();
        let mut out = Vec::new();
        let only = source.map(|s| {
            self.sources
                .iter()
                .position(|x| &**x == s)
                .map(|i| i as u32)
        });
        for rec in self.members.keys() {
            if seen.contains(rec) || only.is_some_and(|i| i != Some(rec.0)) {
                continue;
            }
            let component = self.component([*rec]);
            seen.extend(component.iter().copied());
            if component.len() < 2 {
                continue;
            }
            let (_, precedence) = self.winner(&component);
            let mut members: Vec<(String, RecordKey, bool)> = component
                .iter()
                .map(|r| {
                    (
                        self.sources[r.0 as usize].to_string(),
                        r.1,
                        self.members[r].published,
                    )
                })
                .collect();
            members.sort_by(|a, b| b.2.cmp(&a.2).then(a.0.cmp(&b.0)).then(a.1.cmp(&b.1)));
            out.push(Cluster {
                members,
                precedence,
            });
        }
        out.sort_by(|a, b| {
            a.members[0]
                .0
                .cmp(&b.members[0].0)
                .then(a.members[0].1.cmp(&b.members[0].1))
        });
        out
    }

    /// Per source: records published and records shadowed, by the source that shadows them.
    pub fn counts(&self) -> BTreeMap<String, SourceCounts> {
        let mut out: BTreeMap<String, SourceCounts> = BTreeMap::new();
        for (rec, m) in &self.members {
            let c = out
                .entry(self.sources[rec.0 as usize].to_string())
                .or_default();
            if m.published {
                c.published += 1;
            } else {
                c.shadowed += 1;
            }
        }
        for cluster in self.clusters(None) {
            let Some((winner, _, _)) = cluster.members.first() else {
                continue;
            };
            for (source, _, published) in &cluster.members {
                if !published {
                    *out.entry(source.clone())
                        .or_default()
                        .shadowed_by
                        .entry(winner.clone())
                        .or_default() += 1;
                }
            }
        }
        out
    }

    #[cfg(test)]
    fn published_count(&self) -> usize {
        self.members.values().filter(|m| m.published).count()
    }

    fn link(&mut self, rec: Rec, keys: &[IdentityKey]) {
        for k in keys {
            self.by_key.entry(*k).or_default().push(rec);
        }
    }

    fn unlink(&mut self, rec: Rec, keys: &[IdentityKey]) {
        for k in keys {
            if let Some(list) = self.by_key.get_mut(k) {
                list.retain(|r| *r != rec);
                if list.is_empty() {
                    self.by_key.remove(k);
                }
            }
        }
    }

    /// The publication of every record in the clusters of `rec` and of the records holding
    /// `extra` keys, before a change.
    fn states_around(
        &self,
        rec: Rec,
        old: Option<&[IdentityKey]>,
        new: Option<&[IdentityKey]>,
    ) -> HashMap<Rec, bool> {
        let mut seeds: Vec<Rec> = Vec::new();
        if self.members.contains_key(&rec) {
            seeds.push(rec);
        }
        for k in old.into_iter().chain(new).flatten() {
            if let Some(list) = self.by_key.get(k).filter(|l| l.len() <= MAX_SHARED) {
                seeds.extend(list.iter().copied().filter(|r| *r != rec));
            }
        }
        self.component(seeds)
            .into_iter()
            .map(|r| (r, self.members[&r].published))
            .collect()
    }

    /// Works out publication again around the records of `before` (with their earlier state);
    /// returns what changed.
    fn resettle(&mut self, before: HashMap<Rec, bool>) -> Vec<Publication> {
        let mut done = HashSet::new();
        let mut changed = Vec::new();
        for rec in before.keys().copied().collect::<Vec<_>>() {
            if done.contains(&rec) || !self.members.contains_key(&rec) {
                continue;
            }
            let component = self.component([rec]);
            done.extend(component.iter().copied());
            self.settle(&component);
            for r in component {
                let now = self.members[&r].published;
                if before.get(&r).copied().unwrap_or(true) != now {
                    changed.push(Publication {
                        source: Arc::clone(&self.sources[r.0 as usize]),
                        key: r.1,
                        issued: self.members[&r].issued,
                        published: now,
                    });
                }
            }
        }
        changed
    }

    /// Sets publication in one cluster: the winning source's records are published. Returns
    /// the records shadowed (for [`Federation::settle_all`]).
    fn settle(&mut self, component: &[Rec]) -> Vec<Publication> {
        let (winner, _) = self.winner(component);
        let mut shadowed = Vec::new();
        for r in component {
            let published = r.0 == winner;
            self.members.get_mut(r).expect("member").published = published;
            if !published {
                shadowed.push(Publication {
                    source: Arc::clone(&self.sources[r.0 as usize]),
                    key: r.1,
                    issued: self.members[r].issued,
                    published,
                });
            }
        }
        shadowed
    }

    /// The source whose records a cluster publishes, and why.
    fn winner(&self, component: &[Rec]) -> (u32, Precedence) {
        let mut by_source: BTreeMap<u32, i64> = BTreeMap::new();
        for r in component {
            let issued = self.members[r].issued;
            by_source
                .entry(r.0)
                .and_modify(|t| *t = (*t).min(issued))
                .or_insert(issued);
        }
        let rank = |s: u32, first: i64| {
            let id = &self.sources[s as usize];
            (
                self.rules.priority(id),
                std::cmp::Reverse(first),
                std::cmp::Reverse(Arc::clone(id)),
            )
        };
        let mut ranked: Vec<_> = by_source.iter().map(|(s, t)| (rank(*s, *t), *s)).collect();
        ranked.sort_by(|a, b| b.0.cmp(&a.0));
        let precedence = match ranked.get(1) {
            Some((second, _)) if second.0 != ranked[0].0.0 => Precedence::Priority,
            Some((second, _)) if second.1 != ranked[0].0.1 => Precedence::FirstSeen,
            Some(_) => Precedence::SourceId,
            None => Precedence::Priority,
        };
        (ranked[0].1, precedence)
    }

    /// The records linked to `seeds`, directly or through others: records of different sources
    /// sharing a value (one held by at most [`MAX_SHARED`] records).
    fn component(&self, seeds: impl IntoIterator<Item = Rec>) -> Vec<Rec> {
        let mut seen: HashSet<Rec> = HashSet::new();
        let mut queue: VecDeque<Rec> = VecDeque::new();
        for s in seeds {
            if self.members.contains_key(&s) && seen.insert(s) {
                queue.push_back(s);
            }
        }
        while let Some(r) = queue.pop_front() {
            for k in &self.members[&r].keys {
                let Some(list) = self.by_key.get(k).filter(|l| l.len() <= MAX_SHARED) else {
                    continue;
                };
                for other in list {
                    // Records of one source are not linked to each other directly.
                    if other.0 != r.0 && seen.insert(*other) {
                        queue.push_back(*other);
                    }
                }
            }
        }
        let mut out: Vec<Rec> = seen.into_iter().collect();
        out.sort_unstable();
        out
    }
}

/// A source's share of the federation.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
pub struct SourceCounts {
    pub published: usize,
    pub shadowed: usize,
    /// Shadowed records by the source whose records are published instead.
    pub shadowed_by: BTreeMap<String, usize>,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn k(n: u8) -> RecordKey {
        RecordKey::from_bytes([n; 16])
    }
    fn id(n: u8) -> IdentityKey {
        IdentityKey([n; 16])
    }
    fn p(changed: Vec<Publication>) -> Vec<(String, u8, bool)> {
        changed
            .into_iter()
            .map(|c| (c.source.to_string(), c.key.as_bytes()[0], c.published))
            .collect()
    }

    #[test]
    fn the_highest_priority_publishes_and_the_next_takes_over() {
        let rules = FederationRules::default()
            .source("a", 0, &MatchKey::DEFAULTS)
            .source("b", 10, &MatchKey::DEFAULTS);
        let mut f = Federation::new(rules);
        assert!(f.upsert("a", k(1), vec![id(1)], Some(1)).is_empty());
        // b arrives with the same resource: a's record is shadowed.
        let changed = f.upsert("b", k(2), vec![id(1)], Some(2));
        assert_eq!(p(changed), vec![("a".into(), 1, false)]);
        assert!(f.is_published("b", &k(2)) && !f.is_published("a", &k(1)));
        assert_eq!(f.published_count(), 1);
        assert_eq!(f.clusters(None)[0].precedence, Precedence::Priority);
        assert_eq!(f.counts()["a"].shadowed_by["b"], 1);
        // b drops it: a's record is published again.
        let changed = f.remove("b", k(2));
        assert_eq!(p(changed), vec![("a".into(), 1, true)]);
        // A lower-priority newcomer arrives shadowed.
        let rules_c = f.upsert("c", k(3), vec![id(9), id(1)], Some(3));
        assert_eq!(p(rules_c), vec![("c".into(), 3, false)]);
        // It changes its identifiers: no longer the same resource, published.
        let changed = f.upsert("c", k(3), vec![id(9)], None);
        assert_eq!(p(changed), vec![("c".into(), 3, true)]);
    }

    #[test]
    fn ties_go_to_the_first_seen_then_the_source_id() {
        let mut f = Federation::new(FederationRules::default());
        f.upsert("z", k(1), vec![id(1)], Some(5));
        f.upsert("a", k(2), vec![id(1)], Some(7));
        assert!(f.is_published("z", &k(1)) && !f.is_published("a", &k(2)));
        assert_eq!(f.clusters(None)[0].precedence, Precedence::FirstSeen);
        f.upsert("b", k(3), vec![id(2)], Some(5));
        f.upsert("c", k(4), vec![id(2)], Some(5));
        assert!(f.is_published("b", &k(3)) && !f.is_published("c", &k(4)));
    }

    #[test]
    fn records_of_one_source_are_not_merged_and_common_values_link_nothing() {
        let mut f = Federation::new(FederationRules::default());
        f.upsert("a", k(1), vec![id(1)], Some(1));
        f.upsert("a", k(2), vec![id(1)], Some(2));
        assert_eq!(f.published_count(), 2);
        assert!(f.clusters(None).is_empty());
        // A value on more than MAX_SHARED records links nothing.
        for n in 0..=MAX_SHARED as u8 {
            f.upsert(
                "b",
                RecordKey::from_bytes([100, n, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]),
                vec![id(7)],
                Some(1),
            );
        }
        f.upsert("c", k(3), vec![id(7)], Some(0));
        assert!(f.is_published("c", &k(3)));
    }

    #[test]
    fn a_rebuild_settles_every_cluster() {
        let mut f = Federation::new(FederationRules::default().source("b", 1, &MatchKey::DEFAULTS));
        f.load("a", k(1), vec![id(1)], 1);
        f.load("b", k(2), vec![id(1), id(2)], 2);
        f.load("c", k(3), vec![id(2)], 0);
        let shadowed = f.settle_all();
        assert_eq!(shadowed.len(), 2);
        assert_eq!(f.published_count(), 1);
        assert_eq!(f.others("b", &k(2)).len(), 2);
    }
}
