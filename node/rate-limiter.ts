import type Redis from "ioredis";
import type { RateLimiter } from "../gateway/ports.ts";

/** Fixed-window counters in Redis, so every gateway node counts the same hits. Keys live under `namespace:`. */
export class RedisRateLimiter implements RateLimiter {
  readonly #redis: Redis;
  readonly #namespace: string;
  constructor(redis: Redis, namespace: string) {
    this.#redis = redis;
    this.#namespace = namespace;
  }

  async hit(key: string, windowSeconds: number): Promise<number> {
    const namespaced = `${this.#namespace}:${key}`;
    const count = await this.#redis.incr(namespaced);
    if (count === 1) await this.#redis.expire(namespaced, windowSeconds);
    return count;
  }
}
