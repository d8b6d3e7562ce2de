-- 0002: security and privacy. Staff accounts; the consent record of each session; sealed roster
-- fields. Forward-only; no column is dropped.

-- Desk staff. secret_hash is an Argon2id PHC string (salt and parameters inside); never the secret.
-- An account locks after too many wrong secrets in a row (failed_sign_ins); an admin unlocks it.
CREATE TABLE operators (
    id              TEXT PRIMARY KEY NOT NULL CHECK (length(id) BETWEEN 1 AND 32 AND id NOT GLOB '*[^a-z0-9._-]*'),
    display_name    TEXT NOT NULL CHECK (length(display_name) BETWEEN 1 AND 64),
    role            TEXT NOT NULL CHECK (role IN ('operator', 'reviewer', 'admin')),
    secret_hash     TEXT NOT NULL CHECK (secret_hash GLOB '$argon2id$*'),
    failed_sign_ins INTEGER NOT NULL DEFAULT 0 CHECK (failed_sign_ins >= 0),
    locked_at       INTEGER,
    last_sign_in_at INTEGER,
    created_at      INTEGER NOT NULL,
    updated_at      INTEGER NOT NULL
) STRICT, WITHOUT ROWID;

-- Which consent text the candidate accepted (or declined), and when.
ALTER TABLE sessions ADD COLUMN consent TEXT CHECK (consent IS NULL OR consent IN ('accepted', 'declined'));
ALTER TABLE sessions ADD COLUMN consent_version TEXT;
-- SHA-256 of the exact consent texts shown (both languages), so a changed file is a new record.
ALTER TABLE sessions ADD COLUMN consent_text_sha256 TEXT CHECK (consent_text_sha256 IS NULL OR length(consent_text_sha256) = 64);
ALTER TABLE sessions ADD COLUMN consent_at INTEGER;

-- From 0002 on the roster's personal fields are sealed with the artefact key: `sealed` holds
-- nonce ‖ XChaCha20-Poly1305(JSON of ID number, name, birth date, phone, ethnicity). The old
-- columns stay (never dropped) with placeholders: `id_number` holds the keyed lookup code
-- (18 upper-case hex characters of HMAC-SHA-256), `name` '*', `birth_date` '0000-00-00',
-- `phone` and `ethnicity` NULL. Rows imported before 0002 are sealed when the store next opens.
ALTER TABLE roster ADD COLUMN sealed BLOB;
