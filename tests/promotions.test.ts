/**
 * Promotions end to end on a real node (NATS, Postgres, Redis): definitions validated per type with the
 * field at fault, stored with their audit row, listed by status with cursor paging, ended early.
 */
import { afterAll, beforeAll, expect, test } from "bun:test";
import type { HubNode } from "../hub-node.ts";
import {
  ApiClient,
  cleanupNamespace,
  requireServices,
  startTestNode,
  testNamespace,
} from "./support/harness.ts";

const ns = testNamespace("promotions");
let node: HubNode;
let api: ApiClient;
const HOUR = 3_600_000;
const iso = (ms: number) => new Date(ms).toISOString();

beforeAll(async () => {
  await requireServices();
  node = await startTestNode(ns);
  api = new ApiClient(node.app!);
  await api.login();
}, 60_000);

afterAll(async () => {
  await node?.stop();
  await cleanupNamespace(ns);
});

const window = () => ({ startsAt: iso(Date.now() - HOUR), endsAt: iso(Date.now() + HOUR) });
const m100 = () => ({
  name: "满100减15",
  type: "threshold_reduction",
  rules: { threshold: 10_000, reduction: 1_500 },
  scope: { all: true },
  ...window(),
});

interface View {
  promotionId: string;
  status: string;
  endedAt: string | null;
  description: { "zh-CN": string; en: string };
}

test("promotions - create 满100减15: active at once, described, audited; read back", async () => {
  const created = await api.call("POST", "/v1/promotions", m100());
  expect(created.status, JSON.stringify(created.body)).toBe(201);
  const view = created.body as View;
  expect(view).toMatchObject({ status: "active", description: { "zh-CN": "满¥100.00减¥15.00" } });
  expect(view.promotionId).toMatch(/^PRM\d+$/);
  const read = await api.call("GET", `/v1/promotions/${view.promotionId}`);
  expect(read.status).toBe(200);
  expect(read.body).toMatchObject({
    promotionId: view.promotionId,
    rules: { threshold: 10_000, reduction: 1_500 },
  });
  const audit =
    await node.sql`SELECT action FROM audit_log WHERE target = ${`promotion/${view.promotionId}`}`;
  expect(audit.map((r) => r.action)).toEqual(["promotion.create"]);
  expect((await api.call("GET", "/v1/promotions/PRM999999")).status).toBe(404);
});

test("promotions - each type's rules are checked, with the field at fault", async () => {
  const cases: Array<[unknown, number, string]> = [
    [{ ...m100(), rules: { threshold: 10_000 } }, 400, "rules.reduction"],
    [{ ...m100(), type: "percent_off", rules: { percent: 100 } }, 400, "rules.percent"],
    [{ ...m100(), type: "every_n_off", rules: { every: 10_000, reduction: 10_000 } }, 400, "rules.reduction"],
    [{ ...m100(), type: "nth_item_price", rules: { n: 2, price: 1, percent: 50 } }, 400, "rules.price"],
    [{ ...m100(), type: "gift", rules: { sku: "bad sku", qty: 1 } }, 400, "rules.sku"],
    [{ ...m100(), type: "bogus" }, 400, "type"],
    [{ ...m100(), scope: {} }, 400, "scope"],
    [{ ...m100(), scope: { all: true, exclude: { skus: ["a"], colour: 1 } } }, 400, "scope.exclude.colour"],
    [{ ...m100(), conditions: { memberLevels: ["golde"] } }, 400, "conditions.memberLevels.0"],
    [{ ...m100(), timeSlots: [{ from: "10:00", to: "09:00" }] }, 400, "timeSlots.0.to"],
    [{ ...m100(), weekdays: [0] }, 400, "weekdays.0"],
    [{ ...m100(), endsAt: iso(Date.now() - 2 * HOUR) }, 422, "endsAt"],
    [{ ...m100(), startsAt: iso(Date.now() - 10), endsAt: iso(Date.now() - 20) }, 422, "endsAt"],
  ];
  for (const [body, status, field] of cases) {
    const res = await api.call("POST", "/v1/promotions", body);
    expect(res.status, `${field}: ${JSON.stringify(res.body)}`).toBe(status);
    expect((res.body as { field: string }).field, JSON.stringify(res.body)).toBe(field);
  }
  const count = await node.sql`SELECT count(*)::int AS n FROM promotions WHERE name <> '满100减15'`;
  expect(count[0]?.n).toBe(0);
});

test("promotions - list by status with cursor paging; ending is immediate and idempotent", async () => {
  const later = await api.call("POST", "/v1/promotions", {
    ...m100(),
    name: "later",
    startsAt: iso(Date.now() + HOUR),
    endsAt: iso(Date.now() + 2 * HOUR),
  });
  expect((later.body as View).status).toBe("scheduled");
  const ids: string[] = [];
  for (const n of [1, 2, 3]) {
    const res = await api.call("POST", "/v1/promotions", { ...m100(), name: `page ${n}` });
    ids.push((res.body as View).promotionId);
  }
  const first = await api.call("GET", "/v1/promotions?status=active&limit=2");
  const page1 = first.body as { items: View[]; nextCursor: string };
  expect(page1.items.map((p) => p.promotionId)).toEqual([ids[2]!, ids[1]!]);
  const page2 = (await api.call("GET", `/v1/promotions?status=active&limit=2&cursor=${page1.nextCursor}`))
    .body as { items: View[] };
  expect(page2.items[0]?.promotionId).toBe(ids[0]);
  const scheduled = (await api.call("GET", "/v1/promotions?status=scheduled")).body as { items: View[] };
  expect(scheduled.items.map((p) => p.promotionId)).toEqual([(later.body as View).promotionId]);
  expect((await api.call("GET", "/v1/promotions?cursor=nonsense")).status).toBe(400);

  const ended = await api.call("POST", `/v1/promotions/${ids[0]}/end`);
  expect(ended.status, JSON.stringify(ended.body)).toBe(200);
  expect(ended.body).toMatchObject({ status: "ended" });
  const again = await api.call("POST", `/v1/promotions/${ids[0]}/end`);
  expect((again.body as View).endedAt).toBe((ended.body as View).endedAt);
  const endedList = (await api.call("GET", "/v1/promotions?status=ended")).body as { items: View[] };
  expect(endedList.items.map((p) => p.promotionId)).toEqual([ids[0]!]);
  expect((await api.call("POST", "/v1/promotions/PRM999999/end")).status).toBe(404);
});

test("promotions - an Idempotency-Key creates once; reused for another body it is 422", async () => {
  const headers = { "idempotency-key": "promo-key-1" };
  const body = { ...m100(), name: "keyed" };
  const a = await api.call("POST", "/v1/promotions", body, headers);
  const b = await api.call("POST", "/v1/promotions", body, headers);
  expect(a.status).toBe(201);
  expect((b.body as View).promotionId).toBe((a.body as View).promotionId);
  const c = await api.call("POST", "/v1/promotions", { ...body, name: "other" }, headers);
  expect(c.status, JSON.stringify(c.body)).toBe(422);
  expect((c.body as { type: string }).type).toContain("idempotency-key-reused");
});
