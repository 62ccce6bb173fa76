// Generated room passwords: strong and easy to read aloud or type on a phone. Four groups of four characters from
// 31 symbols with no look-alikes (no 0/o, 1/l/i) give 31^16 ≈ 2^79 possibilities.
import { randomInt } from "node:crypto";

export const PASSWORD_ALPHABET = "abcdefghjkmnpqrstuvwxyz23456789";

export function generatePassword(groups = 4, size = 4): string {
  const parts: string[] = [];
  for (let g = 0; g < groups; g++) {
    let s = "";
    for (let i = 0; i < size; i++) s += PASSWORD_ALPHABET[randomInt(PASSWORD_ALPHABET.length)];
    parts.push(s);
  }
  return parts.join("-");
}

/** Bits of entropy of a generated password. */
export const passwordBits = (groups = 4, size = 4) => groups * size * Math.log2(PASSWORD_ALPHABET.length);
