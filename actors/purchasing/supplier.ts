import { z } from "zod";
import { type DecideContext, type Decision, DomainError, defineKind } from "../runtime/index.ts";
import {
  idSchema as codeSchema,
  isoTime,
  mapEntries,
  mapSchema,
  moneySchema,
  text,
} from "../shared/index.ts";
import { supplierRating } from "./rating.ts";

/** SKUs one supplier lists at most (they live in the supplier actor's state). */
export const MAX_SUPPLIER_SKUS = 1_000;
/** Longest lead time a supplier may state, in days. */
export const MAX_LEAD_TIME_DAYS = 365;

export const supplierSkuSchema = z
  .object({
    sku: codeSchema,
    /** Unit cost in fen. */
    cost: moneySchema,
    leadTimeDays: z.number().int().min(0).max(MAX_LEAD_TIME_DAYS),
  })
  .strict();

export const supplierContactSchema = z
  .object({
    name: text({ max: 100 }).optional(),
    phone: text({ max: 40 }).optional(),
    email: text({ max: 200 }).optional(),
  })
  .strict();

/** Where payables are paid: the account number is a bank card number under the masking policy. */
export const supplierBankAccountSchema = z
  .object({
    bank: text({ max: 100 }),
    holder: text({ max: 200 }),
    accountNo: z.string().regex(/^[0-9][0-9 ]{6,38}[0-9]$/, "digits, optionally grouped by spaces"),
  })
  .strict();
export type SupplierBankAccount = z.infer<typeof supplierBankAccountSchema>;

/** The supplier's legal representative as onboarding records them: the ID card is masked by policy. */
export const legalRepresentativeSchema = z
  .object({
    name: text({ max: 100 }),
    idCard: z
      .string()
      .regex(/^[0-9]{17}[0-9Xx]$|^[0-9]{15}$/, "a resident ID-card number (18 characters, or 15 digits)"),
  })
  .strict();
export type LegalRepresentative = z.infer<typeof legalRepresentativeSchema>;

export const supplierProfileSchema = z
  .object({
    name: text({ max: 200 }),
    contact: supplierContactSchema.optional(),
    bankAccount: supplierBankAccountSchema.optional(),
    legalRepresentative: legalRepresentativeSchema.optional(),
    skus: z.array(supplierSkuSchema).max(MAX_SUPPLIER_SKUS).optional(),
  })
  .strict();
export type SupplierProfile = z.infer<typeof supplierProfileSchema>;

const receiptLine = z.object({
  sku: codeSchema,
  accepted: z.number().int().min(0),
  rejected: z.number().int().min(0),
  unitCost: moneySchema,
});

export const supplierCommandSchema = z.discriminatedUnion("type", [
  z.object({ type: z.literal("get") }),
  /** Onboarding or an update (PUT): a new supplier starts `pending`; `skus`, when given, replace the list. */
  z.object({ type: z.literal("upsert"), profile: supplierProfileSchema }),
  z.object({
    type: z.literal("review"),
    decision: z.enum(["approve", "suspend"]),
    reason: text({ max: 200 }).optional(),
  }),
  /** A purchase order's receipt, for the rating (sent by the PO actor; once per receipt id). */
  z.object({
    type: z.literal("recordReceipt"),
    receiptId: codeSchema,
    poId: codeSchema,
    onTime: z.boolean(),
    lines: z.array(receiptLine).min(1).max(200),
  }),
]);
export type SupplierCommand = z.infer<typeof supplierCommandSchema>;

const who = { at: z.number(), by: z.string() };
const skuEntry = z.object({ cost: z.number().int(), leadTimeDays: z.number().int() });

export const supplierEventSchema = z.discriminatedUnion("type", [
  z.object({
    type: z.literal("profileSet"),
    name: z.string(),
    contact: supplierContactSchema.nullable(),
    /** Absent (events before decision 0037 too): no bank account. */
    bankAccount: supplierBankAccountSchema.optional(),
    /** Absent (events before decision 0037 too): none recorded. */
    legalRepresentative: legalRepresentativeSchema.optional(),
    /** Absent: the SKU list is unchanged. */
    skus: z.array(supplierSkuSchema).optional(),
    ...who,
  }),
  z.object({
    type: z.literal("reviewed"),
    status: z.enum(["approved", "suspended"]),
    reason: z.string().optional(),
    ...who,
  }),
  z.object({
    type: z.literal("receiptRecorded"),
    receiptId: z.string(),
    poId: z.string(),
    onTime: z.boolean(),
    lines: z.array(receiptLine),
    at: z.number(),
  }),
]);
export type SupplierEvent = z.infer<typeof supplierEventSchema>;

export type SupplierStatus = "pending" | "approved" | "suspended";

export interface SupplierState {
  name: string | null;
  contact: z.infer<typeof supplierContactSchema> | null;
  /** Absent in snapshots taken before decision 0037: none. */
  bankAccount?: SupplierBankAccount | null;
  /** Absent in snapshots taken before decision 0037: none. */
  legalRepresentative?: LegalRepresentative | null;
  status: SupplierStatus;
  skus: Map<string, { cost: number; leadTimeDays: number }>;
  createdAt: number | null;
  updatedAt: number | null;
  reviewedAt: number | null;
  reviewedBy: string | null;
  receipts: number;
  onTime: number;
  acceptedUnits: number;
  rejectedUnits: number;
  prices: Map<string, { first: number; last: number }>;
  /** Receipts already counted (a re-sent effect counts once). */
  counted: Map<string, true>;
}

const count = z.number().int().min(0);
export const supplierStateSchema: z.ZodType<SupplierState> = z.object({
  name: z.string().nullable(),
  contact: supplierContactSchema.nullable(),
  bankAccount: supplierBankAccountSchema.nullable().optional(),
  legalRepresentative: legalRepresentativeSchema.nullable().optional(),
  status: z.enum(["pending", "approved", "suspended"]),
  skus: mapSchema(skuEntry),
  createdAt: z.number().nullable(),
  updatedAt: z.number().nullable(),
  reviewedAt: z.number().nullable(),
  reviewedBy: z.string().nullable(),
  receipts: count,
  onTime: count,
  acceptedUnits: count,
  rejectedUnits: count,
  prices: mapSchema(z.object({ first: z.number().int(), last: z.number().int() })),
  counted: mapSchema(z.literal(true)),
});

export function initialSupplierState(): SupplierState {
  return {
    name: null,
    contact: null,
    status: "pending",
    skus: new Map(),
    createdAt: null,
    updatedAt: null,
    reviewedAt: null,
    reviewedBy: null,
    receipts: 0,
    onTime: 0,
    acceptedUnits: 0,
    rejectedUnits: 0,
    prices: new Map(),
    counted: new Map(),
  };
}

export function encodeSupplierState(s: SupplierState): unknown {
  return { ...s, skus: mapEntries(s.skus), prices: mapEntries(s.prices), counted: mapEntries(s.counted) };
}

export function applySupplierEvent(s: SupplierState, e: SupplierEvent): SupplierState {
  switch (e.type) {
    case "profileSet":
      s.name = e.name;
      s.contact = e.contact;
      s.bankAccount = e.bankAccount ?? null;
      s.legalRepresentative = e.legalRepresentative ?? null;
      if (e.skus)
        s.skus = new Map(e.skus.map((k) => [k.sku, { cost: k.cost, leadTimeDays: k.leadTimeDays }]));
      s.createdAt ??= e.at;
      s.updatedAt = e.at;
      break;
    case "reviewed":
      s.status = e.status;
      s.reviewedAt = e.at;
      s.reviewedBy = e.by;
      break;
    case "receiptRecorded":
      s.counted.set(e.receiptId, true);
      s.receipts += 1;
      if (e.onTime) s.onTime += 1;
      for (const l of e.lines) {
        s.acceptedUnits += l.accepted;
        s.rejectedUnits += l.rejected;
        const p = s.prices.get(l.sku);
        if (p) p.last = l.unitCost;
        else s.prices.set(l.sku, { first: l.unitCost, last: l.unitCost });
      }
      break;
  }
  return s;
}

export function supplierView(code: string, s: SupplierState) {
  if (s.name === null) throw new DomainError("not_found", `no supplier ${code}`, { supplier: code });
  return {
    code,
    name: s.name,
    contact: s.contact,
    bankAccount: s.bankAccount ?? null,
    legalRepresentative: s.legalRepresentative ?? null,
    status: s.status,
    skus: [...s.skus].map(([sku, v]) => ({ sku, ...v })).sort((a, b) => a.sku.localeCompare(b.sku)),
    rating: supplierRating(s),
    createdAt: isoTime(s.createdAt ?? 0),
    updatedAt: isoTime(s.updatedAt ?? 0),
    reviewedAt: s.reviewedAt === null ? null : isoTime(s.reviewedAt),
    reviewedBy: s.reviewedBy,
  };
}

type Cmd<T extends SupplierCommand["type"]> = Extract<SupplierCommand, { type: T }>;
type Result = Decision<SupplierEvent>;
const by = (ctx: DecideContext) => ctx.meta.by ?? "system";

export const supplierHandlers = {
  get: (s: SupplierState, _c: Cmd<"get">, ctx: DecideContext): Result => ({
    events: [],
    reply: supplierView(ctx.id, s),
  }),
  upsert: (s: SupplierState, c: Cmd<"upsert">, ctx: DecideContext): Result => {
    const skus = c.profile.skus;
    if (skus && new Set(skus.map((k) => k.sku)).size !== skus.length)
      throw new DomainError("invalid", "each SKU may appear once per supplier", { field: "skus" });
    const event: SupplierEvent = {
      type: "profileSet",
      name: c.profile.name,
      contact: c.profile.contact ?? null,
      ...(c.profile.bankAccount ? { bankAccount: c.profile.bankAccount } : {}),
      ...(c.profile.legalRepresentative ? { legalRepresentative: c.profile.legalRepresentative } : {}),
      ...(skus ? { skus } : {}),
      at: ctx.now,
      by: by(ctx),
    };
    const next = applySupplierEvent(structuredClone(s), event);
    return { events: [event], reply: supplierView(ctx.id, next) };
  },
  review: (s: SupplierState, c: Cmd<"review">, ctx: DecideContext): Result => {
    if (s.name === null) throw new DomainError("not_found", `no supplier ${ctx.id}`, { supplier: ctx.id });
    const status = c.decision === "approve" ? "approved" : "suspended";
    if (s.status === status) return { events: [], reply: supplierView(ctx.id, s) };
    const event: SupplierEvent = {
      type: "reviewed",
      status,
      ...(c.reason ? { reason: c.reason } : {}),
      at: ctx.now,
      by: by(ctx),
    };
    return { events: [event], reply: supplierView(ctx.id, applySupplierEvent(structuredClone(s), event)) };
  },
  recordReceipt: (s: SupplierState, c: Cmd<"recordReceipt">, ctx: DecideContext): Result => {
    if (s.counted.has(c.receiptId)) return { events: [], reply: { receiptId: c.receiptId, counted: false } };
    return {
      events: [
        {
          type: "receiptRecorded",
          receiptId: c.receiptId,
          poId: c.poId,
          onTime: c.onTime,
          lines: c.lines,
          at: ctx.now,
        },
      ],
      reply: { receiptId: c.receiptId, counted: true },
    };
  },
};

/** The supplier actor (kind "supplier", id = supplier code): profile, review status, SKUs and rating. */
export const supplierKind = defineKind<SupplierState, SupplierCommand, SupplierEvent>({
  name: "supplier",
  commands: supplierCommandSchema,
  events: supplierEventSchema,
  state: supplierStateSchema,
  encodeState: encodeSupplierState,
  initialState: initialSupplierState,
  apply: applySupplierEvent,
  handlers: supplierHandlers,
  readOnly: ["get"],
});
