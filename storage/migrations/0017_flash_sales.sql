-- Flash sales (issue 11 item 4, decision 0023): the read model of the flash-sale campaign actors.
-- The actor is the authority on the window, per-user limits and stock; this table serves the campaign
-- list and the promotions panel's figures, which may lag the log by the projector's delay.
CREATE TABLE IF NOT EXISTS flash_sales (
  campaign_id text PRIMARY KEY,
  name text NOT NULL,
  sku text NOT NULL,
  price bigint NOT NULL,
  stock int NOT NULL,
  per_user_limit int NOT NULL,
  starts_at timestamptz NOT NULL,
  ends_at timestamptz NOT NULL,
  -- allocating | failed | scheduled | active | ended (scheduled/active also by time when read)
  status text NOT NULL,
  allocated int NOT NULL DEFAULT 0,
  sold int NOT NULL DEFAULT 0,
  -- refusals decided by the campaign (window, per-user limit, sold out) and by gateways (admission control)
  refused bigint NOT NULL DEFAULT 0,
  refused_sold_out bigint NOT NULL DEFAULT 0,
  refused_limit bigint NOT NULL DEFAULT 0,
  refused_not_active bigint NOT NULL DEFAULT 0,
  refused_admission bigint NOT NULL DEFAULT 0,
  returned int NULL,
  created_at timestamptz NOT NULL,
  created_by text NOT NULL,
  ended_at timestamptz NULL,
  updated_at timestamptz NOT NULL
);
CREATE INDEX IF NOT EXISTS flash_sales_created ON flash_sales (created_at DESC, campaign_id DESC);
CREATE INDEX IF NOT EXISTS flash_sales_sku ON flash_sales (sku);
