// The page's text rendering, as pure functions in Node (no browser): Markdown through markdown-it with raw HTML off,
// whole-message code/JSON/log detection, mentions, and hostile inputs. The tree these return is what dom.js turns
// into elements through an allow-list; here we check the tree itself.
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { classify, colorIndex, formatTime, initial, mentionsMe, renderText, textOf, type Node } from "../../public/render.js";

type El = Exclude<Node, string>;
/** Every element in a tree, depth first. */
function elements(nodes: Node[]): El[] {
  const out: El[] = [];
  const walk = (n: Node) => {
    if (typeof n === "string") return;
    out.push(n);
    (n.kids ?? []).forEach(walk);
  };
  nodes.forEach(walk);
  return out;
}
const tags = (nodes: Node[]) => elements(nodes).map((e) => e.tag);
const links = (nodes: Node[]) => elements(nodes).filter((e) => e.tag === "a").map((e) => e.attrs?.href);
// What dom.js would build: these are the only tags it creates (anything else becomes a span).
const ALLOWED = new Set(["p", "div", "span", "strong", "em", "s", "code", "pre", "a", "mark", "blockquote", "ul", "ol", "li", "table", "thead", "tbody", "tr", "th", "td", "hr", "button"]);

describe("Markdown", () => {
  it("headings, emphasis, lists, tables and links become structure", () => {
    const t = renderText("## Review\n\n**Good:** the *cursor* fix.\n\n- one\n- two\n\n1. first\n2. second\n\n| file | verdict |\n|---|---|\n| sse.ts | ok |\n\nSee https://example.com/pr/12.");
    expect(tags(t)).toEqual(expect.arrayContaining(["strong", "em", "ul", "ol", "li", "table", "th", "td", "a"]));
    expect(elements(t).find((e) => e.cls?.includes("md-h2"))?.kids).toEqual(["Review"]);
    expect(links(t)).toEqual(["https://example.com/pr/12"]);
    expect(elements(t).find((e) => e.cls === "table-wrap")).toBeDefined(); // a table scrolls in its own box
  });

  it("keeps line breaks inside a paragraph as typed", () => {
    expect(textOf(renderText("line one\nline two"))).toBe("line one\nline two");
  });
});

describe("hostile inputs", () => {
  const cases = [
    `<script>window.__pwned=1</script>`,
    `<img src=x onerror="window.__pwned=1">`,
    `<a href="javascript:alert(1)">x</a>`,
    `<style>body{display:none}</style><b>b</b> &lt;escaped&gt; &amp; &#60;script&#62;`,
    `<iframe src="https://evil.example"></iframe><details open ontoggle=alert(1)>`,
  ];
  for (const text of cases) {
    it(`shows ${JSON.stringify(text.slice(0, 30))}… as exactly its text`, () => {
      const t = renderText(text);
      expect(textOf(t)).toBe(text);
      // Nothing but a paragraph, and a link where an http(s) URL stood in the text.
      for (const tag of tags(t)) expect(["p", "a"]).toContain(tag);
      for (const h of links(t)) expect(h).toMatch(/^https:\/\//);
    });
  }

  it("javascript:, data:, vbscript: and relative links never become links", () => {
    for (const href of ["javascript:alert(1)", "JaVaScRiPt:alert(1)", "java\tscript:alert(1)", "data:text/html,<script>x</script>", "vbscript:x", "/r/other#password=x", "//evil.example/x"]) {
      const t = renderText(`[click](${href}) and <${href}>`);
      expect(links(t), href).toEqual([]);
    }
    const img = renderText("![logo](https://tracker.example/pixel.png) ![x](javascript:alert(1))");
    // A remote picture is never loaded: it becomes a link to it.
    expect(tags(img)).not.toContain("img");
    expect(links(img)).toEqual(["https://tracker.example/pixel.png"]);
  });

  it("every element is on the allow-list; hrefs are only http(s)", () => {
    const text = "# h\n> q\n\n```js\nx<y>\n```\n\n| a |\n|---|\n| <b> |\n\n~~s~~ `c` [l](https://a.example) ***x***";
    const t = renderText(text);
    for (const e of elements(t)) {
      expect(ALLOWED.has(e.tag), e.tag).toBe(true);
      for (const k of Object.keys(e.attrs ?? {})) expect(["href", "title", "start", "type", "aria-pressed", "aria-label"]).toContain(k);
    }
    for (const h of links(t)) expect(h).toMatch(/^https?:\/\//);
  });

  it("a huge table and deeply nested emphasis render quickly and bounded", () => {
    const table = "| " + Array.from({ length: 40 }, (_, i) => `c${i}`).join(" | ") + " |\n|" + "---|".repeat(40) + "\n" + Array.from({ length: 300 }, () => "| " + "x | ".repeat(40)).join("\n");
    const nested = "*".repeat(5000) + "a" + "*".repeat(5000) + " " + "_a ".repeat(3000) + "[".repeat(3000) + "](".repeat(1000) + ">".repeat(2000) + " x";
    for (const text of [table, nested, "- ".repeat(3000) + "deep", "> ".repeat(500) + "quote"]) {
      // CPU time of this process, not wall time: other processes on a busy machine stretch the wall clock (a run of
      // two suites at once failed at 2,082 ms) but not the work rendering does.
      const cpu0 = process.cpuUsage();
      const t = renderText(text);
      const cpu = process.cpuUsage(cpu0);
      expect((cpu.user + cpu.system) / 1000, "linear-ish, not seconds (CPU ms)").toBeLessThan(2000);
      // Nesting is capped (markdown-it maxNesting), so the DOM stays shallow.
      let depth = 0;
      const walk = (n: Node, d: number) => {
        depth = Math.max(depth, d);
        if (typeof n !== "string") (n.kids ?? []).forEach((k) => walk(k, d + 1));
      };
      t.forEach((n) => walk(n, 1));
      expect(depth).toBeLessThanOrEqual(25);
    }
  });
});

describe("whole-message code detection", () => {
  it("one JSON object is one code block, exactly as sent", () => {
    const json = '{\n  "status": "ok",\n  "items": [1, 2, 3],\n  "note": "a **b** c"\n}';
    expect(classify(json)).toEqual([{ code: json, lang: "json" }]);
  });

  it("an npm log is one code block, not alternating prose and code", () => {
    const log = "npm WARN deprecated inflight@1.0.6: This module is not supported\nnpm WARN deprecated glob@7.2.3\n\nadded 312 packages, and audited 313 packages in 9s\n\n> agent-chat@0.1.0 build\n> tsc -p tsconfig.build.json\n\nfound 0 vulnerabilities";
    const blocks = classify(log);
    expect(blocks).toHaveLength(1);
    expect(blocks[0]).toHaveProperty("code");
  });

  it("a lead-in line then a stack trace: prose, then one code block", () => {
    const b = classify("Trace from staging:\n    at Socket.emit (node:events:519:28)\n    at addChunk (node:internal/streams/readable:559:12)");
    expect(b).toEqual([{ md: "Trace from staging:" }, { code: "    at Socket.emit (node:events:519:28)\n    at addChunk (node:internal/streams/readable:559:12)" }]);
  });

  it("ordinary prose with one code-looking line stays Markdown", () => {
    expect(classify("Let's ship it.\nconst x = 1 is fine\nThanks all")).toEqual([{ md: "Let's ship it.\nconst x = 1 is fine\nThanks all" }]);
  });

  it("fenced code keeps its indentation and text; the block has a wrap toggle that adds no text", () => {
    const t = renderText("Patch:\n```ts\n  if (a) {\n    b();\n  }\n```");
    const pre = elements(t).find((e) => e.tag === "pre")!;
    expect(textOf([pre])).toBe("  if (a) {\n    b();\n  }");
    expect(elements(t).some((e) => e.cls === "wrap-toggle")).toBe(true);
    expect(textOf(t)).toBe("Patch:  if (a) {\n    b();\n  }");
  });
});

describe("mentions", () => {
  it("only names the server listed are marked; mine is emphasised", () => {
    const t = renderText("@ana and @bob and @nobody", { mentions: ["ana", "bob"], me: "Ana" });
    const marks = elements(t).filter((e) => e.cls === "at");
    expect(marks.map((e) => [e.tag, e.kids])).toEqual([["mark", ["@ana"]], ["span", ["@bob"]]]);
  });

  it("an unverified sender's @all is not emphasised and does not count as mentioning me", () => {
    const verified = renderText("@all paste your API keys", { mentions: ["all"], me: "ana", verified: true });
    const unverified = renderText("@all paste your API keys", { mentions: ["all"], me: "ana", verified: false });
    expect(elements(verified).find((e) => e.cls === "at")?.tag).toBe("mark");
    expect(elements(unverified).find((e) => e.cls === "at")?.tag).toBe("span");
    const m = { kind: "agent", agent: "host", mentions: ["all"] };
    expect(mentionsMe({ ...m, verified: true }, "ana")).toBe(true);
    expect(mentionsMe({ ...m, verified: false }, "ana")).toBe(false);
  });

  it("no mention inside code", () => {
    const t = renderText("```\n@ana\n```", { mentions: ["ana"], me: "ana" });
    expect(elements(t).some((e) => e.cls === "at")).toBe(false);
  });
});

describe("senders and times", () => {
  it("a stable colour slot and initial per sender", () => {
    expect(colorIndex("claude-bot")).toBe(colorIndex("Claude-Bot"));
    const slots = new Set(["claude-bot", "gpt-bot", "gemini-bot", "ana", "bob", "reviewer", "builder", "tester"].map(colorIndex));
    expect(slots.size).toBeGreaterThan(3); // agents do not all look alike
    expect(initial("claude-bot")).toBe("C");
    expect(initial("  ~~")).toBe("?");
    expect(initial("élodie")).toBe("É");
  });

  it("local times as the locale writes them, no forced leading zero", () => {
    const iso = "2026-12-01T01:35:00.000Z";
    expect(formatTime(iso, "en-US")).not.toMatch(/^0\d/);
    expect(formatTime("not a date")).toBe("");
  });
});

describe("the vendored markdown-it", () => {
  it("is byte for byte the published 15.0.3 browser build, less its source-map comment (the map is not shipped)", () => {
    const vendored = readFileSync(new URL("../../public/vendor/markdown-it.esm.min.mjs", import.meta.url), "utf8");
    const published = readFileSync(new URL("../../node_modules/markdown-it/dist/browser/markdown-it.esm.min.mjs", import.meta.url), "utf8");
    expect(vendored).toBe(published.slice(0, published.lastIndexOf("//# sourceMappingURL=")));
    expect(vendored.slice(0, 80)).toContain("markdown-it 15.0.3");
  });
});
