/**
 * Access reviews (issue 14, permissions point 4; decision 0036), with real NATS, Postgres and Redis: the
 * `access-review-campaign` job starts a campaign that snapshots every (user, role) grant of users with a
 * manager; each manager confirms or revokes their own team's items only (a revoke takes the role away and
 * the user's token is refused); the deadline is the campaign actor's durable timer, so it fires across a
 * node restart and expires every unanswered item per policy (keep-and-flag, or revoke); outcome counts.
 */
import { afterAll, beforeAll, expect, test } from "bun:test";
import type { HubNode } from "../hub-node.ts";
import {
  ApiClient,
  cleanupNamespace,
  requireServices,
  startTestNode,
  testNamespace,
  waitFor,
} from "./support/harness.ts";

const ns = testNamespace("access-rev");
let node: HubNode | undefined;
let admin: ApiClient;

interface Item {
  id: string;
  user: string;
  role: string;
  manager: string;
  status: string;
  decision: string | null;
  expiry: string | null;
  flagged: boolean;
  decidedBy: string | null;
  comment: string | null;
}
interface Campaign {
  id: string;
  runId: string;
  status: string;
  deadline: string;
  onExpiry: string;
  counts: Record<string, number>;
}

const show = (res: { status: number; body: unknown }) => `${res.status} ${JSON.stringify(res.body)}`;

async function start(): Promise<void> {
  node = await startTestNode(ns);
  admin = new ApiClient(node.app!);
  await admin.login();
}

async function as(username: string): Promise<ApiClient> {
  const client = new ApiClient(node!.app!);
  await client.login(username, `${username}-password`);
  return client;
}

async function createUser(username: string, roles: string[], manager?: string): Promise<void> {
  const res = await admin.call("POST", "/v1/users", {
    username,
    password: `${username}-password`,
    roles,
    ...(manager ? { manager } : {}),
  });
  expect(res.status, show(res)).toBe(201);
  expect((res.body as { manager: string | null }).manager).toBe(manager ?? null);
}

async function campaign(id: string): Promise<Campaign> {
  const res = await admin.call("GET", `/v1/access-reviews/${id}`);
  expect(res.status, show(res)).toBe(200);
  return res.body as Campaign;
}

async function items(client: ApiClient, id: string, query = ""): Promise<Item[]> {
  const res = await client.call("GET", `/v1/access-reviews/${id}/items${query}`);
  expect(res.status, show(res)).toBe(200);
  return (res.body as { items: Item[] }).items;
}

/** Waits until the job's run that started `id` finished (snapshot taken and deadline armed). */
async function waitForRun(runId: string): Promise<void> {
  let last: unknown;
  await waitFor(
    async () => {
      const res = await admin.call("GET", "/v1/jobs");
      const job = (
        res.body as { items: Array<{ name: string; lastRun: { runId: string } | null }> }
      ).items.find((j) => j.name === "access-review-campaign");
      last = job;
      return job?.lastRun?.runId === runId;
    },
    30_000,
    `run ${runId} of access-review-campaign to finish`,
  ).catch((error) => {
    throw new Error(`${error.message}; job: ${JSON.stringify(last)}`);
  });
  const res = await admin.call("GET", "/v1/jobs");
  const job = (
    res.body as { items: Array<{ name: string; lastRun: { outcome: string; detail: string } }> }
  ).items.find((j) => j.name === "access-review-campaign");
  expect(job?.lastRun.outcome, JSON.stringify(job)).toBe("ok");
}

async function waitClosed(id: string, timeoutMs: number): Promise<Campaign> {
  let seen: Campaign | undefined;
  await waitFor(
    async () => {
      // 404 until the job's run has taken the snapshot.
      const res = await admin.call("GET", `/v1/access-reviews/${id}`);
      if (res.status === 404) return false;
      expect(res.status, show(res)).toBe(200);
      seen = res.body as Campaign;
      return seen.status === "closed";
    },
    timeoutMs,
    `campaign ${id} to close`,
  ).catch((error) => {
    throw new Error(`${error.message}; campaign: ${JSON.stringify(seen)}`);
  });
  return seen!;
}

async function auditCount(action: string, targetPrefix: string): Promise<number> {
  const [row] = await node!.sql`SELECT count(*)::int AS n FROM audit_log
    WHERE action = ${action} AND target LIKE ${`${targetPrefix}%`}`;
  return Number(row?.n);
}

beforeAll(async () => {
  await requireServices();
  await start();
  await createUser("mgr1", ["access_reviewer"]);
  await createUser("mgr2", ["access_reviewer"]);
  await createUser("alice", ["viewer", "catalogue_manager"], "mgr1");
  await createUser("bob", ["viewer"], "mgr1");
  await createUser("carol", ["viewer"]);
  const patched = await admin.call("PATCH", "/v1/users/carol", { manager: "mgr2" });
  expect(patched.body, show(patched)).toMatchObject({ username: "carol", manager: "mgr2" });
});

afterAll(async () => {
  await node?.stop().catch(() => undefined);
  await cleanupNamespace(ns);
});

test("access reviews - a manager must be another existing user", async () => {
  const unknown = await admin.call("POST", "/v1/users", {
    username: "dave",
    password: "dave-password",
    roles: [],
    manager: "nobody-here",
  });
  expect(unknown.status, show(unknown)).toBe(422);
  expect(unknown.body).toMatchObject({ field: "manager" });
  const self = await admin.call("PATCH", "/v1/users/bob", { manager: "bob" });
  expect(self.status, show(self)).toBe(422);
  expect((await admin.call("GET", "/v1/users/bob")).body).toMatchObject({ manager: "mgr1" });
});

test("access reviews - the job starts a campaign; managers confirm and revoke their own team's grants only", async () => {
  const settings = await admin.call("PUT", "/v1/access-reviews/settings", {
    onExpiry: "revoke",
    durationSeconds: 3_600,
  });
  expect(settings.body, show(settings)).toMatchObject({ onExpiry: "revoke", durationSeconds: 3_600 });
  // The job's own schedule starts it: a one-time fire shortly from now.
  // Far enough ahead that a slow request still arrives before it (the server refuses an "at" in the past).
  const at = new Date(Date.now() + 3_000).toISOString();
  const scheduled = await admin.call("PUT", "/v1/jobs/access-review-campaign", { at });
  expect(scheduled.status, show(scheduled)).toBe(200);
  let list: Campaign[] = [];
  await waitFor(
    async () => {
      list = ((await admin.call("GET", "/v1/access-reviews")).body as { items: Campaign[] }).items;
      return list.length === 1;
    },
    30_000,
    "the scheduled run to start a campaign",
  );
  const first = list[0]!;
  await waitForRun(first.runId);
  const runs = await admin.call("GET", "/v1/jobs");
  const job = (runs.body as { items: Array<{ name: string; lastRun: { trigger: string } }> }).items.find(
    (j) => j.name === "access-review-campaign",
  );
  expect(job?.lastRun.trigger).toBe("schedule");
  expect(first).toMatchObject({ status: "open", onExpiry: "revoke" });
  expect(first.counts).toEqual({
    items: 4,
    confirmed: 0,
    revoked: 0,
    expiredRevoked: 0,
    expiredKept: 0,
    pending: 4,
  });

  const mgr1 = await as("mgr1");
  const mgr2 = await as("mgr2");
  const alice = await as("alice");
  const mine = await items(mgr1, first.id, "?mine=true");
  expect(mine.map((i) => `${i.user}/${i.role}`).sort()).toEqual([
    "alice/catalogue_manager",
    "alice/viewer",
    "bob/viewer",
  ]);
  expect((await items(mgr2, first.id, "?mine=true")).map((i) => `${i.user}/${i.role}`)).toEqual([
    "carol/viewer",
  ]);
  const item = (user: string, role: string) => mine.find((i) => i.user === user && i.role === role)!;
  const decide = (client: ApiClient, it: Item, decision: string, comment?: string) =>
    client.call("POST", `/v1/access-reviews/${first.id}/items/${it.id}/decision`, {
      decision,
      ...(comment ? { comment } : {}),
    });

  // Confirm; the same again is fine; another decision after it is a conflict.
  const confirmed = await decide(mgr1, item("alice", "viewer"), "confirm");
  expect(confirmed.body, show(confirmed)).toMatchObject({
    status: "confirmed",
    decision: "confirm",
    decidedBy: "mgr1",
  });
  expect((await decide(mgr1, item("alice", "viewer"), "confirm")).status).toBe(200);
  const changed = await decide(mgr1, item("alice", "viewer"), "revoke");
  expect(changed.status, show(changed)).toBe(409);

  // Another manager cannot decide mgr1's team's items; an unknown item is 404.
  const foreign = await decide(mgr2, item("alice", "catalogue_manager"), "revoke");
  expect(foreign.status, show(foreign)).toBe(403);
  const missing = await mgr1.call("POST", `/v1/access-reviews/${first.id}/items/999/decision`, {
    decision: "confirm",
  });
  expect(missing.status, show(missing)).toBe(404);
  const otherBatch = await mgr2.call("POST", `/v1/access-reviews/${first.id}/decisions`, {
    items: [{ item: item("bob", "viewer").id, decision: "confirm" }],
  });
  expect(otherBatch.status, show(otherBatch)).toBe(403);

  // Revoke: the role goes, and alice's token (issued before) is refused on the next check.
  expect((await alice.call("GET", "/v1/me")).status).toBe(200);
  const revoked = await decide(mgr1, item("alice", "catalogue_manager"), "revoke", "moved to another team");
  expect(revoked.body, show(revoked)).toMatchObject({ status: "revoked", comment: "moved to another team" });
  expect((await admin.call("GET", "/v1/users/alice")).body).toMatchObject({ roles: ["viewer"] });
  const decidedAt = Date.now();
  await waitFor(
    async () => (await alice.call("GET", "/v1/me")).status === 401,
    10_000,
    "alice's token refused",
  );
  console.log(`revoked user's token refused ${Date.now() - decidedAt} ms after the decision`);

  // The batch form: all of the caller's items at once.
  const batch = await mgr1.call("POST", `/v1/access-reviews/${first.id}/decisions`, {
    items: [
      { item: item("bob", "viewer").id, decision: "confirm" },
      { item: item("alice", "viewer").id, decision: "confirm" },
    ],
  });
  expect(batch.status, show(batch)).toBe(200);
  expect((batch.body as { items: Item[] }).items.map((i) => i.status)).toEqual(["confirmed", "confirmed"]);

  expect((await campaign(first.id)).counts).toEqual({
    items: 4,
    confirmed: 2,
    revoked: 1,
    expiredRevoked: 0,
    expiredKept: 0,
    pending: 1,
  });
  // Each decision audited once (repeats of the same decision record nothing).
  expect(await auditCount("access_review.decide", `access-review/${first.id}/`)).toBe(3);
  expect(await auditCount("access_review.start", `access-review/${first.id}`)).toBe(1);
  // Cursor pages: 2 + 2 items, then none.
  const page1 = await admin.call("GET", `/v1/access-reviews/${first.id}/items?limit=2`);
  const p1 = page1.body as { items: Item[]; nextCursor: string | null };
  expect(p1.items.length, show(page1)).toBe(2);
  const page2 = await admin.call(
    "GET",
    `/v1/access-reviews/${first.id}/items?limit=2&cursor=${encodeURIComponent(p1.nextCursor ?? "")}`,
  );
  const p2 = page2.body as { items: Item[]; nextCursor: string | null };
  expect(
    [...p1.items, ...p2.items].map((i) => i.id),
    show(page2),
  ).toEqual(["1", "2", "3", "4"]);
  const bad = await admin.call("GET", `/v1/access-reviews/${first.id}/items?cursor=not-a-cursor`);
  expect(bad.status, show(bad)).toBe(400);
  expect((await admin.call("GET", "/v1/access-reviews/ar-999/items")).status).toBe(404);
  const current = await admin.call("GET", "/v1/access-reviews/settings");
  expect(current.body, show(current)).toMatchObject({
    onExpiry: "revoke",
    durationSeconds: 3_600,
    updatedBy: "admin",
    timezone: "Asia/Shanghai",
  });
  const pending = await items(admin, first.id, "?status=pending");
  expect(pending.map((i) => i.user)).toEqual(["carol"]);
});

test("access reviews - the deadline fires across a node restart: unanswered grants kept and flagged, then revoked", async () => {
  // Policy keep-and-flag: started now through the API (the job's run), closed by its deadline timer
  // after the node went down and another came up.
  const keep = await admin.call("PUT", "/v1/access-reviews/settings", {
    onExpiry: "keep",
    durationSeconds: 6,
  });
  expect(keep.status, show(keep)).toBe(200);
  const started = await admin.call("POST", "/v1/access-reviews");
  expect(started.status, show(started)).toBe(202);
  const { campaign: keptId, runId } = started.body as { campaign: string; runId: string };
  await waitForRun(runId);
  const kept = await campaign(keptId);
  expect(kept).toMatchObject({ status: "open", onExpiry: "keep" });
  const snapshot = await items(admin, keptId);
  expect(snapshot.map((i) => `${i.user}/${i.role}`).sort()).toEqual([
    "alice/viewer",
    "bob/viewer",
    "carol/viewer",
  ]);

  await node!.stop();
  node = undefined;
  await waitFor(() => Date.now() > Date.parse(kept.deadline), 30_000, "the deadline to pass while down");
  await start();
  const closed = await waitClosed(keptId, 60_000);
  console.log(
    `campaign closed ${Date.now() - Date.parse(kept.deadline)} ms after its deadline (node restarted after it)`,
  );
  expect(closed.counts).toEqual({
    items: 3,
    confirmed: 0,
    revoked: 0,
    expiredRevoked: 0,
    expiredKept: 3,
    pending: 0,
  });
  for (const it of await items(admin, keptId))
    expect(it, JSON.stringify(it)).toMatchObject({ status: "expired", expiry: "kept", flagged: true });
  expect((await admin.call("GET", "/v1/users/bob")).body).toMatchObject({ roles: ["viewer"] });
  // Too late to decide: the deadline decided.
  const mgr1 = await as("mgr1");
  const late = await mgr1.call("POST", `/v1/access-reviews/${keptId}/items/${snapshot[0]!.id}/decision`, {
    decision: "confirm",
  });
  expect(late.status, show(late)).toBe(409);
  expect(await auditCount("access_review.expire", `access-review/${keptId}/`)).toBe(3);
  expect(await auditCount("access_review.close", `access-review/${keptId}`)).toBe(1);
  // Kept-and-flagged grants raise a warning for the operators.
  const flagged = await admin.call("GET", "/v1/notifications?kind=accessReviewFlagged");
  expect(flagged.body, show(flagged)).toMatchObject({
    items: [{ severity: "warning", subject: { id: keptId } }],
  });

  // Policy revoke (the default): every unanswered grant is taken away and the users' tokens refused.
  const revoke = await admin.call("PUT", "/v1/access-reviews/settings", {
    onExpiry: "revoke",
    durationSeconds: 3,
  });
  expect(revoke.status, show(revoke)).toBe(200);
  const bob = await as("bob");
  expect((await bob.call("GET", "/v1/me")).status).toBe(200);
  const again = await admin.call("POST", "/v1/access-reviews");
  expect(again.status, show(again)).toBe(202);
  const { campaign: revokedId } = again.body as { campaign: string };
  const done = await waitClosed(revokedId, 60_000);
  console.log(`campaign closed ${Date.now() - Date.parse(done.deadline)} ms after its deadline (node up)`);
  expect(done.counts).toEqual({
    items: 3,
    confirmed: 0,
    revoked: 0,
    expiredRevoked: 3,
    expiredKept: 0,
    pending: 0,
  });
  for (const user of ["alice", "bob", "carol"])
    expect((await admin.call("GET", `/v1/users/${user}`)).body, user).toMatchObject({ roles: [] });
  await waitFor(async () => (await bob.call("GET", "/v1/me")).status === 401, 10_000, "bob's token refused");
  // The first campaign (deadline an hour away) is untouched and still open.
  expect((await admin.call("GET", "/v1/access-reviews")).body).toMatchObject({
    items: [{ id: revokedId }, { id: keptId }, { status: "open" }],
  });
});
