//! The catalogue order: every record by source, then first-seen time, then key.
//!
//! It is derived state, rebuilt from the store at open, kept in memory (32 bytes a record: 48 MB
//! for 1.5M records) so that any catalogue page is found by position without scanning the pages
//! before it. New records go to the end of their source, so pages already read stay put.

use crate::changes::ChangeIndex;
use alzette_dcat::RecordKey;
use std::collections::BTreeMap;
use std::io::{self, Read, Write};

/// First bytes of a saved catalogue order.
const MAGIC: &[u8; 16] = b"alzette-order-2\n";

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct Entry {
    /// First seen, microseconds since the Unix epoch.
    pub issued: i64,
    pub key: RecordKey,
}

#[derive(Debug, Default)]
pub struct CatalogIndex {
    by_source: BTreeMap<String, Vec<Entry>>,
    /// Records shadowed by another source's record of the same resource (see `federation`), by
    /// source, sorted: the federation catalogue skips them. Not saved: the federation is
    /// rebuilt at open.
    shadowed: BTreeMap<String, Vec<Entry>>,
    /// Records and tombstones by last change, for OAI-PMH.
    pub changes: ChangeIndex,
}

impl CatalogIndex {
    pub fn insert(&mut self, source: &str, entry: Entry) {
        let list = match self.by_source.get_mut(source) {
            Some(l) => l,
            None => self.by_source.entry(source.to_owned()).or_default(),
        };
        // Usually the newest: appended.
        match list.last() {
            Some(last) if *last >= entry => {
                if let Err(pos) = list.binary_search(&entry) {
                    list.insert(pos, entry);
                }
            }
            _ => list.push(entry),
        }
    }

    /// Builds from unsorted entries.
    pub fn from_entries(entries: impl IntoIterator<Item = (String, Entry)>) -> Self {
        let mut by_source: BTreeMap<String, Vec<Entry>> = BTreeMap::new();
        for (source, entry) in entries {
            by_source.entry(source).or_default().push(entry);
        }
        for list in by_source.values_mut() {
            list.sort_unstable();
            list.dedup();
        }
        Self {
            by_source,
            shadowed: BTreeMap::new(),
            changes: ChangeIndex::default(),
        }
    }

    pub fn remove(&mut self, source: &str, keys: &std::collections::HashSet<RecordKey>) {
        if let Some(list) = self.by_source.get_mut(source) {
            list.retain(|e| !keys.contains(&e.key));
        }
        if let Some(list) = self.shadowed.get_mut(source) {
            list.retain(|e| !keys.contains(&e.key));
        }
    }

    /// Marks a record shadowed (`true`) or published again.
    pub fn shadow(&mut self, source: &str, entry: Entry, shadowed: bool) {
        let list = self.shadowed.entry(source.to_owned()).or_default();
        match (list.binary_search(&entry), shadowed) {
            (Err(pos), true) => list.insert(pos, entry),
            (Ok(pos), false) => {
                list.remove(pos);
            }
            _ => {}
        }
    }

    /// Forgets every shadowed mark (before the federation is worked out again).
    pub fn clear_shadowed(&mut self) {
        self.shadowed.clear();
    }

    fn is_shadowed(&self, source: &str, entry: &Entry) -> bool {
        self.shadowed
            .get(source)
            .is_some_and(|l| l.binary_search(entry).is_ok())
    }

    /// Records in the federation catalogue: each resource once.
    pub fn published_len(&self) -> usize {
        self.len(None) - self.shadowed.values().map(Vec::len).sum::<usize>()
    }

    /// The records at positions `offset..offset + limit` of the federation catalogue: the
    /// catalogue order without shadowed records, found by binary search (the cost does not
    /// depend on `offset`).
    pub fn published_slice(&self, offset: usize, limit: usize) -> Vec<(String, RecordKey)> {
        let mut out = Vec::with_capacity(limit);
        let mut skip = offset;
        for (source, list) in &self.by_source {
            let shadowed = self.shadowed.get(source).map_or(&[][..], Vec::as_slice);
            let published = list.len() - shadowed.len();
            if skip >= published {
                skip -= published;
                continue;
            }
            // The first position p whose published records before it number `skip`.
            let published_before = |p: usize| p - shadowed.partition_point(|e| *e < list[p]);
            let (mut lo, mut hi) = (skip, list.len());
            while lo < hi {
                let mid = (lo + hi) / 2;
                if published_before(mid) < skip {
                    lo = mid + 1;
                } else {
                    hi = mid;
                }
            }
            for e in &list[lo..] {
                if out.len() == limit {
                    return out;
                }
                if !self.is_shadowed(source, e) {
                    out.push((source.clone(), e.key));
                }
            }
            skip = 0;
        }
        out
    }

    pub fn len(&self, source: Option<&str>) -> usize {
        match source {
            Some(s) => self.by_source.get(s).map_or(0, Vec::len),
            None => self.by_source.values().map(Vec::len).sum(),
        }
    }

    /// Every record: source, key, first seen.
    pub fn entries(&self) -> impl Iterator<Item = (String, RecordKey, i64)> + '_ {
        self.by_source
            .iter()
            .flat_map(|(s, list)| list.iter().map(move |e| (s.clone(), e.key, e.issued)))
    }

    pub fn keys_of(&self, source: &str) -> Vec<RecordKey> {
        self.by_source
            .get(source)
            .map(|l| l.iter().map(|e| e.key).collect())
            .unwrap_or_default()
    }

    /// Up to `n` records of each source, spread over its order.
    pub fn sample(&self, n: usize) -> Vec<(String, RecordKey)> {
        let mut out = Vec::new();
        for (source, list) in &self.by_source {
            let step = (list.len() / n.max(1)).max(1);
            out.extend(
                list.iter()
                    .step_by(step)
                    .chain(list.last())
                    .map(|e| (source.clone(), e.key)),
            );
        }
        out
    }

    /// Writes the order, for a quick start next time (see `RecordStore`): the base URI it was
    /// made with, then each source's entries.
    pub fn save(&self, base: &str, w: &mut impl Write) -> io::Result<()> {
        w.write_all(MAGIC)?;
        write_bytes(w, base.as_bytes())?;
        w.write_all(&(self.by_source.len() as u64).to_le_bytes())?;
        for (source, list) in &self.by_source {
            write_bytes(w, source.as_bytes())?;
            w.write_all(&(list.len() as u64).to_le_bytes())?;
            for e in list {
                w.write_all(&e.issued.to_le_bytes())?;
                w.write_all(e.key.as_bytes())?;
            }
        }
        self.changes.save(w)
    }

    /// Reads an order written by [`CatalogIndex::save`] with the same base URI.
    pub fn load(base: &str, r: &mut impl Read) -> io::Result<Self> {
        let invalid = |m: &str| io::Error::new(io::ErrorKind::InvalidData, m.to_owned());
        let mut magic = [0; 16];
        r.read_exact(&mut magic)?;
        if &magic != MAGIC {
            return Err(invalid("not a saved catalogue order"));
        }
        if read_bytes(r)? != base.as_bytes() {
            return Err(invalid("saved with another base URI"));
        }
        let mut by_source = BTreeMap::new();
        for _ in 0..read_u64(r)? {
            let source = String::from_utf8(read_bytes(r)?).map_err(|_| invalid("bad source id"))?;
            let n = read_u64(r)?;
            let mut list = Vec::with_capacity(usize::try_from(n).unwrap_or(0).min(1 << 24));
            for _ in 0..n {
                let mut issued = [0; 8];
                r.read_exact(&mut issued)?;
                let mut key = [0; 16];
                r.read_exact(&mut key)?;
                list.push(Entry {
                    issued: i64::from_le_bytes(issued),
                    key: RecordKey::from_bytes(key),
                });
            }
            if !list.is_sorted() {
                return Err(invalid("entries out of order"));
            }
            by_source.insert(source, list);
        }
        let changes = ChangeIndex::load(r)?;
        Ok(Self {
            by_source,
            shadowed: BTreeMap::new(),
            changes,
        })
    }

    /// The records at positions `offset..offset + limit` of the catalogue (one source's, or the
    /// federation's: sources in id order).
    pub fn slice(
        &self,
        source: Option<&str>,
        offset: usize,
        limit: usize,
    ) -> Vec<(String, RecordKey)> {
        let mut out = Vec::with_capacity(limit);
        let mut skip = offset;
        let lists: Box<dyn Iterator<Item = (&String, &Vec<Entry>)>> = match source {
            Some(s) => Box::new(self.by_source.get_key_value(s).into_iter()),
            None => Box::new(self.by_source.iter()),
        };
        for (source, list) in lists {
            if skip >= list.len() {
                skip -= list.len();
                continue;
            }
            for e in &list[skip..] {
                if out.len() == limit {
                    return out;
                }
                out.push((source.clone(), e.key));
            }
            skip = 0;
        }
        out
    }
}

fn write_bytes(w: &mut impl Write, bytes: &[u8]) -> io::Result<()> {
    w.write_all(&(bytes.len() as u64).to_le_bytes())?;
    w.write_all(bytes)
}

fn read_u64(r: &mut impl Read) -> io::Result<u64> {
    let mut b = [0; 8];
    r.read_exact(&mut b)?;
    Ok(u64::from_le_bytes(b))
}

fn read_bytes(r: &mut impl Read) -> io::Result<Vec<u8>> {
    let n = read_u64(r)?;
    if n > 1 << 20 {
        return Err(io::Error::new(io::ErrorKind::InvalidData, "field too long"));
    }
    let mut b = vec![0; n as usize];
    r.read_exact(&mut b)?;
    Ok(b)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn e(issued: i64, k: u8) -> Entry {
        Entry {
            issued,
            key: RecordKey::from_bytes([k; 16]),
        }
    }

    #[test]
    fn slices_cross_sources_in_order() {
        let mut i = CatalogIndex::default();
        i.insert("b", e(1, 1));
        i.insert("a", e(5, 2));
        i.insert("a", e(3, 3));
        i.insert("b", e(2, 4));
        let all: Vec<u8> = i
            .slice(None, 0, 10)
            .iter()
            .map(|(_, k)| k.as_bytes()[0])
            .collect();
        assert_eq!(all, vec![3, 2, 1, 4]);
        let page: Vec<u8> = i
            .slice(None, 1, 2)
            .iter()
            .map(|(_, k)| k.as_bytes()[0])
            .collect();
        assert_eq!(page, vec![2, 1]);
        assert_eq!(i.slice(Some("b"), 1, 5).len(), 1);
        assert_eq!(i.slice(None, 4, 5).len(), 0);
        assert_eq!(i.len(None), 4);
        i.remove("a", &[RecordKey::from_bytes([3; 16])].into());
        assert_eq!(i.len(Some("a")), 1);
    }

    #[test]
    fn the_federation_catalogue_skips_shadowed_records() {
        let mut i = CatalogIndex::default();
        for n in 0..10u8 {
            i.insert("a", e(i64::from(n), n));
            i.insert("b", e(i64::from(n), 100 + n));
        }
        for n in [0u8, 3, 4, 9] {
            i.shadow("a", e(i64::from(n), n), true);
        }
        i.shadow("b", e(5, 105), true);
        assert_eq!(i.published_len(), 15);
        let all: Vec<u8> = i
            .published_slice(0, 100)
            .iter()
            .map(|(_, k)| k.as_bytes()[0])
            .collect();
        assert_eq!(
            all,
            vec![
                1, 2, 5, 6, 7, 8, 100, 101, 102, 103, 104, 106, 107, 108, 109
            ]
        );
        // Every page, at every offset, is the same as slicing the whole.
        for offset in 0..16 {
            for limit in 1..4 {
                let page: Vec<u8> = i
                    .published_slice(offset, limit)
                    .iter()
                    .map(|(_, k)| k.as_bytes()[0])
                    .collect();
                let expected: Vec<u8> = all.iter().skip(offset).take(limit).copied().collect();
                assert_eq!(page, expected, "offset {offset} limit {limit}");
            }
        }
        i.shadow("a", e(3, 3), false);
        assert_eq!(i.published_len(), 16);
        i.remove("a", &[RecordKey::from_bytes([4; 16])].into());
        assert_eq!(i.published_len(), 16);
    }

    #[test]
    fn saved_orders_load_only_for_their_base() {
        let mut i = CatalogIndex::default();
        i.insert("b", e(1, 1));
        i.insert("a", e(5, 2));
        let mut bytes = Vec::new();
        i.save("http://x/", &mut bytes).unwrap();
        let j = CatalogIndex::load("http://x/", &mut bytes.as_slice()).unwrap();
        assert_eq!(j.slice(None, 0, 10), i.slice(None, 0, 10));
        assert!(CatalogIndex::load("http://y/", &mut bytes.as_slice()).is_err());
        assert!(CatalogIndex::load("http://x/", &mut &bytes[..bytes.len() - 3]).is_err());
    }
}
