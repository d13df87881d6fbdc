import { afterAll, beforeAll, expect, test } from "bun:test";
import type { HubNode } from "../hub-node.ts";
import { readEventLog } from "./faults/harness.ts";
import {
  ApiClient,
  cleanupNamespace,
  NATS_URL,
  requireServices,
  startTestNode,
  testNamespace,
} from "./support/harness.ts";

const ns = testNamespace("concurrency");
let node: HubNode;
let api: ApiClient;

beforeAll(async () => {
  await requireServices();
  node = await startTestNode(ns);
  api = new ApiClient(node.app!);
  await api.login();
  expect((await api.call("PUT", "/v1/warehouses/WH-A", { name: "A", region: "east" })).status).toBe(201);
});

afterAll(async () => {
  await node?.stop();
  await cleanupNamespace(ns);
});

test("inventory - 2,000 concurrent reservations of 1 unit against 500 give exactly 500 successes", async () => {
  const receipt = await api.call(
    "POST",
    "/v1/inventory/HOT-1/receipts",
    { warehouse: "WH-A", qty: 500 },
    { "idempotency-key": "r-1" },
  );
  expect(receipt.status).toBe(201);
  const results = await Promise.all(
    Array.from({ length: 2_000 }, (_, i) =>
      api.call("POST", "/v1/inventory/HOT-1/reservations", { orderId: `o-${i}`, qty: 1 }),
    ),
  );
  const statuses = new Map<number, number>();
  for (const r of results) statuses.set(r.status, (statuses.get(r.status) ?? 0) + 1);
  expect(Object.fromEntries(statuses)).toEqual({ 201: 500, 409: 1_500 });
  const conflict = results.find((r) => r.status === 409)!;
  expect((conflict.body as { type: string }).type).toEndWith("insufficient-stock");
  expect(conflict.headers.get("content-type")).toContain("application/problem+json");

  const stock = await api.call("GET", "/v1/inventory/HOT-1");
  expect(stock.body).toMatchObject({ physical: 500, reserved: 500, sellable: 0 });

  // Group commit: HOT-1's 501 persisted commands went out in far fewer appends than commands. Counted
  // from HOT-1's own messages in the log: the node's counters also count other actors (the scheduler
  // seeds its jobs at start, whenever it gets to it).
  const hot = (await readEventLog(NATS_URL, ns)).filter((m) => m.subject.endsWith(".sku.HOT-1"));
  const appends = hot.length;
  const persisted = hot.reduce((n, m) => n + m.batch.cmds.length, 0);
  console.log(`group commit: ${persisted} commands in ${appends} appends`);
  expect(persisted).toBe(501);
  expect(appends).toBeLessThan(persisted / 4);
});

test("inventory - stock reads back reserved=500 sellable=0 after the node restarts", async () => {
  await node.stop();
  node = await startTestNode(ns);
  api = new ApiClient(node.app!);
  await api.login();
  const stock = await api.call("GET", "/v1/inventory/HOT-1");
  expect(stock.status).toBe(200);
  expect(stock.body).toMatchObject({ physical: 500, reserved: 500, sellable: 0 });
  // A retried reservation from before the restart returns its first answer and changes nothing.
  const again = await api.call("POST", "/v1/inventory/HOT-1/reservations", { orderId: "o-7", qty: 1 });
  const first = again.status;
  expect([201, 409]).toContain(first);
  expect((await api.call("GET", "/v1/inventory/HOT-1")).body).toMatchObject({ reserved: 500, sellable: 0 });
});

test("inventory - the read model and ledger follow the log exactly once", async () => {
  await node.projector!.caughtUp(15_000);
  const rows = await node.sql`SELECT physical, reserved, sellable FROM inventory_stock WHERE sku = 'HOT-1'`;
  expect(rows.map((r) => ({ ...r }))).toEqual([{ physical: "500", reserved: "500", sellable: "0" }]);
  const ledger = await node.sql`SELECT count(*)::int AS n, sum(reserved_delta)::int AS reserved
    FROM stock_ledger WHERE sku = 'HOT-1' AND movement = 'hold'`;
  expect(ledger[0]).toEqual({ n: 500, reserved: 500 });
  const page = await api.call("GET", "/v1/inventory/HOT-1/ledger?limit=2");
  const body = page.body as { items: Array<{ movement: string }>; nextCursor: string };
  expect(body.items).toHaveLength(2);
  expect(body.nextCursor).toBeString();
  const next = await api.call("GET", `/v1/inventory/HOT-1/ledger?limit=2&cursor=${body.nextCursor}`);
  expect((next.body as { items: unknown[] }).items).toHaveLength(2);
});
