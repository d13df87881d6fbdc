import { InvalidCursorError } from "../storage/read-models/cursor.ts";
import type { SegmentStore } from "./ports.ts";

/** A segment store with no members and no segments (route tests of other areas; segments are tested over a real node). */
export function emptySegments(): SegmentStore {
  const none = async (_limit: number, cursor?: string) => {
    if (cursor) throw new InvalidCursorError(cursor);
    return { items: [], nextCursor: null };
  };
  return {
    memberTags: async () => ({ tags: [], figures: null }),
    setManualTags: async (_userId, tags) => ({ added: [...tags], removed: [] }),
    putSegment: async () => {
      throw new Error("segments are not available in this test gateway");
    },
    getSegment: async () => null,
    listSegments: none,
    count: async () => 0,
    members: async (_filter, _now, limit, cursor) => none(limit, cursor),
    memberMessages: async () => [],
  };
}
