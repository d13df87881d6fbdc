import { expect, test } from "bun:test";
import { DomainError } from "../actors/runtime/index.ts";
import { fakeGateway } from "./testing.ts";

test("gateway kit - a domain refusal thrown before any actor answers (an invalid actor id) is a 4xx problem, not a 500", async () => {
  const gw = fakeGateway();
  gw.actors.respond = (sent) => {
    throw new DomainError("invalid", `invalid id: ${sent.id}`, { field: "id" });
  };
  const res = await gw.app.request("/v1/inventory/SKU-1", { headers: await gw.bearer(["inventory:read"]) });
  expect(res.status).toBe(422);
  expect(res.headers.get("content-type")).toBe("application/problem+json");
  expect(await res.json()).toMatchObject({
    type: "https://business-hub.dev/problems/validation",
    field: "id",
  });
});
