import { expect, test } from "bun:test";
import { type Component, componentSchema } from "./commands.ts";
import { RECOMMENDATION_TTL_MS, resolveSlots } from "./slots.ts";

const banner = (alt: string) => ({ type: "banner" as const, image: `https://cdn.example/${alt}.png`, alt });
const at = (ms: number) => new Date(ms).toISOString();

test("slots - an ad shows only inside [from, to); staleAt is the next window edge; other components pass through", async () => {
  const now = Date.parse("2026-12-01T10:00:00Z");
  const components = [
    { type: "content_slot", name: "hero", components: [banner("hero")] },
    {
      type: "ad_slot",
      name: "top",
      ads: [
        { from: at(now - 60_000), to: at(now), component: banner("ended") }, // to is exclusive
        { from: at(now), to: at(now + 60_000), component: banner("on") }, // from is inclusive
        { from: at(now + 5_000), component: banner("later") },
        { component: banner("always") },
      ],
    },
  ].map((c) => componentSchema.parse(c)) as Component[];
  const asked: unknown[] = [];
  const out = await resolveSlots(components, now, async (rule) => {
    asked.push(rule);
    return [];
  });
  expect(out.components[0]).toEqual(components[0] as never);
  expect(out.components[1]).toEqual({
    type: "ad_slot",
    name: "top",
    components: [banner("on"), banner("always")],
  });
  expect(out.staleAt).toBe(now + 5_000);
  expect(asked).toEqual([]);
});

test("slots - a recommendation slot is resolved by its rule and caps the cache at the recommendation TTL", async () => {
  const now = 1_000_000;
  const slot = componentSchema.parse({
    type: "recommendation_slot",
    name: "recs",
    title: "Top",
    rule: { kind: "top_sellers", category: "shirts" },
  });
  const out = await resolveSlots([slot], now, async (rule) => {
    expect(rule).toEqual({ kind: "top_sellers", category: "shirts", limit: 8, days: 30 });
    return [{ spuCode: "S1", name: "Shirt", slug: "shirt" }];
  });
  expect(out.components).toEqual([
    {
      type: "recommendation_slot",
      name: "recs",
      title: "Top",
      products: [{ spuCode: "S1", name: "Shirt", slug: "shirt" }],
    },
  ]);
  expect(out.staleAt).toBe(now + RECOMMENDATION_TTL_MS);
});

test("slots - schemas: a window must end after it starts, slots do not nest, rules are known kinds", () => {
  const bad = [
    { type: "ad_slot", name: "x", ads: [{ from: at(2), to: at(1), component: banner("x") }] },
    { type: "ad_slot", name: "x", ads: [{ from: "tomorrow", component: banner("x") }] },
    { type: "content_slot", name: "x", components: [{ type: "content_slot", name: "y", components: [] }] },
    { type: "recommendation_slot", name: "x", rule: { kind: "top_sellers", category: "c", limit: 500 } },
    { type: "recommendation_slot", name: "__proto__", rule: { kind: "top_sellers", category: "c" } },
  ];
  for (const c of bad) expect(componentSchema.safeParse(c).success, JSON.stringify(c)).toBe(false);
});
