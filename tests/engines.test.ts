import { expect, test } from "bun:test";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";

const ROOT = join(import.meta.dirname, "..");

/** The smallest major version a `>=`-style range admits (`>= 22.x`, `>=20.0.0`, `^18`); undefined otherwise. */
function minimumMajor(range: string): number | undefined {
  const match = /^\s*(?:>=|\^|~)?\s*v?(\d+)/.exec(range);
  return match ? Number(match[1]) : undefined;
}

function installedPackages(): Array<{ name: string; engines?: Record<string, string> }> {
  const modules = join(ROOT, "node_modules");
  const dirs = readdirSync(modules).flatMap((entry) =>
    entry.startsWith("@")
      ? readdirSync(join(modules, entry)).map((name) => join(modules, entry, name))
      : [join(modules, entry)],
  );
  return dirs
    .map((dir) => join(dir, "package.json"))
    .filter(existsSync)
    .map((file) => JSON.parse(readFileSync(file, "utf8")));
}

test("engines - package.json asks for at least the Node and Bun versions the dependencies need", () => {
  const own = JSON.parse(readFileSync(join(ROOT, "package.json"), "utf8")) as {
    engines: Record<string, string>;
    devDependencies: Record<string, string>;
  };
  const ownNode = minimumMajor(own.engines.node ?? "");
  const needs = installedPackages()
    .map((p) => ({ name: p.name, major: minimumMajor(p.engines?.node ?? "") }))
    .filter((p): p is { name: string; major: number } => p.major !== undefined);
  const strictest = needs.reduce((a, b) => (b.major > a.major ? b : a), { name: "(none)", major: 0 });
  const unmet = needs.filter((p) => ownNode === undefined || p.major > ownNode);
  expect(unmet).toEqual([]);
  expect(ownNode).toBe(strictest.major); // not stricter than needed either
  // Bun runs everything: the engines entry matches the Bun the project installs.
  expect(own.engines.bun).toBe(`>=${own.devDependencies.bun?.replace(/^\^/, "")}`);
});
