import type { DeliveryEvent } from "../../actors/webhook/index.ts";
import type { Sql } from "../postgres/database.ts";
import type { ProjectedBatch, ProjectionTx, ReadModelProjection } from "../projection.ts";
import { decodeCursor, encodeCursor, InvalidCursorError } from "../read-models/cursor.ts";
import type { SecretBox } from "../secrets.ts";

export interface WebhookSubscription {
  id: string;
  url: string;
  eventTypes: string[];
  enabled: boolean;
  createdAt: string;
  updatedAt: string;
  updatedBy: string;
}

export interface WebhookDeliveryRecord {
  id: string;
  subscription: string;
  eventId: string;
  eventType: string;
  status: "pending" | "delivered" | "dead";
  attempts: number;
  lastStatus: number | null;
  lastError: string | null;
  nextAttemptAt: string | null;
  createdAt: string;
  updatedAt: string;
}

const iso = (d: unknown) => (d instanceof Date ? d.toISOString() : null);

function toSubscription(r: Record<string, unknown>): WebhookSubscription {
  return {
    id: r.id as string,
    url: r.url as string,
    eventTypes: r.event_types as string[],
    enabled: r.enabled as boolean,
    createdAt: iso(r.created_at) ?? "",
    updatedAt: iso(r.updated_at) ?? "",
    updatedBy: r.updated_by as string,
  };
}

/** Integrators' subscriptions; the secret is sealed at rest and only the sender opens it. */
export class PostgresWebhookSubscriptions {
  readonly #sql: Sql;
  readonly #box: SecretBox;
  constructor(sql: Sql, box: SecretBox) {
    this.#sql = sql;
    this.#box = box;
  }

  /** Creates or replaces a subscription, with its audit row (the secret is never in it). */
  async put(
    sub: { id: string; url: string; eventTypes: string[]; secret: string; enabled: boolean },
    by: { principal: string; requestId: string },
  ): Promise<{ subscription: WebhookSubscription; created: boolean }> {
    const sealed = this.#box.seal(sub.secret);
    return this.#sql.begin(async (tx) => {
      const [row] =
        await tx`INSERT INTO webhook_subscriptions (id, url, event_types, secret, enabled, updated_by)
        VALUES (${sub.id}, ${sub.url}, ${sub.eventTypes}, ${sealed}, ${sub.enabled}, ${by.principal})
        ON CONFLICT (id) DO UPDATE SET url = EXCLUDED.url, event_types = EXCLUDED.event_types,
          secret = EXCLUDED.secret, enabled = EXCLUDED.enabled, updated_at = now(), updated_by = EXCLUDED.updated_by
        RETURNING *, (xmax = 0) AS created`;
      if (!row) throw new Error("upsert returned no row");
      await tx`INSERT INTO audit_log (principal, action, target, request_id, detail)
        VALUES (${by.principal}, 'webhook.put', ${`webhook:${sub.id}`}, ${by.requestId},
          ${tx.json({ url: sub.url, eventTypes: sub.eventTypes, enabled: sub.enabled, secret: "***" })})`;
      return { subscription: toSubscription(row), created: row.created as boolean };
    });
  }

  async get(id: string): Promise<WebhookSubscription | null> {
    const [row] = await this.#sql`SELECT * FROM webhook_subscriptions WHERE id = ${id}`;
    return row ? toSubscription(row) : null;
  }

  async list(): Promise<WebhookSubscription[]> {
    return (await this.#sql`SELECT * FROM webhook_subscriptions ORDER BY id LIMIT 500`).map(toSubscription);
  }

  /** What the sender needs: where, with which secret, and whether it is still on. */
  async target(id: string): Promise<{ url: string; secret: string; enabled: boolean } | null> {
    const [row] = await this.#sql`SELECT url, secret, enabled FROM webhook_subscriptions WHERE id = ${id}`;
    return row
      ? {
          url: row.url as string,
          secret: this.#box.open(row.secret as string),
          enabled: row.enabled as boolean,
        }
      : null;
  }

  /** Enabled subscriptions listening to `eventType`. */
  async listening(eventType: string): Promise<string[]> {
    const rows = await this.#sql`SELECT id FROM webhook_subscriptions
      WHERE enabled AND ${eventType} = ANY(event_types) ORDER BY id`;
    return rows.map((r) => r.id as string);
  }
}

/** Outbox events not yet handed to the delivery actors, oldest first. */
export async function pendingOutbox(
  sql: Sql,
  limit: number,
): Promise<Array<{ seq: number; eventId: string; eventType: string; body: string }>> {
  const rows = await sql`SELECT seq, event_id, event_type, payload::text AS body FROM webhook_outbox
    WHERE dispatched_at IS NULL ORDER BY seq LIMIT ${limit}`;
  return rows.map((r) => ({
    seq: Number(r.seq),
    eventId: r.event_id as string,
    eventType: r.event_type as string,
    body: r.body as string,
  }));
}

export async function markDispatched(sql: Sql, seq: number): Promise<void> {
  await sql`UPDATE webhook_outbox SET dispatched_at = now() WHERE seq = ${seq} AND dispatched_at IS NULL`;
}

/** The `webhook-delivery` actors → `webhook_deliveries` (migration 0025), newest event wins (version). */
export const webhookDeliveryProjection: ReadModelProjection = {
  name: "webhook-deliveries",
  orderSensitive: ["webhook-delivery"],
  async apply(tx: ProjectionTx, batches: ProjectedBatch[]) {
    for (const { seq, ref, batch } of batches) {
      if (ref.kind !== "webhook-delivery") continue;
      for (const e of batch.ev as DeliveryEvent[]) await applyDelivery(tx, ref.id, seq, e);
    }
  },
};

async function applyDelivery(tx: ProjectionTx, id: string, seq: number, e: DeliveryEvent) {
  const at = new Date(e.at);
  switch (e.type) {
    case "created":
      await tx`INSERT INTO webhook_deliveries (id, subscription, event_id, event_type, status, attempts,
          created_at, updated_at, version)
        VALUES (${id}, ${e.subscription}, ${e.eventId}, ${e.eventType}, 'pending', 0, ${at}, ${at}, ${seq})
        ON CONFLICT (id) DO NOTHING`;
      return;
    case "attemptStarted":
      await tx`UPDATE webhook_deliveries SET next_attempt_at = NULL, updated_at = ${at}, version = ${seq}
        WHERE id = ${id} AND version <= ${seq}`;
      return;
    case "delivered":
      await tx`UPDATE webhook_deliveries SET status = 'delivered', attempts = ${e.attempt}, last_status = ${e.status},
          last_error = NULL, next_attempt_at = NULL, updated_at = ${at}, version = ${seq}
        WHERE id = ${id} AND version <= ${seq}`;
      return;
    case "attemptFailed":
      await tx`UPDATE webhook_deliveries SET attempts = ${e.attempt}, last_status = ${e.status}, last_error = ${e.error},
          next_attempt_at = ${e.nextAttemptAt !== null ? new Date(e.nextAttemptAt) : null}, updated_at = ${at},
          version = ${seq}
        WHERE id = ${id} AND version <= ${seq}`;
      return;
    case "deadLettered":
      await tx`UPDATE webhook_deliveries SET status = 'dead', updated_at = ${at}, version = ${seq}
        WHERE id = ${id} AND version <= ${seq}`;
      return;
    case "replayed":
      await tx`UPDATE webhook_deliveries SET status = 'pending', attempts = 0, updated_at = ${at}, version = ${seq}
        WHERE id = ${id} AND version <= ${seq}`;
      return;
  }
}

/** Deliveries (a subscription's, or every dead letter), newest first, cursor-paged. */
export class WebhookDeliveryQueries {
  readonly #sql: Sql;
  constructor(sql: Sql) {
    this.#sql = sql;
  }

  async list(f: {
    subscription?: string;
    status?: "pending" | "delivered" | "dead";
    limit: number;
    cursor?: string;
  }): Promise<{ items: WebhookDeliveryRecord[]; nextCursor: string | null }> {
    const after = f.cursor ? decodeCursor(f.cursor) : undefined;
    if (f.cursor && !after) throw new InvalidCursorError(f.cursor);
    const sql = this.#sql;
    const below = after ? after.seq : Number.MAX_SAFE_INTEGER;
    const rows = await sql`SELECT * FROM webhook_deliveries WHERE seq < ${below}
      ${f.subscription ? sql`AND subscription = ${f.subscription}` : sql``}
      ${f.status ? sql`AND status = ${f.status}` : sql``}
      ORDER BY seq DESC LIMIT ${f.limit}`;
    const items = rows.map((r) => ({
      id: r.id as string,
      subscription: r.subscription as string,
      eventId: r.event_id as string,
      eventType: r.event_type as string,
      status: r.status as WebhookDeliveryRecord["status"],
      attempts: Number(r.attempts),
      lastStatus: r.last_status === null ? null : Number(r.last_status),
      lastError: (r.last_error as string | null) ?? null,
      nextAttemptAt: iso(r.next_attempt_at),
      createdAt: iso(r.created_at) ?? "",
      updatedAt: iso(r.updated_at) ?? "",
    }));
    const last = rows.at(-1);
    return { items, nextCursor: rows.length === f.limit && last ? encodeCursor(Number(last.seq), 0) : null };
  }
}
