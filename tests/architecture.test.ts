import { expect, test } from "bun:test";
import { readdirSync, readFileSync, statSync } from "node:fs";
import { dirname, join } from "node:path";

const ROOT = join(import.meta.dirname, "..");

function sources(dir: string): string[] {
  return readdirSync(join(ROOT, dir)).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(join(ROOT, path)).isDirectory()) return sources(path);
    return name.endsWith(".ts") && !name.endsWith(".test.ts") ? [path] : [];
  });
}

function imports(file: string): string[] {
  const text = readFileSync(join(ROOT, file), "utf8");
  return [...text.matchAll(/^\s*(?:import|export)[^"']*?from\s+["']([^"']+)["']/gm)].map((m) => m[1]!);
}

test("architecture - the actor runtime imports no domain actor, no storage, no gateway and no database driver", () => {
  const runtime = join(ROOT, "actors", "runtime");
  const offenders = sources("actors/runtime").flatMap((file) =>
    imports(file)
      .filter((spec) => {
        if (spec.startsWith(".")) return !join(ROOT, dirname(file), spec).startsWith(runtime);
        return /^(postgres|ioredis|hono|socket\.io)/.test(spec);
      })
      .map((spec) => `${file} → ${spec}`),
  );
  expect(offenders).toEqual([]);
});

test("architecture - domain actors do not import storage, gateway or each other's internals", () => {
  const offenders = sources("actors")
    .filter((f) => !f.startsWith("actors/runtime"))
    .flatMap((file) =>
      imports(file)
        .filter(
          (spec) =>
            spec.includes("storage") || spec.includes("gateway") || /^(postgres|ioredis|hono)/.test(spec),
        )
        .map((spec) => `${file} → ${spec}`),
    );
  expect(offenders).toEqual([]);
});

test("architecture - only platform/ touches Bun-only APIs in the running code", () => {
  const dirs = ["actors", "gateway", "storage", "realtime"];
  const offenders = dirs
    .flatMap(sources)
    .filter((file) => /\bBun\.|from\s+["']bun["']/.test(readFileSync(join(ROOT, file), "utf8")));
  expect(offenders).toEqual([]);
});
