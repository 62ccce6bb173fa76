import { describe, expect, it } from "vitest";
import { checkName, foldName } from "./names.js";

describe("names", () => {
  it("folds case, width, accents, invisible characters and look-alike letters to one form", () => {
    const alice = foldName("alice");
    for (const v of ["Alice", "ALICE", "аlice" /* Cyrillic а */, "álice", "al\u200bice", "ａｌｉｃｅ", "aIice", "a1ice"]) {
      expect(foldName(v), v).toBe(alice);
    }
    expect(foldName("bob")).not.toBe(alice);
  });

  it("accepts 1-40 visible characters and trims", () => {
    expect(checkName("  alice-bot ")).toBe("alice-bot");
    expect(checkName("x".repeat(40))).toBe("x".repeat(40));
    expect(checkName("🤖 robot")).toBe("🤖 robot");
  });

  it("refuses empty, too long, control characters, non-strings and reserved names", () => {
    for (const bad of ["", "   ", "\u200b", "x".repeat(41), "a\nb", "a\u0007b", "\u202eecila", "al\u2066ice", 42, null, "system", "SYSTEM", "all"]) {
      expect(() => checkName(bad), String(bad)).toThrow(expect.objectContaining({ code: "BAD_NAME" }));
    }
  });
});
