import { describe, expect, test } from "bun:test";
import type { z } from "zod";
import { groupBuyCommandSchema } from "../groupbuy/index.ts";
import { inventoryCommandSchema } from "../inventory/index.ts";
import { memberCommandSchema } from "../member/index.ts";
import { paymentCommandSchema } from "../payment/index.ts";
import type { DecideContext, Decision, Effect, Reply, Resolution } from "../runtime/index.ts";
import { DomainError, type DomainErrorKind } from "../runtime/index.ts";
import { shipmentCommandSchema } from "../shipment/index.ts";
import { type OrderCommand, orderCommandSchema } from "./commands.ts";
import { type OrderEvent, orderEventSchema } from "./events.ts";
import { orderKind } from "./index.ts";
import { applyOrderEvent, initialOrder, ORDER_STATUSES, type OrderState, type OrderStatus } from "./state.ts";

const ID = "O-1";
const USER = "U-1";
const T0 = 1_700_000_000_000;
const MIN = 60_000;
const DAY = 24 * 60 * MIN;
const PLACE_ID = "cmd-place";
const PAYMENT = "P-1";

type Input = z.input<typeof orderCommandSchema>;
type Handler = (state: OrderState, command: OrderCommand, ctx: DecideContext) => Decision<OrderEvent>;

/** What each target kind accepts: every effect the order starts must be a command its target can parse. */
const TARGETS: Record<string, z.ZodType> = {
  sku: inventoryCommandSchema,
  member: memberCommandSchema,
  payment: paymentCommandSchema,
  "group-buy": groupBuyCommandSchema,
  shipment: shipmentCommandSchema,
};

const ADDRESS = {
  region: "Shanghai",
  detail: "1 Century Avenue",
  phone: "+86 138 0000 0000",
  name: "Li Lei",
};
const NEW_ADDRESS = {
  region: "Beijing",
  detail: "2 Chang'an Avenue",
  phone: "010 1234 5678",
  name: "Han Mei",
};
const LINES = [
  { sku: "SKU-A", qty: 2, unitPrice: 1_500 },
  { sku: "SKU-B", qty: 1, unitPrice: 4_000 },
];
/** 2 × 1,500 + 1 × 4,000 = 7,000 items − 500 discount + 800 freight. */
const AMOUNTS = { items: 7_000, discount: 500, freight: 800, total: 7_300 };
const TOTAL = AMOUNTS.total;

const placeCmd = (over: Partial<Extract<Input, { type: "place" }>> = {}): Input => ({
  type: "place",
  userId: USER,
  lines: LINES,
  address: ADDRESS,
  channel: "web",
  discount: 500,
  freight: 800,
  paymentTimeoutMs: 30 * MIN,
  ...over,
});

const ok = (value: unknown = null): Reply => ({ ok: true, value });
const no = (kind: DomainErrorKind, message: string): Reply => ({ ok: false, error: { kind, message } });
const reservedReply = (qty: number, warehouse = "WH-A"): Reply =>
  ok({ orderId: ID, lines: [{ warehouse, qty }] });

/**
 * One order driven the way the runtime drives it: commands are validated, decided on a state they must
 * not touch, their events checked against the event schema and applied; timers, the outbox of pending
 * effects (a key may not be started twice while pending) and deferred callers are tracked.
 */
class Order {
  state = initialOrder();
  events: OrderEvent[] = [];
  /** Effects started and not yet answered, by key. */
  pending = new Map<string, Effect>();
  /** Every effect ever started, in order. */
  started: Effect[] = [];
  timers = new Map<string, number>();
  /** Deferred callers still waiting, and the answers given to them. */
  waiting = new Set<string>();
  answers = new Map<string, Resolution["reply"]>();
  now = T0;
  #seq = 0;

  #decide(run: () => Decision<OrderEvent>): Decision<OrderEvent> {
    const before = structuredClone(this.state);
    const decision = run();
    expect(this.state).toEqual(before); // decisions are pure: only `apply` changes state
    for (const event of decision.events) orderEventSchema.parse(event);
    return decision;
  }

  #record(decision: Decision<OrderEvent>): Decision<OrderEvent> {
    for (const event of decision.events) {
      this.state = applyOrderEvent(this.state, event);
      this.events.push(event);
    }
    for (const timer of decision.timers?.set ?? []) this.timers.set(timer.name, timer.at);
    for (const name of decision.timers?.cancel ?? []) this.timers.delete(name);
    for (const effect of decision.effects ?? []) {
      if (this.pending.has(effect.key)) throw new Error(`order started effect ${effect.key} twice`);
      const schema = TARGETS[effect.to.kind];
      if (!schema) throw new Error(`effect ${effect.key} goes to an unknown kind ${effect.to.kind}`);
      schema.parse(effect.cmd);
      this.pending.set(effect.key, effect);
      this.started.push(effect);
    }
    for (const { commandId, reply } of decision.resolve ?? []) {
      if (!this.waiting.delete(commandId)) continue; // the first answer stands
      this.answers.set(commandId, reply);
    }
    return decision;
  }

  #ctx(by: string, commandId?: string): DecideContext {
    return { id: ID, now: this.now, meta: { by }, ...(commandId ? { commandId } : {}) };
  }

  decide(command: Input, options: { by?: string; id?: string } = {}): Decision<OrderEvent> {
    const parsed = orderCommandSchema.parse(command);
    const handler = orderKind.handlers[parsed.type] as unknown as Handler;
    const ctx = this.#ctx(options.by ?? USER, options.id ?? `cmd-${++this.#seq}`);
    return this.#decide(() => handler(this.state, parsed, ctx));
  }

  send(command: Input, options: { by?: string; id?: string } = {}): Decision<OrderEvent> {
    const id = options.id ?? `cmd-${++this.#seq}`;
    const decision = this.decide(command, { ...options, id });
    if (decision.defer) this.waiting.add(id);
    return this.#record(decision);
  }

  refused(command: Input, kind: DomainErrorKind, options: { by?: string } = {}): DomainError {
    const before = structuredClone(this.state);
    try {
      this.decide(command, options);
    } catch (error) {
      expect(error).toBeInstanceOf(DomainError);
      expect((error as DomainError).kind).toBe(kind);
      expect(this.state).toEqual(before);
      return error as DomainError;
    }
    throw new Error(`expected ${command.type} to be refused with ${kind}`);
  }

  /** The target's reply to a pending effect. */
  answer(key: string, reply: Reply = ok()): Decision<OrderEvent> {
    if (!this.pending.delete(key)) throw new Error(`no pending effect ${key}`);
    const onEffect = orderKind.onEffect!;
    const ctx = this.#ctx("system:effect");
    return this.#record(this.#decide(() => onEffect(this.state, { key, reply }, ctx)));
  }

  /** A timer coming due (whether or not it is still set: a late firing must be harmless). */
  fire(name: string): Decision<OrderEvent> {
    this.timers.delete(name);
    const onTimer = orderKind.onTimer!;
    const ctx = this.#ctx("system:timer");
    return this.#record(this.#decide(() => onTimer(this.state, { name, data: null }, ctx)));
  }

  advance(ms: number): this {
    this.now += ms;
    return this;
  }

  keys(decision: Decision<OrderEvent>): string[] {
    return (decision.effects ?? []).map((e) => e.key);
  }

  startedTo(kind: string, type: string): Effect[] {
    return this.started.filter((e) => e.to.kind === kind && e.cmd.type === type);
  }
}

const types = (d: Decision<OrderEvent>) => d.events.map((e) => e.type);

// ---- Orders in every reachable status, built by driving them there. ----

function placing(over: Partial<Extract<Input, { type: "place" }>> = {}): Order {
  const order = new Order();
  order.send(placeCmd(over), { id: PLACE_ID });
  return order;
}

function pendingPayment(): Order {
  const order = placing();
  order.advance(1_000);
  order.answer("reserve:SKU-A", reservedReply(2));
  order.answer("reserve:SKU-B", reservedReply(1, "WH-B"));
  order.answer("member:record", ok({ orderId: ID }));
  return order;
}

const markPaid = (amount = TOTAL): Input => ({
  type: "markPaid",
  paymentId: PAYMENT,
  channel: "wechat",
  amount,
});

function awaitingShipment(): Order {
  const order = pendingPayment().advance(5 * MIN);
  order.send(markPaid(), { by: "system:payment" });
  return order;
}

const shipCmd: Input = { type: "ship", carrier: "SF", trackingNo: "SF123456", autoCompleteMs: 10 * DAY };

function shipped(): Order {
  const order = awaitingShipment().advance(DAY);
  order.send(shipCmd, { by: "ops-1" });
  order.answer("commit:SKU-A", ok());
  order.answer("commit:SKU-B", ok());
  order.answer("shipment:create", ok());
  return order;
}

/** Shipped, and its one shipment (which carries every line) delivered. */
function delivered(): Order {
  const order = shipped().advance(DAY);
  const lines = order.state.lines.map((l) => ({ sku: l.sku, qty: l.qty }));
  order.send({ type: "attachShipment", shipmentId: `${ID}:S1`, carrier: "SF", lines }, { by: "system" });
  order.send({ type: "recordDelivery", shipmentId: `${ID}:S1`, at: order.now }, { by: "system" });
  return order;
}

function completed(): Order {
  const order = shipped().advance(2 * DAY);
  order.send({ type: "confirmReceipt" });
  order.answer("member:complete", ok());
  return order;
}

function cancelledByBuyer(): Order {
  const order = pendingPayment().advance(MIN);
  order.send({ type: "cancel", reason: "changed my mind" });
  for (const key of [...order.pending.keys()]) order.answer(key, ok());
  return order;
}

function cancelledByTimeout(): Order {
  const order = pendingPayment().advance(30 * MIN);
  order.fire("expire");
  for (const key of [...order.pending.keys()]) order.answer(key, ok());
  return order;
}

function placementFailed(): Order {
  const order = placing();
  order.answer("reserve:SKU-A", no("insufficient_stock", "only 1 left"));
  order.answer("reserve:SKU-B", reservedReply(1));
  order.answer("member:record", ok());
  for (const key of [...order.pending.keys()]) order.answer(key, ok());
  return order;
}

const refundOnly = (amount?: number): Input => ({
  type: "requestAfterSales",
  kind: "refund_only",
  reason: "no longer needed",
  ...(amount !== undefined ? { amount } : {}),
});
const returnAndRefund = (amount?: number): Input => ({
  type: "requestAfterSales",
  kind: "return_and_refund",
  reason: "wrong size",
  ...(amount !== undefined ? { amount } : {}),
});
const approve: Input = { type: "decideAfterSales", approve: true, note: "ok" };
const reject: Input = { type: "decideAfterSales", approve: false, note: "outside policy" };
const restock: Input = { type: "receiveReturn", warehouse: "WH-R", disposition: "restock" };

function refundRequested(): Order {
  const order = awaitingShipment().advance(MIN);
  order.send(refundOnly());
  return order;
}

function refundApproved(): Order {
  const order = refundRequested().advance(MIN);
  order.send(approve, { by: "ops-1" });
  return order;
}

function refunded(): Order {
  const order = refundApproved();
  for (const key of [...order.pending.keys()].filter((k) => !k.startsWith("refund:")))
    order.answer(key, ok());
  order.answer("refund:O-1-r1", ok({ refundId: "O-1-r1", amount: TOTAL }));
  return order;
}

/** Part of the money refunded before shipment: the goods still go (decision 0024). */
function partiallyRefunded(): Order {
  const order = awaitingShipment().advance(MIN);
  order.send(refundOnly(1_000));
  order.send(approve, { by: "ops-1" });
  order.answer("refund:O-1-r1", ok());
  return order;
}

/** A group-buy order (decision 0024), paid, waiting for its group to form. */
function awaitingGroup(): Order {
  const order = placing({ group: { groupBuyId: "GB-1" } });
  order.answer("group:join", ok({ groupBuyId: "GB-1", groupId: "GB-1-g1" }));
  order.answer("reserve:SKU-A", reservedReply(2));
  order.answer("reserve:SKU-B", reservedReply(1, "WH-B"));
  order.answer("member:record", ok({ orderId: ID }));
  order.advance(MIN).send(markPaid(), { by: "system:payment" });
  return order;
}

/** A presale order (decision 0024) whose deposit is paid, before its balance window opens. */
function awaitingBalance(): Order {
  const order = placing({
    presale: { presaleId: "PS-1", deposit: 1_000, balanceFrom: T0 + DAY, balanceTo: T0 + 2 * DAY },
  });
  order.answer("reserve:SKU-A", reservedReply(2));
  order.answer("reserve:SKU-B", reservedReply(1, "WH-B"));
  order.answer("member:record", ok({ orderId: ID }));
  order.advance(MIN).send(markPaid(1_000), { by: "system:payment" });
  return order;
}

function returnRequested(from: () => Order = shipped): Order {
  const order = from().advance(MIN);
  order.send(returnAndRefund());
  return order;
}

function returnApproved(from: () => Order = shipped): Order {
  const order = returnRequested(from).advance(MIN);
  order.send(approve, { by: "ops-1" });
  return order;
}

function returned(): Order {
  const order = returnApproved().advance(DAY);
  order.send(restock, { by: "wh-1" });
  for (const key of [...order.pending.keys()]) order.answer(key, ok());
  return order;
}

// ---- place ----

describe("order - place", () => {
  test("order - place records the order with its amounts and defers the caller", () => {
    const order = new Order();
    const d = order.send(placeCmd(), { id: PLACE_ID });
    expect(d.defer).toBe(true);
    expect(d.reply).toBeNull();
    expect(d.events).toEqual([
      {
        type: "placed",
        userId: USER,
        lines: LINES,
        address: ADDRESS,
        channel: "web",
        amounts: AMOUNTS,
        command: PLACE_ID,
        expiresAt: T0 + 30 * MIN,
        at: T0,
        by: USER,
      },
    ]);
    expect(order.state.status).toBe("placing");
    expect(order.state.lines.map((l) => l.state)).toEqual(["reserving", "reserving"]);
    expect(order.waiting.has(PLACE_ID)).toBe(true);
    expect(order.answers.size).toBe(0);
  });

  test("order - the discount is capped at the items, so the total is never below the freight", () => {
    const order = placing({ discount: 9_000 });
    expect(order.state.amounts).toEqual({ items: 7_000, discount: 7_000, freight: 800, total: 800 });
    const free = placing({ discount: 0, freight: 0 });
    expect(free.state.amounts).toEqual({ items: 7_000, discount: 0, freight: 0, total: 7_000 });
    // Defaults: no discount, no freight.
    const bare = new Order();
    const { discount: _d, freight: _f, ...rest } = placeCmd() as Extract<Input, { type: "place" }>;
    bare.send(rest, { id: PLACE_ID });
    expect(bare.state.amounts).toEqual({ items: 7_000, discount: 0, freight: 0, total: 7_000 });
  });

  test("order - points spent never exceed what they discount", () => {
    // 7,000 of items with 500 already off: at most 6,500 points can be spent, whatever was asked.
    const order = placing({ pointsToSpend: 1_000_000 });
    expect(order.state.amounts).toEqual({ items: 7_000, discount: 7_000, freight: 800, total: 800 });
    expect(order.pending.get("member:record")?.cmd).toMatchObject({ pointsToSpend: 6_500 });
    const nothingLeft = placing({ discount: 9_000, pointsToSpend: 300 });
    expect(nothingLeft.pending.get("member:record")?.cmd).not.toHaveProperty("pointsToSpend");
    const some = placing({ pointsToSpend: 300 });
    expect(some.state.amounts).toEqual({ items: 7_000, discount: 800, freight: 800, total: 7_000 });
    expect(some.pending.get("member:record")?.cmd).toMatchObject({ pointsToSpend: 300 });
  });

  test("order - place reserves every line on its SKU, records the member and sets the payment deadline", () => {
    const order = new Order();
    const d = order.send(placeCmd(), { id: PLACE_ID });
    expect(d.effects).toEqual([
      {
        key: "reserve:SKU-A",
        to: { kind: "sku", id: "SKU-A" },
        cmd: { type: "reserve", orderId: ID, qty: 2, userId: USER },
      },
      {
        key: "reserve:SKU-B",
        to: { kind: "sku", id: "SKU-B" },
        cmd: { type: "reserve", orderId: ID, qty: 1, userId: USER },
      },
      {
        key: "member:record",
        to: { kind: "member", id: USER },
        cmd: {
          type: "recordOrder",
          orderId: ID,
          lines: [
            { sku: "SKU-A", qty: 2 },
            { sku: "SKU-B", qty: 1 },
          ],
          amount: TOTAL,
        },
      },
    ]);
    expect(d.timers).toEqual({ set: [{ name: "expire", at: T0 + 30 * MIN }] });
    expect(order.timers.get("expire")).toBe(T0 + 30 * MIN);
  });

  test("order - with maxPerUser the member record carries a per-SKU limit for every line", () => {
    const order = placing({ maxPerUser: 3 });
    const record = order.pending.get("member:record");
    expect(record?.cmd).toMatchObject({
      type: "recordOrder",
      limits: { perSku: { "SKU-A": 3, "SKU-B": 3 } },
    });
  });

  test("order - the same SKU on two lines is invalid", () => {
    const order = new Order();
    const error = order.refused(
      placeCmd({
        lines: [
          { sku: "SKU-A", qty: 1, unitPrice: 100 },
          { sku: "SKU-A", qty: 2, unitPrice: 100 },
        ],
      }),
      "invalid",
    );
    expect(error.details).toEqual({ field: "lines" });
  });

  test("order - placing an existing order is a conflict, in any status", () => {
    const order = placing();
    expect(order.refused(placeCmd(), "conflict").details).toEqual({ orderStatus: "placing" });
    expect(completed().refused(placeCmd(), "conflict").details).toEqual({ orderStatus: "completed" });
    expect(placementFailed().refused(placeCmd(), "conflict").details).toEqual({ orderStatus: "cancelled" });
  });

  test("order - malformed place commands never reach the handler", () => {
    for (const bad of [
      placeCmd({ lines: [] }),
      placeCmd({ lines: [{ sku: "SKU-A", qty: 0, unitPrice: 1 }] }),
      placeCmd({ lines: [{ sku: "SKU-A", qty: 1, unitPrice: 1.5 }] }),
      placeCmd({ discount: -1 }),
      placeCmd({ paymentTimeoutMs: 0 }),
      placeCmd({ address: { ...ADDRESS, phone: "call me" } }),
    ]) {
      expect(orderCommandSchema.safeParse(bad).success).toBe(false);
    }
  });

  test("order - get on a new order is not_found; afterwards it shows the order", () => {
    const error = new Order().refused({ type: "get" }, "not_found");
    expect(error.message).toContain(ID);
    const order = pendingPayment();
    const d = order.decide({ type: "get" });
    expect(d.events).toEqual([]);
    expect(d.reply).toMatchObject({ orderId: ID, status: "pending_payment", amounts: AMOUNTS });
  });
});

// ---- place: settlement of the reservations ----

function permutations<T>(items: T[]): T[][] {
  if (items.length <= 1) return [items];
  return items.flatMap((item, i) =>
    permutations([...items.slice(0, i), ...items.slice(i + 1)]).map((rest) => [item, ...rest]),
  );
}

const label = (keys: string[]) => keys.join(" → ");

describe("order - place settlement", () => {
  const success: Record<string, Reply> = {
    "reserve:SKU-A": reservedReply(2),
    "reserve:SKU-B": reservedReply(1, "WH-B"),
    "member:record": ok({ orderId: ID }),
  };

  for (const sequence of permutations(Object.keys(success))) {
    test(`order - every part reserved (${label(sequence)}) awaits payment and answers the caller`, () => {
      const order = placing();
      order.advance(2_000);
      for (const [i, key] of sequence.entries()) {
        const d = order.answer(key, success[key]!);
        if (i < sequence.length - 1) {
          expect(types(d).includes("awaitingPayment")).toBe(false);
          expect(d.resolve ?? []).toEqual([]);
          expect(order.state.status).toBe("placing");
          expect(order.waiting.has(PLACE_ID)).toBe(true);
        } else {
          expect(types(d).at(-1)).toBe("awaitingPayment");
          expect(d.events.at(-1)).toEqual({
            type: "awaitingPayment",
            expiresAt: T0 + 30 * MIN,
            at: T0 + 2_000,
            by: "system",
          });
          expect(d.resolve).toEqual([
            {
              commandId: PLACE_ID,
              reply: {
                ok: true,
                value: {
                  orderId: ID,
                  status: "pending_payment",
                  amounts: AMOUNTS,
                  expiresAt: new Date(T0 + 30 * MIN).toISOString(),
                },
              },
            },
          ]);
          expect(d.effects ?? []).toEqual([]);
        }
      }
      expect(order.state.status).toBe("pending_payment");
      expect(order.state.lines.map((l) => [l.sku, l.state, l.allocation])).toEqual([
        ["SKU-A", "reserved", [{ warehouse: "WH-A", qty: 2 }]],
        ["SKU-B", "reserved", [{ warehouse: "WH-B", qty: 1 }]],
      ]);
      expect(order.state.member).toBe("recorded");
      expect(order.answers.get(PLACE_ID)?.ok).toBe(true);
      // The payment deadline stays armed.
      expect(order.timers.get("expire")).toBe(T0 + 30 * MIN);
      expect(order.pending.size).toBe(0);
    });
  }

  const oneShort: Record<string, Reply> = {
    "reserve:SKU-A": no("insufficient_stock", "SKU-A: requested 2, sellable 1"),
    "reserve:SKU-B": reservedReply(1),
    "member:record": ok({ orderId: ID }),
  };

  for (const sequence of permutations(Object.keys(oneShort))) {
    test(`order - one line refused (${label(sequence)}) gives back the rest before answering insufficient_stock`, () => {
      const order = placing();
      let last: Decision<OrderEvent> | undefined;
      for (const key of sequence) last = order.answer(key, oneShort[key]!);
      expect(types(last!).at(-1)).toBe("placementFailed");
      expect(last!.events.at(-1)).toMatchObject({
        type: "placementFailed",
        errorKind: "insufficient_stock",
        sku: "SKU-A",
        reason: "insufficient stock for SKU-A",
      });
      expect(order.state.status).toBe("cancelled");
      // Compensation: release the line that was reserved and the member's record; the deadline goes.
      expect([...order.pending.keys()].sort()).toEqual(["member:cancel", "release:SKU-B"]);
      expect(order.pending.get("release:SKU-B")).toMatchObject({
        to: { kind: "sku", id: "SKU-B" },
        cmd: { type: "release", orderId: ID },
      });
      expect(order.pending.get("member:cancel")).toMatchObject({
        to: { kind: "member", id: USER },
        cmd: { type: "cancelOrder", orderId: ID },
      });
      expect(order.timers.has("expire")).toBe(false);
      // No answer while anything is still held.
      expect(last!.resolve ?? []).toEqual([]);
      expect(order.waiting.has(PLACE_ID)).toBe(true);

      for (const compensation of permutations(["release:SKU-B", "member:cancel"])) {
        const branch = structuredCloneOrder(order);
        const first = branch.answer(compensation[0]!, ok());
        expect(first.resolve ?? []).toEqual([]);
        expect(branch.waiting.has(PLACE_ID)).toBe(true);
        const second = branch.answer(compensation[1]!, ok());
        expect(types(second).at(-1)).toBe("placeAnswered");
        expect(second.resolve).toEqual([
          {
            commandId: PLACE_ID,
            reply: {
              ok: false,
              error: {
                kind: "insufficient_stock",
                message: "insufficient stock for SKU-A",
                details: { sku: "SKU-A" },
              },
            },
          },
        ]);
        expect(branch.state.lines.map((l) => l.state)).toEqual(["refused", "released"]);
        expect(branch.state.member).toBe("released");
        expect(branch.state.placeFailure).toBeNull();
        expect(branch.pending.size).toBe(0);
      }
    });
  }

  test("order - the member refusing (purchase limit) releases every line and answers conflict", () => {
    for (const sequence of permutations(["reserve:SKU-A", "reserve:SKU-B", "member:record"])) {
      const order = placing({ maxPerUser: 1 });
      const replies: Record<string, Reply> = {
        "reserve:SKU-A": reservedReply(2),
        "reserve:SKU-B": reservedReply(1),
        "member:record": no("conflict", "limit of 1 per member for SKU-A"),
      };
      for (const key of sequence) order.answer(key, replies[key]!);
      expect(order.events.find((e) => e.type === "placementFailed")).toMatchObject({ errorKind: "conflict" });
      expect([...order.pending.keys()].sort()).toEqual(["release:SKU-A", "release:SKU-B"]);
      expect(order.waiting.has(PLACE_ID)).toBe(true);
      order.answer("release:SKU-B", ok());
      expect(order.waiting.has(PLACE_ID)).toBe(true);
      const d = order.answer("release:SKU-A", ok());
      expect(types(d)).toEqual(["lineReleased", "placeAnswered"]);
      const answer = order.answers.get(PLACE_ID);
      expect(answer?.ok).toBe(false);
      expect(answer?.ok === false && answer.error.kind).toBe("conflict");
      expect(order.state.member).toBe("refused");
    }
  });

  test("order - a refusal when nothing else was taken answers the caller at once", () => {
    for (const sequence of permutations(["reserve:SKU-A", "reserve:SKU-B", "member:record"])) {
      const order = placing();
      const replies: Record<string, Reply> = {
        "reserve:SKU-A": no("insufficient_stock", "none left"),
        "reserve:SKU-B": no("insufficient_stock", "none left"),
        "member:record": no("conflict", "limit"),
      };
      let last: Decision<OrderEvent> | undefined;
      for (const key of sequence) last = order.answer(key, replies[key]!);
      expect(types(last!).slice(-2)).toEqual(["placementFailed", "placeAnswered"]);
      expect(last!.effects ?? []).toEqual([]);
      expect(last!.timers).toEqual({ cancel: ["expire"] });
      expect(last!.resolve).toEqual([
        {
          commandId: PLACE_ID,
          reply: {
            ok: false,
            error: {
              kind: "insufficient_stock",
              message: "insufficient stock for SKU-A",
              details: { sku: "SKU-A" },
            },
          },
        },
      ]);
      expect(order.state.status).toBe("cancelled");
      expect(order.state.placeFailure).toBeNull();
      expect(order.pending.size).toBe(0);
      expect(order.timers.size).toBe(0);
    }
  });

  test("order - a single refused line with the member refused too answers at once with insufficient_stock", () => {
    const order = placing({ lines: [{ sku: "SKU-A", qty: 1, unitPrice: 100 }] });
    order.answer("member:record", no("conflict", "limit"));
    const d = order.answer("reserve:SKU-A", no("insufficient_stock", "none"));
    expect(d.resolve?.[0]?.reply).toMatchObject({ ok: false, error: { kind: "insufficient_stock" } });
  });

  test("order - a reserve answer arriving after the expire timer cancelled the order is released at once", () => {
    const order = placing();
    order.answer("reserve:SKU-A", reservedReply(2));
    order.advance(30 * MIN);
    const expired = order.fire("expire");
    expect(types(expired)).toEqual(["cancelled"]);
    expect(expired.events[0]).toMatchObject({ reason: "payment timeout", by: "system:timer" });
    expect(order.keys(expired)).toEqual(["release:SKU-A"]);
    // The caller still waiting for place is told it timed out.
    expect(expired.resolve).toEqual([
      {
        commandId: PLACE_ID,
        reply: { ok: false, error: { kind: "conflict", message: "order timed out while reserving" } },
      },
    ]);

    const late = order.answer("reserve:SKU-B", reservedReply(1));
    expect(types(late)).toEqual(["lineReserved"]);
    expect(late.effects).toEqual([
      {
        key: "release:SKU-B",
        to: { kind: "sku", id: "SKU-B" },
        cmd: { type: "release", orderId: ID, reason: "order cancelled" },
      },
    ]);
    expect(late.resolve ?? []).toEqual([]);
    const member = order.answer("member:record", ok());
    expect(types(member)).toEqual(["memberRecorded"]);
    expect(order.keys(member)).toEqual(["member:cancel"]);
    expect(order.state.status).toBe("cancelled");

    order.answer("release:SKU-A", ok());
    order.answer("release:SKU-B", ok());
    order.answer("member:cancel", ok());
    expect(order.state.lines.map((l) => l.state)).toEqual(["released", "released"]);
    expect(order.state.member).toBe("released");
    expect(order.answers.size).toBe(1);
  });

  test("order - a late refusal after the timeout needs no compensation", () => {
    const order = placing();
    order.fire("expire");
    const late = order.answer("reserve:SKU-A", no("insufficient_stock", "none"));
    expect(types(late)).toEqual(["lineRefused"]);
    expect(late.effects ?? []).toEqual([]);
    const member = order.answer("member:record", no("conflict", "limit"));
    expect(member.effects ?? []).toEqual([]);
  });
});

/** A copy of an order in flight, to try several continuations from one point. */
function structuredCloneOrder(order: Order): Order {
  const copy = new Order();
  copy.state = structuredClone(order.state);
  copy.events = structuredClone(order.events);
  copy.pending = structuredClone(order.pending);
  copy.started = structuredClone(order.started);
  copy.timers = new Map(order.timers);
  copy.waiting = new Set(order.waiting);
  copy.answers = structuredClone(order.answers);
  copy.now = order.now;
  return copy;
}

// ---- timers ----

describe("order - timers", () => {
  test("order - expire while pending payment cancels, releases every line and the member's record", () => {
    const order = pendingPayment();
    order.advance(30 * MIN);
    const d = order.fire("expire");
    expect(d.events).toEqual([
      { type: "cancelled", reason: "payment timeout", at: order.now, by: "system:timer" },
    ]);
    expect(d.effects).toEqual([
      {
        key: "release:SKU-A",
        to: { kind: "sku", id: "SKU-A" },
        cmd: { type: "release", orderId: ID, reason: "payment timeout" },
      },
      {
        key: "release:SKU-B",
        to: { kind: "sku", id: "SKU-B" },
        cmd: { type: "release", orderId: ID, reason: "payment timeout" },
      },
      {
        key: "member:cancel",
        to: { kind: "member", id: USER },
        cmd: { type: "cancelOrder", orderId: ID, reason: "payment timeout" },
      },
    ]);
    expect(d.resolve ?? []).toEqual([]); // the place caller was answered long ago
    expect(order.state.status).toBe("cancelled");
    for (const key of ["release:SKU-A", "release:SKU-B", "member:cancel"]) {
      expect(order.answer(key, ok()).resolve ?? []).toEqual([]);
    }
    expect(order.state.lines.map((l) => l.state)).toEqual(["released", "released"]);
    expect(order.state.member).toBe("released");
  });

  test("order - expire after payment (or after cancellation) does nothing", () => {
    for (const order of [awaitingShipment(), shipped(), completed(), cancelledByBuyer(), placementFailed()]) {
      const before = structuredClone(order.state);
      const d = order.fire("expire");
      expect(d.events).toEqual([]);
      expect(d.effects ?? []).toEqual([]);
      expect(d.resolve ?? []).toEqual([]);
      expect(order.state).toEqual(before);
    }
  });

  test("order - markPaid cancels the expire timer", () => {
    const order = awaitingShipment();
    expect(order.timers.has("expire")).toBe(false);
  });

  test("order - autoComplete while shipped completes and credits the member with what was paid", () => {
    const order = shipped();
    expect(order.timers.get("autoComplete")).toBe(order.now + 10 * DAY);
    order.advance(10 * DAY);
    const d = order.fire("autoComplete");
    expect(d.events).toEqual([{ type: "completed", auto: true, at: order.now, by: "system:timer" }]);
    expect(d.effects).toEqual([
      {
        key: "member:complete",
        to: { kind: "member", id: USER },
        cmd: { type: "completeOrder", orderId: ID, amount: TOTAL },
      },
    ]);
    expect(order.state.status).toBe("completed");
    expect(order.state.timeline.at(-1)).toEqual({
      status: "completed",
      at: order.now,
      by: "system:timer",
      reason: "auto-completed",
    });
  });

  test("order - autoComplete in any other status does nothing", () => {
    for (const order of [
      pendingPayment(),
      awaitingShipment(),
      completed(),
      cancelledByTimeout(),
      refunded(),
    ]) {
      const before = structuredClone(order.state);
      const d = order.fire("autoComplete");
      expect(d.events).toEqual([]);
      expect(d.effects ?? []).toEqual([]);
      expect(order.state).toEqual(before);
    }
  });

  test("order - an unknown timer does nothing", () => {
    const order = pendingPayment();
    expect(order.fire("reminder").events).toEqual([]);
  });

  test("order - an autoComplete that came due during a rejected after-sales request is not lost", () => {
    // Shipped, the buyer asks for a return; the auto-complete deadline passes while it is being decided
    // (the timer fires and, the order being return_requested, does nothing); then the request is rejected
    // and the order is back in shipped. It must still complete by itself eventually.
    const order = shipped();
    order.advance(DAY);
    order.send(returnAndRefund());
    order.advance(10 * DAY);
    order.fire("autoComplete");
    order.advance(DAY);
    const rejected = order.send(reject, { by: "ops-1" });
    expect(order.state.status).toBe("shipped");
    const armed = order.timers.has("autoComplete");
    const completedNow = types(rejected).includes("completed");
    expect(armed || completedNow).toBe(true);
  });
});

// ---- each command's legal transition ----

describe("order - commands", () => {
  test("order - cancel while pending payment releases everything and drops the deadline", () => {
    const order = pendingPayment().advance(MIN);
    const d = order.send({ type: "cancel", reason: "changed my mind" });
    expect(d.events).toEqual([{ type: "cancelled", reason: "changed my mind", at: order.now, by: USER }]);
    expect(d.reply).toEqual({ orderId: ID, status: "cancelled" });
    expect(order.keys(d)).toEqual(["release:SKU-A", "release:SKU-B", "member:cancel"]);
    expect(d.effects?.[0]?.cmd).toEqual({ type: "release", orderId: ID, reason: "changed my mind" });
    expect(d.timers).toEqual({ cancel: ["expire"] });
    expect(order.timers.has("expire")).toBe(false);
    expect(order.state.status).toBe("cancelled");
    expect(order.state.timeline.at(-1)).toEqual({
      status: "cancelled",
      at: order.now,
      by: USER,
      reason: "changed my mind",
    });
  });

  test("order - markPaid with the total moves to awaiting shipment", () => {
    const order = pendingPayment().advance(MIN);
    const d = order.send(markPaid(), { by: "system:payment" });
    expect(d.events).toEqual([
      {
        type: "paid",
        paymentId: PAYMENT,
        channel: "wechat",
        amount: TOTAL,
        at: order.now,
        by: "system:payment",
      },
    ]);
    expect(d.reply).toEqual({ orderId: ID, status: "awaiting_shipment" });
    expect(d.timers).toEqual({ cancel: ["expire"] });
    expect(order.state.status).toBe("awaiting_shipment");
    expect(order.state.payment).toEqual({
      paymentId: PAYMENT,
      channel: "wechat",
      amount: TOTAL,
      at: order.now,
    });
  });

  test("order - markPaid with a wrong amount is a conflict and changes nothing", () => {
    const order = pendingPayment();
    for (const amount of [TOTAL - 1, TOTAL + 1, 0]) {
      const error = order.refused(markPaid(amount), "conflict");
      expect(error.details).toEqual({ expected: TOTAL, paid: amount });
    }
    expect(order.state.status).toBe("pending_payment");
    expect(order.state.payment).toBeNull();
    expect(order.timers.has("expire")).toBe(true);
  });

  test("order - ship commits every reservation and arms autoComplete", () => {
    const order = awaitingShipment().advance(DAY);
    const d = order.send(shipCmd, { by: "ops-1" });
    expect(d.events).toEqual([
      {
        type: "shipped",
        carrier: "SF",
        trackingNo: "SF123456",
        autoCompleteAt: order.now + 10 * DAY,
        at: order.now,
        by: "ops-1",
      },
    ]);
    expect(d.effects).toEqual([
      { key: "commit:SKU-A", to: { kind: "sku", id: "SKU-A" }, cmd: { type: "commit", orderId: ID } },
      { key: "commit:SKU-B", to: { kind: "sku", id: "SKU-B" }, cmd: { type: "commit", orderId: ID } },
      // The order's shipment (issue 13): the operator's number, every line, the destination's province.
      {
        key: "shipment:create",
        to: { kind: "shipment", id: `${ID}:S1` },
        cmd: expect.objectContaining({
          type: "create",
          orderId: ID,
          carrier: "SF",
          waybillNo: "SF123456",
          toRegion: "310000",
          phone: "861****0000",
          lines: [
            { sku: "SKU-A", qty: 2 },
            { sku: "SKU-B", qty: 1 },
          ],
        }),
      },
    ]);
    expect(d.timers).toEqual({ set: [{ name: "autoComplete", at: order.now + 10 * DAY }] });
    expect(order.state.shipment).toEqual({ carrier: "SF", trackingNo: "SF123456", at: order.now });
    expect(types(order.answer("commit:SKU-A", ok()))).toEqual(["lineCommitted"]);
    // A refused commit records nothing.
    expect(order.answer("commit:SKU-B", no("conflict", "released")).events).toEqual([]);
    expect(order.state.lines.map((l) => l.state)).toEqual(["committed", "reserved"]);
  });

  test("order - confirmReceipt completes, cancels autoComplete and credits the member", () => {
    const order = shipped().advance(DAY);
    const d = order.send({ type: "confirmReceipt" });
    expect(d.events).toEqual([{ type: "completed", auto: false, at: order.now, by: USER }]);
    expect(d.timers).toEqual({ cancel: ["autoComplete"] });
    expect(d.effects).toEqual([
      {
        key: "member:complete",
        to: { kind: "member", id: USER },
        cmd: { type: "completeOrder", orderId: ID, amount: TOTAL },
      },
    ]);
    expect(order.timers.has("autoComplete")).toBe(false);
    expect(order.state.timeline.at(-1)).toMatchObject({ status: "completed", reason: "receipt confirmed" });
  });

  test("order - changeAddress before shipment replaces the address and keeps the status", () => {
    for (const order of [pendingPayment(), awaitingShipment()]) {
      const status = order.state.status;
      const d = order.send({ type: "changeAddress", address: NEW_ADDRESS });
      expect(d.events).toEqual([{ type: "addressChanged", address: NEW_ADDRESS, at: order.now, by: USER }]);
      expect(d.reply).toEqual({ orderId: ID, address: NEW_ADDRESS });
      expect(order.state.address).toEqual(NEW_ADDRESS);
      expect(order.state.status).toBe(status);
    }
    expect(
      orderCommandSchema.safeParse({ type: "changeAddress", address: { ...NEW_ADDRESS, extra: 1 } }).success,
    ).toBe(false);
  });
});

// ---- illegal transitions, table-driven ----

interface Scenario {
  name: string;
  build: () => Order;
  status: OrderStatus;
  /** An after-sales request is waiting for its decision. */
  undecided?: boolean;
  /** A return was approved and has not been received yet. */
  returnApproved?: boolean;
  /** Where fulfilment stands for a partially refunded order. */
  stage?: OrderStatus;
}

const SCENARIOS: Scenario[] = [
  { name: "placing", build: () => placing(), status: "placing" },
  { name: "pending payment", build: pendingPayment, status: "pending_payment" },
  { name: "cancelled by the buyer", build: cancelledByBuyer, status: "cancelled" },
  { name: "cancelled by the timeout", build: cancelledByTimeout, status: "cancelled" },
  { name: "cancelled: placement failed", build: placementFailed, status: "cancelled" },
  { name: "awaiting shipment", build: awaitingShipment, status: "awaiting_shipment" },
  { name: "awaiting its group", build: awaitingGroup, status: "awaiting_group" },
  { name: "awaiting its presale balance", build: awaitingBalance, status: "awaiting_balance" },
  {
    name: "partially refunded before shipment",
    build: partiallyRefunded,
    status: "partially_refunded",
    stage: "awaiting_shipment",
  },
  { name: "shipped", build: shipped, status: "shipped" },
  { name: "delivered", build: delivered, status: "delivered" },
  { name: "completed", build: completed, status: "completed" },
  { name: "refund requested", build: refundRequested, status: "refund_requested", undecided: true },
  { name: "refund approved", build: refundApproved, status: "refund_requested" },
  { name: "refunded", build: refunded, status: "refunded" },
  { name: "return requested", build: () => returnRequested(), status: "return_requested", undecided: true },
  {
    name: "return requested of a completed order",
    build: () => returnRequested(completed),
    status: "return_requested",
    undecided: true,
  },
  {
    name: "return approved",
    build: () => returnApproved(),
    status: "return_requested",
    returnApproved: true,
  },
  { name: "returned", build: returned, status: "returned" },
];

interface CommandCase {
  name: string;
  command: Input;
  legal: (s: Scenario) => boolean;
  /** The status after an accepted command. */
  next: (s: Scenario) => OrderStatus;
}

const inStatus =
  (...statuses: OrderStatus[]) =>
  (s: Scenario) =>
    statuses.includes(s.status) || (s.stage !== undefined && statuses.includes(s.stage));
const same = (s: Scenario) => s.status;

const COMMANDS: CommandCase[] = [
  {
    name: "cancel",
    command: { type: "cancel", reason: "buyer" },
    legal: inStatus("pending_payment"),
    next: () => "cancelled",
  },
  {
    name: "markPaid",
    command: markPaid(),
    legal: inStatus("pending_payment"),
    next: () => "awaiting_shipment",
  },
  { name: "ship", command: shipCmd, legal: inStatus("awaiting_shipment"), next: () => "shipped" },
  {
    name: "confirmReceipt",
    command: { type: "confirmReceipt" },
    legal: inStatus("shipped", "delivered"),
    next: () => "completed",
  },
  {
    name: "changeAddress",
    command: { type: "changeAddress", address: NEW_ADDRESS },
    legal: inStatus("pending_payment", "awaiting_group", "awaiting_shipment"),
    next: same,
  },
  {
    name: "requestAfterSales refund_only",
    command: refundOnly(),
    legal: inStatus("awaiting_shipment", "shipped", "delivered", "completed"),
    next: () => "refund_requested",
  },
  {
    name: "requestAfterSales return_and_refund",
    command: returnAndRefund(),
    legal: inStatus("shipped", "delivered", "completed"),
    next: () => "return_requested",
  },
  { name: "decideAfterSales", command: approve, legal: (s) => s.undecided === true, next: same },
  { name: "receiveReturn", command: restock, legal: (s) => s.returnApproved === true, next: same },
];

describe("order - transitions", () => {
  for (const scenario of SCENARIOS) {
    for (const c of COMMANDS) {
      const legal = c.legal(scenario);
      test(`order - ${c.name} when ${scenario.name} is ${legal ? "accepted" : "a conflict"}`, () => {
        const order = scenario.build();
        expect(order.state.status).toBe(scenario.status);
        if (legal) {
          const d = order.send(c.command, { by: "ops-1" });
          expect(d.events.length).toBeGreaterThan(0);
          expect(order.state.status).toBe(c.next(scenario));
        } else {
          const error = order.refused(c.command, "conflict", { by: "ops-1" });
          expect(error.details?.orderStatus).toBe(scenario.status);
        }
      });
    }
  }

  test("order - every command on a new order is not_found", () => {
    const order = new Order();
    for (const c of COMMANDS) order.refused(c.command, "not_found");
  });

  test("order - every status is reached by the scenarios", () => {
    const reached = new Set(SCENARIOS.map((s) => s.status));
    expect([...reached].sort()).toEqual(ORDER_STATUSES.filter((s) => s !== "new").sort());
  });
});

// ---- after-sales ----

describe("order - after-sales", () => {
  test("order - a refund request defaults to everything paid and records where it came from", () => {
    const order = awaitingShipment().advance(MIN);
    const d = order.send(refundOnly());
    expect(d.events).toEqual([
      {
        type: "afterSalesRequested",
        kind: "refund_only",
        reason: "no longer needed",
        amount: TOTAL,
        at: order.now,
        by: USER,
      },
    ]);
    expect(d.reply).toEqual({ orderId: ID, status: "refund_requested", amount: TOTAL });
    expect(order.state.afterSales).toEqual({
      kind: "refund_only",
      reason: "no longer needed",
      amount: TOTAL,
      from: "awaiting_shipment",
      approved: null,
    });
  });

  test("order - refund amounts must be between 1 and what is refundable", () => {
    const order = completed();
    for (const amount of [0, TOTAL + 1]) {
      expect(order.refused(refundOnly(amount), "invalid").details).toEqual({
        field: "amount",
        refundable: TOTAL,
      });
      expect(order.refused(returnAndRefund(amount), "invalid").details).toEqual({
        field: "amount",
        refundable: TOTAL,
      });
    }
    expect(orderCommandSchema.safeParse(refundOnly(-1)).success).toBe(false);
    expect(orderCommandSchema.safeParse(refundOnly(1.5)).success).toBe(false);
    expect(order.decide(refundOnly(TOTAL)).events[0]).toMatchObject({ amount: TOTAL });
    expect(order.decide(refundOnly(1)).events[0]).toMatchObject({ amount: 1 });
  });

  test("order - refund_only before shipment, approved: releases the reservations and refunds on the payment", () => {
    const order = refundRequested().advance(MIN);
    const d = order.send(approve, { by: "ops-1" });
    expect(d.events).toEqual([
      { type: "afterSalesDecided", approved: true, note: "ok", at: order.now, by: "ops-1" },
    ]);
    expect(d.reply).toEqual({ orderId: ID, approved: true });
    expect(d.effects).toEqual(
      expect.arrayContaining([
        {
          key: "release:SKU-A",
          to: { kind: "sku", id: "SKU-A" },
          cmd: { type: "release", orderId: ID, reason: "refunded before shipment" },
        },
        {
          key: "release:SKU-B",
          to: { kind: "sku", id: "SKU-B" },
          cmd: { type: "release", orderId: ID, reason: "refunded before shipment" },
        },
        {
          key: "refund:O-1-r1",
          to: { kind: "payment", id: PAYMENT },
          cmd: { type: "refund", refundId: "O-1-r1", amount: TOTAL },
        },
      ]),
    );
    expect(order.state.status).toBe("refund_requested");
    expect(order.state.afterSales?.approved).toBe(true);
    // Deciding twice is a conflict.
    expect(order.refused(approve, "conflict").details).toEqual({ orderStatus: "refund_requested" });

    order.answer("release:SKU-A", ok());
    order.answer("release:SKU-B", ok());
    if (order.pending.has("member:cancel")) order.answer("member:cancel", ok());
    const refund = order.answer("refund:O-1-r1", ok({ refundId: "O-1-r1", amount: TOTAL }));
    expect(refund.events).toEqual([
      {
        type: "refunded",
        status: "refunded",
        refundId: "O-1-r1",
        amount: TOTAL,
        at: order.now,
        by: "system",
      },
    ]);
    expect(order.state.status).toBe("refunded");
    expect(order.state.refunded).toBe(TOTAL);
    expect(order.state.lines.map((l) => l.state)).toEqual(["released", "released"]);
    // The member's record of the order is cancelled exactly once.
    expect(order.startedTo("member", "cancelOrder")).toHaveLength(1);
  });

  test("order - refund before shipment: the member is cancelled once, whatever order the answers come in", () => {
    for (const sequence of permutations([
      "release:SKU-A",
      "release:SKU-B",
      "member:cancel",
      "refund:O-1-r1",
    ])) {
      const order = refundApproved();
      for (const key of sequence) {
        if (!order.pending.has(key)) continue; // e.g. the member is cancelled only after the refund
        order.answer(key, key.startsWith("refund:") ? ok({ refundId: "O-1-r1", amount: TOTAL }) : ok());
      }
      for (const key of [...order.pending.keys()]) order.answer(key, ok());
      expect(order.state.status).toBe("refunded");
      expect(order.startedTo("member", "cancelOrder")).toHaveLength(1);
      expect(order.state.member).toBe("released");
    }
  });

  test("order - a payment refusing the refund changes nothing", () => {
    const order = refundApproved();
    const d = order.answer("refund:O-1-r1", no("conflict", "cannot refund a payment that is refunded"));
    expect(d.events).toEqual([]);
    expect(order.state.status).toBe("refund_requested");
  });

  test("order - the refund of an order that was not completed cancels the member's record of it", () => {
    const order = returnApproved(shipped).advance(DAY);
    order.send(restock, { by: "wh-1" });
    for (const key of [...order.pending.keys()].filter((k) => k.startsWith("restock:")))
      order.answer(key, ok());
    const d = order.answer("refund:O-1-r1", ok());
    expect(types(d)).toEqual(["refunded"]);
    expect(d.effects).toEqual([
      {
        key: "member:cancel",
        to: { kind: "member", id: USER },
        cmd: { type: "cancelOrder", orderId: ID, reason: "refunded" },
      },
    ]);
    expect(order.state.status).toBe("returned");
  });

  test("order - the refund of a completed order reverses it on the member (refundOrder)", () => {
    const order = returnApproved(completed).advance(DAY);
    order.send({ ...restock, disposition: "scrap" }, { by: "wh-1" });
    const d = order.answer("refund:O-1-r1", ok());
    expect(types(d)).toEqual(["refunded"]);
    expect(d.effects).toEqual([
      {
        key: "member:refund:O-1-r1",
        to: { kind: "member", id: USER },
        cmd: { type: "refundOrder", orderId: ID, refundId: "O-1-r1", amount: TOTAL },
      },
    ]);
  });

  test("order - refund_only of a completed order reverses the member's points and never cancels the order there", () => {
    // The member refuses cancelOrder for a completed order (conflict); the points must still be reversed.
    for (const refundFirst of [true, false]) {
      const order = completed().advance(DAY);
      order.send(refundOnly(1_000));
      const approval = order.send(approve, { by: "ops-1" });
      expect(order.keys(approval)).toContain("refund:O-1-r1");
      const answerMember = () => {
        if (order.pending.has("member:cancel"))
          order.answer("member:cancel", no("conflict", `cannot cancel an order that is completed`));
      };
      if (!refundFirst) answerMember();
      order.answer("refund:O-1-r1", ok());
      answerMember();
      // 1,000 of the total: the order stays, partially refunded (decision 0024).
      expect(order.state.status).toBe("partially_refunded");
      expect(order.state.refunded).toBe(1_000);
      expect(order.startedTo("member", "cancelOrder")).toEqual([]);
      expect(order.startedTo("member", "refundOrder").map((e) => e.cmd)).toEqual([
        { type: "refundOrder", orderId: ID, refundId: "O-1-r1", amount: 1_000 },
      ]);
    }
  });

  test("order - return and refund: approve, receive and restock, then refund", () => {
    const order = returnRequested(shipped).advance(MIN);
    expect(order.state.afterSales).toMatchObject({
      kind: "return_and_refund",
      from: "shipped",
      approved: null,
    });
    // Not before it is approved.
    expect(order.refused(restock, "conflict").details).toEqual({ orderStatus: "return_requested" });
    const approval = order.send(approve, { by: "ops-1" });
    expect(approval.effects ?? []).toEqual([]); // nothing moves until the goods are back
    order.advance(DAY);
    const d = order.send(restock, { by: "wh-1" });
    expect(d.events).toEqual([
      { type: "returnReceived", warehouse: "WH-R", disposition: "restock", at: order.now, by: "wh-1" },
    ]);
    expect(d.reply).toEqual({ orderId: ID, disposition: "restock" });
    expect(d.effects).toEqual([
      {
        key: "restock:SKU-A",
        to: { kind: "sku", id: "SKU-A" },
        cmd: { type: "receive", warehouse: "WH-R", qty: 2, reason: "return of O-1" },
      },
      {
        key: "restock:SKU-B",
        to: { kind: "sku", id: "SKU-B" },
        cmd: { type: "receive", warehouse: "WH-R", qty: 1, reason: "return of O-1" },
      },
      {
        key: "refund:O-1-r1",
        to: { kind: "payment", id: PAYMENT },
        cmd: { type: "refund", refundId: "O-1-r1", amount: TOTAL },
      },
    ]);
    for (const key of ["restock:SKU-A", "restock:SKU-B"]) expect(order.answer(key, ok()).events).toEqual([]);
    order.answer("refund:O-1-r1", ok());
    expect(order.state.status).toBe("returned");
    expect(order.state.refunded).toBe(TOTAL);
  });

  test("order - a scrapped return refunds without restocking", () => {
    const order = returnApproved(completed).advance(DAY);
    const d = order.send({ type: "receiveReturn", warehouse: "WH-R", disposition: "scrap" }, { by: "wh-1" });
    expect(order.keys(d)).toEqual(["refund:O-1-r1"]);
    expect(order.startedTo("sku", "receive")).toEqual([]);
  });

  test("order - a return is received once: receiving it again while the refund is pending is a conflict", () => {
    const order = returnApproved(shipped).advance(DAY);
    order.send(restock, { by: "wh-1" });
    // A double-submitted form (another command id) must not restock and refund a second time.
    const error = order.refused(restock, "conflict", { by: "wh-1" });
    expect(error.details?.orderStatus).toBe("return_requested");
  });

  test("order - rejecting after-sales goes back to the status it came from", () => {
    const cases: Array<[() => Order, Input, OrderStatus]> = [
      [awaitingShipment, refundOnly(), "awaiting_shipment"],
      [shipped, refundOnly(), "shipped"],
      [completed, refundOnly(), "completed"],
      [shipped, returnAndRefund(), "shipped"],
      [completed, returnAndRefund(), "completed"],
    ];
    for (const [build, request, from] of cases) {
      const order = build().advance(MIN);
      order.send(request);
      order.advance(MIN);
      const d = order.send(reject, { by: "ops-1" });
      expect(d.events).toEqual([
        { type: "afterSalesDecided", approved: false, note: "outside policy", at: order.now, by: "ops-1" },
      ]);
      expect(d.effects ?? []).toEqual([]);
      expect(d.reply).toEqual({ orderId: ID, approved: false });
      expect(order.state.status).toBe(from);
      expect(order.state.timeline.at(-1)).toEqual({
        status: from,
        at: order.now,
        by: "ops-1",
        reason: "outside policy",
      });
      expect(order.state.refunded).toBe(0);
    }
  });

  test("order - a second request after a rejection refunds under a new refund id", () => {
    const order = awaitingShipment();
    order.send(refundOnly());
    order.send(reject, { by: "ops-1" });
    order.send(refundOnly(500));
    const d = order.send(approve, { by: "ops-1" });
    expect(d.effects?.find((e) => e.key.startsWith("refund:"))).toMatchObject({
      key: "refund:O-1-r2",
      cmd: { type: "refund", refundId: "O-1-r2", amount: 500 },
    });
  });
});

// ---- timeline and replay ----

describe("order - timeline and replay", () => {
  test("order - the timeline records each status with its time and actor, and replay rebuilds the state", () => {
    const order = placing();
    order.advance(1_000);
    order.answer("reserve:SKU-A", reservedReply(2));
    order.answer("reserve:SKU-B", reservedReply(1));
    order.answer("member:record", ok());
    const tPending = order.now;
    order.advance(5 * MIN).send(markPaid(), { by: "system:payment" });
    const tPaid = order.now;
    order.advance(DAY).send(shipCmd, { by: "ops-1" });
    order.answer("shipment:create", ok());
    const tShipped = order.now;
    order.answer("commit:SKU-A", ok());
    order.answer("commit:SKU-B", ok());
    order.advance(DAY).send({ type: "confirmReceipt" });
    const tCompleted = order.now;
    order.answer("member:complete", ok());
    order.advance(DAY).send(returnAndRefund());
    const tReturn = order.now;
    order.advance(MIN).send(approve, { by: "ops-1" });
    order.advance(2 * DAY).send(restock, { by: "wh-1" });
    for (const key of [...order.pending.keys()].filter((k) => k.startsWith("restock:")))
      order.answer(key, ok());
    order.advance(MIN).answer("refund:O-1-r1", ok());
    const tReturned = order.now;
    order.answer("member:refund:O-1-r1", ok());

    expect(order.state.timeline).toEqual([
      { status: "placing", at: T0, by: USER },
      { status: "pending_payment", at: tPending, by: "system" },
      { status: "awaiting_shipment", at: tPaid, by: "system:payment", reason: "paid" },
      { status: "shipped", at: tShipped, by: "ops-1" },
      { status: "completed", at: tCompleted, by: USER, reason: "receipt confirmed" },
      { status: "return_requested", at: tReturn, by: USER, reason: "wrong size" },
      { status: "returned", at: tReturned, by: "system" },
    ]);
    expect(order.state).toMatchObject({ status: "returned", refunded: TOTAL, placeFailure: null });
    expect(order.pending.size).toBe(0);

    const replayed = (JSON.parse(JSON.stringify(order.events)) as OrderEvent[]).reduce(
      applyOrderEvent,
      initialOrder(),
    );
    expect(replayed).toEqual(order.state);
    // Every stored event is readable again.
    for (const event of order.events) expect(orderEventSchema.parse(event)).toEqual(event);
  });

  test("order - a failed placement and a timeout replay to the same state", () => {
    for (const order of [placementFailed(), cancelledByTimeout(), refunded()]) {
      const replayed = (JSON.parse(JSON.stringify(order.events)) as OrderEvent[]).reduce(
        applyOrderEvent,
        initialOrder(),
      );
      expect(replayed).toEqual(order.state);
    }
  });
});
