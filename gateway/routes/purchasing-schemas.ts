import { z } from "zod";
import {
  MAX_PO_LINES,
  MAX_TOLERANCE_PERCENT,
  poLineSchema,
  receiptLineSchema,
  supplierProfileSchema,
} from "../../actors/purchasing/index.ts";
import { MAX_AMOUNT, text } from "../../actors/shared/index.ts";
import { codeSchema, instantSchema } from "../schemas.ts";

/** Request and response shapes of the purchasing routes (the OpenAPI document is generated from these). */
export const supplierBody = supplierProfileSchema;
export const reviewBody = z
  .object({ decision: z.enum(["approve", "suspend"]), reason: text({ max: 200 }).optional() })
  .strict();
export const purchaseOrderBody = z
  .object({
    supplier: codeSchema,
    warehouse: codeSchema,
    lines: z.array(poLineSchema).min(1).max(MAX_PO_LINES).describe("unitCost in fen; each SKU once"),
    expectedAt: instantSchema
      .optional()
      .describe("When the goods are due: receipts later than a day after it are late"),
  })
  .strict();
export const reasonBody = z.object({ reason: text({ max: 200 }).optional() }).strict();
export const receiptBody = z.object({ lines: z.array(receiptLineSchema).min(1).max(MAX_PO_LINES) }).strict();
export const settingsBody = z
  .object({
    approvalThreshold: z
      .number()
      .int()
      .min(0)
      .max(MAX_AMOUNT)
      .nullable()
      .describe("POs above this total (fen) need a second operator's approval; null: none"),
    receiptTolerancePercent: z.number().int().min(0).max(MAX_TOLERANCE_PERCENT),
  })
  .strict();
export const poListQuery = z
  .object({
    status: z
      .enum([
        "draft",
        "submitted",
        "approved",
        "sent",
        "partially_received",
        "received",
        "closed",
        "cancelled",
      ])
      .optional(),
    supplier: codeSchema.optional(),
    limit: z.coerce.number().int().min(1).max(200).default(50),
  })
  .strict();
export const supplierListQuery = z
  .object({
    status: z.enum(["pending", "approved", "suspended"]).optional(),
    limit: z.coerce.number().int().min(1).max(500).default(100),
  })
  .strict();
export const payableQuery = z
  .object({ supplier: codeSchema.optional(), limit: z.coerce.number().int().min(1).max(200).default(50) })
  .strict();

const int = z.number().int();
const time = z.string().describe("ISO 8601");
const ratio = z.number().nullable();

export const supplierView = z.object({
  code: z.string(),
  name: z.string(),
  contact: z
    .object({ name: z.string().optional(), phone: z.string().optional(), email: z.string().optional() })
    .nullable()
    .describe(
      "Name, phone and e-mail masked (李*, 138****5678, l***@example.com) without supplier:contact / pii:phone / pii:email",
    ),
  bankAccount: z
    .object({ bank: z.string(), holder: z.string(), accountNo: z.string() })
    .nullable()
    .describe("Where payables are paid; accountNo masked to its last 4 digits without pii:bank_card"),
  legalRepresentative: z
    .object({ name: z.string(), idCard: z.string() })
    .nullable()
    .describe("The legal representative; idCard masked to its first 3 and last 4 without pii:id_card"),
  status: z.enum(["pending", "approved", "suspended"]),
  skus: z.array(z.object({ sku: z.string(), cost: int, leadTimeDays: int })),
  rating: z.object({
    receipts: int,
    onTimeRate: ratio,
    acceptanceRate: ratio,
    priceTrend: ratio.describe("Mean relative unit-cost change since each SKU's first receipt"),
    score: int.nullable(),
    grade: z.enum(["A", "B", "C", "D"]).nullable().describe("null: no receipts yet"),
  }),
  createdAt: time,
  updatedAt: time,
  reviewedAt: time.nullable(),
  reviewedBy: z.string().nullable(),
});
export const supplierList = z.object({
  items: z.array(
    z.object({
      code: z.string(),
      name: z.string(),
      status: z.enum(["pending", "approved", "suspended"]),
      receipts: int,
      updatedAt: time,
    }),
  ),
});

const poStatus = z.enum([
  "draft",
  "submitted",
  "approved",
  "sent",
  "partially_received",
  "received",
  "closed",
  "cancelled",
]);
export const createdPurchaseOrder = z.object({ poId: z.string(), status: z.literal("draft") });
const receiptView = z.object({
  receiptId: z.string(),
  receivedAt: time,
  receivedBy: z.string(),
  onTime: z.boolean(),
  lines: z.array(
    z.object({
      sku: z.string(),
      acceptedQty: int,
      rejectedQty: int,
      lot: z.string().nullable(),
      producedAt: z.string().nullable(),
      expiresAt: z.string().nullable(),
      unitCost: int,
    }),
  ),
  payable: z.object({
    payableId: z.string(),
    supplier: z.string(),
    amount: int.describe("Accepted × unit cost, fen"),
    status: z.literal("open"),
  }),
  returnToSupplier: z
    .object({
      returnId: z.string(),
      supplier: z.string(),
      lines: z.array(
        z.object({ sku: z.string(), qty: int, reason: z.string().nullable(), lot: z.string().nullable() }),
      ),
      amount: int,
    })
    .nullable(),
});
export const purchaseOrderView = z.object({
  poId: z.string(),
  status: poStatus,
  supplier: z.string(),
  warehouse: z.string(),
  planId: z.string().nullable(),
  expectedAt: time.nullable(),
  lines: z.array(
    z.object({
      sku: z.string(),
      qty: int,
      unitCost: int,
      amount: int,
      acceptedQty: int,
      rejectedQty: int,
      inTransit: int.describe("Ordered − accepted while the PO is approved and open"),
      maxAcceptable: int.describe("Ordered + tolerance: receipts never accept more"),
    }),
  ),
  total: int,
  approval: z.object({
    threshold: int.nullable(),
    required: int.describe("Operators who must approve: 2 above the threshold"),
    approvals: z.array(z.object({ by: z.string(), at: time })),
  }),
  receiptTolerancePercent: int.nullable(),
  receipts: z.array(receiptView),
  payableTotal: int,
  createdBy: z.string(),
  createdAt: time.nullable(),
  submittedAt: time.nullable(),
  approvedAt: time.nullable(),
  sentAt: time.nullable(),
  closedAt: time.nullable(),
  cancelledAt: time.nullable(),
  endReason: z.string().nullable(),
});
export const receiptReply = receiptView.extend({
  poId: z.string(),
  status: poStatus,
  warehouse: z.string(),
  supplier: z.string(),
  putaway: z
    .array(
      z.object({
        sku: z.string(),
        qty: int,
        bin: z.string(),
        lot: z.string().nullable(),
        expiresAt: z.string().nullable(),
      }),
    )
    .describe("Suggested bins (the WMS); goods become physical stock when the putaway is confirmed"),
});
export const purchaseOrderList = z.object({
  items: z.array(
    z.object({
      poId: z.string(),
      supplier: z.string(),
      warehouse: z.string(),
      status: z.string(),
      total: int,
      planId: z.string().nullable(),
      expectedAt: time.nullable(),
      createdAt: time,
      updatedAt: time,
    }),
  ),
});
export const payableList = z.object({
  items: z.array(
    z.object({
      payableId: z.string(),
      receiptId: z.string(),
      poId: z.string(),
      supplier: z.string(),
      amount: int,
      status: z.string(),
      createdAt: time,
    }),
  ),
});
export const settingsView = settingsBody;
