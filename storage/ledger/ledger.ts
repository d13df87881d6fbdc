/**
 * Double-entry ledger of every money movement. Entries carry a direction and a positive amount in
 * integer minor units (fen); a transaction's debits equal its credits. The ledger is append-only:
 * corrections are new transactions.
 */
import type postgres from "postgres";
import { CURRENCY } from "./accounts.ts";
import { toMinor } from "./balances.ts";
import {
  InvalidLedgerTransactionError,
  LedgerConflictError,
  RefundExceedsCaptureError,
  UnbalancedTransactionError,
} from "./errors.ts";

export type LedgerKind = "capture" | "refund" | "settlement" | "adjustment";
export const LEDGER_KINDS: readonly LedgerKind[] = ["capture", "refund", "settlement", "adjustment"];
export type Direction = "debit" | "credit";
/** An amount in minor units (fen); a `number` must be a safe integer. */
export type Minor = number | bigint;

export interface LedgerEntryInput {
  account: string;
  direction: Direction;
  amount: Minor;
}

export interface PostTransactionInput {
  /** Idempotency key, e.g. `payment:<paymentId>:captured`. */
  id: string;
  kind: LedgerKind;
  /** Required for captures and refunds. */
  paymentId?: string | null;
  orderId?: string | null;
  channel: string;
  occurredAt: Date | string;
  currency?: string;
  entries: LedgerEntryInput[];
  /** Event-log position when posted by a projection. */
  source?: { seq: number; idx: number };
}

/**
 * Posts one balanced transaction inside the caller's database transaction. Returns true when written,
 * false when the same id was already posted with the same content; throws (writing nothing) when
 * the input is unbalanced, conflicts with an earlier posting, or a refund exceeds the capture.
 * Refunds take a per-payment advisory lock until the caller commits, so concurrent refunds of one
 * payment are checked one after the other.
 */
export async function postTransaction(
  tx: postgres.TransactionSql,
  input: PostTransactionInput,
): Promise<boolean> {
  const t = normalize(input);
  if (t.kind === "refund") {
    await tx`SELECT pg_advisory_xact_lock(hashtextextended(${`ledger:payment:${t.paymentId}`}, 0))`;
  }
  // Retries are the common case for an idempotency key, so look before checking limits: a refund
  // re-posted after it used up the capture must be a no-op, not a RefundExceedsCaptureError.
  if (await alreadyPosted(tx, t)) return false;
  if (t.kind === "refund") await checkRefundLimit(tx, t);
  const source = t.source ?? { seq: null, idx: null };
  const inserted = await tx`
    INSERT INTO ledger_transactions
      (id, kind, payment_id, order_id, channel, currency, occurred_at, source_seq, source_idx)
    VALUES (${t.id}, ${t.kind}, ${t.paymentId}, ${t.orderId}, ${t.channel}, ${t.currency},
            ${t.occurredAt}, ${source.seq}, ${source.idx})
    ON CONFLICT DO NOTHING RETURNING id`;
  if (inserted.length === 0) {
    // Lost a race with a concurrent post of the same id (now committed), or the source position is taken.
    if (await alreadyPosted(tx, t)) return false;
    throw new LedgerConflictError(t.id, `event-log position ${source.seq}/${source.idx} already posted`);
  }
  const rows = t.entries.map((e, idx) => ({
    transaction_id: t.id,
    idx,
    account: e.account,
    direction: e.direction,
    amount: e.amount.toString(),
    currency: t.currency,
  }));
  await tx`INSERT INTO ledger_entries ${tx(rows)}`;
  return true;
}

/**
 * Posts many transactions in one go with a fixed number of statements (not a few per transaction), for
 * the projector's flushes. Each one means exactly what `postTransaction` makes of it: validated the same
 * way, a no-op when its id was already posted with the same content, a `LedgerConflictError` when the id
 * or its source position was posted with other content. Refunds, and a repeated id, go one by one through
 * `postTransaction` after the others (a refund's limit check needs its capture posted first), in the
 * order given. Returns how many were written.
 */
export async function postTransactions(
  tx: postgres.TransactionSql,
  inputs: readonly PostTransactionInput[],
): Promise<number> {
  const batch: Normalized[] = [];
  const oneByOne: PostTransactionInput[] = [];
  const ids = new Set<string>();
  for (const input of inputs) {
    const t = normalize(input);
    if (t.kind === "refund" || ids.has(t.id)) oneByOne.push(input);
    else {
      ids.add(t.id);
      batch.push(t);
    }
  }
  let written = 0;
  // Insert first: in a projector flush nothing is posted yet (rows and offset commit together), so the
  // look-up `postTransaction` does first is needed only for what the insert skips.
  if (batch.length > 0) {
    const col = <T>(f: (t: Normalized) => T) => batch.map(f);
    const legs = batch.flatMap((t) => t.entries.map((e, idx) => ({ t, e, idx })));
    // Transactions and their entries in one statement: entries go in only for the transactions this
    // statement inserted (the join), and the foreign key and balance checks see both.
    const inserted = await tx`
      WITH t AS (
        INSERT INTO ledger_transactions
          (id, kind, payment_id, order_id, channel, currency, occurred_at, source_seq, source_idx)
        SELECT * FROM unnest(${col((t) => t.id)}::text[], ${col((t) => t.kind)}::text[],
          ${col((t) => t.paymentId)}::text[], ${col((t) => t.orderId)}::text[], ${col((t) => t.channel)}::text[],
          ${col((t) => t.currency)}::text[], ${col((t) => t.occurredAt.toISOString())}::timestamptz[],
          ${col((t) => t.source?.seq ?? null)}::bigint[], ${col((t) => t.source?.idx ?? null)}::int[])
        ON CONFLICT DO NOTHING RETURNING id
      ), e AS (
        INSERT INTO ledger_entries (transaction_id, idx, account, direction, amount, currency)
        SELECT x.* FROM unnest(${legs.map((x) => x.t.id)}::text[], ${legs.map((x) => x.idx)}::int[],
          ${legs.map((x) => x.e.account)}::text[], ${legs.map((x) => x.e.direction)}::text[],
          ${legs.map((x) => x.e.amount.toString())}::bigint[], ${legs.map((x) => x.t.currency)}::text[])
          AS x(transaction_id, idx, account, direction, amount, currency)
        JOIN t ON t.id = x.transaction_id
      )
      SELECT id FROM t`;
    const done = new Set(inserted.map((r) => r.id as string));
    for (const t of batch) {
      if (done.has(t.id)) continue;
      // Posted before (a no-op when the content is the same, a conflict when not), or the source
      // position is taken by another id.
      if (await alreadyPosted(tx, t)) continue;
      const source = t.source ?? { seq: null, idx: null };
      throw new LedgerConflictError(t.id, `event-log position ${source.seq}/${source.idx} already posted`);
    }
    written += done.size;
  }
  for (const input of oneByOne) if (await postTransaction(tx, input)) written++;
  return written;
}

interface Normalized {
  id: string;
  kind: LedgerKind;
  paymentId: string | null;
  orderId: string | null;
  channel: string;
  currency: string;
  occurredAt: Date;
  entries: Array<{ account: string; direction: Direction; amount: bigint }>;
  source: { seq: number; idx: number } | undefined;
}

function normalize(input: PostTransactionInput): Normalized {
  const invalid = (why: string) =>
    new InvalidLedgerTransactionError(`ledger transaction ${input.id}: ${why}`);
  if (typeof input.id !== "string" || input.id === "") throw invalid("id is required");
  if (!LEDGER_KINDS.includes(input.kind)) throw invalid(`unknown kind ${input.kind}`);
  const paymentId = input.paymentId || null;
  if (!paymentId && (input.kind === "capture" || input.kind === "refund"))
    throw invalid("paymentId is required");
  if (!input.channel) throw invalid("channel is required");
  const occurredAt = new Date(input.occurredAt);
  if (Number.isNaN(occurredAt.getTime())) throw invalid(`invalid occurredAt ${String(input.occurredAt)}`);
  const currency = input.currency ?? CURRENCY;
  if (!/^[A-Z]{3}$/.test(currency)) throw invalid(`invalid currency ${currency}`);

  const unbalanced = (why: string) => new UnbalancedTransactionError(input.id, why);
  if (!Array.isArray(input.entries) || input.entries.length < 2)
    throw unbalanced("needs at least two entries");
  let debits = 0n;
  let credits = 0n;
  const entries = input.entries.map((e) => {
    if (!e.account) throw invalid("every entry needs an account");
    if (e.direction !== "debit" && e.direction !== "credit")
      throw invalid(`invalid direction ${e.direction}`);
    const ok =
      typeof e.amount === "bigint" || (typeof e.amount === "number" && Number.isSafeInteger(e.amount));
    if (!ok || BigInt(e.amount) <= 0n)
      throw unbalanced(`amount ${String(e.amount)} is not a positive integer`);
    const amount = BigInt(e.amount);
    if (e.direction === "debit") debits += amount;
    else credits += amount;
    return { account: e.account, direction: e.direction, amount };
  });
  if (debits !== credits) throw unbalanced(`debits ${debits} ≠ credits ${credits}`);
  return {
    id: input.id,
    kind: input.kind,
    paymentId,
    orderId: input.orderId || null,
    channel: input.channel,
    currency,
    occurredAt,
    entries,
    source: input.source,
  };
}

/**
 * True when `t.id` exists with the same meaning. The first posting's occurred_at and source win:
 * a retry may carry a later timestamp, but must not move different money under the same key.
 */
async function alreadyPosted(tx: postgres.TransactionSql, t: Normalized): Promise<boolean> {
  const [head] = await tx`
    SELECT kind, payment_id, order_id, channel, currency FROM ledger_transactions WHERE id = ${t.id}`;
  if (!head) return false;
  const entries = await tx<Array<{ account: string; direction: string; amount: string }>>`
    SELECT account, direction, amount::text AS amount FROM ledger_entries WHERE transaction_id = ${t.id}`;
  // Entries compare as a multiset: the same legs listed in another order mean the same money.
  const fingerprint = (es: ReadonlyArray<{ account: string; direction: string; amount: unknown }>) =>
    es
      .map((e) => `${e.account}|${e.direction}|${e.amount}`)
      .sort()
      .join("\n");
  const differences = [
    head.kind !== t.kind && `kind ${head.kind} ≠ ${t.kind}`,
    head.payment_id !== t.paymentId && `paymentId ${head.payment_id} ≠ ${t.paymentId}`,
    head.order_id !== t.orderId && `orderId ${head.order_id} ≠ ${t.orderId}`,
    head.channel !== t.channel && `channel ${head.channel} ≠ ${t.channel}`,
    head.currency !== t.currency && `currency ${head.currency} ≠ ${t.currency}`,
    fingerprint(entries) !== fingerprint(t.entries) && "entries differ",
  ].filter(Boolean);
  if (differences.length) throw new LedgerConflictError(t.id, differences.join("; "));
  return true;
}

async function checkRefundLimit(tx: postgres.TransactionSql, t: Normalized): Promise<void> {
  // A transaction's amount is its debit total (= its credit total).
  const [row] = await tx`
    SELECT coalesce(sum(e.amount) FILTER (WHERE t.kind = 'capture'), 0)::text AS captured,
           coalesce(sum(e.amount) FILTER (WHERE t.kind = 'refund'), 0)::text AS refunded
    FROM ledger_transactions t JOIN ledger_entries e ON e.transaction_id = t.id AND e.direction = 'debit'
    WHERE t.payment_id = ${t.paymentId} AND t.kind IN ('capture', 'refund')`;
  const captured = BigInt(row?.captured ?? 0);
  const refunded = BigInt(row?.refunded ?? 0);
  const requested = t.entries.reduce((sum, e) => (e.direction === "debit" ? sum + e.amount : sum), 0n);
  if (refunded + requested > captured) {
    throw new RefundExceedsCaptureError(
      t.paymentId!,
      toMinor(captured),
      toMinor(refunded),
      toMinor(requested),
    );
  }
}
