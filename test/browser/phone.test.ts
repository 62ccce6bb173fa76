// Issue 16 #5 and #7 in Chromium: mention notifications go through the page's service worker (phones refuse
// `new Notification()`), an http link says honestly why there are none, the page is installable (manifest, icons),
// and on a 320-px phone the header shows the room name and a one-word state — at 320 and 390 px, light and dark.
import { mkdirSync } from "node:fs";
import { chromium, type Browser, type Page } from "playwright-core";
import { afterAll, beforeAll, expect, it } from "vitest";
import { startTestRoom, type TestRoom } from "../support/room.js";
import { ACTION_TIMEOUT_MS, CHROMIUM, PHONES, describeBrowser, httpAgent, joinAs, launch, watch, patientPolls } from "./helpers.js";

patientPolls();

const SHOTS = new URL(process.env.UPDATE_SCREENSHOTS ? "../../docs/screenshots/" : "../../test-results/screenshots/", import.meta.url);

async function hide(page: Page) {
  await page.evaluate(() => {
    Object.defineProperty(document, "hidden", { configurable: true, get: () => true });
    Object.defineProperty(document, "visibilityState", { configurable: true, get: () => "hidden" });
    document.dispatchEvent(new Event("visibilitychange"));
  });
}

describeBrowser("web UI: on a phone — notifications, installing, the header", () => {
  let browser: Browser;
  let room: TestRoom;
  const problems: string[][] = [];

  beforeAll(async () => {
    [browser, room] = await Promise.all([launch(), startTestRoom({ title: "Design review" })]);
  });
  afterAll(async () => {
    await browser?.close();
    await room?.close();
    expect(problems.flat(), "no page errors, no CSP refusals").toEqual([]);
  });

  it("#5 a mention while the tab is hidden is shown by the service worker, even where new Notification() is refused", async () => {
    const ctx = await browser.newContext({ ...PHONES[1], permissions: ["notifications"] });
    ctx.setDefaultTimeout(ACTION_TIMEOUT_MS);
    // As on Android Chrome: the page's own constructor throws; only a service worker may show notifications.
    // What the page asks for is also written down (window.__asked), without reading the browser's notification list:
    // Chromium's getNotifications() drops a notification for good when it is asked while that notification is being
    // shown (already in its store, not yet on the platform's list), so polling the list while the page showed the
    // mention lost it now and then (3 in ~100 runs under load; 8 in 20 when the list is read in a loop meanwhile).
    await ctx.addInitScript(() => {
      const asked: unknown[] = [];
      Object.defineProperty(window, "__asked", { value: asked });
      const Real = window.Notification;
      const Refused = function (title: string) {
        asked.push({ refused: title });
        throw new TypeError("Failed to construct 'Notification': Illegal constructor. Use ServiceWorkerRegistration.showNotification() instead.");
      } as unknown as typeof Notification;
      Object.defineProperty(Refused, "permission", { get: () => Real.permission });
      (Refused as unknown as { requestPermission: unknown }).requestPermission = Real.requestPermission.bind(Real);
      window.Notification = Refused;
      if (typeof ServiceWorkerRegistration !== "function") return;
      const show = ServiceWorkerRegistration.prototype.showNotification;
      ServiceWorkerRegistration.prototype.showNotification = function (this: ServiceWorkerRegistration, title: string, options?: NotificationOptions) {
        const shown = show.call(this, title, options);
        shown.then(
          () => asked.push({ shown: title, body: options?.body }),
          (e: unknown) => asked.push({ failed: title, error: String(e) }),
        );
        return shown;
      };
    });
    const page = await ctx.newPage();
    problems.push(watch(page));
    await joinAs(page, `${room.url}/#password=${encodeURIComponent(room.password)}`, "Nadia");
    await expect.poll(() => page.evaluate(async () => (await navigator.serviceWorker.getRegistration())?.active?.state ?? null)).toBe("activated");
    expect(await page.locator("#btn-notify").textContent()).toBe("Notifications on for mentions");
    // The service worker's notifications, as Chromium lists them. Its first answer waits for its notification platform
    // (on Linux it first probes the D-Bus session bus) and then drops from its store whatever was shown meanwhile, so
    // it is asked once here, before the mention: nothing shown yet (with a session bus that took 3 s to answer, the
    // mention went unlisted every time without this).
    const listed = () => page.evaluate(async () => (await (await navigator.serviceWorker.getRegistration())!.getNotifications()).map((n) => [n.title, n.body]));
    expect(await listed()).toEqual([]);
    await hide(page);
    const bot = await httpAgent(room, "pager-bot");
    await bot.post("@Nadia the deploy needs you");
    // First the page's own showNotification() settles; only then is the browser's list read (see the init script).
    try {
      await expect.poll(() => page.evaluate(() => (window as unknown as { __asked: unknown[] }).__asked)).toEqual([
        { shown: "pager-bot mentioned you in Design review", body: "@Nadia the deploy needs you" },
      ]);
    } catch (e) {
      // Say whether the message reached the page at all.
      const seen = await page.evaluate(() => ({ conn: document.getElementById("conn")?.dataset.state, hidden: document.hidden, permission: Notification.permission, log: Array.from(document.querySelectorAll("#log .msg"), (x) => x.textContent) }));
      console.error(`#5 notification missing; the page: ${JSON.stringify(seen)}; the room: ${JSON.stringify(await (await room.api("/messages")).json())}`);
      throw e;
    }
    expect(await listed()).toEqual([["pager-bot mentioned you in Design review", "@Nadia the deploy needs you"]]);
    await ctx.close();
  });

  it("#5 over a plain-http LAN link the button stays, disabled, and says why", async () => {
    // A name that is not localhost: Chromium treats it as the insecure origin a LAN address is.
    const lan = await chromium.launch({
      executablePath: CHROMIUM,
      args: ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking", `--host-resolver-rules=MAP room.lan.test 127.0.0.1`],
    });
    try {
      const page = await (await lan.newContext(PHONES[0])).newPage();
      problems.push(watch(page));
      const url = room.url.replace("127.0.0.1", "room.lan.test");
      await joinAs(page, `${url}/#password=${encodeURIComponent(room.password)}`, "Lars");
      expect(await page.evaluate(() => window.isSecureContext)).toBe(false);
      await page.locator("#btn-panel").click();
      const btn = page.locator("#btn-notify");
      expect(await btn.isVisible()).toBe(true);
      expect(await btn.isDisabled()).toBe(true);
      expect(await page.locator("#notify-hint").textContent()).toContain("need an https link");
    } finally {
      await lan.close();
    }
  });

  it("#5 installable: a manifest with PNG icons, linked from the page", async () => {
    const ctx = await browser.newContext(PHONES[2]);
    const page = await ctx.newPage();
    await page.goto(room.url);
    const href = await page.locator('link[rel="manifest"]').getAttribute("href");
    const res = await fetch(new URL(href!, room.url + "/"));
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toBe("application/manifest+json");
    const manifest = (await res.json()) as { name: string; display: string; start_url: string; icons: { src: string; sizes: string; type: string }[] };
    expect(manifest).toMatchObject({ name: "agent-chat", display: "standalone", start_url: "./" });
    for (const size of ["192x192", "512x512"]) {
      const icon = manifest.icons.find((i) => i.sizes === size && i.type === "image/png")!;
      const png = await fetch(new URL(icon.src, room.url + "/"));
      expect(png.headers.get("content-type")).toBe("image/png");
      const bytes = Buffer.from(await png.arrayBuffer());
      expect(bytes.readUInt32BE(16)).toBe(Number(size.split("x")[0])); // the PNG's own width
    }
    expect(await page.locator('link[rel="apple-touch-icon"]').count()).toBe(1);
    await ctx.close();
  });

  for (const view of PHONES) {
    it(`#7 at ${view.label}: the header shows the whole room name and a one-word state; nothing scrolls sideways`, async () => {
      const ctx = await browser.newContext(view);
      ctx.setDefaultTimeout(ACTION_TIMEOUT_MS);
      const page = await ctx.newPage();
      problems.push(watch(page));
      await joinAs(page, `${room.url}/#password=${encodeURIComponent(room.password)}`, `Vi-${view.label.replace(/\W/g, "")}`);
      const title = page.locator("#room-title");
      expect(await title.textContent()).toBe("Design review");
      expect(await title.evaluate((e) => e.scrollWidth <= e.clientWidth)).toBe(true); // not cut off
      const state = page.locator("#conn-text");
      expect(await state.isVisible()).toBe(true);
      expect((await state.innerText()).trim()).toBe("Live");
      expect(await state.evaluate((e) => e.scrollWidth <= e.clientWidth + 1)).toBe(true);
      // Both sit inside the header, above the People button's row, within the screen.
      const box = (await page.locator(".topbar").boundingBox())!;
      for (const loc of [title, state]) {
        const b = (await loc.boundingBox())!;
        expect(b.x + b.width).toBeLessThanOrEqual(box.x + box.width);
        expect(b.y + b.height).toBeLessThanOrEqual(box.y + box.height);
      }
      expect(await page.evaluate(() => document.documentElement.scrollWidth <= window.innerWidth)).toBe(true);
      mkdirSync(SHOTS, { recursive: true });
      await page.screenshot({ path: new URL(`phone-${view.label.replace(" ", "-")}.png`, SHOTS).pathname });
      await ctx.close();
    });
  }
});
