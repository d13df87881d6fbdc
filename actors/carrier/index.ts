/**
 * Carriers (issue 13 item 2): a domain without an actor kind. The catalogue routing reads (the seam in
 * SEAMS.md), rate cards, SLA per route, service areas and provinces (GB/T 2260).
 */

export { CircuitBreaker } from "./breaker.ts";
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
  type CarrierAdapter,
  DEFAULT_RESILIENCE,
  type ResilienceOptions,
  ResilientCarrier,
  SignedCarrierClient,
} from "./client.ts";
export { code128Modules, decodeCode128 } from "./code128.ts";
export { LABEL_LAYOUT, type LabelData, renderLabel } from "./label.ts";
export { decodeGrayPng, encodeGrayPng } from "./png.ts";
export {
  CarrierRejection,
  CarrierUnavailable,
  EXCEPTION_REASONS,
  type ExceptionReason,
  TRACKING_TYPES,
  type TrackingEvent,
  type TrackingType,
  trackingEventSchema,
  type Waybill,
  type WaybillRequest,
  type WebhookBody,
  webhookBodySchema,
} from "./protocol.ts";
export {
  PROVINCES,
  type Province,
  provinceName,
  provinceOf,
  provinceOfRegion,
  REMOTE_PROVINCES,
  regionCodeOf,
} from "./regions.ts";
export { SIGNATURE_WINDOW_MS, signRequest, signWebhook, verifyRequest, verifyWebhook } from "./signing.ts";
export {
  CARRIER_FAULTS,
  type CarrierFault,
  type CarrierHttpRequest,
  type CarrierHttpResponse,
  type CarrierKey,
  type CarrierKeys,
  type CarrierTransport,
  generateCarrierKeys,
  isWaybillNumber,
  MemorySimulatorStore,
  pickupTime,
  SimulatedCarrier,
  type SimulatorStore,
  s10CheckDigit,
  WAYBILL_RANGES,
  waybillNumber,
} from "./simulator.ts";
