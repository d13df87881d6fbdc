import { z } from "zod";

/** The invariant check and the dashboard figures (decision 0027). */

export const invariantView = z.strictObject({
  warehouse: z.string(),
  ok: z.boolean(),
  pendingEffects: z.number().int(),
  skus: z.array(
    z.strictObject({ sku: z.string(), bins: z.number().int(), physical: z.number().int(), ok: z.boolean() }),
  ),
});

export const summaryView = z.strictObject({
  warehouse: z.string(),
  inboundDueToday: z.strictObject({ receipts: z.number().int(), units: z.number().int() }),
  putawayBacklog: z.strictObject({ receipts: z.number().int(), units: z.number().int() }),
  openWaves: z.array(
    z.strictObject({
      waveId: z.string(),
      orders: z.number().int(),
      steps: z.number().int(),
      picked: z.number().int(),
      progress: z.number(),
      shortPicks: z.number().int(),
    }),
  ),
  pickRatePerHour: z.number().int(),
  shortPicks: z.strictObject({
    total: z.number().int(),
    binsToCount: z.array(z.string()),
    exceptions: z.array(z.strictObject({ waveId: z.string(), orderId: z.string(), exception: z.string() })),
  }),
  binsNearCapacity: z.array(
    z.strictObject({ bin: z.string(), load: z.number().int(), capacity: z.number().int() }),
  ),
  countDifferences: z.array(
    z.strictObject({
      countId: z.string(),
      bin: z.string(),
      status: z.enum(["open", "awaiting_approval", "applied"]),
      lines: z.number().int(),
      units: z.number().int(),
    }),
  ),
  pendingEffects: z.number().int(),
});
