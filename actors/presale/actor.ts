import type { DecideContext, Decision } from "../runtime/index.ts";
import { DomainError } from "../runtime/index.ts";
import { isoTime } from "../shared/index.ts";
import type { PresaleCampaign, PresaleCommand } from "./commands.ts";
import type { PresaleEvent } from "./events.ts";
import { presaleAmounts, presalePhase } from "./terms.ts";

type Cmd<T extends PresaleCommand["type"]> = Extract<PresaleCommand, { type: T }>;
type Result = Decision<PresaleEvent>;

export interface PresaleState {
  campaign: PresaleCampaign | null;
  createdAt: number | null;
}

export const initialPresaleState = (): PresaleState => ({ campaign: null, createdAt: null });

export function applyPresaleEvent(state: PresaleState, event: PresaleEvent): PresaleState {
  if (event.type === "created") {
    state.campaign = event.campaign;
    state.createdAt = event.at;
  }
  return state;
}

export function presaleView(id: string, state: PresaleState, now: number) {
  const c = state.campaign;
  if (!c) throw new DomainError("not_found", `no presale ${id}`);
  const unit = presaleAmounts(c, 1);
  return {
    presaleId: id,
    name: c.name,
    sku: c.sku,
    price: c.price,
    deposit: c.deposit,
    depositValue: c.depositValue,
    balance: unit.balance,
    payable: unit.total,
    maxQtyPerOrder: c.maxQtyPerOrder,
    startsAt: isoTime(c.startsAt),
    endsAt: isoTime(c.endsAt),
    balanceFrom: isoTime(c.balanceFrom),
    balanceTo: isoTime(c.balanceTo),
    phase: presalePhase(c, now),
    createdAt: isoTime(state.createdAt ?? 0),
  };
}

/** The presale actor: a campaign's terms (the deposits and balances live on the orders, decision 0024). */
export const presaleHandlers = {
  get: (state: PresaleState, _c: Cmd<"get">, ctx: DecideContext): Result => ({
    events: [],
    reply: presaleView(ctx.id, state, ctx.now),
  }),
  create: (state: PresaleState, c: Cmd<"create">, ctx: DecideContext): Result => {
    if (state.campaign) throw new DomainError("conflict", `presale ${ctx.id} already exists`);
    return {
      events: [{ type: "created", campaign: c.campaign, by: ctx.meta.by ?? "system", at: ctx.now }],
      reply: presaleView(ctx.id, { campaign: c.campaign, createdAt: ctx.now }, ctx.now),
    };
  },
};
