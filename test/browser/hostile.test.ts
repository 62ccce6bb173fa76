// Hostile message texts and names are shown as text: no markup from a message ever reaches the DOM, nothing
// runs, only http(s) links become links, and huge, right-to-left and emoji texts stay readable on a phone.
import type { Browser, BrowserContext, Page } from "playwright-core";
import { afterAll, beforeAll, expect, it } from "vitest";
import { startTestRoom, type TestRoom } from "../support/room.js";
import { ACTION_TIMEOUT_MS, PHONE, describeBrowser, httpAgent, joinAs, launch, message, watch, type Agent } from "./helpers.js";

const PLAIN = [
  `<img src=x onerror="window.__pwned='img'">`,
  `<script>window.__pwned='script'</script>`,
  `<svg onload="window.__pwned='svg'"><circle r=5 /></svg>`,
  `<iframe src="javascript:window.__pwned='iframe'"></iframe>`,
  `<a href="javascript:window.__pwned='a'">click me</a>`,
  `[click me](javascript:window.__pwned='md') and javascript:window.__pwned='bare' and JaVaScRiPt:alert(1)`,
  `<style>body{display:none}</style><b>bold?</b> &lt;escaped&gt; &amp; &#60;script&#62;`,
  `<form action="javascript:window.__pwned='form'"><button>go</button></form><details open ontoggle="window.__pwned='details'">`,
  `مرحبا بالعالم — שלום עולם, and back to English. 👋🏽 👨‍👩‍👧‍👦 🇯🇵🇫🇷 ١٢٣ mixed עם עברית`,
  `data:text/html,<script>window.__pwned='data'</script> vbscript:msgbox(1) file:///etc/passwd`,
];
const LINK = `see https://example.com/"><img src=x onerror=window.__pwned='link'> now`;
const FENCED = "```html\n<img src=x onerror=\"window.__pwned='fence'\">\n<script>window.__pwned='fence2'</script>\n```";
// ~30 KB: a huge single unbroken line and many log lines, under the 32 KiB default limit.
const HUGE = "A".repeat(8000) + "\n" + Array.from({ length: 420 }, (_, i) => `[INFO] line ${i} <b>not bold</b> ${"x".repeat(20)}`).join("\n");

describeBrowser("web UI: hostile texts are shown as text, nothing runs", () => {
  let browser: Browser;
  let room: TestRoom;
  let ctx: BrowserContext;
  let page: Page;
  let bot: Agent;
  let problems: string[];

  beforeAll(async () => {
    [browser, room] = await Promise.all([launch(), startTestRoom()]);
    ctx = await browser.newContext(PHONE);
    ctx.setDefaultTimeout(ACTION_TIMEOUT_MS);
    page = await ctx.newPage();
    problems = watch(page);
    await joinAs(page, `${room.url}/#password=${encodeURIComponent(room.password)}`, "Vera");
    // A hostile name too (names allow < and >).
    bot = await httpAgent(room, `<img src=x onerror=__pwned=1>`);
  });

  afterAll(async () => {
    await browser?.close();
    await room?.close();
  });

  it("markup, scripts and javascript: links in messages and names stay text", async () => {
    expect(Buffer.byteLength(HUGE)).toBeGreaterThan(29_000);
    expect(Buffer.byteLength(HUGE)).toBeLessThan(32 * 1024);
    for (const t of [...PLAIN, LINK, FENCED, HUGE]) await bot.post(t);
    await message(page, "line 419").waitFor();

    // Each plain text is shown exactly, character for character.
    const bodies = await page.$$eval("#log .msg.kind-agent .body", (els) => els.map((e) => e.textContent));
    for (const t of PLAIN) expect(bodies).toContain(t);
    expect(bodies).toContain(LINK);
    // The fenced block is shown as code, with its markup as text.
    const fence = page.locator("#log pre.code", { hasText: "fence2" });
    expect(await fence.textContent()).toBe(`<img src=x onerror="window.__pwned='fence'">\n<script>window.__pwned='fence2'</script>`);
    // The sender's hostile name is text as well.
    expect(await page.locator("#log .msg.kind-agent .who").first().textContent()).toBe("<img src=x onerror=__pwned=1>");

    // Nothing from a message became an element.
    for (const sel of ["img", "script", "svg", "iframe", "style", "b", "form", "details", "object", "embed"]) {
      expect(await page.locator(`#log ${sel}`).count(), sel).toBe(0);
    }
    expect(await page.locator("#people img").count()).toBe(0);
    // Only http(s) became links, each opening safely elsewhere.
    const links = await page.$$eval("#log a", (as) => as.map((a) => ({ href: a.getAttribute("href"), rel: a.getAttribute("rel"), target: a.getAttribute("target"), text: a.textContent })));
    expect(links).toEqual([{ href: "https://example.com/", rel: "noopener noreferrer", target: "_blank", text: "https://example.com/" }]);

    // Clicking around runs nothing either.
    await message(page, "click me").first().click();
    await page.waitForTimeout(300);
    expect(await page.evaluate(() => (window as unknown as { __pwned?: unknown }).__pwned)).toBeUndefined();
    expect(problems).toEqual([]);
  });

  it("right-to-left and emoji text keeps its characters and direction", async () => {
    const rtl = message(page, "مرحبا");
    expect(await rtl.locator(".body").getAttribute("dir")).toBe("auto");
    expect(await rtl.locator(".body").textContent()).toBe(PLAIN[8]);
  });

  it("a 30 KB text is collapsed with a Show all button, and nothing scrolls sideways on a 360 px phone", async () => {
    const noSideways = () => page.evaluate(() => document.documentElement.scrollWidth <= window.innerWidth && document.getElementById("log")!.scrollWidth <= document.getElementById("log")!.clientWidth);
    const huge = message(page, "line 419");
    expect(await huge.locator(".body").getAttribute("class")).toContain("clamped");
    const bodyHeight = () => huge.locator(".body").evaluate((e) => e.getBoundingClientRect().height);
    expect(await bodyHeight()).toBeLessThan(400);
    expect(await noSideways()).toBe(true);
    const button = huge.locator("button.expand");
    expect(await button.getAttribute("aria-expanded")).toBe("false");
    await button.click();
    expect(await button.getAttribute("aria-expanded")).toBe("true");
    expect(await bodyHeight()).toBeGreaterThan(2000);
    expect(await noSideways()).toBe(true);
    // Every character is there (blocks of prose and log lines are separate elements, so line breaks between
    // blocks are layout rather than text).
    expect((await huge.locator(".body").textContent())!.replace(/\n/g, "")).toBe(HUGE.replace(/\n/g, ""));
  });
});
