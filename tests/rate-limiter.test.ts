/**
 * The fixed-window rate limiter (payments, logins' neighbours) must never leave a counter without a TTL:
 * INCR then EXPIRE as two calls left a key that never expired when the process died between them, and
 * every later hit was counted against a window that never ended (a permanent lockout).
 */
import { afterAll, beforeAll, expect, test } from "bun:test";
import Redis from "ioredis";
import { RedisRateLimiter } from "../node/rate-limiter.ts";
import { REDIS_URL, testNamespace } from "./support/harness.ts";

const ns = testNamespace("ratelimit");
let redis: Redis;

beforeAll(() => {
  redis = new Redis(REDIS_URL, { lazyConnect: false, maxRetriesPerRequest: 1 });
});

afterAll(async () => {
  const keys = await redis.keys(`${ns}:*`);
  if (keys.length > 0) await redis.del(...keys);
  redis.disconnect();
});

test("rate limiter - every hit leaves its counter with a TTL, also a counter a crash left without one", async () => {
  const limiter = new RedisRateLimiter(redis, ns);
  for (let i = 1; i <= 5; i++) {
    expect(await limiter.hit("pay:u1", 60)).toBe(i);
    const ttl = await redis.ttl(`${ns}:pay:u1`);
    expect(ttl, `TTL after hit ${i}`).toBeGreaterThan(0);
    expect(ttl).toBeLessThanOrEqual(60);
  }
  // What INCR without its EXPIRE left behind (the process died between the two calls).
  await redis.set(`${ns}:pay:u2`, "7");
  expect(await redis.ttl(`${ns}:pay:u2`)).toBe(-1);
  expect(await limiter.hit("pay:u2", 30)).toBe(8);
  const healed = await redis.ttl(`${ns}:pay:u2`);
  expect(healed, "a counter without TTL gets one on the next hit").toBeGreaterThan(0);
  expect(healed).toBeLessThanOrEqual(30);
});

test("rate limiter - concurrent hits count exactly once each, in one window", async () => {
  const limiter = new RedisRateLimiter(redis, ns);
  const counts = await Promise.all(Array.from({ length: 50 }, () => limiter.hit("burst", 60)));
  expect(counts.sort((a, b) => a - b)).toEqual(Array.from({ length: 50 }, (_, i) => i + 1));
  expect(await redis.ttl(`${ns}:burst`)).toBeGreaterThan(0);
});
