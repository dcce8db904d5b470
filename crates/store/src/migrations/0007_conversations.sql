-- Version 7: conversations. What refers to what (replies, reactions, edits, deletes), what was
-- deleted for everyone, who people say they are, what this member has read, and a full-text
-- index of what this member can read.

-- A record (source) that refers to a message (target): kind 1 a reply, 8 a reaction, 9 an
-- edit, 10 a delete. Kept whether or not the target is held yet, so that a reaction, edit or
-- delete that arrives first is applied when the target does.
CREATE TABLE links (
    target BLOB NOT NULL,
    kind   INTEGER NOT NULL,
    source BLOB NOT NULL,
    space  BLOB NOT NULL,
    author BLOB NOT NULL,
    ts     INTEGER NOT NULL,
    PRIMARY KEY (target, kind, source)
) WITHOUT ROWID;
CREATE INDEX links_by_source ON links (source);

-- Records deleted for everyone: their rows are gone, their keys stay in the sync set (so they
-- are not fetched again) and are never served. `author` is NULL when the owner removed a
-- message this store never held.
CREATE TABLE gone (
    space    BLOB NOT NULL,
    ts       INTEGER NOT NULL,
    id       BLOB NOT NULL,
    kind     INTEGER NOT NULL,
    author   BLOB,
    by_owner INTEGER NOT NULL,
    PRIMARY KEY (space, ts, id)
) WITHOUT ROWID;
CREATE UNIQUE INDEX gone_by_id ON gone (id);

-- Display names: the newest profile record of each person wins.
CREATE TABLE profiles (
    author BLOB PRIMARY KEY NOT NULL,
    name   TEXT NOT NULL,
    color  TEXT NOT NULL,
    ts     INTEGER NOT NULL
) WITHOUT ROWID;

-- Who each message mentions.
CREATE TABLE mentions (
    who   BLOB NOT NULL,
    space BLOB NOT NULL,
    ts    INTEGER NOT NULL,
    id    BLOB NOT NULL,
    PRIMARY KEY (who, space, ts, id)
) WITHOUT ROWID;
CREATE INDEX mentions_by_id ON mentions (id);

-- Where this member has read a room up to (a record timestamp).
ALTER TABLE spaces ADD COLUMN read_ts INTEGER NOT NULL DEFAULT 0;

-- Full-text search over what this member can read: each chat message (its latest text) and
-- newsletter issue is a document of an FTS5 index whose rowid is the record's `doc` number,
-- given in the order records are stored (so the most recent matches come first). The index
-- keeps no copy of the text (contentless; snippets are made from the records themselves), and
-- a document is deleted by its rowid with FTS5's secure-delete on, so that no trace of its
-- terms is left in the index's pages.
ALTER TABLE records ADD COLUMN doc INTEGER;
CREATE UNIQUE INDEX records_by_doc ON records (doc) WHERE doc IS NOT NULL;
CREATE VIRTUAL TABLE search USING fts5(
    title, body,
    content = '', contentless_delete = 1,
    tokenize = 'unicode61 remove_diacritics 2'
);
INSERT INTO search (search, rank) VALUES ('secure-delete', 1);
