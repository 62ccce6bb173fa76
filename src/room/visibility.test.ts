import { describe, expect, it } from "vitest";
import { createPrivateIndex, visibleTo } from "./visibility.js";

describe("visibleTo", () => {
  it("public messages are everyone's; private ones the sender's and the recipient's, names folded", () => {
    expect(visibleTo({ agent: "alice" }, undefined)).toBe(true);
    const pm = { agent: "Alice", to: "bob" };
    expect(visibleTo(pm, "alice")).toBe(true);
    expect(visibleTo(pm, "BOB")).toBe(true);
    expect(visibleTo(pm, "carol")).toBe(false);
    expect(visibleTo(pm, undefined)).toBe(false);
  });
});

describe("private index", () => {
  const msg = (id: number, to?: string) => ({ id, agent: "alice", text: `m${id}`, timestamp: "", kind: "agent" as const, ...(to && { to }) });
  it("filters a slice without changing its cursor, and returns the same slice when nothing is hidden", () => {
    const p = createPrivateIndex();
    for (const m of [msg(1), msg(2, "bob"), msg(3)]) p.add(m);
    const s = { items: ['"1"', '"2"', '"3"'], next: 3, reset: false };
    expect(p.filter(s, "carol")).toEqual({ items: ['"1"', '"3"'], next: 3, reset: false });
    expect(p.filter(s, "bob")).toBe(s);
    expect(p.hiddenFrom("carol", 1, 3)).toBe(1);
    expect(p.hides(2, undefined)).toBe(true);
    p.prune(3);
    expect(p.size).toBe(0);
    expect(p.filter(s, "carol")).toBe(s);
  });
});
