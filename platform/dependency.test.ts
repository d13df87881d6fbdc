import { expect, test } from "bun:test";
import { DependencyUnavailableError, isStrayConnectionError, withDeadline } from "./dependency.ts";

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

test("dependency - a deadline names the dependency; a driver error meaning unavailable is converted, others pass", async () => {
  const slow = await withDeadline("redis", new Promise(() => undefined), 10, "PING").catch((e: unknown) => e);
  expect(slow).toBeInstanceOf(DependencyUnavailableError);
  expect((slow as DependencyUnavailableError).dependency).toBe("redis");
  expect((slow as Error).message).toContain("PING took longer than 10 ms");
  const closed = withCode("write CONNECTION_CLOSED", { code: "CONNECTION_CLOSED" });
  const converted = await withDeadline("postgres", Promise.reject(closed), 1_000).catch((e: unknown) => e);
  expect(converted).toBeInstanceOf(DependencyUnavailableError);
  const bug = new TypeError("a bug");
  expect(await withDeadline("postgres", Promise.reject(bug), 1_000).catch((e: unknown) => e)).toBe(bug);
  expect(await withDeadline("nats", Promise.resolve(3), 1_000)).toBe(3);
});
