/**
 * Flash sales (秒杀, issue 11 item 4, decision 0023) over HTTP on a real node: stock allocated from the SKU
 * before opening and returned at the end, the window, per-user limits, the sold-out path, the campaign
 * price in quotes and orders, units given back by cancelled and expired orders, and a rush of 10× buyers.
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

const ns = testNamespace("flash");
let node: HubNode;
let api: ApiClient;
const address = { region: "Shanghai", detail: "1 Century Ave", phone: "13800138000", name: "Li Lei" };
const MIN = 60_000;
let keyN = 0;

const typeOf = (r: { body: unknown }) =>
  String((r.body as { type?: string }).type ?? "")
    .split("/")
    .at(-1);
const show = (r: { status: number; body: unknown }) => `${r.status} ${JSON.stringify(r.body)}`;

async function stockUp(sku: string, qty: number, warehouse = "WH-F") {
  const r = await api.call(
    "POST",
    `/v1/inventory/${sku}/receipts`,
    { warehouse, qty },
    { "idempotency-key": `stock-${sku}-${warehouse}-${++keyN}` },
  );
  if (r.status !== 201) throw new Error(`receipt: ${show(r)}`);
}
async function campaign(over: Record<string, unknown>): Promise<string> {
  const res = await api.call("POST", "/v1/flash-sales", {
    name: "秒杀 iPhone",
    price: 99,
    stock: 5,
    perUserLimit: 1,
    startsAt: new Date(Date.now() - MIN).toISOString(),
    endsAt: new Date(Date.now() + 60 * MIN).toISOString(),
    ...over,
  });
  if (res.status !== 201) throw new Error(`create: ${show(res)}`);
  return (res.body as { campaignId: string }).campaignId;
}
const view = async (id: string) =>
  (await api.call("GET", `/v1/flash-sales/${id}`)).body as Record<string, unknown>;
const stock = async (sku: string) =>
  (await api.call("GET", `/v1/inventory/${sku}`)).body as {
    physical: number;
    reserved: number;
    sellable: number;
    allocated: number;
    warehouses: Array<{ warehouse: string; allocated: number; sellable: number }>;
  };
const buy = (campaignId: string, sku: string, userId: string, qty = 1) =>
  api.call(
    "POST",
    "/v1/orders",
    { userId, lines: [{ sku, qty }], address, campaignId },
    { "idempotency-key": `buy-${++keyN}` },
  );

beforeAll(async () => {
  await requireServices();
  node = await startTestNode(ns, { ORDER_PAYMENT_TIMEOUT: "4000" });
  api = new ApiClient(node.app!);
  await api.login();
  await api.call("PUT", "/v1/warehouses/WH-F", { name: "F", region: "east" });
  await api.call("PUT", "/v1/warehouses/WH-G", { name: "G", region: "west" });
});

afterAll(async () => {
  await node?.stop();
  await cleanupNamespace(ns);
});

test("flash sales - an open campaign is active with its stock allocated when 201 returns; the quote and the order pay the campaign price", async () => {
  // A SKU with no product and no list price can be sold in a flash sale.
  await stockUp("FS-A", 6, "WH-F");
  await stockUp("FS-A", 4, "WH-G");
  const id = await campaign({ sku: "FS-A", stock: 7, price: 1_999, perUserLimit: 2 });
  expect(await view(id)).toMatchObject({ status: "active", allocated: 7, sold: 0, remaining: 7, stock: 7 });
  const s = await stock("FS-A");
  expect({ allocated: s.allocated, sellable: s.sellable, physical: s.physical }).toEqual({
    allocated: 7,
    sellable: 3,
    physical: 10,
  });
  expect(s.warehouses.reduce((n, w) => n + w.allocated, 0)).toBe(7);
  expect(s.warehouses.every((w) => w.allocated >= 0 && w.sellable >= 0)).toBe(true);

  const quote = await api.call("POST", "/v1/checkout/quote", {
    userId: "q-1",
    lines: [{ sku: "FS-A", qty: 2 }],
    campaignId: id,
  });
  expect(quote.status, show(quote)).toBe(200);
  expect(quote.body).toMatchObject({
    amounts: { items: 3_998, discount: 0, total: 3_998 },
    lines: [{ sku: "FS-A", qty: 2, unitPrice: 1_999, discount: 0, priceSource: "flash-sale" }],
    campaign: { campaignId: id, price: 1_999 },
  });
  const order = await buy(id, "FS-A", "q-1", 2);
  expect(order.status, show(order)).toBe(201);
  expect((order.body as { amounts: unknown }).amounts).toEqual({
    items: 3_998,
    discount: 0,
    freight: 0,
    total: 3_998,
  });
  expect(await view(id)).toMatchObject({ sold: 2, remaining: 5 });
  const after = await stock("FS-A");
  // The order's units came out of the campaign's allocation, not out of sellable stock.
  expect({ allocated: after.allocated, reserved: after.reserved, sellable: after.sellable }).toEqual({
    allocated: 5,
    reserved: 2,
    sellable: 3,
  });
  // A normal order cannot take the allocated units.
  const plain = await api.call(
    "POST",
    "/v1/orders",
    { userId: "p-1", lines: [{ sku: "FS-A", qty: 4 }], address },
    { "idempotency-key": `plain-${++keyN}` },
  );
  expect(plain.status, show(plain)).not.toBe(201);
});

test("flash sales - outside the window the order and the quote are 409 campaign-not-active; ending returns the stock", async () => {
  await stockUp("FS-W", 10);
  const later = await campaign({
    sku: "FS-W",
    stock: 4,
    startsAt: new Date(Date.now() + 30 * MIN).toISOString(),
  });
  expect(await view(later)).toMatchObject({ status: "scheduled", allocated: 4 });
  const early = await buy(later, "FS-W", "w-1");
  expect([early.status, typeOf(early)], show(early)).toEqual([409, "campaign-not-active"]);
  const quote = await api.call("POST", "/v1/checkout/quote", {
    lines: [{ sku: "FS-W", qty: 1 }],
    campaignId: later,
  });
  expect([quote.status, typeOf(quote)], show(quote)).toEqual([409, "campaign-not-active"]);
  expect((await stock("FS-W")).allocated).toBe(4);

  const ended = await api.call("POST", `/v1/flash-sales/${later}/end`, { reason: "cancelled by marketing" });
  expect(ended.status, show(ended)).toBe(200);
  expect(ended.body).toMatchObject({ status: "ended", returned: 4, remaining: 0 });
  // Acknowledged: the very next read of the SKU has the units sellable again.
  expect(await stock("FS-W")).toMatchObject({ allocated: 0, sellable: 10 });
  const late = await buy(later, "FS-W", "w-2");
  expect([late.status, typeOf(late)], show(late)).toEqual([409, "campaign-not-active"]);
  // Ending twice is harmless.
  expect((await api.call("POST", `/v1/flash-sales/${later}/end`, {})).status).toBe(200);
  expect((await stock("FS-W")).allocated).toBe(0);
});

test("flash sales - the end timer closes the campaign and returns what is left, once", async () => {
  await stockUp("FS-T", 5);
  const id = await campaign({ sku: "FS-T", stock: 3, endsAt: new Date(Date.now() + 3_000).toISOString() });
  expect((await buy(id, "FS-T", "t-1")).status).toBe(201);
  await waitFor(async () => (await view(id)).returned === 2, 60_000, "the end timer to return 2 units");
  expect(await view(id)).toMatchObject({ status: "ended", sold: 1, returned: 2 });
  expect(await stock("FS-T")).toMatchObject({ allocated: 0, reserved: 1, sellable: 4 });
});

test("flash sales - per-user limits are the campaign's, never the request's; sold out is 409 sold-out", async () => {
  await stockUp("FS-L", 10);
  const id = await campaign({ sku: "FS-L", stock: 3, perUserLimit: 2 });
  expect((await buy(id, "FS-L", "l-1", 2)).status).toBe(201);
  const over = await buy(id, "FS-L", "l-1");
  expect([over.status, typeOf(over)], show(over)).toEqual([409, "purchase-limit-reached"]);
  const tooMany = await buy(id, "FS-L", "l-2", 3);
  expect([tooMany.status, typeOf(tooMany)], show(tooMany)).toEqual([409, "purchase-limit-reached"]);
  // A limit in the request is refused: limits live on the server.
  const claimed = await api.call(
    "POST",
    "/v1/orders",
    { userId: "l-3", lines: [{ sku: "FS-L", qty: 1 }], address, campaignId: id, maxPerCampaign: 99 },
    { "idempotency-key": `lim-${++keyN}` },
  );
  expect(claimed.status, show(claimed)).toBe(400);
  expect((await buy(id, "FS-L", "l-3")).status).toBe(201);
  const soldOut = await buy(id, "FS-L", "l-4");
  expect([soldOut.status, typeOf(soldOut)], show(soldOut)).toEqual([409, "sold-out"]);
  const v = await view(id);
  expect(v).toMatchObject({ sold: 3, remaining: 0 });
  expect(Number(v.refused)).toBeGreaterThanOrEqual(3);
  // The projected list shows the campaign with the same figures (lists may lag: wait for the projector).
  await node.projector!.caughtUp(30_000);
  const list = await api.call("GET", `/v1/flash-sales?sku=FS-L`);
  expect(list.status, show(list)).toBe(200);
  expect((list.body as { items: unknown[] }).items).toEqual([
    expect.objectContaining({ campaignId: id, sold: 3, allocated: 3, remaining: 0 }),
  ]);
});

test("flash sales - cancelled and expired unpaid orders give their unit back to the campaign", async () => {
  await stockUp("FS-C", 3);
  const id = await campaign({ sku: "FS-C", stock: 1 });
  const first = await buy(id, "FS-C", "c-1");
  expect(first.status, show(first)).toBe(201);
  expect(typeOf(await buy(id, "FS-C", "c-2"))).toBe("sold-out");
  const orderId = (first.body as { orderId: string }).orderId;
  const cancel = await api.call("POST", `/v1/orders/${orderId}/cancel`, { reason: "changed my mind" });
  expect(cancel.status, show(cancel)).toBe(200);
  await waitFor(async () => (await view(id)).remaining === 1, 60_000, "the cancelled unit back");
  expect(await stock("FS-C")).toMatchObject({ allocated: 1, reserved: 0, sellable: 2 });
  // The buyer's allowance came back too; the next buyer gets the unit, and its order expires unpaid.
  const second = await buy(id, "FS-C", "c-2");
  expect(second.status, show(second)).toBe(201);
  expect(await view(id)).toMatchObject({ sold: 1, remaining: 0 });
  await waitFor(async () => (await view(id)).remaining === 1, 90_000, "the expired order's unit back");
  expect(await stock("FS-C")).toMatchObject({ allocated: 1, reserved: 0 });
  expect((await buy(id, "FS-C", "c-1")).status).toBe(201);
});

test("flash sales - 10× buyers rush one campaign over HTTP: sold == stock, none oversold, the rest refused", async () => {
  await stockUp("FS-R", 100);
  const units = 20;
  const id = await campaign({ sku: "FS-R", stock: units, perUserLimit: 1 });
  // A 503 (a dependency slow on this loaded machine) says "retry": the buyer retries under the same key.
  const attempt = async (i: number) => {
    const key = `rush-${i}`;
    for (let n = 0; ; n++) {
      const r = await api.call(
        "POST",
        "/v1/orders",
        { userId: `r-${i}`, lines: [{ sku: "FS-R", qty: 1 }], address, campaignId: id },
        { "idempotency-key": key },
      );
      if (r.status !== 503 || n >= 20) return r;
      await Bun.sleep(200);
    }
  };
  const results = await Promise.all(Array.from({ length: units * 10 }, (_, i) => attempt(i)));
  const by = new Map<string, number>();
  for (const r of results) {
    const k = r.status === 201 ? "201" : `${r.status} ${typeOf(r)}`;
    if (r.status >= 500) console.log("unexpected", show(r));
    by.set(k, (by.get(k) ?? 0) + 1);
  }
  const summary = Object.fromEntries(by);
  expect(summary["201"], JSON.stringify(summary)).toBe(units);
  for (const k of Object.keys(summary))
    expect(["201", "409 sold-out", "429 queue-full", "429 rate-limited"], JSON.stringify(summary)).toContain(
      k,
    );
  expect(await view(id)).toMatchObject({ sold: units, remaining: 0, allocated: units });
  // The SKU agrees: exactly `units` reserved out of the allocation, the other 80 untouched.
  expect(await stock("FS-R")).toMatchObject({ reserved: units, allocated: 0, sellable: 80, physical: 100 });
});
