import type { NatsConnection } from "@nats-io/transport-node";
import type { ConnectionWatch } from "./connection-watch.ts";
import { DomainError, errorFromBody, RuntimeError } from "./errors.ts";
import type { CommandMeta } from "./kind.ts";
import type { CommandEnvelope, Reply } from "./protocol.ts";
import { isValidActorId, Subjects, shardOf } from "./shard.ts";

export interface ActorClientOptions {
  namespace: string;
  shardCount: number;
  /** One attempt's wait for a reply. */
  attemptTimeoutMs: number;
  /** Total time to keep retrying through handovers; should exceed the lease TTL. */
  deadlineMs: number;
  /** Coalesce commands for the same actor issued in the same tick into one request (default true). */
  coalesce?: boolean;
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
  readonly #queued = new Map<string, Queued[]>();

  constructor(nc: NatsConnection, options: ActorClientOptions) {
    this.#nc = nc;
    this.#options = options;
    this.#subjects = new Subjects(options.namespace);
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
    if (!options.readOnly) envelope.id = options.id ?? crypto.randomUUID();
    else if (options.id) envelope.id = options.id;
    if (options.fingerprint && envelope.id) envelope.fp = options.fingerprint;
    if (options.meta) envelope.meta = options.meta;
    const subject = this.#subjects.command(shardOf(id, this.#options.shardCount), kind, id);
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
  async #attempt(subject: string, envelope: CommandEnvelope, timeoutMs: number): Promise<Reply> {
    const connection = this.#options.connection;
    const sent = this.#send(subject, envelope, timeoutMs);
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
   * Sends one envelope. Commands for the same actor issued in the same tick travel as one NATS request
   * (`{ many: [...] }`) and come back as one reply: with hundreds of concurrent callers on a hot SKU this
   * removes most per-message cost on both sides, while each caller still gets its own reply.
   */
  #send(subject: string, envelope: CommandEnvelope, timeoutMs: number): Promise<Reply> {
    if (this.#options.coalesce === false) {
      return this.#nc
        .request(subject, encoder.encode(JSON.stringify(envelope)), { timeout: timeoutMs })
        .then((msg) => msg.json<Reply>());
    }
    return new Promise<Reply>((resolve, reject) => {
      let queue = this.#queued.get(subject);
      if (!queue) {
        queue = [];
        this.#queued.set(subject, queue);
        queueMicrotask(() => this.#flush(subject));
      }
      queue.push({ envelope, timeoutMs, resolve, reject });
    });
  }

  #flush(subject: string): void {
    const queue = this.#queued.get(subject) ?? [];
    this.#queued.delete(subject);
    for (let i = 0; i < queue.length; i += MAX_COALESCED) {
      const group = queue.slice(i, i + MAX_COALESCED);
      const single = group.length === 1;
      const body = single ? group[0]!.envelope : { many: group.map((q) => q.envelope) };
      const timeout = Math.max(...group.map((q) => q.timeoutMs));
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
        });
    }
  }
}

/** One attempt, coalesced with the other commands for the same actor sent in the same tick. */
interface Queued {
  envelope: CommandEnvelope;
  timeoutMs: number;
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
