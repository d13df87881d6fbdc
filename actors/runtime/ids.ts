import { randomBytes } from "node:crypto";

/**
 * Unique ids without a random draw per id: a random prefix per generator (96 bits, so two processes
 * never share one) and a counter after it. Used where an id only has to be unique (command ids the
 * client invents for internal retries, request ids), on paths that make one per request.
 * @example
 * const next = idGenerator(); next() // → "q3Zk…-1", then "q3Zk…-2"
 */
export function idGenerator(): () => string {
  const prefix = randomBytes(12).toString("base64url");
  let counter = 0;
  return () => `${prefix}-${(++counter).toString(36)}`;
}
