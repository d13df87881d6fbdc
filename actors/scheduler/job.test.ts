import { describe, expect, test } from "bun:test";
import { type EffectService, type Reply, TIMER_COMMAND } from "../runtime/index.ts";
import { MemoryCluster } from "../runtime/testing/index.ts";
import { JOB_RUNNER_KIND, type JobView, jobKind, MISFIRE_GRACE_MS } from "./index.ts";

// 2026-11-30T01:00:00Z = 09:00 in Shanghai; "0 2 * * *" next fires 2026-11-30T18:00Z (02:00 local).
const NOW = Date.parse("2026-11-30T01:00:00Z");
const DUE = Date.parse("2026-11-30T18:00:00Z");
const DAILY = { cron: "0 2 * * *", timeZone: "Asia/Shanghai" };

interface Call {
  id: string;
  runId: string;
  commandId: string;
}

function setup(answer: (call: Call, signal: AbortSignal) => Promise<Reply> | Reply = () => ok("done")) {
  const calls: Call[] = [];
  const service: EffectService = async (id, cmd, commandId, signal) => {
    const call = { id, runId: String(cmd.runId), commandId };
    calls.push(call);
    return answer(call, signal);
  };
  const cluster = new MemoryCluster([jobKind], {
    clock: NOW,
    services: new Map([[JOB_RUNNER_KIND, service]]),
  });
  let n = 0;
  const send = async (name: string, cmd: { type: string; [k: string]: unknown }, id = `c${++n}`) =>
    cluster.command("job", name, { cmd, id, meta: { by: "tester" } });
  const view = async (name: string) =>
    ((await cluster.command("job", name, { cmd: { type: "get" } })) as { value: JobView }).value;
  const fire = (name: string) => cluster.command("job", name, { cmd: { type: TIMER_COMMAND } });
  return { cluster, calls, send, view, fire };
}

const ok = (detail: string): Reply => ({ ok: true, value: { outcome: "ok", durationMs: 5, detail } });

describe("job actor", () => {
  test("seed defines the job once; an operator's change is kept by a later seed", async () => {
    const { send, view } = setup();
    expect((await send("j", { type: "seed", schedule: DAILY, catchUp: "skip", enabled: true })).ok).toBe(
      true,
    );
    expect(await view("j")).toMatchObject({
      schedule: "0 2 * * *",
      timezone: "Asia/Shanghai",
      enabled: true,
      nextRunAt: new Date(DUE).toISOString(),
    });
    await send("j", { type: "configure", enabled: false });
    await send("j", { type: "seed", schedule: { cron: "*/5 * * * *" }, catchUp: "none", enabled: true });
    expect(await view("j")).toMatchObject({ schedule: "0 2 * * *", enabled: false, nextRunAt: null });
  });

  test("a bad cron or time zone is refused with the field", async () => {
    const { send } = setup();
    const bad = await send("j", { type: "configure", schedule: { cron: "0 25 * * *" } });
    expect(bad).toMatchObject({ ok: false, error: { kind: "invalid", details: { field: "cron" } } });
    const never = await send("j", {
      type: "seed",
      schedule: { cron: "0 0 30 2 *" },
      catchUp: "skip",
      enabled: true,
    });
    expect(never).toMatchObject({ ok: false, error: { details: { field: "cron" } } });
    const zone = await send("j", {
      type: "seed",
      schedule: { cron: "0 0 * * *", timeZone: "Mars/Base" },
      catchUp: "skip",
      enabled: true,
    });
    expect(zone).toMatchObject({ ok: false, error: { details: { field: "timeZone" } } });
  });

  test("the due fire runs once through the runner with a run id and schedules the next", async () => {
    const { cluster, calls, send, view, fire } = setup();
    await send("j", { type: "seed", schedule: DAILY, catchUp: "skip", enabled: true });
    cluster.clock = DUE + 800;
    await fire("j");
    await cluster.settle();
    await fire("j"); // a second wake-up finds nothing due
    await cluster.settle();
    expect(calls.map((c) => [c.id, c.runId, c.commandId])).toEqual([["j", "j:1", "job:j:run:1"]]);
    const v = await view("j");
    expect(v).toMatchObject({
      running: null,
      nextRunAt: new Date(DUE + 86_400_000).toISOString(),
      lastRun: { runId: "j:1", trigger: "schedule", outcome: "ok", durationMs: 5, detail: "done" },
    });
    const types = cluster.events("job", "j").map((e) => e.type);
    expect(types).toEqual(["configured", "runStarted", "runFinished"]);
  });

  test("after downtime: `skip` runs once now for all missed fires, `none` runs nothing", async () => {
    const { cluster, calls, send, view, fire } = setup();
    await send("skip", { type: "seed", schedule: DAILY, catchUp: "skip", enabled: true });
    await send("none", { type: "seed", schedule: DAILY, catchUp: "none", enabled: true });
    cluster.clock = DUE + 3 * 86_400_000 + 3_600_000; // three days and an hour late
    await fire("skip");
    await fire("none");
    await cluster.settle();
    expect(calls.map((c) => c.runId)).toEqual(["skip:1"]);
    const next = new Date(DUE + 4 * 86_400_000).toISOString();
    expect(await view("skip")).toMatchObject({ nextRunAt: next, lastRun: { outcome: "ok" } });
    expect(await view("none")).toMatchObject({ nextRunAt: next, lastRun: null });
    expect(cluster.events("job", "none").at(-1)).toMatchObject({ type: "runSkipped", reason: "missed" });
    // Within the grace a late fire (a failover) still runs under `none`.
    cluster.clock = DUE + 4 * 86_400_000 + MISFIRE_GRACE_MS - 1;
    await fire("none");
    await cluster.settle();
    expect(calls.map((c) => c.runId)).toEqual(["skip:1", "none:1"]);
  });

  test("run now: a run id; refused while in flight; the same command id gives the same run", async () => {
    let release: (() => void) | undefined;
    const { cluster, calls, send, view } = setup(
      () =>
        new Promise<Reply>((resolve) => {
          release = () => resolve(ok("late"));
        }),
    );
    await send("j", { type: "seed", schedule: DAILY, catchUp: "skip", enabled: true });
    const first = await send("j", { type: "runNow" }, "k1");
    expect(first).toMatchObject({ ok: true, value: { runId: "j:1" } });
    expect(await send("j", { type: "runNow" }, "k1")).toEqual(first);
    expect(await send("j", { type: "runNow" }, "k2")).toMatchObject({
      ok: false,
      error: { kind: "conflict", details: { runId: "j:1" } },
    });
    await cluster.until(() => release !== undefined);
    release!();
    await cluster.settle();
    expect(calls).toHaveLength(1);
    expect((await view("j")).lastRun).toMatchObject({ runId: "j:1", trigger: "manual", detail: "late" });
    // The refusal was not kept as the answer to k2: now it starts run 2.
    release = undefined;
    expect(await send("j", { type: "runNow" }, "k2")).toMatchObject({ ok: true, value: { runId: "j:2" } });
  });

  test("a failing runner or a runner error is recorded as a failed run", async () => {
    const { cluster, send, view } = setup((call) =>
      call.runId.endsWith(":1")
        ? { ok: true, value: { outcome: "failed", durationMs: 7, detail: "boom" } }
        : { ok: false, error: { kind: "invalid", message: "no runner" } },
    );
    await send("j", { type: "seed", schedule: DAILY, catchUp: "skip", enabled: true });
    await send("j", { type: "runNow" });
    await cluster.settle();
    expect((await view("j")).lastRun).toMatchObject({ outcome: "failed", detail: "boom", durationMs: 7 });
    await send("j", { type: "runNow" });
    await cluster.settle();
    expect((await view("j")).lastRun).toMatchObject({ outcome: "failed", detail: "invalid: no runner" });
  });

  test("a crash mid-run: the next activation re-sends the run with the same run id (at least once)", async () => {
    let hang = true;
    let aborted = 0;
    const { cluster, calls, send, view } = setup((_call, signal) =>
      hang
        ? new Promise<Reply>((_, reject) =>
            signal.addEventListener("abort", () => {
              aborted++;
              reject(new Error("closed"));
            }),
          )
        : ok("second try"),
    );
    await send("j", { type: "seed", schedule: DAILY, catchUp: "skip", enabled: true });
    await send("j", { type: "runNow" });
    await cluster.until(() => calls.length === 1);
    hang = false;
    await cluster.restart("job", "j");
    await cluster.settle();
    expect(calls.map((c) => [c.runId, c.commandId])).toEqual([
      ["j:1", "job:j:run:1"],
      ["j:1", "job:j:run:1"],
    ]);
    expect(aborted).toBe(1); // the crashed instance's run was told to stop
    expect((await view("j")).lastRun).toMatchObject({ runId: "j:1", detail: "second try" });
    expect(cluster.events("job", "j").filter((e) => e.type === "runStarted")).toHaveLength(1);
  });

  test("built-in names as job names are ordinary ids", async () => {
    const { cluster, calls, send, view } = setup();
    for (const name of ["constructor", "__proto__", "toString"]) {
      await send(name, { type: "seed", schedule: DAILY, catchUp: "skip", enabled: true });
      await send(name, { type: "runNow" });
    }
    await cluster.settle();
    expect(calls.map((c) => c.runId).sort()).toEqual(["__proto__:1", "constructor:1", "toString:1"]);
    expect((await view("__proto__")).lastRun?.outcome).toBe("ok");
  });

  test("a one-shot time fires once and leaves no next run", async () => {
    const { cluster, calls, send, view, fire } = setup();
    await send("once", { type: "seed", schedule: { at: NOW + 5_000 }, catchUp: "skip", enabled: true });
    expect((await view("once")).at).toBe(new Date(NOW + 5_000).toISOString());
    cluster.clock = NOW + 6_000;
    await fire("once");
    await cluster.settle();
    expect(calls).toHaveLength(1);
    expect(await view("once")).toMatchObject({ nextRunAt: null, lastRun: { outcome: "ok" } });
  });
});
