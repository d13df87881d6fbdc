import type { Context } from "hono";
import { diffPages } from "../../actors/cms/index.ts";
import type { GatewayKit } from "../app.ts";
import type { ContentCache } from "../cms-ports.ts";
import type { AuditLog } from "../ports.ts";
import { ProblemError } from "../problem.ts";
import { parseBody } from "../validate.ts";
import { cmsPageHelpers } from "./cms-helpers.ts";
import {
  publishBody,
  publishState,
  rollbackBody,
  savedPage,
  savePageBody,
  versionDiff,
  versionList,
  versionView,
} from "./cms-schemas.ts";

export interface CmsRouteDeps {
  contentCache: ContentCache;
  audit: AuditLog;
}

const KIND = "cms-page";
/** CMS pages (issue 14, decision 0031): drafts, versions, publish/rollback, and the public delivery read. */
export function cmsRoutes(deps: CmsRouteDeps) {
  return (kit: GatewayKit) => {
    const { define, command } = kit;
    const { slugOf, commandId, audit } = cmsPageHelpers(kit, deps.audit);
    const versionParam = (c: Context, name: string) => {
      const raw = c.req.param(name) ?? "";
      if (!/^[1-9][0-9]{0,5}$/.test(raw))
        throw new ProblemError(400, "validation", `${name} must be a version number`, { field: name });
      return Number(raw);
    };

    define(
      {
        method: "put",
        path: "/v1/cms/pages/:slug",
        summary:
          "Save a draft: a new version of the page (components validated one by one; rich text sanitised to an allow list)",
        tag: "CMS",
        permission: "cms:write",
        body: savePageBody,
        idempotencyKey: "optional",
        response: { status: 200, schema: savedPage, description: "The version this save made (or matched)" },
      },
      async (c) => {
        const slug = slugOf(c);
        const page = await parseBody(c, savePageBody);
        const saved = await command<{ version: number; created: boolean }>(
          c,
          KIND,
          slug,
          { type: "save", page },
          commandId(c, "cms-save", page),
        );
        await audit(c, "cms.page.save", slug, { version: saved.version, created: saved.created });
        return c.json(saved);
      },
    );
    define(
      {
        method: "get",
        path: "/v1/cms/pages/:slug/versions",
        summary: "A page's versions, newest first, with what is published and scheduled (from its actor)",
        tag: "CMS",
        permission: "cms:read",
        response: { status: 200, schema: versionList, description: "The versions" },
      },
      async (c) => c.json(await kit.read(c, KIND, slugOf(c))),
    );
    define(
      {
        method: "get",
        path: "/v1/cms/pages/:slug/versions/:version",
        summary: "One version of a page with its content (a preview for editors)",
        tag: "CMS",
        permission: "cms:read",
        response: { status: 200, schema: versionView, description: "The version" },
      },
      async (c) => {
        const slug = slugOf(c);
        const version = versionParam(c, "version");
        return c.json(await command(c, KIND, slug, { type: "version", version }, { readOnly: true }));
      },
    );
    define(
      {
        method: "get",
        path: "/v1/cms/pages/:slug/versions/:from/diff/:to",
        summary: "What changed from one version to another: added, removed and changed fields by path",
        tag: "CMS",
        permission: "cms:read",
        response: { status: 200, schema: versionDiff, description: "The changes" },
      },
      async (c) => {
        const slug = slugOf(c);
        const from = versionParam(c, "from");
        const to = versionParam(c, "to");
        const read = (version: number) =>
          command<Record<string, unknown>>(c, KIND, slug, { type: "version", version }, { readOnly: true });
        const [a, b] = await Promise.all([read(from), read(to)]);
        const pick = (v: Record<string, unknown>) => ({
          type: v.type,
          title: v.title,
          components: v.components,
          seo: v.seo ?? {},
        });
        return c.json({ slug, from, to, changes: diffPages(pick(a), pick(b)) });
      },
    );
    define(
      {
        method: "post",
        path: "/v1/cms/pages/:slug/publish",
        summary:
          "Publish a version (default: the latest) now, or at `at` (a scheduled publish on a durable timer)",
        tag: "CMS",
        permission: "cms:write",
        body: publishBody,
        idempotencyKey: "optional",
        response: { status: 200, schema: publishState, description: "What is published and scheduled now" },
      },
      async (c) => {
        const slug = slugOf(c);
        const body = await parseBody(c, publishBody);
        const cmd = {
          type: "publish",
          ...(body.version === undefined ? {} : { version: body.version }),
          ...(body.at === undefined ? {} : { at: new Date(body.at).getTime() }),
        };
        const reply = await command(c, KIND, slug, cmd, commandId(c, "cms-publish", body));
        // Before answering: the next public read anywhere asks the actor (and sees any schedule).
        await deps.contentCache.invalidate(slug);
        await audit(c, "cms.page.publish", slug, { ...body });
        return c.json(reply);
      },
    );
    define(
      {
        method: "post",
        path: "/v1/cms/pages/:slug/rollback",
        summary: "Make an earlier version the published one, now",
        tag: "CMS",
        permission: "cms:write",
        body: rollbackBody,
        idempotencyKey: "optional",
        response: { status: 200, schema: publishState, description: "What is published now" },
      },
      async (c) => {
        const slug = slugOf(c);
        const body = await parseBody(c, rollbackBody);
        const cmd = { type: "rollback", version: body.version };
        const reply = await command(c, KIND, slug, cmd, commandId(c, "cms-rollback", body));
        await deps.contentCache.invalidate(slug);
        await audit(c, "cms.page.rollback", slug, { version: body.version });
        return c.json(reply);
      },
    );
    define(
      {
        method: "post",
        path: "/v1/cms/pages/:slug/cancel-schedule",
        summary: "Drop a page's scheduled publish",
        tag: "CMS",
        permission: "cms:write",
        response: { status: 200, schema: publishState, description: "What is published and scheduled now" },
      },
      async (c) => {
        const slug = slugOf(c);
        const reply = await command(
          c,
          KIND,
          slug,
          { type: "cancelScheduled" },
          { id: `cms-cancel:${crypto.randomUUID()}` },
        );
        await deps.contentCache.invalidate(slug);
        await audit(c, "cms.page.cancel-schedule", slug, {});
        return c.json(reply);
      },
    );
  };
}
