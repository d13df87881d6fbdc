import { z } from "zod";

/**
 * All configuration, read from the environment in this one place and validated once.
 * Precedence: explicit overrides passed by code (tests) > environment variables > defaults below.
 */
const ROLE_NAMES = ["gateway", "actors", "projector", "realtime"] as const;
export type Role = (typeof ROLE_NAMES)[number];

const duration = z
  .string()
  .regex(/^\d+(ms|s|m|h|d)?$/, "a duration such as 500ms, 30s, 15m, 8h")
  .transform((v) => {
    const match = /^(\d+)(ms|s|m|h|d)?$/.exec(v)!;
    const unit = { ms: 1, s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000 }[match[2] ?? "ms"]!;
    return Number(match[1]) * unit;
  });

/** Sizes such as `512KiB`, `64MiB`, `10GiB` (1024-based) or `500MB` (1000-based); a bare number is bytes. */
const byteSize = z
  .string()
  .regex(/^\d+(B|KB|MB|GB|TB|KiB|MiB|GiB|TiB)?$/, "a size such as 512KiB, 64MiB, 10GiB")
  .transform((v) => {
    const match = /^(\d+)([A-Za-z]+)?$/.exec(v)!;
    const units: Record<string, number> = {
      B: 1,
      KB: 1e3,
      MB: 1e6,
      GB: 1e9,
      TB: 1e12,
      KiB: 2 ** 10,
      MiB: 2 ** 20,
      GiB: 2 ** 30,
      TiB: 2 ** 40,
    };
    return Number(match[1]) * units[match[2] ?? "B"]!;
  });

const int = (min: number, max: number) => z.coerce.number().int().min(min).max(max);

export const configSchema = z.object({
  PORT: int(0, 65535).default(3000),
  HOST: z.string().default("127.0.0.1"),
  ROLES: z
    .string()
    .default(ROLE_NAMES.join(","))
    .transform((v) =>
      v
        .split(",")
        .map((r) => r.trim())
        .filter(Boolean),
    )
    .pipe(z.array(z.enum(ROLE_NAMES)).min(1)),
  NODE_ID: z
    .string()
    .regex(/^[A-Za-z0-9_-]{1,64}$/)
    .optional(),
  NATS_URL: z.string().default("nats://127.0.0.1:4222"),
  DATABASE_URL: z.string().default("postgres://postgres@127.0.0.1:5432/postgres"),
  REDIS_URL: z.string().default("redis://127.0.0.1:6379"),
  /** Postgres deadlines: opening a connection, server-side per statement, client-side per HTTP query. */
  PG_CONNECT_TIMEOUT: duration.default(2_000),
  PG_STATEMENT_TIMEOUT: duration.default(5_000),
  /**
   * A route's query or transaction unanswered after this long answers 503 (a paused or lost server).
   * An authenticated route can wait twice (the account check falls back to its cache, then the route's
   * own query): 2 × this stays under the 2 s promised for a 503.
   */
  PG_QUERY_DEADLINE: duration.default(800),
  PG_IDLE_TIMEOUT: duration.default(60_000),
  PG_MAX_LIFETIME: duration.default(30 * 60_000),
  /** Longest pause between reconnect attempts while Postgres is away. */
  PG_RECONNECT_MAX: duration.default(500),
  /** Redis deadlines: a command unanswered after this long fails (503 where a route needs Redis). */
  REDIS_COMMAND_TIMEOUT: duration.default(1_000),
  REDIS_CONNECT_TIMEOUT: duration.default(1_000),
  /** Prefix of every subject, stream, bucket, Redis key and the Postgres schema name. */
  HUB_NAMESPACE: z
    .string()
    .regex(/^[a-z][a-z0-9_]{0,30}$/)
    .default("hub"),
  SHARD_COUNT: int(1, 4096).default(64),
  LEASE_TTL: duration.default(6_000),
  /**
   * A node whose heartbeat is this old is dead: its shards are taken over without waiting for their
   * leases to expire, and a node that cannot heartbeat stops serving. Capped at LEASE_TTL.
   */
  NODE_HEARTBEAT_TTL: duration.default(3_000),
  /** Deadline of every NATS call: requests, JetStream publishes, KV operations, stream info, pings. */
  NATS_TIMEOUT: duration.default(1_500),
  /** Size limit of the event stream; writes are refused with `storage-full` (507) when it is reached. */
  EVENTS_MAX_BYTES: byteSize.default(10 * 2 ** 30),
  ACTOR_IDLE: duration.default(120_000),
  ACTOR_MAX_ACTIVE: int(10, 10_000_000).default(50_000),
  MAILBOX_MAX: int(1, 1_000_000).default(10_000),
  NODE_MAX_PENDING: int(1, 10_000_000).default(200_000),
  SNAPSHOT_EVERY: int(1, 1_000_000).default(200),
  IDEMPOTENCY_RETENTION: duration.default(7 * 86_400_000),
  /** How often the audit sealer (projector role) looks for new audit rows to chain (decision 0035). */
  AUDIT_SEAL_INTERVAL: duration.default(500),
  EVENTS_DUPLICATE_WINDOW: duration.default(120_000),
  /** Total time a command is retried through shard handovers before the caller gets 503. */
  COMMAND_DEADLINE: duration.default(15_000),
  /** One attempt's wait; a request stuck on a node that just died is re-sent after this. */
  COMMAND_ATTEMPT_TIMEOUT: duration.default(2_000),
  /** Unpaid orders cancel themselves after this long and release their stock. */
  ORDER_PAYMENT_TIMEOUT: duration.default(15 * 60_000),
  /** Flash sales (decision 0023): orders of one campaign in flight per gateway node before 429 queue-full. */
  FLASH_SALE_QUEUE_MAX: int(1, 1_000_000).default(2_000),
  /** Flash sales: orders of one campaign in flight per gateway node per unit left before 429 queue-full. */
  FLASH_SALE_QUEUE_PER_UNIT: int(1, 1_000).default(2),
  /** Flash sales: order attempts one buyer may make on one campaign per second before 429 rate-limited. */
  FLASH_SALE_USER_RATE: int(1, 1_000).default(5),
  /** Shipped orders complete themselves after this long unless the buyer confirms receipt first. */
  ORDER_AUTO_COMPLETE: duration.default(7 * 86_400_000),
  /**
   * Outbound webhooks (decision 0030): attempts before a delivery is a dead letter, the first retry's
   * delay (doubling each time, capped at an hour), and one attempt's deadline.
   */
  WEBHOOK_MAX_ATTEMPTS: int(1, 50).default(8),
  WEBHOOK_RETRY_BASE: duration.default(30_000),
  WEBHOOK_TIMEOUT: duration.default(10_000),
  /** Base URL channels post callbacks to (defaults to http://HOST:PORT). */
  PUBLIC_URL: z.string().url().optional(),
  /** Risk rules: largest single payment (fen), payments per user per hour, blocked user ids (comma list). */
  PAYMENT_MAX_AMOUNT: int(1, Number.MAX_SAFE_INTEGER).default(5_000_000),
  PAYMENT_MAX_PER_USER_PER_HOUR: int(1, 1_000_000).default(20),
  PAYMENT_BLACKLIST: z
    .string()
    .default("")
    .transform((v) =>
      v
        .split(",")
        .map((s) => s.trim())
        .filter(Boolean),
    ),
  /** Live dashboards: at most one stock update per SKU per client per this interval. */
  REALTIME_COALESCE: duration.default(200),
  JWT_SECRET: z.string().min(32).optional(),
  TOKEN_TTL: duration.default(8 * 3_600_000),
  ADMIN_PASSWORD: z.string().min(8).optional(),
  /** Seals secrets kept in Postgres (JWT key, channel keys); without it a key file is generated once. */
  HUB_SECRETS_KEY: z.string().min(32).optional(),
  /** Where the generated secrets key lives when HUB_SECRETS_KEY is not set (default ~/.local/share/business-hub/<namespace>/secrets.key). */
  HUB_SECRETS_KEY_FILE: z.string().min(1).optional(),
  /** Failed logins per client address and per username within LOGIN_FAILURE_WINDOW before 429. */
  LOGIN_MAX_FAILURES_PER_ADDRESS: int(1, 1_000_000).default(10),
  LOGIN_MAX_FAILURES_PER_USER: int(1, 1_000_000).default(20),
  LOGIN_FAILURE_WINDOW: duration.default(15 * 60_000),
  /**
   * Roles whose holders must sign in with a TOTP code (comma-separated, e.g. `admin,user_admin`; empty =
   * off). Until they enrol, their tokens hold only `self:access` (decision 0032).
   */
  TOTP_REQUIRED_ROLES: z
    .string()
    .default("")
    .transform((v) =>
      v
        .split(",")
        .map((s) => s.trim())
        .filter(Boolean),
    ),
  LOG_LEVEL: z.enum(["debug", "info", "warn", "error"]).default("info"),
  /**
   * Bench only (`bench/flash-sale.ts` sets it): adds the HTTP ceiling route, `POST
   * /v1/bench/ceiling/{sku}/reservations`, the reservation route's auth, body validation and middleware
   * answering a constant. Refused outside a `bench_` namespace, so a production hub never serves it.
   */
  BENCH_HTTP_CEILING: z
    .enum(["0", "1"])
    .default("0")
    .transform((v) => v === "1"),
});

export type Config = z.infer<typeof configSchema>;

export function loadConfig(
  env: Record<string, string | undefined> = process.env,
  overrides: Partial<Record<keyof z.input<typeof configSchema>, string>> = {},
): Config {
  const known = Object.keys(configSchema.shape);
  const source: Record<string, string> = {};
  for (const key of known) {
    const value = overrides[key as keyof typeof overrides] ?? env[key];
    if (value !== undefined && value !== "") source[key] = value;
  }
  const parsed = configSchema.safeParse(source);
  if (!parsed.success) {
    const lines = parsed.error.issues.map((i) => `  ${i.path.join(".")}: ${i.message}`);
    throw new Error(`invalid configuration:\n${lines.join("\n")}`);
  }
  return parsed.data;
}
