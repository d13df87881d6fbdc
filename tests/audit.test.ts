/**
 * The audit log you can read (issue 14, decision 0035) over real NATS, Postgres and Redis: rows from every
 * writer (a store's own transaction, `PostgresAuditLog.record`, the projection of actor commands) sealed
 * into one hash chain, also when they commit out of id order; the list with filters, cursor, server cap
 * and problem+json; verification ok, a tampered and a deleted row found by sequence; personal data masked
 * by the masking policy (and its unmasked read audited); retention pruning whole segments with a
 * checkpoint, after which the chain still verifies and keeps growing.
 */
import { afterAll, beforeAll, expect, test } from "bun:test";
import type { HubNode } from "../hub-node.ts";
import { PostgresAuditTrail } from "../storage/audit/index.ts";
import { PostgresAuditLog } from "../storage/audit-log.ts";
import {
  ApiClient,
  cleanupNamespace,
  requireServices,
  startTestNode,
  testNamespace,
  waitFor,
} from "./support/harness.ts";

const ns = testNamespace("audit");
let node: HubNode;
let api: ApiClient;
let trail: PostgresAuditTrail;
let log: PostgresAuditLog;

interface Entry {
  id: string;
  at: string;
  actor: string;
  action: string;
  entity: string;
  requestId: string | null;
  before?: unknown;
  after?: unknown;
  detail: Record<string, unknown>;
  seq: number | null;
}
type Page = { items: Entry[]; nextCursor: string | null };
type Verification = {
  ok: boolean;
  rows: number;
  unsealed: number;
  start: { seq: number; hash: string };
  head?: { seq: number; hash: string };
  broken?: { seq: number; id: string | null; reason: string };
};

const verify = async () => {
  const res = await api.call("GET", "/v1/audit/verify");
  expect(res.status).toBe(200);
  return res.body as Verification;
};
/** Waits until the sealer (the node's own loop) has chained every committed row. */
const sealed = (what: string) =>
  waitFor(
    async () => {
      const [r] = await node.sql`SELECT count(*)::int AS n FROM audit_log WHERE chain_seq IS NULL`;
      return Number(r?.n) === 0;
    },
    20_000,
    `every audit row sealed (${what})`,
  );
const seqOf = async (id: string) => {
  const [r] = await node.sql`SELECT chain_seq FROM audit_log WHERE id = ${id}`;
  return r?.chain_seq === null || r?.chain_seq === undefined ? null : Number(r.chain_seq);
};

/** Deletes a row as an intruder would, keeping it byte for byte (microseconds too) to put it back. */
const stash = async (id: string) => {
  await node.sql`CREATE TABLE IF NOT EXISTS audit_stash (LIKE audit_log)`;
  await node.sql`WITH d AS (DELETE FROM audit_log WHERE id = ${id} RETURNING *) INSERT INTO audit_stash SELECT * FROM d`;
};
const unstash = () =>
  node.sql`WITH s AS (DELETE FROM audit_stash RETURNING *) INSERT INTO audit_log SELECT * FROM s`;

beforeAll(async () => {
  await requireServices();
  node = await startTestNode(ns, { AUDIT_SEAL_INTERVAL: "100" }, { listen: true });
  api = new ApiClient(`http://127.0.0.1:${node.server!.port}`);
  await api.login();
  trail = new PostgresAuditTrail(node.sql);
  log = new PostgresAuditLog(node.sql);
}, 60_000);

afterAll(async () => {
  await node?.stop();
  await cleanupNamespace(ns);
});

test("audit - rows from every writer are sealed into one chain that verifies", async () => {
  // 1. A store's own transaction (warehouse upsert), 2. PostgresAuditLog.record, 3. the projection of an
  // actor's command (a stock receipt on the SKU actor, from the event log).
  expect(
    (await api.call("PUT", "/v1/warehouses/AUD1", { name: "Audit WH", region: "east" })).status,
  ).toBeLessThan(300);
  await log.record({
    principal: "tester",
    action: "test.direct",
    target: "thing/direct",
    requestId: "r-direct",
    detail: { n: 1 },
  });
  const receipt = await api.call(
    "POST",
    "/v1/inventory/AUD-SKU1/receipts",
    { warehouse: "AUD1", qty: 5 },
    { "idempotency-key": "aud-receipt-1" },
  );
  expect(receipt.status).toBe(201);
  await waitFor(
    async () => (await node.sql`SELECT 1 FROM audit_log WHERE target = 'sku/AUD-SKU1'`).length > 0,
    20_000,
    "the receipt projected into audit_log",
  );
  await sealed("three writers");
  const rows = await node.sql`SELECT action, chain_seq, source_seq FROM audit_log
    WHERE target IN ('warehouse/AUD1', 'thing/direct', 'sku/AUD-SKU1') ORDER BY id`;
  const byAction = new Map(rows.map((r) => [r.action as string, r]));
  expect([...byAction.keys()].sort(), JSON.stringify(rows)).toEqual(
    expect.arrayContaining(["warehouse.upsert", "test.direct"]),
  );
  expect(
    rows.some((r) => r.source_seq !== null),
    `a projected row: ${JSON.stringify(rows)}`,
  ).toBe(true);
  for (const r of rows) expect(r.chain_seq, JSON.stringify(r)).not.toBeNull();

  const v = await verify();
  const [count] = await node.sql`SELECT count(*)::int AS n FROM audit_log WHERE chain_seq IS NOT NULL`;
  expect(v, JSON.stringify(v)).toMatchObject({ ok: true, rows: Number(count?.n), start: { seq: 0 } });
  expect(v.head?.seq).toBe(Number(count?.n));
});

test("audit - a row committing after a later id is sealed after it, and the chain still verifies", async () => {
  let release!: () => void;
  const held = new Promise<void>((r) => {
    release = r;
  });
  let slowId = "";
  // The slow writer takes its id first and commits last.
  const slow = node.sql.begin(async (tx) => {
    const [row] = await tx`INSERT INTO audit_log (principal, action, target, detail)
      VALUES ('tester', 'test.slow', 'thing/slow', '{}') RETURNING id`;
    slowId = String(row?.id);
    await held;
  });
  await waitFor(() => slowId !== "", 10_000, "the slow row inserted");
  const [fast] = await node.sql`INSERT INTO audit_log (principal, action, target, detail)
    VALUES ('tester', 'test.fast', 'thing/fast', '{}') RETURNING id`;
  const fastId = String(fast?.id);
  expect(Number(fastId)).toBeGreaterThan(Number(slowId));
  await waitFor(async () => (await seqOf(fastId)) !== null, 20_000, "the later id sealed first");
  expect(await seqOf(slowId)).toBeNull();
  release();
  await slow;
  await sealed("the slow row");
  const [slowSeq, fastSeq] = [await seqOf(slowId), await seqOf(fastId)];
  expect(slowSeq!, `slow ${slowSeq}, fast ${fastSeq}`).toBeGreaterThan(fastSeq!);
  expect((await verify()).ok).toBe(true);
});

test("audit - list: filters, cursor paging, server cap and problem+json on bad input", async () => {
  for (let i = 0; i < 5; i++)
    await log.record({
      principal: "auditor-x",
      action: i < 3 ? "gizmo.make" : "gizmo.break",
      target: `gizmo/G${i}`,
      requestId: `r-${i}`,
      detail: { before: { n: i }, after: { n: i + 1 }, note: `n${i}` },
    });
  const all = (await api.call("GET", "/v1/audit?actor=auditor-x")).body as Page;
  expect(all.items.map((e) => e.entity)).toEqual([
    "gizmo/G4",
    "gizmo/G3",
    "gizmo/G2",
    "gizmo/G1",
    "gizmo/G0",
  ]);
  expect(all.items[0]).toMatchObject({
    actor: "auditor-x",
    action: "gizmo.break",
    entity: "gizmo/G4",
    requestId: "r-4",
    before: { n: 4 },
    after: { n: 5 },
    detail: { note: "n4" },
  });
  expect(all.nextCursor).toBeNull();

  const makes = (await api.call("GET", "/v1/audit?action=gizmo.make")).body as Page;
  expect(makes.items.map((e) => e.entity)).toEqual(["gizmo/G2", "gizmo/G1", "gizmo/G0"]);
  const prefixed = (await api.call("GET", "/v1/audit?action=gizmo.*&entity=gizmo/G3")).body as Page;
  expect(prefixed.items.map((e) => e.action)).toEqual(["gizmo.break"]);
  const entities = (await api.call("GET", "/v1/audit?entity=gizmo/*&actor=auditor-x")).body as Page;
  expect(entities.items).toHaveLength(5);

  // Cursor: two rows a page, no row twice, none lost.
  const seen: string[] = [];
  let cursor: string | null = null;
  let pages = 0;
  do {
    const q: string = `/v1/audit?actor=auditor-x&limit=2${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ""}`;
    const page = (await api.call("GET", q)).body as Page;
    seen.push(...page.items.map((e) => e.entity));
    cursor = page.nextCursor;
    pages += 1;
  } while (cursor && pages < 10);
  expect(seen).toEqual(all.items.map((e) => e.entity));
  expect(pages).toBe(3);

  // Time window: nothing before the first row, everything up to a far future.
  const first = all.items.at(-1)!;
  const none = (await api.call("GET", `/v1/audit?actor=auditor-x&to=${encodeURIComponent(first.at)}`))
    .body as Page;
  expect(none.items).toHaveLength(0);
  const window = (
    await api.call("GET", `/v1/audit?actor=auditor-x&from=${encodeURIComponent(first.at)}&to=2999-01-01`)
  ).body as Page;
  expect(window.items).toHaveLength(5);

  const bad: Array<[string, string]> = [
    ["/v1/audit?limit=201", "limit"],
    ["/v1/audit?limit=0", "limit"],
    ["/v1/audit?from=yesterday-ish", "from"],
    ["/v1/audit?from=2026-02-01&to=2026-01-01", "to"],
    ["/v1/audit?cursor=not-a-cursor", "cursor"],
    ["/v1/audit?action=has%20space", "action"],
    ["/v1/audit?colour=red", "colour"],
  ];
  for (const [path, field] of bad) {
    const res = await api.call("GET", path);
    expect(res.status, `${path}: ${JSON.stringify(res.body)}`).toBe(400);
    expect(res.headers.get("content-type")).toContain("application/problem+json");
    expect((res.body as { field: string }).field, path).toBe(field);
  }
});

test("audit - a row changed after sealing is reported with its sequence; a deleted row as missing", async () => {
  await sealed("before tampering");
  const [victim] = await node.sql`SELECT id, chain_seq, detail FROM audit_log
    WHERE action = 'gizmo.make' ORDER BY id LIMIT 1`;
  const id = String(victim?.id);
  const seq = Number(victim?.chain_seq);
  await node.sql`UPDATE audit_log SET detail = jsonb_set(detail, '{note}', '"rewritten"') WHERE id = ${id}`;
  const tampered = await verify();
  expect(tampered, JSON.stringify(tampered)).toMatchObject({
    ok: false,
    rows: seq - 1,
    broken: { seq, id, reason: "hash-mismatch" },
  });
  await node.sql`UPDATE audit_log SET detail = ${node.sql.json(victim?.detail)} WHERE id = ${id}`;
  expect((await verify()).ok).toBe(true);

  // A deleted row: the next row's link names the gap.
  const [gone] =
    await node.sql`SELECT id, chain_seq FROM audit_log WHERE action = 'gizmo.break' ORDER BY id LIMIT 1`;
  await stash(String(gone!.id));
  const deleted = await verify();
  expect(deleted, JSON.stringify(deleted)).toMatchObject({
    ok: false,
    broken: { seq: Number(gone!.chain_seq), id: null, reason: "missing" },
  });
  await unstash();
  expect((await verify()).ok).toBe(true);
});

test("audit - phone, address and ID card are masked by the masking policy; an unmasked read is audited", async () => {
  await log.record({
    principal: "cs-agent",
    action: "member.contact",
    target: "member/M-PII",
    requestId: "r-pii",
    detail: {
      before: { phone: "13800001234", nickname: "Li" },
      after: {
        phone: "13900005678",
        address: { region: "Shanghai", detail: "1 Nanjing Rd", name: "Li Lei" },
        idCard: "310101199001011234",
      },
    },
  });
  const created = await api.call("POST", "/v1/users", {
    username: "audit-op",
    password: "audit-op-password",
    roles: ["operator"],
  });
  expect(created.status, JSON.stringify(created.body)).toBe(201);
  const operator = new ApiClient(`http://127.0.0.1:${node.server!.port}`);
  await operator.login("audit-op", "audit-op-password");
  const masked = ((await operator.call("GET", "/v1/audit?entity=member/M-PII")).body as Page).items[0]!;
  expect(masked.before).toEqual({ phone: "138****1234", nickname: "Li" });
  expect(masked.after).toEqual({
    phone: "139****5678",
    address: { region: "Shanghai", detail: "***", name: "L*" },
    idCard: "310***********1234",
  });
  expect(JSON.stringify(masked)).not.toContain("Nanjing");
  expect(JSON.stringify(masked)).not.toContain("13900005678");
  expect(await node.sql`SELECT 1 FROM audit_log WHERE action = 'pii.read'`).toHaveLength(0);

  const shown = ((await api.call("GET", "/v1/audit?entity=member/M-PII")).body as Page).items[0]!;
  expect(shown.after).toEqual({
    phone: "13900005678",
    address: { region: "Shanghai", detail: "1 Nanjing Rd", name: "Li Lei" },
    idCard: "310101199001011234",
  });
  const reads = await node.sql`SELECT principal, target, detail FROM audit_log WHERE action = 'pii.read'`;
  expect(
    reads.map((r) => [r.principal, r.target, r.detail.fields]),
    JSON.stringify(reads),
  ).toEqual([["admin", `audit/${shown.id}`, ["phone", "address", "id_card"]]]);
});

test("audit - concurrent writers and three sealers at once: every row sealed exactly once, no gap; figures", async () => {
  const sealers = [
    new PostgresAuditTrail(node.sql),
    new PostgresAuditTrail(node.sql),
    new PostgresAuditTrail(node.sql),
  ];
  let writing = true;
  const loops = sealers.map(async (s) => {
    while (writing) await s.seal(200);
  });
  // Eight writers, each its own transactions of 1–20 rows, committing in whatever order they finish.
  const writers = Array.from({ length: 8 }, async (_, w) => {
    for (let i = 0; i < 15; i++)
      await node.sql.begin(async (tx) => {
        const n = 1 + ((w * 7 + i * 3) % 20);
        await tx`INSERT INTO audit_log (principal, action, target, detail)
          SELECT ${`writer-${w}`}, 'test.concurrent', ${`thing/c${w}-${i}`}, jsonb_build_object('k', k)
          FROM generate_series(1, ${n}) AS k`;
      });
  });
  await Promise.all(writers);
  writing = false;
  await Promise.all(loops);
  await sealed("concurrent writers");
  const [c] =
    await node.sql`SELECT count(*)::int AS n, count(DISTINCT chain_seq)::int AS d, max(chain_seq)::int AS top,
    (SELECT coalesce(max(through_seq), 0)::int FROM audit_checkpoints) AS start
    FROM audit_log WHERE chain_seq IS NOT NULL`;
  expect(c?.d, JSON.stringify(c)).toBe(c?.n);
  expect(c?.top - c?.start, JSON.stringify(c)).toBe(c?.n);
  expect((await verify()).ok).toBe(true);

  // Figures: 5,000 rows written in one statement, sealed and then verified.
  await node.sql`INSERT INTO audit_log (principal, action, target, detail)
    SELECT 'bulk', 'test.bulk', 'thing/bulk-' || k, jsonb_build_object('k', k, 'note', repeat('x', 64))
    FROM generate_series(1, 5000) AS k`;
  const t0 = performance.now();
  await trail.sealAll();
  await sealed("the bulk rows");
  const sealMs = performance.now() - t0;
  const t1 = performance.now();
  const v = await verify();
  const verifyMs = performance.now() - t1;
  expect(v.ok).toBe(true);
  console.log(
    `audit figures: sealed 5000 rows in ${Math.round(sealMs)} ms; verified ${v.rows} rows in ${Math.round(verifyMs)} ms`,
  );
});

test("audit - the audit-retention job runs through the job machinery", async () => {
  const run = await api.call("POST", "/v1/jobs/audit-retention/run");
  expect(run.status, JSON.stringify(run.body)).toBeLessThan(300);
  let last: unknown;
  await waitFor(
    async () => {
      const runs = (await api.call("GET", "/v1/jobs/audit-retention/runs")).body as {
        items: Array<{ outcome: string | null; detail: string | null }>;
      };
      last = runs.items[0];
      return runs.items[0]?.outcome === "ok";
    },
    30_000,
    "the audit-retention run finished",
  ).catch((e) => {
    throw new Error(`${(e as Error).message}: ${JSON.stringify(last)}`);
  });
  expect((last as { detail: string }).detail).toBe("nothing old enough to prune");
});

test("audit - retention prunes whole segments with a checkpoint; the kept chain still verifies and grows", async () => {
  const forbidden = new ApiClient(`http://127.0.0.1:${node.server!.port}`);
  await forbidden.login("audit-op", "audit-op-password");
  expect((await forbidden.call("PUT", "/v1/audit/retention", { days: 30 })).status).toBe(403);
  const bad = await api.call("PUT", "/v1/audit/retention", { days: 0 });
  expect(bad.status).toBe(400);
  expect((bad.body as { field: string }).field).toBe("days");

  const set = await api.call("PUT", "/v1/audit/retention", { days: 30, segmentRows: 4 });
  expect(set.status, JSON.stringify(set.body)).toBe(200);
  expect(set.body).toMatchObject({ days: 30, segmentRows: 4, updatedBy: "admin", checkpoint: null });
  await sealed("before pruning");
  const before = await verify();
  expect(before.ok).toBe(true);

  // As of 31 days from now every row so far is old: whole segments of 4 go, up to the last full one.
  // Rounds of at most 1,000 rows (250 segments), each its own transaction and checkpoint.
  const rounds = new PostgresAuditTrail(node.sql, node.sql, { pruneRoundRows: 1_000 });
  const result = await rounds.prune({ now: new Date(Date.now() + 31 * 86_400_000), by: "tester" });
  // Whole segments up to the last full one. Rows another writer had sealed since `before` (a busy machine
  // lets the node's own audit rows land in between) may fill more segments: at least these, never a part.
  const atLeast = Math.floor(before.head!.seq / 4) * 4;
  const expected = result.pruned;
  expect(result, JSON.stringify({ result, before })).toEqual({ pruned: expected, throughSeq: expected });
  expect(expected % 4, JSON.stringify(result)).toBe(0);
  expect(expected).toBeGreaterThanOrEqual(atLeast);
  const checkpoints =
    await node.sql`SELECT through_seq::int AS s FROM audit_checkpoints ORDER BY through_seq`;
  expect(checkpoints.length, JSON.stringify(checkpoints)).toBe(Math.ceil(expected / 1_000));
  const [left] =
    await node.sql`SELECT min(chain_seq)::int AS first FROM audit_log WHERE chain_seq IS NOT NULL`;
  const [head] = await node.sql`SELECT max(chain_seq)::int AS last FROM audit_log`;
  if (expected < (head?.last ?? 0)) expect(left?.first).toBe(expected + 1);

  await log.record({
    principal: "tester",
    action: "test.after-prune",
    target: "thing/after",
    requestId: "r-a",
    detail: {},
  });
  await sealed("after pruning");
  const after = await verify();
  expect(after, JSON.stringify(after)).toMatchObject({ ok: true, start: { seq: expected } });
  expect(after.head!.seq).toBeGreaterThan(before.head!.seq);
  const retention = (await api.call("GET", "/v1/audit/retention")).body as {
    checkpoint: { throughSeq: number };
  };
  expect(retention.checkpoint.throughSeq).toBe(expected);
  // The checkpointed start is checked too: removing the first kept row is a break at its sequence.
  const [firstKept] = await node.sql`SELECT id FROM audit_log WHERE chain_seq = ${expected + 1}`;
  await stash(String(firstKept!.id));
  expect((await verify()).broken).toEqual({ seq: expected + 1, id: null, reason: "missing" });
  await unstash();
  expect((await verify()).ok).toBe(true);
  // Pruning is audited, a row per round.
  const prunes = (await api.call("GET", "/v1/audit?action=audit.prune&limit=200")).body as Page;
  expect(prunes.items).toHaveLength(checkpoints.length);
  expect(prunes.items[0]?.detail).toMatchObject({ throughSeq: expected, segmentRows: 4, days: 30 });
});
