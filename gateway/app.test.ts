/**
 * The route kit without NATS: authentication, authorization, validation and the mapping of actor
 * refusals to problem+json, over in-memory ports (`gateway/testing.ts`).
 */
import { expect, test } from "bun:test";
import type { ErrorBody } from "../actors/runtime/index.ts";
import { requestFingerprint } from "./idempotency.ts";
import { fakeGateway } from "./testing.ts";

const PROBLEMS = "https://business-hub.dev/problems/";
const json = (body: unknown, headers: Record<string, string> = {}) => ({
  method: "POST",
  headers: { "content-type": "application/json", ...headers },
  body: JSON.stringify(body),
});

async function problem(res: Response) {
  expect(res.headers.get("content-type")).toBe("application/problem+json");
  return (await res.json()) as { type: string; status: number; field?: string; permission?: string };
}

test("gateway kit - a route without a bearer token is 401 and never reaches an actor", async () => {
  const gw = fakeGateway();
  const res = await gw.app.request("/v1/inventory/SKU-1");
  expect(res.status).toBe(401);
  expect((await problem(res)).type).toBe(`${PROBLEMS}unauthorized`);
  const forged = await gw.app.request("/v1/inventory/SKU-1", {
    headers: { authorization: "Bearer abc.def.ghi" },
  });
  expect(forged.status).toBe(401);
  expect(gw.actors.sent).toEqual([]);
});

test("gateway kit - a token without the route's permission is 403 naming the permission", async () => {
  const gw = fakeGateway();
  const res = await gw.app.request("/v1/inventory/SKU-1", { headers: await gw.bearer(["order:read"]) });
  expect(res.status).toBe(403);
  const body = await problem(res);
  expect(body.type).toBe(`${PROBLEMS}forbidden`);
  expect(body.permission).toBe("inventory:read");
  expect(gw.actors.sent).toEqual([]);
});

test("gateway kit - commands carry who asked, the request id and the idempotency-derived command id", async () => {
  const gw = fakeGateway();
  await gw.warehouses.upsert({ code: "WH-1", name: "one", region: "east" });
  gw.actors.respond = () => ({ ok: true, value: { stock: { physical: 5 } } });
  const res = await gw.app.request(
    "/v1/inventory/SKU-1/receipts",
    json(
      { warehouse: "WH-1", qty: 5 },
      { ...(await gw.bearer(["inventory:*"], "alice")), "idempotency-key": "k-1", "x-request-id": "req-1" },
    ),
  );
  expect(res.status).toBe(201);
  expect(await res.json()).toEqual({ physical: 5 });
  expect(res.headers.get("x-request-id")).toBe("req-1");
  // The warehouse is asked first whether it keeps bins (decision 0027): it has none, so the SKU receives.
  expect(gw.actors.sent.map((s) => `${s.kind}/${s.id}/${(s.cmd as { type: string }).type}`)).toEqual([
    "warehouse/WH-1/binCount",
    "sku/SKU-1/receive",
  ]);
  expect(gw.actors.sent.slice(1)).toEqual([
    {
      kind: "sku",
      id: "SKU-1",
      cmd: { type: "receive", warehouse: "WH-1", qty: 5 },
      options: {
        meta: { by: "alice", requestId: "req-1" },
        // Scoped to the caller: another user's "k-1" is another command.
        id: "receipt:alice:k-1",
        fingerprint: requestFingerprint("POST", "/v1/inventory/SKU-1/receipts", {
          warehouse: "WH-1",
          qty: 5,
        }),
      },
    },
  ]);
});

test("gateway kit - bad input is the matching 4xx problem before any actor is asked", async () => {
  const gw = fakeGateway();
  const auth = await gw.bearer(["*"]);
  const cases: Array<[string, RequestInit, number, string]> = [
    [
      "/v1/inventory/SKU-1/receipts",
      json({ warehouse: "WH-1", qty: 1 }, auth),
      400,
      "missing-idempotency-key",
    ],
    [
      "/v1/inventory/SKU-1/receipts",
      {
        method: "POST",
        headers: { ...auth, "idempotency-key": "k", "content-type": "text/plain" },
        body: "x",
      },
      415,
      "unsupported-media-type",
    ],
    [
      "/v1/inventory/SKU-1/receipts",
      {
        method: "POST",
        headers: { ...auth, "idempotency-key": "k", "content-type": "application/json" },
        body: "{",
      },
      400,
      "malformed-json",
    ],
    [
      "/v1/inventory/SKU-1/receipts",
      json({ warehouse: "WH-1", qty: -1 }, { ...auth, "idempotency-key": "k" }),
      400,
      "validation",
    ],
    [
      "/v1/inventory/SKU-1/receipts",
      json({ warehouse: "WH-X", qty: 1 }, { ...auth, "idempotency-key": "k" }),
      422,
      "unknown-warehouse",
    ],
    [
      "/v1/inventory/SKU-1/receipts",
      json({ pad: "x".repeat(70_000) }, { ...auth, "idempotency-key": "k" }),
      413,
      "payload-too-large",
    ],
    ["/v1/inventory/SKU-1/ledger?cursor=not-ours", { headers: auth }, 400, "validation"],
    ["/v1/nowhere", { headers: auth }, 404, "not-found"],
  ];
  for (const [path, init, status, slug] of cases) {
    const res = await gw.app.request(path, init);
    const body = await problem(res);
    expect({ path, status: res.status, type: body.type }).toEqual({
      path,
      status,
      type: `${PROBLEMS}${slug}`,
    });
  }
  expect(gw.actors.sent).toEqual([]);
});

test("gateway kit - actor refusals map to problems; runtime back-pressure carries Retry-After", async () => {
  const gw = fakeGateway();
  const auth = await gw.bearer(["inventory:read"]);
  const expectations: Array<[ErrorBody, number, string]> = [
    [{ kind: "not_found", message: "no such sku" }, 404, "not-found"],
    [{ kind: "conflict", message: "state" }, 409, "conflict"],
    [{ kind: "insufficient_stock", message: "short" }, 409, "insufficient-stock"],
    [{ kind: "overloaded", message: "busy", retryAfterMs: 1500 }, 429, "overloaded"],
    [{ kind: "timeout", message: "slow" }, 503, "unavailable"],
  ];
  for (const [error, status, slug] of expectations) {
    gw.actors.respond = () => ({ ok: false, error });
    const res = await gw.app.request("/v1/inventory/SKU-1", { headers: auth });
    expect({ status: res.status, type: (await problem(res)).type }).toEqual({
      status,
      type: `${PROBLEMS}${slug}`,
    });
    if (status === 429) expect(res.headers.get("retry-after")).toBe("2");
  }
});

test("gateway kit - an unexpected error is a 500 problem with the request id, not a stack", async () => {
  const gw = fakeGateway();
  gw.actors.respond = () => {
    throw new Error("secret internals");
  };
  const res = await gw.app.request("/v1/inventory/SKU-1", {
    headers: { ...(await gw.bearer(["*"])), "x-request-id": "req-500" },
  });
  expect(res.status).toBe(500);
  const text = await res.text();
  expect(text).not.toContain("secret internals");
  expect(JSON.parse(text)).toMatchObject({ type: `${PROBLEMS}internal`, requestId: "req-500" });
});

test("gateway kit - the OpenAPI document lists the routes of every area", async () => {
  const gw = fakeGateway();
  const doc = (await (await gw.app.request("/openapi.json")).json()) as { paths: Record<string, unknown> };
  for (const path of [
    "/v1/auth/token",
    "/v1/warehouses/{code}",
    "/v1/inventory/{sku}/receipts",
    "/v1/skus/{sku}/price",
    "/v1/orders",
    "/v1/orders/{orderId}/cancel",
    "/v1/members/{userId}",
    "/v1/payments",
    "/v1/payments/reconciliations",
  ]) {
    expect(Object.hasOwn(doc.paths, path)).toBe(true);
  }
  expect((await gw.app.request("/readyz")).status).toBe(200);
});
