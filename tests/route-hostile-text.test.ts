/**
 * Every documented route (enumerated from /openapi.json, so a new route is covered the day it is added)
 * gets control characters (C0, C1, NUL), lone surrogates and JavaScript built-in property names in each
 * path parameter, each query parameter and each string field of its JSON body. Whatever the route does
 * with them, it never answers 5xx, and a refused request (4xx) appends nothing to the event stream (no
 * batch carries its request id). Issue 8: "a fast-check property feeds control characters and built-in
 * names to every route".
 */
import { afterAll, beforeAll, expect, test } from "bun:test";
import { type JetStreamManager, jetstreamManager } from "@nats-io/jetstream";
import fc from "fast-check";
import type { HubNode } from "../hub-node.ts";
import { streamNames } from "../storage/jetstream/streams.ts";
import {
  ApiClient,
  cleanupNamespace,
  requireServices,
  startTestNode,
  testNamespace,
} from "./support/harness.ts";

const ns = testNamespace("hostile");
let node: HubNode;
let admin: ApiClient;
let jsm: JetStreamManager;
let requests = 0;

type Schema = Record<string, unknown>;
interface Operation {
  method: string;
  path: string;
  pathParams: string[];
  query: Array<{ name: string; schema: Schema }>;
  body: Schema | undefined;
}

const BUILT_INS = ["constructor", "__proto__", "toString", "hasOwnProperty", "valueOf", "prototype"];
/** One of each kind the review used, embedded in otherwise ordinary text. */
const HOSTILE_SAMPLES = [
  "a\u0000b",
  "\u0000",
  "x\u0007y",
  "line\u001bbreak",
  "c1\u0085x",
  "c1\u009f",
  "del\u007f",
  "lone\ud800",
  "\udfffend",
  ...BUILT_INS,
];
const controlChar = fc.oneof(
  fc.integer({ min: 0, max: 0x1f }),
  fc.integer({ min: 0x7f, max: 0x9f }),
  fc.constantFrom(0xd800, 0xdbff, 0xdc00, 0xdfff),
);
/** Random hostile text: ordinary characters around at least one control character or lone surrogate. */
const hostileText = fc.oneof(
  fc.constantFrom(...BUILT_INS),
  fc
    .tuple(fc.string({ maxLength: 8 }), controlChar, fc.string({ maxLength: 8 }))
    .map(([a, code, b]) => `${a}${String.fromCharCode(code)}${b}`),
);

// --- Valid-looking values from the documented schemas ----------------------------------------------

const STRING_CANDIDATES = ["prop-1", "web", "13800000000", "2026-01-01", "a", "prop text"];

function sample(schema: Schema | undefined): unknown {
  if (!schema) return "prop-1";
  if ("const" in schema) return schema.const;
  if ("default" in schema) return schema.default;
  if (Array.isArray(schema.enum)) return schema.enum[0];
  for (const key of ["anyOf", "oneOf", "allOf"]) {
    const options = schema[key] as Schema[] | undefined;
    if (options) return sample(options.find((o) => o.type !== "null") ?? options[0]);
  }
  const type = Array.isArray(schema.type) ? schema.type.find((t) => t !== "null") : schema.type;
  switch (type) {
    case "object": {
      const out: Record<string, unknown> = {};
      const properties = (schema.properties ?? {}) as Record<string, Schema>;
      const required = new Set((schema.required ?? []) as string[]);
      for (const [name, field] of Object.entries(properties)) {
        if (field.not !== undefined) continue; // a field the server refuses by design (e.g. maxPerUser)
        // Optional text fields are filled so they can be targeted; optional numbers (e.g. points to spend)
        // are left out so the base request is one the server accepts.
        if (!required.has(name) && field.type !== "string") continue;
        out[name] = sample(field);
      }
      return out;
    }
    case "array":
      return [sample(schema.items as Schema)];
    case "integer":
    case "number":
      return Math.max(1, Number(schema.minimum ?? 1));
    case "boolean":
      return false;
    case "null":
      return null;
    default: {
      const pattern = typeof schema.pattern === "string" ? new RegExp(schema.pattern) : undefined;
      const max = Number(schema.maxLength ?? 1_000);
      return STRING_CANDIDATES.find((s) => (!pattern || pattern.test(s)) && s.length <= max) ?? "prop-1";
    }
  }
}

/** Paths (as key lists) of every string in a value. */
function stringPaths(value: unknown, at: Array<string | number> = []): Array<Array<string | number>> {
  if (typeof value === "string") return [at];
  if (Array.isArray(value)) return value.flatMap((v, i) => stringPaths(v, [...at, i]));
  if (value && typeof value === "object")
    return Object.entries(value).flatMap(([k, v]) => stringPaths(v, [...at, k]));
  return [];
}

function replaced(value: unknown, at: Array<string | number>, text: string): unknown {
  if (at.length === 0) return text;
  const copy = structuredClone(value) as Record<string | number, unknown>;
  let cursor = copy;
  for (const key of at.slice(0, -1)) cursor = cursor[key] as Record<string | number, unknown>;
  cursor[at.at(-1)!] = text;
  return copy;
}

/** Percent-encodes like a hostile client would: lone surrogates as their (invalid) 3-byte UTF-8 form. */
function encodeSegment(text: string): string {
  let out = "";
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    const high = code >= 0xd800 && code <= 0xdbff;
    const pairs = high && i + 1 < text.length && (text.charCodeAt(i + 1) & 0xfc00) === 0xdc00;
    if (pairs) {
      out += encodeURIComponent(text.slice(i, i + 2));
      i++;
    } else if (code >= 0xd800 && code <= 0xdfff) {
      const bytes = [0xe0 | (code >> 12), 0x80 | ((code >> 6) & 0x3f), 0x80 | (code & 0x3f)];
      out += bytes.map((b) => `%${b.toString(16).toUpperCase()}`).join("");
    } else {
      out += encodeURIComponent(text[i]!);
    }
  }
  return out;
}

const PATH_DEFAULTS: Record<string, string> = { channel: "wechat", username: "prop-user", name: "prop-role" };
/** Query parameters some routes require (statistics ranges, statement days). */
const QUERY_DEFAULTS: Record<string, string> = { from: "2026-01-01", to: "2026-12-31", date: "2026-01-01" };

interface Attempt {
  op: Operation;
  where: "path" | "query" | "body";
  target: string | Array<string | number>;
  text: string;
}

function request(attempt: Attempt): { path: string; body: string | undefined } {
  const { op, where, target, text } = attempt;
  let path = op.path;
  for (const name of op.pathParams) {
    const value = where === "path" && target === name ? text : (PATH_DEFAULTS[name] ?? "prop-1");
    path = path.replace(`{${name}}`, encodeSegment(value));
  }
  // Only the targeted parameter and the ones a route needs (so the hostile one is what gets judged).
  const query = op.query
    .flatMap(({ name }) => {
      const value = where === "query" && target === name ? text : QUERY_DEFAULTS[name];
      return value === undefined ? [] : [`${encodeSegment(name)}=${encodeSegment(value)}`];
    })
    .join("&");
  const base = op.body ? sample(op.body) : undefined;
  const body = where === "body" ? replaced(base, target as Array<string | number>, text) : base;
  return {
    path: query ? `${path}?${query}` : path,
    body: body === undefined ? undefined : JSON.stringify(body),
  };
}

/** Every place a hostile string can go in one operation. */
function targets(op: Operation): Array<Pick<Attempt, "where" | "target">> {
  return [
    ...op.pathParams.map((p) => ({ where: "path" as const, target: p })),
    ...op.query.map((q) => ({ where: "query" as const, target: q.name })),
    ...(op.body ? stringPaths(sample(op.body)).map((p) => ({ where: "body" as const, target: p })) : []),
  ];
}

async function lastSeq(): Promise<number> {
  return (await jsm.streams.info(streamNames(ns).events)).state.last_seq;
}

/** Batches appended after `after` that were caused by `requestId`, with their subjects. */
async function batchesOf(requestId: string, after: number, upTo: number) {
  const caused: Array<{ seq: number; subject: string }> = [];
  for (let seq = after + 1; seq <= upTo; seq++) {
    const msg = await jsm.streams.getMessage(streamNames(ns).events, { seq }).catch(() => undefined);
    const batch = msg?.json<{ cmds?: Array<{ rid?: string }> }>();
    if (msg && batch?.cmds?.some((c) => c.rid === requestId)) caused.push({ seq, subject: msg.subject });
  }
  return caused;
}

/**
 * Placing an order is a workflow (decision 0008): the order actor records the attempt, and when a line or
 * the member refuses, compensates and answers 409 once nothing is held any more. Its own log keeps that
 * record; what must not change is stock.
 */
const isRecordedPlacement = (a: Attempt, status: number, subjects: string[]) =>
  a.op.method === "post" &&
  a.op.path === "/v1/orders" &&
  status === 409 &&
  subjects.every((s) => s.startsWith(`${ns}.evt.`) && s.split(".")[3] === "order");

const reservedOf = async (sku: string) =>
  ((await admin.call("GET", `/v1/inventory/${sku}`)).body as { reserved?: number }).reserved ?? 0;

/** Sends one hostile request; returns a description of what went wrong, or undefined. */
async function attempt(a: Attempt): Promise<string | undefined> {
  const { path, body } = request(a);
  const requestId = `hostile-${++requests}`;
  const before = await lastSeq();
  const reservedBefore = await reservedOf("prop-1");
  const res = await admin.call(a.op.method.toUpperCase(), path, body, {
    "x-request-id": requestId,
    "idempotency-key": `hostile-key-${requests}`,
    ...(body === undefined ? {} : { "content-type": "application/json" }),
  });
  const what = `${a.op.method.toUpperCase()} ${a.op.path} ${a.where} ${JSON.stringify(a.target)} = ${JSON.stringify(a.text)} → ${res.status} ${JSON.stringify(res.body).slice(0, 300)}`;
  if (res.status >= 500) return what;
  if (res.status >= 400) {
    const caused = await batchesOf(requestId, before, await lastSeq());
    const subjects = caused.map((c) => c.subject);
    if (caused.length > 0 && !isRecordedPlacement(a, res.status, subjects))
      return `${what}: refused but appended ${subjects.join(", ")}`;
    const reservedAfter = await reservedOf("prop-1");
    if (reservedAfter !== reservedBefore)
      return `${what}: refused but prop-1's reserved stock moved ${reservedBefore} → ${reservedAfter}`;
  }
  return undefined;
}

let operations: Operation[] = [];

beforeAll(async () => {
  await requireServices();
  node = await startTestNode(ns);
  admin = new ApiClient(node.app!);
  await admin.login();
  jsm = await jetstreamManager(node.nc);
  // Something for the routes to find: a warehouse, a priced and stocked SKU, an order.
  await admin.call("PUT", "/v1/warehouses/prop-1", { name: "Prop", region: "east" });
  await admin.call("PUT", "/v1/skus/prop-1/price", { listPrice: 100 });
  await admin.call(
    "POST",
    "/v1/inventory/prop-1/receipts",
    { warehouse: "prop-1", qty: 1_000 },
    {
      "idempotency-key": "hostile-stock",
    },
  );
  const doc = (await admin.call("GET", "/openapi.json")).body as {
    paths: Record<
      string,
      Record<
        string,
        {
          parameters?: Array<{ name: string; in: string; schema: Schema }>;
          requestBody?: { content: Record<string, { schema: Schema }> };
        }
      >
    >;
  };
  operations = Object.entries(doc.paths).flatMap(([path, methods]) =>
    Object.entries(methods).map(([method, op]) => ({
      method,
      path,
      pathParams: (op.parameters ?? []).filter((p) => p.in === "path").map((p) => p.name),
      query: (op.parameters ?? [])
        .filter((p) => p.in === "query")
        .map((p) => ({ name: p.name, schema: p.schema })),
      body: op.requestBody?.content["application/json"]?.schema,
    })),
  );
});

afterAll(async () => {
  await node?.stop();
  await cleanupNamespace(ns);
});

test("hostile text - the route list comes from the OpenAPI document and covers every area", () => {
  expect(operations.length).toBeGreaterThan(30);
  const areas = new Set(operations.map((o) => o.path.split("/")[2]));
  for (const area of ["inventory", "orders", "payments", "warehouses", "members", "auth"]) {
    expect(areas.has(area), `no ${area} routes in ${[...areas].join(", ")}`).toBe(true);
  }
});

test("hostile text - every route, every parameter and body string field, every kind of hostile text: no 5xx, refusals append nothing", async () => {
  const failures: string[] = [];
  for (const op of operations) {
    for (const t of targets(op)) {
      for (const text of HOSTILE_SAMPLES) {
        const problem = await attempt({ op, ...t, text });
        if (problem) failures.push(problem);
      }
    }
  }
  expect(failures).toEqual([]);
}, 120_000);

test("hostile text - random hostile strings in random places (fast-check)", async () => {
  const places = operations.flatMap((op) => targets(op).map((t) => ({ op, ...t })));
  await fc.assert(
    fc.asyncProperty(fc.constantFrom(...places), hostileText, async (place, text) => {
      const problem = await attempt({ ...place, text });
      if (problem) throw new Error(problem);
    }),
    { numRuns: 300 },
  );
}, 120_000);
