-- Price rules per SKU beside its list price (sku_prices): explicit member-level prices, channel prices and
-- time-bounded schedules (actors/pricing resolves them; docs/decisions/0015-price-resolution.md).
-- A PUT replaces an SKU's whole rule set in one transaction with its catalogue_history row (kind 'price').
-- Windows are [valid_from, valid_to): from inclusive, to exclusive; NULL is an open bound.
CREATE TABLE IF NOT EXISTS sku_price_rules (
  id bigserial PRIMARY KEY,
  sku text NOT NULL,
  kind text NOT NULL CHECK (kind IN ('member', 'channel', 'schedule')),
  -- The member level or channel the price is for; '' for schedules (everyone).
  name text NOT NULL DEFAULT '',
  price bigint NOT NULL CHECK (price >= 0),
  valid_from timestamptz NULL,
  valid_to timestamptz NULL,
  CHECK (valid_from IS NULL OR valid_to IS NULL OR valid_from < valid_to),
  CHECK (kind <> 'schedule' OR (valid_from IS NOT NULL AND valid_to IS NOT NULL AND name = ''))
);
CREATE INDEX IF NOT EXISTS sku_price_rules_sku ON sku_price_rules (sku);
-- One price per level and per channel for an SKU (schedules are checked not to overlap on write).
CREATE UNIQUE INDEX IF NOT EXISTS sku_price_rules_named ON sku_price_rules (sku, kind, name)
  WHERE kind <> 'schedule';
