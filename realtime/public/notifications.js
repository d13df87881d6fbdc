/**
 * Operator notifications (decision 0030): open counts by severity and the open notifications, live from
 * the `notifications` room (a raise or an acknowledgement anywhere shows here as it commits); each can be
 * acknowledged from the page (POST /v1/notifications/{id}/ack with the signed-in token).
 */
import { clock, el, int, onLangChange, renderHeader, requireToken, setConnState } from "./common.js";
import { t } from "./i18n.js";

const SEVERITIES = ["critical", "warning", "info"];
/** Open notifications by id (a Map: ids come from the server). */
const open = new Map();
const state = { counts: null, acked: [], loading: false };
window.__notifications = state;

renderHeader("notifications.html");

function render() {
  for (const s of SEVERITIES) {
    const node = document.querySelector(`[data-testid="ntf-open-${s}"]`);
    const value = state.counts ? (state.counts[s] ?? 0) : null;
    node.dataset.value = value === null ? "" : String(value);
    node.textContent = value === null ? "—" : int(value);
  }
  const list = document.getElementById("ntf-list");
  const items = [...open.values()].sort((a, b) => Date.parse(b.raisedAt) - Date.parse(a.raisedAt));
  if (items.length === 0) {
    list.replaceChildren(el("li", { class: "empty", "data-testid": "ntf-empty", text: t("ntfNone") }));
    return;
  }
  list.replaceChildren(
    ...items.map((n) =>
      el(
        "li",
        { "data-testid": "ntf-item", "data-id": n.id, "data-kind": n.kind, "data-severity": n.severity },
        el("span", { class: `badge sev-${n.severity}`, text: t(`sev_${n.severity}`) }),
        el("span", { class: "time", text: clock(n.raisedAt) }),
        el("span", { class: "sku", text: n.kind }),
        el("span", { text: n.message }),
        el("button", {
          type: "button",
          "data-testid": "ntf-ack",
          text: t("ntfAck"),
          onclick: () => acknowledge(n.id),
        }),
      ),
    ),
  );
}

/** Open counts follow the snapshot's, moved by each change seen once (the ack reply and the feed may both bring it). */
function apply(notification) {
  if (!notification || typeof notification.id !== "string") return;
  const counts = state.counts;
  if (notification.acknowledged) {
    if (!state.acked.includes(notification.id)) {
      state.acked.push(notification.id);
      if (counts) counts[notification.severity] = Math.max(0, (counts[notification.severity] ?? 0) - 1);
    }
    open.delete(notification.id);
  } else if (!open.has(notification.id) && !state.acked.includes(notification.id)) {
    open.set(notification.id, notification);
    if (counts && !state.loading) counts[notification.severity] = (counts[notification.severity] ?? 0) + 1;
  }
  render();
}

async function acknowledge(id) {
  const res = await fetch(`/v1/notifications/${encodeURIComponent(id)}/ack`, {
    method: "POST",
    headers: { authorization: `Bearer ${requireToken()}` },
  });
  if (res.ok) apply(await res.json());
}

const token = requireToken();
if (token) {
  // `io` is the global from /dashboard/vendor/socket.io.min.js.
  const socket = window.io({ auth: { token }, transports: ["websocket"], reconnectionDelay: 300 });
  setConnState("connecting");
  socket.on("connect", () => {
    setConnState("connected");
    socket.emit("notifications:subscribe", {}, (reply) => {
      if (!reply?.ok) return;
      open.clear();
      state.counts = { ...reply.open };
      state.loading = true;
      for (const n of reply.items ?? []) apply(n);
      state.loading = false;
      render();
    });
  });
  socket.on("disconnect", () => setConnState("disconnected"));
  socket.on("notification", apply);
}
onLangChange(render);
render();
