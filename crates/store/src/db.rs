//! The connection the store thread owns, and every query it runs.

use std::collections::HashMap;
use std::path::Path;
use std::sync::Arc;

use confab_core::space::Epoch;
use confab_core::{AuthorKey, Body, Record, RecordKind, Space, SpaceId, SpaceKey, SpaceKind, Verified};
use rusqlite::{params, Connection, OptionalExtension, Transaction};

use crate::feed::{Change, Feed, Origin, Subscriber};
use crate::schema::{migrations, version_triple, MIN_SQLITE_VERSION};
use crate::{InsertReport, Inserted, Refusal, StoreError};

/// The store thread's state: the connection, the joined spaces (their keys decrypt bodies) and
/// this member's signing key (it opens the key boxes of rotations).
pub struct Db {
    pub(crate) conn: Connection,
    pub(crate) spaces: HashMap<SpaceId, Space>,
    /// Space ids in the order they were joined.
    pub(crate) order: Vec<SpaceId>,
    me: Option<confab_core::Identity>,
    feed: Feed,
    /// Conversations and search are kept up to date on insert (off only to measure their cost).
    pub(crate) conversations: bool,
    /// The highest search document number given to a record.
    pub(crate) last_doc: i64,
}

/// Carries out what a rotation starting at `since` does to records stored before it
/// ([`Space::plan_rotation`]): `space` is the space after it, `before` the space as it was.
fn execute_rotation(
    tx: &Transaction<'_>,
    space: &Space,
    me: Option<confab_core::Signer<'_>>,
    before: &Space,
    since: u64,
    report: &mut InsertReport,
    last_doc: &mut i64,
) -> Result<(), StoreError> {
    if !report.rekeyed.contains(&space.id) {
        report.rekeyed.push(space.id);
    }
    // Records dated after the rotation, and every record of the members it removed.
    let mut raws: Vec<Vec<u8>> = {
        let mut q = tx.prepare_cached("SELECT raw FROM records WHERE space = ?1 AND ts > ?2")?;
        let rows = q
            .query_map(params![space.id.0, since as i64], |r| r.get(0))?
            .collect::<Result<_, _>>()?;
        rows
    };
    let removed = space
        .epochs
        .iter()
        .find(|e| e.since == since)
        .map(|e| e.removed.clone())
        .unwrap_or_default();
    for who in removed {
        let mut q =
            tx.prepare_cached("SELECT raw FROM records WHERE space = ?1 AND author = ?2 AND ts <= ?3")?;
        let rows: Vec<Vec<u8>> = q
            .query_map(params![space.id.0, who.0, since as i64], |r| r.get(0))?
            .collect::<Result<_, _>>()?;
        raws.extend(rows);
    }
    let candidates = raws
        .iter()
        .map(|raw| Record::decode(raw).map_err(|e| StoreError::Corrupt(e.to_string())))
        .collect::<Result<Vec<_>, _>>()?;
    let plan = space
        .plan_rotation(before, me, candidates)
        .map_err(|e| StoreError::Corrupt(e.to_string()))?;
    for id in &plan.delete {
        crate::conversation::forget(tx, id)?;
        tx.execute("DELETE FROM records WHERE id = ?1", [&id.0])?;
        tx.execute("DELETE FROM erased WHERE source = ?1", [&id.0])?;
        report.purged += 1;
    }
    let mut ins = tx.prepare_cached(INSERT_RECORD)?;
    for (again, body) in plan.reseal {
        let doc = searchable(again.kind).then(|| {
            *last_doc += 1;
            *last_doc
        });
        insert_row(&mut ins, &again, doc)?;
        note_erase(tx, &again)?;
        crate::conversation::admit(tx, space, &again, &body, doc)?;
        Arc::make_mut(&mut report.inserted).push(Inserted::new(again.into_inner(), body));
    }
    Ok(())
}

/// Records which strokes an erase removes.
fn note_erase(tx: &Transaction<'_>, rec: &Record) -> Result<(), StoreError> {
    if rec.kind == RecordKind::Erase {
        let mut q =
            tx.prepare_cached("INSERT OR IGNORE INTO erased (space, target, source) VALUES (?1, ?2, ?3)")?;
        for target in &rec.refs {
            q.execute(params![rec.space.0, target.0, rec.id.0])?;
        }
    }
    Ok(())
}

const INSERT_RECORD: &str = "INSERT OR IGNORE INTO records (space, ts, id, kind, author, expires, raw, doc) \
     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)";

/// Whether records of this kind are searchable (have a document in the search index).
pub(crate) fn searchable(kind: RecordKind) -> bool {
    matches!(kind, RecordKind::ChatMessage | RecordKind::NewsIssue)
}

/// Inserts a record's row (ignored if its id is already stored), with its search document
/// number if it has one; the number of rows added.
fn insert_row(
    stmt: &mut rusqlite::CachedStatement<'_>,
    rec: &Record,
    doc: Option<i64>,
) -> Result<usize, StoreError> {
    Ok(stmt.execute(params![
        rec.space.0,
        rec.ts.0 as i64,
        rec.id.0,
        rec.kind.code(),
        rec.person().0,
        rec.expires.map(|e| e as i64),
        rec.encoded(),
        doc
    ])?)
}

fn save_epoch(tx: &Transaction<'_>, space: &SpaceId, e: &Epoch) -> Result<(), StoreError> {
    let removed: Vec<u8> = e.removed.iter().flat_map(|a| a.0).collect();
    let kept: Option<Vec<u8>> = e.kept.as_ref().map(|k| k.iter().flatten().copied().collect());
    tx.execute(
        "INSERT OR REPLACE INTO epochs (space, n, since, key, removed, kept) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
        params![
            space.0,
            e.n as i64,
            e.since as i64,
            e.key.as_ref().map(|k| k.0.to_vec()),
            removed,
            kept
        ],
    )?;
    Ok(())
}

pub(crate) fn blob32(v: Vec<u8>) -> Result<[u8; 32], StoreError> {
    v.try_into()
        .map_err(|_| StoreError::Corrupt("a 32-byte field has the wrong length".into()))
}

impl Db {
    /// Opens a database file: pragmas, version check, migrations.
    pub fn open(path: &Path) -> Result<Db, StoreError> {
        let conn = Connection::open(path)?;
        Self::setup(conn)
    }

    /// A private in-memory database.
    pub fn open_in_memory() -> Result<Db, StoreError> {
        Self::setup(Connection::open_in_memory()?)
    }

    fn setup(mut conn: Connection) -> Result<Db, StoreError> {
        let version: String = conn.query_row("SELECT sqlite_version()", [], |r| r.get(0))?;
        if version_triple(&version) < version_triple(MIN_SQLITE_VERSION) {
            return Err(StoreError::OldSqlite { found: version });
        }
        // WAL lets tests and tools read while the node writes; NORMAL sync is durable across
        // application crashes, which is what WAL promises.
        conn.pragma_update(None, "journal_mode", "WAL")?;
        conn.pragma_update(None, "synchronous", "NORMAL")?;
        conn.pragma_update(None, "foreign_keys", "ON")?;
        // Reconciliation inserts land all over a large table: keep 64 MiB of pages in memory.
        conn.pragma_update(None, "cache_size", -65536)?;
        conn.busy_timeout(std::time::Duration::from_secs(10))?;
        // Deleted for everyone means gone from the file too: freed pages are zeroed.
        conn.pragma_update(None, "secure_delete", "ON")?;
        let before: i64 = conn.query_row("PRAGMA user_version", [], |r| r.get(0))?;
        migrations().to_latest(&mut conn)?;
        let mut db = Db {
            conn,
            spaces: HashMap::new(),
            order: Vec::new(),
            me: None,
            feed: Feed::default(),
            conversations: true,
            last_doc: 0,
        };
        db.last_doc = db
            .conn
            // The WHERE lets SQLite read the answer from the (partial) index on doc.
            .query_row(
                "SELECT coalesce(max(doc), 0) FROM records WHERE doc IS NOT NULL",
                [],
                |r| r.get(0),
            )?;
        db.reload_spaces()?;
        if before > 0 && before < 7 {
            db.backfill_search()?;
        }
        Ok(db)
    }

    /// The raw connection, for tests and maintenance.
    pub fn conn(&mut self) -> &mut Connection {
        &mut self.conn
    }

    /// Sets this member's identity: its device key opens the key boxes of rotations and signs
    /// its own records again when a rotation needs it.
    pub fn set_me(&mut self, me: confab_core::Identity) -> Result<(), StoreError> {
        self.me = Some(me);
        self.reload_spaces()
    }

    /// Adds a subscriber to the change feed.
    pub(crate) fn subscribe(&mut self, f: Subscriber) {
        self.feed.add(f);
    }

    /// Tells the change feed's subscribers of a committed change.
    pub(crate) fn publish(&self, change: Change) {
        self.feed.publish(change);
    }

    pub(crate) fn space_or_err(&self, id: &SpaceId) -> Result<&Space, StoreError> {
        self.spaces
            .get(id)
            .ok_or_else(|| StoreError::UnknownSpace(id.to_string()))
    }

    /// Reads the joined spaces and their epochs. The process holding the data dir's lock is
    /// the only writer, so this is needed at open and after a failed transaction only.
    fn reload_spaces(&mut self) -> Result<(), StoreError> {
        let mut epochs: HashMap<SpaceId, Vec<Epoch>> = HashMap::new();
        {
            let mut stmt = self
                .conn
                .prepare("SELECT space, n, since, key, removed, kept FROM epochs ORDER BY space, n")?;
            let rows = stmt.query_map([], |r| {
                Ok((
                    r.get::<_, Vec<u8>>(0)?,
                    r.get::<_, i64>(1)?,
                    r.get::<_, i64>(2)?,
                    r.get::<_, Option<Vec<u8>>>(3)?,
                    r.get::<_, Vec<u8>>(4)?,
                    r.get::<_, Option<Vec<u8>>>(5)?,
                ))
            })?;
            for row in rows {
                let (space, n, since, key, removed, kept) = row?;
                if removed.len() % 32 != 0 || kept.as_ref().is_some_and(|k| k.len() % 16 != 0) {
                    return Err(StoreError::Corrupt(
                        "an epoch's removed list is not whole keys".into(),
                    ));
                }
                let key = match key {
                    Some(k) => Some(SpaceKey(blob32(k)?)),
                    None => None,
                };
                epochs.entry(SpaceId(blob32(space)?)).or_default().push(Epoch {
                    n: n as u32,
                    since: since as u64,
                    key,
                    removed: removed
                        .chunks(32)
                        .map(|c| AuthorKey(c.try_into().expect("32-byte chunks")))
                        .collect(),
                    kept: kept.map(|k| {
                        k.chunks(16)
                            .map(|c| c.try_into().expect("16-byte chunks"))
                            .collect()
                    }),
                });
            }
        }
        let mut revoked = std::collections::BTreeMap::new();
        {
            let mut q = self.conn.prepare("SELECT device, at_ms FROM revocations")?;
            for row in q.query_map([], |r| Ok((r.get::<_, Vec<u8>>(0)?, r.get::<_, i64>(1)?)))? {
                let (d, at) = row?;
                revoked.insert(AuthorKey(blob32(d)?), at as u64);
            }
        }
        let mut stmt = self
            .conn
            .prepare("SELECT kind, name, key, owner FROM spaces ORDER BY joined_at, id")?;
        let rows = stmt.query_map([], |r| {
            Ok((
                r.get::<_, String>(0)?,
                r.get::<_, String>(1)?,
                r.get::<_, Vec<u8>>(2)?,
                r.get::<_, Vec<u8>>(3)?,
            ))
        })?;
        let mut spaces = HashMap::new();
        let mut order = Vec::new();
        for row in rows {
            let (kind, name, key, owner) = row?;
            let kind: SpaceKind = kind.parse().map_err(StoreError::Corrupt)?;
            let mut s = Space::from_parts(kind, name, SpaceKey(blob32(key)?), AuthorKey(blob32(owner)?));
            s.epochs = epochs.remove(&s.id).unwrap_or_default();
            s.revoked = revoked.clone();
            order.push(s.id);
            spaces.insert(s.id, s);
        }
        self.spaces = spaces;
        self.order = order;
        Ok(())
    }

    /// Joins a space, or learns the epochs a ticket carries that the store lacks. True if it
    /// was new.
    pub fn add_space(&mut self, space: &Space) -> Result<bool, StoreError> {
        let tx = self.conn.transaction()?;
        let n = tx.execute(
            "INSERT OR IGNORE INTO spaces (id, kind, name, key, owner, joined_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
            params![space.id.0, space.kind.as_str(), space.name, space.key.0, space.owner.0, confab_core::now_ms() as i64],
        )?;
        // A ticket may carry keys of rotations this store has not seen: keep the ones it lacks.
        let known = self.spaces.get(&space.id).map_or(0, |s| s.epochs.len());
        let learnt = space.epochs.len() > known;
        for e in space.epochs.iter().skip(known) {
            save_epoch(&tx, &space.id, e)?;
        }
        tx.commit()?;
        if n == 1 || learnt {
            self.reload_spaces()?;
            if let Some(s) = self.spaces.get(&space.id) {
                self.feed.publish(Change::Joined(s.clone()));
            }
        }
        Ok(n == 1)
    }

    /// All joined spaces, oldest joined first.
    pub fn spaces(&mut self) -> Result<Vec<Space>, StoreError> {
        Ok(self
            .order
            .iter()
            .filter_map(|id| self.spaces.get(id).cloned())
            .collect())
    }

    /// The joined space with this id.
    pub fn space(&self, id: &SpaceId) -> Option<&Space> {
        self.spaces.get(id)
    }

    /// The one space whose hex id starts with `prefix` (case-insensitive).
    pub fn resolve_space(&mut self, prefix: &str) -> Result<Space, StoreError> {
        let p = prefix.trim().to_ascii_lowercase();
        if p.is_empty() || !p.bytes().all(|b| b.is_ascii_hexdigit()) {
            return Err(StoreError::UnknownSpace(prefix.to_string()));
        }
        let found: Vec<&Space> = self
            .spaces
            .values()
            .filter(|s| s.id.to_string().starts_with(&p))
            .collect();
        match found.as_slice() {
            [one] => Ok((*one).clone()),
            [] => Err(StoreError::UnknownSpace(prefix.to_string())),
            many => Err(StoreError::AmbiguousSpace {
                prefix: prefix.to_string(),
                matches: many.iter().map(|s| s.id.short()).collect::<Vec<_>>().join(", "),
            }),
        }
    }

    /// Checks and stores a batch in one transaction, then tells the feed what it stored. A
    /// failed transaction changes nothing, the cached spaces included.
    pub fn insert(
        &mut self,
        records: Vec<Verified>,
        origin: Origin,
        now_ms: u64,
    ) -> Result<InsertReport, StoreError> {
        match self.insert_tx(records, now_ms) {
            Ok(report) => {
                if !report.gone.is_empty() {
                    self.checkpoint()?;
                }
                if !report.inserted.is_empty() || !report.rekeyed.is_empty() || !report.gone.is_empty() {
                    let rotated = report
                        .rekeyed
                        .iter()
                        .filter_map(|id| self.spaces.get(id).cloned())
                        .collect();
                    self.feed.publish(Change::Stored {
                        origin,
                        inserted: report.inserted.clone(),
                        rotated,
                        deleted: report.purged,
                        gone: report.gone.clone(),
                    });
                }
                Ok(report)
            }
            Err(e) => {
                // A rotation may have been applied to the cached space before the rollback.
                self.reload_spaces()?;
                Err(e)
            }
        }
    }

    fn insert_tx(&mut self, records: Vec<Verified>, now_ms: u64) -> Result<InsertReport, StoreError> {
        let mut report = InsertReport::default();
        let mut rotated: Vec<(Space, u64)> = Vec::new();
        let tx = self.conn.transaction()?;
        let mut max_ts = 0u64;
        {
            let mut ins = tx.prepare_cached(INSERT_RECORD)?;
            for rec in records {
                let Some(space) = self.spaces.get(&rec.space) else {
                    report.refused.push((Some(rec.id), Refusal::UnknownSpace(rec.id)));
                    continue;
                };
                if let Err(e) = rec.check_time(now_ms) {
                    report.refused.push((Some(rec.id), e.into()));
                    continue;
                }
                let body = match space.authorize(&rec) {
                    Ok(b) => b,
                    Err(e) => {
                        report.refused.push((Some(rec.id), e.into()));
                        continue;
                    }
                };
                let doc = (self.conversations && searchable(rec.kind)).then(|| self.last_doc + 1);
                if crate::conversation::is_gone(&tx, &rec.id)? || insert_row(&mut ins, &rec, doc)? == 0 {
                    report.duplicates += 1;
                    continue;
                }
                note_erase(&tx, &rec)?;
                crate::people::note_device(&tx, &rec)?;
                if let Some(d) = doc {
                    self.last_doc = d;
                }
                let fx = if self.conversations {
                    crate::conversation::admit(&tx, space, &rec, &body, doc)?
                } else {
                    Default::default()
                };
                report.gone.extend(fx.gone);
                if fx.self_gone {
                    continue;
                }
                if let Body::Revoke(r) = &body {
                    tx.prepare_cached(
                        "INSERT INTO revocations (device, account, at_ms, revocation) VALUES (?1, ?2, ?3, ?4)
                         ON CONFLICT (device) DO UPDATE SET at_ms = excluded.at_ms, revocation = excluded.revocation
                         WHERE excluded.at_ms < revocations.at_ms",
                    )?
                    .execute(params![r.device.0, r.account.0, r.at_ms as i64, r.encode()])?;
                    for s in self.spaces.values_mut() {
                        s.note_revoked(r.device, r.at_ms);
                    }
                }
                if let Body::Rekey(r) = &body {
                    let space = self.spaces.get_mut(&rec.space).expect("checked above");
                    let before = space.clone();
                    let key = self
                        .me
                        .as_ref()
                        .and_then(|me| space.open_rekey(r, me.signing_key()));
                    match space.apply_rekey(rec.ts.0, r, key) {
                        Ok(true) => {
                            let e = &space.epochs[r.epoch as usize - 1];
                            save_epoch(&tx, &rec.space, e)?;
                            rotated.push((before, rec.ts.0));
                        }
                        Ok(false) => {}
                        Err(why) => {
                            // Stored (it is the owner's signed record and peers converge on
                            // it) but it changes nothing here.
                            tracing::warn!("rotation record {} not applied: {why}", rec.id);
                        }
                    }
                }
                max_ts = max_ts.max(rec.ts.0);
                Arc::make_mut(&mut report.inserted).push(Inserted::new(rec.into_inner(), body));
            }
        }
        for (before, since) in rotated {
            execute_rotation(
                &tx,
                &self.spaces[&before.id],
                self.me.as_ref().map(|me| me.signer()),
                &before,
                since,
                &mut report,
                &mut self.last_doc,
            )?;
        }
        if max_ts > 0 {
            bump_clock(&tx, max_ts)?;
        }
        tx.commit()?;
        Ok(report)
    }

    /// Records a query selects (its `raw` column, `?1` the space and `?2` now in ms, more
    /// parameters bound from `?3` on), with their decrypted bodies.
    pub(crate) fn bodies_with(
        &mut self,
        space: &SpaceId,
        sql: &str,
        now_ms: u64,
        more: &[&dyn rusqlite::ToSql],
    ) -> Result<Vec<(Record, Body)>, StoreError> {
        let s = self
            .space(space)
            .cloned()
            .ok_or_else(|| StoreError::UnknownSpace(space.to_string()))?;
        let mut stmt = self.conn.prepare_cached(sql)?;
        let now = now_ms as i64;
        let mut all: Vec<&dyn rusqlite::ToSql> = vec![&space.0, &now];
        all.extend_from_slice(more);
        let rows = stmt.query_map(all.as_slice(), |r| r.get::<_, Vec<u8>>(0))?;
        let mut out = Vec::new();
        for raw in rows {
            let rec = Record::decode(&raw?).map_err(|e| StoreError::Corrupt(e.to_string()))?;
            let body = match s.decrypt(&rec) {
                Ok(b) => b,
                // Dated in an epoch whose key this member was not given (it was removed): such
                // a record can only be its own, written after the removal, or forged; not shown.
                Err(confab_core::AuthError::NoKey { .. }) => continue,
                Err(e) => return Err(StoreError::Corrupt(e.to_string())),
            };
            out.push((rec, body));
        }
        Ok(out)
    }

    /// Deletes expired records and the erase links they carried.
    pub fn purge_expired(&mut self, now_ms: u64) -> Result<Vec<SpaceId>, StoreError> {
        let tx = self.conn.transaction()?;
        let mut spaces = Vec::new();
        {
            let mut stmt =
                tx.prepare("SELECT DISTINCT space FROM records WHERE expires IS NOT NULL AND expires <= ?1")?;
            for s in stmt.query_map([now_ms as i64], |r| r.get::<_, Vec<u8>>(0))? {
                spaces.push(SpaceId(blob32(s?)?));
            }
            tx.execute(
                "DELETE FROM erased WHERE source IN (SELECT id FROM records WHERE expires IS NOT NULL AND expires <= ?1)",
                [now_ms as i64],
            )?;
            let expired: Vec<Vec<u8>> = tx
                .prepare("SELECT id FROM records WHERE expires IS NOT NULL AND expires <= ?1")?
                .query_map([now_ms as i64], |r| r.get(0))?
                .collect::<Result<_, _>>()?;
            for id in expired {
                crate::conversation::forget(&tx, &confab_core::RecordId(blob32(id)?))?;
            }
            tx.execute(
                "DELETE FROM records WHERE expires IS NOT NULL AND expires <= ?1",
                [now_ms as i64],
            )?;
        }
        tx.commit()?;
        if !spaces.is_empty() {
            self.feed.publish(Change::Expired(spaces.clone()));
        }
        self.tidy_search()?;
        Ok(spaces)
    }

    /// The highest timestamp stored or issued here.
    pub fn clock_floor(&mut self) -> Result<u64, StoreError> {
        let v: Option<i64> = self
            .conn
            .query_row("SELECT value FROM kv WHERE key = 'clock'", [], |r| r.get(0))
            .optional()?;
        Ok(v.unwrap_or(0) as u64)
    }

    /// Reads a setting.
    pub fn get_setting(&mut self, key: &str) -> Result<Option<String>, StoreError> {
        Ok(self
            .conn
            .query_row(
                "SELECT value FROM kv WHERE key = ?1",
                [format!("setting.{key}")],
                |r| r.get(0),
            )
            .optional()?)
    }

    /// Writes a setting.
    pub fn set_setting(&mut self, key: &str, value: &str) -> Result<(), StoreError> {
        self.conn.execute(
            "INSERT INTO kv (key, value) VALUES (?1, ?2) ON CONFLICT (key) DO UPDATE SET value = excluded.value",
            params![format!("setting.{key}"), value],
        )?;
        Ok(())
    }

    /// Content records (messages, strokes, erases, issues, pictures and their moves) stored
    /// for a space; member and rotation records are not counted.
    pub fn count(&mut self, space: &SpaceId) -> Result<u64, StoreError> {
        Ok(self.conn.query_row(
            "SELECT count(*) FROM records WHERE space = ?1 AND (kind < 5 OR kind IN (11, 12))",
            [space.0],
            |r| r.get::<_, i64>(0),
        )? as u64)
    }
}

fn bump_clock(tx: &Transaction<'_>, ts: u64) -> Result<(), StoreError> {
    tx.execute(
        "INSERT INTO kv (key, value) VALUES ('clock', ?1) ON CONFLICT (key) DO UPDATE SET value = max(value, excluded.value)",
        [ts as i64],
    )?;
    Ok(())
}
