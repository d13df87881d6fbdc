import { describe, expect, test } from "bun:test";
import { orderCommandSchema } from "../order/index.ts";
import type { DecideContext, Decision, Reply } from "../runtime/index.ts";
import { DomainError, type DomainErrorKind } from "../runtime/index.ts";
import {
  type PaymentCommand,
  type PaymentEvent,
  type PaymentState,
  paymentCommandSchema,
  paymentEventSchema,
  paymentKind,
} from "./kind.ts";

const ID = "P-1";
const ORDER = "O-1";
const AMOUNT = 7_300;
const NOW = 1_700_000_000_000;
const PAID_AT = "2023-11-14T22:13:20.000Z";

type Handler = (state: PaymentState, command: PaymentCommand, ctx: DecideContext) => Decision<PaymentEvent>;

const ctx = (by = "channel:wechat"): DecideContext => ({
  id: ID,
  now: NOW,
  meta: { by },
  commandId: "cmd-1",
});

/** Checks a decision the way the runtime does: the state is left alone, events and effects are well-formed. */
function checked(state: PaymentState, run: () => Decision<PaymentEvent>): Decision<PaymentEvent> {
  const before = structuredClone(state);
  const decision = run();
  expect(state).toEqual(before); // decisions are pure
  for (const event of decision.events) paymentEventSchema.parse(event);
  for (const effect of decision.effects ?? []) {
    expect(effect.to.kind).toBe("order");
    orderCommandSchema.parse(effect.cmd); // the order can read what the payment sends it
  }
  return decision;
}

function decide(state: PaymentState, command: PaymentCommand, by?: string): Decision<PaymentEvent> {
  const parsed = paymentCommandSchema.parse(command);
  const handler = paymentKind.handlers[parsed.type] as unknown as Handler;
  return checked(state, () => handler(state, parsed, ctx(by)));
}

const applyAll = (state: PaymentState, decision: Decision<PaymentEvent>): PaymentState =>
  decision.events.reduce(paymentKind.apply, state);

/** Decides and applies; returns the decision and the state it leads to. */
function run(state: PaymentState, command: PaymentCommand, by?: string) {
  const decision = decide(state, command, by);
  return { decision, state: applyAll(state, decision) };
}

function refused(state: PaymentState, command: PaymentCommand, kind: DomainErrorKind): DomainError {
  const before = structuredClone(state);
  try {
    decide(state, command);
  } catch (error) {
    expect(error).toBeInstanceOf(DomainError);
    expect((error as DomainError).kind).toBe(kind);
    expect(state).toEqual(before);
    return error as DomainError;
  }
  throw new Error(`expected ${command.type} to be refused with ${kind}`);
}

function onEffect(state: PaymentState, key: string, reply: Reply) {
  const decision = checked(state, () =>
    paymentKind.onEffect!(state, { key, reply }, { id: ID, now: NOW, meta: { by: "system:effect" } }),
  );
  return { decision, state: applyAll(state, decision) };
}

const createCmd: PaymentCommand = {
  type: "create",
  orderId: ORDER,
  userId: "U-1",
  amount: AMOUNT,
  channel: "wechat",
};
const confirm = (over: Partial<Extract<PaymentCommand, { type: "confirm" }>> = {}): PaymentCommand => ({
  type: "confirm",
  channelTxnId: "WX-TXN-1",
  amount: AMOUNT,
  status: "paid",
  paidAt: PAID_AT,
  ...over,
});
const refund = (refundId: string, amount: number): PaymentCommand => ({ type: "refund", refundId, amount });

const created = () => run(paymentKind.initialState(ID), createCmd, "U-1").state;
const paid = () => run(created(), confirm()).state;

describe("payment - create", () => {
  test("payment - create records the attempt", () => {
    const { decision, state } = run(paymentKind.initialState(ID), createCmd, "U-1");
    expect(decision.events).toEqual([
      {
        type: "created",
        orderId: ORDER,
        userId: "U-1",
        amount: AMOUNT,
        channel: "wechat",
        at: NOW,
        by: "U-1",
      },
    ]);
    expect(decision.reply).toEqual({ paymentId: ID, orderId: ORDER, amount: AMOUNT, channel: "wechat" });
    expect(state).toMatchObject({
      status: "created",
      orderId: ORDER,
      userId: "U-1",
      amount: AMOUNT,
      refunded: 0,
    });
  });

  test("payment - creating twice is a conflict", () => {
    expect(refused(created(), createCmd, "conflict").details).toEqual({ paymentStatus: "created" });
    expect(refused(paid(), createCmd, "conflict").details).toEqual({ paymentStatus: "paid" });
  });

  test("payment - a zero amount or an unknown channel never reaches the handler", () => {
    expect(paymentCommandSchema.safeParse({ ...createCmd, amount: 0 }).success).toBe(false);
    expect(paymentCommandSchema.safeParse({ ...createCmd, channel: "paypal" }).success).toBe(false);
  });

  test("payment - get and confirm of an unknown payment are not_found", () => {
    const state = paymentKind.initialState(ID);
    refused(state, { type: "get" }, "not_found");
    refused(state, confirm(), "not_found");
    expect(decide(created(), { type: "get" }).reply).toMatchObject({ paymentId: ID, status: "created" });
  });
});

describe("payment - confirm", () => {
  test("payment - a paid callback with the right amount captures and tells the order", () => {
    const { decision, state } = run(created(), confirm());
    expect(decision.events).toEqual([
      {
        type: "captured",
        channelTxnId: "WX-TXN-1",
        amount: AMOUNT,
        paidAt: PAID_AT,
        at: NOW,
        by: "channel:wechat",
      },
    ]);
    expect(decision.reply).toEqual({ accepted: true });
    expect(decision.effects).toEqual([
      {
        key: "markPaid",
        to: { kind: "order", id: ORDER },
        cmd: { type: "markPaid", paymentId: ID, channel: "wechat", amount: AMOUNT },
      },
    ]);
    expect(state).toMatchObject({ status: "paid", channelTxnId: "WX-TXN-1" });
  });

  test("payment - a wrong amount is recorded, refused, and leaves the payment open", () => {
    for (const amount of [AMOUNT - 1, AMOUNT + 1, 0]) {
      const { decision, state } = run(created(), confirm({ amount }));
      expect(decision.events).toEqual([
        {
          type: "callbackRejected",
          reason: "amount mismatch",
          amount,
          channelTxnId: "WX-TXN-1",
          at: NOW,
          by: "channel:wechat",
        },
      ]);
      expect(decision.reply).toMatchObject({ accepted: false });
      expect(decision.effects ?? []).toEqual([]);
      expect(state).toMatchObject({ status: "created", rejectedCallbacks: 1, channelTxnId: null });
      // The right amount is still accepted afterwards.
      expect(run(state, confirm()).state.status).toBe("paid");
    }
  });

  test("payment - the same transaction confirmed again is a duplicate, accepted without events", () => {
    const state = paid();
    const decision = decide(state, confirm());
    expect(decision).toEqual({ events: [], reply: { accepted: true, duplicate: true } });
    expect(decision.effects).toBeUndefined();
  });

  test("payment - another transaction after it was paid is a conflict", () => {
    const error = refused(paid(), confirm({ channelTxnId: "WX-TXN-2" }), "conflict");
    expect(error.details).toEqual({ paymentStatus: "paid" });
  });

  test("payment - a failed callback marks the payment failed and tells nobody", () => {
    const { decision, state } = run(created(), confirm({ status: "failed" }));
    expect(decision.events).toEqual([
      { type: "failed", reason: "channel reported failure", at: NOW, by: "channel:wechat" },
    ]);
    expect(decision.reply).toEqual({ accepted: true });
    expect(decision.effects ?? []).toEqual([]);
    expect(state.status).toBe("failed");
    // A later success on a failed attempt is refused: a new attempt is a new payment.
    expect(refused(state, confirm({ channelTxnId: "WX-TXN-2" }), "conflict").details).toEqual({
      paymentStatus: "failed",
    });
    refused(state, refund("R-1", 1), "conflict");
  });
});

describe("payment - refund", () => {
  test("payment - a partial then the remaining refund: partially_refunded, then refunded", () => {
    const first = run(paid(), refund("O-1-r1", 3_000), "system:effect");
    expect(first.decision.events).toEqual([
      {
        type: "refunded",
        refundId: "O-1-r1",
        amount: 3_000,
        refundTxnId: "RFO-1-r1",
        at: NOW,
        by: "system:effect",
      },
    ]);
    expect(first.decision.reply).toEqual({ refundId: "O-1-r1", amount: 3_000 });
    expect(first.state).toMatchObject({ status: "partially_refunded", refunded: 3_000 });

    const second = run(first.state, refund("O-1-r2", AMOUNT - 3_000));
    expect(second.state).toMatchObject({ status: "refunded", refunded: AMOUNT });
    expect(second.state.refunds).toEqual([
      { refundId: "O-1-r1", amount: 3_000, refundTxnId: "RFO-1-r1" },
      { refundId: "O-1-r2", amount: AMOUNT - 3_000, refundTxnId: "RFO-1-r2" },
    ]);
    // Nothing is left to refund.
    expect(refused(second.state, refund("O-1-r3", 1), "conflict").details).toEqual({
      paymentStatus: "refunded",
    });
  });

  test("payment - refunding more than is left is invalid", () => {
    expect(refused(paid(), refund("R-1", AMOUNT + 1), "invalid").details).toEqual({ field: "amount" });
    const partly = run(paid(), refund("R-1", 5_000)).state;
    refused(partly, refund("R-2", AMOUNT - 5_000 + 1), "invalid");
    expect(run(partly, refund("R-2", AMOUNT - 5_000)).state.status).toBe("refunded");
    expect(paymentCommandSchema.safeParse(refund("R-3", 0)).success).toBe(false);
  });

  test("payment - a refund before the payment is paid is a conflict", () => {
    expect(refused(created(), refund("R-1", 100), "conflict").details).toEqual({ paymentStatus: "created" });
  });
});

describe("payment - the order's answer", () => {
  test("payment - the order refusing markPaid (it was cancelled) refunds everything automatically", () => {
    const { decision, state } = onEffect(paid(), "markPaid", {
      ok: false,
      error: { kind: "conflict", message: "cannot pay an order that is cancelled" },
    });
    expect(decision.events).toEqual([
      {
        type: "orderRefusedPayment",
        reason: "cannot pay an order that is cancelled",
        at: NOW,
        by: "system:effect",
      },
      {
        type: "refunded",
        refundId: "P-1-auto",
        amount: AMOUNT,
        refundTxnId: "RFP-1-auto",
        at: NOW,
        by: "system:effect",
      },
    ]);
    expect(decision.effects ?? []).toEqual([]);
    expect(state).toMatchObject({ status: "refunded", refunded: AMOUNT });
  });

  test("payment - the order accepting markPaid, or any other answer, changes nothing", () => {
    const state = paid();
    expect(
      onEffect(state, "markPaid", { ok: true, value: { status: "awaiting_shipment" } }).decision.events,
    ).toEqual([]);
    expect(
      onEffect(state, "other", { ok: false, error: { kind: "conflict", message: "no" } }).decision.events,
    ).toEqual([]);
  });

  test("payment - replaying the events rebuilds the same state", () => {
    const events: PaymentEvent[] = [];
    let state = paymentKind.initialState(ID);
    for (const command of [createCmd, confirm({ amount: 1 }), confirm(), refund("O-1-r1", 1_000)]) {
      const step = run(state, command);
      events.push(...step.decision.events);
      state = step.state;
    }
    const replayed = (JSON.parse(JSON.stringify(events)) as PaymentEvent[]).reduce(
      paymentKind.apply,
      paymentKind.initialState(ID),
    );
    expect(replayed).toEqual(state);
    expect(state).toMatchObject({ status: "partially_refunded", refunded: 1_000, rejectedCallbacks: 1 });
  });
});
