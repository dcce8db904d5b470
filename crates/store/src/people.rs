//! What the store knows of people: members of spaces, who holds what, muted spaces, and
//! where peers were last reached.

use std::collections::{BTreeSet, HashMap};

use confab_core::{AuthorKey, Role, SpaceId};
use rusqlite::{params, OptionalExtension};

use crate::db::{blob32, Db};
use crate::feed::Change;
use crate::StoreError;

/// A member of a space as this store knows it.
#[derive(Clone, Debug, PartialEq)]
pub struct Member {
    /// Peer id (of the person's account).
    pub peer: String,
    /// Its public key.
    pub author: AuthorKey,
    /// The person's devices other than the account's own key, as far as this store has seen
    /// them (by the certificates their records carry).
    pub devices: Vec<AuthorKey>,
    /// Owner, member, or removed.
    pub role: Role,
    /// Records of theirs this store holds.
    pub records: u64,
    /// Newest of them (ms), if any.
    pub last_ms: Option<u64>,
}

/// Keeps the device certificate a version 2 record carries (its signature was checked with
/// the record's).
pub(crate) fn note_device(
    tx: &rusqlite::Transaction<'_>,
    rec: &confab_core::Record,
) -> Result<(), StoreError> {
    if let Some(c) = &rec.cert {
        tx.prepare_cached(
            "INSERT OR IGNORE INTO devices (account, device, issued, cert) VALUES (?1, ?2, ?3, ?4)",
        )?
        .execute(params![c.account.0, c.device.0, c.issued_ms as i64, c.encode()])?;
    }
    Ok(())
}

impl Db {
    /// Keeps a certificate this device issued (linking a new device), before any record of
    /// that device is seen.
    pub fn add_device(&mut self, cert: &confab_core::account::DeviceCert) -> Result<(), StoreError> {
        self.conn
            .prepare_cached(
                "INSERT OR IGNORE INTO devices (account, device, issued, cert) VALUES (?1, ?2, ?3, ?4)",
            )?
            .execute(params![
                cert.account.0,
                cert.device.0,
                cert.issued_ms as i64,
                cert.encode()
            ])?;
        Ok(())
    }

    /// The devices of `account` this store has seen, oldest certificate first.
    pub fn devices_of(&mut self, account: &AuthorKey) -> Result<Vec<AuthorKey>, StoreError> {
        let mut q = self
            .conn
            .prepare_cached("SELECT device FROM devices WHERE account = ?1 ORDER BY issued, device")?;
        let rows = q.query_map([account.0], |r| r.get::<_, Vec<u8>>(0))?;
        let mut out = Vec::new();
        for d in rows {
            out.push(AuthorKey(blob32(d?)?));
        }
        Ok(out)
    }

    /// A person's devices as this store knows them: each with when its certificate was
    /// issued (ms) and, if revoked, from when; the account's own key is not listed.
    pub fn device_list(
        &mut self,
        account: &AuthorKey,
    ) -> Result<Vec<(AuthorKey, u64, Option<u64>)>, StoreError> {
        let mut q = self.conn.prepare_cached(
            "SELECT d.device, d.issued, r.at_ms FROM devices d LEFT JOIN revocations r ON r.device = d.device \
             WHERE d.account = ?1 \
             UNION SELECT r.device, NULL, r.at_ms FROM revocations r \
             WHERE r.account = ?1 AND r.device NOT IN (SELECT device FROM devices WHERE account = ?1)",
        )?;
        let rows = q.query_map([account.0], |r| {
            Ok((
                r.get::<_, Vec<u8>>(0)?,
                r.get::<_, Option<i64>>(1)?,
                r.get::<_, Option<i64>>(2)?,
            ))
        })?;
        let mut out = Vec::new();
        for row in rows {
            let (d, issued, at) = row?;
            out.push((
                AuthorKey(blob32(d)?),
                issued.unwrap_or(0) as u64,
                at.map(|a| a as u64),
            ));
        }
        out.sort_by_key(|(d, issued, _)| (*issued, d.0));
        Ok(out)
    }

    /// Ids of the records one device signed in a space (the `author` column names people, so
    /// each of the person's records is read to find the device).
    pub fn device_record_ids(
        &mut self,
        space: &SpaceId,
        device: &AuthorKey,
    ) -> Result<Vec<confab_core::RecordId>, StoreError> {
        let Some(account) = self.account_of(device)? else {
            return self.author_record_ids(space, device);
        };
        let mut q = self
            .conn
            .prepare_cached("SELECT raw FROM records WHERE space = ?1 AND author = ?2")?;
        let rows = q.query_map(params![space.0, account.0], |r| r.get::<_, Vec<u8>>(0))?;
        let mut out = Vec::new();
        for raw in rows {
            let rec = confab_core::Record::decode(&raw?).map_err(|e| StoreError::Corrupt(e.to_string()))?;
            if rec.author == *device {
                out.push(rec.id);
            }
        }
        Ok(out)
    }

    /// The account a device belongs to, if this store has seen its certificate.
    pub fn account_of(&mut self, device: &AuthorKey) -> Result<Option<AuthorKey>, StoreError> {
        let a: Option<Vec<u8>> = self
            .conn
            .prepare_cached("SELECT account FROM devices WHERE device = ?1")?
            .query_row([device.0], |r| r.get(0))
            .optional()?;
        a.map(|a| Ok(AuthorKey(blob32(a)?))).transpose()
    }

    /// Mutes or unmutes a space's notifications. False if the space is not joined.
    pub fn set_muted(&mut self, space: &SpaceId, muted: bool) -> Result<bool, StoreError> {
        let n = self.conn.execute(
            "UPDATE spaces SET muted = ?2 WHERE id = ?1",
            params![space.0, muted as i64],
        )?;
        if n == 1 {
            self.publish(Change::Muted { space: *space, muted });
        }
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

    /// The members of a space: the owner, everyone who announced itself or wrote, and who
    /// was removed. Owner first, then by peer id.
    pub fn members(&mut self, id: &SpaceId) -> Result<Vec<Member>, StoreError> {
        let space = self.space_or_err(id)?.clone();
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
        let mut authors: BTreeSet<[u8; 32]> = counts.keys().copied().collect();
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
        // A removal lists a person's devices beside the person: show the person only.
        let mut devices: HashMap<[u8; 32], Vec<AuthorKey>> = HashMap::new();
        let mut account_of: HashMap<[u8; 32], [u8; 32]> = HashMap::new();
        {
            let mut q = self
                .conn
                .prepare_cached("SELECT account, device FROM devices ORDER BY account, issued, device")?;
            for row in q.query_map([], |r| Ok((r.get::<_, Vec<u8>>(0)?, r.get::<_, Vec<u8>>(1)?)))? {
                let (a, d) = row?;
                let (a, d) = (blob32(a)?, blob32(d)?);
                account_of.insert(d, a);
                devices.entry(a).or_default().push(AuthorKey(d));
            }
        }
        authors.retain(|a| !account_of.contains_key(a));
        let describe = |a: [u8; 32]| {
            let role = space.role_of(&AuthorKey(a));
            let (records, last) = counts.get(&a).copied().map_or((0, None), |(n, ts)| (n, Some(ts)));
            Member {
                peer: AuthorKey(a).peer_id(),
                author: AuthorKey(a),
                devices: devices.get(&a).cloned().unwrap_or_default(),
                role,
                records,
                last_ms: last.map(|ts| confab_core::Hlc(ts).ms()),
            }
        };
        let mut out = vec![describe(space.owner.0)];
        let mut rest: Vec<Member> = authors.into_iter().map(describe).collect();
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
}

/// A person's display name and colour, as their newest profile record says.
#[derive(Clone, Debug, PartialEq)]
pub struct Profile {
    /// Who.
    pub author: AuthorKey,
    /// Display name.
    pub name: String,
    /// Colour, `#rrggbb`.
    pub color: String,
    /// The profile record's timestamp.
    pub ts: u64,
    /// The blob of their picture, if their newest profile has one (and it is held).
    pub picture: Option<[u8; 32]>,
}

/// Where a member stands in a room.
#[derive(Clone, Debug, PartialEq)]
pub struct Reading {
    /// Read up to this record timestamp (0: never opened).
    pub read_ts: u64,
    /// The first message after that, not written by this member.
    pub first_unread: Option<confab_core::RecordId>,
    /// Messages after that by others (at most [`UNREAD_CAP`]).
    pub unread: u32,
    /// Of those, how many mention this member.
    pub mentions: u32,
}

/// Unread counts stop here ("1000+").
pub const UNREAD_CAP: u32 = 1000;

impl Db {
    /// Every known profile.
    pub fn profiles(&mut self) -> Result<Vec<Profile>, StoreError> {
        let mut stmt = self.conn.prepare_cached(
            "SELECT p.author, p.name, p.color, p.ts, f.blob FROM profiles p
             LEFT JOIN files f ON f.record = p.picture AND f.idx = 0
             ORDER BY p.name, p.author",
        )?;
        let rows = stmt.query_map([], |r| {
            Ok((
                r.get::<_, Vec<u8>>(0)?,
                r.get(1)?,
                r.get(2)?,
                r.get::<_, i64>(3)?,
                r.get::<_, Option<Vec<u8>>>(4)?,
            ))
        })?;
        let mut out = Vec::new();
        for row in rows {
            let (a, name, color, ts, picture) = row?;
            out.push(Profile {
                author: AuthorKey(blob32(a)?),
                name,
                color,
                ts: ts as u64,
                picture: picture.map(blob32).transpose()?,
            });
        }
        Ok(out)
    }

    /// Notes that this member has read `space` up to `ts` (never moves back).
    pub fn mark_read(&mut self, space: &SpaceId, ts: u64) -> Result<(), StoreError> {
        self.conn.execute(
            "UPDATE spaces SET read_ts = max(read_ts, ?2) WHERE id = ?1",
            params![space.0, ts as i64],
        )?;
        Ok(())
    }

    /// Where `me` stands in `space`: unread messages by others and mentions of `me`.
    pub fn reading(&mut self, space: &SpaceId, me: &AuthorKey) -> Result<Reading, StoreError> {
        let read_ts: i64 =
            self.conn
                .query_row("SELECT read_ts FROM spaces WHERE id = ?1", [space.0], |r| {
                    r.get(0)
                })?;
        let first: Option<Vec<u8>> = self
            .conn
            .prepare_cached(
                "SELECT id FROM records WHERE space = ?1 AND kind = 1 AND ts > ?2 AND author != ?3 ORDER BY ts, id LIMIT 1",
            )?
            .query_row(params![space.0, read_ts, me.0], |r| r.get(0))
            .optional()?;
        let unread: i64 = self.conn.prepare_cached(
            "SELECT count(*) FROM (SELECT 1 FROM records WHERE space = ?1 AND kind = 1 AND ts > ?2 AND author != ?3 LIMIT ?4)",
        )?
        .query_row(params![space.0, read_ts, me.0, UNREAD_CAP], |r| r.get(0))?;
        let mentions: i64 = self.conn.prepare_cached(
            "SELECT count(*) FROM (SELECT 1 FROM mentions WHERE who = ?3 AND space = ?1 AND ts > ?2 LIMIT ?4)",
        )?
        .query_row(params![space.0, read_ts, me.0, UNREAD_CAP], |r| r.get(0))?;
        Ok(Reading {
            read_ts: read_ts as u64,
            first_unread: first.map(blob32).transpose()?.map(confab_core::RecordId),
            unread: unread as u32,
            mentions: mentions as u32,
        })
    }
}
