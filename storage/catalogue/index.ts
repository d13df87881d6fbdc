export { CatalogueError } from "./errors.ts";
export { CatalogueReads } from "./reads.ts";
export { MAX_CATEGORIES, PostgresCatalogue } from "./store.ts";
