import type { ProjectionTx } from "../projection.ts";

/** Statuses counted as "in transit" on the province heat table. */
export const IN_TRANSIT = ["picked_up", "in_transit", "out_for_delivery"] as const;

/**
 * The logistics dashboard's figures from the read models (decision 0029): shipments by status, late
 * shipments by carrier and route, tracking events per minute (last 30 minutes), shipments in transit
 * per province, the newest exceptions with their compensation records, SLA attainment per carrier.
 * The page folds the live shipment events into these (each event carries carrier, province and route).
 */
export async function logisticsPanel(tx: ProjectionTx) {
  const byStatus = await tx`SELECT status, count(*)::int AS n FROM shipments GROUP BY status`;
  const late = await tx`SELECT carrier, route, count(*)::int AS n FROM shipments WHERE late
    GROUP BY carrier, route ORDER BY n DESC, carrier, route LIMIT 50`;
  const perMinute = await tx`
    SELECT (floor(extract(epoch FROM received_at) / 60) * 60000)::bigint AS at, count(*)::int AS n
    FROM shipment_tracking WHERE received_at >= now() - interval '30 minutes' GROUP BY 1 ORDER BY 1`;
  const provinces = await tx`SELECT province, count(*)::int AS n FROM shipments
    WHERE status IN ${tx(IN_TRANSIT as unknown as string[])} GROUP BY province ORDER BY n DESC`;
  const exceptions =
    await tx`SELECT compensation_id, shipment_id, order_id, carrier, reason, amount, status, opened_at
    FROM shipment_compensations ORDER BY opened_at DESC, compensation_id DESC LIMIT 20`;
  const [open] = await tx`SELECT count(*)::int AS n FROM shipment_compensations WHERE status = 'open'`;
  const sla =
    await tx`SELECT carrier, count(*)::int AS delivered, count(*) FILTER (WHERE on_time)::int AS on_time
    FROM shipments WHERE status = 'delivered' AND on_time IS NOT NULL GROUP BY carrier ORDER BY carrier`;
  return {
    byStatus: Object.fromEntries(byStatus.map((r) => [r.status as string, r.n as number])),
    late: late.map((r) => ({ carrier: r.carrier as string, route: r.route as string, count: r.n as number })),
    trackingPerMinute: perMinute.map((r) => ({ at: Number(r.at), count: r.n as number })),
    inTransitByProvince: provinces.map((r) => ({
      province: (r.province as string | null) ?? "-",
      count: r.n as number,
    })),
    exceptions: exceptions.map((r) => ({
      compensationId: r.compensation_id as string,
      shipmentId: r.shipment_id as string,
      orderId: r.order_id as string,
      carrier: r.carrier as string,
      reason: r.reason as string,
      amount: Number(r.amount),
      status: r.status as string,
      at: (r.opened_at as Date).getTime(),
    })),
    openCompensations: (open?.n as number | undefined) ?? 0,
    sla: sla.map((r) => ({
      carrier: r.carrier as string,
      delivered: r.delivered as number,
      onTime: r.on_time as number,
    })),
  };
}
