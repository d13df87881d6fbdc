/**
 * Promotions panel: coupon claims and redemptions per minute, coupon effect (issued, used, GMV driven),
 * GMV that promotions and coupons drove today, live promotions and flash-sale progress, as whole-panel
 * figures (snapshot on subscribe, then `panel` updates once the read models hold each new event); coupon
 * and flash-sale events from the log as live activity.
 */
import { clock, connectHub, el, int, money, onLangChange, renderHeader } from "./common.js";
import { applyI18n, t } from "./i18n.js";

const ACTIVITY_MAX = 30;
const state = { panel: null, activity: [] };

renderHeader("promotions.html");

/** Figures taken later (database time) replace earlier ones; an older refresh arriving late is ignored. */
function applyPanel(data) {
  if (!data || typeof data.takenAt !== "string" || !data.coupons) return;
  if (state.panel && Date.parse(data.takenAt) < Date.parse(state.panel.takenAt)) return;
  state.panel = data;
  render();
}

function setValue(testid, value, text) {
  const node = document.querySelector(`[data-testid="${testid}"]`);
  if (!node) return;
  node.dataset.value = value === null ? "" : String(value);
  node.textContent = text ?? (value === null ? "—" : int(value));
}

function empty() {
  return el("li", { class: "empty", text: t("noData") });
}

function renderFlash(flashSales) {
  const box = document.getElementById("flash");
  if (flashSales === null) {
    box.replaceChildren(
      el("p", { class: "empty", "data-testid": "promo-flash-empty", text: t("promoFlashNotBuilt") }),
    );
    return;
  }
  if (flashSales.length === 0) {
    box.replaceChildren(
      el("p", { class: "empty", "data-testid": "promo-flash-empty", text: t("promoFlashNone") }),
    );
    return;
  }
  box.replaceChildren(
    ...flashSales.map((f) => {
      const ratio = f.allocated > 0 ? Math.min(1, f.sold / f.allocated) : 0;
      return el(
        "div",
        { "data-testid": "promo-flash-campaign", "data-campaign": f.campaignId, "data-sold": f.sold },
        el("div", { class: "sku", text: `${f.name} · ${f.sku}` }),
        el(
          "div",
          { class: "sell-track" },
          el("div", { class: "sell-fill", style: `width: ${(ratio * 100).toFixed(1)}%` }),
        ),
        el(
          "div",
          { class: "sell-meta" },
          el("span", { text: `${t("promoSold")} ${int(f.sold)} / ${int(f.allocated)}` }),
          el("span", { text: `${t("promoRefused")} ${int(f.refused)}` }),
          el("span", {
            text: `${t("promoQueue")} ${f.queueLength === null || f.queueLength === undefined ? "—" : int(f.queueLength)}`,
          }),
          el("span", { text: t(`flash_${f.status}`) }),
        ),
      );
    }),
  );
}

function render() {
  const p = state.panel;
  if (p) {
    const c = p.coupons;
    setValue("promo-claims-minute", c.claimsLastMinute);
    setValue("promo-redemptions-minute", c.redemptionsLastMinute);
    setValue("promo-issued", c.issued);
    setValue("promo-used", c.used);
    setValue("promo-coupon-gmv", c.gmv, money(c.gmv));
    setValue("promo-gmv-today", p.promotions.gmvToday, money(p.promotions.gmvToday));
    setValue("promo-discount-today", p.promotions.discountToday, money(p.promotions.discountToday));
    setValue("promo-active", p.promotions.active);
    document.getElementById("taken").textContent = clock(p.takenAt);
    renderFlash(p.flashSales);
    const minutes = document.getElementById("minutes");
    minutes.replaceChildren(
      ...[...c.perMinute]
        .reverse()
        .map((m) =>
          el(
            "tr",
            { "data-testid": "promo-minute", "data-at": m.at },
            el("td", { text: clock(m.at) }),
            el("td", { class: "num", text: int(m.claims) }),
            el("td", { class: "num", text: int(m.redemptions) }),
          ),
        ),
    );
    const templates = document.getElementById("templates");
    templates.replaceChildren(
      ...c.top.map((tpl) =>
        el(
          "tr",
          { "data-testid": "promo-template", "data-template": tpl.templateId, "data-issued": tpl.issued },
          el("td", { text: tpl.name }),
          el("td", { class: "num", text: `${int(tpl.issued)} / ${int(tpl.totalQuantity)}` }),
          el("td", { class: "num", text: int(tpl.used) }),
          el("td", { class: "num", text: money(tpl.gmv) }),
        ),
      ),
    );
  }
  const activity = document.getElementById("activity");
  activity.replaceChildren(
    ...(state.activity.length === 0
      ? [empty()]
      : state.activity.map((a) =>
          el(
            "li",
            { "data-testid": "promo-activity-item", "data-entity": a.entityId },
            el("span", { class: "when", text: clock(a.at) }),
            el("strong", { text: a.what }),
            el("span", { class: "mono", text: a.entityId }),
          ),
        )),
  );
}

/** What one log message says, for the activity list (coupon claims, pushes, redemptions; flash-sale events). */
function describe(msg) {
  const counts = new Map();
  for (const e of msg.events) {
    const key =
      e.type === "issued"
        ? e.source === "claim"
          ? t("promoEvtClaim")
          : t("promoEvtPush")
        : e.type === "committed"
          ? t("promoEvtUsed")
          : e.type;
    counts.set(key, (counts.get(key) ?? 0) + 1);
  }
  return [...counts].map(([k, n]) => (n > 1 ? `${k} ×${n}` : k)).join(", ");
}

render();
onLangChange(() => {
  applyI18n();
  render();
});

const hub = connectHub({
  dashboards: ["promotions"],
  onSnapshot: (_dashboard, data) => applyPanel(data),
  onPanel: (msg) => {
    if (msg?.dashboard === "promotions") applyPanel(msg.data);
  },
  onEvent: (msg) => {
    state.activity.unshift({ at: msg.at, entityId: msg.entityId, what: describe(msg) });
    state.activity.length = Math.min(state.activity.length, ACTIVITY_MAX);
    render();
  },
});
hub.state = state;
