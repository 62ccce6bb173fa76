// The host, from the web UI with the host link: pause and resume agents, rename the room, remove a participant —
// and what everyone else's page shows. Also the loop guard's pause, which a vouched human's message lifts.
import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, expect, it } from "vitest";
import { startTestRoom, type TestRoom } from "../support/room.js";
import { ACTION_TIMEOUT_MS, DESKTOP, PHONE, describeBrowser, httpAgent, joinAs, launch, message, watch, type Agent } from "./helpers.js";

describeBrowser("web UI: the host's controls", () => {
  let browser: Browser;
  let room: TestRoom;
  let host: Page;
  let bob: Page;
  let bot: Agent;
  const problems: string[][] = [];

  beforeAll(async () => {
    [browser, room] = await Promise.all([launch(), startTestRoom({ loopGuard: 3, title: "Ops" })]);
    const hostCtx = await browser.newContext(DESKTOP);
    const bobCtx = await browser.newContext(PHONE);
    for (const c of [hostCtx, bobCtx]) c.setDefaultTimeout(ACTION_TIMEOUT_MS);
    host = await hostCtx.newPage();
    bob = await bobCtx.newPage();
    problems.push(watch(host), watch(bob));
  });

  afterAll(async () => {
    await browser?.close();
    await room?.close();
    expect(problems.flat(), "no page errors, no CSP refusals").toEqual([]);
  });

  const agentPost = (text: string) =>
    fetch(`${room.url}/messages`, {
      method: "POST",
      headers: { authorization: `Bearer ${bot.token}`, "content-type": "application/json" },
      body: JSON.stringify({ text }),
    });

  it("the host link needs no password; the host still picks a name, and gets the controls", async () => {
    await host.goto(`${room.url}/#host=${encodeURIComponent(room.hostToken)}`);
    expect(host.url()).toBe(room.url + "/");
    expect(await host.locator("#join-host-note").isVisible()).toBe(true);
    expect(await host.locator("#password-field").isVisible()).toBe(false);
    await joinAs(host, room.url, "Hana");
    expect(await host.locator("#host-controls").isVisible()).toBe(true);
    // The host token stays in this tab only; the participant token is what posts.
    expect(await host.evaluate(() => sessionStorage.getItem("agent-chat:host"))).toBe(room.hostToken);
    await host.locator("#input").fill("Morning, everyone.");
    await host.locator("#input").press("Enter");
    // Enter only starts the page's (signed) post: ask the room until it is there, rather than at once.
    const lastStored = async () => ((await (await room.api("/messages")).json()) as { messages: { agent: string; text: string; kind: string; verified: boolean }[] }).messages.at(-1);
    await expect.poll(lastStored).toMatchObject({ agent: "Hana", text: "Morning, everyone.", kind: "human", verified: true });

    await joinAs(bob, `${room.url}/#password=${encodeURIComponent(room.password)}`, "Bob");
    expect(await bob.locator("#host-controls").isHidden()).toBe(true);
    bot = await httpAgent(room, "runner-bot");
    await expect.poll(() => host.locator("#people .person").count(), { timeout: 30_000 }).toBe(3);
    // Nobody but the host sees Remove buttons.
    expect(await host.locator("#people button", { hasText: "Remove" }).count()).toBe(2);
    expect(await bob.locator("#people button", { hasText: "Remove" }).count()).toBe(0);
  });

  it("pause and resume agents: everyone sees the pause; agents get 423 until the host resumes", async () => {
    await host.locator("#btn-pause").click();
    await expect.poll(() => bob.locator("#paused-banner").isVisible()).toBe(true);
    expect(await bob.locator("#paused-text").textContent()).toContain("paused by the host");
    expect(await bob.locator("#btn-resume").isVisible()).toBe(false);
    const refused = await agentPost("can I still talk?");
    expect(refused.status).toBe(423);
    await expect.poll(() => host.locator("#btn-resume").isVisible()).toBe(true);
    await host.locator("#btn-resume").click();
    await expect.poll(() => bob.locator("#paused-banner").isVisible()).toBe(false);
    expect((await agentPost("back to work")).status).toBe(201);
    await message(bob, "back to work").waitFor();
  });

  // Issue 12: only a human the host vouches for lifts the loop guard (the host's page joins with the host token; a
  // "human" who joined with the password has only claimed it, and counts as an agent — test/server/hardening.test.ts).
  // So the host's message lifts it here, where Bob's (password link) once did.
  it("the loop guard's pause says a human message resumes, and the host's does", async () => {
    for (let i = 1; i <= 3; i++) await agentPost(`loop ${i}`);
    await expect.poll(() => bob.locator("#paused-banner").isVisible()).toBe(true);
    expect(await bob.locator("#paused-text").textContent()).toContain("Any human message resumes them");
    expect((await agentPost("loop 4")).status).toBe(423);
    await host.locator("#input").fill("ok bots, carry on");
    await host.locator("#send").click();
    await expect.poll(() => bob.locator("#paused-banner").isVisible()).toBe(false);
    expect((await agentPost("thanks")).status).toBe(201);
  });

  it("the host renames the room; every page shows the new title", async () => {
    await host.locator("#rename-input").fill("Ops: launch day");
    await host.locator("#rename-btn").click();
    await expect.poll(() => host.locator("#room-title").textContent()).toBe("Ops: launch day");
    await expect.poll(() => bob.locator("#room-title").textContent()).toBe("Ops: launch day");
    expect(await bob.title()).toContain("Ops: launch day");
    const invite = await (await room.api("/invite")).text();
    expect(invite).toContain('"Ops: launch day"');
  });

  it("the host removes Bob; Bob's page says so, stops, and the name is barred", async () => {
    const row = host.locator("#people .person", { hasText: "Bob" });
    const remove = row.locator("button.remove");
    await remove.click();
    // One stray tap removes nobody: it opens a confirmation that names the person and the consequence (issue 16 #1).
    const dialog = host.locator("#remove-dialog");
    expect(await dialog.isVisible()).toBe(true);
    expect(await dialog.locator("#remove-title").textContent()).toBe("Remove Bob?");
    expect(await dialog.textContent()).toContain("barred");
    expect((await (await room.api("/room")).json()).participants.some((p: { name: string }) => p.name === "Bob")).toBe(true);
    await host.locator("#remove-dialog[data-ready]").waitFor();
    await host.locator("#remove-confirm").click();

    await expect.poll(() => bob.locator("#conn").getAttribute("data-state")).toBe("removed");
    expect(await bob.locator("#notice").textContent()).toContain("You were removed from this room by the host");
    expect(await bob.locator("#input").isDisabled()).toBe(true);
    expect(await bob.evaluate(() => localStorage.getItem("agent-chat:token"))).toBeNull();
    await message(host, "The host removed Bob").waitFor();
    await expect.poll(() => host.locator("#people .person", { hasText: "Bob" }).count()).toBe(0);

    // Coming back under the same name is refused, with the server's words.
    await bob.goto(room.url);
    await bob.locator("#name-input").fill("Bob");
    await bob.locator("#join-btn").click();
    await expect.poll(() => bob.locator("#join-error").textContent()).toContain("cannot be used again");
  });
});
