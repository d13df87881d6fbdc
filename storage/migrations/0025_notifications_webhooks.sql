-- Operator notifications and outbound webhooks (decision 0030), and the scheduled jobs' run keys.

-- One row per notification; `id` is derived from the raiser's deduplication key, so a repeat (a re-sent
-- effect, a replayed projection batch, a retried job) is the same row. `seq` orders the list and the feed.
CREATE TABLE IF NOT EXISTS notifications (
  seq              bigserial UNIQUE,
  id               text PRIMARY KEY,
  dedup_key        text NOT NULL UNIQUE,
  kind             text NOT NULL,
  severity         text NOT NULL CHECK (severity IN ('info', 'warning', 'critical')),
  source           text NOT NULL,
  subject_kind     text NULL,
  subject_id       text NULL,
  message          text NOT NULL,
  raised_at        timestamptz NOT NULL DEFAULT now(),
  acknowledged_at  timestamptz NULL,
  acknowledged_by  text NULL
);
CREATE INDEX IF NOT EXISTS notifications_open ON notifications (severity, seq DESC) WHERE acknowledged_at IS NULL;

-- Live feed: a committed raise or acknowledgement tells the realtime nodes of this namespace (NOTIFY is
-- per database, so the channel carries a hash of the schema) which row changed.
CREATE OR REPLACE FUNCTION notifications_notify() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  PERFORM pg_notify('notifications_' || left(md5(TG_TABLE_SCHEMA), 20), NEW.id);
  RETURN NULL;
END
$$;
DROP TRIGGER IF EXISTS notifications_changed ON notifications;
CREATE TRIGGER notifications_changed AFTER INSERT OR UPDATE ON notifications
  FOR EACH ROW EXECUTE FUNCTION notifications_notify();

-- Integrators' subscriptions. The secret is sealed at rest (decision 0010) and never read back.
CREATE TABLE IF NOT EXISTS webhook_subscriptions (
  id           text PRIMARY KEY,
  url          text NOT NULL,
  event_types  text[] NOT NULL,
  secret       text NOT NULL,
  enabled      boolean NOT NULL DEFAULT true,
  created_at   timestamptz NOT NULL DEFAULT now(),
  updated_at   timestamptz NOT NULL DEFAULT now(),
  updated_by   text NOT NULL
);

-- The outbox of webhook events: written in the same transaction as the fact (a notification raised or
-- acknowledged), handed to the delivery actors by the dispatcher, which marks it dispatched.
CREATE TABLE IF NOT EXISTS webhook_outbox (
  seq            bigserial PRIMARY KEY,
  event_id       text NOT NULL UNIQUE,
  event_type     text NOT NULL,
  payload        jsonb NOT NULL,
  created_at     timestamptz NOT NULL DEFAULT now(),
  dispatched_at  timestamptz NULL
);
CREATE INDEX IF NOT EXISTS webhook_outbox_pending ON webhook_outbox (seq) WHERE dispatched_at IS NULL;

-- Deliveries, projected from the `webhook-delivery` actors' events (may lag the actor).
CREATE TABLE IF NOT EXISTS webhook_deliveries (
  seq            bigserial UNIQUE,
  id             text PRIMARY KEY,
  subscription   text NOT NULL,
  event_id       text NOT NULL,
  event_type     text NOT NULL,
  status         text NOT NULL,          -- 'pending' | 'delivered' | 'dead'
  attempts       integer NOT NULL,
  last_status    integer NULL,
  last_error     text NULL,
  next_attempt_at timestamptz NULL,
  created_at     timestamptz NOT NULL,
  updated_at     timestamptz NOT NULL,
  version        bigint NOT NULL
);
CREATE INDEX IF NOT EXISTS webhook_deliveries_by_subscription ON webhook_deliveries (subscription, seq DESC);
CREATE INDEX IF NOT EXISTS webhook_deliveries_dead ON webhook_deliveries (seq DESC) WHERE status = 'dead';

-- A scheduled run's report is keyed by its run id: a retry of the same run replaces its own report, a
-- different run never touches it (reports written before this migration have no run id).
ALTER TABLE reconciliation_reports ADD COLUMN IF NOT EXISTS run_id text NULL;
CREATE UNIQUE INDEX IF NOT EXISTS reconciliation_reports_run ON reconciliation_reports (run_id, channel)
  WHERE run_id IS NOT NULL;

-- The attempt currently entitled to record a run's effects. Each start of a run (first try, or a new
-- owner re-running it) takes the next attempt number; writes made by a run check that theirs is still
-- the current one, so a stale runner that ignored its abort signal cannot write over the new attempt.
CREATE TABLE IF NOT EXISTS job_run_attempts (
  run_id      text PRIMARY KEY,
  attempt     integer NOT NULL,
  node        text NOT NULL,
  started_at  timestamptz NOT NULL DEFAULT now()
);

-- Stock pushed to sales channels by the stock-sync job: the last quantity each channel holds per SKU,
-- so a re-run pushes only what changed (idempotent) and reports counts.
CREATE TABLE IF NOT EXISTS channel_stock (
  channel     text NOT NULL,
  sku         text NOT NULL,
  quantity    integer NOT NULL,
  run_id      text NOT NULL,
  pushed_at   timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (channel, sku)
);
