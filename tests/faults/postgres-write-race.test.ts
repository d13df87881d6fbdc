import { expect, test } from "bun:test";
import { spawn } from "node:child_process";
import { join } from "node:path";
import { DATABASE_URL, requireServices } from "../support/harness.ts";

const ROOT = join(import.meta.dir, "..", "..");
const BUN = join(ROOT, "node_modules", ".bin", "bun");

/** Runs the reproduction in its own process: unpatched, the library's TypeError would kill this one. */
function runRace(): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(BUN, [join(import.meta.dir, "fixtures", "postgres-write-race.ts"), DATABASE_URL], {
      cwd: ROOT,
      stdio: ["ignore", "pipe", "pipe"],
    });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d) => (stdout += d));
    child.stderr.on("data", (d) => (stderr += d));
    const timer = setTimeout(() => child.kill("SIGKILL"), 20_000);
    child.on("exit", (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

test("postgres.js patch - a write queued on a closed connection rejects CONNECTION_CLOSED instead of killing the process", async () => {
  await requireServices();
  const run = await runRace();
  const hint = "patches/postgres+3.4.9.patch is not applied (npm install runs patch-package in postinstall)";
  const line = run.stdout.trim().split("\n").at(-1) ?? "";
  if (run.code !== 0 || !line.startsWith("{"))
    throw new Error(`${hint}\nexit ${run.code}\nstdout: ${run.stdout}\nstderr: ${run.stderr.slice(-2000)}`);
  // Both queries on the dead reserved connection settle with a catchable error (not dropped, not pending),
  // and the pool keeps serving.
  expect(JSON.parse(line)).toEqual({ first: "CONNECTION_CLOSED", second: "CONNECTION_CLOSED", pool: "ok" });
});

test("postgres.js patch - a connection closed mid-result leaves nothing to the next query: its own rows, not the old query's error", async () => {
  await requireServices();
  const postgres = (await import("postgres")).default;
  const sql = postgres(DATABASE_URL, { max: 1, onnotice: () => undefined, connect_timeout: 3 });
  const killer = postgres(DATABASE_URL, { max: 1, onnotice: () => undefined, connect_timeout: 3 });
  try {
    const [row] = await sql`SELECT pg_backend_pid() AS pid`;
    // Rows of 20 kB fill the server's send buffer, so the first ones reach the client before the backend
    // sleeps at row 60 and is terminated there: the client has counted rows of a result that never ends.
    const broken = sql`SELECT g, repeat('x', 20000) AS pad, CASE WHEN g = 60 THEN pg_sleep(5) END AS nap
      FROM generate_series(1, 100) g`.then(
      () => "completed",
      (error: { code?: string }) => error.code ?? String(error),
    );
    await waitForBackend(killer, row!.pid as number, "PgSleep");
    await killer`SELECT pg_terminate_backend(${row!.pid as number})`;
    expect(await broken).not.toBe("completed");
    // The next query reconnects the same connection object; its result must be exactly its own rows.
    const next = await sql`SELECT 1 AS one`;
    expect({ length: next.length, keys: Object.keys(next) }).toEqual({ length: 1, keys: ["0"] });
    expect(next[0]).toEqual({ one: 1 });
  } finally {
    await sql.end({ timeout: 1 });
    await killer.end({ timeout: 1 });
  }
});

/** Waits until the backend `pid` is waiting on `event` (e.g. inside pg_sleep). */
async function waitForBackend(
  sql: import("postgres").Sql,
  pid: number,
  event: string,
  timeoutMs = 10_000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const [state] = await sql`SELECT wait_event FROM pg_stat_activity WHERE pid = ${pid}`;
    if (state?.wait_event === event) return;
    if (Date.now() > deadline)
      throw new Error(`backend ${pid} never waited on ${event}: ${JSON.stringify(state)}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}
