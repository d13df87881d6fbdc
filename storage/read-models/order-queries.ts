import type { ScopeFilter } from "../../actors/permissions/index.ts";
import type { Sql } from "../postgres/database.ts";
import { InvalidCursorError } from "./inventory-queries.ts";
import { orderScopeWhere } from "./scope-sql.ts";

export interface OrderFilter {
  status?: string;
  userId?: string;
  sku?: string;
  channel?: string;
  from?: Date;
  to?: Date;
  minTotal?: number;
  maxTotal?: number;
  limit: number;
  cursor?: string;
}

/** Order list and statistics from the orders read model. Cursor: base64url of `<created_at ms>:<order id hash>`. */
export class OrderQueries {
  readonly #sql: Sql;
  constructor(sql: Sql) {
    this.#sql = sql;
  }

  /** `scope`: the caller's data scope (decision 0033), a WHERE clause; absent: every order. */
  async list(f: OrderFilter, scope?: ScopeFilter) {
    const sql = this.#sql;
    let after: { at: Date; id: string } | undefined;
    if (f.cursor) {
      const raw = Buffer.from(f.cursor, "base64url").toString();
      const match = /^(\d{1,15})\|([A-Za-z0-9_:-]{1,64})$/.exec(raw);
      if (!match) throw new InvalidCursorError(f.cursor);
      after = { at: new Date(Number(match[1])), id: match[2]! };
    }
    const rows = await sql`
      SELECT * FROM orders WHERE true
      ${f.status ? sql`AND status = ${f.status}` : sql``}
      ${f.userId ? sql`AND user_id = ${f.userId}` : sql``}
      ${f.sku ? sql`AND ${f.sku} = ANY(skus)` : sql``}
      ${f.channel ? sql`AND channel = ${f.channel}` : sql``}
      ${f.from ? sql`AND created_at >= ${f.from}` : sql``}
      ${f.to ? sql`AND created_at < ${f.to}` : sql``}
      ${f.minTotal !== undefined ? sql`AND total_amount >= ${f.minTotal}` : sql``}
      ${f.maxTotal !== undefined ? sql`AND total_amount <= ${f.maxTotal}` : sql``}
      ${after ? sql`AND (created_at, order_id) < (${after.at}, ${after.id})` : sql``}
      ${orderScopeWhere(sql, scope)}
      ORDER BY created_at DESC, order_id DESC LIMIT ${f.limit + 1}`;
    const page = rows.slice(0, f.limit);
    const last = page.at(-1);
    return {
      items: page.map((r) => ({
        orderId: r.order_id,
        userId: r.user_id,
        status: r.status,
        channel: r.channel,
        skus: r.skus,
        amounts: {
          items: Number(r.items_amount),
          discount: Number(r.discount_amount),
          freight: Number(r.freight_amount),
          total: Number(r.total_amount),
        },
        paid: Number(r.paid_amount),
        refunded: Number(r.refunded_amount),
        paymentId: r.payment_id,
        createdAt: (r.created_at as Date).toISOString(),
        paidAt: r.paid_at ? (r.paid_at as Date).toISOString() : null,
      })),
      nextCursor:
        rows.length > f.limit && last
          ? Buffer.from(`${(last.created_at as Date).getTime()}|${last.order_id}`).toString("base64url")
          : null,
    };
  }

  /** GMV, orders, paid rate, average order value and refunds per hour or day (Asia/Shanghai buckets). */
  async stats(from: Date, to: Date, interval: "hour" | "day", scope?: ScopeFilter) {
    const sql = this.#sql;
    const rows = await sql`
      SELECT date_trunc(${interval}, created_at AT TIME ZONE 'Asia/Shanghai') AS bucket,
        count(*)::int AS orders,
        count(*) FILTER (WHERE paid_at IS NOT NULL)::int AS paid_orders,
        COALESCE(sum(paid_amount), 0)::bigint AS gmv,
        COALESCE(sum(refunded_amount), 0)::bigint AS refunds
      FROM orders WHERE created_at >= ${from} AND created_at < ${to} ${orderScopeWhere(sql, scope)}
      GROUP BY 1 ORDER BY 1`;
    return rows.map((r) => {
      const gmv = Number(r.gmv);
      return {
        bucket: (r.bucket as Date).toISOString().replace("Z", "+08:00"),
        orders: r.orders as number,
        paidOrders: r.paid_orders as number,
        paidRate: r.orders ? (r.paid_orders as number) / (r.orders as number) : 0,
        gmv,
        averageOrderValue: r.paid_orders ? Math.round(gmv / (r.paid_orders as number)) : 0,
        refunds: Number(r.refunds),
      };
    });
  }
}
