/**
 * Catalogue panel: products by status, scheduled listings due within the hour and reviews awaiting
 * moderation, as whole-panel figures (snapshot on subscribe, then `panel` updates when Postgres says the
 * catalogue changed); listing events from the log as live activity.
 */
import { clock, connectHub, el, int, onLangChange, renderHeader } from "./common.js";
import { applyI18n, t } from "./i18n.js";

const ACTIVITY_MAX = 30;
const state = { panel: null, activity: [] };

renderHeader("catalogue.html");

/** Figures taken later (database time) replace earlier ones; an older refresh arriving late is ignored. */
function applyPanel(data) {
  if (!data || typeof data.takenAt !== "string") return;
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

function render() {
  const p = state.panel;
  if (p) {
    setValue("cat-total", p.total);
    for (const status of ["draft", "on_sale", "off_sale"])
      setValue(`cat-status-${status}`, p.byStatus[status]);
    setValue("cat-scheduled-hour", p.scheduledNextHour);
    setValue(
      "cat-reviews-pending",
      p.reviewsPending,
      p.reviewsPending === null ? `— (${t("catNotAvailable")})` : undefined,
    );
    document.getElementById("taken").textContent = clock(p.takenAt);
    const upcoming = document.getElementById("upcoming");
    upcoming.replaceChildren(
      ...(p.upcoming.length === 0
        ? [el("li", { class: "empty", text: t("noData") })]
        : p.upcoming.map((u) =>
            el(
              "li",
              { "data-testid": "cat-upcoming-item", "data-spu": u.spuCode },
              el("span", { class: "when", text: clock(u.at) }),
              el("strong", { text: u.action === "unpublish" ? t("catUnpublish") : t("catPublish") }),
              el("span", { class: "mono", text: `${u.spuCode} · ${u.name}` }),
            ),
          )),
    );
  }
  const activity = document.getElementById("activity");
  activity.replaceChildren(
    ...(state.activity.length === 0
      ? [el("li", { class: "empty", text: t("noData") })]
      : state.activity.map((a) =>
          el(
            "li",
            { "data-testid": "cat-activity-item", "data-spu": a.spuCode },
            el("span", { class: "when", text: clock(a.at) }),
            el("strong", { text: a.types }),
            el("span", { class: "mono", text: a.spuCode }),
          ),
        )),
  );
}

render();
onLangChange(() => {
  applyI18n();
  render();
});

const hub = connectHub({
  dashboards: ["catalogue"],
  onSnapshot: (_dashboard, data) => applyPanel(data),
  onPanel: (msg) => applyPanel(msg?.data),
  onEvent: (msg) => {
    state.activity.unshift({
      at: msg.at,
      spuCode: msg.entityId,
      types: msg.events.map((e) => e.type).join(", "),
    });
    state.activity.length = Math.min(state.activity.length, ACTIVITY_MAX);
    render();
  },
});
hub.state = state;
