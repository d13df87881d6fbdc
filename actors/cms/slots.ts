import type { Component, PlainComponent, RecommendationRule } from "./commands.ts";

/** A recommended product as a recommendation slot shows it. */
export interface Recommended {
  spuCode: string;
  name: string;
  slug: string | null;
}

/** A component as the public read sends it: ad slots hold only the ads showing now, recommendations resolved. */
export type DeliveredComponent =
  | Exclude<Component, { type: "ad_slot" } | { type: "recommendation_slot" }>
  | { type: "ad_slot"; name: string; components: PlainComponent[] }
  | { type: "recommendation_slot"; name: string; title?: string; products: Recommended[] };

/** How long a page with a recommendation slot is served from the cache before it is resolved again. */
export const RECOMMENDATION_TTL_MS = 30_000;

/**
 * Resolves a page's slots for delivery at `now` (decision 0039): an ad slot keeps the ads whose
 * [from, to) window holds `now`; a recommendation slot asks `recommend` (a read model). `staleAt` is the
 * earliest time the result changes on its own: the next ad window edge, or `now + RECOMMENDATION_TTL_MS`.
 */
export async function resolveSlots(
  components: readonly Component[],
  now: number,
  recommend: (rule: RecommendationRule) => Promise<Recommended[]>,
): Promise<{ components: DeliveredComponent[]; staleAt: number | null }> {
  let staleAt: number | null = null;
  const until = (t: number) => {
    if (t > now && (staleAt === null || t < staleAt)) staleAt = t;
  };
  const out: DeliveredComponent[] = [];
  for (const component of components) {
    if (component.type === "ad_slot") {
      const showing: PlainComponent[] = [];
      for (const ad of component.ads) {
        const from = ad.from === undefined ? null : Date.parse(ad.from);
        const to = ad.to === undefined ? null : Date.parse(ad.to);
        if (from !== null) until(from);
        if (to !== null) until(to);
        if ((from === null || from <= now) && (to === null || now < to)) showing.push(ad.component);
      }
      out.push({ type: "ad_slot", name: component.name, components: showing });
    } else if (component.type === "recommendation_slot") {
      until(now + RECOMMENDATION_TTL_MS);
      out.push({
        type: "recommendation_slot",
        name: component.name,
        ...(component.title === undefined ? {} : { title: component.title }),
        products: await recommend(component.rule),
      });
    } else out.push(component);
  }
  return { components: out, staleAt };
}
