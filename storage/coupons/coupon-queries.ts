import type { Sql } from "../postgres/database.ts";
import { InvalidCursorError } from "../read-models/cursor.ts";

export type MemberCouponStatus = "available" | "reserved" | "used" | "expired";

export interface MemberCoupon {
  couponId: string;
  templateId: string;
  name: string;
  kind: "amount_off" | "percent_off";
  value: number;
  threshold: number | null;
  maxDiscount: number | null;
  status: MemberCouponStatus;
  source: "claim" | "push";
  issuedAt: string;
  validFrom: string;
  validTo: string;
  orderId: string | null;
}

export interface MemberCouponFilter {
  status?: MemberCouponStatus;
  limit: number;
  cursor?: string;
}

/** A member's coupons from the read model (may lag the actors by the projector's delay), newest first. */
export class CouponQueries {
  readonly #sql: Sql;
  constructor(sql: Sql) {
    this.#sql = sql;
  }

  async memberCoupons(
    userId: string,
    f: MemberCouponFilter,
  ): Promise<{ items: MemberCoupon[]; nextCursor: string | null }> {
    const sql = this.#sql;
    let after: { at: Date; id: string } | undefined;
    if (f.cursor) {
      const match = /^(\d{1,15})\|([A-Za-z0-9_:-]{1,96})$/.exec(
        Buffer.from(f.cursor, "base64url").toString(),
      );
      if (!match) throw new InvalidCursorError(f.cursor);
      after = { at: new Date(Number(match[1])), id: match[2]! };
    }
    // Expiry is a matter of time, not an event: an available coupon past its end reads as expired.
    const rows = await sql`
      SELECT * FROM (
        SELECT c.coupon_id, c.template_id, c.source, c.issued_at, c.valid_from, c.valid_to, c.order_id,
          t.name, t.kind, t.value, t.threshold, t.max_discount,
          CASE WHEN c.status = 'available' AND (now() >= c.valid_to OR now() >= t.ended_at) THEN 'expired'
            ELSE c.status END AS status
        FROM coupons c JOIN coupon_templates t ON t.template_id = c.template_id
        WHERE c.user_id = ${userId}
        ${after ? sql`AND (c.issued_at, c.coupon_id) < (${after.at}, ${after.id})` : sql``}
      ) x
      ${f.status ? sql`WHERE status = ${f.status}` : sql``}
      ORDER BY issued_at DESC, coupon_id DESC LIMIT ${f.limit + 1}`;
    const page = rows.slice(0, f.limit);
    const last = page.at(-1);
    return {
      items: page.map((r) => ({
        couponId: r.coupon_id,
        templateId: r.template_id,
        name: r.name,
        kind: r.kind,
        value: Number(r.value),
        threshold: r.threshold === null ? null : Number(r.threshold),
        maxDiscount: r.max_discount === null ? null : Number(r.max_discount),
        status: r.status,
        source: r.source,
        issuedAt: (r.issued_at as Date).toISOString(),
        validFrom: (r.valid_from as Date).toISOString(),
        validTo: (r.valid_to as Date).toISOString(),
        orderId: r.order_id,
      })),
      nextCursor:
        rows.length > f.limit && last
          ? Buffer.from(`${(last.issued_at as Date).getTime()}|${last.coupon_id}`).toString("base64url")
          : null,
    };
  }

  /** Per-template figures as projected (lags the actor): GMV driven and discount cost of used coupons. */
  async templateFigures(
    templateId: string,
  ): Promise<{ used: number; gmv: number; discountCost: number } | null> {
    const rows = await this
      .#sql`SELECT used, gmv, discount_cost FROM coupon_templates WHERE template_id = ${templateId}`;
    const r = rows[0];
    return r ? { used: Number(r.used), gmv: Number(r.gmv), discountCost: Number(r.discount_cost) } : null;
  }
}
