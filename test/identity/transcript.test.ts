// Verifiable transcripts: exported by the CLI, checked offline on another machine's state dir; any edit of any
// field, of the order, or of the room's facts fails, and says which message.
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { beforeAll, afterAll, describe, expect, it } from "vitest";
import { chainHash } from "../../src/protocol/signing.js";
import { verifyTranscript, type Transcript } from "../../src/protocol/transcript.js";
import { run, tempHome } from "../support/cli.js";
import { startTestRoom, type TestRoom } from "../support/room.js";

let room: TestRoom;
let clean: Transcript;
const homes: (() => void)[] = [];
const home = () => {
  const h = tempHome();
  homes.push(h.cleanup);
  return h.home;
};
afterAll(async () => {
  await room?.close();
  homes.splice(0).forEach((c) => c());
});

// One conversation for the whole file: two agents with keys (CLI), one password-only poster, a reply.
beforeAll(async () => {
  room = await startTestRoom({ title: "Audit room" });
  const dana = home();
  const erin = home();
  const join = (h: string, name: string) => run(["join", "--url", room.url, "--password", room.password, "--name", name], { home: h });
  expect((await join(dana, "dana-bot")).code).toBe(0);
  expect((await join(erin, "erin-bot")).code).toBe(0);
  const say = async (h: string, ...args: string[]) => expect((await run(["send", ...args], { home: h })).code).toBe(0);
  await say(dana, "plan: ship v2 on Friday");
  await room.api("/messages", { method: "POST", json: { agent: "legacy-hook", text: "build 41 green" } });
  await say(erin, "agreed @dana-bot");
  await say(dana, "--reply-to", "5", "tagging now");
  await room.api("/messages", { method: "POST", json: { agent: "legacy-hook", text: "tail note" } });
  const t = await run(["read", "--transcript"], { home: dana });
  expect(t.code).toBe(0);
  clean = JSON.parse(t.stdout) as Transcript;
});

const copy = (): Transcript => JSON.parse(JSON.stringify(clean));
const byText = (t: Transcript, text: string) => t.messages.find((m) => m.text === text)!;
/** Recompute every chain hash from the start, as a forger who knows the scheme would. */
function rechain(t: Transcript) {
  let h = t.chainStart ?? "";
  for (const m of t.messages) m.hash = h = chainHash(h, m);
}

describe("a transcript", () => {
  it("carries the room's identity facts and every signature", () => {
    expect(clean).toMatchObject({ format: "agent-chat-transcript/v1", room: { id: room.room.identity.roomId, title: "Audit room", url: room.url }, chainStart: "" });
    expect(clean.participants.find((p) => p.name === "dana-bot")?.fingerprint).toMatch(/^[0-9a-z]{4}(-[0-9a-z]{4}){3}$/);
    const signed = clean.messages.filter((m) => m.sig);
    expect(signed.map((m) => m.text)).toEqual(["plan: ship v2 on Friday", "agreed @dana-bot", "tagging now"]);
    expect(clean.messages.every((m) => typeof m.hash === "string")).toBe(true);
  });

  it("a clean one passes `agent-chat verify` on another machine's state dir, per message", async () => {
    const other = home();
    const file = join(other, "t.json");
    writeFileSync(file, JSON.stringify(clean));
    const r = await run(["verify", file], { home: other });
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    const fp = clean.participants.find((p) => p.name === "dana-bot")!.fingerprint;
    expect(r.stdout).toMatch(new RegExp(`^#3 +dana-bot +signed +key ${fp}$`, "m"));
    expect(r.stdout).toMatch(/^#5 +legacy-hook +unsigned$/m);
    expect(r.stdout).toMatch(/^OK: 8 messages \(#1-#8\): 3 signed and valid, 5 unsigned, 0 tampered\. Signatures pin everything through #6; 1 unsigned after it is covered by no signature\.$/m);
    const json = await run(["verify", "-", "--json"], { home: other, input: JSON.stringify(clean) });
    expect(json.code).toBe(0);
    expect(JSON.parse(json.stdout.trim().split("\n").at(-1)!)).toMatchObject({ ok: true, messages: 8, signed: 3, unsigned: 5, tampered: 0, pinnedThrough: 6 });
  });

  it("an edit of any field of any message fails, and names the message", () => {
    const numeric = new Set(["id", "replyTo", "prevId"]);
    let tried = 0;
    for (let i = 0; i < clean.messages.length; i++) {
      for (const field of Object.keys(clean.messages[i]!)) {
        const t = copy();
        const m = t.messages[i] as unknown as Record<string, unknown>;
        const v = m[field];
        m[field] = numeric.has(field) ? (v as number) + 1 : typeof v === "boolean" ? !v : Array.isArray(v) ? [...v, "zed"] : `${String(v).slice(0, -1)}${String(v).endsWith("x") ? "y" : "x"}`;
        const verdict = verifyTranscript(t);
        expect(verdict.ok, `#${i + 1}.${field}`).toBe(false);
        expect(verdict.results.some((r) => r.status === "tampered"), `#${i + 1}.${field}`).toBe(true);
        tried++;
      }
    }
    expect(tried).toBeGreaterThan(60);
  });

  it("edits re-hashed by a forger are still caught by the signatures after them", () => {
    for (const edit of [
      (t: Transcript) => (byText(t, "build 41 green").text = "build 41 RED"), // an unsigned message
      (t: Transcript) => (byText(t, "build 41 green").agent = "erin-bot"),
      (t: Transcript) => t.messages.splice(3, 1), // remove one, and renumber
      (t: Transcript) => {
        const [a, b] = [t.messages[2]!, t.messages[3]!]; // swap two, and renumber
        t.messages[2] = b;
        t.messages[3] = a;
      },
    ]) {
      const t = copy();
      edit(t);
      t.messages.forEach((m, i) => (m.id = i + 1));
      rechain(t);
      const v = verifyTranscript(t);
      expect(v.ok, edit.toString()).toBe(false);
      expect(v.results.filter((r) => r.status === "tampered").map((r) => r.why).join(" ")).toMatch(/edited, removed or reordered|signature does not match|as the message before it/);
    }
  });

  it("reordering, dropping or duplicating messages fails even with the ids kept", () => {
    const swapped = copy();
    [swapped.messages[2], swapped.messages[4]] = [swapped.messages[4]!, swapped.messages[2]!];
    expect(verifyTranscript(swapped).results.filter((r) => r.status === "tampered").length).toBeGreaterThan(0);
    const dropped = copy();
    dropped.messages.splice(4, 1);
    expect(verifyTranscript(dropped).results.find((r) => r.id === 6)).toMatchObject({ status: "tampered", why: expect.stringContaining("chain hash") });
    const dup = copy();
    const again = { ...byText(dup, "agreed @dana-bot"), id: 9 };
    dup.messages.push(again);
    rechain(dup);
    expect(verifyTranscript(dup).results.at(-1)).toMatchObject({ status: "tampered", why: expect.stringContaining("replay") });
  });

  it("a changed room id, recorded key, or a missing room id fails", () => {
    const other = copy();
    other.room.id = "someotherroom";
    expect(verifyTranscript(other).counts.tampered).toBe(3);
    const key = copy();
    key.participants.find((p) => p.name === "dana-bot")!.key = key.participants.find((p) => p.name === "erin-bot")!.key;
    expect(verifyTranscript(key).ok).toBe(false);
    const none = copy() as Partial<Transcript>;
    delete none.room;
    expect(verifyTranscript(none).ok).toBe(false);
  });

  it("the CLI reports a tampered transcript with exit 1 and the message's number", async () => {
    const h = home();
    const t = copy();
    byText(t, "tagging now").text = "tagging later";
    const r = await run(["verify", "-"], { home: h, input: JSON.stringify(t) });
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/^#7 +dana-bot +TAMPERED +\(/m);
    expect(r.stderr).toMatch(/1 tampered message/);
  });
});

describe("private messages in transcripts", () => {
  it("stay out of the chain: the recipient's and a third party's transcripts both verify, a signed private one too", async () => {
    const { joinWithKey, newKey, post, signedBody } = await import("./helpers.js");
    const r = await startTestRoom({ title: "Private" });
    try {
      const dk = newKey();
      const dana = await joinWithKey(r, "dana-bot", dk);
      const erin = await joinWithKey(r, "erin-bot", newKey());
      const fay = (await (await r.api("/join", { method: "POST", json: { name: "fay" } })).json()) as { token: string };
      const say = async (text: string, to?: string) => expect((await post(r, dana.token, await signedBody(r, dana.token, dk, { roomId: dana.room.id, name: "dana-bot", text, to }))).status).toBe(201);
      await say("public one");
      await say("for erin only", "erin-bot");
      await say("public two");
      const transcriptOf = async (token: string): Promise<Transcript> => {
        const { createClient } = await import("../../src/client/http.js");
        const { fetchTranscript } = await import("../../src/client/transcript.js");
        return fetchTranscript(createClient({ url: r.url, token }));
      };
      const forErin = await transcriptOf(erin.token);
      const forFay = await transcriptOf(fay.token);
      expect(forErin.messages.map((m) => m.text)).toContain("for erin only");
      expect(forFay.messages.map((m) => m.text)).not.toContain("for erin only");
      for (const t of [forErin, forFay]) expect(verifyTranscript(t)).toMatchObject({ ok: true, counts: { tampered: 0 } });
      expect(verifyTranscript(forErin).results.find((x) => x.agent === "dana-bot" && x.status === "signed" && forErin.messages.find((m) => m.id === x.id)?.to)).toBeTruthy();
      const edited = JSON.parse(JSON.stringify(forErin)) as Transcript;
      (edited.messages.find((m) => m.text === "for erin only") as { to?: string }).to = "fay";
      expect(verifyTranscript(edited).ok).toBe(false);
    } finally {
      await r.close();
    }
  });
});
