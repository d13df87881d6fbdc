/**
 * Daily reconciliation of one channel's statement against the ledger. Both sides are grouped by
 * (paymentId, kind) — a payment's capture, and the sum of its refunds that day — because channels
 * list partial refunds as separate lines while our ledger posts one transaction per refund.
 */
import { randomUUID } from "node:crypto";
import type postgres from "postgres";
import type { Sql } from "../postgres/database.ts";
import { clearingAccount } from "./accounts.ts";
import { toMinor } from "./balances.ts";
import { LedgerError, StaleRunError } from "./errors.ts";

export type StatementStatus = "paid" | "refunded" | "failed";
export type StatementKind = "payment" | "refund";

export interface StatementLine {
  paymentId: string;
  channelTxnId: string;
  /** Minor units (fen). */
  amount: number;
  status: StatementStatus;
  /** Defaults to "refund" for status "refunded", else "payment". */
  kind?: StatementKind;
}

export interface ReconcileOptions {
  channel: string;
  /** Calendar day `YYYY-MM-DD` in `timeZone`, matched against ledger occurred_at. */
  date: string;
  statement: StatementLine[];
  /** IANA zone; channels in China cut their statements at Beijing midnight. */
  timeZone?: string;
  /**
   * A scheduled run: the report's id is `<runId>:<channel>` (a retry of the run replaces its own report,
   * another run never touches it), written only while `attempt` is the run's current attempt.
   */
  run?: { runId: string; attempt: number };
}

export interface LedgerSide {
  paymentId: string;
  kind: StatementKind;
  amount: number;
  transactionIds: string[];
}
export interface StatementSide {
  paymentId: string;
  kind: StatementKind;
  amount: number;
  status: StatementStatus;
  channelTxnIds: string[];
}

export interface ReconciliationReport {
  id: string;
  channel: string;
  date: string;
  timeZone: string;
  /** Number of (paymentId, kind) groups found on both sides with equal amounts and compatible status. */
  matched: number;
  /** In our ledger, not in the statement. */
  missing: LedgerSide[];
  /** In the statement (and not failed), not in our ledger. */
  extra: StatementSide[];
  amountMismatches: Array<{ paymentId: string; kind: StatementKind; ledger: number; statement: number }>;
  statusMismatches: Array<{
    paymentId: string;
    kind: StatementKind;
    ledger: StatementStatus;
    statement: StatementStatus;
  }>;
  summary: {
    ledgerGroups: number;
    ledgerAmount: number;
    statementLines: number;
    statementAmount: number;
    /** Failed statement lines with no ledger counterpart: consistent, since no money moved. */
    failedIgnored: number;
    differences: number;
  };
}

/** Compares the statement with the ledger, stores the report in reconciliation_reports and returns it. */
export async function reconcile(sql: Sql, options: ReconcileOptions): Promise<ReconciliationReport> {
  const { channel, date, statement } = options;
  const timeZone = options.timeZone ?? "Asia/Shanghai";
  validate(options, timeZone);

  // The day's bounds are computed by Postgres in the given zone, so DST days are 23 or 25 hours long.
  // Amounts are what moved on the channel's clearing account: debit for captures, credit for refunds.
  const rows = await sql`
    SELECT t.payment_id, t.kind, array_agg(DISTINCT t.id ORDER BY t.id) AS ids,
           coalesce(sum(e.amount), 0)::text AS amount,
           bool_or(EXISTS (SELECT 1 FROM ledger_transactions r
                           WHERE r.kind = 'refund' AND r.payment_id = t.payment_id)) AS has_refund
    FROM ledger_transactions t
    LEFT JOIN ledger_entries e ON e.transaction_id = t.id AND e.account = ${clearingAccount(channel)}
      AND e.direction = CASE t.kind WHEN 'capture' THEN 'debit' ELSE 'credit' END
    WHERE t.channel = ${channel} AND t.kind IN ('capture', 'refund')
      AND t.occurred_at >= (${date}::date::timestamp AT TIME ZONE ${timeZone})
      AND t.occurred_at < ((${date}::date + 1)::timestamp AT TIME ZONE ${timeZone})
    GROUP BY t.payment_id, t.kind ORDER BY t.payment_id, t.kind`;
  const ledger = new Map<string, LedgerSide & { hasRefund: boolean }>();
  for (const r of rows) {
    const kind: StatementKind = r.kind === "capture" ? "payment" : "refund";
    ledger.set(key(r.payment_id, kind), {
      paymentId: r.payment_id,
      kind,
      amount: toMinor(r.amount),
      transactionIds: r.ids,
      hasRefund: r.has_refund,
    });
  }

  const groups = new Map<string, { paymentId: string; kind: StatementKind; lines: StatementLine[] }>();
  for (const line of statement) {
    const kind = line.kind ?? (line.status === "refunded" ? "refund" : "payment");
    const k = key(line.paymentId, kind);
    const g = groups.get(k) ?? { paymentId: line.paymentId, kind, lines: [] };
    g.lines.push(line);
    groups.set(k, g);
  }

  const report: ReconciliationReport = {
    id: options.run ? `${options.run.runId}:${channel}` : randomUUID(),
    channel,
    date,
    timeZone,
    matched: 0,
    missing: [],
    extra: [],
    amountMismatches: [],
    statusMismatches: [],
    summary: {
      ledgerGroups: ledger.size,
      ledgerAmount: [...ledger.values()].reduce((s, l) => s + l.amount, 0),
      statementLines: statement.length,
      statementAmount: 0,
      failedIgnored: 0,
      differences: 0,
    },
  };
  for (const [k, g] of groups) {
    // Failed lines moved no money: they count toward nothing but can contradict a ledger posting.
    const succeeded = g.lines.filter((l) => l.status !== "failed");
    const amount = succeeded.reduce((s, l) => s + l.amount, 0);
    report.summary.statementAmount += amount;
    const ours = ledger.get(k);
    ledger.delete(k);
    const ledgerStatus: StatementStatus = g.kind === "payment" ? "paid" : "refunded";
    if (!ours) {
      if (succeeded.length === 0) report.summary.failedIgnored += g.lines.length;
      else {
        const status = succeeded[0]!.status;
        const channelTxnIds = succeeded.map((l) => l.channelTxnId);
        report.extra.push({ paymentId: g.paymentId, kind: g.kind, amount, status, channelTxnIds });
      }
      continue;
    }
    const status = statementStatus(g.kind, succeeded, ours.hasRefund);
    let ok = true;
    if (status !== ledgerStatus) {
      ok = false;
      const recorded = ours.hasRefund && g.kind === "payment" ? "refunded" : ledgerStatus;
      report.statusMismatches.push({
        paymentId: g.paymentId,
        kind: g.kind,
        ledger: recorded,
        statement: status,
      });
    }
    // A fully failed group already shows as a status mismatch; its amount is not a second finding.
    if (succeeded.length > 0 && amount !== ours.amount) {
      ok = false;
      report.amountMismatches.push({
        paymentId: g.paymentId,
        kind: g.kind,
        ledger: ours.amount,
        statement: amount,
      });
    }
    if (ok) report.matched++;
  }
  // Statement files carry a status, not our kind: a line whose status differs from ours lands in the
  // other kind's group. A leftover ledger group and an extra line for the same payment and amount are one
  // status difference, not a missing plus an extra.
  for (const [k, ours] of ledger) {
    const other = ours.kind === "payment" ? "refund" : "payment";
    const i = report.extra.findIndex(
      (e) => e.paymentId === ours.paymentId && e.kind === other && e.amount === ours.amount,
    );
    if (i < 0) continue;
    const [theirs] = report.extra.splice(i, 1);
    ledger.delete(k);
    report.statusMismatches.push({
      paymentId: ours.paymentId,
      kind: ours.kind,
      ledger: ours.kind === "payment" ? "paid" : "refunded",
      statement: theirs!.status,
    });
  }
  for (const { hasRefund: _, ...rest } of ledger.values()) report.missing.push(rest);

  report.summary.differences =
    report.missing.length +
    report.extra.length +
    report.amountMismatches.length +
    report.statusMismatches.length;
  const { id, summary, missing, extra, amountMismatches, statusMismatches } = report;
  // sql.json, not JSON.stringify: postgres.js serialises jsonb parameters itself, so a string would be
  // stored as one JSON string. The cast is needed only because interfaces lack JSONValue's index signature.
  const json = (value: object) => sql.json(value as postgres.JSONValue);
  const summaryJson = json({ ...summary, matched: report.matched });
  const differencesJson = json({ missing, extra, amountMismatches, statusMismatches });
  if (!options.run) {
    await sql`
      INSERT INTO reconciliation_reports (id, channel, statement_date, time_zone, summary, differences)
      VALUES (${id}, ${channel}, ${date}, ${timeZone}, ${summaryJson}, ${differencesJson})`;
    return report;
  }
  const { runId, attempt } = options.run;
  const written = await sql`
    INSERT INTO reconciliation_reports (id, run_id, channel, statement_date, time_zone, summary, differences)
    SELECT ${id}, ${runId}, ${channel}, ${date}, ${timeZone}, ${summaryJson}, ${differencesJson}
    WHERE EXISTS (SELECT 1 FROM job_run_attempts WHERE run_id = ${runId} AND attempt = ${attempt})
    ON CONFLICT (id) DO UPDATE SET statement_date = EXCLUDED.statement_date, summary = EXCLUDED.summary,
      differences = EXCLUDED.differences, created_at = now()
    RETURNING id`;
  if (written.length === 0) throw new StaleRunError(runId, attempt);
  return report;
}

function key(paymentId: string, kind: StatementKind): string {
  return `${kind}\u0000${paymentId}`;
}

/**
 * The status a group of statement lines asserts, in ledger terms. A payment line saying "refunded"
 * is how some channels mark a payment refunded later; it agrees with the ledger ("paid") as long as
 * the ledger holds a refund for that payment.
 */
function statementStatus(
  kind: StatementKind,
  succeeded: StatementLine[],
  hasRefund: boolean,
): StatementStatus {
  if (succeeded.length === 0) return "failed";
  if (kind === "refund") return succeeded.every((l) => l.status === "refunded") ? "refunded" : "paid";
  if (succeeded.some((l) => l.status === "refunded")) return hasRefund ? "paid" : "refunded";
  return "paid";
}

function validate(options: ReconcileOptions, timeZone: string): void {
  if (!options.channel) throw new LedgerError("reconcile: channel is required");
  if (!/^\d{4}-\d{2}-\d{2}$/.test(options.date)) {
    throw new LedgerError(`reconcile: date must be YYYY-MM-DD, got ${options.date}`);
  }
  try {
    new Intl.DateTimeFormat("en", { timeZone });
  } catch {
    throw new LedgerError(`reconcile: unknown time zone ${timeZone}`);
  }
  for (const l of options.statement) {
    if (!l.paymentId || !Number.isSafeInteger(l.amount) || l.amount < 0) {
      throw new LedgerError(`reconcile: invalid statement line ${JSON.stringify(l)}`);
    }
  }
}
