-- Version 10: people's devices. A person is an account; a device other than the account's own
-- key signs version 2 records, each carrying its certificate from the account. The
-- certificates seen are kept here, so that a rotation seals the new key to every device of the
-- members who stay, removes every device of one who goes, and members are shown as people with
-- their devices. From this version on, the `author` columns of `records`, `links`, `gone`,
-- `profiles` and `files` name the person (the account); a record's signing device is in its
-- signed bytes. Rows stored before it name a device that is its own account, so they are
-- already right.
CREATE TABLE devices (
    account BLOB NOT NULL,
    device  BLOB NOT NULL,
    issued  INTEGER NOT NULL,
    cert    BLOB NOT NULL,
    PRIMARY KEY (account, device)
) WITHOUT ROWID;
CREATE UNIQUE INDEX devices_by_device ON devices (device);

-- Devices their accounts revoked (from the revocation records seen in any space: a revocation
-- speaks for its account everywhere). What a device signs from `at_ms` on is refused.
CREATE TABLE revocations (
    device BLOB PRIMARY KEY NOT NULL,
    account BLOB NOT NULL,
    at_ms  INTEGER NOT NULL,
    revocation BLOB NOT NULL
) WITHOUT ROWID;

-- A person's own space (kind 'personal'): the spaces table is made again with the kind allowed
-- (SQLite cannot change a CHECK constraint in place), keeping every row.
CREATE TABLE spaces_v10 (
    id        BLOB PRIMARY KEY NOT NULL,
    kind      TEXT NOT NULL CHECK (kind IN ('chat', 'board', 'news', 'personal')),
    name      TEXT NOT NULL,
    key       BLOB NOT NULL,
    owner     BLOB NOT NULL,
    joined_at INTEGER NOT NULL,
    muted     INTEGER NOT NULL DEFAULT 0,
    read_ts   INTEGER NOT NULL DEFAULT 0
) WITHOUT ROWID;
INSERT INTO spaces_v10 (id, kind, name, key, owner, joined_at, muted, read_ts)
    SELECT id, kind, name, key, owner, joined_at, muted, read_ts FROM spaces;
DROP TABLE spaces;
ALTER TABLE spaces_v10 RENAME TO spaces;
