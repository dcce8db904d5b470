-- Version 3: records written by a process that is not the running node (the CLI), waiting for
-- the node on the same data dir to announce them live.
CREATE TABLE outbox (
    id    BLOB PRIMARY KEY NOT NULL,
    space BLOB NOT NULL,
    added INTEGER NOT NULL
) WITHOUT ROWID;
