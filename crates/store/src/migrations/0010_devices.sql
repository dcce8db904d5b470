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
