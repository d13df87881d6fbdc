/**
 * Make sure NATS (with JetStream), Postgres and Redis are reachable; start missing local ones.
 *
 *   bun run scripts/services.ts
 *
 * Idempotent. Reads NATS_URL, DATABASE_URL and REDIS_URL (defaults: the standard local ports). A service that
 * answers is left alone. A service that does not answer on a loopback URL is started detached (it outlives
 * this script) with its data in .data/<service>/ and its log in .data/<service>.log. The database named in
 * DATABASE_URL is created when missing. Exit 0 when all three answer, 1 otherwise.
 */
import { dirname, join, relative, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import {
  ensurePostgresDatabase,
  isLoopback,
  type Probe,
  parseNatsUrl,
  parsePostgresUrl,
  parseRedisUrl,
  portOpen,
  probeNats,
  probePostgres,
  probeRedis,
  type ServiceHandle,
  type StartOptions,
  startNats,
  startPostgres,
  startRedis,
  which,
  withDatabase,
} from "./local-services.ts";

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "..");
const DATA = join(ROOT, ".data");

const NATS_URL = process.env.NATS_URL || "nats://127.0.0.1:4222";
const DATABASE_URL = process.env.DATABASE_URL || "postgres://postgres@127.0.0.1:5432/postgres";
const REDIS_URL = process.env.REDIS_URL || "redis://127.0.0.1:6379";

interface Outcome {
  ok: boolean;
  lines: string[];
  /** apt package to install when the server binary is missing. */
  missingPackage?: string;
}

interface Service {
  name: string;
  url: string;
  host: string;
  port: number;
  binary: string;
  aptPackage: string;
  note: string;
  probe: () => Promise<Probe>;
  start: (opts: StartOptions) => Promise<ServiceHandle>;
  /** Runs after the server answers (e.g. create the database). Returns an extra note, if any. */
  after?: () => Promise<string | undefined>;
}

const label = (name: string) => name.padEnd(9);

async function ensure(svc: Service): Promise<Outcome> {
  const finish = async (prefix: string, extra = ""): Promise<Outcome> => {
    try {
      const note = (await svc.after?.()) ?? "";
      return { ok: true, lines: [`${prefix}${label(svc.name)}${svc.url}${svc.note}${extra}${note}`] };
    } catch (err) {
      return { ok: false, lines: [`✗ ${label(svc.name)}${svc.url}: ${(err as Error).message}`] };
    }
  };

  const probe = await svc.probe();
  if (probe.ok) return finish("✓ ");

  const fail = (why: string, missingPackage?: string): Outcome => ({
    ok: false,
    lines: [`✗ ${label(svc.name)}${svc.url}: ${why}`],
    ...(missingPackage ? { missingPackage } : {}),
  });

  if (await portOpen(svc.host, svc.port)) {
    return fail(`something answers on port ${svc.port} but the check failed: ${probe.error}`);
  }
  if (!isLoopback(svc.host))
    return fail(`not reachable (${probe.error}); not a local host, so not starting it`);
  if (!which(svc.binary)) return fail(`not running and ${svc.binary} is not installed`, svc.aptPackage);

  const logFile = join(DATA, `${svc.name}.log`);
  try {
    const handle = await svc.start({
      port: svc.port,
      dataDir: join(DATA, svc.name),
      logFile,
      detached: true,
    });
    return finish("✓ started ", ` (pid ${handle.process.pid}, log ${relative(ROOT, logFile)})`);
  } catch (err) {
    return fail(`failed to start: ${(err as Error).message}`);
  }
}

const nats = parseNatsUrl(NATS_URL);
const pg = parsePostgresUrl(DATABASE_URL);
const redis = parseRedisUrl(REDIS_URL);
const pgAdminUrl = withDatabase(DATABASE_URL, "postgres");

const services: Service[] = [
  {
    name: "nats",
    url: NATS_URL,
    host: nats.host,
    port: nats.port,
    binary: "nats-server",
    aptPackage: "nats-server",
    note: " (JetStream on)",
    probe: () => probeNats(NATS_URL),
    start: startNats,
  },
  {
    name: "postgres",
    url: DATABASE_URL,
    host: pg.host,
    port: pg.port,
    binary: "postgres",
    aptPackage: "postgresql",
    note: "",
    // Probe the server through its `postgres` database so a missing target database is not "server down".
    probe: () => probePostgres(pgAdminUrl),
    start: startPostgres,
    after: async () =>
      (await ensurePostgresDatabase(DATABASE_URL, pg.database))
        ? ` (created database ${pg.database})`
        : undefined,
  },
  {
    name: "redis",
    url: REDIS_URL,
    host: redis.host,
    port: redis.port,
    binary: "redis-server",
    aptPackage: "redis-server",
    note: "",
    probe: () => probeRedis(REDIS_URL),
    start: startRedis,
  },
];

const outcomes = await Promise.all(services.map(ensure));
for (const o of outcomes) for (const line of o.lines) console.log(line);

const missing = outcomes.flatMap((o) => (o.missingPackage ? [o.missingPackage] : []));
if (missing.length > 0)
  console.log(`\nInstall the missing servers with:\n  apt-get install -y ${missing.join(" ")}`);

process.exit(outcomes.every((o) => o.ok) ? 0 : 1);
