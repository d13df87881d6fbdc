/**
 * Issue 8, defect 2: ids equal to JavaScript built-in property names (`constructor`, `__proto__`, ...)
 * once hit `{}` maps in actor state: a release answered 503, per-user and per-campaign limits were
 * bypassed, and a snapshot lost entries or failed validation so the actor never came back. This property
 * drives every actor kind with such ids, snapshots after every batch, restarts every actor from its
 * snapshot, and checks the answers, the limits and that the restored state is the state the log says.
 */
import { describe, expect, test } from "bun:test";
import fc from "fast-check";
import { DEFAULT_CARRIERS } from "../actors/carrier/index.ts";
import { type CouponState, couponTemplateKind } from "../actors/coupon/index.ts";
import { flashSaleKind } from "../actors/flash-sale/index.ts";
import { route } from "../actors/freight/index.ts";
import { type GroupBuyState, groupBuyKind } from "../actors/groupbuy/index.ts";
import { type InventoryState, skuKind, stockView } from "../actors/inventory/index.ts";
import { type MemberState, memberKind } from "../actors/member/index.ts";
import { orderKind } from "../actors/order/index.ts";
import { paymentKind } from "../actors/payment/index.ts";
import type { AnyActorKind, Reply } from "../actors/runtime/index.ts";
import { MemoryCluster } from "../actors/runtime/testing/index.ts";
import { segmentPushKind } from "../actors/segment/index.ts";
import { idSchema } from "../actors/shared/index.ts";

/** Names on `Object.prototype` that pass the id rule (`__proto__` does not: ids start with a letter or digit). */
const BUILTIN_NAMES = [
  "constructor",
  "toString",
  "hasOwnProperty",
  "valueOf",
  "isPrototypeOf",
  "propertyIsEnumerable",
  "toLocaleString",
] as const;
const T0 = 1_700_000_000_000;
const ADDRESS = {
  region: "Shanghai",
  detail: "1 Century Avenue",
  phone: "+86 138 0000 0000",
  name: "Li Lei",
};

function expectOk(reply: Reply, what: string): unknown {
  if (!reply.ok) throw new Error(`${what} failed: ${JSON.stringify(reply.error)}`);
  return reply.value;
}

function expectRefused(reply: Reply, kind: string, what: string): void {
  if (reply.ok || reply.error.kind !== kind)
    throw new Error(`${what}: expected ${kind}, got ${JSON.stringify(reply)}`);
}

/** Restarts the actor from its snapshot and checks it equals the state the whole log replays to. */
async function restartMatchesLog(cluster: MemoryCluster, kind: AnyActorKind, id: string): Promise<void> {
  await cluster.settle();
  const snapshot = cluster.store.snapshot(cluster.ref(kind.name, id));
  if (!snapshot) throw new Error(`no snapshot of ${kind.name}/${id}`);
  const decoded = kind.state ? kind.state.parse(snapshot.state) : snapshot.state;
  // Snapshots are written in the background, so the newest may trail the log: compare at its sequence.
  let replayed = kind.initialState(id);
  for (const { seq, batch } of cluster.store.batches(cluster.ref(kind.name, id)))
    if (seq <= snapshot.seq) for (const event of batch.ev) replayed = kind.apply(replayed, event);
  expect({ actor: `${kind.name}/${id}`, state: decoded }).toEqual({
    actor: `${kind.name}/${id}`,
    state: replayed,
  });
  await cluster.restart(kind.name, id);
  expect(cluster.snapshotRejections).toEqual([]);
}

const world = () =>
  new MemoryCluster([skuKind, memberKind, orderKind, paymentKind, flashSaleKind], {
    clock: T0,
    instance: { snapshotEvery: 1 },
  });

describe("built-in property names as ids", () => {
  test("builtin ids - `__proto__` and other underscore names are not ids at all", () => {
    for (const id of ["__proto__", "__defineGetter__"])
      expect({ id, valid: idSchema.safeParse(id).success }).toEqual({ id, valid: false });
  });

  test("builtin ids - the SKU actor: reservations, per-user limits and snapshots", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom(...BUILTIN_NAMES),
        fc.integer({ min: 1, max: 4 }),
        async (name, qty) => {
          const cluster = world();
          const sku = (id: string, cmd: Record<string, unknown>) =>
            cluster.command("sku", name, { id, cmd: cmd as { type: string } });
          expectOk(await sku("r1", { type: "receive", warehouse: name, qty: 20 }), "receive");
          expectOk(
            await sku("m1", { type: "setPurchaseLimit", maxPerUser: qty + 1 }),
            "set the purchase limit",
          );
          const reserve = (orderId: string, n: number) => ({
            type: "reserve",
            orderId,
            qty: n,
            userId: name,
          });
          expectOk(await sku("v1", reserve(name, qty)), `reserve order ${name}`);
          // The buyer named like a built-in holds `qty` already: two more units pass their limit.
          expectRefused(await sku("v2", reserve("other", 2)), "conflict", "per-user limit");
          // An order that was never reserved is not found, whatever its name.
          expectRefused(
            await sku("x1", { type: "commit", orderId: "hasOwnProperty-not" }),
            "not_found",
            "commit",
          );
          await restartMatchesLog(cluster, skuKind, name);
          expectOk(await sku("l1", { type: "release", orderId: name, reason: "test" }), `release ${name}`);
          expectRefused(await sku("l2", { type: "release", orderId: name }), "conflict", "second release");
          expectOk(await sku("v3", reserve("o-3", qty + 1)), "reserve up to the limit after the release");
          expectOk(await sku("c3", { type: "commit", orderId: "o-3" }), "commit");
          await restartMatchesLog(cluster, skuKind, name);
          const view = stockView(name, cluster.durableState<InventoryState>(skuKind, name));
          expect({ physical: view.physical, reserved: view.reserved }).toEqual({
            physical: 19 - qty,
            reserved: 0,
          });
          const got = expectOk(await sku("g", { type: "get" }), "get") as { physical: number };
          expect(got.physical).toBe(19 - qty);
        },
      ),
      { numRuns: 25 },
    );
  });

  test("builtin ids - the member actor: per-SKU and per-campaign limits and snapshots", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom(...BUILTIN_NAMES),
        fc.constantFrom(...BUILTIN_NAMES),
        async (user, sku) => {
          const cluster = world();
          const member = (id: string, cmd: Record<string, unknown>) =>
            cluster.command("member", user, { id, cmd: cmd as { type: string } });
          // Built from entries: a literal `{ __proto__: 2 }` would set the prototype, not a key.
          const limits = { perSku: Object.fromEntries([[sku, 2]]), perCampaign: 3 };
          const record = (orderId: string, qty: number) => ({
            type: "recordOrder",
            orderId,
            lines: [{ sku, qty }],
            amount: 100,
            campaignId: sku,
            limits,
          });
          expectOk(await member("m1", record(user, 2)), "record the first order");
          expectRefused(await member("m2", record("o-2", 1)), "conflict", "per-SKU limit");
          await restartMatchesLog(cluster, memberKind, user);
          expectOk(await member("m3", { type: "cancelOrder", orderId: user }), `cancel ${user}`);
          expectOk(await member("m4", record("o-4", 2)), "record after the cancel");
          await restartMatchesLog(cluster, memberKind, user);
          const state = cluster.durableState<MemberState>(memberKind, user);
          expect([...state.skuCounts]).toEqual([[sku, 2]]);
          expect([...state.campaignCounts]).toEqual([[sku, 2]]);
          const profile = expectOk(await member("g", { type: "get" }), "get") as {
            purchases: { perSku: Record<string, number> };
          };
          expect(Object.entries(profile.purchases.perSku)).toEqual([[sku, 2]]);
        },
      ),
      { numRuns: 25 },
    );
  });

  test("builtin ids - orders and payments: place, pay, cancel and restart through every kind", async () => {
    await fc.assert(
      fc.asyncProperty(fc.constantFrom(...BUILTIN_NAMES), fc.boolean(), async (name, pay) => {
        const cluster = world();
        expectOk(
          await cluster.command("sku", name, { id: "r", cmd: { type: "receive", warehouse: name, qty: 5 } }),
          "receive",
        );
        const placed = await cluster.command("order", name, {
          id: "place",
          cmd: {
            type: "place",
            userId: name,
            lines: [{ sku: name, qty: 2, unitPrice: 1_000 }],
            address: ADDRESS,
            channel: name,
            paymentTimeoutMs: 60_000,
            maxPerUser: 3,
            campaignId: name,
            maxPerCampaign: 3,
          },
        });
        expect(expectOk(placed, `place ${name}`)).toMatchObject({ status: "pending_payment" });
        if (pay) {
          expectOk(
            await cluster.command("payment", name, {
              id: "p1",
              cmd: { type: "create", orderId: name, userId: name, amount: 2_000, channel: "wechat" },
            }),
            "create payment",
          );
          const confirm = {
            type: "confirm",
            channelTxnId: name,
            amount: 2_000,
            status: "paid",
            paidAt: "now",
          };
          expectOk(await cluster.command("payment", name, { id: "p2", cmd: confirm }), "confirm payment");
          await cluster.settle();
          const order = expectOk(await cluster.command("order", name, { cmd: { type: "get" } }), "get order");
          expect(order).toMatchObject({ status: "awaiting_shipment" });
        } else {
          expectOk(
            await cluster.command("order", name, {
              id: "c",
              cmd: { type: "cancel", reason: "changed mind" },
            }),
            "cancel",
          );
          await cluster.settle();
          const view = stockView(name, cluster.durableState<InventoryState>(skuKind, name));
          expect(view.reserved).toBe(0);
        }
        for (const kind of [skuKind, memberKind, orderKind, paymentKind] as AnyActorKind[]) {
          if (kind === paymentKind && !pay) continue;
          await restartMatchesLog(cluster, kind, name);
        }
        expect(cluster.errors).toEqual([]);
      }),
      { numRuns: 25 },
    );
  });

  test("builtin ids - segment pushes: a push named like a built-in serves each member once, across restarts", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom(...BUILTIN_NAMES),
        fc.constantFrom(...BUILTIN_NAMES),
        async (pushId, user) => {
          const cluster = new MemoryCluster([couponTemplateKind, segmentPushKind], {
            clock: T0,
            instance: { snapshotEvery: 1 },
          });
          const coupon = (id: string, cmd: Record<string, unknown>) =>
            cluster.command("coupon-template", user, { id, cmd: cmd as { type: string } });
          const template = {
            name: "券",
            kind: "amount_off",
            value: 100,
            totalQuantity: 10,
            perUserLimit: 5,
            validFrom: T0 - 1_000,
            validTo: T0 + 86_400_000,
          };
          expectOk(await coupon("c", { type: "create", template }), "create");
          const push = { type: "push", userIds: [user, "u-2", user], pushId };
          const first = expectOk(await coupon("p1", push), "first push") as { issued: number };
          expect(first.issued).toBe(2);
          await restartMatchesLog(cluster, couponTemplateKind, user);
          const again = expectOk(await coupon("p2", push), "the same push re-run") as { issued: number };
          expect(again.issued).toBe(0);
          expect(cluster.durableState<CouponState>(couponTemplateKind, user).issued).toBe(2);
          await restartMatchesLog(cluster, couponTemplateKind, user);
        },
      ),
      { numRuns: 15 },
    );
  });

  test("builtin ids - the group-buy actor: orders and users named like built-ins take, keep and free seats", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom(...BUILTIN_NAMES),
        fc.constantFrom(...BUILTIN_NAMES),
        async (user, other) => {
          const cluster = new MemoryCluster([skuKind, memberKind, orderKind, paymentKind, groupBuyKind], {
            clock: T0,
            instance: { snapshotEvery: 1 },
          });
          expectOk(
            await cluster.command("sku", "GSKU", {
              id: "r",
              cmd: { type: "receive", warehouse: "WH-1", qty: 10 },
            }),
            "receive",
          );
          expectOk(
            await cluster.command("group-buy", user, {
              id: "c",
              cmd: {
                type: "create",
                campaign: {
                  name: "团",
                  sku: "GSKU",
                  price: 100,
                  groupSize: 2,
                  formHours: 1,
                  startsAt: T0 - 1,
                  endsAt: T0 + 3_600_000,
                },
              },
            }),
            "create group buy",
          );
          const place = (orderId: string, userId: string, groupId?: string) =>
            cluster.command("order", orderId, {
              id: `place:${orderId}`,
              cmd: {
                type: "place",
                userId,
                lines: [{ sku: "GSKU", qty: 1, unitPrice: 100 }],
                address: ADDRESS,
                channel: "web",
                paymentTimeoutMs: 60_000,
                group: { groupBuyId: user, ...(groupId ? { groupId } : {}) },
              },
            });
          expectOk(await place(user, user), "open a group");
          await cluster.settle();
          const state = cluster.durableState<GroupBuyState>(groupBuyKind, user);
          const groupId = state.orders.get(user)!;
          expect(groupId).toBe(`${user}-g1`);
          // The same user (an id like `constructor`) cannot sit twice; another can, once.
          expect((await place(`${user}-2`, user, groupId)).ok).toBe(false);
          const second = await place(`x${other}`, `x${other}`, groupId);
          expect(second.ok).toBe(true);
          await cluster.settle();
          expect(
            cluster.durableState<GroupBuyState>(groupBuyKind, user).groups.get(groupId)?.members.length,
          ).toBe(2);
          expectOk(
            await cluster.command("order", user, { id: "cancel", cmd: { type: "cancel", reason: "no" } }),
            "cancel",
          );
          await cluster.settle();
          expect(
            cluster.durableState<GroupBuyState>(groupBuyKind, user).groups.get(groupId)?.members.length,
          ).toBe(1);
          await restartMatchesLog(cluster, groupBuyKind, user);
          expect(cluster.errors).toEqual([]);
        },
      ),
      { numRuns: 15 },
    );
  });
});

describe("built-in ids - freight and routing (decision 0028)", () => {
  test("built-in ids - SKUs, warehouses, templates and carriers named like Object.prototype route normally", () => {
    fc.assert(
      fc.property(
        fc.constantFrom(...BUILTIN_NAMES),
        fc.constantFrom(...BUILTIN_NAMES),
        fc.constantFrom(...BUILTIN_NAMES),
        (sku, warehouse, code) => {
          const routing = route({
            dest: "310104",
            lines: [{ sku, qty: 2, weightGrams: 1_500, volumeCm3: 0, paid: 1_000 }],
            warehouses: [{ code: warehouse, region: "310115" }],
            stock: new Map([[sku, new Map([[warehouse, 5]])]]),
            templates: [
              {
                code,
                warehouse,
                basis: "weight",
                rules: [
                  { regions: ["*"], first: 1_000, firstFee: 500, additional: 1_000, additionalFee: 100 },
                ],
              },
            ],
            carriers: DEFAULT_CARRIERS.map((c) => ({ ...c, code: c.code === "mail" ? sku : c.code })),
          });
          // 3,000 g: 500 + 2 × 100.
          expect(routing.parcels).toEqual([
            expect.objectContaining({ warehouse, carrier: sku, lines: [{ sku, qty: 2 }], freight: 700 }),
          ]);
        },
      ),
      { numRuns: 50 },
    );
  });

  test("builtin ids - the flash-sale actor: campaign, buyers and orders named like built-ins, per-user limits and snapshots", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom(...BUILTIN_NAMES),
        fc.constantFrom(...BUILTIN_NAMES),
        async (name, user) => {
          const cluster = world();
          expectOk(
            await cluster.command("sku", name, {
              id: "r",
              cmd: { type: "receive", warehouse: name, qty: 10 },
            }),
            "receive",
          );
          const campaign = {
            name,
            sku: name,
            price: 100,
            stock: 3,
            perUserLimit: 2,
            startsAt: T0 - 1_000,
            endsAt: T0 + 3_600_000,
          };
          const fs = (id: string, cmd: Record<string, unknown>) =>
            cluster.command("flash-sale", name, { id, cmd: cmd as { type: string } });
          expectOk(await fs("c", { type: "create", campaign }), "create");
          const reserve = (orderId: string, qty: number) => ({ type: "reserve", orderId, userId: user, qty });
          expectOk(await fs("v1", reserve(name, 2)), `reserve order ${name}`);
          // The buyer named like a built-in holds 2 already: a third unit passes the campaign's limit.
          expectRefused(await fs("v2", reserve("o-2", 1)), "conflict", "per-user limit");
          await restartMatchesLog(cluster, flashSaleKind, name);
          expectOk(await fs("l1", { type: "release", orderId: name }), `release ${name}`);
          await cluster.settle();
          expectOk(await fs("v3", reserve("o-3", 2)), "reserve again after the release");
          await restartMatchesLog(cluster, flashSaleKind, name);
          const view = expectOk(await fs("g", { type: "get" }), "get") as { sold: number; remaining: number };
          expect({ sold: view.sold, remaining: view.remaining }).toEqual({ sold: 2, remaining: 1 });
          const stock = stockView(name, cluster.durableState<InventoryState>(skuKind, name));
          expect({ reserved: stock.reserved, allocated: stock.allocated }).toEqual({
            reserved: 2,
            allocated: 1,
          });
          await restartMatchesLog(cluster, skuKind, name);
          expect(cluster.errors).toEqual([]);
        },
      ),
      { numRuns: 15 },
    );
  });
});
