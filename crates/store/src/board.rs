//! Pictures on a board: what their records do inside the insert's transaction (a picture's
//! file is noted like a chat attachment's, a move is linked to its picture, an erase lets go
//! of the files of the pictures it removes), and the view of the pictures still on a board,
//! each where its newest placement puts it.

use confab_core::{AuthorKey, Body, FileRef, Hlc, Record, RecordId, RecordKind, Rect, SpaceId};
use rusqlite::{OptionalExtension, Transaction};

use crate::db::Db;
use crate::views::LIVE;
use crate::StoreError;

/// A picture still on a board.
#[derive(Clone, Debug, PartialEq)]
pub struct Picture {
    /// The picture's record id.
    pub id: RecordId,
    /// Who placed it (the person).
    pub author: AuthorKey,
    /// The device that signed it.
    pub device: AuthorKey,
    /// When it was placed.
    pub ts: Hlc,
    /// The file that holds it.
    pub file: FileRef,
    /// Where it sits now: the newest move's rectangle, or where it was placed.
    pub rect: Rect,
    /// The newest move, if it was moved: who moved it, when, and the move's record id.
    pub moved: Option<(AuthorKey, Hlc, RecordId)>,
}

/// Whether an erase of the record's own board that never expires names it (then the record
/// is off its board for good).
fn erased_for_good(tx: &Transaction<'_>, rec: &Record) -> Result<bool, StoreError> {
    Ok(tx
        .prepare_cached(
            "SELECT 1 FROM erased e JOIN records x ON x.id = e.source \
             WHERE e.target = ?1 AND e.space = ?2 AND x.expires IS NULL LIMIT 1",
        )?
        .query_row(rusqlite::params![rec.id.0, rec.space.0], |_| Ok(()))
        .optional()?
        .is_some())
}

/// What a board record does beyond its own row (called from the insert's transaction, after
/// an erase's links are noted).
pub(crate) fn admit(tx: &Transaction<'_>, rec: &Record, body: &Body) -> Result<(), StoreError> {
    match body {
        // A picture's file is a file like a chat attachment's (listed, fetched, served,
        // kept from the garbage) unless an erase took the picture off for good already.
        Body::Picture(p) if !erased_for_good(tx, rec)? => {
            crate::conversation::note_files(tx, rec, std::slice::from_ref(&p.file))?;
        }
        Body::Move(_) => crate::conversation::link(tx, rec, RecordKind::Move)?,
        // Off the board for good: its file is garbage (strokes have none; nothing to do).
        // An erase that expires gives the picture back then, so it keeps the file. Only what
        // is on this board: an erase names records by id, and ids of other spaces' records
        // must not let it touch their files.
        Body::Erase(_) if rec.expires.is_none() => {
            let mut q = tx.prepare_cached("DELETE FROM files WHERE record = ?1 AND space = ?2")?;
            for target in &rec.refs {
                q.execute(rusqlite::params![target.0, rec.space.0])?;
            }
        }
        _ => {}
    }
    Ok(())
}

impl Db {
    /// Pictures minus erased ones (an erase counts while it is itself live), oldest placed
    /// first, each where its newest live move (by timestamp, then id) puts it.
    pub fn board_pictures(&mut self, space: &SpaceId, now_ms: u64) -> Result<Vec<Picture>, StoreError> {
        let sql = format!(
            "SELECT raw FROM records WHERE space = ?1 AND kind = {} AND {LIVE} \
             AND NOT EXISTS (SELECT 1 FROM erased e JOIN records x ON x.id = e.source \
             WHERE e.space = ?1 AND e.target = records.id AND (x.expires IS NULL OR x.expires > ?2)) \
             ORDER BY ts, id",
            RecordKind::Picture.code()
        );
        let placed = self.bodies(space, &sql, now_ms)?;
        let newest_move = format!(
            "SELECT r.raw FROM links l JOIN records r ON r.id = l.source \
             WHERE l.target = ?3 AND l.kind = {} AND r.space = ?1 \
             AND (r.expires IS NULL OR r.expires > ?2) \
             ORDER BY l.ts DESC, l.source DESC LIMIT 1",
            RecordKind::Move.code()
        );
        let mut out = Vec::with_capacity(placed.len());
        for (r, b) in placed {
            let Body::Picture(p) = b else { continue };
            let mut pic = Picture {
                id: r.id,
                author: r.person(),
                device: r.author,
                ts: r.ts,
                file: p.file,
                rect: p.rect,
                moved: None,
            };
            let target = r.id.0.to_vec();
            if let Some((m, Body::Move(mv))) = self
                .bodies_with(space, &newest_move, now_ms, &[&target])?
                .into_iter()
                .next()
            {
                pic.rect = mv.rect;
                pic.moved = Some((m.person(), m.ts, m.id));
            }
            out.push(pic);
        }
        Ok(out)
    }
}
