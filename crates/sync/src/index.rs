//! In-memory sorted reconciliation keys per space, kept between syncs.
//!
//! Rebuilding the sorted set of a million records from SQLite costs a noticeable fraction of a
//! second, so each space's keys are loaded once and then updated as records are inserted.
//! Sync sessions take a cheap [`Snapshot`] (an `Arc`); an insert while a session holds one
//! copies the vector once (copy on write).

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use confab_core::{SpaceId, SyncKey};
use confab_store::{Store, StoreError};
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

/// Per-space key sets of one store.
#[derive(Debug, Default)]
pub struct SyncIndex {
    spaces: Mutex<HashMap<SpaceId, Snapshot>>,
}

impl SyncIndex {
    /// An empty index; spaces load on first use.
    pub fn new() -> Self {
        Self::default()
    }

    fn map(&self) -> std::sync::MutexGuard<'_, HashMap<SpaceId, Snapshot>> {
        self.spaces.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// The current keys of a space, loading them from the store the first time.
    pub async fn snapshot(&self, store: &Store, space: SpaceId) -> Result<Snapshot, StoreError> {
        if let Some(s) = self.map().get(&space) {
            return Ok(s.clone());
        }
        let keys = store.sync_keys(space).await?;
        let snap = Snapshot::from_keys(&keys);
        Ok(self.map().entry(space).or_insert(snap).clone())
    }

    /// Adds keys of newly stored records of loaded spaces.
    pub fn note_inserted<'a>(&self, keys: impl IntoIterator<Item = (&'a SpaceId, &'a SyncKey)>) {
        let mut map = self.map();
        for (space, key) in keys {
            if let Some(snap) = map.get_mut(space) {
                let v = Arc::make_mut(&mut snap.0);
                let it = item(key);
                // New records are usually the newest: try the end before searching.
                if v.last().is_none_or(|last| *last < it) {
                    v.push(it);
                } else if let Err(pos) = v.binary_search(&it) {
                    v.insert(pos, it);
                }
            }
        }
    }

    /// Forgets a space's keys (after expiry purges or writes by another process), so the next
    /// snapshot reloads them.
    pub fn invalidate(&self, space: &SpaceId) {
        self.map().remove(space);
    }

    /// Forgets every space.
    pub fn invalidate_all(&self) {
        self.map().clear();
    }
}
