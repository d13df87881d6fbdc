-- Product center (issue 10): categories, products (SPU content), their SKUs and the change history.
-- Reference data written synchronously, each write in one transaction with its history row; listing
-- state (status, scheduled) is owned by the `product` actor and projected here (docs/decisions/0014).

-- pg_trgm lives once per database in schema public (every namespace schema shares it; the opclass is
-- referenced as public.gin_trgm_ops). Two namespaces migrating at once may race on the create: the
-- loser's unique_violation is swallowed in a sub-transaction so its migration carries on.
DO $$
BEGIN
  CREATE EXTENSION IF NOT EXISTS pg_trgm WITH SCHEMA public;
EXCEPTION WHEN unique_violation OR duplicate_object THEN
  NULL;
END
$$;

CREATE TABLE IF NOT EXISTS categories (
  code text PRIMARY KEY,
  kind text NOT NULL CHECK (kind IN ('back', 'front')),
  name text NOT NULL,
  parent text NULL REFERENCES categories (code) ON DELETE RESTRICT,
  -- [{ "name": "颜色", "values": ["红", "蓝"] }] — the spec template; back categories only.
  specs jsonb NOT NULL DEFAULT '[]'::jsonb,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX IF NOT EXISTS categories_parent ON categories (parent);

-- Front categories map many-to-many onto back categories.
CREATE TABLE IF NOT EXISTS front_category_links (
  front text NOT NULL REFERENCES categories (code) ON DELETE CASCADE,
  back text NOT NULL REFERENCES categories (code) ON DELETE RESTRICT,
  PRIMARY KEY (front, back)
);
CREATE INDEX IF NOT EXISTS front_category_links_back ON front_category_links (back);

CREATE TABLE IF NOT EXISTS products (
  spu_code text PRIMARY KEY,
  name text NOT NULL,
  category text NOT NULL REFERENCES categories (code) ON DELETE RESTRICT,
  brand text NULL,
  description text NULL,
  attributes jsonb NOT NULL DEFAULT '{}'::jsonb,
  media jsonb NOT NULL DEFAULT '[]'::jsonb,
  seo jsonb NULL,
  -- Projected from the product actor's listing events: 'draft' | 'on_sale' | 'off_sale'.
  status text NOT NULL DEFAULT 'draft',
  -- { "action": "publish" | "unpublish", "at": ISO-8601 } or NULL.
  scheduled jsonb NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX IF NOT EXISTS products_category ON products (category);
CREATE INDEX IF NOT EXISTS products_status ON products (status);
CREATE INDEX IF NOT EXISTS products_brand ON products (brand) WHERE brand IS NOT NULL;
CREATE UNIQUE INDEX IF NOT EXISTS products_seo_slug ON products ((seo ->> 'slug')) WHERE seo ->> 'slug' IS NOT NULL;

-- An SKU belongs to at most one product (primary key); SKUs without a product have no row here.
CREATE TABLE IF NOT EXISTS product_skus (
  sku text PRIMARY KEY,
  spu_code text NOT NULL REFERENCES products (spu_code) ON DELETE CASCADE,
  specs jsonb NOT NULL DEFAULT '{}'::jsonb,
  barcode text NULL,
  weight_grams int NULL,
  volume_cm3 int NULL
);
CREATE INDEX IF NOT EXISTS product_skus_spu ON product_skus (spu_code);

-- Who changed what, when, before/after. kind: 'product' | 'sku' | 'price' | 'listing' | 'category'.
-- Rows of the product's listing are projected from the log (source_seq/source_idx make a replay a no-op).
CREATE TABLE IF NOT EXISTS catalogue_history (
  id bigserial PRIMARY KEY,
  spu_code text NULL,
  sku text NULL,
  kind text NOT NULL,
  at timestamptz NOT NULL DEFAULT now(),
  by text NOT NULL,
  before jsonb NULL,
  after jsonb NULL,
  source_seq bigint NULL,
  source_idx int NULL,
  UNIQUE (source_seq, source_idx)
);
CREATE INDEX IF NOT EXISTS catalogue_history_spu ON catalogue_history (spu_code, id DESC) WHERE spu_code IS NOT NULL;
CREATE INDEX IF NOT EXISTS catalogue_history_sku ON catalogue_history (sku, id DESC) WHERE sku IS NOT NULL;
