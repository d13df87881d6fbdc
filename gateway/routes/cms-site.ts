import { PAGE_TEMPLATES, templateFor } from "../../actors/cms/index.ts";
import type { GatewayKit } from "../app.ts";
import { idempotentCommand } from "../idempotency.ts";
import { ProblemError } from "../problem.ts";
import { idempotencyKey, parseBody } from "../validate.ts";
import type { CmsRouteDeps } from "./cms.ts";
import { cmsPageHelpers } from "./cms-helpers.ts";
import {
  fromTemplateBody,
  publishState,
  renameBody,
  renamed,
  savedPage,
  templateList,
  unpublishBody,
} from "./cms-schemas.ts";

const KIND = "cms-page";

/**
 * The CMS site's page routes (decision 0039): unpublish now or on a durable timer, rename with
 * redirects, templates. Each mutation invalidates the delivery cache before it answers and is audited.
 */
export function cmsSiteRoutes(deps: CmsRouteDeps) {
  return (kit: GatewayKit) => {
    const { define, command } = kit;
    const { slugOf, commandId, audit } = cmsPageHelpers(kit, deps.audit);

    define(
      {
        method: "post",
        path: "/v1/cms/pages/:slug/unpublish",
        summary:
          "Take a page off the public read now (its public read is 404 when this answers), or at `at` on a durable timer",
        tag: "CMS",
        permission: "cms:write",
        body: unpublishBody,
        idempotencyKey: "optional",
        response: { status: 200, schema: publishState, description: "What is published and scheduled now" },
      },
      async (c) => {
        const slug = slugOf(c);
        const body = (await c.req.text()).trim() === "" ? {} : await parseBody(c, unpublishBody);
        const cmd = {
          type: "unpublish",
          ...(body.at === undefined ? {} : { at: new Date(body.at).getTime() }),
        };
        const reply = await command(c, KIND, slug, cmd, commandId(c, "cms-unpublish", body));
        // Before answering: the next public read anywhere asks the actor (404 now, or sees the schedule).
        await deps.contentCache.invalidate(slug);
        await audit(c, "cms.page.unpublish", slug, { ...body });
        return c.json(reply);
      },
    );
    define(
      {
        method: "post",
        path: "/v1/cms/pages/:slug/cancel-unpublish",
        summary: "Drop a page's scheduled unpublish",
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
          { type: "cancelUnpublish" },
          { id: `cms-cancel-unpublish:${crypto.randomUUID()}` },
        );
        await deps.contentCache.invalidate(slug);
        await audit(c, "cms.page.cancel-unpublish", slug, {});
        return c.json(reply);
      },
    );
    define(
      {
        method: "post",
        path: "/v1/cms/pages/:slug/rename",
        summary:
          "Rename a page (change its slug): the page with every version moves to `to`; the old slug and every older one answer 301 to the new",
        tag: "CMS",
        permission: "cms:write",
        body: renameBody,
        idempotencyKey: "optional",
        response: {
          status: 200,
          schema: renamed,
          description: "The page's new slug and the slugs redirecting to it",
        },
      },
      async (c) => {
        const slug = slugOf(c);
        const body = await parseBody(c, renameBody);
        const to = body.to;
        if (to === slug)
          throw new ProblemError(422, "validation", "the page already has this slug", { field: "to" });
        // Slugs are unique: a taken target is refused before anything changes.
        const target = await command<{ movedTo: string | null }>(
          c,
          KIND,
          to,
          { type: "get" },
          { readOnly: true },
        ).catch((error: unknown) => {
          if (error instanceof ProblemError && error.status === 404) return null;
          throw error;
        });
        if (target !== null && target.movedTo === null)
          throw new ProblemError(409, "conflict", `slug ${to} is taken by another page`, {
            field: "to",
            reason: "slug-taken",
          });
        const key = idempotencyKey(c, false);
        const id = (step: string) =>
          key
            ? idempotentCommand(c, `cms-rename-${step}`, key, body)
            : { id: `cms-rename-${step}:${crypto.randomUUID()}` };
        // 1. The old slug becomes a redirect and hands over what it holds (a retry gets the same).
        const snapshot = await command<Record<string, unknown>>(
          c,
          KIND,
          slug,
          { type: "moveTo", to },
          id("move"),
        );
        // 2. The new slug takes the page; refused (taken meanwhile) → the move is undone.
        let adopted: { aliases?: string[] };
        try {
          adopted = await command(c, KIND, to, { type: "adopt", from: slug, snapshot }, id("adopt"));
        } catch (error) {
          if (error instanceof ProblemError && error.status === 409)
            await command(
              c,
              KIND,
              slug,
              { type: "restore", to },
              { id: `cms-rename-restore:${crypto.randomUUID()}` },
            );
          throw error;
        }
        const redirectsFrom = adopted.aliases ?? [...((snapshot.aliases as string[]) ?? []), slug];
        // Before answering: the old slugs' cached redirects and pages, and the new slug's entry.
        await Promise.all([to, slug, ...redirectsFrom].map((s) => deps.contentCache.invalidate(s)));
        await audit(c, "cms.page.rename", slug, { to });
        return c.json({ slug: to, from: slug, redirectsFrom });
      },
    );
    define(
      {
        method: "get",
        path: "/v1/cms/templates",
        summary: "Each page type's default component layout (content and ad slots) a new page starts from",
        tag: "CMS",
        permission: "cms:read",
        response: { status: 200, schema: templateList, description: "The templates" },
      },
      async (c) =>
        c.json({ items: [...PAGE_TEMPLATES.entries()].map(([type, components]) => ({ type, components })) }),
    );
    define(
      {
        method: "post",
        path: "/v1/cms/pages/:slug/from-template",
        summary: "Start a new page (version 1, a draft) from its type's template; 409 when the slug exists",
        tag: "CMS",
        permission: "cms:write",
        body: fromTemplateBody,
        response: { status: 201, schema: savedPage, description: "The page's first version" },
      },
      async (c) => {
        const slug = slugOf(c);
        const body = await parseBody(c, fromTemplateBody);
        const page = { ...body, components: templateFor(body.type) };
        const saved = await command<{ version: number; created: boolean }>(
          c,
          KIND,
          slug,
          { type: "save", page, onlyIfNew: true },
          { id: `cms-from-template:${crypto.randomUUID()}` },
        );
        await audit(c, "cms.page.save", slug, { version: saved.version, template: body.type });
        return c.json(saved, 201);
      },
    );
  };
}
