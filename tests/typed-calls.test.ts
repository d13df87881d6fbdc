/**
 * Calls between actors go through the callee's typed builders: the command shape is checked by `tsc` in
 * the caller (the `@ts-expect-error` lines below fail the type check the day a builder stops catching a
 * wrong field), and the built command is what the callee's schema accepts.
 */
import { expect, test } from "bun:test";
import { couponCommandSchema, coupons } from "../actors/coupon/index.ts";
import { inventory, inventoryCommandSchema } from "../actors/inventory/index.ts";
import { memberCommandSchema, members } from "../actors/member/index.ts";
import { orderCommandSchema, orders } from "../actors/order/index.ts";
import { paymentCommandSchema, payments } from "../actors/payment/index.ts";

test("typed calls - builders address the callee's kind and build commands its schema accepts", () => {
  const calls = [
    [inventory.reserve("SKU-1", { orderId: "O-1", qty: 2, userId: "U-1" }), inventoryCommandSchema],
    [inventory.release("SKU-1", { orderId: "O-1", reason: "cancelled" }), inventoryCommandSchema],
    [inventory.commit("SKU-1", { orderId: "O-1" }), inventoryCommandSchema],
    [
      inventory.receive("SKU-1", { warehouse: "WH-1", qty: 1, reason: "return of O-1" }),
      inventoryCommandSchema,
    ],
    [
      members.recordOrder("U-1", { orderId: "O-1", lines: [{ sku: "SKU-1", qty: 2 }], amount: 10 }),
      memberCommandSchema,
    ],
    [members.cancelOrder("U-1", { orderId: "O-1", reason: "x" }), memberCommandSchema],
    [members.completeOrder("U-1", { orderId: "O-1", amount: 10 }), memberCommandSchema],
    [members.refundOrder("U-1", { orderId: "O-1", refundId: "O-1-r1", amount: 5 }), memberCommandSchema],
    [orders.markPaid("O-1", { paymentId: "P-1", channel: "wechat", amount: 10 }), orderCommandSchema],
    [payments.refund("P-1", { refundId: "O-1-r1", amount: 5 }), paymentCommandSchema],
    [coupons.claim("CT1", { userId: "U-1" }), couponCommandSchema],
    [
      coupons.reserve("CT1", { couponId: "CT1-1", orderId: "O-1", userId: "U-1", discount: 5, amount: 10 }),
      couponCommandSchema,
    ],
    [coupons.commit("CT1", { couponId: "CT1-1", orderId: "O-1" }), couponCommandSchema],
    [coupons.release("CT1", { couponId: "CT1-1", orderId: "O-1", reason: "cancelled" }), couponCommandSchema],
  ] as const;
  for (const [call, schema] of calls) {
    expect({ call, accepted: schema.safeParse(call.cmd).success }).toEqual({ call, accepted: true });
  }
  expect(inventory.reserve("SKU-1", { orderId: "O-1", qty: 2 })).toEqual({
    to: { kind: "sku", id: "SKU-1" },
    cmd: { type: "reserve", orderId: "O-1", qty: 2 },
  });
  expect(orders.markPaid("O-9", { paymentId: "P", channel: "alipay", amount: 1 }).to).toEqual({
    kind: "order",
    id: "O-9",
  });
});

test("typed calls - a wrong field name or type is a compile error in the caller", () => {
  // @ts-expect-error `order` is not a field of reserve (it is `orderId`)
  const renamed = inventory.reserve("SKU-1", { order: "O-1", qty: 2 });
  // @ts-expect-error qty is a number
  const mistyped = inventory.reserve("SKU-1", { orderId: "O-1", qty: "2" });
  // @ts-expect-error markPaid needs the amount
  const missing = orders.markPaid("O-1", { paymentId: "P-1", channel: "wechat" });
  // What the type check stops would have failed only at the callee, in production.
  for (const call of [renamed, mistyped])
    expect(inventoryCommandSchema.safeParse(call.cmd).success).toBe(false);
  expect(orderCommandSchema.safeParse(missing.cmd).success).toBe(false);
});

test("typed calls - the reservation reply parser refuses a reply without its lines", () => {
  expect(
    inventory.reservationReply({ orderId: "O-1", lines: [{ warehouse: "WH", qty: 1 }], sellable: 3 }),
  ).toEqual({
    lines: [{ warehouse: "WH", qty: 1 }],
  });
  expect(() => inventory.reservationReply({ orderId: "O-1" })).toThrow();
});
