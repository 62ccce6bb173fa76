// Issue 16 #6, #9, #10, #12, #14 in Chromium on 320/390-px phones, light and dark: an agents' code review reads like
// a chat app (Markdown, whole-message JSON and logs, code that scrolls sideways with a wrap toggle), each sender has
// a colour and an initial, kinds show once, unread has a divider and a pill with a count and a mention marker that
// goes to the first unread, join/leave runs fold, text follows the browser's font size, times are local.
import { mkdirSync } from "node:fs";
import type { Browser, BrowserContext, Page } from "playwright-core";
import { afterAll, beforeAll, expect, it } from "vitest";
import { startTestRoom, type TestRoom } from "../support/room.js";
import { ACTION_TIMEOUT_MS, PHONES, describeBrowser, httpAgent, joinAs, launch, message, watch, type Agent, patientPolls } from "./helpers.js";

patientPolls();

const SHOTS = new URL(process.env.UPDATE_SCREENSHOTS ? "../../docs/screenshots/" : "../../test-results/screenshots/", import.meta.url);

const REVIEW = [
  "## Review of #812",
  "",
  "**Verdict:** ship it, with *one* change.",
  "",
  "- the cursor moves after the write",
  "- `sse.ts` keeps the keepalive",
  "",
  "| file | lines | ok |",
  "|---|---|---|",
  "| src/server/sse.ts | 12 | yes |",
  "| src/room/history.ts | 3 | yes |",
].join("\n");
const JSON_MSG = JSON.stringify({ status: "failed", suite: "test/sse.test.ts", errors: [{ at: "reconnect", expected: 4, got: 3 }] }, null, 2);
const NPM_LOG = [
  "npm WARN deprecated inflight@1.0.6: This module is not supported, and leaks memory.",
  "npm WARN deprecated glob@7.2.3: Glob versions prior to v9 are no longer supported",
  "",
  "added 312 packages, and audited 313 packages in 9s",
  "",
  "> agent-chat@0.1.0 build",
  "> tsc -p tsconfig.build.json",
  "",
  "found 0 vulnerabilities",
].join("\n");
const WIDE = "```ts\nexport function streamSlice(res: ServerResponse, slice: Slice, headers: Record<string, string>): Promise<void> { return writeAll(res, slice, headers); }\n```";

describeBrowser("web UI: reading an agents' code review on a phone", () => {
  let browser: Browser;
  let room: TestRoom;
  let ctx: BrowserContext;
  let page: Page;
  let claude: Agent;
  let gpt: Agent;
  const problems: string[][] = [];

  beforeAll(async () => {
    [browser, room] = await Promise.all([launch(), startTestRoom({ title: "Code review" })]);
    ctx = await browser.newContext({ ...PHONES[0], locale: "en-US" }); // 320 px, light
    ctx.setDefaultTimeout(ACTION_TIMEOUT_MS);
    page = await ctx.newPage();
    problems.push(watch(page));
    await joinAs(page, `${room.url}/#password=${encodeURIComponent(room.password)}`, "Phoebe");
    claude = await httpAgent(room, "claude-bot");
    gpt = await httpAgent(room, "gpt-bot");
  });

  afterAll(async () => {
    await browser?.close();
    await room?.close();
    expect(problems.flat(), "no page errors, no CSP refusals").toEqual([]);
  });

  it("#6 Markdown shows as structure, not symbols; JSON and an npm log are one code block each", async () => {
    await claude.post(REVIEW);
    await claude.post(JSON_MSG);
    await claude.post(NPM_LOG);
    const review = message(page, "Review of #812");
    await review.waitFor();
    expect(await review.locator(".md-h2").textContent()).toBe("Review of #812");
    expect(await review.locator("strong").first().textContent()).toBe("Verdict:");
    expect(await review.locator("li").count()).toBe(2);
    expect(await review.locator("table td").count()).toBe(6);
    expect(await review.locator(".body").textContent()).not.toMatch(/\*\*|##|\|---/);
    const json = message(page, '"status": "failed"');
    await json.waitFor();
    expect(await json.locator("pre.code").count()).toBe(1);
    expect(await json.locator("pre.code").textContent()).toBe(JSON_MSG);
    const log = message(page, "npm WARN deprecated inflight");
    expect(await log.locator("pre.code").count()).toBe(1);
    expect(await log.locator("p").count()).toBe(0);
    expect(await log.locator("pre.code").textContent()).toBe(NPM_LOG);
  });

  it("#6 a wide code block scrolls sideways inside itself at 320 px, keeps its indentation, and wraps on request", async () => {
    await claude.post(WIDE);
    const block = message(page, "streamSlice").locator(".codeblock");
    await block.waitFor();
    const pre = block.locator("pre");
    await expect.poll(() => block.getAttribute("class")).toContain("wide");
    expect(await pre.evaluate((e) => e.scrollWidth > e.clientWidth)).toBe(true);
    expect(await page.evaluate(() => document.documentElement.scrollWidth <= window.innerWidth)).toBe(true);
    const toggle = block.locator(".wrap-toggle");
    expect(await toggle.isVisible()).toBe(true);
    await toggle.click();
    expect(await toggle.getAttribute("aria-pressed")).toBe("true");
    expect(await pre.evaluate((e) => e.scrollWidth <= e.clientWidth + 1)).toBe(true);
    // A short block gets no toggle, and no code block is a Tab stop of its own.
    expect(await message(page, '"status": "failed"').locator(".wrap-toggle").isVisible()).toBe(false);
    expect(await page.locator("#log pre[tabindex]").count()).toBe(0);
  });

  it("#10 each sender has its own colour and initial; kinds once; every group names its author", async () => {
    await gpt.post("I agree with claude-bot.");
    await gpt.post("One more thing: the keepalive interval.");
    const first = message(page, "I agree with claude-bot.");
    await message(page, "keepalive interval").waitFor();
    const colour = (loc: ReturnType<typeof message>) => loc.evaluate((e) => getComputedStyle(e).borderLeftColor);
    expect(await colour(first)).not.toBe(await colour(message(page, "Review of #812")));
    expect(await first.locator(".avatar").textContent()).toBe("G");
    expect(await message(page, "Review of #812").locator(".avatar").textContent()).toBe("C");
    // The kind badge once per sender, on its first message only.
    expect(await page.locator('#log .msg[data-agent="claude-bot"] .badge-agent').count()).toBe(1);
    expect(await page.locator("#log .badge-agent").count()).toBe(2);
    // The follow-up keeps its author for screen readers and its colour bar for eyes.
    const follow = message(page, "keepalive interval");
    expect(await follow.getAttribute("class")).toContain("cont");
    expect(await follow.locator(".who").textContent()).toBe("gpt-bot");
    expect(await colour(follow)).toBe(await colour(first));
    // The README's picture of a review on a 320-px phone, light, then dark.
    mkdirSync(SHOTS, { recursive: true });
    await message(page, "Review of #812").evaluate((e) => e.scrollIntoView({ block: "start" }));
    await page.screenshot({ path: new URL("phone-review-320-light.png", SHOTS).pathname });
    await page.emulateMedia({ colorScheme: "dark" });
    await page.screenshot({ path: new URL("phone-review-320-dark.png", SHOTS).pathname });
    await page.emulateMedia({ colorScheme: "light" });
  });

  it("#9 unread: a divider before the first unread, a pill with the count and a mention marker, which goes to the first unread", async () => {
    for (let i = 0; i < 12; i++) await claude.post(`filler ${i}\n${"line\n".repeat(3)}`);
    await message(page, "filler 11").waitFor();
    // Read everything so far (the end of the log clears the count), then scroll up to read the start again.
    await page.evaluate(() => document.getElementById("log")!.scrollTo(0, 1e9));
    await expect.poll(() => page.locator("#jump").isVisible()).toBe(false);
    await page.evaluate(() => document.getElementById("log")!.scrollTo(0, 0));
    await gpt.post("first unread: the keepalive is fine");
    await gpt.post("second unread");
    await claude.post("@Phoebe third unread, for you");
    await message(page, "third unread").waitFor({ state: "attached" });
    const jump = page.locator("#jump");
    await expect.poll(() => jump.isVisible()).toBe(true);
    expect(await page.locator("#jump-count").textContent()).toBe("3 new");
    expect(await page.locator("#jump-mention").isVisible()).toBe(true);
    const divider = page.locator("#log .unread-divider");
    expect(await divider.count()).toBe(1);
    expect(await divider.evaluate((d) => (d.nextElementSibling as HTMLElement).textContent)).toContain("first unread");
    await jump.click();
    // The first unread is on screen, and the log did not just jump to its end.
    const inView = await page.evaluate(() => {
      const log = document.getElementById("log")!.getBoundingClientRect();
      const first = Array.from(document.querySelectorAll("#log .msg")).find((e) => e.textContent!.includes("first unread"))!.getBoundingClientRect();
      return first.top >= log.top - 1 && first.top < log.bottom;
    });
    expect(inView).toBe(true);
  });

  it("#14 runs of join/leave notices fold into one line that opens on a tap", async () => {
    for (const n of ["a-bot", "b-bot", "c-bot", "d-bot"]) await httpAgent(room, n);
    // Under a burst of joins the room combines notices (README: coalesced join notices) and announces them before
    // the next message: this one.
    await claude.post("welcome, bots");
    await message(page, "welcome, bots").waitFor();
    const summary = page.locator("#log .run-summary").last();
    await expect.poll(() => summary.textContent()).toContain("4 joined");
    expect(await message(page, "b-bot joined").isVisible()).toBe(false);
    await summary.locator("button").click();
    expect(await message(page, "b-bot joined").isVisible()).toBe(true);
  });

  it("#12 message text follows the browser's font size", async () => {
    const size = () => message(page, "I agree with claude-bot.").locator(".body p").evaluate((e) => parseFloat(getComputedStyle(e).fontSize));
    const normal = await size();
    // What a larger default font size in the browser's settings does: a larger root font size.
    await page.evaluate(() => (document.documentElement.style.fontSize = "24px"));
    expect(await size()).toBeCloseTo((normal * 24) / 16, 0);
    await page.evaluate(() => (document.documentElement.style.fontSize = ""));
  });

  it("#14 times are local, as the locale writes them (no forced leading zero)", async () => {
    // A time zone in which it is now between 01:00 and 09:59, where a forced 2-digit hour would show "0".
    const utc = new Date().getUTCHours();
    let offset = 0;
    for (let o = -12; o <= 14; o++) {
      const h = (((utc + o) % 24) + 24) % 24;
      if (h >= 1 && h <= 9) { offset = o; break; }
    }
    const zone = offset === 0 ? "UTC" : `Etc/GMT${offset > 0 ? "-" : "+"}${Math.abs(offset)}`;
    const c = await browser.newContext({ ...PHONES[1], locale: "en-US", timezoneId: zone });
    const p = await c.newPage();
    problems.push(watch(p));
    await joinAs(p, `${room.url}/#password=${encodeURIComponent(room.password)}`, "Tess");
    await claude.post("what time is it?");
    const t = await message(p, "what time is it?").locator("time").textContent();
    expect(t).toMatch(/^[1-9]:\d\d\s?[AP]M$/);
    await c.close();
  });
});
