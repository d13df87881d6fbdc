import type { z } from "zod";
import type { DomainErrorKind } from "./errors.ts";
import type { Reply } from "./protocol.ts";

/** Who caused a command, carried into the log for audit and the ledger. */
export interface CommandMeta {
  /** The authenticated principal (user name or service). */
  by?: string;
  /** The request id at the edge, to join logs, audit rows and events. */
  requestId?: string;
}

export interface DecideContext {
  id: string;
  /** The command's id (its idempotency key), so a deferred command can later be resolved by it. */
  commandId?: string;
  /** Wall-clock milliseconds for this batch; decisions must use this, never `Date.now()`. */
  now: number;
  meta: CommandMeta;
}

export interface TimerRequest {
  /** Unique per actor; setting an existing name moves it. */
  name: string;
  /** Epoch milliseconds when it is due. */
  at: number;
  data?: unknown;
}

/**
 * A command this actor sends to another actor once the decision is durable (an outbox entry). The
 * runtime sends it with the stable id `<kind>:<id>:<key>`, so the target applies it once however often it
 * is re-sent (after a crash the new owner re-sends every effect still pending), and feeds the target's
 * reply back to this actor's `onEffect`.
 */
export interface Effect {
  /** Unique among this actor's pending effects, e.g. `reserve:<sku>`. */
  key: string;
  to: { kind: string; id: string };
  cmd: { type: string; [field: string]: unknown };
}

/**
 * A node-local handler for effects addressed to a kind that is no actor (e.g. "job-runner"): the node
 * hosting the sending actor runs it, so exactly one node (the actor's owner) does the work. Its reply is
 * fed to `onEffect` like an actor's; a rejected promise or a retryable reply is retried, and a new owner
 * re-sends a still-pending effect with the same command id (at least once: the work must be idempotent).
 * `signal` aborts when the sending instance closes (shard moved, node stopping or crashing).
 */
export type EffectService = (
  id: string,
  cmd: { type: string; [field: string]: unknown },
  commandId: string,
  signal: AbortSignal,
) => Promise<Reply>;

/** Answers a caller whose command was deferred (see `Decision.defer`). */
export interface Resolution {
  commandId: string;
  reply:
    | { ok: true; value: unknown }
    | { ok: false; error: { kind: DomainErrorKind; message: string; details?: Record<string, unknown> } };
}

/** What a handler returns: the events to persist and the caller's answer once they are durable. */
export interface Decision<E, R = unknown> {
  events: E[];
  reply: R;
  timers?: { set?: TimerRequest[]; cancel?: string[] };
  /** Commands to other actors, sent after this decision is persisted. */
  effects?: Effect[];
  /**
   * Keep the caller waiting: its answer comes later through `resolve` (e.g. when a workflow's effects
   * have completed). Retries with the same command id wait for the same answer, across failovers.
   */
  defer?: boolean;
  /** Answers deferred commands. */
  resolve?: Resolution[];
}

type CommandOf<C, T> = Extract<C, { type: T }>;

/**
 * A domain actor, declared as data. The runtime knows nothing about any domain: it validates
 * commands with `commands`, calls the handler for the command type, persists the returned events
 * and replays them with `apply` on activation.
 *
 * `apply` may update the given state in place (a hot SKU holds thousands of reservations, and copying
 * them per event would dominate the cost); the runtime owns that object and rebuilds it from the log
 * whenever an append fails, so a half-applied state is never observed.
 *
 * @example
 * const counter = defineKind({
 *   name: "counter",
 *   commands: z.discriminatedUnion("type", [z.object({ type: z.literal("add"), n: z.number() })]),
 *   initialState: () => ({ total: 0 }),
 *   apply: (s, e: { type: "added"; n: number }) => ({ total: s.total + e.n }),
 *   handlers: { add: (_s, c) => ({ events: [{ type: "added", n: c.n }], reply: { ok: true } }) },
 * });
 */
export interface ActorKind<S, C extends { type: string }, E extends { type: string }> {
  name: string;
  commands: z.ZodType<C>;
  /**
   * Schema of the events this kind emits. When given, every event a handler returns is checked before it
   * is persisted, so a buggy handler fails its batch instead of writing a record that replay cannot read.
   */
  events?: z.ZodType<E>;
  /**
   * Schema of the state as a snapshot holds it, checked (and decoded) when a snapshot is restored. A
   * snapshot that fails it is set aside: the actor replays its log from the start instead.
   */
  state?: z.ZodType<S>;
  /**
   * The snapshot form of the state, when the state is not plain JSON (e.g. it holds `Map`s). Must return a
   * value `state` decodes back to an equal state. Called synchronously when a snapshot is taken.
   */
  encodeState?(state: S): unknown;
  initialState(id: string): S;
  apply(state: S, event: E): S;
  handlers: { [T in C["type"]]: (state: S, command: CommandOf<C, T>, ctx: DecideContext) => Decision<E> };
  /** Commands that only read: they need no command id and are never written to the log. */
  readOnly?: ReadonlyArray<C["type"]>;
  /** Called for each durable timer that has come due; its events persist with the timer's removal. */
  onTimer?(state: S, timer: { name: string; data: unknown }, ctx: DecideContext): Decision<E>;
  /** Called with the target's reply to one of this actor's effects; persisted with the effect's completion. */
  onEffect?(state: S, result: { key: string; reply: Reply }, ctx: DecideContext): Decision<E>;
}

// biome-ignore lint/suspicious/noExplicitAny: the registry holds kinds of every shape
export type AnyActorKind = ActorKind<any, any, any>;

export function defineKind<S, C extends { type: string }, E extends { type: string }>(
  kind: ActorKind<S, C, E>,
): ActorKind<S, C, E> {
  return kind;
}
