/**
 * The bench's HTTP ceiling route (issue 15) exists only in a hub the bench starts: `BENCH_HTTP_CEILING=1`
 * in a `bench_` namespace. Anywhere else the route is absent, and the flag outside a bench namespace stops
 * the node from starting. Where it exists it goes through the reservation route's auth and validation.
 */
import { afterAll, expect, test } from "bun:test";
import type { HubNode } from "../hub-node.ts";
import {
  ApiClient,
  cleanupNamespace,
  requireServices,
  startTestNode,
  testNamespace,
} from "./support/harness.ts";

const plain = testNamespace("ceiling");
const bench = `bench_t${Date.now().toString(36)}`;
const started: HubNode[] = [];

afterAll(async () => {
  for (const node of started) await node.stop();
  await cleanupNamespace(plain);
  await cleanupNamespace(bench);
});

const path = "/v1/bench/ceiling/SKU-C/reservations";

test("bench ceiling - absent without the flag, refused outside a bench namespace, authorized and validated where the bench starts it", async () => {
  await requireServices();
  const refused = await startTestNode(plain, { ROLES: "gateway", BENCH_HTTP_CEILING: "1" }).then(
    (node) => {
      started.push(node);
      return undefined;
    },
    (error: Error) => error,
  );
  expect(refused?.message ?? "started", "the flag outside a bench_ namespace must stop the node").toContain(
    "needs a bench_ namespace",
  );

  const production = await startTestNode(plain, { ROLES: "gateway" });
  started.push(production);
  const api = new ApiClient(production.app!);
  await api.login();
  const absent = await api.call("POST", path, { orderId: "o-1", qty: 1 });
  expect(absent.status, JSON.stringify(absent.body)).toBe(404);

  const benchNode = await startTestNode(bench, { ROLES: "gateway", BENCH_HTTP_CEILING: "1" });
  started.push(benchNode);
  const benchApi = new ApiClient(benchNode.app!);
  // Straight to the app, not through ApiClient: the contract log checks against the production
  // document, which has no bench route by design.
  const post = async (body: unknown, token?: string) => {
    const res = await benchNode.app!.request(path, {
      method: "POST",
      headers: { "content-type": "application/json", ...(token ? { authorization: `Bearer ${token}` } : {}) },
      body: JSON.stringify(body),
    });
    return { status: res.status, body: (await res.json()) as unknown };
  };
  const anonymous = await post({ orderId: "o-1", qty: 1 });
  expect(anonymous.status, JSON.stringify(anonymous.body)).toBe(401);
  const token = await benchApi.login();
  const ok = await post({ orderId: "o-1", qty: 1 }, token);
  expect([ok.status, ok.body], JSON.stringify(ok.body)).toEqual([
    201,
    { orderId: "ceiling", lines: [{ warehouse: "FS", qty: 1 }], sellable: 0 },
  ]);
  const bad = await post({ orderId: "o-1", qty: 0 }, token);
  expect(bad.status, JSON.stringify(bad.body)).toBe(400);
}, 60_000);
