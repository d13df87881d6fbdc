import { z } from "zod";
import { text } from "../../actors/shared/index.ts";
import {
  binSchema,
  expirySchema,
  lotSchema,
  MAX_LINES,
  MAX_WAVE_ORDERS,
  zoneSchema,
} from "../../actors/warehouse/index.ts";
import { codeSchema } from "../schemas.ts";

/** Request and response shapes of the warehouse floor (decision 0027): the OpenAPI document shows them. */

export const binBody = binSchema.strict();
export const binView = z.strictObject({
  bin: z.string(),
  zone: zoneSchema,
  aisle: z.number().int(),
  bay: z.number().int(),
  level: z.number().int(),
  position: z.number().int().optional(),
  capacity: z.number().int().nullable(),
  created: z.boolean(),
});

export const skuZonesBody = z.strictObject({ zones: z.array(zoneSchema).min(1).max(3) });
export const skuZonesView = z.strictObject({ sku: z.string(), zones: z.array(zoneSchema) });

export const settingsBody = z
  .strictObject({
    countApprovalThreshold: z.number().int().min(0).max(1_000_000).optional(),
    packTolerance: z.number().min(0).max(1).optional(),
  })
  .refine((b) => Object.keys(b).length > 0, { error: "name at least one setting" });
export const settingsView = z.strictObject({
  countApprovalThreshold: z.number().int(),
  packTolerance: z.number(),
});

export const layoutView = z.strictObject({
  warehouse: z.string(),
  bins: z.array(
    z.strictObject({
      bin: z.string(),
      zone: zoneSchema,
      aisle: z.number().int(),
      bay: z.number().int(),
      level: z.number().int(),
      position: z.number().int().optional(),
      capacity: z.number().int().nullable(),
      load: z.number().int(),
    }),
  ),
  skuZones: z.array(skuZonesView),
  settings: settingsView,
});

export const stockQuery = z.strictObject({ sku: codeSchema.optional() });
export const stockPage = z.strictObject({
  warehouse: z.string(),
  items: z.array(
    z.strictObject({
      bin: z.string(),
      sku: z.string(),
      lot: z.string().nullable(),
      expiresAt: z.string().nullable(),
      qty: z.number().int(),
      allocated: z.number().int(),
      rule: z.enum(["FEFO", "FIFO"]),
    }),
  ),
  staged: z.array(
    z.strictObject({
      waveId: z.string(),
      orderId: z.string(),
      sku: z.string(),
      lot: z.string().nullable(),
      qty: z.number().int(),
    }),
  ),
});

const placedLine = z.strictObject({
  sku: z.string(),
  qty: z.number().int(),
  bin: z.string(),
  lot: z.string().nullable(),
  expiresAt: z.string().nullable(),
});
export const putawayView = z.strictObject({
  receiptId: z.string(),
  status: z.enum(["pending", "put_away"]),
  reference: z.string().nullable(),
  putaway: z.array(placedLine),
});
export const putawayBody = z.strictObject({
  lines: z
    .array(
      z.strictObject({
        sku: codeSchema,
        lot: lotSchema.optional(),
        qty: z.number().int().positive(),
        bin: codeSchema,
      }),
    )
    .min(1)
    .max(MAX_LINES)
    .optional(),
});

export const waveBody = z.strictObject({
  orderIds: z.array(codeSchema).min(1).max(MAX_WAVE_ORDERS).optional(),
});
const stepView = z.strictObject({
  step: z.number().int(),
  bin: z.string(),
  sku: z.string(),
  lot: z.string().nullable(),
  expiresAt: z.string().nullable(),
  qty: z.number().int(),
  orderId: z.string(),
  picked: z.number().int().nullable(),
});
const waveOrder = z.strictObject({
  orderId: z.string(),
  status: z.enum(["picking", "picked", "packed", "handing_over", "shipped", "exception"]),
  exception: z.string().nullable(),
  packCheck: z
    .strictObject({ weightGrams: z.number().int(), expectedGrams: z.number().int(), ok: z.boolean() })
    .nullable(),
});
const waveFields = {
  waveId: z.string(),
  warehouse: z.string(),
  createdAt: z.string(),
  pickLists: z.array(z.strictObject({ zone: zoneSchema, steps: z.array(stepView) })),
  orders: z.array(waveOrder),
  progress: z.strictObject({
    steps: z.number().int(),
    picked: z.number().int(),
    shortPicks: z.number().int(),
  }),
};
export const waveView = z.strictObject(waveFields);
export const createdWave = z.strictObject({
  ...waveFields,
  exceptions: z.array(z.strictObject({ orderId: z.string(), sku: z.string(), missing: z.number().int() })),
});
export const picksBody = z.strictObject({
  picks: z
    .array(
      z.strictObject({
        step: z.number().int().min(0).max(100_000),
        qty: z.number().int().min(0).max(1_000_000),
      }),
    )
    .min(1)
    .max(MAX_LINES),
});
export const picksReply = z.strictObject({
  ...waveFields,
  reallocated: z.number().int(),
  shorts: z.array(
    z.strictObject({ orderId: z.string(), sku: z.string(), qty: z.number().int(), bin: z.string() }),
  ),
});
export const packBody = z.strictObject({ weightGrams: z.number().int().min(0).max(100_000_000) });
export const packReply = z.strictObject({
  waveId: z.string(),
  orderId: z.string(),
  status: z.enum(["packed", "picked"]),
  check: z.strictObject({
    ok: z.boolean(),
    weightGrams: z.number().int(),
    expectedGrams: z.number().int(),
    tolerance: z.number(),
  }),
});
export const handoverBody = z.strictObject({ carrier: text({ max: 40 }), trackingNo: text({ max: 64 }) });
export const handoverReply = z.strictObject({
  waveId: z.string(),
  orderId: z.string(),
  status: z.literal("shipped"),
  carrier: z.string(),
  trackingNo: z.string(),
});

export const countBody = z.strictObject({ bin: codeSchema });
export const countOpened = z.strictObject({
  countId: z.string(),
  bin: z.string(),
  status: z.enum(["open", "awaiting_approval", "applied"]),
});
export const countRecordBody = z.strictObject({
  lines: z
    .array(
      z.strictObject({
        sku: codeSchema,
        lot: lotSchema.optional(),
        qty: z.number().int().min(0).max(1_000_000),
      }),
    )
    .max(MAX_LINES),
  reason: text({ max: 200 }).optional(),
});
export const countView = z.strictObject({
  countId: z.string(),
  bin: z.string(),
  status: z.enum(["awaiting_approval", "applied"]),
  needsApproval: z.boolean(),
  differences: z.array(
    z.strictObject({
      sku: z.string(),
      lot: z.string().nullable(),
      expiresAt: z.string().nullable(),
      expected: z.number().int(),
      counted: z.number().int(),
    }),
  ),
});

export { expirySchema };
