/**
 * Data scope on purchasing (decision 0033): a buyer scoped to supplier S1 sees S1's purchase order and
 * supplier, never S2's, through the PO list, a PO's single read, a PO command, the supplier list, the
 * supplier export and a supplier's single read; an unscoped buyer with the same permissions sees both.
 */
import { afterAll, beforeAll, expect, test } from "bun:test";
import { purchaseOrderInScope, supplierInScope } from "../actors/permissions/index.ts";
import type { HubNode } from "../hub-node.ts";
import {
  ApiClient,
  cleanupNamespace,
  requireServices,
  startTestNode,
  testNamespace,
  waitFor,
} from "./support/harness.ts";

const ns = testNamespace("scope-po");
let node: HubNode;
let admin: ApiClient;
/** Scoped to supplier S1. */
let scoped: ApiClient;
/** The same permissions, no scope. */
let unscoped: ApiClient;
const PERMISSIONS = ["purchase:read", "purchase:write", "supplier:read"];
let po1: string;
let po2: string;

type Res = { status: number; body: unknown };
const show = (res: Res) => `${res.status} ${JSON.stringify(res.body)}`;
async function ok(p: Promise<Res>, status = 200): Promise<Record<string, unknown>> {
  const res = await p;
  if (res.status !== status) throw new Error(`expected ${status}, got ${show(res)}`);
  return res.body as Record<string, unknown>;
}

async function staff(username: string, role: string): Promise<ApiClient> {
  await ok(admin.call("POST", "/v1/users", { username, password: "scope-password", roles: [role] }), 201);
  const api = new ApiClient(node.app!);
  await api.login(username, "scope-password");
  return api;
}

const codes = async (api: ApiClient, path: string, key: "poId" | "code") =>
  ((await ok(api.call("GET", path))).items as Array<Record<string, string>>).map((i) => i[key]).sort();

const payables = async (api: ApiClient) =>
  ((await ok(api.call("GET", "/v1/purchase-payables"))).items as Array<{ supplier: string }>)
    .map((p) => p.supplier)
    .sort();

beforeAll(async () => {
  await requireServices();
  node = await startTestNode(ns);
  admin = new ApiClient(node.app!);
  await admin.login();
  await ok(admin.call("PUT", "/v1/warehouses/WH1", { name: "WH1", region: "east" }), 201);
  for (const code of ["S1", "S2"]) {
    const skus = [{ sku: "P-1", cost: 100, leadTimeDays: 3 }];
    await ok(
      admin.call("PUT", `/v1/suppliers/${code}`, { name: `Supplier ${code}`, contact: { name: "Li" }, skus }),
    );
    await ok(admin.call("POST", `/v1/suppliers/${code}/review`, { decision: "approve" }));
  }
  const lines = [{ sku: "P-1", qty: 5, unitCost: 100 }];
  po1 = (
    await ok(admin.call("POST", "/v1/purchase-orders", { supplier: "S1", warehouse: "WH1", lines }), 201)
  ).poId as string;
  po2 = (
    await ok(admin.call("POST", "/v1/purchase-orders", { supplier: "S2", warehouse: "WH1", lines }), 201)
  ).poId as string;
  // One received PO per supplier: each has a payable.
  for (const supplier of ["S1", "S2"]) {
    const body = { supplier, warehouse: "WH1", lines };
    const id = (await ok(admin.call("POST", "/v1/purchase-orders", body), 201)).poId as string;
    await ok(admin.call("POST", `/v1/purchase-orders/${id}/submit`));
    await ok(admin.call("POST", `/v1/purchase-orders/${id}/approve`));
    const receipt = { lines: [{ sku: "P-1", acceptedQty: 5 }] };
    await ok(admin.call("POST", `/v1/purchase-orders/${id}/receipts`, receipt), 201);
  }
  await ok(
    admin.call("PUT", "/v1/roles/s1_buyer", { permissions: PERMISSIONS, scope: { suppliers: ["S1"] } }),
    201,
  );
  await ok(admin.call("PUT", "/v1/roles/all_buyer", { permissions: PERMISSIONS }), 201);
  scoped = await staff("buyer-s1", "s1_buyer");
  unscoped = await staff("buyer-all", "all_buyer");
  // The lists are read models: wait until the projector has both POs and both suppliers.
  await waitFor(
    async () =>
      (await codes(admin, "/v1/purchase-orders", "poId")).length === 4 &&
      (await payables(admin)).length === 2,
    30_000,
    "both POs projected",
  );
  await waitFor(
    async () => (await codes(admin, "/v1/suppliers", "code")).join() === "S1,S2",
    30_000,
    "both suppliers projected",
  );
}, 120_000);

afterAll(async () => {
  await node?.stop();
  await cleanupNamespace(ns);
});

test("the scope's definitions: a PO by supplier AND destination warehouse, a supplier by suppliers only", () => {
  const po = { supplier: "S1", warehouse: "WH1" };
  expect(purchaseOrderInScope(null, po)).toBe(true);
  expect(purchaseOrderInScope({ suppliers: ["S1"] }, po)).toBe(true);
  expect(purchaseOrderInScope({ suppliers: ["S2"] }, po)).toBe(false);
  expect(purchaseOrderInScope({ warehouses: ["WH1"] }, po)).toBe(true);
  expect(purchaseOrderInScope({ suppliers: ["S1"], warehouses: ["WH2"] }, po)).toBe(false);
  expect(purchaseOrderInScope({ channels: ["web"] }, po)).toBe(false);
  expect(purchaseOrderInScope({ anyOf: [{ suppliers: ["S2"] }, { warehouses: ["WH1"] }] }, po)).toBe(true);
  expect(supplierInScope({ warehouses: ["WH1"] }, "S2")).toBe(true);
  expect(supplierInScope({ suppliers: ["S1"] }, "S2")).toBe(false);
  expect(supplierInScope({ anyOf: [{ suppliers: ["S1"] }, { suppliers: ["S2"] }] }, "S2")).toBe(true);
});

test("a buyer scoped to S1 sees S1's PO and supplier at every door, never S2's", async () => {
  const listed = await codes(scoped, "/v1/purchase-orders", "poId");
  expect(listed, "every PO listed is S1's").toContain(po1);
  expect(listed).not.toContain(po2);
  expect(listed).toHaveLength(2);
  expect(await payables(scoped)).toEqual(["S1"]);
  expect(await codes(scoped, `/v1/purchase-orders?supplier=S2`, "poId")).toEqual([]);
  expect((await scoped.call("GET", `/v1/purchase-orders/${po1}`)).status).toBe(200);
  const read2 = await scoped.call("GET", `/v1/purchase-orders/${po2}`);
  expect(read2.status, show(read2)).toBe(404);
  // Commands: outside the scope a 404 that changes nothing; inside, the command runs.
  for (const step of ["submit", "cancel"]) {
    const res = await scoped.call("POST", `/v1/purchase-orders/${po2}/${step}`, {});
    expect(res.status, `${step}: ${show(res)}`).toBe(404);
  }
  expect((await ok(admin.call("GET", `/v1/purchase-orders/${po2}`))).status).toBe("draft");
  expect((await ok(scoped.call("POST", `/v1/purchase-orders/${po1}/submit`, {}))).status).not.toBe("draft");
  // A new PO with a supplier outside the scope reads as an unknown supplier.
  const create = await scoped.call("POST", "/v1/purchase-orders", {
    supplier: "S2",
    warehouse: "WH1",
    lines: [{ sku: "P-1", qty: 1, unitCost: 100 }],
  });
  expect(create.status, show(create)).toBe(422);

  expect(await codes(scoped, "/v1/suppliers", "code")).toEqual(["S1"]);
  expect((await scoped.call("GET", "/v1/suppliers/S1")).status).toBe(200);
  const sup2 = await scoped.call("GET", "/v1/suppliers/S2");
  expect(sup2.status, show(sup2)).toBe(404);
  const csv = await scoped.call("GET", "/v1/suppliers/export");
  expect(csv.status, show(csv)).toBe(200);
  const rows = String(csv.body)
    .trim()
    .split("\n")
    .slice(1)
    .map((line) => line.split(",")[0]);
  expect(rows, String(csv.body)).toEqual(["S1"]);
});

test("an unscoped buyer with the same permissions sees both suppliers' POs and records", async () => {
  const listed = await codes(unscoped, "/v1/purchase-orders", "poId");
  expect(listed).toContain(po1);
  expect(listed).toContain(po2);
  expect(listed).toHaveLength(4);
  expect(await payables(unscoped)).toEqual(["S1", "S2"]);
  for (const po of [po1, po2])
    expect((await unscoped.call("GET", `/v1/purchase-orders/${po}`)).status).toBe(200);
  expect(await codes(unscoped, "/v1/suppliers", "code")).toEqual(["S1", "S2"]);
  for (const s of ["S1", "S2"]) expect((await unscoped.call("GET", `/v1/suppliers/${s}`)).status).toBe(200);
  const csv = await unscoped.call("GET", "/v1/suppliers/export");
  const rows = String(csv.body)
    .trim()
    .split("\n")
    .slice(1)
    .map((line) => line.split(",")[0]);
  expect(rows, String(csv.body)).toEqual(["S1", "S2"]);
  expect((await ok(unscoped.call("POST", `/v1/purchase-orders/${po2}/cancel`, {}))).status).toBe("cancelled");
});
