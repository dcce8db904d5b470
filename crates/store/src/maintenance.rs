//! Keeping the database tidy: the search index built once for data stored before it existed,
//! rewritten after deletes so that no word of a deleted message is left in its pages, and the
//! write-ahead log truncated.

use confab_core::Space;
use rusqlite::OptionalExtension;

use crate::db::Db;
use crate::StoreError;

impl Db {
    /// Turns off what inserts do for conversations (links, deletes, profiles, the search
    /// index), to measure what it costs. Never off in Confab itself.
    #[doc(hidden)]
    pub fn set_conversations(&mut self, on: bool) {
        self.conversations = on;
    }

    /// Indexes records stored before version 7 of the schema (search, links, profiles).
    pub(crate) fn backfill_search(&mut self) -> Result<(), StoreError> {
        let spaces: Vec<Space> = self
            .order
            .iter()
            .filter_map(|id| self.spaces.get(id).cloned())
            .collect();
        let tx = self.conn.transaction()?;
        let n = crate::conversation::backfill(&tx, &spaces, &mut self.last_doc)?;
        tx.commit()?;
        tracing::info!("search index built for {n} stored records");
        Ok(())
    }

    /// Truncates the write-ahead log, so that the pages of deleted text it held are gone too.
    pub(crate) fn checkpoint(&mut self) -> Result<(), StoreError> {
        self.conn
            .query_row("PRAGMA wal_checkpoint(TRUNCATE)", [], |_| Ok(()))
            .optional()?;
        Ok(())
    }

    /// After messages were deleted for everyone, rewrites the search index so that no trace
    /// of their words is left in its pages (FTS5 keeps a term whose last document was deleted
    /// until its segments are merged), then truncates the write-ahead log. Part of the
    /// periodic maintenance ([`Db::purge_expired`]); does nothing when nothing was deleted.
    pub fn tidy_search(&mut self) -> Result<bool, StoreError> {
        let dirty: Option<i64> = self
            .conn
            .query_row("SELECT value FROM kv WHERE key = 'search_dirty'", [], |r| {
                r.get(0)
            })
            .optional()?;
        if dirty.unwrap_or(0) == 0 {
            return Ok(false);
        }
        let tx = self.conn.transaction()?;
        tx.execute("INSERT INTO search (search) VALUES ('optimize')", [])?;
        tx.execute("DELETE FROM kv WHERE key = 'search_dirty'", [])?;
        tx.commit()?;
        self.checkpoint()?;
        Ok(true)
    }
}
