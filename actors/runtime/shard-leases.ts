import type { KV } from "@nats-io/kv";
import { fnv1a32 } from "./shard.ts";

export interface ShardLeaseOptions {
  nodeId: string;
  shardCount: number;
  /** Lease lifetime; a dead owner's shards are taken over after about this long. */
  ttlMs: number;
  /** Called when this node starts owning a shard (subscribe, load its timers). */
  onAcquired(shard: number): Promise<void>;
  /** Called when this node must stop serving a shard, before anyone else may take it. */
  onReleased(shard: number, reason: string): Promise<void>;
  onError(message: string, error: unknown): void;
}

interface OwnedLease {
  /** KV revision at acquisition: strictly increasing across successive owners of a shard (a fencing epoch). */
  epoch: number;
  revision: number;
  /** `performance.now()` after which we must not write: renewal sent time + TTL − safety margin. */
  validUntil: number;
}

/**
 * Shard ownership through a NATS KV bucket whose max age is the lease TTL. `create` is exclusive and
 * `update(revision)` is compare-and-set, so at most one node holds a live lease per shard. An owner that
 * cannot renew stops serving before the TTL runs out (validUntil keeps a margin), and the event log's
 * per-actor compare-and-set fences any write that slips through (a paused process).
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
  #stopped = false;
  #coveredShards = 0;

  constructor(leases: KV, nodes: KV, options: ShardLeaseOptions) {
    this.#leases = leases;
    this.#nodes = nodes;
    this.#options = options;
  }

  get tickMs(): number {
    return Math.max(100, Math.floor(this.#options.ttlMs / 4));
  }

  /** Shards this node may write for right now. */
  isValid(shard: number): boolean {
    const lease = this.#owned.get(shard);
    return lease !== undefined && performance.now() < lease.validUntil;
  }

  /** The fencing epoch of our lease on `shard` (0 when we hold none). */
  epochOf(shard: number): number {
    return this.#owned.get(shard)?.epoch ?? 0;
  }

  owned(): number[] {
    return [...this.#owned.keys()].sort((a, b) => a - b);
  }

  /** How many shards had a live owner at the last scan (cluster coverage, for readiness). */
  get covered(): number {
    return this.#coveredShards;
  }

  async start(): Promise<void> {
    await this.#heartbeat();
    await this.tick();
    this.#timer = setInterval(() => void this.tick(), this.tickMs);
  }

  /** One round: heartbeat, renew, drop what expired, acquire up to the fair share, release extras. */
  async tick(): Promise<void> {
    if (this.#ticking || this.#stopped) return;
    this.#ticking = true;
    try {
      await this.#heartbeat();
      await this.#renewAll();
      await this.#balance();
    } catch (error) {
      this.#options.onError("shard lease round failed", error);
    } finally {
      this.#ticking = false;
    }
    await this.#dropExpired();
  }

  /** Gives every shard back (graceful shutdown), so survivors take over without waiting for the TTL. */
  async stop(): Promise<void> {
    this.#stopped = true;
    if (this.#timer) clearInterval(this.#timer);
    await Promise.all(this.owned().map((shard) => this.#release(shard, "node stopping")));
    await this.#nodes.delete(this.#options.nodeId).catch(() => undefined);
  }

  /** Forgets leases without releasing them, as a crashed process would (tests use this). */
  abandon(): void {
    this.#stopped = true;
    if (this.#timer) clearInterval(this.#timer);
  }

  async #heartbeat(): Promise<void> {
    await this.#nodes.put(this.#options.nodeId, JSON.stringify({ at: Date.now() }));
  }

  async #renewAll(): Promise<void> {
    await Promise.all(
      [...this.#owned].map(async ([shard, lease]) => {
        if (this.#busy.has(shard)) return;
        const sentAt = performance.now();
        try {
          const revision = await this.#leases.update(this.#key(shard), this.#value(), lease.revision);
          this.#owned.set(shard, { epoch: lease.epoch, revision, validUntil: this.#validUntil(sentAt) });
        } catch (error) {
          if (isWrongSequence(error)) {
            // Someone else holds it: our lease expired while we could not renew (e.g. we were paused).
            await this.#lose(shard, "lease taken by another node");
          } else {
            this.#options.onError(`renewing shard ${shard} failed`, error);
          }
        }
      }),
    );
  }

  async #dropExpired(): Promise<void> {
    for (const shard of this.owned()) {
      if (!this.isValid(shard) && !this.#busy.has(shard)) await this.#lose(shard, "lease expired");
    }
  }

  async #balance(): Promise<void> {
    const liveNodes = await this.#liveNodeCount();
    const target = Math.ceil(this.#options.shardCount / Math.max(1, liveNodes));
    const free: number[] = [];
    let covered = 0;
    await Promise.all(
      Array.from({ length: this.#options.shardCount }, async (_, shard) => {
        const entry = await this.#leases.get(this.#key(shard));
        if (entry && entry.operation === "PUT") covered++;
        else free.push(shard);
      }),
    );
    this.#coveredShards = covered;
    const mine = this.#options.nodeId;
    const score = (shard: number) => fnv1a32(`${mine}:${shard}`);
    free.sort((a, b) => score(b) - score(a));
    for (const shard of free) {
      if (this.#owned.size >= target || this.#stopped) break;
      await this.#tryAcquire(shard);
    }
    const extra = this.#owned.size - target;
    if (extra > 0 && free.length === 0) {
      // Hand back the shards we like least, a few per round, so joiners get theirs without a stampede.
      const byPreference = this.owned().sort((a, b) => score(a) - score(b));
      for (const shard of byPreference.slice(0, Math.min(extra, 8)))
        await this.#release(shard, "rebalancing");
    }
  }

  async #liveNodeCount(): Promise<number> {
    let count = 0;
    for await (const _ of await this.#nodes.keys()) count++;
    return count;
  }

  async #tryAcquire(shard: number): Promise<void> {
    const sentAt = performance.now();
    let revision: number;
    try {
      revision = await this.#leases.create(this.#key(shard), this.#value());
    } catch (error) {
      if (!isWrongSequence(error) && !String(error).includes("exists")) {
        this.#options.onError(`acquiring shard ${shard} failed`, error);
      }
      return;
    }
    this.#owned.set(shard, { epoch: revision, revision, validUntil: this.#validUntil(sentAt) });
    this.#busy.add(shard);
    try {
      this.#coveredShards++;
      await this.#options.onAcquired(shard);
    } catch (error) {
      this.#options.onError(`starting shard ${shard} failed`, error);
      this.#busy.delete(shard);
      await this.#release(shard, "start failed");
      return;
    }
    this.#busy.delete(shard);
  }

  /** Stop serving first, then delete the key, so a successor never overlaps a writer we control. */
  async #release(shard: number, reason: string): Promise<void> {
    const lease = this.#owned.get(shard);
    if (!lease) return;
    this.#busy.add(shard);
    try {
      await this.#options.onReleased(shard, reason);
      this.#owned.delete(shard);
      await this.#leases.delete(this.#key(shard), { previousSeq: lease.revision }).catch(() => undefined);
    } finally {
      this.#busy.delete(shard);
    }
  }

  async #lose(shard: number, reason: string): Promise<void> {
    this.#owned.delete(shard);
    await this.#options.onReleased(shard, reason);
  }

  #validUntil(sentAt: number): number {
    const margin = Math.max(250, Math.floor(this.#options.ttlMs / 4));
    return sentAt + this.#options.ttlMs - margin;
  }

  #key(shard: number): string {
    return `shard.${shard}`;
  }

  #value(): string {
    return JSON.stringify({ node: this.#options.nodeId, at: Date.now() });
  }
}

function isWrongSequence(error: unknown): boolean {
  return String((error as Error)?.message ?? error).includes("wrong last sequence");
}
