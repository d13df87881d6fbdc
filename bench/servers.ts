/** Spawns the processes a scenario measures: the hub itself and the Postgres-over-HTTP baseline. */
import { type ChildProcess, spawn } from "node:child_process";
import { createWriteStream, mkdirSync } from "node:fs";
import { createServer } from "node:net";
import { join } from "node:path";
import { dropNamespace } from "../scripts/namespaces.ts";

export const ROOT = join(import.meta.dirname, "..");
export const RESULTS = join(ROOT, "bench", "results");
const BUN = join(ROOT, "node_modules", ".bin", "bun");

export interface Spawned {
  name: string;
  url: string;
  child: ChildProcess;
  exited: Promise<number | null>;
  stop(signal?: NodeJS.Signals): Promise<void>;
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      server.close(() =>
        typeof address === "object" && address ? resolve(address.port) : reject(new Error("no port")),
      );
    });
  });
}

export function spawnBun(name: string, args: string[], env: Record<string, string>, port: number): Spawned {
  mkdirSync(RESULTS, { recursive: true });
  const log = createWriteStream(join(RESULTS, `${name}.log`));
  const child = spawn(BUN, args, {
    cwd: ROOT,
    env: { ...process.env, ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  child.stdout?.pipe(log);
  child.stderr?.pipe(log);
  const exited = new Promise<number | null>((resolve) => child.on("exit", (code) => resolve(code)));
  return {
    name,
    url: `http://127.0.0.1:${port}`,
    child,
    exited,
    async stop(signal: NodeJS.Signals = "SIGTERM") {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill(signal);
      const timer = setTimeout(() => child.kill("SIGKILL"), 5_000);
      await exited;
      clearTimeout(timer);
    },
  };
}

export async function waitHttp(url: string, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const res = await fetch(url).catch(() => undefined);
    if (res?.status === 200) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`${url} did not answer 200 within ${timeoutMs} ms (see bench/results/*.log)`);
}

export const BENCH_PASSWORD = "bench-admin-password";

/** Signs in as the bench's admin and returns the bearer token. */
export async function login(url: string, password = BENCH_PASSWORD): Promise<string> {
  const res = await fetch(`${url}/v1/auth/token`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ username: "admin", password }),
  });
  if (res.status !== 200) throw new Error(`bench login failed: ${res.status} ${await res.text()}`);
  return ((await res.json()) as { token: string }).token;
}

/**
 * Starts a hub process in a fresh namespace for one scenario, waits until it is ready and signs in.
 * The caller stops it with `hub.stop()`, which also drops the namespace (streams, KV buckets, Postgres
 * schema, Redis keys, secrets key): a bench leaves nothing behind on the shared services.
 *
 * `options.roles` (the hub's `ROLES`): without "projector", a second process runs the projector alone in
 * the same namespace (the one-machine layout flash-sale uses), started once the hub is ready (so the
 * namespace's secrets key exists) and stopped with it. Absent, the hub runs every role.
 */
export async function startBenchHub(
  name: string,
  services: { natsUrl: string; databaseUrl: string; redisUrl: string },
  env: Record<string, string> = {},
  options: { profileDir?: string; roles?: string } = {},
) {
  const ns = `bench_${name.replace(/\W/g, "")}_${Date.now().toString(36)}`;
  const port = await freePort();
  const hubEnv = {
    HUB_NAMESPACE: ns,
    // JetStream reserves a stream's max_bytes up front: ten leftover 10 GiB bench streams fill the server.
    EVENTS_MAX_BYTES: "256MiB",
    ADMIN_PASSWORD: BENCH_PASSWORD,
    LOG_LEVEL: "warn",
    NATS_URL: services.natsUrl,
    DATABASE_URL: services.databaseUrl,
    REDIS_URL: services.redisUrl,
    ...env,
  };
  // Bun writes the CPU profile (.cpuprofile for DevTools, .md summary) when a process exits (stop()).
  const profile = options.profileDir
    ? ["--cpu-prof", "--cpu-prof-md", `--cpu-prof-dir=${options.profileDir}`]
    : [];
  const hub = spawnBun(
    `hub-${name}`,
    [...profile, "main.ts"],
    { ...hubEnv, PORT: String(port), ...(options.roles ? { ROLES: options.roles } : {}) },
    port,
  );
  const others: Spawned[] = [];
  const stopAndDrop = async (signal?: NodeJS.Signals) => {
    await Promise.all([hub.stop(signal), ...others.map((p) => p.stop(signal))]);
    await dropNamespace(ns, services);
  };
  try {
    await waitHttp(`${hub.url}/readyz`, 60_000);
    if (options.roles && !options.roles.split(",").includes("projector")) {
      const projectorPort = await freePort();
      const projector = spawnBun(
        `projector-${name}`,
        [...profile, "main.ts"],
        { ...hubEnv, PORT: String(projectorPort), ROLES: "projector" },
        projectorPort,
      );
      // It serves no HTTP (no gateway role): it is up within a second, while the scenario still seeds.
      others.push(projector);
    }
    const token = await login(hub.url);
    return {
      ns,
      hub: { ...hub, stop: stopAndDrop },
      token,
      headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
    };
  } catch (error) {
    await stopAndDrop();
    throw error;
  }
}
