/**
 * Private namespaces on the shared services: what one namespace created (JetStream streams and KV
 * buckets, its Postgres schema, its Redis keys, the secrets key generated beside a node) and how to drop
 * it. Tests (`t_…`) and benches (`bench_…`) each run in their own namespace and drop it afterwards;
 * `scripts/drop-namespace.ts` drops one by hand, or the bench leftovers nobody uses any more.
 *
 * Only `t_…` and `bench_…` namespaces can be dropped: a mistaken call never reaches a real deployment's
 * data.
 */
import { existsSync, readdirSync, rmSync, statSync } from "node:fs";
import { dirname, join } from "node:path";
import { jetstreamManager } from "@nats-io/jetstream";
import { connect } from "@nats-io/transport-node";
import Redis from "ioredis";
import postgres from "postgres";
import { streamNames } from "../storage/jetstream/streams.ts";
import { defaultSecretsKeyFile } from "../storage/secrets.ts";

export interface ServiceUrls {
  natsUrl: string;
  databaseUrl: string;
  redisUrl: string;
}

/** The KV buckets a node creates (`<namespace>_<bucket>`, stream `KV_<namespace>_<bucket>`). */
const KV_BUCKETS = ["shard_leases", "nodes", "singletons"];

const DROPPABLE = /^(t|bench)_\w+$/;

/** Every JetStream stream one namespace owns, by exact name (a prefix would reach `<ns>_more` too). */
export function namespaceStreams(namespace: string): string[] {
  const bucketPrefix = namespace.replace(/\W/g, "_");
  return [
    ...Object.values(streamNames(namespace)),
    ...KV_BUCKETS.map((bucket) => `KV_${bucketPrefix}_${bucket}`),
  ];
}

/** Removes everything `namespace` created; what is already gone is skipped. */
export async function dropNamespace(namespace: string, urls: ServiceUrls): Promise<void> {
  if (!DROPPABLE.test(namespace)) {
    throw new Error(`refusing to drop ${namespace}: only test (t_…) and bench (bench_…) namespaces`);
  }
  const nc = await connect({ servers: urls.natsUrl, timeout: 3_000 }).catch(() => undefined);
  if (nc) {
    const jsm = await jetstreamManager(nc);
    for (const name of namespaceStreams(namespace)) await jsm.streams.delete(name).catch(() => undefined);
    await nc.close();
  }
  const sql = postgres(urls.databaseUrl, { max: 1, onnotice: () => undefined });
  await sql.unsafe(`DROP SCHEMA IF EXISTS "${namespace}" CASCADE`).catch(() => undefined);
  await sql.end();
  rmSync(dirname(defaultSecretsKeyFile(namespace)), { recursive: true, force: true });
  const redis = new Redis(urls.redisUrl, { lazyConnect: true, maxRetriesPerRequest: 1 });
  redis.on("error", () => undefined);
  await redis.connect().catch(() => undefined);
  const keys = await redis.keys(`${namespace}:*`).catch(() => [] as string[]);
  if (keys.length) await redis.del(...keys).catch(() => undefined);
  redis.disconnect();
}

/**
 * Bench namespaces left behind (a bench killed before it could drop its namespace, or one that dropped
 * only part of it) that nobody uses: every stream of theirs was created and last written more than
 * `olderThanMs` ago, and no node has a live heartbeat in them; or, with no stream left at all, only their
 * secrets-key folder remains, untouched that long. Test namespaces (`t_…`) are never listed: tests of
 * other sessions may be running.
 */
export async function staleBenchNamespaces(natsUrl: string, olderThanMs: number): Promise<string[]> {
  const now = Date.now();
  const lastUse = new Map<string, number>();
  const inUse = new Set<string>();
  const nc = await connect({ servers: natsUrl, timeout: 3_000 });
  try {
    const jsm = await jetstreamManager(nc);
    for await (const info of jsm.streams.list()) {
      const name = info.config.name;
      const namespace =
        /^(BENCH_\w+)_(?:EVENTS|SNAPSHOTS|TIMERS)$/.exec(name)?.[1]?.toLowerCase() ??
        /^KV_(bench_\w+)_(?:shard_leases|nodes|singletons)$/.exec(name)?.[1];
      if (!namespace || !namespaceStreams(namespace).includes(name)) continue;
      const last = Date.parse(info.state.last_ts);
      const used = Math.max(Date.parse(info.created), Number.isFinite(last) ? last : 0);
      lastUse.set(namespace, Math.max(lastUse.get(namespace) ?? 0, used));
      if (name === `KV_${namespace}_nodes` && info.state.messages > 0) inUse.add(namespace);
    }
  } finally {
    await nc.close();
  }
  const keys = dirname(dirname(defaultSecretsKeyFile("bench_x")));
  for (const entry of existsSync(keys) ? readdirSync(keys) : []) {
    if (!/^bench_\w+$/.test(entry) || lastUse.has(entry)) continue;
    lastUse.set(entry, statSync(join(keys, entry)).mtimeMs);
  }
  return [...lastUse]
    .filter(([namespace, used]) => !inUse.has(namespace) && now - used >= olderThanMs)
    .map(([namespace]) => namespace)
    .sort();
}

/**
 * Every bench namespace with something left on the services: a stream or KV bucket, a Postgres schema
 * in `databaseUrl`'s database, or a secrets-key folder (`bench:smoke` checks a run adds none).
 */
export async function benchNamespacesPresent(urls: ServiceUrls): Promise<Set<string>> {
  const found = new Set<string>(await staleBenchNamespaces(urls.natsUrl, 0));
  // Namespaces in use are not "stale"; list them too.
  const nc = await connect({ servers: urls.natsUrl, timeout: 3_000 });
  try {
    const jsm = await jetstreamManager(nc);
    for await (const name of jsm.streams.names()) {
      const namespace =
        /^(BENCH_\w+)_(?:EVENTS|SNAPSHOTS|TIMERS)$/.exec(name)?.[1]?.toLowerCase() ??
        /^KV_(bench_\w+)_(?:shard_leases|nodes|singletons)$/.exec(name)?.[1];
      if (namespace) found.add(namespace);
    }
  } finally {
    await nc.close();
  }
  const sql = postgres(urls.databaseUrl, { max: 1, onnotice: () => undefined });
  try {
    const rows = await sql`SELECT nspname FROM pg_namespace WHERE nspname LIKE 'bench\\_%'`;
    for (const row of rows) found.add(row.nspname as string);
  } finally {
    await sql.end();
  }
  return found;
}
