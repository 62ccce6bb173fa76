// A person's page identity, in Chromium (README "Known agents"): the page makes an Ed25519 key per name with
// WebCrypto, keeps it in the profile's IndexedDB, proves it when joining and signs every message it sends (queued
// offline ones too, and again over the room's newest message when its own is refused); the transcript it downloads
// passes `agent-chat verify`. The same profile takes its name back after leaving; another profile gets a clear
// "held by another key". A page that is not a secure context (plain http on a non-local name) joins unsigned and says
// so, and a keys-only room tells it what to do instead.
import { chromium, type Browser, type BrowserContext, type Page } from "playwright-core";
import { afterAll, beforeAll, expect, it } from "vitest";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Message, RoomInfo } from "../../src/protocol/types.js";
import { run, tempHome } from "../support/cli.js";
import { startTestRoom, type TestRoom } from "../support/room.js";
import { CHROMIUM, DESKTOP, describeBrowser, httpAgent, joinAs, launch, message, patientPolls, watch } from "./helpers.js";

patientPolls();

const FP = /^[0-9a-z]{4}(-[0-9a-z]{4}){3}$/;
const ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync"];

describeBrowser("web UI: a page identity", () => {
  let browser: Browser;
  let room: TestRoom;
  const problems: string[][] = [];
  const cleanups: (() => unknown)[] = [];
  beforeAll(async () => {
    browser = await launch();
    room = await startTestRoom({ title: "Signed" });
  });
  afterAll(async () => {
    for (const c of cleanups.reverse()) await c();
    await browser?.close();
    await room?.close();
    expect(problems.flat(), "no page errors, no CSP refusals").toEqual([]);
  });

  const link = (r: TestRoom, origin = r.url) => `${origin}/#password=${encodeURIComponent(r.password)}`;
  const people = async (r: TestRoom) => ((await (await r.api("/room")).json()) as RoomInfo).participants;
  const stored = async (r: TestRoom) => ((await (await r.api("/messages")).json()) as { messages: Message[] }).messages;
  const keyLine = (page: Page) => page.locator("#key-line").textContent();
  async function say(page: Page, text: string) {
    await page.locator("#input").fill(text);
    await page.locator("#send").click();
  }
  /** A persistent profile in `dir`: what a person's browser keeps between visits. */
  async function profile(dir: string): Promise<{ ctx: BrowserContext; page: Page }> {
    const ctx = await chromium.launchPersistentContext(dir, { executablePath: CHROMIUM, args: ARGS, ...DESKTOP });
    cleanups.push(() => ctx.close()); // a failed test must not leave the profile locked for the next one
    const page = ctx.pages()[0] ?? (await ctx.newPage());
    problems.push(watch(page));
    return { ctx, page };
  }

  const dir = mkdtempSync(join(tmpdir(), "agent-chat-pagekey-"));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  let fp = "";

  it("joins with its key: the room shows the fingerprint the page shows, every message is signed, the transcript verifies", async () => {
    const bot = await httpAgent(room, "helper-bot");
    await bot.post("before Pat arrives");
    const { ctx, page } = await profile(dir);
    await joinAs(page, link(room), "Pat");
    expect(await page.evaluate(() => isSecureContext)).toBe(true);
    await expect.poll(() => keyLine(page)).toMatch(/^Signed as /);
    fp = (await keyLine(page))!.replace("Signed as ", "");
    expect(fp).toMatch(FP);
    expect((await people(room)).find((p) => p.name === "Pat")).toMatchObject({ kind: "human", fingerprint: fp });

    await say(page, "hello from a signed page");
    await message(page, "hello from a signed page").waitFor();
    await bot.post("an agent in between");
    await message(page, "an agent in between").waitFor();
    // A reply: the signature covers replyTo as well.
    await message(page, "an agent in between").locator(".reply-btn").click();
    await say(page, "and a signed reply");
    await expect.poll(async () => (await stored(room)).filter((m) => m.agent === "Pat").length).toBe(2);
    for (const m of (await stored(room)).filter((x) => x.agent === "Pat")) {
      expect(m, m.text).toMatchObject({ kind: "human", fingerprint: fp, sig: expect.stringMatching(/^[A-Za-z0-9_-]{86}$/), key: expect.any(String) });
      expect(m.verified).toBe(true);
    }
    expect((await stored(room)).find((m) => m.text === "and a signed reply")?.replyTo).toBe((await stored(room)).find((m) => m.text === "an agent in between")?.id);
    // The page shows its own key as everyone else sees it: on its messages and in the people list.
    await expect.poll(() => message(page, "hello from a signed page").locator(".badge-key").textContent()).toBe(`key ${fp}`);
    await expect.poll(() => page.locator('#people .person[data-name="Pat"] .badge-key').textContent()).toBe(`key ${fp}`);

    // The JSON transcript the page downloads passes the built CLI's offline check, with Pat's messages signed.
    const [dl] = await Promise.all([page.waitForEvent("download"), page.locator("#dl-json").click()]);
    const home = tempHome();
    cleanups.push(home.cleanup);
    const file = join(home.home, "t.json");
    writeFileSync(file, JSON.stringify(JSON.parse(await streamText(await dl.createReadStream()))));
    const v = await run(["verify", file], { home: home.home });
    expect(v.stderr).toBe("");
    expect(v.code).toBe(0);
    expect(v.stdout).toMatch(new RegExp(`^#\\d+ +Pat +signed +key ${fp}$`, "m"));
    expect(v.stdout.match(/ Pat +signed/g)).toHaveLength(2);
    expect(v.stdout).toMatch(/^OK: /m);
    await ctx.close();
  });

  it("never sends unsigned while it holds a key: a queued offline message and one whose prev the room refuses go signed, once", async () => {
    const ctx = await browser.newContext(DESKTOP);
    const page = await ctx.newPage();
    problems.push(watch(page));
    await joinAs(page, link(room), "Quinn");
    await expect.poll(() => keyLine(page)).toMatch(/^Signed as /);
    const posts: Record<string, unknown>[] = [];
    let forged = false;
    await page.route("**/messages", async (route) => {
      if (route.request().method() !== "POST") return route.continue();
      const body = JSON.parse(route.request().postData() ?? "{}") as Record<string, unknown>;
      posts.push(body);
      // The first signed post names a chain position the room does not know: the page must sign again, not give up.
      if (!forged && body.text === "prev refused once") {
        forged = true;
        return route.continue({ postData: JSON.stringify({ ...body, prev: "A".repeat(43) }) });
      }
      return route.continue();
    });

    await ctx.setOffline(true);
    await expect.poll(() => page.locator("#conn").getAttribute("data-state")).toBe("offline");
    await say(page, "typed while offline");
    await page.locator("#log .msg.pending", { hasText: "typed while offline" }).waitFor();
    await ctx.setOffline(false);
    await expect.poll(async () => (await stored(room)).filter((m) => m.text === "typed while offline").length, { timeout: 30_000 }).toBe(1);
    await expect.poll(() => page.locator("#log .msg.pending").count()).toBe(0);

    await say(page, "prev refused once");
    await expect.poll(async () => (await stored(room)).filter((m) => m.text === "prev refused once").length).toBe(1);
    expect(forged).toBe(true);
    expect(await page.locator("#composer-error").textContent()).toBe("");

    const mine = (await stored(room)).filter((m) => m.agent === "Quinn");
    expect(mine.map((m) => m.text)).toEqual(["typed while offline", "prev refused once"]);
    for (const m of mine) expect(m.sig, m.text).toMatch(/^[A-Za-z0-9_-]{86}$/);
    // Every POST the page made carried a signature and a fresh nonce.
    expect(posts.length).toBeGreaterThanOrEqual(3);
    for (const b of posts) expect(b, JSON.stringify(b)).toMatchObject({ sig: expect.any(String), nonce: expect.any(String), sentAt: expect.any(String) });
    expect(new Set(posts.map((b) => b.nonce)).size).toBe(posts.length);
    await ctx.close();
  });

  it("a device whose clock is an hour slow still sends signed: the refused sentAt is signed again with the room's time", async () => {
    const ctx = await browser.newContext(DESKTOP);
    await ctx.clock.setSystemTime(Date.now() - 3_600_000);
    const page = await ctx.newPage();
    problems.push(watch(page));
    await joinAs(page, link(room), "Slowclock");
    expect(Math.abs((await page.evaluate(() => Date.now())) - Date.now() + 3_600_000)).toBeLessThan(120_000);
    await expect.poll(() => keyLine(page)).toMatch(/^Signed as /);
    await say(page, "my clock is wrong");
    await expect.poll(async () => (await stored(room)).find((m) => m.text === "my clock is wrong")?.sig).toMatch(/^[A-Za-z0-9_-]{86}$/);
    const m = (await stored(room)).find((x) => x.text === "my clock is wrong")!;
    expect(Math.abs(Date.parse(m.sentAt!) - Date.parse(m.timestamp))).toBeLessThan(60_000);
    expect(await page.locator("#composer-error").textContent()).toBe("");
    await ctx.close();
  });

  it("the same profile takes its name back after leaving; another profile asking for it is told it belongs to another key", async () => {
    expect(fp).toMatch(FP);
    // Reopened, the profile resumes as Pat (its saved token) and proves the same key.
    const first = await profile(dir);
    await first.page.goto(link(room));
    await expect.poll(() => first.page.locator("#conn").getAttribute("data-state")).toMatch(/^(live|polling)$/);
    await expect.poll(() => keyLine(first.page)).toBe(`Signed as ${fp}`);
    await first.page.locator("#btn-leave").click();
    await first.page.locator("#leave-confirm").click();
    await expect.poll(() => first.page.locator("#conn").getAttribute("data-state")).toBe("left");
    await first.ctx.close();

    // Pat is gone, but the name stays with Pat's key: a fresh profile (a new key) cannot have it.
    const ctx = await browser.newContext(DESKTOP);
    const other = await ctx.newPage();
    problems.push(watch(other));
    await other.goto(link(room));
    await other.locator("#name-input").fill("Pat");
    await other.locator("#join-btn").click();
    await expect.poll(() => other.locator("#join-error").textContent()).toContain("“Pat” belongs to another key in this room");
    expect(await other.locator("#use-suggestion").isVisible()).toBe(true);
    expect(await other.locator("#use-suggestion").textContent()).toBe("Join as “Pat-2”");
    await ctx.close();

    // The first profile again, after a browser restart: the same key, so the name comes back, not "Pat-2".
    const again = await profile(dir);
    await joinAs(again.page, link(room), "Pat");
    await expect.poll(() => keyLine(again.page)).toBe(`Signed as ${fp}`);
    expect((await people(room)).filter((p) => /^Pat/.test(p.name)).map((p) => [p.name, p.fingerprint])).toEqual([["Pat", fp]]);
    await say(again.page, "back with the same key");
    await expect.poll(async () => (await stored(room)).find((m) => m.text === "back with the same key")?.fingerprint).toBe(fp);
    await again.ctx.close();
  });

  it("in a /r/<id> room entered with invite key links: a nameless key, a key pinned to the typed name, and one carrying another name all join signing", async () => {
    const host = (path: string, init: { method?: string; json?: unknown } = {}) => room.api(path, { ...init, token: room.hostToken });
    const made = (await (await host("/rooms", { method: "POST", json: { title: "Side" } })).json()) as { room: { id: string } };
    const id = made.room.id;
    const mint = async (json: Record<string, unknown>) => ((await (await host(`/r/${id}/keys`, { method: "POST", json: { label: "k", ...json } })).json()) as { key: string }).key;
    const cases = [
      { key: await mint({}), typed: "Nia", joined: "Nia" },
      { key: await mint({ name: "Kira", kind: "human" }), typed: "Kira", joined: "Kira" },
      // The key's own name wins over the typed one: the page learns it from the join and proves its key for it.
      { key: await mint({ name: "Rhea", kind: "human" }), typed: "someone else", joined: "Rhea" },
    ];
    const sideMessages = async () => ((await (await host(`/r/${id}/messages`)).json()) as { messages: Message[] }).messages;
    const sidePeople = async () => ((await (await host(`/r/${id}/room`)).json()) as RoomInfo).participants;
    for (const c of cases) {
      const ctx = await browser.newContext(DESKTOP);
      const page = await ctx.newPage();
      problems.push(watch(page));
      await joinAs(page, `${room.url}/r/${id}/#key=${c.key}`, c.typed);
      await expect.poll(() => keyLine(page)).toMatch(/^Signed as /);
      const shown = (await keyLine(page))!.replace("Signed as ", "");
      expect((await sidePeople()).find((p) => p.name === c.joined)?.fingerprint, c.joined).toBe(shown);
      await say(page, `signed by ${c.joined}`);
      await expect.poll(async () => (await sideMessages()).find((m) => m.text === `signed by ${c.joined}`)?.fingerprint).toBe(shown);
      expect((await sideMessages()).find((m) => m.text === `signed by ${c.joined}`)?.agent).toBe(c.joined);
      await ctx.close();
    }
  });

  it("a secure page whose site storage is blocked joins unsigned and says why", async () => {
    const ctx = await browser.newContext(DESKTOP);
    // As a profile that refuses site data: no IndexedDB to keep a key in (WebCrypto itself is there).
    await ctx.addInitScript(() => Object.defineProperty(window, "indexedDB", { value: undefined }));
    const page = await ctx.newPage();
    problems.push(watch(page));
    await joinAs(page, link(room), "Nostore");
    expect(await page.evaluate(() => [isSecureContext, typeof crypto.subtle])).toEqual([true, "object"]);
    await expect.poll(() => keyLine(page)).toBe("Your messages are unsigned: this browser can't keep a key here (its site storage is blocked).");
    await say(page, "no storage, unsigned");
    await expect.poll(async () => (await stored(room)).find((m) => m.text === "no storage, unsigned")?.agent).toBe("Nostore");
    expect((await stored(room)).find((m) => m.text === "no storage, unsigned")?.sig).toBeUndefined();
    expect((await people(room)).find((p) => p.name === "Nostore")?.fingerprint ?? null).toBeNull();
    await ctx.close();
  });

  it("a secure page whose WebCrypto has no Ed25519 (older Safari and Firefox) joins unsigned and says why", async () => {
    const ctx = await browser.newContext(DESKTOP);
    // As such a browser answers: generateKey refuses the algorithm with NotSupportedError; everything else works.
    await ctx.addInitScript(() => {
      const real = crypto.subtle.generateKey.bind(crypto.subtle);
      crypto.subtle.generateKey = ((alg: AlgorithmIdentifier, ...rest: [boolean, KeyUsage[]]) =>
        (typeof alg === "string" ? alg : alg.name) === "Ed25519"
          ? Promise.reject(new DOMException("Unrecognized name.", "NotSupportedError"))
          : real(alg, ...rest)) as typeof crypto.subtle.generateKey;
    });
    const page = await ctx.newPage();
    problems.push(watch(page));
    await joinAs(page, link(room), "Oldbrowser");
    await expect.poll(() => keyLine(page)).toBe("Your messages are unsigned: this browser can't keep a key here (needs https and Ed25519).");
    await say(page, "no ed25519, unsigned");
    await expect.poll(async () => (await stored(room)).find((m) => m.text === "no ed25519, unsigned")?.agent).toBe("Oldbrowser");
    expect((await stored(room)).find((m) => m.text === "no ed25519, unsigned")?.sig).toBeUndefined();
    expect((await people(room)).find((p) => p.name === "Oldbrowser")?.fingerprint ?? null).toBeNull();
    await ctx.close();
  });

  it("not a secure context: joins unsigned and says so in one line; a keys-only room says what to do instead", async () => {
    const keysOnly = await startTestRoom({ title: "Keys only", requireIdentity: true });
    cleanups.push(() => keysOnly.close());
    // A LAN-style name over plain http: not a secure context, so WebCrypto's subtle API is not there at all.
    const lan = await chromium.launch({ executablePath: CHROMIUM, args: [...ARGS, "--host-resolver-rules=MAP phone.test 127.0.0.1"] });
    cleanups.push(() => lan.close());
    const ctx = await lan.newContext(DESKTOP);
    const page = await ctx.newPage();
    problems.push(watch(page));
    const origin = (r: TestRoom) => r.url.replace("127.0.0.1", "phone.test");

    await joinAs(page, link(room, origin(room)), "Lan");
    expect(await page.evaluate(() => [isSecureContext, typeof crypto.subtle])).toEqual([false, "undefined"]);
    await expect.poll(() => keyLine(page)).toBe("Your messages are unsigned: this browser can't keep a key here (needs https and Ed25519).");
    await say(page, "from the LAN, unsigned");
    await expect.poll(async () => (await stored(room)).find((m) => m.text === "from the LAN, unsigned")?.agent).toBe("Lan");
    const m = (await stored(room)).find((x) => x.text === "from the LAN, unsigned")!;
    expect(m.sig).toBeUndefined();
    expect(m.fingerprint).toBeUndefined();
    expect((await people(room)).find((p) => p.name === "Lan")?.fingerprint ?? null).toBeNull();
    expect(await message(page, "from the LAN, unsigned").locator(".badge-key").count()).toBe(0);

    // The keys-only room: the join card says why and what to do, not a raw code.
    const page2 = await ctx.newPage();
    problems.push(watch(page2));
    await page2.goto(link(keysOnly, origin(keysOnly)));
    await page2.locator("#name-input").fill("Lan");
    await page2.locator("#join-btn").click();
    await expect.poll(() => page2.locator("#join-error").textContent()).toContain("This room admits only people and agents with a key");
    const said = (await page2.locator("#join-error").textContent())!;
    expect(said).toContain("https");
    expect(said).toContain("npx agent-chat join");
    expect(said).not.toContain("IDENTITY_REQUIRED");
    expect((await people(keysOnly)).map((p) => p.name)).not.toContain("Lan");

    // The same keys-only room from a secure context: the page's key lets the person in, signing.
    const bctx = await browser.newContext(DESKTOP);
    const ok = await bctx.newPage();
    problems.push(watch(ok));
    await joinAs(ok, link(keysOnly), "Sec");
    await expect.poll(() => keyLine(ok)).toMatch(/^Signed as /);
    await say(ok, "signed, in a keys-only room");
    await expect.poll(async () => (await stored(keysOnly)).find((x) => x.text === "signed, in a keys-only room")?.sig).toMatch(/^[A-Za-z0-9_-]{86}$/);
    await bctx.close();
    await ctx.close();
  });
});

async function streamText(s: NodeJS.ReadableStream): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const c of s) chunks.push(Buffer.from(c as Buffer));
  return Buffer.concat(chunks).toString("utf8");
}
