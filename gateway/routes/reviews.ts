import type { Context } from "hono";
import { firstBlockedWord, type ReviewedOrder, reviewableLine } from "../../actors/review/index.ts";
import type { GatewayKit } from "../app.ts";
import { pagedRead } from "../cursor.ts";
import { idempotentCommand } from "../idempotency.ts";
import type { ChangeAudit, ReviewChange, ReviewStore } from "../ports.ts";
import { ProblemError } from "../problem.ts";
import { codeSchema } from "../schemas.ts";
import { idempotencyKey, parseBody, parseParam, parseQuery } from "../validate.ts";
import {
  moderationBody,
  replyBody,
  reviewBody,
  reviewCounts,
  reviewListQuery,
  reviewPage,
  reviewSchema,
} from "./review-schemas.ts";

export interface ReviewRouteDeps {
  reviews: ReviewStore;
}

/** A change the store refused: 404 for an unknown review, 409 with its status otherwise. */
function changed(result: ReviewChange, id: string, what: string) {
  if (result.ok) return result.review;
  if (result.reason === "not-found") throw new ProblemError(404, "not-found", `no review ${id}`);
  throw new ProblemError(409, "conflict", `cannot ${what} a review that is ${result.status}`, {
    reviewStatus: result.status,
  });
}

/**
 * Reviews of completed order lines and their moderation (decision 0016). Blocked words and rating
 * statistics are in `review-admin.ts`.
 */
export function reviewRoutes(deps: ReviewRouteDeps) {
  return (kit: GatewayKit) => {
    const { define } = kit;
    const audit = (c: Context): ChangeAudit => kit.meta(c);
    const reviewId = (c: Context) => parseParam(c.req.param("reviewId"), codeSchema, "reviewId");

    /** The order as its actor has it now (consistent): an unknown order is 404 naming `orderId`. */
    const readOrder = async (c: Context, orderId: string) => {
      try {
        return await kit.read<ReviewedOrder>(c, "order", orderId);
      } catch (error) {
        if (error instanceof ProblemError && error.status === 404)
          throw new ProblemError(404, "not-found", `no order ${orderId}`, { field: "orderId" });
        throw error;
      }
    };

    define(
      {
        method: "post",
        path: "/v1/reviews",
        summary: "Review a line of a completed order (one review per line; starts pending moderation)",
        tag: "Reviews",
        permission: "review:write",
        body: reviewBody,
        idempotencyKey: "optional",
        response: { status: 201, schema: reviewSchema, description: "The review, pending moderation" },
      },
      async (c) => {
        const key = idempotencyKey(c, false);
        const body = await parseBody(c, reviewBody);
        const idempotency = key ? idempotentCommand(c, "review", key, body) : undefined;
        const replay = async (first: { review: unknown; fingerprint: string }) => {
          if (first.fingerprint !== idempotency?.fingerprint) {
            throw new ProblemError(
              422,
              "idempotency-key-reused",
              "this Idempotency-Key was used for a different review",
              { field: "Idempotency-Key" },
            );
          }
          return c.json(first.review, 201);
        };
        // A retry returns the first answer even if the order has moved on since.
        const earlier = idempotency && (await deps.reviews.byIdempotencyKey(idempotency.id));
        if (earlier) return replay(earlier);

        const order = await readOrder(c, body.orderId);
        if (body.userId !== undefined && body.userId !== order.userId)
          throw new ProblemError(403, "forbidden", "the order belongs to another buyer", { field: "userId" });
        const verdict = reviewableLine(order, body.sku);
        if (!verdict.ok && verdict.reason === "order-not-completed") {
          throw new ProblemError(
            409,
            "order-not-completed",
            `order ${body.orderId} is ${verdict.orderStatus}`,
            {
              field: "orderId",
              orderStatus: verdict.orderStatus,
            },
          );
        }
        if (!verdict.ok)
          throw new ProblemError(409, "not-an-order-line", `${body.sku} is not a line of ${body.orderId}`, {
            field: "sku",
          });
        if (firstBlockedWord(body.text, (await deps.reviews.blockedWords()).words) !== undefined)
          throw new ProblemError(422, "blocked-word", "the text contains a blocked word", { field: "text" });

        const result = await deps.reviews.create(
          {
            orderId: body.orderId,
            sku: body.sku,
            userId: order.userId,
            rating: body.rating,
            text: body.text,
            images: body.images,
            ...(idempotency ? { idempotency } : {}),
          },
          audit(c),
        );
        if (result.created) return c.json(result.review, 201);
        if (result.reason === "idempotency-key") return replay(result);
        throw new ProblemError(409, "already-reviewed", `line ${body.sku} of ${body.orderId} has a review`, {
          field: "sku",
        });
      },
    );

    define(
      {
        method: "get",
        path: "/v1/reviews/counts",
        summary: "Reviews per status (pending = waiting for moderation)",
        tag: "Reviews",
        permission: "review:read",
        response: { status: 200, schema: reviewCounts, description: "Counts per status" },
      },
      async (c) => c.json(await deps.reviews.counts()),
    );

    define(
      {
        method: "get",
        path: "/v1/reviews",
        summary: "List reviews (the moderation queue with status=pending), cursor paged",
        tag: "Reviews",
        permission: "review:read",
        query: reviewListQuery,
        response: { status: 200, schema: reviewPage, description: "A page of reviews" },
      },
      async (c) => {
        const { order, cursor, ...q } = parseQuery(c, reviewListQuery);
        const sort = order ?? (q.status === "pending" ? "oldest" : "newest");
        return c.json(
          await pagedRead(() =>
            deps.reviews.list({ ...q, order: sort, ...(cursor !== undefined ? { cursor } : {}) }),
          ),
        );
      },
    );

    define(
      {
        method: "get",
        path: "/v1/reviews/:reviewId",
        summary: "One review",
        tag: "Reviews",
        permission: "review:read",
        response: { status: 200, schema: reviewSchema, description: "The review" },
      },
      async (c) => {
        const id = reviewId(c);
        const review = await deps.reviews.get(id);
        if (!review) throw new ProblemError(404, "not-found", `no review ${id}`);
        return c.json(review);
      },
    );

    define(
      {
        method: "post",
        path: "/v1/reviews/:reviewId/moderation",
        summary: "Approve or reject a pending review (a rejection needs a reason); 409 once decided",
        tag: "Reviews",
        permission: "review:moderate",
        body: moderationBody,
        response: { status: 200, schema: reviewSchema, description: "The review as decided" },
      },
      async (c) => {
        const id = reviewId(c);
        const body = await parseBody(c, moderationBody);
        const result = await deps.reviews.moderate(id, body.decision, body.reason, audit(c));
        return c.json(changed(result, id, body.decision));
      },
    );

    define(
      {
        method: "post",
        path: "/v1/reviews/:reviewId/reply",
        summary: "Reply to a review publicly (replaces an earlier reply); 409 for a rejected review",
        tag: "Reviews",
        permission: "review:moderate",
        body: replyBody,
        response: { status: 200, schema: reviewSchema, description: "The review with its reply" },
      },
      async (c) => {
        const id = reviewId(c);
        const body = await parseBody(c, replyBody);
        return c.json(changed(await deps.reviews.reply(id, body.text, audit(c)), id, "reply to"));
      },
    );
  };
}
