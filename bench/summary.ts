/**
 * `npm run bench -- targets`: issue 15's whole targets table from the latest run of each scenario
 * (`bench/results/<scenario>-latest.json`), the earlier quiet-run figures beside the latest ones, with
 * when each scenario last ran. Rows no scenario has measured yet say so.
 */
import { existsSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { EARLIER, type Earlier } from "./earlier.ts";
import { type Target, table } from "./report.ts";
import { RESULTS } from "./servers.ts";
import { fmt } from "./stats.ts";

const SCENARIOS = ["flash-sale", "recovery", "order-flow", "fanout"];

export function targetsSummary(): string {
  const latest = new Map<string, { target: Target; scenario: string; at: string }>();
  for (const scenario of SCENARIOS) {
    const file = join(RESULTS, `${scenario}-latest.json`);
    if (!existsSync(file)) continue;
    const at = statSync(file).mtime.toISOString().slice(0, 16).replace("T", " ");
    const data = JSON.parse(readFileSync(file, "utf8")) as { targets?: Target[] };
    for (const target of data.targets ?? [])
      if (target.earlier) latest.set(target.earlier.measure, { target, scenario, at });
  }
  const rows = (Object.values(EARLIER) as Earlier[]).map((e) => {
    const seen = latest.get(e.measure);
    const t = seen?.target;
    return {
      measure: e.measure,
      earlier: e.today,
      now: t ? (Number.isFinite(t.value) ? (t.shown ?? fmt(t.value, 2)) : "no figure") : "not run",
      must: e.mustReach,
      aim: e.aim,
      verdict: t ? (t.met ? "met" : "MISSED") : "—",
      source: seen ? `${seen.scenario} ${seen.at} UTC` : "",
    };
  });
  return `issue 15 targets: earlier (last quiet runs) and the latest run of each scenario\n${table(rows, [
    { key: "measure", label: "measure" },
    { key: "earlier", label: "earlier" },
    { key: "now", label: "latest" },
    { key: "must", label: "must reach" },
    { key: "aim", label: "aim" },
    { key: "verdict", label: "verdict" },
    { key: "source", label: "from" },
  ])}`;
}
