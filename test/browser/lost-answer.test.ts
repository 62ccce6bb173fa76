// The page's send when its answer is lost on the way back — what a person sees when the instance behind a balancer
// dies with the POST in hand (serve --redis): nginx answers its own 502 page, or the connection drops. The page must
// not say "not sent" for a message the room has (the person would send it twice): it keeps it waiting, looks it up,
// and shows it once; a message that did not arrive is sent again, once.
import type { Page } from "playwright-core";
import { expect, it } from "vitest";
import { losingProxy, type Mode } from "../support/losing-proxy.js";
import { describeBrowser, useBrowser } from "./helpers.js";

/** The room's messages on the page (not system lines, not lines still waiting to be sent), as texts. */
const stored = (page: Page) => page.$$eval("#log .msg[data-id]:not(.kind-system) .body", (els) => els.map((e) => e.textContent ?? ""));

describeBrowser("web UI: a send whose answer is lost", () => {
  const { open, room, defer } = useBrowser();

  for (const mode of ["stored, then 502", "cut before it arrives"] as Mode[]) {
    it(`${mode}: no error, the message shows once and the room holds it once`, async () => {
      const r = await room();
      const proxy = await losingProxy(r.url, mode);
      defer(() => proxy.close());
      const { page } = await open(`${proxy.url}/#password=${encodeURIComponent(r.password)}`, "Lena");
      await page.locator("#input").fill("is the deploy done?");
      await page.locator("#send").click();
      await expect.poll(() => stored(page), { timeout: 30_000 }).toEqual(["is the deploy done?"]);
      await expect.poll(() => page.locator("#log .pending").count()).toBe(0); // nothing left waiting
      expect(await page.locator("#composer-error").textContent()).toBe("");
      expect(await page.locator("#input").inputValue()).toBe(""); // not handed back to be sent again by hand
      const inRoom = r.room.history.since(0).items.map((j) => JSON.parse(j) as { agent: string; text: string }).filter((m) => m.agent === "Lena");
      expect(inRoom.map((m) => m.text)).toEqual(["is the deploy done?"]);
      expect(proxy.posts).toBe(mode === "cut before it arrives" ? 2 : 1);
    });
  }
});
