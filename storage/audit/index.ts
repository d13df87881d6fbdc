import type { TransactionSql } from "postgres";
import {
  type AuditEntry,
  type AuditFilter,
  type ChainVerification,
  chainLink,
  GENESIS_HASH,
  type RetentionPolicy,
  type RetentionState,
} from "../../actors/audit/index.ts";
import type { Sql } from "../postgres/database.ts";
import { decodeCursor, encodeCursor, InvalidCursorError } from "../read-models/cursor.ts";

type Tx = Sql | TransactionSql;

/**
 * The canonical encoding of a row (decision 0035): Postgres' `jsonb` text of every field a writer set,
 * timestamps in UTC to the microsecond. `jsonb` output is deterministic (keys ordered, one spacing), so
 * the sealer (hashing in JS) and verification (hashing in SQL) read the very same bytes.
 */
const canonical = (tx: Tx) => tx`jsonb_build_object(
    'id', id,
    'at', to_char(at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"'),
    'principal', principal,
    'action', action,
    'target', target,
    'requestId', request_id,
    'detail', detail,
    'sourceSeq', source_seq,
    'sourceIdx', source_idx)::text`;

/** The sealer's lock: one sealer (or pruner) at a time per namespace; writers never take it. */
const sealLock = (tx: Tx) =>
  tx`SELECT pg_try_advisory_xact_lock(hashtextextended('audit-seal:' || current_schema(), 0)) AS ok`;

const VERIFY_BATCH = 5_000;
/** Rows one pruning transaction removes at most (whole segments), so no statement runs into its timeout. */
const PRUNE_ROUND_ROWS = 50_000;

const likePrefix = (pattern: string) => `${pattern.slice(0, -1).replace(/[\\%_]/g, "\\$&")}%`;

/**
 * The audit log's chain, list, verification and retention in Postgres (migration 0030). `reads` serves
 * the API (deadlined); `work` is the plain pool for the sealer, verification and pruning (bounded by
 * `statement_timeout` per statement).
 */
export class PostgresAuditTrail {
  readonly #reads: Sql;
  readonly #work: Sql;
  readonly #pruneRoundRows: number;
  constructor(reads: Sql, work: Sql = reads, options: { pruneRoundRows?: number } = {}) {
    this.#reads = reads;
    this.#work = work;
    this.#pruneRoundRows = options.pruneRoundRows ?? PRUNE_ROUND_ROWS;
  }

  /**
   * Seals up to `limit` committed, unsealed rows in id order (as they are visible now: a row whose
   * transaction commits later is sealed by a later call, with a later sequence). Returns how many were
   * sealed; 0 when another sealer holds the lock.
   */
  async seal(limit = 1_000): Promise<number> {
    return this.#work.begin(async (tx) => {
      const [lock] = await sealLock(tx);
      if (!lock?.ok) return 0;
      const rows = await tx`SELECT id, ${canonical(tx)} AS canon FROM audit_log
        WHERE chain_seq IS NULL ORDER BY id LIMIT ${limit}`;
      if (rows.length === 0) return 0;
      let { seq, hash } = await head(tx);
      const links: Array<[string, string, string]> = [];
      for (const row of rows) {
        seq += 1;
        hash = chainLink(hash, seq, row.canon as string);
        links.push([String(row.id), String(seq), hash]);
      }
      await tx`UPDATE audit_log AS a SET chain_seq = v.seq::bigint, chain_hash = v.hash
        FROM (VALUES ${tx(links)}) AS v(id, seq, hash) WHERE a.id = v.id::bigint`;
      return rows.length;
    }) as Promise<number>;
  }

  /** Seals until nothing committed is left unsealed (tests, and catching up after an upgrade). */
  async sealAll(): Promise<number> {
    let total = 0;
    for (;;) {
      const n = await this.seal();
      total += n;
      if (n === 0) return total;
    }
  }

  /** Newest first (by id), filtered; `nextCursor` continues below the last row. */
  async list(f: AuditFilter): Promise<{ items: AuditEntry[]; nextCursor: string | null }> {
    const after = f.cursor ? decodeCursor(f.cursor) : undefined;
    if (f.cursor && !after) throw new InvalidCursorError(f.cursor);
    const sql = this.#reads;
    const below = after ? after.seq : Number.MAX_SAFE_INTEGER;
    const match = (column: string, value: string | undefined) =>
      value === undefined
        ? sql``
        : value.endsWith("*")
          ? sql`AND ${sql(column)} LIKE ${likePrefix(value)}`
          : sql`AND ${sql(column)} = ${value}`;
    const rows = await sql`SELECT id, at, principal, action, target, request_id, detail, chain_seq
      FROM audit_log WHERE id < ${below}
      ${match("principal", f.actor)} ${match("action", f.action)} ${match("target", f.entity)}
      ${f.from ? sql`AND at >= ${f.from}` : sql``}
      ${f.to ? sql`AND at < ${f.to}` : sql``}
      ORDER BY id DESC LIMIT ${f.limit}`;
    const last = rows.at(-1);
    return {
      items: rows.map(toEntry),
      nextCursor: rows.length === f.limit && last ? encodeCursor(Number(last.id), 0) : null,
    };
  }

  /**
   * Recomputes every link of the kept chain, from the newest checkpoint (or the genesis) to the head,
   * in one snapshot: each row's hash must be `chainLink(previous row's hash, seq, canonical row)` and
   * sequences must follow each other. Reports the first row that breaks it.
   */
  async verify(): Promise<ChainVerification> {
    return this.#work.begin("isolation level repeatable read read only", async (tx) => {
      const start = await checkpointStart(tx);
      const [u] = await tx`SELECT count(*)::int AS n FROM audit_log WHERE chain_seq IS NULL`;
      const unsealed = Number(u?.n ?? 0);
      let last = { ...start };
      let rows = 0;
      for (;;) {
        const [b] = await tx`WITH r AS (
            SELECT chain_seq AS seq, id, chain_hash AS hash, ${canonical(tx)} AS canon FROM audit_log
            WHERE chain_seq > ${last.seq} ORDER BY chain_seq LIMIT ${VERIFY_BATCH}
          ), l AS (
            SELECT seq, id, hash, canon,
              coalesce(lag(seq) OVER w, ${last.seq}) AS prev_seq,
              coalesce(lag(hash) OVER w, ${last.hash}) AS prev_hash
            FROM r WINDOW w AS (ORDER BY seq)
          ), c AS (
            SELECT seq, id, hash, prev_seq, prev_seq <> seq - 1 AS gap,
              hash IS DISTINCT FROM encode(sha256(convert_to(
                prev_hash || E'\n' || seq::text || E'\n' || canon, 'UTF8')), 'hex') AS bad
            FROM l
          )
          SELECT count(*)::int AS n, max(seq) AS last_seq,
            (array_agg(hash ORDER BY seq DESC))[1] AS last_hash,
            (SELECT json_build_object('seq', seq, 'id', id::text, 'prev', prev_seq, 'gap', gap)
               FROM c WHERE gap OR bad ORDER BY seq LIMIT 1) AS broken,
            (SELECT count(*)::int FROM c WHERE seq < coalesce(
               (SELECT min(seq) FROM c WHERE gap OR bad), seq + 1)) AS intact
          FROM c`;
        const n = Number(b?.n ?? 0);
        const broken = b?.broken as { seq: number; id: string; prev: number; gap: boolean } | null;
        if (broken) {
          return {
            ok: false,
            rows: rows + Number(b?.intact ?? 0),
            unsealed,
            start,
            broken: broken.gap
              ? { seq: Number(broken.prev) + 1, id: null, reason: "missing" }
              : { seq: Number(broken.seq), id: broken.id, reason: "hash-mismatch" },
          } satisfies ChainVerification;
        }
        if (n === 0) return { ok: true, rows, unsealed, start, head: last } satisfies ChainVerification;
        rows += n;
        last = { seq: Number(b?.last_seq), hash: String(b?.last_hash) };
      }
    }) as Promise<ChainVerification>;
  }

  async retention(): Promise<RetentionState> {
    const sql = this.#reads;
    const [policy] = await sql`SELECT days, segment_rows, updated_at, updated_by FROM audit_retention`;
    const [cp] = await sql`SELECT * FROM audit_checkpoints ORDER BY through_seq DESC LIMIT 1`;
    return {
      days: Number(policy?.days ?? 365),
      segmentRows: Number(policy?.segment_rows ?? 1_000),
      updatedAt: iso(policy?.updated_at),
      updatedBy: String(policy?.updated_by ?? "system"),
      checkpoint: cp
        ? {
            throughSeq: Number(cp.through_seq),
            hash: cp.hash as string,
            prunedRows: Number(cp.pruned_rows),
            cutoff: iso(cp.cutoff),
            at: iso(cp.created_at),
          }
        : null,
    };
  }

  /** Changes the policy; the change and its audit row commit together. */
  async setRetention(
    policy: RetentionPolicy,
    audit: { by: string; requestId: string },
  ): Promise<RetentionState> {
    await this.#reads.begin(async (tx) => {
      const [was] = await tx`SELECT days, segment_rows FROM audit_retention FOR UPDATE`;
      await tx`INSERT INTO audit_retention (days, segment_rows, updated_by, updated_at)
        VALUES (${policy.days}, ${policy.segmentRows}, ${audit.by}, now())
        ON CONFLICT (singleton) DO UPDATE SET days = EXCLUDED.days, segment_rows = EXCLUDED.segment_rows,
          updated_by = EXCLUDED.updated_by, updated_at = EXCLUDED.updated_at`;
      const before = was ? { days: Number(was.days), segmentRows: Number(was.segment_rows) } : null;
      await tx`INSERT INTO audit_log (principal, action, target, request_id, detail)
        VALUES (${audit.by}, 'audit.retention', 'audit/retention', ${audit.requestId},
          ${tx.json({ before, after: { ...policy } })})`;
    });
    return this.retention();
  }

  /**
   * Prunes the sealed rows older than the policy's `days` (as of `now`) in whole segments of
   * `segmentRows` sequences from the start of the kept chain, and records a checkpoint: the hash of the
   * last pruned row, where verification of the kept chain starts. A row not older than the cutoff stops
   * the cut (rows are only ever removed from the start of the chain). Works in rounds of at most
   * `pruneRoundRows` (50,000) rows, each its own transaction with its checkpoint, so no statement runs
   * into the statement timeout on a first, large pruning. Returns what was pruned, all rounds together.
   */
  async prune(
    options: { now?: Date; by?: string } = {},
  ): Promise<{ pruned: number; throughSeq: number | null }> {
    let pruned = 0;
    let throughSeq: number | null = null;
    for (;;) {
      const round = await this.#pruneRound(options.now ?? new Date(), options.by ?? "system");
      if (round.throughSeq === null) return { pruned, throughSeq };
      pruned += round.pruned;
      throughSeq = round.throughSeq;
    }
  }

  /** One transaction of pruning: at most `PRUNE_ROUND_ROWS` (whole segments), checkpointed. */
  async #pruneRound(now: Date, by: string): Promise<{ pruned: number; throughSeq: number | null }> {
    return this.#work.begin(async (tx) => {
      // Waits for a sealing round to finish (short); the sealer skips its rounds while this holds it.
      await tx`SELECT pg_advisory_xact_lock(hashtextextended('audit-seal:' || current_schema(), 0))`;
      const [policy] = await tx`SELECT days, segment_rows FROM audit_retention`;
      const days = Number(policy?.days ?? 365);
      const segment = Number(policy?.segment_rows ?? 1_000);
      const cutoff = new Date(now.getTime() - days * 86_400_000);
      const start = await checkpointStart(tx);
      const window = Math.max(segment, Math.floor(this.#pruneRoundRows / segment) * segment);
      // The first sealed row that must stay (young enough) stops the cut; walked by sequence from the start.
      const [young] = await tx`SELECT chain_seq FROM audit_log
        WHERE chain_seq > ${start.seq} AND chain_seq <= ${start.seq + window + 1} AND at >= ${cutoff}
        ORDER BY chain_seq LIMIT 1`;
      const [top] = await tx`SELECT max(chain_seq) AS seq FROM audit_log WHERE chain_seq IS NOT NULL`;
      const limit = young ? Number(young.chain_seq) - 1 : Math.min(Number(top?.seq ?? 0), start.seq + window);
      const through = start.seq + Math.floor((limit - start.seq) / segment) * segment;
      if (through <= start.seq) return { pruned: 0, throughSeq: null };
      const [row] = await tx`SELECT chain_hash FROM audit_log WHERE chain_seq = ${through}`;
      if (!row) return { pruned: 0, throughSeq: null };
      const removed =
        await tx`DELETE FROM audit_log WHERE chain_seq > ${start.seq} AND chain_seq <= ${through}`;
      await tx`INSERT INTO audit_checkpoints (through_seq, hash, pruned_rows, cutoff, created_by)
        VALUES (${through}, ${row.chain_hash as string}, ${removed.count}, ${cutoff}, ${by})`;
      await tx`INSERT INTO audit_log (principal, action, target, request_id, detail)
        VALUES (${by}, 'audit.prune', 'audit/retention', null,
          ${tx.json({ throughSeq: through, hash: row.chain_hash as string, prunedRows: removed.count, cutoff: cutoff.toISOString(), days, segmentRows: segment })})`;
      return { pruned: removed.count, throughSeq: through };
    }) as Promise<{ pruned: number; throughSeq: number | null }>;
  }
}

/** The newest checkpoint (where the kept chain starts), else the genesis. */
async function checkpointStart(tx: Tx): Promise<{ seq: number; hash: string }> {
  const [cp] = await tx`SELECT through_seq, hash FROM audit_checkpoints ORDER BY through_seq DESC LIMIT 1`;
  return cp ? { seq: Number(cp.through_seq), hash: cp.hash as string } : { seq: 0, hash: GENESIS_HASH };
}

/** The last sealed link, else the checkpoint the kept chain starts from. */
async function head(tx: Tx): Promise<{ seq: number; hash: string }> {
  const [last] = await tx`SELECT chain_seq, chain_hash FROM audit_log
    WHERE chain_seq IS NOT NULL ORDER BY chain_seq DESC LIMIT 1`;
  return last ? { seq: Number(last.chain_seq), hash: last.chain_hash as string } : checkpointStart(tx);
}

const iso = (d: unknown) => (d instanceof Date ? d.toISOString() : String(d ?? ""));

function toEntry(r: Record<string, unknown>): AuditEntry {
  const detail = (r.detail ?? {}) as Record<string, unknown>;
  const rest: Record<string, unknown> = Object.create(null);
  for (const [k, v] of Object.entries(detail)) if (k !== "before" && k !== "after") rest[k] = v;
  return {
    id: String(r.id),
    at: iso(r.at),
    actor: r.principal as string,
    action: r.action as string,
    entity: r.target as string,
    requestId: (r.request_id as string | null) ?? null,
    ...("before" in detail ? { before: detail.before } : {}),
    ...("after" in detail ? { after: detail.after } : {}),
    detail: rest,
    seq: r.chain_seq === null || r.chain_seq === undefined ? null : Number(r.chain_seq),
  };
}
