import { type Context, Hono, type MiddlewareHandler } from "hono";
import { bodyLimit } from "hono/body-limit";
import { DomainError, type Logger, type MetricsRegistry } from "../actors/runtime/index.ts";
import { asDependencyUnavailable } from "../platform/dependency.ts";
import { principalOf, requireAuth, requirePermission, type TokenService } from "./auth.ts";
import { DOCS_HTML, type RouteDoc } from "./openapi.ts";
import type { ActorCommand, ActorGateway, CommandMeta } from "./ports.ts";
import { dependencyProblem, ProblemError, problemFromErrorBody, renderProblem } from "./problem.ts";
import { securityHeaders } from "./security-headers.ts";

/** What a route module gets to declare its routes (documented, authorized, validated the same way). */
export interface GatewayKit {
  /** A documented route: authenticated unless `doc.public`, authorized by `doc.permission`. */
  define(doc: RouteDoc, handler: (c: Context) => Promise<Response> | Response): void;
  /** Undocumented plumbing (probes, metrics, static files): no auth, not in the OpenAPI document. */
  readonly app: Hono;
  /** The documented routes so far (for the OpenAPI document, read at request time). */
  documented(): readonly RouteDoc[];
  meta(c: Context): CommandMeta;
  requestId(c: Context): string;
  /**
   * Sends a command to an actor; a refusal becomes the matching problem. `T` names the reply's shape,
   * asserted here once rather than at every route.
   */
  command<T = Record<string, unknown>>(
    c: Context,
    kind: string,
    id: string,
    cmd: ActorCommand,
    options?: CommandOptions,
  ): Promise<T>;
  /** An actor's current view (`get`, read-only: no event, no idempotency record). */
  read<T = Record<string, unknown>>(c: Context, kind: string, id: string): Promise<T>;
}

/**
 * `id` is the command id (idempotency key); `fingerprint` the request it stands for (see
 * `idempotentCommand`), so the actor refuses the id when it comes back with another request.
 */
export interface CommandOptions {
  id?: string;
  fingerprint?: string;
  readOnly?: boolean;
  meta?: CommandMeta;
}

/** A route module: registers one area's routes on the kit. */
export type RouteModule = (kit: GatewayKit) => void;

export interface GatewayDeps {
  /** Every route of this gateway, area by area (see `gateway/routes/index.ts`). */
  routeModules: RouteModule[];
  actors: ActorGateway;
  tokens: TokenService;
  metrics: MetricsRegistry;
  log: Logger;
}

const MAX_BODY_BYTES = 64 * 1024;

/**
 * The HTTP edge: request ids, metrics, body limit, problem+json errors and the route kit. Routes live
 * in `gateway/routes/`; the gateway holds no state of its own, so any number of gateway nodes can run.
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

  app.use("*", securityHeaders([DOCS_HTML]));
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
    // A refusal raised before any actor was asked (e.g. an invalid actor id from a signed callback) is
    // still the caller's problem, never a 500.
    if (error instanceof DomainError) return renderProblem(c, problemFromErrorBody(error.toBody()));
    const unavailable = asDependencyUnavailable(error);
    if (unavailable) return renderProblem(c, dependencyProblem(unavailable));
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
  const requestId = (c: Context): string => c.get("requestId" as never);
  const meta = (c: Context): CommandMeta => ({ by: principalOf(c).username, requestId: requestId(c) });
  const kit: GatewayKit = {
    app,
    documented: () => routes,
    meta,
    requestId,
    define(doc, handler) {
      routes.push(doc);
      const chain: MiddlewareHandler[] = [];
      if (!doc.public) chain.push(auth);
      if (doc.permission) chain.push(requirePermission(doc.permission));
      app.on([doc.method.toUpperCase()], [doc.path], ...chain, handler);
    },
    async command<T>(
      c: Context,
      kind: string,
      id: string,
      cmd: ActorCommand,
      options: CommandOptions = {},
    ): Promise<T> {
      const { meta: given, ...send } = options;
      const reply = await deps.actors.request(kind, id, cmd, { meta: given ?? meta(c), ...send });
      if (!reply.ok) throw problemFromErrorBody(reply.error);
      return reply.value as T;
    },
    read: (c, kind, id) => kit.command(c, kind, id, { type: "get" }, { readOnly: true }),
  };
  for (const register of deps.routeModules) register(kit);
  return app;
}
