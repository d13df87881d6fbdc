import {
  noRules,
  type PriceRules,
  type PriceSchedule,
  rulesView,
  type WindowedPrice,
} from "../../actors/pricing/index.ts";
import type { Sql } from "../postgres/database.ts";

interface RuleRow {
  kind: string;
  name: string;
  price: string | number;
  valid_from: Date | null;
  valid_to: Date | null;
}

/** Rows of `sku_price_rules` (any order) as a rule set: Maps keyed by level and channel name. */
function rulesOf(rows: readonly RuleRow[]): PriceRules {
  const memberLevels = new Map<string, WindowedPrice>();
  const channels = new Map<string, WindowedPrice>();
  const schedules: PriceSchedule[] = [];
  for (const row of rows) {
    const price = Number(row.price);
    const from = row.valid_from?.getTime();
    const to = row.valid_to?.getTime();
    const windowed: WindowedPrice = {
      price,
      ...(from === undefined ? {} : { from }),
      ...(to === undefined ? {} : { to }),
    };
    if (row.kind === "member") memberLevels.set(row.name, windowed);
    else if (row.kind === "channel") channels.set(row.name, windowed);
    else if (from !== undefined && to !== undefined) schedules.push({ from, to, price });
  }
  schedules.sort((a, b) => a.from - b.from);
  return { memberLevels, channels, schedules };
}

const at = (ms: number | undefined) => (ms === undefined ? null : new Date(ms));

/**
 * Price rules per SKU (member-level prices, channel prices, schedules) beside the list prices in
 * `sku_prices`. It fulfils the gateway's `PriceRuleStore` port. A write replaces the SKU's whole rule set
 * and records its `catalogue_history` row (kind 'price') and audit row in the same transaction, so an
 * acknowledged write is what the next quote or order resolves against.
 */
export class PostgresPriceRules {
  readonly #sql: Sql;
  constructor(sql: Sql) {
    this.#sql = sql;
  }

  async replace(sku: string, rules: PriceRules, by: string, requestId: string): Promise<PriceRules> {
    return this.#sql.begin(async (tx) => {
      // Two replaces of one SKU run one after the other (each deletes, then inserts, its whole set).
      await tx`SELECT pg_advisory_xact_lock(hashtext(${`price-rules/${sku}`}))`;
      const before = rulesOf(
        await tx<
          RuleRow[]
        >`SELECT kind, name, price, valid_from, valid_to FROM sku_price_rules WHERE sku = ${sku}`,
      );
      await tx`DELETE FROM sku_price_rules WHERE sku = ${sku}`;
      const rows = [
        ...[...rules.memberLevels].map(([name, r]) => ({ kind: "member", name, ...r })),
        ...[...rules.channels].map(([name, r]) => ({ kind: "channel", name, ...r })),
        ...rules.schedules.map((s) => ({ kind: "schedule", name: "", ...s })),
      ];
      for (const r of rows) {
        await tx`INSERT INTO sku_price_rules (sku, kind, name, price, valid_from, valid_to)
          VALUES (${sku}, ${r.kind}, ${r.name}, ${r.price}, ${at(r.from)}, ${at(r.to)})`;
      }
      const [was, now] = [rulesView(before), rulesView(rules)];
      if (JSON.stringify(was) !== JSON.stringify(now)) {
        await tx`INSERT INTO catalogue_history (sku, kind, by, before, after)
          VALUES (${sku}, 'price', ${by}, ${tx.json(was)},
                  ${tx.json(now)})`;
      }
      await tx`INSERT INTO audit_log (principal, action, target, request_id, detail)
        VALUES (${by}, 'price.rules', ${`sku/${sku}`}, ${requestId}, ${tx.json({ rules: rows.length })})`;
      return rulesOf(
        await tx<
          RuleRow[]
        >`SELECT kind, name, price, valid_from, valid_to FROM sku_price_rules WHERE sku = ${sku}`,
      );
    });
  }

  /** One SKU's list price (null when it has none) and rules. */
  async read(sku: string): Promise<{ listPrice: number | null; rules: PriceRules }> {
    return (await this.pricing([sku])).get(sku) ?? { listPrice: null, rules: noRules() };
  }

  /**
   * Every asked SKU's list price (null when it has none) and rules, read in one statement: one snapshot,
   * never an old list price with new rules.
   */
  async pricing(
    skus: readonly string[],
  ): Promise<Map<string, { listPrice: number | null; rules: PriceRules }>> {
    const out = new Map<string, { listPrice: number | null; rules: PriceRules }>();
    if (skus.length === 0) return out;
    const rows = await this.#sql<
      Array<Omit<RuleRow, "kind"> & { sku: string; list_price: string | null; kind: string | null }>
    >`
      WITH asked AS (SELECT unnest(${[...new Set(skus)]}::text[]) AS sku)
      SELECT a.sku, p.list_price, r.kind, r.name, r.price, r.valid_from, r.valid_to
      FROM asked a
      LEFT JOIN sku_prices p ON p.sku = a.sku
      LEFT JOIN sku_price_rules r ON r.sku = a.sku`;
    const bySku = new Map<string, { listPrice: number | null; rows: RuleRow[] }>();
    for (const { kind, ...row } of rows) {
      const entry = bySku.get(row.sku) ?? {
        listPrice: row.list_price === null ? null : Number(row.list_price),
        rows: [],
      };
      if (kind !== null) entry.rows.push({ ...row, kind });
      bySku.set(row.sku, entry);
    }
    for (const [sku, entry] of bySku)
      out.set(sku, { listPrice: entry.listPrice, rules: rulesOf(entry.rows) });
    return out;
  }
}
