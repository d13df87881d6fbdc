import type {
  AccessReviewSettings,
  CampaignRecord,
  ItemStatus,
  OnExpiry,
  OutcomeCounts,
  ReviewDecision,
  ReviewItemRecord,
} from "../actors/access-review/index.ts";
import { InvalidCursorError } from "../storage/read-models/cursor.ts";

/**
 * Access review campaigns and items (Postgres in production, `storage/access-reviews`; decision 0036).
 * `decide` throws `DomainError` (not_found, forbidden, conflict, invalid) and changes nothing then;
 * pages throw `InvalidCursorError` for a cursor they did not issue.
 */
export interface AccessReviewStore {
  settings(): Promise<AccessReviewSettings>;
  putSettings(
    change: { onExpiry?: OnExpiry; durationSeconds?: number },
    who: { by: string; requestId: string | null },
  ): Promise<AccessReviewSettings>;
  campaign(id: string): Promise<CampaignRecord | undefined>;
  campaigns(limit: number, cursor?: string): Promise<{ items: CampaignRecord[]; nextCursor: string | null }>;
  items(
    campaign: string,
    filter: { manager?: string; status?: ItemStatus },
    limit: number,
    cursor?: string,
  ): Promise<{ items: ReviewItemRecord[]; nextCursor: string | null } | undefined>;
  decide(
    campaign: string,
    decisions: ReadonlyArray<{ item: string; decision: ReviewDecision; comment?: string }>,
    who: { by: string; requestId: string | null },
  ): Promise<{ items: ReviewItemRecord[]; revokedUsers: string[] }>;
}

export type { AccessReviewSettings, CampaignRecord, OutcomeCounts, ReviewItemRecord };

/** No access review store (the fake gateway; the real one is `PostgresAccessReviews`): nothing to list. */
export const NO_ACCESS_REVIEWS: AccessReviewStore = (() => {
  const none = async (): Promise<never> => {
    throw new Error("no access review store in the fake gateway");
  };
  return {
    settings: async () => ({
      onExpiry: "revoke",
      durationSeconds: 1_209_600,
      updatedAt: "",
      updatedBy: "system",
    }),
    putSettings: none,
    campaign: async () => undefined,
    campaigns: async (_limit, cursor) => {
      if (cursor) throw new InvalidCursorError(cursor);
      return { items: [], nextCursor: null };
    },
    items: async () => undefined,
    decide: none,
  };
})();
