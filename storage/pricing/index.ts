export { PostgresPriceRules } from "./price-rules.ts";
