import type { Decision } from "../runtime/index.ts";
import type { MemberEvent } from "./events.ts";
import { levelFor, type MemberLevel } from "./levels.ts";
import type { MemberState } from "./state.ts";

/**
 * The events of one decision, with the balance and growth they lead to. Handlers never touch the state:
 * they read it and push events here, and `done` appends the level change the growth implies.
 */
export class Draft {
  readonly events: MemberEvent[] = [];
  points: number;
  growth: number;
  readonly #levels: readonly MemberLevel[];
  readonly #level: string;
  #growthMoved = false;

  constructor(state: MemberState, ctx: { now: number }, levels: readonly MemberLevel[]) {
    this.points = state.points;
    this.growth = state.growth;
    this.#levels = levels;
    this.#level = state.level;
    if (state.joinedAt === null)
      this.events.push({ type: "memberJoined", at: ctx.now, level: levels[0]!.name });
  }

  push(event: MemberEvent): void {
    this.events.push(event);
  }

  /** Moves the balance and records why; `make` gets the balance after the move. */
  movePoints(delta: number, make: (balance: number) => MemberEvent): void {
    this.points += delta;
    this.events.push(make(this.points));
  }

  moveGrowth(delta: number, orderId: string, refundId?: string): void {
    if (delta === 0) return;
    this.#growthMoved = true;
    this.growth += delta;
    this.events.push({
      type: "growthChanged",
      delta,
      growth: this.growth,
      orderId,
      ...(refundId ? { refundId } : {}),
    });
  }

  done(reply: unknown): Decision<MemberEvent> {
    // Only growth moves a level (not, say, a points adjustment after the ladder was reconfigured), and a
    // decision that jumps two levels says so in one event.
    if (this.#growthMoved) {
      const to = levelFor(this.#levels, this.growth).name;
      if (to !== this.#level)
        this.events.push({ type: "levelChanged", from: this.#level, to, growth: this.growth });
    }
    return { events: this.events, reply };
  }
}
