-- 0001: the desk store. Times are INTEGER milliseconds since the Unix epoch (UTC).
-- Forward-only: later changes go into new numbered files; a column is never dropped.

CREATE TABLE meta (
    key   TEXT PRIMARY KEY NOT NULL CHECK (length(key) BETWEEN 1 AND 64),
    value TEXT NOT NULL
) STRICT;

-- One row per online registration (报名号).
CREATE TABLE roster (
    registration_id TEXT PRIMARY KEY NOT NULL CHECK (length(registration_id) BETWEEN 1 AND 64),
    id_type         TEXT NOT NULL CHECK (id_type IN ('resident', 'hmt_permit', 'foreign_permanent')),
    id_number       TEXT NOT NULL UNIQUE CHECK (length(id_number) IN (15, 18) AND id_number = upper(id_number)),
    name            TEXT NOT NULL CHECK (length(name) >= 1),
    sex             TEXT NOT NULL CHECK (sex IN ('0', '1', '2', '9')),
    ethnicity       INTEGER CHECK (ethnicity IS NULL OR ethnicity BETWEEN 0 AND 99),
    birth_date      TEXT NOT NULL CHECK (birth_date GLOB '[0-9][0-9][0-9][0-9]-[0-1][0-9]-[0-3][0-9]'),
    phone           TEXT CHECK (phone IS NULL OR (length(phone) = 11 AND phone GLOB '1*' AND phone NOT GLOB '*[^0-9]*')),
    district_code   TEXT NOT NULL CHECK (district_code GLOB '[0-9][0-9][0-9][0-9]' AND length(district_code) = 4),
    major_code      TEXT NOT NULL CHECK (length(major_code) >= 1),
    major_name      TEXT NOT NULL,
    level           TEXT NOT NULL CHECK (level IN ('zhuanke', 'benke')),
    status          TEXT NOT NULL CHECK (status IN ('registered', 'confirmed', 'cancelled')),
    imported_at     INTEGER NOT NULL,
    updated_at      INTEGER NOT NULL
) STRICT, WITHOUT ROWID;

CREATE INDEX roster_status ON roster (status, registration_id);

-- Admission-number serials allocated to this desk; `next` = last + 1 when used up.
CREATE TABLE serial_blocks (
    block_id   TEXT PRIMARY KEY NOT NULL CHECK (length(block_id) BETWEEN 1 AND 64),
    district   TEXT NOT NULL CHECK (district GLOB '[0-9][0-9][0-9][0-9]' AND length(district) = 4),
    sitting    TEXT NOT NULL CHECK (sitting GLOB '[0-9][0-9][12]' AND length(sitting) = 3),
    first      INTEGER NOT NULL CHECK (first BETWEEN 1 AND 99999),
    last       INTEGER NOT NULL CHECK (last BETWEEN first AND 99999),
    next       INTEGER NOT NULL CHECK (next BETWEEN first AND last + 1),
    added_at   INTEGER NOT NULL,
    added_by   TEXT NOT NULL
) STRICT;

CREATE INDEX serial_blocks_range ON serial_blocks (district, sitting, first);

-- One candidate at the kiosk, from consent to the end (confirmed, rejected, abandoned …).
CREATE TABLE sessions (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    started_at INTEGER NOT NULL,
    ended_at   INTEGER,
    outcome    TEXT CHECK (outcome IS NULL OR length(outcome) BETWEEN 1 AND 64),
    CHECK ((ended_at IS NULL) = (outcome IS NULL)),
    CHECK (ended_at IS NULL OR ended_at >= started_at)
) STRICT;

-- Every decision at every step, automatic or by staff, with its scores.
CREATE TABLE attempts (
    id            INTEGER PRIMARY KEY AUTOINCREMENT,
    session_id    INTEGER NOT NULL REFERENCES sessions (id),
    step          TEXT NOT NULL CHECK (step IN ('consent', 'id_card', 'liveness', 'photo', 'pledge', 'signature', 'commit')),
    attempt       INTEGER NOT NULL CHECK (attempt >= 0),
    decision      TEXT NOT NULL CHECK (decision IN ('pass', 'fail', 'review')),
    reason        TEXT,
    scores        TEXT NOT NULL CHECK (json_valid(scores) AND json_type(scores) = 'array'),
    model_version TEXT NOT NULL,
    operator      TEXT,
    note          TEXT,
    at            INTEGER NOT NULL,
    CHECK ((decision = 'pass') = (reason IS NULL))
) STRICT;

CREATE INDEX attempts_session ON attempts (session_id, id);

-- Photos, clips, signatures: XChaCha20-Poly1305 ciphertext; sha256 and size are of the plaintext.
-- A purge clears ciphertext and nonce and sets purged_at; the row (and hash) stays as evidence.
CREATE TABLE artefacts (
    id         TEXT PRIMARY KEY NOT NULL CHECK (length(id) = 36),
    session_id INTEGER NOT NULL REFERENCES sessions (id),
    kind       TEXT NOT NULL CHECK (kind IN ('id_photo', 'liveness_clip', 'live_frame', 'registration_photo', 'signature_image', 'signature_strokes')),
    ciphertext BLOB,
    nonce      BLOB CHECK (nonce IS NULL OR length(nonce) = 24),
    sha256     TEXT NOT NULL CHECK (length(sha256) = 64),
    size       INTEGER NOT NULL CHECK (size >= 0),
    created_at INTEGER NOT NULL,
    purged_at  INTEGER,
    CHECK ((purged_at IS NULL) = (ciphertext IS NOT NULL)),
    CHECK ((ciphertext IS NULL) = (nonce IS NULL))
) STRICT;

CREATE INDEX artefacts_session ON artefacts (session_id);

CREATE TABLE confirmations (
    id               TEXT PRIMARY KEY NOT NULL CHECK (length(id) = 36),
    registration_id  TEXT NOT NULL UNIQUE REFERENCES roster (registration_id),
    admission_number TEXT NOT NULL UNIQUE CHECK (length(admission_number) = 12 AND admission_number NOT GLOB '*[^0-9]*'),
    block_id         TEXT NOT NULL REFERENCES serial_blocks (block_id),
    session_id       INTEGER NOT NULL REFERENCES sessions (id),
    card_source      TEXT NOT NULL CHECK (card_source IN ('chip', 'ocr', 'staff_entry')),
    consent_version  TEXT,
    declaration      TEXT NOT NULL CHECK (json_valid(declaration)),
    outcomes         TEXT NOT NULL CHECK (json_valid(outcomes)),
    confirmed_at     INTEGER NOT NULL
) STRICT;

CREATE INDEX confirmations_time ON confirmations (confirmed_at, id);

-- The artefacts a confirmation rests on.
CREATE TABLE confirmation_artefacts (
    confirmation_id TEXT NOT NULL REFERENCES confirmations (id),
    artefact_id     TEXT NOT NULL REFERENCES artefacts (id),
    kind            TEXT NOT NULL,
    PRIMARY KEY (confirmation_id, artefact_id)
) STRICT, WITHOUT ROWID;

CREATE INDEX confirmation_artefacts_artefact ON confirmation_artefacts (artefact_id);

-- What sync sends upstream, in a monotonic order; acked only from the hub's answer.
CREATE TABLE outbox (
    seq             INTEGER PRIMARY KEY AUTOINCREMENT,
    confirmation_id TEXT NOT NULL UNIQUE REFERENCES confirmations (id),
    payload         TEXT NOT NULL CHECK (json_valid(payload)),
    created_at      INTEGER NOT NULL,
    acked_at        INTEGER
) STRICT;

CREATE INDEX outbox_pending ON outbox (seq) WHERE acked_at IS NULL;

-- Hash-chained, append-only: hash = SHA-256(domain, seq, at, actor, action, detail, prev_hash).
CREATE TABLE audit_log (
    seq       INTEGER PRIMARY KEY CHECK (seq >= 1),
    at        INTEGER NOT NULL,
    actor     TEXT NOT NULL,
    action    TEXT NOT NULL CHECK (length(action) >= 1),
    detail    TEXT NOT NULL,
    prev_hash TEXT NOT NULL CHECK (length(prev_hash) = 64),
    hash      TEXT NOT NULL UNIQUE CHECK (length(hash) = 64)
) STRICT;

CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log
BEGIN
    SELECT RAISE(ABORT, 'audit_log is append-only');
END;

CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log
BEGIN
    SELECT RAISE(ABORT, 'audit_log is append-only');
END;
