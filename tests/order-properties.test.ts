/**
 * Property test of the order life cycle against a real in-process node: random sequences of operations
 * (many of them illegal at that point, answered 409) over a few SKUs with little stock, then, once
 * everything has settled, invariants across inventory, orders, payments, the ledger and members.
 */
import { afterAll, beforeAll, expect, test } from "bun:test";
import fc from "fast-check";
import type { ChannelName } from "../actors/payment/channels/index.ts";
import { orderIdFor } from "../gateway/routes/orders.ts";
import { paymentIdFor } from "../gateway/routes/payments.ts";
import type { HubNode } from "../hub-node.ts";
import { trialBalance } from "../storage/ledger/index.ts";
import {
  ApiClient,
  cleanupNamespace,
  requireServices,
  startTestNode,
  testNamespace,
} from "./support/harness.ts";

const ns = testNamespace("orderprops");
const PAYMENT_TIMEOUT_MS = 2_000;
const WAREHOUSE = "WH-P";
const STOCK = [5, 3, 2] as const;
const PRICES = [1999, 500, 120] as const;
const CHANNELS: ChannelName[] = ["wechat", "alipay", "unionpay"];
const address = { region: "Shanghai", detail: "1 Century Ave", phone: "13800138000", name: "Li Lei" };

let node: HubNode;
let api: ApiClient;

beforeAll(async () => {
  await requireServices();
  node = await startTestNode(ns, { ORDER_PAYMENT_TIMEOUT: `${PAYMENT_TIMEOUT_MS / 1000}s` });
  api = new ApiClient(node.app!);
  await api.login();
  const warehouse = await api.call("PUT", `/v1/warehouses/${WAREHOUSE}`, { name: "P", region: "east" });
  expect(warehouse.status).toBeLessThan(300);
});

afterAll(async () => {
  await node?.stop();
  await cleanupNamespace(ns);
});

// --- Operations ---------------------------------------------------------------------------------------

type Disposition = "restock" | "scrap";
/**
 * Which order an operation acts on: usually (`aim`) one whose last known status allows it, so runs get
 * far into the life cycle; otherwise any order of the run, which is often illegal and must be a 409.
 */
type OrderRef = { index: number; aim: boolean };
type Op =
  | { kind: "place"; user: number; lines: Array<{ sku: number; qty: number }> }
  | { kind: "pay"; order: OrderRef; channel: ChannelName; status: "paid" | "failed" }
  | { kind: "cancel"; order: OrderRef }
  | { kind: "waitTimeout" }
  | { kind: "ship"; order: OrderRef }
  | { kind: "confirm"; order: OrderRef }
  | { kind: "refundOnly"; order: OrderRef }
  | { kind: "return"; order: OrderRef; disposition: Disposition; receiveTwice: boolean };

const orderIndex: fc.Arbitrary<OrderRef> = fc.record({
  index: fc.nat({ max: 1_000 }),
  aim: fc.oneof({ weight: 4, arbitrary: fc.constant(true) }, { weight: 1, arbitrary: fc.constant(false) }),
});
const opArb: fc.Arbitrary<Op> = fc.oneof(
  {
    weight: 3,
    arbitrary: fc.record({
      kind: fc.constant("place" as const),
      user: fc.integer({ min: 0, max: 2 }),
      lines: fc.uniqueArray(
        fc.record({ sku: fc.integer({ min: 0, max: 2 }), qty: fc.integer({ min: 1, max: 3 }) }),
        { minLength: 1, maxLength: 3, selector: (l) => l.sku },
      ),
    }),
  },
  {
    weight: 5,
    arbitrary: fc.record({
      kind: fc.constant("pay" as const),
      order: orderIndex,
      channel: fc.constantFrom(...CHANNELS),
      status: fc.oneof(
        { weight: 5, arbitrary: fc.constant("paid" as const) },
        { weight: 1, arbitrary: fc.constant("failed" as const) },
      ),
    }),
  },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant("cancel" as const), order: orderIndex }) },
  { weight: 1, arbitrary: fc.constant({ kind: "waitTimeout" as const }) },
  { weight: 4, arbitrary: fc.record({ kind: fc.constant("ship" as const), order: orderIndex }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant("confirm" as const), order: orderIndex }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant("refundOnly" as const), order: orderIndex }) },
  {
    weight: 2,
    arbitrary: fc.record({
      kind: fc.constant("return" as const),
      order: orderIndex,
      disposition: fc.constantFrom("restock" as const, "scrap" as const),
      receiveTwice: fc.boolean(),
    }),
  },
);

// --- What the API returns -----------------------------------------------------------------------------

type Status =
  | "placing"
  | "pending_payment"
  | "awaiting_shipment"
  | "shipped"
  | "completed"
  | "cancelled"
  | "refund_requested"
  | "refunded"
  | "return_requested"
  | "returned";
interface OrderView {
  orderId: string;
  status: Status;
  userId: string;
  lines: Array<{ sku: string; qty: number; unitPrice: number; state: string }>;
  amounts: { total: number };
  expiresAt: number | null;
  payment: { paymentId: string; amount: number } | null;
  afterSales: { kind: string; from: Status; approved: boolean | null; amount: number } | null;
  refunded: number;
  timeline: Array<{ status: Status }>;
}
interface PaymentView {
  paymentId: string;
  status: "created" | "paid" | "failed" | "refunded" | "partially_refunded";
  orderId: string;
  amount: number;
  refunded: number;
}
interface StockView {
  physical: number;
  reserved: number;
  sellable: number;
}

/** Transitions the order state machine may make (rejected after-sales go back to where they came from). */
const LEGAL: Record<Status, Status[]> = {
  placing: ["pending_payment", "cancelled"],
  pending_payment: ["awaiting_shipment", "cancelled"],
  awaiting_shipment: ["shipped", "refund_requested"],
  shipped: ["completed", "refund_requested", "return_requested"],
  completed: ["refund_requested", "return_requested"],
  refund_requested: ["refunded", "awaiting_shipment", "shipped", "completed"],
  return_requested: ["returned", "shipped", "completed"],
  cancelled: [],
  refunded: [],
  returned: [],
};

/** Where each operation is legal. */
const WANTED: Record<Exclude<Op["kind"], "place" | "waitTimeout">, Status[]> = {
  pay: ["pending_payment"],
  cancel: ["pending_payment"],
  ship: ["awaiting_shipment"],
  confirm: ["shipped"],
  refundOnly: ["awaiting_shipment", "shipped", "completed"],
  return: ["shipped", "completed"],
};

/** Statuses in which an order holds its reservations. */
function holdsStock(o: OrderView): boolean {
  if (o.status === "pending_payment" || o.status === "awaiting_shipment") return true;
  return o.status === "refund_requested" && o.afterSales?.from === "awaiting_shipment";
}

// --- One run ------------------------------------------------------------------------------------------

let runCounter = 0;
/** How often each final status and each (timeline) path was reached, to show what the runs covered. */
const coverage = new Map<string, number>();

class Run {
  readonly id = ++runCounter;
  readonly skus = STOCK.map((_, i) => `P${this.id}-${"ABC"[i]}`);
  readonly users = [0, 1, 2].map((i) => `pu${this.id}-${i}`);
  /** Every order id a place request was made for (whether or not it succeeded). */
  readonly orders: string[] = [];
  readonly payments = new Set<string>();
  /** Units put back on the shelf by received returns, per SKU. */
  readonly restocked = new Map<string, number>();
  readonly log: string[] = [];
  #step = 0;

  async seed(): Promise<void> {
    for (const [i, sku] of this.skus.entries()) {
      const receipt = await api.call(
        "POST",
        `/v1/inventory/${sku}/receipts`,
        { warehouse: WAREHOUSE, qty: STOCK[i] },
        { "idempotency-key": `seed-${sku}` },
      );
      expect(receipt.status).toBe(201);
      expect((await api.call("PUT", `/v1/skus/${sku}/price`, { listPrice: PRICES[i] })).status).toBe(200);
    }
  }

  async call(
    method: string,
    path: string,
    body: unknown,
    accept: number[],
    headers: Record<string, string> = {},
  ) {
    const res = await api.call(method, path, body, headers);
    this.log.push(`${method} ${path} ${body === undefined ? "" : JSON.stringify(body)} -> ${res.status}`);
    if (!accept.includes(res.status)) {
      throw new Error(
        `${method} ${path} answered ${res.status} ${JSON.stringify(res.body)} (accepted: ${accept.join(", ")})\n` +
          this.log.join("\n"),
      );
    }
    return res;
  }

  async pick(ref: OrderRef, wanted: Status[]): Promise<string | undefined> {
    let from = this.orders;
    if (ref.aim) {
      const fit: string[] = [];
      for (const id of this.orders) {
        const status = (await this.order(id))?.status;
        if (status && wanted.includes(status)) fit.push(id);
      }
      if (fit.length > 0) from = fit;
    }
    return from.length === 0 ? undefined : from[ref.index % from.length];
  }

  async order(orderId: string): Promise<OrderView | undefined> {
    const res = await api.call("GET", `/v1/orders/${orderId}`);
    if (res.status === 404) return undefined;
    if (res.status !== 200)
      throw new Error(`GET order ${orderId}: ${res.status} ${JSON.stringify(res.body)}`);
    return res.body as OrderView;
  }

  async apply(op: Op): Promise<void> {
    const step = ++this.#step;
    if (op.kind === "place") {
      const userId = this.users[op.user]!;
      const key = `r${this.id}-s${step}`;
      this.orders.push(orderIdFor("admin", key));
      const lines = op.lines.map((l) => ({ sku: this.skus[l.sku]!, qty: l.qty }));
      await this.call("POST", "/v1/orders", { userId, lines, address }, [201, 409], {
        "idempotency-key": key,
      });
      return;
    }
    if (op.kind === "waitTimeout") {
      // Sleep past the payment deadline of every order still waiting for payment (none: nothing to wait for).
      let until = 0;
      for (const id of this.orders) {
        const o = await this.order(id);
        if (o?.status === "pending_payment" && o.expiresAt) until = Math.max(until, o.expiresAt);
      }
      const ms = until === 0 ? 0 : Math.max(0, Math.min(PAYMENT_TIMEOUT_MS, until - Date.now()) + 300);
      this.log.push(`wait ${ms} ms for payment timeouts`);
      if (ms > 0) await Bun.sleep(ms);
      return;
    }
    const orderId = await this.pick(op.order, WANTED[op.kind]);
    if (!orderId) return;
    const path = `/v1/orders/${orderId}`;
    // 404: the place request was refused before the order actor existed (never here, but harmless).
    switch (op.kind) {
      case "pay": {
        const created = await this.call(
          "POST",
          "/v1/payments",
          { orderId, channel: op.channel },
          [201, 404, 409, 429],
        );
        const paymentId = paymentIdFor(orderId, op.channel);
        if (created.status === 201) this.payments.add(paymentId);
        if (!this.payments.has(paymentId)) return;
        // The channel is told OK (WeChat: 204); a callback for an already settled payment is a duplicate or a 409.
        await this.call("POST", `/v1/payments/${paymentId}/simulate`, { status: op.status }, [200, 204, 409]);
        return;
      }
      case "cancel":
        await this.call("POST", `${path}/cancel`, { reason: "changed my mind" }, [200, 404, 409]);
        return;
      case "ship":
        await this.call("POST", `${path}/ship`, { carrier: "SF", trackingNo: `SF${step}` }, [200, 404, 409]);
        return;
      case "confirm":
        await this.call("POST", `${path}/confirm-receipt`, undefined, [200, 404, 409]);
        return;
      case "refundOnly": {
        const asked = await this.call(
          "POST",
          `${path}/after-sales`,
          { kind: "refund_only", reason: "no longer needed" },
          [200, 404, 409],
        );
        if (asked.status !== 200) return;
        await this.call("POST", `${path}/after-sales/decision`, { approve: true }, [200]);
        return;
      }
      case "return": {
        const asked = await this.call(
          "POST",
          `${path}/after-sales`,
          { kind: "return_and_refund", reason: "damaged" },
          [200, 404, 409],
        );
        if (asked.status !== 200) return;
        await this.call("POST", `${path}/after-sales/decision`, { approve: true }, [200]);
        const receive = { warehouse: WAREHOUSE, disposition: op.disposition };
        await this.call("POST", `${path}/after-sales/receive`, receive, [200]);
        this.#restock(op.disposition, await this.order(orderId));
        if (op.receiveTwice) {
          // The warehouse scans the same parcel again: refused, or at most a no-op. The stock and money
          // checks below fail if it restocked or refunded a second time.
          await this.call("POST", `${path}/after-sales/receive`, receive, [200, 409]);
        }
        return;
      }
    }
  }

  #restock(disposition: Disposition, order: OrderView | undefined): void {
    if (disposition !== "restock" || !order) return;
    for (const l of order.lines) this.restocked.set(l.sku, (this.restocked.get(l.sku) ?? 0) + l.qty);
  }

  /**
   * Waits until no order waits for payment (their timeouts fire) and nothing (orders, payments, stock,
   * members) changes over two polls in a row, so effects retried with backoff have landed too.
   */
  async settle(): Promise<Map<string, OrderView>> {
    const deadline = Date.now() + PAYMENT_TIMEOUT_MS + 10_000;
    const snapshot = async () => {
      const orders = new Map<string, OrderView>();
      for (const id of this.orders) {
        const o = await this.order(id);
        if (o) orders.set(id, o);
      }
      const others: unknown[] = [];
      for (const id of this.payments) others.push((await api.call("GET", `/v1/payments/${id}`)).body);
      for (const sku of this.skus) others.push((await api.call("GET", `/v1/inventory/${sku}`)).body);
      for (const user of this.users) others.push((await api.call("GET", `/v1/members/${user}`)).body);
      const open = [...orders.values()].some((o) => o.status === "pending_payment" || o.status === "placing");
      return { orders, open, key: JSON.stringify([[...orders.values()], others]) };
    };
    let previous = await snapshot();
    let stable = 0;
    while (stable < 2) {
      const waiting = [...previous.orders.values()].filter(
        (o) => o.status === "pending_payment" || o.status === "placing",
      );
      const wake = Math.max(0, ...waiting.map((o) => (o.expiresAt ?? 0) - Date.now()));
      await Bun.sleep(Math.min(wake, PAYMENT_TIMEOUT_MS) + 200);
      const next = await snapshot();
      stable = !next.open && next.key === previous.key ? stable + 1 : 0;
      if (Date.now() > deadline) {
        throw new Error(`run ${this.id} did not settle; last state ${next.key}\n${this.log.join("\n")}`);
      }
      previous = next;
    }
    await node.projector!.caughtUp(15_000);
    return previous.orders;
  }

  async check(orders: Map<string, OrderView>): Promise<void> {
    const where = `run ${this.id}:\n${this.log.join("\n")}`;
    const fail = (what: string): never => {
      throw new Error(`${what}\n${where}`);
    };

    // No illegal transition in any timeline; the status is the timeline's last entry.
    for (const o of orders.values()) {
      const path = o.timeline.map((t) => t.status);
      const seen = path.slice(1).join(">");
      coverage.set(seen, (coverage.get(seen) ?? 0) + 1);
      if (path[0] !== "placing") fail(`order ${o.orderId} starts at ${path[0]}`);
      for (let i = 1; i < path.length; i++) {
        if (!LEGAL[path[i - 1]!].includes(path[i]!))
          fail(`order ${o.orderId}: illegal transition ${path[i - 1]} -> ${path[i]} in ${path.join(" > ")}`);
      }
      if (path.at(-1) !== o.status)
        fail(`order ${o.orderId} is ${o.status} but its timeline ends at ${path.at(-1)}`);
    }

    // Stock: never negative; reservations belong to live orders; physical follows shipments and restocks.
    for (const [i, sku] of this.skus.entries()) {
      const stock = (await api.call("GET", `/v1/inventory/${sku}`)).body as StockView;
      let reserved = 0;
      let committed = 0;
      for (const o of orders.values()) {
        const line = o.lines.find((l) => l.sku === sku);
        if (!line) continue;
        const shipped = o.timeline.some((t) => t.status === "shipped");
        const expected = holdsStock(o) ? "reserved" : shipped ? "committed" : null;
        if (expected && line.state !== expected)
          fail(`order ${o.orderId} (${o.status}) has its ${sku} line ${line.state}, expected ${expected}`);
        if (!expected && (line.state === "reserved" || line.state === "committed"))
          fail(`order ${o.orderId} (${o.status}) still has its ${sku} line ${line.state}`);
        if (holdsStock(o)) reserved += line.qty;
        if (shipped) committed += line.qty;
      }
      const physical = STOCK[i]! - committed + (this.restocked.get(sku) ?? 0);
      const got = { physical: stock.physical, reserved: stock.reserved, sellable: stock.sellable };
      const want = { physical, reserved, sellable: physical - reserved };
      if (JSON.stringify(got) !== JSON.stringify(want))
        fail(`${sku}: stock ${JSON.stringify(got)}, expected ${JSON.stringify(want)}`);
      if (stock.physical < 0 || stock.reserved < 0 || stock.sellable < 0) fail(`${sku}: negative stock`);
    }

    // The ledger balances, and for each payment it holds exactly what the payment says moved.
    const trial = await trialBalance(node.sql);
    if (!trial.balanced) fail(`trial balance is off: ${JSON.stringify(trial)}`);
    const ids = [...this.payments];
    const rows = await node.sql`
      SELECT t.payment_id, t.kind, sum(e.amount)::bigint AS amount
      FROM ledger_transactions t JOIN ledger_entries e ON e.transaction_id = t.id AND e.direction = 'debit'
      WHERE t.payment_id = ANY(${ids}) GROUP BY t.payment_id, t.kind`;
    const ledger = new Map<string, { capture: number; refund: number }>();
    for (const r of rows) {
      const m = ledger.get(r.payment_id) ?? { capture: 0, refund: 0 };
      m[r.kind as "capture" | "refund"] = Number(r.amount);
      ledger.set(r.payment_id, m);
    }
    const netByOrder = new Map<string, number>();
    for (const id of ids) {
      const p = (await api.call("GET", `/v1/payments/${id}`)).body as PaymentView;
      const captured = ["paid", "partially_refunded", "refunded"].includes(p.status) ? p.amount : 0;
      const booked = ledger.get(id) ?? { capture: 0, refund: 0 };
      if (booked.capture !== captured || booked.refund !== p.refunded)
        fail(
          `payment ${id} (${p.status}, ${p.amount}, refunded ${p.refunded}) is booked as ${JSON.stringify(booked)}`,
        );
      if (p.refunded > captured) fail(`payment ${id} refunded ${p.refunded} of ${captured}`);
      netByOrder.set(p.orderId, (netByOrder.get(p.orderId) ?? 0) + booked.capture - booked.refund);
    }
    // Money kept for an order is what it was paid less what was refunded: a paid cancelled order is refunded.
    for (const o of orders.values()) {
      const kept = (o.payment?.amount ?? 0) - o.refunded;
      if ((netByOrder.get(o.orderId) ?? 0) !== kept)
        fail(
          `order ${o.orderId} (${o.status}) kept ${kept} but its payments net ${netByOrder.get(o.orderId) ?? 0}`,
        );
      if (o.payment && o.payment.amount !== o.amounts.total) fail(`order ${o.orderId} paid a wrong amount`);
      if ((o.status === "refunded" || o.status === "returned") && o.refunded !== o.payment?.amount)
        fail(`order ${o.orderId} is ${o.status} with ${o.refunded} of ${o.payment?.amount} refunded`);
    }

    // Points follow the money: one point per yuan of completed orders, minus what was refunded.
    for (const userId of this.users) {
      let points = 0;
      for (const o of orders.values()) {
        if (o.userId === userId && o.timeline.some((t) => t.status === "completed"))
          points += Math.floor(((o.payment?.amount ?? 0) - o.refunded) / 100);
      }
      const member = await api.call("GET", `/v1/members/${userId}`);
      const got = member.status === 200 ? (member.body as { points: number }).points : 0;
      if (got !== points) {
        const theirs = [...orders.values()].filter((o) => o.userId === userId);
        fail(
          `member ${userId} has ${got} points, expected ${points}: ${JSON.stringify(member.body)}\n` +
            `their orders: ${JSON.stringify(theirs)}`,
        );
      }
    }
  }
}

test("order properties - random operation sequences keep stock, reservations, money and timelines consistent", async () => {
  const started = Date.now();
  await fc.assert(
    fc.asyncProperty(fc.array(opArb, { minLength: 10, maxLength: 25 }), async (ops) => {
      const run = new Run();
      await run.seed();
      for (const op of ops) await run.apply(op);
      await run.check(await run.settle());
    }),
    {
      numRuns: Number(process.env.ORDER_PROPERTY_RUNS ?? 25),
      // Every run drives a real node for seconds: report the first counterexample rather than shrink for minutes.
      endOnFailure: !process.env.ORDER_PROPERTY_SHRINK,
      ...(process.env.ORDER_PROPERTY_SEED ? { seed: Number(process.env.ORDER_PROPERTY_SEED) } : {}),
    },
  );
  console.log(`order properties: ${runCounter} runs in ${Date.now() - started} ms; order paths reached:`);
  for (const [path, n] of [...coverage].sort((a, b) => b[1] - a[1])) console.log(`  ${n}\t${path}`);
}, 180_000);
