-- Tamper-evident audit log (decision 0035). Writers keep inserting into audit_log as before (chain
-- columns NULL); one sealer at a time (an advisory lock, never held by a writer) gives each committed row
-- the next chain sequence and hash = sha256(previous hash || sequence || canonical row), in the order
-- the sealer sees rows commit. Verification recomputes every link over the sealed rows.
ALTER TABLE audit_log ADD COLUMN IF NOT EXISTS chain_seq bigint;
ALTER TABLE audit_log ADD COLUMN IF NOT EXISTS chain_hash text;
ALTER TABLE audit_log DROP CONSTRAINT IF EXISTS audit_log_chain_pair;
ALTER TABLE audit_log ADD CONSTRAINT audit_log_chain_pair CHECK ((chain_seq IS NULL) = (chain_hash IS NULL));
CREATE UNIQUE INDEX IF NOT EXISTS audit_log_chain_seq ON audit_log (chain_seq);
-- What the sealer picks up next: small, only the rows not sealed yet.
CREATE INDEX IF NOT EXISTS audit_log_unsealed ON audit_log (id) WHERE chain_seq IS NULL;
-- The list's filters (newest first by id) and the retention cut (by time).
CREATE INDEX IF NOT EXISTS audit_log_principal ON audit_log (principal, id DESC);
CREATE INDEX IF NOT EXISTS audit_log_action ON audit_log (action, id DESC);
CREATE INDEX IF NOT EXISTS audit_log_at ON audit_log (at);

-- Where the kept chain starts after pruning: rows up to `through_seq` were removed, `hash` is the hash of
-- row `through_seq` (the previous hash of the first kept row). The newest checkpoint is the one in force.
CREATE TABLE IF NOT EXISTS audit_checkpoints (
  through_seq bigint PRIMARY KEY,
  hash        text NOT NULL,
  pruned_rows bigint NOT NULL,
  cutoff      timestamptz NOT NULL,
  created_at  timestamptz NOT NULL DEFAULT now(),
  created_by  text NOT NULL
);

-- The retention policy (one row): rows older than `days` are pruned in whole chain segments.
CREATE TABLE IF NOT EXISTS audit_retention (
  singleton    boolean PRIMARY KEY DEFAULT true CHECK (singleton),
  days         int NOT NULL CHECK (days BETWEEN 1 AND 36500),
  segment_rows int NOT NULL CHECK (segment_rows BETWEEN 1 AND 1000000),
  updated_at   timestamptz NOT NULL DEFAULT now(),
  updated_by   text NOT NULL
);
INSERT INTO audit_retention (days, segment_rows, updated_by) VALUES (365, 1000, 'system')
  ON CONFLICT (singleton) DO NOTHING;
