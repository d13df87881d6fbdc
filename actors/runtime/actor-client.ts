import type { NatsConnection } from "@nats-io/transport-node";
import type { ConnectionWatch } from "./connection-watch.ts";
import { DomainError, errorFromBody, RuntimeError } from "./errors.ts";
import { idGenerator } from "./ids.ts";
import type { CommandMeta } from "./kind.ts";
import type { ActorRef, CommandEnvelope, Reply } from "./protocol.ts";
import { isValidActorId, Subjects, shardOf } from "./shard.ts";

export interface ActorClientOptions {
  namespace: string;
  shardCount: number;
  /** One attempt's wait for a reply. */
  attemptTimeoutMs: number;
  /** Total time to keep retrying through handovers; should exceed the lease TTL. */
  deadlineMs: number;
  /**
   * Coalesce commands for the same actor into one request (default true): those issued in the same tick,
   * and, while `window` requests to that actor are in flight, everything issued until one returns.
   */
  coalesce?: boolean;
  /** Requests in flight per actor before further commands wait and travel together (default 2). */
  window?: number;
  /**
   * Most commands waiting for one actor's window (default 2,048). Beyond it a command is answered
   * `overloaded` at once (guarantee 8): backpressure must reach the caller, not pile up in the client.
   */
  maxQueued?: number;
  /**
   * The connection's health. With it, a command is answered `unavailable` at once while NATS is down or
   * stalled (and an attempt in flight is abandoned the moment it goes), instead of after the deadline.
   */
  connection?: ConnectionWatch;
}

export interface SendOptions {
  /** The command id (idempotency key). Writes get a random one when absent, so internal retries stay safe. */
  id?: string;
  /** Fingerprint of the request behind `id`: the actor refuses the id when it was used for another request. */
  fingerprint?: string;
  meta?: CommandMeta;
  /** Reads need no id. */
  readOnly?: boolean;
}

/**
 * Actors hosted in this very process. A command for a shard this process serves is handed over in memory
 * instead of a NATS round trip through the server and back; the owner still appends to the log before it
 * answers, and fencing (lease check, expected-sequence append) is the same as for a remote command.
 */
export interface LocalActors {
  /** True while this process may write for the shard (its lease and heartbeat are fresh). */
  serves(shard: number): boolean;
  deliver(ref: ActorRef, envelope: CommandEnvelope, respond: (reply: Reply) => void): void;
}

const encoder = new TextEncoder();
/** Most commands coalesced into one request (keeps a request far below NATS's 1 MiB payload limit). */
const MAX_COALESCED = 256;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Sends commands to actors wherever they live. Retries "no responders", `moved` and attempt timeouts
 * with backoff until the deadline (a shard handover looks exactly like that), always with the same
 * command id, so a retry never applies twice. Not retried: `overloaded` (backpressure belongs to the
 * caller), `unavailable` and `storage_full` from the owner (its event log refused or timed out: the owner
 * already spent its NATS deadline, and retrying would only push the answer past what a caller waits),
 * and anything while our own NATS connection is down or stalled (nothing can be appended then).
 *
 * None of these answers says the command did not happen: a 503 means "unknown, retry with the same id".
 *
 * @example
 * const stock = await client.send("sku", "SKU-1", { type: "get" }, { readOnly: true });
 */
export class ActorClient {
  readonly #nc: NatsConnection;
  readonly #options: ActorClientOptions;
  readonly #subjects: Subjects;
  /** Per actor subject: commands waiting to be sent and requests in flight (the adaptive batching window). */
  readonly #lanes = new Map<string, Lane>();
  readonly #window: number;
  readonly #maxQueued: number;
  readonly #nextId = idGenerator();
  #local: LocalActors | undefined;

  constructor(nc: NatsConnection, options: ActorClientOptions) {
    this.#nc = nc;
    this.#options = options;
    this.#subjects = new Subjects(options.namespace);
    this.#window = Math.max(1, options.window ?? 2);
    this.#maxQueued = Math.max(1, options.maxQueued ?? 2_048);
  }

  /** Routes commands for shards this process serves to its own actors, in memory (see `LocalActors`). */
  setLocal(local: LocalActors | undefined): void {
    this.#local = local;
  }

  async send<T = unknown>(
    kind: string,
    id: string,
    cmd: { type: string; [field: string]: unknown },
    options: SendOptions = {},
  ): Promise<T> {
    const reply = await this.request(kind, id, cmd, options);
    if (reply.ok) return reply.value as T;
    throw errorFromBody(reply.error);
  }

  /** Like `send`, but returns domain failures as a value instead of throwing. */
  async request(
    kind: string,
    id: string,
    cmd: { type: string; [field: string]: unknown },
    options: SendOptions = {},
  ): Promise<Reply> {
    if (!isValidActorId(id)) throw new DomainError("invalid", `invalid id: ${id}`, { field: "id" });
    const envelope: CommandEnvelope = { cmd };
    if (!options.readOnly) envelope.id = options.id ?? this.#nextId();
    else if (options.id) envelope.id = options.id;
    if (options.fingerprint && envelope.id) envelope.fp = options.fingerprint;
    if (options.meta) envelope.meta = options.meta;
    const shard = shardOf(id, this.#options.shardCount);
    const subject = this.#subjects.command(shard, kind, id);
    const ref: ActorRef = { kind, id, shard };
    const deadline = Date.now() + this.#options.deadlineMs;
    let backoff = 25;
    let lastProblem = "no answer";
    const connection = this.#options.connection;
    for (;;) {
      const remaining = deadline - Date.now();
      if (remaining <= 0) break;
      if (connection && connection.state !== "up") {
        lastProblem = `NATS connection ${connection.state}`;
        break;
      }
      try {
        const reply = await this.#attempt(
          ref,
          subject,
          envelope,
          Math.min(this.#options.attemptTimeoutMs, remaining),
        );
        if (reply.ok || reply.error.kind !== "moved") return reply;
        lastProblem = reply.error.message;
      } catch (error) {
        lastProblem = describe(error);
        if (isClosed(error) || error instanceof ConnectionLost) break;
      }
      await sleep(Math.min(backoff, Math.max(0, deadline - Date.now())));
      backoff = Math.min(backoff * 2, 500);
    }
    return {
      ok: false,
      error: new RuntimeError(
        "unavailable",
        `actor ${kind}/${id} unavailable: ${lastProblem}`,
        1_000,
      ).toBody(),
    };
  }

  /** One attempt, abandoned as soon as the connection goes down or stalls (its answer could never come in time). */
  async #attempt(
    ref: ActorRef,
    subject: string,
    envelope: CommandEnvelope,
    timeoutMs: number,
  ): Promise<Reply> {
    const connection = this.#options.connection;
    const local = this.#local;
    const sent =
      local?.serves(ref.shard) === true
        ? deliverLocally(local, ref, envelope, timeoutMs)
        : this.#send(subject, envelope, timeoutMs);
    if (!connection) return sent;
    const lost = connection.whenNotUp();
    try {
      return await Promise.race([
        sent,
        lost.promise.then((state) => {
          throw new ConnectionLost(state);
        }),
      ]);
    } finally {
      lost.cancel();
      sent.catch(() => undefined);
    }
  }

  /**
   * Sends one envelope. Commands for the same actor travel as one NATS request (`{ many: [...] }`) and come
   * back as one reply: those issued in the same tick, and, once `window` requests to the actor are in
   * flight, everything issued until one of them returns. No timer: at low load a command leaves at once;
   * under load the batches grow with the backlog. Each caller still gets its own reply.
   */
  #send(subject: string, envelope: CommandEnvelope, timeoutMs: number): Promise<Reply> {
    if (this.#options.coalesce === false) {
      return this.#nc
        .request(subject, encoder.encode(JSON.stringify(envelope)), { timeout: timeoutMs })
        .then((msg) => msg.json<Reply>());
    }
    return new Promise<Reply>((resolve, reject) => {
      let lane = this.#lanes.get(subject);
      if (!lane) {
        lane = { queue: [], inFlight: 0, scheduled: false };
        this.#lanes.set(subject, lane);
      }
      if (lane.queue.length >= this.#maxQueued) {
        resolve({
          ok: false,
          error: new RuntimeError("overloaded", "too many commands are waiting for this actor", 200).toBody(),
        });
        return;
      }
      lane.queue.push({ envelope, deadline: Date.now() + timeoutMs, resolve, reject });
      if (!lane.scheduled && lane.inFlight < this.#window) {
        lane.scheduled = true;
        const scheduled = lane;
        queueMicrotask(() => this.#pump(subject, scheduled));
      }
    });
  }

  /** Sends what waits in the lane while the window has room. */
  #pump(subject: string, lane: Lane): void {
    lane.scheduled = false;
    while (lane.inFlight < this.#window && lane.queue.length > 0) {
      const now = Date.now();
      const group = lane.queue.splice(0, MAX_COALESCED).filter((q) => {
        if (q.deadline > now) return true;
        q.reject(new Error("timeout: no answer before the attempt's deadline"));
        return false;
      });
      if (group.length === 0) continue;
      const single = group.length === 1;
      const body = single ? group[0]!.envelope : { many: group.map((q) => q.envelope) };
      let timeout = 1;
      for (const q of group) timeout = Math.max(timeout, q.deadline - now);
      lane.inFlight++;
      this.#nc
        .request(subject, encoder.encode(JSON.stringify(body)), { timeout })
        .then((msg) => {
          if (single) {
            group[0]!.resolve(msg.json<Reply>());
            return;
          }
          const replies = msg.json<{ many?: Reply[] } & Partial<Reply>>();
          group.forEach((q, k) => {
            // A node that answers the whole request with one error (e.g. moved) answers every member.
            q.resolve(replies.many?.[k] ?? (replies as Reply));
          });
        })
        .catch((error) => {
          for (const q of group) q.reject(error);
        })
        .finally(() => {
          lane.inFlight--;
          if (lane.queue.length > 0) this.#pump(subject, lane);
          else if (lane.inFlight === 0 && this.#lanes.get(subject) === lane) this.#lanes.delete(subject);
        });
    }
    if (lane.queue.length === 0 && lane.inFlight === 0 && this.#lanes.get(subject) === lane)
      this.#lanes.delete(subject);
  }
}

/**
 * Hands a command to an actor of this process. The envelope and the reply are copied as they would be on
 * the wire: the actor keeps replies in its idempotency table, and a caller that edits the answer it got
 * (masking, say) must not edit the actor's copy.
 */
function deliverLocally(
  local: LocalActors,
  ref: ActorRef,
  envelope: CommandEnvelope,
  timeoutMs: number,
): Promise<Reply> {
  return new Promise<Reply>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error("timeout: no answer from the local actor")), timeoutMs);
    local.deliver(ref, JSON.parse(JSON.stringify(envelope)) as CommandEnvelope, (reply) => {
      clearTimeout(timer);
      resolve(JSON.parse(JSON.stringify(reply)) as Reply);
    });
  });
}

/** Commands waiting for one actor, and how many requests to it are in flight. */
interface Lane {
  queue: Queued[];
  inFlight: number;
  /** A pump is already queued as a microtask. */
  scheduled: boolean;
}

/** One attempt, waiting in its actor's lane to travel with the others. */
interface Queued {
  envelope: CommandEnvelope;
  /** When the attempt gives up (epoch ms): a command still queued then is not sent. */
  deadline: number;
  resolve(reply: Reply): void;
  reject(error: unknown): void;
}

class ConnectionLost extends Error {
  constructor(state: string) {
    super(`NATS connection ${state} while waiting for the answer`);
    this.name = "ConnectionLost";
  }
}

function describe(error: unknown): string {
  const e = error as Error & { isNoResponders?: () => boolean };
  if (typeof e?.isNoResponders === "function" && e.isNoResponders()) return "no responders (shard handover)";
  return e?.message ?? String(error);
}

function isClosed(error: unknown): boolean {
  const name = (error as Error)?.name ?? "";
  return name === "ClosedConnectionError" || name === "DrainingConnectionError";
}
