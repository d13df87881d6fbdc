-- Reference data, security and audit.
CREATE TABLE IF NOT EXISTS settings (
  key text PRIMARY KEY,
  value text NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE IF NOT EXISTS roles (
  name text PRIMARY KEY,
  permissions text[] NOT NULL,
  description text NOT NULL DEFAULT ''
);

CREATE TABLE IF NOT EXISTS users (
  username text PRIMARY KEY,
  password_hash text NOT NULL,
  roles text[] NOT NULL,
  disabled boolean NOT NULL DEFAULT false,
  created_at timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE IF NOT EXISTS warehouses (
  code text PRIMARY KEY,
  name text NOT NULL,
  region text NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE IF NOT EXISTS audit_log (
  id bigserial PRIMARY KEY,
  at timestamptz NOT NULL DEFAULT now(),
  principal text NOT NULL,
  action text NOT NULL,
  target text NOT NULL,
  request_id text,
  detail jsonb NOT NULL DEFAULT '{}'::jsonb,
  -- Set for rows projected from the event log, so a replay never writes them twice.
  source_seq bigint,
  source_idx int,
  UNIQUE (source_seq, source_idx)
);
CREATE INDEX IF NOT EXISTS audit_log_target ON audit_log (target, at DESC);

-- Read models projected from JetStream.
CREATE TABLE IF NOT EXISTS projection_offsets (
  name text PRIMARY KEY,
  seq bigint NOT NULL,
  event_time timestamptz,
  updated_at timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE IF NOT EXISTS inventory_stock (
  sku text NOT NULL,
  warehouse text NOT NULL,
  physical bigint NOT NULL DEFAULT 0,
  reserved bigint NOT NULL DEFAULT 0,
  in_transit bigint NOT NULL DEFAULT 0,
  safety_stock bigint NOT NULL DEFAULT 0,
  sellable bigint GENERATED ALWAYS AS (GREATEST(0, physical - reserved - safety_stock)) STORED,
  low_stock boolean GENERATED ALWAYS AS (safety_stock > 0 AND GREATEST(0, physical - reserved - safety_stock) < safety_stock) STORED,
  version bigint NOT NULL,
  updated_at timestamptz NOT NULL,
  PRIMARY KEY (sku, warehouse)
);
CREATE INDEX IF NOT EXISTS inventory_stock_low ON inventory_stock (warehouse) WHERE low_stock;

CREATE TABLE IF NOT EXISTS stock_ledger (
  seq bigint NOT NULL,
  idx int NOT NULL,
  sku text NOT NULL,
  warehouse text NOT NULL,
  movement text NOT NULL,
  physical_delta bigint NOT NULL DEFAULT 0,
  reserved_delta bigint NOT NULL DEFAULT 0,
  in_transit_delta bigint NOT NULL DEFAULT 0,
  order_id text,
  reference text,
  reason text,
  principal text,
  request_id text,
  at timestamptz NOT NULL,
  PRIMARY KEY (seq, idx)
);
CREATE INDEX IF NOT EXISTS stock_ledger_sku ON stock_ledger (sku, seq DESC, idx DESC);
