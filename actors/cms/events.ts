import { z } from "zod";
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
]);
export type CmsEvent = z.infer<typeof cmsEventSchema>;
