import type { DecideContext, Decision } from "../runtime/index.ts";
import { DomainError } from "../runtime/index.ts";
import { isoTime } from "../shared/index.ts";
import { type CmsCommand, MAX_VERSIONS } from "./commands.ts";
import type { CmsEvent } from "./events.ts";
import { applyCmsEvent, type CmsState, type PageVersion } from "./state.ts";

type Cmd<T extends CmsCommand["type"]> = Extract<CmsCommand, { type: T }>;
type Result = Decision<CmsEvent>;

export const PUBLISH_TIMER = "publish";
export const UNPUBLISH_TIMER = "unpublish";

function requirePage(state: CmsState, slug: string): void {
  if (state.versions.length === 0) throw new DomainError("not_found", `no page ${slug}`, { slug });
}

/** A renamed page only redirects: changing it is a conflict naming where it went. */
function requireLive(state: CmsState, slug: string): void {
  requirePage(state, slug);
  if (state.movedTo !== null)
    throw new DomainError("conflict", `page ${slug} was renamed to ${state.movedTo}`, {
      reason: "moved",
      movedTo: state.movedTo,
    });
}

/** The earliest time the public content of this page changes on its own (a timer), or null. */
function nextChange(state: CmsState): number | null {
  const times = [state.scheduled?.due, state.unpublishAt ?? undefined].filter(
    (t): t is number => t !== undefined,
  );
  return times.length === 0 ? null : Math.min(...times);
}

/** Everything the page holds, for the new slug of a rename. */
export function snapshotOf(state: CmsState) {
  return {
    versions: state.versions,
    published: state.published,
    publishedAt: state.publishedAt,
    scheduled: state.scheduled,
    unpublishAt: state.unpublishAt,
    aliases: state.aliases,
  };
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
    unpublishAt: state.unpublishAt === null ? null : isoTime(state.unpublishAt),
    movedTo: state.movedTo,
    redirectsFrom: state.aliases,
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

/**
 * The published content, as the public read API sends it; `scheduledFor` says when it may change.
 * A renamed page answers `{ movedTo }` instead (the delivery route redirects).
 */
export function contentView(slug: string, state: CmsState) {
  if (state.movedTo !== null && state.versions.length > 0) return { slug, movedTo: state.movedTo };
  if (state.published === null) throw new DomainError("not_found", `page ${slug} is not published`, { slug });
  const v = requireVersion(state, slug, state.published);
  return {
    slug,
    type: v.page.type,
    title: v.page.title,
    components: v.page.components,
    version: v.version,
    seo: v.page.seo ?? {},
    scheduledFor: nextChange(state),
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
    unpublishAt: after.unpublishAt === null ? null : isoTime(after.unpublishAt),
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
    if (state.movedTo !== null) requireLive(state, ctx.id);
    if (c.onlyIfNew && state.versions.length > 0)
      throw new DomainError("conflict", `page ${ctx.id} already exists`, { reason: "exists", slug: ctx.id });
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
    requireLive(state, ctx.id);
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
    requireLive(state, ctx.id);
    requireVersion(state, ctx.id, c.version);
    const by = ctx.meta.by ?? "system";
    const events: CmsEvent[] =
      state.published === c.version
        ? []
        : [{ type: "published", version: c.version, rollback: true, at: ctx.now, by }];
    return { events, reply: publishedReply(ctx.id, state, events) };
  },

  cancelScheduled: (state: CmsState, _c: Cmd<"cancelScheduled">, ctx: DecideContext): Result => {
    requireLive(state, ctx.id);
    if (state.scheduled === null) return { events: [], reply: publishedReply(ctx.id, state, []) };
    const events: CmsEvent[] = [
      { type: "scheduleDropped", reason: "cancelled", at: ctx.now, by: ctx.meta.by ?? "system" },
    ];
    return { events, reply: publishedReply(ctx.id, state, events), timers: { cancel: [PUBLISH_TIMER] } };
  },

  unpublish: (state: CmsState, c: Cmd<"unpublish">, ctx: DecideContext): Result => {
    requireLive(state, ctx.id);
    const by = ctx.meta.by ?? "system";
    if (c.at !== undefined && c.at > ctx.now) {
      const events: CmsEvent[] = [{ type: "unpublishScheduled", due: c.at, at: ctx.now, by }];
      return {
        events,
        reply: publishedReply(ctx.id, state, events),
        timers: { set: [{ name: UNPUBLISH_TIMER, at: c.at }] },
      };
    }
    const events: CmsEvent[] = [];
    if (state.published !== null)
      events.push({ type: "unpublished", version: state.published, at: ctx.now, by });
    // Unpublished now: a pending scheduled unpublish has nothing left to do.
    const dropped = state.unpublishAt !== null;
    if (dropped) events.push({ type: "unpublishDropped", reason: "done-now", at: ctx.now, by });
    return {
      events,
      reply: publishedReply(ctx.id, state, events),
      ...(dropped ? { timers: { cancel: [UNPUBLISH_TIMER] } } : {}),
    };
  },

  cancelUnpublish: (state: CmsState, _c: Cmd<"cancelUnpublish">, ctx: DecideContext): Result => {
    requireLive(state, ctx.id);
    if (state.unpublishAt === null) return { events: [], reply: publishedReply(ctx.id, state, []) };
    const events: CmsEvent[] = [
      { type: "unpublishDropped", reason: "cancelled", at: ctx.now, by: ctx.meta.by ?? "system" },
    ];
    return { events, reply: publishedReply(ctx.id, state, events), timers: { cancel: [UNPUBLISH_TIMER] } };
  },

  moveTo: (state: CmsState, c: Cmd<"moveTo">, ctx: DecideContext): Result => {
    requirePage(state, ctx.id);
    if (c.to === ctx.id)
      throw new DomainError("invalid", "a page cannot be renamed to its own slug", { field: "to" });
    if (state.movedTo === c.to) return { events: [], reply: snapshotOf(state) };
    requireLive(state, ctx.id);
    const by = ctx.meta.by ?? "system";
    return {
      events: [{ type: "moved", to: c.to, at: ctx.now, by }],
      reply: snapshotOf(state),
      timers: { cancel: [PUBLISH_TIMER, UNPUBLISH_TIMER] },
    };
  },

  adopt: (state: CmsState, c: Cmd<"adopt">, ctx: DecideContext): Result => {
    if (c.from === ctx.id)
      throw new DomainError("invalid", "a page cannot be renamed to its own slug", { field: "to" });
    // Already adopted from this slug (a retried rename): nothing to do.
    if (state.movedTo === null && state.adoptedFrom === c.from && state.versions.length > 0)
      return { events: [], reply: { slug: ctx.id, adopted: false } };
    // Slugs are unique: only an unused slug or a redirect (an older name) can take the page.
    if (state.versions.length > 0 && state.movedTo === null)
      throw new DomainError("conflict", `slug ${ctx.id} is taken by another page`, {
        reason: "slug-taken",
        field: "to",
      });
    const snap = c.snapshot;
    // The old name and every name that redirected to it redirect here now; this slug itself no longer does.
    const aliases = [...snap.aliases, c.from].filter((a, i, all) => a !== ctx.id && all.indexOf(a) === i);
    const set: { name: string; at: number }[] = [];
    if (snap.scheduled) set.push({ name: PUBLISH_TIMER, at: Math.max(snap.scheduled.due, ctx.now) });
    if (snap.unpublishAt !== null)
      set.push({ name: UNPUBLISH_TIMER, at: Math.max(snap.unpublishAt, ctx.now) });
    const event = {
      type: "adopted",
      from: c.from,
      versions: snap.versions,
      published: snap.published,
      publishedAt: snap.publishedAt,
      scheduled: snap.scheduled,
      unpublishAt: snap.unpublishAt,
      aliases,
      at: ctx.now,
      by: ctx.meta.by ?? "system",
    } as CmsEvent;
    return {
      events: [event],
      reply: { slug: ctx.id, adopted: true, aliases },
      ...(set.length > 0 ? { timers: { set } } : {}),
    };
  },

  restore: (state: CmsState, c: Cmd<"restore">, ctx: DecideContext): Result => {
    if (state.movedTo !== c.to) return { events: [], reply: { slug: ctx.id, restored: false } };
    const set: { name: string; at: number }[] = [];
    if (state.scheduled) set.push({ name: PUBLISH_TIMER, at: Math.max(state.scheduled.due, ctx.now) });
    if (state.unpublishAt !== null)
      set.push({ name: UNPUBLISH_TIMER, at: Math.max(state.unpublishAt, ctx.now) });
    return {
      events: [{ type: "moveUndone", to: c.to, at: ctx.now, by: ctx.meta.by ?? "system" }],
      reply: { slug: ctx.id, restored: true },
      ...(set.length > 0 ? { timers: { set } } : {}),
    };
  },
};

/** A scheduled publish or unpublish came due: applied once (durable timers fire once, across restarts). */
export function onCmsTimer(state: CmsState, timer: { name: string }, ctx: DecideContext): Result {
  if (state.movedTo !== null) return { events: [], reply: null };
  if (timer.name === UNPUBLISH_TIMER) {
    const due = state.unpublishAt;
    if (due === null) return { events: [], reply: null };
    const by = "system:timer";
    const event: CmsEvent =
      state.published === null
        ? { type: "unpublishDropped", reason: "moot", at: ctx.now, by }
        : { type: "unpublished", version: state.published, scheduledFor: due, at: ctx.now, by };
    return { events: [event], reply: null };
  }
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
