import { expect, test } from "bun:test";
import { MemoryRateLimiter } from "../gateway/testing.ts";
import { PaymentRiskRulesCheck } from "./payment-risk.ts";

const rules = { maxAmount: 1_000, maxPerUserPerHour: 2, blacklist: new Set(["mallory"]) };

test("payment risk - blocked users and amounts over the limit are refused before velocity counts them", async () => {
  const limiter = new MemoryRateLimiter();
  const risk = new PaymentRiskRulesCheck(rules, limiter, () => 0);
  expect(await risk.assess({ userId: "mallory", amount: 1 })).toEqual({
    allowed: false,
    reason: "blacklist",
  });
  expect(await risk.assess({ userId: "u1", amount: 1_001 })).toEqual({
    allowed: false,
    reason: "amount",
    limit: 1_000,
  });
  expect(limiter.hits.size).toBe(0);
});

test("payment risk - velocity counts per user per clock hour and resets in the next hour", async () => {
  const limiter = new MemoryRateLimiter();
  let now = 5 * 3_600_000 + 10;
  const risk = new PaymentRiskRulesCheck(rules, limiter, () => now);
  expect(await risk.assess({ userId: "u1", amount: 1_000 })).toEqual({ allowed: true });
  expect(await risk.assess({ userId: "u1", amount: 1 })).toEqual({ allowed: true });
  expect(await risk.assess({ userId: "u2", amount: 1 })).toEqual({ allowed: true });
  expect(await risk.assess({ userId: "u1", amount: 1 })).toEqual({
    allowed: false,
    reason: "velocity",
    retryAfterSeconds: 3600,
  });
  expect(limiter.hits.get("payvel:u1:5")).toBe(3);
  now += 3_600_000;
  expect(await risk.assess({ userId: "u1", amount: 1 })).toEqual({ allowed: true });
});
