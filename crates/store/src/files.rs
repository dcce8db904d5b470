//! The files held records carry (see migration 8): listed by space, found by blob, and the
//! set of blobs still named by a record (everything else in the blob store is garbage).

use confab_core::{AuthorKey, Hlc, RecordId, SpaceId};
use rusqlite::{params, OptionalExtension};

use crate::db::{blob32, Db};
use crate::StoreError;

/// A file named by a held record.
#[derive(Clone, Debug, PartialEq)]
pub struct StoredFile {
    /// The record that carries it.
    pub record: RecordId,
    /// Its place among the record's files.
    pub idx: u32,
    /// The blob (BLAKE3 of the encrypted bytes).
    pub blob: [u8; 32],
    /// The space.
    pub space: SpaceId,
    /// Who sent it.
    pub author: AuthorKey,
    /// When.
    pub ts: Hlc,
    /// Its name.
    pub name: String,
    /// Its size.
    pub size: u64,
    /// Its media type.
    pub mime: String,
    /// The blob's key.
    pub key: [u8; 32],
}

const COLUMNS: &str = "record, idx, blob, space, author, ts, name, size, mime, key";

/// A row as read, before its blobs are checked to be 32 bytes.
type Raw = (
    Vec<u8>,
    i64,
    Vec<u8>,
    Vec<u8>,
    Vec<u8>,
    i64,
    String,
    i64,
    String,
    Vec<u8>,
);

fn row(r: &rusqlite::Row<'_>) -> rusqlite::Result<Raw> {
    Ok((
        r.get(0)?,
        r.get(1)?,
        r.get(2)?,
        r.get(3)?,
        r.get(4)?,
        r.get(5)?,
        r.get(6)?,
        r.get(7)?,
        r.get(8)?,
        r.get(9)?,
    ))
}

fn collect(
    rows: impl Iterator<
        Item = rusqlite::Result<(
            Vec<u8>,
            i64,
            Vec<u8>,
            Vec<u8>,
            Vec<u8>,
            i64,
            String,
            i64,
            String,
            Vec<u8>,
        )>,
    >,
) -> Result<Vec<StoredFile>, StoreError> {
    rows.map(|r| {
        let (record, idx, blob, space, author, ts, name, size, mime, key) = r?;
        Ok(StoredFile {
            record: RecordId(blob32(record)?),
            idx: idx as u32,
            blob: blob32(blob)?,
            space: SpaceId(blob32(space)?),
            author: AuthorKey(blob32(author)?),
            ts: Hlc(ts as u64),
            name,
            size: size as u64,
            mime,
            key: blob32(key)?,
        })
    })
    .collect()
}

impl Db {
    /// The files of a space, oldest first.
    pub fn files(&mut self, space: &SpaceId) -> Result<Vec<StoredFile>, StoreError> {
        let mut q = self.conn.prepare_cached(&format!(
            "SELECT {COLUMNS} FROM files WHERE space = ?1 ORDER BY ts, record, idx"
        ))?;
        let rows = q.query_map([&space.0], row)?;
        collect(rows)
    }

    /// The files stored in blobs whose id (hex) starts with `prefix`.
    pub fn files_by_blob(&mut self, prefix: &str) -> Result<Vec<StoredFile>, StoreError> {
        // A whole id goes by the index (the app asks so for every picture it shows).
        if let Some(id) = (prefix.len() == 64)
            .then(|| confab_core::RecordId::from_hex(prefix))
            .flatten()
        {
            let mut q = self.conn.prepare_cached(&format!(
                "SELECT {COLUMNS} FROM files WHERE blob = ?1 ORDER BY ts, record, idx"
            ))?;
            let rows = q.query_map([&id.0[..]], row)?;
            return collect(rows);
        }
        let mut q = self.conn.prepare_cached(&format!(
            "SELECT {COLUMNS} FROM files WHERE hex(blob) LIKE ?1 ORDER BY ts, record, idx"
        ))?;
        let pat = format!("{}%", prefix.to_ascii_uppercase());
        let rows = q.query_map([pat], row)?;
        collect(rows)
    }

    /// The sender's preview of the picture in a blob (exact id), if a held record has one.
    pub fn file_thumb(&mut self, blob: &[u8; 32]) -> Result<Option<Vec<u8>>, StoreError> {
        Ok(self
            .conn
            .prepare_cached("SELECT thumb FROM files WHERE blob = ?1 AND thumb IS NOT NULL LIMIT 1")?
            .query_row([&blob[..]], |r| r.get(0))
            .optional()?)
    }

    /// Every blob a held record names: its size, and the spaces that name it.
    pub fn named_blobs(&mut self) -> Result<Vec<([u8; 32], u64, SpaceId)>, StoreError> {
        let mut q = self
            .conn
            .prepare_cached("SELECT DISTINCT blob, size, space FROM files ORDER BY blob")?;
        let rows = q.query_map(params![], |r| {
            Ok((
                r.get::<_, Vec<u8>>(0)?,
                r.get::<_, i64>(1)?,
                r.get::<_, Vec<u8>>(2)?,
            ))
        })?;
        rows.map(|r| {
            let (b, s, sp) = r?;
            Ok((blob32(b)?, s as u64, SpaceId(blob32(sp)?)))
        })
        .collect()
    }
}
