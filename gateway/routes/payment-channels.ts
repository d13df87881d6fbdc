import { z } from "zod";
import { CHANNEL_NAMES, type ChannelName } from "../../actors/payment/channels/index.ts";

/** The channel named in a path, if it is one we know. */
export const channelNamed = (name: string | undefined): ChannelName | undefined =>
  CHANNEL_NAMES.find((known) => known === name);

export const channelEnum = z.enum(CHANNEL_NAMES);
