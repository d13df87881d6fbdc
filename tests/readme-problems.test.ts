import { expect, test } from "bun:test";
import { readdirSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";

const ROOT = join(import.meta.dirname, "..");

function sources(dir: string): string[] {
  return readdirSync(join(ROOT, dir)).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(join(ROOT, path)).isDirectory()) return sources(path);
    return name.endsWith(".ts") && !name.endsWith(".test.ts") && name !== "testing.ts" ? [path] : [];
  });
}

/** Every (type, status) the server can answer: `new ProblemError(status, "type"` and the kind → HTTP table. */
function problemsInCode(): Map<string, Set<number>> {
  const found = new Map<string, Set<number>>();
  const add = (slug: string, status: number) => found.set(slug, (found.get(slug) ?? new Set()).add(status));
  for (const file of ["gateway", "node", "platform"].flatMap(sources)) {
    const text = readFileSync(join(ROOT, file), "utf8");
    for (const m of text.matchAll(/ProblemError\(\s*(\d{3}),\s*"([a-z-]+)"/g)) add(m[2]!, Number(m[1]));
  }
  const problem = readFileSync(join(ROOT, "gateway/problem.ts"), "utf8");
  const table = /KIND_TO_HTTP[^=]*=\s*\{([\s\S]*?)\};/.exec(problem)?.[1] ?? "";
  for (const m of table.matchAll(/\[(\d{3}),\s*"([a-z-]+)"\]/g)) add(m[2]!, Number(m[1]));
  // The fallback for an unknown kind and the app's catch-all.
  add("internal", 500);
  return found;
}

function problemsInReadme(): Map<string, Set<number>> {
  const readme = readFileSync(join(ROOT, "README.md"), "utf8");
  const rows = new Map<string, Set<number>>();
  for (const m of readme.matchAll(/^\s*\|\s*`([a-z-]+)`\s*\|\s*([\d, ]+?)\s*\|/gm)) {
    rows.set(m[1]!, new Set(m[2]!.split(",").map((s) => Number(s.trim()))));
  }
  return rows;
}

const asObject = (m: Map<string, Set<number>>) =>
  Object.fromEntries([...m].sort(([a], [b]) => a.localeCompare(b)).map(([k, v]) => [k, [...v].sort()]));

test("readme - the problem type table lists exactly the types and statuses the code answers with", () => {
  const code = problemsInCode();
  expect(code.size).toBeGreaterThan(10); // the scan works
  expect(asObject(problemsInReadme())).toEqual(asObject(code));
});
