-- Version 4: which peers are known to hold a space's records. After a complete sync session
-- with a peer, the peer holds every record this store had when the session began (`upto`, ms).
CREATE TABLE holders (
    space BLOB NOT NULL,
    peer  TEXT NOT NULL,
    upto  INTEGER NOT NULL,
    PRIMARY KEY (space, peer)
) WITHOUT ROWID;
