//! What a stored record does to a conversation, inside the insert's transaction: replies,
//! reactions, edits and deletes are linked to their message (held or not yet), deletes remove
//! the message's text for good, profiles name people, mentions are noted, and the search
//! index follows.
//!
//! Who may edit or delete is decided here, when both the change and its target are held: an
//! edit counts only if its author wrote the message; a delete if its author wrote the message
//! or owns the space. A change whose target is not held yet is kept and judged when the
//! target arrives, so a peer that forwards it honestly is never penalised.

use confab_core::{AuthorKey, Body, Record, RecordId, RecordKind, Space, SpaceId, SyncKey};
use rusqlite::{params, OptionalExtension, Transaction};

use crate::StoreError;

/// A stored row's decryption.
fn open(space: &Space, raw: &[u8]) -> Result<(Record, Body), StoreError> {
    let rec = Record::decode(raw).map_err(|e| StoreError::Corrupt(e.to_string()))?;
    let body = space
        .decrypt(&rec)
        .map_err(|e| StoreError::Corrupt(e.to_string()))?;
    Ok((rec, body))
}

/// The raw encoding of a held record, by id.
pub(crate) fn raw_by_id(tx: &rusqlite::Connection, id: &RecordId) -> Result<Option<Vec<u8>>, StoreError> {
    Ok(tx
        .prepare_cached("SELECT raw FROM records WHERE id = ?1")?
        .query_row([&id.0], |r| r.get(0))
        .optional()?)
}

/// Whether a record was deleted for everyone (then it is never stored again).
pub(crate) fn is_gone(tx: &Transaction<'_>, id: &RecordId) -> Result<bool, StoreError> {
    Ok(tx
        .prepare_cached("SELECT 1 FROM gone WHERE id = ?1")?
        .query_row([&id.0], |_| Ok(()))
        .optional()?
        .is_some())
}

/// What admitting one record changed beyond its own row.
#[derive(Default)]
pub(crate) struct Effects {
    /// Keys of records deleted for everyone (they stay in the sync set).
    pub gone: Vec<(SpaceId, SyncKey)>,
    /// The record itself was deleted at once (a delete for it was held already).
    pub self_gone: bool,
}

pub(crate) fn link(tx: &Transaction<'_>, rec: &Record, kind: RecordKind) -> Result<(), StoreError> {
    if let Some(target) = rec.refs.first() {
        tx.prepare_cached(
            "INSERT OR IGNORE INTO links (target, kind, source, space, author, ts) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
        )?
        .execute(params![
            target.0,
            kind.code(),
            rec.id.0,
            rec.space.0,
            rec.person().0,
            rec.ts.0 as i64
        ])?;
    }
    Ok(())
}

fn note_mentions(
    tx: &Transaction<'_>,
    rec: &Record,
    ts: u64,
    id: &RecordId,
    who: &[[u8; 32]],
) -> Result<(), StoreError> {
    let mut q =
        tx.prepare_cached("INSERT OR IGNORE INTO mentions (who, space, ts, id) VALUES (?1, ?2, ?3, ?4)")?;
    for w in who {
        q.execute(params![w, rec.space.0, ts as i64, id.0])?;
    }
    Ok(())
}

pub(crate) fn note_files(
    tx: &Transaction<'_>,
    rec: &Record,
    files: &[confab_core::FileRef],
) -> Result<(), StoreError> {
    let mut q = tx.prepare_cached(
        "INSERT OR IGNORE INTO files (record, idx, blob, space, author, ts, name, size, mime, key, thumb) \
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)",
    )?;
    for (i, f) in files.iter().enumerate() {
        q.execute(params![
            rec.id.0,
            i as i64,
            f.blob,
            rec.space.0,
            rec.person().0,
            rec.ts.0 as i64,
            f.name,
            f.size as i64,
            f.mime,
            f.key,
            f.thumb.as_ref().map(|t| t.bytes.as_slice())
        ])?;
    }
    Ok(())
}

/// Adds a record's text to the search index as document `doc` (its number in `records`).
pub(crate) fn index(tx: &rusqlite::Connection, doc: i64, title: &str, body: &str) -> Result<(), StoreError> {
    tx.prepare_cached("INSERT INTO search (rowid, title, body) VALUES (?1, ?2, ?3)")?
        .execute(params![doc, title, body])?;
    Ok(())
}

/// A held record's document number, if it has one.
fn doc_of(tx: &rusqlite::Connection, id: &RecordId) -> Result<Option<i64>, StoreError> {
    Ok(tx
        .prepare_cached("SELECT doc FROM records WHERE id = ?1")?
        .query_row([&id.0], |r| r.get::<_, Option<i64>>(0))
        .optional()?
        .flatten())
}

/// Replaces the indexed text of a held message (it was edited).
pub(crate) fn reindex(tx: &rusqlite::Connection, id: &RecordId, body: &str) -> Result<(), StoreError> {
    if let Some(doc) = doc_of(tx, id)? {
        tx.prepare_cached("DELETE FROM search WHERE rowid = ?1")?
            .execute([doc])?;
        index(tx, doc, "", body)?;
    }
    Ok(())
}

/// Takes a held record's text out of the search index (call before deleting its row).
pub(crate) fn unindex(tx: &rusqlite::Connection, id: &RecordId) -> Result<(), StoreError> {
    if let Some(doc) = doc_of(tx, id)? {
        tx.prepare_cached("DELETE FROM search WHERE rowid = ?1")?
            .execute([doc])?;
    }
    Ok(())
}

/// The newest edit of `target` by `author` that is held: its text.
pub(crate) fn latest_edit(
    tx: &rusqlite::Connection,
    space: &Space,
    target: &RecordId,
    author: &AuthorKey,
) -> Result<Option<String>, StoreError> {
    let newest: Option<Vec<u8>> = tx
        .prepare_cached(
            "SELECT source FROM links WHERE target = ?1 AND kind = 9 AND author = ?2 ORDER BY ts DESC, source DESC LIMIT 1",
        )?
        .query_row(params![target.0, author.0], |r| r.get(0))
        .optional()?;
    let Some(source) = newest else { return Ok(None) };
    let Some(raw) = raw_by_id(tx, &RecordId(crate::db::blob32(source)?))? else {
        return Ok(None);
    };
    match open(space, &raw) {
        Ok((_, Body::Edit(e))) => Ok(Some(e.text)),
        Ok(_) => Ok(None),
        Err(e) => Err(e),
    }
}

/// Deletes a message for everyone: its row, its author's edits of it, its search document and
/// mentions; their keys are kept as gone.
fn delete_message(
    tx: &Transaction<'_>,
    space: &Space,
    target: &RecordId,
    ts: u64,
    author: &AuthorKey,
    by_owner: bool,
    fx: &mut Effects,
) -> Result<(), StoreError> {
    let edits: Vec<(Vec<u8>, i64)> = tx
        .prepare_cached("SELECT source, ts FROM links WHERE target = ?1 AND kind = 9 AND author = ?2")?
        .query_map(params![target.0, author.0], |r| Ok((r.get(0)?, r.get(1)?)))?
        .collect::<Result<_, _>>()?;
    let mut gone = tx.prepare_cached(
        "INSERT OR IGNORE INTO gone (space, ts, id, kind, author, by_owner) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
    )?;
    for (source, ets) in edits {
        let id = RecordId(crate::db::blob32(source)?);
        tx.prepare_cached("DELETE FROM records WHERE id = ?1")?
            .execute([&id.0])?;
        gone.execute(params![
            space.id.0,
            ets,
            id.0,
            RecordKind::Edit.code(),
            author.0,
            by_owner
        ])?;
        fx.gone.push((space.id, SyncKey::new(ets as u64, &id)));
    }
    unindex(tx, target)?;
    tx.prepare_cached("DELETE FROM records WHERE id = ?1")?
        .execute([&target.0])?;
    // FTS5 leaves a term without postings in its pages until the index is merged: the next
    // maintenance rewrites it (`Db::tidy_search`).
    tx.prepare_cached(
        "INSERT INTO kv (key, value) VALUES ('search_dirty', 1) ON CONFLICT (key) DO UPDATE SET value = 1",
    )?
    .execute([])?;
    tx.prepare_cached("DELETE FROM mentions WHERE id = ?1")?
        .execute([&target.0])?;
    tx.prepare_cached("DELETE FROM files WHERE record = ?1")?
        .execute([&target.0])?;
    gone.execute(params![
        space.id.0,
        ts as i64,
        target.0,
        RecordKind::ChatMessage.code(),
        author.0,
        by_owner
    ])?;
    fx.gone.push((space.id, SyncKey::new(ts, target)));
    Ok(())
}

/// The first delete held for `target` that its author or the owner signed.
fn held_delete(
    tx: &Transaction<'_>,
    space: &Space,
    target: &RecordId,
    author: &AuthorKey,
) -> Result<Option<bool>, StoreError> {
    let authors: Vec<Vec<u8>> = tx
        .prepare_cached("SELECT author FROM links WHERE target = ?1 AND kind = 10")?
        .query_map([&target.0], |r| r.get(0))?
        .collect::<Result<_, _>>()?;
    let mut by_owner = None;
    for a in authors {
        if a == author.0 {
            return Ok(Some(false));
        }
        if a == space.owner.0 {
            by_owner = Some(true);
        }
    }
    Ok(by_owner)
}

/// What a stored record does beyond its own row (see the module's documentation).
pub(crate) fn admit(
    tx: &Transaction<'_>,
    space: &Space,
    rec: &Record,
    body: &Body,
    doc: Option<i64>,
) -> Result<Effects, StoreError> {
    let mut fx = Effects::default();
    match body {
        Body::Chat(c) => {
            // Edits and deletes that came first (usually there are none: one lookup).
            let (mut edited, mut deleted) = (false, false);
            {
                let mut q = tx.prepare_cached("SELECT kind FROM links WHERE target = ?1 AND kind >= 9")?;
                for k in q.query_map([&rec.id.0], |r| r.get::<_, u8>(0))? {
                    match k? {
                        9 => edited = true,
                        _ => deleted = true,
                    }
                }
            }
            if deleted {
                if let Some(by_owner) = held_delete(tx, space, &rec.id, &rec.person())? {
                    delete_message(tx, space, &rec.id, rec.ts.0, &rec.person(), by_owner, &mut fx)?;
                    fx.self_gone = true;
                    return Ok(fx);
                }
            }
            link(tx, rec, RecordKind::ChatMessage)?;
            note_mentions(tx, rec, rec.ts.0, &rec.id, &c.mentions)?;
            note_files(tx, rec, &c.files)?;
            let edit = if edited {
                latest_edit(tx, space, &rec.id, &rec.person())?
            } else {
                None
            };
            if let Some(doc) = doc {
                index(tx, doc, "", edit.as_deref().unwrap_or(&c.text))?;
            }
        }
        Body::News(n) => {
            note_files(tx, rec, &n.files)?;
            if let Some(doc) = doc {
                index(tx, doc, &n.title, &n.body)?;
            }
        }
        // A new version of an issue: its files are the files too (fetched, served).
        Body::Correction(n) => {
            note_files(tx, rec, &n.files)?;
            link(tx, rec, RecordKind::Correction)?;
        }
        Body::Reply(_) => link(tx, rec, RecordKind::Reply)?,
        Body::Reaction(_) => link(tx, rec, RecordKind::Reaction)?,
        Body::Edit(e) => {
            let target = rec.refs[0];
            let gone_author: Option<Option<Vec<u8>>> = tx
                .prepare_cached("SELECT author FROM gone WHERE id = ?1")?
                .query_row([&target.0], |r| r.get(0))
                .optional()?;
            if let Some(Some(a)) = gone_author {
                if a == rec.person().0 {
                    // An edit of a message its author deleted: its text goes too.
                    tx.prepare_cached("DELETE FROM records WHERE id = ?1")?
                        .execute([&rec.id.0])?;
                    tx.prepare_cached(
                        "INSERT OR IGNORE INTO gone (space, ts, id, kind, author, by_owner) VALUES (?1, ?2, ?3, ?4, ?5, 0)",
                    )?
                    .execute(params![rec.space.0, rec.ts.0 as i64, rec.id.0, rec.kind.code(), rec.person().0])?;
                    fx.gone.push((rec.space, rec.sync_key()));
                    fx.self_gone = true;
                    return Ok(fx);
                }
            }
            link(tx, rec, RecordKind::Edit)?;
            let target_row: Option<(Vec<u8>, i64)> = tx
                .prepare_cached("SELECT author, ts FROM records WHERE id = ?1 AND kind = 1")?
                .query_row([&target.0], |r| Ok((r.get(0)?, r.get(1)?)))
                .optional()?;
            if let Some((author, ts)) = target_row {
                if author == rec.person().0 {
                    note_mentions(tx, rec, ts as u64, &target, &e.mentions)?;
                    if let Some(text) = latest_edit(tx, space, &target, &rec.person())? {
                        reindex(tx, &target, &text)?;
                    }
                }
            }
        }
        Body::Delete(d) => {
            link(tx, rec, RecordKind::Delete)?;
            let target = rec.refs[0];
            let by_owner = rec.person() == space.owner;
            let target_row: Option<(Vec<u8>, i64)> = tx
                // A chat message, or a reader's reply to a newsletter issue.
                .prepare_cached("SELECT author, ts FROM records WHERE id = ?1 AND kind IN (1, 19)")?
                .query_row([&target.0], |r| Ok((r.get(0)?, r.get(1)?)))
                .optional()?;
            match target_row {
                Some((author, ts)) => {
                    let author = AuthorKey(crate::db::blob32(author)?);
                    if author == rec.person() || by_owner {
                        delete_message(
                            tx,
                            space,
                            &target,
                            ts as u64,
                            &author,
                            author != rec.person(),
                            &mut fx,
                        )?;
                    }
                }
                None if by_owner && !is_gone(tx, &target)? => {
                    // The owner removed a message this store never held: it never will.
                    tx.prepare_cached(
                        "INSERT OR IGNORE INTO gone (space, ts, id, kind, author, by_owner) VALUES (?1, ?2, ?3, 1, NULL, 1)",
                    )?
                    .execute(params![rec.space.0, d.target_ts as i64, target.0])?;
                    fx.gone.push((rec.space, SyncKey::new(d.target_ts, &target)));
                }
                None => {}
            }
        }
        Body::Profile(p) => {
            if let Some(f) = &p.picture {
                note_files(tx, rec, std::slice::from_ref(f))?;
            }
            tx.prepare_cached(
                "INSERT INTO profiles (author, name, color, ts, picture) VALUES (?1, ?2, ?3, ?4, ?5)
                 ON CONFLICT (author) DO UPDATE SET name = excluded.name, color = excluded.color,
                     ts = excluded.ts, picture = excluded.picture
                 WHERE excluded.ts > profiles.ts",
            )?
            .execute(params![
                rec.person().0,
                p.name,
                p.color.to_string(),
                rec.ts.0 as i64,
                p.picture.as_ref().map(|_| rec.id.0.to_vec())
            ])?;
        }
        Body::Picture(_) | Body::Move(_) | Body::Erase(_) | Body::Change(_) => {
            crate::board::admit(tx, rec, body)?
        }
        _ => {}
    }
    Ok(fx)
}

/// Forgets what refers to records a rotation or expiry deleted.
pub(crate) fn forget(tx: &rusqlite::Connection, id: &RecordId) -> Result<(), StoreError> {
    unindex(tx, id)?;
    tx.prepare_cached("DELETE FROM links WHERE source = ?1")?
        .execute([&id.0])?;
    tx.prepare_cached("DELETE FROM mentions WHERE id = ?1")?
        .execute([&id.0])?;
    tx.prepare_cached("DELETE FROM files WHERE record = ?1")?
        .execute([&id.0])?;
    Ok(())
}

/// Builds the search index (and links, mentions, profiles) for records stored before the
/// index existed; run once after migration 7, with the spaces' keys at hand.
pub(crate) fn backfill(
    tx: &Transaction<'_>,
    spaces: &[Space],
    last_doc: &mut i64,
) -> Result<usize, StoreError> {
    let mut n = 0;
    for space in spaces {
        let raws: Vec<Vec<u8>> = tx
            .prepare(
                "SELECT raw FROM records WHERE space = ?1 AND kind IN (1, 4, 7, 8, 9, 10) ORDER BY ts, id",
            )?
            .query_map([&space.id.0], |r| r.get(0))?
            .collect::<Result<_, _>>()?;
        for raw in raws {
            let Ok((rec, body)) = open(space, &raw) else {
                continue;
            };
            let doc = if crate::db::searchable(rec.kind) {
                *last_doc += 1;
                tx.prepare_cached("UPDATE records SET doc = ?2 WHERE id = ?1")?
                    .execute(params![rec.id.0, *last_doc])?;
                Some(*last_doc)
            } else {
                None
            };
            admit(tx, space, &rec, &body, doc)?;
            n += 1;
        }
    }
    Ok(n)
}
