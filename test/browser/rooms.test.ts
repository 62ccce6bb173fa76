// The page in a room of its own (/r/<id>/), entered with an invite key link, next to the default room at the root:
// its API calls reach that room, its session is kept apart, a key's pinned name is the one joined, and the room
// closing (DELETE /r/<id>) shows as closed.
import type { Browser } from "playwright-core";
import { afterAll, beforeAll, expect, it } from "vitest";
import { startTestRoom, type TestRoom } from "../support/room.js";
import { ACTION_TIMEOUT_MS, PHONES, describeBrowser, joinAs, launch, message, patientPolls, watch } from "./helpers.js";

patientPolls();

describeBrowser("web UI: a room under /r/<id>, entered with an invite key", () => {
  let browser: Browser;
  let server: TestRoom;
  const problems: string[][] = [];

  beforeAll(async () => {
    [browser, server] = await Promise.all([launch(), startTestRoom({ title: "Lobby" })]);
  });
  afterAll(async () => {
    await browser?.close();
    await server?.close();
    expect(problems.flat(), "no page errors, no CSP refusals").toEqual([]);
  });

  const host = (path: string, init: { method?: string; json?: unknown } = {}) => server.api(path, { ...init, token: server.hostToken });

  it("a key link opens the room's own page; messages and people are that room's; the root room is untouched", async () => {
    const made = (await (await host("/rooms", { method: "POST", json: { title: "Side project" } })).json()) as { room: { id: string } };
    const id = made.room.id;
    const minted = (await (await host(`/r/${id}/keys`, { method: "POST", json: { label: "for Kira", name: "Kira", kind: "human" } })).json()) as { key: string };
    const ctx = await browser.newContext(PHONES[2]); // 320 px, dark
    ctx.setDefaultTimeout(ACTION_TIMEOUT_MS);
    const page = await ctx.newPage();
    problems.push(watch(page));
    // Without the trailing slash: the server redirects to /r/<id>/ and the fragment comes along.
    await joinAs(page, `${server.url}/r/${id}#key=${minted.key}`, "Kira");
    expect(page.url()).toBe(`${server.url}/r/${id}/`);
    expect(await page.locator("#room-title").textContent()).toBe("Side project");
    await page.locator("#input").fill("hello side room");
    await page.locator("#send").click();
    const inRoom = (await (await host(`/r/${id}/messages`)).json()) as { messages: { agent: string; text: string }[] };
    await expect.poll(async () => ((await (await host(`/r/${id}/messages`)).json()) as typeof inRoom).messages.map((m) => [m.agent, m.text])).toContainEqual(["Kira", "hello side room"]);
    const root = (await (await server.api("/messages")).json()) as { messages: { text: string }[] };
    expect(root.messages.map((m) => m.text)).not.toContain("hello side room");
    // Its session is stored apart from the root room's.
    const keys = await page.evaluate(() => Object.keys(localStorage).sort());
    expect(keys).toEqual([`agent-chat:/r/${id}/name`, `agent-chat:/r/${id}/token`]);
    // The host closes the room: the page says so and stops writing.
    expect((await host(`/r/${id}`, { method: "DELETE" })).status).toBe(200);
    await expect.poll(() => page.locator("#conn").getAttribute("data-state"), { timeout: 30_000 }).toBe("closed");
    expect(await page.locator("#input").isDisabled()).toBe(true);
    expect(await message(page, "hello side room").isVisible()).toBe(true);
    await ctx.close();
  });
});
