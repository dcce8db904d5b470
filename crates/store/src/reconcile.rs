//! What reconciliation reads: the space a sync id names, a space's keys, and the records
//! for keys a peer asked for.

use confab_core::{Space, SpaceId, SyncKey};
use rusqlite::{params, OptionalExtension};

use crate::db::{blob32, Db};
use crate::StoreError;

impl Db {
    /// The space a sync id names, and the newest timestamp a peer asking by it may be served
    /// (see [`Space::resolve_sync_id`]).
    pub fn sync_view(&self, sync_id: &SpaceId) -> Option<(Space, Option<u64>)> {
        if let Some(s) = self.spaces.get(sync_id) {
            let upto = s.resolve_sync_id(sync_id).and_then(|(_, u)| u);
            return Some((s.clone(), upto));
        }
        self.spaces
            .values()
            .find_map(|s| s.resolve_sync_id(sync_id).map(|(_, upto)| (s.clone(), upto)))
    }

    /// Reconciliation keys of live records, ascending.
    pub fn sync_keys(&mut self, space: &SpaceId, now_ms: u64) -> Result<Vec<SyncKey>, StoreError> {
        let mut stmt = self.conn.prepare_cached(
            "SELECT ts, id FROM records WHERE space = ?1 AND (expires IS NULL OR expires > ?2) \
             UNION ALL SELECT ts, id FROM gone WHERE space = ?1 ORDER BY ts, id",
        )?;
        let rows = stmt.query_map(params![space.0, now_ms as i64], |r| {
            Ok((r.get::<_, i64>(0)?, r.get::<_, Vec<u8>>(1)?))
        })?;
        let mut out = Vec::new();
        for row in rows {
            let (ts, id) = row?;
            out.push(SyncKey::new(ts as u64, &confab_core::RecordId(blob32(id)?)));
        }
        Ok(out)
    }

    /// Encodings for the given keys, in the order asked, until `max_bytes` is reached (at
    /// least one record is returned if any is found). Unknown or expired keys are skipped.
    /// Returns the encodings and how many keys were handled.
    pub fn records_by_keys(
        &mut self,
        space: &SpaceId,
        keys: &[SyncKey],
        max_bytes: usize,
        now_ms: u64,
    ) -> Result<(Vec<Vec<u8>>, usize), StoreError> {
        self.records_by_keys_upto(space, keys, max_bytes, now_ms, None)
    }

    /// [`Db::records_by_keys`], treating keys dated after `upto` as unknown.
    pub fn records_by_keys_upto(
        &mut self,
        space: &SpaceId,
        keys: &[SyncKey],
        max_bytes: usize,
        now_ms: u64,
        upto: Option<u64>,
    ) -> Result<(Vec<Vec<u8>>, usize), StoreError> {
        let mut stmt = self.conn.prepare_cached(
            "SELECT raw FROM records WHERE space = ?1 AND ts = ?2 AND id >= ?3 AND id <= ?4 \
             AND (expires IS NULL OR expires > ?5) LIMIT 1",
        )?;
        let mut out = Vec::with_capacity(keys.len().min(1024));
        let mut bytes = 0usize;
        for (i, k) in keys.iter().enumerate() {
            if upto.is_some_and(|t| k.ts() > t) {
                continue;
            }
            let mut lo = [0u8; 32];
            let mut hi = [0xffu8; 32];
            lo[..24].copy_from_slice(k.id_prefix());
            hi[..24].copy_from_slice(k.id_prefix());
            if let Some(raw) = stmt
                .query_row(
                    params![space.0, k.ts() as i64, &lo[..], &hi[..], now_ms as i64],
                    |r| r.get::<_, Vec<u8>>(0),
                )
                .optional()?
            {
                if !out.is_empty() && bytes + raw.len() > max_bytes {
                    return Ok((out, i));
                }
                bytes += raw.len();
                out.push(raw);
            }
        }
        Ok((out, keys.len()))
    }
}
