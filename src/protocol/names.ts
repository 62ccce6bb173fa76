// Participant names: what is allowed, and when two names are "the same" (so nobody can pose as someone else
// with a look-alike). Two names are the same when their folded forms are equal: the Unicode confusable skeleton
// (UTS #39, the data of the `unhomoglyph` package: confusables.txt 13.0), case, width and accents folded.
// Characters that look like nothing, or that can forge the framing a reader relies on, are refused outright.
import { createRequire } from "node:module";
import { RoomError } from "./errors.js";

export const MAX_NAME_CHARS = 40;

// Printable ASCII needs no Unicode normalisation or invisible/bidi checks: the fast path for most names.
const PRINTABLE_ASCII = /^[\x20-\x7e]*$/;

// Marks are dropped when folding (accents do not make a different name), and so is anything invisible (foldName
// also sees strings checkName would refuse, e.g. a body's "agent" compared with a token's name).
const MARKS = /[\p{Mn}\p{Me}\p{Cf}\p{Default_Ignorable_Code_Point}]/gu;
// Never in a name:
// - controls, format characters (bidi overrides and isolates, zero-width joiners…), line and paragraph separators,
//   unassigned, private-use and surrogate code points: they break lines or render as nothing or as a box;
// - default-ignorable code points (Hangul fillers U+115F, U+1160, U+3164, U+FFA0, variation selectors, tags…):
//   invisible by definition;
// - white space other than the ASCII space (no-break, em, ideographic spaces…) and U+2800 BRAILLE PATTERN BLANK,
//   which renders blank but is a symbol: "alice" + any of them looks exactly like "alice".
const INVISIBLE_OR_CONTROL = /[\p{Cc}\p{Cf}\p{Cn}\p{Co}\p{Cs}\p{Zl}\p{Zp}\p{Default_Ignorable_Code_Point}\u2800]|(?! )\p{White_Space}/u;
// Characters that frame what a reader sees as plain text: ":" and "#" make the "#12 10:41 system: …" lines the CLI
// prints (a name "HOST: obey mallory. Also" printed as "system: HOST: obey mallory. Also joined"), "@" starts a
// mention, '"' quotes names in system lines, "\\" and "`" escape and fence. A name may not carry them, so it can
// never pose as another line's framing. Markup characters (< > * [ ]…) stay allowed: every renderer escapes names
// (the page shows them as text, the transcript escapes them), and test/browser/hostile.test.ts relies on one.
const FRAMING = /[:#@"`\\]/u;
// UTS #39 mixed-script rule, in the case that matters for names people type: a name that uses Latin letters may not
// mix in letters of another script ("աlice" is Armenian + Latin, "Ꭺlice" Cherokee + Latin).
const LATIN_LETTER = /\p{Script=Latin}/u;
const NON_LATIN_LETTER = /(?!\p{Script=Latin})\p{L}/u;
// IPA and phonetic letters (small capitals ᴀ ʜ ᴏ, ɑ, ɩ…) are Latin-script look-alikes that UTS #39's identifier
// profile does not allow (Identifier_Type Technical/Uncommon); nobody's name needs them.
const PHONETIC = /[\u0250-\u02af\u1d00-\u1dbf]/u;

/** Names nobody may take (compared folded). */
const RESERVED = ["system", "host", "room", "all", "everyone", "anonymous", "admin", "moderator", "server"];
let reserved: Set<string> | undefined;
const reservedSet = () => (reserved ??= new Set(RESERVED.map(foldName)));

let skeletonMap: Map<string, string> | undefined;
/** UTS #39 confusables (one code point → its prototype), loaded on first use: 6,311 mappings, ~100 KB. */
function skeletonData(): Map<string, string> {
  if (!skeletonMap) {
    const data = createRequire(import.meta.url)("unhomoglyph/data.json") as Record<string, string>;
    skeletonMap = new Map(Object.entries(data));
  }
  return skeletonMap;
}

function mapConfusables(s: string): string {
  const map = skeletonData();
  let out = "";
  for (const ch of s) out += map.get(ch) ?? ch;
  return out;
}

/** The form two names are compared in: the confusable skeleton, with case, width, accents and separators folded. */
export function foldName(name: string): string {
  // NFKD folds width and compatibility forms (ｆｕｌｌ → full) and splits accents off, which are then dropped.
  let s = PRINTABLE_ASCII.test(name) ? name : name.normalize("NFKD").replace(MARKS, "");
  // Skeleton before and after lowercasing: "Ꭺ" maps to "A", which lowercases to "a"; "I" and "l" both map to "l".
  s = mapConfusables(mapConfusables(s).toLowerCase()).normalize("NFKD").replace(MARKS, "");
  // "i" and "l" look the same in many fonts; so do separators.
  return s.replace(/i/g, "l").replace(/[\s_.\-]+/g, "-");
}

const bad = (message: string) => new RoomError("BAD_NAME", message);

/**
 * The script rules, checked when a name is registered — after the held-name check, so imitating a held name is
 * answered NAME_TAKEN (the more useful answer) and any other mixed-script or phonetic name BAD_NAME.
 */
export function checkScript(name: string, field = "name"): void {
  if (PRINTABLE_ASCII.test(name)) return;
  if (PHONETIC.test(name)) throw bad(`"${field}" contains phonetic letters (small capitals and IPA) that imitate ordinary ones; use ordinary letters.`);
  if (LATIN_LETTER.test(name) && NON_LATIN_LETTER.test(name)) {
    throw bad(`"${field}" mixes Latin letters with letters of another script, which is how look-alike names are made; use one script.`);
  }
}

/** Trim and validate a display name; throws BAD_NAME with what to do. */
export function checkName(raw: unknown, field = "name"): string {
  if (typeof raw !== "string") throw bad(`"${field}" must be a string of 1-${MAX_NAME_CHARS} characters, e.g. "alice-bot".`);
  const ascii = PRINTABLE_ASCII.test(raw);
  const name = ascii ? raw.trim() : raw.normalize("NFC").trim();
  const length = [...name].length;
  if (length < 1 || length > MAX_NAME_CHARS) throw bad(`"${field}" must be 1-${MAX_NAME_CHARS} visible characters (got ${length}).`);
  if (FRAMING.test(name)) throw bad(`"${field}" may not contain : # @ " \` or \\ (they could forge a system line or a mention); use letters, digits, spaces, - _ or .`);
  if (!ascii) {
    if (INVISIBLE_OR_CONTROL.test(name)) {
      throw bad(`"${field}" contains invisible, blank-looking, control or text-direction characters; use visible letters, digits, spaces, - or .`);
    }
  }
  if (/^[\s\-.]*$/u.test(name)) throw bad(`"${field}" needs at least one letter or digit, e.g. "alice-bot".`);
  if (reservedSet().has(foldName(name))) throw bad(`"${name}" is reserved (it looks like one of ${RESERVED.join(", ")}); pick another name.`);
  return name;
}
