// Who a message @mentions, in time linear in the text whatever the number of participants. Each "@" is looked at
// once: the word after it, then the same with the next words added (names may contain spaces), up to the longest
// name there can be — one map lookup per candidate, never a scan over participants.
import { foldName, MAX_NAME_CHARS } from "../protocol/names.js";

/** At most this many distinct names are recorded per message (the list is stored with it). */
export const MAX_MENTIONS = 50;

// A word: letters, digits, marks, and the separators names use inside ("alice-bot", "j.doe", "o'brien").
const WORD = /^[\p{L}\p{N}\p{M}][\p{L}\p{N}\p{M}_.'\-]*/u;

let ALL: string | undefined;
let EVERYONE: string | undefined;

/** `lookup` takes a folded name and answers the participant's display name, if there is one. */
export function findMentions(text: string, lookup: (folded: string) => string | undefined): string[] | undefined {
  if (!text.includes("@")) return undefined;
  const found = new Set<string>();
  for (let at = text.indexOf("@"); at !== -1 && found.size < MAX_MENTIONS; at = text.indexOf("@", at + 1)) {
    // The candidate window: what follows the "@", no longer than a name can be (in UTF-16 units, 2 per character
    // at most), cut at the end of the line.
    let window = text.slice(at + 1, at + 1 + MAX_NAME_CHARS * 2);
    const nl = window.search(/[\r\n]/);
    if (nl !== -1) window = window.slice(0, nl);
    let end = 0;
    let candidate = "";
    // Extend word by word: "@a", "@a b", "@a b c"… Every step is one fold and one lookup of at most a name's length.
    for (let words = 0; end < window.length && words < MAX_NAME_CHARS; words++) {
      const m = WORD.exec(window.slice(end));
      if (!m) break;
      candidate = window.slice(0, end + m[0].length);
      end += m[0].length;
      if ([...candidate].length > MAX_NAME_CHARS) break;
      const bare = candidate.replace(/[.\-']+$/, ""); // "@alice." at the end of a sentence
      const key = foldName(bare);
      if (words === 0 && (key === (ALL ??= foldName("all")) || key === (EVERYONE ??= foldName("everyone")))) {
        found.add("all");
        break;
      }
      const name = lookup(key);
      if (name) found.add(name);
      if (window[end] !== " ") break; // names have single spaces between words
      end++;
    }
  }
  return found.size ? [...found] : undefined;
}
