import type { ActorRef, LogBatch, SnapshotRecord, StoredBatch } from "./protocol.ts";

/** What activation reads: the newest snapshot (if any) and every batch after it. */
export interface LoadedActor {
  snapshot: SnapshotRecord | undefined;
  batches: StoredBatch[];
  /** Sequence of the newest batch for this actor (0 when it has none): the next append expects it. */
  lastSeq: number;
}

export interface LoadOptions {
  withoutSnapshot?: boolean;
}

/**
 * The durable log behind every actor. `append` is a compare-and-set on the actor's last sequence:
 * that check, not timing, is what fences a stale owner.
 */
export interface EventStore {
  /**
   * The newest snapshot and the batches after it; with `withoutSnapshot`, no snapshot and every batch from
   * the start (used when a snapshot cannot be restored).
   */
  load(ref: ActorRef, options?: LoadOptions): Promise<LoadedActor>;
  /** Appends and returns the new sequence; throws `StaleWriteError` when `expectedSeq` is not the last. */
  append(ref: ActorRef, batch: LogBatch, expectedSeq: number): Promise<number>;
  /**
   * Stores the newest snapshot. Implementations must serialize `snapshot` before their first `await`:
   * the caller keeps mutating its state object as soon as this returns.
   */
  saveSnapshot(ref: ActorRef, snapshot: SnapshotRecord): Promise<void>;
}

/** Index of the next due timer per actor, so a passivated or moved actor is woken on time. */
export interface TimerIndex {
  /** Records the actor's next due time; 0 means it has none. */
  set(ref: ActorRef, dueAt: number): Promise<void>;
  loadShard(shard: number): Promise<Array<{ ref: ActorRef; dueAt: number }>>;
}

/** Another writer appended to this actor since we loaded it: our copy is stale. */
export class StaleWriteError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "StaleWriteError";
  }
}

/** The event log is out of space (its size limit or JetStream's store): nothing was appended. */
export class StorageFullError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "StorageFullError";
  }
}
