/**
 * A dependency (Postgres, Redis, NATS) that is down, paused or too slow is a state to report, not a bug:
 * callers get a `DependencyUnavailableError`, which the gateway answers as `503 unavailable` with
 * `Retry-After`, never as a 500 and never as a hang.
 */
import { withDeadline as runtimeDeadline } from "../actors/runtime/index.ts";

export type DependencyName = "postgres" | "redis" | "nats";

export class DependencyUnavailableError extends Error {
  override readonly name = "DependencyUnavailableError";
  readonly dependency: DependencyName;
  /** When a retry has a fair chance: about one reconnect attempt away. */
  readonly retryAfterSeconds: number;
  constructor(
    dependency: DependencyName,
    detail: string,
    options: { cause?: unknown; retryAfterSeconds?: number } = {},
  ) {
    super(
      `${dependency} unavailable: ${detail}`,
      options.cause === undefined ? undefined : { cause: options.cause },
    );
    this.dependency = dependency;
    this.retryAfterSeconds = options.retryAfterSeconds ?? 2;
  }
}

/** postgres.js's own codes for a connection that could not be made or was lost. */
const POSTGRES_CLIENT_CODES = new Set([
  "CONNECTION_CLOSED",
  "CONNECTION_ENDED",
  "CONNECTION_DESTROYED",
  "CONNECT_TIMEOUT",
]);
/** Socket-level codes: the server is not there (refused, reset, unreachable, timed out). */
const NETWORK_CODES = new Set([
  "ECONNREFUSED",
  "ECONNRESET",
  "EPIPE",
  "ETIMEDOUT",
  "EHOSTUNREACH",
  "ENETUNREACH",
]);
/**
 * SQLSTATEs that mean "the server cannot serve this now": class 08 (connection exception), shutdown
 * and startup (57P01–57P03), a statement cancelled by `statement_timeout` (57014), too many
 * connections (53300).
 */
function postgresServerUnavailable(sqlState: string): boolean {
  return (
    sqlState.startsWith("08") || /^57P0[123]$/.test(sqlState) || sqlState === "57014" || sqlState === "53300"
  );
}
/** ioredis rejects with plain Errors; these messages are its connection states, not command errors. */
const REDIS_MESSAGES = [
  "Connection is closed.",
  "Stream isn't writeable and enableOfflineQueue options is false",
  "Command timed out",
  "Reached the max retries per request limit",
];

/**
 * Recognises a dependency fault in an error thrown by a driver (or already classified): the
 * `DependencyUnavailableError` to answer with, or `undefined` for any other error (a real bug stays 500).
 */
export function asDependencyUnavailable(error: unknown): DependencyUnavailableError | undefined {
  if (error instanceof DependencyUnavailableError) return error;
  if (!(error instanceof Error)) return undefined;
  const code = (error as { code?: unknown }).code;
  if (error.name === "PostgresError" && typeof code === "string" && postgresServerUnavailable(code))
    return new DependencyUnavailableError("postgres", error.message, { cause: error });
  if (typeof code === "string" && POSTGRES_CLIENT_CODES.has(code))
    return new DependencyUnavailableError("postgres", code, { cause: error });
  if (error.name === "MaxRetriesPerRequestError" || REDIS_MESSAGES.some((m) => error.message.startsWith(m)))
    return new DependencyUnavailableError("redis", error.message, { cause: error });
  // ioredis reports socket errors on its `error` event, never to a command, and NATS has its own
  // codes: a socket error reaching a caller comes from postgres.js.
  if (typeof code === "string" && NETWORK_CODES.has(code))
    return new DependencyUnavailableError("postgres", code, { cause: error });
  return undefined;
}

/**
 * Settles with `work`'s result, or rejects with `DependencyUnavailableError` once `ms` have passed (a
 * paused server keeps its connections open and answers nothing; no driver timeout notices). A driver
 * error that means "unavailable" is converted too. `work` is not cancelled: its late result is ignored.
 * The clock is the runtime's `withDeadline` (one implementation for the whole project).
 */
export function withDeadline<T>(
  dependency: DependencyName,
  work: PromiseLike<T>,
  ms: number,
  what = "call",
): Promise<T> {
  const classified = Promise.resolve(work).catch((error: unknown) => {
    throw asDependencyUnavailable(error) ?? error;
  });
  return runtimeDeadline(classified, ms, what, {
    expired: (message) => new DependencyUnavailableError(dependency, message),
  });
}

/**
 * A socket error (refused, reset, broken pipe) that reached no handler: a client let go of a socket that
 * still reported its end (Bun's net does this after a server restart). A dependency fault, not a bug.
 */
export function isStrayConnectionError(error: unknown): boolean {
  const { code, syscall } = (error ?? {}) as { code?: unknown; syscall?: unknown };
  if (typeof code !== "string") return false;
  if (NETWORK_CODES.has(code) && typeof syscall === "string") return true;
  // postgres.js rejects every query still queued on a connection that closes. One whose caller had
  // already stopped listening (seen once in twenty restarts under load: the node exited on it) is
  // the same dependency fault, with nobody left to tell.
  return error instanceof Error && POSTGRES_CLIENT_CODES.has(code);
}
