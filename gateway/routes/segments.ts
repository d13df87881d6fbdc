import { createHash } from "node:crypto";
import type { Context } from "hono";
import type { PushTarget, PushView } from "../../actors/segment/index.ts";
import type { GatewayKit } from "../app.ts";
import { pagedRead } from "../cursor.ts";
import { idempotentCommand } from "../idempotency.ts";
import type { SegmentItem, SegmentStore } from "../ports.ts";
import { ProblemError } from "../problem.ts";
import { codeSchema } from "../schemas.ts";
import { idempotencyKey, parseBody, parseParam, parseQuery } from "../validate.ts";
import {
  manualTagsBody,
  memberTagsView,
  messagesQuery,
  messagesView,
  pageQuery,
  previewBody,
  previewView,
  pushBody,
  pushView,
  segmentBody,
  segmentMemberPage,
  segmentPage,
  segmentView,
} from "./segment-schemas.ts";

export interface SegmentRouteDeps {
  segments: SegmentStore;
}

const PUSH_KIND = "segment-push";

/** A push id from the caller and its idempotency key (a retried push reaches the same actor), else random. */
function pushIdFor(principal: string, key: string | undefined): string {
  const seed = key === undefined ? crypto.randomUUID() : `${principal}\u0000${key}`;
  return `SP${createHash("sha256").update(seed).digest("hex").slice(0, 20)}`;
}

/** Member tags (behaviour + manual), segments as saved filters, and pushes to a segment (decision 0025). */
export function segmentRoutes(deps: SegmentRouteDeps) {
  return (kit: GatewayKit) => {
    const { define, meta } = kit;
    const userId = (c: Context) => parseParam(c.req.param("userId"), codeSchema, "userId");
    const code = (c: Context) => parseParam(c.req.param("code"), codeSchema, "code");
    const tagsOf = async (id: string) => ({ userId: id, ...(await deps.segments.memberTags(id)) });
    const requireSegment = async (c: Context): Promise<SegmentItem> => {
      const segment = await deps.segments.getSegment(code(c));
      if (!segment) throw new ProblemError(404, "not-found", `no segment ${code(c)}`, { field: "code" });
      return segment;
    };

    define(
      {
        method: "get",
        path: "/v1/members/:userId/tags",
        summary: "A member's tags (behaviour and manual) and the behaviour figures they come from",
        tag: "Segments",
        permission: "segment:read",
        response: { status: 200, schema: memberTagsView, description: "The tags" },
      },
      async (c) => c.json(await tagsOf(userId(c))),
    );
    define(
      {
        method: "put",
        path: "/v1/members/:userId/tags",
        summary: "Set a member's manual tags (the whole list; behaviour tags are the recompute job's)",
        tag: "Segments",
        permission: "segment:write",
        body: manualTagsBody,
        response: { status: 200, schema: memberTagsView, description: "The tags after the change" },
      },
      async (c) => {
        const id = userId(c);
        const body = await parseBody(c, manualTagsBody);
        await deps.segments.setManualTags(id, body.tags, meta(c));
        return c.json(await tagsOf(id));
      },
    );
    define(
      {
        method: "get",
        path: "/v1/members/:userId/messages",
        summary: "Messages segment pushes delivered to a member, newest first",
        tag: "Segments",
        permission: "segment:read",
        query: messagesQuery,
        response: { status: 200, schema: messagesView, description: "The member's messages" },
      },
      async (c) => {
        const id = userId(c);
        const q = parseQuery(c, messagesQuery);
        return c.json({ items: await deps.segments.memberMessages(id, q.limit) });
      },
    );
    define(
      {
        method: "get",
        path: "/v1/segments",
        summary: "Saved segments by code",
        tag: "Segments",
        permission: "segment:read",
        query: pageQuery,
        response: { status: 200, schema: segmentPage, description: "A page of segments" },
      },
      async (c) => {
        const q = parseQuery(c, pageQuery);
        return c.json(await pagedRead(() => deps.segments.listSegments(q.limit, q.cursor)));
      },
    );
    define(
      {
        method: "post",
        path: "/v1/segments/preview",
        summary: "How many members a filter matches now, with a sample (nothing is saved)",
        tag: "Segments",
        permission: "segment:read",
        body: previewBody,
        response: { status: 200, schema: previewView, description: "The count" },
      },
      async (c) => {
        const body = await parseBody(c, previewBody);
        const now = Date.now();
        const [n, sample] = await Promise.all([
          deps.segments.count(body.filter, now),
          deps.segments.members(body.filter, now, 10),
        ]);
        return c.json({ count: n, sample: sample.items.map((m) => m.userId) });
      },
    );
    define(
      {
        method: "put",
        path: "/v1/segments/:code",
        summary:
          "Create or replace a segment (a saved filter over tags, level, spend, orders, recency, categories)",
        tag: "Segments",
        permission: "segment:write",
        body: segmentBody,
        response: { status: 200, schema: segmentView, description: "The segment, updated (or unchanged)" },
        responses: [{ status: 201, schema: segmentView, description: "The segment, created" }],
      },
      async (c) => {
        const id = code(c);
        const body = await parseBody(c, segmentBody);
        const def = {
          name: body.name,
          filter: body.filter,
          ...(body.description ? { description: body.description } : {}),
        };
        const { segment, created } = await deps.segments.putSegment(id, def, meta(c));
        const n = await deps.segments.count(segment.filter, Date.now());
        return c.json({ ...segment, count: n }, created ? 201 : 200);
      },
    );
    define(
      {
        method: "get",
        path: "/v1/segments/:code",
        summary: "A segment with the number of members it matches now",
        tag: "Segments",
        permission: "segment:read",
        response: { status: 200, schema: segmentView, description: "The segment; 404 when unknown" },
      },
      async (c) => {
        const segment = await requireSegment(c);
        return c.json({ ...segment, count: await deps.segments.count(segment.filter, Date.now()) });
      },
    );
    define(
      {
        method: "get",
        path: "/v1/segments/:code/members",
        summary: "The members a segment matches now, by id, with their figures and tags (cursor paging)",
        tag: "Segments",
        permission: "segment:read",
        query: pageQuery,
        response: { status: 200, schema: segmentMemberPage, description: "A page of members" },
      },
      async (c) => {
        const segment = await requireSegment(c);
        const q = parseQuery(c, pageQuery);
        return c.json(
          await pagedRead(() => deps.segments.members(segment.filter, Date.now(), q.limit, q.cursor)),
        );
      },
    );
    define(
      {
        method: "post",
        path: "/v1/segments/:code/pushes",
        summary:
          "Push one coupon (budget and per-user limit still hold) or a message to every member of a segment: long work with progress",
        tag: "Segments",
        permission: "segment:push",
        body: pushBody,
        idempotencyKey: "optional",
        response: {
          status: 202,
          schema: pushView,
          description:
            "Started (a retry with the same key: the same push); follow it with GET …/pushes/{pushId}",
        },
      },
      async (c) => {
        const key = idempotencyKey(c, false);
        const segment = await requireSegment(c);
        const body = await parseBody(c, pushBody);
        if ((body.templateId === undefined) === (body.message === undefined))
          throw new ProblemError(400, "validation", "give either templateId or message", {
            field: "templateId",
          });
        let target: PushTarget;
        if (body.templateId !== undefined) {
          // An unknown template is 404 now rather than a push whose every member fails.
          await kit.read(c, "coupon-template", body.templateId);
          target = { kind: "coupon", templateId: body.templateId };
        } else target = { kind: "message", ...body.message! };
        const pushId = pushIdFor(meta(c).by ?? "anonymous", key);
        const cmd = { type: "create", segment: segment.code, filter: segment.filter, target };
        const options = key
          ? idempotentCommand(c, "segment-push", key, body)
          : { id: `segment-push:${pushId}` };
        return c.json(await kit.command<PushView>(c, PUSH_KIND, pushId, cmd, options), 202);
      },
    );
    define(
      {
        method: "get",
        path: "/v1/segments/:code/pushes/:pushId",
        summary: "A push's progress: targeted, delivered, failed (and why), status",
        tag: "Segments",
        permission: "segment:read",
        response: { status: 200, schema: pushView, description: "The push; 404 when unknown" },
      },
      async (c) => {
        const id = parseParam(c.req.param("pushId"), codeSchema, "pushId");
        const view = await kit.read<PushView>(c, PUSH_KIND, id);
        if (view.segment !== code(c))
          throw new ProblemError(404, "not-found", `no push ${id} of segment ${code(c)}`, {
            field: "pushId",
          });
        return c.json(view);
      },
    );
  };
}
