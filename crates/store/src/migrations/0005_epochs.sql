-- Version 5: key rotations. Epoch n of a space starts at `since` (the owner's rotation record's
-- timestamp); `key` is NULL when this member was not given it (it was removed); `removed` is
-- the concatenated 32-byte keys of the members the rotation removed.
CREATE TABLE epochs (
    space   BLOB NOT NULL,
    n       INTEGER NOT NULL,
    since   INTEGER NOT NULL,
    key     BLOB,
    removed BLOB NOT NULL,
    PRIMARY KEY (space, n)
) WITHOUT ROWID;
