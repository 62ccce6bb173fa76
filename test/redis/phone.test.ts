// Issue 18's "done when", end to end: three `serve --redis` instances behind Debian's nginx running deploy/nginx.conf
// serve one room to a person on a phone (Chromium, 360-px touch viewport, the page over its WebSocket) and to two
// agents using the real CLI (`join`, `send`, `wait`) through the balancer's URL. Mid-conversation the instance that
// holds the phone's connection (its WebSocket) is SIGKILLed, with both agents' `wait` held meanwhile. Nobody may notice anything but a
// reconnect: the page says "Reconnecting" then "Live" (never closed, signed out or restarted), shows every message
// exactly once and in order (checked against GET /messages), the person can still send, the agents receive it,
// and the agents' wait loops lose nothing and see nothing twice. Then a second instance is killed, the one holding
// an agent's held wait (the first kill hits one only as nginx's round robin happens to place them).
import type { Page } from "playwright-core";
import { expect, it } from "vitest";
import { CHROMIUM, PHONE, joinAs, useBrowser } from "../browser/helpers.js";
import { jsonLines, run, tempHome } from "../support/cli.js";
import { NGINX, REDIS_SERVER, describeRedis, startInstance, startNginx, startRedis, tempDir, type Instance, type Msg } from "./helpers.js";

const PERSON = "Pia";
const AGENTS = ["ada-bot", "bo-bot"] as const;
type AgentName = (typeof AGENTS)[number];

interface Member {
  name: string;
  via: string | null;
  connections: number;
}

/** Who of `names` holds a live connection on this instance, and how (presence is per instance: README). */
async function connectedOn(i: Instance, roomId: string, password: string): Promise<Member[]> {
  const r = await fetch(`${i.url}/r/${roomId}/room`, { headers: { "x-room-password": password } });
  expect(r.status).toBe(200);
  return ((await r.json()) as { participants: Member[] }).participants.filter((p) => p.connections > 0);
}

/** The page's conversation: every message element that is not a system line, as (id, text), in page order. */
const shown = (page: Page) =>
  page.$$eval("#log .msg[data-id]:not(.kind-system)", (els) =>
    els.map((e) => ({ id: Number((e as HTMLElement).dataset.id), text: e.querySelector(".body")?.textContent ?? "" })),
  );

/** Record every connection state the page paints from now on (the header's one word). */
const recordStates = (page: Page) =>
  page.evaluate(() => {
    const w = window as unknown as { __states: string[] };
    const c = document.getElementById("conn")!;
    w.__states = [];
    new MutationObserver(() => w.__states.push(c.dataset.state ?? "")).observe(c, { attributes: true, attributeFilter: ["data-state"] });
  });
const statesSeen = async (page: Page) => {
  const all = await page.evaluate(() => (window as unknown as { __states: string[] }).__states);
  return all.filter((s, k) => s !== all[k - 1]); // a repaint of the same word is not a change
};

describeRedis(
  "a phone and two CLI agents in one room behind nginx",
  () => {
    const kit = useBrowser();

    it("the instance holding the phone's connection is SIGKILLed mid-conversation: everyone sees only a reconnect", { timeout: 300_000 }, async () => {
      const t = tempDir();
      const home = tempHome();
      const instances: Instance[] = [];
      kit.defer(() => (home.cleanup(), t.cleanup()));
      const redis = await startRedis(t.dir);
      kit.defer(() => redis.stop());
      instances.push(await startInstance(redis.url, t.dir, ["--password", "pw"]));
      instances.push(...(await Promise.all([startInstance(redis.url, t.dir), startInstance(redis.url, t.dir)])));
      kit.defer(() => Promise.all(instances.map((i) => i.stop("SIGKILL"))));
      const lb = await startNginx(t.dir, instances.map((i) => i.port));
      kit.defer(() => lb.stop());

      // The organisation's room: created through one instance, used by everyone through the balancer.
      const made = await fetch(`${instances[0]!.url}/rooms`, {
        method: "POST",
        headers: { authorization: `Bearer ${instances[0]!.hostToken}`, "content-type": "application/json" },
        body: JSON.stringify({ title: "release train" }),
      });
      expect(made.status).toBe(201);
      const { room } = (await made.json()) as { room: { id: string; password: string } };

      // The person, on a phone, through nginx.
      const { page } = await kit.page(PHONE);
      await joinAs(page, `${lb.url}/r/${room.id}/#password=${encodeURIComponent(room.password)}`, PERSON);
      const say = async (text: string) => {
        await page.locator("#input").fill(text);
        await page.locator("#send").click(); // a phone: Enter is a new line there
      };
      const onPage = async (text: string) => expect.poll(async () => (await shown(page)).filter((m) => m.text === text).length, { timeout: 60_000 }).toBe(1);

      // The agents: the built CLI, one state dir, through nginx.
      const transcript: Record<AgentName, Msg[]> = { "ada-bot": [], "bo-bot": [] };
      const cli = (name: AgentName, args: string[]) => run([...args, "--name", name, "--json"], { home: home.home, timeoutMs: 120_000 });
      for (const name of AGENTS) {
        const r = await run(["join", "--url", lb.url, "--room", room.id, "--password", room.password, "--name", name], { home: home.home });
        expect(r.code, r.stderr).toBe(0);
      }
      const send = async (name: AgentName, text: string) => {
        const r = await cli(name, ["send", text]);
        expect(r.code, r.stderr).toBe(0);
        const [sent, ...unread] = jsonLines<Msg>(r.stdout);
        expect(sent!.text).toBe(text);
        transcript[name].push(...unread); // what the send showed as having arrived first
      };
      const waitOnce = async (name: AgentName, timeout = 30) => {
        const r = await cli(name, ["wait", "--timeout", String(timeout)]);
        expect(r.code, r.stderr).toBe(0);
        transcript[name].push(...jsonLines<Msg>(r.stdout));
      };
      /** An agent's wait loop, until it has heard `text`. */
      const hear = async (name: AgentName, text: string) => {
        for (let polls = 0; !transcript[name].some((m) => m.text === text); polls++) {
          if (polls > 20) throw new Error(`${name} never heard "${text}"`);
          await waitOnce(name);
        }
      };

      // Before: the three talk.
      await send("ada-bot", "ada: build 41 is green");
      await onPage("ada: build 41 is green");
      await hear("bo-bot", "ada: build 41 is green");
      await send("bo-bot", "bo: deploying 41 to staging");
      await say("pia: thanks both, ping me when staging is up");
      await onPage("pia: thanks both, ping me when staging is up");
      await onPage("bo: deploying 41 to staging");
      for (const name of AGENTS) await hear(name, "pia: thanks both, ping me when staging is up");

      // The instance holding the phone's live connection (each instance knows only its own connections): its
      // WebSocket, unless a busy machine made the page fall back (its 4-s probe) — the user sees no difference.
      const holders = async (among: Instance[]) => {
        const found: { i: Instance; via: string | null }[] = [];
        for (const i of among) for (const p of await connectedOn(i, room.id, room.password)) if (p.name === PERSON) found.push({ i, via: p.via });
        return found;
      };
      await expect.poll(async () => (await holders(instances)).length).toBe(1);
      const [{ i: victim, via: viaBefore }] = (await holders(instances)) as [{ i: Instance; via: string | null }];
      const survivors = instances.filter((i) => i !== victim);

      // Both agents wait (held long-polls) while it dies.
      const held = AGENTS.map((name) => waitOnce(name, 60));
      /** Where each agent's held wait is (among the instances still running). */
      const polling = async (among: Instance[]) => {
        const where: Record<string, Instance> = {};
        for (const i of among) for (const p of await connectedOn(i, room.id, room.password)) if (p.via === "poll") where[p.name] = i;
        return where;
      };
      await expect.poll(async () => Object.keys(await polling(instances)).sort()).toEqual([...AGENTS]);
      const pollsOnVictim = Object.entries(await polling(instances)).filter(([, i]) => i === victim).map(([n]) => n);

      await recordStates(page);
      await victim.stop("SIGKILL");
      // The person keeps talking at once, whether or not the page has its connection back yet.
      await say("pia: is staging up?");
      await Promise.all(held);
      for (const name of AGENTS) await hear(name, "pia: is staging up?");
      await expect.poll(async () => (await statesSeen(page)).at(-1), { timeout: 60_000 }).toBe("live");

      // After: the conversation goes on.
      await send("bo-bot", "bo: staging is up, 41 deployed");
      await onPage("bo: staging is up, 41 deployed");
      await hear("ada-bot", "bo: staging is up, 41 deployed");
      await send("ada-bot", "ada: smoke tests pass on staging");
      await onPage("ada: smoke tests pass on staging");
      await say("pia: great, ship it");
      await onPage("pia: great, ship it");
      for (const name of AGENTS) await hear(name, "pia: great, ship it");

      // Whether an agent's held wait was on that instance is up to nginx's round robin: so a second instance goes,
      // the one holding ada-bot's held wait this time (nginx passes the held GET on to the last one).
      const held2 = AGENTS.map((name) => waitOnce(name, 60));
      await expect.poll(async () => Object.keys(await polling(survivors)).sort()).toEqual([...AGENTS]);
      const victim2 = (await polling(survivors))["ada-bot"]!;
      const last = survivors.filter((i) => i !== victim2);
      await victim2.stop("SIGKILL");
      await say("pia: one last check before release");
      await Promise.all(held2);
      for (const name of AGENTS) await hear(name, "pia: one last check before release");
      await onPage("pia: one last check before release");
      await expect.poll(async () => (await statesSeen(page)).at(-1), { timeout: 60_000 }).toBe("live");

      // The room as Redis has it, read through the balancer.
      const r = await fetch(`${lb.url}/r/${room.id}/messages?limit=1000`, { headers: { "x-room-password": room.password } });
      expect(r.status).toBe(200);
      const all = ((await r.json()) as { messages: Msg[] }).messages;
      // The room's own lines: the three joins, nothing from the kills (no one left, joined again or was forgotten).
      expect(all.filter((m) => m.kind === "system").map((m) => m.text)).toEqual(["Pia joined (human).", "ada-bot joined (agent).", "bo-bot joined (agent)."]);
      const history = all.filter((m) => m.kind !== "system");
      const said = [
        "ada: build 41 is green",
        "bo: deploying 41 to staging",
        "pia: thanks both, ping me when staging is up",
        "pia: is staging up?",
        "bo: staging is up, 41 deployed",
        "ada: smoke tests pass on staging",
        "pia: great, ship it",
        "pia: one last check before release",
      ];
      expect(history.map((m) => m.text)).toEqual(said); // each once: nothing lost, nothing posted twice
      // The page: every message exactly once, in order, with the room's ids.
      expect(await shown(page)).toEqual(history.map((m) => ({ id: m.id, text: m.text })));
      // The agents' wait loops: every message from the others, once, in order; never their own.
      for (const name of AGENTS) {
        const heard = transcript[name].filter((m) => m.kind !== "system");
        expect(heard.map((m) => m.id), name).toEqual(history.filter((m) => m.agent !== name).map((m) => m.id));
      }
      // What the page showed: a reconnect, and nothing else — no closed room, no "signed out", no restart line.
      const states = await statesSeen(page);
      expect(states).toContain("reconnecting");
      expect(states.filter((s) => s !== "reconnecting" && s !== "live")).toEqual([]);
      expect(await page.locator("#notice").isHidden()).toBe(true);
      expect(await page.locator("#log .restart-divider").count()).toBe(0);
      // And it holds a live connection again, on a surviving instance.
      await expect.poll(async () => (await holders(last)).length).toBe(1);
      const viaAfter = (await holders(last))[0]!.via;
      console.log(`[redis] phone failover: killed the instance holding the phone's connection (${viaBefore}; after: ${viaAfter}); states after: ${states.join(" → ")}; agents' held waits on it: ${pollsOnVictim.join(", ") || "none"}; then the instance holding ada-bot's held wait killed too`);
    });
  },
  [REDIS_SERVER, NGINX, CHROMIUM],
);
