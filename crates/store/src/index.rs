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
            changes: ChangeIndex::default(),
        }
    }

    pub fn remove(&mut self, source: &str, keys: &std::collections::HashSet<RecordKey>) {
        if let Some(list) = self.by_source.get_mut(source) {
            list.retain(|e| !keys.contains(&e.key));
        }
    }

    pub fn len(&self, source: Option<&str>) -> usize {
        match source {
            Some(s) => self.by_source.get(s).map_or(0, Vec::len),
            None => self.by_source.values().map(Vec::len).sum(),
        }
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
        Ok(Self { by_source, changes })
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
