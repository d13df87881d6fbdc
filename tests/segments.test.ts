/**
 * Member tags, segments and pushes over a real node (NATS, Postgres, Redis): behaviour tags recomputed by
 * the scheduled job from hand-made read-model rows (orders, catalogue), manual tags (audited), segments
 * as saved filters with counts and cursor paging, and pushes to a segment with delivery counts that hold
 * the coupon budget and never issue twice.
 */
import { afterAll, beforeAll, expect, test } from "bun:test";
import { coupons } from "../actors/coupon/index.ts";
import type { HubNode } from "../hub-node.ts";
import {
  ApiClient,
  cleanupNamespace,
  requireServices,
  startTestNode,
  testNamespace,
  waitFor,
} from "./support/harness.ts";

const ns = testNamespace("segments");
let node: HubNode;
let api: ApiClient;
const DAY = 86_400_000;
const JOB = "member-tags-recompute";

interface Tags {
  userId: string;
  tags: Array<{ tag: string; source: string }>;
  figures: { spend: number; orders: number } | null;
}
interface Push {
  pushId: string;
  status: string;
  targeted: number;
  delivered: number;
  failed: number;
  failures: Array<{ reason: string; count: number }>;
}

const show = (r: { status: number; body: unknown }) => `${r.status} ${JSON.stringify(r.body)}`;
async function tagsOf(userId: string, source?: string): Promise<string[]> {
  const r = await api.call("GET", `/v1/members/${userId}/tags`);
  if (r.status !== 200) throw new Error(`tags of ${userId}: ${show(r)}`);
  return (r.body as Tags).tags.filter((t) => !source || t.source === source).map((t) => t.tag);
}

/** One paid (or unpaid) order row as the order projection would have written it. */
async function order(
  id: string,
  userId: string,
  o: { paidDaysAgo: number | null; amount: number; refunded?: number; skus: string[] },
) {
  const now = Date.now();
  const paidAt = o.paidDaysAgo === null ? null : new Date(now - o.paidDaysAgo * DAY);
  const created = paidAt ?? new Date(now);
  await node.sql`INSERT INTO orders (order_id, user_id, status, channel, skus, items_amount, discount_amount,
      freight_amount, total_amount, paid_amount, refunded_amount, created_at, paid_at, updated_at, version)
    VALUES (${id}, ${userId}, ${paidAt ? "paid" : "pending_payment"}, 'app', ${o.skus}, ${o.amount}, 0, 0, ${o.amount},
      ${paidAt ? o.amount : 0}, ${o.refunded ?? 0}, ${created}, ${paidAt}, ${created}, 1)`;
}

/** Runs the recompute job now and waits for its outcome in the run history; returns its detail. */
async function recompute(): Promise<string> {
  const started = await api.call("POST", `/v1/jobs/${JOB}/run`, {});
  if (started.status !== 202) throw new Error(`run ${JOB}: ${show(started)}`);
  const { runId } = started.body as { runId: string };
  let detail = "";
  await waitFor(
    async () => {
      const runs = (await api.call("GET", `/v1/jobs/${JOB}/runs`)).body as {
        items: Array<{ runId: string; outcome: string | null; detail: string | null }>;
      };
      const run = runs.items.find((r) => r.runId === runId);
      if (run?.outcome === "failed") throw new Error(`run ${runId} failed: ${run.detail}`);
      detail = run?.detail ?? "";
      return run?.outcome === "ok";
    },
    90_000,
    `run ${runId} of ${JOB} to finish`,
  );
  return detail;
}

async function pushDone(code: string, pushId: string): Promise<Push> {
  let last: Push | undefined;
  await waitFor(
    async () => {
      const r = await api.call("GET", `/v1/segments/${code}/pushes/${pushId}`);
      last = r.body as Push;
      return r.status === 200 && last.status !== "running";
    },
    90_000,
    `push ${pushId} to finish`,
  ).catch((error) => {
    throw new Error(`${error.message}; last seen ${JSON.stringify(last)}`);
  });
  return last!;
}

beforeAll(async () => {
  await requireServices();
  node = await startTestNode(ns);
  api = new ApiClient(node.app!);
  await api.login();
  const sql = node.sql;
  await sql`INSERT INTO categories (code, kind, name) VALUES ('TEA', 'back', '茶'), ('SNACK', 'back', '零食')`;
  await sql`INSERT INTO products (spu_code, name, category) VALUES ('P-TEA', '龙井', 'TEA'), ('P-SNACK', '瓜子', 'SNACK')`;
  await sql`INSERT INTO product_skus (sku, spu_code) VALUES ('S-TEA', 'P-TEA'), ('S-SNACK', 'P-SNACK')`;
  // A-big: six paid tea orders in the last 90 days (¥1,500), the first 200 days ago.
  await order("O-A0", "A-big", { paidDaysAgo: 200, amount: 25_000, skus: ["S-TEA"] });
  for (let i = 1; i <= 5; i++)
    await order(`O-A${i}`, "A-big", { paidDaysAgo: i * 2, amount: 25_000, skus: ["S-TEA", "S-OTHER"] });
  // B-once: one snack order ten days ago; C-old: two orders long ago; D-refunded: paid, refunded in full.
  await order("O-B1", "B-once", { paidDaysAgo: 10, amount: 5_000, skus: ["S-SNACK"] });
  await order("O-C1", "C-old", { paidDaysAgo: 200, amount: 15_000, skus: ["S-X"] });
  await order("O-C2", "C-old", { paidDaysAgo: 120, amount: 15_000, skus: ["S-X"] });
  await order("O-D1", "D-refunded", { paidDaysAgo: 40, amount: 10_000, refunded: 10_000, skus: ["S-X"] });
  // E-unpaid never paid; `constructor` is an ordinary member id.
  await order("O-E1", "E-unpaid", { paidDaysAgo: null, amount: 9_000, skus: ["S-TEA"] });
  await order("O-K1", "constructor", { paidDaysAgo: 1, amount: 25_000, skus: ["S-TEA", "S-SNACK"] });
});

afterAll(async () => {
  await node?.stop();
  await cleanupNamespace(ns);
});

test("segments - the recompute job tags members from the orders and catalogue read models", async () => {
  const detail = await recompute();
  expect(detail).toContain("5 with behaviour tags");
  expect(await tagsOf("A-big")).toEqual([
    "category:TEA",
    "frequency:loyal",
    "frequency:repeat",
    "recency:active",
    "spend:high",
  ]);
  expect(await tagsOf("B-once")).toEqual([
    "category:SNACK",
    "frequency:once",
    "new-customer",
    "recency:active",
    "spend:low",
  ]);
  expect(await tagsOf("C-old")).toEqual(["frequency:repeat", "recency:dormant", "spend:mid"]);
  // Refunded in full: no spend, but it was an order, 40 days ago.
  expect(await tagsOf("D-refunded")).toEqual(["frequency:once", "recency:lapsing"]);
  expect(await tagsOf("E-unpaid")).toEqual([]);
  expect(await tagsOf("constructor")).toEqual([
    "category:SNACK",
    "category:TEA",
    "frequency:once",
    "new-customer",
    "recency:active",
    "spend:mid",
  ]);
  const a = (await api.call("GET", "/v1/members/A-big/tags")).body as Tags;
  expect(a.figures).toMatchObject({ spend: 150_000, orders: 6 });

  // The same read models give the same tags: a second run changes nothing.
  expect(await recompute()).toContain("0 tags added, 0 removed");
});

test("segments - manual tags: set as a whole list, audited, kept by the recompute; refusals name the field", async () => {
  const put = await api.call("PUT", "/v1/members/B-once/tags", {
    tags: ["vip-club", "toString", "vip-club"],
  });
  expect(put.status).toBe(200);
  expect(await tagsOf("B-once", "manual")).toEqual(["toString", "vip-club"]);
  const [audit] = await node.sql`SELECT principal, detail FROM audit_log WHERE action = 'member.tags'
    AND target = 'member/B-once' ORDER BY id DESC LIMIT 1`;
  expect(audit?.detail).toMatchObject({ added: ["toString", "vip-club"], removed: [] });

  // A member known only by a manual tag exists for segments (no orders).
  expect((await api.call("PUT", "/v1/members/F-tagged/tags", { tags: ["vip-club"] })).status).toBe(200);

  const bad = await api.call("PUT", "/v1/members/B-once/tags", { tags: ["has space"] });
  expect(bad.status).toBe(400);
  expect(JSON.stringify(bad.body)).toContain("tags.0");
  expect(await tagsOf("B-once", "manual")).toEqual(["toString", "vip-club"]);

  // Removing one keeps the other; behaviour tags are untouched by manual edits and vice versa.
  expect((await api.call("PUT", "/v1/members/B-once/tags", { tags: ["vip-club"] })).status).toBe(200);
  await recompute();
  expect(await tagsOf("B-once", "manual")).toEqual(["vip-club"]);
  expect(await tagsOf("B-once", "behaviour")).toContain("spend:low");
});

test("segments - saved filters: counts, preview, cursor paging, level and category conditions", async () => {
  const created = await api.call("PUT", "/v1/segments/spenders", {
    name: "高消费",
    filter: { tagsAny: ["spend:high", "spend:mid"] },
  });
  expect(created.status).toBe(201);
  expect(created.body).toMatchObject({ code: "spenders", version: 1, count: 3 });
  const same = await api.call("PUT", "/v1/segments/spenders", {
    name: "高消费",
    filter: { tagsAny: ["spend:high", "spend:mid"] },
  });
  expect(same.status).toBe(200);
  expect(same.body).toMatchObject({ version: 1, count: 3 });

  const preview = async (filter: unknown) => {
    const r = await api.call("POST", "/v1/segments/preview", { filter });
    if (r.status !== 200) throw new Error(`preview ${JSON.stringify(filter)}: ${show(r)}`);
    return r.body as { count: number; sample: string[] };
  };
  expect((await preview({ lastOrderWithinDays: 30 })).sample).toEqual(["A-big", "B-once", "constructor"]);
  expect((await preview({ noOrderWithinDays: 30 })).sample).toEqual(["C-old", "D-refunded", "F-tagged"]);
  expect((await preview({ tagsAll: ["frequency:once", "recency:active"] })).count).toBe(2);
  expect((await preview({ tagsAny: ["vip-club"], tagsNone: ["spend:low"] })).sample).toEqual(["F-tagged"]);
  expect((await preview({ minSpend: 20_000, maxSpend: 100_000 })).sample).toEqual(["C-old", "constructor"]);
  expect((await preview({ categories: ["TEA"], minOrders: 2 })).sample).toEqual(["A-big"]);
  await node.sql`UPDATE member_profiles SET level = 'gold' WHERE user_id IN ('A-big', 'C-old')`;
  expect((await preview({ levels: ["gold"], lastOrderWithinDays: 30 })).sample).toEqual(["A-big"]);
  const bad = await api.call("POST", "/v1/segments/preview", { filter: { minSpend: 5, maxSpend: 1 } });
  expect(bad.status).toBe(400);
  expect(JSON.stringify(bad.body)).toContain("maxSpend");

  // Every known member (paid, tagged or with a level; E-unpaid is none of these), two at a time.
  expect((await api.call("PUT", "/v1/segments/everyone", { name: "全部", filter: {} })).status).toBe(201);
  const seen: string[] = [];
  let cursor: string | null = null;
  do {
    const q: string = cursor ? `&cursor=${cursor}` : "";
    const page = await api.call("GET", `/v1/segments/everyone/members?limit=2${q}`);
    expect(page.status).toBe(200);
    const body = page.body as { items: Array<{ userId: string; tags: string[] }>; nextCursor: string | null };
    expect(body.items.length).toBeLessThanOrEqual(2);
    seen.push(...body.items.map((m) => m.userId));
    cursor = body.nextCursor;
  } while (cursor);
  expect(seen).toEqual(["A-big", "B-once", "C-old", "D-refunded", "F-tagged", "constructor"]);
  expect((await api.call("GET", "/v1/segments/everyone/members?cursor=bm9wZQ")).status).toBe(400);
  expect((await api.call("GET", "/v1/segments/nope")).status).toBe(404);
  expect((await api.call("GET", "/v1/segments/constructor")).status).toBe(404);
});

test("segments - a coupon push delivers within the template's budget, counts the refusals, never issues twice", async () => {
  const template = await api.call("POST", "/v1/coupon-templates", {
    name: "回归券",
    kind: "amount_off",
    value: 500,
    totalQuantity: 3,
    perUserLimit: 1,
    validFrom: new Date(Date.now() - DAY).toISOString(),
    validTo: new Date(Date.now() + 30 * DAY).toISOString(),
  });
  expect(template.status).toBe(201);
  const { templateId } = template.body as { templateId: string };
  expect(
    (await api.call("PUT", "/v1/segments/buyers", { name: "下过单", filter: { minOrders: 1 } })).status,
  ).toBe(201);

  const key = { "Idempotency-Key": "push-buyers-1" };
  const started = await api.call("POST", "/v1/segments/buyers/pushes", { templateId }, key);
  expect(started.status).toBe(202);
  const { pushId } = started.body as Push;
  const done = await pushDone("buyers", pushId);
  // Five buyers, three coupons: three delivered, two refused as exhausted.
  expect(done).toMatchObject({ status: "done", targeted: 5, delivered: 3, failed: 2 });
  expect(done.failures).toEqual([{ reason: "coupons-exhausted", count: 2 }]);

  // The same request again is the same push; nothing more is issued.
  const again = await api.call("POST", "/v1/segments/buyers/pushes", { templateId }, key);
  expect(again.status).toBe(202);
  expect((again.body as Push).pushId).toBe(pushId);
  const reused = await api.call(
    "POST",
    "/v1/segments/buyers/pushes",
    { message: { title: "x", body: "y" } },
    key,
  );
  expect(reused.status).toBe(422);
  const stats = (await api.call("GET", `/v1/coupon-templates/${templateId}/stats`)).body;
  expect(stats).toMatchObject({ issued: 3, pushed: 3, remaining: 0 });
});

test("segments - a re-run of a push step answers the coupons it already issued instead of issuing more", async () => {
  const template = await api.call("POST", "/v1/coupon-templates", {
    name: "多张券",
    kind: "amount_off",
    value: 300,
    totalQuantity: 100,
    perUserLimit: 5,
    validFrom: new Date(Date.now() - DAY).toISOString(),
    validTo: new Date(Date.now() + 30 * DAY).toISOString(),
  });
  const { templateId } = template.body as { templateId: string };
  const started = await api.call("POST", "/v1/segments/buyers/pushes", { templateId });
  const { pushId } = started.body as Push;
  expect(await pushDone("buyers", pushId)).toMatchObject({
    status: "done",
    targeted: 5,
    delivered: 5,
    failed: 0,
  });
  const first = (await api.call("GET", `/v1/coupon-templates/${templateId}/stats`)).body as {
    issued: number;
  };
  expect(first.issued).toBe(5);

  // What a runner re-run after a crash sends: the same push, other pages, a new command id. The per-user
  // limit (5) would allow more; the push id does not.
  const users = ["A-big", "B-once", "C-old", "D-refunded", "constructor"];
  const call = coupons.push(templateId, { userIds: [...users].reverse(), pushId });
  const reply = await node.client.send<{ issued: number; results: Array<{ couponId: string | null }> }>(
    call.to.kind,
    call.to.id,
    call.cmd,
    { id: `test-rerun:${pushId}` },
  );
  expect(reply.issued).toBe(0);
  expect(reply.results.every((r) => r.couponId !== null)).toBe(true);
  const after = (await api.call("GET", `/v1/coupon-templates/${templateId}/stats`)).body as {
    issued: number;
  };
  expect(after.issued).toBe(5);

  // A different push is a different send: each member gets one more (within the per-user limit).
  const second = await api.call("POST", "/v1/segments/buyers/pushes", { templateId });
  expect(await pushDone("buyers", (second.body as Push).pushId)).toMatchObject({ delivered: 5 });
});

test("segments - a message push delivers to every member's inbox once; refusals for bad pushes", async () => {
  const started = await api.call("POST", "/v1/segments/spenders/pushes", {
    message: { title: "双十二预告", body: "会员专享\n明晚八点" },
  });
  expect(started.status).toBe(202);
  const done = await pushDone("spenders", (started.body as Push).pushId);
  expect(done).toMatchObject({ status: "done", targeted: 3, delivered: 3, failed: 0 });
  const inbox = await api.call("GET", "/v1/members/constructor/messages");
  expect(inbox.status).toBe(200);
  expect((inbox.body as { items: Array<{ title: string }> }).items.map((m) => m.title)).toEqual([
    "双十二预告",
  ]);

  const both = await api.call("POST", "/v1/segments/spenders/pushes", {
    templateId: "CT1",
    message: { title: "a", body: "b" },
  });
  expect(both.status).toBe(400);
  expect((both.body as { field?: string }).field).toBe("templateId");
  expect((await api.call("POST", "/v1/segments/spenders/pushes", { templateId: "CT-none" })).status).toBe(
    404,
  );
  expect(
    (await api.call("POST", "/v1/segments/nope/pushes", { message: { title: "a", body: "b" } })).status,
  ).toBe(404);
  expect((await api.call("GET", "/v1/segments/spenders/pushes/SP-nope")).status).toBe(404);
});

test("segments - a template that issues on first_order gives one coupon to each new first-time buyer, once", async () => {
  const created = await api.call("POST", "/v1/coupon-templates", {
    name: "首单礼",
    kind: "amount_off",
    value: 800,
    totalQuantity: 50,
    perUserLimit: 3,
    validFrom: new Date(Date.now() - DAY).toISOString(),
    validTo: new Date(Date.now() + 30 * DAY).toISOString(),
    issueOn: "first_order",
  });
  expect(created.status, show(created)).toBe(201);
  const { templateId } = created.body as { templateId: string };
  expect((await api.call("GET", `/v1/coupon-templates/${templateId}`)).body).toMatchObject({
    issueOn: "first_order",
  });
  // After the template: N-new's first paid order, A-big's seventh (not a first), N-unpaid's unpaid one.
  await order("O-N1", "N-new", { paidDaysAgo: 0, amount: 3_000, skus: ["S-TEA"] });
  await order("O-A9", "A-big", { paidDaysAgo: 0, amount: 3_000, skus: ["S-TEA"] });
  await order("O-U1", "N-unpaid", { paidDaysAgo: null, amount: 3_000, skus: ["S-TEA"] });
  // The job finds live templates in the coupon read model: wait until the projector has the new one (a
  // busy machine let a run start before it, which then saw no template at all).
  await node.projector!.caughtUp(30_000);

  const runIssuer = async () => {
    const started = await api.call("POST", "/v1/jobs/coupon-issue-on-events/run", {});
    if (started.status !== 202) throw new Error(`run: ${show(started)}`);
    const { runId } = started.body as { runId: string };
    let detail = "";
    await waitFor(
      async () => {
        const runs = (await api.call("GET", "/v1/jobs/coupon-issue-on-events/runs")).body as {
          items: Array<{ runId: string; outcome: string | null; detail: string | null }>;
        };
        const run = runs.items.find((r) => r.runId === runId);
        if (run?.outcome === "failed") throw new Error(`run ${runId} failed: ${run.detail}`);
        detail = run?.detail ?? "";
        return run?.outcome === "ok";
      },
      90_000,
      `run ${runId} of coupon-issue-on-events`,
    );
    return detail;
  };
  expect(await runIssuer()).toContain("1 first orders; 1 coupons issued");
  const stats = async () =>
    (await api.call("GET", `/v1/coupon-templates/${templateId}/stats`)).body as {
      issued: number;
      pushed: number;
    };
  expect(await stats()).toMatchObject({ issued: 1, pushed: 1 });
  // Again (a later run, or the same one re-run): the member has theirs; nothing more is issued.
  expect(await runIssuer()).toContain("0 coupons issued");
  expect(await stats()).toMatchObject({ issued: 1 });
  await node.projector!.caughtUp(30_000);
  const mine = (await api.call("GET", "/v1/members/N-new/coupons")).body as {
    items: Array<{ templateId: string }>;
  };
  expect(mine.items.map((c) => c.templateId)).toEqual([templateId]);
});
