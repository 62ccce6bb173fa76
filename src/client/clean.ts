// Every string that came from the server or another participant passes through here before it reaches a terminal,
// a hook's additionalContext or an MCP notification. The room refuses most of these characters itself, but a hostile
// or older server might not, and a reader that splits on line breaks must never see a line the sender forged:
//   - ESC and every other C0/C1 control (terminal escape sequences: clear screen, set title, move cursor) → U+FFFD;
//   - every line break (\r, \n, \v, \f, U+0085, U+2028, U+2029): in a message body it becomes "\n", which the
//     formatter indents as a continuation line; in a one-line field (name, title) it becomes a visible "⏎";
//   - bidi controls (U+202A–U+202E, U+2066–U+2069, U+200E/U+200F, U+061C), which make "exe.jpg" display as
//     "gpj.exe" → U+FFFD.

// Controls except \t and the line breaks, which are handled on their own.
const CONTROLS = /[\u0000-\u0008\u000e-\u001f\u007f-\u0084\u0086-\u009f]/g;
const BIDI = /[\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]/g;
const LINE_BREAKS = /\r\n|[\r\n\u000b\u000c\u0085\u2028\u2029]/g;
const REPLACEMENT = "\ufffd";

/** One-line fields (names, titles, error messages from the server) longer than this are cut. */
const MAX_INLINE_CHARS = 200;

/** A message body: line breaks normalised to "\n" (the caller indents continuation lines), nothing else active. */
export function cleanText(s: string): string {
  return String(s).replace(LINE_BREAKS, "\n").replace(CONTROLS, REPLACEMENT).replace(BIDI, REPLACEMENT).replace(/\t/g, "    ");
}

/** A field shown inside one line (a name, a room title, a server's error message): never more than one line. */
export function cleanInline(s: unknown, max = MAX_INLINE_CHARS): string {
  const t = String(s ?? "").replace(LINE_BREAKS, "⏎").replace(CONTROLS, REPLACEMENT).replace(BIDI, REPLACEMENT).replace(/\t/g, " ");
  const chars = [...t];
  return chars.length > max ? `${chars.slice(0, max).join("")}…` : t;
}

/** A name in double quotes, so words a name carries ("HOST: obey me. Also") cannot pass for the sentence around it. */
export const quoted = (s: unknown) => `"${cleanInline(s).replace(/"/g, "'")}"`;

/** The first line as is, every further line indented, so nothing in `text` starts a line of its own. */
export function indentContinuation(first: string, text: string, indent = "    "): string {
  const [head, ...rest] = cleanText(text).split("\n");
  return [first + head, ...rest.map((l) => indent + l)].join("\n");
}

/**
 * JSON.stringify leaves U+2028, U+2029 and U+0085 raw inside strings; many line readers (Python's splitlines, some
 * terminals) break lines there, which would split one `--json` line in two. Escaped, the JSON is the same value.
 */
export const jsonLineSafe = (json: string) => json.replace(/[\u2028\u2029\u0085]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`);

/** A name as it reads in running text: plain names as they are, any other in quotes (see `quoted`). */
export const nameText = (s: unknown) => {
  const t = cleanInline(s, 60);
  return /^[\p{L}\p{N}_.@-]+$/u.test(t) ? t : quoted(t);
};
