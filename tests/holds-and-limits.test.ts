/**
 * Business rules belong to the server (issue 8, defect 10): direct reservations are operator holds with
 * their own permission, audited and marked in the ledger; committing one needs the permission to ship;
 * purchase limits are operator configuration, never request fields; points never pay for more than they
 * discount.
 */
import { afterAll, beforeAll, expect, test } from "bun:test";
import type { HubNode } from "../hub-node.ts";
import { UserStore } from "../storage/users.ts";
import {
  ApiClient,
  cleanupNamespace,
  requireServices,
  startTestNode,
  testNamespace,
} from "./support/harness.ts";

const ns = testNamespace("holds");
const WH = "WH-HL";
const PROBLEMS = "https://business-hub.dev/problems/";
const address = { region: "Beijing", detail: "1 Main St", phone: "13800000000", name: "Li Lei" };
let node: HubNode;
let admin: ApiClient;
let clerk: ApiClient;
let viewer: ApiClient;

type Res = Awaited<ReturnType<ApiClient["call"]>>;

function expectProblem(res: Res, status: number, slug: string): Record<string, unknown> {
  const context = `${res.status} ${JSON.stringify(res.body)}`;
  expect(res.status, context).toBe(status);
  expect(res.headers.get("content-type"), context).toStartWith("application/problem+json");
  expect((res.body as { type: string }).type, context).toBe(`${PROBLEMS}${slug}`);
  return res.body as Record<string, unknown>;
}

async function as(username: string, roles: string[]): Promise<ApiClient> {
  await new UserStore(node.sql).create(username, `${username}-password`, roles);
  const api = new ApiClient(node.app!);
  await api.login(username, `${username}-password`);
  return api;
}

const stock = async (sku: string) =>
  (await admin.call("GET", `/v1/inventory/${sku}`)).body as { physical: number; reserved: number };
const receive = async (sku: string, qty: number) => {
  const res = await admin.call(
    "POST",
    `/v1/inventory/${sku}/receipts`,
    { warehouse: WH, qty },
    {
      "idempotency-key": `stock-${sku}-${qty}`,
    },
  );
  expect(res.status, JSON.stringify(res.body)).toBe(201);
};

beforeAll(async () => {
  await requireServices();
  node = await startTestNode(ns);
  admin = new ApiClient(node.app!);
  await admin.login();
  clerk = await as("clerk-hl", ["inventory_manager"]);
  viewer = await as("viewer-hl", ["viewer"]);
  expect((await admin.call("PUT", `/v1/warehouses/${WH}`, { name: "HL", region: "east" })).status).toBe(201);
});

afterAll(async () => {
  await node?.stop();
  await cleanupNamespace(ns);
});

test("holds - a hold for an order that does not exist is an operator action: inventory:hold, audited, marked in the ledger", async () => {
  await receive("HL-1", 10);
  expectProblem(
    await viewer.call("POST", "/v1/inventory/HL-1/reservations", { orderId: "no-such-order", qty: 3 }),
    403,
    "forbidden",
  );
  const held = await clerk.call("POST", "/v1/inventory/HL-1/reservations", {
    orderId: "no-such-order",
    qty: 3,
    reason: "quality check",
  });
  expect(held.status, JSON.stringify(held.body)).toBe(201);
  expect(held.body).toMatchObject({ orderId: "no-such-order", lines: [{ warehouse: WH, qty: 3 }] });
  expect(await stock("HL-1")).toMatchObject({ physical: 10, reserved: 3 });

  await node.projector!.caughtUp(15_000);
  const ledger = await node.sql`SELECT movement, reason, principal, order_id FROM stock_ledger
    WHERE sku = 'HL-1' AND order_id = 'no-such-order'`;
  expect(ledger.map((r) => ({ ...r }))).toEqual([
    { movement: "hold", reason: "quality check", principal: "clerk-hl", order_id: "no-such-order" },
  ]);
  const audit =
    await node.sql`SELECT principal, action FROM audit_log WHERE target = 'sku/HL-1' AND action = 'sku.reserve'`;
  expect(audit.map((r) => ({ ...r }))).toEqual([{ principal: "clerk-hl", action: "sku.reserve" }]);
});

test("holds - committing a hold deducts stock only with the permission to ship", async () => {
  await receive("HL-2", 5);
  expect(
    (await clerk.call("POST", "/v1/inventory/HL-2/reservations", { orderId: "ghost", qty: 3 })).status,
  ).toBe(201);
  const refused = expectProblem(
    await clerk.call("POST", "/v1/inventory/HL-2/reservations/ghost/commit"),
    403,
    "forbidden",
  );
  expect(refused.permission).toBe("order:fulfil");
  expect(await stock("HL-2")).toMatchObject({ physical: 5, reserved: 3 });
  const shipped = await admin.call("POST", "/v1/inventory/HL-2/reservations/ghost/commit");
  expect(shipped.status, JSON.stringify(shipped.body)).toBe(200);
  expect(await stock("HL-2")).toMatchObject({ physical: 2, reserved: 0 });
});

test("holds - a hold whose units a count found missing cannot be committed: physical stock never goes negative", async () => {
  await receive("HL-3", 3);
  expect(
    (await clerk.call("POST", "/v1/inventory/HL-3/reservations", { orderId: "phantom", qty: 3 })).status,
  ).toBe(201);
  const counted = await clerk.call("POST", "/v1/inventory/HL-3/adjustments", {
    warehouse: WH,
    countedQty: 0,
    reason: "cycle count",
  });
  expect(counted.status).toBe(201);
  expectProblem(await admin.call("POST", "/v1/inventory/HL-3/reservations/phantom/commit"), 409, "conflict");
  expect((await stock("HL-3")).physical).toBe(0);
});

test("holds - an order's reservation is not released or committed through the inventory API", async () => {
  expect((await admin.call("PUT", "/v1/skus/HL-4/price", { listPrice: 500 })).status).toBe(200);
  await receive("HL-4", 5);
  const placed = await admin.call(
    "POST",
    "/v1/orders",
    { userId: "u-hl4", lines: [{ sku: "HL-4", qty: 2 }], address },
    {
      "idempotency-key": "hl4-order",
    },
  );
  expect(placed.status, JSON.stringify(placed.body)).toBe(201);
  const orderId = (placed.body as { orderId: string }).orderId;
  expectProblem(
    await admin.call("POST", `/v1/inventory/HL-4/reservations/${orderId}/commit`),
    409,
    "conflict",
  );
  expectProblem(await admin.call("DELETE", `/v1/inventory/HL-4/reservations/${orderId}`), 409, "conflict");
  // A hold under the order's id does not become the order's reservation either.
  expectProblem(
    await admin.call("POST", "/v1/inventory/HL-4/reservations", { orderId, qty: 2 }),
    409,
    "conflict",
  );
  expect(await stock("HL-4")).toMatchObject({ physical: 5, reserved: 2 });
});

test("holds - a hold's orderId names one request: the same request replays, another is refused, a released hold is not replayed", async () => {
  await receive("HL-8", 10);
  const path = "/v1/inventory/HL-8/reservations";
  const first = await clerk.call("POST", path, { orderId: "h-8", qty: 3, warehouse: WH });
  expect(first.status, JSON.stringify(first.body)).toBe(201);
  // The same request again (a client retry) gets the same hold back.
  const again = await clerk.call("POST", path, { orderId: "h-8", qty: 3, warehouse: WH });
  expect(again.status, JSON.stringify(again.body)).toBe(201);
  expect(again.body).toEqual(first.body);
  // Another quantity, warehouse, buyer or reason under the same orderId is another request: refused, and
  // never answered with the first hold as if it had been granted.
  for (const other of [
    { orderId: "h-8", qty: 5, warehouse: WH },
    { orderId: "h-8", qty: 3 },
    { orderId: "h-8", qty: 3, warehouse: WH, userId: "u-8" },
    { orderId: "h-8", qty: 3, warehouse: WH, reason: "other reason" },
  ]) {
    const refused = expectProblem(await clerk.call("POST", path, other), 422, "idempotency-key-reused");
    expect(refused.orderId, JSON.stringify(other)).toBe("h-8");
  }
  // Another operator's identical request is not a replay of the clerk's hold either.
  expectProblem(
    await admin.call("POST", path, { orderId: "h-8", qty: 3, warehouse: WH }),
    422,
    "idempotency-key-reused",
  );
  expect(await stock("HL-8")).toMatchObject({ physical: 10, reserved: 3 });

  // After a release, the same request is decided again (not answered with the old 201): the name is used up.
  expect((await clerk.call("DELETE", `${path}/h-8`)).status).toBe(200);
  const afterRelease = expectProblem(
    await clerk.call("POST", path, { orderId: "h-8", qty: 3, warehouse: WH }),
    409,
    "conflict",
  );
  expect(afterRelease.reservationStatus).toBe("released");
  expect(await stock("HL-8")).toMatchObject({ physical: 10, reserved: 0 });
  // Only the one hold and its release reached the log.
  await node.projector!.caughtUp(15_000);
  const ledger = await node.sql`SELECT movement, reserved_delta FROM stock_ledger
    WHERE sku = 'HL-8' AND order_id = 'h-8' ORDER BY seq, idx`;
  expect(ledger.map((r) => `${r.movement}:${r.reserved_delta}`)).toEqual(["hold:3", "hold_release:-3"]);
});

test("limits - request fields that set limits are refused with a problem naming where the limit is set", async () => {
  await receive("HL-5", 10);
  const viaHold = expectProblem(
    await admin.call("POST", "/v1/inventory/HL-5/reservations", {
      orderId: "h-5",
      qty: 1,
      userId: "u-5",
      maxPerUser: 100,
    }),
    400,
    "validation",
  );
  expect(viaHold.field).toBe("maxPerUser");
  expect(String(viaHold.detail)).toContain("purchase-limit");
  for (const field of ["maxPerUser", "maxPerCampaign"]) {
    const viaOrder = expectProblem(
      await admin.call(
        "POST",
        "/v1/orders",
        { userId: "u-5", lines: [{ sku: "HL-5", qty: 1 }], address, campaignId: "C-1", [field]: 100 },
        { "idempotency-key": `hl5-${field}` },
      ),
      400,
      "validation",
    );
    expect(viaOrder.field).toBe(field);
  }
  expect((await stock("HL-5")).reserved).toBe(0);
});

test("limits - an operator-set per-SKU limit applies to orders and holds for the same buyer", async () => {
  expect((await admin.call("PUT", "/v1/skus/HL-6/price", { listPrice: 500 })).status).toBe(200);
  await receive("HL-6", 10);
  expectProblem(
    await viewer.call("PUT", "/v1/inventory/HL-6/purchase-limit", { maxPerUser: 1 }),
    403,
    "forbidden",
  );
  const set = await clerk.call("PUT", "/v1/inventory/HL-6/purchase-limit", { maxPerUser: 1 });
  expect(set.status, JSON.stringify(set.body)).toBe(200);
  expect(set.body).toEqual({ sku: "HL-6", maxPerUser: 1 });
  expect((await admin.call("GET", "/v1/inventory/HL-6")).body).toMatchObject({ maxPerUser: 1 });
  const order = (key: string) =>
    admin.call(
      "POST",
      "/v1/orders",
      { userId: "u-6", lines: [{ sku: "HL-6", qty: 1 }], address },
      {
        "idempotency-key": key,
      },
    );
  expect((await order("hl6-1")).status).toBe(201);
  const second = expectProblem(await order("hl6-2"), 409, "conflict");
  expect(String(second.detail)).toContain("purchase limit");
  expectProblem(
    await clerk.call("POST", "/v1/inventory/HL-6/reservations", { orderId: "h-6", qty: 1, userId: "u-6" }),
    409,
    "conflict",
  );
  // Another buyer is not limited by u-6's purchases; lifting the limit lifts it.
  expect((await order("hl6-3").then(() => admin.call("GET", "/v1/inventory/HL-6"))).status).toBe(200);
  expect((await clerk.call("PUT", "/v1/inventory/HL-6/purchase-limit", { maxPerUser: null })).body).toEqual({
    sku: "HL-6",
    maxPerUser: null,
  });
  expect((await order("hl6-4")).status).toBe(201);
  await node.projector!.caughtUp(15_000);
  const audit =
    await node.sql`SELECT principal FROM audit_log WHERE action = 'sku.setPurchaseLimit' AND target = 'sku/HL-6'`;
  expect(audit.map((r) => r.principal)).toEqual(["clerk-hl", "clerk-hl"]);
});

test("limits - points spent never exceed what they discount", async () => {
  expect((await admin.call("PUT", "/v1/skus/HL-7/price", { listPrice: 300 })).status).toBe(200);
  await receive("HL-7", 10);
  await node.client.send(
    "member",
    "u-7",
    { type: "adjustPoints", delta: 1_000, reason: "welcome" },
    {
      meta: { by: "test" },
    },
  );
  // Asking to spend 1,000 points on a 300 fen item spends 300: the order is free and 700 points remain.
  const res = await admin.call(
    "POST",
    "/v1/orders",
    { userId: "u-7", lines: [{ sku: "HL-7", qty: 1 }], address, pointsToSpend: 1_000 },
    { "idempotency-key": "hl7-1" },
  );
  expect(res.status, JSON.stringify(res.body)).toBe(201);
  expect(res.body).toMatchObject({ amounts: { items: 300, discount: 300, total: 0 } });
  const member = (await admin.call("GET", "/v1/members/u-7")).body as { points: number };
  expect(member.points).toBe(700);
});
