/**
 * Generic approvals (issue 14 point 3, decision 0034) through the HTTP API with real NATS and Postgres:
 * no rule on a fresh install, a two-step chain guarding a role change (the original request answers 202,
 * the change runs once when the last step approves), self-approval refused, rejection, delegation,
 * expiry on a durable timer, an approver's pending list, and every decision in the audit log.
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

const ns = testNamespace("approvals");
let node: HubNode;
let admin: ApiClient;
const as = new Map<string, ApiClient>();
const show = (r: { status: number; body: unknown }) => `${r.status} ${JSON.stringify(r.body)}`;
const typeOf = (r: { body: unknown }) =>
  String((r.body as { type?: string }).type ?? "")
    .split("/")
    .at(-1);
const PASSWORD = "approvals-test-password";

// alice and carol administer users (they request role changes and approve the first step); boss is a
// named approver of the second step; dave may decide approvals but is named nowhere.
const STAFF: Array<[string, string[]]> = [
  ["alice", ["user_admin"]],
  ["carol", ["user_admin"]],
  ["boss", ["finance"]],
  ["dave", ["catalogue_manager"]],
  ["target", ["viewer"]],
];

beforeAll(async () => {
  await requireServices();
  node = await startTestNode(ns);
  admin = new ApiClient(node.app!);
  await admin.login();
  for (const [username, roles] of STAFF) {
    const r = await admin.call("POST", "/v1/users", { username, password: PASSWORD, roles });
    expect(r.status, show(r)).toBe(201);
    const client = new ApiClient(node.app!);
    await client.login(username, PASSWORD);
    as.set(username, client);
  }
});

afterAll(async () => {
  await node?.stop();
  await cleanupNamespace(ns);
});

const user = (name: string) => as.get(name)!;
const rolesOf = async (username: string) =>
  ((await admin.call("GET", `/v1/users/${username}`)).body as { roles: string[] }).roles;
const approval = async (id: string) =>
  (await admin.call("GET", `/v1/approvals/${id}`)).body as {
    status: string;
    currentStep: number | null;
    steps: Array<{ approvals: number; state: string }>;
    history: Array<{ by: string; decision: string; onBehalfOf?: string; step: number }>;
    execution: { ok: boolean } | null;
  };
const decide = (who: string, id: string, decision: "approve" | "reject", comment?: string) =>
  user(who).call("POST", `/v1/approvals/${id}/decision`, { decision, ...(comment ? { comment } : {}) });
const putRule = async (id: string, body: Record<string, unknown>) => {
  const r = await admin.call("PUT", `/v1/approval-rules/${id}`, body);
  expect([200, 201], show(r)).toContain(r.status);
};
/** alice asks for target's roles to become `roles`: held for approval (202) while a rule matches. */
async function requestRoles(roles: string[]): Promise<string> {
  const r = await user("alice").call("PATCH", "/v1/users/target", { roles });
  expect(r.status, show(r)).toBe(202);
  expect(r.headers.get("location")).toBe(`/v1/approvals/${(r.body as { approvalId: string }).approvalId}`);
  return (r.body as { approvalId: string }).approvalId;
}
const pendingFor = async (who: string) =>
  (
    (await user(who).call("GET", "/v1/approvals?status=pending")).body as { items: Array<{ id: string }> }
  ).items.map((i) => i.id);

test("approvals - no rule is active on a fresh install: a role change applies at once", async () => {
  const rules = await admin.call("GET", "/v1/approval-rules");
  expect(rules.body, show(rules)).toEqual({ items: [] });
  const actions = (await admin.call("GET", "/v1/approval-actions")).body as {
    items: Array<{ name: string }>;
  };
  expect(actions.items.map((a) => a.name)).toContain("user.roles");
  const r = await user("alice").call("PATCH", "/v1/users/target", { roles: ["viewer", "finance"] });
  expect(r.status, show(r)).toBe(200);
  expect(await rolesOf("target")).toEqual(["viewer", "finance"]);
  // A disabled rule guards nothing either.
  await putRule("off", { action: "user.roles", enabled: false, steps: [{ roles: ["user_admin"] }] });
  const again = await user("alice").call("PATCH", "/v1/users/target", { roles: ["viewer"] });
  expect(again.status, show(again)).toBe(200);
  expect((await admin.call("DELETE", "/v1/approval-rules/off")).status).toBe(204);
});

test("approvals - a two-step chain: 202 instead of applying, self-approval refused, each step by its approvers, the change runs once at the end", async () => {
  await putRule("role-changes", {
    action: "user.roles",
    enabled: true,
    steps: [{ roles: ["user_admin"], required: 1 }, { users: ["boss"] }],
    expiresInSeconds: 3600,
  });
  const id = await requestRoles(["viewer", "purchaser"]);
  expect(await rolesOf("target"), "nothing applied before approval").toEqual(["viewer"]);

  const self = await decide("alice", id, "approve");
  expect(self.status, show(self)).toBe(403);
  expect((self.body as { reason?: string }).reason).toBe("self-approval");
  const early = await decide("boss", id, "approve");
  expect(early.status, `boss is not an approver of step 1: ${show(early)}`).toBe(403);

  await waitFor(
    async () => (await pendingFor("carol")).includes(id),
    15_000,
    "the request in carol's pending list",
  );
  expect(await pendingFor("alice"), "the requester never sees their own request to decide").not.toContain(id);
  expect(await pendingFor("boss"), "step 2 is not boss's yet").not.toContain(id);

  const first = await decide("carol", id, "approve", "ok by me");
  expect(first.status, show(first)).toBe(200);
  expect(first.body).toMatchObject({ status: "pending", currentStep: 1 });
  const twice = await decide("carol", id, "approve");
  expect(twice.status, show(twice)).toBe(403);
  expect(await rolesOf("target"), "one step of two is not enough").toEqual(["viewer"]);
  await waitFor(
    async () => (await pendingFor("boss")).includes(id),
    15_000,
    "the request in boss's pending list",
  );

  const last = await decide("boss", id, "approve");
  expect(last.status, show(last)).toBe(200);
  expect(["approved", "executed"]).toContain((last.body as { status: string }).status);
  await waitFor(async () => (await approval(id)).status === "executed", 15_000, "the role change to run");
  expect(await rolesOf("target")).toEqual(["viewer", "purchaser"]);
  const done = await approval(id);
  expect(done.history.map((h) => [h.step, h.by, h.decision])).toEqual([
    [0, "carol", "approve"],
    [1, "boss", "approve"],
  ]);
  expect(done.steps.map((s) => s.state)).toEqual(["approved", "approved"]);
  const late = await decide("carol", id, "reject");
  expect(late.status, show(late)).toBe(409);

  // Ran once: one claim of the approval's command id, one audited change made in its name.
  const [claims] = await node.sql`SELECT count(*)::int AS n FROM approval_executions
    WHERE command_id = ${`approval:${id}:execute`}`;
  expect(claims!.n).toBe(1);
  const [changes] = await node.sql`SELECT count(*)::int AS n FROM audit_log
    WHERE action = 'user.update' AND target = 'user/target' AND principal = ${`approval:${id}`}`;
  expect(changes!.n).toBe(1);
  // Every decision is audited (projected from the actor's log, by the decider).
  await waitFor(
    async () => {
      const rows = await node.sql`SELECT principal FROM audit_log
        WHERE action = 'approval.decide' AND target = ${`approval/${id}`} AND (detail->>'ok')::boolean`;
      return (
        rows
          .map((r) => r.principal)
          .sort()
          .join(",") === "boss,carol"
      );
    },
    15_000,
    "both decisions in the audit log",
  );
  const listed = await admin.call("GET", "/v1/approvals?status=executed&limit=1");
  expect((listed.body as { items: Array<{ id: string }> }).items[0]?.id, show(listed)).toBe(id);
});

test("approvals - a rejection ends the request: nothing runs, no further decision", async () => {
  const id = await requestRoles(["viewer", "marketing"]);
  const r = await decide("carol", id, "reject", "not needed");
  expect(r.status, show(r)).toBe(200);
  expect(r.body).toMatchObject({ status: "rejected", currentStep: null });
  const after = await decide("boss", id, "approve");
  expect(after.status, show(after)).toBe(409);
  expect(await rolesOf("target")).toEqual(["viewer", "purchaser"]);
  expect((await approval(id)).execution).toBeNull();
});

test("approvals - delegation: boss delegates to dave for a period; dave decides in boss's name, only while it lasts", async () => {
  const id = await requestRoles(["viewer"]);
  expect((await decide("carol", id, "approve")).status).toBe(200);
  const without = await decide("dave", id, "approve");
  expect(without.status, `dave holds no right of step 2 yet: ${show(without)}`).toBe(403);

  const given = await user("boss").call("POST", "/v1/approval-delegations", {
    to: "dave",
    endsAt: new Date(Date.now() + 3_600_000).toISOString(),
  });
  expect(given.status, show(given)).toBe(201);
  const received = (await user("dave").call("GET", "/v1/approval-delegations")).body as {
    items: Array<{ delegator: string }>;
  };
  expect(received.items.map((d) => d.delegator)).toEqual(["boss"]);
  await waitFor(
    async () => (await pendingFor("dave")).includes(id),
    15_000,
    "boss's work in dave's pending list",
  );

  const r = await decide("dave", id, "approve", "for boss");
  expect(r.status, show(r)).toBe(200);
  await waitFor(
    async () => (await approval(id)).status === "executed",
    15_000,
    "the delegated approval to run",
  );
  expect((await approval(id)).history.at(-1)).toMatchObject({ by: "dave", onBehalfOf: "boss", step: 1 });
  expect(await rolesOf("target")).toEqual(["viewer"]);

  // Revoked: dave decides nothing of boss's any more.
  const revoked = await user("boss").call(
    "DELETE",
    `/v1/approval-delegations/${(given.body as { id: string }).id}`,
  );
  expect(revoked.status).toBe(204);
  const next = await requestRoles(["viewer", "finance"]);
  expect((await decide("carol", next, "approve")).status).toBe(200);
  expect((await decide("dave", next, "approve")).status).toBe(403);
  expect((await decide("boss", next, "reject")).status).toBe(200);
});

test("approvals - an unanswered request expires on its durable timer; the action never runs", async () => {
  await putRule("role-changes", {
    action: "user.roles",
    enabled: true,
    steps: [{ roles: ["user_admin"] }],
    expiresInSeconds: 1,
  });
  const id = await requestRoles(["viewer", "marketing"]);
  await waitFor(async () => (await approval(id)).status === "expired", 20_000, "the request to expire");
  const r = await decide("carol", id, "approve");
  expect(r.status, show(r)).toBe(409);
  expect(await rolesOf("target")).toEqual(["viewer"]);
  expect((await approval(id)).execution).toBeNull();
});

test("approvals - rules are validated: unknown action, threshold on an action without a size; configure needs its permission", async () => {
  const unknown = await admin.call("PUT", "/v1/approval-rules/x", {
    action: "nope.nothing",
    enabled: true,
    steps: [{ roles: ["admin"] }],
  });
  expect(unknown.status, show(unknown)).toBe(422);
  const threshold = await admin.call("PUT", "/v1/approval-rules/x", {
    action: "user.roles",
    enabled: true,
    threshold: 5,
    steps: [{ roles: ["admin"] }],
  });
  expect(threshold.status, show(threshold)).toBe(422);
  const emptyStep = await admin.call("PUT", "/v1/approval-rules/x", {
    action: "user.roles",
    enabled: true,
    steps: [{ roles: [] }],
  });
  expect(emptyStep.status, show(emptyStep)).toBe(400);
  // A step nobody could ever decide (a role or user that does not exist) is refused, naming the field.
  for (const [step, field] of [
    [{ roles: ["user_admn"] }, "steps.1.roles"],
    [{ users: ["nobody-here"] }, "steps.1.users"],
  ] as const) {
    const unknownApprover = await admin.call("PUT", "/v1/approval-rules/x", {
      action: "user.roles",
      enabled: true,
      steps: [{ roles: ["user_admin"] }, step],
    });
    expect(unknownApprover.status, show(unknownApprover)).toBe(422);
    expect((unknownApprover.body as { field?: string }).field, show(unknownApprover)).toBe(field);
  }
  const forbidden = await user("carol").call("PUT", "/v1/approval-rules/x", {
    action: "user.roles",
    enabled: false,
    steps: [{ roles: ["admin"] }],
  });
  expect(forbidden.status, show(forbidden)).toBe(403);
  expect(typeOf(forbidden)).toBe("forbidden");
  await admin.call("DELETE", "/v1/approval-rules/role-changes");
  expect((await user("alice").call("PATCH", "/v1/users/target", { roles: ["viewer"] })).status).toBe(200);
});

test("approvals - a permission grant to a role (with its data scope) waits for approval, then applies once", async () => {
  await putRule("grants", { action: "role.permissions", enabled: true, steps: [{ roles: ["user_admin"] }] });
  const body = { permissions: ["inventory:read"], scope: { warehouses: ["WH1"] } };
  const r = await user("alice").call("PUT", "/v1/roles/stock_viewer_wh1", body);
  expect(r.status, show(r)).toBe(202);
  const id = (r.body as { approvalId: string }).approvalId;
  const roles = async () =>
    ((await admin.call("GET", "/v1/roles")).body as { items: Array<{ name: string; scope?: unknown }> })
      .items;
  expect((await roles()).map((x) => x.name)).not.toContain("stock_viewer_wh1");
  const builtIn = await user("alice").call("PUT", "/v1/roles/viewer", body);
  expect(builtIn.status, `a built-in role is refused before any approval: ${show(builtIn)}`).toBe(409);
  expect((await decide("carol", id, "approve")).status).toBe(200);
  await waitFor(async () => (await approval(id)).status === "executed", 15_000, "the grant to run");
  const role = (await roles()).find((x) => x.name === "stock_viewer_wh1");
  expect(role, JSON.stringify(await roles())).toMatchObject({
    permissions: ["inventory:read"],
    scope: { warehouses: ["WH1"] },
  });
  expect((await admin.call("DELETE", "/v1/approval-rules/grants")).status).toBe(204);
});

test("approvals - a stock adjustment of at least the rule's quantity waits for approval; a smaller one applies at once", async () => {
  expect((await admin.call("PUT", "/v1/warehouses/WH-A", { name: "A", region: "east" })).status).toBeLessThan(
    300,
  );
  const received = await admin.call(
    "POST",
    "/v1/inventory/SKU-APR/receipts",
    { warehouse: "WH-A", qty: 100 },
    { "idempotency-key": "apr-receipt" },
  );
  expect(received.status, show(received)).toBe(201);
  await putRule("big-adjustments", {
    action: "inventory.adjust",
    enabled: true,
    threshold: 10,
    steps: [{ users: ["carol"] }],
  });
  const physical = async () =>
    ((await admin.call("GET", "/v1/inventory/SKU-APR")).body as { physical: number }).physical;
  const small = await admin.call("POST", "/v1/inventory/SKU-APR/adjustments", {
    warehouse: "WH-A",
    countedQty: 95,
    reason: "count",
  });
  expect(small.status, `5 units is under the threshold: ${show(small)}`).toBe(201);
  const big = await admin.call("POST", "/v1/inventory/SKU-APR/adjustments", {
    warehouse: "WH-A",
    countedQty: 60,
    reason: "damaged pallet",
  });
  expect(big.status, show(big)).toBe(202);
  expect(await physical()).toBe(95);
  const id = (big.body as { approvalId: string }).approvalId;
  expect((await decide("carol", id, "approve")).status).toBe(200);
  await waitFor(async () => (await approval(id)).status === "executed", 15_000, "the adjustment to run");
  expect(await physical()).toBe(60);
  expect((await admin.call("DELETE", "/v1/approval-rules/big-adjustments")).status).toBe(204);
});

test("approvals - a PO at or above the rule's amount is approved through the generic chain; below it, purchasing's own approval as before", async () => {
  await admin.call("PUT", "/v1/warehouses/WH-P", { name: "P", region: "east" });
  const sup = await admin.call("PUT", "/v1/suppliers/SUP-APR", {
    name: "Supplier APR",
    contact: { name: "Li" },
    skus: [{ sku: "SKU-PO", cost: 100, leadTimeDays: 3 }],
  });
  expect(sup.status, show(sup)).toBeLessThan(300);
  expect((await admin.call("POST", "/v1/suppliers/SUP-APR/review", { decision: "approve" })).status).toBe(
    200,
  );
  const submitted = async (qty: number) => {
    const created = await admin.call("POST", "/v1/purchase-orders", {
      supplier: "SUP-APR",
      warehouse: "WH-P",
      lines: [{ sku: "SKU-PO", qty, unitCost: 100 }],
    });
    expect(created.status, show(created)).toBe(201);
    const poId = (created.body as { poId: string }).poId;
    expect((await admin.call("POST", `/v1/purchase-orders/${poId}/submit`)).status).toBe(200);
    return poId;
  };
  await putRule("big-pos", {
    action: "purchase.approve",
    enabled: true,
    threshold: 50_000,
    steps: [{ users: ["boss"] }],
  });
  const small = await submitted(10); // 1,000 fen: under the rule
  const direct = await admin.call("POST", `/v1/purchase-orders/${small}/approve`);
  expect(direct.status, show(direct)).toBe(200);
  expect((direct.body as { status: string }).status).toBe("approved");

  const big = await submitted(600); // 60,000 fen
  const held = await admin.call("POST", `/v1/purchase-orders/${big}/approve`);
  expect(held.status, show(held)).toBe(202);
  const po = async () =>
    ((await admin.call("GET", `/v1/purchase-orders/${big}`)).body as { status: string }).status;
  expect(await po()).toBe("submitted");
  const id = (held.body as { approvalId: string }).approvalId;
  expect((await decide("boss", id, "approve")).status).toBe(200);
  await waitFor(async () => (await approval(id)).status === "executed", 15_000, "the PO approval to run");
  expect(await po()).toBe("approved");
  expect((await admin.call("DELETE", "/v1/approval-rules/big-pos")).status).toBe(204);
});

test("approvals - approving a refund at or above the rule's amount waits for the chain, then refunds once", async () => {
  await admin.call("PUT", "/v1/warehouses/WH-R", { name: "R", region: "east" });
  await admin.call(
    "POST",
    "/v1/inventory/SKU-RF/receipts",
    { warehouse: "WH-R", qty: 5 },
    { "idempotency-key": "rf-stock" },
  );
  expect((await admin.call("PUT", "/v1/skus/SKU-RF/price", { listPrice: 20_000 })).status).toBe(200);
  const address = { region: "Shanghai", detail: "1 Century Ave", phone: "13800138000", name: "Li Lei" };
  const placed = await admin.call(
    "POST",
    "/v1/orders",
    { userId: "buyer-rf", lines: [{ sku: "SKU-RF", qty: 1 }], address },
    { "idempotency-key": "rf-order" },
  );
  expect(placed.status, show(placed)).toBe(201);
  const orderId = (placed.body as { orderId: string }).orderId;
  const pay = await admin.call("POST", "/v1/payments", { orderId, channel: "alipay" });
  await admin.call("POST", `/v1/payments/${(pay.body as { paymentId: string }).paymentId}/simulate`, {});
  const status = async () =>
    ((await admin.call("GET", `/v1/orders/${orderId}`)).body as { status: string }).status;
  await waitFor(async () => (await status()) === "awaiting_shipment", 15_000, "the order paid");
  const asked = await admin.call("POST", `/v1/orders/${orderId}/after-sales`, {
    kind: "refund_only",
    reason: "changed mind",
  });
  expect(asked.status, show(asked)).toBe(200);
  await putRule("big-refunds", {
    action: "order.refund",
    enabled: true,
    threshold: 10_000,
    steps: [{ roles: ["finance"] }],
  });
  const held = await admin.call("POST", `/v1/orders/${orderId}/after-sales/decision`, { approve: true });
  expect(held.status, show(held)).toBe(202);
  expect(await status()).toBe("refund_requested");
  const id = (held.body as { approvalId: string }).approvalId;
  expect((await decide("boss", id, "approve")).status).toBe(200);
  await waitFor(async () => (await approval(id)).status === "executed", 15_000, "the refund approval to run");
  await waitFor(async () => (await status()) === "refunded", 30_000, "the order refunded");
  expect((await admin.call("DELETE", "/v1/approval-rules/big-refunds")).status).toBe(204);
});

test("approvals - a list price change of the rule's percentage or more waits for approval; a smaller one applies at once", async () => {
  expect((await admin.call("PUT", "/v1/skus/SKU-PR/price", { listPrice: 10_000 })).status).toBe(200);
  await putRule("big-price-moves", {
    action: "price.change",
    enabled: true,
    threshold: 20,
    steps: [{ roles: ["finance"] }],
  });
  const small = await admin.call("PUT", "/v1/skus/SKU-PR/price", { listPrice: 11_000 });
  expect(small.status, `10% is under the rule: ${show(small)}`).toBe(200);
  const big = await admin.call("PUT", "/v1/skus/SKU-PR/price", { listPrice: 5_000 });
  expect(big.status, show(big)).toBe(202);
  const [before] = await node.sql`SELECT list_price FROM sku_prices WHERE sku = 'SKU-PR'`;
  expect(Number(before!.list_price)).toBe(11_000);
  const id = (big.body as { approvalId: string }).approvalId;
  expect((await decide("boss", id, "approve")).status).toBe(200);
  await waitFor(async () => (await approval(id)).status === "executed", 15_000, "the price change to run");
  const [after] = await node.sql`SELECT list_price FROM sku_prices WHERE sku = 'SKU-PR'`;
  expect(Number(after!.list_price)).toBe(5_000);
  expect((await admin.call("DELETE", "/v1/approval-rules/big-price-moves")).status).toBe(204);
});
