// Message text → a tree of plain objects. Pure: no DOM, no globals, so it runs (and is tested) in Node as well as in
// the page; dom.js turns the tree into elements through an allow-list. Strings in the tree are text, objects are
// `{ tag, cls?, attrs?, kids? }`.
//
// What a message becomes, decided for the whole message first (an agent's JSON or npm log is one block, not
// alternating prose and code): valid JSON → one code block; mostly log/code lines → one code block (after a short
// lead-in line, if any); anything else → Markdown (markdown-it with raw HTML off, entities left as typed, and links
// limited to http(s)).
import MarkdownIt from "./vendor/markdown-it.esm.min.mjs";

const md = new MarkdownIt("default", { html: false, linkify: true, typographer: false, maxNesting: 20 });
// "&lt;" stays the four characters the sender typed: a chat shows what was written.
md.disable(["entity"]);
md.validateLink = (url) => /^https?:\/\//i.test(url.trim());

export const foldName = (s) => String(s).normalize("NFKC").toLowerCase();

// Lines that read better in a fixed-width font: indented code, stack traces, logs, shell prompts, npm output.
const CODE_LINE = new RegExp(
  [
    String.raw`^(\t| {4})\S`,
    String.raw`^\s*at\s+\S.*(:\d+|\))$`,
    String.raw`^\s*(\$|>>>|PS>)\s+\S`,
    String.raw`^\s*[{}()\[\];]+,?\s*$`,
    String.raw`[;{]\s*$`,
    String.raw`^\s*"[^"]*"\s*:\s*\S`,
    String.raw`^\s*(\/\/|#!|def |class |import |from \S+ import |function |const |let |var |return |if \(|for \(|while \(|fn |pub |package |#include)`,
    String.raw`^\s*(\d{4}-\d\d-\d\d[T ]\d\d:\d\d|\[\d\d:\d\d|\[?(TRACE|DEBUG|INFO|WARN|WARNING|ERROR|FATAL)\]?[\s:])`,
    String.raw`^\s*(Traceback \(most recent call last\)|File ".*", line \d+)`,
    String.raw`^\s*npm (WARN|ERR!|error|notice|warn)\b`,
    String.raw`^> \S+@\S+ \S`,
    String.raw`^\s*[✓✗×√✔✘]\s`,
    String.raw`^\s*(added|removed|changed|up to date)\b.*\b(packages?|audited)\b`,
  ].join("|"),
);

export const isCodeLine = (line) => CODE_LINE.test(line);

/**
 * Split a whole message into blocks: `{ md: text }` (Markdown) and `{ code: text, lang? }`.
 * Fences are Markdown's business (markdown-it renders them as code blocks).
 */
export function classify(text) {
  const t = text.trim();
  if (!t) return [];
  if (/^\s*(```|~~~)/m.test(text)) return [{ md: text }];
  if ((t[0] === "{" && t.at(-1) === "}") || (t[0] === "[" && t.at(-1) === "]")) {
    try {
      JSON.parse(t);
      return [{ code: t, lang: "json" }];
    } catch { /* not JSON: go on */ }
  }
  const lines = text.replace(/^\n+|\n+$/g, "").split("\n");
  const filled = lines.filter((l) => l.trim() !== "");
  const codeish = filled.filter(isCodeLine).length;
  if (filled.length >= 2 && codeish >= 2 && codeish / filled.length >= 0.6) {
    const first = lines.findIndex(isCodeLine);
    const head = lines.slice(0, first);
    if (first > 0 && head.filter((l) => l.trim()).length <= 2) {
      return [{ md: head.join("\n") }, { code: lines.slice(first).join("\n") }];
    }
    return [{ code: lines.join("\n") }];
  }
  return [{ md: text }];
}

/** One code block: the wrap toggle (shown by the page only when the block overflows) and the code itself. */
export function codeBlock(text, lang) {
  return {
    tag: "div",
    cls: "codeblock",
    kids: [
      // The label is drawn by CSS, so the button adds no characters to the message's text.
      { tag: "button", cls: "wrap-toggle", attrs: { type: "button", "aria-pressed": "false", "aria-label": "Wrap long lines" } },
      { tag: "pre", cls: "code", attrs: lang ? { title: lang } : {}, kids: [{ tag: "code", kids: [text] }] },
    ],
  };
}

const MENTION = /@[\p{L}\p{N}][\p{L}\p{N}_.\-]*/gu;

/**
 * Text with @mentions marked: only names the server listed in the message's `mentions`; a mention of me (or @all
 * from a verified sender) is emphasised, others are bold. An unverified sender cannot make @all shout.
 */
export function markMentions(text, ctx) {
  const known = ctx.known;
  if (!known.size || !text.includes("@")) return [text];
  const out = [];
  let last = 0;
  for (const m of text.matchAll(MENTION)) {
    const word = m[0].slice(1).replace(/[.\-]+$/, "");
    const key = foldName(word);
    const isAll = key === "all" || key === "everyone";
    if (!(known.has(key) || (isAll && known.has("all")))) continue;
    const piece = "@" + word;
    if (m.index > last) out.push(text.slice(last, m.index));
    const loud = key === ctx.me || (isAll && ctx.verified);
    out.push({ tag: loud ? "mark" : "span", cls: "at", kids: [piece] });
    last = m.index + piece.length;
  }
  if (last < text.length) out.push(text.slice(last));
  return out;
}

const BLOCK_TAGS = {
  paragraph_open: "p",
  bullet_list_open: "ul",
  ordered_list_open: "ol",
  list_item_open: "li",
  blockquote_open: "blockquote",
  thead_open: "thead",
  tbody_open: "tbody",
  tr_open: "tr",
  th_open: "th",
  td_open: "td",
};
// markdown-it caps block nesting, but not emphasis ("*****…a…*****" nests thousands deep): the tree stops here.
const MAX_DEPTH = 20;
const INLINE_TAGS = { strong_open: "strong", em_open: "em", s_open: "s" };

/** markdown-it tokens → tree. Every token type not listed here drops its markup and keeps its text. */
function fromTokens(tokens, ctx) {
  const root = { kids: [] };
  const stack = [root];
  let flattened = 0; // elements past MAX_DEPTH: their content goes into the deepest kept one
  const top = () => stack[stack.length - 1];
  const push = (node) => (top().kids.push(node), node);
  const open = (node) => (stack.length > MAX_DEPTH ? flattened++ : stack.push(push({ ...node, kids: [] })));
  const close = () => (flattened ? flattened-- : stack.length > 1 && stack.pop());

  const inline = (children) => {
    for (const t of children ?? []) {
      if (t.type === "text") for (const piece of markMentions(t.content, ctx)) piece && push(piece);
      else if (t.type === "softbreak" || t.type === "hardbreak") push("\n");
      else if (t.type === "code_inline") push({ tag: "code", kids: [t.content] });
      else if (INLINE_TAGS[t.type]) open({ tag: INLINE_TAGS[t.type] });
      else if (/_close$/.test(t.type)) close();
      else if (t.type === "link_open") {
        const href = t.attrGet("href") ?? "";
        open({ tag: "a", attrs: { href, title: href } });
      } else if (t.type === "image") {
        // Pictures from elsewhere are not loaded (they would tell a stranger who reads the room): a link instead.
        const src = t.attrGet("src") ?? "";
        const alt = t.content || "image";
        push(/^https?:\/\//i.test(src) ? { tag: "a", attrs: { href: src, title: src }, kids: [`🖼 ${alt}`] } : alt);
      } else if (t.content) push(t.content);
    }
  };

  for (const t of tokens) {
    if (t.type === "inline") inline(t.children);
    else if (t.type === "fence" || t.type === "code_block") push(codeBlock(t.content.replace(/\n$/, ""), t.info.trim().split(/\s/)[0] || undefined));
    else if (t.type === "hr") push({ tag: "hr" });
    else if (t.type === "heading_open") open({ tag: "p", cls: `md-h md-${t.tag}` });
    else if (t.type === "table_open") {
      open({ tag: "div", cls: "table-wrap" });
      open({ tag: "table" });
    } else if (t.type === "table_close") (close(), close());
    else if (t.type === "paragraph_open" && t.hidden) continue; // tight list items: no paragraph box
    else if (t.type === "paragraph_close" && t.hidden) continue;
    else if (BLOCK_TAGS[t.type]) {
      const attrs = t.type === "ordered_list_open" && t.attrGet("start") ? { start: t.attrGet("start") } : undefined;
      open({ tag: BLOCK_TAGS[t.type], cls: t.type === "paragraph_open" ? "text" : undefined, attrs });
    } else if (/_close$/.test(t.type)) close();
    else if (t.content) push(t.content);
  }
  return root.kids;
}

/**
 * A message's text as a tree. `ctx`: `{ mentions, me, verified }` — the server's mention list, my name, and
 * whether the sender holds a participant token.
 */
export function renderText(text, { mentions = [], me = "", verified = true } = {}) {
  const ctx = { known: new Set((Array.isArray(mentions) ? mentions : []).map(foldName)), me: foldName(me ?? ""), verified };
  const out = [];
  for (const b of classify(String(text))) {
    if (b.code !== undefined) out.push(codeBlock(b.code, b.lang));
    else out.push(...fromTokens(md.parse(b.md, {}), ctx));
  }
  return out;
}

/** Plain text of a tree (what a screen reader or a notification would say). */
export function textOf(nodes) {
  return nodes.map((n) => (typeof n === "string" ? n : n.tag === "button" ? "" : textOf(n.kids ?? []))).join("");
}

// ------------------------------------------------------------------ small facts about senders and times

const PALETTE = 8;

/** A stable colour slot (0–7) per sender name, so agents do not all look alike. */
export function colorIndex(name) {
  let h = 2166136261;
  for (const c of foldName(name)) h = Math.imul(h ^ c.codePointAt(0), 16777619);
  return (h >>> 0) % PALETTE;
}

/** The first letter or digit of a name, upper-cased ("claude-bot" → "C"); "?" when there is none. */
export function initial(name) {
  const m = /[\p{L}\p{N}]/u.exec(String(name).normalize("NFKC"));
  return m ? m[0].toLocaleUpperCase() : "?";
}

/** Local time as the reader's locale writes it ("13:35", "1:35 PM"), never a forced leading zero. */
export function formatTime(iso, locale) {
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return "";
  return d.toLocaleTimeString(locale, { hour: "numeric", minute: "2-digit" });
}

export function ago(iso, now = Date.now()) {
  const s = Math.max(0, Math.round((now - Date.parse(iso)) / 1000));
  if (s < 90) return `${s} s ago`;
  if (s < 5400) return `${Math.round(s / 60)} min ago`;
  return `${Math.round(s / 3600)} h ago`;
}

/** Does message `m` mention `me`? @all counts only from a verified sender. */
export function mentionsMe(m, me) {
  if (!Array.isArray(m.mentions) || m.kind === "system" || !me) return false;
  if (m.verified !== false && m.agent === me) return false;
  const key = foldName(me);
  return m.mentions.some((n) => (n === "all" ? m.verified !== false : foldName(n) === key));
}
