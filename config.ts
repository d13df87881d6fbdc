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
  /** A route's query or transaction unanswered after this long answers 503 (a paused or lost server). */
  PG_QUERY_DEADLINE: duration.default(1_500),
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
  ACTOR_IDLE: duration.default(120_000),
  ACTOR_MAX_ACTIVE: int(10, 10_000_000).default(50_000),
  MAILBOX_MAX: int(1, 1_000_000).default(10_000),
  NODE_MAX_PENDING: int(1, 10_000_000).default(200_000),
  SNAPSHOT_EVERY: int(1, 1_000_000).default(200),
  IDEMPOTENCY_RETENTION: duration.default(7 * 86_400_000),
  EVENTS_DUPLICATE_WINDOW: duration.default(120_000),
  /** Total time a command is retried through shard handovers before the caller gets 503. */
  COMMAND_DEADLINE: duration.default(15_000),
  /** One attempt's wait; a request stuck on a node that just died is re-sent after this. */
  COMMAND_ATTEMPT_TIMEOUT: duration.default(2_000),
  /** Unpaid orders cancel themselves after this long and release their stock. */
  ORDER_PAYMENT_TIMEOUT: duration.default(15 * 60_000),
  /** Shipped orders complete themselves after this long unless the buyer confirms receipt first. */
  ORDER_AUTO_COMPLETE: duration.default(7 * 86_400_000),
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
  LOG_LEVEL: z.enum(["debug", "info", "warn", "error"]).default("info"),
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
