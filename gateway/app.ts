import { type Context, Hono, type MiddlewareHandler } from "hono";
import { bodyLimit } from "hono/body-limit";
import type Redis from "ioredis";
import type { z } from "zod";
import type { ActorClient } from "../actors/runtime/actor-client.ts";
import type { Logger } from "../actors/runtime/log.ts";
import type { MetricsRegistry } from "../actors/runtime/metrics.ts";
import type { Reply } from "../actors/runtime/protocol.ts";
import { InvalidCursorError, type InventoryQueries } from "../storage/read-models/inventory-queries.ts";
import type { UserStore } from "../storage/users.ts";
import type { WarehouseDirectory } from "../storage/warehouses.ts";
import { principalOf, requireAuth, requirePermission, type TokenService } from "./auth.ts";
import { DOCS_HTML, openApiDocument, type RouteDoc } from "./openapi.ts";
import { ProblemError, problemFromErrorBody, renderProblem } from "./problem.ts";
import * as s from "./schemas.ts";
import { serveDashboards } from "./static.ts";
import { idempotencyKey, parseBody, parseParam, parseQuery } from "./validate.ts";

export interface ReadinessReport {
  ready: boolean;
  checks: Record<string, { ok: boolean; detail?: string }>;
}

/** What a route module gets to declare its routes (documented, authorized, validated the same way). */
export interface GatewayKit {
  define(doc: RouteDoc, handler: (c: Context) => Promise<Response> | Response): void;
  meta(c: Context): { by: string; requestId: string };
  command(
    c: Context,
    kind: string,
    id: string,
    cmd: Record<string, unknown> & { type: string },
    options?: { id?: string; readOnly?: boolean },
  ): Promise<Record<string, unknown>>;
}

export interface GatewayDeps {
  /** Route modules of other areas (orders, payments, members), registered after the core routes. */
  routeModules?: Array<(kit: GatewayKit) => void>;
  actors: ActorClient;
  warehouses: WarehouseDirectory;
  users: UserStore;
  tokens: TokenService;
  inventory: InventoryQueries;
  redis: Redis;
  namespace: string;
  metrics: MetricsRegistry;
  log: Logger;
  readiness(): Promise<ReadinessReport>;
}

const MAX_BODY_BYTES = 64 * 1024;
const LOGIN_ATTEMPTS_PER_MINUTE = 20;

/**
 * The HTTP edge: authentication, validation, problem+json and the mapping from HTTP to actor commands.
 * It holds no state of its own, so any number of gateway nodes can run.
 */
export function createApp(deps: GatewayDeps): Hono {
  const app = new Hono();
  const routes: RouteDoc[] = [];
  const httpRequests = deps.metrics.counter("hub_http_requests_total", "HTTP requests by route and status");
  const httpLatency = deps.metrics.histogram(
    "hub_http_request_seconds",
    "HTTP latency",
    [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
  );

  app.use("*", async (c, next) => {
    const incoming = c.req.header("x-request-id");
    const requestId = incoming && /^[\w.:-]{1,100}$/.test(incoming) ? incoming : crypto.randomUUID();
    c.set("requestId" as never, requestId as never);
    c.header("x-request-id", requestId);
    const started = performance.now();
    await next();
    const ms = performance.now() - started;
    const route = c.req.routePath ?? c.req.path;
    httpRequests.inc({ route, method: c.req.method, status: String(c.res.status) });
    httpLatency.observe(ms / 1000, { route });
    if (!route.startsWith("/healthz") && !route.startsWith("/metrics")) {
      deps.log.debug("http", {
        requestId,
        method: c.req.method,
        path: c.req.path,
        status: c.res.status,
        ms: Math.round(ms),
      });
    }
  });
  app.use(
    "/v1/*",
    bodyLimit({
      maxSize: MAX_BODY_BYTES,
      onError: () => {
        throw new ProblemError(413, "payload-too-large", `bodies are limited to ${MAX_BODY_BYTES} bytes`);
      },
    }),
  );

  app.onError((error, c) => {
    if (error instanceof ProblemError) return renderProblem(c, error);
    deps.log.error("unhandled error", { path: c.req.path, error });
    return renderProblem(
      c,
      new ProblemError(500, "internal", "unexpected error; see logs for the request id"),
    );
  });
  app.notFound((c) =>
    renderProblem(c, new ProblemError(404, "not-found", `no route for ${c.req.method} ${c.req.path}`)),
  );

  const auth = requireAuth(deps.tokens);
  const define = (doc: RouteDoc, handler: (c: Context) => Promise<Response> | Response) => {
    routes.push(doc);
    const chain: MiddlewareHandler[] = [];
    if (!doc.public) chain.push(auth);
    if (doc.permission) chain.push(requirePermission(doc.permission));
    app.on([doc.method.toUpperCase()], [doc.path], ...chain, handler);
  };

  const meta = (c: Context) => ({
    by: principalOf(c).username,
    requestId: c.get("requestId" as never) as string,
  });

  /** Sends a command to the SKU actor and turns a refusal into the matching problem. */
  const skuCommand = async (
    c: Context,
    sku: string,
    cmd: Record<string, unknown> & { type: string },
    id?: string,
  ) => {
    const reply: Reply = await deps.actors.request("sku", sku, cmd, {
      meta: meta(c),
      ...(id ? { id } : {}),
      readOnly: cmd.type === "get",
    });
    if (!reply.ok) throw problemFromErrorBody(reply.error);
    return reply.value as Record<string, unknown>;
  };

  /** Sends a command to any actor; a refusal becomes the matching problem. */
  const command = async (
    c: Context,
    kind: string,
    id: string,
    cmd: Record<string, unknown> & { type: string },
    options: { id?: string; readOnly?: boolean } = {},
  ) => {
    const reply: Reply = await deps.actors.request(kind, id, cmd, { meta: meta(c), ...options });
    if (!reply.ok) throw problemFromErrorBody(reply.error);
    return reply.value as Record<string, unknown>;
  };
  const kit: GatewayKit = { define, meta, command };
  for (const register of deps.routeModules ?? []) register(kit);

  const knownWarehouse = async (code: string | undefined) => {
    if (code && !(await deps.warehouses.exists(code))) {
      throw new ProblemError(
        422,
        "unknown-warehouse",
        `warehouse ${code} is not registered; PUT /v1/warehouses/${code} first`,
        {
          field: "warehouse",
        },
      );
    }
  };
  const skuParam = (c: Context) => parseParam(c.req.param("sku"), s.codeSchema, "sku") as string;
  const orderParam = (c: Context) => parseParam(c.req.param("orderId"), s.codeSchema, "orderId") as string;

  // --- Operations -------------------------------------------------------------------------------
  app.get("/healthz", (c) => c.json({ status: "ok" }));
  app.get("/readyz", async (c) => {
    const report = await deps.readiness();
    return c.json(report, report.ready ? 200 : 503);
  });
  app.get("/metrics", (c) =>
    c.text(deps.metrics.render(), 200, { "content-type": "text/plain; version=0.0.4" }),
  );
  app.get("/openapi.json", (c) => c.json(openApiDocument(routes)));
  app.get("/docs", (c) => c.html(DOCS_HTML));
  serveDashboards(app);

  // --- Auth -------------------------------------------------------------------------------------
  define(
    {
      method: "post",
      path: "/v1/auth/token",
      summary: "Exchange username and password for a bearer token",
      tag: "Auth",
      public: true,
      body: s.tokenRequest,
      response: { status: 200, schema: s.tokenResponse, description: "Signed JWT" },
    },
    async (c) => {
      const body = await parseBody(c, s.tokenRequest);
      const key = `${deps.namespace}:login:${body.username}`;
      const attempts = await deps.redis.incr(key);
      if (attempts === 1) await deps.redis.expire(key, 60);
      if (attempts > LOGIN_ATTEMPTS_PER_MINUTE) {
        throw new ProblemError(429, "rate-limited", "too many login attempts; wait a minute", {}, 60);
      }
      const user = await deps.users.verify(body.username, body.password);
      if (!user) throw new ProblemError(401, "unauthorized", "wrong username or password");
      return c.json(await deps.tokens.issue({ username: user.username, permissions: user.permissions }));
    },
  );

  // --- Warehouses -------------------------------------------------------------------------------
  define(
    {
      method: "put",
      path: "/v1/warehouses/:code",
      summary: "Register or update a warehouse",
      tag: "Warehouses",
      permission: "warehouse:write",
      body: s.warehouseBody,
      response: { status: 200, schema: s.warehouseSchema, description: "The warehouse (201 when created)" },
    },
    async (c) => {
      const code = parseParam(c.req.param("code"), s.codeSchema, "code") as string;
      const body = await parseBody(c, s.warehouseBody);
      const { created, warehouse } = await deps.warehouses.upsert(
        { code, ...body },
        meta(c).by,
        meta(c).requestId,
      );
      return c.json(warehouse, created ? 201 : 200);
    },
  );
  define(
    {
      method: "get",
      path: "/v1/warehouses",
      summary: "List warehouses (cursor = last code seen)",
      tag: "Warehouses",
      permission: "warehouse:read",
      query: s.pageQuery,
    },
    async (c) => {
      const q = parseQuery(c, s.pageQuery) as z.infer<typeof s.pageQuery>;
      const items = await deps.warehouses.list({ limit: q.limit, ...(q.cursor ? { after: q.cursor } : {}) });
      return c.json({ items, nextCursor: items.length === q.limit ? (items.at(-1)?.code ?? null) : null });
    },
  );

  // --- Inventory --------------------------------------------------------------------------------
  define(
    {
      method: "get",
      path: "/v1/inventory/:sku",
      summary: "Stock of a SKU, read from its actor (strongly consistent)",
      tag: "Inventory",
      permission: "inventory:read",
      response: { status: 200, schema: s.stockSchema, description: "Stock" },
    },
    async (c) => c.json(await skuCommand(c, skuParam(c), { type: "get" })),
  );
  define(
    {
      method: "post",
      path: "/v1/inventory/:sku/receipts",
      summary: "Receive stock into a warehouse",
      tag: "Inventory",
      permission: "inventory:write",
      body: s.receiptBody,
      idempotencyKey: "required",
      response: { status: 201, schema: s.stockSchema, description: "New stock" },
    },
    async (c) => {
      const sku = skuParam(c);
      const key = idempotencyKey(c, true)!;
      const body = await parseBody(c, s.receiptBody);
      await knownWarehouse(body.warehouse);
      const value = await skuCommand(c, sku, { type: "receive", ...body }, `receipt:${key}`);
      return c.json(value.stock, 201);
    },
  );
  define(
    {
      method: "post",
      path: "/v1/inventory/:sku/inbound",
      summary: "Announce goods in transit (e.g. a purchase order sent)",
      tag: "Inventory",
      permission: "inventory:write",
      body: s.inboundBody,
      idempotencyKey: "required",
      response: { status: 201, schema: s.stockSchema, description: "New stock" },
    },
    async (c) => {
      const sku = skuParam(c);
      const key = idempotencyKey(c, true)!;
      const body = await parseBody(c, s.inboundBody);
      await knownWarehouse(body.warehouse);
      const value = await skuCommand(c, sku, { type: "announceInbound", ...body }, `inbound:${key}`);
      return c.json(value.stock, 201);
    },
  );
  define(
    {
      method: "post",
      path: "/v1/inventory/:sku/reservations",
      summary: "Reserve stock for an order (idempotent per orderId)",
      tag: "Inventory",
      permission: "inventory:write",
      body: s.reservationBody,
      response: {
        status: 201,
        description: "Reserved: { orderId, lines, sellable }; 409 insufficient-stock",
      },
    },
    async (c) => {
      const sku = skuParam(c);
      const body = await parseBody(c, s.reservationBody);
      await knownWarehouse(body.warehouse);
      return c.json(await skuCommand(c, sku, { type: "reserve", ...body }, `reserve:${body.orderId}`), 201);
    },
  );
  define(
    {
      method: "delete",
      path: "/v1/inventory/:sku/reservations/:orderId",
      summary: "Release an order's reservation",
      tag: "Inventory",
      permission: "inventory:write",
      response: { status: 200, description: "Released" },
    },
    async (c) => {
      const sku = skuParam(c);
      const orderId = orderParam(c);
      return c.json(await skuCommand(c, sku, { type: "release", orderId }, `release:${orderId}`));
    },
  );
  define(
    {
      method: "post",
      path: "/v1/inventory/:sku/reservations/:orderId/commit",
      summary: "Deduct a reservation on shipment",
      tag: "Inventory",
      permission: "inventory:write",
      response: { status: 200, description: "Committed" },
    },
    async (c) => {
      const sku = skuParam(c);
      const orderId = orderParam(c);
      return c.json(await skuCommand(c, sku, { type: "commit", orderId }, `commit:${orderId}`));
    },
  );
  define(
    {
      method: "post",
      path: "/v1/inventory/:sku/adjustments",
      summary: "Cycle count: set physical stock with a reason",
      tag: "Inventory",
      permission: "inventory:write",
      body: s.adjustmentBody,
      idempotencyKey: "optional",
      response: { status: 201, schema: s.stockSchema, description: "New stock" },
    },
    async (c) => {
      const sku = skuParam(c);
      const key = idempotencyKey(c, false);
      const body = await parseBody(c, s.adjustmentBody);
      await knownWarehouse(body.warehouse);
      const value = await skuCommand(
        c,
        sku,
        { type: "adjust", ...body },
        `adjust:${key ?? crypto.randomUUID()}`,
      );
      return c.json(value.stock, 201);
    },
  );
  define(
    {
      method: "put",
      path: "/v1/inventory/:sku/safety-stock",
      summary: "Set the safety stock of a warehouse",
      tag: "Inventory",
      permission: "inventory:write",
      body: s.safetyStockBody,
      idempotencyKey: "optional",
      response: { status: 200, schema: s.stockSchema, description: "New stock" },
    },
    async (c) => {
      const sku = skuParam(c);
      const key = idempotencyKey(c, false);
      const body = await parseBody(c, s.safetyStockBody);
      await knownWarehouse(body.warehouse);
      const value = await skuCommand(
        c,
        sku,
        { type: "setSafetyStock", ...body },
        `safety:${key ?? crypto.randomUUID()}`,
      );
      return c.json(value.stock);
    },
  );
  define(
    {
      method: "get",
      path: "/v1/inventory/:sku/ledger",
      summary: "Stock movements, newest first (read model)",
      tag: "Inventory",
      permission: "inventory:read",
      query: s.pageQuery,
    },
    async (c) => {
      const sku = skuParam(c);
      const q = parseQuery(c, s.pageQuery) as z.infer<typeof s.pageQuery>;
      try {
        return c.json(await deps.inventory.ledger(sku, q.limit, q.cursor));
      } catch (error) {
        if (error instanceof InvalidCursorError)
          throw new ProblemError(400, "validation", error.message, { field: "cursor" });
        throw error;
      }
    },
  );

  return app;
}
