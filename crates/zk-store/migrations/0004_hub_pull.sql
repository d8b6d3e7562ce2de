-- 0004: what the desk takes from the hub. Forward-only.

-- Roster pulls: per site, the hub revision up to which this desk has applied the roster. Written
-- in the transaction that applies a page, so a pull resumes exactly where it stopped.
CREATE TABLE roster_pull (
    site       TEXT PRIMARY KEY NOT NULL CHECK (length(site) BETWEEN 1 AND 64),
    cursor     INTEGER NOT NULL CHECK (cursor >= 0),
    rows       INTEGER NOT NULL CHECK (rows >= 0),
    pulled_at  INTEGER NOT NULL
) STRICT, WITHOUT ROWID;

-- Serial-block requests to the hub: the Idempotency-Key is written (synchronous=FULL) before the
-- request is sent, so a lost answer is asked again under the same key and the hub answers with
-- the same block. The block is recorded and the request closed in one transaction.
CREATE TABLE serial_requests (
    request_key  TEXT PRIMARY KEY NOT NULL CHECK (length(request_key) BETWEEN 16 AND 128),
    district     TEXT NOT NULL CHECK (district GLOB '[0-9][0-9][0-9][0-9]' AND length(district) = 4),
    sitting      TEXT NOT NULL CHECK (sitting GLOB '[0-9][0-9][12]' AND length(sitting) = 3),
    size         INTEGER NOT NULL CHECK (size BETWEEN 1 AND 99999),
    state        TEXT NOT NULL CHECK (state IN ('open', 'allocated', 'refused')),
    block_id     TEXT REFERENCES serial_blocks (block_id),
    created_at   INTEGER NOT NULL,
    closed_at    INTEGER,
    CHECK ((state = 'open') = (closed_at IS NULL)),
    CHECK ((state = 'allocated') = (block_id IS NOT NULL))
) STRICT;

CREATE UNIQUE INDEX serial_requests_one_open ON serial_requests (state) WHERE state = 'open';
