//! The three views people see: chat, board, newsletter. Each is a query over records.

use confab_core::{AuthorKey, Body, Hlc, RecordId, SpaceId};

use crate::db::Db;
use crate::StoreError;

/// A chat message as shown.
#[derive(Clone, Debug, PartialEq)]
pub struct ChatMessage {
    /// Record id.
    pub id: RecordId,
    /// Author.
    pub author: AuthorKey,
    /// Timestamp.
    pub ts: Hlc,
    /// Text.
    pub text: String,
}

/// A stroke still on the board.
#[derive(Clone, Debug, PartialEq)]
pub struct Stroke {
    /// Record id.
    pub id: RecordId,
    /// Author.
    pub author: AuthorKey,
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
    /// Author (always the owner).
    pub author: AuthorKey,
    /// Timestamp.
    pub ts: Hlc,
    /// Title.
    pub title: String,
    /// Body.
    pub body: String,
}

const LIVE: &str = "(expires IS NULL OR expires > ?2)";

impl Db {
    /// Chat messages in (ts, id) order.
    pub fn chat_messages(&mut self, space: &SpaceId, now_ms: u64) -> Result<Vec<ChatMessage>, StoreError> {
        let sql = format!("SELECT raw FROM records WHERE space = ?1 AND kind = 1 AND {LIVE} ORDER BY ts, id");
        Ok(self
            .bodies(space, &sql, now_ms)?
            .into_iter()
            .filter_map(|(r, b)| match b {
                Body::Chat(c) => Some(ChatMessage {
                    id: r.id,
                    author: r.author,
                    ts: r.ts,
                    text: c.text,
                }),
                _ => None,
            })
            .collect())
    }

    /// Strokes minus erased ones (an erase counts while it is itself live).
    pub fn board_strokes(&mut self, space: &SpaceId, now_ms: u64) -> Result<Vec<Stroke>, StoreError> {
        let sql = format!(
            "SELECT raw FROM records WHERE space = ?1 AND kind = 2 AND {LIVE} \
             AND NOT EXISTS (SELECT 1 FROM erased e JOIN records x ON x.id = e.source \
             WHERE e.space = ?1 AND e.target = records.id AND (x.expires IS NULL OR x.expires > ?2)) \
             ORDER BY ts, id"
        );
        Ok(self
            .bodies(space, &sql, now_ms)?
            .into_iter()
            .filter_map(|(r, b)| match b {
                Body::Stroke(s) => Some(Stroke {
                    id: r.id,
                    author: r.author,
                    ts: r.ts,
                    points: s.points,
                    color: s.color,
                    width: s.width,
                }),
                _ => None,
            })
            .collect())
    }

    /// Newsletter issues, oldest first.
    pub fn news_issues(&mut self, space: &SpaceId, now_ms: u64) -> Result<Vec<NewsIssue>, StoreError> {
        let sql = format!("SELECT raw FROM records WHERE space = ?1 AND kind = 4 AND {LIVE} ORDER BY ts, id");
        Ok(self
            .bodies(space, &sql, now_ms)?
            .into_iter()
            .filter_map(|(r, b)| match b {
                Body::News(n) => Some(NewsIssue {
                    id: r.id,
                    author: r.author,
                    ts: r.ts,
                    title: n.title,
                    body: n.body,
                }),
                _ => None,
            })
            .collect())
    }
}
