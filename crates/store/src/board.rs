//! Pictures on a board: what their records do inside the insert's transaction (a picture's
//! file is noted like a chat attachment's, a move is linked to its picture, an erase lets go
//! of the files of the pictures it removes), and the merged board (see `confab_core::board`).

use confab_core::board::{Board, Content, Object, Stamp};
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
    /// The newest change, if it was moved or changed since it was placed: who and when.
    pub moved: Option<(AuthorKey, Hlc)>,
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
        // So that one object's records are found without reading the whole board.
        Body::Change(_) => crate::conversation::link(tx, rec, RecordKind::Change)?,
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

/// The kinds of record a board's merge reads.
const BOARD_KINDS: [RecordKind; 6] = [
    RecordKind::Stroke,
    RecordKind::Erase,
    RecordKind::Picture,
    RecordKind::Move,
    RecordKind::Shape,
    RecordKind::Change,
];

impl Db {
    /// A board merged from its live records (see [`confab_core::board`]); with `as_of`
    /// (wall-clock ms), from only the records dated then or before: the board as it was.
    pub fn board(&mut self, space: &SpaceId, now_ms: u64, as_of: Option<u64>) -> Result<Board, StoreError> {
        let kinds: Vec<String> = BOARD_KINDS.iter().map(|k| k.code().to_string()).collect();
        // Timestamps are HLCs: the ms in the high 48 bits.
        let until = as_of.map_or(i64::MAX, |ms| {
            (((ms.min(i64::MAX as u64 >> 16)) << 16) | 0xffff) as i64
        });
        let sql = format!(
            "SELECT raw FROM records WHERE space = ?1 AND kind IN ({}) AND {LIVE} AND ts <= ?3 \
             ORDER BY ts, id",
            kinds.join(",")
        );
        let mut board = Board::new();
        for (r, body) in self.bodies_with(space, &sql, now_ms, &[&until])? {
            board.apply(Stamp::of(&r), &r.refs, &body);
        }
        Ok(board)
    }

    /// One object (deleted or not) as it is now, from its own record and the records that
    /// change, move or erase it; `None` if its record is not here.
    pub fn board_object(
        &mut self,
        space: &SpaceId,
        now_ms: u64,
        id: &RecordId,
    ) -> Result<Option<Object>, StoreError> {
        let sql = format!(
            "SELECT raw FROM records WHERE space = ?1 AND {LIVE} AND (id = ?3 \
             OR id IN (SELECT source FROM links WHERE target = ?3 AND kind IN ({}, {})) \
             OR id IN (SELECT source FROM erased WHERE space = ?1 AND target = ?3))",
            RecordKind::Change.code(),
            RecordKind::Move.code()
        );
        let target = id.0.to_vec();
        let mut board = Board::new();
        for (r, body) in self.bodies_with(space, &sql, now_ms, &[&target])? {
            board.apply(Stamp::of(&r), &r.refs, &body);
        }
        Ok(board.get(id))
    }

    /// Pictures on a board (not deleted), back to front, each where it is now.
    pub fn board_pictures(&mut self, space: &SpaceId, now_ms: u64) -> Result<Vec<Picture>, StoreError> {
        let board = self.board(space, now_ms, None)?;
        Ok(board
            .objects()
            .into_iter()
            .filter_map(|o| {
                let Content::Picture(file) = o.content else {
                    return None;
                };
                let (w, h) = o.size;
                Some(Picture {
                    id: o.id,
                    author: o.author,
                    device: o.device,
                    ts: o.created,
                    file,
                    rect: Rect {
                        x: o.pos.0,
                        y: o.pos.1,
                        w,
                        h,
                    },
                    moved: (o.updated.0 != o.created).then_some((o.updated.1, o.updated.0)),
                })
            })
            .collect())
    }
}
