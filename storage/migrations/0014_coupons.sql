-- Coupons (issue 11 item 3): read models projected from the coupon-template actors' events.
-- The actor is the authority on budgets, per-user limits and redemptions; these tables serve lists
-- (a member's coupons) and statistics that may lag the log.
CREATE TABLE IF NOT EXISTS coupon_templates (
  template_id text PRIMARY KEY,
  name text NOT NULL,
  kind text NOT NULL CHECK (kind IN ('amount_off', 'percent_off')),
  value bigint NOT NULL,
  threshold bigint NULL,
  max_discount bigint NULL,
  total_quantity int NOT NULL,
  per_user_limit int NOT NULL,
  valid_from timestamptz NOT NULL,
  valid_to timestamptz NOT NULL,
  valid_days int NULL,
  scope jsonb NULL,
  ended_at timestamptz NULL,
  issued int NOT NULL DEFAULT 0,
  claimed int NOT NULL DEFAULT 0,
  pushed int NOT NULL DEFAULT 0,
  used int NOT NULL DEFAULT 0,
  gmv bigint NOT NULL DEFAULT 0,
  discount_cost bigint NOT NULL DEFAULT 0,
  created_at timestamptz NOT NULL,
  created_by text NOT NULL
);
CREATE INDEX IF NOT EXISTS coupon_templates_created ON coupon_templates (created_at DESC, template_id DESC);

-- One row per issued coupon. status: available | reserved | used ('expired' is derived from valid_to
-- and the template's ended_at when read). version: the log sequence of the last event applied.
CREATE TABLE IF NOT EXISTS coupons (
  coupon_id text PRIMARY KEY,
  template_id text NOT NULL,
  user_id text NOT NULL,
  source text NOT NULL CHECK (source IN ('claim', 'push')),
  status text NOT NULL CHECK (status IN ('available', 'reserved', 'used')),
  order_id text NULL,
  discount bigint NULL,
  amount bigint NULL,
  issued_at timestamptz NOT NULL,
  valid_from timestamptz NOT NULL,
  valid_to timestamptz NOT NULL,
  used_at timestamptz NULL,
  version bigint NOT NULL
);
CREATE INDEX IF NOT EXISTS coupons_user ON coupons (user_id, issued_at DESC, coupon_id DESC);
CREATE INDEX IF NOT EXISTS coupons_template ON coupons (template_id, status);
CREATE INDEX IF NOT EXISTS coupons_order ON coupons (order_id) WHERE order_id IS NOT NULL;
