/**
 * Carriers (issue 13 item 2): a domain without an actor kind. The catalogue routing reads (the seam in
 * SEAMS.md), rate cards, SLA per route, service areas and provinces (GB/T 2260).
 */
export {
  CARRIER_CODES,
  type CarrierCatalogue,
  type CarrierCode,
  type CarrierInfo,
  carrierCatalogue,
  DEFAULT_CARRIERS,
  defaultCarrier,
  isCarrierCode,
  type RateCard,
  rateFor,
  routeSlaHours,
  servesRegion,
} from "./catalogue.ts";
export {
  PROVINCES,
  type Province,
  provinceName,
  provinceOf,
  provinceOfRegion,
  REMOTE_PROVINCES,
} from "./regions.ts";
