import { expect, test } from "bun:test";
import { spawnSync } from "node:child_process";
import { join } from "node:path";
import { requireServices } from "./support/harness.ts";

const ROOT = join(import.meta.dirname, "..");
const BUN = join(ROOT, "node_modules", ".bin", "bun");

// Smoke only: the bench's quick mode must run and every variant must pass its correctness verdict.
// Speed is never asserted here (it lives in the bench report).
function bench(...args: string[]) {
  const run = spawnSync(BUN, ["bench/cli.ts", ...args], { cwd: ROOT, encoding: "utf8", timeout: 120_000 });
  return { code: run.status, out: `${run.stdout}\n${run.stderr}` };
}

test("bench - flash-sale --quick runs every variant and each is correct", async () => {
  await requireServices();
  const { code, out } = bench("flash-sale", "--quick");
  if (code !== 0) console.log(out);
  expect(code).toBe(0);
  for (const label of [
    "hub over HTTP",
    "hub actor level",
    "Postgres guarded UPDATE",
    "Postgres UPDATE behind HTTP",
    "Redis Lua",
  ]) {
    expect(out).toMatch(new RegExp(`${label}.*correct`));
  }
  expect(out).not.toContain("INCORRECT");
  expect(out).toContain("flash-sale-latest.html");
}, 130_000);

test("bench - recovery --quick measures activation and failover and checks state", async () => {
  await requireServices();
  const { code, out } = bench("recovery", "--quick");
  if (code !== 0) console.log(out);
  expect(code).toBe(0);
  expect(out).toMatch(/activation: .* ms/);
  expect(out).toMatch(/failover: shard \d+ of r\d served again [\d.]+ s after SIGKILL/);
}, 130_000);
