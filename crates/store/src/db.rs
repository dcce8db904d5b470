//! The connection the store thread owns, and every query it runs.

use std::collections::HashMap;
use std::path::Path;

use confab_core::space::Epoch;
use confab_core::{
    AuthorKey, Body, Record, RecordKind, Space, SpaceId, SpaceKey, SpaceKind, SyncKey, Verified,
};
use ed25519_dalek::SigningKey;
use rusqlite::{params, Connection, OptionalExtension, Transaction};

use crate::schema::{migrations, version_triple, MIN_SQLITE_VERSION};
use crate::{InsertReport, Inserted, Refusal, StoreError};

/// The store thread's state: the connection, the joined spaces (their keys decrypt bodies) and
/// this member's signing key (it opens the key boxes of rotations).
pub struct Db {
    conn: Connection,
    spaces: HashMap<SpaceId, Space>,
    me: Option<SigningKey>,
    /// `PRAGMA data_version` when `spaces` was last read: another process committed if it moved.
    seen_version: i64,
}

/// A member of a space as this store knows it.
#[derive(Clone, Debug, PartialEq, serde::Serialize)]
pub struct Member {
    /// Peer id.
    pub peer: String,
    /// Its public key.
    #[serde(skip)]
    pub author: AuthorKey,
    /// "owner", "member" or "removed".
    pub role: &'static str,
    /// Records of theirs this store holds.
    pub records: u64,
    /// Newest of them (ms), if any.
    pub last_ms: Option<u64>,
}

/// (id, space, encoding if still stored) of a queued record.
type OutboxRow = (Vec<u8>, Vec<u8>, Option<Vec<u8>>);

/// After a rotation starting at `since`: records dated later that were accepted under the
/// old view (written before their authors heard of the rotation, or by the removed member)
/// are checked again. Ones that no longer pass are deleted; this member's own are sealed
/// again under the new key with their original time, so nothing it wrote is lost.
fn recheck_after_rotation(
    tx: &Transaction<'_>,
    space: &Space,
    me: Option<&SigningKey>,
    before: &Space,
    since: u64,
    report: &mut InsertReport,
) -> Result<(), StoreError> {
    if !report.rekeyed.contains(&space.id) {
        report.rekeyed.push(space.id);
    }
    // Records dated after the rotation, and every record of the members it removed.
    let mut later: Vec<Vec<u8>> = {
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
        later.extend(rows);
    }
    for raw in later {
        let rec = Record::decode(&raw).map_err(|e| StoreError::Corrupt(e.to_string()))?;
        let Ok(v) = rec.clone().verify() else { continue };
        if space.authorize(&v).is_ok() {
            continue;
        }
        tx.execute("DELETE FROM records WHERE id = ?1", [&rec.id.0])?;
        tx.execute("DELETE FROM erased WHERE source = ?1", [&rec.id.0])?;
        report.purged += 1;
        let mine = me.filter(|me| me.verifying_key().to_bytes() == rec.author.0);
        if let (Some(me), Ok(body)) = (mine, before.decrypt(&rec)) {
            if space.is_current_member() {
                let again = space
                    .seal_verified(me, &body, rec.ts, rec.expires, rec.refs.clone())
                    .map_err(|e| StoreError::Corrupt(e.to_string()))?;
                insert_row(&mut tx.prepare_cached(INSERT_RECORD)?, &again)?;
                if again.kind == RecordKind::Erase {
                    for target in &again.refs {
                        tx.execute(
                            "INSERT OR IGNORE INTO erased (space, target, source) VALUES (?1, ?2, ?3)",
                            params![again.space.0, target.0, again.id.0],
                        )?;
                    }
                }
                report.inserted.push(Inserted::new(&again, body));
            }
        }
    }
    Ok(())
}

const INSERT_RECORD: &str =
    "INSERT OR IGNORE INTO records (space, ts, id, kind, author, expires, raw) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)";

/// Inserts a record's row (ignored if its id is already stored); the number of rows added.
fn insert_row(stmt: &mut rusqlite::CachedStatement<'_>, rec: &Record) -> Result<usize, StoreError> {
    Ok(stmt.execute(params![
        rec.space.0,
        rec.ts.0 as i64,
        rec.id.0,
        rec.kind.code(),
        rec.author.0,
        rec.expires.map(|e| e as i64),
        rec.encoded()
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

fn blob32(v: Vec<u8>) -> Result<[u8; 32], StoreError> {
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
        // WAL lets the CLI write while a node on the same data dir reads and writes;
        // NORMAL sync is durable across application crashes, which is what WAL promises.
        conn.pragma_update(None, "journal_mode", "WAL")?;
        conn.pragma_update(None, "synchronous", "NORMAL")?;
        conn.pragma_update(None, "foreign_keys", "ON")?;
        // Reconciliation inserts land all over a large table: keep 64 MiB of pages in memory.
        conn.pragma_update(None, "cache_size", -65536)?;
        conn.busy_timeout(std::time::Duration::from_secs(10))?;
        migrations().to_latest(&mut conn)?;
        let mut db = Db {
            conn,
            spaces: HashMap::new(),
            me: None,
            seen_version: 0,
        };
        db.reload_spaces()?;
        Ok(db)
    }

    /// The raw connection, for tests and maintenance.
    pub fn conn(&mut self) -> &mut Connection {
        &mut self.conn
    }

    /// Sets this member's signing key, used to open the key boxes of rotations.
    pub fn set_me(&mut self, key: SigningKey) -> Result<(), StoreError> {
        self.me = Some(key);
        self.reload_spaces()
    }

    /// Re-reads the spaces if another connection committed since they were read (the CLI
    /// rotating a key while a node runs on the same data dir).
    fn refresh(&mut self) -> Result<(), StoreError> {
        let v: i64 = self.conn.query_row("PRAGMA data_version", [], |r| r.get(0))?;
        if v != self.seen_version {
            self.reload_spaces()?;
        }
        Ok(())
    }

    fn reload_spaces(&mut self) -> Result<(), StoreError> {
        self.seen_version = self.conn.query_row("PRAGMA data_version", [], |r| r.get(0))?;
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
        for row in rows {
            let (kind, name, key, owner) = row?;
            let kind: SpaceKind = kind.parse().map_err(StoreError::Corrupt)?;
            let mut s = Space::from_parts(kind, name, SpaceKey(blob32(key)?), AuthorKey(blob32(owner)?));
            s.epochs = epochs.remove(&s.id).unwrap_or_default();
            spaces.insert(s.id, s);
        }
        self.spaces = spaces;
        Ok(())
    }

    /// Joins a space. True if it was new.
    pub fn add_space(&mut self, space: &Space) -> Result<bool, StoreError> {
        self.refresh()?;
        let tx = self.conn.transaction()?;
        let n = tx.execute(
            "INSERT OR IGNORE INTO spaces (id, kind, name, key, owner, joined_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
            params![space.id.0, space.kind.as_str(), space.name, space.key.0, space.owner.0, confab_core::now_ms() as i64],
        )?;
        // A ticket may carry keys of rotations this store has not seen: keep the ones it lacks.
        let known = self.spaces.get(&space.id).map_or(0, |s| s.epochs.len());
        for e in space.epochs.iter().skip(known) {
            save_epoch(&tx, &space.id, e)?;
        }
        tx.commit()?;
        self.reload_spaces()?;
        Ok(n == 1)
    }

    /// Mutes or unmutes a space's notifications. False if the space is not joined.
    pub fn set_muted(&mut self, space: &SpaceId, muted: bool) -> Result<bool, StoreError> {
        let n = self.conn.execute(
            "UPDATE spaces SET muted = ?2 WHERE id = ?1",
            params![space.0, muted as i64],
        )?;
        Ok(n == 1)
    }

    /// Notes that `peer` holds every record of `space` this store had at `upto` (ms).
    pub fn add_holder(&mut self, space: &SpaceId, peer: &str, upto: u64) -> Result<(), StoreError> {
        self.conn.execute(
            "INSERT INTO holders (space, peer, upto) VALUES (?1, ?2, ?3)
             ON CONFLICT (space, peer) DO UPDATE SET upto = max(upto, excluded.upto)",
            params![space.0, peer, upto as i64],
        )?;
        Ok(())
    }

    /// The peers known to hold records of `space`, each with the time up to which it holds
    /// everything this store had.
    pub fn holders(&mut self, space: &SpaceId) -> Result<Vec<(String, u64)>, StoreError> {
        let mut stmt = self
            .conn
            .prepare("SELECT peer, upto FROM holders WHERE space = ?1 ORDER BY peer")?;
        let rows = stmt.query_map(params![space.0], |r| {
            Ok((r.get::<_, String>(0)?, r.get::<_, i64>(1)?))
        })?;
        let mut out = Vec::new();
        for r in rows {
            let (p, u) = r?;
            out.push((p, u.max(0) as u64));
        }
        Ok(out)
    }

    /// Ids of the muted spaces.
    pub fn muted_spaces(&mut self) -> Result<Vec<SpaceId>, StoreError> {
        let mut stmt = self.conn.prepare("SELECT id FROM spaces WHERE muted != 0")?;
        let rows = stmt.query_map([], |r| r.get::<_, Vec<u8>>(0))?;
        let mut out = Vec::new();
        for id in rows {
            out.push(SpaceId(blob32(id?)?));
        }
        Ok(out)
    }

    /// All joined spaces, oldest joined first.
    pub fn spaces(&mut self) -> Result<Vec<Space>, StoreError> {
        self.reload_spaces()?;
        let mut ids: Vec<(i64, SpaceId)> = Vec::new();
        let mut stmt = self
            .conn
            .prepare("SELECT id, joined_at FROM spaces ORDER BY joined_at, id")?;
        for row in stmt.query_map([], |r| Ok((r.get::<_, Vec<u8>>(0)?, r.get::<_, i64>(1)?)))? {
            let (id, at) = row?;
            ids.push((at, SpaceId(blob32(id)?)));
        }
        Ok(ids
            .into_iter()
            .filter_map(|(_, id)| self.spaces.get(&id).cloned())
            .collect())
    }

    /// The joined space with this id; re-reads the table once if another process joined it.
    pub fn space(&mut self, id: &SpaceId) -> Result<Option<&Space>, StoreError> {
        if self.spaces.contains_key(id) {
            self.refresh()?;
        } else {
            self.reload_spaces()?;
        }
        Ok(self.spaces.get(id))
    }

    /// The one space whose hex id starts with `prefix` (case-insensitive).
    pub fn resolve_space(&mut self, prefix: &str) -> Result<Space, StoreError> {
        let p = prefix.trim().to_ascii_lowercase();
        if p.is_empty() || !p.bytes().all(|b| b.is_ascii_hexdigit()) {
            return Err(StoreError::UnknownSpace(prefix.to_string()));
        }
        self.reload_spaces()?;
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
                matches: many
                    .iter()
                    .map(|s| s.id.to_string()[..12].to_string())
                    .collect::<Vec<_>>()
                    .join(", "),
            }),
        }
    }

    /// Checks and stores a batch in one transaction.
    pub fn insert(&mut self, records: Vec<Verified>, now_ms: u64) -> Result<InsertReport, StoreError> {
        self.insert_with_outbox(records, now_ms, false)
    }

    /// Checks and stores a batch in one transaction; with `outbox`, also queues the new records
    /// for a running node to announce.
    pub fn insert_with_outbox(
        &mut self,
        records: Vec<Verified>,
        now_ms: u64,
        outbox: bool,
    ) -> Result<InsertReport, StoreError> {
        let mut report = InsertReport::default();
        if records.iter().any(|r| !self.spaces.contains_key(&r.space)) {
            self.reload_spaces()?;
        } else {
            self.refresh()?;
        }
        let mut rotated: Vec<(Space, u64)> = Vec::new();
        let tx = self.conn.transaction()?;
        let mut max_ts = 0u64;
        {
            let mut ins = tx.prepare_cached(INSERT_RECORD)?;
            let mut erase = tx
                .prepare_cached("INSERT OR IGNORE INTO erased (space, target, source) VALUES (?1, ?2, ?3)")?;
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
                let n = insert_row(&mut ins, &rec)?;
                if n == 0 {
                    report.duplicates += 1;
                    continue;
                }
                if rec.kind == RecordKind::Erase {
                    for target in &rec.refs {
                        erase.execute(params![rec.space.0, target.0, rec.id.0])?;
                    }
                }
                if let Body::Rekey(r) = &body {
                    let space = self.spaces.get_mut(&rec.space).expect("checked above");
                    let before = space.clone();
                    let key = self.me.as_ref().and_then(|me| space.open_rekey(r, me));
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
                report.inserted.push(Inserted::new(&rec, body));
            }
        }
        for (before, since) in rotated {
            recheck_after_rotation(
                &tx,
                &self.spaces[&before.id],
                self.me.as_ref(),
                &before,
                since,
                &mut report,
            )?;
        }
        if max_ts > 0 {
            bump_clock(&tx, max_ts)?;
        }
        if outbox {
            let mut q =
                tx.prepare_cached("INSERT OR IGNORE INTO outbox (id, space, added) VALUES (?1, ?2, ?3)")?;
            for i in &report.inserted {
                q.execute(params![i.id.0, i.space.0, now_ms as i64])?;
            }
        }
        tx.commit()?;
        Ok(report)
    }

    /// The members of a space: the owner, everyone who announced itself or wrote, and who
    /// was removed. Owner first, then by peer id.
    pub fn members(&mut self, id: &SpaceId) -> Result<Vec<Member>, StoreError> {
        self.refresh()?;
        let space = self
            .spaces
            .get(id)
            .ok_or_else(|| StoreError::UnknownSpace(id.to_string()))?
            .clone();
        let mut stmt = self.conn.prepare_cached(
            "SELECT author, COUNT(*), MAX(ts) FROM records WHERE space = ?1 AND kind NOT IN (5, 6) GROUP BY author",
        )?;
        let mut counts: HashMap<[u8; 32], (u64, u64)> = HashMap::new();
        for row in stmt.query_map([id.0], |r| {
            Ok((r.get::<_, Vec<u8>>(0)?, r.get::<_, i64>(1)?, r.get::<_, i64>(2)?))
        })? {
            let (a, n, ts) = row?;
            counts.insert(blob32(a)?, (n as u64, ts as u64));
        }
        let mut authors: std::collections::BTreeSet<[u8; 32]> = counts.keys().copied().collect();
        let mut stmt = self
            .conn
            .prepare_cached("SELECT DISTINCT author FROM records WHERE space = ?1 AND kind = 5")?;
        for a in stmt.query_map([id.0], |r| r.get::<_, Vec<u8>>(0))? {
            authors.insert(blob32(a?)?);
        }
        for e in &space.epochs {
            authors.extend(e.removed.iter().map(|a| a.0));
        }
        authors.remove(&space.owner.0);
        let describe = |a: [u8; 32], role: &'static str| {
            let (records, last) = counts.get(&a).copied().map_or((0, None), |(n, ts)| (n, Some(ts)));
            Member {
                peer: AuthorKey(a).peer_id(),
                author: AuthorKey(a),
                role,
                records,
                last_ms: last.map(|ts| confab_core::Hlc(ts).ms()),
            }
        };
        let mut out = vec![describe(space.owner.0, "owner")];
        let mut rest: Vec<Member> = authors
            .into_iter()
            .map(|a| {
                let role = if space.removed_since(&AuthorKey(a)).is_some() {
                    "removed"
                } else {
                    "member"
                };
                describe(a, role)
            })
            .collect();
        rest.sort_by(|x, y| x.peer.cmp(&y.peer));
        out.extend(rest);
        Ok(out)
    }

    /// Ids of the records `author` wrote in a space (for the kept list of a removal).
    pub fn author_record_ids(
        &mut self,
        space: &SpaceId,
        author: &AuthorKey,
    ) -> Result<Vec<confab_core::RecordId>, StoreError> {
        let mut q = self
            .conn
            .prepare_cached("SELECT id FROM records WHERE space = ?1 AND author = ?2")?;
        let rows = q.query_map(params![space.0, author.0], |r| r.get::<_, Vec<u8>>(0))?;
        let mut out = Vec::new();
        for id in rows {
            out.push(confab_core::RecordId(blob32(id?)?));
        }
        Ok(out)
    }

    /// The space a sync id names, and the newest timestamp a peer asking by it may be served
    /// (see [`Space::resolve_sync_id`]).
    pub fn sync_view(&mut self, sync_id: &SpaceId) -> Result<Option<(Space, Option<u64>)>, StoreError> {
        self.refresh()?;
        if let Some(s) = self.spaces.get(sync_id) {
            let upto = s.resolve_sync_id(sync_id).and_then(|(_, u)| u);
            return Ok(Some((s.clone(), upto)));
        }
        Ok(self
            .spaces
            .values()
            .find_map(|s| s.resolve_sync_id(sync_id).map(|(_, upto)| (s.clone(), upto))))
    }

    /// Takes up to `limit` queued records out of the outbox: (space, encoding).
    pub fn take_outbox(&mut self, limit: usize) -> Result<Vec<(SpaceId, Vec<u8>)>, StoreError> {
        let tx = self.conn.transaction()?;
        let mut out = Vec::new();
        {
            let mut q = tx.prepare_cached(
                "SELECT o.id, o.space, r.raw FROM outbox o LEFT JOIN records r ON r.id = o.id ORDER BY o.added LIMIT ?1",
            )?;
            let mut del = tx.prepare_cached("DELETE FROM outbox WHERE id = ?1")?;
            let rows: Vec<OutboxRow> = q
                .query_map([limit as i64], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))?
                .collect::<Result<_, _>>()?;
            for (id, space, raw) in rows {
                del.execute([&id])?;
                if let Some(raw) = raw {
                    out.push((SpaceId(blob32(space)?), raw));
                }
            }
        }
        tx.commit()?;
        Ok(out)
    }

    /// Remembers addresses of a peer (most recent first, at most 16 per peer and 512 peers).
    pub fn add_peer_addrs(&mut self, peer: &str, addrs: &[String], now_ms: u64) -> Result<(), StoreError> {
        let tx = self.conn.transaction()?;
        {
            let mut q = tx.prepare_cached(
                "INSERT INTO peer_addrs (peer, addr, last_seen) VALUES (?1, ?2, ?3) \
                 ON CONFLICT (peer, addr) DO UPDATE SET last_seen = excluded.last_seen, failures = 0",
            )?;
            for a in addrs.iter().take(16) {
                q.execute(params![peer, a, now_ms as i64])?;
            }
        }
        tx.execute(
            "DELETE FROM peer_addrs WHERE peer = ?1 AND addr NOT IN \
             (SELECT addr FROM peer_addrs WHERE peer = ?1 ORDER BY last_seen DESC LIMIT 16)",
            [peer],
        )?;
        tx.execute(
            "DELETE FROM peer_addrs WHERE peer NOT IN \
             (SELECT peer FROM peer_addrs GROUP BY peer ORDER BY max(last_seen) DESC LIMIT 512)",
            [],
        )?;
        tx.commit()?;
        Ok(())
    }

    /// Every remembered peer with its addresses, most recently seen first.
    pub fn peer_addrs(&mut self) -> Result<Vec<(String, Vec<String>)>, StoreError> {
        let mut q = self
            .conn
            .prepare("SELECT peer, addr FROM peer_addrs ORDER BY peer, last_seen DESC")?;
        let mut out: Vec<(String, Vec<String>)> = Vec::new();
        for row in q.query_map([], |r| Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?)))? {
            let (p, a) = row?;
            match out.last_mut() {
                Some((lp, v)) if *lp == p => v.push(a),
                _ => out.push((p, vec![a])),
            }
        }
        Ok(out)
    }

    /// SQLite's `data_version`: changes when another connection commits.
    pub fn data_version(&mut self) -> Result<i64, StoreError> {
        Ok(self.conn.query_row("PRAGMA data_version", [], |r| r.get(0))?)
    }

    /// Decodes stored rows of one kind and decrypts them with the space key.
    pub(crate) fn bodies(
        &mut self,
        space: &SpaceId,
        sql: &str,
        now_ms: u64,
    ) -> Result<Vec<(Record, Body)>, StoreError> {
        let s = self
            .space(space)?
            .cloned()
            .ok_or_else(|| StoreError::UnknownSpace(space.to_string()))?;
        let mut stmt = self.conn.prepare_cached(sql)?;
        let rows = stmt.query_map(params![space.0, now_ms as i64], |r| r.get::<_, Vec<u8>>(0))?;
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

    /// Reconciliation keys of live records, ascending.
    pub fn sync_keys(&mut self, space: &SpaceId, now_ms: u64) -> Result<Vec<SyncKey>, StoreError> {
        let mut stmt = self.conn.prepare_cached(
            "SELECT ts, id FROM records WHERE space = ?1 AND (expires IS NULL OR expires > ?2) ORDER BY ts, id",
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
            tx.execute(
                "DELETE FROM records WHERE expires IS NOT NULL AND expires <= ?1",
                [now_ms as i64],
            )?;
        }
        tx.commit()?;
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

    /// Content records (messages, strokes, erases, issues) stored for a space; member and
    /// rotation records are not counted.
    pub fn count(&mut self, space: &SpaceId) -> Result<u64, StoreError> {
        Ok(self.conn.query_row(
            "SELECT count(*) FROM records WHERE space = ?1 AND kind < 5",
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
