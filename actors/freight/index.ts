/**
 * Freight and routing (issue 13 items 1 and 3, decision 0028): freight templates by destination region
 * (GB/T 2260), the routing of an order to warehouse(s) and carriers with readable reasons, and the
 * carrier-catalogue seam. Pure functions: the gateway reads the inputs, the order actor stores the result.
 */
export {
  type CarrierCatalogue,
  type CarrierInfo,
  type RoutingCarrier,
  serves,
  slaOnRoute,
} from "./carriers.ts";
export {
  areaOf,
  covers,
  distance,
  distanceName,
  isRegionCode,
  provinceOf,
  regionOfAddress,
  UNKNOWN_DISTANCE,
} from "./regions.ts";
export {
  DEFAULT_ROUTING,
  type RoutedParcel,
  type RouteLine,
  type Routing,
  type RoutingInput,
  type RoutingOptions,
  rechooseCarriers,
  route,
  routedParcelSchema,
  routingSchema,
  UNSERVED,
} from "./routing.ts";
export {
  chargeableUnits,
  type FreightQuote,
  type FreightTemplate,
  type FreightTemplateInput,
  freightOf,
  freightRuleSchema,
  freightTemplateBody,
  type ParcelMeasure,
  ruleFor,
  stepFee,
} from "./template.ts";
