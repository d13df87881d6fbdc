import { z } from "zod";
import type { CmsEvent } from "./events.ts";
import { storedPageSchema } from "./events.ts";

export type StoredPage = z.infer<typeof storedPageSchema>;

export interface PageVersion {
  version: number;
  page: StoredPage;
  createdAt: number;
  by: string;
  /** When this version last became the published one. */
  publishedAt: number | null;
}

/** The cms-page actor's state: every version (a list: versions are numbered 1, 2, …), published and scheduled. */
export interface CmsState {
  versions: PageVersion[];
  published: number | null;
  publishedAt: number | null;
  scheduled: { version: number; due: number } | null;
  /** A scheduled unpublish (its own durable timer). */
  unpublishAt: number | null;
  /** Renamed: the slug this one redirects to (null: a live page or no page). */
  movedTo: string | null;
  /** The older slugs that redirect here (renamed from), oldest first. */
  aliases: string[];
  /** The slug this page was last adopted from (a retried rename is a no-op). */
  adoptedFrom: string | null;
}

export const cmsStateSchema: z.ZodType<CmsState> = z.object({
  versions: z.array(
    z.object({
      version: z.number().int().positive(),
      page: storedPageSchema,
      createdAt: z.number(),
      by: z.string(),
      publishedAt: z.number().nullable(),
    }),
  ),
  published: z.number().nullable(),
  publishedAt: z.number().nullable(),
  scheduled: z.object({ version: z.number(), due: z.number() }).nullable(),
  unpublishAt: z.number().nullable().default(null),
  movedTo: z.string().nullable().default(null),
  aliases: z.array(z.string()).default([]),
  adoptedFrom: z.string().nullable().default(null),
}) as unknown as z.ZodType<CmsState>;

export function initialCmsState(): CmsState {
  return {
    versions: [],
    published: null,
    publishedAt: null,
    scheduled: null,
    unpublishAt: null,
    movedTo: null,
    aliases: [],
    adoptedFrom: null,
  };
}

export function applyCmsEvent(state: CmsState, event: CmsEvent): CmsState {
  switch (event.type) {
    case "saved":
      return {
        ...state,
        versions: [
          ...state.versions,
          { version: event.version, page: event.page, createdAt: event.at, by: event.by, publishedAt: null },
        ],
      };
    case "published":
      return {
        ...state,
        published: event.version,
        publishedAt: event.at,
        versions: state.versions.map((v) =>
          v.version === event.version ? { ...v, publishedAt: event.at } : v,
        ),
        scheduled: event.scheduledFor !== undefined ? null : state.scheduled,
      };
    case "scheduled":
      return { ...state, scheduled: { version: event.version, due: event.due } };
    case "scheduleDropped":
      return { ...state, scheduled: null };
    case "unpublished":
      return {
        ...state,
        published: null,
        publishedAt: null,
        unpublishAt: event.scheduledFor !== undefined ? null : state.unpublishAt,
      };
    case "unpublishScheduled":
      return { ...state, unpublishAt: event.due };
    case "unpublishDropped":
      return { ...state, unpublishAt: null };
    case "moved":
      // The schedules stay in the state (the snapshot carries them to the new slug); their timers are cancelled.
      return { ...state, movedTo: event.to };
    case "moveUndone":
      return { ...state, movedTo: null };
    case "adopted":
      return {
        versions: event.versions,
        published: event.published,
        publishedAt: event.publishedAt,
        scheduled: event.scheduled,
        unpublishAt: event.unpublishAt,
        movedTo: null,
        aliases: event.aliases,
        adoptedFrom: event.from,
      };
  }
}
