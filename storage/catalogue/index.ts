export { CatalogueReads } from "./reads.ts";
