/**
 * The logistics panel (decision 0029): figures from the read models at open, then every shipment event
 * folded in live (each event carries its carrier, destination province and route, and the status it left
 * and entered). Shipments by status, late shipments by carrier and route, tracking events per minute, the
 * province heat table of shipments in transit, exceptions with their compensation records, SLA attainment.
 */
import { clock, el, int } from "./common.js";
import { currentLang } from "./i18n.js";

const IN_TRANSIT = new Set(["picked_up", "in_transit", "out_for_delivery"]);
const STATUSES = [
  "awaiting_waybill",
  "awaiting_pickup",
  "picked_up",
  "in_transit",
  "out_for_delivery",
  "delivered",
  "exception",
  "failed",
];
/** GB/T 2260 provinces: [zh-CN, en]. */
const PROVINCES = new Map(
  Object.entries({
    110000: ["北京", "Beijing"],
    120000: ["天津", "Tianjin"],
    130000: ["河北", "Hebei"],
    140000: ["山西", "Shanxi"],
    150000: ["内蒙古", "Inner Mongolia"],
    210000: ["辽宁", "Liaoning"],
    220000: ["吉林", "Jilin"],
    230000: ["黑龙江", "Heilongjiang"],
    310000: ["上海", "Shanghai"],
    320000: ["江苏", "Jiangsu"],
    330000: ["浙江", "Zhejiang"],
    340000: ["安徽", "Anhui"],
    350000: ["福建", "Fujian"],
    360000: ["江西", "Jiangxi"],
    370000: ["山东", "Shandong"],
    410000: ["河南", "Henan"],
    420000: ["湖北", "Hubei"],
    430000: ["湖南", "Hunan"],
    440000: ["广东", "Guangdong"],
    450000: ["广西", "Guangxi"],
    460000: ["海南", "Hainan"],
    500000: ["重庆", "Chongqing"],
    510000: ["四川", "Sichuan"],
    520000: ["贵州", "Guizhou"],
    530000: ["云南", "Yunnan"],
    540000: ["西藏", "Tibet"],
    610000: ["陕西", "Shaanxi"],
    620000: ["甘肃", "Gansu"],
    630000: ["青海", "Qinghai"],
    640000: ["宁夏", "Ningxia"],
    650000: ["新疆", "Xinjiang"],
    710000: ["台湾", "Taiwan"],
    810000: ["香港", "Hong Kong"],
    820000: ["澳门", "Macao"],
  }),
);
const WORDS = {
  "zh-CN": {
    byStatus: "各状态运单",
    late: "超时运单（承运商 · 线路）",
    perMinute: "每分钟轨迹事件",
    heat: "在途运单（省）",
    exceptions: "异常与赔付",
    sla: "时效达成率",
    inTransit: "在途",
    delivered: "已签收",
    exception: "异常",
    lateTotal: "超时",
    openClaims: "待赔付",
    none: "暂无",
    awaiting_waybill: "待取号",
    awaiting_pickup: "待揽收",
    picked_up: "已揽收",
    in_transit: "运输中",
    out_for_delivery: "派送中",
    failed: "取号失败",
    lost: "丢失",
    damaged: "破损",
    refused: "拒收",
    open: "待处理",
    settled: "已赔付",
  },
  en: {
    byStatus: "Shipments by status",
    late: "Late shipments (carrier · route)",
    perMinute: "Tracking events per minute",
    heat: "In transit by province",
    exceptions: "Exceptions and compensation",
    sla: "SLA attainment",
    inTransit: "In transit",
    delivered: "Delivered",
    exception: "Exceptions",
    lateTotal: "Late",
    openClaims: "Open claims",
    none: "None yet",
    awaiting_waybill: "Awaiting waybill",
    awaiting_pickup: "Awaiting pickup",
    picked_up: "Picked up",
    in_transit: "In transit",
    out_for_delivery: "Out for delivery",
    failed: "Waybill refused",
    lost: "Lost",
    damaged: "Damaged",
    refused: "Refused",
    open: "Open",
    settled: "Settled",
  },
};
const w = (key) => WORDS[currentLang() === "en" ? "en" : "zh-CN"][key] ?? key;
const provinceName = (code) => PROVINCES.get(code)?.[currentLang() === "en" ? 1 : 0] ?? code;

/** A fresh, empty figure set (also what a snapshot missing a part falls back to). */
export function emptyLogistics() {
  return {
    byStatus: {},
    late: [],
    trackingPerMinute: [],
    inTransitByProvince: [],
    exceptions: [],
    openCompensations: 0,
    sla: [],
  };
}

function bump(list, match, make, by) {
  const row = list.find(match);
  if (row) row.count += by;
  else if (by > 0) list.push({ ...make, count: by });
}

/** Folds one shipment batch (a live or replayed log message) into the figures. */
export function foldShipmentMessage(data, msg) {
  for (const e of msg.events) {
    const province = e.province ?? "-";
    if (e.type === "created") data.byStatus[e.status] = (data.byStatus[e.status] ?? 0) + 1;
    if (
      (e.type === "tracked" || e.type === "waybillIssued" || e.type === "waybillRefused") &&
      e.from !== e.status
    ) {
      data.byStatus[e.from] = Math.max(0, (data.byStatus[e.from] ?? 0) - 1);
      data.byStatus[e.status] = (data.byStatus[e.status] ?? 0) + 1;
      const was = IN_TRANSIT.has(e.from);
      const is = IN_TRANSIT.has(e.status);
      if (was !== is)
        bump(data.inTransitByProvince, (r) => r.province === province, { province }, is ? 1 : -1);
    }
    if (e.type === "tracked") {
      const at = Math.floor(e.receivedAt / 60_000) * 60_000;
      bump(data.trackingPerMinute, (r) => r.at === at, { at }, 1);
      if (e.onTime !== undefined) {
        const row = data.sla.find((r) => r.carrier === e.carrier);
        if (row) {
          row.delivered += 1;
          row.onTime += e.onTime ? 1 : 0;
        } else data.sla.push({ carrier: e.carrier, delivered: 1, onTime: e.onTime ? 1 : 0 });
      }
    }
    if (e.type === "late")
      bump(
        data.late,
        (r) => r.carrier === e.carrier && r.route === e.route,
        { carrier: e.carrier, route: e.route },
        1,
      );
    if (e.type === "compensationOpened") {
      data.exceptions.unshift({
        compensationId: e.compensationId,
        shipmentId: msg.entityId,
        orderId: e.orderId,
        carrier: e.carrier,
        reason: e.reason,
        amount: e.amount,
        status: "open",
        at: e.at,
      });
      data.exceptions.length = Math.min(data.exceptions.length, 20);
      data.openCompensations += 1;
    }
    if (e.type === "compensationSettled") {
      const row = data.exceptions.find((x) => x.compensationId === e.compensationId);
      if (row) row.status = "settled";
      data.openCompensations = Math.max(0, data.openCompensations - 1);
    }
  }
  data.inTransitByProvince = data.inTransitByProvince
    .filter((r) => r.count > 0)
    .sort((a, b) => b.count - a.count);
  data.late.sort((a, b) => b.count - a.count);
}

const kpi = (id, label, value, extra = "") =>
  el(
    "div",
    { class: "kpi", "data-testid": id, "data-value": String(value) },
    el("div", { class: "label", text: label }),
    el("div", { class: "value", text: `${int(value)}${extra}` }),
  );

function table(head, rows) {
  return el(
    "table",
    { class: "table" },
    el("thead", {}, el("tr", {}, ...head.map((h) => el("th", { text: h })))),
    el("tbody", {}, ...rows),
  );
}

/** Renders the figures into `box`. */
export function renderLogistics(box, data) {
  const total = (pred) => Object.entries(data.byStatus).reduce((n, [s, v]) => n + (pred(s) ? v : 0), 0);
  const lateTotal = data.late.reduce((n, r) => n + r.count, 0);
  const delivered = data.sla.reduce((n, r) => n + r.delivered, 0);
  const onTime = data.sla.reduce((n, r) => n + r.onTime, 0);
  const pct = delivered === 0 ? 100 : Math.round((onTime / delivered) * 1000) / 10;
  const now = Math.floor(Date.now() / 60_000) * 60_000;
  const minutes = Array.from({ length: 15 }, (_, i) => now - (14 - i) * 60_000);
  const perMinute = new Map(data.trackingPerMinute.map((r) => [r.at, r.count]));
  const peak = Math.max(1, ...minutes.map((m) => perMinute.get(m) ?? 0));
  const hottest = Math.max(1, ...data.inTransitByProvince.map((r) => r.count));
  const none = (n) => el("tr", {}, el("td", { colspan: String(n), class: "empty", text: w("none") }));
  box.replaceChildren(
    el(
      "div",
      { class: "kpis", "data-testid": "logistics-panel" },
      kpi(
        "kpi-in-transit",
        w("inTransit"),
        total((s) => IN_TRANSIT.has(s)),
      ),
      kpi("kpi-delivered", w("delivered"), data.byStatus.delivered ?? 0),
      kpi("kpi-exception", w("exception"), data.byStatus.exception ?? 0),
      kpi("kpi-late", w("lateTotal"), lateTotal),
      kpi("kpi-open-claims", w("openClaims"), data.openCompensations),
      kpi("kpi-sla", w("sla"), pct, "%"),
    ),
    el("h3", { text: w("byStatus") }),
    table(
      ["", "#"],
      STATUSES.map((s) =>
        el(
          "tr",
          { "data-testid": `status-${s}`, "data-value": String(data.byStatus[s] ?? 0) },
          el("td", { text: w(s) }),
          el("td", { class: "num", text: int(data.byStatus[s] ?? 0) }),
        ),
      ),
    ),
    el("h3", { text: w("perMinute") }),
    el(
      "div",
      {
        class: "bars",
        "data-testid": "tracking-per-minute",
        "data-value": String(minutes.reduce((n, m) => n + (perMinute.get(m) ?? 0), 0)),
        style: "display:flex;align-items:flex-end;gap:3px;height:60px",
      },
      ...minutes.map((m) =>
        el("div", {
          title: `${clock(m)} · ${perMinute.get(m) ?? 0}`,
          style: `flex:1;background:#3b82f6;height:${Math.round(((perMinute.get(m) ?? 0) / peak) * 100)}%;min-height:1px`,
        }),
      ),
    ),
    el("h3", { text: w("heat") }),
    table(
      ["", "#"],
      data.inTransitByProvince.length === 0
        ? [none(2)]
        : data.inTransitByProvince.map((r) =>
            el(
              "tr",
              {
                "data-testid": `province-${r.province}`,
                "data-value": String(r.count),
                style: `background:rgba(239,68,68,${(0.1 + (0.6 * r.count) / hottest).toFixed(2)})`,
              },
              el("td", { text: provinceName(r.province) }),
              el("td", { class: "num", text: int(r.count) }),
            ),
          ),
    ),
    el("h3", { text: w("late") }),
    table(
      ["", "", "#"],
      data.late.length === 0
        ? [none(3)]
        : data.late.map((r) =>
            el(
              "tr",
              {
                "data-testid": "late-row",
                "data-carrier": r.carrier,
                "data-route": r.route,
                "data-value": String(r.count),
              },
              el("td", { text: r.carrier }),
              el("td", { class: "mono", text: r.route }),
              el("td", { class: "num", text: int(r.count) }),
            ),
          ),
    ),
    el("h3", { text: w("sla") }),
    table(
      ["", "#", "%"],
      data.sla.length === 0
        ? [none(3)]
        : data.sla.map((r) =>
            el(
              "tr",
              {
                "data-testid": `sla-${r.carrier}`,
                "data-value": String(Math.round((r.onTime / r.delivered) * 1000) / 10),
              },
              el("td", { text: r.carrier }),
              el("td", { class: "num", text: `${int(r.onTime)}/${int(r.delivered)}` }),
              el("td", { class: "num", text: `${Math.round((r.onTime / r.delivered) * 1000) / 10}%` }),
            ),
          ),
    ),
    el("h3", { text: w("exceptions") }),
    el(
      "ul",
      { class: "alerts" },
      ...(data.exceptions.length === 0
        ? [el("li", { class: "empty", text: w("none") })]
        : data.exceptions.map((x) =>
            el(
              "li",
              { "data-testid": "exception-row", "data-reason": x.reason, "data-status": x.status },
              el("span", { class: "when", text: clock(x.at) }),
              el("strong", { text: `${w(x.reason)} · ${w(x.status)}` }),
              el("span", {
                class: "mono",
                text: `${x.shipmentId} · ${x.carrier} · ¥${(x.amount / 100).toFixed(2)}`,
              }),
            ),
          )),
    ),
  );
}
