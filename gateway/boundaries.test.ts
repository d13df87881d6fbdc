/**
 * The gateway's own boundary (issue 9, "ports, not stores"): nothing under gateway/ reaches a database
 * or cache driver, directly or through what it imports. Routes get ports (gateway/ports.ts); node/
 * binds them to Postgres and Redis. Imports are resolved from the source text, not grepped.
 */
import { expect, test } from "bun:test";
import { readdirSync, readFileSync, statSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";

const ROOT = join(import.meta.dirname, "..");
const DRIVERS = /^(postgres|ioredis)(\/|$)/;

function sources(dir: string): string[] {
  return readdirSync(join(ROOT, dir)).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(join(ROOT, path)).isDirectory()) return sources(path);
    return name.endsWith(".ts") && !name.endsWith(".test.ts") ? [path] : [];
  });
}

function importsOf(file: string): string[] {
  const text = readFileSync(join(ROOT, file), "utf8");
  return [...text.matchAll(/^\s*(?:import|export)\b[^"';]*?\bfrom\s+["']([^"']+)["']/gm)].map(
    (m) => m[1] ?? "",
  );
}

/** Every chain from `file` to a driver import, following our own relative imports. */
function driverPaths(file: string, seen = new Set<string>(), chain: string[] = []): string[] {
  if (seen.has(file)) return [];
  seen.add(file);
  return importsOf(file).flatMap((spec) => {
    if (DRIVERS.test(spec)) return [[...chain, file, spec].join(" → ")];
    if (!spec.startsWith(".")) return [];
    const target = relative(ROOT, resolve(ROOT, dirname(file), spec));
    return driverPaths(target, seen, [...chain, file]);
  });
}

test("gateway boundary - no gateway file reaches postgres or ioredis, even through its imports", () => {
  const files = sources("gateway");
  expect(files.length).toBeGreaterThan(10);
  const seen = new Set<string>();
  expect(files.flatMap((file) => driverPaths(file, seen))).toEqual([]);
});

test("gateway boundary - the check finds a driver reached through a store (so it can fail)", () => {
  // hub-node.ts composes the stores, so it must reach both drivers.
  const paths = driverPaths("hub-node.ts");
  expect(paths.some((p) => p.endsWith("→ postgres"))).toBe(true);
  expect(paths.some((p) => p.endsWith("→ ioredis"))).toBe(true);
});

test("gateway boundary - no gateway file is over 250 lines", () => {
  const long = sources("gateway")
    .map((file) => ({ file, lines: readFileSync(join(ROOT, file), "utf8").split("\n").length }))
    .filter(({ lines }) => lines > 250);
  expect(long).toEqual([]);
});

test("gateway boundary - at most 10 casts to named or object types (`as Foo`, `as {…}`) outside tests", () => {
  const casts = sources("gateway").flatMap((file) => {
    // Quoted strings are blanked first, so prose such as "a day as YYYY-MM-DD" is not a cast (template
    // literals are kept: a cast inside `${…}` still counts).
    const code = readFileSync(join(ROOT, file), "utf8").replace(/(["'])(?:\\.|(?!\1)[^\\\n])*\1/g, '""');
    return [...code.matchAll(/\bas\s+(\{|\[|[A-Z]\w*)/g)].map((m) => `${file}: as ${m[1]}`);
  });
  console.log(`gateway casts (${casts.length}):\n  ${casts.join("\n  ")}`);
  expect(casts.length).toBeLessThanOrEqual(10);
});
