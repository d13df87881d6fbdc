-- Operator search over the catalogue and the live catalogue panel (issue 10, items 5 and 9; ADR 0019).
-- Needs 0008 (products, product_skus, pg_trgm in schema public), 0001 (inventory_stock), 0003 (sku_prices).

-- Keyword search: `name ILIKE '%…%'` is answered from this index (trigrams of CJK characters too: the
-- database's ctype classifies them as word characters). A keyword of one or two characters yields no
-- trigram: the same ILIKE is then checked row by row (still correct, see storage/catalogue-search/).
CREATE INDEX IF NOT EXISTS products_name_trgm ON products USING gin (name public.gin_trgm_ops);
-- The search's order (newest first, code breaks ties) and its keyset cursor.
CREATE INDEX IF NOT EXISTS products_created ON products (created_at DESC, spu_code DESC);
CREATE INDEX IF NOT EXISTS products_status_created ON products (status, created_at DESC, spu_code DESC);
CREATE INDEX IF NOT EXISTS products_category_created ON products (category, created_at DESC, spu_code DESC);

-- Per product, what search filters on besides its own columns: the price range over its SKUs' list
-- prices (sku_prices) and its stock state from the inventory read model (inventory_stock). Kept in step
-- by the triggers below, in the same transaction as the change that moves them, so a filter never needs
-- an aggregate over every product's SKUs.
--   stock: 'out'      no SKU has sellable stock (or the product has no SKU)
--          'low'      some stock, but at least one SKU is out or below its safety stock
--          'in_stock' every SKU has sellable stock and none is below its safety stock
CREATE TABLE IF NOT EXISTS product_facts (
  spu_code text PRIMARY KEY REFERENCES products (spu_code) ON DELETE CASCADE,
  min_price bigint NULL,
  max_price bigint NULL,
  stock text NOT NULL DEFAULT 'out' CHECK (stock IN ('in_stock', 'low', 'out')),
  skus int NOT NULL DEFAULT 0
);
CREATE INDEX IF NOT EXISTS product_facts_stock ON product_facts (stock);
CREATE INDEX IF NOT EXISTS product_facts_prices ON product_facts (min_price, max_price);

-- Recomputes one product's facts. The row lock first: two transactions changing SKUs of one product
-- take turns, and (read committed, a fresh snapshot per statement) the second sees the first's change.
CREATE OR REPLACE FUNCTION product_facts_refresh(spu text) RETURNS void
LANGUAGE plpgsql SET search_path FROM CURRENT AS $$
DECLARE
  lo bigint;
  hi bigint;
  n int;
  total numeric;
  short boolean;
BEGIN
  IF NOT EXISTS (SELECT 1 FROM products WHERE spu_code = spu) THEN
    RETURN;
  END IF;
  INSERT INTO product_facts (spu_code) VALUES (spu) ON CONFLICT DO NOTHING;
  PERFORM 1 FROM product_facts WHERE spu_code = spu FOR UPDATE;
  SELECT min(p.list_price), max(p.list_price) INTO lo, hi
    FROM product_skus s JOIN sku_prices p ON p.sku = s.sku WHERE s.spu_code = spu;
  SELECT count(*), COALESCE(sum(x.sellable), 0), COALESCE(bool_or(x.low OR x.sellable = 0), false)
    INTO n, total, short
    FROM (SELECT s.sku, COALESCE(sum(i.sellable), 0) AS sellable, COALESCE(bool_or(i.low_stock), false) AS low
          FROM product_skus s LEFT JOIN inventory_stock i ON i.sku = s.sku
          WHERE s.spu_code = spu GROUP BY s.sku) x;
  UPDATE product_facts SET
    min_price = lo,
    max_price = hi,
    skus = n,
    stock = CASE WHEN total = 0 THEN 'out' WHEN short THEN 'low' ELSE 'in_stock' END
  WHERE spu_code = spu;
END
$$;

-- Every product's facts at once (after a bulk load with triggers off, or to repair).
CREATE OR REPLACE FUNCTION product_facts_rebuild() RETURNS bigint
LANGUAGE sql SET search_path FROM CURRENT AS $$
  WITH per_sku AS (
    SELECT s.spu_code, s.sku, COALESCE(sum(i.sellable), 0) AS sellable, COALESCE(bool_or(i.low_stock), false) AS low
    FROM product_skus s LEFT JOIN inventory_stock i ON i.sku = s.sku GROUP BY s.spu_code, s.sku),
  per_spu AS (
    SELECT x.spu_code, count(*)::int AS n, sum(x.sellable) AS total, bool_or(x.low OR x.sellable = 0) AS short,
      min(p.list_price) AS lo, max(p.list_price) AS hi
    FROM per_sku x LEFT JOIN sku_prices p ON p.sku = x.sku GROUP BY x.spu_code),
  upserted AS (
    INSERT INTO product_facts (spu_code, min_price, max_price, skus, stock)
    SELECT pr.spu_code, f.lo, f.hi, COALESCE(f.n, 0),
      CASE WHEN COALESCE(f.total, 0) = 0 THEN 'out' WHEN f.short THEN 'low' ELSE 'in_stock' END
    FROM products pr LEFT JOIN per_spu f ON f.spu_code = pr.spu_code
    ON CONFLICT (spu_code) DO UPDATE SET min_price = EXCLUDED.min_price, max_price = EXCLUDED.max_price,
      skus = EXCLUDED.skus, stock = EXCLUDED.stock
    RETURNING 1)
  SELECT count(*) FROM upserted;
$$;

CREATE OR REPLACE FUNCTION product_facts_on_product() RETURNS trigger
LANGUAGE plpgsql SET search_path FROM CURRENT AS $$
BEGIN
  PERFORM product_facts_refresh(NEW.spu_code);
  RETURN NULL;
END
$$;

CREATE OR REPLACE FUNCTION product_facts_on_product_sku() RETURNS trigger
LANGUAGE plpgsql SET search_path FROM CURRENT AS $$
BEGIN
  IF TG_OP <> 'INSERT' THEN
    PERFORM product_facts_refresh(OLD.spu_code);
  END IF;
  IF TG_OP <> 'DELETE' AND (TG_OP = 'INSERT' OR NEW.spu_code IS DISTINCT FROM OLD.spu_code OR NEW.sku IS DISTINCT FROM OLD.sku) THEN
    PERFORM product_facts_refresh(NEW.spu_code);
  END IF;
  RETURN NULL;
END
$$;

-- A price or a stock row of an SKU that belongs to a product (most stock rows' SKUs may belong to none).
CREATE OR REPLACE FUNCTION product_facts_on_sku_row() RETURNS trigger
LANGUAGE plpgsql SET search_path FROM CURRENT AS $$
DECLARE
  spu text;
BEGIN
  SELECT spu_code INTO spu FROM product_skus
    WHERE sku = CASE WHEN TG_OP = 'DELETE' THEN OLD.sku ELSE NEW.sku END;
  IF spu IS NOT NULL THEN
    PERFORM product_facts_refresh(spu);
  END IF;
  RETURN NULL;
END
$$;

DROP TRIGGER IF EXISTS product_facts_product ON products;
CREATE TRIGGER product_facts_product AFTER INSERT ON products
  FOR EACH ROW EXECUTE FUNCTION product_facts_on_product();
DROP TRIGGER IF EXISTS product_facts_product_sku ON product_skus;
CREATE TRIGGER product_facts_product_sku AFTER INSERT OR DELETE OR UPDATE OF spu_code, sku ON product_skus
  FOR EACH ROW EXECUTE FUNCTION product_facts_on_product_sku();
DROP TRIGGER IF EXISTS product_facts_price ON sku_prices;
CREATE TRIGGER product_facts_price AFTER INSERT OR DELETE OR UPDATE OF list_price ON sku_prices
  FOR EACH ROW EXECUTE FUNCTION product_facts_on_sku_row();
-- The projector rewrites stock rows on every movement; only a change of state (sellable reaching or
-- leaving zero, the low-stock flag flipping) can move a product's stock state, so only those fire.
DROP TRIGGER IF EXISTS product_facts_stock_row ON inventory_stock;
CREATE TRIGGER product_facts_stock_row AFTER INSERT OR DELETE ON inventory_stock
  FOR EACH ROW EXECUTE FUNCTION product_facts_on_sku_row();
DROP TRIGGER IF EXISTS product_facts_stock_change ON inventory_stock;
CREATE TRIGGER product_facts_stock_change AFTER UPDATE ON inventory_stock
  FOR EACH ROW WHEN ((OLD.sellable = 0) IS DISTINCT FROM (NEW.sellable = 0) OR OLD.low_stock IS DISTINCT FROM NEW.low_stock)
  EXECUTE FUNCTION product_facts_on_sku_row();

-- The live catalogue panel: a committed change to products (content, or status projected from the
-- listing log) notifies the realtime nodes of this namespace, which refresh the panel (coalesced).
-- NOTIFY is per database: the channel carries a hash of the schema so namespaces never hear each other.
CREATE OR REPLACE FUNCTION catalogue_panel_notify() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  PERFORM pg_notify('catalogue_panel_' || left(md5(TG_TABLE_SCHEMA), 20), TG_TABLE_NAME);
  RETURN NULL;
END
$$;
DROP TRIGGER IF EXISTS catalogue_panel_products ON products;
CREATE TRIGGER catalogue_panel_products AFTER INSERT OR UPDATE OR DELETE ON products
  FOR EACH STATEMENT EXECUTE FUNCTION catalogue_panel_notify();
-- Reviews (0010) waiting for moderation are on the panel too: the same notification when they change.
DO $$
BEGIN
  IF to_regclass('reviews') IS NOT NULL THEN
    DROP TRIGGER IF EXISTS catalogue_panel_reviews ON reviews;
    CREATE TRIGGER catalogue_panel_reviews AFTER INSERT OR UPDATE OR DELETE ON reviews
      FOR EACH STATEMENT EXECUTE FUNCTION catalogue_panel_notify();
  END IF;
END
$$;

-- Facts for products that existed before this migration.
SELECT product_facts_rebuild();
