// A phone and a desktop page chat with each other and with an HTTP agent, in a real Chromium against a real room.
// Also: entry by link and by typed password, a taken name, re-opening, who is here, inline server errors, the
// copy-invite button, the QR code, transcripts, the unread count — and the README's screenshots.
import { mkdirSync, readFileSync } from "node:fs";
import type { Browser, BrowserContext, Page } from "playwright-core";
import { afterAll, beforeAll, expect, it } from "vitest";
import { startTestRoom, type TestRoom } from "../support/room.js";
import { ACTION_TIMEOUT_MS, DESKTOP, PHONE, describeBrowser, httpAgent, joinAs, launch, message, shownTexts, watch, type Agent } from "./helpers.js";

// The README's pictures are refreshed on purpose (UPDATE_SCREENSHOTS=1), so ordinary runs leave the tree clean.
const SHOTS = new URL(process.env.UPDATE_SCREENSHOTS ? "../../docs/screenshots/" : "../../test-results/screenshots/", import.meta.url);

describeBrowser("web UI: a phone, a desktop and an agent chatting", () => {
  let browser: Browser;
  let room: TestRoom;
  let phoneCtx: BrowserContext;
  let deskCtx: BrowserContext;
  let phone: Page;
  let desk: Page;
  let bot: Agent;
  const problems: string[][] = [];

  beforeAll(async () => {
    [browser, room] = await Promise.all([launch(), startTestRoom({ title: "Release planning", maxTextBytes: 4000 })]);
    phoneCtx = await browser.newContext({ ...PHONE, colorScheme: "light" });
    deskCtx = await browser.newContext({ ...DESKTOP, colorScheme: "light", permissions: ["clipboard-read", "clipboard-write"] });
    for (const c of [phoneCtx, deskCtx]) c.setDefaultTimeout(ACTION_TIMEOUT_MS);
    phone = await phoneCtx.newPage();
    desk = await deskCtx.newPage();
    problems.push(watch(phone), watch(desk));
  });

  afterAll(async () => {
    await browser?.close();
    await room?.close();
    expect(problems.flat(), "no page errors, no CSP refusals").toEqual([]);
  });

  it("a phone joins from the link; the password leaves the address bar at once", async () => {
    await joinAs(phone, `${room.url}/#password=${encodeURIComponent(room.password)}`, "Phoebe");
    expect(phone.url()).toBe(room.url + "/");
    const saved = await phone.evaluate(() => ({ pw: sessionStorage.getItem("agent-chat:password"), token: localStorage.getItem("agent-chat:token") }));
    expect(saved.pw).toBe(room.password);
    expect(saved.token).toMatch(/^ac_/);
    await expect.poll(() => phone.locator("#room-title").textContent()).toBe("Release planning");
    expect(await phone.title()).toContain("Release planning");
  });

  it("a desktop types the password; a taken name gets the server's suggestion", async () => {
    await desk.goto(room.url);
    expect(await desk.locator("#password-field").isVisible()).toBe(true);
    await desk.locator("#name-input").fill("PHOEBE");
    await desk.locator("#password-input").fill(room.password);
    await desk.locator("#join-btn").click();
    await expect.poll(() => desk.locator("#join-error").textContent()).toContain("taken");
    expect(await desk.locator("#use-suggestion").textContent()).toContain("PHOEBE-2");
    // The password was right: it is not asked again.
    expect(await desk.locator("#password-field").isVisible()).toBe(false);
    await desk.locator("#name-input").fill("Dmitri");
    await desk.locator("#join-btn").click();
    await expect.poll(() => desk.locator("#conn").getAttribute("data-state")).toBe("live");
    expect(await desk.locator("#host-controls").isVisible()).toBe(false);
  });

  it("phone, desktop and an HTTP agent talk; kinds, own messages, mentions and grouping are visible", async () => {
    bot = await httpAgent(room, "claude-bot");
    await bot.post("Hi @Phoebe, I'm claude-bot. The migration is done and CI is green: https://ci.example.com/runs/812.");
    const greeting = message(phone, "The migration is done");
    await greeting.waitFor();
    expect(await greeting.getAttribute("class")).toMatch(/kind-agent.*mention|mention.*kind-agent/);
    expect(await greeting.locator("mark.at").textContent()).toBe("@Phoebe");
    expect(await greeting.locator(".badge-agent").textContent()).toBe("agent");
    const link = greeting.locator("a");
    expect(await link.getAttribute("href")).toBe("https://ci.example.com/runs/812");
    expect(await link.getAttribute("rel")).toBe("noopener noreferrer");
    expect(await link.getAttribute("target")).toBe("_blank");
    // On the desktop it is not Dmitri's mention.
    const onDesk = message(desk, "The migration is done");
    await onDesk.waitFor();
    expect(await onDesk.getAttribute("class")).not.toContain("mention");

    // The phone answers in two lines: on a touch screen Enter is a new line (issue 16 #4), the Send button sends.
    await phone.locator("#input").fill("Great! Can you paste yesterday's failing output?");
    await phone.locator("#input").press("End");
    await phone.locator("#input").press("Enter");
    await phone.keyboard.type("The whole log, please.");
    expect(await phone.locator("#input").inputValue()).toBe("Great! Can you paste yesterday's failing output?\nThe whole log, please.");
    await phone.locator("#send").click();
    await message(desk, "failing output").waitFor();
    expect(await message(desk, "failing output").locator(".body").textContent()).toBe("Great! Can you paste yesterday's failing output?\nThe whole log, please.");
    expect(await message(phone, "failing output").getAttribute("class")).toContain("mine");
    expect(await message(desk, "failing output").getAttribute("class")).not.toContain("mine");
    expect(await message(desk, "failing output").locator(".who").textContent()).toBe("Phoebe");
    expect(await message(desk, "failing output").locator(".badge-human").textContent()).toBe("human");
    await expect.poll(() => phone.locator("#input").inputValue()).toBe(""); // once the phone has the room's answer

    // The agent answers twice in a row: one header for both; the fenced block is monospace.
    await bot.post("```\n$ npm test\n ✓ test/room.test.ts (12 tests) 340ms\n ✗ test/sse.test.ts > reconnect\n   AssertionError: expected 3 to be 4\n```");
    await bot.post("Fixed in `src/server/sse.ts`: the cursor moved before the write. @Dmitri can you review?");
    const fixed = message(phone, "Fixed in");
    await fixed.waitFor();
    expect(await fixed.getAttribute("class")).toContain("cont");
    expect(await fixed.locator("code").textContent()).toBe("src/server/sse.ts");
    const block = phone.locator("#log pre.code", { hasText: "npm test" });
    expect(await block.evaluate((e) => getComputedStyle(e).fontFamily)).toMatch(/mono/i);
    // Code keeps its lines and scrolls sideways instead of wrapping without indentation (issue 16 #6).
    expect(await block.evaluate((e) => getComputedStyle(e).whiteSpace)).toBe("pre");
    expect(await block.evaluate((e) => getComputedStyle(e).overflowX)).toBe("auto");
    expect(await message(desk, "Fixed in").getAttribute("class")).toContain("mention");

    // A long line and a stack trace without fences still read as code.
    await bot.post("Trace from staging:\n    at Socket.emit (node:events:519:28)\n    at addChunk (node:internal/streams/readable:559:12)");
    await expect.poll(() => phone.locator("#log pre.code", { hasText: "Socket.emit" }).count()).toBe(1);

    // The desktop writes two lines with Shift+Enter, then sends with Enter.
    const input = desk.locator("#input");
    await input.click();
    await desk.keyboard.type("Nice. Shipping it after lunch.");
    await desk.keyboard.press("Shift+Enter");
    await desk.keyboard.type("@claude-bot please tag v0.2.0");
    await desk.keyboard.press("Enter");
    const two = message(phone, "Shipping it after lunch");
    await two.waitFor();
    expect(await two.locator(".body").textContent()).toBe("Nice. Shipping it after lunch.\n@claude-bot please tag v0.2.0");

    // The agent, over plain HTTP, read both people's words, bound to their names.
    const r = (await (await fetch(`${room.url}/messages?after=0`, { headers: { authorization: `Bearer ${bot.token}` } })).json()) as {
      messages: { agent: string; text: string; kind: string; verified?: boolean; mentions?: string[] }[];
    };
    const fromPeople = r.messages.filter((m) => m.kind === "human");
    expect(fromPeople.map((m) => [m.agent, m.verified])).toEqual([
      ["Phoebe", true],
      ["Dmitri", true],
    ]);
    expect(fromPeople[1]!.mentions).toEqual(["claude-bot"]);

    // A password-only post (the predecessor's clients) is marked unverified.
    const legacy = await room.api("/messages", { method: "POST", json: { agent: "deploy-hook", text: "build 812 deployed to staging" } });
    expect(legacy.status).toBe(201);
    const unverified = message(phone, "deployed to staging");
    await unverified.waitFor();
    expect(await unverified.locator(".badge-unverified").textContent()).toBe("unverified");

    // Every message appears once on each page, in the same order. (Only the phone was waited for: the desktop's own
    // stream may bring the last post a moment later, so its list is polled until it matches.)
    const phoneTexts = await shownTexts(phone);
    await expect.poll(() => shownTexts(desk)).toEqual(phoneTexts);
    expect(new Set(phoneTexts).size).toBe(phoneTexts.length);
  });

  it("who is here: names, kinds, online state and how each is connected", async () => {
    // Desktop: the panel is a column, always visible.
    await expect.poll(() => desk.locator("#people .person").count(), { timeout: 30_000 }).toBe(4);
    const deskPeople = await desk.locator("#people").textContent();
    for (const s of ["Phoebe", "Dmitri", "claude-bot", "deploy-hook", "unverified", "live"]) expect(deskPeople).toContain(s);
    // One word for one thing (issue 16 #13): the people list says "unverified", as the messages do.
    expect(deskPeople).not.toContain("password only");
    expect(await desk.locator("#people .person", { hasText: "Dmitri" }).textContent()).toContain("you");
    // Phone: behind the People button, which shows the online count.
    expect(await phone.locator("#panel").isVisible()).toBe(false);
    await expect.poll(() => phone.locator("#people-count").textContent(), { timeout: 30_000 }).toBe("4");
    await phone.locator("#btn-panel").click();
    expect(await phone.locator("#panel").isVisible()).toBe(true);
    expect(await phone.locator("#people .person .dot.online").count()).toBe(4);
    expect(await phone.locator("#people .person", { hasText: "claude-bot" }).locator(".badge-agent").textContent()).toBe("agent");
    mkdirSync(SHOTS, { recursive: true });
    await phone.screenshot({ path: new URL("phone-people.png", SHOTS).pathname });
    await phone.locator("#panel-close").click();
    expect(await phone.locator("#panel").isVisible()).toBe(false);
  });

  it("screenshots: phone and desktop, light and dark", async () => {
    mkdirSync(SHOTS, { recursive: true });
    await phone.evaluate(() => document.getElementById("log")!.scrollTo(0, 1e9));
    await desk.evaluate(() => document.getElementById("panel")!.scrollTo(0, 0));
    await phone.screenshot({ path: new URL("phone-light.png", SHOTS).pathname });
    await desk.screenshot({ path: new URL("desktop-light.png", SHOTS).pathname });
    await phone.emulateMedia({ colorScheme: "dark" });
    await desk.emulateMedia({ colorScheme: "dark" });
    await phone.screenshot({ path: new URL("phone-dark.png", SHOTS).pathname });
    await desk.screenshot({ path: new URL("desktop-dark.png", SHOTS).pathname });
    await phone.emulateMedia({ colorScheme: "light" });
    await desk.emulateMedia({ colorScheme: "light" });
    // Nothing scrolls sideways on the phone.
    expect(await phone.evaluate(() => document.documentElement.scrollWidth <= window.innerWidth)).toBe(true);
  });

  it("the server's error (413 here) shows inline by the composer, and the text is kept", async () => {
    const long = "This paragraph is far too long for this room. ".repeat(100);
    await desk.locator("#input").fill(long);
    await desk.locator("#send").click();
    await expect.poll(() => desk.locator("#composer-error").textContent()).toContain("the limit is 4000");
    expect(await desk.locator("#input").inputValue()).toBe(long);
    // The next good message clears it.
    await desk.locator("#input").fill("Splitting that up later.");
    await desk.locator("#input").press("Enter");
    await message(phone, "Splitting that up later").waitFor();
    expect(await desk.locator("#composer-error").textContent()).toBe("");
  });

  it("the copy-invite button puts the real instruction block on the clipboard", async () => {
    const invite = await (await room.api("/invite")).text();
    expect(invite).toContain(room.password);
    await desk.locator("#copy-invite").click();
    await expect.poll(() => desk.locator("#copy-invite").textContent()).toBe("Copied");
    expect(await desk.evaluate(() => navigator.clipboard.readText())).toBe(invite);
    await expect.poll(() => desk.locator("#copy-invite").textContent(), { timeout: 30_000 }).toBe("Copy invite");
  });

  it("the QR code of the room link is fetched with the token and shown", async () => {
    await desk.locator("#btn-qr").click();
    const img = desk.locator("#qr-img");
    await img.waitFor();
    expect(await img.getAttribute("src")).toMatch(/^blob:/);
    await expect.poll(() => img.evaluate((e) => (e as HTMLImageElement).naturalWidth)).toBeGreaterThan(50);
  });

  it("the transcript downloads as Markdown and as JSON", async () => {
    const [md] = await Promise.all([desk.waitForEvent("download"), desk.locator("#dl-md").click()]);
    expect(md.suggestedFilename()).toMatch(/^agent-chat-Release-planning-.*\.md$/);
    const mdText = readFileSync((await md.path())!, "utf8");
    expect(mdText).toContain("# Release planning");
    expect(mdText).toContain("**claude-bot** (agent)");
    expect(mdText).toContain("**deploy-hook** (agent, unverified)");
    expect(mdText).toContain("Nice. Shipping it after lunch.\n@claude-bot please tag v0.2.0");
    const [json] = await Promise.all([desk.waitForEvent("download"), desk.locator("#dl-json").click()]);
    const data = JSON.parse(readFileSync((await json.path())!, "utf8")) as { title: string; messages: { id: number; text: string }[] };
    const all = (await (await room.api("/messages")).json()) as { messages: unknown[] };
    expect(data.title).toBe("Release planning");
    expect(data.messages).toEqual(all.messages);
  });

  it("a mention while the tab is hidden counts in the title, and clears when the tab is back", async () => {
    await phone.evaluate(() => {
      Object.defineProperty(document, "hidden", { configurable: true, get: () => true });
      Object.defineProperty(document, "visibilityState", { configurable: true, get: () => "hidden" });
      document.dispatchEvent(new Event("visibilitychange"));
    });
    await bot.post("not for anyone in particular");
    await bot.post("@Phoebe tagged v0.2.0");
    await message(phone, "tagged v0.2.0").waitFor();
    await expect.poll(() => phone.title()).toBe("(1) Release planning · agent-chat");
    await phone.evaluate(() => {
      Object.defineProperty(document, "hidden", { configurable: true, get: () => false });
      Object.defineProperty(document, "visibilityState", { configurable: true, get: () => "visible" });
      document.dispatchEvent(new Event("visibilitychange"));
    });
    expect(await phone.title()).toBe("Release planning · agent-chat");
  });

  it("re-opening the page resumes as the same participant, with the history", async () => {
    const before = await shownTexts(phone);
    await phone.goto(room.url); // no fragment this time
    await expect.poll(() => phone.locator("#conn").getAttribute("data-state")).toBe("live");
    expect(await phone.locator("#join-view").isHidden()).toBe(true);
    expect(await shownTexts(phone)).toEqual(before);
    const info = (await (await room.api("/room")).json()) as { participants: { name: string }[] };
    expect(info.participants.map((p) => p.name).sort()).toEqual(["Dmitri", "Phoebe", "claude-bot", "deploy-hook"]);
    await phone.locator("#input").fill("Back on my phone.");
    await phone.locator("#send").click();
    expect(await message(desk, "Back on my phone").locator(".who").textContent()).toBe("Phoebe");
  });

});

describeBrowser("web UI: joining under a taken name", () => {
  let browser: Browser;
  let room: TestRoom;
  beforeAll(async () => {
    [browser, room] = await Promise.all([launch(), startTestRoom()]);
  });
  afterAll(async () => {
    await browser?.close();
    await room?.close();
  });

  it("one tap on the server's suggestion joins under it", async () => {
    const holder = await httpAgent(room, "sam");
    const ctx = await browser.newContext(PHONE);
    const page = await ctx.newPage();
    await page.goto(`${room.url}/#password=${encodeURIComponent(room.password)}`);
    await page.locator("#name-input").fill("Sam");
    await page.locator("#join-btn").click();
    const sug = page.locator("#use-suggestion");
    await sug.waitFor();
    expect(await page.locator("#join-error").textContent()).toContain('"sam" is taken');
    mkdirSync(SHOTS, { recursive: true });
    await page.screenshot({ path: new URL("phone-join.png", SHOTS).pathname });
    await sug.click();
    await expect.poll(() => page.locator("#conn").getAttribute("data-state")).toBe("live");
    await holder.post("welcome @Sam-2");
    const m = message(page, "welcome");
    await m.waitFor();
    expect(await m.getAttribute("class")).toContain("mention");
    expect(await page.evaluate(() => localStorage.getItem("agent-chat:name"))).toBe("Sam-2");
    await ctx.close();
  });

  it("a wrong typed password says so and asks again", async () => {
    const ctx = await browser.newContext(DESKTOP);
    const page = await ctx.newPage();
    await page.goto(room.url);
    await page.locator("#name-input").fill("Wanda");
    await page.locator("#password-input").fill("not-the-password");
    await page.locator("#join-btn").click();
    await expect.poll(() => page.locator("#join-error").textContent()).toContain("Wrong password");
    await joinAs(page, room.url, "Wanda", room.password);
    await ctx.close();
  });
});
