/**
 * The wire and log formats shared by callers, actor hosts and event stores. Kept tiny and JSON so a
 * person can read the log with `nats stream view`.
 */
import type { ErrorBody } from "./errors.ts";
import type { CommandMeta } from "./kind.ts";

export type Reply = { ok: true; value: unknown } | { ok: false; error: ErrorBody };

/** A request to an actor over core NATS. */
export interface CommandEnvelope {
  /** The command, `{ type, ...fields }`, validated by the kind's schema on arrival. */
  cmd: { type: string; [field: string]: unknown };
  /** Idempotency key scoped to the actor; required for writes so retries are safe. */
  id?: string;
  /**
   * Fingerprint of the request behind `id` (e.g. a hash of method, route and canonical body). Stored with
   * the answer: a later command with the same id and another fingerprint is refused, not replayed.
   */
  fp?: string;
  meta?: CommandMeta;
}

/** The runtime's own command that asks an actor to run its due timers. */
export const TIMER_COMMAND = "$timers";
/** The runtime's own command that hands an effect's reply back to the actor that sent it. */
export const EFFECT_COMMAND = "$effect";

/** A pending effect as logged: key, target, command. */
export type LoggedEffect = [string, { kind: string; id: string }, { type: string; [field: string]: unknown }];

/** One record of a write command inside a batch. */
export interface LoggedCommand {
  /** The command id, when the command had one: replay rebuilds the idempotency table from it. */
  id?: string;
  /** The reply given; stored so a retry after failover returns the original answer. */
  r: Reply;
  /** The request fingerprint the id was first used with (see `CommandEnvelope.fp`). */
  fp?: string;
  /** How many of the batch's events this command produced (events are in command order). */
  n: number;
  type: string;
  by?: string;
  rid?: string;
  /** The command was deferred: its answer comes in a later batch as a `$resolve` record with the same id. */
  pending?: true;
}

/** What one append to the log carries: every write of one group commit. */
export interface LogBatch {
  at: number;
  /** The node that wrote the batch (diagnostics, and proof in tests that a stale owner wrote nothing). */
  node?: string;
  /** The writer's shard lease epoch; successive owners have increasing epochs, so a stale writer shows. */
  epoch?: number;
  ev: Array<{ type: string; [field: string]: unknown }>;
  cmds: LoggedCommand[];
  /** Timer operations in order: `[name, dueAt, data]` sets, `[name]` clears. */
  tm?: Array<[string, number, unknown] | [string]>;
  /** Effects started by this batch (the outbox). */
  fx?: LoggedEffect[];
  /** Keys of effects whose reply this batch consumed. */
  fxd?: string[];
}

export interface StoredBatch {
  seq: number;
  batch: LogBatch;
}

/** The runtime-level record of an actor, as written in a snapshot. */
export interface SnapshotRecord {
  /** Stream sequence of the last batch folded into this snapshot. */
  seq: number;
  state: unknown;
  /** Command id → [reply, epoch ms, pending (1) or not (0), request fingerprint]. */
  idem: Array<
    [string, Reply, number] | [string, Reply, number, 0 | 1] | [string, Reply, number, 0 | 1, string]
  >;
  timers: Array<[string, number, unknown]>;
  /** Effects still waiting for their target's reply. */
  effects?: LoggedEffect[];
}

export interface ActorRef {
  kind: string;
  id: string;
  shard: number;
}

export function actorKey(ref: { kind: string; id: string }): string {
  return `${ref.kind}/${ref.id}`;
}
