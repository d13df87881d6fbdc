-- Purchasing (issue 12 items 1–4): read models projected from the supplier and purchase-order actors'
-- events, and the purchase plans (operator documents kept here; a low-stock event can open one).
-- The actors are the authority on a supplier's status and a PO's state; these tables serve lists,
-- plan inputs and finance's payables, and may lag the log.
CREATE TABLE IF NOT EXISTS suppliers (
  code text PRIMARY KEY,
  name text NOT NULL,
  status text NOT NULL CHECK (status IN ('pending', 'approved', 'suspended')),
  receipts int NOT NULL DEFAULT 0,
  updated_at timestamptz NOT NULL,
  version bigint NOT NULL
);

-- What each supplier lists: unit cost (fen) and lead time. Plans pick the cheapest approved supplier.
CREATE TABLE IF NOT EXISTS supplier_skus (
  supplier text NOT NULL,
  sku text NOT NULL,
  cost bigint NOT NULL,
  lead_time_days int NOT NULL,
  PRIMARY KEY (supplier, sku)
);
CREATE INDEX IF NOT EXISTS supplier_skus_sku ON supplier_skus (sku);

CREATE TABLE IF NOT EXISTS purchase_orders (
  po_id text PRIMARY KEY,
  supplier text NOT NULL,
  warehouse text NOT NULL,
  status text NOT NULL,
  total bigint NOT NULL,
  plan_id text NULL,
  expected_at timestamptz NULL,
  created_at timestamptz NOT NULL,
  updated_at timestamptz NOT NULL,
  version bigint NOT NULL
);
CREATE INDEX IF NOT EXISTS purchase_orders_created ON purchase_orders (created_at DESC, po_id DESC);
CREATE INDEX IF NOT EXISTS purchase_orders_status ON purchase_orders (status, created_at DESC);

-- One payable per receipt (accepted × unit cost) for finance, and one return-to-supplier record per
-- receipt that rejected goods.
CREATE TABLE IF NOT EXISTS purchase_payables (
  payable_id text PRIMARY KEY,
  receipt_id text NOT NULL,
  po_id text NOT NULL,
  supplier text NOT NULL,
  amount bigint NOT NULL,
  status text NOT NULL DEFAULT 'open',
  created_at timestamptz NOT NULL
);
CREATE INDEX IF NOT EXISTS purchase_payables_created ON purchase_payables (created_at DESC, payable_id DESC);
CREATE TABLE IF NOT EXISTS purchase_returns (
  return_id text PRIMARY KEY,
  receipt_id text NOT NULL,
  po_id text NOT NULL,
  supplier text NOT NULL,
  lines jsonb NOT NULL,
  amount bigint NOT NULL,
  created_at timestamptz NOT NULL
);

-- Purchase plans: suggestions an operator confirms, edits or drops line by line, then turns into POs.
-- trigger: 'operator' (POST /v1/purchase-plans) or 'low_stock' (opened by a SKU's lowStock event; the
-- plan id is derived from the event's log position, so the projector opens it once).
CREATE TABLE IF NOT EXISTS purchase_plans (
  plan_id text PRIMARY KEY,
  warehouse text NOT NULL,
  trigger text NOT NULL CHECK (trigger IN ('operator', 'low_stock')),
  status text NOT NULL CHECK (status IN ('open', 'ordered')),
  created_at timestamptz NOT NULL,
  created_by text NOT NULL,
  updated_at timestamptz NOT NULL
);
CREATE INDEX IF NOT EXISTS purchase_plans_created ON purchase_plans (created_at DESC, plan_id DESC);
CREATE TABLE IF NOT EXISTS purchase_plan_lines (
  plan_id text NOT NULL REFERENCES purchase_plans (plan_id) ON DELETE CASCADE,
  sku text NOT NULL,
  supplier text NULL,
  unit_cost bigint NULL,
  suggested_qty int NOT NULL,
  qty int NOT NULL,
  status text NOT NULL CHECK (status IN ('suggested', 'confirmed', 'dropped')),
  reasoning jsonb NOT NULL,
  po_id text NULL,
  PRIMARY KEY (plan_id, sku)
);
