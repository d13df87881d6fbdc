/**
 * `npm run bench`: flash-sale, order-flow, recovery and fanout in turn, then issue 15's targets table
 * `npm run bench -- <scenario> [options]`
 *   flash-sale   one hot SKU against Postgres and Redis baselines and the HTTP ceiling (default S=20000, C=256, R=3)
 *   recovery     activation of a 10,000-event actor; shard failover after SIGKILL with three nodes
 *   order-flow   orders of 1–5 lines over 1,000 SKUs, paid by signed callback; orders/s and read-model lag
 *   fanout       1,000 Socket.IO dashboard clients during a hot-SKU sale: latency and p99 growth
 *   catalogue    operator product search at 100,000 products: p95 per query shape (target < 50 ms)
 *   targets      issue 15's targets: earlier figures beside each scenario's latest run (runs nothing)
 *   flash-campaign  a flash-sale campaign over HTTP, 10× buyers per unit: sold, refused, oversold, latency
 *   cms-delivery  the public CMS page read over HTTP from the Redis cache: p95 (target < 5 ms)
 * Options: --quick, --stock N, --clients N, --repeats N, --rate N (open model, attempts/s),
 *          --budget S (seconds per variant run, default 25), --orders N (order-flow),
 *          --products N, --samples N (catalogue), --reads N (cms-delivery)
 *          --only http,actor,… (flash-sale variants to run), --profile DIR (flash-sale, order-flow: the
 *          hub's and the projector's CPU profiles)
 */
import { runCatalogue } from "./catalogue.ts";
import { runCmsDelivery } from "./cms-delivery.ts";
import { EARLIER } from "./earlier.ts";
import { runFanout } from "./fanout.ts";
import { runFlashCampaign } from "./flash-campaign.ts";
import { VARIANTS as ALL_VARIANTS, runFlashSale, type VARIANTS } from "./flash-sale.ts";
import { runOrderFlow } from "./order-flow.ts";
import { runRecovery } from "./recovery.ts";
import {
  barChart,
  comparisonTable,
  htmlComparison,
  htmlTable,
  htmlTargets,
  type Target,
  table,
  targetLines,
  writeResults,
} from "./report.ts";
import { fmt } from "./stats.ts";
import { targetsSummary } from "./summary.ts";

const args = process.argv.slice(2);
// `npm run bench -- --quick` runs every scenario quick.
const scenario = args[0]?.startsWith("--") ? undefined : args[0];
const flag = (name: string) => args.includes(`--${name}`);
const option = (name: string): number | undefined => {
  const i = args.indexOf(`--${name}`);
  if (i < 0) return undefined;
  const value = Number(args[i + 1]);
  if (!Number.isInteger(value) || value <= 0) {
    console.error(`--${name} needs a positive whole number`);
    process.exit(2);
  }
  return value;
};
/** `--only http,actor`: the flash-sale variants to run (default all). */
const onlyVariants = (): Array<(typeof VARIANTS)[number]> | undefined => {
  const i = args.indexOf("--only");
  if (i < 0) return undefined;
  const names = String(args[i + 1] ?? "").split(",");
  const unknown = names.filter((n) => !(ALL_VARIANTS as readonly string[]).includes(n));
  if (unknown.length > 0) {
    console.error(`--only takes ${ALL_VARIANTS.join(", ")}; unknown: ${unknown.join(", ")}`);
    process.exit(2);
  }
  return names as Array<(typeof VARIANTS)[number]>;
};
const stringOption = (name: string): string | undefined => {
  const i = args.indexOf(`--${name}`);
  return i < 0 ? undefined : args[i + 1];
};
const env = {
  natsUrl: process.env.NATS_URL ?? "nats://127.0.0.1:4222",
  databaseUrl: process.env.DATABASE_URL ?? "postgres://postgres@127.0.0.1:5432/postgres",
  redisUrl: process.env.REDIS_URL ?? "redis://127.0.0.1:6379",
};
const log = (line: string) => console.log(line);

async function flashSale(): Promise<boolean> {
  const quick = flag("quick");
  const rate = option("rate");
  const o = {
    stock: option("stock") ?? (quick ? 4_000 : 20_000),
    clients: option("clients") ?? (quick ? 128 : 256),
    repeats: option("repeats") ?? (quick ? 1 : 3),
    budgetSeconds: option("budget") ?? (quick ? 60 : 25),
    quick,
    ...(rate ? { rate } : {}),
    ...(onlyVariants() ? { only: onlyVariants() } : {}),
    ...(stringOption("profile") ? { profileDir: stringOption("profile") } : {}),
    ...env,
  };
  log(
    `flash-sale: stock ${o.stock}, ${o.stock * 3} attempts, ${o.clients} ${o.rate ? `in flight max, open model at ${o.rate}/s` : "closed-loop clients"}, ${o.repeats} round(s), variants interleaved`,
  );
  const result = await runFlashSale(o, log);
  const rows = result.summaries.map((s) => ({ ...s, verdict: s.correct ? "correct" : "INCORRECT" }));
  const columns = [
    { key: "label", label: "variant" },
    { key: "salesPerSecond", label: "sales/s" },
    { key: "attemptsPerSecond", label: "attempts/s" },
    { key: "p50", label: "p50 ms", digits: 1 },
    { key: "p95", label: "p95 ms", digits: 1 },
    { key: "p99", label: "p99 ms", digits: 1 },
    { key: "errors", label: "errors" },
    { key: "verdict", label: "verdict" },
    { key: "note", label: "durability" },
  ];
  log(`\nmedian of ${o.repeats} round(s):\n${table(rows, columns)}`);
  const by = Object.fromEntries(result.summaries.map((s) => [s.variant, s])) as Record<
    (typeof VARIANTS)[number],
    (typeof result.summaries)[number]
  >;
  const ratio = (a: number, b: number) => a / b;
  const times = (v: number) => `${fmt(v, 2)}×`;
  const ms = (v: number) => `${fmt(v, 1)} ms`;
  // The full run's labels stay as they were; a run with other clients says how many it measured.
  const withClients = o.clients === 256 ? "" : `, ${o.clients} clients`;
  const workload = `stock ${fmt(o.stock)}, ${fmt(o.stock * 3)} attempts, ${o.clients} ${o.rate ? "in flight max" : "closed-loop clients"}, ${o.repeats} round(s)${quick ? ", --quick" : ""}`;
  const actorVsPg = ratio(by.actor.salesPerSecond, by.pg.salesPerSecond);
  const actorVsRedis = ratio(by.actor.salesPerSecond, by.redis.salesPerSecond);
  const httpVsPg = ratio(by.http.salesPerSecond, by["pg-http"].salesPerSecond);
  const httpVsCeiling = ratio(by.http.attemptsPerSecond, by.ceiling.attemptsPerSecond);
  const targets: Target[] = [
    {
      name: "actor level ÷ Postgres (sales/s)",
      value: actorVsPg,
      goal: "≥ 20×",
      met: actorVsPg >= 20,
      earlier: EARLIER.actorVsPg,
      shown: times(actorVsPg),
    },
    {
      name: "actor level ÷ Redis Lua (sales/s)",
      value: actorVsRedis,
      goal: "≥ 0.5×",
      met: actorVsRedis >= 0.5,
      earlier: EARLIER.actorVsRedis,
      shown: times(actorVsRedis),
    },
    {
      name: `actor level p99${withClients} (ms)`,
      value: by.actor.p99,
      goal: "< 30 ms",
      met: by.actor.p99 < 30,
      earlier: EARLIER.actorP99,
      shown: `${ms(by.actor.p99)}${withClients ? ` (${o.clients} clients)` : ""}`,
    },
    {
      name: "HTTP end to end ÷ Postgres behind HTTP (sales/s)",
      value: httpVsPg,
      goal: "≥ 5×",
      met: httpVsPg >= 5,
      earlier: EARLIER.httpVsPgHttp,
      shown: times(httpVsPg),
    },
    {
      name: `HTTP end to end p99${withClients} (ms)`,
      value: by.http.p99,
      goal: "< 100 ms",
      met: by.http.p99 < 100,
      earlier: EARLIER.httpP99,
      shown: `${ms(by.http.p99)}${withClients ? ` (${o.clients} clients)` : ""}`,
    },
    {
      // Requests answered per second on both sides (the reservation route's include its sold-out 409s).
      name: "HTTP reservation ÷ HTTP ceiling (requests/s)",
      value: httpVsCeiling,
      goal: "≥ 0.4×",
      met: httpVsCeiling >= 0.4,
      earlier: EARLIER.httpVsCeiling,
      shown: times(httpVsCeiling),
    },
    {
      name: "HTTP end to end ÷ Redis Lua (sales/s)",
      value: ratio(by.http.salesPerSecond, by.redis.salesPerSecond),
      goal: "(information)",
      met: true,
    },
  ];
  log(`\nmeasured: ${workload}\n${targetLines(targets)}`);
  log(`\n${comparisonTable(targets, workload)}`);
  const files = writeResults(
    "flash-sale",
    { scenario: "flash-sale", ...result, targets },
    {
      title: "Flash sale on one hot SKU",
      sections: [
        `<p>Stock ${o.stock}, ${o.stock * 3} attempts, ${o.clients} clients, ${o.repeats} round(s) interleaved; medians shown. A variant that fails correctness gets no throughput figure.</p>`,
        htmlTable(rows, columns),
        htmlTargets(targets),
        htmlComparison(targets, workload),
        barChart(
          "Successful reservations per second",
          result.summaries.map((s) => ({
            label: s.label,
            value: s.salesPerSecond,
            note: "incorrect: no figure",
          })),
          "/s",
        ),
        barChart(
          "p99 latency",
          result.summaries.map((s) => ({ label: s.label, value: s.p99 })),
          "ms",
        ),
      ],
    },
  );
  log(`\nresults: ${files.json}\nreport:  ${files.html} (latest: bench/results/flash-sale-latest.html)`);
  return result.summaries.every((s) => s.correct);
}

async function recovery(): Promise<boolean> {
  const result = await runRecovery({ quick: flag("quick"), ...env }, log);
  // The label states the tail this run wrote (10,000 in a full run, 2,000 with --quick).
  const workload = `snapshot + ${fmt(result.tailEvents)} tail events, median of ${result.activationSamples.length} activations; 3 nodes, lease TTL ${result.leaseTtlSeconds} s`;
  const targets: Target[] = [
    {
      name: `activation with snapshot + ${fmt(result.tailEvents)} tail events (ms, median)`,
      value: result.activationMs,
      goal: "< 50 ms",
      met: result.activationMs < 50,
      earlier: EARLIER.activation,
      shown: `${fmt(result.activationMs, 1)} ms (${fmt(result.tailEvents)} events)`,
    },
    {
      name: "shard failover after SIGKILL, 3 nodes (s)",
      value: result.failoverSeconds,
      goal: "< 10 s",
      met: result.failoverSeconds < 10,
    },
  ];
  log(`\nmeasured: ${workload}\n${targetLines(targets)}`);
  log(`\n${comparisonTable(targets, workload)}`);
  const files = writeResults(
    "recovery",
    { scenario: "recovery", ...result, targets },
    {
      title: "Recovery",
      sections: [
        htmlTargets(targets),
        htmlComparison(targets, workload),
        barChart(
          "Activation samples",
          result.activationSamples.map((v, i) => ({ label: `run ${i + 1}`, value: v })),
          "ms",
        ),
        `<pre>${JSON.stringify(result, null, 2)}</pre>`,
      ],
    },
  );
  log(`\nresults: ${files.json}\nreport:  ${files.html}`);
  return result.correct;
}

async function orderFlow(): Promise<boolean> {
  const quick = flag("quick");
  const result = await runOrderFlow(
    {
      orders: option("orders") ?? (quick ? 150 : 2_000),
      clients: option("clients") ?? (quick ? 16 : 64),
      skus: quick ? 100 : 1_000,
      quick,
      ...(stringOption("profile") ? { profileDir: stringOption("profile") } : {}),
      ...env,
    },
    log,
  );
  const rows = [
    {
      orders: result.load.ok,
      perSecond: result.load.okPerSecond,
      p50: result.load.p50,
      p99: result.load.p99,
      errors: result.load.errors,
      lagP50: result.readModelLagMs.p50,
      lagP99: result.readModelLagMs.p99,
      verdict: result.correct ? "correct" : "INCORRECT",
    },
  ];
  const columns = [
    { key: "orders", label: "orders paid" },
    { key: "perSecond", label: "orders/s", digits: 1 },
    { key: "p50", label: "p50 ms" },
    { key: "p99", label: "p99 ms" },
    { key: "errors", label: "errors" },
    { key: "lagP50", label: "read-model lag p50 ms", digits: 1 },
    { key: "lagP99", label: "lag p99 ms", digits: 1 },
    { key: "verdict", label: "verdict" },
  ];
  log(`\n${table(rows, columns)}`);
  const workload = `${fmt(result.load.ok)} orders of 1–5 lines over ${fmt(quick ? 100 : 1_000)} SKUs, ${option("clients") ?? (quick ? 16 : 64)} clients${quick ? ", --quick" : ""}`;
  const targets: Target[] = [
    {
      name: "order flow, place and pay (orders/s)",
      value: result.load.okPerSecond,
      goal: "≥ 500/s",
      met: result.load.okPerSecond >= 500,
      earlier: EARLIER.orderFlow,
      shown: `${fmt(result.load.okPerSecond, 1)}/s`,
    },
    {
      name: "read-model lag p99 during order flow (ms)",
      value: result.readModelLagMs.p99,
      goal: "< 1,000 ms",
      met: result.readModelLagMs.p99 < 1_000,
      earlier: EARLIER.readModelLag,
      shown: `${fmt(result.readModelLagMs.p99, 0)} ms`,
    },
  ];
  log(`\nmeasured: ${workload}\n${targetLines(targets)}`);
  log(`\n${comparisonTable(targets, workload)}`);
  const files = writeResults(
    "order-flow",
    { scenario: "order-flow", ...result, targets },
    {
      title: "Order flow: place and pay",
      sections: [
        "<p>Each order: POST /v1/orders (1–5 lines over the SKU catalogue), POST /v1/payments, then the channel's signed callback. Latency is per order (three requests).</p>",
        htmlTable(rows, columns),
        htmlTargets(targets),
        htmlComparison(targets, workload),
        barChart(
          "Read-model lag (event → Postgres row)",
          [
            { label: "p50", value: result.readModelLagMs.p50 },
            { label: "p99", value: result.readModelLagMs.p99 },
          ],
          "ms",
        ),
      ],
    },
  );
  log(`\nresults: ${files.json}\nreport:  ${files.html}`);
  return result.correct;
}

async function fanout(): Promise<boolean> {
  const quick = flag("quick");
  const result = await runFanout(
    {
      subscribers: option("subscribers") ?? (quick ? 100 : 1_000),
      stock: option("stock") ?? (quick ? 1_000 : 5_000),
      clients: option("clients") ?? (quick ? 32 : 128),
      quick,
      ...env,
    },
    log,
  );
  const workload = `${fmt(result.subscribers)} subscribers, stock ${fmt(option("stock") ?? (quick ? 1_000 : 5_000))}, ${option("clients") ?? (quick ? 32 : 128)} clients${quick ? ", --quick" : ""}`;
  const targets: Target[] = [
    {
      // The full run's label (1,000 subscribers) stays; a smaller run says how many it had.
      name: `reservation p99 growth with ${result.subscribers === 1_000 ? "" : `${fmt(result.subscribers)} `}subscribers`,
      value: result.p99Growth * 100,
      goal: "< 25 %",
      met: result.p99Growth < 0.25,
      earlier: EARLIER.fanout,
      shown: `${result.p99Growth >= 0 ? "+" : ""}${fmt(result.p99Growth * 100, 0)}% (${fmt(result.subscribers)} clients)`,
    },
  ];
  log(`\nmeasured: ${workload}\n${targetLines(targets)}`);
  log(`\n${comparisonTable(targets, workload)}`);
  const rows = [
    {
      subscribers: result.subscribers,
      delivered: result.delivered,
      p50: result.latencyP50,
      p99: result.latencyP99,
      base: result.baselineP99,
      watched: result.watchedP99,
    },
  ];
  const columns = [
    { key: "subscribers", label: "subscribers" },
    { key: "delivered", label: "messages" },
    { key: "p50", label: "event→client p50 ms" },
    { key: "p99", label: "p99 ms" },
    { key: "base", label: "reservation p99 alone ms", digits: 1 },
    { key: "watched", label: "with subscribers ms", digits: 1 },
  ];
  log(table(rows, columns));
  const files = writeResults(
    "fanout",
    { scenario: "fanout", ...result, targets },
    {
      title: "Live fan-out",
      sections: [
        htmlTable(rows, columns),
        htmlTargets(targets),
        htmlComparison(targets, workload),
        barChart(
          "Reservation p99",
          [
            { label: "without subscribers", value: result.baselineP99 },
            { label: "with subscribers", value: result.watchedP99 },
          ],
          "ms",
        ),
      ],
    },
  );
  log(`\nresults: ${files.json}\nreport:  ${files.html}`);
  return result.correct;
}

async function catalogue(): Promise<boolean> {
  const quick = flag("quick");
  const result = await runCatalogue(
    {
      products: option("products") ?? (quick ? 2_000 : 100_000),
      samples: option("samples") ?? (quick ? 20 : 200),
      quick,
      ...env,
    },
    log,
  );
  const columns = [
    { key: "shape", label: "query shape" },
    { key: "p50", label: "p50 ms", digits: 1 },
    { key: "p95", label: "p95 ms", digits: 1 },
    { key: "p99", label: "p99 ms", digits: 1 },
    { key: "samples", label: "samples" },
    { key: "matches", label: "matches" },
  ];
  log(`\n${table(result.results as unknown as Array<Record<string, unknown>>, columns)}`);
  const worst = Math.max(...result.results.map((r) => r.p95));
  const targets: Target[] = [
    {
      name: `search p95, worst shape, at ${result.options.products.toLocaleString("en-US")} products (ms)`,
      value: worst,
      goal: "< 50 ms",
      met: worst < 50,
    },
  ];
  log(`\n${targetLines(targets)}`);
  log(`search results: ${result.correct ? "correct" : `INCORRECT (${result.problems.join("; ")})`}`);
  const files = writeResults(
    "catalogue",
    { scenario: "catalogue", ...result, targets },
    {
      title: "Catalogue search",
      sections: [
        `<p>${result.options.products} products (1–3 SKUs each), GET /v1/products over HTTP, one client, ${result.options.samples} samples per shape after 10 warm-up queries.</p>`,
        htmlTable(result.results as unknown as Array<Record<string, unknown>>, columns),
        htmlTargets(targets),
        barChart(
          "p95 per query shape",
          result.results.map((r) => ({ label: r.shape, value: r.p95 })),
          "ms",
        ),
      ],
    },
  );
  log(`\nresults: ${files.json}\nreport:  ${files.html}`);
  return result.correct;
}

/** A flash-sale campaign through POST /v1/orders with 10× as many buyers as units (decision 0023). */
async function flashCampaign(): Promise<boolean> {
  const quick = flag("quick");
  const o = {
    stock: option("stock") ?? (quick ? 100 : 1_000),
    clients: option("clients") ?? (quick ? 32 : 128),
    factor: 10,
    budgetSeconds: option("budget") ?? 120,
    ...env,
  };
  log(
    `flash-campaign: ${o.stock} units, ${o.stock * o.factor} buyers (one order each), ${o.clients} clients`,
  );
  const { result, correct } = await runFlashCampaign(o, log);
  const rows = [
    { what: "buyers (attempts)", value: `${result.buyers} (${result.attempts})` },
    { what: "sold (201)", value: result.sold },
    { what: "refused", value: `${result.refused} ${JSON.stringify(result.refusedBy)}` },
    { what: "oversold", value: result.oversold },
    { what: "units lost", value: result.lost },
    { what: "errors", value: result.errors },
    { what: "campaign actor", value: JSON.stringify(result.campaign) },
    { what: "SKU actor", value: JSON.stringify(result.sku) },
    { what: "sold out after (s)", value: result.sellOutSeconds.toFixed(2) },
    { what: "attempts/s", value: Math.round(result.attemptsPerSecond) },
    {
      what: "latency ms p50 / p95 / p99 / max",
      value: [result.p50, result.p95, result.p99, result.max].map((v) => v.toFixed(1)).join(" / "),
    },
  ];
  const columns = [
    { key: "what", label: "flash-sale campaign over HTTP" },
    { key: "value", label: "" },
  ];
  log(`\n${table(rows, columns)}`);
  const targets: Target[] = [
    { name: "campaign oversold (units)", value: result.oversold, goal: "= 0", met: result.oversold === 0 },
    { name: "campaign units lost", value: result.lost, goal: "= 0", met: result.lost === 0 },
    {
      name: "campaign sold (units)",
      value: result.sold,
      goal: `= ${result.stock}`,
      met: result.sold === result.stock,
    },
    { name: "campaign order p99 (ms)", value: result.p99, goal: "(information)", met: true },
  ];
  log(`\n${targetLines(targets)}`);
  const files = writeResults(
    "flash-campaign",
    { scenario: "flash-campaign", options: o, result, targets, correct },
    {
      title: "Flash-sale campaign over HTTP",
      sections: [
        `<p>${o.stock} units, ${o.stock * o.factor} buyers, ${o.clients} clients; every attempt a POST /v1/orders with the campaign.</p>`,
        htmlTable(rows, columns),
        htmlTargets(targets),
      ],
    },
  );
  log(`\nresults: ${files.json}\nreport:  ${files.html}`);
  return correct;
}

/** The public CMS page read over HTTP from the Redis cache (decisions 0031, 0039): p95 < 5 ms. */
async function cmsDelivery(): Promise<boolean> {
  const quick = flag("quick");
  const o = {
    reads: option("reads") ?? (quick ? 2_000 : 20_000),
    clients: option("clients") ?? 1,
    ...env,
  };
  log(`cms-delivery: ${o.reads} reads of one published page over HTTP from ${o.clients} client(s)`);
  const { result, correct } = await runCmsDelivery(o, log);
  const rows = [
    {
      reads: result.ok,
      perSecond: result.okPerSecond,
      p50: result.p50,
      p95: result.p95,
      p99: result.p99,
      max: result.max,
      bytes: result.bytes,
      verdict: correct ? "correct" : "INCORRECT",
    },
  ];
  const columns = [
    { key: "reads", label: "reads (200, same ETag)" },
    { key: "perSecond", label: "reads/s" },
    { key: "p50", label: "p50 ms", digits: 2 },
    { key: "p95", label: "p95 ms", digits: 2 },
    { key: "p99", label: "p99 ms", digits: 2 },
    { key: "max", label: "max ms", digits: 1 },
    { key: "bytes", label: "body bytes" },
    { key: "verdict", label: "verdict" },
  ];
  log(`\n${table(rows, columns)}`);
  log(
    `delivery: ${result.wrong} wrong answers, ${result.errors} errors; publish v2 then next read v2: ${result.invalidated ? "yes" : "NO"}`,
  );
  const targets: Target[] = [
    { name: "cms page read from cache p95 (ms)", value: result.p95, goal: "< 5 ms", met: result.p95 < 5 },
  ];
  log(`\n${targetLines(targets)}`);
  const files = writeResults(
    "cms-delivery",
    { scenario: "cms-delivery", options: o, result, targets, correct },
    {
      title: "CMS delivery from cache over HTTP",
      sections: [
        `<p>${o.reads} reads of one published page, ${o.clients} client(s), over HTTP to a separate hub.</p>`,
        htmlTable(rows, columns),
        htmlTargets(targets),
      ],
    },
  );
  log(`\nresults: ${files.json}\nreport:  ${files.html}`);
  return correct;
}

/** Issue 15's whole targets table: earlier figures beside each scenario's latest run (no run here). */
async function targets(): Promise<boolean> {
  log(targetsSummary());
  return true;
}

const scenarios: Record<string, () => Promise<boolean>> = {
  targets,
  "flash-sale": flashSale,
  recovery,
  "order-flow": orderFlow,
  fanout,
  catalogue,
  "flash-campaign": flashCampaign,
  "cms-delivery": cmsDelivery,
};

/**
 * `npm run bench` with no scenario: every scenario behind issue 15's targets, one after the other on the
 * same machine, then the whole table (earlier figures, this run's, must reach, aim, verdict).
 */
async function all(): Promise<boolean> {
  let correct = true;
  for (const name of ["flash-sale", "order-flow", "recovery", "fanout"]) {
    log(`\n════ ${name} ════`);
    correct = (await scenarios[name]!()) && correct;
  }
  log("");
  await targets();
  return correct;
}

const run = scenario ? scenarios[scenario] : all;
if (!run) {
  console.error(
    `usage: npm run bench -- <${Object.keys(scenarios).join("|")}> [--quick] [--stock N] [--clients N] [--repeats N] [--rate N] [--budget S]`,
  );
  process.exit(2);
}
const correct = await run();
process.exit(correct ? 0 : 1);
