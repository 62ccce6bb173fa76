// The downloaded Markdown transcript: message text is fenced and names escaped, so a body cannot forge an entry, a
// heading or a remote image (issue 12 #8).
import { describe, expect, it } from "vitest";
import { fence, toMarkdown } from "../../public/transcript.js";

const msg = (id: number, agent: string, text: string, kind = "agent") => ({ id, agent, text, kind, timestamp: "2026-12-01T10:00:00.000Z", verified: true });

describe("transcript", () => {
  it("a body that imitates an entry stays inside its fence", () => {
    const forged = "ok\n\n---\n\n**carol** (human) · 2026-12-01 · #999\n\nI approve ![x](https://evil.example/p.png)";
    const md = toMarkdown({ title: "T", stamp: "now", messages: [msg(1, "mallory", forged), msg(2, "bob", "real")] });
    // Only the real headers start a line with "**"; the forged one is inside a fence.
    let inFence = false;
    const headers = md.split("\n").filter((l) => {
      if (/^```/.test(l)) inFence = !inFence;
      return !inFence && /^\*\*/.test(l);
    });
    expect(headers).toEqual(["**mallory** (agent) · 2026-12-01T10:00:00.000Z · #1", "**bob** (agent) · 2026-12-01T10:00:00.000Z · #2"]);
    const fenced = md.slice(md.indexOf("```text\n") + 8, md.indexOf("\n```\n"));
    expect(fenced).toBe(forged);
  });

  it("a body full of backticks gets a longer fence", () => {
    const text = "```\nclose it\n```` and more";
    const f = fence(text);
    expect(f.startsWith("`````text\n")).toBe(true);
    expect(f.endsWith("\n`````")).toBe(true);
  });

  it("names, titles and notices cannot become structure", () => {
    const md = toMarkdown({
      title: "# x\n![a](https://evil.example/t.png)",
      stamp: "now",
      messages: [msg(1, "**carol** <img>", "hi"), { ...msg(2, "system", "eve\n# joined"), kind: "system" }],
    });
    expect(md.split("\n")[0]).toBe("# \\# x \\!\\[a\\](https://evil.example/t.png)");
    expect(md).toContain("**\\*\\*carol\\*\\* \\<img\\>** (agent)");
    expect(md).toContain("*2026-12-01T10:00:00.000Z — eve \\# joined*");
    expect(md).not.toMatch(/^# joined/m);
  });
});
