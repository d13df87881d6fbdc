/**
 * What the demo's shoppers and staff do, through the public API only. Kept apart from `demo.ts` (which
 * starts a node) so a test can run the same steps against a test node.
 */

/** Calls the API as the demo's admin; answers the status and the parsed JSON body (empty when none). */
export type DemoCall = (
  method: string,
  path: string,
  body?: unknown,
  key?: string,
) => Promise<{ status: number; body: Record<string, unknown> }>;

/** Any 2xx: a channel's callback reply is the channel's own format (WeChat Pay answers 204, no body). */
export function succeeded(status: number): boolean {
  return status >= 200 && status < 300;
}

/**
 * Pays an order through the simulated channel; with `tamperFirst`, a wrong-amount callback comes first
 * (refused and recorded) and the genuine one follows. True when the order is paid.
 */
export async function payOrder(
  call: DemoCall,
  order: { orderId: string; total: number },
  channel: "alipay" | "wechat",
  tamperFirst = false,
): Promise<boolean> {
  const created = await call("POST", "/v1/payments", { orderId: order.orderId, channel });
  if (created.status !== 201) return false;
  const paymentId = created.body.paymentId as string;
  if (tamperFirst)
    await call("POST", `/v1/payments/${paymentId}/simulate`, { status: "paid", amount: order.total + 1 });
  const paid = await call("POST", `/v1/payments/${paymentId}/simulate`, { status: "paid" });
  return succeeded(paid.status);
}

export async function shipOrder(call: DemoCall, orderId: string, carrier: string, trackingNo: string) {
  return succeeded((await call("POST", `/v1/orders/${orderId}/ship`, { carrier, trackingNo })).status);
}

export async function cancelOrder(call: DemoCall, orderId: string, reason: string) {
  return succeeded((await call("POST", `/v1/orders/${orderId}/cancel`, { reason })).status);
}
