-- Access reviews (decision 0036): a user's manager, the review policy, campaigns and their items.

-- The user's manager (a username), who reviews the user's role grants. NULL: nobody (not reviewed).
ALTER TABLE users ADD COLUMN IF NOT EXISTS manager text NULL;
CREATE INDEX IF NOT EXISTS users_manager ON users (manager) WHERE manager IS NOT NULL;

-- One row: what happens to an unanswered grant at the deadline, and how long a campaign runs.
CREATE TABLE IF NOT EXISTS access_review_settings (
  id               integer PRIMARY KEY DEFAULT 1 CHECK (id = 1),
  on_expiry        text NOT NULL DEFAULT 'revoke',          -- 'revoke' | 'keep' (keep and flag)
  duration_seconds integer NOT NULL DEFAULT 1209600,       -- 14 days
  updated_at       timestamptz NOT NULL DEFAULT now(),
  updated_by       text NOT NULL DEFAULT 'system'
);
INSERT INTO access_review_settings (id) VALUES (1) ON CONFLICT (id) DO NOTHING;

-- A campaign: started by a run of the `access-review-campaign` job (one campaign per run id), closed by
-- its `access-review` actor's durable deadline timer.
CREATE TABLE IF NOT EXISTS access_review_campaigns (
  seq        bigserial UNIQUE,
  id         text PRIMARY KEY,
  run_id     text NOT NULL UNIQUE,
  started_at timestamptz NOT NULL,
  deadline   timestamptz NOT NULL,
  on_expiry  text NOT NULL,                    -- the policy as it was at the start
  status     text NOT NULL DEFAULT 'open',     -- 'open' | 'closed'
  closed_at  timestamptz NULL,
  started_by text NOT NULL
);

-- One (user, role) grant of a user with a manager, snapshotted at the start, and what became of it.
CREATE TABLE IF NOT EXISTS access_review_items (
  seq        bigserial PRIMARY KEY,
  campaign   text NOT NULL REFERENCES access_review_campaigns (id),
  id         text NOT NULL,
  username   text NOT NULL,
  role       text NOT NULL,
  manager    text NOT NULL,
  status     text NOT NULL DEFAULT 'pending',  -- 'pending' | 'confirmed' | 'revoked' | 'expired'
  decision   text NULL,                        -- 'confirm' | 'revoke' (a manager's), NULL otherwise
  expiry     text NULL,                        -- 'revoked' | 'kept' when expired
  decided_by text NULL,
  decided_at timestamptz NULL,
  comment    text NULL,
  UNIQUE (campaign, id),
  UNIQUE (campaign, username, role)
);
CREATE INDEX IF NOT EXISTS access_review_items_manager ON access_review_items (campaign, manager, seq);
CREATE INDEX IF NOT EXISTS access_review_items_pending ON access_review_items (campaign) WHERE status = 'pending';
