-- Scheduled jobs' run history (decision 0021), projected from the `job` actors' events: one row per
-- run (started, then finished with outcome and duration) and one per skipped fire. May lag the actor.
CREATE TABLE IF NOT EXISTS job_runs (
  id            bigserial PRIMARY KEY,
  run_id        text NOT NULL UNIQUE,
  job           text NOT NULL,
  trigger       text NOT NULL,              -- 'schedule' | 'manual'
  scheduled_for timestamptz NULL,
  started_at    timestamptz NOT NULL,
  finished_at   timestamptz NULL,
  outcome       text NULL,                  -- NULL while running, 'ok' | 'failed' | 'skipped'
  duration_ms   integer NULL,
  detail        text NULL,
  by            text NOT NULL
);
CREATE INDEX IF NOT EXISTS job_runs_job ON job_runs (job, id DESC);
