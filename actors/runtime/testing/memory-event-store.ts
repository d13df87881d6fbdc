/**
 * In-memory `EventStore` and `TimerIndex` for unit tests: the same contract as the JetStream store
 * (one global sequence, a compare-and-set on the actor's last sequence, the newest snapshot per actor)
 * plus hooks to make appends fail or wait.
 */
import {
  type EventStore,
  type LoadedActor,
  type LoadOptions,
  StaleWriteError,
  type TimerIndex,
} from "../event-store.ts";
import {
  type ActorRef,
  actorKey,
  type LogBatch,
  type SnapshotRecord,
  type StoredBatch,
} from "../protocol.ts";

/** A JSON round trip: what a real store keeps is a copy, never the caller's live object. */
const copy = <T>(value: T): T => JSON.parse(JSON.stringify(value)) as T;

/** Holds one append until `open()` is called; `entered` resolves once the append is waiting here. */
export class AppendGate {
  readonly entered: Promise<void>;
  readonly #opened: Promise<void>;
  #enter: () => void = () => undefined;
  #open: () => void = () => undefined;
  #isOpen = false;

  constructor() {
    this.entered = new Promise((resolve) => {
      this.#enter = resolve;
    });
    this.#opened = new Promise((resolve) => {
      this.#open = resolve;
    });
  }

  get isOpen(): boolean {
    return this.#isOpen;
  }

  open(): void {
    this.#isOpen = true;
    this.#open();
  }

  /** Called by the store: marks the append as arrived and waits for `open()`. */
  async pass(): Promise<void> {
    this.#enter();
    await this.#opened;
  }
}

export class MemoryEventStore implements EventStore {
  /** Calls to `append`, whatever their outcome. */
  appendCalls = 0;
  /** Appends that were stored. */
  appends = 0;
  /** Appends refused by the compare-and-set. */
  staleRejections = 0;
  /** Appends failed by `failNextAppend`. */
  failedAppends = 0;
  snapshotsSaved = 0;
  loads = 0;

  #seq = 0;
  readonly #logs = new Map<string, StoredBatch[]>();
  readonly #snapshots = new Map<string, SnapshotRecord>();
  readonly #gates: AppendGate[] = [];
  readonly #failures: Error[] = [];

  /** The next `append` call (after any already armed) rejects with a plain Error. */
  failNextAppend(message = "injected append failure"): void {
    this.#failures.push(new Error(message));
  }

  /** The next `append` call (after any already armed) waits until the returned gate is opened. */
  gateNextAppend(): AppendGate {
    const gate = new AppendGate();
    this.#gates.push(gate);
    return gate;
  }

  /** Every stored batch of the actor, oldest first (copies). */
  batches(ref: ActorRef): StoredBatch[] {
    return copy(this.#logs.get(actorKey(ref)) ?? []);
  }

  snapshot(ref: ActorRef): SnapshotRecord | undefined {
    const snapshot = this.#snapshots.get(actorKey(ref));
    return snapshot ? copy(snapshot) : undefined;
  }

  lastSeq(ref: ActorRef): number {
    return this.#logs.get(actorKey(ref))?.at(-1)?.seq ?? 0;
  }

  async load(ref: ActorRef, options: LoadOptions = {}): Promise<LoadedActor> {
    this.loads++;
    const snapshot = options.withoutSnapshot ? undefined : this.snapshot(ref);
    const after = snapshot?.seq ?? 0;
    return {
      snapshot,
      batches: this.batches(ref).filter((b) => b.seq > after),
      lastSeq: Math.max(this.lastSeq(ref), after),
    };
  }

  async append(ref: ActorRef, batch: LogBatch, expectedSeq: number): Promise<number> {
    this.appendCalls++;
    const stored = copy(batch);
    const gate = this.#gates.shift();
    const failure = this.#failures.shift();
    if (gate) await gate.pass();
    if (failure) {
      this.failedAppends++;
      throw failure;
    }
    const last = this.lastSeq(ref);
    if (last !== expectedSeq) {
      this.staleRejections++;
      throw new StaleWriteError(`${actorKey(ref)} is at ${last}, not ${expectedSeq}`);
    }
    const seq = ++this.#seq;
    const log = this.#logs.get(actorKey(ref)) ?? [];
    log.push({ seq, batch: stored });
    this.#logs.set(actorKey(ref), log);
    this.appends++;
    return seq;
  }

  async saveSnapshot(ref: ActorRef, snapshot: SnapshotRecord): Promise<void> {
    const stored = copy(snapshot); // before any await: the caller keeps mutating its state
    await Promise.resolve();
    const current = this.#snapshots.get(actorKey(ref));
    if (!current || current.seq <= stored.seq) this.#snapshots.set(actorKey(ref), stored);
    this.snapshotsSaved++;
  }
}

export class MemoryTimerIndex implements TimerIndex {
  sets = 0;
  readonly #due = new Map<string, { ref: ActorRef; dueAt: number }>();

  /** The recorded next due time of the actor (0 when none). */
  dueAt(ref: ActorRef): number {
    return this.#due.get(actorKey(ref))?.dueAt ?? 0;
  }

  async set(ref: ActorRef, dueAt: number): Promise<void> {
    this.sets++;
    if (dueAt === 0) this.#due.delete(actorKey(ref));
    else this.#due.set(actorKey(ref), { ref: { ...ref }, dueAt });
  }

  async loadShard(shard: number): Promise<Array<{ ref: ActorRef; dueAt: number }>> {
    return [...this.#due.values()].filter((e) => e.ref.shard === shard).map((e) => copy(e));
  }
}
