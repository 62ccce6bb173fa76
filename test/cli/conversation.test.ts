// Two CLI agents in one state directory hold a scripted, alternating conversation of 50 turns, with random (seeded,
// small) think times and asides sent without waiting — the crossing that cost real agents empty waits (issue 13).
// From both transcripts (everything wait and send printed to each): no message from the other is missed or shown
// twice, none of one's own is shown, and no message was sent past one from the other that it had not seen (when an
// agent's send returned, every earlier message of the other was in its transcript).
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestRoom, type TestRoom } from "../support/room.js";
import { jsonLines, run, tempHome } from "../support/cli.js";

const TURNS = 50;

/** mulberry32: a small seeded generator, so a failure can be replayed. */
function rng(seed: number) {
  return () => {
    seed |= 0;
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
const SEED = Number(process.env.CONVERSATION_SEED) || 20261201;

interface Msg {
  id: number;
  agent: string;
  text: string;
  kind: string;
}

let room: TestRoom;
let h: ReturnType<typeof tempHome>;
beforeAll(async () => {
  room = await startTestRoom({ title: "Turns" });
  h = tempHome();
});
afterAll(async () => {
  await room.close();
  h.cleanup();
});

describe("two agents, one state dir, 50 alternating turns", () => {
  it("no message crossed, missed or read twice (checked from both transcripts)", { timeout: 600_000 }, async () => {
    const random = rng(SEED);
    const cli = (name: string, args: string[]) => run([...args, "--name", name, "--json"], { home: h.home, timeoutMs: 120_000 });
    for (const name of ["alice", "bob"]) {
      const r = await run(["join", "--url", room.url, "--password", room.password, "--name", name], { home: h.home });
      expect(r.code, r.stderr).toBe(0);
    }
    // Think times and asides drawn up front, so both agents' behaviour is fixed by the seed.
    const plan = Array.from({ length: TURNS }, () => ({ think: Math.floor(random() * 40), aside: random() < 0.3 }));
    const transcript: Record<string, Msg[]> = { alice: [], bob: [] };
    /** For each message an agent sent: its id and how long its transcript was when the send returned. */
    const sends: Record<string, { id: number; seen: number; caught: number }[]> = { alice: [], bob: [] };

    async function agent(me: "alice" | "bob") {
      const other = me === "alice" ? "bob" : "alice";
      const mine = (turn: number) => (turn % 2 === 0) === (me === "alice");
      const show = (out: string) => transcript[me]!.push(...jsonLines<Msg>(out));
      const say = async (text: string) => {
        const r = await cli(me, ["send", text]);
        expect(r.code, r.stderr).toBe(0);
        const [sent, ...unread] = jsonLines<Msg>(r.stdout);
        expect(sent!.text).toBe(text);
        transcript[me]!.push(...unread);
        sends[me]!.push({ id: sent!.id, seen: transcript[me]!.length, caught: unread.filter((m) => m.kind !== "system").length });
      };
      for (let turn = 0; turn < TURNS; turn++) {
        if (!mine(turn)) continue;
        // My turn comes after the other's previous turn: wait until I have seen it.
        if (turn > 0) {
          for (let polls = 0; !transcript[me]!.some((m) => m.agent === other && m.text === `turn ${turn - 1}`); polls++) {
            if (polls > 50) throw new Error(`${me} never saw turn ${turn - 1}`);
            const r = await cli(me, ["wait", "--timeout", "20"]);
            expect(r.code, r.stderr).toBe(0);
            show(r.stdout);
          }
        }
        await new Promise((r) => setTimeout(r, plan[turn]!.think)); // the agent "thinks": part of the scenario
        await say(`turn ${turn}`);
        if (plan[turn]!.aside) await say(`aside after turn ${turn}`); // sent without waiting for an answer
      }
    }

    await Promise.all([agent("alice"), agent("bob")]);
    // The end, once both have said everything: whatever is left for each.
    for (const me of ["alice", "bob"] as const) transcript[me]!.push(...jsonLines<Msg>((await cli(me, ["read", "--limit", "1000"])).stdout));

    const history = room.room.history.since(0).items.map((j) => JSON.parse(j) as Msg).filter((m) => m.kind !== "system");
    expect(history.filter((m) => m.text.startsWith("turn "))).toHaveLength(TURNS);
    for (const me of ["alice", "bob"] as const) {
      const other = me === "alice" ? "bob" : "alice";
      const seen = transcript[me]!.filter((m) => m.kind !== "system");
      // Never one's own; every one of the other's, once, in order.
      expect(seen.filter((m) => m.agent === me)).toEqual([]);
      expect(seen.map((m) => m.id)).toEqual(history.filter((m) => m.agent === other).map((m) => m.id));
      // Not crossed: when a send returned, every earlier message of the other had been shown to this agent.
      for (const s of sends[me]!) {
        const before = history.filter((m) => m.agent === other && m.id < s.id).map((m) => m.id);
        const shown = new Set(transcript[me]!.slice(0, s.seen).map((m) => m.id));
        expect(before.filter((id) => !shown.has(id)), `${me}'s message #${s.id}`).toEqual([]);
      }
    }
    const asides = plan.filter((p) => p.aside).length;
    console.log(`conversation: ${TURNS} turns + ${asides} asides (seed ${SEED}); sends that showed unread messages first: ${["alice", "bob"].map((n) => `${n} ${sends[n]!.filter((s) => s.caught).length}`).join(", ")}`);
  });
});
