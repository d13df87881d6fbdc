-- Keywords of one or two characters (ADR 0018). The trigram index of 0012 has nothing to say about them,
-- so `name ILIKE '%裙%'` walked products newest first and checked each name: quick when the character is
-- common (20 matches come early), a walk over every product when it is rare or absent (a typo, a brand not
-- stocked: 85–125 ms at 100,000 products). Each product now carries the set of its lower-cased name's
-- one- and two-character substrings, indexed by GIN. For a keyword of one or two characters,
-- `name_grams @> ARRAY[lower(q)]` holds exactly when `lower(name)` contains `lower(q)`, which is what
-- ILIKE tests (Postgres folds both sides with lower() in a multibyte database), so the search uses it in
-- place of ILIKE. The planner weighs it by the column's element statistics (most_common_elems): a rare
-- character is fetched from the index, a common one is still found by the newest-first walk.
CREATE OR REPLACE FUNCTION product_name_short_grams(name text) RETURNS text[]
LANGUAGE sql IMMUTABLE PARALLEL SAFE STRICT AS $$
  SELECT COALESCE(array_agg(DISTINCT g), '{}'::text[]) FROM (
    SELECT substr(x.l, i, 1) AS g FROM (SELECT lower(name) AS l) x, generate_series(1, char_length(x.l)) i
    UNION ALL
    SELECT substr(x.l, i, 2) FROM (SELECT lower(name) AS l) x, generate_series(1, char_length(x.l) - 1) i
  ) grams
$$;

ALTER TABLE products ADD COLUMN IF NOT EXISTS name_grams text[]
  GENERATED ALWAYS AS (product_name_short_grams(name)) STORED;
-- No pending list: a bulk import would otherwise leave up to 4 MB of unsorted entries that every search
-- scans until autovacuum merges them (15 ms per query after the bench's seed).
CREATE INDEX IF NOT EXISTS products_name_grams ON products USING gin (name_grams) WITH (fastupdate = off);
