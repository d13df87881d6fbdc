/**
 * Refusals of the catalogue store, in a module without drivers so the gateway can recognise them:
 * `not-found` (404), `conflict` (409: the state does not allow it, e.g. a cycle, a category in use, an
 * SKU of another product) and `invalid` (422: a value refers to something wrong, e.g. an unknown category
 * or a spec value the template does not allow). `field` is the request field at fault.
 */
export class CatalogueError extends Error {
  readonly code: "not-found" | "conflict" | "invalid";
  readonly field: string | undefined;
  constructor(code: CatalogueError["code"], message: string, field?: string) {
    super(message);
    this.name = "CatalogueError";
    this.code = code;
    this.field = field;
  }
}
