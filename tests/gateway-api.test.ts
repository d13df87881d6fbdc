/**
 * Example tests of the public HTTP API through `app.request`: auth, warehouses, the inventory commands
 * and their idempotency, the operational endpoints, request ids and the audit trail.
 */
import { afterAll, beforeAll, expect, test } from "bun:test";
import type { HubNode } from "../hub-node.ts";
import {
  ApiClient,
  cleanupNamespace,
  requireServices,
  startTestNode,
  testNamespace,
} from "./support/harness.ts";

const ns = testNamespace("gw-api");
const WH = "WH-API";
const PROBLEMS = "https://business-hub.dev/problems/";

let node: HubNode;
let api: ApiClient;

type Res = Awaited<ReturnType<ApiClient["call"]>>;
interface Stock {
  sku: string;
  physical: number;
  reserved: number;
  sellable: number;
  inTransit: number;
  safetyStock: number;
  warehouses: Array<{ warehouse: string; physical: number; reserved: number; sellable: number }>;
}
interface Warehouse {
  code: string;
  name: string;
  region: string;
  createdAt: string;
  updatedAt: string;
}

function expectProblem(res: Res, status: number, slug: string): Record<string, unknown> {
  const context = `${res.status} ${JSON.stringify(res.body)}`;
  expect(res.status, context).toBe(status);
  expect(res.headers.get("content-type"), context).toStartWith("application/problem+json");
  const body = res.body as Record<string, unknown>;
  expect(body.type, context).toBe(`${PROBLEMS}${slug}`);
  expect(body.status, context).toBe(status);
  return body;
}

async function receive(sku: string, qty: number, key: string, warehouse = WH): Promise<Res> {
  return api.call("POST", `/v1/inventory/${sku}/receipts`, { warehouse, qty }, { "idempotency-key": key });
}

async function stockOf(sku: string): Promise<Stock> {
  const res = await api.call("GET", `/v1/inventory/${sku}`);
  expect(res.status).toBe(200);
  return res.body as Stock;
}

beforeAll(async () => {
  await requireServices();
  node = await startTestNode(ns);
  api = new ApiClient(node.app!);
  await api.login();
  expect((await api.call("PUT", `/v1/warehouses/${WH}`, { name: "API", region: "east" })).status).toBe(201);
});

afterAll(async () => {
  await node?.stop();
  await cleanupNamespace(ns);
});

// --- Auth ---------------------------------------------------------------------------------------------

test("gateway - login returns a bearer token that opens the API", async () => {
  const client = new ApiClient(node.app!);
  const res = await client.call("POST", "/v1/auth/token", {
    username: "admin",
    password: "test-admin-password",
  });
  expect(res.status).toBe(200);
  const body = res.body as { token: string; expiresAt: string };
  expect(body.token.split(".")).toHaveLength(3);
  expect(Date.parse(body.expiresAt)).toBeGreaterThan(Date.now());
  client.token = body.token;
  expect((await client.call("GET", "/v1/warehouses")).status).toBe(200);
});

test("gateway - login with a wrong password or an unknown user is 401 unauthorized", async () => {
  const client = new ApiClient(node.app!);
  const wrong = await client.call("POST", "/v1/auth/token", {
    username: "admin",
    password: "not-the-password",
  });
  const problem = expectProblem(wrong, 401, "unauthorized");
  expect(problem.detail).toContain("wrong username or password");
  expect(JSON.stringify(wrong.body)).not.toContain('token":');
  const unknown = await client.call("POST", "/v1/auth/token", { username: "nobody", password: "whatever" });
  expectProblem(unknown, 401, "unauthorized");
  await expect(client.login("admin", "not-the-password")).rejects.toThrow("login failed: 401");
});

// --- Warehouses ---------------------------------------------------------------------------------------

test("gateway - PUT warehouse is 201 when it creates and 200 when it updates", async () => {
  const created = await api.call("PUT", "/v1/warehouses/WH-UPD", { name: "Before", region: "west" });
  expect(created.status).toBe(201);
  const first = created.body as Warehouse;
  expect(first).toMatchObject({ code: "WH-UPD", name: "Before", region: "west" });
  expect(Date.parse(first.createdAt)).not.toBeNaN();

  const updated = await api.call("PUT", "/v1/warehouses/WH-UPD", { name: "  After  ", region: "north" });
  expect(updated.status).toBe(200);
  const second = updated.body as Warehouse;
  expect(second).toMatchObject({
    code: "WH-UPD",
    name: "After",
    region: "north",
    createdAt: first.createdAt,
  });
  expect(Date.parse(second.updatedAt)).toBeGreaterThanOrEqual(Date.parse(first.updatedAt));

  // A registered warehouse is usable straight away.
  expect((await receive("WH-UPD-SKU", 1, "wh-upd-1", "WH-UPD")).status).toBe(201);
});

test("gateway - GET /v1/warehouses pages with limit and cursor", async () => {
  const codes = ["PG-1", "PG-2", "PG-3", "PG-4", "PG-5"];
  for (const code of codes) {
    expect((await api.call("PUT", `/v1/warehouses/${code}`, { name: code, region: "pages" })).status).toBe(
      201,
    );
  }
  const all = await api.call("GET", "/v1/warehouses?limit=500");
  expect(all.status).toBe(200);
  const everything = (all.body as { items: Warehouse[]; nextCursor: string | null }).items.map((w) => w.code);
  expect(everything).toEqual([...everything].sort());
  expect(everything).toEqual(expect.arrayContaining([WH, ...codes]));
  expect((all.body as { nextCursor: string | null }).nextCursor).toBeNull();

  const seen: string[] = [];
  let cursor: string | null = null;
  let pages = 0;
  do {
    const res = await api.call("GET", `/v1/warehouses?limit=2${cursor ? `&cursor=${cursor}` : ""}`);
    expect(res.status).toBe(200);
    const page = res.body as { items: Warehouse[]; nextCursor: string | null };
    expect(page.items.length).toBeLessThanOrEqual(2);
    if (page.nextCursor !== null) {
      expect(page.items).toHaveLength(2);
      expect(page.nextCursor).toBe(page.items.at(-1)!.code);
    }
    seen.push(...page.items.map((w) => w.code));
    cursor = page.nextCursor;
    pages++;
  } while (cursor !== null && pages < 50);
  expect(seen).toEqual(everything);
  expect(pages).toBeGreaterThanOrEqual(Math.ceil(everything.length / 2));

  // The cursor is the last code seen: the page after PG-2 starts at PG-3.
  const after = await api.call("GET", "/v1/warehouses?limit=2&cursor=PG-2");
  expect((after.body as { items: Warehouse[] }).items.map((w) => w.code)).toEqual(["PG-3", "PG-4"]);
  // The default limit is 50.
  expect((await api.call("GET", "/v1/warehouses")).body).toEqual(all.body);
});

// --- Inventory ----------------------------------------------------------------------------------------

test("gateway - a receipt repeated with the same Idempotency-Key returns the same body and counts once", async () => {
  const sku = "IDEM-RCPT";
  const first = await receive(sku, 10, "rcpt-1");
  expect(first.status).toBe(201);
  expect(first.body).toMatchObject({ sku, physical: 10, sellable: 10 });
  const again = await receive(sku, 10, "rcpt-1");
  expect(again.status).toBe(201);
  expect(again.body).toEqual(first.body);
  // Concurrent retries of one key too.
  const retries = await Promise.all(Array.from({ length: 10 }, () => receive(sku, 10, "rcpt-1")));
  for (const r of retries) expect(r.body).toEqual(first.body);
  expect((await stockOf(sku)).physical).toBe(10);
  // Another key is another receipt.
  const second = await receive(sku, 5, "rcpt-2");
  expect(second.body).toMatchObject({ physical: 15 });
  expect((await stockOf(sku)).physical).toBe(15);

  await node.projector!.caughtUp(15_000);
  const rows = await node.sql`SELECT count(*)::int AS n, sum(physical_delta)::int AS physical
    FROM stock_ledger WHERE sku = ${sku} AND movement = 'receipt'`;
  expect(rows[0]).toEqual({ n: 2, physical: 15 });
});

test("gateway - a reservation repeated with the same orderId and body returns the first answer; another body is 422", async () => {
  const sku = "IDEM-RSV";
  expect((await receive(sku, 10, "rsv-r1")).status).toBe(201);
  const first = await api.call("POST", `/v1/inventory/${sku}/reservations`, { orderId: "ord-1", qty: 3 });
  expect(first.status).toBe(201);
  expect(first.body).toMatchObject({
    orderId: "ord-1",
    lines: [{ warehouse: WH, qty: 3 }],
  });
  expect(await stockOf(sku)).toMatchObject({ physical: 10, reserved: 3, sellable: 7 });
  const again = await api.call("POST", `/v1/inventory/${sku}/reservations`, { orderId: "ord-1", qty: 3 });
  expect(again.status).toBe(201);
  expect(again.body).toEqual(first.body);
  // A different quantity under the same orderId is another request: refused, never answered as granted.
  const changed = await api.call("POST", `/v1/inventory/${sku}/reservations`, { orderId: "ord-1", qty: 5 });
  expectProblem(changed, 422, "idempotency-key-reused");
  expect(await stockOf(sku)).toMatchObject({ physical: 10, reserved: 3, sellable: 7 });
});

test("gateway - release is 200, a repeated release returns the same answer, an unknown order is 404", async () => {
  const sku = "REL-1";
  expect((await receive(sku, 10, "rel-r1")).status).toBe(201);
  expect(
    (await api.call("POST", `/v1/inventory/${sku}/reservations`, { orderId: "ord-r", qty: 4 })).status,
  ).toBe(201);
  const released = await api.call("DELETE", `/v1/inventory/${sku}/reservations/ord-r`);
  expect(released.status).toBe(200);
  expect(released.body).toMatchObject({
    orderId: "ord-r",
    released: [{ warehouse: WH, qty: 4 }],
  });
  const again = await api.call("DELETE", `/v1/inventory/${sku}/reservations/ord-r`);
  expect(again.status).toBe(200);
  expect(again.body).toEqual(released.body);
  expect(await stockOf(sku)).toMatchObject({ physical: 10, reserved: 0, sellable: 10 });

  const unknown = await api.call("DELETE", `/v1/inventory/${sku}/reservations/ord-nope`);
  const problem = expectProblem(unknown, 404, "not-found");
  expect(problem.orderId).toBe("ord-nope");
  // A 404 is not remembered: the order can still be reserved and released afterwards.
  expect(
    (await api.call("POST", `/v1/inventory/${sku}/reservations`, { orderId: "ord-nope", qty: 1 })).status,
  ).toBe(201);
  expect((await api.call("DELETE", `/v1/inventory/${sku}/reservations/ord-nope`)).status).toBe(200);
});

test("gateway - commit deducts physical and a repeated commit is the same answer", async () => {
  const sku = "COMMIT-1";
  expect((await receive(sku, 10, "cm-r1")).status).toBe(201);
  expect(
    (await api.call("POST", `/v1/inventory/${sku}/reservations`, { orderId: "ord-c", qty: 4 })).status,
  ).toBe(201);
  const committed = await api.call("POST", `/v1/inventory/${sku}/reservations/ord-c/commit`);
  expect(committed.status).toBe(200);
  expect(committed.body).toMatchObject({
    orderId: "ord-c",
    committed: [{ warehouse: WH, qty: 4 }],
  });
  expect(await stockOf(sku)).toMatchObject({ physical: 6, reserved: 0, sellable: 6 });
  // Committing twice is the same answer, not a second deduction.
  const twice = await api.call("POST", `/v1/inventory/${sku}/reservations/ord-c/commit`);
  expect(twice.body).toEqual(committed.body);
  expect((await stockOf(sku)).physical).toBe(6);

  const unknown = await api.call("POST", `/v1/inventory/${sku}/reservations/ord-unknown/commit`);
  expectProblem(unknown, 404, "not-found");
});

test("gateway - commit after release (and release after commit) is 409 conflict and changes nothing", async () => {
  const sku = "COMMIT-2";
  expect((await receive(sku, 10, "cm2-r1")).status).toBe(201);
  for (const orderId of ["ord-x", "ord-y"]) {
    const reserved = await api.call("POST", `/v1/inventory/${sku}/reservations`, { orderId, qty: 2 });
    expect(reserved.status).toBe(201);
  }
  expect((await api.call("DELETE", `/v1/inventory/${sku}/reservations/ord-x`)).status).toBe(200);
  expect((await api.call("POST", `/v1/inventory/${sku}/reservations/ord-y/commit`)).status).toBe(200);
  const before = await stockOf(sku);
  expect(before).toMatchObject({ physical: 8, reserved: 0, sellable: 8 });

  const late = await api.call("POST", `/v1/inventory/${sku}/reservations/ord-x/commit`);
  const lateProblem = expectProblem(late, 409, "conflict");
  expect(lateProblem.detail).toContain("already released");
  expect(lateProblem.orderId).toBe("ord-x");
  const undo = await api.call("DELETE", `/v1/inventory/${sku}/reservations/ord-y`);
  const undoProblem = expectProblem(undo, 409, "conflict");
  expect(undoProblem.detail).toContain("already committed");
  expect(await stockOf(sku)).toEqual(before);
});

test("gateway - an adjustment sets physical and writes an adjustment ledger row with its reason", async () => {
  const sku = "ADJ-1";
  expect((await receive(sku, 30, "adj-r1")).status).toBe(201);
  const adjusted = await api.call("POST", `/v1/inventory/${sku}/adjustments`, {
    warehouse: WH,
    countedQty: 25,
    reason: "cycle count: 5 damaged",
  });
  expect(adjusted.status).toBe(201);
  expect(adjusted.body).toMatchObject({ sku, physical: 25, sellable: 25 });
  expect(await stockOf(sku)).toMatchObject({ physical: 25 });

  await node.projector!.caughtUp(15_000);
  const rows = await node.sql`SELECT movement, physical_delta::int AS delta, reason, principal, warehouse
    FROM stock_ledger WHERE sku = ${sku} AND movement = 'adjustment'`;
  expect(rows.map((r) => ({ ...r }))).toEqual([
    {
      movement: "adjustment",
      delta: -5,
      reason: "cycle count: 5 damaged",
      principal: "admin",
      warehouse: WH,
    },
  ]);
  const ledger = await api.call("GET", `/v1/inventory/${sku}/ledger?limit=1`);
  expect(ledger.status).toBe(200);
  expect((ledger.body as { items: unknown[] }).items).toEqual([
    expect.objectContaining({
      movement: "adjustment",
      physicalDelta: -5,
      reason: "cycle count: 5 damaged",
      by: "admin",
    }),
  ]);
  const stock = await node.sql`SELECT physical::int AS physical FROM inventory_stock WHERE sku = ${sku}`;
  expect(stock[0]?.physical).toBe(25);
});

test("gateway - safety stock lowers sellable and a reservation beyond sellable is 409", async () => {
  const sku = "SAFE-1";
  expect((await receive(sku, 20, "safe-r1")).status).toBe(201);
  const set = await api.call("PUT", `/v1/inventory/${sku}/safety-stock`, { warehouse: WH, qty: 15 });
  expect(set.status).toBe(200);
  expect(set.body).toMatchObject({ physical: 20, safetyStock: 15, sellable: 5 });
  expect(await stockOf(sku)).toMatchObject({ physical: 20, reserved: 0, safetyStock: 15, sellable: 5 });

  const tooMany = await api.call("POST", `/v1/inventory/${sku}/reservations`, { orderId: "ord-s1", qty: 6 });
  const problem = expectProblem(tooMany, 409, "insufficient-stock");
  expect(problem).toMatchObject({ requested: 6, sellable: 5 });
  expect(await stockOf(sku)).toMatchObject({ reserved: 0, sellable: 5 });

  const fits = await api.call("POST", `/v1/inventory/${sku}/reservations`, { orderId: "ord-s2", qty: 5 });
  expect(fits.status).toBe(201);
  expect(await stockOf(sku)).toMatchObject({ physical: 20, reserved: 5, sellable: 0 });
});

// --- Operations ---------------------------------------------------------------------------------------

test("gateway - /healthz is 200", async () => {
  const res = await api.call("GET", "/healthz", undefined, {}, false);
  expect(res.status).toBe(200);
  expect(res.body).toEqual({ status: "ok" });
});

test("gateway - /readyz is 200 with its checks", async () => {
  const res = await api.call("GET", "/readyz", undefined, {}, false);
  expect(res.status).toBe(200);
  const report = res.body as { ready: boolean; checks: Record<string, { ok: boolean; detail?: string }> };
  expect(report.ready).toBe(true);
  expect(Object.keys(report.checks).sort()).toEqual([
    "event log storage",
    "nats",
    "postgres",
    "projector",
    "redis",
    "shards",
  ]);
  for (const check of Object.values(report.checks)) expect(check.ok).toBe(true);
});

test("gateway - /metrics exposes HTTP and actor counters as text", async () => {
  expect((await receive("METRICS-1", 1, "metrics-r1")).status).toBe(201);
  const res = await node.app!.request("/metrics");
  expect(res.status).toBe(200);
  expect(res.headers.get("content-type")).toStartWith("text/plain");
  const text = await res.text();
  expect(text).toContain("hub_http_requests_total");
  expect(text).toContain("hub_actor_appends_total");
});

test("gateway - /openapi.json is OpenAPI 3.1 with the inventory paths", async () => {
  const res = await api.call("GET", "/openapi.json", undefined, {}, false);
  expect(res.status).toBe(200);
  const doc = res.body as { openapi: string; paths: Record<string, Record<string, unknown>> };
  expect(doc.openapi).toBe("3.1.0");
  expect(Object.keys(doc.paths)).toEqual(
    expect.arrayContaining([
      "/v1/inventory/{sku}/reservations",
      "/v1/inventory/{sku}",
      "/v1/inventory/{sku}/receipts",
      "/v1/warehouses",
      "/v1/auth/token",
    ]),
  );
  expect(doc.paths["/v1/inventory/{sku}/reservations"]).toHaveProperty("post");
});

test("gateway - /docs returns HTML", async () => {
  const res = await node.app!.request("/docs");
  expect(res.status).toBe(200);
  expect(res.headers.get("content-type")).toStartWith("text/html");
  expect((await res.text()).toLowerCase()).toContain("<html");
});

// --- Request ids --------------------------------------------------------------------------------------

test("gateway - every response carries x-request-id and a valid incoming one is echoed", async () => {
  const anonymous = new ApiClient(node.app!);
  const responses: Res[] = [
    await api.call("GET", "/healthz"),
    await api.call("GET", "/v1/warehouses"),
    await receive("RID-1", 1, "rid-r1"),
    await anonymous.call("GET", "/v1/warehouses"),
    await api.call("GET", "/v1/no-such-route"),
    await api.call("POST", "/v1/inventory/RID-1/receipts", "{not json", { "idempotency-key": "rid-bad" }),
  ];
  expect(responses.map((r) => r.status)).toEqual([200, 200, 201, 401, 404, 400]);
  const ids = responses.map((r) => r.headers.get("x-request-id"));
  for (const id of ids) expect(id).toBeString();
  expect(new Set(ids).size).toBe(ids.length);
  // Problems carry the same id in the body.
  for (const r of responses.slice(3))
    expect((r.body as { requestId: string }).requestId).toBe(r.headers.get("x-request-id")!);

  const echoed = await api.call("GET", "/v1/warehouses", undefined, {
    "x-request-id": "trace-abc:123.x_y-z",
  });
  expect(echoed.headers.get("x-request-id")).toBe("trace-abc:123.x_y-z");
  const echoedProblem = await anonymous.call("GET", "/v1/warehouses", undefined, {
    "x-request-id": "trace-401",
  });
  expect(echoedProblem.headers.get("x-request-id")).toBe("trace-401");
  expect((echoedProblem.body as { requestId: string }).requestId).toBe("trace-401");

  // An id that is not safe to log is replaced, not echoed.
  for (const bad of ["has spaces in it", "x".repeat(101), "semi;colon", 'quote"d']) {
    const res = await api.call("GET", "/healthz", undefined, { "x-request-id": bad });
    const id = res.headers.get("x-request-id");
    expect(id).not.toBe(bad);
    expect(id).toMatch(/^[0-9a-f-]{36}$/);
  }
});

// --- Audit --------------------------------------------------------------------------------------------

test("gateway - a receipt is audited as sku.receive by admin with its request id", async () => {
  const sku = "AUDIT-1";
  const res = await api.call(
    "POST",
    `/v1/inventory/${sku}/receipts`,
    { warehouse: WH, qty: 3 },
    { "idempotency-key": "audit-r1", "x-request-id": "audit-receipt-1" },
  );
  expect(res.status).toBe(201);
  await node.projector!.caughtUp(15_000);
  const rows = await node.sql`SELECT * FROM audit_log WHERE target = ${`sku/${sku}`}`;
  expect(rows).toHaveLength(1);
  expect(rows[0]).toMatchObject({
    principal: "admin",
    action: "sku.receive",
    target: `sku/${sku}`,
    request_id: "audit-receipt-1",
  });
  // Command ids are scoped to the caller: the same key from another user is another command.
  expect(rows[0]!.detail).toMatchObject({ commandId: "receipt:admin:audit-r1", ok: true, events: 1 });
  // The retry of the same receipt is not audited twice.
  expect((await receive(sku, 3, "audit-r1")).status).toBe(201);
  await node.projector!.caughtUp(15_000);
  expect(await node.sql`SELECT id FROM audit_log WHERE target = ${`sku/${sku}`}`).toHaveLength(1);
});

test("gateway - PUT warehouse is audited as warehouse.upsert", async () => {
  const res = await api.call(
    "PUT",
    "/v1/warehouses/WH-AUD",
    { name: "Audited", region: "south" },
    { "x-request-id": "audit-wh-1" },
  );
  expect(res.status).toBe(201);
  expect(
    (await api.call("PUT", "/v1/warehouses/WH-AUD", { name: "Audited 2", region: "south" })).status,
  ).toBe(200);
  const rows = await node.sql`SELECT principal, action, target, request_id, detail FROM audit_log
    WHERE target = 'warehouse/WH-AUD' ORDER BY id`;
  expect(rows).toHaveLength(2);
  expect(rows[0]).toMatchObject({
    principal: "admin",
    action: "warehouse.upsert",
    target: "warehouse/WH-AUD",
    request_id: "audit-wh-1",
    detail: { name: "Audited", region: "south" },
  });
  expect(rows[1]).toMatchObject({ action: "warehouse.upsert", detail: { name: "Audited 2" } });
});
