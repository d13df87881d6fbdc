-- Payments ledger: double-entry, append-only, integer minor units (fen).
--
-- Every entry has a `direction` ('debit' | 'credit') and a strictly positive `amount`, rather than a
-- signed amount: a sign convention is easy to get backwards, while `amount > 0` plus an explicit
-- direction is checkable by a constraint and reads like an accountant's journal.
-- A transaction's debits must equal its credits; storage/ledger/ledger.ts checks this before writing,
-- and a deferred constraint trigger re-checks it at commit so no other writer can break it.

CREATE TABLE IF NOT EXISTS ledger_transactions (
  -- An idempotency key such as `payment:<paymentId>:captured`: posting it again is a no-op.
  id text PRIMARY KEY CHECK (id <> ''),
  kind text NOT NULL CONSTRAINT ledger_transactions_kind
    CHECK (kind IN ('capture', 'refund', 'settlement', 'adjustment')),
  -- Captures and refunds always belong to a payment; settlements cover many payments.
  payment_id text CHECK (payment_id IS NOT NULL OR kind NOT IN ('capture', 'refund')),
  order_id text,
  channel text NOT NULL CHECK (channel <> ''),
  currency text NOT NULL DEFAULT 'CNY' CHECK (currency ~ '^[A-Z]{3}$'),
  occurred_at timestamptz NOT NULL,
  -- Set when posted by a projection from the event log, so a replay can never post twice.
  source_seq bigint,
  source_idx int,
  created_at timestamptz NOT NULL DEFAULT now(),
  UNIQUE (source_seq, source_idx)
);
-- Daily reconciliation reads one channel's captures and refunds for one day.
CREATE INDEX IF NOT EXISTS ledger_transactions_channel_day ON ledger_transactions (channel, occurred_at);
-- Refund limits and per-payment history.
CREATE INDEX IF NOT EXISTS ledger_transactions_payment ON ledger_transactions (payment_id, kind);

CREATE TABLE IF NOT EXISTS ledger_entries (
  transaction_id text NOT NULL REFERENCES ledger_transactions (id),
  idx int NOT NULL CHECK (idx >= 0),
  account text NOT NULL CHECK (account <> ''),
  direction text NOT NULL CHECK (direction IN ('debit', 'credit')),
  amount bigint NOT NULL CHECK (amount > 0),
  currency text NOT NULL DEFAULT 'CNY' CHECK (currency ~ '^[A-Z]{3}$'),
  PRIMARY KEY (transaction_id, idx)
);
CREATE INDEX IF NOT EXISTS ledger_entries_account ON ledger_entries (account);

-- At commit: every transaction touched has entries, and its debits equal its credits per currency.
CREATE OR REPLACE FUNCTION ledger_check_balanced() RETURNS trigger
LANGUAGE plpgsql SET search_path FROM CURRENT AS $$
DECLARE
  -- One function serves both tables; the trigger argument names the column holding the transaction id.
  txn text := to_jsonb(NEW) ->> TG_ARGV[0];
  bad record;
BEGIN
  IF NOT EXISTS (SELECT 1 FROM ledger_entries WHERE transaction_id = txn) THEN
    RAISE EXCEPTION 'ledger transaction % has no entries', txn USING ERRCODE = 'check_violation';
  END IF;
  SELECT currency,
         sum(amount) FILTER (WHERE direction = 'debit') AS debits,
         sum(amount) FILTER (WHERE direction = 'credit') AS credits
    INTO bad
    FROM ledger_entries WHERE transaction_id = txn
    GROUP BY currency
    HAVING coalesce(sum(amount) FILTER (WHERE direction = 'debit'), 0)
        <> coalesce(sum(amount) FILTER (WHERE direction = 'credit'), 0)
    LIMIT 1;
  IF FOUND THEN
    RAISE EXCEPTION 'ledger transaction % is unbalanced in %: debits % credits %',
      txn, bad.currency, bad.debits, bad.credits USING ERRCODE = 'check_violation';
  END IF;
  RETURN NULL;
END $$;

DROP TRIGGER IF EXISTS ledger_transactions_balanced ON ledger_transactions;
CREATE CONSTRAINT TRIGGER ledger_transactions_balanced AFTER INSERT ON ledger_transactions
  DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION ledger_check_balanced('id');
DROP TRIGGER IF EXISTS ledger_entries_balanced ON ledger_entries;
CREATE CONSTRAINT TRIGGER ledger_entries_balanced AFTER INSERT ON ledger_entries
  DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION ledger_check_balanced('transaction_id');

-- The ledger is append-only: corrections are new (reversing) transactions, never edits.
CREATE OR REPLACE FUNCTION ledger_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION '% is append-only', TG_TABLE_NAME USING ERRCODE = 'insufficient_privilege';
END $$;
DROP TRIGGER IF EXISTS ledger_transactions_append_only ON ledger_transactions;
CREATE TRIGGER ledger_transactions_append_only BEFORE UPDATE OR DELETE ON ledger_transactions
  FOR EACH ROW EXECUTE FUNCTION ledger_append_only();
DROP TRIGGER IF EXISTS ledger_entries_append_only ON ledger_entries;
CREATE TRIGGER ledger_entries_append_only BEFORE UPDATE OR DELETE ON ledger_entries
  FOR EACH ROW EXECUTE FUNCTION ledger_append_only();

-- One row per reconciliation run (re-running a day keeps the history of earlier runs).
CREATE TABLE IF NOT EXISTS reconciliation_reports (
  id text PRIMARY KEY,
  channel text NOT NULL,
  statement_date date NOT NULL,
  time_zone text NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  summary jsonb NOT NULL,
  differences jsonb NOT NULL
);
CREATE INDEX IF NOT EXISTS reconciliation_reports_channel_day
  ON reconciliation_reports (channel, statement_date, created_at DESC);
