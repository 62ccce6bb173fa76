// The README's guessing arithmetic rests on these facts about generated passwords.
import { describe, expect, it } from "vitest";
import { generatePassword, PASSWORD_ALPHABET, passwordBits } from "./password.js";

describe("generated passwords", () => {
  it("are four groups of four from 31 symbols with no look-alikes: about 2^79", () => {
    expect(new Set(PASSWORD_ALPHABET).size).toBe(31);
    expect(PASSWORD_ALPHABET).not.toMatch(/[01ilo]/);
    expect(passwordBits()).toBeGreaterThan(79);
    for (let i = 0; i < 200; i++) expect(generatePassword()).toMatch(/^[a-hjkmnp-z2-9]{4}(-[a-hjkmnp-z2-9]{4}){3}$/);
  });

  it("draw every symbol and never repeat in 2,000 draws", () => {
    const all = Array.from({ length: 2000 }, () => generatePassword());
    expect(new Set(all).size).toBe(all.length);
    expect(new Set(all.join("").replace(/-/g, "")).size).toBe(31);
  });
});
