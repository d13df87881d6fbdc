/**
 * Review routes over in-memory ports: the order is read from its actor (consistently, never the read
 * model), refusals come before anything is stored, and the caller is recorded. The Postgres store, a
 * real completed order and concurrent moderators are covered in tests/reviews.test.ts.
 */
import { expect, test } from "bun:test";
import { fakeGateway } from "../testing.ts";

const PROBLEMS = "https://business-hub.dev/problems/";
const send = (method: string, body: unknown, headers: Record<string, string>) => ({
  method,
  headers: { "content-type": "application/json", ...headers },
  body: JSON.stringify(body),
});

function gateway(orderStatus = "completed") {
  const gw = fakeGateway();
  gw.actors.respond = (sent) =>
    sent.kind === "order" && sent.id === "O-1"
      ? {
          ok: true,
          value: { orderId: "O-1", status: orderStatus, userId: "buyer-1", lines: [{ sku: "SKU-1" }] },
        }
      : { ok: false, error: { kind: "not_found", message: `no order ${sent.id}` } };
  return gw;
}
const review = { orderId: "O-1", sku: "SKU-1", rating: 5, text: "很好" };

test("review routes - a line of a completed order becomes a pending review by the order's buyer", async () => {
  const gw = gateway();
  const auth = await gw.bearer(["review:write"], "storefront");
  const res = await gw.app.request("/v1/reviews", send("POST", review, auth));
  expect(res.status).toBe(201);
  expect(await res.json()).toMatchObject({ status: "pending", userId: "buyer-1", createdBy: "storefront" });
  // The order was read from its actor, read-only.
  expect(gw.actors.sent.map((s) => [s.kind, s.id, s.cmd.type, s.options.readOnly])).toEqual([
    ["order", "O-1", "get", true],
  ]);
  expect(gw.reviews.audit).toEqual([{ action: "review.create", target: "review/R-1", by: "storefront" }]);
});

test("review routes - refusals: order state, line, buyer, blocked word, unknown order; nothing stored", async () => {
  const shipped = gateway("shipped");
  const auth = await shipped.bearer(["review:write"]);
  const early = await shipped.app.request("/v1/reviews", send("POST", review, auth));
  expect(early.status).toBe(409);
  expect(await early.json()).toMatchObject({
    type: `${PROBLEMS}order-not-completed`,
    field: "orderId",
    orderStatus: "shipped",
  });

  const gw = gateway();
  const writer = await gw.bearer(["review:write"]);
  const cases: Array<[Record<string, unknown>, number, string, string]> = [
    [{ sku: "SKU-2" }, 409, "not-an-order-line", "sku"],
    [{ userId: "buyer-2" }, 403, "forbidden", "userId"],
    [{ orderId: "O-2" }, 404, "not-found", "orderId"],
    [{ text: "加微信领红包" }, 422, "blocked-word", "text"],
    [{ text: "bad\u0000" }, 400, "validation", "text"],
    [{ rating: 6 }, 400, "validation", "rating"],
  ];
  await gw.reviews.setBlockedWords(["微信"], undefined, { by: "ops", requestId: "r" });
  for (const [change, status, type, field] of cases) {
    const res = await gw.app.request("/v1/reviews", send("POST", { ...review, ...change }, writer));
    expect({ change, status: res.status }).toEqual({ change, status });
    expect(await res.json()).toMatchObject({ type: `${PROBLEMS}${type}`, field });
  }
  expect(gw.reviews.reviews).toEqual([]);
});

test("review routes - permissions: posting, moderating and changing blocked words are separate", async () => {
  const gw = gateway();
  const reader = await gw.bearer(["review:read"], "reader");
  expect((await gw.app.request("/v1/reviews", send("POST", review, reader))).status).toBe(403);
  const writer = await gw.bearer(["review:write"], "writer");
  const created = (await (await gw.app.request("/v1/reviews", send("POST", review, writer))).json()) as {
    id: string;
  };
  const approve = send("POST", { decision: "approve" }, writer);
  expect((await gw.app.request(`/v1/reviews/${created.id}/moderation`, approve)).status).toBe(403);
  expect((await gw.app.request("/v1/reviews/blocked-words", send("PUT", { words: [] }, reader))).status).toBe(
    403,
  );
  const moderator = await gw.bearer(["review:moderate"], "moderator");
  const decided = await gw.app.request(
    `/v1/reviews/${created.id}/moderation`,
    send("POST", { decision: "approve" }, moderator),
  );
  expect(decided.status).toBe(200);
  expect(await decided.json()).toMatchObject({ status: "approved", moderatedBy: "moderator" });
});
