// The host dashboard (issue 14) on a 390-px phone: reached from the host link's Host controls; create a room, mint a
// key and copy its block, watch a room's counts move when an agent posts, revoke a key through a confirmation that
// fires once; and the "done when": two agents join a second room with their own keys and talk, the host
// revokes one and it is cut off (its stream ends with `removed`, its next request is 403 REVOKED) while the other
// agent, the first room and a password-only client at the root carry on.
import { mkdirSync } from "node:fs";
import type { Browser, BrowserContext, Page } from "playwright-core";
import { afterAll, beforeAll, expect, it } from "vitest";
import { run, tempHome } from "../support/cli.js";
import { openStream, startTestRoom, type TestRoom } from "../support/room.js";
import { ACTION_TIMEOUT_MS, PHONES, describeBrowser, joinAs, launch, patientPolls, watch } from "./helpers.js";

patientPolls();

const SHOTS = new URL(process.env.UPDATE_SCREENSHOTS ? "../../docs/screenshots/" : "../../test-results/screenshots/", import.meta.url);
const PHONE_390 = { ...PHONES[3]!, permissions: ["clipboard-read", "clipboard-write"] }; // 390 px, light

describeBrowser("host dashboard on a phone", () => {
  let browser: Browser;
  let server: TestRoom;
  const problems: string[][] = [];
  const contexts: BrowserContext[] = [];
  const h = tempHome(); // the CLI agent's state dir
  const cli = (args: string[]) => run(args, { home: h.home });

  beforeAll(async () => {
    mkdirSync(SHOTS, { recursive: true });
    [browser, server] = await Promise.all([launch(), startTestRoom({ title: "Lobby" })]);
  });
  afterAll(async () => {
    for (const c of contexts) await c.close().catch(() => {});
    await browser?.close();
    await server?.close();
    h.cleanup();
    expect(problems.flat(), "no page errors, no CSP refusals").toEqual([]);
  });

  const card = (page: Page, title: string) => page.locator("li.room", { has: page.locator(".room-name", { hasText: title }) });

  /**
   * The host link on a phone, then the dashboard: from the join card's link ("join"), or joined as Ana and then
   * People → Host controls → Rooms and keys ("panel").
   */
  async function openDashboard(via: "join" | "panel"): Promise<Page> {
    const ctx = await browser.newContext(PHONE_390);
    ctx.setDefaultTimeout(ACTION_TIMEOUT_MS);
    contexts.push(ctx);
    const page = await ctx.newPage();
    problems.push(watch(page));
    if (via === "join") {
      await page.goto(`${server.url}/#host=${server.hostToken}`);
      await page.getByRole("link", { name: "Manage rooms and keys" }).click();
    } else {
      await joinAs(page, `${server.url}/#host=${server.hostToken}`, "Ana");
      await page.locator("#btn-panel").click();
      await page.getByRole("link", { name: "Rooms and keys" }).click();
    }
    await page.waitForURL(`${server.url}/dashboard.html`);
    await expect.poll(() => card(page, "Lobby").count()).toBe(1);
    return page;
  }

  /** Create a room from the dashboard; returns its id (its keys open by themselves). */
  async function createRoom(page: Page, title: string): Promise<string> {
    await page.locator("#create-title").fill(title);
    await page.locator("#create-btn").click();
    await expect.poll(() => card(page, title).count()).toBe(1);
    await expect.poll(() => page.locator("#created-what").textContent()).toContain(title);
    return (await card(page, title).getAttribute("data-room"))!;
  }

  /** Mint a key in a room's open keys panel; returns the invite block shown. */
  async function mint(page: Page, id: string, label: string, name?: string): Promise<string> {
    const keys = page.locator(`#keys-${id}`);
    await keys.locator('input[name="label"]').fill(label);
    if (name) await keys.locator('input[name="name"]').fill(name);
    await keys.getByRole("button", { name: "Mint key" }).click();
    await expect.poll(() => keys.locator(".fresh-what").textContent()).toContain(label);
    return keys.locator("textarea.invite-text").inputValue();
  }

  const keyOf = (block: string) => /ak_[A-Za-z0-9_-]+/.exec(block)![0];

  async function joinWithKey(id: string, key: string) {
    const r = await fetch(`${server.url}/r/${id}/join`, { method: "POST", headers: { authorization: `Bearer ${key}`, "content-type": "application/json" }, body: "{}" });
    expect(r.status).toBe(201);
    const body = (await r.json()) as { token: string; participant: { name: string } };
    return { token: body.token, name: body.participant.name };
  }
  /** The room's message count as the server reports it to the host (system lines included). */
  const serverCount = async (id: string) =>
    ((await (await server.api("/rooms", { token: server.hostToken })).json()) as { rooms: { id: string; messages: number }[] }).rooms.find((r) => r.id === id)!.messages;
  const post = (url: string, headers: Record<string, string>, text: string, extra: Record<string, unknown> = {}) =>
    fetch(url, { method: "POST", headers: { ...headers, "content-type": "application/json" }, body: JSON.stringify({ text, ...extra }) });

  /** Click the dialog's confirm button as soon as it can act, twice in a row (a double tap): one action only. */
  async function confirmTwice(page: Page) {
    await page.waitForSelector("#confirm-dialog[data-ready]");
    await page.locator("#confirm-ok").dblclick();
  }

  it("create a room, mint a key, copy its block, watch counts move, revoke it (confirmed once)", async () => {
    const page = await openDashboard("panel");
    const id = await createRoom(page, "Team B");
    const block = await mint(page, id, "builder bot", "bob");
    expect(block).toContain(`/r/${id}`);
    // The room's password never travels in a key's block.
    const rooms = (await (await server.api("/rooms", { token: server.hostToken })).json()) as { rooms: { id: string }[] };
    expect(rooms.rooms.map((r) => r.id)).toContain(id);

    await page.locator(`#keys-${id}`).getByRole("button", { name: "Copy block" }).click();
    expect(await page.evaluate(() => navigator.clipboard.readText())).toBe(block);
    await page.locator(`#keys-${id}`).getByRole("button", { name: "Show QR code" }).click();
    await expect.poll(() => page.locator(`#keys-${id} .qr`).evaluate((img) => (img as HTMLImageElement).naturalWidth)).toBeGreaterThan(0);

    // An agent joins with the key and posts: the key shows who claimed it; the card's counts move.
    const key = keyOf(block);
    const bob = await joinWithKey(id, key);
    expect(bob.name).toBe("bob");
    const row = page.locator(`#keys-${id} li.key`, { hasText: "builder bot" });
    await expect.poll(() => row.locator(".key-who").textContent()).toMatch(/^Claimed by bob on /);
    const before = await serverCount(id); // bob's join line
    await expect.poll(() => card(page, "Team B").getAttribute("data-messages")).toBe(String(before));
    for (const t of ["one", "two"]) expect((await post(`${server.url}/r/${id}/messages`, { authorization: `Bearer ${bob.token}` }, t)).status).toBe(201);
    await expect.poll(() => card(page, "Team B").getAttribute("data-messages")).toBe(String(before + 2));
    await expect.poll(() => card(page, "Team B").locator(".room-counts").textContent()).toBe(`1 person · 1 online · ${before + 2} messages · 1 key`);
    await page.screenshot({ path: new URL("dashboard-phone.png", SHOTS).pathname, fullPage: true });

    // Revoke: the confirmation names the key and the agent; a double tap on confirm sends one DELETE.
    const deletes: string[] = [];
    page.on("request", (r) => r.method() === "DELETE" && deletes.push(r.url()));
    await row.getByRole("button", { name: "Revoke key builder bot" }).click();
    expect(await page.locator("#confirm-title").textContent()).toBe("Revoke key “builder bot”?");
    expect(await page.locator("#confirm-what").textContent()).toContain("bob is cut off at once");
    expect(await page.evaluate(() => document.activeElement?.id)).toBe("confirm-cancel");
    await confirmTwice(page);
    await expect.poll(() => row.getAttribute("data-state")).toBe("revoked");
    expect(deletes).toEqual([`${server.url}/r/${id}/keys/${(await row.getAttribute("data-key-id"))!}`]);
    const refused = await post(`${server.url}/r/${id}/messages`, { authorization: `Bearer ${bob.token}` }, "still here?");
    expect(refused.status).toBe(403);
    expect(((await refused.json()) as { error: { code: string } }).error.code).toBe("REVOKED");

    // Cancel leaves a room open; confirming closes it (one DELETE), and its card goes.
    await card(page, "Team B").getByRole("button", { name: "Close room" }).click();
    expect(await page.locator("#confirm-title").textContent()).toBe("Close “Team B”?");
    await page.locator("#confirm-cancel").click();
    expect((await server.api(`/r/${id}/room`, { token: server.hostToken })).status).toBe(200);
    await card(page, "Team B").getByRole("button", { name: "Close room" }).click();
    await confirmTwice(page);
    await expect.poll(() => card(page, "Team B").count()).toBe(0);
    expect(deletes.filter((u) => u.endsWith(`/r/${id}`))).toHaveLength(1);
    expect((await server.api(`/r/${id}/room`, { token: server.hostToken })).status).toBe(410);
    // The default room has no Close button.
    expect(await card(page, "Lobby").getByRole("button", { name: "Close room" }).isHidden()).toBe(true);
  });

  it("done when: two agents join a second room with their keys and talk; one is revoked and cut off; the first room and a password-only client carry on", async () => {
    // The first room, before: a password-only (predecessor-style) client posts at the root, a reader streams it.
    const rootReader = await openStream(`${server.url}/messages/stream`, { "x-room-password": server.password });
    const pw = { "x-room-password": server.password };
    expect((await post(`${server.url}/messages`, pw, "before", { agent: "old-bot" })).status).toBe(201);

    const page = await openDashboard("join");
    const id = await createRoom(page, "Research");
    await card(page, "Research").getByRole("button", { name: "Rename" }).click();
    await card(page, "Research").locator(".rename input").fill("Research team");
    await card(page, "Research").getByRole("button", { name: "Save" }).click();
    await expect.poll(async () => ((await (await server.api(`/r/${id}/room`, { token: server.hostToken })).json()) as { title: string }).title).toBe("Research team");

    const alphaKey = keyOf(await mint(page, id, "alpha agent", "alpha"));
    const alpha = await joinWithKey(id, alphaKey);
    const alphaStream = await openStream(`${server.url}/r/${id}/messages/stream`, { authorization: `Bearer ${alpha.token}` });
    expect(alphaStream.status).toBe(200);
    // beta is an agent with the CLI: the host copies the key's link and the agent joins with it, one command.
    await mint(page, id, "beta agent", "beta");
    await page.locator(`#keys-${id}`).getByRole("button", { name: "Copy link" }).click();
    const link = await page.evaluate(() => navigator.clipboard.readText());
    expect(link).toMatch(new RegExp(`^${server.url}/r/${id}#key=ak_`));
    const joined = await cli(["join", link]);
    expect(joined.code, joined.stderr).toBe(0);
    expect(joined.stdout).toMatch(/ as beta \(agent\)/);

    // They talk.
    expect((await post(`${server.url}/r/${id}/messages`, { authorization: `Bearer ${alpha.token}` }, "hi beta")).status).toBe(201);
    expect((await cli(["read", "--name", "beta"])).stdout).toMatch(/alpha \(agent\): hi beta/);
    expect((await cli(["send", "--name", "beta", "hi alpha"])).code).toBe(0);
    const talk: string[][] = [];
    while (!talk.some(([, t]) => t === "hi alpha")) talk.push(...(await alphaStream.messages(1, 30_000)).filter((m) => m.kind !== "system").map((m) => [m.agent, m.text]));
    expect(talk).toEqual([["alpha", "hi beta"], ["beta", "hi alpha"]]);
    const count = await serverCount(id);
    await expect.poll(() => card(page, "Research team").getAttribute("data-messages")).toBe(String(count));
    await expect.poll(() => card(page, "Research team").getAttribute("data-participants")).toBe("2");

    // beta waits for the next message (a held request) when the host revokes its key.
    const live = () => { const st = server.stats(); return st.polls + st.streams + st.websockets; };
    const before = live();
    const waiting = cli(["wait", "--name", "beta", "--timeout", "60"]);
    await expect.poll(live).toBeGreaterThan(before);
    // Revoke beta's key from the dashboard.
    const betaRow = page.locator(`#keys-${id} li.key`, { hasText: "beta agent" });
    await expect.poll(() => betaRow.locator(".key-who").textContent()).toMatch(/^Claimed by beta/);
    await betaRow.getByRole("button", { name: "Revoke key beta agent" }).click();
    await confirmTwice(page);
    await expect.poll(() => betaRow.getAttribute("data-state")).toBe("revoked");

    // beta is cut off: its waiting command exits 5 saying why, and its next command is refused (exit 5).
    const w = await waiting;
    expect(w.code, w.stderr).toBe(5);
    expect(w.stderr).toMatch(/revoked this invite key/);
    expect((await cli(["send", "--name", "beta", "am I here?"])).code).toBe(5);
    // alpha carries on; so do the first room and its password-only client.
    expect((await post(`${server.url}/r/${id}/messages`, { authorization: `Bearer ${alpha.token}` }, "beta is gone")).status).toBe(201);
    expect((await post(`${server.url}/messages`, pw, "after", { agent: "old-bot" })).status).toBe(201);
    const rootSeen: string[] = [];
    while (!rootSeen.includes("after")) rootSeen.push(...(await rootReader.messages(1, 30_000)).filter((m) => m.kind !== "system").map((m) => m.text));
    expect(rootSeen).toEqual(["before", "after"]); // in order, and nothing of the other room
    expect(rootReader.ended).toBe(false);
    const after: string[] = [];
    while (!after.includes("beta is gone")) after.push(...(await alphaStream.messages(1, 30_000)).map((m) => m.text));
    expect(alphaStream.ended).toBe(false);

    // Open the room's chat from the dashboard: the room's own page, with the host controls.
    await card(page, "Research team").getByRole("button", { name: "Open chat" }).click();
    await page.waitForURL(`${server.url}/r/${id}/`);
    await expect.poll(() => page.locator("#join-host-note").isVisible()).toBe(true);
    await page.locator("#name-input").fill("Ana");
    await page.locator("#join-btn").click();
    await expect.poll(() => page.locator("#room-title").textContent()).toBe("Research team");
    await page.locator("#btn-panel").click();
    await expect.poll(() => page.locator("#host-controls").isVisible()).toBe(true);
  });

  it("without a host token it asks for one; a wrong one is refused; a one-time host link code opens it and is spent; 320 px fits", async () => {
    const ctx = await browser.newContext(PHONES[0]); // 320 px, light
    ctx.setDefaultTimeout(ACTION_TIMEOUT_MS);
    contexts.push(ctx);
    const page = await ctx.newPage();
    problems.push(watch(page));
    await page.goto(`${server.url}/dashboard.html`);
    await expect.poll(() => page.locator("#signin-view").isVisible()).toBe(true);
    expect(await page.locator("#dash-view").isHidden()).toBe(true);
    await page.locator("#signin-token").fill("ach_not-the-token");
    await page.locator("#signin-btn").click();
    await expect.poll(() => page.locator("#signin-error").textContent()).toMatch(/refused this host token/);
    expect(await page.evaluate(() => sessionStorage.getItem("agent-chat:host"))).toBeNull();

    // A one-time host link code (as `POST /host/links` makes them): traded once, then gone from the address bar.
    const made = (await (await server.api("/host/links", { method: "POST", json: { kind: "host" }, token: server.hostToken })).json()) as { code: string };
    await page.goto(`${server.url}/dashboard.html#code=${made.code}`);
    await expect.poll(() => card(page, "Lobby").count()).toBe(1);
    expect(page.url()).toBe(`${server.url}/dashboard.html`);
    const again = await fetch(`${server.url}/session`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ code: made.code }) });
    expect(again.status).toBe(410);

    // Nothing sideways at 320 px, with a room's keys open and a key minted.
    const id = await createRoom(page, "A room with a rather long title for a small phone");
    // The optional fields reach the server: joins allowed and an expiry.
    const keysBox = page.locator(`#keys-${id}`);
    await keysBox.locator('input[name="uses"]').fill("2");
    await keysBox.locator('select[name="expiresIn"]').selectOption({ label: "Expires in 1 hour" });
    await keysBox.locator('select[name="kind"]').selectOption("human");
    const minted = Date.now();
    await mint(page, id, "a key with a long label too", "some-agent-name");
    const info = ((await (await server.api(`/r/${id}/keys`, { token: server.hostToken })).json()) as { keys: { name: string; kind: string; uses: number; expiresAt: string }[] }).keys[0]!;
    expect(info).toMatchObject({ name: "some-agent-name", kind: "human", uses: 2 });
    expect(Math.abs(Date.parse(info.expiresAt) - minted - 3600_000)).toBeLessThan(120_000);
    await expect.poll(() => keysBox.locator("li.key .key-meta").textContent()).toMatch(/^human · joins 0 of 2 · made .* · expires /);
    await page.screenshot({ path: new URL("dashboard-phone-320.png", SHOTS).pathname });
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
    expect(overflow).toBe(0);

    // A tap on confirm in the same instant the dialog opened (a double tap's second half) does nothing.
    const deletes: string[] = [];
    page.on("request", (r) => r.method() === "DELETE" && deletes.push(r.url()));
    await page.evaluate((roomId) => {
      const row = document.querySelector(`#keys-${roomId} li.key`)!;
      (row.querySelector("button.btn-danger") as HTMLButtonElement).click();
      (document.getElementById("confirm-ok") as HTMLButtonElement).click();
    }, id);
    expect(await page.locator("#confirm-dialog").isVisible()).toBe(true);
    await page.locator("#confirm-cancel").click();
    expect(await page.locator("#confirm-dialog").isVisible()).toBe(false);
    expect(deletes).toEqual([]);
    const keys = (await (await server.api(`/r/${id}/keys`, { token: server.hostToken })).json()) as { keys: { revoked: boolean }[] };
    expect(keys.keys.map((k) => k.revoked)).toEqual([false]);
  });
});
