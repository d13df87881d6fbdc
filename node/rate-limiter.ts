import type Redis from "ioredis";
import type { RateLimiter } from "../gateway/ports.ts";

/**
 * Counts a hit and makes sure the counter expires, in one atomic step: INCR and EXPIRE as two calls
 * left a counter without a TTL when the process died between them, and every later hit then counted
 * against a window that never ended. A counter found without a TTL (left that way before) gets one.
 *
 * KEYS: counter. ARGV: window seconds. Returns the count in the current window.
 */
const HIT_SCRIPT = `
local count = redis.call("INCR", KEYS[1])
if redis.call("TTL", KEYS[1]) < 0 then redis.call("EXPIRE", KEYS[1], ARGV[1]) end
return count
`;

/** Fixed-window counters in Redis, so every gateway node counts the same hits. Keys live under `namespace:`. */
export class RedisRateLimiter implements RateLimiter {
  readonly #redis: Redis;
  readonly #namespace: string;
  constructor(redis: Redis, namespace: string) {
    this.#redis = redis;
    this.#namespace = namespace;
  }

  async hit(key: string, windowSeconds: number): Promise<number> {
    return Number(await this.#redis.eval(HIT_SCRIPT, 1, `${this.#namespace}:${key}`, windowSeconds));
  }
}
