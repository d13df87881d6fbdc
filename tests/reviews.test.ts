/**
 * Reviews on a real node (issue 10, item 6; decision 0016): a review ties to a line of an order that
 * really completed (placed → paid through the channel simulator → shipped → receipt confirmed), one per
 * line; moderation decides once, also under concurrent moderators; rating statistics per SPU follow
 * approvals in the same transaction; blocked words (Chinese, full-width, zero-width tricks) are refused.
 */
import { afterAll, beforeAll, expect, test } from "bun:test";
import type { HubNode } from "../hub-node.ts";
import { PostgresDashboardSnapshots } from "../storage/read-models/dashboard-snapshots.ts";
import { pendingReviewCount } from "../storage/reviews/index.ts";
import {
  ApiClient,
  cleanupNamespace,
  requireServices,
  startTestNode,
  testNamespace,
  waitFor,
} from "./support/harness.ts";

const ns = testNamespace("reviews");
let node: HubNode;
let api: ApiClient;
const address = { region: "Shanghai", detail: "1 Century Ave", phone: "13800138000", name: "Li Lei" };
/** SKUs of product SPU-R (one named like a built-in property) and one SKU that belongs to no product. */
const PRODUCT_SKUS = ["SKU-R1", "SKU-R2", "constructor"];
const LOOSE_SKU = "SKU-LOOSE";

interface Review {
  id: string;
  orderId: string;
  sku: string;
  spuCode: string | null;
  userId: string;
  rating: number;
  status: string;
  reason: string | null;
  reply: { text: string; by: string } | null;
  moderatedBy: string | null;
}
interface Problem {
  type: string;
  field?: string;
  orderStatus?: string;
  reviewStatus?: string;
}
const slug = (body: unknown) => (body as Problem).type.split("/").at(-1);

beforeAll(async () => {
  await requireServices();
  node = await startTestNode(ns);
  api = new ApiClient(node.app!);
  await api.login();
  expect((await api.call("PUT", "/v1/warehouses/WH-R", { name: "R", region: "east" })).status).toBe(201);
  for (const sku of [...PRODUCT_SKUS, LOOSE_SKU]) {
    const receipt = await api.call(
      "POST",
      `/v1/inventory/${sku}/receipts`,
      { warehouse: "WH-R", qty: 1000 },
      { "idempotency-key": `stock-${sku}` },
    );
    expect(receipt.status, JSON.stringify(receipt.body)).toBe(201);
    expect((await api.call("PUT", `/v1/skus/${sku}/price`, { listPrice: 990 })).status).toBe(200);
  }
  // The catalogue (decision 0014): SPU-R on sale with three SKUs (an order of a product not on sale is
  // refused); SPU-EMPTY on sale without any review.
  const colours = ["红", "蓝", "白"];
  const category = await api.call("PUT", "/v1/categories/CAT-R", {
    name: "服装",
    kind: "back",
    specs: [{ name: "颜色", values: colours }],
  });
  expect(category.status, JSON.stringify(category.body)).toBe(201);
  const products: Array<[string, string, string[]]> = [
    ["SPU-R", "2026春季新款碎花连衣裙", PRODUCT_SKUS],
    ["SPU-EMPTY", "无评价", ["SKU-EMPTY"]],
  ];
  for (const [spu, name, skus] of products) {
    const body = {
      name,
      category: "CAT-R",
      skus: skus.map((sku, i) => ({ sku, specs: { 颜色: colours[i] }, listPrice: 990 })),
    };
    const put = await api.call("PUT", `/v1/products/${spu}`, body);
    expect(put.status, JSON.stringify(put.body)).toBe(201);
    const published = await api.call("POST", `/v1/products/${spu}/publish`, {});
    expect(published.status, JSON.stringify(published.body)).toBe(200);
  }
});

afterAll(async () => {
  await node?.stop();
  await cleanupNamespace(ns);
});

let orders = 0;
/** Places an order for `skus` (one each) and waits until it is pending payment; returns its id. */
async function place(skus: string[], userId = "buyer-1"): Promise<string> {
  const res = await api.call(
    "POST",
    "/v1/orders",
    { userId, lines: skus.map((sku) => ({ sku, qty: 1 })), address },
    { "idempotency-key": `order-${++orders}` },
  );
  expect(res.status, JSON.stringify(res.body)).toBe(201);
  return (res.body as { orderId: string }).orderId;
}

const orderStatus = async (orderId: string) =>
  ((await api.call("GET", `/v1/orders/${orderId}`)).body as { status: string }).status;

/** Place → pay (signed simulator callback) → ship → confirm receipt: the order is `completed`. */
async function completedOrder(skus: string[], userId = "buyer-1"): Promise<string> {
  const orderId = await place(skus, userId);
  const payment = await api.call("POST", "/v1/payments", { orderId, channel: "wechat" });
  expect(payment.status, JSON.stringify(payment.body)).toBe(201);
  const { paymentId } = payment.body as { paymentId: string };
  // The simulator answers in the channel's own format (WeChat: 204).
  expect((await api.call("POST", `/v1/payments/${paymentId}/simulate`, {})).status).toBeLessThan(300);
  await waitFor(async () => (await orderStatus(orderId)) === "awaiting_shipment", 10_000, `${orderId} paid`);
  const shipped = await api.call("POST", `/v1/orders/${orderId}/ship`, { carrier: "SF", trackingNo: "SF1" });
  expect(shipped.status, JSON.stringify(shipped.body)).toBe(200);
  const confirmed = await api.call("POST", `/v1/orders/${orderId}/confirm-receipt`);
  expect(confirmed.status, JSON.stringify(confirmed.body)).toBe(200);
  expect(await orderStatus(orderId)).toBe("completed");
  return orderId;
}

const post = (body: Record<string, unknown>, key?: string) =>
  api.call("POST", "/v1/reviews", body, key ? { "idempotency-key": key } : {});
const moderate = (id: string, body: Record<string, unknown>, client = api) =>
  client.call("POST", `/v1/reviews/${id}/moderation`, body);
const rating = async (spu: string) =>
  (await api.call("GET", `/v1/products/${spu}/rating`)).body as {
    count: number;
    average: number | null;
    histogram: Record<string, number>;
  };

/** Posts a review and expects it created. */
async function review(
  orderId: string,
  sku: string,
  stars: number,
  text = "质量很好，物流很快",
): Promise<Review> {
  const res = await post({ orderId, sku, rating: stars, text });
  expect(res.status, JSON.stringify(res.body)).toBe(201);
  return res.body as Review;
}

test("reviews - only a line of a completed order can be reviewed; unknown orders, other lines and other buyers are refused", async () => {
  const open = await place(["SKU-R1"]);
  const early = await post({ orderId: open, sku: "SKU-R1", rating: 5, text: "还没收到" });
  expect(early.status, JSON.stringify(early.body)).toBe(409);
  expect(slug(early.body)).toBe("order-not-completed");
  expect(early.body).toMatchObject({ field: "orderId", orderStatus: "pending_payment" });

  const orderId = await completedOrder(["SKU-R1", LOOSE_SKU]);
  const otherLine = await post({ orderId, sku: "SKU-R2", rating: 5, text: "不是这一行" });
  expect(otherLine.status).toBe(409);
  expect(slug(otherLine.body)).toBe("not-an-order-line");
  expect((otherLine.body as Problem).field).toBe("sku");

  const unknown = await post({ orderId: "O-never-placed", sku: "SKU-R1", rating: 5, text: "无此订单" });
  expect(unknown.status).toBe(404);
  expect((unknown.body as Problem).field).toBe("orderId");

  const notTheirs = await post({ orderId, sku: "SKU-R1", rating: 5, text: "冒名", userId: "buyer-2" });
  expect(notTheirs.status).toBe(403);
  expect((notTheirs.body as Problem).field).toBe("userId");

  const ok = await post({
    orderId,
    sku: "SKU-R1",
    rating: 4,
    text: "不错",
    userId: "buyer-1",
    images: ["media/r/1.jpg"],
  });
  expect(ok.status, JSON.stringify(ok.body)).toBe(201);
  expect(ok.body).toMatchObject({
    orderId,
    sku: "SKU-R1",
    spuCode: "SPU-R",
    userId: "buyer-1",
    rating: 4,
    status: "pending",
    reply: null,
    images: ["media/r/1.jpg"],
  });
  // A SKU that belongs to no product is kept, with no SPU.
  expect((await review(orderId, LOOSE_SKU, 5)).spuCode).toBeNull();
  const [audit] =
    await node.sql`SELECT principal, action FROM audit_log WHERE target = ${`review/${(ok.body as Review).id}`}`;
  expect(audit).toMatchObject({ principal: "admin", action: "review.create" });
});

test("reviews - one review per line: another request is 409 already-reviewed, a retry with the same key is the first answer", async () => {
  const orderId = await completedOrder(["SKU-R1", "SKU-R2"]);
  const body = { orderId, sku: "SKU-R1", rating: 5, text: "非常满意" };
  const first = await post(body, "rev-key-1");
  expect(first.status, JSON.stringify(first.body)).toBe(201);
  const retry = await post({ text: "非常满意", rating: 5, sku: "SKU-R1", orderId }, "rev-key-1");
  expect(retry.status).toBe(201);
  expect((retry.body as Review).id).toBe((first.body as Review).id);
  const reused = await post({ ...body, rating: 1 }, "rev-key-1");
  expect(reused.status).toBe(422);
  expect(slug(reused.body)).toBe("idempotency-key-reused");
  for (const again of [await post(body), await post({ ...body, rating: 2 }, "rev-key-2")]) {
    expect(again.status, JSON.stringify(again.body)).toBe(409);
    expect(slug(again.body)).toBe("already-reviewed");
    expect((again.body as Problem).field).toBe("sku");
  }
  // Concurrent first posts of one line with different keys: exactly one review.
  const racing = await Promise.all(
    Array.from({ length: 8 }, (_, i) =>
      post({ orderId, sku: "SKU-R2", rating: 3, text: `并发 ${i}` }, `race-${i}`),
    ),
  );
  expect(racing.map((r) => r.status).sort()).toEqual([201, 409, 409, 409, 409, 409, 409, 409]);
  const [row] = await node.sql`SELECT count(*)::int AS n FROM reviews WHERE order_id = ${orderId}`;
  expect(row!.n).toBe(2);
});

test("reviews - moderation moves pending to approved or rejected once; reasons, replies and every change audited", async () => {
  const orderId = await completedOrder(["SKU-R1", "SKU-R2"]);
  const a = await review(orderId, "SKU-R1", 5);
  const b = await review(orderId, "SKU-R2", 2);

  const noReason = await moderate(b.id, { decision: "reject" });
  expect(noReason.status).toBe(400);
  expect((noReason.body as Problem).field).toBe("reason");

  const approved = await moderate(a.id, { decision: "approve" });
  expect(approved.status, JSON.stringify(approved.body)).toBe(200);
  expect(approved.body).toMatchObject({ status: "approved", moderatedBy: "admin" });
  const twice = await moderate(a.id, { decision: "reject", reason: "改主意" });
  expect(twice.status).toBe(409);
  expect((twice.body as Problem).reviewStatus).toBe("approved");

  const rejected = await moderate(b.id, { decision: "reject", reason: "与商品无关" });
  expect(rejected.body).toMatchObject({ status: "rejected", reason: "与商品无关" });
  expect((await moderate(b.id, { decision: "approve" })).status).toBe(409);
  expect((await moderate("R-none", { decision: "approve" })).status).toBe(404);

  const reply = await api.call("POST", `/v1/reviews/${a.id}/reply`, { text: "感谢您的支持！\n欢迎再次光临" });
  expect(reply.status, JSON.stringify(reply.body)).toBe(200);
  expect((reply.body as Review).reply).toMatchObject({ text: "感谢您的支持！\n欢迎再次光临", by: "admin" });
  expect((await api.call("POST", `/v1/reviews/${b.id}/reply`, { text: "回复" })).status).toBe(409);
  expect((await api.call("GET", `/v1/reviews/${a.id}`)).body).toMatchObject({ status: "approved" });

  const audit = await node.sql`SELECT principal, action, target FROM audit_log
    WHERE target IN (${`review/${a.id}`}, ${`review/${b.id}`}) ORDER BY id`;
  expect(audit.map((r) => `${r.principal} ${r.action} ${r.target}`)).toEqual([
    `admin review.create review/${a.id}`,
    `admin review.create review/${b.id}`,
    `admin review.approve review/${a.id}`,
    `admin review.reject review/${b.id}`,
    `admin review.reply review/${a.id}`,
  ]);
});

test("reviews - concurrent moderators: exactly one decision wins and the rating counts it exactly once", async () => {
  const moderators: ApiClient[] = [];
  for (const name of ["mod-a", "mod-b", "mod-c", "mod-d"]) {
    const created = await api.call("POST", "/v1/users", {
      username: name,
      password: `${name}-pw`,
      roles: ["review_moderator"],
    });
    expect(created.status, JSON.stringify(created.body)).toBe(201);
    const client = new ApiClient(node.app!);
    await client.login(name, `${name}-pw`);
    moderators.push(client);
  }
  const orderId = await completedOrder(PRODUCT_SKUS);
  const before = await rating("SPU-R");
  let approvals = 0;
  for (const sku of PRODUCT_SKUS) {
    const r = await review(orderId, sku, 5);
    const answers = await Promise.all(
      moderators.flatMap((m, i) => [
        moderate(r.id, i % 2 ? { decision: "approve" } : { decision: "reject", reason: "并发拒绝" }, m),
        moderate(r.id, { decision: "approve" }, m),
      ]),
    );
    const statuses = answers.map((x) => x.status);
    expect(statuses.filter((s) => s === 200).length, JSON.stringify(statuses)).toBe(1);
    expect(statuses.filter((s) => s === 409).length).toBe(answers.length - 1);
    const winner = answers.find((x) => x.status === 200)!.body as Review;
    const stored = (await api.call("GET", `/v1/reviews/${r.id}`)).body as Review;
    expect(stored.status).toBe(winner.status);
    expect(stored.moderatedBy).toBe(winner.moderatedBy);
    const audits = await node.sql`SELECT count(*)::int AS n FROM audit_log
      WHERE target = ${`review/${r.id}`} AND action IN ('review.approve', 'review.reject')`;
    expect(audits[0]!.n).toBe(1);
    if (winner.status === "approved") approvals++;
  }
  expect((await rating("SPU-R")).count).toBe(before.count + approvals);
  expect((await rating("SPU-R")).histogram["5"]).toBe(before.histogram["5"]! + approvals);
});

test("reviews - rating statistics per SPU follow approvals only; unknown products are 404", async () => {
  const empty = await api.call("GET", "/v1/products/SPU-EMPTY/rating");
  expect(empty.status).toBe(200);
  expect(empty.body).toEqual({
    spuCode: "SPU-EMPTY",
    count: 0,
    average: null,
    histogram: { "1": 0, "2": 0, "3": 0, "4": 0, "5": 0 },
  });
  for (const spu of ["SPU-NONE", "constructor", "toString"])
    expect((await api.call("GET", `/v1/products/${spu}/rating`)).status).toBe(404);
  // Ids start with a letter or digit: `__proto__` is not one.
  expect((await api.call("GET", "/v1/products/__proto__/rating")).status).toBe(400);

  const before = await rating("SPU-R");
  const first = await completedOrder(["SKU-R1", "SKU-R2", "constructor"], "buyer-stats");
  const second = await completedOrder(["SKU-R1"], "buyer-stats");
  const four = await review(first, "SKU-R1", 4);
  const two = await review(first, "SKU-R2", 2);
  const one = await review(first, "constructor", 1);
  const five = await review(second, "SKU-R1", 5);
  expect((await rating("SPU-R")).count).toBe(before.count); // pending reviews do not count
  for (const r of [four, two, five]) expect((await moderate(r.id, { decision: "approve" })).status).toBe(200);
  expect((await moderate(one.id, { decision: "reject", reason: "辱骂" })).status).toBe(200);
  const after = await rating("SPU-R");
  expect(after.count).toBe(before.count + 3);
  for (const stars of ["1", "2", "3", "4", "5"]) {
    const added = { "1": 0, "2": 1, "3": 0, "4": 1, "5": 1 }[stars]!;
    expect(after.histogram[stars], `histogram ${stars}`).toBe(before.histogram[stars]! + added);
  }
  const [sums] = await node.sql`SELECT sum(rating)::int AS total, count(*)::int AS n FROM reviews
    WHERE spu_code = 'SPU-R' AND status = 'approved'`;
  expect(after.count).toBe(sums!.n);
  expect(after.average).toBe(Math.round((sums!.total / sums!.n) * 100) / 100);

  // An approved review of a SKU of no product counts for no SPU.
  const loose = await completedOrder([LOOSE_SKU], "buyer-stats");
  const l = await review(loose, LOOSE_SKU, 1);
  expect((await moderate(l.id, { decision: "approve" })).body).toMatchObject({
    status: "approved",
    spuCode: null,
  });
  expect((await rating("SPU-R")).count).toBe(after.count);
});

test("reviews - blocked words: Chinese substrings, case and full-width forms, zero-width tricks; versioned list with limits", async () => {
  const orderId = await completedOrder(["SKU-R1", "SKU-R2"], "buyer-words");
  const initial = (await api.call("GET", "/v1/reviews/blocked-words")).body as { version: number };
  const put = await api.call("PUT", "/v1/reviews/blocked-words", {
    words: ["广告", "ＳＰＡＭ", "spam", "  加微信 "],
    version: initial.version,
  });
  expect(put.status, JSON.stringify(put.body)).toBe(200);
  expect(put.body).toMatchObject({
    words: ["广告", "spam", "加微信"],
    version: initial.version + 1,
    updatedBy: "admin",
  });

  for (const text of ["免费广告位，速来", "This is SpAm", "ｓｐａｍ here", "sp\u200bam", "请加微信领红包"]) {
    const res = await post({ orderId, sku: "SKU-R1", rating: 1, text });
    expect(res.status, `${JSON.stringify(text)}: ${JSON.stringify(res.body)}`).toBe(422);
    expect(slug(res.body)).toBe("blocked-word");
    expect((res.body as Problem).field).toBe("text");
  }
  expect(
    (await post({ orderId, sku: "SKU-R1", rating: 5, text: "广\n告 is split by a line break" })).status,
  ).toBe(201);

  const stale = await api.call("PUT", "/v1/reviews/blocked-words", {
    words: ["x"],
    version: initial.version,
  });
  expect(stale.status).toBe(409);
  expect((stale.body as Problem).field).toBe("version");
  const tooMany = await api.call("PUT", "/v1/reviews/blocked-words", {
    words: Array.from({ length: 1001 }, (_, i) => `w${i}`),
  });
  expect(tooMany.status).toBe(400);
  const tooLong = await api.call("PUT", "/v1/reviews/blocked-words", { words: ["ok", "长".repeat(33)] });
  expect(tooLong.status).toBe(400);
  expect((tooLong.body as Problem).field).toBe("words.1");
  // NFKC may lengthen a word past the limit: "㍿" is "株式会社".
  const expands = await api.call("PUT", "/v1/reviews/blocked-words", {
    words: ["ok", `${"长".repeat(30)}㍿`],
  });
  expect(expands.status).toBe(400);
  expect((expands.body as Problem).field).toBe("words.1");
  const [audit] = await node.sql`SELECT principal, detail FROM audit_log
    WHERE action = 'review.blocked-words' ORDER BY id DESC LIMIT 1`;
  expect(audit).toMatchObject({
    principal: "admin",
    detail: { added: ["广告", "spam", "加微信"], removed: [] },
  });

  // Clearing the list lets the same text through.
  const cleared = await api.call("PUT", "/v1/reviews/blocked-words", { words: [] });
  expect(cleared.status).toBe(200);
  expect((await post({ orderId, sku: "SKU-R2", rating: 1, text: "免费广告位" })).status).toBe(201);
});

test("reviews - hostile text is refused before anything is written; line breaks are allowed", async () => {
  const orderId = await completedOrder(["SKU-R1"], "buyer-hostile");
  for (const text of [
    "a\u0000b",
    "bell\u0007",
    "esc\u001b[31m",
    "c1\u0085x",
    "del\u007f",
    "lone\ud800",
    "",
    "   ",
  ]) {
    const res = await post({ orderId, sku: "SKU-R1", rating: 3, text });
    expect(res.status, JSON.stringify(text)).toBe(400);
    expect((res.body as Problem).field).toBe("text");
  }
  for (const bad of [
    { rating: 0 },
    { rating: 6 },
    { rating: 4.5 },
    { images: ["javascript:alert(1)"] },
    { images: ["a b"] },
  ]) {
    const res = await post({ orderId, sku: "SKU-R1", rating: 3, text: "ok", ...bad });
    expect(res.status, JSON.stringify(bad)).toBe(400);
  }
  const [row] = await node.sql`SELECT count(*)::int AS n FROM reviews WHERE order_id = ${orderId}`;
  expect(row!.n).toBe(0);
  const multi = await post({ orderId, sku: "SKU-R1", rating: 3, text: "第一行\r\n第二行\t缩进" });
  expect(multi.status, JSON.stringify(multi.body)).toBe(201);
  const reply = await api.call("POST", `/v1/reviews/${(multi.body as Review).id}/reply`, { text: "x\u0000" });
  expect(reply.status).toBe(400);
});

test("reviews - built-in property names are just ids", async () => {
  const invalid = await api.call("GET", "/v1/reviews/__proto__");
  expect(invalid.status).toBe(400); // ids start with a letter or digit
  expect((invalid.body as Problem).field).toBe("reviewId");
  for (const id of ["constructor", "toString", "hasOwnProperty", "valueOf"]) {
    expect((await api.call("GET", `/v1/reviews/${id}`)).status).toBe(404);
    expect((await moderate(id, { decision: "approve" })).status).toBe(404);
    expect((await api.call("POST", `/v1/reviews/${id}/reply`, { text: "hi" })).status).toBe(404);
    const res = await post({ orderId: id, sku: id, rating: 5, text: "x" });
    expect(res.status, JSON.stringify(res.body)).toBe(404);
    const listed = await api.call("GET", `/v1/reviews?sku=${id}&spuCode=${id}`);
    expect(listed.status).toBe(200);
    expect((listed.body as { items: unknown[] }).items).toEqual([]);
  }
  // A SKU named `constructor` is an ordinary order line.
  const orderId = await completedOrder(["constructor"], "constructor");
  const r = await review(orderId, "constructor", 5);
  expect(r).toMatchObject({ sku: "constructor", userId: "constructor", spuCode: "SPU-R" });
  const listed = (await api.call("GET", "/v1/reviews?sku=constructor")).body as { items: Review[] };
  expect(listed.items.map((x) => x.id)).toContain(r.id);
});

test("reviews - the queue: status filter, oldest first when pending, cursor paging, counts", async () => {
  const orderId = await completedOrder(["SKU-R1", "SKU-R2", LOOSE_SKU], "buyer-queue");
  const created = [
    await review(orderId, "SKU-R1", 5),
    await review(orderId, "SKU-R2", 4),
    await review(orderId, LOOSE_SKU, 3),
  ];
  const seen: string[] = [];
  let cursor: string | null = null;
  do {
    const q: string = `/v1/reviews?status=pending&limit=2${cursor ? `&cursor=${cursor}` : ""}`;
    const page = (await api.call("GET", q)).body as { items: Review[]; nextCursor: string | null };
    expect(page.items.length).toBeLessThanOrEqual(2);
    expect(page.items.every((r) => r.status === "pending")).toBe(true);
    seen.push(...page.items.map((r) => r.id));
    cursor = page.nextCursor;
  } while (cursor);
  const mine = seen.filter((id) => created.some((r) => r.id === id));
  expect(mine).toEqual(created.map((r) => r.id)); // oldest first
  expect(new Set(seen).size).toBe(seen.length);

  const newest = (await api.call("GET", "/v1/reviews?status=pending&order=newest&limit=1")).body as {
    items: Review[];
  };
  expect(newest.items[0]!.id).toBe(created[2]!.id);
  const bySpu = (await api.call("GET", "/v1/reviews?spuCode=SPU-R&limit=200")).body as { items: Review[] };
  expect(bySpu.items.every((r) => r.spuCode === "SPU-R")).toBe(true);
  expect(bySpu.items.map((r) => r.id)).not.toContain(created[2]!.id);

  const bad = await api.call("GET", "/v1/reviews?cursor=bm90LW91cnM");
  expect(bad.status).toBe(400);
  expect((bad.body as Problem).field).toBe("cursor");
  expect((await api.call("GET", "/v1/reviews?limit=201")).status).toBe(400);

  const counts = (await api.call("GET", "/v1/reviews/counts")).body as { pending: number; approved: number };
  const [row] =
    await node.sql`SELECT count(*) FILTER (WHERE status = 'pending')::int AS pending FROM reviews`;
  expect(counts.pending).toBe(row!.pending);
  expect(counts.pending).toBeGreaterThanOrEqual(3);

  // The catalogue dashboard panel's figure, as node/realtime.ts plugs it in, and the trigger that
  // refreshes the live panel when a review changes (migration 0012 on the reviews table).
  const snapshots = new PostgresDashboardSnapshots(node.sql, { pendingReviews: pendingReviewCount });
  const panel = (await snapshots.snapshot("catalogue")).data as { reviewsPending: number | null };
  expect(panel.reviewsPending).toBe(counts.pending);
  await moderate(created[0]!.id, { decision: "approve" });
  expect(((await snapshots.snapshot("catalogue")).data as { reviewsPending: number }).reviewsPending).toBe(
    counts.pending - 1,
  );
  const triggers =
    await node.sql`SELECT tgname FROM pg_trigger WHERE tgrelid = 'reviews'::regclass AND NOT tgisinternal`;
  expect(triggers.map((t) => t.tgname)).toContain("catalogue_panel_reviews");
});
