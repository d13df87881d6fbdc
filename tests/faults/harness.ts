/**
 * Fault-injection harness: PRIVATE NATS, Postgres and Redis on free ports with their own data folders
 * (the shared services on 4222/5432/6379 are never touched), faults to inject into them (stop, SIGKILL,
 * SIGSTOP/SIGCONT, restart), a load generator that records every answer, a reader of the JetStream
 * event log to check answers against, and timing helpers for recovery figures.
 *
 * Used by the quick cases in `tests/faults/*.test.ts` (run by `npm test`) and by the long ones in
 * `tests/faults/run.ts` (`npm run faults`).
 */
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { jetstreamManager } from "@nats-io/jetstream";
import { connect } from "@nats-io/transport-node";
import type { LogBatch } from "../../actors/runtime/index.ts";
import type { HubNode } from "../../hub-node.ts";
import {
  type ServiceHandle,
  startNats,
  startPostgres,
  startRedis,
  which,
} from "../../scripts/local-services.ts";
import { streamNames } from "../../storage/jetstream/streams.ts";
import { cleanupNamespace, startTestNode, testNamespace } from "../support/harness.ts";

export { testNamespace };

/** Where Debian's PostgreSQL 15 server binaries live (the fault suite runs them as user `postgres`). */
export const POSTGRES_BIN_DIR = process.env.FAULTS_POSTGRES_BIN ?? "/usr/lib/postgresql/15/bin";

/** A free TCP port on 127.0.0.1 (the OS picks it, so parallel suites never collide). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      const port = typeof address === "object" && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

export type ServiceKind = "nats" | "postgres" | "redis";

/** One private server and the faults that can be injected into it. */
export interface PrivateService {
  kind: ServiceKind;
  url: string;
  port: number;
  dataDir: string;
  running(): boolean;
  /** Clean stop (Postgres: fast shutdown, clients disconnected). */
  stop(): Promise<void>;
  /** SIGKILL: no shutdown, data as it was on disk. */
  kill(): Promise<void>;
  /** SIGSTOP the server and its worker processes: connections stay open, nothing answers. */
  pause(): void;
  /** SIGCONT what `pause` stopped. */
  resume(): void;
  /** Starts it again on the same port and data folder (after stop or kill). */
  start(): Promise<void>;
  /** Stops it and removes its data folder. */
  destroy(): Promise<void>;
}

/** Fails with what to install when the binaries are missing (a skipped fault test would hide that). */
export function requireServerBinaries(kinds: ServiceKind[]): void {
  const missing: string[] = [];
  if (kinds.includes("nats") && !which("nats-server"))
    missing.push("nats-server (apt-get install -y nats-server)");
  if (kinds.includes("redis") && !which("redis-server"))
    missing.push("redis-server (apt-get install -y redis-server)");
  if (kinds.includes("postgres")) {
    for (const bin of ["initdb", "postgres"]) {
      if (!existsSync(join(POSTGRES_BIN_DIR, bin)))
        missing.push(
          `${join(POSTGRES_BIN_DIR, bin)} (apt-get install -y postgresql-15, or set FAULTS_POSTGRES_BIN)`,
        );
    }
    if (process.getuid?.() === 0 && !which("runuser"))
      missing.push("runuser (util-linux), to run Postgres as postgres");
  }
  if (missing.length > 0)
    throw new Error(
      `the fault suite needs private servers it cannot start; missing:\n  ${missing.join("\n  ")}`,
    );
}

function signal(pid: number | undefined, sig: NodeJS.Signals): void {
  if (pid === undefined) return;
  try {
    process.kill(pid, sig);
  } catch {
    // already gone
  }
}

/** Every descendant of `pid` (Linux /proc), deepest last. */
function descendants(pid: number): number[] {
  const out: number[] = [];
  const visit = (p: number) => {
    let tasks: string[] = [];
    try {
      tasks = readdirSync(`/proc/${p}/task`);
    } catch {
      return;
    }
    for (const task of tasks) {
      try {
        const text = readFileSync(`/proc/${p}/task/${task}/children`, "utf8").trim();
        for (const child of text ? text.split(/\s+/).map(Number) : []) {
          out.push(child);
          visit(child);
        }
      } catch {
        // gone meanwhile
      }
    }
  };
  visit(pid);
  return out;
}

function postmasterPid(dataDir: string): number | undefined {
  try {
    const pid = Number(readFileSync(join(dataDir, "postmaster.pid"), "utf8").split("\n")[0]);
    return Number.isInteger(pid) && pid > 0 ? pid : undefined;
  } catch {
    return undefined;
  }
}

async function privateService(
  kind: ServiceKind,
  label: string,
  starter: (opts: { port: number; dataDir: string; logFile: string }) => Promise<ServiceHandle>,
  urlFor: (port: number) => string,
): Promise<PrivateService> {
  const port = await freePort();
  const dataDir = mkdtempSync(join(tmpdir(), `hub-faults-${kind}-${label}-`));
  const logFile = `${dataDir}.log`;
  let handle: ServiceHandle | undefined;
  let paused: number[] = [];
  const serverPid = () => (kind === "postgres" ? postmasterPid(dataDir) : handle?.process.pid);
  const running = () =>
    handle !== undefined && handle.process.exitCode === null && handle.process.signalCode === null;
  const service: PrivateService = {
    kind,
    port,
    dataDir,
    url: urlFor(port),
    running,
    async start() {
      if (running()) return;
      handle = await starter({ port, dataDir, logFile });
    },
    async stop() {
      service.resume();
      await handle?.stop("SIGTERM");
    },
    async kill() {
      service.resume();
      await handle?.stop("SIGKILL");
    },
    pause() {
      const pid = serverPid();
      if (pid === undefined) throw new Error(`${kind} is not running; nothing to pause`);
      // Postgres serves every connection from its own backend process: stopping only the postmaster
      // would leave open connections answering.
      paused = [pid, ...(kind === "postgres" ? descendants(pid) : [])];
      for (const p of paused) signal(p, "SIGSTOP");
    },
    resume() {
      for (const p of paused) signal(p, "SIGCONT");
      paused = [];
    },
    async destroy() {
      await service.kill().catch(() => undefined);
      rmSync(dataDir, { recursive: true, force: true });
      rmSync(logFile, { force: true });
    },
  };
  await service.start();
  return service;
}

export function startPrivateNats(label = "nats"): Promise<PrivateService> {
  requireServerBinaries(["nats"]);
  return privateService("nats", label, startNats, (port) => `nats://127.0.0.1:${port}`);
}

export function startPrivateRedis(label = "redis"): Promise<PrivateService> {
  requireServerBinaries(["redis"]);
  return privateService("redis", label, startRedis, (port) => `redis://127.0.0.1:${port}`);
}

/** PostgreSQL 15 from `POSTGRES_BIN_DIR`: initdb on first start, run as user `postgres` when we are root. */
export function startPrivatePostgres(label = "pg"): Promise<PrivateService> {
  requireServerBinaries(["postgres"]);
  return privateService(
    "postgres",
    label,
    (opts) => startPostgres({ ...opts, timeoutMs: 60_000 }),
    (port) => `postgres://postgres@127.0.0.1:${port}/postgres`,
  );
}

/** The three private servers a node needs; any of them can be replaced by the shared one. */
export interface PrivateStack {
  nats: PrivateService | undefined;
  postgres: PrivateService | undefined;
  redis: PrivateService | undefined;
  /** Overrides for `startTestNode`/`loadConfig` pointing a node at this stack. */
  env: Record<string, string>;
  destroy(): Promise<void>;
}

/** Starts the requested private servers in parallel; the others stay the shared ones. */
export async function startPrivateStack(
  label: string,
  kinds: ServiceKind[] = ["nats", "postgres", "redis"],
): Promise<PrivateStack> {
  requireServerBinaries(kinds);
  const [nats, postgres, redis] = await Promise.all([
    kinds.includes("nats") ? startPrivateNats(label) : undefined,
    kinds.includes("postgres") ? startPrivatePostgres(label) : undefined,
    kinds.includes("redis") ? startPrivateRedis(label) : undefined,
  ]);
  const env: Record<string, string> = {};
  if (nats) env.NATS_URL = nats.url;
  if (postgres) env.DATABASE_URL = postgres.url;
  if (redis) env.REDIS_URL = redis.url;
  return {
    nats,
    postgres,
    redis,
    env,
    async destroy() {
      await Promise.all([nats?.destroy(), postgres?.destroy(), redis?.destroy()]);
    },
  };
}

/** An in-process node wired to the stack (tests call its app with `app.request`). */
export function startFaultNode(
  namespace: string,
  stack: PrivateStack,
  overrides: Record<string, string> = {},
): Promise<HubNode> {
  return startTestNode(namespace, { ...stack.env, ...overrides });
}

/** Removes the namespace from whichever shared servers the stack did not replace. */
export async function cleanupFaultNamespace(namespace: string, stack: PrivateStack): Promise<void> {
  await cleanupNamespace(namespace, stack.nats ? "nats://127.0.0.1:1" : undefined).catch(() => undefined);
}

/** One event-log message, as an auditor reads it. */
export interface LoggedBatch {
  seq: number;
  subject: string;
  batch: LogBatch;
}

/** Reads the whole `<NS>_EVENTS` stream (the public event log) from `natsUrl`. */
export async function readEventLog(natsUrl: string, namespace: string): Promise<LoggedBatch[]> {
  const nc = await connect({ servers: natsUrl, timeout: 5_000 });
  try {
    const jsm = await jetstreamManager(nc, { timeout: 10_000 });
    const stream = streamNames(namespace).events;
    const info = await jsm.streams.info(stream);
    const out: LoggedBatch[] = [];
    if (info.state.messages === 0) return out;
    const consumer = await jsm.jetstream().consumers.get(stream);
    const messages = await consumer.consume({ max_messages: 1_000 });
    for await (const msg of messages) {
      out.push({ seq: msg.seq, subject: msg.subject, batch: msg.json<LogBatch>() });
      if (msg.seq >= info.state.last_seq) break;
    }
    await messages.close();
    return out;
  } finally {
    await nc.close();
  }
}

/** Every event of `type` in the log, flattened. */
export function eventsOfType(log: LoggedBatch[], type: string): Array<Record<string, unknown>> {
  return log.flatMap((m) => m.batch.ev.filter((e) => e.type === type));
}

/** One answer seen by the load generator. */
export interface Answer {
  /** What the request was about (e.g. the order id), to match against the log. */
  key: string;
  op: string;
  status: number;
  /** ms since the load started. */
  at: number;
  ms: number;
  retryAfter: string | null;
  problemType: string | undefined;
}

export type Operation = (i: number) => Promise<Omit<Answer, "at" | "ms">>;

/**
 * Runs `workers` concurrent loops of `operation` until `stop()`; every answer is recorded with its
 * start time and duration. A thrown error counts as status 0 (the client could not get any answer).
 */
export class Load {
  readonly answers: Answer[] = [];
  readonly started = performance.now();
  #stopping = false;
  #next = 0;
  readonly #done: Promise<void>;

  constructor(operation: Operation, workers = 8) {
    const loop = async () => {
      while (!this.#stopping) {
        const i = this.#next++;
        const at = performance.now() - this.started;
        let answer: Omit<Answer, "at" | "ms">;
        try {
          answer = await operation(i);
        } catch (error) {
          answer = { key: String(i), op: "error", status: 0, retryAfter: null, problemType: String(error) };
        }
        this.answers.push({ ...answer, at, ms: performance.now() - this.started - at });
      }
    };
    this.#done = Promise.all(Array.from({ length: workers }, loop)).then(() => undefined);
  }

  now(): number {
    return performance.now() - this.started;
  }

  async stop(): Promise<Answer[]> {
    this.#stopping = true;
    await this.#done;
    return this.answers;
  }

  /** Answers whose request started in [from, to) (ms since start). */
  between(from: number, to = Number.POSITIVE_INFINITY): Answer[] {
    return this.answers.filter((a) => a.at >= from && a.at < to);
  }
}

/** Counts answers by `op status`, e.g. `{ "reserve 201": 812, "order 503": 40 }`, for failure messages. */
export function tally(answers: Answer[]): Record<string, number> {
  const out: Record<string, number> = Object.create(null);
  for (const a of answers) {
    const k = `${a.op} ${a.status}`;
    out[k] = (out[k] ?? 0) + 1;
  }
  return out;
}

/** Polls `check` every `intervalMs` until it is true; returns the ms it took. Throws after `timeoutMs`. */
export async function timeUntil(
  check: () => boolean | Promise<boolean>,
  timeoutMs: number,
  what: string,
  intervalMs = 50,
): Promise<number> {
  const started = performance.now();
  let last: unknown;
  while (performance.now() - started < timeoutMs) {
    try {
      if (await check()) return performance.now() - started;
    } catch (error) {
      last = error;
    }
    await new Promise((r) => setTimeout(r, intervalMs));
  }
  throw new Error(
    `timed out after ${timeoutMs} ms waiting for ${what}${last ? ` (last error: ${String(last)})` : ""}`,
  );
}

/** Runs `call` and measures it; a call still pending after `limitMs` resolves as `undefined` (a hang). */
export async function timed<T>(
  call: () => Promise<T>,
  limitMs: number,
): Promise<{ value: T | undefined; ms: number; hung: boolean }> {
  const started = performance.now();
  let timer: ReturnType<typeof setTimeout> | undefined;
  const result = await Promise.race([
    call().then((value) => ({ value, hung: false })),
    new Promise<{ value: undefined; hung: true }>((resolve) => {
      timer = setTimeout(() => resolve({ value: undefined, hung: true }), limitMs);
    }),
  ]);
  clearTimeout(timer);
  return { ...result, ms: performance.now() - started };
}

/**
 * The longest event-loop stall seen while running (a 20 ms tick that came late). On a busy machine a
 * stall delays every timer, deadlines included; timing assertions allow for the stall that was measured.
 */
export class LoopStallMonitor {
  #max = 0;
  #last = performance.now();
  readonly #timer = setInterval(() => {
    const now = performance.now();
    this.#max = Math.max(this.#max, now - this.#last - 20);
    this.#last = now;
  }, 20);

  /** ms of the longest stall so far. */
  get maxStallMs(): number {
    return Math.round(this.#max);
  }

  stop(): number {
    clearInterval(this.#timer);
    return this.maxStallMs;
  }
}
