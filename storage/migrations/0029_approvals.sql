-- Generic approvals (decision 0034): operators' rules, delegations, the list read model of the approval
-- actors, and the record of guarded actions run outside any actor (role changes), once per approval.

-- No row on a fresh install: nothing is guarded until an operator configures and enables a rule.
CREATE TABLE IF NOT EXISTS approval_rules (
  id                 text PRIMARY KEY,
  action             text NOT NULL,
  enabled            boolean NOT NULL,
  threshold          numeric NULL,
  steps              jsonb NOT NULL,
  expires_in_seconds integer NOT NULL CHECK (expires_in_seconds > 0),
  description        text NOT NULL DEFAULT '',
  updated_at         timestamptz NOT NULL DEFAULT now(),
  updated_by         text NOT NULL
);
CREATE INDEX IF NOT EXISTS approval_rules_action ON approval_rules (action) WHERE enabled;

-- An approver lets another user decide in their stead for a period.
CREATE TABLE IF NOT EXISTS approval_delegations (
  id          text PRIMARY KEY,
  delegator   text NOT NULL,
  delegate    text NOT NULL CHECK (delegate <> delegator),
  starts_at   timestamptz NOT NULL,
  ends_at     timestamptz NOT NULL CHECK (ends_at > starts_at),
  created_at  timestamptz NOT NULL DEFAULT now(),
  revoked_at  timestamptz NULL
);
CREATE INDEX IF NOT EXISTS approval_delegations_delegate ON approval_delegations (delegate, ends_at) WHERE revoked_at IS NULL;
CREATE INDEX IF NOT EXISTS approval_delegations_delegator ON approval_delegations (delegator, ends_at);

-- One row per approval actor, projected from its events (guarded by version = log sequence).
CREATE TABLE IF NOT EXISTS approvals (
  id          text PRIMARY KEY,
  action      text NOT NULL,
  subject     text NOT NULL,
  summary     text NOT NULL,
  requester   text NOT NULL,
  rule_id     text NOT NULL,
  status      text NOT NULL,
  step        integer NOT NULL,
  steps       jsonb NOT NULL,
  step_roles  text[] NOT NULL DEFAULT '{}',
  step_users  text[] NOT NULL DEFAULT '{}',
  step_approvals integer NOT NULL DEFAULT 0,
  -- Who decided the current step already (themselves, or the delegator whose right they used).
  step_deciders text[] NOT NULL DEFAULT '{}',
  created_at  timestamptz NOT NULL,
  expires_at  timestamptz NOT NULL,
  updated_at  timestamptz NOT NULL,
  version     bigint NOT NULL
);
CREATE INDEX IF NOT EXISTS approvals_by_status ON approvals (status, created_at DESC, id DESC);
CREATE INDEX IF NOT EXISTS approvals_by_created ON approvals (created_at DESC, id DESC);

-- Guarded actions run by the `approval-exec` service: the command id is recorded in the same transaction
-- as the change, so a re-sent effect (after a crash or a moved shard) finds it and changes nothing.
CREATE TABLE IF NOT EXISTS approval_executions (
  command_id  text PRIMARY KEY,
  action      text NOT NULL,
  result      jsonb NOT NULL,
  executed_at timestamptz NOT NULL DEFAULT now()
);
