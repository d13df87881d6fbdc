import { z } from "zod";
import { mapEntries, mapSchema } from "../shared/index.ts";
import { type AdmissionTally, type Campaign, campaignSchema } from "./commands.ts";
import type { FlashSaleEvent, FlashSaleRefusal } from "./events.ts";

/** An order holding units of the campaign: `reserving` while the SKU is asked, then `reserved`. */
export interface Holding {
  userId: string;
  qty: number;
  state: "reserving" | "reserved" | "releasing";
  /** The command waiting for this step's answer (the order's reserve, then its release). */
  command: string;
  lines: Array<{ warehouse: string; qty: number }>;
}

/** The flash-sale actor's state; keyed by outside ids, so `Map`s. */
export interface FlashSaleState {
  campaign: Campaign | null;
  createdAt: number | null;
  createCommand: string | null;
  /** Units the SKU set aside for the campaign (`stock` once allocated, 0 before). */
  allocated: number;
  allocationFailed: string | null;
  started: boolean;
  endedAt: number | null;
  endReason: string | null;
  endCommand: string | null;
  /** Units the SKU took back when the campaign ended (null until it did). */
  returned: number | null;
  /** Units held by orders (reserving or reserved, not given back): what the campaign has sold. */
  sold: number;
  refused: Record<FlashSaleRefusal, number>;
  admission: AdmissionTally;
  perUser: Map<string, number>;
  holdings: Map<string, Holding>;
  /** Orders whose units came back (a release of a closed order is answered, never applied twice). */
  closed: Map<string, "released" | "failed">;
}

const count = z.number().int().min(0);
const lines = z.array(z.object({ warehouse: z.string(), qty: z.number().int() }));

export const flashSaleStateSchema: z.ZodType<FlashSaleState> = z.object({
  campaign: campaignSchema.nullable(),
  createdAt: z.number().nullable(),
  createCommand: z.string().nullable(),
  allocated: count,
  allocationFailed: z.string().nullable(),
  started: z.boolean(),
  endedAt: z.number().nullable(),
  endReason: z.string().nullable(),
  endCommand: z.string().nullable(),
  returned: count.nullable(),
  sold: count,
  refused: z.object({ "campaign-not-active": count, "purchase-limit-reached": count, "sold-out": count }),
  admission: z.object({
    soldOut: count,
    notActive: count,
    rateLimited: count,
    queueFull: count,
    duplicate: count,
  }),
  perUser: mapSchema(z.number().int().positive()),
  holdings: mapSchema(
    z.object({
      userId: z.string(),
      qty: z.number().int().positive(),
      state: z.enum(["reserving", "reserved", "releasing"]),
      command: z.string(),
      lines,
    }),
  ),
  closed: mapSchema(z.enum(["released", "failed"])),
});

export function encodeFlashSaleState(state: FlashSaleState): unknown {
  return {
    ...state,
    perUser: mapEntries(state.perUser),
    holdings: mapEntries(state.holdings),
    closed: mapEntries(state.closed),
  };
}

export const noAdmission = (): AdmissionTally => ({
  soldOut: 0,
  notActive: 0,
  rateLimited: 0,
  queueFull: 0,
  duplicate: 0,
});

export function initialFlashSaleState(): FlashSaleState {
  return {
    campaign: null,
    createdAt: null,
    createCommand: null,
    allocated: 0,
    allocationFailed: null,
    started: false,
    endedAt: null,
    endReason: null,
    endCommand: null,
    returned: null,
    sold: 0,
    refused: { "campaign-not-active": 0, "purchase-limit-reached": 0, "sold-out": 0 },
    admission: noAdmission(),
    perUser: new Map(),
    holdings: new Map(),
    closed: new Map(),
  };
}

/** Gives a holding's units back to the campaign and its buyer's allowance. */
function giveBack(state: FlashSaleState, orderId: string, how: "released" | "failed"): void {
  const h = state.holdings.get(orderId);
  if (!h) return;
  state.sold -= h.qty;
  const left = (state.perUser.get(h.userId) ?? 0) - h.qty;
  if (left > 0) state.perUser.set(h.userId, left);
  else state.perUser.delete(h.userId);
  state.closed.set(orderId, how);
}

/** Applies one event, in place (see `ActorKind.apply`). */
export function applyFlashSaleEvent(state: FlashSaleState, event: FlashSaleEvent): FlashSaleState {
  switch (event.type) {
    case "created":
      state.campaign = event.campaign;
      state.createdAt = event.at;
      state.createCommand = event.command;
      break;
    case "allocated":
      state.allocated = event.lines.reduce((n, l) => n + l.qty, 0);
      state.createCommand = null;
      break;
    case "allocationFailed":
      state.allocationFailed = event.reason;
      state.createCommand = null;
      break;
    case "started":
      state.started = true;
      break;
    case "held":
      state.sold += event.qty;
      state.perUser.set(event.userId, (state.perUser.get(event.userId) ?? 0) + event.qty);
      state.holdings.set(event.orderId, {
        userId: event.userId,
        qty: event.qty,
        state: "reserving",
        command: event.command,
        lines: [],
      });
      break;
    case "confirmed": {
      const h = state.holdings.get(event.orderId);
      if (h) Object.assign(h, { state: "reserved", lines: event.lines });
      break;
    }
    case "holdFailed":
      giveBack(state, event.orderId, "failed");
      state.holdings.delete(event.orderId);
      break;
    case "refused":
      state.refused[event.reason] += 1;
      break;
    case "admissionTallied":
      for (const k of Object.keys(state.admission) as Array<keyof AdmissionTally>)
        state.admission[k] += event.counts[k];
      break;
    case "released": {
      const h = state.holdings.get(event.orderId);
      if (!h) break;
      giveBack(state, event.orderId, "released");
      Object.assign(h, { state: "releasing", command: event.command });
      break;
    }
    case "releaseSettled":
      state.holdings.delete(event.orderId);
      break;
    case "ended":
      state.endedAt = event.at;
      state.endReason = event.reason;
      state.endCommand = event.command ?? null;
      break;
    case "returned":
      state.returned = event.qty;
      state.endCommand = null;
      break;
  }
  return state;
}
