/**
 * The permission catalogue (issue 14 item 1, decision 0032): `GET /v1/permissions` answers every
 * permission with zh-CN and en descriptions; every permission the code checks (route permissions, second
 * checks in handlers, dashboards, masking, built-in roles) is catalogued; roles take only catalogued names.
 * Every route × the catalogue is in tests/route-permissions.test.ts (it reads the running app's routes).
 */
import { afterAll, beforeAll, expect, test } from "bun:test";
import { readdirSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { isCatalogued, isGrantable, PERMISSION_CATALOGUE } from "../actors/permissions/index.ts";
import type { HubNode } from "../hub-node.ts";
import { BUILTIN_ROLES } from "../storage/users.ts";
import {
  ApiClient,
  cleanupNamespace,
  requireServices,
  startTestNode,
  testNamespace,
} from "./support/harness.ts";

const ROOT = join(import.meta.dirname, "..");
const ns = testNamespace("permissions");
let node: HubNode;
let admin: ApiClient;

beforeAll(async () => {
  await requireServices();
  node = await startTestNode(ns);
  admin = new ApiClient(node.app!);
  await admin.login();
});

afterAll(async () => {
  await node?.stop();
  await cleanupNamespace(ns);
});

function sources(dir: string): string[] {
  return readdirSync(join(ROOT, dir)).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(join(ROOT, path)).isDirectory()) return name === "public" ? [] : sources(path);
    return name.endsWith(".ts") && !name.endsWith(".test.ts") && !name.startsWith("testing") ? [path] : [];
  });
}

test("permissions - every permission named in the code is catalogued (routes, second checks, dashboards, masking)", () => {
  const PATTERNS = [
    /permission:\s*"([a-z_]+:[a-z_*]+)"/g,
    /\bcan\(\s*[\w.]+\s*,\s*"([a-z_]+:[a-z_*]+)"/g,
    /_PERMISSION\s*=\s*"([a-z_]+:[a-z_*]+)"/g,
    /requirePermission\(\s*"([a-z_]+:[a-z_*]+)"/g,
  ];
  const found = new Map<string, string>();
  for (const file of ["gateway", "realtime", "actors", "storage", "node"].flatMap(sources)) {
    const text = readFileSync(join(ROOT, file), "utf8");
    for (const pattern of PATTERNS) for (const m of text.matchAll(pattern)) found.set(m[1]!, file);
  }
  expect(found.size).toBeGreaterThan(40); // the scan works
  const missing = [...found].filter(([name]) => !isCatalogued(name)).map(([n, f]) => `${n} (${f})`);
  expect(missing, missing.join("\n")).toEqual([]);
  for (const [role, { permissions }] of BUILTIN_ROLES) {
    const bad = permissions.filter((p) => p !== "*" && !isCatalogued(p));
    expect(bad, `built-in role ${role}`).toEqual([]);
  }
});

test("permissions - GET /v1/permissions lists the catalogue with zh-CN and en descriptions, to every signed-in user", async () => {
  await admin.call("POST", "/v1/users", {
    username: "perm-viewer",
    password: "perm-viewer-pw",
    roles: ["viewer"],
  });
  const viewer = new ApiClient(node.app!);
  await viewer.login("perm-viewer", "perm-viewer-pw");
  const res = await viewer.call("GET", "/v1/permissions");
  expect(res.status, JSON.stringify(res.body)).toBe(200);
  const items = (res.body as { items: Array<{ name: string; description: Record<string, string> }> }).items;
  expect(items.map((p) => p.name)).toEqual(PERMISSION_CATALOGUE.map((p) => p.name));
  expect(new Set(items.map((p) => p.name)).size).toBe(items.length);
  for (const p of items) {
    expect(p.name, p.name).toMatch(/^[a-z][a-z_]*:[a-z][a-z_]*$/);
    expect(p.description.en?.length, p.name).toBeGreaterThan(5);
    expect(p.description["zh-CN"], p.name).toMatch(/[\u4e00-\u9fff]/);
  }
  expect(items.map((p) => p.name)).toContain("self:access");
  expect((await viewer.call("GET", "/v1/me")).status).toBe(200);
  expect((await new ApiClient(node.app!).call("GET", "/v1/permissions")).status).toBe(401);
});

test("permissions - a role takes catalogued names, `*` and `area:*` of a catalogued area only (422 otherwise)", async () => {
  expect(isGrantable("inventory:*") && isGrantable("*") && !isGrantable("self:access")).toBe(true);
  for (const permissions of [["inventory:read", "order:*"], ["*"]]) {
    const res = await admin.call("PUT", "/v1/roles/perm_ok", { permissions });
    expect([200, 201], JSON.stringify(res.body)).toContain(res.status);
  }
  for (const wrong of ["inventory:teleport", "nowhere:*", "self:access"]) {
    const res = await admin.call("PUT", "/v1/roles/perm_bad", { permissions: ["order:read", wrong] });
    const body = res.body as { type: string; field: string; permissions: string[] };
    expect(res.status, JSON.stringify(body)).toBe(422);
    expect(body.type).toEndWith("/unknown-permission");
    expect(body.field).toBe("permissions");
    expect(body.permissions).toEqual([wrong]);
  }
  const roles = (await admin.call("GET", "/v1/roles")).body as { items: Array<{ name: string }> };
  expect(roles.items.map((r) => r.name)).not.toContain("perm_bad");
});
