-- Version 1: spaces, records and the refs that erase strokes.
CREATE TABLE spaces (
    id        BLOB PRIMARY KEY NOT NULL,
    kind      TEXT NOT NULL CHECK (kind IN ('chat', 'board', 'news')),
    name      TEXT NOT NULL,
    key       BLOB NOT NULL,
    owner     BLOB NOT NULL,
    joined_at INTEGER NOT NULL
) WITHOUT ROWID;

-- Clustered by (space, ts, id): every view and every reconciliation reads one space in
-- timestamp order, so the table itself is the covering index.
CREATE TABLE records (
    space   BLOB NOT NULL,
    ts      INTEGER NOT NULL,
    id      BLOB NOT NULL,
    kind    INTEGER NOT NULL,
    author  BLOB NOT NULL,
    expires INTEGER,
    raw     BLOB NOT NULL,
    PRIMARY KEY (space, ts, id)
) WITHOUT ROWID;
CREATE UNIQUE INDEX records_by_id ON records (id);
CREATE INDEX records_by_expiry ON records (expires) WHERE expires IS NOT NULL;

-- Which records an erase (source) removes (target).
CREATE TABLE erased (
    space  BLOB NOT NULL,
    target BLOB NOT NULL,
    source BLOB NOT NULL,
    PRIMARY KEY (space, target, source)
) WITHOUT ROWID;

CREATE TABLE kv (
    key   TEXT PRIMARY KEY NOT NULL,
    value ANY
) WITHOUT ROWID;
