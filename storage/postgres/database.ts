import postgres from "postgres";
import { DependencyUnavailableError, withDeadline } from "../../platform/dependency.ts";

export type Sql = postgres.Sql;

/** Every deadline on the way to Postgres (see README "Operating it"). */
export interface DatabaseTimeouts {
  /** Opening a connection (a paused server accepts TCP and then says nothing). */
  connectTimeoutMs: number;
  /** Server-side limit per statement (`statement_timeout`); 0 = none. */
  statementTimeoutMs: number;
  /** A connection idle this long is closed (and reopened on demand). */
  idleTimeoutMs: number;
  /** A connection is replaced after this long, so a failover or a config reload reaches every one. */
  maxLifetimeMs: number;
  /** Longest pause between reconnect attempts while Postgres is away (postgres.js alone: up to 20 s). */
  maxReconnectDelayMs: number;
}

export const DEFAULT_DATABASE_TIMEOUTS: DatabaseTimeouts = {
  connectTimeoutMs: 2_000,
  statementTimeoutMs: 5_000,
  idleTimeoutMs: 60_000,
  maxLifetimeMs: 30 * 60_000,
  maxReconnectDelayMs: 500,
};

/**
 * Reconnect pacing: 50 ms, 100 ms, 200 ms … capped at `maxMs`. postgres.js's default is
 * `min(3^n / 100, 20)` s shared by the whole pool, which kept Postgres-backed routes failing for up to
 * 20 s after the server was back.
 */
export function reconnectBackoff(maxMs: number): (retries: number) => number {
  return (retries) => Math.min(0.05 * 2 ** Math.max(0, retries - 1), maxMs / 1000);
}

/**
 * Opens a pool whose tables live in `schema` (one per namespace, so isolated test runs and several
 * clusters can share one server). The schema is created on first use.
 */
export async function openDatabase(
  url: string,
  schema: string,
  options: { max?: number; timeouts?: Partial<DatabaseTimeouts> } = {},
): Promise<Sql> {
  if (!/^[a-z_][a-z0-9_]{0,62}$/.test(schema)) throw new Error(`invalid schema name: ${schema}`);
  const t = { ...DEFAULT_DATABASE_TIMEOUTS, ...options.timeouts };
  const seconds = (ms: number) => Math.max(1, Math.ceil(ms / 1000));
  const admin = postgres(url, {
    max: 1,
    onnotice: () => undefined,
    connect_timeout: seconds(t.connectTimeoutMs),
  });
  try {
    await admin.unsafe(`CREATE SCHEMA IF NOT EXISTS "${schema}"`);
  } finally {
    await admin.end();
  }
  return postgres(url, {
    max: options.max ?? 10,
    onnotice: () => undefined,
    connect_timeout: seconds(t.connectTimeoutMs),
    idle_timeout: seconds(t.idleTimeoutMs),
    max_lifetime: seconds(t.maxLifetimeMs),
    backoff: reconnectBackoff(t.maxReconnectDelayMs),
    connection: {
      // public holds database-wide extensions (pg_trgm, migration 0008); the namespace comes first.
      search_path: `${schema}, public`,
      statement_timeout: t.statementTimeoutMs,
      // A client that stalls inside a transaction must not hold its locks for ever.
      idle_in_transaction_session_timeout: Math.max(t.statementTimeoutMs * 2, 10_000),
    },
  });
}

/**
 * The same pool, with a client-side deadline on every query and transaction started through it: past
 * `ms` the caller gets `DependencyUnavailableError` (→ 503 with Retry-After) instead of waiting on a
 * paused or unreachable server; connection errors become the same error. Fragments (`sql\`…\`` inside
 * another query) and helpers (`sql(…)`, `sql.json`) pass through untouched: only awaiting a query
 * starts the clock. A query that times out is not cancelled; a write may still commit later (the
 * answer was 503: outcome unknown, retry the idempotent request).
 */
export function withQueryDeadline(sql: Sql, ms: number): Sql {
  const guard = <T>(result: T, what: string): T => {
    if (!(result instanceof Promise)) return result;
    const query = result as Promise<unknown>;
    const original = query.then;
    let raced: Promise<unknown> | undefined;
    // Per instance: `await` calls `then`; postgres.js starts the query there and we start the clock.
    const deadlined: Promise<unknown>["then"] = (onFulfilled, onRejected) => {
      raced ??= withDeadline(
        "postgres",
        new Promise((resolve, reject) => original.call(query, resolve, reject)),
        ms,
        what,
      );
      return raced.then(onFulfilled, onRejected);
    };
    // biome-ignore lint/suspicious/noThenProperty: deliberately replaces this query's `then` to time it
    Object.defineProperty(query, "then", { value: deadlined, configurable: true, writable: true });
    return result;
  };
  return new Proxy(sql, {
    apply(target, thisArg, args) {
      return guard(Reflect.apply(target, thisArg, args), "query");
    },
    get(target, property, receiver) {
      const value = Reflect.get(target, property, receiver);
      if (property === "begin" || property === "unsafe" || property === "file") {
        return (...args: unknown[]) =>
          guard((value as (...a: unknown[]) => unknown).apply(target, args), String(property));
      }
      return value;
    },
  });
}

export { DependencyUnavailableError };
