import type { Sql } from "../postgres/database.ts";

/**
 * What the coupon event issuer reads (decision 0025): the templates live now (read model; their actors
 * say which issue on an event) and the members whose first paid order falls in a window (orders read model).
 */
export class FirstOrderQueries {
  readonly #sql: Sql;
  constructor(sql: Sql) {
    this.#sql = sql;
  }

  async liveTemplateIds(now: number): Promise<string[]> {
    const at = new Date(now);
    const rows = await this.#sql`SELECT template_id FROM coupon_templates
      WHERE ended_at IS NULL AND valid_from <= ${at} AND valid_to > ${at} ORDER BY template_id COLLATE "C"`;
    return rows.map((r) => r.template_id as string);
  }

  /** Members (by id, after `after`) whose first paid order was paid in `[since, until]`. */
  async firstPaidOrders(
    since: number,
    until: number,
    after: string | null,
    limit: number,
  ): Promise<string[]> {
    const [from, to] = [new Date(since), new Date(until)];
    const rows = await this.#sql`SELECT o.user_id FROM orders o
      WHERE o.paid_at >= ${from} AND o.paid_at <= ${to} AND o.user_id COLLATE "C" > ${after ?? ""}
        AND NOT EXISTS (SELECT 1 FROM orders p WHERE p.user_id = o.user_id AND p.paid_at < ${from})
      GROUP BY o.user_id ORDER BY o.user_id COLLATE "C" LIMIT ${limit}`;
    return rows.map((r) => r.user_id as string);
  }
}
