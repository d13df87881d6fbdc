import { afterAll, beforeAll, expect, test } from "bun:test";
import type { HubNode } from "../hub-node.ts";
import {
  ApiClient,
  cleanupNamespace,
  requireServices,
  startTestNode,
  testNamespace,
  waitFor,
} from "./support/harness.ts";

const ns = testNamespace("purchasing");
let node: HubNode;
let admin: ApiClient;
let buyer: ApiClient;

type Res = { status: number; body: unknown };
const show = (r: Res) => `${r.status} ${JSON.stringify(r.body)}`;
const typeOf = (r: Res) =>
  String((r.body as { type?: string }).type ?? "")
    .split("/")
    .at(-1);
async function ok(p: Promise<Res>, status = 200): Promise<Record<string, unknown>> {
  const r = await p;
  if (r.status !== status) throw new Error(`expected ${status}, got ${show(r)}`);
  return r.body as Record<string, unknown>;
}

async function supplier(code: string, skus: Array<{ sku: string; cost: number; leadTimeDays: number }>) {
  await ok(
    admin.call("PUT", `/v1/suppliers/${code}`, { name: `Supplier ${code}`, contact: { name: "Li" }, skus }),
  );
  await ok(admin.call("POST", `/v1/suppliers/${code}/review`, { decision: "approve" }));
}

async function createPo(
  sup: string,
  wh: string,
  lines: Array<{ sku: string; qty: number; unitCost: number }>,
) {
  const created = await ok(
    admin.call("POST", "/v1/purchase-orders", { supplier: sup, warehouse: wh, lines }),
    201,
  );
  expect(created.status).toBe("draft");
  return created.poId as string;
}

const inTransit = async (sku: string, wh: string) => {
  const stock = await ok(admin.call("GET", `/v1/inventory/${sku}`));
  const row = (stock.warehouses as Array<{ warehouse: string; inTransit: number }>).find(
    (w) => w.warehouse === wh,
  );
  return row?.inTransit ?? 0;
};

beforeAll(async () => {
  await requireServices();
  node = await startTestNode(ns);
  admin = new ApiClient(node.app!);
  await admin.login();
  await ok(
    admin.call("POST", "/v1/users", {
      username: "buyer-2",
      password: "buyer-2-password",
      roles: ["purchaser"],
    }),
    201,
  );
  buyer = new ApiClient(node.app!);
  await buyer.login("buyer-2", "buyer-2-password");
  for (const wh of ["WH-A", "WH-B"]) {
    const r = await admin.call("PUT", `/v1/warehouses/${wh}`, { name: wh, region: "310000" });
    if (r.status !== 201 && r.status !== 200) throw new Error(show(r));
  }
});

afterAll(async () => {
  await node?.stop();
  await cleanupNamespace(ns);
});

test("purchasing - suppliers: onboarding pending → approved → suspended; only approved suppliers get orders", async () => {
  const put = await ok(
    admin.call("PUT", "/v1/suppliers/SUP-P", {
      name: "Pending Co",
      skus: [{ sku: "P-1", cost: 100, leadTimeDays: 3 }],
    }),
  );
  expect(put).toMatchObject({ code: "SUP-P", status: "pending", rating: { grade: null, receipts: 0 } });
  const refused = await admin.call("POST", "/v1/purchase-orders", {
    supplier: "SUP-P",
    warehouse: "WH-A",
    lines: [{ sku: "P-1", qty: 1, unitCost: 100 }],
  });
  expect(refused.status, show(refused)).toBe(409);
  expect(typeOf(refused)).toBe("supplier-not-approved");
  const unknown = await admin.call("POST", "/v1/purchase-orders", {
    supplier: "NOBODY",
    warehouse: "WH-A",
    lines: [{ sku: "P-1", qty: 1, unitCost: 100 }],
  });
  expect([unknown.status, typeOf(unknown)], show(unknown)).toEqual([422, "unknown-supplier"]);
  const noWarehouse = await admin.call("POST", "/v1/purchase-orders", {
    supplier: "SUP-P",
    warehouse: "NOWHERE",
    lines: [{ sku: "P-1", qty: 1, unitCost: 100 }],
  });
  expect([noWarehouse.status, typeOf(noWarehouse)], show(noWarehouse)).toEqual([422, "unknown-warehouse"]);
  expect(await ok(admin.call("POST", "/v1/suppliers/SUP-P/review", { decision: "approve" }))).toMatchObject({
    status: "approved",
    reviewedBy: "admin",
  });
  await createPo("SUP-P", "WH-A", [{ sku: "P-1", qty: 1, unitCost: 100 }]);
  expect(
    await ok(admin.call("POST", "/v1/suppliers/SUP-P/review", { decision: "suspend", reason: "audit" })),
  ).toMatchObject({ status: "suspended" });
  const suspended = await admin.call("POST", "/v1/purchase-orders", {
    supplier: "SUP-P",
    warehouse: "WH-A",
    lines: [{ sku: "P-1", qty: 1, unitCost: 100 }],
  });
  expect(typeOf(suspended), show(suspended)).toBe("supplier-not-approved");
  // The list (read model) follows.
  await node.projector!.caughtUp(60_000);
  const list = await ok(admin.call("GET", "/v1/suppliers?status=suspended"));
  expect((list.items as Array<{ code: string }>).map((s) => s.code)).toContain("SUP-P");
});

test("purchasing - in transit: approval shows the ordered quantity in GET /v1/inventory for that warehouse; receipts are not possible before approval; cancel removes it", async () => {
  await supplier("SUP-T", [{ sku: "T-1", cost: 250, leadTimeDays: 5 }]);
  const poId = await createPo("SUP-T", "WH-B", [{ sku: "T-1", qty: 40, unitCost: 250 }]);
  const early = await admin.call("POST", `/v1/purchase-orders/${poId}/approve`);
  expect([early.status, typeOf(early)], show(early)).toEqual([409, "purchase-order-state"]);
  expect(await ok(admin.call("POST", `/v1/purchase-orders/${poId}/submit`))).toMatchObject({
    status: "submitted",
    approval: { threshold: null, required: 1 },
  });
  expect(await inTransit("T-1", "WH-B")).toBe(0);
  expect(await ok(admin.call("POST", `/v1/purchase-orders/${poId}/approve`))).toMatchObject({
    status: "approved",
    lines: [{ sku: "T-1", inTransit: 40 }],
  });
  // The very next read shows it (the approval answers once the SKU actor has it).
  expect(await inTransit("T-1", "WH-B")).toBe(40);
  expect(await inTransit("T-1", "WH-A")).toBe(0);
  const second = await createPo("SUP-T", "WH-B", [{ sku: "T-1", qty: 15, unitCost: 260 }]);
  await ok(admin.call("POST", `/v1/purchase-orders/${second}/submit`));
  await ok(admin.call("POST", `/v1/purchase-orders/${second}/approve`));
  expect(await inTransit("T-1", "WH-B")).toBe(55);
  await ok(admin.call("POST", `/v1/purchase-orders/${second}/send`));
  expect(
    await ok(admin.call("POST", `/v1/purchase-orders/${second}/cancel`, { reason: "found cheaper" })),
  ).toMatchObject({ status: "cancelled", endReason: "found cheaper" });
  expect(await inTransit("T-1", "WH-B")).toBe(40);
  // Cancelling again is an illegal transition, and changes nothing.
  const again = await admin.call(
    "POST",
    `/v1/purchase-orders/${second}/cancel`,
    { reason: "again" },
    { "idempotency-key": "cancel-again" },
  );
  expect([again.status, typeOf(again)], show(again)).toEqual([409, "purchase-order-state"]);
  expect(await inTransit("T-1", "WH-B")).toBe(40);
  // The stock ledger says why.
  const ledger = await ok(admin.call("GET", "/v1/inventory/T-1/ledger"));
  await node.projector!.caughtUp(60_000);
  const rows = (await ok(admin.call("GET", "/v1/inventory/T-1/ledger"))).items as Array<{
    movement: string;
    reference: string | null;
  }>;
  expect(ledger).toBeDefined();
  expect(
    rows
      .filter((r) => r.reference === second)
      .map((r) => r.movement)
      .sort(),
  ).toEqual(["inbound_announced", "inbound_settled"]);
});

test("purchasing - approval threshold: none on a fresh install; above it a second, different operator approves", async () => {
  expect(await ok(admin.call("GET", "/v1/purchasing/settings"))).toEqual({
    approvalThreshold: null,
    receiptTolerancePercent: 0,
  });
  await supplier("SUP-A", [{ sku: "A-1", cost: 1_000, leadTimeDays: 2 }]);
  await ok(
    admin.call("PUT", "/v1/purchasing/settings", { approvalThreshold: 50_000, receiptTolerancePercent: 5 }),
  );
  const small = await createPo("SUP-A", "WH-A", [{ sku: "A-1", qty: 50, unitCost: 1_000 }]);
  await ok(admin.call("POST", `/v1/purchase-orders/${small}/submit`));
  expect(await ok(buyer.call("POST", `/v1/purchase-orders/${small}/approve`))).toMatchObject({
    status: "approved",
    approval: { required: 1 },
  });

  const big = await createPo("SUP-A", "WH-A", [{ sku: "A-1", qty: 51, unitCost: 1_000 }]);
  await ok(admin.call("POST", `/v1/purchase-orders/${big}/submit`));
  const first = await ok(admin.call("POST", `/v1/purchase-orders/${big}/approve`));
  expect(first).toMatchObject({
    status: "submitted",
    approval: { threshold: 50_000, required: 2, approvals: [{ by: "admin" }] },
  });
  expect(await inTransit("A-1", "WH-A")).toBe(50);
  const same = await admin.call("POST", `/v1/purchase-orders/${big}/approve`);
  expect([same.status, typeOf(same)], show(same)).toEqual([409, "second-approval-needed"]);
  const second = await ok(buyer.call("POST", `/v1/purchase-orders/${big}/approve`));
  expect(second).toMatchObject({
    status: "approved",
    approval: { approvals: [{ by: "admin" }, { by: "buyer-2" }] },
    receiptTolerancePercent: 5,
  });
  expect(await inTransit("A-1", "WH-A")).toBe(101);
  // A role without purchase:approve cannot approve at all.
  await ok(
    admin.call("PUT", "/v1/purchasing/settings", { approvalThreshold: null, receiptTolerancePercent: 0 }),
  );
});

test("purchasing - plans: a low-stock event opens a plan with its reasoning; confirm/edit/drop; confirmed lines become draft POs per supplier", async () => {
  await supplier("SUP-L1", [
    { sku: "L-1", cost: 300, leadTimeDays: 7 },
    { sku: "L-2", cost: 900, leadTimeDays: 10 },
  ]);
  await supplier("SUP-L2", [{ sku: "L-1", cost: 280, leadTimeDays: 14 }]);
  await ok(
    admin.call(
      "POST",
      "/v1/inventory/L-1/receipts",
      { warehouse: "WH-A", qty: 30 },
      { "idempotency-key": "l1-in" },
    ),
    201,
  );
  await ok(admin.call("PUT", "/v1/inventory/L-1/safety-stock", { warehouse: "WH-A", qty: 10 }));
  // A hold pushes sellable (30 − 18 − 10 = 2) under the safety stock: lowStock.
  await ok(
    admin.call("POST", "/v1/inventory/L-1/reservations", { orderId: "HOLD-L1", qty: 18, reason: "event" }),
    201,
  );
  let plan: Record<string, unknown> | undefined;
  await waitFor(
    async () => {
      const list = await ok(admin.call("GET", "/v1/purchase-plans?warehouse=WH-A&status=open"));
      plan = (list.items as Array<Record<string, unknown>>).find(
        (p) => p.trigger === "low_stock" && (p.lines as Array<{ sku: string }>).some((l) => l.sku === "L-1"),
      );
      return plan !== undefined;
    },
    90_000,
    "a low-stock plan for L-1",
  );
  const line = (plan!.lines as Array<Record<string, unknown>>)[0]!;
  // Cheapest approved supplier; no sales: the safety stock is refilled (10 − 2 = 8).
  expect(line).toMatchObject({
    sku: "L-1",
    supplier: "SUP-L2",
    unitCost: 280,
    suggestedQty: 8,
    status: "suggested",
    reasoning: { sellable: 2, safetyStock: 10, inTransit: 0, soldUnits: 0 },
  });
  expect(String((line.reasoning as { text: string }).text)).toContain("safety stock 10");

  // An operator's plan over named SKUs; edit one line to the other supplier, drop nothing yet.
  const opened = await ok(
    admin.call(
      "POST",
      "/v1/purchase-plans",
      { warehouse: "WH-A", skus: ["L-1", "L-2"] },
      { "idempotency-key": "plan-1" },
    ),
    201,
  );
  const again = await ok(
    admin.call(
      "POST",
      "/v1/purchase-plans",
      { warehouse: "WH-A", skus: ["L-1", "L-2"] },
      { "idempotency-key": "plan-1" },
    ),
    201,
  );
  expect(again.planId).toBe(opened.planId);
  const pid = opened.planId as string;
  expect((opened.lines as Array<{ sku: string }>).map((l) => l.sku)).toEqual(["L-1", "L-2"]);
  const edited = await ok(
    admin.call("POST", `/v1/purchase-plans/${pid}/lines/L-1`, {
      action: "edit",
      qty: 25,
      supplier: "SUP-L1",
    }),
  );
  expect((edited.lines as Array<Record<string, unknown>>)[0]).toMatchObject({
    sku: "L-1",
    qty: 25,
    supplier: "SUP-L1",
    unitCost: 300,
    status: "confirmed",
  });
  const badSupplier = await admin.call("POST", `/v1/purchase-plans/${pid}/lines/L-2`, {
    action: "edit",
    qty: 5,
    supplier: "SUP-L2",
  });
  expect([badSupplier.status, typeOf(badSupplier)], show(badSupplier)).toEqual([422, "supplier-not-listed"]);
  await ok(admin.call("POST", `/v1/purchase-plans/${pid}/lines/L-2`, { action: "drop" }));
  const ordered = await ok(admin.call("POST", `/v1/purchase-plans/${pid}/orders`), 201);
  const pos = ordered.purchaseOrders as Array<{
    poId: string;
    supplier: string;
    lines: Array<{ sku: string; qty: number }>;
  }>;
  expect(pos).toHaveLength(1);
  expect(pos[0]).toMatchObject({ supplier: "SUP-L1", lines: [{ sku: "L-1", qty: 25 }] });
  expect(ordered.plan).toMatchObject({ status: "ordered" });
  const po = await ok(admin.call("GET", `/v1/purchase-orders/${pos[0]!.poId}`));
  expect(po).toMatchObject({
    status: "draft",
    planId: pid,
    supplier: "SUP-L1",
    warehouse: "WH-A",
    total: 25 * 300,
  });
  const twice = await admin.call("POST", `/v1/purchase-plans/${pid}/orders`);
  expect([twice.status, typeOf(twice)], show(twice)).toEqual([409, "nothing-to-order"]);
  const late = await admin.call("POST", `/v1/purchase-plans/${pid}/lines/L-1`, { action: "drop" });
  expect([late.status, typeOf(late)], show(late)).toEqual([409, "plan-ordered"]);
});

test("purchasing - receipts over HTTP: tolerance, partial receipts and rejections, in transit falls as goods are accepted, payable per receipt", async () => {
  await supplier("SUP-R2", [{ sku: "RC-1", cost: 700, leadTimeDays: 3 }]);
  await ok(
    admin.call("PUT", "/v1/purchasing/settings", { approvalThreshold: null, receiptTolerancePercent: 10 }),
  );
  const poId = await createPo("SUP-R2", "WH-B", [{ sku: "RC-1", qty: 20, unitCost: 700 }]);
  const before = await admin.call("POST", `/v1/purchase-orders/${poId}/receipts`, {
    lines: [{ sku: "RC-1", acceptedQty: 1 }],
  });
  expect([before.status, typeOf(before)], show(before)).toEqual([409, "purchase-order-state"]);
  await ok(admin.call("POST", `/v1/purchase-orders/${poId}/submit`));
  await ok(admin.call("POST", `/v1/purchase-orders/${poId}/approve`));
  await ok(
    admin.call("PUT", "/v1/purchasing/settings", { approvalThreshold: null, receiptTolerancePercent: 0 }),
  );
  const first = await ok(
    admin.call("POST", `/v1/purchase-orders/${poId}/receipts`, {
      lines: [{ sku: "RC-1", acceptedQty: 12, rejectedQty: 3, lot: "LOT-1" }],
    }),
    201,
  );
  expect(first).toMatchObject({
    status: "partially_received",
    payable: { amount: 12 * 700 },
    returnToSupplier: { lines: [{ sku: "RC-1", qty: 3 }], amount: 3 * 700 },
    putaway: [{ sku: "RC-1", qty: 12, bin: "RECEIVING" }],
  });
  expect(await inTransit("RC-1", "WH-B")).toBe(8);
  // The PO keeps the 10 % tolerance it was submitted with: at most 22 accepted in all.
  const over = await admin.call("POST", `/v1/purchase-orders/${poId}/receipts`, {
    lines: [{ sku: "RC-1", acceptedQty: 11 }],
  });
  expect([over.status, typeOf(over)], show(over)).toEqual([409, "receipt-exceeds-order"]);
  expect((over.body as { maxAcceptable: number }).maxAcceptable).toBe(22);
  const unknownSku = await admin.call("POST", `/v1/purchase-orders/${poId}/receipts`, {
    lines: [{ sku: "OTHER", acceptedQty: 1 }],
  });
  expect(unknownSku.status, show(unknownSku)).toBe(422);
  const second = await ok(
    admin.call("POST", `/v1/purchase-orders/${poId}/receipts`, {
      lines: [{ sku: "RC-1", acceptedQty: 10, rejectedQty: 0 }],
    }),
    201,
  );
  expect(second).toMatchObject({ status: "received", returnToSupplier: null, payable: { amount: 10 * 700 } });
  expect(await inTransit("RC-1", "WH-B")).toBe(0);
  const po = await ok(admin.call("GET", `/v1/purchase-orders/${poId}`));
  expect(po).toMatchObject({
    lines: [{ acceptedQty: 22, rejectedQty: 3, inTransit: 0, maxAcceptable: 22 }],
    payableTotal: 22 * 700,
  });
  expect((await ok(admin.call("GET", "/v1/suppliers/SUP-R2"))).rating).toMatchObject({
    receipts: 2,
    acceptanceRate: 0.88,
  });
});

test("purchasing - built-in ids: a supplier, SKU, lot and receipt named like Object.prototype members are just ids", async () => {
  for (const code of ["constructor", "propertyIsEnumerable", "toString"]) {
    await supplier(code, [{ sku: "valueOf", cost: 100, leadTimeDays: 1 }]);
    expect(await ok(admin.call("GET", `/v1/suppliers/${code}`))).toMatchObject({
      code,
      status: "approved",
      skus: [{ sku: "valueOf" }],
    });
  }
  const poId = await createPo("constructor", "WH-A", [
    { sku: "valueOf", qty: 5, unitCost: 100 },
    { sku: "hasOwnProperty", qty: 2, unitCost: 50 },
  ]);
  await ok(admin.call("POST", `/v1/purchase-orders/${poId}/submit`));
  await ok(admin.call("POST", `/v1/purchase-orders/${poId}/approve`));
  expect(await inTransit("valueOf", "WH-A")).toBe(5);
  const receipt = await ok(
    admin.call(
      "POST",
      `/v1/purchase-orders/${poId}/receipts`,
      {
        lines: [
          { sku: "valueOf", acceptedQty: 5, lot: "isPrototypeOf" },
          { sku: "hasOwnProperty", acceptedQty: 1, rejectedQty: 1, lot: "constructor" },
        ],
      },
      { "idempotency-key": "toString" },
    ),
    201,
  );
  expect(receipt).toMatchObject({
    status: "partially_received",
    payable: { amount: 550 },
    returnToSupplier: { lines: [{ sku: "hasOwnProperty", qty: 1, lot: "constructor" }] },
  });
  expect(await inTransit("valueOf", "WH-A")).toBe(0);
  expect(await inTransit("hasOwnProperty", "WH-A")).toBe(1);
  expect((await ok(admin.call("GET", "/v1/suppliers/constructor"))).rating).toMatchObject({ receipts: 1 });
  expect((await ok(admin.call("GET", "/v1/suppliers/propertyIsEnumerable"))).rating).toMatchObject({
    receipts: 0,
  });
});

test("purchasing - plan velocity comes from the order read model: units of orders not cancelled in the window", async () => {
  await supplier("SUP-V", [{ sku: "V-1", cost: 150, leadTimeDays: 10 }]);
  await ok(
    admin.call(
      "POST",
      "/v1/inventory/V-1/receipts",
      { warehouse: "WH-A", qty: 32 },
      { "idempotency-key": "v1-in" },
    ),
    201,
  );
  await ok(admin.call("PUT", "/v1/skus/V-1/price", { listPrice: 990 }));
  const address = { region: "Shanghai", detail: "1 Century Ave", phone: "13800138000", name: "Li Lei" };
  const orderIds: string[] = [];
  for (const [i, qty] of [10, 5, 5, 7].entries()) {
    const placed = await ok(
      admin.call(
        "POST",
        "/v1/orders",
        { userId: `U-V${i}`, lines: [{ sku: "V-1", qty }], address },
        { "idempotency-key": `v-order-${i}` },
      ),
      201,
    );
    orderIds.push(placed.orderId as string);
  }
  // The last order is cancelled: its 7 units were never sold.
  await ok(admin.call("POST", `/v1/orders/${orderIds[3]}/cancel`, { reason: "changed mind" }));
  await node.projector!.caughtUp(60_000);
  const plan = await ok(admin.call("POST", "/v1/purchase-plans", { warehouse: "WH-A", skus: ["V-1"] }), 201);
  // Sold 20 in 30 days; lead 10 + cover 14 days → demand ceil(20/30 × 24) = 16; sellable 32 − 20 = 12.
  expect((plan.lines as Array<Record<string, unknown>>)[0]).toMatchObject({
    sku: "V-1",
    supplier: "SUP-V",
    suggestedQty: 4,
    reasoning: {
      soldUnits: 20,
      windowDays: 30,
      demand: 16,
      sellable: 12,
      inTransit: 0,
      target: 16,
      position: 12,
    },
  });
});

test("purchasing - a supplier's contact phone and e-mail are masked without supplier:contact", async () => {
  const contact = { name: "李雷", phone: "13800001234", email: "li.lei@example.com" };
  await ok(admin.call("PUT", "/v1/suppliers/SUP-MASK", { name: "Mask Co", contact }));
  await ok(
    admin.call("POST", "/v1/users", {
      username: "finance-mask",
      password: "finance-mask-password",
      roles: ["finance"],
    }),
    201,
  );
  const finance = new ApiClient(node.app!);
  await finance.login("finance-mask", "finance-mask-password");
  // The purchaser role holds supplier:contact (and admin everything): the full contact.
  expect((await ok(buyer.call("GET", "/v1/suppliers/SUP-MASK"))).contact).toEqual(contact);
  expect((await ok(admin.call("GET", "/v1/suppliers/SUP-MASK"))).contact).toEqual(contact);
  // Finance reads suppliers but not their contact data.
  expect((await ok(finance.call("GET", "/v1/suppliers/SUP-MASK"))).contact).toEqual({
    name: "李*",
    phone: "138****1234",
    email: "l***@example.com",
  });
});
