/**
 * The figures of the last quiet runs (issue 15's "today" column: 2-core machine, nothing else running),
 * printed next to each new figure so a report shows before and after side by side. They are history,
 * not targets: a run on a loaded machine is not comparable with them (say so when quoting).
 */
export interface Earlier {
  /** The issue-15 measure this figure belongs to. */
  measure: string;
  /** The earlier figure as the issue states it. */
  today: string;
  mustReach: string;
  aim: string;
}

export const EARLIER = {
  actorVsRedis: {
    measure: "actor level ÷ Redis Lua (sales/s)",
    today: "0.21×",
    mustReach: "≥ 0.5×",
    aim: "≥ 1.0×",
  },
  actorVsPg: {
    measure: "actor level ÷ Postgres guarded UPDATE",
    today: "12.9×",
    mustReach: "≥ 20×",
    aim: "≥ 30×",
  },
  actorP99: { measure: "actor level p99", today: "78 ms", mustReach: "< 30 ms", aim: "< 20 ms" },
  httpVsPgHttp: {
    measure: "HTTP end to end ÷ Postgres behind HTTP",
    today: "3.5×",
    mustReach: "≥ 5×",
    aim: "≥ 10×",
  },
  httpP99: {
    measure: "HTTP end to end p99, 256 clients",
    today: "183 ms",
    mustReach: "< 100 ms",
    aim: "< 50 ms",
  },
  httpVsCeiling: {
    measure: "HTTP reservation ÷ HTTP ceiling",
    today: "— (new variant)",
    mustReach: "≥ 0.4×",
    aim: "≥ 0.6×",
  },
  orderFlow: {
    measure: "order flow (3-line orders, pay by signed callback)",
    today: "116/s",
    mustReach: "≥ 500/s",
    aim: "≥ 2,000/s",
  },
  readModelLag: {
    measure: "read-model lag p99 during order flow",
    today: "0.8–2 s",
    mustReach: "< 1 s",
    aim: "< 250 ms",
  },
  fanout: {
    measure: "1,000 dashboard clients: added reservation p99",
    today: "+52%",
    mustReach: "< +25%",
    aim: "< +10%",
  },
  activation: {
    measure: "activation, snapshot + 10,000 events",
    today: "95 ms",
    mustReach: "< 50 ms",
    aim: "< 20 ms",
  },
} satisfies Record<string, Earlier>;
