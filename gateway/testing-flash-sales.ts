import { InvalidCursorError } from "../storage/read-models/cursor.ts";
import type { FlashSaleReadModel } from "./ports.ts";

/** A flash-sale read model with no campaigns (route tests of other areas; flash sales run on a real node). */
export function emptyFlashSales(): FlashSaleReadModel {
  return {
    list: async (filter) => {
      if (filter.cursor) throw new InvalidCursorError(filter.cursor);
      return { items: [], nextCursor: null };
    },
    progress: async () => [],
  };
}
