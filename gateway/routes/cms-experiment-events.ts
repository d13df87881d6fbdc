import type { Context } from "hono";
import { assignVariant, isLive } from "../../actors/cms/index.ts";
import type { GatewayKit } from "../app.ts";
import type { ExperimentStore } from "../cms-experiment-ports.ts";
import type { RateLimiter } from "../ports.ts";
import { ProblemError } from "../problem.ts";
import { codeSchema } from "../schemas.ts";
import { parseBody, parseParam } from "../validate.ts";
import { clientAddress } from "./auth.ts";
import { experimentEventBody, experimentEventReply } from "./cms-experiment-schemas.ts";

/** Events one visitor may send per experiment per window, and one client address per window. */
export interface ExperimentEventLimits {
  perVisitor: number;
  perAddress: number;
  windowSeconds: number;
}
export const EXPERIMENT_EVENT_LIMITS: ExperimentEventLimits = {
  perVisitor: 30,
  perAddress: 5_000,
  windowSeconds: 10,
};

/**
 * The storefront's public A/B event endpoint (decision 0038): an exposure or a click of a visitor, the
 * variant computed here from the visitor id (never taken from the client), counted once per visitor,
 * rate-limited per visitor and per client address.
 */
export function experimentEventRoutes(deps: {
  experiments: ExperimentStore;
  limiter: RateLimiter;
  experimentLimits?: ExperimentEventLimits;
}) {
  const limits = deps.experimentLimits ?? EXPERIMENT_EVENT_LIMITS;
  return (kit: GatewayKit) => {
    const { define } = kit;
    const idOf = (c: Context) => parseParam(c.req.param("id"), codeSchema, "id");
    define(
      {
        method: "post",
        path: "/v1/content/experiments/:id/events",
        summary:
          "PUBLIC: the storefront reports an exposure or a click of a visitor (counted once per visitor; rate-limited)",
        tag: "CMS",
        public: true,
        body: experimentEventBody,
        response: { status: 200, schema: experimentEventReply, description: "Recorded" },
      },
      async (c) => {
        const id = idOf(c);
        const body = await parseBody(c, experimentEventBody);
        const [perVisitor, perAddress] = await Promise.all([
          deps.limiter.hit(`cmsexp:v:${id}:${body.visitorId}`, limits.windowSeconds),
          deps.limiter.hit(`cmsexp:a:${clientAddress(c)}`, limits.windowSeconds),
        ]);
        if (perVisitor > limits.perVisitor || perAddress > limits.perAddress)
          throw new ProblemError(
            429,
            "rate-limited",
            `too many experiment events; at most ${limits.perVisitor} per visitor per ${limits.windowSeconds} s`,
            {},
            limits.windowSeconds,
          );
        const e = await deps.experiments.get(id);
        if (!e) throw new ProblemError(404, "not-found", `no experiment ${id}`);
        if (!isLive(e, Date.now()))
          throw new ProblemError(409, "experiment-not-running", `experiment ${id} is ${e.status}`, {
            status: e.status,
          });
        const variant = assignVariant(e.id, e.variants, body.visitorId).key;
        const counted = await deps.experiments.record(e, body.visitorId, variant, body.type);
        return c.json({ experiment: e.id, variant, type: body.type, counted });
      },
    );
  };
}
