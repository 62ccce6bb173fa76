// Issue 12 #5, page side: a host link or a person's link carries a one-time code (#code=acl_…). The page takes it
// out of the address bar, trades it once (POST session) for the credential it stands for, and goes on; what the
// browser's own History database keeps afterwards opens nothing. Checked in a persistent Chromium profile, as the
// attack was: the profile's History file is read after the browser closed, and every code found in it is refused.
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { chromium, type Browser } from "playwright-core";
import { afterAll, beforeAll, expect, it } from "vitest";
import { startTestRoom, type TestRoom } from "../support/room.js";
import { ACTION_TIMEOUT_MS, CHROMIUM, PHONES, describeBrowser, joinAs, launch, patientPolls, watch } from "./helpers.js";

patientPolls();

describeBrowser("web UI: one-time links leave nothing usable in the browser's history", () => {
  let browser: Browser;
  let room: TestRoom;
  const problems: string[][] = [];

  beforeAll(async () => {
    [browser, room] = await Promise.all([launch(), startTestRoom({ title: "Links" })]);
  });
  afterAll(async () => {
    await browser?.close();
    await room?.close();
    expect(problems.flat(), "no page errors, no CSP refusals").toEqual([]);
  });

  const mint = async (kind: "host" | "human") => {
    const res = await room.api("/host/links", { method: "POST", token: room.hostToken, json: { kind } });
    expect(res.status).toBe(201);
    return ((await res.json()) as { code: string }).code;
  };
  const redeem = (code: string) => fetch(`${room.url}/session`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ code }) });

  it("a host link in a persistent profile: host controls on, and the History file holds no usable secret", async () => {
    const code = await mint("host");
    const dir = mkdtempSync(join(tmpdir(), "agent-chat-profile-"));
    try {
      const ctx = await chromium.launchPersistentContext(dir, {
        executablePath: CHROMIUM,
        args: ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking", "--disable-sync"],
        ...PHONES[0],
      });
      const page = ctx.pages()[0] ?? (await ctx.newPage());
      problems.push(watch(page));
      await joinAs(page, `${room.url}/#code=${code}`, "Hana");
      expect(page.url()).toBe(room.url + "/");
      expect(await page.locator("#host-controls").count()).toBe(1);
      await page.locator("#btn-panel").click();
      expect(await page.locator("#host-controls").isVisible()).toBe(true);
      await page.goto(room.url + "/"); // one more history entry, as a person moving around would make
      await ctx.close();
      const history = readFileSync(join(dir, "Default", "History")).toString("latin1");
      expect(history, "the profile recorded the visit").toContain(room.url.replace("http://", ""));
      expect(history).not.toContain(room.hostToken);
      expect(history).not.toContain(room.password);
      const codes = [...new Set(history.match(/acl_[A-Za-z0-9_-]+/g) ?? [])];
      expect(codes, "the browser did record the link it was given").toContain(code);
      for (const c of codes) {
        const res = await redeem(c);
        expect(res.status, `a code from the History file: ${c.slice(0, 10)}…`).toBeGreaterThanOrEqual(400);
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("a person's link joins as a person without the password; opening it again says it was used", async () => {
    const code = await mint("human");
    const ctx = await browser.newContext(PHONES[1]);
    ctx.setDefaultTimeout(ACTION_TIMEOUT_MS);
    const page = await ctx.newPage();
    problems.push(watch(page));
    await page.goto(`${room.url}/#code=${code}`);
    await expect.poll(() => page.url()).toBe(room.url + "/");
    expect(await page.locator("#password-field").isVisible()).toBe(false);
    expect(await page.evaluate(() => sessionStorage.getItem("agent-chat:password"))).not.toBe(room.password);
    await joinAs(page, page.url(), "Pat");
    const people = ((await (await room.api("/room")).json()) as { participants: { name: string; kind: string }[] }).participants;
    expect(people.find((p) => p.name === "Pat")?.kind).toBe("human");
    // The same link again (another tab): it opens once, and the page says so.
    const again = await ctx.newPage();
    problems.push(watch(again));
    await again.goto(`${room.url}/#code=${code}`);
    await expect.poll(() => again.locator("#join-info").textContent()).toMatch(/used|expired/i);
    await ctx.close();
  });
});
