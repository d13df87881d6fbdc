import { expect, test } from "bun:test";
import { type AccountState, TokenService } from "./auth.ts";
import { ProblemError } from "./problem.ts";

const SECRET = "unit-secret-unit-secret-unit-secret-0123456789";

function accounts() {
  const state = new Map<string, AccountState>([
    ["ann", { roles: ["viewer"], permissions: ["inventory:read"], disabled: false, tokenVersion: 0 }],
  ]);
  let reads = 0;
  let failing = false;
  return {
    state,
    reads: () => reads,
    fail: (on: boolean) => {
      failing = on;
    },
    source: {
      account: async (username: string) => {
        reads++;
        if (failing) throw new Error("database down");
        return state.get(username);
      },
    },
  };
}

async function refusal(promise: Promise<unknown>): Promise<ProblemError> {
  const error = await promise.then(
    () => undefined,
    (e) => e,
  );
  if (!(error instanceof ProblemError)) throw new Error(`expected a problem, got ${String(error)}`);
  return error;
}

test("tokens - permissions come from the account's current roles, not from the token", async () => {
  const a = accounts();
  const tokens = new TokenService(SECRET, 60_000, a.source, { cacheMs: 0 });
  const { token } = await tokens.issue({ username: "ann", tokenVersion: 0 });
  expect((await tokens.check(token)).permissions).toEqual(["inventory:read"]);
  a.state.set("ann", { ...a.state.get("ann")!, roles: ["admin"], permissions: ["*"] });
  expect((await tokens.check(token)).permissions).toEqual(["*"]);
});

test("tokens - a bumped token version or a disabled user is 401 unauthorized once the cache expires", async () => {
  const a = accounts();
  const tokens = new TokenService(SECRET, 60_000, a.source, { cacheMs: 50 });
  const { token } = await tokens.issue({ username: "ann", tokenVersion: 0 });
  await tokens.check(token);
  a.state.set("ann", { ...a.state.get("ann")!, tokenVersion: 1 });
  await new Promise((r) => setTimeout(r, 60));
  const revoked = await refusal(tokens.check(token));
  expect([revoked.status, revoked.slug, revoked.message]).toEqual([401, "unauthorized", "token revoked"]);

  a.state.set("ann", { ...a.state.get("ann")!, tokenVersion: 0, disabled: true });
  tokens.forget("ann");
  const disabled = await refusal(tokens.check(token));
  expect([disabled.status, disabled.message]).toEqual([401, "user is disabled"]);
});

test("tokens - the account is read once per cache interval, not once per request", async () => {
  const a = accounts();
  const tokens = new TokenService(SECRET, 60_000, a.source, { cacheMs: 10_000 });
  const { token } = await tokens.issue({ username: "ann", tokenVersion: 0 });
  await Promise.all(Array.from({ length: 50 }, () => tokens.check(token)));
  expect(a.reads()).toBe(1);
});

test("tokens - while the user store is down the last known state is used", async () => {
  const a = accounts();
  const tokens = new TokenService(SECRET, 60_000, a.source, { cacheMs: 0 });
  const { token } = await tokens.issue({ username: "ann", tokenVersion: 0 });
  await tokens.check(token);
  a.fail(true);
  expect((await tokens.check(token)).username).toBe("ann");
  const unknown = await tokens.issue({ username: "bob", tokenVersion: 0 });
  const problem = await refusal(tokens.check(unknown.token));
  expect([problem.status, problem.slug]).toEqual([503, "unavailable"]);
});
