import { z } from "zod";
import { MAX_FORM_HOURS, MAX_GROUP_SIZE, MAX_QTY_PER_ORDER } from "../../actors/groupbuy/index.ts";
import { moneySchema, text } from "../../actors/shared/index.ts";
import { codeSchema, instantSchema } from "../schemas.ts";

/** Request and response shapes of the group-buy routes (the OpenAPI document is generated from these). */
export const groupBuyBody = z
  .object({
    name: text({ max: 100 }),
    sku: codeSchema,
    price: moneySchema.describe("The group price per unit, fen (拼团价)"),
    groupSize: z.number().int().min(2).max(MAX_GROUP_SIZE).describe("Paid members a group needs to form"),
    formHours: z
      .number()
      .positive()
      .max(MAX_FORM_HOURS)
      .describe("Hours a group has, from its opening, to form; else every member is refunded"),
    maxQtyPerOrder: z.number().int().positive().max(MAX_QTY_PER_ORDER).optional().describe("Default 1"),
    startsAt: instantSchema.describe("Groups open from this time"),
    endsAt: instantSchema.describe("No new group or member after this time"),
  })
  .strict();

export const groupsQuery = z
  .object({
    status: z.enum(["open", "formed", "failed"]).optional(),
    limit: z.coerce.number().int().min(1).max(200).default(50),
  })
  .strict();

const time = z.string().describe("ISO 8601");

export const groupBuyView = z.strictObject({
  groupBuyId: z.string(),
  name: z.string(),
  sku: z.string(),
  price: z.number().int(),
  groupSize: z.number().int(),
  formHours: z.number(),
  maxQtyPerOrder: z.number().int(),
  startsAt: time,
  endsAt: time,
  status: z.enum(["scheduled", "active", "ended"]),
  createdAt: time,
  groups: z.strictObject({ opened: z.number().int(), formed: z.number().int(), failed: z.number().int() }),
});

export const groupView = z.strictObject({
  groupId: z.string(),
  groupBuyId: z.string(),
  sku: z.string(),
  price: z.number().int(),
  groupSize: z.number().int(),
  status: z.enum(["open", "formed", "failed"]),
  openedAt: time,
  deadline: time.describe("Unformed by then, the group fails and every paid member is refunded"),
  closedAt: time.nullable(),
  seatsTaken: z.number().int(),
  seatsLeft: z.number().int().describe("Seats a new order may still take (0 once closed)"),
  paid: z.number().int(),
  members: z.array(
    z.strictObject({ orderId: z.string(), userId: z.string(), joinedAt: time, paid: z.boolean() }),
  ),
});

export const groupPage = z.strictObject({
  groupBuyId: z.string(),
  items: z.array(groupView),
  total: z.number().int().describe("Groups matching the filter (items holds the newest `limit`)"),
});
