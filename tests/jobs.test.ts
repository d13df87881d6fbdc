/**
 * Scheduled jobs over real NATS, Postgres and Redis: the seeded jobs, operator changes (refusals with
 * the field), run now (idempotent), a failing run (alert, metric, history), built-in names, and a
 * one-time fire with two actor nodes up whose owner is SIGKILLed before it is due: it runs once.
 */
import { afterAll, beforeAll, expect, test } from "bun:test";
import { shardOf, silentLogger } from "../actors/runtime/index.ts";
import type { HubNode } from "../hub-node.ts";
import { subscribeAlerts } from "../node/alerts.ts";
import { JOB_DEFINITIONS } from "../node/jobs.ts";
import { RunAttempts } from "../storage/jobs/index.ts";
import { PostgresPaymentLedger } from "../storage/ledger/payment-ledger.ts";
import {
  ApiClient,
  cleanupNamespace,
  requireServices,
  startTestNode,
  testNamespace,
  waitFor,
} from "./support/harness.ts";
import { leaseOwners, type NodeProcess, spawnNode, waitForBalance } from "./support/processes.ts";

const ns = testNamespace("jobs");
let node: HubNode;
let api: ApiClient;
const REPORT = "projector-dead-letter-report";
const RECON = "payments-reconciliation-daily";

interface Run {
  runId: string;
  outcome: string | null;
  durationMs: number | null;
  detail: string | null;
  trigger: string;
}
const runs = async (name: string) =>
  ((await api.call("GET", `/v1/jobs/${name}/runs?limit=50`)).body as { items: Run[] }).items;

beforeAll(async () => {
  await requireServices();
  node = await startTestNode(ns);
  api = new ApiClient(node.app!);
  await api.login();
});

afterAll(async () => {
  await node?.stop();
  await cleanupNamespace(ns);
});

test("jobs - seeded on start with the fresh-install schedule, in Asia/Shanghai", async () => {
  await waitFor(
    async () => {
      const body = (await api.call("GET", "/v1/jobs")).body as { items: Array<{ defined: boolean }> };
      return body.items.length === JOB_DEFINITIONS.length && body.items.every((j) => j.defined);
    },
    20_000,
    "every job seeded",
  );
  const { items } = (await api.call("GET", "/v1/jobs")).body as { items: Array<Record<string, unknown>> };
  const recon = items.find((j) => j.name === RECON);
  expect(recon).toMatchObject({ schedule: "30 2 * * *", timezone: "Asia/Shanghai", enabled: true });
  // 02:30 Beijing is 18:30 UTC.
  expect(String(recon?.nextRunAt)).toMatch(/T18:30:00\.000Z$/);
});

test("jobs - a change is validated (422 with the field) and kept; unknown and built-in names are 404", async () => {
  const bad = await api.call("PUT", `/v1/jobs/${RECON}`, { cron: "0 25 * * *" });
  expect(bad.status, JSON.stringify(bad.body)).toBe(422);
  expect(bad.body).toMatchObject({ field: "cron" });
  const never = await api.call("PUT", `/v1/jobs/${RECON}`, { cron: "0 0 30 2 *" });
  expect([never.status, (never.body as { field?: string }).field]).toEqual([422, "cron"]);
  const zone = await api.call("PUT", `/v1/jobs/${RECON}`, { cron: "0 3 * * *", timeZone: "Mars/Base" });
  expect([zone.status, (zone.body as { field?: string }).field]).toEqual([422, "timeZone"]);
  const ok = await api.call("PUT", `/v1/jobs/${RECON}`, { cron: "15 4 * * MON-FRI", timeZone: "UTC" });
  expect(ok.status, JSON.stringify(ok.body)).toBe(200);
  expect(ok.body).toMatchObject({ schedule: "15 4 * * MON-FRI", timezone: "UTC" });
  expect(String((ok.body as { nextRunAt: string }).nextRunAt)).toMatch(/T04:15:00\.000Z$/);
  for (const name of ["constructor", "__proto__", "toString", "nope"]) {
    expect((await api.call("PUT", `/v1/jobs/${name}`, { enabled: false })).status).toBe(404);
    expect((await api.call("POST", `/v1/jobs/${name}/run`)).status).toBe(404);
    expect((await api.call("GET", `/v1/jobs/${name}/runs`)).status).toBe(404);
  }
});

test("jobs - run now answers 202 with a run id, the same for the same Idempotency-Key; history shows it", async () => {
  const key = { "idempotency-key": "run-now-1" };
  const first = await api.call("POST", `/v1/jobs/${REPORT}/run`, undefined, key);
  expect(first.status, JSON.stringify(first.body)).toBe(202);
  const again = await api.call("POST", `/v1/jobs/${REPORT}/run`, undefined, key);
  expect(again.status).toBe(202);
  const runId = (first.body as { runId: string }).runId;
  expect((again.body as { runId: string }).runId).toBe(runId);
  await waitFor(async () => (await runs(REPORT)).some((r) => r.outcome === "ok"), 20_000, "the run recorded");
  const recorded = await runs(REPORT);
  expect(recorded.filter((r) => r.runId === runId)).toEqual([
    expect.objectContaining({ runId, trigger: "manual", outcome: "ok", detail: "no parked events" }),
  ]);
  expect(recorded).toHaveLength(1);
  const job = ((await api.call("GET", "/v1/jobs")).body as { items: Array<Record<string, unknown>> }).items;
  expect(job.find((j) => j.name === REPORT)?.lastRun).toMatchObject({ runId, outcome: "ok" });
});

test("jobs - a failed run raises an operator alert, is counted in /metrics and shows in the history", async () => {
  const alerts: Array<Record<string, unknown>> = [];
  const sub = subscribeAlerts(node.nc, ns, (a) => alerts.push(a), silentLogger);
  await node.nc.flush();
  // The report's table goes away under it: a real failure.
  await node.sql`ALTER TABLE projector_dead_letters RENAME TO projector_dead_letters_away`;
  try {
    const res = await api.call("POST", `/v1/jobs/${REPORT}/run`);
    expect(res.status).toBe(202);
    const runId = (res.body as { runId: string }).runId;
    await waitFor(() => alerts.some((a) => a.runId === runId), 20_000, "the failure alert");
    expect(alerts.find((a) => a.runId === runId)).toMatchObject({
      kind: "jobFailed",
      level: "critical",
      job: REPORT,
    });
    await waitFor(
      async () => (await runs(REPORT)).some((r) => r.runId === runId && r.outcome === "failed"),
      20_000,
      "the failed run in the history",
    );
    const failed = (await runs(REPORT)).find((r) => r.runId === runId);
    expect(failed?.detail).toContain("projector_dead_letters");
    const metrics = await (await node.app!.request("/metrics")).text();
    expect(metrics).toMatch(
      new RegExp(`hub_job_runs_total\\{[^}]*job="${REPORT}"[^}]*outcome="failed"[^}]*\\} 1`),
    );
  } finally {
    await node.sql`ALTER TABLE projector_dead_letters_away RENAME TO projector_dead_letters`;
    sub.unsubscribe();
  }
});

test("jobs - the daily reconciliation runs each channel's statement of yesterday", async () => {
  const res = await api.call("POST", `/v1/jobs/${RECON}/run`);
  expect(res.status).toBe(202);
  const runId = (res.body as { runId: string }).runId;
  await waitFor(
    async () => (await runs(RECON)).some((r) => r.runId === runId && r.outcome !== null),
    30_000,
    "the reconciliation run",
  );
  const run = (await runs(RECON)).find((r) => r.runId === runId);
  expect(run?.outcome, JSON.stringify(run)).toBe("ok");
  for (const channel of ["wechat", "alipay", "unionpay"]) expect(run?.detail).toContain(channel);
  const [row] = await node.sql`SELECT count(DISTINCT channel)::int AS n FROM reconciliation_reports`;
  expect(row?.n).toBe(3);
});

test("jobs - reconciliation reports are keyed by run id: another run adds its own, a stale attempt writes nothing", async () => {
  const reports = () =>
    node.sql`SELECT id, run_id, channel, created_at FROM reconciliation_reports WHERE run_id IS NOT NULL ORDER BY id`;
  const before = await reports();
  const res = await api.call("POST", `/v1/jobs/${RECON}/run`);
  expect(res.status).toBe(202);
  const runId = (res.body as { runId: string }).runId;
  await waitFor(
    async () => (await runs(RECON)).some((r) => r.runId === runId && r.outcome !== null),
    30_000,
    "the second reconciliation run",
  );
  expect((await runs(RECON)).find((r) => r.runId === runId)?.outcome).toBe("ok");
  const after = await reports();
  const mine = after.filter((r) => r.run_id === runId);
  expect(mine.map((r) => r.id).sort()).toEqual(["alipay", "unionpay", "wechat"].map((c) => `${runId}:${c}`));
  // The earlier run's reports are all still there, untouched.
  for (const old of before) {
    const kept = after.find((r) => r.id === old.id);
    expect(kept?.created_at.getTime(), old.id).toBe(old.created_at.getTime());
  }
  expect(after.length).toBe(before.length + 3);
  // The attempt fence: this run's attempt is 1; a runner still holding attempt 0 cannot write its report.
  const [attempt] = await node.sql`SELECT attempt FROM job_run_attempts WHERE run_id = ${runId}`;
  expect(attempt?.attempt).toBe(1);
  const ledger = new PostgresPaymentLedger(node.sql);
  const stale = ledger.reconcile({
    channel: "wechat",
    date: "2026-01-01",
    statement: [],
    run: { runId, attempt: 0 },
  });
  await expect(stale).rejects.toThrow(/superseded/);
  const day = async () =>
    (
      await node.sql`SELECT statement_date::text AS day FROM reconciliation_reports
        WHERE id = ${`${runId}:wechat`}`
    )[0]?.day as string;
  expect(await day()).not.toBe("2026-01-01");
  // The same run retried (a new attempt) replaces its own report, never adds one.
  const attempts = new RunAttempts(node.sql);
  const next = await attempts.begin(runId, "test");
  expect(next).toBe(2);
  await ledger.reconcile({
    channel: "wechat",
    date: "2026-01-02",
    statement: [],
    run: { runId, attempt: next },
  });
  expect((await reports()).length).toBe(after.length);
  expect(await day()).toBe("2026-01-02");
});

test("jobs - stock sync pushes only what changed to every sales channel, with counts; a re-run pushes nothing", async () => {
  const SYNC = "channel-stock-sync";
  await api.call("PUT", "/v1/warehouses/WH-SYNC", { name: "Sync", region: "east" });
  for (const [sku, qty] of [
    ["SYNC-1", 5],
    ["SYNC-2", 7],
  ] as const)
    await api.call(
      "POST",
      `/v1/inventory/${sku}/receipts`,
      { warehouse: "WH-SYNC", qty },
      { "idempotency-key": `r-${sku}` },
    );
  const projected = async () =>
    (await node.sql`SELECT count(*)::int AS n FROM inventory_stock WHERE sku LIKE 'SYNC-%'`)[0]?.n === 2;
  await waitFor(projected, 60_000, "the stock projected");
  const runOnce = async () => {
    const res = await api.call("POST", `/v1/jobs/${SYNC}/run`);
    expect(res.status, JSON.stringify(res.body)).toBe(202);
    const runId = (res.body as { runId: string }).runId;
    await waitFor(
      async () => (await runs(SYNC)).some((r) => r.runId === runId && r.outcome !== null),
      30_000,
      `stock sync run ${runId}`,
    );
    return (await runs(SYNC)).find((r) => r.runId === runId)!;
  };
  const skus = (await node.sql`SELECT count(DISTINCT sku)::int AS n FROM inventory_stock`)[0]?.n as number;
  const first = await runOnce();
  expect(first.outcome, first.detail ?? "").toBe("ok");
  for (const channel of ["tmall", "jd", "douyin"])
    expect(first.detail).toContain(`${channel}: ${skus} pushed, 0 unchanged`);
  const held =
    await node.sql`SELECT channel, quantity FROM channel_stock WHERE sku = 'SYNC-2' ORDER BY channel`;
  expect(held.map((r) => [r.channel, r.quantity])).toEqual([
    ["douyin", 7],
    ["jd", 7],
    ["tmall", 7],
  ]);
  const second = await runOnce();
  expect(second.detail).toContain(`tmall: 0 pushed, ${skus} unchanged`);
  await api.call(
    "POST",
    "/v1/inventory/SYNC-1/receipts",
    { warehouse: "WH-SYNC", qty: 3 },
    { "idempotency-key": "r-SYNC-1b" },
  );
  await waitFor(
    async () =>
      (await node.sql`SELECT physical::int AS p FROM inventory_stock WHERE sku = 'SYNC-1'`)[0]?.p === 8,
    60_000,
    "the new receipt projected",
  );
  const third = await runOnce();
  expect(third.detail).toContain(`jd: 1 pushed, ${skus - 1} unchanged`);
  const [one] = await node.sql`SELECT quantity FROM channel_stock WHERE channel = 'jd' AND sku = 'SYNC-1'`;
  expect(one?.quantity).toBe(8);
});

test("jobs - after downtime (catch-up skip): a fire missed while the node was down runs once on restart", async () => {
  const due = new Date(Date.now() + 2_500).toISOString();
  const put = await api.call("PUT", `/v1/jobs/${REPORT}`, { at: due, catchUp: "skip" });
  expect(put.status, JSON.stringify(put.body)).toBe(200);
  const before = (await runs(REPORT)).length;
  await node.stop();
  await waitFor(() => Date.now() > Date.parse(due) + 500, 10_000, "the fire time to pass while down");
  node = await startTestNode(ns);
  api = new ApiClient(node.app!);
  await api.login();
  await waitFor(
    async () => (await runs(REPORT)).some((r) => r.trigger === "schedule" && r.outcome === "ok"),
    30_000,
    "the missed fire to run after the restart",
  );
  // Another restart: the one-time fire is done, nothing more runs.
  await node.stop();
  node = await startTestNode(ns);
  api = new ApiClient(node.app!);
  await api.login();
  const marker = await api.call("POST", `/v1/jobs/${REPORT}/run`);
  expect(marker.status).toBe(202);
  const markerId = (marker.body as { runId: string }).runId;
  await waitFor(async () => (await runs(REPORT)).some((r) => r.runId === markerId), 20_000, "the marker run");
  const scheduled = (await runs(REPORT)).filter((r) => r.trigger === "schedule");
  expect(
    scheduled.map((r) => r.outcome),
    JSON.stringify(scheduled),
  ).toEqual(["ok"]);
  expect((await runs(REPORT)).length).toBe(before + 2);
  const job = ((await api.call("GET", "/v1/jobs")).body as { items: Array<Record<string, unknown>> }).items;
  expect(job.find((j) => j.name === REPORT)).toMatchObject({ nextRunAt: null, at: due });
}, 90_000);

test("jobs - a one-time fire with two actor nodes up: its owner is SIGKILLed before it is due, it runs once", async () => {
  const kns = testNamespace("jobs-2n");
  const procs: NodeProcess[] = [
    spawnNode(kns, "a", { SHARD_COUNT: "8" }),
    spawnNode(kns, "b", { SHARD_COUNT: "8" }),
  ];
  const gateway = await startTestNode(
    kns,
    { ROLES: "gateway,projector", SHARD_COUNT: "8", COMMAND_DEADLINE: "20s" },
    { waitForShards: false },
  );
  try {
    await waitForBalance(kns, ["a", "b"], 8);
    const gw = new ApiClient(gateway.app!);
    await gw.login();
    const due = new Date(Date.now() + 4_000).toISOString();
    const put = await gw.call("PUT", `/v1/jobs/${REPORT}`, { at: due });
    // The seed may still be on its way: a PUT on a job with no schedule yet is fine with one given.
    expect(put.status, JSON.stringify(put.body)).toBe(200);
    const owner = (await leaseOwners(kns)).get(shardOf(REPORT, 8));
    const victim = procs.find((p) => p.nodeId === owner)!;
    expect(victim, `owner ${owner}`).toBeDefined();
    victim.kill("SIGKILL");
    await victim.exited;
    const jobRuns = () =>
      gateway.sql`SELECT run_id, trigger, outcome FROM job_runs WHERE job = ${REPORT} ORDER BY id`;
    await waitFor(
      async () => (await jobRuns()).some((r) => r.outcome === "ok"),
      60_000,
      "the one-time run to finish on the surviving node",
    );
    // Past the fire, another node restart: nothing more runs.
    const survivor = procs.find((p) => p !== victim)!;
    procs.push(spawnNode(kns, "c", { SHARD_COUNT: "8" }));
    await waitForBalance(kns, [survivor.nodeId, "c"], 8);
    const again = await gw.call("POST", "/v1/jobs/projector-dead-letter-report/run");
    expect(again.status).toBe(202);
    await waitFor(
      async () => (await jobRuns()).length >= 2 && (await jobRuns()).every((r) => r.outcome),
      30_000,
      "run 2",
    );
    const rows = await jobRuns();
    expect(
      rows.map((r) => [r.trigger, r.outcome]),
      JSON.stringify(rows),
    ).toEqual([
      ["schedule", "ok"],
      ["manual", "ok"],
    ]);
  } finally {
    for (const p of procs) p.kill("SIGKILL");
    await gateway.stop();
    await cleanupNamespace(kns);
  }
}, 180_000);
