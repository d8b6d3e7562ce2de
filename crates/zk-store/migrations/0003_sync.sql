-- Sync batches: a batch is planned and recorded here before it is sent, so that a crash or a lost
-- answer resends the same rows under the same Idempotency-Key. At most one is open
-- (completed_at IS NULL) at a time.
CREATE TABLE sync_batches (
    batch_key    TEXT PRIMARY KEY CHECK (length(batch_key) >= 16),
    seqs         TEXT NOT NULL CHECK (json_valid(seqs)),
    audit_seq    INTEGER NOT NULL,
    audit_hash   TEXT NOT NULL,
    created_at   INTEGER NOT NULL,
    completed_at INTEGER,
    acked        INTEGER
) STRICT;

CREATE UNIQUE INDEX sync_batches_one_open ON sync_batches (completed_at IS NULL) WHERE completed_at IS NULL;
