import type postgres from "postgres";
import {
  type Conditions,
  isPromotionType,
  type PromotionStatus,
  type Scope,
} from "../../actors/promotion/index.ts";
import type { Sql } from "../postgres/database.ts";
import { decodeCursor, encodeCursor, InvalidCursorError } from "../read-models/cursor.ts";

type Row = Record<string, unknown>;

/** Most promotions one checkout considers (highest priority first); the engine caps its search further. */
export const MAX_LIVE = 200;

/** The record shapes of the gateway's port (structurally: storage does not import the gateway). */
interface PromotionRecord {
  id: string;
  name: string;
  type: ReturnType<typeof typeOf>;
  rules: Record<string, unknown>;
  scope: Scope;
  conditions: Conditions;
  timeSlots: Array<{ from: string; to: string }>;
  weekdays: number[];
  startsAt: number;
  endsAt: number;
  endedAt?: number;
  exclusive: boolean;
  stackGroup?: string;
  priority: number;
  createdAt: number;
  createdBy: string;
  endedBy?: string;
}

type NewPromotion = Omit<PromotionRecord, "id" | "endedAt" | "createdAt" | "createdBy" | "endedBy"> & {
  idempotency?: { id: string; fingerprint: string };
};

function typeOf(value: unknown) {
  const t = String(value);
  if (!isPromotionType(t)) throw new Error(`promotions: unknown type ${t}`);
  return t;
}

const ms = (value: unknown) => (value instanceof Date ? value.getTime() : Number(value));

function toRecord(row: Row): PromotionRecord {
  return {
    id: row.id as string,
    name: row.name as string,
    type: typeOf(row.type),
    rules: row.rules as Record<string, unknown>,
    scope: row.scope as Scope,
    conditions: row.conditions as Conditions,
    timeSlots: row.time_slots as Array<{ from: string; to: string }>,
    weekdays: (row.weekdays as number[]).map(Number),
    startsAt: ms(row.starts_at),
    endsAt: ms(row.ends_at),
    ...(row.ended_at === null ? {} : { endedAt: ms(row.ended_at) }),
    exclusive: row.exclusive as boolean,
    ...(row.stack_group === null ? {} : { stackGroup: row.stack_group as string }),
    priority: Number(row.priority),
    createdAt: ms(row.created_at),
    createdBy: row.created_by as string,
    ...(row.ended_by === null ? {} : { endedBy: row.ended_by as string }),
  };
}

const json = (tx: postgres.TransactionSql | Sql, value: unknown) => tx.json(value as postgres.JSONValue);

/** Promotions as reference data; every write in one transaction with its `audit_log` row. */
export class PostgresPromotionStore {
  readonly #sql: Sql;
  constructor(sql: Sql) {
    this.#sql = sql;
  }

  async create(p: NewPromotion, audit: { by: string; requestId: string }) {
    return this.#sql.begin(async (tx) => {
      const key = p.idempotency?.id ?? null;
      if (key !== null) {
        // One creation per key: a concurrent retry waits here, then finds the first one.
        await tx`SELECT pg_advisory_xact_lock(hashtext(${`promotion/${key}`}))`;
        const [first] = await tx`SELECT * FROM promotions WHERE idempotency_id = ${key}`;
        if (first)
          return {
            created: false as const,
            promotion: toRecord(first),
            fingerprint: first.fingerprint as string,
          };
      }
      const [{ seq }] = (await tx`SELECT nextval('promotions_seq') AS seq`) as unknown as [{ seq: string }];
      const id = `PRM${seq}`;
      const [row] =
        await tx`INSERT INTO promotions (id, seq, name, type, rules, scope, conditions, time_slots,
          weekdays, starts_at, ends_at, exclusive, stack_group, priority, created_by, idempotency_id, fingerprint)
        VALUES (${id}, ${seq}, ${p.name}, ${p.type}, ${json(tx, p.rules)}, ${json(tx, p.scope)},
          ${json(tx, p.conditions)}, ${json(tx, p.timeSlots)}, ${p.weekdays}, ${new Date(p.startsAt)},
          ${new Date(p.endsAt)}, ${p.exclusive}, ${p.stackGroup ?? null}, ${p.priority}, ${audit.by}, ${key},
          ${p.idempotency?.fingerprint ?? null})
        RETURNING *`;
      await tx`INSERT INTO audit_log (principal, action, target, request_id, detail)
        VALUES (${audit.by}, 'promotion.create', ${`promotion/${id}`}, ${audit.requestId},
                ${json(tx, { name: p.name, type: p.type, rules: p.rules, scope: p.scope })})`;
      return { created: true as const, promotion: toRecord(row!) };
    });
  }

  async get(id: string) {
    const [row] = await this.#sql`SELECT * FROM promotions WHERE id = ${id}`;
    return row ? toRecord(row) : undefined;
  }

  async list(filter: { status?: PromotionStatus; limit: number; cursor?: string; now: number }) {
    const sql = this.#sql;
    let after: number | null = null;
    if (filter.cursor !== undefined) {
      const decoded = decodeCursor(filter.cursor);
      if (!decoded) throw new InvalidCursorError(filter.cursor);
      after = decoded.seq;
    }
    const now = new Date(filter.now);
    const status =
      filter.status === "scheduled"
        ? sql`AND ended_at IS NULL AND starts_at > ${now}`
        : filter.status === "active"
          ? sql`AND ended_at IS NULL AND starts_at <= ${now} AND ends_at > ${now}`
          : filter.status === "ended"
            ? sql`AND (ended_at IS NOT NULL OR ends_at <= ${now})`
            : sql``;
    const rows = await sql`SELECT * FROM promotions
      WHERE (${after}::bigint IS NULL OR seq < ${after}) ${status}
      ORDER BY seq DESC LIMIT ${filter.limit + 1}`;
    const page = rows.slice(0, filter.limit);
    const last = page.at(-1);
    return {
      items: page.map(toRecord),
      nextCursor: rows.length > filter.limit && last ? encodeCursor(Number(last.seq), 0) : null,
    };
  }

  async end(id: string, at: number, audit: { by: string; requestId: string }) {
    return this.#sql.begin(async (tx) => {
      const [row] = await tx`SELECT * FROM promotions WHERE id = ${id} FOR UPDATE`;
      if (!row) return undefined;
      if (row.ended_at !== null || ms(row.ends_at) <= at) return toRecord(row);
      const [ended] = await tx`UPDATE promotions SET ended_at = ${new Date(at)}, ended_by = ${audit.by}
        WHERE id = ${id} RETURNING *`;
      await tx`INSERT INTO audit_log (principal, action, target, request_id, detail)
        VALUES (${audit.by}, 'promotion.end', ${`promotion/${id}`}, ${audit.requestId},
                ${json(tx, { endedAt: new Date(at).toISOString() })})`;
      return toRecord(ended!);
    });
  }

  async live(at: number) {
    const now = new Date(at);
    const rows = await this.#sql`SELECT * FROM promotions
      WHERE ended_at IS NULL AND starts_at <= ${now} AND ends_at > ${now}
      ORDER BY priority DESC, id LIMIT ${MAX_LIVE}`;
    return rows.map(toRecord);
  }

  /**
   * sku → { spu, brand, categories }: the product's back category and its ancestors (nearest first, at
   * most 32 levels), then the front categories linked to any of them. One statement.
   */
  async cartFacts(skus: readonly string[]) {
    const out = new Map<string, { spu: string; brand?: string; categories: string[] }>();
    if (skus.length === 0) return out;
    const rows = await this.#sql`
      WITH RECURSIVE base AS (
        SELECT s.sku, p.spu_code, p.brand, p.category
        FROM product_skus s JOIN products p ON p.spu_code = s.spu_code
        WHERE s.sku = ANY(${[...new Set(skus)]})
      ), up (sku, code, depth) AS (
        SELECT sku, category, 0 FROM base
        UNION ALL
        SELECT up.sku, c.parent, up.depth + 1
        FROM up JOIN categories c ON c.code = up.code
        WHERE c.parent IS NOT NULL AND up.depth < 32
      )
      SELECT b.sku, b.spu_code, b.brand,
        (SELECT array_agg(code ORDER BY depth) FROM up WHERE up.sku = b.sku) AS back,
        (SELECT array_agg(DISTINCT l.front ORDER BY l.front) FROM front_category_links l
           WHERE l.back IN (SELECT code FROM up WHERE up.sku = b.sku)) AS front
      FROM base b`;
    for (const row of rows) {
      out.set(row.sku as string, {
        spu: row.spu_code as string,
        ...(row.brand === null ? {} : { brand: row.brand as string }),
        categories: [...((row.back as string[] | null) ?? []), ...((row.front as string[] | null) ?? [])],
      });
    }
    return out;
  }
}
