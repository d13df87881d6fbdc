import {
  CARRIER_CODES,
  type CarrierCatalogue,
  type CarrierCode,
  type CarrierKeys,
  CarrierRejection,
  carrierCatalogue,
  DEFAULT_CARRIERS,
  generateCarrierKeys,
  ResilientCarrier,
  SignedCarrierClient,
  SimulatedCarrier,
  type TrackingEvent,
  verifyWebhook,
} from "../actors/carrier/index.ts";
import type { NotificationInput, Notify } from "../actors/notification/index.ts";
import type { EffectService, MetricsRegistry } from "../actors/runtime/index.ts";
import {
  CARRIER_GATEWAY_KIND,
  LOGISTICS_ALERTS_KIND,
  type TrackedEventInput,
} from "../actors/shipment/index.ts";
import type { CarrierDesk } from "../gateway/shipment-ports.ts";
import type { Sql } from "../storage/postgres/database.ts";
import type { SecretBox } from "../storage/secrets.ts";
import { sharedSecret } from "../storage/secrets.ts";
import { PostgresSimulatorStore } from "../storage/shipments/index.ts";

const SETTING = "carrier_keys";

/**
 * The carriers of this node (issue 13 item 2): each simulated carrier (its server, sharing its data
 * through Postgres like a real carrier's database) and the merchant-side adapter that calls it, signed,
 * with retries, idempotency and a circuit breaker. The keys are created once per cluster, sealed.
 */
export interface CarrierNetwork {
  keys: CarrierKeys;
  simulators: ReadonlyMap<CarrierCode, SimulatedCarrier>;
  adapters: ReadonlyMap<CarrierCode, ResilientCarrier>;
  /** The catalogue routing reads: `available` is false while a carrier's circuit is open on this node. */
  catalogue: CarrierCatalogue;
}

export async function carrierNetwork(
  sql: Sql,
  secrets: SecretBox,
  metrics: MetricsRegistry,
  options: { attemptTimeoutMs?: number; maxAttempts?: number; backoffMs?: number } = {},
): Promise<CarrierNetwork> {
  const keys = JSON.parse(
    await sharedSecret(sql, secrets, SETTING, () => JSON.stringify(generateCarrierKeys())),
  ) as CarrierKeys;
  const store = new PostgresSimulatorStore(sql);
  const calls = metrics.counter("hub_carrier_calls_total", "Carrier API attempts by carrier and outcome");
  const simulators = new Map<CarrierCode, SimulatedCarrier>();
  const adapters = new Map<CarrierCode, ResilientCarrier>();
  for (const info of DEFAULT_CARRIERS) {
    const sim = new SimulatedCarrier(info, keys[info.code], store);
    simulators.set(info.code, sim);
    const client = new SignedCarrierClient(info.code, keys[info.code], sim.handle);
    adapters.set(
      info.code,
      new ResilientCarrier(client, options, (outcome) => calls.inc({ carrier: info.code, outcome })),
    );
  }
  const isOpen = (code: CarrierCode) => adapters.get(code)?.breaker.state === "open";
  metrics.gauge("hub_carrier_circuit_open", "1 while a carrier's circuit breaker is open on this node", () =>
    CARRIER_CODES.map((code) => [{ carrier: code }, isOpen(code) ? 1 : 0]),
  );
  const catalogue = carrierCatalogue((code) => !isOpen(code));
  return { keys, simulators, adapters, catalogue };
}

const toInput = (e: TrackingEvent): TrackedEventInput => ({
  eventId: e.eventId,
  waybillNo: e.waybillNo,
  type: e.type,
  at: Date.parse(e.at),
  ...(e.region ? { region: e.region } : {}),
  ...(e.reason ? { reason: e.reason } : {}),
  ...(e.note ? { note: e.note } : {}),
});

/**
 * The `carrier-gateway` effect service: the shipment actor's calls to carriers, run on the node that owns
 * the shipment. The idempotency key is the effect's command id (`shipment:<id>:waybill`), the same on
 * every re-send and on a new owner, so a waybill the carrier issued before an answer got lost is the one
 * that comes back. A refusal is the answer (not retried); unavailability rejects, and the runtime
 * re-sends the effect with backoff.
 */
export function carrierGatewayService(network: CarrierNetwork): EffectService {
  return async (_shipmentId, cmd, commandId, signal) => {
    const carrier = network.adapters.get(String(cmd.carrier) as CarrierCode);
    if (!carrier)
      return {
        ok: false,
        error: { kind: "invalid", message: `no adapter for carrier ${String(cmd.carrier)}` },
      };
    try {
      if (cmd.type === "createWaybill") {
        const request = cmd.request as Parameters<ResilientCarrier["createWaybill"]>[0];
        return {
          ok: true,
          value: await carrier.createWaybill(request, { idempotencyKey: commandId, signal }),
        };
      }
      if (cmd.type === "track")
        return { ok: true, value: (await carrier.track(String(cmd.waybillNo), { signal })).map(toInput) };
      return { ok: false, error: { kind: "invalid", message: `unknown carrier call ${cmd.type}` } };
    } catch (error) {
      if (error instanceof CarrierRejection)
        return {
          ok: false,
          error: { kind: "conflict", message: error.message, details: { code: error.code } },
        };
      throw error;
    }
  };
}

/** The `logistics-alerts` effect service: a shipment's alert onto the operations alert path. */
export function logisticsAlertService(alert: (a: object) => void, notify?: Notify): EffectService {
  return async (id, cmd) => {
    const body = cmd.alert as LogisticsAlert;
    alert({ ...body, dashboard: "logistics" });
    // The operators' notification list (decision 0030) keeps it until acknowledged; its key makes the
    // runtime's re-sent effect (at least once) the same notification.
    if (notify) await notify(logisticsNotification(id, body));
    return { ok: true, value: null };
  };
}

interface LogisticsAlert {
  kind?: string;
  level?: string;
  reason?: string;
  detail?: string;
}

/** A shipment alert as an operator notification: `lateShipment`, `shipmentException`, `shipmentWaybillRefused`. */
export function logisticsNotification(shipmentId: string, a: LogisticsAlert): NotificationInput {
  const kind =
    a.kind === "shipmentLate"
      ? "lateShipment"
      : /^[a-z][A-Za-z0-9]{0,39}$/.test(a.kind ?? "")
        ? a.kind!
        : "shipmentAlert";
  const severity = a.level === "critical" ? "critical" : a.level === "info" ? "info" : "warning";
  const safe = (s: string) => s.replace(/[^A-Za-z0-9_:.-]/g, "_");
  return {
    kind,
    severity,
    source: "shipments",
    subject: { kind: "shipment", id: shipmentId },
    message: (a.detail ?? `${kind}: shipment ${shipmentId}`).slice(0, 500),
    key: safe(`${kind}:${shipmentId}${a.reason ? `:${a.reason}` : ""}`).slice(0, 200),
  };
}

/** The gateway's view of the carriers (`CarrierDesk`): catalogue with circuit state, webhook keys, simulators. */
export function carrierDesk(network: CarrierNetwork): CarrierDesk {
  return {
    list: async () =>
      (await network.catalogue.list()).map((c) => ({
        ...c,
        circuit: network.adapters.get(c.code)?.breaker.state ?? "closed",
      })),
    verifyWebhook: (code, body, headers) =>
      verifyWebhook(network.keys[code].secret, body, headers, Date.now()),
    simulate: (code, waybillNo, event) => network.simulators.get(code)!.record(waybillNo, event),
    setFault: (code, fault, count) => network.simulators.get(code)!.setFaults(fault, count),
  };
}

/** The node-local services of the logistics module. */
export function logisticsServices(
  network: CarrierNetwork,
  alert: (a: object) => void,
  notify?: Notify,
): Array<[string, EffectService]> {
  return [
    [CARRIER_GATEWAY_KIND, carrierGatewayService(network)],
    [LOGISTICS_ALERTS_KIND, logisticsAlertService(alert, notify)],
  ];
}
