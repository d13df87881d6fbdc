import { expect, test } from "bun:test";
import { MetricsRegistry, silentLogger } from "../actors/runtime/index.ts";
import { type JobRunner, jobRunnerService } from "./jobs.ts";

/** Attempts as `job_run_attempts` keeps them: every start of a run takes the next number. */
function memoryAttempts() {
  const current = new Map<string, number>();
  return {
    current,
    begin: async (runId: string) => {
      const next = (current.get(runId) ?? 0) + 1;
      current.set(runId, next);
      return next;
    },
    isCurrent: async (runId: string, attempt: number) => current.get(runId) === attempt,
  };
}

const JOB = "projector-dead-letter-report";
const run = { type: "run", runId: `${JOB}:7` };

test("job fencing - a runner that ignores its abort and finishes after a newer attempt started records nothing", async () => {
  const attempts = memoryAttempts();
  const seen: number[] = [];
  let release: () => void = () => undefined;
  const gate = new Promise<void>((r) => {
    release = r;
  });
  // The first attempt ignores its signal and finishes late; the second finishes at once.
  const runner: JobRunner = async (_runId, _signal, { attempt }) => {
    seen.push(attempt);
    if (attempt === 1) await gate;
    return `attempt ${attempt}`;
  };
  const alerts: object[] = [];
  const service = jobRunnerService(new Map([[JOB, runner]]), {
    metrics: new MetricsRegistry(),
    alert: (a) => alerts.push(a),
    log: silentLogger,
    attempts,
  });
  const stale = service(JOB, run, "cmd-1", new AbortController().signal);
  await new Promise((r) => setTimeout(r, 10));
  // The actor moved: the new owner re-runs the same run id.
  const fresh = await service(JOB, run, "cmd-1", new AbortController().signal);
  expect(fresh).toMatchObject({ ok: true, value: { outcome: "ok", detail: "attempt 2" } });
  release();
  await expect(stale).rejects.toThrow(/superseded/);
  expect(seen).toEqual([1, 2]);
  expect(alerts).toEqual([]);
});

test("job fencing - without a newer attempt the outcome is answered (ok or failed)", async () => {
  const attempts = memoryAttempts();
  const failing: JobRunner = async () => {
    throw new Error("boom");
  };
  const service = jobRunnerService(new Map([[JOB, failing]]), {
    metrics: new MetricsRegistry(),
    alert: () => undefined,
    log: silentLogger,
    attempts,
  });
  const reply = await service(JOB, run, "cmd-2", new AbortController().signal);
  expect(reply).toMatchObject({ ok: true, value: { outcome: "failed", detail: "boom" } });
  expect(attempts.current.get(run.runId)).toBe(1);
});
