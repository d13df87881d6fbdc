/**
 * A CMS preview link (decision 0038): renders the version its token names (a draft included) from
 * GET /v1/content/preview?token=…, no sign-in needed. Rich text is the server's sanitised HTML, parsed
 * in an inert document first; images (the dashboards load images from this origin only) show as
 * labelled placeholders with their address.
 */
import "./cms-i18n.js";
import { el } from "./common.js";
import { applyI18n, currentLang, t } from "./i18n.js";

const state = { page: null, error: null };
window.__preview = state;

const image = (src, alt) =>
  el(
    "figure",
    { class: "preview-image", "data-testid": "preview-image" },
    el("div", { class: "empty", text: `${t("previewImage")}: ${alt}` }),
    el("figcaption", { class: "sku", text: src }),
  );

/** Sanitised HTML from the server, parsed inertly (nothing loads or runs), images as placeholders. */
function richText(html) {
  const doc = new DOMParser().parseFromString(`<div>${html}</div>`, "text/html");
  for (const img of doc.querySelectorAll("img"))
    img.replaceWith(image(img.getAttribute("src") ?? "", img.getAttribute("alt") ?? ""));
  for (const a of doc.querySelectorAll("a")) a.setAttribute("target", "_blank");
  const root = el("div", { class: "rich-text", "data-testid": "preview-rich-text" });
  root.append(...document.adoptNode(doc.body.firstElementChild).childNodes);
  return root;
}

function component(c) {
  const box = (...children) =>
    el(
      "section",
      { class: "card preview-component", "data-testid": "preview-component", "data-type": c.type },
      ...children,
    );
  switch (c.type) {
    case "banner":
      return box(
        c.title ? el("h2", { text: c.title }) : null,
        image(c.image, c.alt),
        c.link ? el("a", { href: c.link, text: c.link }) : null,
      );
    case "rich_text":
      return box(richText(c.html));
    case "product_grid":
      return box(
        el("h2", { text: c.title ?? t("previewGrid") }),
        el("p", {
          text: c.source.category
            ? `${t("previewCategory")}: ${c.source.category}${c.source.limit ? ` × ${c.source.limit}` : ""}`
            : c.source.products.join(", "),
        }),
      );
    case "coupon_block":
      return box(
        el("h2", { text: c.title ?? t("previewCoupons") }),
        el("p", { text: c.templateIds.join(", ") }),
      );
    case "flash_sale_block":
      return box(el("h2", { text: c.title ?? t("previewFlashSale") }), el("p", { text: c.flashSaleId }));
    case "image_hotspots":
      return box(
        el("h2", { text: t("previewHotspots") }),
        image(c.image, c.alt),
        el(
          "ul",
          {},
          ...c.hotspots.map((h) =>
            el("li", { text: `(${h.x}%, ${h.y}%) ${h.label ?? ""} ${h.sku ?? h.link ?? ""}` }),
          ),
        ),
      );
    default:
      return box(el("p", { text: c.type }));
  }
}

function render() {
  applyI18n();
  const meta = document.getElementById("preview-meta");
  const title = document.getElementById("preview-title");
  const body = document.getElementById("preview-body");
  const error = document.getElementById("preview-error");
  error.textContent = state.error ? t(state.error === "expired" ? "previewExpired" : "previewInvalid") : "";
  error.dataset.reason = state.error ?? "";
  const p = state.page;
  if (!p) return;
  document.title = `${t("previewOf")} · ${p.title}`;
  meta.textContent = `${t("previewOf")} ${p.slug} · ${t("previewVersion")} ${p.version} · ${t("previewExpires")} ${new Date(p.expiresAt).toLocaleString(currentLang() === "en" ? "en-GB" : "zh-CN")}`;
  meta.dataset.version = String(p.version);
  title.textContent = p.title;
  body.replaceChildren(...p.components.map(component));
}

async function load() {
  const token = new URLSearchParams(location.search).get("token") ?? "";
  const res = await fetch(`/v1/content/preview?token=${encodeURIComponent(token)}`, { cache: "no-store" });
  const json = await res.json();
  if (res.ok) state.page = json;
  else state.error = json.reason === "expired" ? "expired" : "invalid";
  render();
}

window.addEventListener("langchange", render);
load();
