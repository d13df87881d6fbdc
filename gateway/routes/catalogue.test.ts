/**
 * Catalogue routes over in-memory ports: status codes, problem types and fields, what reaches the product
 * actor, and the order's not-on-sale check. The same routes run over Postgres and NATS in tests/catalogue.test.ts.
 */
import { expect, test } from "bun:test";
import { fakeGateway } from "../testing.ts";

const PROBLEMS = "https://business-hub.dev/problems/";
const send = (method: string, body: unknown, headers: Record<string, string>) => ({
  method,
  headers: { "content-type": "application/json", ...headers },
  body: JSON.stringify(body),
});
const address = { region: "Shanghai", detail: "1 Nanjing Road", phone: "13800138000", name: "Wang Fang" };
const template = [{ name: "颜色", values: ["红", "蓝"] }];

async function seeded() {
  const gw = fakeGateway();
  const auth = await gw.bearer(["product:read", "product:write", "order:write"]);
  const put = (path: string, body: unknown) => gw.app.request(path, send("PUT", body, auth));
  expect((await put("/v1/categories/dress", { name: "连衣裙", kind: "back", specs: template })).status).toBe(
    201,
  );
  return { gw, auth, put };
}

test("category routes - 201 then 200; a cycle is 409 on parent; an unknown parent is 422; delete in use is 409", async () => {
  const { gw, auth, put } = await seeded();
  expect((await put("/v1/categories/dress", { name: "裙装", kind: "back", specs: template })).status).toBe(
    200,
  );
  expect((await put("/v1/categories/mini", { name: "短裙", kind: "back", parent: "dress" })).status).toBe(
    201,
  );
  const cycle = await put("/v1/categories/dress", { name: "裙装", kind: "back", parent: "mini" });
  expect(cycle.status).toBe(409);
  expect(await cycle.json()).toMatchObject({ type: `${PROBLEMS}conflict`, field: "parent" });
  const unknown = await put("/v1/categories/x", { name: "x", kind: "back", parent: "nope" });
  expect(unknown.status).toBe(422);
  expect(await unknown.json()).toMatchObject({ field: "parent" });
  const del = await gw.app.request("/v1/categories/dress", { method: "DELETE", headers: auth });
  expect(del.status).toBe(409);
  expect((await gw.app.request("/v1/categories/mini", { method: "DELETE", headers: auth })).status).toBe(204);
  expect((await gw.app.request("/v1/categories/mini", { method: "DELETE", headers: auth })).status).toBe(404);
  const list = await gw.app.request("/v1/categories?kind=back", { headers: auth });
  expect(await list.json()).toMatchObject({ items: [{ code: "dress", specs: template }] });
});

test("category routes - a duplicated spec value or name in the template is 400 with its path", async () => {
  const { put } = await seeded();
  const res = await put("/v1/categories/c2", {
    name: "c",
    kind: "back",
    specs: [{ name: "a", values: ["x", "x"] }],
  });
  expect(res.status).toBe(400);
  expect(await res.json()).toMatchObject({ field: "specs.0.values.1" });
});

test("product routes - created as a draft (201), status from the actor; spec problems are 422 with the field path", async () => {
  const { gw, put } = await seeded();
  gw.actors.respond = (s) => ({ ok: true, value: { spuCode: s.id, status: "draft", scheduled: null } });
  const sku = (code: string, colour: unknown) => ({ sku: code, specs: { 颜色: colour }, listPrice: 1999 });
  const ok = await put("/v1/products/SPU-1", {
    name: "碎花连衣裙",
    category: "dress",
    skus: [sku("S-R", "红")],
  });
  expect(ok.status).toBe(201);
  expect(await ok.json()).toMatchObject({ spuCode: "SPU-1", status: "draft", skus: [{ sku: "S-R" }] });
  expect(gw.actors.sent.at(-1)).toMatchObject({ kind: "product", id: "SPU-1", cmd: { type: "get" } });
  const bad = await put("/v1/products/SPU-2", { name: "n", category: "dress", skus: [sku("S-X", "绿")] });
  expect(bad.status).toBe(422);
  expect(await bad.json()).toMatchObject({ type: `${PROBLEMS}validation`, field: "skus.0.specs.颜色" });
  const taken = await put("/v1/products/SPU-2", { name: "n", category: "dress", skus: [sku("S-R", "红")] });
  expect(taken.status).toBe(409);
  expect(await taken.json()).toMatchObject({ field: "skus.0.sku" });
  const twice = await put("/v1/products/SPU-2", {
    name: "n",
    category: "dress",
    skus: [sku("A", "红"), sku("A", "蓝")],
  });
  expect(twice.status).toBe(400);
  expect(await twice.json()).toMatchObject({ field: "skus.1.sku" });
});

test("listing routes - 404 for an unknown product; 200 now, 202 with a future `at`; the actor gets epoch ms", async () => {
  const { gw, auth, put } = await seeded();
  gw.actors.respond = (s) => {
    const at = s.cmd.at as number | undefined;
    const scheduled = at ? { action: s.cmd.type, at: new Date(at).toISOString() } : null;
    return { ok: true, value: { spuCode: s.id, status: at ? "draft" : "on_sale", scheduled } };
  };
  const missing = await gw.app.request("/v1/products/NOPE/publish", send("POST", {}, auth));
  expect(missing.status).toBe(404);
  expect(gw.actors.sent).toEqual([]);
  await put("/v1/products/SPU-1", {
    name: "n",
    category: "dress",
    skus: [{ sku: "S", specs: { 颜色: "红" }, listPrice: 1 }],
  });
  const now = await gw.app.request("/v1/products/SPU-1/publish", { method: "POST", headers: auth });
  expect(now.status).toBe(200);
  const at = new Date(Date.now() + 3_600_000).toISOString();
  const later = await gw.app.request("/v1/products/SPU-1/unpublish", send("POST", { at }, auth));
  expect(later.status).toBe(202);
  expect(gw.actors.sent.at(-1)?.cmd).toEqual({ type: "unpublish", at: Date.parse(at) });
  const badAt = await gw.app.request("/v1/products/SPU-1/publish", send("POST", { at: "tomorrow" }, auth));
  expect(badAt.status).toBe(400);
  expect(await badAt.json()).toMatchObject({ field: "at" });
});

test("order route - an SKU of a product not on sale is 409 not-on-sale on lines.N.sku; bare SKUs are not checked", async () => {
  const { gw, auth, put } = await seeded();
  gw.prices.prices.set("BARE", 100);
  gw.prices.prices.set("S", 100);
  await put("/v1/products/SPU-1", {
    name: "n",
    category: "dress",
    skus: [{ sku: "S", specs: { 颜色: "红" }, listPrice: 100 }],
  });
  let status = "off_sale";
  const regular = { name: "regular", discountPercent: 0, freeShipping: false, prioritySupport: false };
  gw.actors.respond = (s) =>
    s.kind === "product"
      ? { ok: true, value: { spuCode: s.id, status, scheduled: null } }
      : s.kind === "member"
        ? { ok: true, value: { userId: s.id, level: regular } }
        : { ok: true, value: { orderId: s.id, status: "pending_payment" } };
  const order = (lines: Array<{ sku: string; qty: number }>, key: string) =>
    gw.app.request(
      "/v1/orders",
      send("POST", { userId: "u1", lines, address }, { ...auth, "idempotency-key": key }),
    );
  const refused = await order(
    [
      { sku: "BARE", qty: 1 },
      { sku: "S", qty: 1 },
    ],
    "k1",
  );
  expect(refused.status).toBe(409);
  expect(await refused.json()).toMatchObject({ type: `${PROBLEMS}not-on-sale`, field: "lines.1.sku" });
  expect(gw.actors.sent.filter((s) => s.kind === "order")).toEqual([]);
  expect((await order([{ sku: "BARE", qty: 1 }], "k2")).status).toBe(201);
  status = "on_sale";
  expect((await order([{ sku: "S", qty: 1 }], "k3")).status).toBe(201);
});
