import type postgres from "postgres";
import type { FreightTemplate, FreightTemplateInput } from "../../actors/freight/index.ts";
import type { Sql } from "../postgres/database.ts";

type Row = Record<string, unknown>;

/** A template as stored, with its times (structurally the gateway port's record). */
interface FreightTemplateRecord extends FreightTemplate {
  createdAt: string;
  updatedAt: string;
}

function toRecord(row: Row): FreightTemplateRecord {
  const excluded = row.excluded as string[];
  return {
    code: row.code as string,
    warehouse: row.warehouse as string,
    basis: row.basis as FreightTemplate["basis"],
    rules: row.rules as FreightTemplate["rules"],
    ...(row.free_over === null ? {} : { freeOver: Number(row.free_over) }),
    ...(excluded.length === 0 ? {} : { excluded }),
    ...(row.volumetric_divisor === null ? {} : { volumetricDivisor: Number(row.volumetric_divisor) }),
    createdAt: (row.created_at as Date).toISOString(),
    updatedAt: (row.updated_at as Date).toISOString(),
  };
}

/**
 * Freight templates in Postgres (migration 0023); each write in one transaction with its `audit_log`
 * row. Reads go to Postgres every time: a template saved is priced by the very next quote.
 */
export class PostgresFreightTemplates {
  readonly #sql: Sql;
  constructor(sql: Sql) {
    this.#sql = sql;
  }

  async put(code: string, t: FreightTemplateInput, audit: { by: string; requestId: string }) {
    const json = (tx: postgres.TransactionSql, v: unknown) => tx.json(v as postgres.JSONValue);
    return this.#sql.begin(async (tx) => {
      const rows = await tx`
        INSERT INTO freight_templates (code, warehouse, basis, rules, free_over, excluded, volumetric_divisor)
        VALUES (${code}, ${t.warehouse}, ${t.basis}, ${json(tx, t.rules)}, ${t.freeOver ?? null},
          ${json(tx, t.excluded ?? [])}, ${t.volumetricDivisor ?? null})
        ON CONFLICT (code) DO UPDATE SET warehouse = EXCLUDED.warehouse, basis = EXCLUDED.basis,
          rules = EXCLUDED.rules, free_over = EXCLUDED.free_over, excluded = EXCLUDED.excluded,
          volumetric_divisor = EXCLUDED.volumetric_divisor, updated_at = now()
        RETURNING *, (xmax = 0) AS created`;
      await tx`INSERT INTO audit_log (principal, action, target, request_id, detail)
        VALUES (${audit.by}, 'freight-template.put', ${`freight-template/${code}`}, ${audit.requestId}, ${json(tx, t)})`;
      const row = rows[0]!;
      return { created: Boolean(row.created), template: toRecord(row) };
    });
  }

  async get(code: string): Promise<FreightTemplateRecord | undefined> {
    const rows = await this.#sql`SELECT * FROM freight_templates WHERE code = ${code}`;
    return rows[0] ? toRecord(rows[0]) : undefined;
  }

  async list(filter: {
    limit: number;
    after?: string;
    warehouse?: string;
  }): Promise<FreightTemplateRecord[]> {
    const sql = this.#sql;
    const rows = await sql`
      SELECT * FROM freight_templates
      WHERE ${filter.after === undefined ? sql`true` : sql`code > ${filter.after}`}
        AND ${filter.warehouse === undefined ? sql`true` : sql`warehouse = ${filter.warehouse}`}
      ORDER BY code LIMIT ${filter.limit}`;
    return rows.map(toRecord);
  }

  /** True when it existed (and is gone now, audited). */
  async delete(code: string, audit: { by: string; requestId: string }): Promise<boolean> {
    return this.#sql.begin(async (tx) => {
      const rows = await tx`DELETE FROM freight_templates WHERE code = ${code} RETURNING code`;
      if (rows.length === 0) return false;
      await tx`INSERT INTO audit_log (principal, action, target, request_id, detail)
        VALUES (${audit.by}, 'freight-template.delete', ${`freight-template/${code}`}, ${audit.requestId}, ${tx.json({})})`;
      return true;
    });
  }

  /** The templates of these warehouses (what routing an order needs; one query). */
  async forWarehouses(warehouses: readonly string[]): Promise<FreightTemplate[]> {
    if (warehouses.length === 0) return [];
    const unique = [...new Set(warehouses)];
    const rows = await this
      .#sql`SELECT * FROM freight_templates WHERE warehouse = ANY(${unique}) ORDER BY code`;
    return rows.map(toRecord);
  }
}

/** warehouse → region (`PUT /v1/warehouses/{code}`), for routing distances. One query. */
export async function warehouseRegions(sql: Sql, codes: readonly string[]): Promise<Map<string, string>> {
  if (codes.length === 0) return new Map();
  const unique = [...new Set(codes)];
  const rows = await sql`SELECT code, region FROM warehouses WHERE code = ANY(${unique})`;
  return new Map(rows.map((r) => [r.code as string, r.region as string]));
}
