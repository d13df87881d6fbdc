import { afterAll, beforeAll, expect, test } from "bun:test";
import { ApiClient, requireServices } from "../support/harness.ts";
import { type PrivateService, timed, timeUntil } from "./harness.ts";
import { type FaultRig, startRig } from "./scenarios.ts";

// Redis killed: login rate limiting fails closed with a clear 503 (never a 500), the warehouse cache
// degrades to Postgres, routes that do not need Redis keep working, and no client prints
// "[ioredis] Unhandled error event".
let rig: FaultRig;
const printed: string[] = [];
const originalError = console.error;
const originalWarn = console.warn;
beforeAll(async () => {
  await requireServices();
  rig = await startRig("redisout", ["redis"]);
  console.error = (...args: unknown[]) => {
    printed.push(args.map(String).join(" "));
    originalError(...args);
  };
  console.warn = (...args: unknown[]) => {
    printed.push(args.map(String).join(" "));
    originalWarn(...args);
  };
}, 120_000);
afterAll(async () => {
  console.error = originalError;
  console.warn = originalWarn;
  await rig?.close();
}, 60_000);

test("faults - Redis killed: login 503 with Retry-After within 2 s, other routes keep working, back within 2 s", async () => {
  const redis = rig.stack.redis as PrivateService;
  await redis.kill();
  const anonymous = new ApiClient(rig.node.app!);
  const logins: Array<{ status: number; ms: number; retryAfter: string | null; type: unknown }> = [];
  for (let i = 0; i < 5; i++) {
    const r = await timed(
      () =>
        anonymous.call("POST", "/v1/auth/token", { username: "admin", password: "x".repeat(20) }, {}, false),
      5_000,
    );
    logins.push({
      status: r.value?.status ?? 0,
      ms: Math.round(r.ms),
      retryAfter: r.value?.headers.get("retry-after") ?? null,
      type: (r.value?.body as { type?: string } | undefined)?.type,
    });
  }
  const explain = JSON.stringify(logins);
  for (const l of logins) {
    expect(l.status, explain).toBe(503);
    expect(l.ms, explain).toBeLessThan(2_000);
    expect(l.retryAfter, explain).not.toBeNull();
    expect(String(l.type), explain).toEndWith("/unavailable");
  }
  // Routes that do not need Redis: a reservation (NATS), the order list (Postgres), a warehouse upsert
  // (Postgres; its Redis cache degrades).
  const reserve = await rig.api.call("POST", "/v1/inventory/FAULT-SKU/reservations", {
    orderId: "redis-down-1",
    qty: 1,
  });
  expect(reserve.status, JSON.stringify(reserve.body)).toBe(201);
  expect((await rig.api.call("GET", "/v1/orders?limit=1")).status).toBe(200);
  const warehouse = await timed(
    () => rig.api.call("PUT", "/v1/warehouses/WH-REDIS-DOWN", { name: "R", region: "east" }),
    5_000,
  );
  expect(warehouse.value?.status, JSON.stringify(warehouse.value?.body)).toBe(201);
  expect(warehouse.ms).toBeLessThan(2_000);

  await redis.start();
  const healed = performance.now();
  await timeUntil(
    async () =>
      (
        await anonymous.call(
          "POST",
          "/v1/auth/token",
          { username: "admin", password: "test-admin-password" },
          {},
          false,
        )
      ).status === 200,
    10_000,
    "login after Redis returned",
  );
  const loginBackMs = performance.now() - healed;
  console.log(
    `redis killed: logins during ${explain}; login back ${Math.round(loginBackMs)} ms after restart`,
  );
  expect(loginBackMs).toBeLessThan(2_000);
  expect(printed.filter((line) => line.includes("Unhandled error event"))).toEqual([]);
}, 120_000);
