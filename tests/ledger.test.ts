import { afterAll, beforeAll, expect, test } from "bun:test";
import fc from "fast-check";
import {
  balances,
  captureTransaction,
  clearingAccount,
  LedgerConflictError,
  type PostTransactionInput,
  postTransaction,
  RefundExceedsCaptureError,
  reconcile,
  refundTransaction,
  SALES_REVENUE,
  type StatementLine,
  trialBalance,
  UnbalancedTransactionError,
} from "../storage/ledger/index.ts";
import { openDatabase, type Sql } from "../storage/postgres/database.ts";
import { migrate } from "../storage/postgres/migrate.ts";
import { cleanupNamespace, DATABASE_URL, requireServices, testNamespace } from "./support/harness.ts";

const ns = testNamespace("ledger");
let sql: Sql;

beforeAll(async () => {
  await requireServices();
  sql = await openDatabase(DATABASE_URL, ns);
  await migrate(sql, ns);
});

afterAll(async () => {
  await sql?.end();
  await cleanupNamespace(ns);
});

const post = (input: PostTransactionInput, db: Sql = sql) => db.begin((tx) => postTransaction(tx, input));
const at = "2024-03-10T10:00:00+08:00";
const capture = (paymentId: string, amount: number, channel = "wechat", occurredAt = at) =>
  captureTransaction({ paymentId, orderId: `o-${paymentId}`, channel, amount, occurredAt });
const refund = (paymentId: string, refundId: string, amount: number, channel = "wechat", occurredAt = at) =>
  refundTransaction({ paymentId, refundId, channel, amount, occurredAt });
const rowsFor = async (id: string) => ({
  t: (await sql`SELECT 1 FROM ledger_transactions WHERE id = ${id}`).length,
  e: (await sql`SELECT 1 FROM ledger_entries WHERE transaction_id = ${id}`).length,
});

test("ledger - a balanced capture posts once and moves money to the channel's clearing account", async () => {
  expect(await post(capture("bal-1", 12_345))).toBe(true);
  expect(await rowsFor("payment:bal-1:captured")).toEqual({ t: 1, e: 2 });
  const wechat = [{ account: clearingAccount("wechat"), debits: 12_345, credits: 0, balance: 12_345 }];
  expect(await balances(sql, { prefix: "customer_payments_clearing:" })).toMatchObject(wechat);
  expect(await trialBalance(sql)).toMatchObject({ balanced: true, currencies: { CNY: { debits: 12_345 } } });
});

test("ledger - unbalanced, zero, negative or fractional amounts are refused and write nothing", async () => {
  const legs = (debit: number, credit: number) => [
    { account: clearingAccount("wechat"), direction: "debit" as const, amount: debit },
    { account: SALES_REVENUE, direction: "credit" as const, amount: credit },
  ];
  const cases: Array<[string, PostTransactionInput["entries"]]> = [
    ["unbalanced", legs(100, 99)],
    ["zero", legs(0, 0)],
    ["negative", legs(-5, -5)],
    ["fractional", legs(10.5, 10.5)],
    ["one-sided", legs(100, 100).slice(0, 1)],
  ];
  for (const [name, entries] of cases) {
    const input: PostTransactionInput = { ...capture(`bad-${name}`, 1), entries };
    await expect(post(input)).rejects.toBeInstanceOf(UnbalancedTransactionError);
    expect(await rowsFor(input.id)).toEqual({ t: 0, e: 0 });
  }
});

test("ledger - re-posting an id is a no-op and the same id with other entries is a conflict", async () => {
  expect(await post(capture("idem-1", 500))).toBe(true);
  expect(await post(capture("idem-1", 500))).toBe(false);
  const reordered = capture("idem-1", 500);
  reordered.entries.reverse();
  expect(await post(reordered)).toBe(false);
  await expect(post(capture("idem-1", 501))).rejects.toBeInstanceOf(LedgerConflictError);
  await expect(post(capture("idem-1", 500, "alipay"))).rejects.toBeInstanceOf(LedgerConflictError);
  expect(await rowsFor("payment:idem-1:captured")).toEqual({ t: 1, e: 2 });
});

test("ledger - refunds are limited to what was captured and a retried refund stays a no-op", async () => {
  await expect(post(refund("rf-0", "r1", 1))).rejects.toBeInstanceOf(RefundExceedsCaptureError);
  await post(capture("rf-1", 1_000));
  expect(await post(refund("rf-1", "r1", 600))).toBe(true);
  const over = { name: "RefundExceedsCaptureError", captured: 1_000, refunded: 600, requested: 401 };
  await expect(post(refund("rf-1", "r2", 401))).rejects.toMatchObject(over);
  expect(await post(refund("rf-1", "r2", 400))).toBe(true);
  expect(await post(refund("rf-1", "r2", 400))).toBe(false);
});

test("ledger - random captures and partial refunds always balance and never over-refund", async () => {
  let run = 0;
  const op = fc.record({
    type: fc.constantFrom("capture", "refund", "refund"),
    payment: fc.integer({ min: 0, max: 3 }),
    amount: fc.integer({ min: 1, max: 100_000 }),
  });
  await fc.assert(
    fc.asyncProperty(fc.array(op, { maxLength: 12 }), async (ops) => {
      const channel = `fc${run++}`;
      const captured = new Map<number, number>();
      const refunded = new Map<number, number>();
      for (const [i, { type, payment, amount }] of ops.entries()) {
        const pid = `${channel}-p${payment}`;
        if (type === "capture") {
          const before = captured.get(payment);
          const result = post(capture(pid, amount, channel));
          if (before === undefined) expect(await result).toBe(true);
          else if (before === amount) expect(await result).toBe(false);
          else await expect(result).rejects.toBeInstanceOf(LedgerConflictError);
          captured.set(payment, before ?? amount);
        } else {
          const left = (captured.get(payment) ?? 0) - (refunded.get(payment) ?? 0);
          const result = post(refund(pid, `r${i}`, amount, channel));
          if (amount > left) await expect(result).rejects.toBeInstanceOf(RefundExceedsCaptureError);
          else {
            expect(await result).toBe(true);
            refunded.set(payment, (refunded.get(payment) ?? 0) + amount);
          }
        }
      }
      const sum = (m: Map<number, number>) => [...m.values()].reduce((a, b) => a + b, 0);
      const [clearing] = await balances(sql, { account: clearingAccount(channel) });
      expect(clearing?.balance ?? 0).toBe(sum(captured) - sum(refunded));
      const trial = await trialBalance(sql);
      expect(trial).toMatchObject({ balanced: true, unbalancedTransactions: [] });
      expect(trial.currencies.CNY?.debits).toBe(trial.currencies.CNY?.credits as number);
    }),
    { numRuns: 50 },
  );
});

/** Posts in a transaction held open 150 ms after posting, so that a second post overlaps it. */
function heldOpen(db: Sql, input: PostTransactionInput) {
  let posted!: () => void;
  const ready = new Promise<void>((resolve) => (posted = resolve));
  const done = db.begin(async (tx) => {
    const result = await postTransaction(tx, input);
    posted();
    await new Promise((r) => setTimeout(r, 150));
    return result;
  });
  return { ready: Promise.race([ready, done]), done };
}

test("ledger - concurrent posts of the same id from two connections produce one transaction", async () => {
  const [a, b] = await Promise.all([openDatabase(DATABASE_URL, ns), openDatabase(DATABASE_URL, ns)]);
  try {
    const first = heldOpen(a, capture("race-0", 900));
    await first.ready;
    expect(await Promise.all([first.done, post(capture("race-0", 900), b)])).toEqual([true, false]);
    // A burst: the same ten ids posted from both pools at once.
    const ids = Array.from({ length: 10 }, (_, i) => `race-${i + 1}`);
    const results = await Promise.all(ids.flatMap((id) => [a, b].map((db) => post(capture(id, 100), db))));
    expect(results.filter(Boolean)).toHaveLength(ids.length);
    expect((await sql`SELECT 1 FROM ledger_transactions WHERE id LIKE 'payment:race-%'`).length).toBe(11);
    // Two refunds that each fit but not together: the per-payment lock makes the second see the first.
    await post(capture("race-r", 1_000));
    const r0 = heldOpen(a, refund("race-r", "r0", 600));
    await r0.ready;
    const r1 = post(refund("race-r", "r1", 600), b).catch((e) => e);
    expect(await r0.done).toBe(true);
    expect(await r1).toBeInstanceOf(RefundExceedsCaptureError);
  } finally {
    await Promise.all([a.end(), b.end()]);
  }
});

test("ledger - the database itself refuses unbalanced, empty or edited transactions", async () => {
  // Writers that bypass postTransaction still hit the deferred balance check at commit.
  const write = (id: string, legs: number[]) =>
    sql.begin(async (tx) => {
      await tx`INSERT INTO ledger_transactions (id, kind, payment_id, channel, occurred_at)
        VALUES (${id}, 'capture', 'db-1', 'wechat', now())`;
      for (const [i, leg] of legs.entries()) {
        await tx`INSERT INTO ledger_entries (transaction_id, idx, account, direction, amount)
          VALUES (${id}, ${i}, 'x', ${leg > 0 ? "debit" : "credit"}, ${Math.abs(leg)})`;
      }
    });
  await expect(write("db-a", [5, -4])).rejects.toThrow("unbalanced");
  await expect(write("db-b", [])).rejects.toThrow("has no entries");
  await expect(sql`UPDATE ledger_entries SET amount = amount + 1`).rejects.toThrow("append-only");
  await expect(sql`DELETE FROM ledger_transactions`).rejects.toThrow("append-only");
});

// Reconciliation fixtures on their own channel: 2024-03-10 in Asia/Shanghai is 03-09T16:00Z..03-10T16:00Z.
const CH = "unionpay";
const day = "2024-03-10";
const matching: StatementLine[] = [
  { paymentId: "rc-1", channelTxnId: "u1", amount: 10_000, status: "paid" },
  // Some channels mark the original payment "refunded"; it agrees since the ledger holds a refund.
  { paymentId: "rc-2", channelTxnId: "u2", amount: 5_000, status: "refunded", kind: "payment" },
  { paymentId: "rc-2", channelTxnId: "u2-r1", amount: 1_200, status: "refunded" },
  { paymentId: "rc-2", channelTxnId: "u2-r2", amount: 800, status: "refunded", kind: "refund" },
  { paymentId: "rc-3", channelTxnId: "u3", amount: 3_000, status: "paid" },
  { paymentId: "rc-4", channelTxnId: "u4", amount: 700, status: "paid" },
  { paymentId: "rc-x", channelTxnId: "ux", amount: 100, status: "failed" },
];

test("ledger - reconciliation reports zero differences when the statement matches", async () => {
  await post(capture("rc-1", 10_000, CH));
  await post(capture("rc-2", 5_000, CH, "2024-03-10T00:00:00+08:00"));
  await post(refund("rc-2", "r1", 1_200, CH, "2024-03-10T12:00:00+08:00"));
  await post(refund("rc-2", "r2", 800, CH, "2024-03-10T13:00:00+08:00"));
  await post(capture("rc-3", 3_000, CH));
  await post(capture("rc-4", 700, CH, "2024-03-10T23:59:59.999+08:00"));
  // Next Shanghai day (still 2024-03-10 in UTC) and another day: outside this statement.
  await post(capture("rc-5", 400, CH, "2024-03-11T00:00:00+08:00"));
  await post(capture("rc-6", 400, CH, "2024-03-09T23:59:59+08:00"));
  const report = await reconcile(sql, { channel: CH, date: day, statement: matching });
  const none = { missing: [], extra: [], amountMismatches: [], statusMismatches: [] };
  expect(report).toMatchObject({ channel: CH, date: day, timeZone: "Asia/Shanghai", matched: 5, ...none });
  expect(report.summary).toMatchObject({ differences: 0, failedIgnored: 1, ledgerAmount: 20_700 });
  const [stored] = await sql`SELECT channel, statement_date::text AS d, summary, differences
    FROM reconciliation_reports WHERE id = ${report.id}`;
  expect(stored).toMatchObject({ channel: CH, d: day, summary: { matched: 5, differences: 0 } });
  expect(stored?.differences).toEqual(none);
});

test("ledger - reconciliation finds missing, extra, amount and status differences", async () => {
  const statement: StatementLine[] = [
    { paymentId: "rc-1", channelTxnId: "u1", amount: 9_999, status: "paid" },
    { paymentId: "rc-2", channelTxnId: "u2", amount: 5_000, status: "failed" },
    { paymentId: "rc-2", channelTxnId: "u2-r", amount: 2_000, status: "refunded" },
    // rc-3 absent; rc-4 matches; rc-9 is unknown to us.
    { paymentId: "rc-4", channelTxnId: "u4", amount: 700, status: "paid" },
    { paymentId: "rc-9", channelTxnId: "u9", amount: 250, status: "paid" },
  ];
  const report = await reconcile(sql, { channel: CH, date: day, statement });
  expect(report).toMatchObject({
    matched: 2,
    missing: [{ paymentId: "rc-3", amount: 3_000, transactionIds: ["payment:rc-3:captured"] }],
    extra: [{ paymentId: "rc-9", kind: "payment", amount: 250, status: "paid", channelTxnIds: ["u9"] }],
    amountMismatches: [{ paymentId: "rc-1", kind: "payment", ledger: 10_000, statement: 9_999 }],
    statusMismatches: [{ paymentId: "rc-2", kind: "payment", ledger: "refunded", statement: "failed" }],
    summary: { differences: 4 },
  });
});

test("ledger - the reconciliation day follows the given time zone", async () => {
  // In UTC, 2024-03-10 holds rc-5 (16:00Z) and loses rc-2's capture (03-09T16:00Z).
  const report = await reconcile(sql, { channel: CH, date: day, statement: matching, timeZone: "UTC" });
  expect(report.missing.map((m) => m.paymentId)).toEqual(["rc-5"]);
  expect(report.extra.map((m) => [m.paymentId, m.kind])).toEqual([["rc-2", "payment"]]);
  const mars = { channel: CH, date: day, statement: [], timeZone: "Mars/Olympus" };
  await expect(reconcile(sql, mars)).rejects.toThrow("unknown time zone");
});
