/**
 * The "Replenish" flow end to end over HTTP (issue 12; MODULES.md): low stock → purchase plan → purchase
 * order → receipt and inspection → putaway → stock sellable again. Purchasing owns the flow up to the
 * receipt; the WMS (putaway suggestion and confirm) owns the rest.
 */
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

const ns = testNamespace("replenish");
let node: HubNode;
let api: ApiClient;

type Res = { status: number; body: unknown };
const show = (r: Res) => `${r.status} ${JSON.stringify(r.body)}`;
async function ok(p: Promise<Res>, status = 200): Promise<Record<string, unknown>> {
  const r = await p;
  if (r.status !== status) throw new Error(`expected ${status}, got ${show(r)}`);
  return r.body as Record<string, unknown>;
}
const WH = "WH-R";
const SKU = "R-1";
async function stock() {
  const s = await ok(api.call("GET", `/v1/inventory/${SKU}`));
  const w = (s.warehouses as Array<Record<string, number | string>>).find((x) => x.warehouse === WH)!;
  return { physical: w.physical, sellable: w.sellable, inTransit: w.inTransit, safetyStock: w.safetyStock };
}

beforeAll(async () => {
  await requireServices();
  node = await startTestNode(ns);
  api = new ApiClient(node.app!);
  await api.login();
});

afterAll(async () => {
  await node?.stop();
  await cleanupNamespace(ns);
});

test("replenish - low stock → plan → PO → receipt (with a rejection) → putaway → sellable, over HTTP", async () => {
  // A warehouse with one ambient bin, a supplier listing the SKU.
  const wh = await api.call("PUT", `/v1/warehouses/${WH}`, { name: "Replenish DC", region: "310000" });
  expect([200, 201], show(wh)).toContain(wh.status);
  await ok(
    api.call("PUT", `/v1/warehouses/${WH}/bins/A-01-01`, {
      zone: "ambient",
      aisle: 1,
      bay: 1,
      level: 1,
      capacity: 500,
    }),
  );
  await ok(
    api.call("PUT", "/v1/suppliers/SUP-R", {
      name: "Replenish Co",
      skus: [{ sku: SKU, cost: 400, leadTimeDays: 5 }],
    }),
  );
  await ok(api.call("POST", "/v1/suppliers/SUP-R/review", { decision: "approve" }));

  // Stock 12 (received through the inventory API: in a bin warehouse it lands in RECEIVING), then put
  // the safety stock to 10: sellable 2 < 10 is low stock.
  await ok(
    api.call(
      "POST",
      `/v1/inventory/${SKU}/receipts`,
      { warehouse: WH, qty: 12 },
      { "idempotency-key": "r1-initial" },
    ),
    201,
  );
  await ok(api.call("PUT", `/v1/inventory/${SKU}/safety-stock`, { warehouse: WH, qty: 10 }));
  expect(await stock()).toEqual({ physical: 12, sellable: 2, inTransit: 0, safetyStock: 10 });

  // 1. The low-stock event opens a plan (the projector), with its reasoning.
  let plan: Record<string, unknown> | undefined;
  await waitFor(
    async () => {
      const list = await ok(api.call("GET", `/v1/purchase-plans?warehouse=${WH}&status=open`));
      plan = (list.items as Array<Record<string, unknown>>).find((p) => p.trigger === "low_stock");
      return plan !== undefined;
    },
    90_000,
    "the low-stock plan",
  );
  const line = (plan!.lines as Array<Record<string, unknown>>)[0]!;
  expect(line).toMatchObject({
    sku: SKU,
    supplier: "SUP-R",
    unitCost: 400,
    suggestedQty: 8,
    status: "suggested",
  });
  const planId = plan!.planId as string;

  // 2. The operator raises the quantity to 30 (confirms it) and orders.
  await ok(api.call("POST", `/v1/purchase-plans/${planId}/lines/${SKU}`, { action: "edit", qty: 30 }));
  const ordered = await ok(api.call("POST", `/v1/purchase-plans/${planId}/orders`), 201);
  const poId = (ordered.purchaseOrders as Array<{ poId: string }>)[0]!.poId;

  // 3. The PO is submitted and approved: 30 in transit for this warehouse.
  await ok(api.call("POST", `/v1/purchase-orders/${poId}/submit`));
  await ok(api.call("POST", `/v1/purchase-orders/${poId}/approve`));
  expect(await stock()).toEqual({ physical: 12, sellable: 2, inTransit: 30, safetyStock: 10 });

  // 4. Receipt: 28 accepted in lot L-R1, 2 rejected. In transit falls by what was accepted; nothing is
  //    physical yet (not put away); the WMS suggests the bin.
  const receipt = await ok(
    api.call(
      "POST",
      `/v1/purchase-orders/${poId}/receipts`,
      {
        lines: [
          {
            sku: SKU,
            acceptedQty: 28,
            rejectedQty: 2,
            lot: "L-R1",
            expiresAt: "2027-12-31",
            rejectReason: "dented",
          },
        ],
      },
      { "idempotency-key": "r1-receipt" },
    ),
    201,
  );
  expect(receipt).toMatchObject({
    poId,
    status: "partially_received",
    putaway: [{ sku: SKU, qty: 28, bin: "A-01-01", lot: "L-R1" }],
    payable: { amount: 28 * 400 },
    returnToSupplier: { lines: [{ sku: SKU, qty: 2, reason: "dented" }] },
  });
  const receiptId = receipt.receiptId as string;
  expect(await stock()).toEqual({ physical: 12, sellable: 2, inTransit: 2, safetyStock: 10 });
  // A retry of the same request is the same receipt (no second payable, no second settlement).
  const retry = await ok(
    api.call(
      "POST",
      `/v1/purchase-orders/${poId}/receipts`,
      {
        lines: [
          {
            sku: SKU,
            acceptedQty: 28,
            rejectedQty: 2,
            lot: "L-R1",
            expiresAt: "2027-12-31",
            rejectReason: "dented",
          },
        ],
      },
      { "idempotency-key": "r1-receipt" },
    ),
    201,
  );
  expect(retry.receiptId).toBe(receiptId);
  expect(await stock()).toEqual({ physical: 12, sellable: 2, inTransit: 2, safetyStock: 10 });

  // 5. Putaway confirmed with an empty body: the suggested bin. Now the goods are physical and sellable.
  await ok(api.call("POST", `/v1/warehouses/${WH}/putaways/${receiptId}/confirm`));
  expect(await stock()).toEqual({ physical: 40, sellable: 30, inTransit: 2, safetyStock: 10 });
  const bins = await ok(api.call("GET", `/v1/warehouses/${WH}/stock?sku=${SKU}`));
  expect(bins.items).toContainEqual(
    expect.objectContaining({ bin: "A-01-01", sku: SKU, lot: "L-R1", qty: 28 }),
  );

  // 6. The supplier will not send the 2 rejected: closing the PO takes them out of transit.
  expect(
    await ok(api.call("POST", `/v1/purchase-orders/${poId}/close`, { reason: "short shipment accepted" })),
  ).toMatchObject({ status: "closed" });
  expect(await stock()).toEqual({ physical: 40, sellable: 30, inTransit: 0, safetyStock: 10 });

  // Finance and the supplier's rating follow the receipt.
  const supplier = await ok(api.call("GET", "/v1/suppliers/SUP-R"));
  expect(supplier.rating).toMatchObject({ receipts: 1, onTimeRate: 1, acceptanceRate: 0.9333, grade: "A" });
  await node.projector!.caughtUp(60_000);
  const payables = await ok(api.call("GET", "/v1/purchase-payables?supplier=SUP-R"));
  expect(payables.items).toEqual([expect.objectContaining({ receiptId, poId, amount: 28 * 400 })]);
  const pos = await ok(api.call("GET", "/v1/purchase-orders?supplier=SUP-R"));
  expect(pos.items).toEqual([expect.objectContaining({ poId, status: "closed", planId })]);
});
