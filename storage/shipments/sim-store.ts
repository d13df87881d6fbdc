import type {
  CarrierCode,
  CarrierFault,
  SimulatorStore,
  TrackingEvent,
  Waybill,
} from "../../actors/carrier/index.ts";
import type { Sql } from "../postgres/database.ts";

/**
 * The simulated carriers' data in Postgres (migration 0024), shared by every node as a real carrier's
 * database would be: a waybill number is issued once per idempotency key across the cluster, the next
 * position of the range is taken under a per-carrier advisory lock.
 */
export class PostgresSimulatorStore implements SimulatorStore {
  readonly #sql: Sql;
  constructor(sql: Sql) {
    this.#sql = sql;
  }

  async allocate(
    carrier: CarrierCode,
    key: string,
    request: string,
    waybill: (seq: number) => Omit<Waybill, "issuedAt"> & { orderRef: string },
    now: number,
  ): Promise<{ waybill: Waybill; request: string; orderRef: string }> {
    return this.#sql.begin(async (tx) => {
      await tx`SELECT pg_advisory_xact_lock(hashtext(${`carrier-sim:${carrier}`}))`;
      const [known] = await tx`SELECT request, order_ref, waybill FROM carrier_sim_waybills
        WHERE carrier = ${carrier} AND idempotency_key = ${key}`;
      if (known)
        return {
          waybill: known.waybill as Waybill,
          request: known.request as string,
          orderRef: known.order_ref as string,
        };
      const [last] =
        await tx`SELECT COALESCE(max(seq), 0)::bigint AS seq FROM carrier_sim_waybills WHERE carrier = ${carrier}`;
      const seq = Number(last?.seq ?? 0) + 1;
      const { orderRef, ...w } = waybill(seq);
      const issued: Waybill = { ...w, issuedAt: now };
      await tx`INSERT INTO carrier_sim_waybills (carrier, idempotency_key, seq, waybill_no, order_ref, request, waybill)
        VALUES (${carrier}, ${key}, ${seq}, ${issued.waybillNo}, ${orderRef}, ${request}, ${tx.json(issued as never)})`;
      return { waybill: issued, request, orderRef };
    });
  }

  async waybill(carrier: CarrierCode, waybillNo: string) {
    const [row] = await this.#sql`SELECT order_ref FROM carrier_sim_waybills
      WHERE carrier = ${carrier} AND waybill_no = ${waybillNo}`;
    return row ? { orderRef: row.order_ref as string } : undefined;
  }

  async addEvent(carrier: CarrierCode, event: TrackingEvent) {
    await this.#sql`INSERT INTO carrier_sim_events (carrier, waybill_no, event)
      VALUES (${carrier}, ${event.waybillNo}, ${this.#sql.json(event as never)})`;
  }

  async events(carrier: CarrierCode, waybillNo: string) {
    const rows = await this.#sql`SELECT event FROM carrier_sim_events
      WHERE carrier = ${carrier} AND waybill_no = ${waybillNo} ORDER BY n`;
    return rows.map((r) => r.event as TrackingEvent);
  }

  async setFaults(carrier: CarrierCode, fault: CarrierFault | null, count: number) {
    if (fault === null || count <= 0)
      await this.#sql`DELETE FROM carrier_sim_faults WHERE carrier = ${carrier}`;
    else
      await this
        .#sql`INSERT INTO carrier_sim_faults (carrier, fault, remaining) VALUES (${carrier}, ${fault}, ${count})
        ON CONFLICT (carrier) DO UPDATE SET fault = EXCLUDED.fault, remaining = EXCLUDED.remaining`;
  }

  async takeFault(carrier: CarrierCode): Promise<CarrierFault | null> {
    const [row] = await this.#sql`UPDATE carrier_sim_faults SET remaining = remaining - 1
      WHERE carrier = ${carrier} AND remaining > 0 RETURNING fault`;
    return row ? (row.fault as CarrierFault) : null;
  }
}
