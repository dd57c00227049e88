//! Every record and tombstone by the time it last changed: what OAI-PMH lists (`from`, `until`,
//! sets) and resumes from. Derived state like the catalogue order, kept and saved with it.
//!
//! A listing resumes after the last change it returned, not at a position: a record changed
//! while a client pages moves to the end (it is listed again, never skipped), and nothing
//! shifts under the client.

use alzette_dcat::RecordKey;
use std::collections::{BTreeSet, HashMap};
use std::io::{self, Read, Write};
use std::ops::Bound;
use std::sync::Arc;

/// One record's last change, as ordered for listing: by time, then key and source, which are
/// the same after a restart (records written in one batch share their time).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
struct Change {
    /// Microseconds since the Unix epoch.
    modified: i64,
    key: RecordKey,
    /// Shared by every change of the source.
    source: Arc<str>,
    deleted: bool,
}

/// Where a listing stopped: the last change it returned.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChangeCursor {
    pub modified: i64,
    pub source: String,
    pub key: RecordKey,
}

/// A change as a listing returns it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ListedChange {
    pub modified: i64,
    pub source: String,
    pub key: RecordKey,
    pub deleted: bool,
}

/// About 100 bytes a record in memory (150 MB for 1.5M records).
#[derive(Debug, Default)]
pub struct ChangeIndex {
    sources: Vec<Arc<str>>,
    changes: BTreeSet<Change>,
    /// When each tombstone was made, by key then source: looked up for every record a harvest
    /// writes (without allocating), scanned when old tombstones are purged (they are few next to
    /// the records).
    tombstones: HashMap<RecordKey, Vec<(Arc<str>, i64)>>,
    /// Each record's change now (time, tombstone), by source (its place in `sources`) and key:
    /// what a touch moves, and what the published view compares across sources.
    current: HashMap<(u16, RecordKey), (i64, bool)>,
}

impl ChangeIndex {
    fn source(&mut self, source: &str) -> (u16, Arc<str>) {
        match self.sources.iter().position(|s| &**s == source) {
            Some(i) => (i as u16, Arc::clone(&self.sources[i])),
            None => {
                let s: Arc<str> = source.into();
                self.sources.push(Arc::clone(&s));
                ((self.sources.len() - 1) as u16, s)
            }
        }
    }

    fn source_index(&self, source: &str) -> Option<u16> {
        self.sources
            .iter()
            .position(|s| &**s == source)
            .map(|i| i as u16)
    }

    /// Sets a record's change: a record has one (its last), which replaces any earlier one.
    pub fn insert(&mut self, source: &str, key: RecordKey, modified: i64, deleted: bool) {
        self.forget(source, key);
        let (i, source) = self.source(source);
        self.current.insert((i, key), (modified, deleted));
        if deleted {
            self.tombstones
                .entry(key)
                .or_default()
                .push((Arc::clone(&source), modified));
        }
        self.changes.insert(Change {
            modified,
            key,
            source,
            deleted,
        });
    }

    /// Forgets a record's change, whatever it is now.
    fn forget(&mut self, source: &str, key: RecordKey) {
        let Some(i) = self.source_index(source) else {
            return;
        };
        let Some((modified, deleted)) = self.current.remove(&(i, key)) else {
            return;
        };
        if deleted && let Some(at) = self.tombstones.get_mut(&key) {
            at.retain(|(s, _)| &**s != source);
            if at.is_empty() {
                self.tombstones.remove(&key);
            }
        }
        self.changes.remove(&Change {
            modified,
            key,
            source: Arc::clone(&self.sources[usize::from(i)]),
            deleted,
        });
    }

    /// When the record's tombstone was made, if it is deleted.
    pub fn tombstone(&self, source: &str, key: &RecordKey) -> Option<i64> {
        self.tombstones
            .get(key)?
            .iter()
            .find(|(s, _)| &**s == source)
            .map(|(_, t)| *t)
    }

    /// Forgets a record's change (whatever its time: a touch may have moved it since the
    /// record's `dct:modified`).
    pub fn remove(&mut self, source: &str, key: RecordKey) {
        self.forget(source, key);
    }

    /// A record's change now: (time, whether it is a tombstone).
    pub fn current(&self, source: &str, key: &RecordKey) -> Option<(i64, bool)> {
        self.current
            .get(&(self.source_index(source)?, *key))
            .copied()
    }

    /// Every source's change of `key` now: (source, time, tombstone).
    pub fn of_key(&self, key: &RecordKey) -> Vec<(&str, i64, bool)> {
        self.sources
            .iter()
            .enumerate()
            .filter_map(|(i, s)| {
                let (t, d) = self.current.get(&(i as u16, *key))?;
                Some((&**s, *t, *d))
            })
            .collect()
    }

    /// Moves a record's change to `now` (its publication changed: consumers of the change
    /// order see it again).
    pub fn touch(&mut self, source: &str, key: RecordKey, now: i64) {
        if let Some((modified, deleted)) = self.current(source, &key)
            && modified != now
        {
            self.insert(source, key, now, deleted);
        }
    }

    /// Up to `limit` changes with `from <= modified <= until`, of one source or all, after
    /// `after`, oldest first.
    pub fn list(
        &self,
        source: Option<&str>,
        from: Option<i64>,
        until: Option<i64>,
        after: Option<&ChangeCursor>,
        limit: usize,
    ) -> Vec<ListedChange> {
        self.list_filtered(source, from, until, after, limit, Some)
    }

    /// [`ChangeIndex::list`] through `keep`, which drops a change (`None`) or says how it is
    /// listed; `limit` counts what is kept.
    pub fn list_filtered(
        &self,
        source: Option<&str>,
        from: Option<i64>,
        until: Option<i64>,
        after: Option<&ChangeCursor>,
        limit: usize,
        mut keep: impl FnMut(ListedChange) -> Option<ListedChange>,
    ) -> Vec<ListedChange> {
        let start = match after {
            Some(c) => Bound::Excluded(Change {
                modified: c.modified,
                key: c.key,
                source: c.source.as_str().into(),
                // Past both the record and its tombstone at that time.
                deleted: true,
            }),
            None => Bound::Included(Change {
                modified: from.unwrap_or(i64::MIN),
                key: RecordKey::from_bytes([0; 16]),
                source: "".into(),
                deleted: false,
            }),
        };
        self.changes
            .range((start, Bound::Unbounded))
            .filter(|c| from.is_none_or(|f| c.modified >= f))
            .take_while(|c| until.is_none_or(|u| c.modified <= u))
            .filter(|c| source.is_none_or(|s| &*c.source == s))
            .filter_map(|c| {
                keep(ListedChange {
                    modified: c.modified,
                    source: c.source.to_string(),
                    key: c.key,
                    deleted: c.deleted,
                })
            })
            .take(limit)
            .collect()
    }

    /// The earliest change, for OAI-PMH's `earliestDatestamp`.
    pub fn earliest(&self) -> Option<i64> {
        self.changes.first().map(|c| c.modified)
    }

    /// Tombstones older than `before` (microseconds), to purge.
    pub fn tombstones_before(&self, before: i64) -> Vec<(String, RecordKey, i64)> {
        let mut out: Vec<(String, RecordKey, i64)> = self
            .tombstones
            .iter()
            .flat_map(|(key, at)| at.iter().map(move |(source, t)| (source, key, *t)))
            .filter(|(_, _, t)| *t < before)
            .map(|(source, key, t)| (source.to_string(), *key, t))
            .collect();
        out.sort_unstable_by_key(|(_, _, t)| *t);
        out
    }

    pub fn save(&self, w: &mut impl Write) -> io::Result<()> {
        w.write_all(&(self.changes.len() as u64).to_le_bytes())?;
        for c in &self.changes {
            let source = c.source.as_bytes();
            w.write_all(&(source.len() as u16).to_le_bytes())?;
            w.write_all(source)?;
            w.write_all(&c.modified.to_le_bytes())?;
            w.write_all(c.key.as_bytes())?;
            w.write_all(&[u8::from(c.deleted)])?;
        }
        Ok(())
    }

    pub fn load(r: &mut impl Read) -> io::Result<Self> {
        let mut index = Self::default();
        let mut n = [0; 8];
        r.read_exact(&mut n)?;
        for _ in 0..u64::from_le_bytes(n) {
            let mut len = [0; 2];
            r.read_exact(&mut len)?;
            let mut source = vec![0; usize::from(u16::from_le_bytes(len))];
            r.read_exact(&mut source)?;
            let source = String::from_utf8(source)
                .map_err(|_| io::Error::new(io::ErrorKind::InvalidData, "bad source id"))?;
            let mut modified = [0; 8];
            r.read_exact(&mut modified)?;
            let mut key = [0; 16];
            r.read_exact(&mut key)?;
            let mut deleted = [0; 1];
            r.read_exact(&mut deleted)?;
            index.insert(
                &source,
                RecordKey::from_bytes(key),
                i64::from_le_bytes(modified),
                deleted[0] == 1,
            );
        }
        Ok(index)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn listings_resume_after_the_cursor_and_see_moved_records_again() {
        let mut i = ChangeIndex::default();
        for (n, source) in ["a", "b", "a", "b", "a"].iter().enumerate() {
            i.insert(
                source,
                RecordKey::from_bytes([n as u8; 16]),
                10 * n as i64,
                false,
            );
        }
        let first = i.list(None, None, None, None, 2);
        assert_eq!(
            first
                .iter()
                .map(|c| c.key.as_bytes()[0])
                .collect::<Vec<_>>(),
            [0, 1]
        );
        assert_eq!(
            i.current("a", &RecordKey::from_bytes([0; 16])),
            Some((0, false))
        );
        // Record 0 changes while the client pages: it moves to the end (its one change
        // replaced).
        i.insert("a", RecordKey::from_bytes([0; 16]), 100, false);
        let last = first.last().unwrap();
        let cursor = ChangeCursor {
            modified: last.modified,
            source: last.source.clone(),
            key: last.key,
        };
        let rest = i.list(None, None, None, Some(&cursor), 10);
        assert_eq!(
            rest.iter().map(|c| c.key.as_bytes()[0]).collect::<Vec<_>>(),
            [2, 3, 4, 0]
        );
        // A set, and from/until (inclusive).
        let a = i.list(Some("a"), Some(20), Some(40), None, 10);
        assert_eq!(
            a.iter().map(|c| c.key.as_bytes()[0]).collect::<Vec<_>>(),
            [2, 4]
        );
        assert!(i.list(Some("zzz"), None, None, None, 10).is_empty());
        assert_eq!(i.earliest(), Some(10));
        i.insert("b", RecordKey::from_bytes([9; 16]), 5, true);
        assert_eq!(
            i.tombstones_before(6),
            vec![("b".to_owned(), RecordKey::from_bytes([9; 16]), 5)]
        );
        let mut bytes = Vec::new();
        i.save(&mut bytes).unwrap();
        let j = ChangeIndex::load(&mut bytes.as_slice()).unwrap();
        assert_eq!(
            j.list(None, None, None, None, 100),
            i.list(None, None, None, None, 100)
        );
    }

    #[test]
    fn a_record_has_one_change_which_a_touch_moves() {
        let mut i = ChangeIndex::default();
        let k = RecordKey::from_bytes([7; 16]);
        i.insert("a", k, 10, false);
        i.insert("b", k, 20, true);
        assert_eq!(i.of_key(&k), vec![("a", 10, false), ("b", 20, true)]);
        i.touch("a", k, 30);
        i.touch("b", k, 30);
        assert_eq!(i.of_key(&k), vec![("a", 30, false), ("b", 30, true)]);
        assert_eq!(i.list(None, None, None, None, 10).len(), 2);
        assert_eq!(i.tombstone("b", &k), Some(30));
        // Deleted, then back: the tombstone goes.
        i.insert("b", k, 40, false);
        assert_eq!(i.tombstone("b", &k), None);
        assert_eq!(i.tombstones_before(100), vec![]);
        i.remove("a", k);
        assert_eq!(i.of_key(&k), vec![("b", 40, false)]);
        assert_eq!(i.list(None, None, None, None, 10).len(), 1);
    }
}
