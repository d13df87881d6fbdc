import { afterAll, expect, test } from "bun:test";
import { cleanupNamespace, requireServices, testNamespace, waitFor } from "./support/harness.ts";
import { type NodeProcess, spawnNode } from "./support/processes.ts";

const ns = testNamespace("startup");
let proc: NodeProcess | undefined;

afterAll(async () => {
  proc?.kill("SIGTERM");
  await proc?.exited;
  await cleanupNamespace(ns);
});

test("startup - `bun main.ts` with every role serves /readyz 200, and stops cleanly on SIGTERM", async () => {
  await requireServices();
  const port = 3_900 + Math.floor(Math.random() * 90);
  proc = spawnNode(ns, "boot", { ROLES: "gateway,actors,projector", PORT: String(port) });
  let report: { ready: boolean; checks: Record<string, { ok: boolean }> } | undefined;
  await waitFor(
    async () => {
      const res = await fetch(`http://127.0.0.1:${port}/readyz`).catch(() => undefined);
      if (res?.status === 200) report = (await res.json()) as typeof report;
      return res?.status === 200;
    },
    30_000,
    "/readyz to answer 200",
  );
  expect(report?.ready).toBe(true);
  expect(Object.keys(report!.checks).sort()).toEqual([
    "event log storage",
    "nats",
    "postgres",
    "projector",
    "redis",
    "shards",
  ]);
  proc.kill("SIGTERM");
  expect(await proc.exited).toBe(0);
  proc = undefined;
}, 60_000);
