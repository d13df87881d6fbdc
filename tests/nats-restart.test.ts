import { afterAll, beforeAll, expect, test } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { HubNode } from "../hub-node.ts";
import { type ServiceHandle, startNats } from "../scripts/local-services.ts";
import {
  ApiClient,
  cleanupNamespace,
  requireServices,
  startTestNode,
  testNamespace,
  waitFor,
} from "./support/harness.ts";

// A private NATS on its own port and data folder: the shared server is never touched.
const PORT = 14_222;
const NATS = `nats://127.0.0.1:${PORT}`;
const dataDir = mkdtempSync(join(tmpdir(), "hub-nats-restart-"));
const ns = testNamespace("natsrestart");
let nats: ServiceHandle;
let node: HubNode;
let api: ApiClient;

beforeAll(async () => {
  await requireServices();
  nats = await startNats({ port: PORT, dataDir });
  node = await startTestNode(ns, { NATS_URL: NATS, COMMAND_DEADLINE: "30s" });
  api = new ApiClient(node.app!);
  await api.login();
  await api.call("PUT", "/v1/warehouses/WH-N", { name: "N", region: "east" });
});

afterAll(async () => {
  await node?.stop().catch(() => undefined);
  await nats?.stop("SIGKILL").catch(() => undefined);
  await cleanupNamespace(ns, "nats://127.0.0.1:1");
  rmSync(dataDir, { recursive: true, force: true });
});

test("durability - restarting nats-server under load loses no acknowledged write", async () => {
  const sku = "HOT-RESTART";
  expect(
    (
      await api.call(
        "POST",
        `/v1/inventory/${sku}/receipts`,
        { warehouse: "WH-N", qty: 5_000 },
        { "idempotency-key": "n-1" },
      )
    ).status,
  ).toBe(201);
  const acknowledged = new Set<string>();
  const unanswered = new Set<string>();
  let next = 0;
  let restarted = false;
  const ATTEMPTS = 1_500;
  const worker = async () => {
    while (next < ATTEMPTS) {
      const orderId = `n-${next++}`;
      const res = await api.call("POST", `/v1/inventory/${sku}/reservations`, { orderId, qty: 1 });
      if (res.status === 201) acknowledged.add(orderId);
      else unanswered.add(orderId);
      if (acknowledged.size >= 400 && !restarted) {
        restarted = true;
        // SIGKILL, not a clean shutdown: whatever JetStream acknowledged must already be on disk (or in the OS cache).
        await nats.stop("SIGKILL");
        await Bun.sleep(500);
        nats = await startNats({ port: PORT, dataDir });
      }
    }
  };
  await Promise.all(Array.from({ length: 32 }, worker));
  expect(restarted).toBe(true);
  console.log(
    `nats restart: acknowledged ${acknowledged.size}, unanswered ${unanswered.size} of ${ATTEMPTS}`,
  );

  // Settle the unanswered ones by retrying with the same order id (effectively once). A 503 right after
  // the restart means "unknown yet, retry": the client keeps retrying, as a real one would.
  for (const orderId of unanswered) {
    let last: { status: number; body: unknown } | undefined;
    await waitFor(
      async () => {
        last = await api.call("POST", `/v1/inventory/${sku}/reservations`, { orderId, qty: 1 });
        return last.status === 201;
      },
      15_000,
      `a retry of ${orderId} to be acknowledged (last answer ${last?.status} ${JSON.stringify(last?.body)})`,
    );
    acknowledged.add(orderId);
  }
  const stock = (await api.call("GET", `/v1/inventory/${sku}`)).body as {
    reserved: number;
    physical: number;
  };
  expect(stock).toMatchObject({ physical: 5_000, reserved: ATTEMPTS });
  expect(acknowledged.size).toBe(ATTEMPTS);

  // A node started afresh reads the same state from the log (nothing was only in memory).
  await node.stop();
  node = await startTestNode(ns, { NATS_URL: NATS });
  api = new ApiClient(node.app!);
  await api.login();
  expect(((await api.call("GET", `/v1/inventory/${sku}`)).body as { reserved: number }).reserved).toBe(
    ATTEMPTS,
  );
}, 120_000);
