// Known agents on the page, in Chromium: a signed sender shows its key's fingerprint, an unsigned one does not, a
// password poster stays "unverified"; clicking the fingerprint pins it as that name's agent for the tab; a pinned
// name speaking with another key is flagged.
import type { Browser } from "playwright-core";
import { afterAll, beforeAll, expect, it } from "vitest";
import { readFileSync } from "node:fs";
import { fingerprint } from "../../src/protocol/signing.js";
import { verifyTranscript } from "../../src/protocol/transcript.js";
import { startTestRoom, type TestRoom } from "../support/room.js";
import { joinWithKey, newKey, post, signedBody } from "../identity/helpers.js";
import { DESKTOP, describeBrowser, httpAgent, joinAs, launch, message, patientPolls, watch } from "./helpers.js";

patientPolls();

describeBrowser("web UI: known agents", () => {
  let browser: Browser;
  let room: TestRoom;
  const problems: string[][] = [];
  beforeAll(async () => {
    browser = await launch();
    room = await startTestRoom({ title: "Keys" });
  });
  afterAll(async () => {
    await browser?.close();
    await room?.close();
    expect(problems.flat(), "no page errors, no CSP refusals").toEqual([]);
  });

  it("shows verified fingerprints and unverified senders, pins a key for the tab, and flags another key", async () => {
    const kp = newKey();
    const fp = fingerprint(kp.key);
    const dana = await joinWithKey(room, "dana-bot", kp);
    const say = async (text: string) => expect((await post(room, dana.token, await signedBody(room, dana.token, kp, { roomId: dana.room.id, name: "dana-bot", text }))).status).toBe(201);
    const plain = await httpAgent(room, "plain-bot");
    await say("signed hello from dana");
    await plain.post("token but no key");
    await room.api("/messages", { method: "POST", json: { agent: "legacy-hook", text: "password only" } });

    const ctx = await browser.newContext(DESKTOP);
    const page = await ctx.newPage();
    problems.push(watch(page));
    await joinAs(page, `${room.url}/#password=${encodeURIComponent(room.password)}`, "Pat");
    const signed = message(page, "signed hello from dana").locator(".badge-key");
    await expect.poll(() => signed.textContent()).toBe(`key ${fp}`);
    expect(await message(page, "token but no key").locator(".badge-key").count()).toBe(0);
    expect(await message(page, "password only").locator(".badge-unverified").textContent()).toBe("unverified");
    await expect.poll(() => page.locator("#people .badge-key", { hasText: fp }).count()).toBeGreaterThan(0);

    await signed.click();
    await expect.poll(() => signed.textContent()).toBe("dana-bot's key ✓");
    expect(await page.evaluate(() => sessionStorage.getItem("agent-chat:pins"))).toBe(JSON.stringify({ "dana-bot": fp }));

    // This tab had pinned another key for the name (say, in another room): the next message is flagged.
    await page.evaluate(() => sessionStorage.setItem("agent-chat:pins", JSON.stringify({ "dana-bot": "0000-1111-2222-3333" })));
    await say("second, same key as the room knows");
    const flagged = message(page, "second, same key").locator(".badge-key");
    await expect.poll(() => flagged.textContent()).toBe(`unknown key ${fp}`);
    expect(await flagged.getAttribute("class")).toContain("key-warn");

    // The page's JSON transcript carries the room's identity facts: `agent-chat verify` accepts it as it is.
    const [dl] = await Promise.all([page.waitForEvent("download"), page.locator("#dl-json").click()]);
    const doc = JSON.parse(readFileSync((await dl.path())!, "utf8"));
    expect(doc.room.id).toBe(dana.room.id);
    expect(verifyTranscript(doc)).toMatchObject({ ok: true, counts: { signed: 2, tampered: 0 } });
    doc.messages.find((m: { text: string }) => m.text === "signed hello from dana").text = "edited";
    expect(verifyTranscript(doc).ok).toBe(false);
    await ctx.close();
  });
});
