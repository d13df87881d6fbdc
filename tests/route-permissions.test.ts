/**
 * Every documented route × every built-in role against ONE permission table (issue 8): no token is 401,
 * a role without the route's permission is 403 `forbidden`, a role with it is never 401/403. Routes are
 * read from the running app's /openapi.json, so a new route is covered (or fails here) automatically.
 */
import { afterAll, beforeAll, expect, test } from "bun:test";
import { isCatalogued, PERMISSION_CATALOGUE, SELF_ACCESS } from "../actors/permissions/index.ts";
import type { HubNode } from "../hub-node.ts";
import {
  ApiClient,
  cleanupNamespace,
  requireServices,
  startTestNode,
  testNamespace,
} from "./support/harness.ts";

/**
 * THE permission table: which built-in roles hold each permission (`admin` holds `*`, so everything).
 * A route whose permission is missing here fails the test until it is added. Its names are exactly the
 * permission catalogue's (actors/permissions/catalogue.ts), checked below.
 */
const WHO_HOLDS: ReadonlyMap<string, readonly string[]> = new Map([
  // Held implicitly by every signed-in user, granted by no role (see IMPLICIT).
  [SELF_ACCESS, []],
  ["session:read", ["user_admin"]],
  [
    "approval:read",
    ["inventory_manager", "order_manager", "finance", "catalogue_manager", "purchaser", "user_admin"],
  ],
  [
    "approval:decide",
    ["inventory_manager", "order_manager", "finance", "catalogue_manager", "purchaser", "user_admin"],
  ],
  ["approval:configure", []],
  ["session:revoke", ["user_admin"]],
  [
    "inventory:read",
    ["inventory_manager", "order_manager", "operator", "catalogue_manager", "viewer", "purchaser"],
  ],
  ["inventory:write", ["inventory_manager"]],
  ["inventory:hold", ["inventory_manager"]],
  ["warehouse:read", ["inventory_manager", "order_manager", "catalogue_manager", "viewer", "purchaser"]],
  ["warehouse:write", ["inventory_manager"]],
  [
    "product:read",
    ["inventory_manager", "order_manager", "catalogue_manager", "marketing", "viewer", "purchaser"],
  ],
  ["product:write", ["inventory_manager", "catalogue_manager"]],
  ["order:read", ["order_manager", "finance", "customer_service", "operator"]],
  ["order:write", ["order_manager"]],
  ["order:fulfil", ["order_manager"]],
  ["order:approve", ["order_manager"]],
  ["customer:pii", ["order_manager", "customer_service"]],
  ["member:read", ["order_manager", "customer_service"]],
  ["payment:read", ["order_manager", "finance", "customer_service"]],
  ["payment:write", ["finance"]],
  ["payment:reconcile", ["finance"]],
  ["payment:simulate", []],
  ["carrier:simulate", []],
  ["ops:read", ["operator"]],
  ["ops:write", ["operator"]],
  ["jobs:read", ["operator"]],
  ["jobs:run", ["operator"]],
  ["jobs:write", ["operator"]],
  ["audit:read", ["inventory_manager", "finance", "operator", "user_admin", "catalogue_manager"]],
  ["audit:configure", []],
  ["user:read", ["user_admin"]],
  ["user:write", ["user_admin"]],
  ["review:read", ["order_manager", "customer_service", "review_moderator"]],
  ["review:write", ["order_manager"]],
  ["review:moderate", ["review_moderator"]],
  ["coupon:read", ["order_manager", "customer_service", "marketing"]],
  ["coupon:claim", ["order_manager", "marketing"]],
  ["coupon:write", ["marketing"]],
  ["promotion:read", ["order_manager", "marketing"]],
  ["promotion:write", ["marketing"]],
  ["segment:read", ["marketing"]],
  ["segment:write", ["marketing"]],
  ["segment:push", ["marketing"]],
  ["notification:read", ["operator"]],
  ["notification:ack", ["operator"]],
  ["webhook:read", ["operator"]],
  ["webhook:write", ["operator"]],
  ["supplier:read", ["inventory_manager", "finance", "purchaser"]],
  ["supplier:write", ["purchaser"]],
  ["supplier:contact", ["purchaser"]],
  ["pii:phone", ["order_manager", "customer_service"]],
  ["pii:address", ["order_manager", "customer_service"]],
  ["pii:email", ["order_manager", "customer_service"]],
  ["pii:id_card", []],
  ["pii:bank_card", ["finance"]],
  ["supplier:review", ["inventory_manager"]],
  ["purchase:read", ["inventory_manager", "finance", "purchaser"]],
  ["purchase:write", ["purchaser"]],
  ["purchase:approve", ["inventory_manager", "purchaser"]],
  ["purchase:receive", ["purchaser"]],
  ["purchase:configure", []],
  ["cms:read", ["marketing"]],
  ["cms:write", ["marketing"]],
  ["access_review:read", ["user_admin", "access_reviewer"]],
  ["access_review:decide", ["access_reviewer"]],
  ["access_review:configure", ["user_admin"]],
]);
const ROLES = [
  "admin",
  "inventory_manager",
  "order_manager",
  "finance",
  "customer_service",
  "operator",
  "user_admin",
  "review_moderator",
  "marketing",
  "catalogue_manager",
  "viewer",
  "purchaser",
  "access_reviewer",
];

const ns = testNamespace("route-perms");
let node: HubNode;
const clients = new Map<string, ApiClient>();

interface Operation {
  method: string;
  path: string;
  permission: string | undefined;
  public: boolean;
}

beforeAll(async () => {
  await requireServices();
  node = await startTestNode(ns);
  const admin = new ApiClient(node.app!);
  await admin.login();
  clients.set("admin", admin);
  for (const role of ROLES.filter((r) => r !== "admin")) {
    const username = `as-${role.replaceAll("_", "-")}`;
    const created = await admin.call("POST", "/v1/users", {
      username,
      password: `${username}-pw`,
      roles: [role],
    });
    expect(created.status, JSON.stringify(created.body)).toBe(201);
    const client = new ApiClient(node.app!);
    await client.login(username, `${username}-pw`);
    clients.set(role, client);
  }
});

afterAll(async () => {
  await node?.stop();
  await cleanupNamespace(ns);
});

async function operations(): Promise<Operation[]> {
  const doc = (await clients.get("admin")!.call("GET", "/openapi.json")).body as {
    paths: Record<string, Record<string, { "x-permission"?: string; security?: unknown[] }>>;
  };
  return Object.entries(doc.paths).flatMap(([path, methods]) =>
    Object.entries(methods).map(([method, op]) => ({
      method: method.toUpperCase(),
      path: path.replace(/\{\w+\}/g, "perm-x1"),
      permission: op["x-permission"],
      public: Array.isArray(op.security) && op.security.length === 0,
    })),
  );
}

/** Permissions every signed-in user holds without any role granting them. */
const IMPLICIT: ReadonlySet<string> = new Set([SELF_ACCESS]);

const holds = (role: string, permission: string) =>
  role === "admin" || IMPLICIT.has(permission) || (WHO_HOLDS.get(permission) ?? []).includes(role);

test("permissions - the table names exactly the catalogued permissions", () => {
  const catalogued = PERMISSION_CATALOGUE.map((p) => p.name).sort();
  expect([...WHO_HOLDS.keys()].sort()).toEqual(catalogued);
});

test("permissions - the built-in roles are exactly the permission table", async () => {
  const roles = (await clients.get("admin")!.call("GET", "/v1/roles")).body as {
    items: Array<{ name: string; permissions: string[]; builtIn: boolean }>;
  };
  const builtIn = new Map(
    roles.items.filter((r) => r.builtIn).map((r) => [r.name, [...r.permissions].sort()]),
  );
  expect([...builtIn.keys()].sort()).toEqual([...ROLES].sort());
  for (const role of ROLES.filter((r) => r !== "admin")) {
    const fromTable = [...WHO_HOLDS].filter(([, holders]) => holders.includes(role)).map(([p]) => p);
    expect(builtIn.get(role), role).toEqual(fromTable.sort());
  }
  expect(builtIn.get("admin")).toEqual(["*"]);
});

test("permissions - every route × every built-in role: 401 without a token, 403 without the permission, otherwise neither", async () => {
  const ops = await operations();
  expect(ops.length).toBeGreaterThan(30);
  const mismatches: string[] = [];
  const anonymous = new ApiClient(node.app!);
  for (const op of ops) {
    const send = (client: ApiClient) =>
      client.call(op.method, op.path, op.method === "GET" || op.method === "DELETE" ? undefined : {}, {
        "idempotency-key": "route-permissions",
      });
    const describe = (who: string, res: { status: number; body: unknown }, wanted: string) =>
      `${op.method} ${op.path} [${op.permission ?? (op.public ? "public" : "any user")}] as ${who}: ${res.status} (wanted ${wanted}) ${JSON.stringify(res.body).slice(0, 160)}`;

    if (!op.public && op.permission === undefined) {
      mismatches.push(`${op.method} ${op.path}: neither public nor guarded by a permission`);
    }
    if (op.permission !== undefined && !isCatalogued(op.permission)) {
      mismatches.push(`${op.method} ${op.path}: permission ${op.permission} is not catalogued`);
    }
    if (op.permission && !WHO_HOLDS.has(op.permission)) {
      mismatches.push(`${op.method} ${op.path}: permission ${op.permission} is not in the table`);
    }
    const anon = await send(anonymous);
    if (!op.public && anon.status !== 401) mismatches.push(describe("nobody", anon, "401"));
    if (op.public && (anon.status === 401 || anon.status === 403 || anon.status >= 500)) {
      mismatches.push(describe("nobody", anon, "not 401/403/5xx"));
    }
    if (op.public) continue;
    for (const role of ROLES) {
      const res = await send(clients.get(role)!);
      const allowed = op.permission === undefined || holds(role, op.permission);
      // A handler may require a second permission for part of its work (committing a hold needs the
      // permission to ship): a 403 naming another permission the role lacks in the same table is right.
      const body = res.body as { permission?: string };
      const secondCheck =
        res.status === 403 &&
        body.permission !== undefined &&
        body.permission !== op.permission &&
        WHO_HOLDS.has(body.permission) &&
        !holds(role, body.permission);
      if (allowed && !secondCheck && (res.status === 401 || res.status === 403 || res.status >= 500)) {
        mismatches.push(describe(role, res, "2xx or 4xx other than 401/403"));
      }
      if (!allowed) {
        const body = res.body as { type?: string; permission?: string };
        if (res.status !== 403 || !body.type?.endsWith("/forbidden") || body.permission !== op.permission) {
          mismatches.push(describe(role, res, "403 forbidden"));
        }
      }
    }
  }
  expect(mismatches, mismatches.join("\n")).toEqual([]);
});
