// Issue 16 #4 and #11 in Chromium on 320/390-px phones, light and dark: on a touch screen Enter is a new line and
// the Send button sends (a keyboard's Enter still sends); reply to a message with its quote, and an agent's replyTo
// shown the same way; @name completion.
import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, expect, it } from "vitest";
import { startTestRoom, type TestRoom } from "../support/room.js";
import { ACTION_TIMEOUT_MS, DESKTOP, PHONES, describeBrowser, httpAgent, joinAs, launch, message, watch, type Agent, patientPolls } from "./helpers.js";

patientPolls();

describeBrowser("web UI: typing like a phone app", () => {
  let browser: Browser;
  let room: TestRoom;
  let phone: Page;
  let bot: Agent;
  const problems: string[][] = [];
  const last = async () => ((await (await room.api("/messages")).json()) as { messages: { agent: string; text: string; replyTo?: number }[] }).messages.at(-1)!;

  beforeAll(async () => {
    [browser, room] = await Promise.all([launch(), startTestRoom()]);
    const ctx = await browser.newContext(PHONES[3]); // 390 px, light
    ctx.setDefaultTimeout(ACTION_TIMEOUT_MS);
    phone = await ctx.newPage();
    problems.push(watch(phone));
    await joinAs(phone, `${room.url}/#password=${encodeURIComponent(room.password)}`, "Pia");
    bot = await httpAgent(room, "claude-bot");
    await httpAgent(room, "clara");
  });

  afterAll(async () => {
    await browser?.close();
    await room?.close();
    expect(problems.flat(), "no page errors, no CSP refusals").toEqual([]);
  });

  it("#4 on a touch screen Enter is a new line; the Send button sends both lines", async () => {
    const input = phone.locator("#input");
    await input.click();
    await phone.keyboard.type("first line");
    await phone.keyboard.press("Enter");
    await phone.keyboard.type("second line");
    expect(await input.inputValue()).toBe("first line\nsecond line");
    expect(await input.getAttribute("enterkeyhint")).toBe("enter");
    expect((await last())?.text).not.toBe("first line"); // nothing was sent by Enter
    await phone.locator("#send").click();
    await expect.poll(async () => (await last()).text).toBe("first line\nsecond line");
    await expect.poll(() => input.inputValue()).toBe(""); // once the page has the room's answer
  });

  it("#4 on a desktop keyboard Enter still sends and Shift+Enter is a new line", async () => {
    const ctx = await browser.newContext(DESKTOP);
    const desk = await ctx.newPage();
    problems.push(watch(desk));
    await joinAs(desk, room.url, "Dora", room.password);
    await desk.locator("#input").click();
    await desk.keyboard.type("one");
    await desk.keyboard.press("Shift+Enter");
    await desk.keyboard.type("two");
    await desk.keyboard.press("Enter");
    await expect.poll(async () => (await last()).text).toBe("one\ntwo");
    expect(await desk.locator("#input").getAttribute("enterkeyhint")).toBe("send");
    await ctx.close();
  });

  it("#11 reply to a message: the reply bar quotes it, and the sent message carries replyTo and shows the quote", async () => {
    const asked = await bot.post("Which branch should I rebase on?");
    const q = message(phone, "Which branch");
    await q.waitFor();
    // On a touch screen the reply button shows on the message one taps.
    expect(await q.locator(".reply-btn").isVisible()).toBe(false);
    await q.locator(".body").click();
    await q.locator(".reply-btn").click();
    expect(await phone.locator("#reply-bar").isVisible()).toBe(true);
    expect(await phone.locator("#reply-who").textContent()).toBe("claude-bot");
    expect(await phone.locator("#reply-text").textContent()).toBe("Which branch should I rebase on?");
    await phone.locator("#input").fill("main, please");
    await phone.locator("#send").click();
    await expect.poll(async () => (await last()).text).toBe("main, please");
    expect((await last()).replyTo).toBe(asked.id);
    const mine = message(phone, "main, please");
    await mine.waitFor();
    expect(await mine.locator(".quote .quote-who").textContent()).toBe("claude-bot");
    expect(await mine.locator(".quote .quote-text").textContent()).toBe("Which branch should I rebase on?");
    expect(await phone.locator("#reply-bar").isVisible()).toBe(false);
  });

  it("#11 an agent's --reply-to shows the quoted message", async () => {
    const mine = await last();
    const id = ((await (await room.api("/messages")).json()) as { messages: { id: number; text: string }[] }).messages.find((m) => m.text === mine.text)!.id;
    await bot.post("Rebased on main, tests green.", { replyTo: id });
    const answer = message(phone, "Rebased on main");
    await answer.waitFor();
    expect(await answer.locator(".quote .quote-who").textContent()).toBe("Pia");
    expect(await answer.locator(".quote .quote-text").textContent()).toBe("main, please");
    // Tapping the quote goes to the quoted message.
    await answer.locator(".quote").click();
    await expect.poll(() => phone.locator(`#log .msg[data-id="${id}"]`).getAttribute("class")).toContain("flash");
  });

  it("#11/#14 keyboard: the log is one Tab stop; arrows pick a message and Enter replies to it", async () => {
    const ctx = await browser.newContext(DESKTOP);
    const desk = await ctx.newPage();
    problems.push(watch(desk));
    await joinAs(desk, room.url, "Kai", room.password);
    await bot.post("ping from the bot");
    await message(desk, "ping from the bot").waitFor();
    // No reply button is a Tab stop of its own.
    expect(await desk.locator("#log .reply-btn:not([tabindex='-1'])").count()).toBe(0);
    await desk.locator("#log").focus();
    await desk.keyboard.press("ArrowUp");
    expect(await message(desk, "ping from the bot").getAttribute("class")).toContain("picked");
    await desk.keyboard.press("Enter");
    expect(await desk.locator("#reply-who").textContent()).toBe("claude-bot");
    expect(await desk.evaluate(() => document.activeElement?.id)).toBe("input");
    await ctx.close();
  });

  it("#11 @name completion: '@cl' offers the names, a tap completes it", async () => {
    const input = phone.locator("#input");
    await input.click();
    await phone.keyboard.type("thanks @cl");
    const list = phone.locator("#mention-list");
    await expect.poll(() => list.isVisible()).toBe(true);
    expect((await list.locator("li").allTextContents()).sort()).toEqual(["@clara", "@claude-bot"]);
    await list.locator("li", { hasText: "@claude-bot" }).click();
    expect(await input.inputValue()).toBe("thanks @claude-bot ");
    expect(await list.isVisible()).toBe(false);
    await phone.keyboard.type("👍");
    await phone.locator("#send").click();
    await expect.poll(async () => (await last()).text).toBe("thanks @claude-bot 👍");
    const sent = (await (await room.api("/messages")).json()) as { messages: { text: string; mentions?: string[] }[] };
    expect(sent.messages.at(-1)!.mentions).toEqual(["claude-bot"]);
  });
});
