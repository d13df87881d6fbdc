import type { KV, KvEntry } from "@nats-io/kv";
import { withDeadline } from "./deadline.ts";
import { fnv1a32 } from "./shard.ts";

export interface ShardLeaseOptions {
  nodeId: string;
  /** Unique per process: tells this run's leases from those of an earlier run with the same node id. */
  incarnation: string;
  shardCount: number;
  /** Lease lifetime (the KV bucket's max age): the backstop when heartbeats say nothing. */
  ttlMs: number;
  /**
   * Lifetime of this node's heartbeat key. A lease whose holder has no live heartbeat is stale and may be
   * taken over at once; a node that cannot heartbeat stops serving before its heartbeat expires.
   */
  heartbeatTtlMs: number;
  /** Deadline of each KV call. */
  timeoutMs: number;
  /** The node ids that currently have a heartbeat key (without a key listing watcher). */
  listNodes(): Promise<string[]>;
  /** Connection health: no round while down; stale heartbeats are trusted only after being up a while. */
  connection?: { readonly state: "up" | "slow" | "down"; upForMs(): number };
  /** Called when this node starts owning a shard (subscribe, load its timers). */
  onAcquired(shard: number): Promise<void>;
  /** Called when this node must stop serving a shard, before anyone else may take it. */
  onReleased(shard: number, reason: string): Promise<void>;
  onError(message: string, error: unknown): void;
}

/** What a lease key holds. `epoch` is written by renewals (a creation cannot know its own revision yet). */
export interface LeaseValue {
  node: string;
  incarnation?: string;
  epoch?: number;
  at?: number;
}

interface OwnedLease {
  /** KV revision at acquisition: strictly increasing across successive owners of a shard (a fencing epoch). */
  epoch: number;
  /** Our last known revision of the key; undefined after a renewal timed out (it may or may not have landed). */
  revision: number | undefined;
  /** `performance.now()` after which we must not write: renewal sent time + TTL − safety margin. */
  validUntil: number;
  /** `performance.now()` when the last successful renewal was sent. */
  renewedAt: number;
}

/** A lease key as seen by a scan, judged against the heartbeats. */
export interface LeaseView {
  shard: number;
  holder: LeaseValue | undefined;
  revision: number;
  /** The holder has a live heartbeat of the same incarnation. */
  live: boolean;
}

export interface LeaseScan {
  leases: LeaseView[];
  /** Nodes with a heartbeat key (at least 1). */
  liveNodes: number;
}

/**
 * Reads every lease key and judges each holder against the heartbeats: one stream-info request for the
 * node list, then direct gets, each under a deadline (no key-listing watcher, which can stall for 30 s).
 */
export async function scanLeases(source: {
  leases: KV;
  nodes: KV;
  listNodes(): Promise<string[]>;
  shardCount: number;
  timeoutMs: number;
}): Promise<LeaseScan> {
  const within = <T>(call: Promise<T>, what: string) => withDeadline(call, source.timeoutMs, what);
  const nodeIds = await within(source.listNodes(), "listing nodes");
  const heartbeats = new Map<string, string | undefined>();
  await Promise.all(
    nodeIds.map(async (node) => {
      const entry = await within(source.nodes.get(node), "reading heartbeat");
      if (entry && entry.operation === "PUT") heartbeats.set(node, parseHeartbeat(entry));
    }),
  );
  const leases = await Promise.all(
    Array.from({ length: source.shardCount }, async (_, shard): Promise<LeaseView> => {
      const entry = await within(source.leases.get(`shard.${shard}`), "reading lease");
      const holder = entry && entry.operation === "PUT" ? parseLease(entry) : undefined;
      const live =
        holder !== undefined &&
        heartbeats.has(holder.node) &&
        (holder.incarnation === undefined || heartbeats.get(holder.node) === holder.incarnation);
      return { shard, holder, revision: entry?.revision ?? 0, live };
    }),
  );
  return { leases, liveNodes: Math.max(1, heartbeats.size) };
}

/** Most acquisitions in flight at once (each subscribes and loads the shard's timers). */
const ACQUIRE_PARALLEL = 16;

/**
 * Shard ownership through a NATS KV bucket whose max age is the lease TTL, plus one heartbeat key per
 * node. `create` is exclusive and `update(revision)` is compare-and-set, so at most one node holds a live
 * lease per shard; the event log's per-actor compare-and-set fences any write that slips through.
 *
 * - Validity: an owner writes only while both its last successful renewal and its last heartbeat are
 *   recent (sent time + lifetime − margin). A heartbeat gap invalidates every lease until a
 *   compare-and-set renewal proves nobody took it meanwhile.
 * - Dead owners: a lease whose holder has no heartbeat (or an older incarnation of it) is stale and is
 *   taken over by compare-and-set at once, not after the lease TTL.
 * - No self-lockout: every call has a deadline; a renewal that timed out is not trusted either way, and
 *   the next round reads the key: if the newest write is ours (a late renewal landed) we continue, if the
 *   key holds an earlier lease of ours we take it back, and only someone else's live lease is given up.
 *
 * Balance: every node aims at ceil(shards / live nodes), prefers shards by rendezvous hash so nodes do
 * not fight over the same ones, and hands back extras gradually when nodes join.
 */
export class ShardLeases {
  readonly #leases: KV;
  readonly #nodes: KV;
  readonly #options: ShardLeaseOptions;
  readonly #owned = new Map<number, OwnedLease>();
  readonly #busy = new Set<number>();
  #timer: ReturnType<typeof setInterval> | undefined;
  #ticking = false;
  #again = false;
  #stopped = false;
  #coveredShards = 0;
  /** `performance.now()` when the last scan completed (0 before the first). */
  #coveredAt = 0;
  /** `performance.now()` until which our heartbeat is surely alive in the bucket (0 before the first). */
  #heartbeatValidUntil = 0;

  constructor(leases: KV, nodes: KV, options: ShardLeaseOptions) {
    this.#leases = leases;
    this.#nodes = nodes;
    this.#options = { ...options, heartbeatTtlMs: Math.min(options.heartbeatTtlMs, options.ttlMs) };
  }

  get tickMs(): number {
    return Math.max(100, Math.floor(Math.min(this.#options.ttlMs, this.#options.heartbeatTtlMs) / 4));
  }

  /** Shards this node may write for right now. */
  isValid(shard: number): boolean {
    const lease = this.#owned.get(shard);
    const now = performance.now();
    return lease !== undefined && now < lease.validUntil && now < this.#heartbeatValidUntil;
  }

  /** The fencing epoch of our lease on `shard` (0 when we hold none). */
  epochOf(shard: number): number {
    return this.#owned.get(shard)?.epoch ?? 0;
  }

  /** Shards we hold a lease on (valid or waiting for confirmation). */
  owned(): number[] {
    return [...this.#owned.keys()].sort((a, b) => a - b);
  }

  /** Shards we may write for right now. */
  valid(): number[] {
    return this.owned().filter((shard) => this.isValid(shard));
  }

  /** How many shards had a live owner at the last scan (cluster coverage, for readiness). */
  get covered(): number {
    return this.#coveredShards;
  }

  /** The last scan's coverage and how old it is (`ageMs` infinite before the first scan). */
  coverage(): { live: number; ageMs: number } {
    const ageMs = this.#coveredAt === 0 ? Number.POSITIVE_INFINITY : performance.now() - this.#coveredAt;
    return { live: this.#coveredShards, ageMs };
  }

  async start(): Promise<void> {
    await this.tick();
    this.#timer = setInterval(() => void this.tick(), this.tickMs);
  }

  /**
   * One round: heartbeat, renew what is due, acquire up to the fair share, release extras, drop what
   * expired. A round asked for while one runs (e.g. on reconnect) runs right after it.
   */
  async tick(): Promise<void> {
    if (this.#stopped) return;
    if (this.#ticking) {
      this.#again = true;
      return;
    }
    this.#ticking = true;
    try {
      if (this.#options.connection?.state !== "down") {
        await this.#heartbeat();
        await this.#renewDue();
        await this.#balance();
      }
    } catch (error) {
      this.#options.onError("shard lease round failed", error);
    } finally {
      this.#ticking = false;
    }
    await this.#dropExpired();
    if (this.#again && !this.#stopped) {
      this.#again = false;
      await this.tick();
    }
  }

  /** Gives every shard back (graceful shutdown), so survivors take over without waiting for the TTL. */
  async stop(): Promise<void> {
    this.#stopped = true;
    if (this.#timer) clearInterval(this.#timer);
    await Promise.all(this.owned().map((shard) => this.#release(shard, "node stopping")));
    await this.#kv(this.#nodes.delete(this.#options.nodeId), "heartbeat delete").catch(() => undefined);
  }

  /** Forgets leases without releasing them, as a crashed process would (tests use this). */
  abandon(): void {
    this.#stopped = true;
    if (this.#timer) clearInterval(this.#timer);
  }

  async #heartbeat(): Promise<void> {
    const sentAt = performance.now();
    const value = JSON.stringify({ incarnation: this.#options.incarnation, at: Date.now() });
    await this.#kv(this.#nodes.put(this.#options.nodeId, value), "heartbeat");
    if (this.#heartbeatValidUntil !== 0 && sentAt >= this.#heartbeatValidUntil) {
      // Our heartbeat lapsed: others may have taken our shards by now. Nothing is valid again until a
      // compare-and-set renewal shows the key is still ours.
      for (const lease of this.#owned.values()) lease.validUntil = 0;
    }
    const ttl = this.#options.heartbeatTtlMs;
    this.#heartbeatValidUntil = sentAt + ttl - Math.max(250, Math.floor(ttl / 4));
  }

  async #renewDue(): Promise<void> {
    const now = performance.now();
    const every = Math.floor(this.#options.ttlMs / 4);
    const due = [...this.#owned].filter(
      ([shard, lease]) =>
        !this.#busy.has(shard) &&
        (lease.revision === undefined || lease.validUntil <= now || now - lease.renewedAt >= every),
    );
    await Promise.all(due.map(([shard, lease]) => this.#renew(shard, lease)));
  }

  async #renew(shard: number, lease: OwnedLease): Promise<void> {
    const sentAt = performance.now();
    try {
      if (lease.revision === undefined) {
        await this.#confirm(shard, lease);
        return;
      }
      const revision = await this.#kv(
        this.#leases.update(this.#key(shard), this.#value(lease.epoch), lease.revision),
        `renewing shard ${shard}`,
      );
      if (this.#owned.get(shard) === lease) this.#renewed(lease, revision, sentAt);
    } catch (error) {
      if (isWrongSequence(error)) {
        // The key changed since our last known write: a late renewal of ours landed, or someone took it.
        lease.revision = undefined;
        await this.#confirm(shard, lease).catch((e) => this.#options.onError(`checking shard ${shard}`, e));
      } else {
        // Timed out or failed in transit: it may have landed or not. Not trusted either way; next round reads.
        lease.revision = undefined;
        this.#options.onError(`renewing shard ${shard} failed`, error);
      }
    }
  }

  /** Reads the key after an uncertain renewal and continues, takes back, or gives up the lease. */
  async #confirm(shard: number, lease: OwnedLease): Promise<void> {
    const entry = await this.#kv(this.#leases.get(this.#key(shard)), `reading shard ${shard}`);
    const holder = entry && entry.operation === "PUT" ? parseLease(entry) : undefined;
    if (!entry || !holder || !this.#isMine(holder)) {
      await this.#lose(shard, holder ? `lease taken by ${holder.node}` : "lease expired");
      return;
    }
    const sentAt = performance.now();
    const revision = await this.#kv(
      this.#leases.update(this.#key(shard), this.#value(lease.epoch), entry.revision),
      `renewing shard ${shard}`,
    );
    if (this.#owned.get(shard) !== lease) return;
    if (holder.epoch === lease.epoch || entry.revision === lease.epoch) {
      // The newest write is a renewal of this very lease (or still its acquisition): every write since
      // our acquisition was ours.
      this.#renewed(lease, revision, sentAt);
    } else {
      // Ours, but not provably continuous (e.g. a late creation landed after the key expired): serve it
      // as a new acquisition with a new epoch, reloading what another owner may have changed meanwhile.
      await this.#lose(shard, "lease re-taken");
      await this.#adopt(shard, revision, sentAt);
    }
  }

  #renewed(lease: OwnedLease, revision: number, sentAt: number): void {
    lease.revision = revision;
    lease.renewedAt = sentAt;
    lease.validUntil = this.#validUntil(sentAt);
  }

  async #dropExpired(): Promise<void> {
    // A lease that lapsed (e.g. NATS was away) is kept a while: the next renewal may show it is still
    // ours. Past the TTL its key has expired for sure and another node may serve the shard.
    const now = performance.now();
    for (const [shard, lease] of [...this.#owned]) {
      if (this.#busy.has(shard) || this.isValid(shard)) continue;
      const lapsedAt = Math.min(lease.validUntil || lease.renewedAt, this.#heartbeatValidUntil);
      if (now - lapsedAt >= this.#options.ttlMs) await this.#lose(shard, "lease expired");
    }
  }

  /** Reads every lease key and judges each holder against the heartbeats. */
  scan(): Promise<LeaseScan> {
    return scanLeases({
      leases: this.#leases,
      nodes: this.#nodes,
      listNodes: this.#options.listNodes,
      shardCount: this.#options.shardCount,
      timeoutMs: this.#options.timeoutMs,
    });
  }

  async #balance(): Promise<void> {
    const { leases, liveNodes } = await this.scan();
    this.#coveredShards = leases.filter((l) => l.live).length;
    this.#coveredAt = performance.now();
    const target = Math.ceil(this.#options.shardCount / liveNodes);
    const mine = this.#options.nodeId;
    const score = (shard: number) => fnv1a32(`${mine}:${shard}`);
    // Heartbeats all expire while NATS is away: trust "no heartbeat" only once we have been up a while.
    const trustHeartbeats =
      (this.#options.connection?.upForMs() ?? Number.POSITIVE_INFINITY) >= this.#options.heartbeatTtlMs;
    const reclaim: LeaseView[] = [];
    const free: LeaseView[] = [];
    for (const view of leases) {
      if (this.#owned.has(view.shard) || this.#busy.has(view.shard)) continue;
      const holder = view.holder;
      if (!holder) free.push(view);
      else if (this.#isMine(holder))
        reclaim.push(view); // ours on the server, not in memory (a late write)
      else if (holder.node === mine)
        free.push(view); // an earlier run of this node: it is dead
      else if (!view.live && trustHeartbeats) free.push(view);
    }
    free.sort((a, b) => score(b.shard) - score(a.shard));
    const room = Math.max(0, target - this.#owned.size - reclaim.length);
    const wanted = [...reclaim, ...free.slice(0, room)];
    for (let i = 0; i < wanted.length && !this.#stopped; i += ACQUIRE_PARALLEL) {
      const results = await Promise.all(
        wanted.slice(i, i + ACQUIRE_PARALLEL).map((v) => this.#tryAcquire(v)),
      );
      if (results.includes("unreachable")) break;
    }
    const extra = this.#owned.size - target;
    const unowned = leases.filter((l) => !l.live && !this.#owned.has(l.shard)).length;
    if (extra > 0 && unowned === 0) {
      // Hand back the shards we like least, a few per round, so joiners get theirs without a stampede.
      const byPreference = this.owned().sort((a, b) => score(a) - score(b));
      for (const shard of byPreference.slice(0, Math.min(extra, 8)))
        await this.#release(shard, "rebalancing");
    }
  }

  /** Takes a free key with `create`, a stale one with compare-and-set on the revision we read. */
  async #tryAcquire(view: LeaseView): Promise<"acquired" | "lost" | "unreachable"> {
    const { shard } = view;
    const sentAt = performance.now();
    let revision: number;
    try {
      revision = await this.#kv(
        view.holder
          ? this.#leases.update(this.#key(shard), this.#value(), view.revision)
          : this.#leases.create(this.#key(shard), this.#value()),
        `acquiring shard ${shard}`,
      );
    } catch (error) {
      if (isWrongSequence(error) || String(error).includes("exists")) return "lost";
      this.#options.onError(`acquiring shard ${shard} failed`, error);
      return "unreachable";
    }
    if (view.holder && !this.#isMine(view.holder))
      this.#options.onError(
        `took over shard ${shard} from ${view.holder.node} (no live heartbeat)`,
        undefined,
      );
    return (await this.#adopt(shard, revision, sentAt)) ? "acquired" : "lost";
  }

  async #adopt(shard: number, revision: number, sentAt: number): Promise<boolean> {
    const lease: OwnedLease = {
      epoch: revision,
      revision,
      validUntil: this.#validUntil(sentAt),
      renewedAt: sentAt,
    };
    this.#owned.set(shard, lease);
    this.#busy.add(shard);
    try {
      this.#coveredShards++;
      await this.#options.onAcquired(shard);
    } catch (error) {
      this.#options.onError(`starting shard ${shard} failed`, error);
      this.#busy.delete(shard);
      await this.#release(shard, "start failed");
      return false;
    }
    this.#busy.delete(shard);
    return true;
  }

  /** Stop serving first, then delete the key, so a successor never overlaps a writer we control. */
  async #release(shard: number, reason: string): Promise<void> {
    const lease = this.#owned.get(shard);
    if (!lease) return;
    this.#busy.add(shard);
    try {
      await this.#options.onReleased(shard, reason);
      this.#owned.delete(shard);
      if (lease.revision !== undefined)
        await this.#kv(
          this.#leases.delete(this.#key(shard), { previousSeq: lease.revision }),
          `releasing shard ${shard}`,
        ).catch(() => undefined);
    } finally {
      this.#busy.delete(shard);
    }
  }

  async #lose(shard: number, reason: string): Promise<void> {
    if (!this.#owned.has(shard)) return;
    this.#owned.delete(shard);
    await this.#options.onReleased(shard, reason);
  }

  #isMine(holder: LeaseValue): boolean {
    return holder.node === this.#options.nodeId && holder.incarnation === this.#options.incarnation;
  }

  #validUntil(sentAt: number): number {
    const margin = Math.max(250, Math.floor(this.#options.ttlMs / 4));
    return sentAt + this.#options.ttlMs - margin;
  }

  #kv<T>(call: Promise<T>, what: string): Promise<T> {
    return withDeadline(call, this.#options.timeoutMs, what);
  }

  #key(shard: number): string {
    return `shard.${shard}`;
  }

  #value(epoch?: number): string {
    const value: LeaseValue = {
      node: this.#options.nodeId,
      incarnation: this.#options.incarnation,
      ...(epoch !== undefined ? { epoch } : {}),
      at: Date.now(),
    };
    return JSON.stringify(value);
  }
}

function parseLease(entry: KvEntry): LeaseValue | undefined {
  try {
    const value = entry.json<LeaseValue>();
    return typeof value?.node === "string" ? value : undefined;
  } catch {
    return undefined;
  }
}

function parseHeartbeat(entry: KvEntry): string | undefined {
  try {
    return entry.json<{ incarnation?: string }>()?.incarnation;
  } catch {
    return undefined;
  }
}

function isWrongSequence(error: unknown): boolean {
  return String((error as Error)?.message ?? error).includes("wrong last sequence");
}
