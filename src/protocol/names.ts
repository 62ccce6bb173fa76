// Participant names: what is allowed, and when two names are "the same" (so nobody can pose as someone else
// with a look-alike).
import { RoomError } from "./errors.js";

export const MAX_NAME_CHARS = 40;

// Common letters from other scripts that render like Latin ones. Not exhaustive (Unicode's confusables table
// has thousands of rows); it covers what a person would actually type to impersonate "alice" or "admin".
const LOOKALIKES: Record<string, string> = {
  "а": "a", "в": "b", "е": "e", "ё": "e", "к": "k", "м": "m", "н": "h", "о": "o", "р": "p", "с": "c", "т": "t",
  "у": "y", "х": "x", "і": "i", "ї": "i", "ј": "j", "ѕ": "s", "ԁ": "d", "ɡ": "g", "һ": "h", "ӏ": "l", "ԛ": "q", "ԝ": "w",
  "α": "a", "β": "b", "ε": "e", "η": "n", "ι": "i", "κ": "k", "ν": "v", "ο": "o", "ρ": "p", "τ": "t", "υ": "u",
  "χ": "x", "γ": "y", "ℓ": "l", "ı": "i", "0": "o", "1": "l", "|": "l", "$": "s", "@": "a",
};

// Printable ASCII needs no Unicode normalisation or invisible/bidi checks: the fast path for most names.
const PRINTABLE_ASCII = /^[\x20-\x7e]*$/;

const INVISIBLE = /[\p{Cf}\p{Mn}\p{Me}]/gu;
const CONTROL = /[\p{Cc}\u2028\u2029]/u;
// Direction overrides and isolates make "\u202Eecila" display as "alice": never allowed in a name.
const BIDI = /[\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]/u;

/** Names nobody may take (compared folded). */
export const RESERVED_NAMES = new Set(["system", "host", "room", "all", "everyone", "anonymous"].map(foldName));

/** The form two names are compared in: case, width, accents, invisible characters and look-alikes folded. */
export function foldName(name: string): string {
  const base = PRINTABLE_ASCII.test(name) ? name.toLowerCase() : name.normalize("NFKD").replace(INVISIBLE, "").toLowerCase();
  let out = "";
  for (const ch of base) out += LOOKALIKES[ch] ?? ch;
  // "i" and "l" look the same in many fonts; so do separators.
  return out.replace(/i/g, "l").replace(/[\s_.\-]+/g, "-");
}

/** Trim and validate a display name; throws BAD_NAME with what to do. */
export function checkName(raw: unknown, field = "name"): string {
  if (typeof raw !== "string") {
    throw new RoomError("BAD_NAME", `"${field}" must be a string of 1-${MAX_NAME_CHARS} characters, e.g. "alice-bot".`);
  }
  if (PRINTABLE_ASCII.test(raw)) {
    const name = raw.trim();
    if (name.length < 1 || name.length > MAX_NAME_CHARS) {
      throw new RoomError("BAD_NAME", `"${field}" must be 1-${MAX_NAME_CHARS} visible characters (got ${name.length}).`);
    }
    if (RESERVED_NAMES.has(foldName(name))) throw new RoomError("BAD_NAME", `"${name}" is reserved; pick another name.`);
    return name;
  }
  const name = raw.normalize("NFC").trim();
  if (BIDI.test(name)) throw new RoomError("BAD_NAME", `"${field}" contains text-direction control characters; use plain letters, digits, spaces or -_.`);
  if (CONTROL.test(name)) throw new RoomError("BAD_NAME", `"${field}" contains control characters; use letters, digits, spaces or -_.`);
  const visible = [...name.replace(INVISIBLE, "")].length;
  if (visible < 1 || [...name].length > MAX_NAME_CHARS) {
    throw new RoomError("BAD_NAME", `"${field}" must be 1-${MAX_NAME_CHARS} visible characters (got ${[...name].length}).`);
  }
  if (RESERVED_NAMES.has(foldName(name))) {
    throw new RoomError("BAD_NAME", `"${name}" is reserved; pick another name.`);
  }
  return name;
}
