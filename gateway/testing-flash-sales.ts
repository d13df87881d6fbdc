import { InvalidCursorError } from "../storage/read-models/cursor.ts";
import type { FlashSaleAdmissionLimits, FlashSaleReadModel } from "./ports.ts";

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

/** The flash-sale ports of a test gateway: no campaigns in the read model, the default admission limits. */
export function flashSalePorts(): {
  flashSales: FlashSaleReadModel;
  flashSaleLimits: FlashSaleAdmissionLimits;
} {
  return {
    flashSales: emptyFlashSales(),
    flashSaleLimits: { queueMax: 500, queuePerUnit: 2, userRatePerSecond: 5 },
  };
}
