import type postgres from "postgres";
import type { Sql } from "../postgres/database.ts";
import { InvalidCursorError } from "../read-models/cursor.ts";

type Queryable = postgres.Sql | postgres.TransactionSql;

/** One campaign as projected (may lag its actor by the projector's delay). */
export interface FlashSaleRow {
  campaignId: string;
  name: string;
  sku: string;
  price: number;
  stock: number;
  perUserLimit: number;
  startsAt: string;
  endsAt: string;
  status: "allocating" | "failed" | "scheduled" | "active" | "ended";
  allocated: number;
  sold: number;
  remaining: number;
  refused: number;
  refusals: { soldOut: number; purchaseLimit: number; notActive: number; admission: number };
  returned: number | null;
  createdAt: string;
  endedAt: string | null;
  updatedAt: string;
}

export interface FlashSaleFilter {
  status?: FlashSaleRow["status"];
  sku?: string;
  limit: number;
  cursor?: string;
}

// A stored status is corrected by time when read: the start and end timers fire at, not before, the instant.
const STATUS = `CASE WHEN status IN ('scheduled', 'active') AND now() >= ends_at THEN 'ended'
  WHEN status = 'scheduled' AND now() >= starts_at THEN 'active' ELSE status END`;

/** Flash-sale campaigns from the read model, newest first: the list route and the promotions panel. */
export class FlashSaleQueries {
  readonly #sql: Sql;
  constructor(sql: Sql) {
    this.#sql = sql;
  }

  async list(f: FlashSaleFilter): Promise<{ items: FlashSaleRow[]; nextCursor: string | null }> {
    const sql = this.#sql;
    let after: { at: Date; id: string } | undefined;
    if (f.cursor) {
      const match = /^(\d{1,15})\|([A-Za-z0-9_:-]{1,96})$/.exec(
        Buffer.from(f.cursor, "base64url").toString(),
      );
      if (!match) throw new InvalidCursorError(f.cursor);
      after = { at: new Date(Number(match[1])), id: match[2]! };
    }
    const rows = await sql`
      SELECT * FROM (SELECT *, ${sql.unsafe(STATUS)} AS live_status FROM flash_sales
        WHERE true
        ${f.sku ? sql`AND sku = ${f.sku}` : sql``}
        ${after ? sql`AND (created_at, campaign_id) < (${after.at}, ${after.id})` : sql``}) x
      ${f.status ? sql`WHERE live_status = ${f.status}` : sql``}
      ORDER BY created_at DESC, campaign_id DESC LIMIT ${f.limit + 1}`;
    const page = rows.slice(0, f.limit);
    const last = page.at(-1);
    return {
      items: page.map(toRow),
      nextCursor:
        rows.length > f.limit && last
          ? Buffer.from(`${(last.created_at as Date).getTime()}|${last.campaign_id}`).toString("base64url")
          : null,
    };
  }

  /** Campaigns live now, or ended within `recentMs`: the promotions panel's rows. */
  progress(recentMs = 3_600_000): Promise<FlashSaleRow[]> {
    return flashSaleProgress(this.#sql, recentMs);
  }
}

/**
 * The promotions panel's figures for the campaigns live now (active or scheduled, or ended in the last
 * `recentMs`): sold / allocated, refused, returned. Queue length is a gateway node's, not the log's.
 */
export async function flashSaleProgress(sql: Queryable, recentMs = 3_600_000): Promise<FlashSaleRow[]> {
  const rows = await sql`SELECT *, ${sql.unsafe(STATUS)} AS live_status FROM flash_sales
    WHERE ended_at IS NULL OR ended_at > now() - ${`${Math.max(0, Math.floor(recentMs))} milliseconds`}::interval
    ORDER BY created_at DESC, campaign_id DESC LIMIT 200`;
  return rows.map(toRow);
}

function toRow(r: Record<string, unknown>): FlashSaleRow {
  const status = r.live_status as FlashSaleRow["status"];
  const allocated = Number(r.allocated);
  const sold = Number(r.sold);
  return {
    campaignId: r.campaign_id as string,
    name: r.name as string,
    sku: r.sku as string,
    price: Number(r.price),
    stock: Number(r.stock),
    perUserLimit: Number(r.per_user_limit),
    startsAt: (r.starts_at as Date).toISOString(),
    endsAt: (r.ends_at as Date).toISOString(),
    status,
    allocated,
    sold,
    remaining: status === "ended" || status === "failed" ? 0 : Math.max(0, allocated - sold),
    refused: Number(r.refused),
    refusals: {
      soldOut: Number(r.refused_sold_out),
      purchaseLimit: Number(r.refused_limit),
      notActive: Number(r.refused_not_active),
      admission: Number(r.refused_admission),
    },
    returned: r.returned === null ? null : Number(r.returned),
    createdAt: (r.created_at as Date).toISOString(),
    endedAt: r.ended_at === null ? null : (r.ended_at as Date).toISOString(),
    updatedAt: (r.updated_at as Date).toISOString(),
  };
}
