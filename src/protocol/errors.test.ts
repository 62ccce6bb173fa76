// The one error table (errors.ts) and the README's "Errors" table say the same: every code with its status.
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { errorStatus } from "./errors.js";

function readmeTable(): Record<string, number> {
  const md = readFileSync(new URL("../../README.md", import.meta.url), "utf8");
  const start = md.indexOf("### Errors");
  const end = md.indexOf("\n#", start + 10);
  const out: Record<string, number> = {};
  for (const line of md.slice(start, end === -1 ? undefined : end).split("\n")) {
    const m = /^\|\s*(\d{3})\s*\|(.*)\|\s*$/.exec(line);
    if (!m) continue;
    for (const c of m[2]!.matchAll(/`([A-Z][A-Z_]+)`/g)) out[c[1]!] = Number(m[1]);
  }
  return out;
}

describe("error table", () => {
  it("matches the README's Errors table, code for code and status for status", () => {
    const readme = readmeTable();
    expect(Object.keys(readme).length).toBeGreaterThan(20);
    expect(readme).toEqual({ ...errorStatus });
  });
});
