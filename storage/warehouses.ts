import type Redis from "ioredis";
import type { ScopeFilter } from "../actors/permissions/index.ts";
import type { Sql } from "./postgres/database.ts";
import { warehouseScopeWhere } from "./read-models/scope-sql.ts";

export interface Warehouse {
  code: string;
  name: string;
  region: string;
  createdAt: string;
  updatedAt: string;
}

/**
 * Reference data: warehouses live in Postgres, with a Redis set of codes for the hot existence check.
 * It fulfils the gateway's `WarehouseDirectory` port (gateway/ports.ts); the composition in node/
 * checks that, so the shape is not declared a second time here.
 */
export class PostgresWarehouseDirectory {
  readonly #sql: Sql;
  readonly #redis: Redis;
  readonly #key: string;
  readonly #known = new Set<string>();

  constructor(sql: Sql, redis: Redis, namespace: string) {
    this.#sql = sql;
    this.#redis = redis;
    this.#key = `${namespace}:warehouses`;
  }

  async upsert(w: { code: string; name: string; region: string }, by: string, requestId: string) {
    const rows = await this.#sql.begin(async (tx) => {
      const result = await tx`
        INSERT INTO warehouses (code, name, region) VALUES (${w.code}, ${w.name}, ${w.region})
        ON CONFLICT (code) DO UPDATE SET name = EXCLUDED.name, region = EXCLUDED.region, updated_at = now()
        RETURNING code, name, region, created_at, updated_at, (xmax = 0) AS created`;
      await tx`INSERT INTO audit_log (principal, action, target, request_id, detail)
        VALUES (${by}, 'warehouse.upsert', ${`warehouse/${w.code}`}, ${requestId}, ${tx.json({ name: w.name, region: w.region })})`;
      return result;
    });
    await this.#cache((redis) => redis.sadd(this.#key, w.code));
    this.#known.add(w.code);
    const row = rows[0]!;
    return { created: Boolean(row.created), warehouse: toWarehouse(row) };
  }

  /** `scope`: the caller's data scope (decision 0033), only its warehouses. */
  async list({
    limit,
    after,
    scope,
  }: {
    limit: number;
    after?: string;
    scope?: ScopeFilter;
  }): Promise<Warehouse[]> {
    const rows = await this.#sql`
      SELECT code, name, region, created_at, updated_at FROM warehouses
      WHERE ${after ? this.#sql`code > ${after}` : this.#sql`true`} ${warehouseScopeWhere(this.#sql, "code", scope)}
      ORDER BY code LIMIT ${limit}`;
    return rows.map(toWarehouse);
  }

  /**
   * Positive answers are cached in process (warehouses are never deleted); misses ask Redis, then
   * Postgres. Redis is only a cache here: when it is down, Postgres answers.
   */
  async exists(code: string): Promise<boolean> {
    if (this.#known.has(code)) return true;
    let found = (await this.#cache((redis) => redis.sismember(this.#key, code))) === 1;
    if (!found) {
      found = (await this.#sql`SELECT 1 FROM warehouses WHERE code = ${code}`).length > 0;
      if (found) await this.#cache((redis) => redis.sadd(this.#key, code));
    }
    if (found) this.#known.add(code);
    return found;
  }

  /** A cache call that degrades to "no answer" when Redis is down or slow (its deadline still applies). */
  async #cache<T>(call: (redis: Redis) => Promise<T>): Promise<T | undefined> {
    try {
      return await call(this.#redis);
    } catch {
      return undefined;
    }
  }
}

function toWarehouse(row: Record<string, unknown>): Warehouse {
  return {
    code: row.code as string,
    name: row.name as string,
    region: row.region as string,
    createdAt: (row.created_at as Date).toISOString(),
    updatedAt: (row.updated_at as Date).toISOString(),
  };
}
