-- Version 2: addresses learned for peers (redial with backoff) and per-space settings.
CREATE TABLE peer_addrs (
    peer       TEXT NOT NULL,
    addr       TEXT NOT NULL,
    last_seen  INTEGER NOT NULL,
    failures   INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (peer, addr)
) WITHOUT ROWID;

ALTER TABLE spaces ADD COLUMN muted INTEGER NOT NULL DEFAULT 0;
