-- Promotions (issue 11 item 1/2, decision 0021): reference data written synchronously with its audit row.
-- The definition is kept as the API took it (type + rules + scope + conditions + time), validated at the
-- edge; the rule engine (actors/promotion) reads it back through storage/promotions.
CREATE SEQUENCE IF NOT EXISTS promotions_seq;

CREATE TABLE IF NOT EXISTS promotions (
  id text PRIMARY KEY,
  seq bigint NOT NULL UNIQUE,
  name text NOT NULL,
  type text NOT NULL CHECK (type IN ('threshold_reduction', 'percent_off', 'every_n_off', 'nth_item_price',
                                     'fixed_price', 'gift', 'free_shipping')),
  rules jsonb NOT NULL,
  scope jsonb NOT NULL,
  conditions jsonb NOT NULL DEFAULT '{}'::jsonb,
  -- [{ "from": "HH:MM", "to": "HH:MM" }], Asia/Shanghai time; [] = all day.
  time_slots jsonb NOT NULL DEFAULT '[]'::jsonb,
  -- ISO weekdays 1 (Monday) … 7 (Sunday), Asia/Shanghai time; {} = every day.
  weekdays smallint[] NOT NULL DEFAULT '{}',
  starts_at timestamptz NOT NULL,
  ends_at timestamptz NOT NULL,
  ended_at timestamptz NULL,
  exclusive boolean NOT NULL DEFAULT false,
  stack_group text NULL,
  priority int NOT NULL DEFAULT 0,
  created_at timestamptz NOT NULL DEFAULT now(),
  created_by text NOT NULL,
  ended_by text NULL,
  -- `promotion:<principal>:<Idempotency-Key>` and the request fingerprint, when the creator sent a key.
  idempotency_id text NULL UNIQUE,
  fingerprint text NULL,
  CHECK (ends_at > starts_at)
);
-- Checkout reads the promotions live at an instant: not ended, started, not over.
CREATE INDEX IF NOT EXISTS promotions_live ON promotions (starts_at, ends_at) WHERE ended_at IS NULL;
CREATE INDEX IF NOT EXISTS promotions_seq_desc ON promotions (seq DESC);
