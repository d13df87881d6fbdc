/**
 * Freight templates and routing on a real node (NATS, Postgres, Redis), decision 0028: template CRUD and
 * refusals; a quote and its order charge the same freight (volumetric weight, first/additional units);
 * the free-shipping threshold; a split only when no warehouse holds every line; remote exclusions (422);
 * no template → freight 0 and the order placed as today; a free-shipping promotion; the routing stored on
 * the order, served by GET /v1/orders/{id}/routing and re-run when a carrier fails.
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

const ns = testNamespace("freight");
let node: HubNode;
let api: ApiClient;
const HOUR = 3_600_000;
const show = (r: { status: number; body: unknown }) => `${r.status} ${JSON.stringify(r.body, null, 1)}`;
const to = (region: string) => ({ region, detail: "1 Century Ave", phone: "13800138000", name: "Li Lei" });

interface Parcel {
  warehouse: string;
  carrier: string | null;
  lines: Array<{ sku: string; qty: number }>;
  freight: number;
  reasons: string[];
}
interface Quote {
  quoteId: string;
  amounts: { items: number; discount: number; freight: number; total: number };
  freeShipping: boolean;
  freightNote: { en: string };
  routing: { dest: string | null; parcels: Parcel[]; freight: number; reasons: string[] } | null;
}

/** Shanghai template: by weight, volumetric divisor 6000; Shanghai 600 + 200/kg, elsewhere 1000 + 500/kg. */
const SH_TEMPLATE = {
  warehouse: "F-SH",
  basis: "weight",
  volumetricDivisor: 6_000,
  rules: [
    { regions: ["310000"], first: 1_000, firstFee: 600, additional: 1_000, additionalFee: 200 },
    { regions: ["*"], first: 1_000, firstFee: 1_000, additional: 1_000, additionalFee: 500 },
  ],
  freeOver: 20_000,
  excluded: ["540000"],
};
/** Beijing template: by piece, 800 the first, 300 each more. */
const BJ_TEMPLATE = {
  warehouse: "F-BJ",
  basis: "piece",
  rules: [{ regions: ["*"], first: 1, firstFee: 800, additional: 1, additionalFee: 300 }],
};

beforeAll(async () => {
  await requireServices();
  node = await startTestNode(ns);
  api = new ApiClient(node.app!);
  await api.login();
  for (const [code, region] of [
    ["F-SH", "310115"],
    ["F-BJ", "110105"],
    ["F-GZ", "440106"],
  ])
    expect((await api.call("PUT", `/v1/warehouses/${code}`, { name: code, region })).status).toBe(201);
  expect((await api.call("PUT", "/v1/categories/fr-cat", { name: "freight", kind: "back" })).status).toBe(
    201,
  );
  const skus = [
    // 1,200 g but 12,000 cm³: 2,000 g volumetric.
    { sku: "F-HEAVY", specs: {}, listPrice: 5_000, weightGrams: 1_200, volumeCm3: 12_000 },
    { sku: "F-LIGHT", specs: {}, listPrice: 2_000, weightGrams: 300, volumeCm3: 500 },
    { sku: "F-BJONLY", specs: {}, listPrice: 1_000, weightGrams: 400, volumeCm3: 100 },
    { sku: "F-GZONLY", specs: {}, listPrice: 1_000, weightGrams: 400, volumeCm3: 100 },
    { sku: "F-PROMO", specs: {}, listPrice: 3_000, weightGrams: 900, volumeCm3: 100 },
    { sku: "F-GOLD", specs: {}, listPrice: 500_000, weightGrams: 900, volumeCm3: 100 },
  ];
  for (const s of skus) {
    const product = await api.call("PUT", `/v1/products/P-${s.sku}`, {
      name: s.sku,
      category: "fr-cat",
      skus: [s],
    });
    expect(product.status, show(product)).toBe(201);
    expect((await api.call("POST", `/v1/products/P-${s.sku}/publish`)).status).toBe(200);
  }
  for (const s of skus) await api.call("PUT", `/v1/skus/${s.sku}/price`, { listPrice: s.listPrice });
  for (const [sku, warehouse, qty] of [
    ["F-HEAVY", "F-SH", 20],
    ["F-HEAVY", "F-BJ", 20],
    ["F-LIGHT", "F-SH", 20],
    ["F-BJONLY", "F-BJ", 10],
    ["F-GZONLY", "F-GZ", 10],
    ["F-PROMO", "F-SH", 10],
    ["F-GOLD", "F-SH", 2],
  ] as const) {
    const res = await api.call(
      "POST",
      `/v1/inventory/${sku}/receipts`,
      { warehouse, qty },
      { "idempotency-key": `stock-${sku}-${warehouse}` },
    );
    expect(res.status, show(res)).toBe(201);
  }
  for (const [code, body] of [
    ["T-SH", SH_TEMPLATE],
    ["T-BJ", BJ_TEMPLATE],
  ] as const) {
    const res = await api.call("PUT", `/v1/freight-templates/${code}`, body);
    expect(res.status, show(res)).toBe(201);
  }
});

afterAll(async () => {
  await node?.stop();
  await cleanupNamespace(ns);
});

const quote = async (body: Record<string, unknown>) => {
  const res = await api.call("POST", "/v1/checkout/quote", { userId: "fb-1", ...body });
  expect(res.status, show(res)).toBe(200);
  return res.body as Quote;
};
const order = (key: string, body: Record<string, unknown>) =>
  api.call("POST", "/v1/orders", { userId: "fb-1", ...body }, { "idempotency-key": key });
const routingOf = async (orderId: string) => {
  const res = await api.call("GET", `/v1/orders/${orderId}/routing`);
  expect(res.status, show(res)).toBe(200);
  return res.body as { parcels: Parcel[]; freight: number; reasons: string[]; cause: string; dest: string };
};

test("freight - templates: PUT creates then replaces, GET, list by warehouse, DELETE; refusals change nothing", async () => {
  const unknown = await api.call("PUT", "/v1/freight-templates/T-X", { ...BJ_TEMPLATE, warehouse: "NOPE" });
  expect(unknown.status, show(unknown)).toBe(422);
  expect(unknown.body).toMatchObject({ field: "warehouse" });
  const badRegion = await api.call("PUT", "/v1/freight-templates/T-X", {
    ...BJ_TEMPLATE,
    rules: [{ ...BJ_TEMPLATE.rules[0], regions: ["31000X"] }],
  });
  expect(badRegion.status, show(badRegion)).toBe(400);
  const twice = await api.call("PUT", "/v1/freight-templates/T-X", {
    ...BJ_TEMPLATE,
    rules: [BJ_TEMPLATE.rules[0], BJ_TEMPLATE.rules[0]],
  });
  expect(twice.status, show(twice)).toBe(400);
  expect((await api.call("GET", "/v1/freight-templates/T-X")).status).toBe(404);

  const created = await api.call("PUT", "/v1/freight-templates/T-X", { ...BJ_TEMPLATE, warehouse: "F-GZ" });
  expect(created.status, show(created)).toBe(201);
  const replaced = await api.call("PUT", "/v1/freight-templates/T-X", {
    ...BJ_TEMPLATE,
    warehouse: "F-GZ",
    freeOver: 100,
  });
  expect(replaced.status, show(replaced)).toBe(200);
  expect((await api.call("GET", "/v1/freight-templates/T-X")).body).toMatchObject({
    code: "T-X",
    warehouse: "F-GZ",
    basis: "piece",
    freeOver: 100,
  });
  const list = (await api.call("GET", "/v1/freight-templates?warehouse=F-GZ")).body as {
    items: Array<{ code: string }>;
  };
  expect(list.items.map((t) => t.code)).toEqual(["T-X"]);
  expect((await api.call("DELETE", "/v1/freight-templates/T-X")).status).toBe(200);
  expect((await api.call("GET", "/v1/freight-templates/T-X")).status).toBe(404);
  expect((await api.call("DELETE", "/v1/freight-templates/T-X")).status).toBe(404);
  const all = (await api.call("GET", "/v1/freight-templates")).body as { items: Array<{ code: string }> };
  expect(all.items.map((t) => t.code)).toEqual(["T-BJ", "T-SH"]);
});

test("freight - quote and order charge the same freight: volumetric weight, the nearer warehouse", async () => {
  const body = { lines: [{ sku: "F-HEAVY", qty: 1 }], address: to("310104 上海市徐汇区") };
  const q = await quote(body);
  // F-SH: max(1,200 g, 12,000 cm³ × 1000 / 6000 = 2,000 g) → 600 + 1 × 200 = 800 (+300 distance, same city).
  // F-BJ: one piece → 800 (+1,200 distance, another area). F-SH wins.
  expect(q.amounts, show({ status: 200, body: q })).toEqual({
    items: 5_000,
    discount: 0,
    freight: 800,
    total: 5_800,
  });
  // Shanghai to Shanghai: standard mail (60 h inside a province) meets the 72 h promise and is cheapest.
  expect(q.routing?.parcels.map((p) => [p.warehouse, p.carrier, p.freight])).toEqual([["F-SH", "mail", 800]]);
  expect(q.freightNote.en).toContain("Freight 800 fen");
  const placed = await order("fr-1", { ...body, quoteId: q.quoteId });
  expect(placed.status, show(placed)).toBe(201);
  const o = placed.body as { orderId: string; amounts: Quote["amounts"] };
  expect(o.amounts).toEqual(q.amounts);
  const r = await routingOf(o.orderId);
  expect(r.parcels.map((p) => [p.warehouse, p.carrier, p.lines])).toEqual([
    ["F-SH", "mail", [{ sku: "F-HEAVY", qty: 1 }]],
  ]);
  expect(r.dest).toBe("310104");
  expect(r.reasons.join("\n")).toContain("one warehouse holds every line: F-SH");
  expect(r.reasons.join("\n")).toContain("F-BJ also holds every line");
  expect(r.parcels[0]!.reasons.join("\n")).toContain("2000 g: first 1000 g 600 + 1 × 1000 g × 200 = 800 fen");
  // The stock was reserved where routing said.
  const stock = (await api.call("GET", "/v1/inventory/F-HEAVY")).body as {
    warehouses: Array<{ warehouse: string; reserved: number }>;
  };
  expect(stock.warehouses.find((w) => w.warehouse === "F-SH")?.reserved).toBe(1);
  expect(stock.warehouses.find((w) => w.warehouse === "F-BJ")?.reserved).toBe(0);
});

test("freight - first/additional steps and the free-shipping threshold (goods ≥ freeOver ship free)", async () => {
  const at = async (qty: number) =>
    (await quote({ lines: [{ sku: "F-HEAVY", qty }], address: to("310104") })).amounts.freight;
  // 3 × 2,000 g = 6,000 g: 600 + 5 × 200; goods 15,000 < 20,000.
  expect(await at(3)).toBe(1_600);
  // 4 units: goods 20,000 = freeOver → free.
  expect(await at(4)).toBe(0);
  const placed = await order("fr-free", { lines: [{ sku: "F-HEAVY", qty: 4 }], address: to("310104") });
  expect(placed.status, show(placed)).toBe(201);
  expect((placed.body as Quote).amounts.freight).toBe(0);
});

test("freight - split only when no warehouse holds every line; each parcel priced by its own template", async () => {
  const body = {
    lines: [
      { sku: "F-LIGHT", qty: 1 },
      { sku: "F-BJONLY", qty: 1 },
    ],
    address: to("310104"),
  };
  const q = await quote(body);
  // F-SH: 300 g (volumetric 84 g) → 600. F-BJ: one piece → 800.
  expect(q.routing?.parcels.map((p) => [p.warehouse, p.lines, p.freight]).sort()).toEqual([
    ["F-BJ", [{ sku: "F-BJONLY", qty: 1 }], 800],
    ["F-SH", [{ sku: "F-LIGHT", qty: 1 }], 600],
  ]);
  expect(q.amounts.freight).toBe(1_400);
  const placed = await order("fr-split", { ...body, quoteId: q.quoteId });
  expect(placed.status, show(placed)).toBe(201);
  const { orderId, amounts } = placed.body as { orderId: string; amounts: Quote["amounts"] };
  expect(amounts.freight).toBe(1_400);
  const r = await routingOf(orderId);
  expect(r.parcels).toHaveLength(2);
  expect(r.reasons.join("\n")).toContain("no single warehouse holds every line");
  expect(r.reasons.join("\n")).toContain("2 parcels: split penalty 1000 fen");
});

test("freight - a remote region a warehouse excludes is routed elsewhere, or refused 422 when none serves", async () => {
  const refused = await api.call("POST", "/v1/checkout/quote", {
    lines: [{ sku: "F-LIGHT", qty: 1 }],
    address: to("540102"),
  });
  expect(refused.status, show(refused)).toBe(422);
  expect(refused.body).toMatchObject({ field: "address.region" });
  expect((refused.body as { type: string }).type).toEndWith("region-not-served");
  const placed = await order("fr-tibet", { lines: [{ sku: "F-LIGHT", qty: 1 }], address: to("540102") });
  expect(placed.status, show(placed)).toBe(422);
  // F-HEAVY is also in F-BJ, whose template serves Tibet: one piece, 800.
  const q = await quote({ lines: [{ sku: "F-HEAVY", qty: 1 }], address: to("540102") });
  expect(q.routing?.parcels.map((p) => [p.warehouse, p.freight])).toEqual([["F-BJ", 800]]);
  expect(q.routing?.reasons.join("\n")).toContain("T-SH does not ship to 540102");
});

test("freight - no template applies (or no region code): freight 0 and the order is placed as today", async () => {
  const q = await quote({ lines: [{ sku: "F-GZONLY", qty: 2 }], address: to("310104") });
  expect(q.amounts.freight).toBe(0);
  expect(q.routing?.parcels[0]?.reasons.join("\n")).toContain("no freight template of F-GZ prices 310104");
  const uncoded = await quote({ lines: [{ sku: "F-HEAVY", qty: 1 }], address: to("Shanghai") });
  expect(uncoded.amounts.freight).toBe(0);
  expect(uncoded.freightNote.en).toContain("GB/T 2260");
  const placed = await order("fr-none", { lines: [{ sku: "F-GZONLY", qty: 2 }], address: to("Shanghai") });
  expect(placed.status, show(placed)).toBe(201);
  expect((placed.body as Quote).amounts.freight).toBe(0);
});

test("freight - a free-shipping promotion waives the freight here, in the quote and the order", async () => {
  const body = { lines: [{ sku: "F-PROMO", qty: 1 }], address: to("310104") };
  expect((await quote(body)).amounts.freight).toBe(600);
  const promo = await api.call("POST", "/v1/promotions", {
    name: "满30包邮",
    type: "free_shipping",
    rules: { threshold: 3_000 },
    scope: { skus: ["F-PROMO"] },
    startsAt: new Date(Date.now() - HOUR).toISOString(),
    endsAt: new Date(Date.now() + HOUR).toISOString(),
  });
  expect(promo.status, show(promo)).toBe(201);
  const q = await quote(body);
  expect(q.freeShipping).toBe(true);
  expect(q.amounts.freight).toBe(0);
  expect(q.routing?.parcels[0]?.reasons.join("\n")).toContain("free-shipping promotion: freight 600 waived");
  const placed = await order("fr-promo", { ...body, quoteId: q.quoteId });
  expect(placed.status, show(placed)).toBe(201);
  expect((placed.body as Quote).amounts).toEqual(q.amounts);
});

test("freight - routing is re-run when a carrier fails; refused once the order is cancelled", async () => {
  const placed = await order("fr-reroute", { lines: [{ sku: "F-LIGHT", qty: 1 }], address: to("310104") });
  expect(placed.status, show(placed)).toBe(201);
  const { orderId } = placed.body as { orderId: string };
  expect((await routingOf(orderId)).parcels[0]!.carrier).toBe("mail");
  const rerun = await api.call("POST", `/v1/orders/${orderId}/routing/rerun`, {
    carrier: "mail",
    reason: "mail API timing out",
  });
  expect(rerun.status, show(rerun)).toBe(200);
  const r = await routingOf(orderId);
  expect(r.parcels.map((p) => [p.warehouse, p.carrier, p.freight])).toEqual([["F-SH", "express", 600]]);
  expect(r.cause).toBe("carrier mail failed: mail API timing out");
  expect(r.parcels[0]!.reasons.join("\n")).toContain("mail: avoided (failed)");
  const cancelled = await api.call("POST", `/v1/orders/${orderId}/cancel`, { reason: "test" });
  expect(cancelled.status, show(cancelled)).toBe(200);
  const late = await api.call("POST", `/v1/orders/${orderId}/routing/rerun`, { reason: "too late" });
  expect(late.status, show(late)).toBe(409);
});

test("freight - a member level with free shipping (gold) waives the freight of its quotes and orders", async () => {
  const body = { userId: "fb-gold", lines: [{ sku: "F-LIGHT", qty: 1 }], address: to("310104") };
  expect((await quote(body)).amounts.freight).toBe(600);
  // ¥5,000 paid and received: 5,000 growth, the gold level (free shipping).
  const big = await order("fr-gold-1", {
    userId: "fb-gold",
    lines: [{ sku: "F-GOLD", qty: 1 }],
    address: to("310104"),
  });
  expect(big.status, show(big)).toBe(201);
  const { orderId } = big.body as { orderId: string };
  const pay = await api.call("POST", "/v1/payments", { orderId, channel: "alipay" });
  expect(pay.status, show(pay)).toBe(201);
  await api.call("POST", `/v1/payments/${(pay.body as { paymentId: string }).paymentId}/simulate`, {});
  const status = async () =>
    ((await api.call("GET", `/v1/orders/${orderId}`)).body as { status: string }).status;
  await waitFor(async () => (await status()) === "awaiting_shipment", 60_000, `order ${orderId} paid`);
  const shipped = await api.call("POST", `/v1/orders/${orderId}/ship`, { carrier: "mail", trackingNo: "M1" });
  expect(shipped.status, show(shipped)).toBe(200);
  expect((await api.call("POST", `/v1/orders/${orderId}/confirm-receipt`)).status).toBe(200);
  await waitFor(
    async () =>
      ((await api.call("GET", "/v1/members/fb-gold")).body as { level?: { name: string } }).level?.name ===
      "gold",
    60_000,
    "fb-gold to reach gold",
  );
  const q = await quote(body);
  expect(q.amounts.freight, show({ status: 200, body: q })).toBe(0);
  expect(q.routing?.parcels[0]?.reasons.join("\n")).toContain("member level ships free: freight 600 waived");
  const placed = await order("fr-gold-2", { ...body, quoteId: q.quoteId });
  expect(placed.status, show(placed)).toBe(201);
  expect((placed.body as Quote).amounts).toEqual(q.amounts);
});

test("freight - routing follows stock: once the near warehouse's units are held, the far one ships (priced by its template)", async () => {
  const body = { lines: [{ sku: "F-HEAVY", qty: 2 }], address: to("310104") };
  const before = await quote(body);
  // F-SH: 2 × 2,000 g volumetric = 4,000 g → 600 + 3 × 200 = 1,200.
  expect(before.routing?.parcels.map((p) => [p.warehouse, p.freight])).toEqual([["F-SH", 1_200]]);
  const view = (await api.call("GET", "/v1/inventory/F-HEAVY")).body as {
    warehouses: Array<{ warehouse: string; sellable: number }>;
  };
  const free = view.warehouses.find((w) => w.warehouse === "F-SH")!.sellable;
  const hold = await api.call(
    "POST",
    "/v1/inventory/F-HEAVY/reservations",
    { orderId: "HOLD-SH", qty: free, warehouse: "F-SH", reason: "stock count" },
    { "idempotency-key": "hold-sh" },
  );
  expect(hold.status, show(hold)).toBe(201);
  const after = await quote(body);
  // F-BJ by piece: 800 + 300; the freight changed, so an order on the old quote is refused.
  expect(after.routing?.parcels.map((p) => [p.warehouse, p.freight])).toEqual([["F-BJ", 1_100]]);
  expect(after.amounts.freight).toBe(1_100);
  const stale = await order("fr-stale", { ...body, quoteId: before.quoteId });
  expect(stale.status, show(stale)).toBe(409);
  const placed = await order("fr-moved", { ...body, quoteId: after.quoteId });
  expect(placed.status, show(placed)).toBe(201);
  const r = await routingOf((placed.body as { orderId: string }).orderId);
  expect(r.parcels.map((p) => p.warehouse)).toEqual(["F-BJ"]);
  expect((await api.call("DELETE", "/v1/inventory/F-HEAVY/reservations/HOLD-SH")).status).toBe(200);
});
