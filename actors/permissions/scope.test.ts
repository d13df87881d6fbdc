import { expect, test } from "bun:test";
import { orderInScope, scopeFor, warehouseInScope } from "./scope.ts";

const order = (warehouses: string[], region: string) => ({
  warehouses,
  region,
  channel: "web",
  createdBy: "x",
});

test("scopeFor: unscoped wins, one scope is itself, equal scopes collapse, different scopes stay apart", () => {
  const wh1 = { role: "a", permissions: ["order:read"], scope: { warehouses: ["WH1"] } };
  const wh1Again = { role: "b", permissions: ["order:*"], scope: { warehouses: ["WH1"] } };
  const open = { role: "c", permissions: ["order:read"] };
  const other = { role: "d", permissions: ["inventory:read"], scope: { warehouses: ["WH9"] } };
  expect(scopeFor({ username: "u", permissions: [] }, "order:read")).toBeNull();
  expect(scopeFor({ username: "u", permissions: [], grants: [wh1, open] }, "order:read")).toBeNull();
  expect(scopeFor({ username: "u", permissions: [], grants: [wh1, other] }, "order:read")).toEqual({
    warehouses: ["WH1"],
  });
  expect(scopeFor({ username: "u", permissions: [], grants: [wh1, wh1Again] }, "order:read")).toEqual({
    warehouses: ["WH1"],
  });
});

test("two differently scoped roles grant each one's combination, never a cross of them", () => {
  const scope = scopeFor(
    {
      username: "u",
      permissions: [],
      grants: [
        { role: "a", permissions: ["order:read"], scope: { warehouses: ["WH1"], regions: ["Beijing"] } },
        { role: "b", permissions: ["order:read"], scope: { warehouses: ["WH2"], regions: ["Shanghai"] } },
      ],
    },
    "order:read",
  );
  expect(orderInScope(scope, order(["WH1"], "Beijing"), "u")).toBe(true);
  expect(orderInScope(scope, order(["WH2"], "Shanghai"), "u")).toBe(true);
  expect(orderInScope(scope, order(["WH1"], "Shanghai"), "u")).toBe(false);
  expect(orderInScope(scope, order(["WH2"], "Beijing"), "u")).toBe(false);
  expect(warehouseInScope(scope, "WH1")).toBe(true);
  expect(warehouseInScope(scope, "WH2")).toBe(true);
  expect(warehouseInScope(scope, "WH3")).toBe(false);
});
