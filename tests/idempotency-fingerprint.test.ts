/**
 * Idempotency-Key is scoped to the caller and bound to the request (issue 8, defect 5): the same key with
 * the same body replays the first answer (also after a restart and past JetStream's duplicate window),
 * the same key with another body is 422 `idempotency-key-reused` and changes nothing, and another
 * principal's identical key is a different request.
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
  waitFor,
} from "./support/harness.ts";

const ns = testNamespace("idem-fp");
const overrides = { EVENTS_DUPLICATE_WINDOW: "1s" };
const WH = "WH-FP";
const REUSED = "https://business-hub.dev/problems/idempotency-key-reused";
const address = { region: "Beijing", detail: "1 Main St", phone: "13800000000", name: "Li Lei" };
let node: HubNode;
let admin: ApiClient;
let clerk: ApiClient;

type Res = Awaited<ReturnType<ApiClient["call"]>>;
const show = (res: Res) => `${res.status} ${JSON.stringify(res.body)}`;

async function login(username: string, password: string): Promise<ApiClient> {
  const api = new ApiClient(node.app!);
  await api.login(username, password);
  return api;
}

beforeAll(async () => {
  await requireServices();
  node = await startTestNode(ns, overrides);
  admin = new ApiClient(node.app!);
  await admin.login();
  await new UserStore(node.sql).create("clerk-fp", "clerk-fp-password", ["inventory_manager"]);
  clerk = await login("clerk-fp", "clerk-fp-password");
  expect((await admin.call("PUT", `/v1/warehouses/${WH}`, { name: "FP", region: "east" })).status).toBe(201);
});

afterAll(async () => {
  await node?.stop();
  await cleanupNamespace(ns);
});

const receipt = (api: ApiClient, sku: string, body: unknown, key: string) =>
  api.call("POST", `/v1/inventory/${sku}/receipts`, body, { "idempotency-key": key });
const physical = async (sku: string) =>
  ((await admin.call("GET", `/v1/inventory/${sku}`)).body as { physical: number }).physical;

test("idempotency - the same key with another body is 422 idempotency-key-reused; the same body (any key order) replays", async () => {
  const first = await receipt(admin, "FP-1", { warehouse: WH, qty: 5, reason: "po" }, "fp-key-1");
  expect(first.status, show(first)).toBe(201);
  const reordered = await receipt(
    admin,
    "FP-1",
    '{ "reason": "po",  "qty": 5, "warehouse": "WH-FP" }',
    "fp-key-1",
  );
  expect(reordered.status, show(reordered)).toBe(201);
  expect(reordered.body).toEqual(first.body);

  const other = await receipt(admin, "FP-1", { warehouse: WH, qty: 50, reason: "po" }, "fp-key-1");
  expect(other.status, show(other)).toBe(422);
  expect(other.headers.get("content-type")).toContain("application/problem+json");
  expect((other.body as { type: string }).type).toBe(REUSED);
  expect((other.body as { type: string }).type.endsWith("idempotency-key-reused")).toBe(true);
  expect(await physical("FP-1")).toBe(5);
});

test("idempotency - keys are scoped per principal: another user's identical key is a new request", async () => {
  const mine = await receipt(admin, "FP-2", { warehouse: WH, qty: 3 }, "shared-key");
  expect(mine.status, show(mine)).toBe(201);
  // Same key, another body, another caller: neither a replay of admin's answer nor a refusal.
  const theirs = await receipt(clerk, "FP-2", { warehouse: WH, qty: 4 }, "shared-key");
  expect(theirs.status, show(theirs)).toBe(201);
  expect(theirs.body).toMatchObject({ physical: 7 });
  // And each caller's own retry still replays their own answer.
  expect((await receipt(clerk, "FP-2", { warehouse: WH, qty: 4 }, "shared-key")).body).toEqual(theirs.body);
  expect((await receipt(admin, "FP-2", { warehouse: WH, qty: 3 }, "shared-key")).body).toEqual(mine.body);
  expect(await physical("FP-2")).toBe(7);
});

test("idempotency - an order placed again with the same key and another body is refused, not answered with the first order", async () => {
  expect((await admin.call("PUT", "/v1/skus/FP-3/price", { listPrice: 1_000 })).status).toBe(200);
  expect((await receipt(admin, "FP-3", { warehouse: WH, qty: 10 }, "fp3-stock")).status).toBe(201);
  const place = (userId: string, qty: number) =>
    admin.call(
      "POST",
      "/v1/orders",
      { userId, lines: [{ sku: "FP-3", qty }], address },
      {
        "idempotency-key": "order-key-1",
      },
    );
  const first = await place("buyer-1", 1);
  expect(first.status, show(first)).toBe(201);
  expect((await place("buyer-1", 1)).body).toEqual(first.body);
  for (const [userId, qty] of [
    ["buyer-1", 2],
    ["buyer-2", 1],
  ] as const) {
    const reused = await place(userId, qty);
    expect(reused.status, show(reused)).toBe(422);
    expect((reused.body as { type: string }).type).toBe(REUSED);
  }
  expect((await admin.call("GET", "/v1/inventory/FP-3")).body).toMatchObject({ reserved: 1 });
});

test("idempotency - after the duplicate window and a restart the fingerprint still decides", async () => {
  const first = await receipt(admin, "FP-4", { warehouse: WH, qty: 2 }, "fp-key-4");
  expect(first.status, show(first)).toBe(201);
  const windowOver = Date.now() + 1_200;
  await node.stop();
  node = await startTestNode(ns, overrides);
  admin = new ApiClient(node.app!);
  await admin.login();
  await waitFor(() => Date.now() > windowOver, 5_000, "JetStream's 1 s duplicate window to pass");

  const replay = await receipt(admin, "FP-4", { warehouse: WH, qty: 2 }, "fp-key-4");
  expect(replay.status, show(replay)).toBe(201);
  expect(replay.body).toEqual(first.body);
  const reused = await receipt(admin, "FP-4", { warehouse: WH, qty: 9 }, "fp-key-4");
  expect(reused.status, show(reused)).toBe(422);
  expect((reused.body as { type: string }).type).toBe(REUSED);
  expect(await physical("FP-4")).toBe(2);
});
