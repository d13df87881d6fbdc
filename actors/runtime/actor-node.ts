import { randomBytes } from "node:crypto";
import { jetstream, jetstreamManager } from "@nats-io/jetstream";
import { type KV, Kvm } from "@nats-io/kv";
import type { Msg, NatsConnection, Subscription } from "@nats-io/transport-node";
import { ActorClient, type LocalActors } from "./actor-client.ts";
import { ActorInstance, type InstanceHost, type InstanceOptions } from "./actor-instance.ts";
import { ConnectionWatch } from "./connection-watch.ts";
import { withDeadline } from "./deadline.ts";
import { RuntimeError } from "./errors.ts";
import type { EventStore, TimerIndex } from "./event-store.ts";
import type { AnyActorKind, EffectService } from "./kind.ts";
import { type Logger, silentLogger } from "./log.ts";
import type { MetricsRegistry } from "./metrics.ts";
import { type ActorRef, actorKey, type CommandEnvelope, type Reply, TIMER_COMMAND } from "./protocol.ts";
import { isValidActorId, Subjects } from "./shard.ts";
import { ShardLeases, scanLeases } from "./shard-leases.ts";
import { WakeSchedule } from "./wake-schedule.ts";

export interface ActorNodeOptions {
  namespace: string;
  nodeId: string;
  shardCount: number;
  leaseTtlMs: number;
  /** Lifetime of this node's heartbeat (default min(3 s, lease TTL)): dead owners are detected from it. */
  heartbeatTtlMs?: number;
  /** Deadline of each NATS call the node makes itself (KV, stream info, timer loads); default 1.5 s. */
  natsTimeoutMs?: number;
  /** Passivate an actor after this long without commands. */
  idleMs: number;
  /** Most actors in memory; beyond it the least recently used idle ones passivate (guarantee 6). */
  maxActive: number;
  /** Most commands queued across all actors of this node before it answers `overloaded`. */
  maxPending: number;
  instance: InstanceOptions;
}

export const defaultInstanceOptions: InstanceOptions = {
  mailboxMax: 10_000,
  maxBatch: 1_000,
  snapshotEvery: 200,
  idempotencyMax: 100_000,
  idempotencyRetentionMs: 7 * 24 * 3600_000,
};

const encoder = new TextEncoder();

/**
 * Hosts the actors of the shards this node owns: one subscription per owned shard, one instance per
 * active actor, a sweeper that passivates idle ones and a local schedule of durable timers.
 */
export class ActorNode implements LocalActors {
  readonly subjects: Subjects;
  readonly #nc: NatsConnection;
  readonly #kinds = new Map<string, AnyActorKind>();
  readonly #timerIndex: TimerIndex;
  readonly #options: ActorNodeOptions;
  readonly #log: Logger;
  readonly #instances = new Map<string, ActorInstance>();
  readonly #subscriptions = new Map<number, Subscription>();
  readonly #wakes: WakeSchedule;
  #leases: ShardLeases | undefined;
  #sweeper: ReturnType<typeof setInterval> | undefined;
  readonly #host: InstanceHost;
  /** Sends actors' effects to other actors, wherever they live. */
  readonly #effectsClient: ActorClient;
  #pending = 0;
  readonly #natsTimeoutMs: number;
  /** The NATS connection's health, shared with the node's clients and readiness. */
  readonly connection: ConnectionWatch;
  readonly #ownsConnectionWatch: boolean;
  #offConnection: (() => void) | undefined;
  #metrics: {
    appends: (c: number, e: number, ms: number) => void;
    snapshotRejected: (kind: string) => void;
  };

  constructor(
    nc: NatsConnection,
    kinds: AnyActorKind[],
    storage: { store: EventStore; timerIndex: TimerIndex },
    options: ActorNodeOptions,
    deps: {
      log?: Logger;
      metrics?: MetricsRegistry;
      connection?: ConnectionWatch;
      /** Node-local handlers for effects to kinds that are no actors (see `EffectService`). */
      services?: ReadonlyMap<string, EffectService>;
    } = {},
  ) {
    this.#nc = nc;
    for (const kind of kinds) this.#kinds.set(kind.name, kind);
    this.#timerIndex = storage.timerIndex;
    this.#options = options;
    this.#log = deps.log ?? silentLogger;
    this.subjects = new Subjects(options.namespace);
    this.#wakes = new WakeSchedule((ref) => this.#deliverTimer(ref));
    this.#metrics = { appends: () => undefined, snapshotRejected: () => undefined };
    this.#natsTimeoutMs = options.natsTimeoutMs ?? 1_500;
    this.connection = deps.connection ?? new ConnectionWatch(nc, { slowAfterMs: this.#natsTimeoutMs });
    this.#ownsConnectionWatch = deps.connection === undefined;
    this.#effectsClient = new ActorClient(nc, {
      namespace: options.namespace,
      shardCount: options.shardCount,
      attemptTimeoutMs: 2_000,
      deadlineMs: Math.max(15_000, options.leaseTtlMs * 3),
      connection: this.connection,
    });
    this.#host = {
      nodeId: options.nodeId,
      store: storage.store,
      timerIndex: storage.timerIndex,
      leaseValid: (shard) => this.#leases?.isValid(shard) ?? false,
      leaseEpoch: (shard) => this.#leases?.epochOf(shard) ?? 0,
      scheduleWake: (ref, dueAt) => this.#wakes.set(ref, dueAt),
      now: () => Date.now(),
      onAppend: (commands, events, ms) => this.#metrics.appends(commands, events, ms),
      onError: (ref, message, error) => this.#log.warn(message, { actor: actorKey(ref), error }),
      onSnapshotRejected: (ref, error) => {
        this.#log.error("snapshot rejected; replaying the log from the start", {
          actor: actorKey(ref),
          error,
        });
        this.#metrics.snapshotRejected(ref.kind);
      },
      send: (to, cmd, commandId, signal) => {
        const service = deps.services?.get(to.kind);
        if (service) return service(to.id, cmd, commandId, signal ?? new AbortController().signal);
        return this.#effectsClient.request(to.kind, to.id, cmd, { id: commandId });
      },
    };
    if (deps.metrics) this.#registerMetrics(deps.metrics);
    // Effects between actors of this node skip the NATS round trip (see `LocalActors`).
    this.#effectsClient.setLocal(this);
  }

  /** True while this node may write for the shard: commands for it can be delivered in memory. */
  serves(shard: number): boolean {
    return this.#subscriptions.has(shard) && (this.#leases?.isValid(shard) ?? false);
  }

  get nodeId(): string {
    return this.#options.nodeId;
  }
  get activeActors(): number {
    return this.#instances.size;
  }
  get ownedShards(): number[] {
    return this.#leases?.owned() ?? [];
  }
  /** Owned shards this node may write for right now (lease and heartbeat both fresh). */
  get validShards(): number[] {
    return this.#leases?.valid() ?? [];
  }
  get coveredShards(): number {
    return this.#leases?.covered ?? 0;
  }
  /**
   * Shards with a live owner as this node's own lease round last saw them (it scans every lease each
   * round), and how old that view is: readiness reads it instead of scanning again.
   */
  clusterCoverage(): { live: number; shardCount: number; ageMs: number } {
    const view = this.#leases?.coverage() ?? { live: 0, ageMs: Number.POSITIVE_INFINITY };
    return { ...view, shardCount: this.#options.shardCount };
  }

  async start(): Promise<void> {
    const timeout = this.#natsTimeoutMs;
    const heartbeatTtlMs = Math.min(this.#options.heartbeatTtlMs ?? 3_000, this.#options.leaseTtlMs);
    const buckets = await openLeaseBuckets(this.#nc, this.#options.namespace, {
      leaseTtlMs: this.#options.leaseTtlMs,
      heartbeatTtlMs,
      timeoutMs: timeout,
    });
    const { leases, nodes, listNodes } = buckets;
    this.#leases = new ShardLeases(leases, nodes, {
      nodeId: this.#options.nodeId,
      incarnation: randomBytes(6).toString("hex"),
      shardCount: this.#options.shardCount,
      ttlMs: this.#options.leaseTtlMs,
      heartbeatTtlMs,
      timeoutMs: timeout,
      listNodes,
      connection: this.connection,
      onAcquired: (shard) => this.#serveShard(shard),
      onReleased: (shard, reason) => this.#stopShard(shard, reason),
      onError: (message, error) => this.#log.warn(message, { error }),
    });
    // The moment NATS is back, renew and take back our shards (no wait for the next round).
    this.#offConnection = this.connection.onChange((state) => {
      if (state === "up") void this.#leases?.tick();
    });
    await this.#leases.start();
    const sweepMs = Math.max(50, Math.min(1_000, Math.floor(this.#options.idleMs / 2)));
    this.#sweeper = setInterval(() => this.#sweep(true), sweepMs);
  }

  /** Graceful stop: finish in-flight appends, hand shards back, snapshot what is worth it. */
  async stop(): Promise<void> {
    if (this.#sweeper) clearInterval(this.#sweeper);
    this.#offConnection?.();
    await this.#leases?.stop();
    this.#wakes.stop();
    if (this.#ownsConnectionWatch) this.connection.stop();
  }

  /** Stops serving without releasing leases, like a crash; tests use it to exercise failover in-process. */
  async crash(): Promise<void> {
    if (this.#sweeper) clearInterval(this.#sweeper);
    this.#leases?.abandon();
    this.#offConnection?.();
    for (const sub of this.#subscriptions.values()) sub.unsubscribe();
    this.#subscriptions.clear();
    // Callers see what a real crash looks like to them: no owner, retry elsewhere.
    for (const instance of this.#instances.values()) instance.close("node crashed", "moved");
    this.#instances.clear();
    this.#wakes.stop();
  }

  /** Delivers a command to a local actor (used by the subscription and by local timers). */
  deliver(ref: ActorRef, envelope: CommandEnvelope, respond: (reply: Reply) => void): void {
    if (!this.#leases?.isValid(ref.shard)) {
      respond({ ok: false, error: new RuntimeError("moved", "shard not served here", 50).toBody() });
      return;
    }
    if (this.#pending >= this.#options.maxPending) {
      respond({ ok: false, error: new RuntimeError("overloaded", "node is at capacity", 500).toBody() });
      return;
    }
    const kind = this.#kinds.get(ref.kind);
    if (!kind || !isValidActorId(ref.id)) {
      respond({
        ok: false,
        error: { kind: "invalid", message: `unknown actor kind or id: ${ref.kind}/${ref.id}` },
      });
      return;
    }
    const key = actorKey(ref);
    let instance = this.#instances.get(key);
    if (instance && instance.status === "closed") {
      this.#instances.delete(key);
      instance = undefined;
    }
    if (!instance) {
      // Keep the cap as actors arrive, not only on the periodic sweep: memory stays bounded under a burst.
      if (this.#instances.size >= this.#options.maxActive) this.#sweep(false);
      instance = new ActorInstance(ref, kind, this.#host, this.#options.instance);
      this.#instances.set(key, instance);
      void instance.activate();
    } else {
      // Re-insert so Map order stays least-recently-used first for the sweeper.
      this.#instances.delete(key);
      this.#instances.set(key, instance);
    }
    this.#pending++;
    instance.enqueue(envelope, (reply) => {
      this.#pending--;
      respond(reply);
    });
  }

  async #serveShard(shard: number): Promise<void> {
    const sub = this.#nc.subscribe(this.subjects.shardCommands(shard), {
      queue: `${this.#options.namespace}.owners`,
      callback: (error, msg) => {
        if (error) this.#log.warn("command subscription error", { shard, error });
        else this.#onMessage(shard, msg);
      },
    });
    this.#subscriptions.set(shard, sub);
    // Timers of passivated actors live in the index; arm them for this node.
    const timers = await withDeadline(
      this.#timerIndex.loadShard(shard),
      Math.max(5_000, this.#natsTimeoutMs * 3),
      `loading timers of shard ${shard}`,
    );
    for (const { ref, dueAt } of timers) if (dueAt > 0) this.#wakes.set(ref, dueAt);
    this.#log.info("shard acquired", { shard, timers: timers.length });
  }

  async #stopShard(shard: number, reason: string): Promise<void> {
    this.#subscriptions.get(shard)?.unsubscribe();
    this.#subscriptions.delete(shard);
    this.#wakes.dropShard(shard);
    const closing: Promise<void>[] = [];
    for (const [key, instance] of this.#instances) {
      if (instance.ref.shard !== shard) continue;
      this.#instances.delete(key);
      closing.push(
        instance.settled().then(() => {
          // Only an owner that still holds the lease writes a parting snapshot; a lost lease writes nothing.
          if (this.#leases?.isValid(shard)) instance.snapshotIfWorthIt(1);
          instance.close(`shard ${reason}`);
        }),
      );
    }
    await Promise.all(closing);
    this.#log.info("shard released", { shard, reason });
  }

  #onMessage(shard: number, msg: Msg): void {
    const respond = (reply: unknown) => {
      if (msg.reply) msg.respond(encoder.encode(JSON.stringify(reply)));
    };
    const target = this.subjects.parse(msg.subject);
    let body: CommandEnvelope | { many: CommandEnvelope[] };
    try {
      body = msg.json<CommandEnvelope | { many: CommandEnvelope[] }>();
    } catch {
      respond({ ok: false, error: { kind: "invalid", message: "command is not JSON" } });
      return;
    }
    if (!target || target.shard !== shard) {
      respond({ ok: false, error: { kind: "invalid", message: "malformed command subject" } });
      return;
    }
    if (!("many" in body)) {
      if (typeof body?.cmd?.type !== "string")
        respond({ ok: false, error: { kind: "invalid", message: "malformed command" } });
      else this.deliver(target, body, respond);
      return;
    }
    // Coalesced commands from one client: each is delivered on its own, the answers go back together.
    const envelopes = Array.isArray(body.many) ? body.many : [];
    const replies: Reply[] = new Array(envelopes.length);
    let left = envelopes.length;
    if (left === 0) respond({ many: [] });
    envelopes.forEach((envelope, i) => {
      const answer = (reply: Reply) => {
        replies[i] = reply;
        if (--left === 0) respond({ many: replies });
      };
      if (typeof envelope?.cmd?.type !== "string")
        answer({ ok: false, error: { kind: "invalid", message: "malformed command" } });
      else this.deliver(target, envelope, answer);
    });
  }

  #deliverTimer(ref: ActorRef): void {
    this.deliver(ref, { cmd: { type: TIMER_COMMAND } }, (reply) => {
      if (!reply.ok && reply.error.kind !== "moved") {
        this.#log.warn("timer delivery failed; retrying", { actor: actorKey(ref), error: reply.error });
        this.#wakes.set(ref, Date.now() + 1_000);
      }
    });
  }

  /**
   * Passivates least recently used idle actors above the cap and, on the periodic sweep, every actor
   * idle past the idle time. Map order is least recently used first, so the scan stops early.
   */
  #sweep(includeExpired = true): void {
    const now = Date.now();
    // Evict a little below the cap so a burst of new actors does not trigger a scan per arrival.
    let excess = this.#instances.size - Math.floor(this.#options.maxActive * 0.95);
    for (const [key, instance] of this.#instances) {
      const expired = includeExpired && now - instance.lastUsed >= this.#options.idleMs;
      if (!expired && excess <= 0) break;
      if (!instance.idle) continue;
      instance.snapshotIfWorthIt(20);
      instance.close();
      this.#instances.delete(key);
      excess--;
    }
  }

  #registerMetrics(metrics: MetricsRegistry): void {
    const appends = metrics.counter("hub_actor_appends_total", "Group-commit appends to the event log");
    const commands = metrics.counter("hub_actor_commands_persisted_total", "Commands persisted by appends");
    const latency = metrics.histogram(
      "hub_actor_append_seconds",
      "Append latency",
      [0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.25, 0.5, 1],
    );
    this.#metrics.appends = (c, _e, ms) => {
      appends.inc();
      commands.inc({}, c);
      latency.observe(ms / 1000);
    };
    const rejected = metrics.counter(
      "hub_actor_snapshots_rejected_total",
      "Snapshots that failed validation on load; the actor replayed its log instead",
    );
    this.#metrics.snapshotRejected = (kind) => rejected.inc({ kind });
    metrics.gauge("hub_actors_active", "Actors in memory on this node", () => this.#instances.size);
    metrics.gauge("hub_actor_commands_pending", "Commands queued on this node", () => this.#pending);
    metrics.gauge("hub_shards_owned", "Shards this node holds a lease on", () => this.ownedShards.length);
    metrics.gauge(
      "hub_shards_valid",
      "Shards this node may write for now (lease and heartbeat fresh)",
      () => this.validShards.length,
    );
    metrics.gauge("hub_timers_scheduled", "Durable timers armed on this node", () => this.#wakes.size);
  }
}

export interface LeaseBuckets {
  leases: KV;
  nodes: KV;
  /** Node ids with a heartbeat key, from one stream-info request (no watcher that can stall). */
  listNodes(): Promise<string[]>;
}

/**
 * The lease bucket (max age = lease TTL) and the heartbeat bucket (max age = heartbeat TTL), opened with
 * a deadline on every call. Both are separate streams from the event log, so a full event log (which has
 * its own size limit) leaves them room to work.
 */
export async function openLeaseBuckets(
  nc: NatsConnection,
  namespace: string,
  options: { leaseTtlMs: number; heartbeatTtlMs: number; timeoutMs: number },
): Promise<LeaseBuckets> {
  const js = jetstream(nc, { timeout: options.timeoutMs });
  const jsm = await jetstreamManager(nc, { timeout: options.timeoutMs });
  const kvm = new Kvm(js);
  const ns = namespace.replace(/\W/g, "_");
  const leases = await kvm.create(`${ns}_shard_leases`, { ttl: options.leaseTtlMs, history: 1 });
  const nodesBucket = `${ns}_nodes`;
  const nodes = await kvm.create(nodesBucket, { ttl: options.heartbeatTtlMs, history: 1 });
  // The KV client never changes an existing bucket, and the heartbeat lifetime is configuration.
  const stream = `KV_${nodesBucket}`;
  const info = await jsm.streams.info(stream);
  const maxAge = options.heartbeatTtlMs * 1_000_000;
  if (info.config.max_age !== maxAge) await jsm.streams.update(stream, { ...info.config, max_age: maxAge });
  const prefix = `$KV.${nodesBucket}.`;
  const listNodes = async () => {
    const state = (await jsm.streams.info(stream, { subjects_filter: `${prefix}>` })).state;
    return Object.keys(state.subjects ?? {}).map((subject) => subject.slice(prefix.length));
  };
  return { leases, nodes, listNodes };
}

/** How many shards have a live owner (a holder with a live heartbeat), for readiness. */
export async function clusterCoverage(
  buckets: LeaseBuckets,
  shardCount: number,
  timeoutMs: number,
): Promise<{ live: number; shardCount: number }> {
  const scan = await scanLeases({ ...buckets, shardCount, timeoutMs });
  return { live: scan.leases.filter((l) => l.live).length, shardCount };
}
