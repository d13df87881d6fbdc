import { type CarrierCatalogue, type CarrierInfo, routeSlaHours, servesRegion } from "../carrier/index.ts";

export type { CarrierCatalogue, CarrierInfo };

/**
 * What routing reads of a carrier: the carrier-catalogue seam agreed with shipments in /work/wt/SEAMS.md
 * (`actors/carrier` owns the carriers; its `CarrierInfo` is one of these).
 */
export interface RoutingCarrier {
  code: string;
  serviceRegions: readonly string[];
  excludedRegions: readonly string[];
  slaHours: number;
  available: boolean;
  costRank: number;
}

/** Whether a carrier serves a destination (an uncoded destination: only a carrier serving everywhere). */
export function serves(carrier: RoutingCarrier, dest: string | undefined): boolean {
  if (dest === undefined) return carrier.serviceRegions.includes("*") && carrier.excludedRegions.length === 0;
  return servesRegion(
    { serviceRegions: [...carrier.serviceRegions], excludedRegions: [...carrier.excludedRegions] },
    dest,
  );
}

/** The carrier's promise on this route (hours): shipments' per-route SLA (same province faster, remote slower). */
export const slaOnRoute = (
  carrier: RoutingCarrier,
  from: string | undefined,
  to: string | undefined,
): number => routeSlaHours(carrier, from ?? null, to ?? null);
