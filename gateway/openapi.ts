import { z } from "zod";

/** One documented answer of a route. */
export interface ResponseDoc {
  status: number;
  description: string;
  /**
   * The body: a zod schema of the JSON (or, with `contentType`, of the text) sent. Omit for a body that
   * is empty (204). A JSON response without a schema is documented as "an object", no more.
   */
  schema?: z.ZodType;
  /** Media type of a non-JSON body, e.g. `text/csv`. Default `application/json`. */
  contentType?: string;
  /** Several media types for one status (a callback answers in the calling channel's own format). */
  content?: Record<string, z.ZodType>;
}

export interface RouteDoc {
  method: "get" | "post" | "put" | "patch" | "delete";
  /** Hono path, e.g. `/v1/inventory/:sku`. */
  path: string;
  summary: string;
  tag: string;
  /** Default: derived from method and path (`GET /v1/inventory/:sku` → `getInventoryBySku`). */
  operationId?: string;
  permission?: string;
  body?: z.ZodType;
  /** Further media types the request body may come as (e.g. `text/csv`), besides JSON `body`. */
  bodyTypes?: Record<string, z.ZodType>;
  query?: z.ZodObject;
  /** The success answer (200 when omitted). */
  response?: ResponseDoc;
  /** Further answers besides `response`: other success statuses, or an error status with its own format. */
  responses?: ResponseDoc[];
  idempotencyKey?: "required" | "optional";
  public?: boolean;
}

type JsonSchema = Record<string, unknown>;

const PROBLEM_REF = { $ref: "#/components/schemas/Problem" };

/**
 * RFC 9457 problem details as this server sends them: the standard members, the ones every problem
 * carries here (`instance`, `requestId`), the validation ones (`field`, `errors`), and any extension a
 * domain refusal adds (`sku`, `orderStatus`, …), hence `additionalProperties`.
 */
export const PROBLEM_SCHEMA: JsonSchema = {
  type: "object",
  required: ["type", "title", "status"],
  properties: {
    type: { type: "string", format: "uri", description: "Ends in a stable slug clients may switch on" },
    title: { type: "string" },
    status: { type: "integer", minimum: 400, maximum: 599 },
    detail: { type: "string" },
    instance: { type: "string", description: "The request path" },
    requestId: { type: "string", description: "Same as the x-request-id header" },
    field: { type: "string", description: "The request field at fault, as a dotted path" },
    errors: {
      type: "array",
      items: {
        type: "object",
        required: ["field", "message"],
        properties: { field: { type: "string" }, message: { type: "string" } },
      },
    },
  },
  additionalProperties: true,
};

/**
 * zod → JSON Schema without the per-schema `$schema` (the document's dialect already says it). For
 * responses, a plain `z.object` lists what the body has at least (clients ignore members they do not
 * know); only `z.strictObject` promises nothing more.
 */
function jsonSchema(schema: z.ZodType, io: "input" | "output" = "output"): JsonSchema {
  const { $schema: _, ...rest } = z.toJSONSchema(schema, {
    io,
    unrepresentable: "any",
    override: (ctx) => {
      const def = ctx.zodSchema._zod.def as { type: string; catchall?: unknown };
      if (io === "output" && def.type === "object" && def.catchall === undefined) {
        delete ctx.jsonSchema.additionalProperties;
      }
    },
  }) as JsonSchema;
  return rest;
}

/** `post /v1/payments/callbacks/:channel` → `postPaymentsCallbacksByChannel`. */
export function operationIdFor(method: string, path: string): string {
  const words = path
    .split("/")
    .filter((part) => part !== "" && part !== "v1")
    .map((part) => (part.startsWith(":") ? `by-${part.slice(1)}` : part))
    .flatMap((part) => part.split(/[^A-Za-z0-9]+/))
    .filter(Boolean);
  return [method, ...words].map((w, i) => (i === 0 ? w : w[0]!.toUpperCase() + w.slice(1))).join("");
}

function responseObject(doc: ResponseDoc): JsonSchema {
  const content: Record<string, { schema: JsonSchema }> = {};
  if (doc.content) {
    for (const [type, schema] of Object.entries(doc.content)) content[type] = { schema: jsonSchema(schema) };
  } else if (doc.schema) {
    content[doc.contentType ?? "application/json"] = { schema: jsonSchema(doc.schema) };
  } else if (doc.status !== 204 && doc.status !== 304 && doc.status < 400) {
    content[doc.contentType ?? "application/json"] = { schema: { type: "object" } };
  }
  // The server may answer any error status with a problem too (bad input, overload, a fault).
  if (doc.status >= 400) content["application/problem+json"] = { schema: PROBLEM_REF };
  return { description: doc.description, ...(Object.keys(content).length ? { content } : {}) };
}

/** Builds the OpenAPI 3.1 document from the same zod schemas the routes validate with. */
export function openApiDocument(routes: readonly RouteDoc[]): Record<string, unknown> {
  const paths: Record<string, Record<string, unknown>> = {};
  const operationIds = new Set<string>();
  for (const r of routes) {
    const path = r.path.replace(/:(\w+)/g, "{$1}");
    const operationId = r.operationId ?? operationIdFor(r.method, r.path);
    if (operationIds.has(operationId)) throw new Error(`duplicate operationId ${operationId} (${path})`);
    operationIds.add(operationId);
    const params = [...r.path.matchAll(/:(\w+)/g)].map((m) => ({
      name: m[1],
      in: "path",
      required: true,
      schema: { type: "string" },
    }));
    const query = r.query
      ? Object.entries(r.query.shape).map(([name, schema]) => ({
          name,
          in: "query",
          required: false,
          schema: jsonSchema(schema as z.ZodType, "input"),
        }))
      : [];
    const headers = r.idempotencyKey
      ? [
          {
            name: "Idempotency-Key",
            in: "header",
            required: r.idempotencyKey === "required",
            schema: { type: "string" },
          },
        ]
      : [];
    const problem = {
      description: "Problem (RFC 9457)",
      content: { "application/problem+json": { schema: PROBLEM_REF } },
    };
    const responses: Record<string, unknown> = {};
    for (const doc of [r.response ?? { status: 200, description: "OK" }, ...(r.responses ?? [])]) {
      responses[String(doc.status)] = responseObject(doc);
    }
    paths[path] ??= {};
    paths[path][r.method] = {
      operationId,
      summary: r.summary,
      tags: [r.tag],
      ...(r.permission
        ? { description: `Requires permission \`${r.permission}\`.`, "x-permission": r.permission }
        : {}),
      ...(r.public ? { security: [] } : {}),
      parameters: [...params, ...query, ...headers],
      ...(r.body
        ? {
            requestBody: {
              required: true,
              content: {
                "application/json": { schema: jsonSchema(r.body, "input") },
                ...Object.fromEntries(
                  Object.entries(r.bodyTypes ?? {}).map(([type, schema]) => [
                    type,
                    { schema: jsonSchema(schema, "input") },
                  ]),
                ),
              },
            },
          }
        : {}),
      responses: { ...responses, "4XX": problem, "5XX": problem },
    };
  }
  return {
    openapi: "3.1.0",
    info: {
      title: "Business Hub API",
      version: "0.1.0",
      description:
        "Real-time e-commerce back office. Errors are application/problem+json with a stable `type`. " +
        "Get a token from POST /v1/auth/token and send it as `Authorization: Bearer <token>`.",
    },
    // Relative: the API is served by whichever gateway serves this document.
    servers: [{ url: "/", description: "This gateway" }],
    components: {
      schemas: { Problem: PROBLEM_SCHEMA },
      securitySchemes: { bearer: { type: "http", scheme: "bearer", bearerFormat: "JWT" } },
    },
    security: [{ bearer: [] }],
    paths,
  };
}

/** A dependency-free page that renders `/openapi.json` (no CDN at run time). */
export const DOCS_HTML = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Business Hub API</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<style>
body{font:14px/1.5 system-ui,sans-serif;margin:0;background:#f6f7f9;color:#1d2330}
header{background:#1d2330;color:#fff;padding:16px 24px}main{max-width:1000px;margin:0 auto;padding:16px}
.op{background:#fff;border:1px solid #dde1e7;border-radius:6px;margin:10px 0}
.op summary{cursor:pointer;padding:10px 14px;display:flex;gap:12px;align-items:center}
.m{font-weight:700;text-transform:uppercase;width:60px}.get{color:#0a7}.post{color:#06c}.put{color:#b70}.delete{color:#c33}
code{font-family:ui-monospace,monospace}pre{background:#f0f2f5;padding:10px;overflow:auto;margin:0 14px 12px}
h2{margin-top:28px}p.d{margin:0 14px 8px}
</style></head><body><header><h1 style="margin:0;font-size:20px">Business Hub API</h1>
<div id="info"></div></header><main id="ops">Loading /openapi.json…</main>
<script>
fetch('/openapi.json').then(r=>r.json()).then(doc=>{
  document.getElementById('info').textContent=doc.info.description;
  const byTag={};
  for(const [path,ops] of Object.entries(doc.paths))for(const [m,op] of Object.entries(ops))(byTag[op.tags[0]]??=[]).push([m,path,op]);
  const root=document.getElementById('ops');root.textContent='';
  for(const [tag,list] of Object.entries(byTag)){
    const h=document.createElement('h2');h.textContent=tag;root.append(h);
    for(const [m,path,op] of list){
      const d=document.createElement('details');d.className='op';
      const s=document.createElement('summary');
      s.innerHTML='<span class="m '+m+'"></span><code></code><span></span>';
      s.children[0].textContent=m;s.children[1].textContent=path;s.children[2].textContent=op.summary;
      d.append(s);
      if(op.description){const p=document.createElement('p');p.className='d';p.textContent=op.description;d.append(p);}
      const body=op.requestBody?.content?.['application/json']?.schema;
      const params=(op.parameters||[]).map(p=>p.in+' '+p.name+(p.required?' (required)':'')).join('\\n');
      const pre=document.createElement('pre');
      pre.textContent=(params?'Parameters:\\n'+params+'\\n\\n':'')+(body?'Body:\\n'+JSON.stringify(body,null,2)+'\\n\\n':'')+'Responses: '+Object.keys(op.responses).join(', ');
      d.append(pre);root.append(d);
    }
  }
});
</script></body></html>`;
