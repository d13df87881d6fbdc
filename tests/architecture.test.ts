import { describe, expect, test } from "bun:test";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { findViolations, readTree, specifiersOf } from "./support/architecture.ts";

const ROOT = join(import.meta.dirname, "..");
const LAYERS = ["actors", "gateway", "storage", "realtime", "node", "platform", "bench", "scripts", "tests"];
const TOP_LEVEL = ["hub-node.ts", "main.ts", "config.ts"];

const describeAll = (violations: ReturnType<typeof findViolations>) =>
  violations.map((v) => `${v.file} → ${v.specifier}: ${v.rule}`);

describe("architecture", () => {
  test("architecture - the tree breaks no dependency rule (tests included)", () => {
    const tree = readTree(ROOT, LAYERS, TOP_LEVEL);
    expect(tree.size).toBeGreaterThan(100);
    expect(describeAll(findViolations(tree))).toEqual([]);
  });

  test("architecture - the checker reports planted violations and nothing else", () => {
    const planted = new Map<string, string>([
      // Faces and allowed edges.
      ["actors/runtime/index.ts", 'export { x } from "./kind.ts";'],
      ["actors/runtime/kind.ts", 'import { z } from "zod";\nexport const x = 1;'],
      ["actors/runtime/testing/index.ts", 'export * from "../kind.ts";'],
      ["actors/shared/index.ts", 'export * from "./text.ts";'],
      ["actors/shared/text.ts", 'import { x } from "../runtime/index.ts";'],
      ["actors/inventory/index.ts", 'export * from "./state.ts";'],
      [
        "actors/inventory/state.ts",
        'import { x } from "../runtime/index.ts";\nimport { t } from "../shared/index.ts";',
      ],
      ["actors/order/index.ts", 'import { s } from "../inventory/index.ts";\nexport * from "./actor.ts";'],
      ["gateway/app.ts", 'import { Hono } from "hono";\nimport { x } from "../actors/runtime/index.ts";'],
      ["storage/projector.ts", 'import type { Sql } from "postgres";'],
      // Comments and strings that look like imports are not imports.
      [
        "actors/order/notes.ts",
        '// import { s } from "../inventory/state.ts";\nconst s = \'from "../inventory/state.ts"\';',
      ],
      // Violations, one per rule, written the ways real code writes imports.
      ["actors/order/actor.ts", 'import {\n  reserve,\n} from "../inventory/state.ts";'],
      ["actors/order/actor.test.ts", 'import type { S } from "../inventory/state.ts";'],
      ["actors/order/deep.ts", 'import { x } from "../runtime/kind.ts";'],
      ["actors/order/db.ts", 'const pg = await import("postgres");'],
      ["actors/order/edge.ts", 'export { app } from "../../gateway/app.ts";'],
      ["actors/shared/bad.ts", 'import { s } from "../inventory/index.ts";'],
      ["actors/runtime/leak.ts", 'import { s } from "../inventory/index.ts";'],
      ["actors/runtime/driver.ts", 'import Redis from "ioredis";'],
      ["gateway/routes/orders.ts", 'import type { Sql } from "postgres";'],
      ["gateway/limiter.ts", 'import type { Redis } from "ioredis";'],
      ["realtime/hub.ts", 'import type { Logger } from "../actors/runtime/kind.ts";'],
      ["storage/read-models/x.ts", 'import { problem } from "../../gateway/app.ts";'],
      ["tests/x.test.ts", 'import { s } from "../actors/inventory/state.ts";'],
    ]);
    const found = findViolations(planted).map((v) => `${v.file} → ${v.specifier}`);
    expect(found.sort()).toEqual(
      [
        "actors/order/actor.ts → ../inventory/state.ts",
        "actors/order/actor.test.ts → ../inventory/state.ts",
        "actors/order/deep.ts → ../runtime/kind.ts",
        "actors/order/db.ts → postgres",
        "actors/order/edge.ts → ../../gateway/app.ts",
        "actors/shared/bad.ts → ../inventory/index.ts",
        "actors/runtime/leak.ts → ../inventory/index.ts",
        "actors/runtime/driver.ts → ioredis",
        "gateway/routes/orders.ts → postgres",
        "gateway/limiter.ts → ioredis",
        "realtime/hub.ts → ../actors/runtime/kind.ts",
        "storage/read-models/x.ts → ../../gateway/app.ts",
        "tests/x.test.ts → ../actors/inventory/state.ts",
      ].sort(),
    );
  });

  test("architecture - the checker reads every form of import a file can have", () => {
    const source = [
      'import a from "a";',
      'import type { B } from "b";',
      'import {\n  c,\n  d,\n} from "c";',
      'export * from "./e.ts";',
      'export { f } from "./f.ts";',
      'const g = await import("./g.ts");',
      'import "./h.ts";',
      '// import z from "commented";',
      "const s = \"import y from 'in-a-string'\";",
    ].join("\n");
    expect(specifiersOf(source)).toEqual(["a", "b", "c", "./e.ts", "./f.ts", "./g.ts", "./h.ts"]);
  });

  test("architecture - only platform/ touches Bun-only APIs in the running code", () => {
    const tree = readTree(ROOT, ["actors", "gateway", "storage", "realtime", "node"]);
    const offenders = [...tree.keys()]
      .filter((file) => !file.endsWith(".test.ts"))
      .filter((file) => /\bBun\.|from\s+["']bun["']/.test(readFileSync(join(ROOT, file), "utf8")));
    expect(offenders).toEqual([]);
  });
});
