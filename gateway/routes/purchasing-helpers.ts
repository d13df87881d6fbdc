import { createHash } from "node:crypto";
import type { Context } from "hono";
import type { z } from "zod";
import type { SupplierStatus } from "../../actors/purchasing/index.ts";
import type { GatewayKit } from "../app.ts";
import { ProblemError } from "../problem.ts";
import { parseBody } from "../validate.ts";

/** A document id from the caller and its idempotency key (a retry reaches the same actor), else random. */
export function documentId(prefix: string, seed: string | undefined): string {
  return `${prefix}${createHash("sha256")
    .update(seed ?? crypto.randomUUID())
    .digest("hex")
    .slice(0, 20)}`;
}

/** The purchase-order actor's refusals (`details.reason`) as their own problem types; others unchanged. */
export function purchaseOrderProblem(error: unknown): never {
  if (error instanceof ProblemError && error.slug === "conflict") {
    const { reason, ...extra } = error.extra;
    if (reason === "purchase-order-state")
      throw new ProblemError(409, "purchase-order-state", error.message, extra);
    if (reason === "supplier-not-approved")
      throw new ProblemError(409, "supplier-not-approved", error.message, extra);
    if (reason === "second-approval-needed")
      throw new ProblemError(409, "second-approval-needed", error.message, extra);
    if (reason === "receipt-exceeds-order")
      throw new ProblemError(409, "receipt-exceeds-order", error.message, extra);
  }
  throw error;
}

/** A body that may be left out (`/cancel` with no reason): empty is `{}`, anything else is parsed. */
export async function optionalBody<T extends z.ZodType>(c: Context, schema: T): Promise<z.infer<T>> {
  if ((await c.req.text()).trim() === "") return schema.parse({});
  return parseBody(c, schema);
}

/** Reads the supplier's review status for a new PO; an unknown supplier is the body's fault (422). */
export async function supplierStatus(kit: GatewayKit, c: Context, code: string): Promise<SupplierStatus> {
  try {
    return (await kit.read<{ status: SupplierStatus }>(c, "supplier", code)).status;
  } catch (error) {
    if (error instanceof ProblemError && error.status === 404)
      throw new ProblemError(422, "unknown-supplier", `no supplier ${code}`, { field: "supplier" });
    throw error;
  }
}
