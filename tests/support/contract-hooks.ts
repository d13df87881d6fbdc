/**
 * Preloaded for every test file (bunfig.toml): after each test, the responses it received through
 * `ApiClient` are validated against `/openapi.json`; a deviation fails that test with what differs.
 */
import { afterAll, afterEach } from "bun:test";
import { contractLog } from "./contract.ts";

async function expectConforming(): Promise<void> {
  const deviations = await contractLog.drain();
  if (deviations.length > 0) {
    throw new Error(`${deviations.length} response(s) deviate from /openapi.json:\n${deviations.join("\n")}`);
  }
}

afterEach(expectConforming);
// Responses received in a file's afterAll (rare) are checked once more at the very end.
afterAll(async () => {
  await expectConforming();
  // CONTRACT_REPORT=1 prints what the run covered: responses per operation and status.
  if (process.env.CONTRACT_REPORT && contractLog.validator) {
    const covered = [...contractLog.validator.covered].sort(([a], [b]) => a.localeCompare(b));
    console.log(
      `contract: ${contractLog.total} responses recorded, ${covered.length} operation×status covered`,
    );
    for (const [what, n] of covered) console.log(`  ${String(n).padStart(5)}  ${what}`);
  }
});
