import { z } from "zod";
import { idPattern } from "../runtime/index.ts";

/** Ids a client may send: at most 64 characters, leaving room for ids actors derive from them. */
export const ID_MAX_LENGTH = 64;
export const ID_PATTERN = idPattern(ID_MAX_LENGTH);

/**
 * Codes for SKUs, warehouses, orders, users, campaigns and payments: safe as subject tokens and URL
 * segments. The one id rule of the project (the runtime's `idPattern`), bounded for client input.
 */
export const idSchema = z.string().regex(ID_PATTERN, "use 1–64 letters, digits, '_', ':' or '-'");

export function isValidId(value: string): boolean {
  return ID_PATTERN.test(value);
}
