/** Node processes for multi-node and fault-injection tests: real `bun main.ts` processes, killed for real. */
import { type ChildProcess, spawn } from "node:child_process";
import { createWriteStream, mkdirSync } from "node:fs";
import { join } from "node:path";
import { Kvm } from "@nats-io/kv";
import { connect } from "@nats-io/transport-node";
import { NATS_URL, processEnv, waitFor } from "./harness.ts";

const ROOT = join(import.meta.dirname ?? new URL(".", import.meta.url).pathname, "..", "..");
export const ARTIFACTS = join(ROOT, "tests", "artifacts");
const BUN = join(ROOT, "node_modules", ".bin", "bun");

export interface NodeProcess {
  nodeId: string;
  child: ChildProcess;
  exited: Promise<number | null>;
  kill(signal: NodeJS.Signals): void;
}

export function spawnNode(namespace: string, nodeId: string, env: Record<string, string> = {}): NodeProcess {
  mkdirSync(ARTIFACTS, { recursive: true });
  const log = createWriteStream(join(ARTIFACTS, `${namespace}-${nodeId}.log`));
  const child = spawn(BUN, ["main.ts"], {
    cwd: ROOT,
    env: processEnv(namespace, { NODE_ID: nodeId, ROLES: "actors", PORT: "0", ...env }),
    stdio: ["ignore", "pipe", "pipe"],
  });
  child.stdout?.pipe(log);
  child.stderr?.pipe(log);
  const exited = new Promise<number | null>((resolve) => child.on("exit", (code) => resolve(code)));
  return { nodeId, child, exited, kill: (signal) => child.kill(signal) };
}

/** Reads the shard → node map from the lease bucket. */
export async function leaseOwners(namespace: string, natsUrl = NATS_URL): Promise<Map<number, string>> {
  const nc = await connect({ servers: natsUrl });
  try {
    const kv = await new Kvm(nc).open(`${namespace}_shard_leases`);
    const owners = new Map<number, string>();
    for await (const key of await kv.keys()) {
      const entry = await kv.get(key);
      if (entry?.operation === "PUT")
        owners.set(Number(key.split(".")[1]), (entry.json() as { node: string }).node);
    }
    return owners;
  } finally {
    await nc.close();
  }
}

/**
 * The node process holding the shard's lease. Waits for one: a single read of the bucket can fall
 * between a lease's expiry and its renewal on a busy machine (short test TTLs), and find no owner.
 */
export async function ownerOf(
  namespace: string,
  shard: number,
  nodes: NodeProcess[],
  timeoutMs = 15_000,
): Promise<NodeProcess> {
  let owner: NodeProcess | undefined;
  await waitFor(
    async () => {
      const ownerId = (await leaseOwners(namespace)).get(shard);
      owner = nodes.find((n) => n.nodeId === ownerId);
      return owner !== undefined;
    },
    timeoutMs,
    `an owner of shard ${shard} among ${nodes.map((n) => n.nodeId).join(", ")}`,
  );
  return owner!;
}

/** Waits until every shard is owned and each of `nodeIds` owns at least one. */
export async function waitForBalance(
  namespace: string,
  nodeIds: string[],
  shardCount: number,
  // Generous: three processes starting (migrations, lease rounds) on a busy 2-core CI machine.
  timeoutMs = 90_000,
) {
  let seen = new Map<number, string>();
  await waitFor(
    async () => {
      seen = await leaseOwners(namespace).catch(() => new Map<number, string>());
      const nodes = new Set(seen.values());
      return seen.size === shardCount && nodeIds.every((n) => nodes.has(n));
    },
    timeoutMs,
    `shards spread over ${nodeIds.join(", ")}`,
  ).catch((error: Error) => {
    const held = new Map<string, number>();
    for (const owner of seen.values()) held.set(owner, (held.get(owner) ?? 0) + 1);
    throw new Error(
      `${error.message}; last seen ${seen.size}/${shardCount} leased: ${JSON.stringify(Object.fromEntries(held))}`,
    );
  });
}
