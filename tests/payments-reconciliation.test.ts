/**
 * Payments end to end through the API: each channel's daily statement file reconciles against the
 * ledger with no differences, and every kind of difference an edited file carries is reported; refunds
 * post reversing ledger entries; a refunded completed order takes its member points back.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import type { ChannelName } from "../actors/payment/channels/index.ts";
import type { HubNode } from "../hub-node.ts";
import {
  balances,
  clearingAccount,
  type ReconciliationReport,
  SALES_REFUNDS,
} from "../storage/ledger/index.ts";
import {
  ApiClient,
  cleanupNamespace,
  requireServices,
  startTestNode,
  testNamespace,
  waitFor,
} from "./support/harness.ts";

const ns = testNamespace("reconcile");
const CHANNELS: ChannelName[] = ["unionpay", "alipay", "wechat"];
const WAREHOUSE = "WH-R";
const address = { region: "Shanghai", detail: "1 Century Ave", phone: "13800138000", name: "Li Lei" };
/** SKU, stock and price (fen): each order below buys one SKU, so amounts tell payments apart. */
const SKUS = [
  ["REC-A", 50, 1234],
  ["REC-B", 50, 2050],
  ["REC-C", 50, 999],
] as const;

let node: HubNode;
let api: ApiClient;

interface Paid {
  orderId: string;
  paymentId: string;
  amount: number;
}
/** Per channel: three paid orders, the last of them refunded before shipment. */
const fixtures = new Map<ChannelName, { paid: Paid[]; refunded: Paid }>();
let refundsBefore = 0;
let refundsAfter = 0;

/** Today as the channels cut their statement days: in Beijing time. */
const today = () => new Intl.DateTimeFormat("en-CA", { timeZone: "Asia/Shanghai" }).format(new Date());
/** The statement day of every payment here, fixed once they are made (so a test at midnight holds). */
let day = "";

const orderStatus = async (orderId: string) =>
  ((await api.call("GET", `/v1/orders/${orderId}`)).body as { status: string }).status;

async function placeAndPay(key: string, userId: string, sku: string, channel: ChannelName): Promise<Paid> {
  const placed = await api.call(
    "POST",
    "/v1/orders",
    { userId, lines: [{ sku, qty: 1 }], address },
    { "idempotency-key": key },
  );
  expect(placed.status).toBe(201);
  const { orderId } = placed.body as { orderId: string };
  const created = await api.call("POST", "/v1/payments", { orderId, channel });
  expect(created.status).toBe(201);
  const { paymentId, amount } = created.body as { paymentId: string; amount: number };
  const callback = await api.call("POST", `/v1/payments/${paymentId}/simulate`, { status: "paid" });
  expect(callback.status).toBeLessThan(300);
  await waitFor(async () => (await orderStatus(orderId)) === "awaiting_shipment", 5_000, `${orderId} paid`);
  return { orderId, paymentId, amount };
}

async function refundBeforeShipment(order: Paid): Promise<void> {
  const path = `/v1/orders/${order.orderId}/after-sales`;
  expect((await api.call("POST", path, { kind: "refund_only", reason: "changed my mind" })).status).toBe(200);
  expect((await api.call("POST", `${path}/decision`, { approve: true })).status).toBe(200);
  await waitFor(
    async () => (await orderStatus(order.orderId)) === "refunded",
    5_000,
    `${order.orderId} refunded`,
  );
}

const salesRefunds = async () => (await balances(node.sql, { account: SALES_REFUNDS }))[0]?.debits ?? 0;

beforeAll(async () => {
  await requireServices();
  node = await startTestNode(ns);
  api = new ApiClient(node.app!);
  await api.login();
  expect(
    (await api.call("PUT", `/v1/warehouses/${WAREHOUSE}`, { name: "R", region: "east" })).status,
  ).toBeLessThan(300);
  for (const [sku, qty, price] of SKUS) {
    const receipt = await api.call(
      "POST",
      `/v1/inventory/${sku}/receipts`,
      { warehouse: WAREHOUSE, qty },
      { "idempotency-key": `stock-${sku}` },
    );
    expect(receipt.status).toBe(201);
    expect((await api.call("PUT", `/v1/skus/${sku}/price`, { listPrice: price })).status).toBe(200);
  }
  for (const channel of CHANNELS) {
    const paid: Paid[] = [];
    for (const [i, [sku]] of SKUS.entries())
      paid.push(await placeAndPay(`${channel}-${i}`, `buyer-${channel}`, sku, channel));
    fixtures.set(channel, { paid, refunded: paid[2]! });
  }
  await node.projector!.caughtUp(15_000);
  refundsBefore = await salesRefunds();
  for (const channel of CHANNELS) await refundBeforeShipment(fixtures.get(channel)!.refunded);
  await node.projector!.caughtUp(15_000);
  refundsAfter = await salesRefunds();
  day = today();
  expect(day).toMatch(/^\d{4}-\d{2}-\d{2}$/);
});

afterAll(async () => {
  await node?.stop();
  await cleanupNamespace(ns);
});

// --- Editing statement files, each in its channel's own format (actors/payment/channels/statements.ts) ----

type Kind = "payment" | "refund";

interface StatementEditor {
  /** Index (in the CRLF-split lines) of the money row for this payment and kind. */
  find(lines: string[], paymentId: string, kind: Kind): number;
  /** The row with another amount (fen). */
  withAmount(row: string, fen: number): string;
  /** The row for another payment id and channel transaction id. */
  withIds(row: string, paymentId: string, channelTxnId: string): string;
  /** The row with its status turned from paid to refunded, same payment, same money. */
  asRefunded(row: string): string;
}

const yuan = (fen: number) => `${Math.floor(fen / 100)}.${String(fen % 100).padStart(2, "0")}`;
const cells = (row: string) => row.split(",");

/** UnionPay: txnType,merId,orderId,queryId,txnTime,txnAmt(fen),currencyCode,respCode,settleDate. */
const unionpay: StatementEditor = {
  find: (lines, paymentId, kind) =>
    lines.findIndex((l) => {
      const c = cells(l);
      return c[2] === paymentId && c[0] === (kind === "payment" ? "01" : "04");
    }),
  withAmount: (row, fen) => Object.assign(cells(row), { 5: String(fen) }).join(","),
  withIds: (row, paymentId, txn) => Object.assign(cells(row), { 2: paymentId, 3: txn }).join(","),
  asRefunded: (row) => Object.assign(cells(row), { 0: "04" }).join(","),
};

/** Alipay: 支付宝交易号,商户订单号,业务类型(交易|退款),创建时间,完成时间,订单金额,商家实收(negative for refunds),备注. */
const alipay: StatementEditor = {
  find: (lines, paymentId, kind) =>
    lines.findIndex((l) => {
      const c = cells(l);
      return !l.startsWith("#") && c[1] === paymentId && c[2] === (kind === "payment" ? "交易" : "退款");
    }),
  withAmount: (row, fen) => {
    const c = cells(row);
    return Object.assign(c, { 5: yuan(fen), 6: c[2] === "退款" ? `-${yuan(fen)}` : yuan(fen) }).join(",");
  },
  withIds: (row, paymentId, txn) => Object.assign(cells(row), { 0: txn, 1: paymentId }).join(","),
  asRefunded: (row) => {
    const c = cells(row);
    return Object.assign(c, { 2: "退款", 6: `-${c[6]}` }).join(",");
  },
};

/**
 * WeChat: every cell starts with a backtick; 交易时间,公众账号ID,商户号,微信订单号,商户订单号,交易类型,
 * 交易状态(SUCCESS|REFUND),货币种类,应结订单金额,退款金额.
 */
const wechat: StatementEditor = {
  find: (lines, paymentId, kind) =>
    lines.findIndex((l) => {
      const c = cells(l);
      return (
        c.length === 10 && c[4] === `\`${paymentId}` && c[6] === (kind === "payment" ? "`SUCCESS" : "`REFUND")
      );
    }),
  withAmount: (row, fen) => {
    const c = cells(row);
    return Object.assign(c, c[6] === "`REFUND" ? { 9: `\`${yuan(fen)}` } : { 8: `\`${yuan(fen)}` }).join(",");
  },
  withIds: (row, paymentId, txn) =>
    Object.assign(cells(row), { 3: `\`${txn}`, 4: `\`${paymentId}` }).join(","),
  asRefunded: (row) => {
    const c = cells(row);
    return Object.assign(c, { 6: "`REFUND", 8: "`0.00", 9: c[8] }).join(",");
  },
};

const EDITORS: Record<ChannelName, StatementEditor> = { unionpay, alipay, wechat };

async function statementOf(channel: ChannelName): Promise<string> {
  const res = await api.call("GET", `/v1/payments/statements/${channel}?date=${day}`);
  expect(res.status).toBe(200);
  expect(res.headers.get("content-type")).toContain("text/csv");
  return res.body as string;
}

async function reconcile(channel: ChannelName, statement: string): Promise<ReconciliationReport> {
  const res = await api.call("POST", "/v1/payments/reconciliations", { channel, date: day, statement });
  expect(res.status).toBe(201);
  return res.body as ReconciliationReport;
}

/** The statement with one line replaced (or removed, with `null`), checking the line exists. */
function edit(
  text: string,
  channel: ChannelName,
  paymentId: string,
  kind: Kind,
  change: (row: string) => string | null,
) {
  const lines = text.split("\r\n");
  const i = EDITORS[channel].find(lines, paymentId, kind);
  expect(i).toBeGreaterThan(0);
  const next = change(lines[i]!);
  lines.splice(i, 1, ...(next === null ? [] : [next]));
  return lines.join("\r\n");
}

const noDifferences = (r: ReconciliationReport) => ({
  missing: r.missing.length,
  extra: r.extra.length,
  amountMismatches: r.amountMismatches.length,
  statusMismatches: r.statusMismatches.length,
});

describe.each(CHANNELS)("payments reconciliation - %s", (channel) => {
  const fixture = () => fixtures.get(channel)!;
  /** Three captures and one refund that day on this channel. */
  const GROUPS = 4;

  test("the statement lists every capture and refund and reconciles with no differences", async () => {
    const text = await statementOf(channel);
    for (const p of fixture().paid)
      expect(EDITORS[channel].find(text.split("\r\n"), p.paymentId, "payment")).toBeGreaterThan(0);
    expect(EDITORS[channel].find(text.split("\r\n"), fixture().refunded.paymentId, "refund")).toBeGreaterThan(
      0,
    );
    const report = await reconcile(channel, text);
    expect(noDifferences(report)).toEqual({ missing: 0, extra: 0, amountMismatches: 0, statusMismatches: 0 });
    expect(report.summary.differences).toBe(0);
    expect(report.summary.ledgerGroups).toBe(GROUPS);
    expect(report.matched).toBe(GROUPS);
    const paid = fixture().paid.reduce((n, p) => n + p.amount, 0);
    expect(report.summary.ledgerAmount).toBe(paid + fixture().refunded.amount);
    expect(report.summary.statementAmount).toBe(report.summary.ledgerAmount);
    // The report is kept.
    const [stored] =
      await node.sql`SELECT channel, summary FROM reconciliation_reports WHERE id = ${report.id}`;
    expect(stored).toMatchObject({ channel, summary: { matched: GROUPS, differences: 0 } });
  });

  test("a line missing from the statement is reported missing", async () => {
    const gone = fixture().paid[0]!;
    const report = await reconcile(
      channel,
      edit(await statementOf(channel), channel, gone.paymentId, "payment", () => null),
    );
    expect(report.missing).toEqual([
      {
        paymentId: gone.paymentId,
        kind: "payment",
        amount: gone.amount,
        transactionIds: [expect.any(String)],
      },
    ]);
    expect(noDifferences(report)).toEqual({ missing: 1, extra: 0, amountMismatches: 0, statusMismatches: 0 });
    expect(report.matched).toBe(GROUPS - 1);
  });

  test("a line for a payment we never took is reported extra", async () => {
    const model = fixture().paid[1]!;
    const text = await statementOf(channel);
    const lines = text.split("\r\n");
    const i = EDITORS[channel].find(lines, model.paymentId, "payment");
    lines.splice(
      i + 1,
      0,
      EDITORS[channel].withIds(lines[i]!, "PUNKNOWNPAYMENT0000001", "TXNUNKNOWN0000001"),
    );
    const report = await reconcile(channel, lines.join("\r\n"));
    expect(report.extra).toEqual([
      {
        paymentId: "PUNKNOWNPAYMENT0000001",
        kind: "payment",
        amount: model.amount,
        status: "paid",
        channelTxnIds: ["TXNUNKNOWN0000001"],
      },
    ]);
    expect(noDifferences(report)).toEqual({ missing: 0, extra: 1, amountMismatches: 0, statusMismatches: 0 });
    expect(report.matched).toBe(GROUPS);
  });

  test("a changed amount is reported as an amount mismatch, for a capture and for a refund", async () => {
    const changed = fixture().paid[1]!;
    const refund = fixture().refunded;
    let text = await statementOf(channel);
    text = edit(text, channel, changed.paymentId, "payment", (row) =>
      EDITORS[channel].withAmount(row, changed.amount + 1),
    );
    text = edit(text, channel, refund.paymentId, "refund", (row) =>
      EDITORS[channel].withAmount(row, refund.amount - 100),
    );
    const report = await reconcile(channel, text);
    expect(report.amountMismatches).toEqual(
      expect.arrayContaining([
        {
          paymentId: changed.paymentId,
          kind: "payment",
          ledger: changed.amount,
          statement: changed.amount + 1,
        },
        {
          paymentId: refund.paymentId,
          kind: "refund",
          ledger: refund.amount,
          statement: refund.amount - 100,
        },
      ]),
    );
    expect(noDifferences(report)).toEqual({ missing: 0, extra: 0, amountMismatches: 2, statusMismatches: 0 });
    expect(report.matched).toBe(GROUPS - 2);
  });

  test("a changed status is reported as a status mismatch", async () => {
    // The channel now says this payment (same transaction, same money) was refunded; our ledger has it paid.
    const flipped = fixture().paid[0]!;
    const text = edit(
      await statementOf(channel),
      channel,
      flipped.paymentId,
      "payment",
      EDITORS[channel].asRefunded,
    );
    const report = await reconcile(channel, text);
    // Detected at all (today: as a missing capture plus an extra refund of the same payment and amount)...
    expect(report.summary.differences).toBeGreaterThan(0);
    expect(
      [...report.missing, ...report.extra, ...report.statusMismatches].map((d) => d.paymentId),
    ).toContain(flipped.paymentId);
    // ...and classified as what it is: one money movement whose status differs, not two unrelated ones.
    expect(report.statusMismatches).toEqual([
      { paymentId: flipped.paymentId, kind: "payment", ledger: "paid", statement: "refunded" },
    ]);
    expect(noDifferences(report)).toEqual({ missing: 0, extra: 0, amountMismatches: 0, statusMismatches: 1 });
    expect(report.matched).toBe(GROUPS - 1);
  });

  test("a malformed statement is a 400 and stores no report", async () => {
    const text = await statementOf(channel);
    const other = CHANNELS.find((c) => c !== channel)!;
    const [{ n: before }] =
      (await node.sql`SELECT count(*)::int AS n FROM reconciliation_reports`) as unknown as [{ n: number }];
    const broken = [
      "this is not a statement",
      // Another channel's file.
      await statementOf(other),
      // An amount that is not one.
      edit(text, channel, fixture().paid[0]!.paymentId, "payment", (row) =>
        row.replace(
          channel === "unionpay" ? /,\d+,156,/ : /\d+\.\d\d/g,
          channel === "unionpay" ? ",12x,156," : "12.x",
        ),
      ),
      // A row cut short.
      edit(text, channel, fixture().paid[1]!.paymentId, "payment", (row) => cells(row).slice(0, 3).join(",")),
    ];
    for (const statement of broken) {
      const res = await api.call("POST", "/v1/payments/reconciliations", {
        channel,
        date: day,
        statement,
      });
      expect({ status: res.status, type: (res.body as { type?: string }).type }).toMatchObject({
        status: 400,
      });
      expect(JSON.stringify(res.body)).toContain("statement");
    }
    const [{ n: after }] =
      (await node.sql`SELECT count(*)::int AS n FROM reconciliation_reports`) as unknown as [{ n: number }];
    expect(after).toBe(before);
  });

  test("the refund reversed the capture in the ledger: sales_refunds debited, the clearing account credited", async () => {
    const [clearing] = await balances(node.sql, { account: clearingAccount(channel) });
    const paid = fixture().paid.reduce((n, p) => n + p.amount, 0);
    const refunded = fixture().refunded.amount;
    expect(clearing).toMatchObject({ debits: paid, credits: refunded, balance: paid - refunded });
    const rows = await node.sql`
      SELECT e.account, e.direction, e.amount::int AS amount FROM ledger_transactions t
      JOIN ledger_entries e ON e.transaction_id = t.id
      WHERE t.payment_id = ${fixture().refunded.paymentId} AND t.kind = 'refund' ORDER BY e.direction`;
    expect(rows.map((r) => ({ ...r }))).toEqual([
      { account: clearingAccount(channel), direction: "credit", amount: refunded },
      { account: SALES_REFUNDS, direction: "debit", amount: refunded },
    ]);
    const payment = (await api.call("GET", `/v1/payments/${fixture().refunded.paymentId}`)).body;
    expect(payment).toMatchObject({ status: "refunded", refunded });
  });
});

test("payments reconciliation - sales_refunds was debited by exactly the refunded amounts", () => {
  const refunded = CHANNELS.reduce((n, c) => n + fixtures.get(c)!.refunded.amount, 0);
  expect(refundsAfter - refundsBefore).toBe(refunded);
});

test("payments reconciliation - a refunded completed order takes its member points back", async () => {
  const userId = "points-buyer";
  const member = async () =>
    (await api.call("GET", `/v1/members/${userId}`)).body as {
      points: number;
      pointsSummary: { earned: number; reversed: number };
    };
  const order = await placeAndPay("points-1", userId, "REC-B", "alipay");
  const path = `/v1/orders/${order.orderId}`;
  expect((await api.call("POST", `${path}/ship`, { carrier: "SF", trackingNo: "SF100" })).status).toBe(200);
  expect((await api.call("POST", `${path}/confirm-receipt`)).status).toBe(200);
  const earned = Math.floor(order.amount / 100);
  await waitFor(async () => (await member()).points === earned, 5_000, "points earned");
  const stockBefore = (await api.call("GET", "/v1/inventory/REC-B")).body as { physical: number };

  expect(
    (await api.call("POST", `${path}/after-sales`, { kind: "return_and_refund", reason: "broken" })).status,
  ).toBe(200);
  expect((await api.call("POST", `${path}/after-sales/decision`, { approve: true })).status).toBe(200);
  const received = await api.call("POST", `${path}/after-sales/receive`, {
    warehouse: WAREHOUSE,
    disposition: "restock",
  });
  expect(received.status).toBe(200);
  await waitFor(async () => (await orderStatus(order.orderId)) === "returned", 5_000, "order returned");
  await waitFor(async () => (await member()).points === 0, 5_000, "points reversed");
  expect((await member()).pointsSummary).toMatchObject({ earned, reversed: earned });
  const stockAfter = (await api.call("GET", "/v1/inventory/REC-B")).body as { physical: number };
  expect(stockAfter.physical).toBe(stockBefore.physical + 1);
  // The money went back too.
  await node.projector!.caughtUp(15_000);
  const payment = (await api.call("GET", `/v1/payments/${order.paymentId}`)).body;
  expect(payment).toMatchObject({ status: "refunded", refunded: order.amount });
  const [booked] = await node.sql`
    SELECT sum(e.amount)::int AS amount FROM ledger_transactions t JOIN ledger_entries e ON e.transaction_id = t.id
    WHERE t.payment_id = ${order.paymentId} AND t.kind = 'refund' AND e.account = ${SALES_REFUNDS}`;
  expect(booked!.amount).toBe(order.amount);
});
