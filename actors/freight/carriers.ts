import { covers } from "./regions.ts";

/**
 * What routing reads of a carrier (the carrier-catalogue seam agreed with the shipments module in
 * /work/wt/SEAMS.md): where it serves, how fast it promises, and whether it is up.
 */
export interface CarrierInfo {
  code: string;
  name: string;
  /** GB/T 2260 codes served (a province covers its cities); `"*"` is everywhere. */
  serviceRegions: readonly string[];
  /** Regions not served, checked before `serviceRegions`. */
  excludedRegions: readonly string[];
  /** Promised hours door to door. */
  slaHours: number;
  /** False while the carrier is down (its circuit open) or disabled. */
  available: boolean;
  /** Relative cost (lower is cheaper): the tie-breaker after SLA fit. */
  costRank: number;
}

/** The carrier catalogue routing reads; shipments' adapters will answer it (SEAMS.md). */
export interface CarrierCatalogue {
  list(): Promise<CarrierInfo[]>;
}

/** Whether a carrier serves a destination (an unknown destination: any carrier serving everywhere). */
export function serves(carrier: CarrierInfo, dest: string | undefined): boolean {
  if (dest === undefined) return carrier.serviceRegions.includes("*");
  if (carrier.excludedRegions.some((code) => covers(code, dest))) return false;
  return carrier.serviceRegions.some((code) => code === "*" || covers(code, dest));
}

/** The three simulated carriers, enabled for every region on a fresh install (issue 13). */
export const SIMULATED_CARRIERS: readonly CarrierInfo[] = [
  {
    code: "express",
    name: "Express",
    serviceRegions: ["*"],
    excludedRegions: [],
    slaHours: 48,
    available: true,
    costRank: 3,
  },
  {
    code: "ems",
    name: "EMS",
    serviceRegions: ["*"],
    excludedRegions: [],
    slaHours: 72,
    available: true,
    costRank: 2,
  },
  {
    code: "mail",
    name: "Standard mail",
    serviceRegions: ["*"],
    excludedRegions: [],
    slaHours: 168,
    available: true,
    costRank: 1,
  },
];

/**
 * The local carrier table used until the shipments module's catalogue lands: the simulated carriers,
 * with availability switchable per node (tests and operators mark a carrier down to re-route).
 */
export class LocalCarrierCatalogue implements CarrierCatalogue {
  readonly #carriers: Map<string, CarrierInfo>;
  constructor(carriers: readonly CarrierInfo[] = SIMULATED_CARRIERS) {
    this.#carriers = new Map(carriers.map((c) => [c.code, { ...c }]));
  }
  async list(): Promise<CarrierInfo[]> {
    return [...this.#carriers.values()].map((c) => ({ ...c }));
  }
  /** Marks a carrier up or down; false when there is no such carrier. */
  setAvailable(code: string, available: boolean): boolean {
    const c = this.#carriers.get(code);
    if (c === undefined) return false;
    c.available = available;
    return true;
  }
}
