//! The three views people see: chat, board, newsletter. Each is a query over records.

use confab_core::{AuthorKey, Body, Hlc, RecordId, SpaceId};

use crate::chat::ChatMessage;

use crate::db::Db;
use crate::StoreError;

/// A stroke still on the board.
#[derive(Clone, Debug, PartialEq)]
pub struct Stroke {
    /// Record id.
    pub id: RecordId,
    /// Author: the person.
    pub author: AuthorKey,
    /// The device that signed it.
    pub device: AuthorKey,
    /// Timestamp.
    pub ts: Hlc,
    /// Points.
    pub points: Vec<(f32, f32)>,
    /// RGB colour.
    pub color: confab_core::Color,
    /// Width.
    pub width: f32,
}

/// A newsletter issue.
#[derive(Clone, Debug, PartialEq)]
pub struct NewsIssue {
    /// Record id.
    pub id: RecordId,
    /// Author: the person (always the owner).
    pub author: AuthorKey,
    /// The device that signed it.
    pub device: AuthorKey,
    /// Timestamp.
    pub ts: Hlc,
    /// Title.
    pub title: String,
    /// Body (Markdown).
    pub body: String,
    /// Its images and attachments.
    pub files: Vec<confab_core::FileRef>,
    /// The newest correction, if it was corrected: when, and the correction's id. Title,
    /// body and files are then the correction's.
    pub updated: Option<(Hlc, RecordId)>,
    /// How many versions it has: 1 and one per correction.
    pub versions: u32,
}

impl NewsIssue {
    /// An issue (or one version of it) as its record says, not yet corrected.
    fn of(r: &confab_core::Record, n: confab_core::NewsBody) -> Self {
        NewsIssue {
            id: r.id,
            author: r.person(),
            device: r.author,
            ts: r.ts,
            title: n.title,
            body: n.body,
            files: n.files,
            updated: None,
            versions: 1,
        }
    }
}

pub(crate) const LIVE: &str = "(expires IS NULL OR expires > ?2)";

/// Where a page of a listing ends: the `limit` newest records before a record (exclusive),
/// or before the end; returned oldest first. Keyset pagination on (ts, id), which is the
/// records table's own order: a page costs the same at the millionth message as at the first.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Page {
    /// At most this many (every one if `None`).
    pub limit: Option<u32>,
    /// Before this record's (ts, id); from the newest if `None`.
    pub before: Option<(Hlc, RecordId)>,
    /// After this record's (ts, id) instead: the `limit` oldest after it (wins over `before`).
    pub after: Option<(Hlc, RecordId)>,
}

impl Page {
    /// The SQL that selects a page of `kind` in `space` (`?1`, `?2` the clock, `?3`…`?5` the
    /// bounds) and its parameters.
    fn sql(&self, kind: u8) -> (String, i64, Vec<u8>, i64) {
        let limit = self.limit.map_or(-1, i64::from);
        if let Some((ts, id)) = self.after {
            let sql = format!(
                "SELECT raw FROM records WHERE space = ?1 AND kind = {kind} AND {LIVE} \
                 AND (ts > ?3 OR (ts = ?3 AND id > ?4)) ORDER BY ts, id LIMIT ?5"
            );
            return (sql, ts.0 as i64, id.0.to_vec(), limit);
        }
        let (ts, id) = match self.before {
            Some((ts, id)) => (ts.0 as i64, id.0.to_vec()),
            None => (i64::MAX, vec![0xff; 33]),
        };
        let wanted = format!(
            "SELECT raw, ts, id FROM records WHERE space = ?1 AND kind = {kind} AND {LIVE} \
             AND (ts < ?3 OR (ts = ?3 AND id < ?4))"
        );
        // Only a limited page needs the newest first, then turning round; the rest is read
        // in the table's own order, with no sort.
        let sql = match self.limit {
            Some(_) => {
                format!("SELECT raw FROM ({wanted} ORDER BY ts DESC, id DESC LIMIT ?5) ORDER BY ts, id")
            }
            None => format!("SELECT raw FROM ({wanted} ORDER BY ts, id LIMIT ?5)"),
        };
        (sql, ts, id, limit)
    }
}

impl Db {
    /// A page of newsletter issues, oldest first.
    pub fn news_page(
        &mut self,
        space: &SpaceId,
        now_ms: u64,
        page: Page,
    ) -> Result<Vec<NewsIssue>, StoreError> {
        let (sql, ts, id, limit) = page.sql(4);
        let issues: Vec<NewsIssue> = self
            .bodies_with(space, &sql, now_ms, &[&ts, &id, &limit])?
            .into_iter()
            .filter_map(|(r, b)| match b {
                Body::News(n) => Some(NewsIssue::of(&r, n)),
                _ => None,
            })
            .collect();
        let mut out = Vec::with_capacity(issues.len());
        for i in issues {
            out.push(self.corrected(space, now_ms, i)?);
        }
        Ok(out)
    }

    /// An issue as its newest correction has it (corrections are the owner's only: the
    /// space's rules refuse anyone else's).
    fn corrected(
        &mut self,
        space: &SpaceId,
        now_ms: u64,
        mut issue: NewsIssue,
    ) -> Result<NewsIssue, StoreError> {
        let versions = self.corrections(space, now_ms, &issue.id)?;
        issue.versions = 1 + versions.len() as u32;
        if let Some(newest) = versions.into_iter().next_back() {
            issue.title = newest.title;
            issue.body = newest.body;
            issue.files = newest.files;
            issue.updated = Some((newest.ts, newest.id));
        }
        Ok(issue)
    }

    /// The corrections of an issue, oldest first (each as an issue of its own: its id, time
    /// and text).
    fn corrections(
        &mut self,
        space: &SpaceId,
        now_ms: u64,
        issue: &RecordId,
    ) -> Result<Vec<NewsIssue>, StoreError> {
        let sql = format!(
            "SELECT r.raw FROM links l JOIN records r ON r.id = l.source \
             WHERE l.target = ?3 AND l.kind = {} AND r.space = ?1 \
             AND (r.expires IS NULL OR r.expires > ?2) ORDER BY l.ts, l.source",
            confab_core::RecordKind::Correction.code()
        );
        let target = issue.0.to_vec();
        Ok(self
            .bodies_with(space, &sql, now_ms, &[&target])?
            .into_iter()
            .filter_map(|(r, b)| match b {
                Body::Correction(n) => Some(NewsIssue::of(&r, n)),
                _ => None,
            })
            .collect())
    }

    /// A newsletter's settings, oldest first, each with its time (the newest is in force; a
    /// reply is judged by the one in force when it was written).
    pub fn news_settings(
        &mut self,
        space: &SpaceId,
        now_ms: u64,
    ) -> Result<Vec<(Hlc, confab_core::reply::NewsSettingsBody)>, StoreError> {
        let sql = format!(
            "SELECT raw FROM records WHERE space = ?1 AND kind = {} AND {LIVE} ORDER BY ts, id",
            confab_core::RecordKind::NewsSettings.code()
        );
        Ok(self
            .bodies_with(space, &sql, now_ms, &[])?
            .into_iter()
            .filter_map(|(r, b)| match b {
                Body::NewsSettings(n) => Some((r.ts, n)),
                _ => None,
            })
            .collect())
    }

    /// Readers' replies to an issue, oldest first (those deleted are gone).
    #[allow(clippy::type_complexity)]
    pub fn news_replies(
        &mut self,
        space: &SpaceId,
        now_ms: u64,
        issue: &RecordId,
    ) -> Result<Vec<(RecordId, AuthorKey, AuthorKey, Hlc, confab_core::reply::ReplyBody)>, StoreError> {
        let sql = format!(
            "SELECT r.raw FROM links l JOIN records r ON r.id = l.source \
             WHERE l.target = ?3 AND l.kind = {} AND r.space = ?1 \
             AND (r.expires IS NULL OR r.expires > ?2) ORDER BY l.ts, l.source",
            confab_core::RecordKind::Reply.code()
        );
        let target = issue.0.to_vec();
        Ok(self
            .bodies_with(space, &sql, now_ms, &[&target])?
            .into_iter()
            .filter_map(|(r, b)| match b {
                Body::Reply(reply) => Some((r.id, r.person(), r.author, r.ts, reply)),
                _ => None,
            })
            .collect())
    }

    /// The newsletter drafts saved in a person's own space, every save, oldest first: each
    /// save's id, time, the draft it saves again (none for a first save) and its body.
    #[allow(clippy::type_complexity)]
    pub fn drafts(
        &mut self,
        personal: &SpaceId,
        now_ms: u64,
    ) -> Result<Vec<(RecordId, Hlc, Option<RecordId>, confab_core::draft::DraftBody)>, StoreError> {
        let sql = format!(
            "SELECT raw FROM records WHERE space = ?1 AND kind = {} AND {LIVE} ORDER BY ts, id",
            confab_core::RecordKind::Draft.code()
        );
        Ok(self
            .bodies_with(personal, &sql, now_ms, &[])?
            .into_iter()
            .filter_map(|(r, b)| match b {
                Body::Draft(d) => Some((r.id, r.ts, r.refs.first().copied(), d)),
                _ => None,
            })
            .collect())
    }

    /// Every version of an issue, oldest first: the issue as published, then each correction;
    /// empty if the issue is not here.
    pub fn news_versions(
        &mut self,
        space: &SpaceId,
        now_ms: u64,
        issue: &RecordId,
    ) -> Result<Vec<NewsIssue>, StoreError> {
        let sql = format!(
            "SELECT raw FROM records WHERE space = ?1 AND {LIVE} AND id = ?3 AND kind = {}",
            confab_core::RecordKind::NewsIssue.code()
        );
        let target = issue.0.to_vec();
        let mut out: Vec<NewsIssue> = self
            .bodies_with(space, &sql, now_ms, &[&target])?
            .into_iter()
            .filter_map(|(r, b)| match b {
                Body::News(n) => Some(NewsIssue::of(&r, n)),
                _ => None,
            })
            .collect();
        if out.is_empty() {
            return Ok(out);
        }
        out.extend(self.corrections(space, now_ms, issue)?);
        Ok(out)
    }

    /// The records of `kind` in `space` whose id starts with the hex `prefix` (at most two: one
    /// is an answer, two say the prefix is ambiguous), by the id index; records deleted for
    /// everyone count (they keep their place in a room).
    pub fn ids_with_prefix(
        &mut self,
        space: &SpaceId,
        kind: u8,
        prefix: &str,
    ) -> Result<Vec<(Hlc, RecordId)>, StoreError> {
        let lo = RecordId::from_hex(&format!("{prefix:0<64}"));
        let hi = RecordId::from_hex(&format!("{prefix:f<64}"));
        let (Some(lo), Some(hi)) = (lo, hi) else {
            return Ok(Vec::new());
        };
        let mut stmt = self.conn.prepare_cached(
            // INDEXED BY: left to itself, SQLite reads the whole space by its primary key
            // (space, ts, id) rather than the id range: 0.3 s per lookup at a million messages.
            "SELECT ts, id FROM (SELECT ts, id FROM records INDEXED BY records_by_id \
               WHERE id BETWEEN ?1 AND ?2 AND space = ?3 AND kind = ?4 LIMIT 2) \
             UNION ALL SELECT ts, id FROM (SELECT ts, id FROM gone INDEXED BY gone_by_id \
               WHERE id BETWEEN ?1 AND ?2 AND space = ?3 AND kind = ?4 LIMIT 2) \
             LIMIT 2",
        )?;
        let rows = stmt.query_map(rusqlite::params![lo.0, hi.0, space.0, kind], |r| {
            Ok((r.get::<_, i64>(0)?, r.get::<_, Vec<u8>>(1)?))
        })?;
        let mut out = Vec::new();
        for row in rows {
            let (ts, id) = row?;
            let id: [u8; 32] = id
                .try_into()
                .map_err(|_| StoreError::Corrupt("a record id is not 32 bytes".into()))?;
            out.push((Hlc(ts as u64), RecordId(id)));
        }
        Ok(out)
    }

    /// Chat messages in (ts, id) order.
    pub fn chat_messages(&mut self, space: &SpaceId, now_ms: u64) -> Result<Vec<ChatMessage>, StoreError> {
        self.chat_page(space, now_ms, Page::default())
    }

    /// Strokes on a board (not deleted), back to front, their points where the strokes are
    /// now.
    pub fn board_strokes(&mut self, space: &SpaceId, now_ms: u64) -> Result<Vec<Stroke>, StoreError> {
        let board = self.board(space, now_ms, None)?;
        Ok(board
            .objects()
            .into_iter()
            .filter(|o| matches!(o.content, confab_core::Content::Stroke { .. }))
            .map(|o| Stroke {
                points: o.points(),
                id: o.id,
                author: o.author,
                device: o.device,
                ts: o.created,
                color: o.color,
                width: o.width,
            })
            .collect())
    }

    /// Newsletter issues, oldest first.
    pub fn news_issues(&mut self, space: &SpaceId, now_ms: u64) -> Result<Vec<NewsIssue>, StoreError> {
        self.news_page(space, now_ms, Page::default())
    }
}
