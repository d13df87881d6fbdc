import { z } from "zod";
import { idSchema } from "../shared/index.ts";
import { componentSchema, PAGE_TYPES, seoSchema } from "./commands.ts";

const who = { at: z.number(), by: z.string() };

/** The content of one version as its event holds it (already sanitised). */
export const storedPageSchema = z.object({
  type: z.enum(PAGE_TYPES),
  title: z.string(),
  components: z.array(componentSchema),
  seo: seoSchema.optional(),
});

/** Every event the cms-page actor persists. */
export const cmsEventSchema = z.discriminatedUnion("type", [
  z.object({
    type: z.literal("saved"),
    version: z.number().int().positive(),
    page: storedPageSchema,
    ...who,
  }),
  /** A version became the published one (`rollback` when made so by a rollback; `scheduledFor` by a timer). */
  z.object({
    type: z.literal("published"),
    version: z.number().int().positive(),
    rollback: z.boolean().optional(),
    scheduledFor: z.number().optional(),
    ...who,
  }),
  z.object({ type: z.literal("scheduled"), version: z.number().int().positive(), due: z.number(), ...who }),
  z.object({ type: z.literal("scheduleDropped"), reason: z.string(), ...who }),
  /** Taken off the public read (`scheduledFor` when a scheduled unpublish came due). */
  z.object({
    type: z.literal("unpublished"),
    version: z.number().int().positive(),
    scheduledFor: z.number().optional(),
    ...who,
  }),
  z.object({ type: z.literal("unpublishScheduled"), due: z.number(), ...who }),
  z.object({ type: z.literal("unpublishDropped"), reason: z.string(), ...who }),
  /** Renamed: this slug now redirects to `to` (its versions stay, for a retried rename). */
  z.object({ type: z.literal("moved"), to: idSchema, ...who }),
  /** A `moved` undone: the rename's target was taken meanwhile. */
  z.object({ type: z.literal("moveUndone"), to: idSchema, ...who }),
  /** This slug took over the page renamed from `from`: its versions, published and scheduled state. */
  z.object({
    type: z.literal("adopted"),
    from: idSchema,
    versions: z.array(
      z.object({
        version: z.number().int().positive(),
        page: storedPageSchema,
        createdAt: z.number(),
        by: z.string(),
        publishedAt: z.number().nullable(),
      }),
    ),
    published: z.number().int().positive().nullable(),
    publishedAt: z.number().nullable(),
    scheduled: z.object({ version: z.number().int().positive(), due: z.number() }).nullable(),
    unpublishAt: z.number().nullable(),
    aliases: z.array(idSchema),
    ...who,
  }),
]);
export type CmsEvent = z.infer<typeof cmsEventSchema>;
