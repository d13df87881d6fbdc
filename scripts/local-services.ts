/**
 * Local infrastructure helpers: health checks and start/stop for NATS (JetStream), Postgres and Redis.
 *
 * Used by `scripts/services.ts` (idempotent "make sure the shared services are up") and by fault-injection
 * tests that run PRIVATE instances on non-standard ports and kill/restart them. Web-standard + `node:` APIs
 * only, so it runs under Bun and Node alike.
 */
import { type ChildProcess, execFile, spawn } from "node:child_process";
import {
  accessSync,
  chmodSync,
  chownSync,
  closeSync,
  constants,
  existsSync,
  mkdirSync,
  openSync,
  readdirSync,
  readFileSync,
} from "node:fs";
import { connect as netConnect } from "node:net";
import { delimiter, dirname, join } from "node:path";
import { jetstreamManager } from "@nats-io/jetstream";
import { connect as natsConnect } from "@nats-io/transport-node";
import Redis from "ioredis";
import postgres from "postgres";

export type StopSignal = NodeJS.Signals;

export interface ServiceHandle {
  /** The spawned process (for Postgres started as root this is the `runuser` wrapper). */
  process: ChildProcess;
  url: string;
  /** Signal the server and wait until it has exited (SIGKILL after `timeoutMs` if it has not). */
  stop(signal?: StopSignal, timeoutMs?: number): Promise<void>;
}

export interface StartOptions {
  port: number;
  dataDir: string;
  /** stdout/stderr are appended here; otherwise they are discarded. */
  logFile?: string;
  /** New process group + unref(): the server survives the exit of the starting process. Default false. */
  detached?: boolean;
  /** How long to wait for the server to answer. */
  timeoutMs?: number;
}

export type Probe = { ok: true } | { ok: false; error: string; code?: string };

const CHECK_TIMEOUT_MS = 2500;

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

function errorOf(err: unknown): { error: string; code?: string } {
  if (err instanceof Error) {
    const code = (err as { code?: unknown }).code;
    return { error: err.message || String(err), ...(typeof code === "string" ? { code } : {}) };
  }
  return { error: String(err) };
}

/** Resolve `fallback` if `promise` has not settled within `ms`; `cleanup` runs when the late result arrives. */
function withTimeout<T>(promise: Promise<T>, ms: number, fallback: T): Promise<T> {
  return new Promise<T>((resolve) => {
    const timer = setTimeout(() => resolve(fallback), ms);
    promise.then(
      (value) => {
        clearTimeout(timer);
        resolve(value);
      },
      () => {
        clearTimeout(timer);
        resolve(fallback);
      },
    );
  });
}

// ---------------------------------------------------------------------------------------------------------
// URLs

/** First server of a NATS_URL (which may be a comma-separated list, with or without scheme). */
export function parseNatsUrl(url: string): { host: string; port: number; server: string } {
  const first = (url.split(",")[0] ?? "").trim();
  const u = new URL(first.includes("://") ? first : `nats://${first}`);
  const host = u.hostname.replace(/^\[|\]$/g, "");
  const port = u.port ? Number(u.port) : 4222;
  return { host, port, server: first };
}

export function parsePostgresUrl(url: string): {
  host: string;
  port: number;
  user: string;
  database: string;
} {
  const u = new URL(url);
  const user = decodeURIComponent(u.username) || "postgres";
  return {
    host: u.hostname.replace(/^\[|\]$/g, "") || "127.0.0.1",
    port: u.port ? Number(u.port) : 5432,
    user,
    database: decodeURIComponent(u.pathname.replace(/^\//, "")) || user,
  };
}

/** The same Postgres URL pointing at another database. */
export function withDatabase(url: string, database: string): string {
  const u = new URL(url);
  u.pathname = `/${encodeURIComponent(database)}`;
  return u.toString();
}

export function parseRedisUrl(url: string): { host: string; port: number } {
  const u = new URL(url.includes("://") ? url : `redis://${url}`);
  return { host: u.hostname.replace(/^\[|\]$/g, "") || "127.0.0.1", port: u.port ? Number(u.port) : 6379 };
}

export function isLoopback(host: string): boolean {
  const h = host.replace(/^\[|\]$/g, "").toLowerCase();
  return h === "localhost" || h === "::1" || /^127(\.\d{1,3}){3}$/.test(h);
}

/** Does anything accept TCP connections on host:port? */
export function portOpen(host: string, port: number, timeoutMs = 1000): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = netConnect({ host, port });
    const done = (ok: boolean) => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(timeoutMs, () => done(false));
    socket.once("connect", () => done(true));
    socket.once("error", () => done(false));
  });
}

// ---------------------------------------------------------------------------------------------------------
// Checks

/** Connects and confirms JetStream is enabled for the account. */
export function probeNats(url: string, timeoutMs = CHECK_TIMEOUT_MS): Promise<Probe> {
  const attempt = async (): Promise<Probe> => {
    const servers = url
      .split(",")
      .map((s) => s.trim())
      .filter(Boolean);
    let nc: Awaited<ReturnType<typeof natsConnect>> | undefined;
    try {
      nc = await natsConnect({ servers, timeout: timeoutMs, reconnect: false, maxReconnectAttempts: 0 });
      const jsm = await jetstreamManager(nc, { timeout: timeoutMs });
      await jsm.getAccountInfo();
      return { ok: true };
    } catch (err) {
      return { ok: false, ...errorOf(err) };
    } finally {
      await nc?.close().catch(() => {});
    }
  };
  return withTimeout(attempt(), timeoutMs + 400, { ok: false, error: "timed out" });
}

export function probePostgres(url: string, timeoutMs = CHECK_TIMEOUT_MS): Promise<Probe> {
  const attempt = async (): Promise<Probe> => {
    const sql = postgres(url, {
      max: 1,
      connect_timeout: Math.max(1, Math.ceil(timeoutMs / 1000)),
      idle_timeout: 1,
      onnotice: () => {},
      connection: { application_name: "local-services-check" },
    });
    try {
      await sql`select 1`;
      return { ok: true };
    } catch (err) {
      return { ok: false, ...errorOf(err) };
    } finally {
      await sql.end({ timeout: 0 }).catch(() => {});
    }
  };
  return withTimeout(attempt(), timeoutMs + 400, { ok: false, error: "timed out" });
}

export function probeRedis(url: string, timeoutMs = CHECK_TIMEOUT_MS): Promise<Probe> {
  const attempt = async (): Promise<Probe> => {
    const redis = new Redis(url, {
      lazyConnect: true,
      maxRetriesPerRequest: 0,
      connectTimeout: timeoutMs,
      enableOfflineQueue: false,
      retryStrategy: () => null,
    });
    redis.on("error", () => {}); // reported through the rejected promise instead
    try {
      await redis.connect();
      await redis.ping();
      return { ok: true };
    } catch (err) {
      return { ok: false, ...errorOf(err) };
    } finally {
      redis.disconnect();
    }
  };
  return withTimeout(attempt(), timeoutMs + 400, { ok: false, error: "timed out" });
}

export const checkNats = async (url: string): Promise<boolean> => (await probeNats(url)).ok;
export const checkPostgres = async (url: string): Promise<boolean> => (await probePostgres(url)).ok;
export const checkRedis = async (url: string): Promise<boolean> => (await probeRedis(url)).ok;

/** Create `database` on the server of `url` (via its `postgres` database) if missing. Returns true if created. */
export async function ensurePostgresDatabase(url: string, database: string): Promise<boolean> {
  const sql = postgres(withDatabase(url, "postgres"), {
    max: 1,
    connect_timeout: 3,
    idle_timeout: 1,
    onnotice: () => {},
  });
  try {
    const rows = await sql`select 1 from pg_database where datname = ${database}`;
    if (rows.length > 0) return false;
    try {
      await sql`create database ${sql(database)}`;
      return true;
    } catch (err) {
      // Someone else created it concurrently.
      const code = (err as { code?: string }).code;
      if (code === "42P04" || code === "23505") return false;
      throw err;
    }
  } finally {
    await sql.end({ timeout: 1 }).catch(() => {});
  }
}

// ---------------------------------------------------------------------------------------------------------
// Binaries

/** Postgres bin directories under /usr/lib/postgresql, highest major version first. */
export function postgresBinDirs(): string[] {
  const root = "/usr/lib/postgresql";
  let versions: string[] = [];
  try {
    versions = readdirSync(root).filter((v) => /^\d+(\.\d+)?$/.test(v));
  } catch {
    return [];
  }
  return versions
    .sort((a, b) => Number.parseFloat(b) - Number.parseFloat(a))
    .map((v) => join(root, v, "bin"))
    .filter((d) => existsSync(d));
}

function isExecutable(path: string): boolean {
  try {
    accessSync(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/** Find `binary` in PATH, then /usr/sbin, /sbin, /usr/local/sbin and /usr/lib/postgresql/<highest>/bin. */
export function which(binary: string): string | undefined {
  if (binary.includes("/")) return isExecutable(binary) ? binary : undefined;
  const dirs = [
    ...(process.env.PATH ?? "").split(delimiter).filter(Boolean),
    "/usr/local/sbin",
    "/usr/sbin",
    "/sbin",
    ...postgresBinDirs(),
  ];
  for (const dir of dirs) {
    const candidate = join(dir, binary);
    if (isExecutable(candidate)) return candidate;
  }
  return undefined;
}

/** Postgres server binaries: prefer the versioned dir (Debian puts only wrappers, if anything, in PATH). */
function postgresBinary(name: "postgres" | "initdb"): string | undefined {
  for (const dir of postgresBinDirs()) {
    const candidate = join(dir, name);
    if (isExecutable(candidate)) return candidate;
  }
  return which(name);
}

// ---------------------------------------------------------------------------------------------------------
// Process plumbing

function hasExited(child: ChildProcess): boolean {
  return child.exitCode !== null || child.signalCode !== null;
}

function waitForExit(child: ChildProcess, timeoutMs: number): Promise<boolean> {
  if (hasExited(child)) return Promise.resolve(true);
  return new Promise((resolve) => {
    const timer = setTimeout(() => {
      child.off("exit", onExit);
      resolve(false);
    }, timeoutMs);
    const onExit = () => {
      clearTimeout(timer);
      resolve(true);
    };
    child.once("exit", onExit);
  });
}

function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as { code?: string }).code === "EPERM";
  }
}

function openLog(logFile: string | undefined): number | "ignore" {
  if (!logFile) return "ignore";
  mkdirSync(dirname(logFile), { recursive: true });
  return openSync(logFile, "a");
}

function tailLog(logFile: string | undefined, lines = 20): string {
  if (!logFile) return "";
  try {
    const text = readFileSync(logFile, "utf8").trimEnd().split("\n").slice(-lines).join("\n");
    return text ? `\n--- last lines of ${logFile} ---\n${text}` : "";
  } catch {
    return "";
  }
}

function launch(
  command: string,
  args: string[],
  opts: { logFile?: string; detached?: boolean; env?: NodeJS.ProcessEnv },
): ChildProcess {
  const out = openLog(opts.logFile);
  try {
    const child = spawn(command, args, {
      detached: opts.detached ?? false,
      stdio: ["ignore", out, out],
      env: opts.env ?? process.env,
    });
    child.on("error", () => {}); // surfaces as an early exit / readiness failure
    if (opts.detached) child.unref();
    return child;
  } finally {
    if (typeof out === "number") closeSync(out); // the child holds its own copy
  }
}

function run(command: string, args: string[]): Promise<void> {
  return new Promise((resolve, reject) => {
    execFile(command, args, { maxBuffer: 16 * 1024 * 1024 }, (err, stdout, stderr) => {
      if (err) reject(new Error(`${command} ${args.join(" ")} failed: ${stderr || stdout || err.message}`));
      else resolve();
    });
  });
}

/** Poll `ready` until true; fail early if the child exits or the deadline passes. */
async function waitUntilReady(
  name: string,
  child: ChildProcess,
  ready: () => Promise<boolean>,
  timeoutMs: number,
  logFile: string | undefined,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (hasExited(child)) {
      throw new Error(
        `${name} exited before becoming ready (code ${child.exitCode}, signal ${child.signalCode})${tailLog(logFile)}`,
      );
    }
    if (await ready()) {
      // The port may belong to a different process that was already listening; make sure ours is alive.
      if (!hasExited(child)) return;
      continue;
    }
    if (Date.now() > deadline) {
      child.kill("SIGKILL");
      throw new Error(`${name} did not become ready within ${timeoutMs} ms${tailLog(logFile)}`);
    }
    await sleep(100);
  }
}

/** Standard stop: signal, wait, escalate to SIGKILL. `target` lets callers signal a different pid. */
function makeStop(child: ChildProcess, target: () => number | undefined = () => child.pid) {
  return async (signal: StopSignal = "SIGTERM", timeoutMs = 10_000): Promise<void> => {
    if (hasExited(child)) return;
    child.ref(); // keep the event loop alive while we wait, even for detached children
    const pid = target();
    try {
      if (pid !== undefined) process.kill(pid, signal);
      else child.kill(signal);
    } catch {
      // already gone
    }
    if (await waitForExit(child, timeoutMs)) return;
    try {
      if (pid !== undefined) process.kill(pid, "SIGKILL");
      child.kill("SIGKILL");
    } catch {
      // already gone
    }
    await waitForExit(child, 5_000);
  };
}

// ---------------------------------------------------------------------------------------------------------
// NATS

export async function startNats(opts: StartOptions): Promise<ServiceHandle> {
  const bin = which("nats-server");
  if (!bin) throw new Error("nats-server not found (apt-get install -y nats-server)");
  mkdirSync(opts.dataDir, { recursive: true });
  const url = `nats://127.0.0.1:${opts.port}`;
  const child = launch(bin, ["-a", "127.0.0.1", "-p", String(opts.port), "-js", "-sd", opts.dataDir], opts);
  const handle: ServiceHandle = { process: child, url, stop: makeStop(child) };
  await waitUntilReady(
    "nats-server",
    child,
    async () => (await portOpen("127.0.0.1", opts.port, 500)) && (await checkNats(url)),
    opts.timeoutMs ?? 15_000,
    opts.logFile,
  );
  return handle;
}

// ---------------------------------------------------------------------------------------------------------
// Redis

export async function startRedis(opts: StartOptions): Promise<ServiceHandle> {
  const bin = which("redis-server");
  if (!bin) throw new Error("redis-server not found (apt-get install -y redis-server)");
  mkdirSync(opts.dataDir, { recursive: true });
  const url = `redis://127.0.0.1:${opts.port}`;
  const args = [
    "--port",
    String(opts.port),
    "--bind",
    "127.0.0.1",
    "--save",
    "",
    "--appendonly",
    "no",
    "--dir",
    opts.dataDir,
    "--daemonize",
    "no",
  ];
  const child = launch(bin, args, opts);
  const handle: ServiceHandle = { process: child, url, stop: makeStop(child) };
  await waitUntilReady(
    "redis-server",
    child,
    async () => (await portOpen("127.0.0.1", opts.port, 500)) && (await checkRedis(url)),
    opts.timeoutMs ?? 15_000,
    opts.logFile,
  );
  return handle;
}

// ---------------------------------------------------------------------------------------------------------
// Postgres

function postgresUser(): { uid: number; gid: number } | undefined {
  try {
    const line = readFileSync("/etc/passwd", "utf8")
      .split("\n")
      .find((l) => l.startsWith("postgres:"));
    if (!line) return undefined;
    const [, , uid, gid] = line.split(":");
    return { uid: Number(uid), gid: Number(gid) };
  } catch {
    return undefined;
  }
}

/** Children of `pid` (Linux /proc). */
function childPids(pid: number): number[] {
  const out: number[] = [];
  try {
    for (const task of readdirSync(`/proc/${pid}/task`)) {
      const text = readFileSync(`/proc/${pid}/task/${task}/children`, "utf8").trim();
      if (text) out.push(...text.split(/\s+/).map(Number));
    }
  } catch {
    // not Linux, or gone
  }
  return out;
}

/** PID of the postmaster: first line of postmaster.pid, else the child of the runuser wrapper. */
function postmasterPid(dataDir: string, child: ChildProcess, viaRunuser: boolean): number | undefined {
  try {
    const pid = Number(readFileSync(join(dataDir, "postmaster.pid"), "utf8").split("\n")[0]);
    if (Number.isInteger(pid) && pid > 0 && pidAlive(pid)) return pid;
  } catch {
    // not written yet, or removed on shutdown
  }
  if (!viaRunuser) return child.pid;
  return child.pid === undefined ? undefined : childPids(child.pid)[0];
}

/**
 * Start a private Postgres cluster in `dataDir` (initdb on first use; reused on later starts, also after a
 * SIGKILL). As root, initdb/postgres run as the `postgres` user via `runuser`; `stop()` signals the
 * postmaster itself because runuser would turn every signal into SIGTERM-then-SIGKILL.
 *
 * Signal semantics: SIGTERM is sent as SIGINT ("fast" shutdown: disconnect clients, checkpoint, exit) because
 * Postgres' SIGTERM "smart" shutdown waits for every client — including pooled test connections — to leave.
 * SIGKILL also kills the postmaster's backends, so a restart on the same dir is not blocked by orphans still
 * attached to the old shared memory; the restart then performs normal crash recovery.
 */
export async function startPostgres(opts: StartOptions): Promise<ServiceHandle> {
  const postgresBin = postgresBinary("postgres");
  const initdbBin = postgresBinary("initdb");
  if (!postgresBin || !initdbBin) throw new Error("postgres not found (apt-get install -y postgresql)");
  const asRoot = process.getuid?.() === 0;
  const runuser = asRoot ? which("runuser") : undefined;
  if (asRoot && !runuser) throw new Error("running as root but runuser is not available");
  const wrap = (bin: string, args: string[]): [string, string[]] =>
    runuser ? [runuser, ["-u", "postgres", "--", bin, ...args]] : [bin, args];

  const dir = opts.dataDir;
  mkdirSync(dir, { recursive: true });
  if (asRoot) {
    const ids = postgresUser();
    if (!ids) throw new Error("running as root but there is no postgres user");
    chownSync(dir, ids.uid, ids.gid);
  }
  chmodSync(dir, 0o700);

  if (!existsSync(join(dir, "PG_VERSION"))) {
    const [cmd, args] = wrap(initdbBin, [
      "-D",
      dir,
      "-A",
      "trust",
      "-U",
      "postgres",
      "--no-sync",
      "--encoding=UTF8",
      "--locale=C.UTF-8",
    ]);
    await run(cmd, args);
  }

  // Unix socket paths are limited to ~107 bytes; skip the socket rather than fail for deep temp dirs.
  const socketDir = `${dir}/.s.PGSQL.${opts.port}`.length < 100 ? dir : "";
  const [cmd, args] = wrap(postgresBin, [
    "-D",
    dir,
    "-p",
    String(opts.port),
    "-k",
    socketDir,
    "-c",
    "listen_addresses=127.0.0.1",
    "-c",
    "fsync=on",
  ]);
  const child = launch(cmd, args, opts);
  const url = `postgres://postgres@127.0.0.1:${opts.port}/postgres`;
  const viaRunuser = runuser !== undefined;

  const stop = async (signal: StopSignal = "SIGTERM", timeoutMs = 15_000): Promise<void> => {
    if (hasExited(child)) return;
    child.ref();
    const pid = postmasterPid(dir, child, viaRunuser);
    const sig: StopSignal = signal === "SIGTERM" ? "SIGINT" : signal;
    const backends = sig === "SIGKILL" && pid !== undefined ? childPids(pid) : [];
    const kill = (p: number | undefined, s: StopSignal) => {
      try {
        if (p !== undefined) process.kill(p, s);
      } catch {
        // already gone
      }
    };
    kill(pid ?? child.pid, sig);
    for (const b of backends) kill(b, "SIGKILL");
    if (!(await waitForExit(child, timeoutMs))) {
      kill(pid, "SIGKILL");
      kill(child.pid, "SIGKILL");
      await waitForExit(child, 5_000);
    }
    // Make sure the postmaster itself is gone before reporting (runuser may exit first).
    const deadline = Date.now() + 5_000;
    while (pid !== undefined && pidAlive(pid) && Date.now() < deadline) await sleep(50);
  };

  const handle: ServiceHandle = { process: child, url, stop };
  await waitUntilReady(
    "postgres",
    child,
    async () => (await portOpen("127.0.0.1", opts.port, 500)) && (await checkPostgres(url)),
    opts.timeoutMs ?? 30_000,
    opts.logFile,
  );
  await ensurePostgresDatabase(url, "test");
  return handle;
}
