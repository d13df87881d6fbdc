/**
 * Staff and roles through the API, and token revocation (issue 8, defect 7): a revoked token or a
 * disabled user is refused within 5 s on EVERY node, and permissions follow the user's current roles.
 */
import { afterAll, beforeAll, expect, test } from "bun:test";
import type { HubNode } from "../hub-node.ts";
import {
  ApiClient,
  cleanupNamespace,
  requireServices,
  startTestNode,
  testNamespace,
  waitFor,
} from "./support/harness.ts";

const ns = testNamespace("users-api");
const PROBLEMS = "https://business-hub.dev/problems/";
/** The contract: a change applies on every node within this long. */
const REVOCATION_BOUND_MS = 5_000;

let nodeA: HubNode;
/** A second gateway: it learns about changes made through node A only from the database. */
let nodeB: HubNode;
let admin: ApiClient;

type Res = Awaited<ReturnType<ApiClient["call"]>>;

function expectProblem(res: Res, status: number, slug: string): Record<string, unknown> {
  const context = `${res.status} ${JSON.stringify(res.body)}`;
  expect(res.status, context).toBe(status);
  expect(res.headers.get("content-type"), context).toStartWith("application/problem+json");
  expect((res.body as { type: string }).type, context).toBe(`${PROBLEMS}${slug}`);
  return res.body as Record<string, unknown>;
}

beforeAll(async () => {
  await requireServices();
  nodeA = await startTestNode(ns);
  nodeB = await startTestNode(ns, { ROLES: "gateway" });
  admin = new ApiClient(nodeA.app!);
  await admin.login();
});

afterAll(async () => {
  await nodeB?.stop();
  await nodeA?.stop();
  await cleanupNamespace(ns);
});

async function createUser(username: string, roles: string[], password = `${username}-password`) {
  const res = await admin.call("POST", "/v1/users", { username, password, roles });
  expect(res.status, JSON.stringify(res.body)).toBe(201);
  return res;
}

/** Logs in on node A and returns a client for node B with the same token. */
async function loginOnBothNodes(username: string, password = `${username}-password`) {
  const onA = new ApiClient(nodeA.app!);
  await onA.login(username, password);
  const onB = new ApiClient(nodeB.app!);
  onB.token = onA.token;
  return { onA, onB };
}

/** Waits until `probe` answers `status` on node B and returns how long that took after `since`. */
async function msUntil(client: ApiClient, path: string, status: number, since: number): Promise<number> {
  let last: Res | undefined;
  await waitFor(
    async () => {
      last = await client.call("GET", path);
      return last.status === status;
    },
    REVOCATION_BOUND_MS + 2_000,
    `${path} → ${status} (last: ${last?.status} ${JSON.stringify(last?.body)})`,
  );
  return Date.now() - since;
}

test("users - create, read, list with paging; /v1/me shows roles and effective permissions", async () => {
  const created = await createUser("clerk1", ["order_manager", "viewer"]);
  expect(created.body).toMatchObject({
    username: "clerk1",
    roles: ["order_manager", "viewer"],
    disabled: false,
  });
  expect(JSON.stringify(created.body)).not.toContain("clerk1-password");
  expectProblem(
    await admin.call("POST", "/v1/users", { username: "clerk1", password: "another-pass", roles: [] }),
    409,
    "conflict",
  );
  const unknownRole = expectProblem(
    await admin.call("POST", "/v1/users", { username: "clerk2", password: "password-2", roles: ["wizard"] }),
    422,
    "unknown-role",
  );
  expect(unknownRole.field).toBe("roles");
  expectProblem(
    await admin.call("POST", "/v1/users", { username: "bad\u0000name", password: "password-2", roles: [] }),
    400,
    "validation",
  );
  expectProblem(
    await admin.call("POST", "/v1/users", { username: "short", password: "1234567", roles: [] }),
    400,
    "validation",
  );

  const { onA } = await loginOnBothNodes("clerk1");
  const me = await onA.call("GET", "/v1/me");
  expect(me.status).toBe(200);
  const body = me.body as {
    username: string;
    roles: string[];
    permissions: string[];
    tokenExpiresAt: string;
  };
  expect(body.username).toBe("clerk1");
  expect(body.roles).toEqual(["order_manager", "viewer"]);
  expect(body.permissions).toEqual(expect.arrayContaining(["order:read", "customer:pii", "inventory:read"]));
  expect(body.permissions).not.toContain("user:write");
  expect(Date.parse(body.tokenExpiresAt)).toBeGreaterThan(Date.now());

  for (const name of ["page-a", "page-b", "page-c"]) await createUser(name, ["viewer"]);
  const first = await admin.call("GET", "/v1/users?limit=2");
  expect(first.status).toBe(200);
  const page1 = first.body as { items: Array<{ username: string }>; nextCursor: string | null };
  expect(page1.items).toHaveLength(2);
  const rest = await admin.call("GET", `/v1/users?limit=500&cursor=${page1.nextCursor}`);
  const names = [
    ...page1.items.map((u) => u.username),
    ...(rest.body as { items: Array<{ username: string }> }).items.map((u) => u.username),
  ];
  expect(names).toEqual([...names].sort());
  expect(names).toEqual(expect.arrayContaining(["admin", "clerk1", "page-a", "page-b", "page-c"]));
  expect(JSON.stringify(rest.body)).not.toContain("password");
});

test("users - roles: built-in ones cover every area and cannot be edited; custom ones can", async () => {
  const roles = (await admin.call("GET", "/v1/roles")).body as {
    items: Array<{ name: string; permissions: string[]; builtIn: boolean }>;
  };
  const byName = new Map(roles.items.map((r) => [r.name, r]));
  for (const area of ["inventory", "order", "payment", "member", "ops", "user"]) {
    const holders = roles.items.filter(
      (r) => r.name !== "admin" && r.permissions.some((p) => p.startsWith(`${area}:`)),
    );
    expect(holders.length, `a built-in role for ${area}`).toBeGreaterThan(0);
  }
  expect(byName.get("inventory_manager")?.permissions).toContain("inventory:hold");
  expectProblem(await admin.call("PUT", "/v1/roles/admin", { permissions: [] }), 409, "conflict");
  const created = await admin.call("PUT", "/v1/roles/stock_auditor", {
    permissions: ["inventory:read", "audit:read"],
    description: "Counts stock",
  });
  expect(created.status, JSON.stringify(created.body)).toBe(201);
  expect(
    (await admin.call("PUT", "/v1/roles/stock_auditor", { permissions: ["inventory:read"] })).status,
  ).toBe(200);
  expectProblem(
    await admin.call("PUT", "/v1/roles/x", { permissions: ["not a permission"] }),
    400,
    "validation",
  );
});

test("tokens - revoking a user's tokens refuses them on another node within 5 s", async () => {
  await createUser("revokee", ["viewer"]);
  const { onB } = await loginOnBothNodes("revokee");
  expect((await onB.call("GET", "/v1/warehouses")).status).toBe(200);
  const since = Date.now();
  expect((await admin.call("DELETE", "/v1/users/revokee/tokens")).status).toBe(204);
  const ms = await msUntil(onB, "/v1/warehouses", 401, since);
  console.log(`revoked token refused on the other node after ${ms} ms`);
  expect(ms).toBeLessThanOrEqual(REVOCATION_BOUND_MS);
  expectProblem(await onB.call("GET", "/v1/warehouses"), 401, "unauthorized");
  // A fresh login works again.
  await new ApiClient(nodeB.app!).login("revokee", "revokee-password");
});

test("tokens - disabling a user refuses their token on another node within 5 s, and login too", async () => {
  await createUser("leaver", ["viewer"]);
  const { onB } = await loginOnBothNodes("leaver");
  const since = Date.now();
  const patched = await admin.call("PATCH", "/v1/users/leaver", { disabled: true });
  expect(patched.status, JSON.stringify(patched.body)).toBe(200);
  expect(patched.body).toMatchObject({ disabled: true });
  const ms = await msUntil(onB, "/v1/warehouses", 401, since);
  console.log(`disabled user's token refused on the other node after ${ms} ms`);
  expect(ms).toBeLessThanOrEqual(REVOCATION_BOUND_MS);
  expectProblem(
    await new ApiClient(nodeB.app!).call("POST", "/v1/auth/token", {
      username: "leaver",
      password: "leaver-password",
    }),
    401,
    "unauthorized",
  );
  // Enabling again does not bring the old token back.
  expect((await admin.call("PATCH", "/v1/users/leaver", { disabled: false })).status).toBe(200);
  const fresh = new ApiClient(nodeB.app!);
  await fresh.login("leaver", "leaver-password");
  // Once node B accepts a new token it has read the enabled account; the old token stays refused.
  await msUntil(fresh, "/v1/warehouses", 200, Date.now());
  expectProblem(await onB.call("GET", "/v1/warehouses"), 401, "unauthorized");
});

test("tokens - permissions follow the user's current roles on every node, not the token", async () => {
  await createUser("promoted", ["viewer"]);
  const { onB } = await loginOnBothNodes("promoted");
  expectProblem(await onB.call("GET", "/v1/orders"), 403, "forbidden");
  const since = Date.now();
  expect((await admin.call("PATCH", "/v1/users/promoted", { roles: ["order_manager"] })).status).toBe(200);
  const ms = await msUntil(onB, "/v1/orders", 200, since);
  expect(ms).toBeLessThanOrEqual(REVOCATION_BOUND_MS);
  expect((await admin.call("PATCH", "/v1/users/promoted", { roles: ["viewer"] })).status).toBe(200);
  expect(await msUntil(onB, "/v1/orders", 403, Date.now())).toBeLessThanOrEqual(REVOCATION_BOUND_MS);
});

test("users - a new password revokes older tokens; the password is never echoed or audited", async () => {
  await createUser("rotator", ["viewer"]);
  const { onA } = await loginOnBothNodes("rotator");
  const changed = await admin.call("POST", "/v1/users/rotator/password", { password: "rotated-secret-99" });
  expect(changed.status).toBe(204);
  expectProblem(await onA.call("GET", "/v1/warehouses"), 401, "unauthorized");
  await new ApiClient(nodeA.app!).login("rotator", "rotated-secret-99");
  expectProblem(
    await admin.call("POST", "/v1/users/nobody-at-all/password", { password: "whatever-123" }),
    404,
    "not-found",
  );
  const audit = await nodeA.sql`SELECT principal, action, target, detail::text AS detail FROM audit_log
    WHERE target LIKE 'user/%' OR target LIKE 'role/%' ORDER BY id`;
  const actions = new Set(audit.map((r) => `${r.action} ${r.target}`));
  for (const expected of [
    "user.create user/rotator",
    "user.password user/rotator",
    "user.revoke-tokens user/revokee",
    "user.update user/leaver",
    "role.put role/stock_auditor",
  ]) {
    expect(actions.has(expected), `${expected} in ${[...actions].join(", ")}`).toBe(true);
  }
  const everything = JSON.stringify(audit);
  for (const secret of ["rotated-secret-99", "rotator-password", "clerk1-password"]) {
    expect(everything).not.toContain(secret);
  }
  expect(audit.every((r) => r.principal === "admin")).toBe(true);
});

test("users - nobody can disable themselves", async () => {
  expectProblem(await admin.call("PATCH", "/v1/users/admin", { disabled: true }), 409, "conflict");
  expectProblem(await admin.call("PATCH", "/v1/users/admin", {}), 400, "validation");
  expectProblem(await admin.call("PATCH", "/v1/users/ghost", { disabled: true }), 404, "not-found");
});
