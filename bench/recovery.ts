/**
 * Recovery: (1) activation time of a SKU actor with a snapshot plus a 10,000-event tail, read from
 * JetStream; (2) shard failover time after SIGKILL of the owner with three node processes.
 */
import { jetstream, jetstreamManager } from "@nats-io/jetstream";
import { Kvm } from "@nats-io/kv";
import { connect, type NatsConnection } from "@nats-io/transport-node";
import { skuKind } from "../actors/inventory/index.ts";
import type { LogBatch, Reply } from "../actors/runtime/index.ts";
import {
  ActorClient,
  ActorInstance,
  defaultInstanceOptions,
  type InstanceHost,
  Subjects,
  shardOf,
} from "../actors/runtime/index.ts";
import { dropNamespace, type ServiceUrls } from "../scripts/namespaces.ts";
import { JetStreamEventStore, JetStreamTimerIndex } from "../storage/jetstream/jetstream-event-store.ts";
import { ensureStreams } from "../storage/jetstream/streams.ts";
import { type Spawned, spawnBun } from "./servers.ts";
import { median } from "./stats.ts";

export interface RecoveryResult {
  tailEvents: number;
  activationMs: number;
  activationSamples: number[];
  /** CPU milliseconds of this process per activation (the load of a shared machine moves it far less). */
  activationCpuMs: number;
  failoverSeconds: number;
  leaseTtlSeconds: number;
  correct: boolean;
  notes: string[];
}

export async function runRecovery(
  o: { quick: boolean; natsUrl: string; databaseUrl: string; redisUrl: string },
  progress: (line: string) => void,
): Promise<RecoveryResult> {
  const notes: string[] = [];
  const nc = await connect({ servers: o.natsUrl });
  try {
    const tail = o.quick ? 2_000 : 10_000;
    const activation = await measureActivation(nc, tail, o.quick ? 3 : 7, progress, o);
    const failover = await measureFailover(nc, o, progress);
    if (!activation.correct) notes.push("activated state did not match the events written");
    if (!failover.correct) notes.push("stock changed across the failover");
    return {
      tailEvents: tail,
      activationMs: median(activation.samples),
      activationSamples: activation.samples,
      activationCpuMs: median(activation.cpu),
      failoverSeconds: failover.seconds,
      leaseTtlSeconds: failover.ttl / 1000,
      correct: activation.correct && failover.correct,
      notes,
    };
  } finally {
    await nc.close();
  }
}

async function measureActivation(
  nc: NatsConnection,
  tail: number,
  runs: number,
  progress: (l: string) => void,
  urls: ServiceUrls,
) {
  const ns = `bench_act_${Date.now().toString(36)}`;
  const subjects = new Subjects(ns);
  const js = jetstream(nc);
  const jsm = await jetstreamManager(nc);
  const streams = await ensureStreams(jsm, subjects, { duplicateWindowMs: 60_000 });
  const store = new JetStreamEventStore(js, jsm, subjects, streams);
  const ref = { kind: "sku", id: "ACTIVATE-1", shard: shardOf("ACTIVATE-1", 64) };
  try {
    progress(`recovery: writing a snapshot and ${tail} tail events…`);
    const first: LogBatch = {
      at: Date.now(),
      ev: [{ type: "received", warehouse: "W1", qty: 1, reason: "seed", fromTransit: 0 }],
      cmds: [{ id: "seed", r: { ok: true, value: null }, n: 1, type: "receive" }],
    };
    const seq = await store.append(ref, first, 0);
    await store.saveSnapshot(ref, {
      seq,
      state: {
        warehouses: { W1: { physical: 1, reserved: 0, inTransit: 0, safetyStock: 0 } },
        reservations: {},
        closed: {},
      },
      idem: [["seed", { ok: true, value: null }, Date.now()]],
      timers: [],
    });
    const subject = subjects.events(ref.shard, ref.kind, ref.id);
    for (let i = 0; i < tail; i += 500) {
      await Promise.all(
        Array.from({ length: Math.min(500, tail - i) }, (_, k) => {
          const batch: LogBatch = {
            at: Date.now(),
            ev: [{ type: "received", warehouse: "W1", qty: 1, reason: "tail", fromTransit: 0 }],
            cmds: [{ id: `t-${i + k}`, r: { ok: true, value: null }, n: 1, type: "receive" }],
          };
          return js.publish(subject, JSON.stringify(batch));
        }),
      );
    }
    const host: InstanceHost = {
      store,
      timerIndex: new JetStreamTimerIndex(js, subjects, streams),
      leaseValid: () => true,
      scheduleWake: () => undefined,
      now: () => Date.now(),
      onAppend: () => undefined,
      onError: (_r, message, error) => progress(`  ${message}: ${(error as Error).message}`),
    };
    const samples: number[] = [];
    const cpu: number[] = [];
    let correct = true;
    // Run 0 warms up (compiles the read and replay code) and is not counted: a node activating actors
    // all day has it compiled; a first activation in a fresh process measured startup, not activation.
    for (let run = 0; run <= runs; run++) {
      const cpuBefore = process.cpuUsage();
      const started = performance.now();
      const instance = new ActorInstance(ref, skuKind, host, defaultInstanceOptions);
      await instance.activate();
      const elapsed = performance.now() - started;
      const used = process.cpuUsage(cpuBefore);
      if (run > 0) {
        samples.push(elapsed);
        cpu.push((used.user + used.system) / 1000);
      }
      const reply = await new Promise<Reply>((resolve) =>
        instance.enqueue({ cmd: { type: "get" } }, resolve),
      );
      const physical = reply.ok ? (reply.value as { physical: number }).physical : -1;
      if (physical !== tail + 1) correct = false;
      instance.close();
    }
    progress(
      `  activation: ${samples.map((s) => s.toFixed(1)).join(", ")} ms (${tail} events after the snapshot, after one warm-up); CPU median ${median(cpu).toFixed(1)} ms`,
    );
    return { samples, cpu, correct };
  } finally {
    await dropNamespace(ns, urls).catch((error) => progress(`could not drop namespace ${ns}: ${error}`));
  }
}

async function measureFailover(
  nc: NatsConnection,
  o: { quick: boolean; natsUrl: string; databaseUrl: string; redisUrl: string },
  progress: (l: string) => void,
) {
  const ns = `bench_fo_${Date.now().toString(36)}`;
  const ttl = o.quick ? 2_000 : 6_000;
  const nodes: Spawned[] = [];
  try {
    progress(`recovery: starting three nodes (lease TTL ${ttl / 1000} s)…`);
    for (const id of ["r1", "r2", "r3"]) {
      nodes.push(
        spawnBun(
          `failover-${id}`,
          ["main.ts"],
          {
            HUB_NAMESPACE: ns,
            // JetStream reserves a stream's max_bytes up front: ten leftover 10 GiB bench streams fill the server.
            EVENTS_MAX_BYTES: "256MiB",
            NODE_ID: id,
            ROLES: "actors",
            LEASE_TTL: String(ttl),
            LOG_LEVEL: "warn",
            NATS_URL: o.natsUrl,
            DATABASE_URL: o.databaseUrl,
            REDIS_URL: o.redisUrl,
            ADMIN_PASSWORD: "bench-admin-password",
          },
          0,
        ),
      );
    }
    const kv = await waitForLeases(nc, ns, ["r1", "r2", "r3"]);
    const client = new ActorClient(nc, {
      namespace: ns,
      shardCount: 64,
      attemptTimeoutMs: 1_000,
      deadlineMs: 30_000,
    });
    const sku = "FAILOVER-1";
    await client.send("sku", sku, { type: "receive", warehouse: "W1", qty: 100 }, { id: "stock" });
    const shard = shardOf(sku, 64);
    const lease = await kv.get(`shard.${shard}`);
    if (!lease) throw new Error(`shard ${shard} has no owner`);
    const owner = (lease.json() as { node: string }).node;
    const victim = nodes.find((n) => n.name === `failover-${owner}`)!;
    const killedAt = performance.now();
    victim.child.kill("SIGKILL");
    let servedAt = 0;
    while (!servedAt && performance.now() - killedAt < 60_000) {
      const reply = await client.request("sku", sku, { type: "get" }, { readOnly: true });
      if (reply.ok) servedAt = performance.now();
    }
    const seconds = (servedAt - killedAt) / 1000;
    const stock = await client.send<{ physical: number }>("sku", sku, { type: "get" }, { readOnly: true });
    progress(`  failover: shard ${shard} of ${owner} served again ${seconds.toFixed(2)} s after SIGKILL`);
    return { seconds, ttl, correct: stock.physical === 100 };
  } finally {
    for (const n of nodes) await n.stop("SIGKILL");
    // Streams, KV buckets, the nodes' Postgres schema and secrets keys: nothing stays behind.
    await dropNamespace(ns, o).catch((error) => progress(`could not drop namespace ${ns}: ${error}`));
  }
}

async function waitForLeases(nc: NatsConnection, ns: string, nodeIds: string[]) {
  const deadline = Date.now() + 60_000;
  while (Date.now() < deadline) {
    try {
      const kv = await new Kvm(nc).open(`${ns}_shard_leases`);
      const owners = new Set<string>();
      let count = 0;
      for await (const key of await kv.keys()) {
        const entry = await kv.get(key);
        if (entry?.operation === "PUT") {
          count++;
          owners.add((entry.json() as { node: string }).node);
        }
      }
      if (count === 64 && nodeIds.every((n) => owners.has(n))) return kv;
    } catch {
      // bucket not created yet
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error("three nodes did not share the shards within 60 s (see bench/results/failover-*.log)");
}
