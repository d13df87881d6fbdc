import type { ShipmentEvent } from "../../actors/shipment/index.ts";
import type { ProjectedBatch, ProjectionTx, ReadModelProjection } from "../projection.ts";

/**
 * Shipments, their tracking events and compensation records, projected from the shipment actors' events
 * (rows guarded by version: events of one batch share its sequence and apply in order).
 */
export const shipmentProjection: ReadModelProjection = {
  name: "shipments",
  orderSensitive: ["shipment"],
  async apply(tx: ProjectionTx, batches: ProjectedBatch[]) {
    for (const { seq, ref, batch } of batches) {
      if (ref.kind !== "shipment") continue;
      for (const event of batch.ev as ShipmentEvent[]) await applyEvent(tx, ref.id, seq, event);
    }
  },
};

async function applyEvent(tx: ProjectionTx, id: string, seq: number, e: ShipmentEvent): Promise<void> {
  switch (e.type) {
    case "created":
      await tx`INSERT INTO shipments (shipment_id, order_id, carrier, waybill_no, status, warehouse, to_region, province,
          route, sla_hours, promised_at, created_at, updated_at, version)
        VALUES (${id}, ${e.orderId}, ${e.carrier}, ${e.waybillNo}, ${e.status}, ${e.warehouse}, ${e.toRegion},
          ${e.province}, ${e.route}, ${e.slaHours}, ${new Date(e.promisedAt)}, ${new Date(e.at)}, ${new Date(e.at)}, ${seq})
        ON CONFLICT (shipment_id) DO NOTHING`;
      return;
    case "waybillIssued":
      await tx`UPDATE shipments SET waybill_no = ${e.waybillNo}, fee = ${e.fee}, status = ${e.status},
          updated_at = ${new Date(e.at)}, version = ${seq}
        WHERE shipment_id = ${id} AND version <= ${seq}`;
      return;
    case "waybillRefused":
      await tx`UPDATE shipments SET status = ${e.status}, updated_at = ${new Date(e.at)}, version = ${seq}
        WHERE shipment_id = ${id} AND version <= ${seq}`;
      return;
    case "tracked":
      await tx`INSERT INTO shipment_tracking (shipment_id, event_id, kind, occurred_at, received_at, carrier)
        VALUES (${id}, ${e.eventId}, ${e.kind}, ${new Date(e.occurredAt)}, ${new Date(e.receivedAt)}, ${e.carrier})
        ON CONFLICT DO NOTHING`;
      if (e.onTime === undefined)
        await tx`UPDATE shipments SET status = ${e.status}, updated_at = ${new Date(e.receivedAt)}, version = ${seq}
          WHERE shipment_id = ${id} AND version <= ${seq}`;
      else
        await tx`UPDATE shipments SET status = ${e.status}, updated_at = ${new Date(e.receivedAt)}, version = ${seq},
            delivered_at = ${new Date(e.occurredAt)}, on_time = ${e.onTime}, late = late OR ${!e.onTime}
          WHERE shipment_id = ${id} AND version <= ${seq}`;
      return;
    case "late":
      await tx`UPDATE shipments SET late = true, version = ${seq} WHERE shipment_id = ${id} AND version <= ${seq}`;
      return;
    case "compensationOpened":
      await tx`INSERT INTO shipment_compensations (compensation_id, shipment_id, order_id, carrier, reason, amount, status, opened_at)
        VALUES (${e.compensationId}, ${id}, ${e.orderId}, ${e.carrier}, ${e.reason}, ${e.amount}, 'open', ${new Date(e.at)})
        ON CONFLICT (compensation_id) DO NOTHING`;
      return;
    case "compensationSettled":
      await tx`UPDATE shipment_compensations SET status = 'settled', settled_amount = ${e.amount}, settled_at = ${new Date(e.at)}
        WHERE compensation_id = ${e.compensationId}`;
      return;
    case "orderNotified":
      return;
  }
}
