import { z } from "zod";
import { type Component, componentSchema, PAGE_TYPES } from "./commands.ts";

type PageType = (typeof PAGE_TYPES)[number];

const slot = (name: string): Component => ({ type: "content_slot", name, components: [] });
const ads = (name: string): Component => ({ type: "ad_slot", name, ads: [] });

/**
 * Each page type's default layout (decision 0039): the components a new page of that type starts from
 * (`POST /v1/cms/pages/{slug}/from-template`). Slots are empty; the editor fills them and saves.
 */
const LAYOUTS: Record<PageType, Component[]> = {
  home: [slot("hero"), ads("top-ad"), slot("main"), slot("footer")],
  category: [slot("hero"), ads("sidebar-ad"), slot("main")],
  product_detail: [slot("gallery"), slot("description"), ads("cross-sell-ad")],
  campaign_landing: [slot("hero"), slot("coupons"), slot("main"), ads("footer-ad")],
};

/** The templates, validated by the component schemas once at load (a bad template fails at start). */
export const PAGE_TEMPLATES: ReadonlyMap<PageType, readonly Component[]> = new Map(
  PAGE_TYPES.map((type) => [type, z.array(componentSchema).parse(LAYOUTS[type])]),
);

/** The default layout of a page type (a copy: the caller may change it). */
export function templateFor(type: PageType): Component[] {
  return structuredClone([...(PAGE_TEMPLATES.get(type) ?? [])]);
}
