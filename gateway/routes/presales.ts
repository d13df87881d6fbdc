import { createHash } from "node:crypto";
import type { Context } from "hono";
import { z } from "zod";
import { MAX_PRESALE_QTY, presaleCampaignSchema } from "../../actors/presale/index.ts";
import { moneySchema, text } from "../../actors/shared/index.ts";
import type { GatewayKit } from "../app.ts";
import { idempotentCommand } from "../idempotency.ts";
import { validationProblem } from "../problem.ts";
import { codeSchema, instantSchema } from "../schemas.ts";
import { idempotencyKey, parseBody, parseParam } from "../validate.ts";

const KIND = "presale";

export const presaleBody = z
  .object({
    name: text({ max: 100 }),
    sku: codeSchema,
    price: moneySchema.describe("The full price per unit, fen"),
    deposit: moneySchema.describe(
      "The deposit per unit (定金), paid when the order is placed; never refunded",
    ),
    depositValue: moneySchema.describe(
      "What the deposit counts for off the price (定金膨胀, ≥ deposit): the balance is price − depositValue",
    ),
    maxQtyPerOrder: z.number().int().positive().max(MAX_PRESALE_QTY).optional().describe("Default 1"),
    startsAt: instantSchema.describe("Deposits are taken from this time"),
    endsAt: instantSchema.describe("… until this time"),
    balanceFrom: instantSchema.describe("The balance window (尾款) opens"),
    balanceTo: instantSchema.describe(
      "The balance window closes: unpaid orders are cancelled, deposit forfeited",
    ),
  })
  .strict();

const time = z.string().describe("ISO 8601");
export const presaleView = z.strictObject({
  presaleId: z.string(),
  name: z.string(),
  sku: z.string(),
  price: z.number().int(),
  deposit: z.number().int(),
  depositValue: z.number().int(),
  balance: z.number().int().describe("Per unit: price − depositValue"),
  payable: z.number().int().describe("Per unit, deposit + balance"),
  maxQtyPerOrder: z.number().int(),
  startsAt: time,
  endsAt: time,
  balanceFrom: time,
  balanceTo: time,
  phase: z.enum(["scheduled", "deposits", "waiting", "balance", "ended"]),
  createdAt: time,
});

/** A campaign id from the caller and its idempotency key (a retried create reaches the same actor), else random. */
function presaleIdFor(principal: string, key: string | undefined): string {
  const seed = key === undefined ? crypto.randomUUID() : `${principal}\u0000${key}`;
  return `PS${createHash("sha256").update(seed).digest("hex").slice(0, 20)}`;
}

/** Presale (预售, issue 11 item 6, decision 0024): campaigns; orders carry `presaleId`. */
export function presaleRoutes() {
  return (kit: GatewayKit) => {
    const { define, command } = kit;
    define(
      {
        method: "post",
        path: "/v1/presales",
        summary: "Create a presale (预售): price, deposit, deposit expansion, deposit and balance windows",
        tag: "Promotions",
        permission: "promotion:write",
        body: presaleBody,
        idempotencyKey: "optional",
        response: {
          status: 201,
          schema: presaleView,
          description: "Created (a retry with the same key: the same)",
        },
      },
      async (c) => {
        const body = await parseBody(c, presaleBody);
        const parsed = presaleCampaignSchema.safeParse({
          ...body,
          startsAt: body.startsAt.getTime(),
          endsAt: body.endsAt.getTime(),
          balanceFrom: body.balanceFrom.getTime(),
          balanceTo: body.balanceTo.getTime(),
        });
        if (!parsed.success) throw validationProblem(parsed.error);
        const key = idempotencyKey(c, false);
        const id = presaleIdFor(kit.meta(c).by ?? "anonymous", key);
        const commandId = key
          ? idempotentCommand(c, "presale", key, body)
          : { id: `presale:${crypto.randomUUID()}` };
        return c.json(await command(c, KIND, id, { type: "create", campaign: parsed.data }, commandId), 201);
      },
    );
    define(
      {
        method: "get",
        path: "/v1/presales/:presaleId",
        summary: "A presale campaign and its phase, from its actor",
        tag: "Promotions",
        permission: "promotion:read",
        response: { status: 200, schema: presaleView, description: "The campaign" },
      },
      async (c: Context) =>
        c.json(await kit.read(c, KIND, parseParam(c.req.param("presaleId"), codeSchema, "presaleId"))),
    );
  };
}
