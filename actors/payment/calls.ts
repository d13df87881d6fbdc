import type { z } from "zod";
import { commandBuilder } from "../shared/index.ts";
import type { paymentCommandSchema } from "./kind.ts";

/** A command to a payment actor as a caller writes it. */
export type PaymentCommandInput = z.input<typeof paymentCommandSchema>;

const build = commandBuilder<PaymentCommandInput>("payment");

/**
 * The payment actor's public calls (the payment id is the actor id).
 * @example payments.refund("P-1", { refundId: "O-1-r1", amount: 500 })
 */
export const payments = {
  kind: "payment" as const,
  refund: build("refund"),
};
