import { describe, expect, test } from "bun:test";
import type { DecideContext, Decision, Effect } from "../runtime/index.ts";
import { DomainError } from "../runtime/index.ts";
import {
  applyPurchaseOrderEvent,
  applySupplierEvent,
  initialPurchaseOrder,
  initialSupplierState,
  type PurchaseOrderCommand,
  type PurchaseOrderEvent,
  type PurchaseOrderState,
  purchaseOrderHandlers,
  purchaseOrderKind,
  purchaseOrderView,
  type SupplierCommand,
  type SupplierEvent,
  type SupplierState,
  suggestPurchase,
  supplierHandlers,
  supplierKind,
  supplierRating,
  supplierView,
} from "./index.ts";
import { onPurchaseOrderEffect } from "./po-actor.ts";

const T0 = 1_700_000_000_000;
const DAY = 86_400_000;

/** Runs one command through the PO's handler and applies its events, as the runtime would. */
class Po {
  state: PurchaseOrderState = initialPurchaseOrder();
  effects: Effect[] = [];
  now = T0;
  constructor(readonly id = "PO-1") {}
  run(cmd: PurchaseOrderCommand, by = "alice") {
    const ctx: DecideContext = { id: this.id, now: this.now, meta: { by } };
    const handler = purchaseOrderHandlers[cmd.type] as (
      s: PurchaseOrderState,
      c: PurchaseOrderCommand,
      ctx: DecideContext,
    ) => Decision<PurchaseOrderEvent>;
    const decision = handler(this.state, cmd, ctx);
    for (const e of decision.events) applyPurchaseOrderEvent(this.state, e);
    this.effects.push(...(decision.effects ?? []));
    return decision;
  }
  refusal(cmd: PurchaseOrderCommand, by = "alice"): { kind: string; reason: unknown; details: unknown } {
    try {
      this.run(cmd, by);
    } catch (error) {
      if (error instanceof DomainError)
        return { kind: error.kind, reason: error.details?.reason, details: error.details };
      throw error;
    }
    throw new Error(`${cmd.type} was not refused`);
  }
  view() {
    return purchaseOrderView(this.id, this.state);
  }
}

const settings = (approvalThreshold: number | null = null, receiptTolerancePercent = 0) => ({
  approvalThreshold,
  receiptTolerancePercent,
});

function approvedPo(lines = [{ sku: "S1", qty: 10, unitCost: 500 }], tolerance = 0) {
  const po = new Po();
  po.run({
    type: "create",
    supplier: "SUP",
    supplierStatus: "approved",
    warehouse: "WH",
    lines,
    expectedAt: T0 + DAY,
  });
  po.run({ type: "submit", settings: settings(null, tolerance) });
  po.run({ type: "approve" });
  return po;
}

describe("purchase order - state machine", () => {
  test("draft → submitted → approved → sent → partially received → received → closed", () => {
    const po = new Po();
    expect(
      po.run({
        type: "create",
        supplier: "SUP",
        supplierStatus: "approved",
        warehouse: "WH",
        lines: [{ sku: "S1", qty: 10, unitCost: 500 }],
      }).reply,
    ).toEqual({ poId: "PO-1", status: "draft" });
    po.run({ type: "submit", settings: settings() });
    expect(po.state.status).toBe("submitted");
    po.run({ type: "approve" });
    expect(po.state.status).toBe("approved");
    po.run({ type: "send" });
    expect(po.state.status).toBe("sent");
    po.run({ type: "receive", receiptId: "R1", lines: [{ sku: "S1", acceptedQty: 4 }] });
    expect(po.state.status).toBe("partially_received");
    po.run({ type: "receive", receiptId: "R2", lines: [{ sku: "S1", acceptedQty: 6 }] });
    expect(po.state.status).toBe("received");
    po.run({ type: "close" });
    expect(po.state.status).toBe("closed");
  });

  test("illegal transitions are refused with the PO's status, and nothing is written", () => {
    const po = new Po();
    expect(po.refusal({ type: "submit", settings: settings() }).kind).toBe("not_found");
    po.run({
      type: "create",
      supplier: "SUP",
      supplierStatus: "approved",
      warehouse: "WH",
      lines: [{ sku: "S1", qty: 10, unitCost: 500 }],
    });
    for (const cmd of [
      { type: "approve" },
      { type: "send" },
      { type: "close" },
      { type: "receive", receiptId: "R1", lines: [{ sku: "S1", acceptedQty: 1 }] },
    ] as PurchaseOrderCommand[]) {
      const refused = po.refusal(cmd);
      expect(refused.reason, cmd.type).toBe("purchase-order-state");
      expect((refused.details as { poStatus: string }).poStatus).toBe("draft");
    }
    po.run({ type: "cancel", reason: "wrong supplier" });
    expect(po.state.status).toBe("cancelled");
    expect(po.refusal({ type: "submit", settings: settings() }).reason).toBe("purchase-order-state");
    expect(po.refusal({ type: "cancel" }).reason).toBe("purchase-order-state");
  });

  test("a receipt is accepted once approved (sent is optional); a partially received PO cannot be cancelled, only closed", () => {
    const po = approvedPo();
    po.run({ type: "receive", receiptId: "R1", lines: [{ sku: "S1", acceptedQty: 3 }] });
    expect(po.refusal({ type: "cancel" }).reason).toBe("purchase-order-state");
    po.run({ type: "close", reason: "supplier out of stock" });
    expect(po.view()).toMatchObject({ status: "closed", endReason: "supplier out of stock" });
  });

  test("only approved suppliers get orders; each SKU once per PO", () => {
    const po = new Po();
    const refused = po.refusal({
      type: "create",
      supplier: "SUP",
      supplierStatus: "pending",
      warehouse: "WH",
      lines: [{ sku: "S1", qty: 1, unitCost: 1 }],
    });
    expect(refused.reason).toBe("supplier-not-approved");
    const twice = po.refusal({
      type: "create",
      supplier: "SUP",
      supplierStatus: "approved",
      warehouse: "WH",
      lines: [
        { sku: "S1", qty: 1, unitCost: 1 },
        { sku: "S1", qty: 2, unitCost: 1 },
      ],
    });
    expect(twice.kind).toBe("invalid");
    expect(po.state.status).toBe("new");
  });
});

describe("purchase order - approval threshold", () => {
  const create = (po: Po, threshold: number | null) => {
    po.run({
      type: "create",
      supplier: "SUP",
      supplierStatus: "approved",
      warehouse: "WH",
      lines: [{ sku: "S1", qty: 10, unitCost: 1_000 }],
    });
    po.run({ type: "submit", settings: settings(threshold) });
  };

  test("no threshold (a fresh install): one approval approves", () => {
    const po = new Po();
    create(po, null);
    po.run({ type: "approve" }, "alice");
    expect(po.view()).toMatchObject({ status: "approved", approval: { threshold: null, required: 1 } });
  });

  test("at or below the threshold: one approval; above it: a second, different operator", () => {
    const at = new Po();
    create(at, 10_000);
    at.run({ type: "approve" }, "alice");
    expect(at.state.status).toBe("approved");

    const above = new Po();
    create(above, 9_999);
    above.run({ type: "approve" }, "alice");
    expect(above.state.status).toBe("submitted");
    expect(above.effects).toEqual([]);
    const same = above.refusal({ type: "approve" }, "alice");
    expect(same.reason).toBe("second-approval-needed");
    expect(above.state.status).toBe("submitted");
    above.run({ type: "approve" }, "bob");
    expect(above.view()).toMatchObject({
      status: "approved",
      approval: { threshold: 9_999, required: 2, approvals: [{ by: "alice" }, { by: "bob" }] },
    });
  });

  test("the threshold is the one in force at submission", () => {
    const po = new Po();
    create(po, null);
    // A later change of the settings does not reach this PO: it keeps what it was submitted with.
    expect(po.state.settings).toEqual({ approvalThreshold: null, receiptTolerancePercent: 0 });
  });
});

describe("purchase order - in transit", () => {
  test("approval announces each line's quantity as in transit for the PO's warehouse", () => {
    const po = approvedPo([
      { sku: "S1", qty: 10, unitCost: 500 },
      { sku: "S2", qty: 4, unitCost: 100 },
    ]);
    expect(po.effects).toEqual([
      {
        key: "transit:S1",
        to: { kind: "sku", id: "S1" },
        cmd: { type: "announceInbound", warehouse: "WH", qty: 10, reference: "PO-1" },
      },
      {
        key: "transit:S2",
        to: { kind: "sku", id: "S2" },
        cmd: { type: "announceInbound", warehouse: "WH", qty: 4, reference: "PO-1" },
      },
    ]);
    expect(po.view().lines.map((l) => l.inTransit)).toEqual([10, 4]);
  });

  test("receipts settle what they accept (never more than was in transit); cancel and close settle the rest", () => {
    const po = approvedPo([{ sku: "S1", qty: 10, unitCost: 500 }], 20);
    po.effects = [];
    po.run({ type: "receive", receiptId: "R1", lines: [{ sku: "S1", acceptedQty: 6, rejectedQty: 2 }] });
    const settle = po.effects.filter((e) => e.cmd.type === "settleInbound");
    expect(settle.map((e) => e.cmd)).toEqual([
      { type: "settleInbound", warehouse: "WH", qty: 6, reference: "PO-1", reason: "received" },
    ]);
    expect(po.view().lines[0]!.inTransit).toBe(4);
    po.effects = [];
    // 6 more within the 20 % tolerance (limit 12): only the 4 still in transit are settled.
    po.run({ type: "receive", receiptId: "R2", lines: [{ sku: "S1", acceptedQty: 6 }] });
    expect(po.effects.filter((e) => e.cmd.type === "settleInbound").map((e) => e.cmd.qty)).toEqual([4]);
    expect(po.view().lines[0]!.inTransit).toBe(0);

    const cancelled = approvedPo([{ sku: "S1", qty: 10, unitCost: 500 }]);
    cancelled.effects = [];
    cancelled.run({ type: "cancel" });
    expect(cancelled.effects.map((e) => e.cmd)).toEqual([
      { type: "settleInbound", warehouse: "WH", qty: 10, reference: "PO-1", reason: "cancelled" },
    ]);

    const closed = approvedPo([{ sku: "S1", qty: 10, unitCost: 500 }]);
    closed.run({ type: "receive", receiptId: "R1", lines: [{ sku: "S1", acceptedQty: 7 }] });
    closed.effects = [];
    closed.run({ type: "close" });
    expect(closed.effects.map((e) => e.cmd)).toEqual([
      { type: "settleInbound", warehouse: "WH", qty: 3, reference: "PO-1", reason: "closed" },
    ]);
  });

  test("a draft or submitted PO puts nothing in transit and cancels without settling", () => {
    const po = new Po();
    po.run({
      type: "create",
      supplier: "SUP",
      supplierStatus: "approved",
      warehouse: "WH",
      lines: [{ sku: "S1", qty: 10, unitCost: 500 }],
    });
    po.run({ type: "submit", settings: settings() });
    po.run({ type: "cancel" });
    expect(po.effects).toEqual([]);
  });
});

describe("purchase order - replies wait for their effects", () => {
  test("approve defers its caller until every in-transit effect answered; the last answer resolves it, once", () => {
    const po = new Po();
    po.run({
      type: "create",
      supplier: "SUP",
      supplierStatus: "approved",
      warehouse: "WH",
      lines: [
        { sku: "S1", qty: 1, unitCost: 1 },
        { sku: "S2", qty: 2, unitCost: 1 },
      ],
    });
    po.run({ type: "submit", settings: settings() });
    const ctx: DecideContext = { id: "PO-1", now: T0, meta: { by: "alice" }, commandId: "cmd-approve" };
    const decision = purchaseOrderHandlers.approve(po.state, { type: "approve" }, ctx);
    expect(decision.defer).toBe(true);
    for (const e of decision.events) applyPurchaseOrderEvent(po.state, e);
    expect([...po.state.awaiting.keys()]).toEqual(["cmd-approve"]);
    const first = onPurchaseOrderEffect(po.state, { key: "transit:S1", reply: { ok: true } }, ctx);
    expect(first.resolve).toEqual([]);
    for (const e of first.events) applyPurchaseOrderEvent(po.state, e);
    const last = onPurchaseOrderEffect(po.state, { key: "transit:S2", reply: { ok: true } }, ctx);
    expect(last.resolve).toEqual([{ commandId: "cmd-approve", reply: { ok: true, value: decision.reply } }]);
    for (const e of last.events) applyPurchaseOrderEvent(po.state, e);
    expect(po.state.awaiting.size).toBe(0);
  });
});

describe("purchase order - receipts", () => {
  test("tolerance: accepted units never exceed ordered + tolerance over all receipts", () => {
    const po = approvedPo([{ sku: "S1", qty: 10, unitCost: 500 }], 10);
    po.run({ type: "receive", receiptId: "R1", lines: [{ sku: "S1", acceptedQty: 8 }] });
    const over = po.refusal({ type: "receive", receiptId: "R2", lines: [{ sku: "S1", acceptedQty: 4 }] });
    expect(over.reason).toBe("receipt-exceeds-order");
    expect(over.details).toMatchObject({
      ordered: 10,
      accepted: 8,
      maxAcceptable: 11,
      field: "lines.0.acceptedQty",
    });
    po.run({ type: "receive", receiptId: "R2", lines: [{ sku: "S1", acceptedQty: 3 }] });
    expect(po.view().lines[0]).toMatchObject({ acceptedQty: 11, maxAcceptable: 11 });
    expect(po.state.status).toBe("received");
  });

  test("no tolerance: exactly the ordered quantity; a fully received PO takes no further receipt", () => {
    const po = approvedPo([{ sku: "S1", qty: 10, unitCost: 500 }], 0);
    expect(
      po.refusal({ type: "receive", receiptId: "R1", lines: [{ sku: "S1", acceptedQty: 11 }] }).reason,
    ).toBe("receipt-exceeds-order");
    po.run({ type: "receive", receiptId: "R1", lines: [{ sku: "S1", acceptedQty: 10 }] });
    expect(
      po.refusal({ type: "receive", receiptId: "R2", lines: [{ sku: "S1", acceptedQty: 1 }] }).reason,
    ).toBe("purchase-order-state");
  });

  test("partial receipts with rejections: payable = accepted × cost, a return-to-supplier record, rejected units stay owed", () => {
    const po = approvedPo([
      { sku: "S1", qty: 10, unitCost: 500 },
      { sku: "S2", qty: 5, unitCost: 1_200 },
    ]);
    const r1 = po.run({
      type: "receive",
      receiptId: "R1",
      lines: [
        {
          sku: "S1",
          acceptedQty: 6,
          rejectedQty: 2,
          lot: "L1",
          expiresAt: "2027-06-30",
          rejectReason: "crushed",
        },
        { sku: "S2", acceptedQty: 0, rejectedQty: 0 + 1 },
      ],
    }).reply as Record<string, unknown>;
    expect(r1).toMatchObject({
      receiptId: "R1",
      status: "partially_received",
      payable: { payableId: "R1-AP", amount: 6 * 500, supplier: "SUP" },
      returnToSupplier: {
        returnId: "R1-RTS",
        lines: [
          { sku: "S1", qty: 2, reason: "crushed", lot: "L1" },
          { sku: "S2", qty: 1, reason: null, lot: null },
        ],
        amount: 2 * 500 + 1_200,
      },
    });
    expect(po.view().lines).toMatchObject([
      { sku: "S1", acceptedQty: 6, rejectedQty: 2, inTransit: 4 },
      { sku: "S2", acceptedQty: 0, rejectedQty: 1, inTransit: 5 },
    ]);
    const r2 = po.run({
      type: "receive",
      receiptId: "R2",
      lines: [
        { sku: "S1", acceptedQty: 4 },
        { sku: "S2", acceptedQty: 5, rejectedQty: 0 },
      ],
    }).reply as Record<string, unknown>;
    expect(r2).toMatchObject({
      status: "received",
      payable: { amount: 4 * 500 + 5 * 1_200 },
      returnToSupplier: null,
    });
    expect(po.view().payableTotal).toBe(6 * 500 + 4 * 500 + 5 * 1_200);
  });

  test("the same receipt id again replays its answer and writes nothing; unknown SKUs and empty lines are invalid", () => {
    const po = approvedPo();
    const first = po.run({ type: "receive", receiptId: "R1", lines: [{ sku: "S1", acceptedQty: 4 }] });
    const again = po.run({ type: "receive", receiptId: "R1", lines: [{ sku: "S1", acceptedQty: 4 }] });
    expect(again.events).toEqual([]);
    expect(again.reply).toEqual(first.reply);
    expect(
      po.refusal({ type: "receive", receiptId: "R2", lines: [{ sku: "NOPE", acceptedQty: 1 }] }).kind,
    ).toBe("invalid");
    expect(
      po.refusal({ type: "receive", receiptId: "R3", lines: [{ sku: "S1", acceptedQty: 0, rejectedQty: 0 }] })
        .kind,
    ).toBe("invalid");
  });

  test("a receipt tells the supplier actor (rating) whether it was on time", () => {
    const late = approvedPo();
    late.now = T0 + 3 * DAY;
    late.run({ type: "receive", receiptId: "R1", lines: [{ sku: "S1", acceptedQty: 9, rejectedQty: 1 }] });
    const rate = late.effects.find((e) => e.key === "rate:R1")!;
    expect(rate.to).toEqual({ kind: "supplier", id: "SUP" });
    expect(rate.cmd).toMatchObject({
      onTime: false,
      lines: [{ sku: "S1", accepted: 9, rejected: 1, unitCost: 500 }],
    });
  });

  test("state survives a snapshot round trip (receipts kept in a Map; a receipt id `__proto__` is just an id)", () => {
    const po = approvedPo();
    po.run({ type: "receive", receiptId: "__proto__", lines: [{ sku: "S1", acceptedQty: 2 }] });
    po.run({ type: "receive", receiptId: "constructor", lines: [{ sku: "S1", acceptedQty: 2 }] });
    const encoded = JSON.parse(JSON.stringify(purchaseOrderKind.encodeState!(po.state)));
    const decoded = purchaseOrderKind.state!.parse(encoded);
    expect(purchaseOrderView("PO-1", decoded)).toEqual(po.view());
    expect(po.view().receipts.map((r) => r.receiptId)).toEqual(["__proto__", "constructor"]);
  });
});

describe("supplier - review and rating", () => {
  const run = (s: SupplierState, cmd: SupplierCommand, now = T0) => {
    const handler = supplierHandlers[cmd.type] as (
      s: SupplierState,
      c: SupplierCommand,
      ctx: DecideContext,
    ) => Decision<SupplierEvent>;
    const d = handler(s, cmd, { id: "SUP", now, meta: { by: "alice" } });
    for (const e of d.events) applySupplierEvent(s, e);
    return d;
  };

  test("onboarding starts pending; review approves and suspends; PUT without skus keeps them", () => {
    const s = initialSupplierState();
    run(s, { type: "upsert", profile: { name: "Acme", skus: [{ sku: "S1", cost: 500, leadTimeDays: 7 }] } });
    expect(supplierView("SUP", s)).toMatchObject({ status: "pending", rating: { grade: null } });
    run(s, { type: "review", decision: "approve" });
    expect(s.status).toBe("approved");
    run(s, { type: "upsert", profile: { name: "Acme Ltd" } });
    expect(supplierView("SUP", s)).toMatchObject({
      name: "Acme Ltd",
      status: "approved",
      skus: [{ sku: "S1", cost: 500 }],
    });
    run(s, { type: "review", decision: "suspend", reason: "late twice" });
    expect(s.status).toBe("suspended");
  });

  test("rating from receipts: on-time rate, acceptance rate and price trend into a grade; a receipt counts once", () => {
    const s = initialSupplierState();
    run(s, { type: "upsert", profile: { name: "Acme" } });
    run(s, {
      type: "recordReceipt",
      receiptId: "R1",
      poId: "P1",
      onTime: true,
      lines: [{ sku: "S1", accepted: 50, rejected: 0, unitCost: 1_000 }],
    });
    expect(supplierView("SUP", s).rating).toMatchObject({
      onTimeRate: 1,
      acceptanceRate: 1,
      priceTrend: 0,
      score: 100,
      grade: "A",
    });
    run(s, {
      type: "recordReceipt",
      receiptId: "R1",
      poId: "P1",
      onTime: true,
      lines: [{ sku: "S1", accepted: 50, rejected: 0, unitCost: 1_000 }],
    });
    expect(s.receipts).toBe(1);
    run(s, {
      type: "recordReceipt",
      receiptId: "R2",
      poId: "P2",
      onTime: false,
      lines: [{ sku: "S1", accepted: 40, rejected: 10, unitCost: 1_100 }],
    });
    // on time 1/2, accepted 90/100, price +10 % (price score 0.5): 45·0.5 + 45·0.9 + 10·0.5 = 68 → C
    expect(supplierView("SUP", s).rating).toEqual({
      receipts: 2,
      onTimeRate: 0.5,
      acceptanceRate: 0.9,
      priceTrend: 0.1,
      score: 68,
      grade: "C",
    });
    // The snapshot form reads back (maps as pairs).
    const decoded = supplierKind.state!.parse(JSON.parse(JSON.stringify(supplierKind.encodeState!(s))));
    expect(supplierView("SUP", decoded)).toEqual(supplierView("SUP", s));
  });

  test("grade bands", () => {
    const base = { receipts: 10, acceptedUnits: 100, rejectedUnits: 0, prices: new Map() };
    expect(supplierRating({ ...base, onTime: 10 }).grade).toBe("A");
    expect(supplierRating({ ...base, onTime: 7 }).grade).toBe("B"); // 45·0.7 + 45 + 10 = 86.5
    expect(supplierRating({ ...base, onTime: 2 }).grade).toBe("C"); // 9 + 45 + 10 = 64
    expect(supplierRating({ ...base, onTime: 0, acceptedUnits: 50, rejectedUnits: 50 }).grade).toBe("D");
  });
});

describe("purchase plan - suggestions", () => {
  const input = {
    sku: "S1",
    warehouse: "WH",
    soldUnits: 60,
    windowDays: 30,
    sellable: 5,
    inTransit: 0,
    safetyStock: 10,
    supplier: { code: "SUP", cost: 100, leadTimeDays: 7 },
    coverDays: 14,
  };

  test("demand over lead time + cover, plus safety stock, minus sellable and in transit; the reasoning shows each figure", () => {
    const s = suggestPurchase(input);
    expect(s).toMatchObject({
      sku: "S1",
      supplier: "SUP",
      unitCost: 100,
      suggestedQty: 47,
      reasoning: { dailyVelocity: 2, demand: 42, target: 52, position: 5, leadTimeDays: 7 },
    });
    expect(s.reasoning.text).toContain("sold 60 in 30 days (2/day)");
    expect(s.reasoning.text).toContain("suggest 47");
  });

  test("in-transit stock counts toward the position; enough stock suggests nothing", () => {
    expect(suggestPurchase({ ...input, inTransit: 40 }).suggestedQty).toBe(7);
    expect(suggestPurchase({ ...input, sellable: 60 }).suggestedQty).toBe(0);
    expect(suggestPurchase({ ...input, sellable: 60 }).reasoning.text).toContain("nothing to buy");
  });

  test("a longer lead time asks for more; no sales still refills the safety stock; no supplier says so", () => {
    expect(
      suggestPurchase({ ...input, supplier: { ...input.supplier, leadTimeDays: 21 } }).suggestedQty,
    ).toBe(75);
    expect(suggestPurchase({ ...input, soldUnits: 0, sellable: 2 }).suggestedQty).toBe(8);
    const none = suggestPurchase({ ...input, supplier: null });
    expect(none).toMatchObject({ supplier: null, unitCost: null, reasoning: { leadTimeDays: null } });
    expect(none.reasoning.text).toContain("no approved supplier");
  });
});
