/**
 * The one harness every integration test uses: real NATS, Postgres and Redis, each test file isolated
 * in its own namespace (subjects, streams, KV buckets, Redis keys and Postgres schema).
 */
import { randomBytes } from "node:crypto";
import { jetstreamManager } from "@nats-io/jetstream";
import { connect } from "@nats-io/transport-node";
import Redis from "ioredis";
import postgres from "postgres";
import { silentLogger } from "../../actors/runtime/index.ts";
import { type Config, loadConfig } from "../../config.ts";
import { type HubNode, startHubNode } from "../../hub-node.ts";
import { dropNamespace } from "../../scripts/namespaces.ts";
import { contractLog } from "./contract.ts";

export const NATS_URL = process.env.NATS_URL ?? "nats://127.0.0.1:4222";
export const DATABASE_URL = process.env.DATABASE_URL ?? "postgres://postgres@127.0.0.1:5432/test";
export const REDIS_URL = process.env.REDIS_URL ?? "redis://127.0.0.1:6379";
export const ADMIN_PASSWORD = "test-admin-password";
export const JWT_SECRET = "test-secret-test-secret-test-secret-0123456789";

const START_HINT = "start the shared services with `npm run services` (see README)";

/** Fails (never skips) with the service's name and how to start it. */
export async function requireServices(): Promise<void> {
  const nc = await connect({ servers: NATS_URL, timeout: 3_000 }).catch((e) => {
    throw new Error(`NATS is not reachable at ${NATS_URL}: ${e.message}; ${START_HINT}`);
  });
  await (await jetstreamManager(nc)).getAccountInfo().catch((e) => {
    throw new Error(`NATS at ${NATS_URL} has no JetStream (${e.message}); run nats-server with -js`);
  });
  await nc.close();
  const sql = postgres(DATABASE_URL, { max: 1, connect_timeout: 3, onnotice: () => undefined });
  await sql`SELECT 1`.catch((e) => {
    throw new Error(`Postgres is not reachable at ${DATABASE_URL}: ${e.message}; ${START_HINT}`);
  });
  await sql.end();
  const redis = new Redis(REDIS_URL, { lazyConnect: true, maxRetriesPerRequest: 0, connectTimeout: 3_000 });
  await redis.connect().catch((e) => {
    throw new Error(`Redis is not reachable at ${REDIS_URL}: ${e.message}; ${START_HINT}`);
  });
  redis.disconnect();
}

export function testNamespace(prefix: string): string {
  return `t_${prefix.replace(/\W/g, "_").toLowerCase().slice(0, 12)}_${randomBytes(3).toString("hex")}`;
}

export function testConfig(namespace: string, overrides: Record<string, string> = {}): Config {
  return loadConfig(
    {},
    {
      HUB_NAMESPACE: namespace,
      NATS_URL,
      DATABASE_URL,
      REDIS_URL,
      ADMIN_PASSWORD,
      JWT_SECRET,
      LEASE_TTL: "2000",
      LOG_LEVEL: "warn",
      PORT: "0",
      // Each stream's max_bytes is reserved on the shared server: keep test namespaces small.
      EVENTS_MAX_BYTES: "256MiB",
      ...overrides,
    },
  );
}

/** Starts an in-process node (no HTTP listener unless `listen`) and waits until it serves shards. */
export async function startTestNode(
  namespace: string,
  overrides: Record<string, string> = {},
  options: { listen?: boolean; waitForShards?: boolean } = {},
): Promise<HubNode> {
  const node = await startHubNode(testConfig(namespace, overrides), {
    log: process.env.TEST_LOGS ? undefined : silentLogger,
    listen: options.listen ?? false,
  });
  if (options.waitForShards !== false && node.actorNode) {
    await waitFor(
      () => (node.actorNode?.coveredShards ?? 0) >= node.config.SHARD_COUNT,
      15_000,
      "shards covered",
    );
  }
  return node;
}

/** Environment for a node started as a separate process (`bun main.ts`). */
export function processEnv(namespace: string, extra: Record<string, string> = {}): Record<string, string> {
  return {
    ...(process.env as Record<string, string>),
    HUB_NAMESPACE: namespace,
    NATS_URL,
    DATABASE_URL,
    REDIS_URL,
    ADMIN_PASSWORD,
    JWT_SECRET,
    LEASE_TTL: "2000",
    LOG_LEVEL: "warn",
    EVENTS_MAX_BYTES: "256MiB",
    ...extra,
  };
}

/** Removes everything a namespace created (see `scripts/namespaces.ts`). */
export async function cleanupNamespace(namespace: string, natsUrl = NATS_URL): Promise<void> {
  await dropNamespace(namespace, { natsUrl, databaseUrl: DATABASE_URL, redisUrl: REDIS_URL });
}

export async function waitFor(
  check: () => boolean | Promise<boolean>,
  timeoutMs: number,
  what: string,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await check()) return;
    await new Promise((r) => setTimeout(r, 25));
  }
  throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
}

type Fetcher = { request: (input: string, init?: RequestInit) => Response | Promise<Response> };

/** A tiny API client over `app.request` (no socket) or a real base URL. */
export class ApiClient {
  token: string | undefined;
  readonly #target: Fetcher | string;
  constructor(target: Fetcher | string) {
    this.#target = target;
  }

  /** The server's own OpenAPI document, fetched without being recorded. */
  async #openApi(): Promise<Record<string, unknown>> {
    const res =
      typeof this.#target === "string"
        ? await fetch(`${this.#target}/openapi.json`)
        : await this.#target.request("/openapi.json");
    return (await res.json()) as Record<string, unknown>;
  }

  async login(username = "admin", password = ADMIN_PASSWORD): Promise<string> {
    const res = await this.call("POST", "/v1/auth/token", { username, password }, {}, false);
    if (res.status !== 200) throw new Error(`login failed: ${res.status} ${JSON.stringify(res.body)}`);
    this.token = (res.body as { token: string }).token;
    return this.token;
  }

  async call(
    method: string,
    path: string,
    body?: unknown,
    headers: Record<string, string> = {},
    auth = true,
  ): Promise<{ status: number; body: unknown; headers: Headers }> {
    const init: RequestInit = {
      method,
      headers: {
        ...(body !== undefined ? { "content-type": "application/json" } : {}),
        ...(auth && this.token ? { authorization: `Bearer ${this.token}` } : {}),
        ...headers,
      },
      ...(body !== undefined ? { body: typeof body === "string" ? body : JSON.stringify(body) } : {}),
    };
    const res =
      typeof this.#target === "string"
        ? await fetch(`${this.#target}${path}`, init)
        : await this.#target.request(path, init);
    const text = await res.text();
    contractLog.record(
      { method, path, status: res.status, contentType: res.headers.get("content-type"), body: text },
      () => this.#openApi(),
    );
    let parsed: unknown = text;
    try {
      parsed = JSON.parse(text);
    } catch {}
    return { status: res.status, body: parsed, headers: res.headers };
  }
}
