import { afterAll, expect, test } from "bun:test";
import Redis from "ioredis";
import postgres from "postgres";
import { type PrivateStack, startPrivateStack, timed } from "./harness.ts";

let stack: PrivateStack | undefined;
afterAll(async () => {
  await stack?.destroy();
});

/** A query with a 1 s answer window: `hung` means nothing answered (a paused server). */
async function pgAnswers(url: string): Promise<"ok" | "error" | "hung"> {
  const sql = postgres(url, { max: 1, connect_timeout: 1, onnotice: () => undefined });
  try {
    const r = await timed(
      () =>
        sql`SELECT 1`.then(
          () => "ok" as const,
          () => "error" as const,
        ),
      1_000,
    );
    return r.hung ? "hung" : (r.value ?? "hung");
  } finally {
    void sql.end({ timeout: 0 }).catch(() => undefined);
  }
}

async function redisAnswers(url: string): Promise<"ok" | "error" | "hung"> {
  const redis = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null });
  redis.on("error", () => undefined);
  try {
    const r = await timed(
      () =>
        redis
          .connect()
          .then(() => redis.ping())
          .then(
            () => "ok" as const,
            () => "error" as const,
          ),
      1_000,
    );
    return r.hung ? "hung" : (r.value ?? "hung");
  } finally {
    redis.disconnect();
  }
}

test("fault harness - private Postgres and Redis can be paused, resumed, killed and restarted", async () => {
  stack = await startPrivateStack("harness", ["postgres", "redis"]);
  const pg = stack.postgres!;
  const redis = stack.redis!;
  expect(pg.port).not.toBe(5432);
  expect(redis.port).not.toBe(6379);
  expect([await pgAnswers(pg.url), await redisAnswers(redis.url)]).toEqual(["ok", "ok"]);

  pg.pause();
  redis.pause();
  expect([await pgAnswers(pg.url), await redisAnswers(redis.url)]).toEqual(["hung", "hung"]);
  pg.resume();
  redis.resume();
  expect([await pgAnswers(pg.url), await redisAnswers(redis.url)]).toEqual(["ok", "ok"]);

  await Promise.all([pg.kill(), redis.kill()]);
  expect([pg.running(), redis.running()]).toEqual([false, false]);
  expect([await pgAnswers(pg.url), await redisAnswers(redis.url)]).toEqual(["error", "error"]);
  await Promise.all([pg.start(), redis.start()]);
  expect([await pgAnswers(pg.url), await redisAnswers(redis.url)]).toEqual(["ok", "ok"]);
}, 120_000);
