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
