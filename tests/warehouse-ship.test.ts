/**
 * `POST /v1/orders/{id}/ship` in a warehouse with bins (issue 12, decision 0027): the warehouse actor
 * picks the order's units from its bins and ships it as a handover does, so bins stay = physical; a
 * retry picks nothing twice; bins that cannot cover it answer 409 bins-short and change nothing; a
 * warehouse without bins ships as before.
 */
import { afterAll, beforeAll, expect, test } from "bun:test";
import { warehouses } from "../actors/warehouse/index.ts";
import type { HubNode } from "../hub-node.ts";
import {
  ApiClient,
  cleanupNamespace,
  requireServices,
  startTestNode,
  testNamespace,
  waitFor,
} from "./support/harness.ts";

const ns = testNamespace("wship");
let node: HubNode;
let api: ApiClient;
const BINNED = "WH-SB";
const PLAIN = "WH-SN";
const SHORT = "WH-SX";
const address = { region: "Shanghai", detail: "88 Nanjing Rd", phone: "13900000000", name: "Wang" };
let seq = 0;

async function must(
  method: string,
  path: string,
  body?: unknown,
  status = 200,
  headers: Record<string, string> = {},
) {
  const res = await api.call(method, path, body, headers);
  if (res.status !== status) throw new Error(`${method} ${path}: ${res.status} ${JSON.stringify(res.body)}`);
  return res.body as Record<string, unknown>;
}

async function invariantHolds(warehouse: string) {
  let last: unknown;
  try {
    await waitFor(
      async () => {
        last = (await api.call("GET", `/v1/warehouses/${warehouse}/invariant`)).body;
        return (last as { ok: boolean }).ok;
      },
      60_000,
      `bin/lot stock = physical in ${warehouse}`,
    );
  } catch (error) {
    throw new Error(`${(error as Error).message}: ${JSON.stringify(last)}`);
  }
}

const physical = async (sku: string, warehouse: string) => {
  const body = (await api.call("GET", `/v1/inventory/${sku}`)).body as {
    warehouses: Array<{ warehouse: string; physical: number }>;
  };
  return body.warehouses.find((w) => w.warehouse === warehouse)?.physical ?? 0;
};

const binStock = async (warehouse: string, sku: string) =>
  (
    (await must("GET", `/v1/warehouses/${warehouse}/stock?sku=${sku}`)).items as unknown as Array<{
      bin: string;
      qty: number;
    }>
  ).map((i) => [i.bin, i.qty]);

const orderStatus = async (orderId: string) =>
  ((await api.call("GET", `/v1/orders/${orderId}`)).body as { status: string }).status;

async function placePaid(lines: Array<{ sku: string; qty: number }>): Promise<string> {
  seq += 1;
  const placed = await must("POST", "/v1/orders", { userId: `wship-u-${seq}`, lines, address }, 201, {
    "idempotency-key": `wship-o-${seq}`,
  });
  const orderId = placed.orderId as unknown as string;
  const created = await must("POST", "/v1/payments", { orderId, channel: "alipay" }, 201);
  await must("POST", `/v1/payments/${created.paymentId as unknown as string}/simulate`, { status: "paid" });
  await waitFor(
    async () => (await orderStatus(orderId)) === "awaiting_shipment",
    60_000,
    `order ${orderId} awaiting shipment`,
  );
  return orderId;
}

beforeAll(async () => {
  await requireServices();
  node = await startTestNode(ns);
  api = new ApiClient(node.app!);
  await api.login();
  for (const wh of [BINNED, PLAIN, SHORT])
    await must("PUT", `/v1/warehouses/${wh}`, { name: wh, region: "east" }, 201);
  for (const sku of ["SHIPB", "SHIPN", "SHIPX"])
    await must("PUT", `/v1/skus/${sku}/price`, { listPrice: 500 });
}, 120_000);

afterAll(async () => {
  await node?.stop();
  await cleanupNamespace(ns);
});

test("ship - an order in a warehouse with bins is picked from its bins: bins = physical, shipped once", async () => {
  await must("PUT", `/v1/warehouses/${BINNED}/bins/A1-01`, { zone: "ambient", aisle: 1, bay: 1, level: 1 });
  const call = warehouses.registerReceipt(BINNED, { receiptId: "RS-1", lines: [{ sku: "SHIPB", qty: 10 }] });
  const reply = await node.client.request(call.to.kind, call.to.id, call.cmd, {
    id: "receipt:RS-1",
    meta: { by: "test", requestId: "RS-1" },
  });
  if (!reply.ok) throw new Error(`registerReceipt: ${JSON.stringify(reply.error)}`);
  await must("POST", `/v1/warehouses/${BINNED}/putaways/RS-1/confirm`, {});
  expect(await binStock(BINNED, "SHIPB")).toEqual([["A1-01", 10]]);
  expect(await physical("SHIPB", BINNED)).toBe(10);
  await invariantHolds(BINNED);

  const o1 = await placePaid([{ sku: "SHIPB", qty: 4 }]);
  const headers = { "idempotency-key": "wship-ship-1" };
  const shipped = await must(
    "POST",
    `/v1/orders/${o1}/ship`,
    { carrier: "SF", trackingNo: "SF1" },
    200,
    headers,
  );
  expect(shipped).toEqual({ orderId: o1, status: "shipped" });
  expect(await binStock(BINNED, "SHIPB")).toEqual([["A1-01", 6]]);
  expect(await physical("SHIPB", BINNED)).toBe(6);
  await waitFor(async () => (await orderStatus(o1)) === "shipped", 60_000, `order ${o1} shipped`);
  await invariantHolds(BINNED);

  // The same request again: the same answer, nothing picked twice.
  const retry = await must(
    "POST",
    `/v1/orders/${o1}/ship`,
    { carrier: "SF", trackingNo: "SF1" },
    200,
    headers,
  );
  expect(retry).toEqual({ orderId: o1, status: "shipped" });
  expect(await binStock(BINNED, "SHIPB")).toEqual([["A1-01", 6]]);
  expect(await physical("SHIPB", BINNED)).toBe(6);
  // Another request (no key) for the shipped order: refused, still nothing picked.
  const twice = await api.call("POST", `/v1/orders/${o1}/ship`, { carrier: "SF", trackingNo: "SF9" });
  expect(twice.status).toBe(409);
  expect(await binStock(BINNED, "SHIPB")).toEqual([["A1-01", 6]]);
  await invariantHolds(BINNED);
}, 240_000);

test("ship - bins that cannot cover the order: 409 bins-short naming the SKU, nothing changes", async () => {
  // Stock received before the warehouse had bins is known to the SKU actor only: the bins cannot cover it.
  await must("POST", "/v1/inventory/SHIPX/receipts", { warehouse: SHORT, qty: 5 }, 201, {
    "idempotency-key": "wship-x-1",
  });
  await must("PUT", `/v1/warehouses/${SHORT}/bins/B1-01`, { zone: "ambient", aisle: 1, bay: 1, level: 1 });
  const o2 = await placePaid([{ sku: "SHIPX", qty: 2 }]);
  const res = await api.call(
    "POST",
    `/v1/orders/${o2}/ship`,
    { carrier: "SF", trackingNo: "SF9" },
    { "idempotency-key": "wship-x" },
  );
  expect(res.status, JSON.stringify(res.body)).toBe(409);
  const problem = res.body as { type: string; sku: string; field: string };
  expect(problem.type.endsWith("bins-short")).toBe(true);
  expect(problem.sku).toBe("SHIPX");
  expect(problem.field).toBe("sku");
  expect(await orderStatus(o2)).toBe("awaiting_shipment");
  expect(await physical("SHIPX", SHORT)).toBe(5);
  expect(await binStock(SHORT, "SHIPX")).toEqual([]);
}, 240_000);

test("ship - an order in a warehouse without bins ships on the SKU actor as before", async () => {
  await must("POST", "/v1/inventory/SHIPN/receipts", { warehouse: PLAIN, qty: 5 }, 201, {
    "idempotency-key": "wship-n-1",
  });
  const o3 = await placePaid([{ sku: "SHIPN", qty: 2 }]);
  const shipped = await must("POST", `/v1/orders/${o3}/ship`, { carrier: "SF", trackingNo: "SF9" });
  expect(shipped).toEqual({ orderId: o3, status: "shipped" });
  expect(await physical("SHIPN", PLAIN)).toBe(3);
  expect(await binStock(PLAIN, "SHIPN")).toEqual([]);
}, 240_000);
