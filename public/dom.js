// Small DOM helpers, and the one place a rendered tree (from render.js) becomes elements. Text only ever becomes
// text nodes; tags and attributes come from an allow-list, so nothing a message says can become markup.

export const $ = (id) => /** @type {HTMLElement} */ (document.getElementById(id));

export function el(tag, className, text) {
  const e = document.createElement(tag);
  if (className) e.className = className;
  if (text != null) e.textContent = text;
  return e;
}

const TAGS = new Set([
  "p", "div", "span", "strong", "em", "s", "code", "pre", "a", "mark", "blockquote", "ul", "ol", "li",
  "table", "thead", "tbody", "tr", "th", "td", "hr", "button",
]);
const ATTRS = new Set(["href", "start", "title", "type", "aria-label", "aria-pressed", "tabindex", "data-wrap"]);

/** Build DOM from a render.js tree: strings are text, objects `{ tag, cls, attrs, kids }`. */
export function build(node) {
  if (typeof node === "string") return document.createTextNode(node);
  const tag = TAGS.has(node.tag) ? node.tag : "span";
  const e = document.createElement(tag);
  if (node.cls) e.className = node.cls;
  for (const [k, v] of Object.entries(node.attrs ?? {})) {
    if (!ATTRS.has(k)) continue;
    if (k === "href") {
      // Checked again here, whatever render.js decided: only http(s) links, opened elsewhere, no referrer.
      let url;
      try { url = new URL(String(v)); } catch { continue; }
      if (url.protocol !== "http:" && url.protocol !== "https:") continue;
      e.setAttribute("href", url.href);
      e.setAttribute("target", "_blank");
      e.setAttribute("rel", "noopener noreferrer");
      continue;
    }
    e.setAttribute(k, String(v));
  }
  for (const k of node.kids ?? []) e.append(build(k));
  return e;
}

export function buildAll(nodes) {
  const frag = document.createDocumentFragment();
  for (const n of nodes) frag.append(build(n));
  return frag;
}
