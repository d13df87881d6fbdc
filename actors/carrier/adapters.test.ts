import { expect, test } from "bun:test";
import {
  CarrierRejection,
  CarrierUnavailable,
  CircuitBreaker,
  DEFAULT_CARRIERS,
  generateCarrierKeys,
  isWaybillNumber,
  MemorySimulatorStore,
  pickupTime,
  ResilientCarrier,
  SignedCarrierClient,
  SimulatedCarrier,
  signWebhook,
  verifyWebhook,
  waybillNumber,
} from "./index.ts";

const keys = generateCarrierKeys();
const never = new AbortController().signal;
const request = (orderRef: string, toRegion = "310115") => ({
  orderRef,
  fromRegion: "330100",
  toRegion,
  weightGrams: 1_500,
  parcels: 1,
});

/** Every carrier behind the same adapter interface, against its simulator (the shared contract suite). */
function setup(
  code: "express" | "ems" | "mail",
  options: { attemptTimeoutMs?: number; breaker?: CircuitBreaker } = {},
) {
  const info = DEFAULT_CARRIERS.find((c) => c.code === code)!;
  const store = new MemorySimulatorStore();
  const sim = new SimulatedCarrier(info, keys[code], store, { hangMs: 5_000 });
  let calls = 0;
  const transport: typeof sim.handle = (req, signal) => {
    calls += 1;
    return sim.handle(req, signal);
  };
  const outcomes: string[] = [];
  const adapter = new ResilientCarrier(
    new SignedCarrierClient(code, keys[code], transport),
    {
      attemptTimeoutMs: options.attemptTimeoutMs ?? 150,
      maxAttempts: 4,
      backoffMs: 5,
      ...(options.breaker ? { breaker: options.breaker } : {}),
    },
    (o) => outcomes.push(o),
  );
  return { sim, store, adapter, outcomes, calls: () => calls };
}

for (const code of ["express", "ems", "mail"] as const) {
  test(`carriers - ${code}: a signed request gets a well-formed waybill number from the range; the same key gets the same one`, async () => {
    const { adapter } = setup(code);
    const a = await adapter.createWaybill(request("S-1"), { idempotencyKey: "k1", signal: never });
    const b = await adapter.createWaybill(request("S-2"), { idempotencyKey: "k2", signal: never });
    const again = await adapter.createWaybill(request("S-1"), { idempotencyKey: "k1", signal: never });
    expect(a.waybillNo).toBe(waybillNumber(code, 1));
    expect(b.waybillNo).toBe(waybillNumber(code, 2));
    expect(again).toEqual(a);
    expect(isWaybillNumber(code, a.waybillNo)).toBe(true);
    expect(a.fee).toBeGreaterThan(0);
  });

  test(`carriers - ${code}: a timeout after the carrier issued the waybill is retried with the same key: one number, not two`, async () => {
    const { adapter, sim, outcomes } = setup(code);
    await sim.setFaults("timeout", 2);
    const started = performance.now();
    const w = await adapter.createWaybill(request("S-9"), { idempotencyKey: "k9", signal: never });
    expect(performance.now() - started).toBeLessThan(3_000);
    expect(outcomes).toEqual(["timeout", "timeout", "ok"]);
    expect(w.waybillNo).toBe(waybillNumber(code, 1));
    const next = await adapter.createWaybill(request("S-10"), { idempotencyKey: "k10", signal: never });
    expect(next.waybillNo).toBe(waybillNumber(code, 2));
  });
}

test("carriers - 5xx is retried; a refusal is not (and does not count against the circuit)", async () => {
  const { adapter, sim, outcomes, calls } = setup("express");
  await sim.setFaults("server_error", 3);
  await adapter.createWaybill(request("S-1"), { idempotencyKey: "a", signal: never });
  expect(outcomes).toEqual(["server_error", "server_error", "server_error", "ok"]);
  await sim.setFaults("reject", 1);
  const before = calls();
  const refused = await adapter
    .createWaybill(request("S-2"), { idempotencyKey: "b", signal: never })
    .catch((e) => e);
  expect(refused).toBeInstanceOf(CarrierRejection);
  expect(calls() - before).toBe(1);
  expect(adapter.breaker.state).toBe("closed");
});

test("carriers - out of the service area is a refusal with its code", async () => {
  const info = { ...DEFAULT_CARRIERS[0]!, excludedRegions: ["650000"] };
  const sim = new SimulatedCarrier(info, keys.express, new MemorySimulatorStore());
  const adapter = new ResilientCarrier(new SignedCarrierClient("express", keys.express, sim.handle));
  const refused = await adapter
    .createWaybill(request("S-1", "650102"), { idempotencyKey: "x", signal: never })
    .catch((e) => e);
  expect(refused).toBeInstanceOf(CarrierRejection);
  expect((refused as CarrierRejection).code).toBe("out_of_service_area");
});

test("carriers - a wrongly signed request is refused by the carrier", async () => {
  const info = DEFAULT_CARRIERS[0]!;
  const sim = new SimulatedCarrier(info, keys.express, new MemorySimulatorStore());
  const forger = new SignedCarrierClient(
    "express",
    { ...keys.express, secret: "not-the-secret" },
    sim.handle,
  );
  const refused = await forger
    .createWaybill(request("S-1"), { idempotencyKey: "x", signal: never })
    .catch((e) => e);
  expect(refused).toBeInstanceOf(CarrierUnavailable);
  expect((refused as CarrierUnavailable).reason).toBe("bad_signature");
});

test("carriers - the circuit opens after repeated failures, fails fast while open, and closes after a good trial", async () => {
  let now = 1_000_000;
  const breaker = new CircuitBreaker({ failureThreshold: 3, openMs: 10_000, now: () => now });
  const { adapter, sim, outcomes, calls } = setup("ems", { breaker });
  await sim.setFaults("server_error", 100);
  const failed = await adapter
    .createWaybill(request("S-1"), { idempotencyKey: "a", signal: never })
    .catch((e) => e);
  expect(failed).toBeInstanceOf(CarrierUnavailable);
  expect(breaker.state).toBe("open");
  expect(outcomes).toEqual(["server_error", "server_error", "server_error", "circuit_open"]);
  const before = calls();
  const fast = await adapter
    .createWaybill(request("S-2"), { idempotencyKey: "b", signal: never })
    .catch((e) => e);
  expect((fast as CarrierUnavailable).reason).toBe("circuit_open");
  expect(calls()).toBe(before); // the carrier was not called at all
  await sim.setFaults(null, 0);
  now += 10_000; // half-open: one trial goes through and closes the circuit
  expect(breaker.state).toBe("half_open");
  const w = await adapter.createWaybill(request("S-2"), { idempotencyKey: "b", signal: never });
  expect(w.waybillNo).toBe(waybillNumber("ems", 1));
  expect(breaker.state).toBe("closed");
});

test("carriers - a failed half-open trial opens the circuit again", () => {
  let now = 0;
  const breaker = new CircuitBreaker({ failureThreshold: 2, openMs: 100, now: () => now });
  breaker.failure();
  breaker.failure();
  expect(breaker.allow()).toBe(false);
  now = 100;
  expect(breaker.allow()).toBe(true);
  expect(breaker.allow()).toBe(false); // one trial at a time
  breaker.failure();
  expect(breaker.state).toBe("open");
});

test("carriers - polling: a carrier without push answers its tracking events to a signed query", async () => {
  const { adapter, sim } = setup("mail");
  expect(sim.info.push).toBe(false);
  const w = await adapter.createWaybill(request("S-1"), { idempotencyKey: "a", signal: never });
  const recorded = await sim.record(w.waybillNo, { type: "picked_up" });
  expect(recorded.webhook).toBeNull();
  const events = await adapter.track(w.waybillNo, { signal: never });
  expect(events).toEqual([recorded.event]);
  expect(events[0]!.orderRef).toBe("S-1");
});

test("carriers - webhook signatures: genuine passes; a changed body, another key or an old timestamp do not", async () => {
  const { adapter, sim } = setup("express");
  const w = await adapter.createWaybill(request("S-1"), { idempotencyKey: "a", signal: never });
  const { webhook } = await sim.record(w.waybillNo, { type: "delivered" });
  const now = Date.now();
  const h = {
    timestamp: webhook!.headers["x-carrier-timestamp"],
    signature: webhook!.headers["x-carrier-signature"],
  };
  expect(verifyWebhook(keys.express.secret, webhook!.body, h, now)).toBeUndefined();
  expect(verifyWebhook(keys.express.secret, webhook!.body.replace("delivered", "exception"), h, now)).toBe(
    "bad signature",
  );
  expect(verifyWebhook(keys.ems.secret, webhook!.body, h, now)).toBe("bad signature");
  const old = signWebhook(keys.express.secret, webhook!.body, now - 10 * 60_000);
  expect(
    verifyWebhook(
      keys.express.secret,
      webhook!.body,
      { timestamp: old["x-carrier-timestamp"], signature: old["x-carrier-signature"] },
      now,
    ),
  ).toBe("timestamp outside the replay window");
  expect(
    verifyWebhook(keys.express.secret, webhook!.body, { timestamp: undefined, signature: "x" }, now),
  ).toContain("missing");
});

test("carriers - pickup cutoff: before it today, after it tomorrow (Asia/Shanghai)", () => {
  const at = (iso: string) => Date.parse(iso);
  expect(pickupTime("18:00", at("2026-11-30T09:00:00+08:00"))).toBe(at("2026-11-30T18:00:00+08:00"));
  expect(pickupTime("18:00", at("2026-11-30T18:30:00+08:00"))).toBe(at("2026-12-01T18:00:00+08:00"));
  expect(pickupTime("15:00", at("2026-11-30T23:59:00+08:00"))).toBe(at("2026-12-01T15:00:00+08:00"));
});
