//! A room's messages as people see them: the latest text of each (its author's newest edit),
//! who reacted with what, the message each replies to, and the places of messages deleted for
//! everyone. Pages are keyset ranges on (ts, id), so a page costs the same in a room of a
//! million messages as in one of ten.

use std::collections::HashMap;

use confab_core::{AuthorKey, Body, Hlc, Record, RecordId, SpaceId};
use rusqlite::{params, OptionalExtension};

use crate::conversation::{latest_edit, raw_by_id};
use crate::db::{blob32, Db};
use crate::views::{Page, LIVE};
use crate::StoreError;

/// Who deleted a message for everyone.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Removal {
    /// Its author.
    ByAuthor,
    /// The space's owner (moderation).
    ByOwner,
}

/// The message a reply quotes.
#[derive(Clone, Debug, PartialEq)]
pub struct Quote {
    /// Its id.
    pub id: RecordId,
    /// Its author, if known.
    pub author: Option<AuthorKey>,
    /// Its latest text; `None` if deleted or not held.
    pub text: Option<String>,
    /// Deleted for everyone.
    pub deleted: bool,
}

/// A chat message as shown.
#[derive(Clone, Debug, PartialEq)]
pub struct ChatMessage {
    /// Record id.
    pub id: RecordId,
    /// Author: the person (their account).
    pub author: AuthorKey,
    /// The device that signed it (the person's own key unless they wrote from a linked or
    /// restored device).
    pub device: AuthorKey,
    /// Timestamp.
    pub ts: Hlc,
    /// The latest text; `None` once deleted.
    pub text: Option<String>,
    /// The message it replies to.
    pub reply_to: Option<RecordId>,
    /// That message, quoted.
    pub quote: Option<Quote>,
    /// Who the (latest) text mentions.
    pub mentions: Vec<AuthorKey>,
    /// Its author changed the text.
    pub edited: bool,
    /// Deleted for everyone, and by whom.
    pub deleted: Option<Removal>,
    /// Reactions: each emoji (in the order first used) with who reacted, oldest first.
    pub reactions: Vec<(String, Vec<AuthorKey>)>,
    /// Attached files (none once deleted).
    pub files: Vec<confab_core::FileRef>,
}

/// One position in a room: a held message or the place of a deleted one.
struct Slot {
    ts: i64,
    id: RecordId,
    row: Row,
}

enum Row {
    Held(Vec<u8>),
    Gone(AuthorKey, bool),
}

fn bound(page: &Page) -> (&'static str, &'static str, i64, Vec<u8>, bool) {
    match (page.after, page.before) {
        (Some((ts, id)), _) => (
            "(ts > ?3 OR (ts = ?3 AND id > ?4))",
            "ts, id",
            ts.0 as i64,
            id.0.to_vec(),
            false,
        ),
        (None, Some((ts, id))) => (
            "(ts < ?3 OR (ts = ?3 AND id < ?4))",
            "ts DESC, id DESC",
            ts.0 as i64,
            id.0.to_vec(),
            true,
        ),
        (None, None) => (
            "(ts < ?3 OR (ts = ?3 AND id < ?4))",
            "ts DESC, id DESC",
            i64::MAX,
            vec![0xff; 33],
            true,
        ),
    }
}

impl Db {
    /// The positions of a page: held messages and deleted ones, in (ts, id) order.
    fn slots(&mut self, space: &SpaceId, now_ms: u64, page: Page) -> Result<Vec<Slot>, StoreError> {
        let (cond, order, ts, id, newest_first) = bound(&page);
        let limit = page.limit.map_or(-1, i64::from);
        let mut out = Vec::new();
        {
            let sql = format!(
                "SELECT ts, id, raw FROM records WHERE space = ?1 AND kind = 1 AND {LIVE} AND {cond} ORDER BY {order} LIMIT ?5"
            );
            let mut q = self.conn.prepare_cached(&sql)?;
            let rows = q.query_map(params![space.0, now_ms as i64, ts, id, limit], |r| {
                Ok((
                    r.get::<_, i64>(0)?,
                    r.get::<_, Vec<u8>>(1)?,
                    r.get::<_, Vec<u8>>(2)?,
                ))
            })?;
            for row in rows {
                let (ts, id, raw) = row?;
                out.push(Slot {
                    ts,
                    id: RecordId(blob32(id)?),
                    row: Row::Held(raw),
                });
            }
        }
        {
            let sql = format!(
                "SELECT ts, id, author, by_owner FROM gone WHERE space = ?1 AND kind = 1 AND author IS NOT NULL \
                 AND ?2 = ?2 AND {cond} ORDER BY {order} LIMIT ?5"
            );
            let mut q = self.conn.prepare_cached(&sql)?;
            let rows = q.query_map(params![space.0, now_ms as i64, ts, id, limit], |r| {
                Ok((
                    r.get::<_, i64>(0)?,
                    r.get::<_, Vec<u8>>(1)?,
                    r.get::<_, Vec<u8>>(2)?,
                    r.get::<_, bool>(3)?,
                ))
            })?;
            for row in rows {
                let (ts, id, author, by_owner) = row?;
                out.push(Slot {
                    ts,
                    id: RecordId(blob32(id)?),
                    row: Row::Gone(AuthorKey(blob32(author)?), by_owner),
                });
            }
        }
        out.sort_by_key(|s| (s.ts, s.id.0));
        if let Some(l) = page.limit {
            let l = l as usize;
            if out.len() > l {
                if newest_first {
                    out.drain(..out.len() - l);
                } else {
                    out.truncate(l);
                }
            }
        }
        Ok(out)
    }

    /// A page of a room's messages, oldest first.
    pub fn chat_page(
        &mut self,
        space: &SpaceId,
        now_ms: u64,
        page: Page,
    ) -> Result<Vec<ChatMessage>, StoreError> {
        let s = self.space_or_err(space)?.clone();
        let slots = self.slots(space, now_ms, page)?;
        let mut out = Vec::with_capacity(slots.len());
        for slot in slots {
            match slot.row {
                Row::Gone(author, by_owner) => out.push(ChatMessage {
                    id: slot.id,
                    author,
                    // Its record is gone: the person is all that is known.
                    device: author,
                    ts: Hlc(slot.ts as u64),
                    text: None,
                    reply_to: None,
                    quote: None,
                    mentions: Vec::new(),
                    edited: false,
                    deleted: Some(if by_owner {
                        Removal::ByOwner
                    } else {
                        Removal::ByAuthor
                    }),
                    reactions: Vec::new(),
                    files: Vec::new(),
                }),
                Row::Held(raw) => {
                    let rec = Record::decode(&raw).map_err(|e| StoreError::Corrupt(e.to_string()))?;
                    let body = match s.decrypt(&rec) {
                        Ok(b) => b,
                        Err(confab_core::AuthError::NoKey { .. }) => continue,
                        Err(e) => return Err(StoreError::Corrupt(e.to_string())),
                    };
                    if let Body::Chat(c) = body {
                        out.push(self.decorate(&s, rec, c)?);
                    }
                }
            }
        }
        Ok(out)
    }

    /// One message as shown now, if this room holds it or held it.
    pub fn chat_message(
        &mut self,
        space: &SpaceId,
        id: &RecordId,
        now_ms: u64,
    ) -> Result<Option<ChatMessage>, StoreError> {
        let at: Option<i64> = self
            .conn
            .prepare_cached(
                "SELECT ts FROM records WHERE id = ?1 AND space = ?2 AND kind = 1 \
                 UNION ALL SELECT ts FROM gone WHERE id = ?1 AND space = ?2 AND kind = 1 AND author IS NOT NULL",
            )?
            .query_row(params![id.0, space.0], |r| r.get(0))
            .optional()?;
        let Some(ts) = at else { return Ok(None) };
        let page = Page {
            limit: Some(1),
            before: None,
            after: Some((Hlc(ts as u64), id.just_below())),
        };
        Ok(self
            .chat_page(space, now_ms, page)?
            .into_iter()
            .find(|m| m.id == *id))
    }

    /// The position (timestamp) of a message of this room, held or deleted.
    pub fn message_ts(&mut self, space: &SpaceId, id: &RecordId) -> Result<Option<Hlc>, StoreError> {
        let at: Option<i64> = self
            .conn
            .prepare_cached(
                "SELECT ts FROM records WHERE id = ?1 AND space = ?2 \
                 UNION ALL SELECT ts FROM gone WHERE id = ?1 AND space = ?2",
            )?
            .query_row(params![id.0, space.0], |r| r.get(0))
            .optional()?;
        Ok(at.map(|t| Hlc(t as u64)))
    }

    fn decorate(
        &mut self,
        s: &confab_core::Space,
        rec: Record,
        c: confab_core::ChatBody,
    ) -> Result<ChatMessage, StoreError> {
        let edit = latest_edit(&self.conn, s, &rec.id, &rec.person())?;
        let edited = edit.is_some();
        let text = edit.unwrap_or(c.text);
        let mentions: Vec<AuthorKey> = self
            .conn
            .prepare_cached("SELECT who FROM mentions WHERE id = ?1")?
            .query_map([&rec.id.0], |r| r.get::<_, Vec<u8>>(0))?
            .map(|w| Ok(AuthorKey(blob32(w?)?)))
            .collect::<Result<_, StoreError>>()?;
        let reactions = self.reactions(s, &rec.id)?;
        let reply_to = rec.refs.first().copied();
        let quote = match reply_to {
            Some(t) => Some(self.quote(s, &t)?),
            None => None,
        };
        Ok(ChatMessage {
            id: rec.id,
            author: rec.person(),
            device: rec.author,
            ts: rec.ts,
            text: Some(text),
            reply_to,
            quote,
            mentions,
            edited,
            deleted: None,
            reactions,
            files: c.files,
        })
    }

    fn reactions(
        &mut self,
        s: &confab_core::Space,
        target: &RecordId,
    ) -> Result<Vec<(String, Vec<AuthorKey>)>, StoreError> {
        let raws: Vec<Vec<u8>> = self
            .conn
            .prepare_cached(
                "SELECT r.raw FROM links l JOIN records r ON r.id = l.source WHERE l.target = ?1 AND l.kind = 8",
            )?
            .query_map([&target.0], |r| r.get(0))?
            .collect::<Result<_, _>>()?;
        if raws.is_empty() {
            return Ok(Vec::new());
        }
        // The newest record per (person, emoji) wins.
        let mut newest: HashMap<(AuthorKey, String), (Hlc, bool)> = HashMap::new();
        for raw in raws {
            let rec = Record::decode(&raw).map_err(|e| StoreError::Corrupt(e.to_string()))?;
            if let Ok(Body::Reaction(r)) = s.decrypt(&rec) {
                let e = newest.entry((rec.person(), r.emoji)).or_insert((rec.ts, r.on));
                if rec.ts > e.0 {
                    *e = (rec.ts, r.on);
                }
            }
        }
        let mut on: Vec<(Hlc, String, AuthorKey)> = newest
            .into_iter()
            .filter(|(_, (_, on))| *on)
            .map(|((a, e), (ts, _))| (ts, e, a))
            .collect();
        on.sort_by(|a, b| (a.0, &a.1, a.2 .0).cmp(&(b.0, &b.1, b.2 .0)));
        let mut out: Vec<(String, Vec<AuthorKey>)> = Vec::new();
        for (_, emoji, who) in on {
            match out.iter_mut().find(|(e, _)| *e == emoji) {
                Some((_, v)) => v.push(who),
                None => out.push((emoji, vec![who])),
            }
        }
        Ok(out)
    }

    fn quote(&mut self, s: &confab_core::Space, target: &RecordId) -> Result<Quote, StoreError> {
        if let Some(raw) = raw_by_id(&self.conn, target)? {
            let rec = Record::decode(&raw).map_err(|e| StoreError::Corrupt(e.to_string()))?;
            if let Ok(Body::Chat(c)) = s.decrypt(&rec) {
                let text = latest_edit(&self.conn, s, target, &rec.person())?.unwrap_or(c.text);
                return Ok(Quote {
                    id: *target,
                    author: Some(rec.person()),
                    text: Some(text),
                    deleted: false,
                });
            }
        }
        let gone: Option<Option<Vec<u8>>> = self
            .conn
            .prepare_cached("SELECT author FROM gone WHERE id = ?1")?
            .query_row([&target.0], |r| r.get(0))
            .optional()?;
        Ok(Quote {
            id: *target,
            author: gone.clone().flatten().map(blob32).transpose()?.map(AuthorKey),
            text: None,
            deleted: gone.is_some(),
        })
    }
}
