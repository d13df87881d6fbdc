import { provinceOf, REMOTE_PROVINCES } from "./regions.ts";

/** The simulated carriers of a fresh install: express (快递), EMS, standard mail (平邮). */
export const CARRIER_CODES = ["express", "ems", "mail"] as const;
export type CarrierCode = (typeof CARRIER_CODES)[number];

export function isCarrierCode(code: string): code is CarrierCode {
  return (CARRIER_CODES as readonly string[]).includes(code);
}

/** What a carrier charges the merchant per parcel (fen, grams): first weight, then each started step. */
export interface RateCard {
  firstWeightGrams: number;
  firstFee: number;
  additionalWeightGrams: number;
  additionalFee: number;
  /** Added for a destination in a remote province (`REMOTE_PROVINCES`). */
  remoteSurcharge: number;
}

/**
 * One carrier as routing (freight) and shipments read it — the seam agreed in `/work/wt/SEAMS.md`:
 * `code`, `name`, `serviceRegions`, `excludedRegions`, `slaHours`, `available`, `costRank`; the rest is
 * what shipments itself needs.
 */
export interface CarrierInfo {
  code: CarrierCode;
  name: string;
  names: { "zh-CN": string; en: string };
  service: "express" | "ems" | "standard_mail";
  /** GB/T 2260 region codes served (a province code covers its cities); `["*"]` = everywhere. */
  serviceRegions: string[];
  /** Regions explicitly not served (checked before `serviceRegions`). */
  excludedRegions: string[];
  /** Promised door-to-door hours on a national route (see `routeSlaHours` for the per-route promise). */
  slaHours: number;
  /** False while the carrier is disabled or its circuit breaker is open. */
  available: boolean;
  /** Relative cost rank (lower = cheaper), a routing tie-breaker. */
  costRank: number;
  /** Tracking pushed by signed webhooks (`true`) or polled (`false`, e.g. standard mail). */
  push: boolean;
  /** Parcels handed over after this time (Asia/Shanghai, `HH:MM`) are picked up the next day. */
  pickupCutoff: string;
  rateCard: RateCard;
}

export interface CarrierCatalogue {
  list(): Promise<CarrierInfo[]>;
}

const everywhere = { serviceRegions: ["*"], excludedRegions: [] as string[], available: true };

/** The fresh-install catalogue: the three simulated carriers, enabled for every region. */
export const DEFAULT_CARRIERS: readonly CarrierInfo[] = Object.freeze([
  {
    code: "express",
    name: "Express",
    names: { "zh-CN": "快递", en: "Express" },
    service: "express",
    ...everywhere,
    slaHours: 48,
    costRank: 2,
    push: true,
    pickupCutoff: "18:00",
    rateCard: {
      firstWeightGrams: 1_000,
      firstFee: 1_200,
      additionalWeightGrams: 1_000,
      additionalFee: 500,
      remoteSurcharge: 1_000,
    },
  },
  {
    code: "ems",
    name: "EMS",
    names: { "zh-CN": "邮政EMS", en: "EMS" },
    service: "ems",
    ...everywhere,
    slaHours: 72,
    costRank: 3,
    push: true,
    pickupCutoff: "16:00",
    rateCard: {
      firstWeightGrams: 500,
      firstFee: 2_000,
      additionalWeightGrams: 500,
      additionalFee: 600,
      remoteSurcharge: 0,
    },
  },
  {
    code: "mail",
    name: "Standard mail",
    names: { "zh-CN": "邮政平邮", en: "Standard mail" },
    service: "standard_mail",
    ...everywhere,
    slaHours: 120,
    costRank: 1,
    push: false,
    pickupCutoff: "15:00",
    rateCard: {
      firstWeightGrams: 1_000,
      firstFee: 600,
      additionalWeightGrams: 1_000,
      additionalFee: 300,
      remoteSurcharge: 500,
    },
  },
] satisfies CarrierInfo[]);

export function defaultCarrier(code: string): CarrierInfo | undefined {
  return DEFAULT_CARRIERS.find((c) => c.code === code);
}

/** Whether the carrier serves a GB/T 2260 region code (exclusions first; a province covers its cities). */
export function servesRegion(info: Pick<CarrierInfo, "serviceRegions" | "excludedRegions">, region: string) {
  const province = provinceOf(region);
  const matches = (code: string) => code === region || (province !== undefined && code === province);
  if (info.excludedRegions.some(matches)) return false;
  return info.serviceRegions.includes("*") || info.serviceRegions.some(matches);
}

/**
 * The promise of a route in hours: the carrier's national figure; half of it inside one province;
 * one more day to or from a remote province.
 *
 * @example routeSlaHours(express, "310000", "330000") // 48
 */
export function routeSlaHours(info: Pick<CarrierInfo, "slaHours">, from: string | null, to: string | null) {
  const a = from ? provinceOf(from) : undefined;
  const b = to ? provinceOf(to) : undefined;
  if (a !== undefined && a === b) return Math.max(12, Math.round(info.slaHours / 2));
  if ((a && REMOTE_PROVINCES.has(a)) || (b && REMOTE_PROVINCES.has(b))) return info.slaHours + 24;
  return info.slaHours;
}

/** The carrier's fee for one parcel by its rate card (a started additional step is charged in full). */
export function rateFor(card: RateCard, weightGrams: number, to: string | null): number {
  const extra = Math.max(0, weightGrams - card.firstWeightGrams);
  const steps = Math.ceil(extra / card.additionalWeightGrams);
  const province = to ? provinceOf(to) : undefined;
  const remote = province !== undefined && REMOTE_PROVINCES.has(province) ? card.remoteSurcharge : 0;
  return card.firstFee + steps * card.additionalFee + remote;
}

/**
 * The catalogue routing reads (`CarrierCatalogue`, the seam in SEAMS.md): the fresh-install carriers,
 * each `available` as `availability(code)` says (shipments passes its circuit breakers' state in node/).
 */
export function carrierCatalogue(
  availability: (code: CarrierCode) => boolean = () => true,
): CarrierCatalogue {
  return {
    list: async () =>
      DEFAULT_CARRIERS.map((c) => ({
        ...c,
        serviceRegions: [...c.serviceRegions],
        excludedRegions: [...c.excludedRegions],
        available: c.available && availability(c.code),
      })),
  };
}
