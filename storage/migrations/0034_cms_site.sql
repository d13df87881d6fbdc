-- CMS site (issue 14, decision 0039): the page projection the sitemap reads (projected from cms-page
-- events), old product slugs that redirect to their product, and the site generation the cached sitemap
-- is checked against (bumped in the same transaction as every change the sitemap shows).

-- One row per page slug: what is published (null: nothing), where a renamed slug points.
CREATE TABLE IF NOT EXISTS cms_pages (
  slug text PRIMARY KEY,
  published_version int NULL,
  published_at timestamptz NULL,
  moved_to text NULL,
  updated_at timestamptz NOT NULL
);
CREATE INDEX IF NOT EXISTS cms_pages_live ON cms_pages (slug)
  WHERE published_version IS NOT NULL AND moved_to IS NULL;

-- Each version's type, title and SEO fields (not its components: the actor holds those).
CREATE TABLE IF NOT EXISTS cms_page_versions (
  slug text NOT NULL,
  version int NOT NULL,
  type text NOT NULL,
  title text NOT NULL,
  seo jsonb NOT NULL DEFAULT '{}'::jsonb,
  PRIMARY KEY (slug, version)
);

-- An old SEO slug of a product → the product (its current slug is read from products, so a chain of
-- renames always collapses to one hop and can never loop). A slug taken again by a product is live.
CREATE TABLE IF NOT EXISTS product_slug_redirects (
  slug text PRIMARY KEY,
  spu_code text NOT NULL REFERENCES products (spu_code) ON DELETE CASCADE,
  created_at timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE IF NOT EXISTS cms_site_generation (
  id int PRIMARY KEY CHECK (id = 1),
  generation bigint NOT NULL
);
INSERT INTO cms_site_generation (id, generation) VALUES (1, 0) ON CONFLICT (id) DO NOTHING;

-- A product's slug changed: the old one redirects; the new one is live (drop a redirect it was).
CREATE OR REPLACE FUNCTION product_slug_redirect() RETURNS trigger AS $$
BEGIN
  IF NEW.seo ->> 'slug' IS NOT NULL THEN
    DELETE FROM product_slug_redirects WHERE slug = NEW.seo ->> 'slug';
  END IF;
  IF TG_OP = 'UPDATE' AND OLD.seo ->> 'slug' IS NOT NULL
     AND OLD.seo ->> 'slug' IS DISTINCT FROM NEW.seo ->> 'slug' THEN
    INSERT INTO product_slug_redirects (slug, spu_code) VALUES (OLD.seo ->> 'slug', NEW.spu_code)
    ON CONFLICT (slug) DO UPDATE SET spu_code = EXCLUDED.spu_code, created_at = now();
  END IF;
  RETURN NEW;
END
$$ LANGUAGE plpgsql SET search_path FROM CURRENT;
DROP TRIGGER IF EXISTS products_slug_redirect ON products;
CREATE TRIGGER products_slug_redirect AFTER INSERT OR UPDATE OF seo ON products
  FOR EACH ROW EXECUTE FUNCTION product_slug_redirect();

-- What the sitemap shows of products changed (listing status or SEO fields): a new site generation.
CREATE OR REPLACE FUNCTION cms_site_bump() RETURNS trigger AS $$
BEGIN
  UPDATE cms_site_generation SET generation = generation + 1 WHERE id = 1;
  RETURN NULL;
END
$$ LANGUAGE plpgsql SET search_path FROM CURRENT;
DROP TRIGGER IF EXISTS products_site_bump ON products;
CREATE TRIGGER products_site_bump AFTER UPDATE OF status, seo ON products
  FOR EACH ROW
  WHEN (OLD.status IS DISTINCT FROM NEW.status OR OLD.seo IS DISTINCT FROM NEW.seo)
  EXECUTE FUNCTION cms_site_bump();
DROP TRIGGER IF EXISTS products_site_bump_delete ON products;
CREATE TRIGGER products_site_bump_delete AFTER DELETE ON products
  FOR EACH ROW WHEN (OLD.status = 'on_sale') EXECUTE FUNCTION cms_site_bump();
