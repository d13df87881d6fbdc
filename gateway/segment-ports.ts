/** What the segment routes ask of Postgres (bound to `storage/segments/` `PostgresSegmentStore` in node/). */
import type { SegmentFilter } from "../actors/segment/index.ts";

type Audit = { by: string; requestId: string };

export interface MemberTagItem {
  tag: string;
  source: "behaviour" | "manual";
  addedAt: string;
  addedBy: string;
}

/** A member's behaviour figures as the last recompute left them (null: the member is not known yet). */
export interface MemberFiguresItem {
  level: string | null;
  spend: number;
  orders: number;
  recentOrders: number;
  firstOrderAt: string | null;
  lastOrderAt: string | null;
  categories: string[];
  computedAt: string | null;
}

export interface SegmentItem {
  code: string;
  name: string;
  description: string | null;
  filter: SegmentFilter;
  version: number;
  createdAt: string;
  updatedAt: string;
  updatedBy: string;
}

/** Tags, segments and inbox messages (decision 0025). */
export interface SegmentStore {
  memberTags(userId: string): Promise<{ tags: MemberTagItem[]; figures: MemberFiguresItem | null }>;
  setManualTags(
    userId: string,
    tags: readonly string[],
    audit: Audit,
  ): Promise<{ added: string[]; removed: string[] }>;
  putSegment(
    code: string,
    def: { name: string; description?: string; filter: SegmentFilter },
    audit: Audit,
  ): Promise<{ segment: SegmentItem; created: boolean }>;
  getSegment(code: string): Promise<SegmentItem | null>;
  /** Throws `InvalidCursorError` for a cursor it did not issue. */
  listSegments(limit: number, cursor?: string): Promise<{ items: SegmentItem[]; nextCursor: string | null }>;
  count(filter: SegmentFilter, now: number): Promise<number>;
  /** Throws `InvalidCursorError` for a cursor it did not issue. */
  members(
    filter: SegmentFilter,
    now: number,
    limit: number,
    cursor?: string,
  ): Promise<{
    items: Array<MemberFiguresItem & { userId: string; tags: string[] }>;
    nextCursor: string | null;
  }>;
  memberMessages(
    userId: string,
    limit: number,
  ): Promise<Array<{ pushId: string; title: string; body: string; deliveredAt: string }>>;
}
