-- Product prices (reference data; the promotion engine will layer on top).
CREATE TABLE IF NOT EXISTS sku_prices (
  sku text PRIMARY KEY,
  list_price bigint NOT NULL CHECK (list_price >= 0),
  currency text NOT NULL DEFAULT 'CNY',
  updated_at timestamptz NOT NULL DEFAULT now()
);

-- Orders read model, projected from the order actors' events.
CREATE TABLE IF NOT EXISTS orders (
  order_id text PRIMARY KEY,
  user_id text NOT NULL,
  status text NOT NULL,
  channel text NOT NULL,
  skus text[] NOT NULL,
  items_amount bigint NOT NULL,
  discount_amount bigint NOT NULL,
  freight_amount bigint NOT NULL,
  total_amount bigint NOT NULL,
  paid_amount bigint NOT NULL DEFAULT 0,
  refunded_amount bigint NOT NULL DEFAULT 0,
  payment_id text,
  created_at timestamptz NOT NULL,
  paid_at timestamptz,
  updated_at timestamptz NOT NULL,
  version bigint NOT NULL
);
CREATE INDEX IF NOT EXISTS orders_created ON orders (created_at DESC, order_id DESC);
CREATE INDEX IF NOT EXISTS orders_user ON orders (user_id, created_at DESC);
CREATE INDEX IF NOT EXISTS orders_status ON orders (status, created_at DESC);
CREATE INDEX IF NOT EXISTS orders_skus ON orders USING gin (skus);

-- Payments read model (one row per payment actor).
CREATE TABLE IF NOT EXISTS payments (
  payment_id text PRIMARY KEY,
  order_id text NOT NULL,
  user_id text NOT NULL,
  channel text NOT NULL,
  amount bigint NOT NULL,
  status text NOT NULL,
  channel_txn_id text,
  refunded_amount bigint NOT NULL DEFAULT 0,
  rejected_callbacks int NOT NULL DEFAULT 0,
  created_at timestamptz NOT NULL,
  updated_at timestamptz NOT NULL,
  version bigint NOT NULL
);
CREATE INDEX IF NOT EXISTS payments_order ON payments (order_id);
