/**
 * The API contract: `/openapi.json` is complete (operation ids, a schema per documented response,
 * `Problem` on every error, servers), and the validator every API test runs through (see
 * `support/contract-hooks.ts`) really fails on a response that deviates from it.
 */
import { afterAll, beforeAll, expect, test } from "bun:test";
import { z } from "zod";
import { openApiDocument, type RouteDoc } from "../gateway/openapi.ts";
import type { HubNode } from "../hub-node.ts";
import { ContractValidator, contractLog, type Exchange } from "./support/contract.ts";
import { cleanupNamespace, requireServices, startTestNode, testNamespace } from "./support/harness.ts";

const ns = testNamespace("contract");
let node: HubNode;
let spec: Record<string, unknown>;

beforeAll(async () => {
  await requireServices();
  node = await startTestNode(ns);
  spec = (await (await node.app!.request("/openapi.json")).json()) as Record<string, unknown>;
});

afterAll(async () => {
  await node?.stop();
  await cleanupNamespace(ns);
});

/** A two-route document the planted deviations are checked against. */
const planted = new ContractValidator(
  openApiDocument([
    {
      method: "put",
      path: "/v1/things/:id",
      summary: "Upsert a thing",
      tag: "Things",
      response: {
        status: 200,
        schema: z.object({ id: z.string(), qty: z.number().int() }),
        description: "Updated",
      },
      responses: [
        { status: 201, schema: z.object({ id: z.string(), qty: z.number().int() }), description: "Created" },
      ],
    },
    {
      method: "delete",
      path: "/v1/things/:id",
      summary: "Remove a thing",
      tag: "Things",
      response: { status: 204, description: "Removed" },
    },
  ] satisfies RouteDoc[]) as Record<string, unknown>,
);

const json = "application/json";
const problem = (status: number, extra: Record<string, unknown> = {}) =>
  JSON.stringify({
    type: "https://business-hub.dev/problems/conflict",
    title: "Conflicts with the current state",
    status,
    detail: "no",
    instance: "/v1/things/a",
    requestId: "r-1",
    ...extra,
  });

test("contract - conforming responses pass the validator, problems with extension members included", () => {
  const ok: Exchange[] = [
    { method: "PUT", path: "/v1/things/a", status: 200, contentType: json, body: '{"id":"a","qty":1}' },
    { method: "PUT", path: "/v1/things/a?x=1", status: 201, contentType: json, body: '{"id":"a","qty":1}' },
    { method: "DELETE", path: "/v1/things/a", status: 204, contentType: null, body: "" },
    {
      method: "PUT",
      path: "/v1/things/a",
      status: 409,
      contentType: "application/problem+json",
      body: problem(409, { sku: "SKU-1", errors: [{ field: "qty", message: "too big" }] }),
    },
    {
      method: "GET",
      path: "/v1/nowhere",
      status: 404,
      contentType: "application/problem+json",
      body: problem(404),
    },
    { method: "GET", path: "/healthz", status: 200, contentType: json, body: '{"status":"ok"}' },
  ];
  expect(ok.map((x) => planted.check(x))).toEqual(ok.map(() => undefined));
});

test("contract - a planted deviation fails: wrong status, media type, body, empty-body promise or undocumented route", () => {
  const deviations: Array<[Exchange, string]> = [
    [
      { method: "PUT", path: "/v1/things/a", status: 202, contentType: json, body: "{}" },
      "status 202 is not documented",
    ],
    [
      { method: "PUT", path: "/v1/things/a", status: 200, contentType: "text/plain", body: "a" },
      "content-type",
    ],
    [
      { method: "PUT", path: "/v1/things/a", status: 200, contentType: json, body: '{"id":"a","qty":1.5}' },
      "/qty must be integer",
    ],
    [
      { method: "PUT", path: "/v1/things/a", status: 200, contentType: json, body: "not json" },
      "is not JSON",
    ],
    [
      { method: "DELETE", path: "/v1/things/a", status: 204, contentType: json, body: "{}" },
      "without a body",
    ],
    [{ method: "POST", path: "/v1/things/a", status: 200, contentType: json, body: "{}" }, "no operation"],
    [
      {
        method: "PUT",
        path: "/v1/things/a",
        status: 409,
        contentType: "application/problem+json",
        body: '{"title":"x"}',
      },
      "must have required property 'type'",
    ],
    [
      { method: "PUT", path: "/v1/things/a", status: 500, contentType: "text/plain", body: "oops" },
      "content-type",
    ],
  ];
  for (const [exchange, expected] of deviations) {
    const found = planted.check(exchange);
    if (!found?.includes(expected)) {
      throw new Error(
        `expected a deviation containing ${JSON.stringify(expected)} for ${JSON.stringify(exchange)}, got ${found}`,
      );
    }
  }
});

test("contract - the recorder every API test goes through reports a planted deviation against the real document", async () => {
  // What ApiClient does for each response; the hooks then fail the test with these deviations.
  contractLog.record(
    { method: "GET", path: "/v1/payments/P1", status: 202, contentType: json, body: "{}" },
    async () => spec,
  );
  contractLog.record(
    {
      method: "POST",
      path: "/v1/payments/callbacks/alipay",
      status: 200,
      contentType: "text/plain",
      body: "success",
    },
    async () => spec,
  );
  const deviations = await contractLog.drain();
  expect(deviations).toHaveLength(1);
  expect(deviations[0]).toContain("GET /v1/payments/P1 → 202: status 202 is not documented");
});

type Operation = {
  operationId?: string;
  responses: Record<string, { content?: Record<string, { schema?: unknown }> }>;
};

test("contract - /openapi.json: unique operationIds, a schema per documented response, Problem on every error, servers", () => {
  expect(spec.openapi).toBe("3.1.0");
  expect((spec.servers as unknown[]).length).toBeGreaterThan(0);
  const problemSchema = (
    spec.components as {
      schemas: Record<string, { properties: Record<string, unknown>; additionalProperties: unknown }>;
    }
  ).schemas.Problem!;
  for (const member of ["type", "title", "status", "detail", "instance", "requestId", "field", "errors"]) {
    expect(problemSchema.properties).toHaveProperty(member);
  }
  expect(problemSchema.additionalProperties).toBe(true); // `sku`, `orderStatus`, … are extension members
  const ids = new Set<string>();
  const faults: string[] = [];
  for (const [path, methods] of Object.entries(spec.paths as Record<string, Record<string, Operation>>)) {
    for (const [method, op] of Object.entries(methods)) {
      const where = `${method.toUpperCase()} ${path}`;
      if (!op.operationId) faults.push(`${where}: no operationId`);
      else if (ids.has(op.operationId)) faults.push(`${where}: duplicate operationId ${op.operationId}`);
      else ids.add(op.operationId);
      for (const [status, response] of Object.entries(op.responses)) {
        if (status === "204" || status === "304") {
          if (response.content) faults.push(`${where} ${status}: a ${status} with a body`);
          continue;
        }
        const media = Object.entries(response.content ?? {});
        if (media.length === 0) faults.push(`${where} ${status}: no content`);
        for (const [type, { schema }] of media)
          if (!schema) faults.push(`${where} ${status} ${type}: no schema`);
        if (/^[45]/.test(status)) {
          const ref = (response.content?.["application/problem+json"]?.schema as { $ref?: string })?.$ref;
          if (ref !== "#/components/schemas/Problem") faults.push(`${where} ${status}: not a Problem`);
        }
      }
      for (const range of ["4XX", "5XX"]) if (!op.responses[range]) faults.push(`${where}: no ${range}`);
    }
  }
  expect(faults).toEqual([]);
  expect(ids.size).toBeGreaterThan(20);
});

test("contract - creating routes answer 201 and callbacks document the channels' own replies", () => {
  const paths = spec.paths as Record<string, Record<string, Operation>>;
  expect(Object.keys(paths["/v1/payments"]!.post!.responses)).toContain("201");
  const callback = paths["/v1/payments/callbacks/{channel}"]!.post!.responses;
  expect(Object.keys(callback).sort()).toEqual(["200", "204", "400", "4XX", "500", "5XX"]);
  expect(Object.keys(callback["200"]!.content!)).toEqual(["text/plain"]);
  expect(callback["204"]!.content).toBeUndefined();
  expect(Object.keys(callback["500"]!.content!).sort()).toEqual([
    "application/json",
    "application/problem+json",
    "text/plain",
  ]);
});

/**
 * Where a response schema says no more than "an object" (or "an array", or "anything"): an object
 * with no `properties`, `patternProperties` or described `additionalProperties`, an array with no
 * `items`, or an empty schema as the whole body. Followed through members, items and unions.
 */
function freeFormParts(schema: unknown, at = "body", catchall = false): string[] {
  if (typeof schema !== "object" || schema === null) return [];
  const node = schema as Record<string, unknown>;
  const described = (value: unknown) =>
    typeof value === "object" && value !== null && Object.keys(value).some((k) => k !== "description");
  const hasMembers = (value: unknown) =>
    typeof value === "object" && value !== null && Object.keys(value).length > 0;
  const found: string[] = [];
  // `{}` is fine only as the type of members an open object may add (`additionalProperties: {}`).
  if (!catchall && !described(node)) found.push(`${at}: any JSON at all`);
  const types = ([] as unknown[]).concat(node.type ?? []);
  if (
    types.includes("object") &&
    !hasMembers(node.properties) &&
    !hasMembers(node.patternProperties) &&
    !described(node.additionalProperties)
  )
    found.push(`${at}: an object, no members described`);
  if (types.includes("array") && !node.items && !node.prefixItems) found.push(`${at}: an array, no items`);
  for (const [name, member] of Object.entries((node.properties ?? {}) as Record<string, unknown>))
    found.push(...freeFormParts(member, `${at}.${name}`));
  found.push(...freeFormParts(node.items, `${at}[]`));
  if (typeof node.additionalProperties === "object")
    found.push(...freeFormParts(node.additionalProperties, `${at}{*}`, true));
  for (const union of ["anyOf", "oneOf", "allOf"])
    for (const [i, part] of ((node[union] ?? []) as unknown[]).entries())
      found.push(...freeFormParts(part, `${at}|${union}[${i}]`));
  return found;
}

/**
 * Success bodies that are free-form by design, as `METHOD /path status`. A history row's `before` /
 * `after` are snapshots of whichever entity the row is about (product, SKU, price, listing, category, and
 * the pricing rules), each described in README "Catalogue"; every other member of those bodies is typed.
 */
const FREE_FORM_BODIES = new Set<string>([
  "GET /v1/products/{spuCode}/history 200",
  // An audit row quotes what its writer recorded (decision 0035): `before`/`after` snapshots and `detail`
  // of whichever entity and action the row is about; every other member is typed.
  "GET /v1/audit 200",
]);

function freeFormSuccessBodies(document: Record<string, unknown>): string[] {
  const found: string[] = [];
  for (const [path, methods] of Object.entries(document.paths as Record<string, Record<string, Operation>>)) {
    for (const [method, op] of Object.entries(methods)) {
      for (const [status, response] of Object.entries(op.responses)) {
        const where = `${method.toUpperCase()} ${path} ${status}`;
        if (!/^[23]/.test(status) || FREE_FORM_BODIES.has(where)) continue;
        for (const [type, { schema }] of Object.entries(response.content ?? {})) {
          if (!/[/+]json$/.test(type)) continue;
          for (const part of freeFormParts(schema)) found.push(`${where} ${type}: ${part}`);
        }
      }
    }
  }
  return found;
}

test("contract - every documented JSON success body says what it holds, not just 'an object'", () => {
  // The check itself: a route documented without a schema, or with a bare object or array, is caught.
  const vague = openApiDocument([
    { method: "get", path: "/v1/a", summary: "a", tag: "T" },
    {
      method: "get",
      path: "/v1/b",
      summary: "b",
      tag: "T",
      response: {
        status: 200,
        description: "b",
        schema: z.object({ list: z.array(z.any()), bag: z.object({}) }),
      },
    },
    {
      method: "get",
      path: "/v1/c",
      summary: "c",
      tag: "T",
      response: {
        status: 200,
        description: "c",
        schema: z.object({ perSku: z.record(z.string(), z.number()) }),
      },
    },
  ]) as Record<string, unknown>;
  expect(freeFormSuccessBodies(vague)).toEqual([
    "GET /v1/a 200 application/json: body: an object, no members described",
    "GET /v1/b 200 application/json: body.list[]: any JSON at all",
    "GET /v1/b 200 application/json: body.bag: an object, no members described",
  ]);
  // The real document: nothing vague left.
  expect(freeFormSuccessBodies(spec)).toEqual([]);
});

test("contract - the order, member and hold schemas of the real document refuse a body that drifted", () => {
  const real = new ContractValidator(spec);
  const placed = {
    orderId: "O1",
    status: "pending_payment",
    amounts: { items: 1, discount: 0, freight: 0, total: 1 },
  };
  const cases: Array<[Exchange, string | undefined]> = [
    [
      {
        method: "POST",
        path: "/v1/orders",
        status: 201,
        contentType: json,
        body: JSON.stringify({ ...placed, expiresAt: "2026-01-01T00:00:00.000Z" }),
      },
      undefined,
    ],
    [
      { method: "POST", path: "/v1/orders", status: 201, contentType: json, body: JSON.stringify(placed) },
      "must have required property 'expiresAt'",
    ],
    [
      {
        method: "POST",
        path: "/v1/orders/O1/cancel",
        status: 200,
        contentType: json,
        body: '{"orderId":"O1","status":"shipped"}',
      },
      "/status must be equal to constant",
    ],
    [
      {
        method: "POST",
        path: "/v1/orders/O1/ship",
        status: 200,
        contentType: json,
        body: '{"orderId":"O1","status":"shipped","by":"x"}',
      },
      "must NOT have additional properties",
    ],
    [
      {
        method: "GET",
        path: "/v1/orders?limit=1",
        status: 200,
        contentType: json,
        body: '{"items":[{"orderId":"O1"}],"nextCursor":null}',
      },
      "/items/0 must have required property 'userId'",
    ],
    [
      { method: "GET", path: "/v1/members/U1", status: 200, contentType: json, body: '{"userId":"U1"}' },
      "must have required property 'points'",
    ],
    [
      {
        method: "DELETE",
        path: "/v1/inventory/S1/reservations/H1",
        status: 200,
        contentType: json,
        body: '{"orderId":"H1","released":[{"warehouse":"W1","qty":0}],"sellable":3}',
      },
      "/released/0/qty must be > 0",
    ],
  ];
  for (const [exchange, expected] of cases) {
    const found = real.check(exchange);
    if (expected === undefined ? found !== undefined : !found?.includes(expected))
      throw new Error(
        `${exchange.method} ${exchange.path}: expected ${expected ?? "no deviation"}, got ${found}`,
      );
  }
});
