-- Events the projector could not apply to the read models: parked with the error, the offset moves
-- past them, an operator lists and retries them (GET/POST /v1/ops/projector/parked). The event itself
-- stays in the log (the source of truth); a retry reads it from there.
CREATE TABLE IF NOT EXISTS projector_dead_letters (
  seq bigint PRIMARY KEY,
  subject text NOT NULL,
  error text NOT NULL,
  parked_at timestamptz NOT NULL DEFAULT now(),
  attempts integer NOT NULL DEFAULT 1,
  last_attempt_at timestamptz NOT NULL DEFAULT now()
);
