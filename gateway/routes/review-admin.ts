import { normaliseBlockedWords } from "../../actors/review/index.ts";
import type { GatewayKit } from "../app.ts";
import type { ReviewStore } from "../ports.ts";
import { ProblemError } from "../problem.ts";
import { codeSchema } from "../schemas.ts";
import { parseBody, parseParam } from "../validate.ts";
import { blockedWordsBody, blockedWordsSchema, ratingSchemaOut } from "./review-schemas.ts";

/** The blocked-word list operators maintain, and rating statistics per SPU (decision 0016). */
export function reviewAdminRoutes(deps: { reviews: ReviewStore }) {
  return (kit: GatewayKit) => {
    const { define } = kit;

    define(
      {
        method: "get",
        path: "/v1/reviews/blocked-words",
        summary: "The blocked-word list (in matching form: NFKC, lower case) and its version",
        tag: "Reviews",
        permission: "review:read",
        response: { status: 200, schema: blockedWordsSchema, description: "The list" },
      },
      async (c) => c.json(await deps.reviews.blockedWords()),
    );

    define(
      {
        method: "put",
        path: "/v1/reviews/blocked-words",
        summary: "Replace the blocked-word list; reviews whose text contains one are refused (422)",
        tag: "Reviews",
        permission: "review:moderate",
        body: blockedWordsBody,
        response: { status: 200, schema: blockedWordsSchema, description: "The list now in force" },
      },
      async (c) => {
        const body = await parseBody(c, blockedWordsBody);
        const normalised = normaliseBlockedWords(body.words);
        if (!normalised.ok) {
          throw new ProblemError(400, "validation", "a word is too long once normalised (NFKC)", {
            field: `words.${normalised.index}`,
          });
        }
        const result = await deps.reviews.setBlockedWords(normalised.words, body.version, kit.meta(c));
        if (!result.ok) {
          throw new ProblemError(
            409,
            "conflict",
            "the list changed since that version; GET it and edit again",
            {
              field: "version",
              version: result.current.version,
            },
          );
        }
        return c.json(result.list);
      },
    );

    define(
      {
        method: "get",
        path: "/v1/products/:spuCode/rating",
        summary: "An SPU's rating over its approved reviews: count, average, histogram 1–5",
        tag: "Reviews",
        permission: "review:read",
        response: { status: 200, schema: ratingSchemaOut, description: "The rating" },
      },
      async (c) => {
        const spuCode = parseParam(c.req.param("spuCode"), codeSchema, "spuCode");
        const rating = await deps.reviews.rating(spuCode);
        if (!rating) throw new ProblemError(404, "not-found", `no product ${spuCode}`);
        return c.json({ spuCode, ...rating });
      },
    );
  };
}
