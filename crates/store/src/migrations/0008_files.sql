-- Version 8: files. One row per file a held record carries (chat attachments, newsletter
-- images): which blob holds it, the key that opens it, and what it is called. Rows go with
-- their record (deleted, expired, removed with a rotation), and a blob no row names any more
-- is garbage.
CREATE TABLE files (
    record BLOB NOT NULL,
    idx    INTEGER NOT NULL,
    blob   BLOB NOT NULL,
    space  BLOB NOT NULL,
    author BLOB NOT NULL,
    ts     INTEGER NOT NULL,
    name   TEXT NOT NULL,
    size   INTEGER NOT NULL,
    mime   TEXT NOT NULL,
    key    BLOB NOT NULL,
    -- The sender's preview of a picture (JPEG), if any.
    thumb  BLOB,
    PRIMARY KEY (record, idx)
) WITHOUT ROWID;
CREATE INDEX files_by_blob ON files (blob);
CREATE INDEX files_by_space ON files (space, ts);
