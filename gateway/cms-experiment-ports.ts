/** What the CMS experiment and preview routes ask of storage (Postgres + Redis in production; decision 0038). */
import type { ExperimentDefinition, ExperimentRecord, VariantCounts } from "../actors/cms/index.ts";

export interface ExperimentStore {
  /** Creates a draft; false when the id exists already (nothing changed). */
  create(def: ExperimentDefinition, by: string): Promise<boolean>;
  get(id: string): Promise<ExperimentRecord | null>;
  list(f: { slug?: string; limit: number; cursor?: string }): Promise<{
    items: ExperimentRecord[];
    nextCursor: string | null;
  }>;
  /**
   * draft → running ("started"); running → running ("unchanged"); "stopped" when it was stopped (never
   * restarted); "page-busy" when another experiment runs on the page. Invalidates the page's cached
   * experiment before it answers.
   */
  start(id: string): Promise<"started" | "unchanged" | "stopped" | "page-busy" | "not-found">;
  /** draft|running → stopped; invalidates the page's cached experiment before it answers. */
  stop(id: string): Promise<"stopped" | "unchanged" | "not-found">;
  /** The running experiment of a page, or null (Redis-cached, invalidated by start/stop). */
  runningOn(slug: string): Promise<ExperimentRecord | null>;
  /** Counts an exposure (once per visitor) or a click (once per visitor, implying an exposure). */
  record(e: ExperimentRecord, visitor: string, variant: string, type: "exposure" | "click"): Promise<boolean>;
  /** Visitors exposed and visitors who clicked, by variant. */
  counts(id: string): Promise<VariantCounts[]>;
}

/** No experiments (a gateway composed without them, e.g. route tests): every id unknown. */
export const NO_EXPERIMENTS: ExperimentStore = {
  create: async () => false,
  get: async () => null,
  list: async () => ({ items: [], nextCursor: null }),
  start: async () => "not-found",
  stop: async () => "not-found",
  runningOn: async () => null,
  record: async () => false,
  counts: async () => [],
};
