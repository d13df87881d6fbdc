import type {
  CarrierCode,
  CarrierFault,
  CarrierInfo,
  TrackingEvent,
  TrackingType,
} from "../actors/carrier/index.ts";
import type { ScopeFilter } from "../actors/permissions/index.ts";

/** A carrier in the catalogue, with its circuit breaker's state on this node. */
export type CarrierListing = CarrierInfo & { circuit: "closed" | "open" | "half_open" };

/** What the carrier routes ask of the carriers (bound to `node/carriers.ts` `CarrierNetwork`). */
export interface CarrierDesk {
  list(): Promise<CarrierListing[]>;
  /** Why a webhook of `code` is refused (signature, replay window), or undefined when it is genuine. */
  verifyWebhook(
    code: CarrierCode,
    body: string,
    headers: { timestamp: string | undefined; signature: string | undefined },
  ): string | undefined;
  /** The simulator records a tracking event; a push carrier also returns the signed webhook it sends. */
  simulate(
    code: CarrierCode,
    waybillNo: string,
    event: {
      type: TrackingType;
      at?: number;
      region?: string;
      reason?: TrackingEvent["reason"];
      note?: string;
    },
  ): Promise<{ event: TrackingEvent; webhook: { headers: Record<string, string>; body: string } | null }>;
  setFault(code: CarrierCode, fault: CarrierFault | null, count: number): Promise<void>;
}

export interface CompensationItem {
  compensationId: string;
  shipmentId: string;
  orderId: string;
  carrier: string;
  reason: string;
  amount: number;
  status: "open" | "settled";
  settledAmount: number | null;
  openedAt: string;
  settledAt: string | null;
}

/** Lists over the shipments read model (bound to `storage/shipments/` `ShipmentQueries`). */
export interface ShipmentReadModel {
  compensations(
    filter: { status?: "open" | "settled"; limit: number },
    scope?: ScopeFilter,
  ): Promise<CompensationItem[]>;
}
