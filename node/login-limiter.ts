import type Redis from "ioredis";
import type { LoginThrottle, LoginVerdict } from "../gateway/ports.ts";

export interface LoginLimits {
  /** Failed logins one client address may make per window, whatever the usernames. */
  maxFailuresPerAddress: number;
  /** Failed logins one username may receive per window, from all addresses together. */
  maxFailuresPerUser: number;
  windowMs: number;
}

/**
 * One script, so checking and counting cannot interleave between gateway nodes: an attempt is counted
 * as a failure BEFORE the password is checked (a burst of parallel guesses cannot all slip through the
 * check), and a successful login takes its count back. Blocked attempts are not counted, so they do not
 * extend a block: a block ends at most one window after the first failure that started it.
 *
 * KEYS: address counter, username counter. ARGV: mode, address limit, username limit, window ms.
 * Returns { allowed (1/0), milliseconds until the blocking counter expires }.
 */
const LOGIN_SCRIPT = `
local mode = ARGV[1]
if mode == "succeeded" then
  if tonumber(redis.call("GET", KEYS[1]) or "0") > 0 then redis.call("DECR", KEYS[1]) end
  redis.call("DEL", KEYS[2])
  return {1, 0}
end
local addressFailures = tonumber(redis.call("GET", KEYS[1]) or "0")
local userFailures = tonumber(redis.call("GET", KEYS[2]) or "0")
if addressFailures >= tonumber(ARGV[2]) then return {0, redis.call("PTTL", KEYS[1])} end
if userFailures >= tonumber(ARGV[3]) then return {0, redis.call("PTTL", KEYS[2])} end
for _, key in ipairs(KEYS) do
  redis.call("INCR", key)
  if redis.call("PTTL", key) < 0 then redis.call("PEXPIRE", key, ARGV[4]) end
end
return {1, 0}
`;

const REDIS_DEADLINE_MS = 2_000;

/**
 * Login throttling per client address AND per username, counting failures only, in Redis so every
 * gateway node counts together. One address alone cannot lock a user out when
 * `maxFailuresPerAddress < maxFailuresPerUser` (the defaults): it is stopped first.
 */
export class RedisLoginThrottle implements LoginThrottle {
  readonly #redis: Redis;
  readonly #namespace: string;
  readonly #limits: LoginLimits;
  constructor(redis: Redis, namespace: string, limits: LoginLimits) {
    this.#redis = redis;
    this.#namespace = namespace;
    this.#limits = limits;
  }

  async begin(address: string, username: string): Promise<LoginVerdict> {
    const [allowed, retryMs] = await this.#run(address, username, "attempt");
    if (allowed === 1) return { allowed: true };
    return { allowed: false, retryAfterSeconds: Math.max(1, Math.ceil(retryMs / 1000)) };
  }

  async succeeded(address: string, username: string): Promise<void> {
    await this.#run(address, username, "succeeded");
  }

  async #run(address: string, username: string, mode: "attempt" | "succeeded"): Promise<[number, number]> {
    const { maxFailuresPerAddress, maxFailuresPerUser, windowMs } = this.#limits;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const deadline = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error("login throttle: Redis deadline passed")), REDIS_DEADLINE_MS);
    });
    try {
      return (await Promise.race([
        this.#redis.eval(
          LOGIN_SCRIPT,
          2,
          loginCounterKey(this.#namespace, "addr", address),
          loginCounterKey(this.#namespace, "user", username),
          mode,
          maxFailuresPerAddress,
          maxFailuresPerUser,
          windowMs,
        ),
        deadline,
      ])) as [number, number];
    } finally {
      clearTimeout(timer);
    }
  }
}

/** The Redis key of a failure counter (the admin script clears a user's). */
export function loginCounterKey(namespace: string, scope: "addr" | "user", value: string): string {
  return `${namespace}:login:${scope}:${value}`;
}
