import { randomBytes } from "node:crypto";
import type { Context } from "hono";
import {
  type ExperimentRecord,
  experimentDefinitionSchema,
  isLive,
  readout,
} from "../../actors/cms/index.ts";
import type { GatewayKit } from "../app.ts";
import { type ExperimentStore, NO_EXPERIMENTS } from "../cms-experiment-ports.ts";
import { pagedRead } from "../cursor.ts";
import type { AuditLog, RateLimiter } from "../ports.ts";
import { ProblemError } from "../problem.ts";
import { codeSchema } from "../schemas.ts";
import { parseBody, parseParam, parseQuery } from "../validate.ts";
import { type ExperimentEventLimits, experimentEventRoutes } from "./cms-experiment-events.ts";
import {
  createExperimentBody,
  experimentList,
  experimentListQuery,
  experimentReadout,
  experimentView,
} from "./cms-experiment-schemas.ts";
import { previewRoutes } from "./cms-preview.ts";

export interface ExperimentRouteDeps {
  experiments: ExperimentStore;
  audit: AuditLog;
}

const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());

export function experimentViewOf(e: ExperimentRecord, now = Date.now()) {
  return {
    id: e.id,
    slug: e.slug,
    name: e.name,
    variants: e.variants,
    status: e.status,
    live: isLive(e, now),
    startAt: iso(e.startAt),
    stopAt: iso(e.stopAt),
    createdAt: e.createdAt,
    createdBy: e.createdBy,
    startedAt: e.startedAt,
    stoppedAt: e.stoppedAt,
  };
}

/**
 * A/B experiments on CMS pages (decision 0038): define, start, stop, read out (two-proportion test per
 * variant against the control). The storefront's event endpoint is `cms-experiment-events.ts`.
 * Assignment is a pure hash of (experiment, visitor): see `actors/cms/experiment.ts`.
 */
export function experimentRoutes(deps: ExperimentRouteDeps) {
  return (kit: GatewayKit) => {
    const { define } = kit;
    const idOf = (c: Context) => parseParam(c.req.param("id"), codeSchema, "id");
    const audit = (c: Context, action: string, id: string, detail: Record<string, unknown>) =>
      deps.audit.record({
        principal: kit.meta(c).by ?? "anonymous",
        action,
        target: `cms-experiment/${id}`,
        requestId: kit.requestId(c),
        detail,
      });
    const found = async (id: string) => {
      const e = await deps.experiments.get(id);
      if (!e) throw new ProblemError(404, "not-found", `no experiment ${id}`);
      return e;
    };

    define(
      {
        method: "post",
        path: "/v1/cms/experiments",
        summary:
          "Define an A/B experiment on a page (a draft): variants with weights (the first is the control), each a saved version or the published one",
        tag: "CMS",
        permission: "cms:write",
        body: createExperimentBody,
        response: { status: 201, schema: experimentView, description: "The experiment (draft)" },
      },
      async (c) => {
        const body = await parseBody(c, createExperimentBody);
        const parsed = experimentDefinitionSchema.safeParse({
          ...body,
          startAt: body.startAt === undefined ? undefined : Date.parse(body.startAt),
          stopAt: body.stopAt === undefined ? undefined : Date.parse(body.stopAt),
        });
        if (!parsed.success) {
          const issue = parsed.error.issues[0]!;
          throw new ProblemError(422, "validation", issue.message, { field: issue.path.join(".") });
        }
        const def = parsed.data;
        // Every variant's version must be one the page has.
        let versions: Set<number>;
        try {
          const page = await kit.read<{ items: Array<{ version: number }> }>(c, "cms-page", def.slug);
          versions = new Set(page.items.map((i) => i.version));
        } catch (error) {
          if (error instanceof ProblemError && error.status === 404)
            throw new ProblemError(422, "validation", `no page ${def.slug}`, { field: "slug" });
          throw error;
        }
        def.variants.forEach((v, i) => {
          if (v.version !== undefined && !versions.has(v.version))
            throw new ProblemError(422, "validation", `page ${def.slug} has no version ${v.version}`, {
              field: `variants.${i}.version`,
            });
        });
        const by = kit.meta(c).by ?? "anonymous";
        if (!(await deps.experiments.create(def, by)))
          throw new ProblemError(409, "conflict", `experiment ${def.id} exists already`, { field: "id" });
        await audit(c, "cms.experiment.create", def.id, { slug: def.slug, variants: def.variants });
        return c.json(experimentViewOf((await deps.experiments.get(def.id))!), 201);
      },
    );
    define(
      {
        method: "get",
        path: "/v1/cms/experiments",
        summary: "Experiments, newest first (optionally of one page)",
        tag: "CMS",
        permission: "cms:read",
        query: experimentListQuery,
        response: { status: 200, schema: experimentList, description: "A page of experiments" },
      },
      async (c) => {
        const q = parseQuery(c, experimentListQuery);
        const page = await pagedRead(() =>
          deps.experiments.list({
            limit: q.limit,
            ...(q.cursor ? { cursor: q.cursor } : {}),
            ...(q.slug ? { slug: q.slug } : {}),
          }),
        );
        return c.json({ items: page.items.map((e) => experimentViewOf(e)), nextCursor: page.nextCursor });
      },
    );
    define(
      {
        method: "get",
        path: "/v1/cms/experiments/:id",
        summary:
          "An experiment with its readout: per variant exposures, clicks, rate and a two-proportion z-test against the control",
        tag: "CMS",
        permission: "cms:read",
        response: { status: 200, schema: experimentReadout, description: "The experiment and its results" },
      },
      async (c) => {
        const e = await found(idOf(c));
        const counts = await deps.experiments.counts(e.id);
        return c.json({ ...experimentViewOf(e), results: readout(e.variants, counts) });
      },
    );
    for (const action of ["start", "stop"] as const) {
      define(
        {
          method: "post",
          path: `/v1/cms/experiments/:id/${action}`,
          summary:
            action === "start"
              ? "Start an experiment: visitors of its page get their variant (one running experiment per page)"
              : "Stop an experiment: its page is served as published again; its counts stay for the readout",
          tag: "CMS",
          permission: "cms:write",
          response: { status: 200, schema: experimentView, description: "The experiment now" },
        },
        async (c) => {
          const id = idOf(c);
          const outcome =
            action === "start" ? await deps.experiments.start(id) : await deps.experiments.stop(id);
          if (outcome === "not-found") throw new ProblemError(404, "not-found", `no experiment ${id}`);
          if (outcome === "stopped" && action === "start")
            throw new ProblemError(409, "conflict", `experiment ${id} was stopped; define a new one`, {
              reason: "stopped",
            });
          if (outcome === "page-busy")
            throw new ProblemError(
              409,
              "conflict",
              "another experiment is running on this page; stop it first",
              {
                reason: "page-busy",
              },
            );
          const e = await found(id);
          if (outcome !== "unchanged") await audit(c, `cms.experiment.${action}`, id, { slug: e.slug });
          return c.json(experimentViewOf(e));
        },
      );
    }
  };
}

/** The experiment and preview routes with their defaults (decision 0038). */
export function experimentAndPreviewRoutes(ports: {
  experiments?: ExperimentStore;
  experimentLimits?: ExperimentEventLimits;
  previewKey?: Uint8Array;
  audit: AuditLog;
  limiter: RateLimiter;
  payments: { publicUrl: string };
}) {
  const experiments = ports.experiments ?? NO_EXPERIMENTS;
  return [
    experimentRoutes({ experiments, audit: ports.audit }),
    experimentEventRoutes({ ...ports, experiments }),
    previewRoutes({
      previewKey: ports.previewKey ?? randomBytes(32),
      publicUrl: ports.payments.publicUrl,
      audit: ports.audit,
    }),
  ];
}
