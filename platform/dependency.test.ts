import { expect, test } from "bun:test";
import { isStrayConnectionError } from "./dependency.ts";

const withCode = (message: string, fields: Record<string, string>) =>
  Object.assign(new Error(message), fields);

test("dependency - a lost connection that reached no handler is a dependency fault, anything else is a bug", () => {
  // Bun's net reports a reset after the client let go of the socket.
  expect(isStrayConnectionError(withCode("reset", { code: "ECONNRESET", syscall: "read" }))).toBe(true);
  // postgres.js rejects queries still queued on a closing connection, also ones nobody awaits anymore.
  expect(
    isStrayConnectionError(withCode("write CONNECTION_CLOSED 127.0.0.1:5432", { code: "CONNECTION_CLOSED" })),
  ).toBe(true);
  // The original postgres.js crash (a TypeError from a null socket) must still stop the process.
  expect(isStrayConnectionError(new TypeError("null is not an object (evaluating 'socket.write')"))).toBe(
    false,
  );
  expect(isStrayConnectionError(withCode("reset", { code: "ECONNRESET" }))).toBe(false);
  expect(isStrayConnectionError({ code: "CONNECTION_CLOSED" })).toBe(false);
  expect(isStrayConnectionError(undefined)).toBe(false);
});
