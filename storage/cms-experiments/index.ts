import type Redis from "ioredis";
import type {
  ExperimentDefinition,
  ExperimentRecord,
  Variant,
  VariantCounts,
} from "../../actors/cms/index.ts";
import type { Sql } from "../postgres/database.ts";
import { decodeCursor, encodeCursor, InvalidCursorError } from "../read-models/cursor.ts";

/** KEYS: entry, generation. ARGV: generation read before Postgres was asked, entry, TTL ms. */
const PUT_SCRIPT = `
local gen = redis.call("GET", KEYS[2]) or "0"
if gen == ARGV[1] then redis.call("SET", KEYS[1], ARGV[2], "PX", ARGV[3]) return 1 end
return 0
`;

const ms = (v: unknown) => (v === null || v === undefined ? null : new Date(v as string).getTime());
const iso = (v: unknown) => (v === null || v === undefined ? null : new Date(v as string).toISOString());

function toRecord(row: Record<string, unknown>): ExperimentRecord {
  return {
    id: row.id as string,
    slug: row.slug as string,
    name: (row.name as string | null) ?? null,
    variants: row.variants as Variant[],
    status: row.status as ExperimentRecord["status"],
    startAt: ms(row.start_at),
    stopAt: ms(row.stop_at),
    createdAt: iso(row.created_at)!,
    createdBy: row.created_by as string,
    startedAt: iso(row.started_at),
    stoppedAt: iso(row.stopped_at),
  };
}

/**
 * CMS experiments in Postgres (decision 0038), with each page's running experiment cached in Redis for
 * the delivery read. Start and stop invalidate the page's entry (generation bump + delete) before they
 * answer; a reader stores what it read only if the generation did not move meanwhile.
 */
export class PostgresExperiments {
  readonly #sql: Sql;
  readonly #redis: Redis;
  readonly #ns: string;
  readonly #ttlMs: number;
  constructor(sql: Sql, redis: Redis, namespace: string, ttlMs = 300_000) {
    this.#sql = sql;
    this.#redis = redis;
    this.#ns = namespace;
    this.#ttlMs = ttlMs;
  }
  #entry(slug: string) {
    return `${this.#ns}:cms:exp:${slug}`;
  }
  #gen(slug: string) {
    return `${this.#ns}:cms:expgen:${slug}`;
  }
  async #invalidate(slug: string) {
    await this.#redis.multi().incr(this.#gen(slug)).del(this.#entry(slug)).exec();
  }

  async create(def: ExperimentDefinition, by: string): Promise<boolean> {
    const at = (v: number | undefined) => (v === undefined ? null : new Date(v));
    const rows = await this.#sql`INSERT INTO cms_experiments
        (id, slug, name, variants, status, start_at, stop_at, created_by)
      VALUES (${def.id}, ${def.slug}, ${def.name ?? null}, ${this.#sql.json(def.variants as never)}, 'draft',
        ${at(def.startAt)}, ${at(def.stopAt)}, ${by})
      ON CONFLICT (id) DO NOTHING RETURNING id`;
    return rows.length === 1;
  }

  async get(id: string): Promise<ExperimentRecord | null> {
    const [row] = await this.#sql`SELECT * FROM cms_experiments WHERE id = ${id}`;
    return row ? toRecord(row) : null;
  }

  async list(f: { slug?: string; limit: number; cursor?: string }) {
    const after = f.cursor ? decodeCursor(f.cursor) : undefined;
    if (f.cursor && !after) throw new InvalidCursorError(f.cursor);
    const sql = this.#sql;
    const below = after ? after.seq : Number.MAX_SAFE_INTEGER;
    const rows = await sql`SELECT * FROM cms_experiments WHERE seq < ${below}
      ${f.slug ? sql`AND slug = ${f.slug}` : sql``}
      ORDER BY seq DESC LIMIT ${f.limit}`;
    const last = rows.at(-1);
    return {
      items: rows.map(toRecord),
      nextCursor: rows.length === f.limit && last ? encodeCursor(Number(last.seq), 0) : null,
    };
  }

  async start(id: string) {
    const found = await this.get(id);
    if (!found) return "not-found" as const;
    if (found.status === "running") return "unchanged" as const;
    if (found.status === "stopped") return "stopped" as const;
    try {
      const rows = await this.#sql`UPDATE cms_experiments SET status = 'running', started_at = now()
        WHERE id = ${id} AND status = 'draft' RETURNING id`;
      if (rows.length === 0) return (await this.get(id))?.status === "running" ? "unchanged" : "stopped";
    } catch (error) {
      if ((error as { code?: string }).code === "23505") return "page-busy" as const;
      throw error;
    }
    await this.#invalidate(found.slug);
    return "started" as const;
  }

  async stop(id: string) {
    const found = await this.get(id);
    if (!found) return "not-found" as const;
    const rows = await this.#sql`UPDATE cms_experiments SET status = 'stopped', stopped_at = now()
      WHERE id = ${id} AND status <> 'stopped' RETURNING id`;
    await this.#invalidate(found.slug);
    return rows.length === 1 ? ("stopped" as const) : ("unchanged" as const);
  }

  async runningOn(slug: string): Promise<ExperimentRecord | null> {
    const raw = await this.#redis.get(this.#entry(slug));
    if (raw !== null) {
      try {
        return JSON.parse(raw) as ExperimentRecord | null;
      } catch {}
    }
    const generation = (await this.#redis.get(this.#gen(slug))) ?? "0";
    const [row] = await this.#sql`SELECT * FROM cms_experiments WHERE slug = ${slug} AND status = 'running'`;
    const found = row ? toRecord(row) : null;
    await this.#redis.eval(
      PUT_SCRIPT,
      2,
      this.#entry(slug),
      this.#gen(slug),
      generation,
      JSON.stringify(found),
      this.#ttlMs,
    );
    return found;
  }

  async record(e: ExperimentRecord, visitor: string, variant: string, type: "exposure" | "click") {
    if (type === "exposure") {
      const rows = await this.#sql`INSERT INTO cms_experiment_visitors (experiment_id, visitor_id, variant)
        VALUES (${e.id}, ${visitor}, ${variant}) ON CONFLICT DO NOTHING RETURNING visitor_id`;
      return rows.length === 1;
    }
    // A click implies the visitor saw the page; only the first click counts toward the rate.
    const [row] = await this.#sql`INSERT INTO cms_experiment_visitors
        (experiment_id, visitor_id, variant, clicked_at, clicks)
      VALUES (${e.id}, ${visitor}, ${variant}, now(), 1)
      ON CONFLICT (experiment_id, visitor_id) DO UPDATE
        SET clicks = cms_experiment_visitors.clicks + 1,
            clicked_at = COALESCE(cms_experiment_visitors.clicked_at, EXCLUDED.clicked_at)
      RETURNING clicks`;
    return Number(row?.clicks) === 1;
  }

  async counts(id: string): Promise<VariantCounts[]> {
    const rows = await this.#sql`SELECT variant, count(*)::int AS exposures, count(clicked_at)::int AS clicks
      FROM cms_experiment_visitors WHERE experiment_id = ${id} GROUP BY variant`;
    return rows.map((r) => ({
      key: r.variant as string,
      exposures: Number(r.exposures),
      clicks: Number(r.clicks),
    }));
  }
}
