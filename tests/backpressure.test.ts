import { afterAll, beforeAll, expect, test } from "bun:test";
import type { HubNode } from "../hub-node.ts";
import {
  ApiClient,
  cleanupNamespace,
  requireServices,
  startTestNode,
  testNamespace,
} from "./support/harness.ts";

const ns = testNamespace("backpressure");
let node: HubNode;
let api: ApiClient;

beforeAll(async () => {
  await requireServices();
  node = await startTestNode(ns, { MAILBOX_MAX: "8" });
  api = new ApiClient(node.app!);
  await api.login();
  await api.call("PUT", "/v1/warehouses/WH-B", { name: "B", region: "east" });
});

afterAll(async () => {
  await node?.stop();
  await cleanupNamespace(ns);
});

test("backpressure - a full actor mailbox answers 429 with Retry-After and applies nothing for it", async () => {
  await api.call(
    "POST",
    "/v1/inventory/BP-1/receipts",
    { warehouse: "WH-B", qty: 10_000 },
    { "idempotency-key": "bp" },
  );
  const results = await Promise.all(
    Array.from({ length: 400 }, (_, i) =>
      api.call("POST", "/v1/inventory/BP-1/reservations", { orderId: `bp-${i}`, qty: 1 }),
    ),
  );
  const refused = results.filter((r) => r.status === 429);
  const accepted = results.filter((r) => r.status === 201);
  console.log(`backpressure: ${accepted.length} accepted, ${refused.length} refused with 429 (mailbox 8)`);
  expect(refused.length).toBeGreaterThan(0);
  expect(accepted.length + refused.length).toBe(400);
  expect(refused[0]!.headers.get("retry-after")).toMatch(/^\d+$/);
  expect((refused[0]!.body as { type: string }).type).toEndWith("/overloaded");
  const stock = (await api.call("GET", "/v1/inventory/BP-1")).body as { reserved: number };
  expect(stock.reserved).toBe(accepted.length);
});
