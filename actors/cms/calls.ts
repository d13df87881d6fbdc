import type { z } from "zod";
import { commandBuilder } from "../shared/index.ts";
import type { cmsCommandSchema } from "./commands.ts";

/** A command to a cms-page actor as a caller writes it. */
export type CmsCommandInput = z.input<typeof cmsCommandSchema>;

const build = commandBuilder<CmsCommandInput>("cms-page");

/** The cms-page actor's public calls (the page slug is the actor id). */
export const cmsPages = {
  kind: "cms-page" as const,
  save: build("save"),
  publish: build("publish"),
  rollback: build("rollback"),
  cancelScheduled: build("cancelScheduled"),
  unpublish: build("unpublish"),
  cancelUnpublish: build("cancelUnpublish"),
  moveTo: build("moveTo"),
  adopt: build("adopt"),
  restore: build("restore"),
};
