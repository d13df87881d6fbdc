/**
 * `bun run bench/profile-summary.ts <profile.md>…` — where a process's CPU went, by area, from Bun's
 * markdown CPU profile (`--cpu-prof-md`; the flash sale writes one per run with `--profile DIR`).
 * Self samples are summed per area (the NATS client, postgres.js, JSON, socket writes, our runtime, …), so
 * two profiles compare at a glance; the top functions follow.
 */
import { readFileSync } from "node:fs";

interface Row {
  /** Share of the profile's samples taken in this function itself. */
  selfPercent: number;
  samples: number;
  fn: string;
  location: string;
}

/**
 * Every function of the "Function Details" section with its own (self) sample count. Samples, not the
 * table's time column: Bun weights a sample by the wall time since the previous one, so on a busy machine
 * a function caught right after the process was descheduled looks expensive; sample counts are CPU.
 */
export function hotFunctions(markdown: string): Row[] {
  const rows: Row[] = [];
  const entry = /^### `(.+)`\n`([^`]*)` \| Self: [^|]*\| Total: [^|]*\| Samples: (\d+)/gm;
  for (const m of markdown.matchAll(entry)) {
    rows.push({ selfPercent: 0, samples: Number(m[3]), fn: m[1] ?? "", location: m[2] ?? "" });
  }
  const total = rows.reduce((n, r) => n + r.samples, 0) || 1;
  for (const row of rows) row.selfPercent = (row.samples / total) * 100;
  return rows;
}

const JSON_FUNCTIONS = new Set(["stringify", "parse"]);
const SOCKET_FUNCTIONS = new Set([
  "writeBuffered",
  "writeSync",
  "write",
  "_write",
  "writeOrBuffer",
  "onwrite",
]);

/** The area a function belongs to, by where it lives. */
export function areaOf(row: Row): string {
  const at = row.location;
  if (at.includes("node_modules/@nats-io/")) return "NATS client (@nats-io)";
  if (at.includes("node_modules/postgres/")) return "Postgres client (postgres.js)";
  if (at.includes("node_modules/hono/")) return "HTTP routing (Hono)";
  if (at.includes("node_modules/zod/")) return "validation (zod)";
  if (at.includes("node_modules/ioredis/")) return "Redis client (ioredis)";
  if (/node_modules\/(socket\.io|engine\.io|@socket\.io)/.test(at)) return "Socket.IO";
  if (at.includes("node_modules/")) return "other packages";
  if (at.includes("/actors/runtime/")) return "actor runtime (ours)";
  if (at.includes("/actors/")) return "domain actors (ours)";
  if (at.includes("/storage/")) return "storage and projections (ours)";
  if (at.includes("/gateway/") || at.includes("/platform/")) return "gateway (ours)";
  if (at.includes("/realtime/")) return "realtime (ours)";
  if (at.startsWith("/")) return "other code (ours)";
  if (at === "[native code]") {
    if (JSON_FUNCTIONS.has(row.fn)) return "JSON (native)";
    if (SOCKET_FUNCTIONS.has(row.fn)) return "socket writes (native)";
    if (row.fn === "Error") return "Error objects (native)";
    return "runtime internals (native: event loop, promises, HTTP server)";
  }
  if (at.startsWith("node:") || at.startsWith("internal:")) return "Node APIs (streams, net, crypto)";
  return "other";
}

export function summarize(markdown: string): { areas: Array<[string, number]>; top: Row[] } {
  const rows = hotFunctions(markdown);
  const areas = new Map<string, number>();
  for (const row of rows) areas.set(areaOf(row), (areas.get(areaOf(row)) ?? 0) + row.selfPercent);
  return {
    areas: [...areas].sort((a, b) => b[1] - a[1]),
    top: [...rows].sort((a, b) => b.selfPercent - a.selfPercent).slice(0, 8),
  };
}

if (import.meta.main) {
  const files = process.argv.slice(2);
  if (files.length === 0) {
    console.error("usage: bun run bench/profile-summary.ts <profile.md>…");
    process.exit(2);
  }
  for (const file of files) {
    const { areas, top } = summarize(readFileSync(file, "utf8"));
    console.log(`\n${file}\n  self samples by area:`);
    for (const [area, percent] of areas)
      if (percent >= 0.5) console.log(`  ${percent.toFixed(1).padStart(5)}%  ${area}`);
    console.log("  top functions:");
    for (const row of top)
      console.log(
        `  ${row.selfPercent.toFixed(1).padStart(5)}%  ${row.fn}  ${row.location.replace(/^.*node_modules\//, "")}`,
      );
  }
}
