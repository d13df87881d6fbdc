/**
 * `npm run bench:smoke`: every bench scenario CI cares about in `--quick` mode, judged on correctness only
 * (never speed). Benches stay out of `npm test`: they start their own processes and load the machine,
 * which made unrelated timing-sensitive tests flaky when both ran at once.
 *
 * Prints one `ok`/`FAILED` line per check and ends with `bench smoke: N passed, N failed`; the exit
 * status is 0 only when every check passed (`.ci/run` adds these counts to the test counts).
 */
import { spawnSync } from "node:child_process";
import { join } from "node:path";
import { benchNamespacesPresent } from "../scripts/namespaces.ts";

const ROOT = join(import.meta.dirname, "..");
const BUN = process.execPath;

interface Check {
  name: string;
  args: string[];
  /** What the output must show for the run to count as correct. */
  verdicts(out: string): string[];
}

const FLASH_SALE_VARIANTS = [
  "hub over HTTP",
  "hub actor level",
  "Postgres guarded UPDATE",
  "Postgres UPDATE behind HTTP",
  "Redis Lua",
  "HTTP ceiling",
];

const CHECKS: Check[] = [
  {
    name: "flash-sale --quick: every variant runs and is correct",
    args: ["flash-sale", "--quick"],
    verdicts: (out) => [
      ...FLASH_SALE_VARIANTS.filter((label) => !new RegExp(`${label}.*correct`).test(out)).map(
        (label) => `no "correct" verdict for ${label}`,
      ),
      ...(out.includes("INCORRECT") ? ["a variant is INCORRECT"] : []),
      ...(out.includes("flash-sale-latest.html") ? [] : ["no HTML report written"]),
    ],
  },
  {
    name: "recovery --quick: activation and failover measured, state checked",
    args: ["recovery", "--quick"],
    verdicts: (out) => [
      ...(/activation: .* ms/.test(out) ? [] : ["no activation figure"]),
      ...(/failover: shard \d+ of r\d served again [\d.]+ s after SIGKILL/.test(out)
        ? []
        : ["no failover figure"]),
    ],
  },
  {
    name: "cms-delivery --quick: every cached read is the published page, a publish shows on the next read",
    args: ["cms-delivery", "--quick"],
    verdicts: (out) => [
      ...(/delivery: 0 wrong answers, 0 errors; publish v2 then next read v2: yes/.test(out)
        ? []
        : ["delivery not correct"]),
      ...(/cms page read from cache p95 \(ms\): [\d.]+/.test(out) ? [] : ["no p95 figure"]),
    ],
  },
  {
    name: "catalogue --quick: search answers equal SQL, paging visits each product once",
    args: ["catalogue", "--quick"],
    verdicts: (out) => [
      ...(/search results: correct/.test(out) ? [] : ["search results not correct"]),
      ...(/cursor page 2 \(keyword\): p50 [\d.]+ ms/.test(out) ? [] : ["no page-2 figure"]),
    ],
  },
];

const services = {
  natsUrl: process.env.NATS_URL ?? "nats://127.0.0.1:4222",
  databaseUrl: process.env.DATABASE_URL ?? "postgres://postgres@127.0.0.1:5432/postgres",
  redisUrl: process.env.REDIS_URL ?? "redis://127.0.0.1:6379",
};
/** Bench namespaces present before the run (another session's bench may be running). */
const before = await benchNamespacesPresent(services);

let passed = 0;
let failed = 0;
for (const check of CHECKS) {
  const started = performance.now();
  const run = spawnSync(BUN, ["bench/cli.ts", ...check.args], {
    cwd: ROOT,
    encoding: "utf8",
    timeout: 180_000,
  });
  const out = `${run.stdout ?? ""}\n${run.stderr ?? ""}`;
  const problems = [
    ...(run.status === 0 ? [] : [`exit status ${run.status ?? run.signal}`]),
    ...check.verdicts(out),
  ];
  const seconds = ((performance.now() - started) / 1000).toFixed(1);
  if (problems.length === 0) {
    passed++;
    console.log(`ok      ${check.name} (${seconds} s)`);
  } else {
    failed++;
    console.log(`FAILED  ${check.name} (${seconds} s): ${problems.join("; ")}`);
    console.log(out);
  }
}
// Every scenario drops its private namespace: streams, KV buckets, schema and secrets key.
const left = [...(await benchNamespacesPresent(services))].filter((ns) => !before.has(ns));
if (left.length === 0) {
  passed++;
  console.log("ok      no bench namespace left behind (streams, KV buckets, schemas, secrets keys)");
} else {
  failed++;
  console.log(`FAILED  bench namespaces left behind: ${left.join(", ")}`);
}
console.log(`bench smoke: ${passed} passed, ${failed} failed`);
process.exit(failed === 0 ? 0 : 1);
