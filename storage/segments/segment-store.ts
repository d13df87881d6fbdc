import type postgres from "postgres";
import type { SegmentFilter } from "../../actors/segment/index.ts";
import type { Sql } from "../postgres/database.ts";
import { InvalidCursorError } from "../read-models/cursor.ts";
import { filterCondition } from "./filter-sql.ts";

type Audit = { by: string; requestId: string };

export interface MemberTag {
  tag: string;
  source: "behaviour" | "manual";
  addedAt: string;
  addedBy: string;
}

export interface MemberFigures {
  level: string | null;
  spend: number;
  orders: number;
  recentOrders: number;
  firstOrderAt: string | null;
  lastOrderAt: string | null;
  categories: string[];
  computedAt: string | null;
}

export interface SegmentRecord {
  code: string;
  name: string;
  description: string | null;
  filter: SegmentFilter;
  version: number;
  createdAt: string;
  updatedAt: string;
  updatedBy: string;
}

const iso = (d: unknown) => (d instanceof Date ? d.toISOString() : null);

function figures(r: postgres.Row | undefined): MemberFigures | null {
  if (!r) return null;
  return {
    level: r.level ?? null,
    spend: Number(r.spend),
    orders: Number(r.orders),
    recentOrders: Number(r.recent_orders),
    firstOrderAt: iso(r.first_order_at),
    lastOrderAt: iso(r.last_order_at),
    categories: r.categories as string[],
    computedAt: iso(r.computed_at),
  };
}

function segment(r: postgres.Row): SegmentRecord {
  return {
    code: r.code,
    name: r.name,
    description: r.description ?? null,
    filter: r.filter as SegmentFilter,
    version: Number(r.version),
    createdAt: iso(r.created_at)!,
    updatedAt: iso(r.updated_at)!,
    updatedBy: r.updated_by,
  };
}

/** Cursor over member ids (the id itself, opaque to clients). */
const encodeMemberCursor = (userId: string) => Buffer.from(`m|${userId}`).toString("base64url");
function decodeMemberCursor(cursor: string): string {
  const match = /^m\|([A-Za-z0-9_:-]{1,96})$/.exec(Buffer.from(cursor, "base64url").toString());
  if (!match) throw new InvalidCursorError(cursor);
  return match[1]!;
}

/**
 * Member tags, segments and what pushes deliver to inboxes, in Postgres (decision 0025). Manual tags and
 * segments are reference data: each write in one transaction with its `audit_log` row. Behaviour tags and
 * figures are written by the recompute job (`recompute.ts`).
 */
export class PostgresSegmentStore {
  readonly #sql: Sql;
  constructor(sql: Sql) {
    this.#sql = sql;
  }

  async memberTags(userId: string): Promise<{ tags: MemberTag[]; figures: MemberFigures | null }> {
    const sql = this.#sql;
    const [tags, [profile]] = await Promise.all([
      sql`SELECT tag, source, added_at, added_by FROM member_tags WHERE user_id = ${userId} ORDER BY source, tag`,
      sql`SELECT * FROM member_profiles WHERE user_id = ${userId}`,
    ]);
    return {
      tags: tags.map((r) => ({
        tag: r.tag,
        source: r.source,
        addedAt: iso(r.added_at)!,
        addedBy: r.added_by,
      })),
      figures: figures(profile),
    };
  }

  /** Replaces a member's manual tags with `tags` (behaviour tags stay); returns what was added and removed. */
  async setManualTags(userId: string, tags: readonly string[], audit: Audit) {
    const wanted = [...new Set(tags)].sort();
    return this.#sql.begin(async (tx) => {
      await tx`INSERT INTO member_profiles (user_id) VALUES (${userId}) ON CONFLICT (user_id) DO NOTHING`;
      const removed = await tx`DELETE FROM member_tags WHERE user_id = ${userId} AND source = 'manual'
        AND NOT (tag = ANY(${wanted}::text[])) RETURNING tag`;
      const added = await tx`INSERT INTO member_tags (user_id, tag, source, added_by)
        SELECT ${userId}, t, 'manual', ${audit.by} FROM unnest(${wanted}::text[]) AS t
        ON CONFLICT (user_id, source, tag) DO NOTHING RETURNING tag`;
      const change = {
        added: added.map((r) => r.tag as string),
        removed: removed.map((r) => r.tag as string),
      };
      if (change.added.length + change.removed.length > 0)
        await tx`INSERT INTO audit_log (principal, action, target, request_id, detail)
          VALUES (${audit.by}, 'member.tags', ${`member/${userId}`}, ${audit.requestId}, ${tx.json(change)})`;
      return change;
    });
  }

  /** Creates or replaces a segment; `created` tells which. */
  async putSegment(
    code: string,
    def: { name: string; description?: string; filter: SegmentFilter },
    audit: Audit,
  ): Promise<{ segment: SegmentRecord; created: boolean }> {
    return this.#sql.begin(async (tx) => {
      const [before] = await tx`SELECT * FROM segments WHERE code = ${code} FOR UPDATE`;
      const filter = tx.json(def.filter as postgres.JSONValue);
      const same =
        before &&
        before.name === def.name &&
        (before.description ?? null) === (def.description ?? null) &&
        JSON.stringify(before.filter) === JSON.stringify(def.filter);
      if (same) return { segment: segment(before), created: false };
      const [row] = before
        ? await tx`UPDATE segments SET name = ${def.name}, description = ${def.description ?? null}, filter = ${filter},
            version = version + 1, updated_at = now(), updated_by = ${audit.by} WHERE code = ${code} RETURNING *`
        : await tx`INSERT INTO segments (code, name, description, filter, updated_by)
            VALUES (${code}, ${def.name}, ${def.description ?? null}, ${filter}, ${audit.by}) RETURNING *`;
      await tx`INSERT INTO audit_log (principal, action, target, request_id, detail)
        VALUES (${audit.by}, ${before ? "segment.update" : "segment.create"}, ${`segment/${code}`}, ${audit.requestId},
          ${tx.json({ name: def.name, filter: def.filter as postgres.JSONValue, before: before ? (before.filter as postgres.JSONValue) : null })})`;
      return { segment: segment(row!), created: !before };
    });
  }

  async getSegment(code: string): Promise<SegmentRecord | null> {
    const [row] = await this.#sql`SELECT * FROM segments WHERE code = ${code}`;
    return row ? segment(row) : null;
  }

  async listSegments(
    limit: number,
    cursor?: string,
  ): Promise<{ items: SegmentRecord[]; nextCursor: string | null }> {
    const after = cursor ? decodeMemberCursor(cursor) : "";
    const rows = await this.#sql`SELECT * FROM segments WHERE code COLLATE "C" > ${after}
      ORDER BY code COLLATE "C" LIMIT ${limit + 1}`;
    const page = rows.slice(0, limit);
    return {
      items: page.map(segment),
      nextCursor: rows.length > limit ? encodeMemberCursor(page.at(-1)!.code) : null,
    };
  }

  /** How many members the filter matches now (the preview). */
  async count(filter: SegmentFilter, now: number): Promise<number> {
    const sql = this.#sql;
    const [row] =
      await sql`SELECT count(*)::int AS n FROM member_profiles p WHERE ${filterCondition(sql, filter, now)}`;
    return Number(row?.n ?? 0);
  }

  /** The members a filter matches, by id, with their figures and tags; cursor-paged. */
  async members(filter: SegmentFilter, now: number, limit: number, cursor?: string) {
    const sql = this.#sql;
    const after = cursor ? decodeMemberCursor(cursor) : "";
    const rows =
      await sql`SELECT p.*, COALESCE((SELECT array_agg(DISTINCT t.tag ORDER BY t.tag) FROM member_tags t
        WHERE t.user_id = p.user_id), '{}') AS tags
      FROM member_profiles p WHERE p.user_id COLLATE "C" > ${after} AND ${filterCondition(sql, filter, now)}
      ORDER BY p.user_id COLLATE "C" LIMIT ${limit + 1}`;
    const page = rows.slice(0, limit);
    return {
      items: page.map((r) => ({ userId: r.user_id as string, ...figures(r)!, tags: r.tags as string[] })),
      nextCursor: rows.length > limit ? encodeMemberCursor(page.at(-1)!.user_id) : null,
    };
  }

  /** The next member ids after `after` (byte order) that the filter matches: one step of a push. */
  async memberIdsAfter(
    filter: SegmentFilter,
    now: number,
    after: string | null,
    limit: number,
  ): Promise<string[]> {
    const sql = this.#sql;
    const rows = await sql`SELECT p.user_id FROM member_profiles p
      WHERE p.user_id COLLATE "C" > ${after ?? ""} AND ${filterCondition(sql, filter, now)}
      ORDER BY p.user_id COLLATE "C" LIMIT ${limit}`;
    return rows.map((r) => r.user_id as string);
  }

  /** Delivers a push's message to each member's inbox once; returns how many were new. */
  async deliverMessages(
    pushId: string,
    userIds: readonly string[],
    message: { title: string; body: string },
  ) {
    const rows = await this.#sql`INSERT INTO member_messages (user_id, push_id, title, body)
      SELECT u, ${pushId}, ${message.title}, ${message.body} FROM unnest(${userIds as string[]}::text[]) AS u
      ON CONFLICT (user_id, push_id) DO NOTHING`;
    return rows.count;
  }

  /** A member's messages, newest first. */
  async memberMessages(userId: string, limit: number) {
    const rows = await this.#sql`SELECT push_id, title, body, delivered_at FROM member_messages
      WHERE user_id = ${userId} ORDER BY delivered_at DESC, push_id DESC LIMIT ${limit}`;
    return rows.map((r) => ({
      pushId: r.push_id as string,
      title: r.title as string,
      body: r.body as string,
      deliveredAt: iso(r.delivered_at)!,
    }));
  }
}
