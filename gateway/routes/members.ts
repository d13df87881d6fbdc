import { z } from "zod";
import type { Profile } from "../../actors/member/index.ts";
import type { GatewayKit } from "../app.ts";
import { codeSchema } from "../schemas.ts";
import { parseParam } from "../validate.ts";

const count = z.number().int();
const epochMillis = z.number().int().describe("Milliseconds since the epoch");
/** Units per SKU or campaign id (ids are keys here, so: any name). */
const unitsBy = z.record(z.string(), count);

/** The member actor's profile (`Profile`); members may be added as the member model grows. */
const memberProfile = z.object({
  userId: z.string(),
  joinedAt: epochMillis.nullable(),
  level: z.object({
    name: z.string(),
    discountPercent: z.number(),
    freeShipping: z.boolean(),
    prioritySupport: z.boolean(),
  }),
  nextLevel: z.object({ name: z.string(), minGrowth: count, growthNeeded: count }).nullable(),
  growth: count,
  points: count,
  pointsSummary: z.object({ earned: count, spent: count, refunded: count, reversed: count, adjusted: count }),
  lifetimeSpend: count.describe("Fen paid on completed orders, net of refunds"),
  purchases: z.object({ perSku: unitsBy, perCampaign: unitsBy }),
  openOrders: count,
  orders: z
    .array(
      z.object({
        orderId: z.string(),
        status: z.enum(["recorded", "completed", "cancelled"]),
        amount: count,
        paid: count,
        refunded: count,
        pointsSpent: count,
        recordedAt: epochMillis,
        campaignId: z.string().optional(),
      }),
    )
    .describe("The latest orders, newest first"),
}) satisfies z.ZodType<Profile>;

/** Members: level, points and recent orders, from the member actor. */
export function memberRoutes() {
  return ({ define, read }: GatewayKit) => {
    define(
      {
        method: "get",
        path: "/v1/members/:userId",
        summary: "A member's level, points and recent orders",
        tag: "Members",
        permission: "member:read",
        response: { status: 200, schema: memberProfile, description: "The member's profile" },
      },
      async (c) => {
        const userId = parseParam(c.req.param("userId"), codeSchema, "userId");
        return c.json(await read<Profile>(c, "member", userId));
      },
    );
  };
}
