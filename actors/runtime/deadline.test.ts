import { expect, test } from "bun:test";
import { DeadlineError, withDeadline } from "./deadline.ts";

test("deadline - an answer in time wins; a late one is ignored and the call rejects with DeadlineError", async () => {
  expect(await withDeadline(Promise.resolve(7), 50, "quick")).toBe(7);
  let late: (v: number) => void = () => undefined;
  const slow = withDeadline(new Promise<number>((r) => (late = r)), 20, "slow call");
  const error = await slow.catch((e: unknown) => e);
  expect(error).toBeInstanceOf(DeadlineError);
  expect((error as Error).message).toBe("slow call took longer than 20 ms");
  late(1); // nothing happens: the caller already has its answer
  await expect(withDeadline(Promise.reject(new Error("boom")), 50, "failing")).rejects.toThrow("boom");
});

test("deadline - the expiry error can be the caller's own (platform/dependency names the dependency)", async () => {
  class Unavailable extends Error {}
  const error = await withDeadline(new Promise(() => undefined), 10, "ping", {
    expired: (message) => new Unavailable(message),
  }).catch((e: unknown) => e);
  expect(error).toBeInstanceOf(Unavailable);
  expect((error as Error).message).toBe("ping took longer than 10 ms");
});
