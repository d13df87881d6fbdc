-- Member tags, segments and segment pushes (issue 11 item 7, decision 0025).

-- One row per known member: behaviour figures recomputed from the orders read model by the
-- `member-tags-recompute` job, and the level projected from the member actors' events.
CREATE TABLE IF NOT EXISTS member_profiles (
  user_id text PRIMARY KEY,
  level text NULL,
  level_version bigint NOT NULL DEFAULT 0,
  spend bigint NOT NULL DEFAULT 0,          -- fen paid on paid orders, net of refunds
  orders int NOT NULL DEFAULT 0,            -- paid orders
  recent_orders int NOT NULL DEFAULT 0,     -- paid orders within the loyalty window
  first_order_at timestamptz NULL,
  last_order_at timestamptz NULL,
  categories text[] NOT NULL DEFAULT '{}',  -- category codes of the products bought
  computed_at timestamptz NULL
);
CREATE INDEX IF NOT EXISTS member_profiles_level ON member_profiles (level);

-- Tags: `behaviour` (replaced by each recompute) and `manual` (an operator's), both matched by segments.
CREATE TABLE IF NOT EXISTS member_tags (
  user_id text NOT NULL,
  tag text NOT NULL,
  source text NOT NULL CHECK (source IN ('behaviour', 'manual')),
  added_at timestamptz NOT NULL DEFAULT now(),
  added_by text NOT NULL,
  PRIMARY KEY (user_id, source, tag)
);
CREATE INDEX IF NOT EXISTS member_tags_tag ON member_tags (tag, user_id);

-- Segments: saved filters over the profiles and tags (reference data, audited).
CREATE TABLE IF NOT EXISTS segments (
  code text PRIMARY KEY,
  name text NOT NULL,
  description text NULL,
  filter jsonb NOT NULL,
  version int NOT NULL DEFAULT 1,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now(),
  updated_by text NOT NULL
);

-- Messages delivered by segment pushes: one per push and member (a re-run delivers nothing twice).
CREATE TABLE IF NOT EXISTS member_messages (
  user_id text NOT NULL,
  push_id text NOT NULL,
  title text NOT NULL,
  body text NOT NULL,
  delivered_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (user_id, push_id)
);
CREATE INDEX IF NOT EXISTS member_messages_user ON member_messages (user_id, delivered_at DESC, push_id DESC);
