import { afterAll, beforeAll, expect, test } from "bun:test";
import type { HubNode } from "../hub-node.ts";
import { cleanupNamespace, requireServices, startTestNode, testNamespace } from "./support/harness.ts";

const ns = testNamespace("passivate");
const MAX_ACTIVE = 2_000;
let node: HubNode;

beforeAll(async () => {
  await requireServices();
  node = await startTestNode(ns, { ACTOR_MAX_ACTIVE: String(MAX_ACTIVE), ACTOR_IDLE: "2s", ROLES: "actors" });
});

afterAll(async () => {
  await node?.stop();
  await cleanupNamespace(ns);
});

const mib = (bytes: number) => `${(bytes / 1024 / 1024).toFixed(0)} MiB`;

test("passivation - 100,000 SKUs touched once leave memory bounded", async () => {
  const TOTAL = 100_000;
  const CONCURRENCY = 400;
  Bun.gc(true);
  const before = process.memoryUsage();
  let next = 0;
  let peakActive = 0;
  const started = performance.now();
  const worker = async () => {
    while (next < TOTAL) {
      const i = next++;
      const reply = await node.client.request(
        "sku",
        `MASS-${i}`,
        { type: "receive", warehouse: "WH-M", qty: 1 },
        { id: `mass-${i}` },
      );
      if (!reply.ok) throw new Error(`receipt ${i} failed: ${reply.error.message}`);
      if (i % 5_000 === 0) {
        peakActive = Math.max(peakActive, node.actorNode!.activeActors);
        if (i % 20_000 === 0)
          console.log(
            `  ${i} SKUs touched, ${node.actorNode!.activeActors} active, rss ${mib(process.memoryUsage().rss)}`,
          );
      }
    }
  };
  await Promise.all(Array.from({ length: CONCURRENCY }, worker));
  const seconds = (performance.now() - started) / 1000;
  await Bun.sleep(1_500); // one sweep after the last touch
  Bun.gc(true);
  const after = process.memoryUsage();
  console.log(
    `passivation: ${TOTAL} SKUs in ${seconds.toFixed(1)} s (${Math.round(TOTAL / seconds)}/s); active now ${node.actorNode!.activeActors}, ` +
      `peak sampled ${peakActive}; rss ${mib(before.rss)} → ${mib(after.rss)}, heap ${mib(before.heapUsed)} → ${mib(after.heapUsed)}`,
  );
  expect(node.actorNode!.activeActors).toBeLessThanOrEqual(MAX_ACTIVE);
  expect(peakActive).toBeLessThanOrEqual(MAX_ACTIVE + CONCURRENCY);
  // 100,000 live actors would hold well over 100 MiB of heap; bounded passivation keeps growth small.
  expect(after.heapUsed - before.heapUsed).toBeLessThan(64 * 1024 * 1024);

  // A passivated actor comes back from the log with its state.
  const stock = await node.client.send<{ physical: number }>(
    "sku",
    "MASS-7",
    { type: "get" },
    { readOnly: true },
  );
  expect(stock.physical).toBe(1);
}, 180_000);
