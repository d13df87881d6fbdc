/**
 * A tiny in-memory cluster for tests of multi-actor workflows: real `ActorInstance`s of several kinds over
 * one shared `MemoryEventStore`, an effect "wire" between them that a test can hold, release or drop
 * message by message, and crashes. A crashed instance is closed and forgotten; whatever it still answers
 * afterwards is lost (its callers see a `timeout`, as a real caller would), and the next command or effect
 * for it activates a fresh instance from the store, which re-sends the pending effects.
 */
import { ActorInstance, type InstanceHost, type InstanceOptions } from "../actor-instance.ts";
import { RuntimeError } from "../errors.ts";
import type { AnyActorKind, EffectService } from "../kind.ts";
import { type ActorRef, actorKey, type CommandEnvelope, type LoggedEffect, type Reply } from "../protocol.ts";
import { shardOf } from "../shard.ts";
import { MemoryEventStore, MemoryTimerIndex } from "./memory-event-store.ts";

/** One effect on the wire. */
export interface WireMessage {
  /** The actor (and the instance of it) that sent the effect. */
  from: ActorRef;
  sender: ActorInstance;
  to: { kind: string; id: string };
  cmd: LoggedEffect[2];
  commandId: string;
  /** The target's answer, once it has one. */
  reply?: Reply;
  /** Aborts when the sender closes (passed to a service). */
  signal?: AbortSignal;
}

export type WirePhase = "request" | "reply";

/** A message stopped on the wire by the `hold` rule, until the test releases or drops it. */
export interface HeldMessage extends WireMessage {
  phase: WirePhase;
  /** Lets it continue: a request reaches its target, a reply reaches its sender. */
  release(): void;
  /** Loses it: the sender never hears anything (its promise stays pending). */
  drop(): void;
}

export interface MemoryClusterOptions {
  store?: MemoryEventStore;
  timerIndex?: MemoryTimerIndex;
  /** The initial clock (epoch ms). */
  clock?: number;
  instance?: Partial<InstanceOptions>;
  shardCount?: number;
  /** Node-local effect services by kind (see `EffectService`). */
  services?: ReadonlyMap<string, EffectService>;
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

const LOST: Reply = {
  ok: false,
  error: new RuntimeError("timeout", "no answer: the actor crashed", 100).toBody(),
};

export class MemoryCluster {
  readonly store: MemoryEventStore;
  readonly timerIndex: MemoryTimerIndex;
  readonly options: InstanceOptions;
  clock: number;
  /** Every `scheduleWake` call, in order. */
  readonly wakes: Array<{ ref: ActorRef; dueAt: number }> = [];
  /** Every `onError` call, in order. */
  readonly errors: Array<{ ref: ActorRef; message: string; error: unknown }> = [];
  /** Every snapshot an activation set aside (it failed the kind's state schema), in order. */
  readonly snapshotRejections: Array<{ ref: ActorRef; error: unknown }> = [];
  /** Every effect put on the wire, in order (re-sends and retries included). */
  readonly sent: WireMessage[] = [];
  /** Messages currently stopped by `hold`. */
  readonly held: HeldMessage[] = [];
  /** Decides which messages stop on the wire (none when unset). */
  hold: ((message: WireMessage, phase: WirePhase) => boolean) | undefined;

  readonly #kinds = new Map<string, AnyActorKind>();
  readonly #live = new Map<string, ActorInstance>();
  readonly #crashed = new WeakSet<ActorInstance>();
  /** Callers still waiting for each instance's answer. */
  readonly #callers = new WeakMap<ActorInstance, Set<(reply: Reply) => void>>();
  readonly #shardCount: number;
  readonly #services: ReadonlyMap<string, EffectService>;
  #inFlight = 0;

  constructor(kinds: AnyActorKind[], options: MemoryClusterOptions = {}) {
    for (const kind of kinds) this.#kinds.set(kind.name, kind);
    this.store = options.store ?? new MemoryEventStore();
    this.timerIndex = options.timerIndex ?? new MemoryTimerIndex();
    this.clock = options.clock ?? 1_700_000_000_000;
    this.#shardCount = options.shardCount ?? 16;
    this.#services = options.services ?? new Map();
    this.options = {
      mailboxMax: 1_000,
      maxBatch: 1_000,
      snapshotEvery: 1_000,
      idempotencyMax: 10_000,
      idempotencyRetentionMs: 24 * 3600_000,
      ...options.instance,
    };
  }

  ref(kind: string, id: string): ActorRef {
    return { kind, id, shard: shardOf(id, this.#shardCount) };
  }

  /** The live instance of the actor, if any. */
  instance(kind: string, id: string): ActorInstance | undefined {
    return this.#live.get(actorKey({ kind, id }));
  }

  /** The live instance, activating one from the store when there is none (not awaited: it queues meanwhile). */
  #ensure(kind: string, id: string): ActorInstance {
    const live = this.#live.get(actorKey({ kind, id }));
    if (live && live.status !== "closed") return live;
    const definition = this.#kinds.get(kind);
    if (!definition) throw new Error(`the cluster has no kind ${kind}`);
    const ref = this.ref(kind, id);
    const host = this.#host(ref);
    const instance = new ActorInstance(ref, definition, host, this.options);
    host.self = instance;
    this.#live.set(actorKey(ref), instance);
    void instance.activate();
    return instance;
  }

  /** Activates the actor (or returns the live one) and waits until it has loaded. */
  async activate(kind: string, id: string): Promise<ActorInstance> {
    const instance = this.#ensure(kind, id);
    while (instance.status === "loading") await sleep(0);
    return instance;
  }

  /** A new instance from the store after a crash (crashing the live one first if there is one). */
  async restart(kind: string, id: string): Promise<ActorInstance> {
    if (this.instance(kind, id)) this.crash(kind, id);
    return this.activate(kind, id);
  }

  /**
   * The process hosting the actor dies: the instance stops and nothing it answers from now on arrives
   * (an append it already started still reaches the store, or not, as the store's gate decides).
   */
  crash(kind: string, id: string): void {
    const key = actorKey({ kind, id });
    const instance = this.#live.get(key);
    if (!instance) throw new Error(`${key} is not live`);
    this.#crashed.add(instance);
    this.#live.delete(key);
    instance.close("crashed", "unavailable");
    for (const answer of [...(this.#callers.get(instance) ?? [])]) answer(LOST);
  }

  /**
   * Sends a command as a client would. When the instance crashes before answering, the caller times out
   * (at once, here) and whatever the dead instance answers later is lost.
   */
  command(kind: string, id: string, envelope: CommandEnvelope): Promise<Reply> {
    const instance = this.#ensure(kind, id);
    return new Promise((resolve) => {
      const waiting = this.#callers.get(instance) ?? new Set();
      this.#callers.set(instance, waiting);
      const answer = (reply: Reply) => {
        if (!waiting.delete(answer)) return;
        resolve(this.#crashed.has(instance) ? LOST : reply);
      };
      waiting.add(answer);
      instance.enqueue(envelope, answer);
    });
  }

  /** Lets every held message matching `filter` (all by default) continue. */
  release(filter: (message: HeldMessage) => boolean = () => true): number {
    const chosen = this.held.filter(filter);
    for (const message of chosen) message.release();
    return chosen.length;
  }

  /** Loses every held message matching `filter` (all by default). */
  drop(filter: (message: HeldMessage) => boolean = () => true): number {
    const chosen = this.held.filter(filter);
    for (const message of chosen) message.drop();
    return chosen.length;
  }

  /** Polls until `condition` holds; throws with `describe()` after `timeoutMs`. */
  async until(
    condition: () => boolean | Promise<boolean>,
    timeoutMs = 2_000,
    what = "condition",
  ): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!(await condition())) {
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}\n${this.describe()}`);
      await sleep(1);
    }
  }

  /** Waits until nothing is on the wire and every live instance is idle (no queue, effects or waiters). */
  async settle(timeoutMs = 2_000): Promise<void> {
    await this.until(
      () => this.#inFlight === 0 && [...this.#live.values()].every((i) => i.idle),
      timeoutMs,
      "the cluster to settle",
    );
  }

  /** What is going on, for failure messages. */
  describe(): string {
    const live = [...this.#live.entries()].map(
      ([key, i]) => `  ${key}: ${i.status} seq=${i.seq} queued=${i.queued} idle=${i.idle}`,
    );
    const held = this.held.map((m) => `  held ${m.phase} ${m.commandId} → ${actorKey(m.to)}`);
    const errors = this.errors.slice(-10).map((e) => `  error ${actorKey(e.ref)}: ${e.message}`);
    return [`in flight: ${this.#inFlight}`, ...live, ...held, ...errors].join("\n");
  }

  /** The actor's state as the log says (every event replayed from the start), whatever is live. */
  durableState<S>(kind: AnyActorKind, id: string): S {
    let state = kind.initialState(id);
    for (const event of this.events(kind.name, id)) state = kind.apply(state, event);
    return state as S;
  }

  /** Every event in the actor's log, oldest first. */
  events(kind: string, id: string): Array<{ type: string; [field: string]: unknown }> {
    return this.store.batches(this.ref(kind, id)).flatMap((stored) => stored.batch.ev);
  }

  #host(ref: ActorRef): InstanceHost & { self?: ActorInstance } {
    const host: InstanceHost & { self?: ActorInstance } = {
      nodeId: "memory",
      store: this.store,
      timerIndex: this.timerIndex,
      leaseValid: () => true,
      scheduleWake: (target, dueAt) => {
        this.wakes.push({ ref: target, dueAt });
      },
      now: () => this.clock,
      onAppend: () => undefined,
      onError: (target, message, error) => {
        this.errors.push({ ref: target, message, error });
      },
      onSnapshotRejected: (target, error) => {
        this.snapshotRejections.push({ ref: target, error });
      },
      send: (to, cmd, commandId, signal) => {
        if (!host.self) throw new Error("sent before the instance existed");
        return this.#send({
          from: ref,
          sender: host.self,
          to,
          cmd,
          commandId,
          ...(signal ? { signal } : {}),
        });
      },
    };
    return host;
  }

  #send(message: WireMessage): Promise<Reply> {
    this.sent.push(message);
    this.#inFlight++;
    return new Promise((resolve, reject) => {
      void this.#carry(message).then(
        (reply) => {
          this.#inFlight--;
          if (reply) resolve(reply);
        },
        (error) => {
          this.#inFlight--; // a service gave up (e.g. its sender closed): the sender retries
          reject(error);
        },
      );
    });
  }

  /** Request to the target, reply back; `undefined` when the message was dropped on the way. */
  async #carry(message: WireMessage): Promise<Reply | undefined> {
    await Promise.resolve(); // never delivered inside the sender's own call
    if (!(await this.#pass(message, "request"))) return undefined;
    const service = this.#services.get(message.to.kind);
    const reply = service
      ? await service(
          message.to.id,
          message.cmd,
          message.commandId,
          message.signal ?? new AbortController().signal,
        )
      : await this.command(message.to.kind, message.to.id, { cmd: message.cmd, id: message.commandId });
    message.reply = reply;
    if (!(await this.#pass(message, "reply"))) return undefined;
    return reply;
  }

  #pass(message: WireMessage, phase: WirePhase): Promise<boolean> {
    if (!this.hold?.(message, phase)) return Promise.resolve(true);
    return new Promise((resolve) => {
      const held: HeldMessage = {
        ...message,
        phase,
        release: () => settle(true),
        drop: () => settle(false),
      };
      const settle = (go: boolean) => {
        const i = this.held.indexOf(held);
        if (i < 0) return;
        this.held.splice(i, 1);
        resolve(go);
      };
      this.held.push(held);
    });
  }
}
