//! The catalogue order: every record by source, then first-seen time, then key.
//!
//! It is derived state, rebuilt from the store at open, kept in memory (32 bytes a record: 48 MB
//! for 1.5M records) so that any catalogue page is found by position without scanning the pages
//! before it. New records go to the end of their source, so pages already read stay put.

use crate::iris::RecordKey;
use std::collections::BTreeMap;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct Entry {
    /// First seen, microseconds since the Unix epoch.
    pub issued: i64,
    pub key: RecordKey,
}

#[derive(Debug, Default)]
pub struct CatalogIndex {
    by_source: BTreeMap<String, Vec<Entry>>,
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
        Self { by_source }
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

    /// The records at positions `offset..offset + limit` of the catalogue (one source's, or the
    /// federation's: sources in id order).
    pub fn slice(&self, source: Option<&str>, offset: usize, limit: usize) -> Vec<(String, RecordKey)> {
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

#[cfg(test)]
mod tests {
    use super::*;

    fn e(issued: i64, k: u8) -> Entry {
        Entry { issued, key: [k; 16] }
    }

    #[test]
    fn slices_cross_sources_in_order() {
        let mut i = CatalogIndex::default();
        i.insert("b", e(1, 1));
        i.insert("a", e(5, 2));
        i.insert("a", e(3, 3));
        i.insert("b", e(2, 4));
        let all: Vec<u8> = i.slice(None, 0, 10).iter().map(|(_, k)| k[0]).collect();
        assert_eq!(all, vec![3, 2, 1, 4]);
        let page: Vec<u8> = i.slice(None, 1, 2).iter().map(|(_, k)| k[0]).collect();
        assert_eq!(page, vec![2, 1]);
        assert_eq!(i.slice(Some("b"), 1, 5).len(), 1);
        assert_eq!(i.slice(None, 4, 5).len(), 0);
        assert_eq!(i.len(None), 4);
        i.remove("a", &[[3; 16]].into());
        assert_eq!(i.len(Some("a")), 1);
    }
}
