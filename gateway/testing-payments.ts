import type { ChannelName, StatementEntry } from "../actors/payment/channels/index.ts";
import type { PaymentLedger, PaymentRisk, RiskVerdict } from "./ports.ts";

/** Payment fakes of the gateway's ports (moved out of testing.ts to keep it under 250 lines). */
export class FixedRisk implements PaymentRisk {
  verdict: RiskVerdict = { allowed: true };
  async assess() {
    return this.verdict;
  }
}

export class MemoryPaymentLedger implements PaymentLedger {
  readonly movements: StatementEntry[] = [];
  async channelMovements() {
    return this.movements;
  }
  async reconcile(options: { channel: ChannelName; date: string; statement: StatementEntry[] }) {
    return { channel: options.channel, date: options.date, lines: options.statement.length };
  }
}
