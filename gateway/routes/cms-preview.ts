import { PREVIEW_TTL_DEFAULT, PREVIEW_TTL_MAX, signPreview, verifyPreview } from "../../actors/cms/index.ts";
import type { GatewayKit } from "../app.ts";
import type { AuditLog } from "../ports.ts";
import { ProblemError } from "../problem.ts";
import { codeSchema } from "../schemas.ts";
import { parseBody, parseParam, parseQuery } from "../validate.ts";
import { previewBody, previewLink, previewQuery } from "./cms-experiment-schemas.ts";
import { versionView } from "./cms-schemas.ts";

export interface PreviewRouteDeps {
  /** The HMAC key of preview links (shared by every node; decision 0038). */
  previewKey: Uint8Array;
  /** Base of the links handed out (PUBLIC_URL). */
  publicUrl: string;
  audit: AuditLog;
}

const KIND = "cms-page";

/**
 * Signed, expiring preview links of any version of a page, drafts included (decision 0038): an editor
 * asks for a link; whoever opens it reads that version until it expires, without an account. Never
 * cached by anyone (`Cache-Control: no-store`): the token is the only credential.
 */
export function previewRoutes(deps: PreviewRouteDeps) {
  return (kit: GatewayKit) => {
    const { define, command } = kit;
    define(
      {
        method: "post",
        path: "/v1/cms/pages/:slug/preview",
        summary:
          "A signed, expiring preview link of a version of the page (default the latest, a draft included)",
        tag: "CMS",
        permission: "cms:write",
        body: previewBody,
        response: { status: 200, schema: previewLink, description: "The link and its token" },
      },
      async (c) => {
        const slug = parseParam(c.req.param("slug"), codeSchema, "slug");
        const body = await parseBody(c, previewBody);
        const page = await kit.read<{ items: Array<{ version: number }> }>(c, KIND, slug);
        const latest = Math.max(...page.items.map((i) => i.version));
        const version = body.version ?? latest;
        if (!page.items.some((i) => i.version === version))
          throw new ProblemError(404, "not-found", `page ${slug} has no version ${version}`, {
            field: "version",
          });
        const ttl = Math.min(body.ttlSeconds ?? PREVIEW_TTL_DEFAULT, PREVIEW_TTL_MAX);
        const expiresAt = Date.now() + ttl * 1000;
        const token = signPreview(deps.previewKey, { slug, version, expiresAt });
        const path = `/dashboard/cms-preview.html?token=${encodeURIComponent(token)}`;
        await deps.audit.record({
          principal: kit.meta(c).by ?? "anonymous",
          action: "cms.page.preview-link",
          target: `cms-page/${slug}`,
          requestId: kit.requestId(c),
          detail: { version, expiresAt: new Date(expiresAt).toISOString() },
        });
        return c.json({
          slug,
          version,
          token,
          expiresAt: new Date(expiresAt).toISOString(),
          url: `${deps.publicUrl.replace(/\/$/, "")}${path}`,
          path,
          contentPath: `/v1/content/preview?token=${encodeURIComponent(token)}`,
        });
      },
    );
    define(
      {
        method: "get",
        path: "/v1/content/preview",
        summary:
          "PUBLIC with a preview token: the version the token names (drafts included) until it expires; never cached",
        tag: "CMS",
        public: true,
        query: previewQuery,
        response: { status: 200, schema: versionView, description: "The previewed version" },
      },
      async (c) => {
        c.header("Cache-Control", "no-store");
        const { token } = parseQuery(c, previewQuery);
        const check = verifyPreview(deps.previewKey, token, Date.now());
        if (!check.ok)
          throw new ProblemError(
            401,
            "unauthorized",
            check.reason === "expired" ? "the preview link has expired" : "the preview link is not valid",
            { field: "token", reason: check.reason },
          );
        const { slug, version } = check.grant;
        const content = await command(
          c,
          KIND,
          slug,
          { type: "version", version },
          { readOnly: true, meta: { by: "preview", requestId: kit.requestId(c) } },
        );
        c.header("Cache-Control", "no-store");
        c.header("X-Robots-Tag", "noindex");
        return c.json({ ...content, expiresAt: new Date(check.grant.expiresAt).toISOString() });
      },
    );
  };
}
