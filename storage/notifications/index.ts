import { createHash } from "node:crypto";
import type postgres from "postgres";
import {
  type NotificationInput,
  notificationInputSchema,
  type Severity,
} from "../../actors/notification/index.ts";
import type { Sql } from "../postgres/database.ts";
import type { ProjectedBatch, ProjectionTx, ReadModelProjection } from "../projection.ts";
import { decodeCursor, encodeCursor, InvalidCursorError } from "../read-models/cursor.ts";

/** A notification as operators and integrators see it. */
export interface NotificationRecord {
  id: string;
  kind: string;
  severity: Severity;
  source: string;
  subject: { kind: string; id: string } | null;
  message: string;
  key: string;
  raisedAt: string;
  acknowledged: { by: string; at: string } | null;
}

export interface NotificationFilter {
  severity?: Severity;
  acknowledged?: boolean;
  kind?: string;
  limit: number;
  cursor?: string;
}

/** A notification's id: a digest of its deduplication key (stable, URL-safe, never an outside id). */
export function notificationId(key: string): string {
  return `ntf_${createHash("sha256").update(key).digest("hex").slice(0, 24)}`;
}

/** The NOTIFY channel migration 0025's trigger signals on for this namespace (per database, so hashed). */
export async function notificationChannel(sql: Sql): Promise<string> {
  const [row] = await sql`SELECT 'notifications_' || left(md5(current_schema()), 20) AS channel`;
  return row?.channel as string;
}

type Tx = Sql | ProjectionTx | postgres.TransactionSql;
const iso = (d: unknown) => (d instanceof Date ? d.toISOString() : String(d));

function toRecord(r: postgres.Row): NotificationRecord {
  return {
    id: r.id as string,
    kind: r.kind as string,
    severity: r.severity as Severity,
    source: r.source as string,
    subject: r.subject_kind ? { kind: r.subject_kind as string, id: r.subject_id as string } : null,
    message: r.message as string,
    key: r.dedup_key as string,
    raisedAt: iso(r.raised_at),
    acknowledged: r.acknowledged_at ? { by: r.acknowledged_by as string, at: iso(r.acknowledged_at) } : null,
  };
}

/**
 * Stores a notification once per key, and (only when it is new) its `notification.raised` webhook event
 * in the outbox, in the caller's transaction. Returns the row, and whether this call created it.
 */
export async function insertNotification(
  tx: Tx,
  input: NotificationInput,
  at: Date = new Date(),
): Promise<{ record: NotificationRecord; created: boolean }> {
  const n = notificationInputSchema.parse(input);
  const id = notificationId(n.key);
  const inserted = await tx`INSERT INTO notifications
      (id, dedup_key, kind, severity, source, subject_kind, subject_id, message, raised_at)
    VALUES (${id}, ${n.key}, ${n.kind}, ${n.severity}, ${n.source}, ${n.subject?.kind ?? null},
      ${n.subject?.id ?? null}, ${n.message}, ${at})
    ON CONFLICT (id) DO NOTHING RETURNING *`;
  const row = inserted[0] ?? (await tx`SELECT * FROM notifications WHERE id = ${id}`)[0];
  if (!row) throw new Error(`notification ${id} vanished while being raised`);
  const record = toRecord(row);
  if (inserted[0]) await enqueueWebhookEvent(tx, `${id}:raised`, "notification.raised", record);
  return { record, created: inserted.length > 0 };
}

/** Puts a webhook event in the outbox (once per event id), in the caller's transaction. */
export async function enqueueWebhookEvent(
  tx: Tx,
  eventId: string,
  eventType: string,
  data: NotificationRecord,
): Promise<void> {
  const payload = { id: eventId, type: eventType, occurredAt: new Date().toISOString(), data };
  await tx`INSERT INTO webhook_outbox (event_id, event_type, payload)
    VALUES (${eventId}, ${eventType}, ${tx.json(payload as unknown as postgres.JSONValue)})
    ON CONFLICT (event_id) DO NOTHING`;
}

/** Notifications in Postgres: raise, list, acknowledge (with its audit row, in one transaction). */
export class PostgresNotifications {
  readonly #sql: Sql;
  constructor(sql: Sql) {
    this.#sql = sql;
  }

  async raise(input: NotificationInput): Promise<{ id: string; created: boolean }> {
    const { record, created } = await this.#sql.begin((tx) => insertNotification(tx, input));
    return { id: record.id, created };
  }

  async get(id: string): Promise<NotificationRecord | null> {
    const [row] = await this.#sql`SELECT * FROM notifications WHERE id = ${id}`;
    return row ? toRecord(row) : null;
  }

  async list(f: NotificationFilter): Promise<{ items: NotificationRecord[]; nextCursor: string | null }> {
    const after = f.cursor ? decodeCursor(f.cursor) : undefined;
    if (f.cursor && !after) throw new InvalidCursorError(f.cursor);
    const sql = this.#sql;
    const below = after ? after.seq : Number.MAX_SAFE_INTEGER;
    const rows = await sql`SELECT * FROM notifications WHERE seq < ${below}
      ${f.severity ? sql`AND severity = ${f.severity}` : sql``}
      ${f.kind ? sql`AND kind = ${f.kind}` : sql``}
      ${f.acknowledged === undefined ? sql`` : f.acknowledged ? sql`AND acknowledged_at IS NOT NULL` : sql`AND acknowledged_at IS NULL`}
      ORDER BY seq DESC LIMIT ${f.limit}`;
    const last = rows.at(-1);
    return {
      items: rows.map(toRecord),
      nextCursor: rows.length === f.limit && last ? encodeCursor(Number(last.seq), 0) : null,
    };
  }

  /** Open notifications by severity (the live feed's snapshot header). */
  async openCounts(): Promise<Record<Severity, number>> {
    const rows = await this.#sql`SELECT severity, count(*)::int AS n FROM notifications
      WHERE acknowledged_at IS NULL GROUP BY severity`;
    const counts: Record<Severity, number> = { info: 0, warning: 0, critical: 0 };
    for (const r of rows) counts[r.severity as Severity] = Number(r.n);
    return counts;
  }

  /**
   * Acknowledges once: the first acknowledgement (who, when) stays; a repeat returns it unchanged.
   * The acknowledgement, its audit row and its webhook event commit together. Null if there is none.
   */
  async acknowledge(
    id: string,
    by: { principal: string; requestId: string },
  ): Promise<{ record: NotificationRecord; changed: boolean } | null> {
    return this.#sql.begin(async (tx) => {
      const updated =
        await tx`UPDATE notifications SET acknowledged_at = now(), acknowledged_by = ${by.principal}
        WHERE id = ${id} AND acknowledged_at IS NULL RETURNING *`;
      if (updated[0]) {
        const record = toRecord(updated[0]);
        await tx`INSERT INTO audit_log (principal, action, target, request_id, detail)
          VALUES (${by.principal}, 'notification.acknowledge', ${`notification:${id}`}, ${by.requestId},
            ${tx.json({ kind: record.kind, severity: record.severity })})`;
        await enqueueWebhookEvent(tx, `${id}:acknowledged`, "notification.acknowledged", record);
        return { record, changed: true };
      }
      const [row] = await tx`SELECT * FROM notifications WHERE id = ${id}`;
      return row ? { record: toRecord(row), changed: false } : null;
    });
  }
}

/** Dips older than this when first projected (an upgrade replays the whole log) raise nothing. */
export const LOW_STOCK_NOTIFY_MAX_AGE_MS = 86_400_000;

/**
 * Low stock from the SKU actors' `lowStock` events → a notification per SKU, warehouse and dip (the event's
 * log position is in the key, so a replayed batch is the same notification), in the projector's transaction.
 * A dip more than a day old when it is projected (this projection catching up on an existing log after an
 * upgrade) is history, not something to act on: it raises nothing.
 */
export const lowStockNotificationProjection: ReadModelProjection = {
  name: "notifications-low-stock",
  async apply(tx: ProjectionTx, batches: ProjectedBatch[]) {
    for (const { seq, time, ref, batch } of batches) {
      if (ref.kind !== "sku" || Date.now() - time.getTime() > LOW_STOCK_NOTIFY_MAX_AGE_MS) continue;
      for (const [idx, e] of (batch.ev as Array<{ type: string; [k: string]: unknown }>).entries()) {
        if (e.type !== "lowStock") continue;
        await insertNotification(
          tx,
          {
            kind: "lowStock",
            severity: Number(e.sellable) === 0 ? "critical" : "warning",
            source: "inventory",
            subject: { kind: "sku", id: ref.id },
            message: `SKU ${ref.id} in ${String(e.warehouse)}: ${Number(e.sellable)} sellable, under its safety stock of ${Number(e.safetyStock)}`,
            key: `lowStock:${ref.id}:${seq}:${idx}`,
          },
          time,
        );
      }
    }
  },
};
