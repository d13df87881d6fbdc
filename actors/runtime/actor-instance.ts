import { DomainError, type ErrorBody, RuntimeError } from "./errors.ts";
import { type EventStore, StaleWriteError, StorageFullError, type TimerIndex } from "./event-store.ts";
import type { AnyActorKind, DecideContext, Decision } from "./kind.ts";
import {
  type ActorRef,
  type CommandEnvelope,
  EFFECT_COMMAND,
  type LogBatch,
  type LoggedEffect,
  type Reply,
  type SnapshotRecord,
  type StoredBatch,
  TIMER_COMMAND,
} from "./protocol.ts";

export interface InstanceOptions {
  /** Commands waiting beyond this are refused with `overloaded` (guarantee 8). */
  mailboxMax: number;
  /** Most commands folded into one append. */
  maxBatch: number;
  /** Take a snapshot after this many appended batches (guarantee 6). */
  snapshotEvery: number;
  /** Command ids kept per actor for effectively-once retries (guarantee 3). */
  idempotencyMax: number;
  idempotencyRetentionMs: number;
}

/** What an instance needs from the node hosting it. */
export interface InstanceHost {
  /** Recorded in every batch this node appends. */
  nodeId?: string;
  store: EventStore;
  timerIndex: TimerIndex;
  /** False once this node may no longer write for the shard (lease expired or moved). */
  leaseValid(shard: number): boolean;
  /** The lease epoch recorded in each batch (optional: in-memory tests have no leases). */
  leaseEpoch?(shard: number): number;
  /** Arms the local wake-up for the actor's next due timer (0 disarms). */
  scheduleWake(ref: ActorRef, dueAt: number): void;
  now(): number;
  onAppend(commands: number, events: number, millis: number): void;
  onError(ref: ActorRef, message: string, error: unknown): void;
  /** A stored snapshot could not be restored and was set aside (the actor replayed its log instead). */
  onSnapshotRejected?(ref: ActorRef, error: unknown): void;
  /** Sends an effect to another actor (retrying through handovers); needed only by kinds that use effects. */
  send?(
    to: { kind: string; id: string },
    cmd: LoggedEffect[2],
    commandId: string,
    signal?: AbortSignal,
  ): Promise<Reply>;
}

interface Pending {
  envelope: CommandEnvelope;
  respond(reply: Reply): void;
}

type Status = "loading" | "ready" | "closed";

/** A command id's remembered answer: the reply, when, still pending, and the request's fingerprint. */
interface IdemEntry {
  reply: Reply;
  at: number;
  pending?: boolean;
  fp?: string;
}

/** A decision whose caller waits for a later `resolve` (or a retry that finds the command still pending). */
const WAIT = Symbol("wait");
type Outcome = Reply | typeof WAIT;

/** What one batch does besides its log record: effects to send and waiting callers to answer once durable. */
interface BatchWork {
  log: LogBatch;
  dispatch: string[];
  resolved: string[];
}

const RETRYABLE = new Set(["moved", "unavailable", "overloaded", "timeout"]);

const fail = (error: ErrorBody): Reply => ({ ok: false, error });

function timerOps(log: LogBatch): NonNullable<LogBatch["tm"]> {
  log.tm ??= [];
  return log.tm;
}

/**
 * One live actor: a mailbox, its state and the group commit loop. Commands apply one at a time in
 * arrival order; everything that queued while an append was in flight goes into the next append, and
 * every caller is answered only after the append that carries its effect is acknowledged.
 */
export class ActorInstance {
  readonly ref: ActorRef;
  lastUsed = 0;
  readonly #kind: AnyActorKind;
  readonly #host: InstanceHost;
  readonly #options: InstanceOptions;
  #status: Status = "loading";
  #state: unknown;
  #idem = new Map<string, IdemEntry>();
  /** The outbox: effects sent (or to send) whose reply has not been consumed yet. */
  #effects = new Map<string, { to: LoggedEffect[1]; cmd: LoggedEffect[2] }>();
  /** Callers waiting for a deferred command's answer, by command id (in memory only: retries re-attach). */
  #waiters = new Map<string, Array<(reply: Reply) => void>>();
  #timers = new Map<string, { at: number; data: unknown }>();
  #seq = 0;
  #batchesSinceSnapshot = 0;
  /** Command records appended since the last snapshot: what an activation would replay after it. */
  #commandsSinceSnapshot = 0;
  #snapshotInFlight = false;
  #indexedDue = 0;
  #indexDirty = false;
  #queue: Pending[] = [];
  /** Aborted on close: node-local effect services stop work this instance no longer owns. */
  readonly #closed = new AbortController();
  #draining: Promise<void> | undefined;

  constructor(ref: ActorRef, kind: AnyActorKind, host: InstanceHost, options: InstanceOptions) {
    this.ref = ref;
    this.#kind = kind;
    this.#host = host;
    this.#options = options;
    this.#state = kind.initialState(ref.id);
    this.lastUsed = host.now();
  }

  get status(): Status {
    return this.#status;
  }
  get queued(): number {
    return this.#queue.length;
  }
  /** Nothing queued and nothing in flight: safe to passivate. */
  get idle(): boolean {
    return (
      this.#queue.length === 0 &&
      this.#draining === undefined &&
      !this.#snapshotInFlight &&
      this.#effects.size === 0 &&
      this.#waiters.size === 0
    );
  }
  /** The durable sequence this instance's state reflects (for tests and diagnostics). */
  get seq(): number {
    return this.#seq;
  }

  /** Queues a command; answers `overloaded` at once when the mailbox is full. */
  enqueue(envelope: CommandEnvelope, respond: (reply: Reply) => void): void {
    if (this.#status === "closed") {
      respond(fail(new RuntimeError("moved", "actor is not active on this node").toBody()));
      return;
    }
    if (this.#queue.length >= this.#options.mailboxMax) {
      respond(fail(new RuntimeError("overloaded", "actor mailbox is full", 200).toBody()));
      return;
    }
    this.lastUsed = this.#host.now();
    this.#queue.push({ envelope, respond });
    this.#kick();
  }

  /** Loads the snapshot and the events after it, then starts serving. */
  async activate(): Promise<void> {
    try {
      await this.#load();
      if (this.#status === "loading") this.#status = "ready";
      // A workflow interrupted by a crash or handover resumes here: every pending effect is sent again.
      for (const key of this.#effects.keys()) this.#dispatch(key);
      this.#kick();
    } catch (error) {
      this.#host.onError(this.ref, "activation failed", error);
      this.close("activation failed: event store unavailable", "unavailable");
    }
  }

  /** Stops the instance; queued commands are answered with a retryable error. */
  close(reason = "actor passivated", kind: "moved" | "unavailable" = "moved"): void {
    if (this.#status === "closed") return;
    this.#status = "closed";
    this.#closed.abort(new Error(reason));
    const queued = this.#queue.splice(0);
    for (const p of queued) p.respond(fail(new RuntimeError(kind, reason, 100).toBody()));
    for (const waiters of this.#waiters.values()) {
      for (const w of waiters) w(fail(new RuntimeError(kind, reason, 100).toBody()));
    }
    this.#waiters.clear();
  }

  /** Resolves when the append in flight (if any) has finished. */
  async settled(): Promise<void> {
    await this.#draining;
  }

  /** Writes a snapshot now if enough has happened since the last one (used before passivation). */
  snapshotIfWorthIt(minBatches: number): void {
    if (this.#batchesSinceSnapshot >= minBatches) this.#snapshot();
  }

  async #load(): Promise<void> {
    let loaded = await this.#host.store.load(this.ref);
    this.#reset();
    if (loaded.snapshot && !this.#tryRestore(loaded.snapshot)) {
      // A snapshot this code cannot read (a bug, an old format, a damaged write) must never brick the
      // actor: the log is the truth, so replay all of it.
      loaded = await this.#host.store.load(this.ref, { withoutSnapshot: true });
      this.#reset();
    }
    for (const stored of loaded.batches) this.#fold(stored);
    this.#seq = loaded.lastSeq;
    this.#batchesSinceSnapshot = loaded.batches.length;
    this.#commandsSinceSnapshot = 0;
    for (const stored of loaded.batches) this.#commandsSinceSnapshot += stored.batch.cmds.length;
    const due = this.#nextDue();
    this.#indexedDue = due;
    this.#host.scheduleWake(this.ref, due);
  }

  #reset(): void {
    this.#state = this.#kind.initialState(this.ref.id);
    this.#idem.clear();
    this.#timers.clear();
    this.#effects.clear();
    this.#seq = 0;
  }

  #tryRestore(snapshot: SnapshotRecord): boolean {
    try {
      this.#restore(snapshot);
      return true;
    } catch (error) {
      if (this.#host.onSnapshotRejected) this.#host.onSnapshotRejected(this.ref, error);
      else this.#host.onError(this.ref, "snapshot rejected; replaying the log from the start", error);
      return false;
    }
  }

  #restore(snapshot: SnapshotRecord): void {
    this.#state = this.#kind.state ? this.#kind.state.parse(snapshot.state) : snapshot.state;
    for (const [id, reply, at, pending, fp] of snapshot.idem)
      this.#idem.set(id, { reply, at, ...(pending ? { pending: true } : {}), ...(fp ? { fp } : {}) });
    for (const [name, at, data] of snapshot.timers) this.#timers.set(name, { at, data });
    for (const [key, to, cmd] of snapshot.effects ?? []) this.#effects.set(key, { to, cmd });
    this.#seq = snapshot.seq;
  }

  /** Replays one stored batch: the same `apply` as live traffic, with no side effects. */
  #fold({ batch }: StoredBatch): void {
    for (const event of batch.ev) this.#state = this.#kind.apply(this.#state, event);
    for (const cmd of batch.cmds) {
      if (!cmd.id) continue;
      // A `$resolve` record carries no fingerprint: the one stored when the id was first used stays.
      // Built field by field, not by spreading: activation replays tens of thousands of these.
      const fp = cmd.fp ?? (cmd.type === "$resolve" ? this.#idem.get(cmd.id)?.fp : undefined);
      const entry: IdemEntry = { reply: cmd.r, at: batch.at };
      if (cmd.pending) entry.pending = true;
      if (fp) entry.fp = fp;
      this.#idem.set(cmd.id, entry);
    }
    for (const [key, to, cmd] of batch.fx ?? []) this.#effects.set(key, { to, cmd });
    for (const key of batch.fxd ?? []) this.#effects.delete(key);
    for (const op of batch.tm ?? []) {
      if (op.length === 1) this.#timers.delete(op[0]);
      else this.#timers.set(op[0], { at: op[1], data: op[2] });
    }
  }

  #kick(): void {
    if (this.#status !== "ready" || this.#draining || this.#queue.length === 0) return;
    this.#draining = this.#drain().finally(() => {
      this.#draining = undefined;
      this.#kick();
    });
  }

  async #drain(): Promise<void> {
    while (this.#status === "ready" && this.#queue.length > 0) {
      const batch = this.#queue.splice(0, this.#options.maxBatch);
      await this.#runBatch(batch);
    }
  }

  async #runBatch(batch: Pending[]): Promise<void> {
    if (!this.#host.leaseValid(this.ref.shard)) {
      // A paused or partitioned owner finds out here, before it writes anything (guarantee 1).
      for (const p of batch) p.respond(fail(new RuntimeError("moved", "shard lease lost", 100).toBody()));
      this.close("shard lease lost");
      return;
    }
    const now = this.#host.now();
    const log: LogBatch = { at: now, ev: [], cmds: [] };
    if (this.#host.nodeId) log.node = this.#host.nodeId;
    if (this.#host.leaseEpoch) log.epoch = this.#host.leaseEpoch(this.ref.shard);
    const work: BatchWork = { log, dispatch: [], resolved: [] };
    const replies: Outcome[] = [];
    try {
      for (const p of batch) replies.push(this.#decide(p.envelope, now, work));
    } catch (error) {
      // A handler or `apply` threw something other than a domain error: the state may be half-changed.
      this.#host.onError(this.ref, "handler failed", error);
      await this.#failBatch(batch, "unavailable", "internal error while applying the command");
      return;
    }
    if (log.cmds.length > 0 || log.tm || log.fxd) {
      const started = performance.now();
      try {
        const due = this.#nextDue();
        if (due !== 0 && (this.#indexedDue === 0 || due < this.#indexedDue)) {
          // Index first: a crash after this leaves an early wake-up (harmless), never a lost timer.
          await this.#host.timerIndex.set(this.ref, due);
          this.#indexedDue = due;
        }
        this.#seq = await this.#host.store.append(this.ref, log, this.#seq);
      } catch (error) {
        const stale = error instanceof StaleWriteError;
        const full = error instanceof StorageFullError;
        if (!stale) this.#host.onError(this.ref, "append failed", error);
        await this.#failBatch(
          batch,
          stale ? "moved" : full ? "storage_full" : "unavailable",
          stale
            ? "actor was written elsewhere; retry"
            : full
              ? "event log is full; nothing was written"
              : "event log unavailable; retry",
        );
        return;
      }
      this.#host.onAppend(log.cmds.length, log.ev.length, performance.now() - started);
      this.#batchesSinceSnapshot++;
      this.#commandsSinceSnapshot += log.cmds.length;
      if (this.#status !== "closed") this.#afterAppend(now);
    } else if (this.#indexDirty) {
      this.#afterAppend(now);
    }
    for (let i = 0; i < batch.length; i++) {
      const reply = replies[i]!;
      const pending = batch[i]!;
      if (reply !== WAIT) pending.respond(reply);
      else this.#wait(pending.envelope.id!, pending.respond);
    }
    if (this.#status === "closed") return;
    for (const key of work.dispatch) this.#dispatch(key);
    for (const id of work.resolved) this.#notify(id);
  }

  #wait(commandId: string, respond: (reply: Reply) => void): void {
    const entry = this.#idem.get(commandId);
    if (entry && !entry.pending) {
      respond(entry.reply);
      return;
    }
    const list = this.#waiters.get(commandId) ?? [];
    list.push(respond);
    this.#waiters.set(commandId, list);
  }

  #notify(commandId: string): void {
    const entry = this.#idem.get(commandId);
    const list = this.#waiters.get(commandId);
    if (!entry || entry.pending || !list) return;
    this.#waiters.delete(commandId);
    for (const respond of list) respond(entry.reply);
  }

  /** Sends one pending effect; its reply comes back through the mailbox as an internal command. */
  #dispatch(key: string, attempt = 0): void {
    const effect = this.#effects.get(key);
    if (!effect || this.#status === "closed") return;
    if (!this.#host.send) {
      this.#host.onError(this.ref, `effect ${key} cannot be sent: this host has no sender`, undefined);
      return;
    }
    this.#host
      .send(effect.to, effect.cmd, `${this.ref.kind}:${this.ref.id}:${key}`, this.#closed.signal)
      .then((reply) => {
        if (!reply.ok && RETRYABLE.has(reply.error.kind)) throw new Error(reply.error.message);
        this.#enqueueInternal({ cmd: { type: EFFECT_COMMAND, key, reply } });
      })
      .catch((error) => {
        // Still pending and durable: keep trying while we own the actor; a new owner re-sends on activation.
        this.#host.onError(this.ref, `effect ${key} failed; retrying`, error);
        const delay = Math.min(5_000, 100 * 2 ** attempt);
        setTimeout(() => this.#dispatch(key, attempt + 1), delay);
      });
  }

  /** Runtime-internal commands are never refused for a full mailbox: losing one would stall a workflow. */
  #enqueueInternal(envelope: CommandEnvelope): void {
    if (this.#status === "closed") return;
    this.#queue.push({ envelope, respond: () => undefined });
    this.#kick();
  }

  /** A failed append: answer exactly this batch with a retryable error and rebuild from the log. */
  async #failBatch(
    batch: Pending[],
    kind: "moved" | "unavailable" | "storage_full",
    message: string,
  ): Promise<void> {
    // Storage full lasts until an operator frees space: tell callers to come back later, not at once.
    const retryAfterMs = kind === "storage_full" ? 5_000 : 100;
    for (const p of batch) p.respond(fail(new RuntimeError(kind, message, retryAfterMs).toBody()));
    if (this.#status === "closed") return; // closing is final: a closed instance never serves again
    this.#status = "loading";
    try {
      await this.#load();
      if (this.#status === "loading") this.#status = "ready";
    } catch (error) {
      this.#host.onError(this.ref, "reload after failed append failed", error);
      this.close("event log unavailable; retry", "unavailable");
      return;
    }
    // Effect replies in the failed batch were consumed in memory only: their effects are pending again
    // after the reload, so ask the targets again (they answer from their idempotency tables). A delay keeps
    // a handler that always throws from spinning.
    for (const p of batch) {
      const key =
        p.envelope.cmd?.type === EFFECT_COMMAND ? (p.envelope.cmd as { key?: string }).key : undefined;
      if (key && this.#effects.has(key)) setTimeout(() => this.#dispatch(key, 1), 100);
    }
  }

  #afterAppend(now: number): void {
    const due = this.#nextDue();
    this.#host.scheduleWake(this.ref, due);
    if (due !== this.#indexedDue || this.#indexDirty) {
      this.#indexedDue = due;
      this.#indexDirty = false;
      this.#host.timerIndex
        .set(this.ref, due)
        .catch((error) => this.#host.onError(this.ref, "timer index update failed", error));
    }
    this.#pruneIdempotency(now);
    // A snapshot carries the whole idempotency table, a log tail only its own commands. A hot actor (a
    // flash-sale SKU holds one entry per sale) would spend more time writing snapshots than deciding, so
    // past `snapshotEvery` batches it also waits until the tail holds half as many commands as the table:
    // snapshot work stays proportional to the traffic, and activation replays at most that tail.
    if (
      this.#batchesSinceSnapshot >= this.#options.snapshotEvery &&
      this.#commandsSinceSnapshot * 2 >= this.#idem.size
    )
      this.#snapshot();
  }

  #decide(envelope: CommandEnvelope, now: number, work: BatchWork): Outcome {
    const type = envelope.cmd?.type;
    if (type === TIMER_COMMAND) return this.#runDueTimers(now, work, envelope);
    if (type === EFFECT_COMMAND) return this.#consumeEffect(now, work, envelope);
    if (envelope.id !== undefined) {
      const seen = this.#idem.get(envelope.id);
      if (seen && seen.fp !== undefined && envelope.fp !== undefined && seen.fp !== envelope.fp) {
        // The same key for another request: replaying the first answer would tell the caller that this
        // request succeeded when it never ran.
        return fail({
          kind: "idempotency_key_reused",
          message: "this idempotency key was already used for a different request",
        });
      }
      if (seen) return seen.pending ? WAIT : seen.reply;
    }
    const parsed = this.#kind.commands.safeParse(envelope.cmd);
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      return fail({
        kind: "invalid",
        message: issue?.message ?? "invalid command",
        details: { field: issue?.path.join(".") ?? "", issues: parsed.error.issues.length },
      });
    }
    const command = parsed.data as { type: string };
    const handler = this.#kind.handlers[command.type] as
      | ((s: unknown, c: unknown, ctx: DecideContext) => Decision<{ type: string }>)
      | undefined;
    if (!handler) return fail({ kind: "invalid", message: `unknown command ${command.type}` });
    const readOnly = this.#kind.readOnly?.includes(command.type) ?? false;
    if (!readOnly && envelope.id === undefined) {
      return fail({ kind: "invalid", message: "a write command needs an id" });
    }
    const ctx: DecideContext = {
      id: this.ref.id,
      now,
      meta: envelope.meta ?? {},
      ...(envelope.id !== undefined ? { commandId: envelope.id } : {}),
    };
    let decision: Decision<{ type: string }>;
    // A refusal (sold out, limit reached) is an answer, not a bug: under a flash sale most commands end
    // in one, and capturing a stack for each cost more than deciding the command. Handlers decide without
    // side effects, so a real bug is decided again with stacks on, and its stack reaches the log.
    const stackLimit = Error.stackTraceLimit;
    Error.stackTraceLimit = 0;
    try {
      decision = handler(this.#state, command, ctx);
    } catch (error) {
      Error.stackTraceLimit = stackLimit;
      if (error instanceof DomainError) return fail(error.toBody());
      handler(this.#state, command, ctx); // throws again, now with its stack
      throw error;
    } finally {
      Error.stackTraceLimit = stackLimit;
    }
    const reply: Reply = { ok: true, value: decision.reply ?? null };
    const writes =
      decision.events.length > 0 || decision.timers || decision.effects?.length || decision.resolve?.length;
    if (readOnly || (!writes && !decision.defer)) return reply;
    this.#record(work, decision, { type: command.type, envelope, reply, now });
    return decision.defer ? WAIT : reply;
  }

  /** An effect's reply: consumed once (a duplicate delivery finds the key gone) and persisted with onEffect's decision. */
  #consumeEffect(now: number, work: BatchWork, envelope: CommandEnvelope): Outcome {
    const { key, reply } = envelope.cmd as unknown as { key: string; reply: Reply };
    if (!this.#effects.has(key)) return { ok: true, value: null };
    this.#effects.delete(key);
    work.log.fxd = [...(work.log.fxd ?? []), key];
    const ctx: DecideContext = { id: this.ref.id, now, meta: { by: "system:effect" } };
    let decision: Decision<{ type: string }> = { events: [], reply: null };
    try {
      if (this.#kind.onEffect) decision = this.#kind.onEffect(this.#state, { key, reply }, ctx);
    } catch (error) {
      if (!(error instanceof DomainError)) throw error;
    }
    this.#record(work, decision, {
      type: `${EFFECT_COMMAND}:${key}`,
      envelope: { cmd: envelope.cmd, meta: { by: "system:effect" } },
      reply: { ok: true, value: null },
      now,
    });
    return { ok: true, value: null };
  }

  #record(
    work: BatchWork,
    decision: Decision<{ type: string }>,
    cause: { type: string; envelope: CommandEnvelope; reply: Reply; now: number },
  ): void {
    const { log } = work;
    for (const event of decision.events) {
      if (this.#kind.events) {
        const checked = this.#kind.events.safeParse(event);
        if (!checked.success)
          throw new Error(
            `${this.ref.kind} emitted an invalid ${event.type} event: ${checked.error.message}`,
          );
      }
      this.#state = this.#kind.apply(this.#state, event);
      log.ev.push(event);
    }
    for (const timer of decision.timers?.set ?? []) {
      this.#timers.set(timer.name, { at: timer.at, data: timer.data ?? null });
      timerOps(log).push([timer.name, timer.at, timer.data ?? null]);
    }
    for (const name of decision.timers?.cancel ?? []) {
      if (this.#timers.delete(name)) timerOps(log).push([name]);
    }
    for (const effect of decision.effects ?? []) {
      if (this.#effects.has(effect.key))
        throw new Error(`${this.ref.kind} started effect ${effect.key} twice`);
      this.#effects.set(effect.key, { to: effect.to, cmd: effect.cmd });
      log.fx = [...(log.fx ?? []), [effect.key, effect.to, effect.cmd]];
      work.dispatch.push(effect.key);
    }
    const { envelope } = cause;
    const deferred = decision.defer === true && envelope.id !== undefined;
    if (envelope.id !== undefined) {
      this.#idem.set(envelope.id, {
        reply: cause.reply,
        at: cause.now,
        ...(deferred ? { pending: true } : {}),
        ...(envelope.fp !== undefined ? { fp: envelope.fp } : {}),
      });
    }
    log.cmds.push({
      ...(envelope.id !== undefined ? { id: envelope.id } : {}),
      r: cause.reply,
      ...(envelope.id !== undefined && envelope.fp !== undefined ? { fp: envelope.fp } : {}),
      n: decision.events.length,
      type: cause.type,
      ...(envelope.meta?.by ? { by: envelope.meta.by } : {}),
      ...(envelope.meta?.requestId ? { rid: envelope.meta.requestId } : {}),
      ...(deferred ? { pending: true as const } : {}),
    });
    for (const { commandId, reply } of decision.resolve ?? []) {
      const entry = this.#idem.get(commandId);
      if (!entry?.pending) continue; // already answered (or never deferred): the first answer stands
      this.#idem.set(commandId, { reply, at: entry.at, ...(entry.fp ? { fp: entry.fp } : {}) });
      log.cmds.push({ id: commandId, r: reply, n: 0, type: "$resolve" });
      work.resolved.push(commandId);
    }
  }

  /** Fires every due timer; each firing and its removal persist in one append (exactly once in effect). */
  #runDueTimers(now: number, work: BatchWork, envelope: CommandEnvelope): Reply {
    const { log } = work;
    this.#indexDirty = true;
    const due = [...this.#timers.entries()].filter(([, t]) => t.at <= now).sort((a, b) => a[1].at - b[1].at);
    for (const [name, timer] of due) {
      if (!this.#timers.has(name)) continue;
      this.#timers.delete(name);
      timerOps(log).push([name]);
      const ctx: DecideContext = { id: this.ref.id, now, meta: { by: "system:timer" } };
      let decision: Decision<{ type: string }> = { events: [], reply: null };
      try {
        if (this.#kind.onTimer) decision = this.#kind.onTimer(this.#state, { name, data: timer.data }, ctx);
      } catch (error) {
        if (!(error instanceof DomainError)) throw error;
      }
      this.#record(work, decision, {
        type: `${TIMER_COMMAND}:${name}`,
        envelope: { cmd: envelope.cmd, meta: { by: "system:timer" } },
        reply: { ok: true, value: decision.reply },
        now,
      });
    }
    return { ok: true, value: { fired: due.length } };
  }

  #nextDue(): number {
    let next = 0;
    for (const { at } of this.#timers.values()) if (next === 0 || at < next) next = at;
    return next;
  }

  #pruneIdempotency(now: number): void {
    const { idempotencyMax, idempotencyRetentionMs } = this.#options;
    // Map iteration is insertion order, so the oldest ids come first.
    for (const [id, entry] of this.#idem) {
      if (this.#idem.size <= idempotencyMax && now - entry.at < idempotencyRetentionMs) break;
      if (entry.pending) continue; // a caller may still be waiting for it
      this.#idem.delete(id);
    }
  }

  /** Captures the persisted state synchronously (no batch is mid-apply here) and writes it in the background. */
  #snapshot(): void {
    if (this.#snapshotInFlight || this.#status !== "ready") return;
    const snapshot: SnapshotRecord = {
      seq: this.#seq,
      state: this.#kind.encodeState ? this.#kind.encodeState(this.#state) : this.#state,
      idem: [...this.#idem].map(([id, e]) => {
        if (e.fp !== undefined) return [id, e.reply, e.at, e.pending ? 1 : 0, e.fp];
        return e.pending ? [id, e.reply, e.at, 1] : [id, e.reply, e.at];
      }),
      timers: [...this.#timers].map(([name, t]) => [name, t.at, t.data]),
      effects: [...this.#effects].map(([key, e]) => [key, e.to, e.cmd]),
    };
    this.#batchesSinceSnapshot = 0;
    this.#commandsSinceSnapshot = 0;
    this.#snapshotInFlight = true;
    this.#host.store
      .saveSnapshot(this.ref, snapshot)
      .catch((error) => this.#host.onError(this.ref, "snapshot failed", error))
      .finally(() => {
        this.#snapshotInFlight = false;
      });
  }
}
