-- CMS A/B experiments (decision 0038): definitions, and one row per (experiment, visitor) counting
-- exposures and clicks once per visitor, so the readout's proportions are of visitors.

CREATE TABLE IF NOT EXISTS cms_experiments (
  seq          bigserial UNIQUE,
  id           text PRIMARY KEY,
  slug         text NOT NULL,
  name         text NULL,
  variants     jsonb NOT NULL,
  status       text NOT NULL CHECK (status IN ('draft', 'running', 'stopped')),
  start_at     timestamptz NULL,
  stop_at      timestamptz NULL,
  created_at   timestamptz NOT NULL DEFAULT now(),
  created_by   text NOT NULL,
  started_at   timestamptz NULL,
  stopped_at   timestamptz NULL
);
-- At most one running experiment per page: the delivery read picks it by slug.
CREATE UNIQUE INDEX IF NOT EXISTS cms_experiments_running ON cms_experiments (slug) WHERE status = 'running';
CREATE INDEX IF NOT EXISTS cms_experiments_slug ON cms_experiments (slug, seq DESC);

-- The variant is the one the visitor was assigned when first seen (assignment is a pure hash, so it is
-- the same one every later event computes while the weights stay).
CREATE TABLE IF NOT EXISTS cms_experiment_visitors (
  experiment_id  text NOT NULL REFERENCES cms_experiments (id) ON DELETE CASCADE,
  visitor_id     text NOT NULL,
  variant        text NOT NULL,
  exposed_at     timestamptz NOT NULL DEFAULT now(),
  clicked_at     timestamptz NULL,
  clicks         integer NOT NULL DEFAULT 0,
  PRIMARY KEY (experiment_id, visitor_id)
);
CREATE INDEX IF NOT EXISTS cms_experiment_visitors_variant ON cms_experiment_visitors (experiment_id, variant);
