// Issue 16 #2, #3, #14 (and the offline sends of "the conversation survives"), in Chromium on 320/390-px phones,
// light and dark: Leave asks and offers Rejoin with the tab's credentials; a restarted room keeps the old
// conversation read-only with a Rejoin banner; a closed room disables the composer; a message typed offline waits
// with a pending mark and is sent once; a send whose answer was lost is not sent twice.
import type { Page } from "playwright-core";
import { expect, it } from "vitest";
import { startTestRoom, type TestRoom } from "../support/room.js";
import { PHONES, describeBrowser, httpAgent, joinAs, message, patientPolls, useBrowser } from "./helpers.js";

patientPolls();

const linkFor = (r: TestRoom) => `${r.url}/#password=${encodeURIComponent(r.password)}`;
const state = (page: Page) => page.locator("#conn").getAttribute("data-state");
const texts = async (r: TestRoom) => ((await (await r.api("/messages")).json()) as { messages: { agent: string; text: string }[] }).messages;

describeBrowser("web UI: the conversation survives leaving, restarts, closing and going offline", () => {
  const kit = useBrowser();
  const { room } = kit;
  const open = (view: number) => kit.page(PHONES[view]);

  it("#2 Leave asks first; after leaving the conversation stays, the tab keeps the link, and Rejoin comes back (320 light)", async () => {
    const r = await room();
    const { page } = await open(0);
    await joinAs(page, linkFor(r), "Quinn");
    const bot = await httpAgent(r, "helper-bot");
    await bot.post("before you go");
    await message(page, "before you go").waitFor();
    await page.locator("#btn-panel").click();
    await page.locator("#btn-leave").click();
    expect(await page.locator("#leave-dialog").isVisible()).toBe(true);
    await page.locator("#leave-cancel").click(); // changed my mind: still in
    expect(await state(page)).toBe("live");
    expect(((await (await r.api("/room")).json()) as { participants: { name: string }[] }).participants.map((p) => p.name)).toContain("Quinn");

    await page.locator("#btn-leave").click();
    await page.locator("#leave-confirm").click();
    await expect.poll(() => state(page)).toBe("left");
    await expect.poll(async () => (await texts(r)).at(-1)?.text).toBe("Quinn left.");
    expect(await page.locator("#notice").textContent()).toContain("You left the room");
    expect(await message(page, "before you go").isVisible()).toBe(true); // the conversation is still there
    expect(await page.locator("#input").isDisabled()).toBe(true);
    expect(await page.evaluate(() => sessionStorage.getItem("agent-chat:password"))).not.toBeNull();

    await page.locator("#notice-rejoin").click();
    await expect.poll(() => state(page)).toBe("live");
    expect(await page.locator("#join-view").isHidden()).toBe(true);
    await bot.post("welcome back");
    await message(page, "welcome back").waitFor();
    await page.locator("#input").fill("thanks");
    await page.locator("#send").click();
    await expect.poll(async () => (await texts(r)).filter((m) => m.agent === "Quinn").map((m) => m.text)).toEqual(["thanks"]);
  });

  it("#2 on a desktop, Shift+Tab from the message box does not land on Leave", async () => {
    const r = await room();
    const { page } = await kit.page({ viewport: { width: 1280, height: 800 } });
    await joinAs(page, linkFor(r), "Kim");
    await page.locator("#input").focus();
    await page.keyboard.press("Shift+Tab");
    expect(await page.evaluate(() => document.activeElement?.id)).not.toBe("btn-leave");
    expect(await page.evaluate(() => !!document.activeElement?.closest("#chat, .topbar"))).toBe(true);
  });

  it("#3 a restarted room: the old conversation stays, read-only, with a Rejoin banner; Rejoin continues below it (390 dark)", async () => {
    const r1 = await startTestRoom();
    const { page } = await open(1);
    await joinAs(page, linkFor(r1), "Rosa");
    const bot = await httpAgent(r1, "first-bot");
    await bot.post("from the first life of the room");
    await message(page, "first life").waitFor();
    await r1.close();
    // The same address and password, a new process: it knows nobody.
    const r2 = await room({ port: r1.port, password: r1.password });
    await expect.poll(() => state(page), { timeout: 30_000 }).toBe("forgotten");
    expect(await page.locator("#join-view").isHidden()).toBe(true);
    expect(await message(page, "first life").isVisible()).toBe(true);
    expect(await page.locator("#input").isDisabled()).toBe(true);
    expect(await page.locator("#notice-rejoin").isVisible()).toBe(true);
    await page.locator("#notice-rejoin").click();
    await expect.poll(() => state(page)).toBe("live");
    const bot2 = await httpAgent(r2, "second-bot");
    await bot2.post("from the second life");
    await message(page, "second life").waitFor();
    // Old above the restart line, new below it; the old one is no longer counted as a live message.
    const order = await page.$$eval("#log > li", (lis) => lis.map((li) => (li.classList.contains("restart-divider") ? "|" : li.textContent?.includes("first life") ? "old" : li.textContent?.includes("second life") ? "new" : "")).filter(Boolean));
    expect(order.indexOf("old")).toBeLessThan(order.indexOf("|"));
    expect(order.indexOf("|")).toBeLessThan(order.indexOf("new"));
    expect(await message(page, "first life").getAttribute("class")).toContain("archived");
  });

  it("#3 a closed room disables the composer, and it comes back when the room does (320 dark)", async () => {
    const r1 = await startTestRoom();
    const { page } = await open(2);
    await joinAs(page, linkFor(r1), "Cleo");
    await r1.close();
    await expect.poll(() => state(page), { timeout: 30_000 }).toBe("closed");
    expect(await page.locator("#input").isDisabled()).toBe(true);
    expect(await page.locator("#send").isDisabled()).toBe(true);
    expect(await page.locator("#conn-word").textContent()).toBe("Closed");
  });

  it("offline: a message typed while away waits with a pending mark and is sent once when the network is back (390 light)", async () => {
    const r = await room();
    const { ctx, page } = await open(3);
    await joinAs(page, linkFor(r), "Otto");
    await ctx.setOffline(true);
    await expect.poll(() => state(page)).toBe("offline");
    await page.locator("#input").fill("typed on the train");
    await page.locator("#send").click();
    const pending = page.locator("#log .msg.pending", { hasText: "typed on the train" });
    await pending.waitFor();
    expect(await pending.locator(".pending-mark").textContent()).toContain("Waiting");
    expect(await page.locator("#input").inputValue()).toBe("");
    await ctx.setOffline(false);
    await expect.poll(async () => (await texts(r)).filter((m) => m.text === "typed on the train").length, { timeout: 30_000 }).toBe(1);
    await expect.poll(() => page.locator("#log .msg.pending").count()).toBe(0);
    await expect.poll(() => page.locator("#log .msg", { hasText: "typed on the train" }).count()).toBe(1);
    expect(await message(page, "typed on the train").getAttribute("class")).toContain("mine");
  });

  it("a send that reached the room but whose answer was lost is not sent twice (320 light)", async () => {
    const r = await room();
    const { page } = await open(0);
    await joinAs(page, linkFor(r), "Lou");
    let cut = 0;
    await page.route("**/messages", async (route) => {
      if (route.request().method() !== "POST" || cut++ > 0) return route.continue();
      await route.fetch(); // the room gets it and stores it …
      await route.abort("connectionreset"); // … and the answer never comes back
    });
    await page.locator("#input").fill("only once, please");
    await page.locator("#send").click();
    await expect.poll(() => cut).toBe(1);
    await expect.poll(() => page.locator("#log .msg.pending").count(), { timeout: 30_000 }).toBe(0);
    await expect.poll(() => page.locator("#log .msg", { hasText: "only once, please" }).count(), { timeout: 30_000 }).toBe(1);
    expect((await texts(r)).filter((m) => m.text === "only once, please")).toHaveLength(1);
    expect(cut).toBe(1); // the retry found it in the room instead of posting again
  });

  it("#14 the join card names the room and who is here; #8 'Continue as NAME on this device' for the host", async () => {
    const r = await room({ title: "Sprint 12" });
    await httpAgent(r, "claude-bot");
    const { page } = await open(1);
    await page.goto(`${r.url}/#host=${encodeURIComponent(r.hostToken)}`);
    await expect.poll(() => page.locator("#join-title").textContent()).toBe("Sprint 12");
    expect(await page.locator("#join-who").textContent()).toContain("1 here now");
    expect(await page.locator("#join-people").textContent()).toBe("claude-bot");
    await joinAs(page, r.url, "Mia");
    // The session is lost (token gone), the device remembers the name: one tap continues as Mia.
    await page.evaluate(() => localStorage.removeItem("agent-chat:token"));
    await page.goto(r.url);
    const cont = page.locator("#continue-as");
    await expect.poll(() => cont.textContent()).toBe("Continue as Mia on this device");
    await cont.click();
    await expect.poll(() => state(page)).toBe("live");
    expect(await page.evaluate(() => localStorage.getItem("agent-chat:name"))).toBe("Mia");
  });
});
