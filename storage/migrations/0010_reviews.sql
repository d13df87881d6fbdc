-- Reviews (issue 10, item 6; decision 0016): reference data kept in Postgres, each write in one
-- transaction with its audit_log row. A review ties to one completed order line: one per (order, SKU).
CREATE TABLE IF NOT EXISTS reviews (
  id text PRIMARY KEY,
  -- Paging order (cursor) and arrival order of the moderation queue.
  seq bigserial NOT NULL UNIQUE,
  order_id text NOT NULL,
  sku text NOT NULL,
  -- The SKU's product when it has one (product_skus, migration 0008); NULL for a SKU of no product.
  spu_code text NULL,
  -- The order's buyer, as the order actor reported it.
  user_id text NOT NULL,
  rating smallint NOT NULL CHECK (rating BETWEEN 1 AND 5),
  text text NOT NULL,
  images jsonb NOT NULL DEFAULT '[]'::jsonb,
  status text NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'approved', 'rejected')),
  reason text NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  created_by text NOT NULL,
  moderated_at timestamptz NULL,
  moderated_by text NULL,
  reply_text text NULL,
  reply_at timestamptz NULL,
  reply_by text NULL,
  -- `review:<principal>:<Idempotency-Key>` and the request's fingerprint: a retry returns this review.
  idempotency_key text NULL UNIQUE,
  fingerprint text NULL,
  CONSTRAINT reviews_one_per_line UNIQUE (order_id, sku)
);
CREATE INDEX IF NOT EXISTS reviews_status_seq ON reviews (status, seq);
CREATE INDEX IF NOT EXISTS reviews_sku_seq ON reviews (sku, seq);
CREATE INDEX IF NOT EXISTS reviews_spu_seq ON reviews (spu_code, seq) WHERE spu_code IS NOT NULL;

-- Rating statistics per SPU over its approved reviews, changed in the moderation's transaction.
CREATE TABLE IF NOT EXISTS review_ratings (
  spu_code text PRIMARY KEY,
  r1 integer NOT NULL DEFAULT 0 CHECK (r1 >= 0),
  r2 integer NOT NULL DEFAULT 0 CHECK (r2 >= 0),
  r3 integer NOT NULL DEFAULT 0 CHECK (r3 >= 0),
  r4 integer NOT NULL DEFAULT 0 CHECK (r4 >= 0),
  r5 integer NOT NULL DEFAULT 0 CHECK (r5 >= 0),
  updated_at timestamptz NOT NULL DEFAULT now()
);

-- The operators' blocked-word list: one row, words in matching form (NFKC, lower case), versioned so
-- two operators editing it at once cannot overwrite each other unknowingly.
CREATE TABLE IF NOT EXISTS review_blocked_words (
  id smallint PRIMARY KEY DEFAULT 1 CHECK (id = 1),
  words text[] NOT NULL DEFAULT '{}',
  version integer NOT NULL DEFAULT 0,
  updated_at timestamptz NOT NULL DEFAULT now(),
  updated_by text NOT NULL DEFAULT 'system'
);
INSERT INTO review_blocked_words (id) VALUES (1) ON CONFLICT (id) DO NOTHING;
