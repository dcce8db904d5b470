-- Version 5: key rotations. Epoch n of a space starts at `since` (the owner's rotation record's
-- timestamp); `key` is NULL when this member was not given it (it was removed); `removed` is
-- the concatenated 32-byte keys of the members the rotation removed; `kept` the concatenated
-- 16-byte id prefixes of their records the owner kept (NULL: no list, the date rule only).
CREATE TABLE epochs (
    space   BLOB NOT NULL,
    n       INTEGER NOT NULL,
    since   INTEGER NOT NULL,
    key     BLOB,
    removed BLOB NOT NULL,
    kept    BLOB,
    PRIMARY KEY (space, n)
) WITHOUT ROWID;
