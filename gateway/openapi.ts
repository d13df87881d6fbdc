import { z } from "zod";
import { problemSchema } from "./schemas.ts";

export interface RouteDoc {
  method: "get" | "post" | "put" | "patch" | "delete";
  /** Hono path, e.g. `/v1/inventory/:sku`. */
  path: string;
  summary: string;
  tag: string;
  permission?: string;
  body?: z.ZodType;
  query?: z.ZodObject;
  response?: { status: number; schema?: z.ZodType; description: string };
  idempotencyKey?: "required" | "optional";
  public?: boolean;
}

/** Builds the OpenAPI 3.1 document from the same zod schemas the routes validate with. */
export function openApiDocument(routes: RouteDoc[]): Record<string, unknown> {
  const paths: Record<string, Record<string, unknown>> = {};
  for (const r of routes) {
    const path = r.path.replace(/:(\w+)/g, "{$1}");
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
          schema: z.toJSONSchema(schema as z.ZodType, { io: "input", unrepresentable: "any" }),
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
    const problem = { "application/problem+json": { schema: z.toJSONSchema(problemSchema) } };
    paths[path] ??= {};
    paths[path][r.method] = {
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
                "application/json": {
                  schema: z.toJSONSchema(r.body, { io: "input", unrepresentable: "any" }),
                },
              },
            },
          }
        : {}),
      responses: {
        [String(r.response?.status ?? 200)]: {
          description: r.response?.description ?? "OK",
          ...(r.response?.schema
            ? {
                content: {
                  "application/json": {
                    schema: z.toJSONSchema(r.response.schema, { unrepresentable: "any" }),
                  },
                },
              }
            : {}),
        },
        "4XX": { description: "Problem (RFC 9457)", content: problem },
        "5XX": { description: "Problem (RFC 9457)", content: problem },
      },
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
    components: { securitySchemes: { bearer: { type: "http", scheme: "bearer", bearerFormat: "JWT" } } },
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
