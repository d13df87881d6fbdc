/**
 * `npm run faults`: the long fault cases (15 s outages, twenty Postgres restarts) against private
 * NATS/Postgres/Redis, each checked against the JetStream log, with a JSON and a Markdown report in
 * bench/results/ (faults-<timestamp>.json/.md, and faults-latest.md). Add a case to `CASES`.
 *
 *   npm run faults                      # every case
 *   npm run faults -- postgres-pause    # only the named case(s)
 */
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { requireServices } from "../support/harness.ts";
import { requireServerBinaries } from "./harness.ts";
import {
  eventLogFullScenario,
  type NatsRig,
  natsDelayScenario,
  natsKillScenario,
  startNatsRig,
} from "./nats-scenarios.ts";
import { type FaultRig, postgresOutage, postgresRestarts, redisOutage, startRig } from "./scenarios.ts";

const OUTAGE_MS = Number(process.env.FAULT_OUTAGE_MS ?? 15_000);

interface FaultCase {
  name: string;
  /** What the issue requires, in one line (printed next to the measured figures). */
  requirement: string;
  run(): Promise<Record<string, unknown>>;
}

async function withRig<T>(
  label: string,
  kinds: Array<"nats" | "postgres" | "redis">,
  body: (rig: FaultRig) => Promise<T>,
) {
  const rig = await startRig(label, kinds);
  try {
    return await body(rig);
  } finally {
    await rig.close();
  }
}

async function withNats<T>(body: (rig: NatsRig) => Promise<T>) {
  const rig = await startNatsRig();
  try {
    return await body(rig);
  } finally {
    await rig.close();
  }
}

/**
 * A case whose scenario lives in a quick test (it runs in CI too): the test file runs in its own
 * process and its figure lines (`<prefix>: …`) are the report; a failed assertion fails the case.
 */
async function quickTestCase(file: string, prefixes: string[]): Promise<Record<string, unknown>> {
  const child = Bun.spawn([process.execPath, "test", "--timeout", "180000", join(import.meta.dir, file)], {
    stdout: "pipe",
    stderr: "pipe",
    env: process.env,
  });
  const [out, err, code] = await Promise.all([
    new Response(child.stdout).text(),
    new Response(child.stderr).text(),
    child.exited,
  ]);
  const lines = `${out}\n${err}`.split("\n");
  const figures = lines.filter((line) => prefixes.some((p) => line.startsWith(`${p}:`)));
  if (code !== 0) {
    const failures = lines.filter((line) => /^\(fail\)|^error:|Expected|Received/.test(line.trim()));
    throw new Error(`${file} failed (exit ${code}): ${[...figures, ...failures].join(" / ")}`);
  }
  return { test: file, passed: true, figures };
}

export const CASES: FaultCase[] = [
  {
    name: "postgres-down",
    requirement:
      "dependent routes 503 + Retry-After within 2 s; reservations 201; routes back < 2 s; read models < 5 s",
    run: () => withRig("pgdown", ["postgres"], (rig) => postgresOutage(rig, "stop", OUTAGE_MS)) as never,
  },
  {
    name: "postgres-killed",
    requirement: "as postgres-down, after SIGKILL (crash recovery on restart)",
    run: () => withRig("pgkill", ["postgres"], (rig) => postgresOutage(rig, "kill", OUTAGE_MS)) as never,
  },
  {
    name: "postgres-pause",
    requirement: "dependent routes 503 within 2 s instead of hanging; back < 2 s after SIGCONT",
    run: () => withRig("pgpause", ["postgres"], (rig) => postgresOutage(rig, "pause", OUTAGE_MS)) as never,
  },
  {
    name: "redis-kill",
    requirement:
      "login 503 + Retry-After within 2 s (fail-closed), no 500, other routes work; login back < 2 s",
    run: () => withRig("rediskill", ["redis"], (rig) => redisOutage(rig, OUTAGE_MS)) as never,
  },
  {
    name: "postgres-restarts",
    requirement: "the node process survives 20 Postgres restarts under write load",
    run: () => postgresRestarts(20) as never,
  },
  {
    name: "nats-killed",
    requirement:
      "NATS SIGKILLed 5 s under load: writes 503 within 2 s, /readyz 503 within 1 s; first write < 2 s after it returns",
    run: () =>
      withNats((rig) => natsKillScenario(rig, Number(process.env.FAULT_NATS_OUTAGE_MS ?? 5_000))) as never,
  },
  {
    name: "nats-delay",
    requirement:
      "1 s one-way delay node → NATS: writes 503 within 2 s during it; every shard served < 5 s after it ends",
    run: () => withNats((rig) => natsDelayScenario(rig, 1_000, OUTAGE_MS)) as never,
  },
  {
    name: "node-restart",
    requirement:
      "node SIGKILL + restart: /readyz never 200 while nobody serves; shards served within lease TTL + 1 s; a dead owner detected from its heartbeat",
    run: () => quickTestCase("node-restart.test.ts", ["node restart", "replacement node"]),
  },
  {
    name: "projector-rounds",
    requirement:
      "NATS paused 3 × 6 s under load: projector offset only advances, never two rounds at once, read models and live feed catch up",
    run: () => quickTestCase("projector-rounds.test.ts", ["projector rounds"]),
  },
  {
    name: "event-log-full",
    requirement:
      "event stream at its size limit: 507 storage-full within 2 s, 80 % warning, /readyz 503, shards kept",
    run: () => withNats((rig) => eventLogFullScenario(rig)) as never,
  },
];

async function main() {
  await requireServices();
  requireServerBinaries(["nats", "postgres", "redis"]);
  const only = process.argv.slice(2);
  const results: Array<{ name: string; requirement: string; ms: number; figures?: unknown; error?: string }> =
    [];
  for (const c of CASES.filter((c) => only.length === 0 || only.includes(c.name))) {
    const started = performance.now();
    process.stdout.write(`\n== ${c.name}: ${c.requirement}\n`);
    try {
      const figures = await c.run();
      results.push({
        name: c.name,
        requirement: c.requirement,
        ms: Math.round(performance.now() - started),
        figures,
      });
      process.stdout.write(`${JSON.stringify(figures, null, 2)}\n`);
    } catch (error) {
      results.push({
        name: c.name,
        requirement: c.requirement,
        ms: Math.round(performance.now() - started),
        error: String(error),
      });
      process.stdout.write(`FAILED: ${String(error)}\n`);
    }
  }
  const dir = join(import.meta.dir, "..", "..", "bench", "results");
  mkdirSync(dir, { recursive: true });
  const stamp = new Date().toISOString().replace(/[:.]/g, "-");
  const report = { at: new Date().toISOString(), outageMs: OUTAGE_MS, results };
  writeFileSync(join(dir, `faults-${stamp}.json`), JSON.stringify(report, null, 2));
  const md = [
    `# Fault run ${report.at}`,
    "",
    `Outage length ${OUTAGE_MS} ms. Times are from the moment the fault was healed. Figures as JSON per case.`,
    "",
    ...results.flatMap((r) => [
      `## ${r.name}`,
      "",
      `Required: ${r.requirement}`,
      "",
      r.error ? `**FAILED**: ${r.error}` : `\`\`\`json\n${JSON.stringify(r.figures, null, 2)}\n\`\`\``,
      "",
    ]),
  ].join("\n");
  writeFileSync(join(dir, `faults-${stamp}.md`), md);
  writeFileSync(join(dir, "faults-latest.md"), md);
  process.stdout.write(
    `\nreport: bench/results/faults-${stamp}.md (latest: bench/results/faults-latest.md)\n`,
  );
  process.exit(results.some((r) => r.error) ? 1 : 0);
}

if (import.meta.main) await main();
