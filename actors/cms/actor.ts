import type { DecideContext, Decision } from "../runtime/index.ts";
import { DomainError } from "../runtime/index.ts";
import { isoTime } from "../shared/index.ts";
import { type CmsCommand, MAX_VERSIONS } from "./commands.ts";
import type { CmsEvent } from "./events.ts";
import { applyCmsEvent, type CmsState, type PageVersion } from "./state.ts";

type Cmd<T extends CmsCommand["type"]> = Extract<CmsCommand, { type: T }>;
type Result = Decision<CmsEvent>;

export const PUBLISH_TIMER = "publish";

function requirePage(state: CmsState, slug: string): void {
  if (state.versions.length === 0) throw new DomainError("not_found", `no page ${slug}`, { slug });
}

function requireVersion(state: CmsState, slug: string, version: number): PageVersion {
  requirePage(state, slug);
  const found = state.versions[version - 1];
  if (!found || found.version !== version)
    throw new DomainError("not_found", `page ${slug} has no version ${version}`, {
      slug,
      version,
      field: "version",
    });
  return found;
}

/** The page's versions (newest first, without content), what is published and what is scheduled. */
export function pageView(slug: string, state: CmsState) {
  return {
    slug,
    published: state.published,
    publishedAt: state.publishedAt === null ? null : isoTime(state.publishedAt),
    scheduled:
      state.scheduled === null
        ? null
        : { version: state.scheduled.version, at: isoTime(state.scheduled.due) },
    items: state.versions
      .map((v) => ({
        version: v.version,
        type: v.page.type,
        title: v.page.title,
        createdAt: isoTime(v.createdAt),
        createdBy: v.by,
        ...(v.publishedAt === null ? {} : { publishedAt: isoTime(v.publishedAt) }),
      }))
      .reverse(),
  };
}

/** The published content, as the public read API sends it; `scheduledFor` says when it may change. */
export function contentView(slug: string, state: CmsState) {
  if (state.published === null) throw new DomainError("not_found", `page ${slug} is not published`, { slug });
  const v = requireVersion(state, slug, state.published);
  return {
    slug,
    type: v.page.type,
    title: v.page.title,
    components: v.page.components,
    version: v.version,
    seo: v.page.seo ?? {},
    scheduledFor: state.scheduled?.due ?? null,
  };
}

function publishedReply(slug: string, state: CmsState, events: CmsEvent[]) {
  const after = events.reduce(applyCmsEvent, state);
  return {
    slug,
    published: after.published,
    publishedAt: after.publishedAt === null ? null : isoTime(after.publishedAt),
    scheduled:
      after.scheduled === null
        ? null
        : { version: after.scheduled.version, at: isoTime(after.scheduled.due) },
  };
}

export const cmsHandlers = {
  get: (state: CmsState, _c: Cmd<"get">, ctx: DecideContext): Result => {
    requirePage(state, ctx.id);
    return { events: [], reply: pageView(ctx.id, state) };
  },

  content: (state: CmsState, _c: Cmd<"content">, ctx: DecideContext): Result => ({
    events: [],
    reply: contentView(ctx.id, state),
  }),

  version: (state: CmsState, c: Cmd<"version">, ctx: DecideContext): Result => {
    const v = requireVersion(state, ctx.id, c.version);
    return {
      events: [],
      reply: { slug: ctx.id, version: v.version, createdAt: isoTime(v.createdAt), ...v.page },
    };
  },

  save: (state: CmsState, c: Cmd<"save">, ctx: DecideContext): Result => {
    const latest = state.versions.at(-1);
    if (latest && JSON.stringify(latest.page) === JSON.stringify(c.page))
      return { events: [], reply: { slug: ctx.id, version: latest.version, created: false } };
    if (state.versions.length >= MAX_VERSIONS)
      throw new DomainError("conflict", `page ${ctx.id} already has ${MAX_VERSIONS} versions`, {
        reason: "too-many-versions",
      });
    const version = state.versions.length + 1;
    return {
      events: [{ type: "saved", version, page: c.page, at: ctx.now, by: ctx.meta.by ?? "system" }],
      reply: { slug: ctx.id, version, created: true },
    };
  },

  publish: (state: CmsState, c: Cmd<"publish">, ctx: DecideContext): Result => {
    requirePage(state, ctx.id);
    const version = c.version ?? state.versions.length;
    requireVersion(state, ctx.id, version);
    const by = ctx.meta.by ?? "system";
    if (c.at !== undefined && c.at > ctx.now) {
      const events: CmsEvent[] = [{ type: "scheduled", version, due: c.at, at: ctx.now, by }];
      return {
        events,
        reply: publishedReply(ctx.id, state, events),
        timers: { set: [{ name: PUBLISH_TIMER, at: c.at }] },
      };
    }
    const events: CmsEvent[] = [];
    if (state.published !== version) events.push({ type: "published", version, at: ctx.now, by });
    // Published now: a pending schedule of this same version has nothing left to do.
    const dropped = state.scheduled?.version === version;
    if (dropped) events.push({ type: "scheduleDropped", reason: "done-now", at: ctx.now, by });
    return {
      events,
      reply: publishedReply(ctx.id, state, events),
      ...(dropped ? { timers: { cancel: [PUBLISH_TIMER] } } : {}),
    };
  },

  rollback: (state: CmsState, c: Cmd<"rollback">, ctx: DecideContext): Result => {
    requireVersion(state, ctx.id, c.version);
    const by = ctx.meta.by ?? "system";
    const events: CmsEvent[] =
      state.published === c.version
        ? []
        : [{ type: "published", version: c.version, rollback: true, at: ctx.now, by }];
    return { events, reply: publishedReply(ctx.id, state, events) };
  },

  cancelScheduled: (state: CmsState, _c: Cmd<"cancelScheduled">, ctx: DecideContext): Result => {
    requirePage(state, ctx.id);
    if (state.scheduled === null) return { events: [], reply: publishedReply(ctx.id, state, []) };
    const events: CmsEvent[] = [
      { type: "scheduleDropped", reason: "cancelled", at: ctx.now, by: ctx.meta.by ?? "system" },
    ];
    return { events, reply: publishedReply(ctx.id, state, events), timers: { cancel: [PUBLISH_TIMER] } };
  },
};

/** A scheduled publish came due: applied once (durable timers fire once, across restarts). */
export function onCmsTimer(state: CmsState, timer: { name: string }, ctx: DecideContext): Result {
  const due = state.scheduled;
  if (timer.name !== PUBLISH_TIMER || !due) return { events: [], reply: null };
  const by = "system:timer";
  const event: CmsEvent = {
    type: "published",
    version: due.version,
    scheduledFor: due.due,
    at: ctx.now,
    by,
  };
  return { events: [event], reply: null };
}
