/**
 * Removes everything one namespace created (streams, KV buckets, Postgres schema, Redis keys and the
 * generated secrets key). `.ci/run` uses it after its smoke start, so CI leaves nothing behind that a
 * newcomer's first `npm start` on the same machine would trip over. Only test (`t_…`) and bench
 * (`bench_…`) namespaces.
 *
 *   bun run scripts/drop-namespace.ts t_cismoke_1a2b3c
 *   bun run scripts/drop-namespace.ts --stale-bench [minutes]   # bench leftovers idle that long (60)
 *
 * `--stale-bench` drops bench namespaces a killed bench left behind: created and last written more than
 * `minutes` ago, with no live node heartbeat. It never touches test namespaces (other sessions' tests
 * may be running).
 */
import { dropNamespace, staleBenchNamespaces } from "./namespaces.ts";

const urls = {
  natsUrl: process.env.NATS_URL ?? "nats://127.0.0.1:4222",
  databaseUrl: process.env.DATABASE_URL ?? "postgres://postgres@127.0.0.1:5432/postgres",
  redisUrl: process.env.REDIS_URL ?? "redis://127.0.0.1:6379",
};
// The tests' harness keeps its schemas in the `test` database: drop there too for t_ namespaces.
const testDatabaseUrl = process.env.TEST_DATABASE_URL ?? "postgres://postgres@127.0.0.1:5432/test";

const [arg, minutes] = process.argv.slice(2);
if (arg === "--stale-bench") {
  const idleMs = Number(minutes ?? 60) * 60_000;
  if (!Number.isFinite(idleMs) || idleMs <= 0) {
    console.error("usage: bun run scripts/drop-namespace.ts --stale-bench [minutes > 0]");
    process.exit(2);
  }
  const stale = await staleBenchNamespaces(urls.natsUrl, idleMs);
  for (const namespace of stale) {
    await dropNamespace(namespace, urls);
    console.log(`dropped stale bench namespace ${namespace}`);
  }
  console.log(`${stale.length} stale bench namespace(s) dropped`);
} else if (arg && /^(t|bench)_\w+$/.test(arg)) {
  await dropNamespace(arg, urls);
  if (arg.startsWith("t_")) await dropNamespace(arg, { ...urls, databaseUrl: testDatabaseUrl });
  console.log(`dropped namespace ${arg}`);
} else {
  console.error(
    "usage: bun run scripts/drop-namespace.ts <t_… | bench_… namespace> | --stale-bench [minutes]",
  );
  process.exit(2);
}
