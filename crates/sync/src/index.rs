//! In-memory sorted reconciliation keys per space, kept between syncs.
//!
//! Rebuilding the sorted set of a million records from SQLite costs a noticeable fraction of a
//! second, so each space's keys are loaded once and then updated as records are inserted.
//! Sync sessions take a cheap [`Snapshot`] (an `Arc`); an insert while a session holds one
//! copies the vector once (copy on write).

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use confab_core::{SpaceId, SyncKey};
use confab_store::{Change, Store, StoreError};
use negentropy::{Bound, Id, Item, NegentropyStorageBase};

/// A frozen, sorted view of one space's keys that negentropy reads from.
#[derive(Clone, Debug, Default)]
pub struct Snapshot(Arc<Vec<Item>>);

fn item(k: &SyncKey) -> Item {
    Item {
        timestamp: k.ts(),
        id: Id::from_byte_array(k.0),
    }
}

impl Snapshot {
    /// Builds a snapshot from keys in any order.
    pub fn from_keys(keys: &[SyncKey]) -> Self {
        let mut v: Vec<Item> = keys.iter().map(item).collect();
        v.sort_unstable();
        v.dedup();
        Self(Arc::new(v))
    }

    /// The keys dated at or before `ts` (the view of a peer on an older epoch).
    pub fn upto(&self, ts: u64) -> Self {
        let n = self.0.partition_point(|it| it.timestamp <= ts);
        Self(Arc::new(self.0[..n].to_vec()))
    }

    /// Number of keys.
    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// True if empty.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// True if the key is present.
    pub fn contains(&self, k: &SyncKey) -> bool {
        self.0.binary_search(&item(k)).is_ok()
    }
}

impl NegentropyStorageBase for Snapshot {
    fn size(&self) -> Result<usize, negentropy::Error> {
        Ok(self.0.len())
    }

    fn get_item(&self, i: usize) -> Result<Option<Item>, negentropy::Error> {
        Ok(self.0.get(i).copied())
    }

    fn iterate(
        &self,
        begin: usize,
        end: usize,
        cb: &mut dyn FnMut(Item, usize) -> Result<bool, negentropy::Error>,
    ) -> Result<(), negentropy::Error> {
        if begin > end || end > self.0.len() {
            return Err(negentropy::Error::BadRange);
        }
        for (i, it) in self.0[begin..end].iter().enumerate() {
            if !cb(*it, begin + i)? {
                break;
            }
        }
        Ok(())
    }

    fn find_lower_bound(&self, first: usize, last: usize, value: &Bound) -> usize {
        first + self.0[first..last].partition_point(|it| *it < value.item)
    }
}

/// One space's keys: loaded, or being loaded (with the keys stored meanwhile, which the load
/// may not have seen).
#[derive(Debug)]
enum Entry {
    Ready(Snapshot),
    Loading(Vec<Item>),
}

/// Per-space key sets of one store.
#[derive(Debug, Default)]
pub struct SyncIndex {
    spaces: Mutex<HashMap<SpaceId, Entry>>,
}

impl SyncIndex {
    /// An empty index; spaces load on first use.
    pub fn new() -> Self {
        Self::default()
    }

    fn map(&self) -> std::sync::MutexGuard<'_, HashMap<SpaceId, Entry>> {
        self.spaces.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// The current keys of a space, loading them from the store the first time. Records
    /// stored while the keys load are noted beside the load and merged in after it: the store
    /// may commit between reading the keys and this task taking them, and a key lost there
    /// would never be offered to peers.
    pub async fn snapshot(&self, store: &Store, space: SpaceId) -> Result<Snapshot, StoreError> {
        {
            let mut map = self.map();
            match map.get(&space) {
                Some(Entry::Ready(s)) => return Ok(s.clone()),
                Some(Entry::Loading(_)) => {}
                None => {
                    map.insert(space, Entry::Loading(Vec::new()));
                }
            }
        }
        let mut keys: Vec<Item> = store.sync_keys(space).await?.iter().map(item).collect();
        let mut map = self.map();
        match map.get_mut(&space) {
            Some(Entry::Ready(s)) => Ok(s.clone()),
            Some(Entry::Loading(meanwhile)) => {
                keys.append(meanwhile);
                keys.sort_unstable();
                keys.dedup();
                let snap = Snapshot(Arc::new(keys));
                map.insert(space, Entry::Ready(snap.clone()));
                Ok(snap)
            }
            // Invalidated while loading (records were deleted): use it once, keep nothing.
            None => {
                keys.sort_unstable();
                keys.dedup();
                Ok(Snapshot(Arc::new(keys)))
            }
        }
    }

    /// Adds keys of newly stored records of loaded spaces. A batch is sorted and merged in
    /// one pass, so catch-up (which stores batches older than what is already there) costs
    /// linear time per batch rather than a shift of the whole set per key.
    pub fn note_inserted<'a>(&self, keys: impl IntoIterator<Item = (&'a SpaceId, &'a SyncKey)>) {
        let mut by_space: HashMap<SpaceId, Vec<Item>> = HashMap::new();
        for (space, key) in keys {
            by_space.entry(*space).or_default().push(item(key));
        }
        let mut map = self.map();
        for (space, mut new) in by_space {
            let snap = match map.get_mut(&space) {
                Some(Entry::Ready(snap)) => snap,
                Some(Entry::Loading(meanwhile)) => {
                    meanwhile.append(&mut new);
                    continue;
                }
                None => continue,
            };
            let v = Arc::make_mut(&mut snap.0);
            new.sort_unstable();
            new.dedup();
            // New records are usually the newest: then they go on the end.
            if v.last().is_none_or(|last| *last < new[0]) {
                v.extend(new);
            } else if new.len() == 1 {
                if let Err(pos) = v.binary_search(&new[0]) {
                    v.insert(pos, new[0]);
                }
            } else {
                *v = merge(v, &new);
            }
        }
    }

    /// Follows one committed change of the store: new keys are merged in; a space that lost
    /// records (a rotation deleted some, or they expired) is reloaded on its next snapshot.
    pub fn apply(&self, change: &Change) {
        match change {
            Change::Stored {
                inserted,
                rotated,
                gone,
                ..
            } => {
                self.note_inserted(inserted.iter().map(|i| (&i.space, &i.key)));
                self.note_inserted(gone.iter().map(|(s, k)| (s, k)));
                for s in rotated {
                    self.invalidate(&s.id);
                }
            }
            Change::Expired(spaces) => {
                for s in spaces {
                    self.invalidate(s);
                }
            }
            Change::Joined(_) | Change::Muted { .. } => {}
        }
    }

    /// Forgets a space's keys, so the next snapshot reloads them.
    pub fn invalidate(&self, space: &SpaceId) {
        self.map().remove(space);
    }

    /// Forgets every space.
    pub fn invalidate_all(&self) {
        self.map().clear();
    }
}

/// Merges two sorted runs, dropping duplicates.
fn merge(a: &[Item], b: &[Item]) -> Vec<Item> {
    let mut out = Vec::with_capacity(a.len() + b.len());
    let (mut i, mut j) = (0, 0);
    while i < a.len() && j < b.len() {
        match a[i].cmp(&b[j]) {
            std::cmp::Ordering::Less => {
                out.push(a[i]);
                i += 1;
            }
            std::cmp::Ordering::Greater => {
                out.push(b[j]);
                j += 1;
            }
            std::cmp::Ordering::Equal => {
                out.push(a[i]);
                i += 1;
                j += 1;
            }
        }
    }
    out.extend_from_slice(&a[i..]);
    out.extend_from_slice(&b[j..]);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(ts: u64, b: u8) -> SyncKey {
        let mut k = [b; 32];
        k[..8].copy_from_slice(&ts.to_be_bytes());
        SyncKey(k)
    }

    #[test]
    fn batches_in_any_order_keep_the_set_sorted_and_unique() {
        let index = SyncIndex::new();
        let space = SpaceId([7; 32]);
        index.map().insert(
            space,
            Entry::Ready(Snapshot::from_keys(&[key(50, 1), key(60, 1)])),
        );
        // Older than everything, newer than everything, in between, duplicates, one at a time.
        let batches: Vec<Vec<SyncKey>> = vec![
            vec![key(10, 2), key(5, 3), key(10, 2)],
            vec![key(99, 1)],
            vec![key(55, 9), key(50, 1), key(1, 1), key(70, 0)],
            vec![key(56, 1)],
        ];
        let mut all: Vec<SyncKey> = vec![key(50, 1), key(60, 1)];
        for b in &batches {
            index.note_inserted(b.iter().map(|k| (&space, k)));
            all.extend(b.iter().copied());
        }
        let other = SpaceId([8; 32]);
        index.note_inserted([(&other, &key(1, 1))]); // not loaded: ignored
        let want = Snapshot::from_keys(&all);
        let Some(Entry::Ready(got)) = index.map().get(&space).map(|e| match e {
            Entry::Ready(s) => Entry::Ready(s.clone()),
            Entry::Loading(v) => Entry::Loading(v.clone()),
        }) else {
            panic!("not loaded")
        };
        assert_eq!(got.0, want.0);
        assert!(index.map().get(&other).is_none());
    }

    #[tokio::test]
    async fn a_record_stored_while_the_keys_load_is_kept() {
        let store = Store::in_memory().unwrap();
        let space =
            confab_core::Space::create(confab_core::SpaceKind::Chat, "r", confab_core::AuthorKey([1; 32]))
                .unwrap();
        store.add_space(space.clone()).await.unwrap();
        let index = SyncIndex::new();
        // A load has begun (its keys were read) when a record is committed: the feed tells the
        // index, which keeps the key beside the load and merges it in.
        index.map().insert(space.id, Entry::Loading(Vec::new()));
        index.note_inserted([(&space.id, &key(42, 7))]);
        let snap = index.snapshot(&store, space.id).await.unwrap();
        assert!(
            snap.contains(&key(42, 7)),
            "the key stored during the load was lost"
        );
        assert!(matches!(index.map().get(&space.id), Some(Entry::Ready(_))));
        // Once loaded, inserts go straight in.
        index.note_inserted([(&space.id, &key(43, 7))]);
        assert!(index
            .snapshot(&store, space.id)
            .await
            .unwrap()
            .contains(&key(43, 7)));
    }
}
