// Signatures checked in worker threads (server/verify-pool.ts) while messages are stored in arrival order
// (room/post-queue.ts): with many signed posts in flight from two keys, some corrupted and some replayed, every one
// gets its exact answer, the order they arrived in is the order they are stored in, and nothing is stored twice.
import { randomBytes } from "node:crypto";
import { afterEach, describe, expect, it } from "vitest";
import { fingerprint, messagePayload, publicKeyObject, type KeyPair } from "../../src/protocol/signing.js";
import type { Message } from "../../src/protocol/types.js";
import { createRoom, type Room } from "../../src/room/index.js";
import type { SignatureVerifier } from "../../src/room/verdict.js";
import { createVerifyPool, type VerifyPool } from "../../src/server/verify-pool.js";
import { unreadWordsAfter } from "../../src/server/cursor.js";
import { foldName } from "../../src/protocol/names.js";
import { useRooms } from "../support/room.js";
import { joinWithKey, newKey, signWith } from "./helpers.js";

const pools: VerifyPool[] = [];
afterEach(() => Promise.all(pools.splice(0).map((p) => p.close())));
const rooms = useRooms(afterEach);

const proven = (kp: KeyPair) => ({ key: kp.key, fingerprint: fingerprint(kp.key), object: publicKeyObject(kp.key) });

/** A signed body for a room made alone (empty chain: prev "" / 0), or a copy of it with its signature broken. */
function signed(roomId: string, name: string, kp: KeyPair, text: string) {
  const f = { sentAt: new Date().toISOString(), nonce: randomBytes(16).toString("base64url"), prev: "", prevId: 0 };
  return { ...f, sig: signWith(kp, messagePayload({ room: roomId, name, text, ...f })) };
}
/** The same signature with one byte changed: still 64 bytes of base64url, no longer valid. */
const corrupt = (sig: string) => {
  const b = Buffer.from(sig, "base64url");
  b[10] ^= 0x55;
  return b.toString("base64url");
};

type Step = { who: "a" | "b" | "c"; text: string; body?: Record<string, unknown>; expect: "ok" | "BAD_SIGNATURE" | "REPLAYED" };

/** 60 posts in a fixed order: a and b sign, c posts unsigned; every 5th signed one corrupted, every 7th a replay of
 * an earlier accepted one of the same signer (still in flight when it arrives). */
function script(roomId: string, keys: { a: KeyPair; b: KeyPair }): Step[] {
  const steps: Step[] = [];
  const accepted: Record<"a" | "b", Step[]> = { a: [], b: [] };
  for (let i = 0; i < 60; i++) {
    const who = (["a", "b", "c"] as const)[i % 3]!;
    const text = `${who} #${i}`;
    if (who === "c") {
      steps.push({ who, text, expect: "ok" });
      continue;
    }
    const name = who === "a" ? "ann-bot" : "bob-bot";
    if (i % 7 === 6 && accepted[who].length) {
      const earlier = accepted[who].at(-1)!;
      steps.push({ who, text: earlier.text, body: earlier.body, expect: "REPLAYED" });
      continue;
    }
    const body = signed(roomId, name, keys[who], text);
    if (i % 5 === 4) steps.push({ who, text, body: { ...body, sig: corrupt(body.sig) }, expect: "BAD_SIGNATURE" });
    else accepted[who].push(steps[steps.push({ who, text, body, expect: "ok" }) - 1]!);
  }
  return steps;
}

/** Submit every step at once, in order (as if they arrived so), and wait for every answer. */
async function runScript(room: Room, steps: Step[], who: Record<Step["who"], Parameters<Room["post"]>[0]>) {
  const answers = steps.map((s) => {
    try {
      return Promise.resolve(room.postInOrder(who[s.who], s.text, s.body ? { signed: s.body } : {}));
    } catch (e) {
      return Promise.reject(e);
    }
  });
  const settled = await Promise.allSettled(answers);
  return settled.map((r) => (r.status === "fulfilled" ? "ok" : (r.reason as { code?: string }).code ?? String(r.reason)));
}

const texts = (room: Room) => room.history.since(0, 1000).items.map((j) => JSON.parse(j) as Message).filter((m) => m.kind !== "system");

/** The script's cast in `room`: ann-bot and bob-bot joined with their keys' proof, cal without a key. */
function cast(room: Room) {
  const keys = { a: newKey(), b: newKey() };
  const a = room.join("ann-bot", "agent", undefined, undefined, proven(keys.a)).participant;
  const b = room.join("bob-bot", "agent", undefined, undefined, proven(keys.b)).participant;
  const c = room.join("cal", "agent").participant;
  room.flushNotices();
  return { keys, who: { a: { participant: a }, b: { participant: b }, c: { participant: c } } };
}

describe("signature checks in worker threads, stored in arrival order", () => {
  it("a room whose verdicts come back shuffled stores every accepted post in arrival order, refuses the bad and the replayed", async () => {
    const pool = createVerifyPool(2);
    pools.push(pool);
    // The real pool, its answers delayed at random: verdicts arrive in another order than the posts did.
    const shuffled: SignatureVerifier = async (payload, sig, signer) => {
      const ok = await pool.verify(payload, sig, signer);
      await new Promise((r) => setTimeout(r, Math.floor(Math.random() * 15)));
      return ok;
    };
    const room = createRoom({ id: "room-1", rateLimit: 0, loopGuard: 0, verifier: shuffled });
    const { keys, who } = cast(room);
    const steps = script("room-1", keys);
    const got = await runScript(room, steps, who);
    expect(got).toEqual(steps.map((s) => s.expect));
    const stored = texts(room);
    expect(stored.map((m) => m.text)).toEqual(steps.filter((s) => s.expect === "ok").map((s) => s.text));
    expect(stored.map((m) => m.id)).toEqual(stored.map((_, i) => stored[0]!.id + i));
    const nonces = stored.filter((m) => m.nonce).map((m) => m.nonce);
    expect(new Set(nonces).size).toBe(nonces.length);
    expect(stored.filter((m) => m.agent !== "cal").every((m) => m.fingerprint === (m.agent === "ann-bot" ? proven(keys.a) : proven(keys.b)).fingerprint)).toBe(true);
    // Nothing waits once every answer is in.
    expect(await room.postInOrder(who.c, "after")).toMatchObject({ text: "after" });
  });

  it("ifCaughtUp holds when a post waited for its check: a message stored meanwhile refuses it (the route's recheck)", async () => {
    const pool = createVerifyPool(1);
    pools.push(pool);
    // The pool's verdicts held until the test lets them go: bob's post, which arrived first, is still being checked
    // when ann's arrives (having read everything stored so far), so ann's arrival-time check passes.
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const held: SignatureVerifier = async (payload, sig, signer) => {
      const ok = await pool.verify(payload, sig, signer);
      await gate;
      return ok;
    };
    const room = createRoom({ id: "room-3", rateLimit: 0, loopGuard: 0, verifier: held });
    const keys = { a: newKey(), b: newKey() };
    const ann = room.join("ann-bot", "agent", undefined, undefined, proven(keys.a)).participant;
    const bob = room.join("bob-bot", "agent", undefined, undefined, proven(keys.b)).participant;
    room.flushNotices();
    const after = room.history.lastId;
    // What POST /messages?after=N&ifCaughtUp=1 passes (src/server/room-routes.ts).
    const recheck = () => {
      if (unreadWordsAfter(room.history, after, foldName("ann-bot"), (sl) => sl)) throw Object.assign(new Error("unread"), { code: "UNREAD_WAITING" });
    };
    recheck(); // the arrival-time check: nothing unread yet
    const fromBob = room.postInOrder({ participant: bob }, "bob first", { signed: signed("room-3", "bob-bot", keys.b, "bob first") });
    const fromAnn = room.postInOrder({ participant: ann }, "ann, caught up?", { signed: signed("room-3", "ann-bot", keys.a, "ann, caught up?"), caughtUpAfter: after, recheck });
    release();
    await expect(fromBob).resolves.toMatchObject({ text: "bob first" });
    await expect(fromAnn).rejects.toMatchObject({ code: "UNREAD_WAITING" });
    expect(texts(room).map((m) => m.text)).toEqual(["bob first"]);
  });

  it("a verify thread that dies with checks in flight: they are checked on the main thread, a new thread takes over", async () => {
    const started: import("node:worker_threads").Worker[] = [];
    // The first thread is ended as soon as it starts, with the first batch of checks on its way to it.
    const pool = createVerifyPool(1, () => {}, { started: (w) => void (started.push(w) === 1 && w.terminate()) });
    pools.push(pool);
    const room = createRoom({ id: "room-4", rateLimit: 0, loopGuard: 0, verifier: pool.verify });
    const { keys, who } = cast(room);
    const first = script("room-4", keys);
    expect(await runScript(room, first, who)).toEqual(first.map((s) => s.expect));
    // Later checks go to a new thread, and still come out right.
    const again = script("room-4", keys);
    expect(await runScript(room, again, who)).toEqual(again.map((s) => s.expect));
    expect(started.length).toBe(2);
    expect(texts(room).map((m) => m.text)).toEqual([...first, ...again].filter((s) => s.expect === "ok").map((s) => s.text));
  });

  it("a closed pool (a verifier that cannot answer) leaves the check to the main thread: same answers", async () => {
    const pool = createVerifyPool(1);
    await pool.close();
    const room = createRoom({ id: "room-2", rateLimit: 0, loopGuard: 0, verifier: pool.verify });
    const { keys, who } = cast(room);
    const steps = script("room-2", keys);
    expect(await runScript(room, steps, who)).toEqual(steps.map((s) => s.expect));
    expect(texts(room).map((m) => m.text)).toEqual(steps.filter((s) => s.expect === "ok").map((s) => s.text));
  });

  it("over the WebSocket, two signers' frames in flight get their answers in frame order and are stored in it (2 threads)", async () => {
    const s = await rooms({ verifyThreads: 2 });
    const { WebSocket } = await import("ws");
    const keys = { a: newKey(), b: newKey() };
    const ja = await joinWithKey(s, "ann-bot", keys.a);
    const jb = await joinWithKey(s, "bob-bot", keys.b);
    const roomId = ja.room.id;
    const socket = async (token: string) => {
      const ws = new WebSocket(s.url.replace("http", "ws") + "/ws");
      const frames: any[] = [];
      ws.on("message", (d) => frames.push(JSON.parse(String(d))));
      await new Promise((r) => ws.once("open", r));
      ws.send(JSON.stringify({ type: "join", token }));
      await expect.poll(() => frames.some((f) => f.type === "joined"), { timeout: 30_000 }).toBe(true);
      return { ws, replies: () => frames.filter((f) => f.type === "sent" || f.type === "error") };
    };
    const sa = await socket(ja.token);
    const sb = await socket(jb.token);
    // Each socket: 30 frames back to back (an empty-chain prev is no longer valid here: sign against the newest hash).
    const { messages } = (await (await s.api("/messages?limit=1")).json()) as { messages: Message[] };
    const head = messages.at(-1)!;
    const plan = (name: string, kp: KeyPair, who: string) => {
      const out: { frame: Record<string, unknown>; expect: string; text: string }[] = [];
      for (let i = 0; i < 30; i++) {
        const text = `${who} ws #${i}`;
        const f = { sentAt: new Date().toISOString(), nonce: randomBytes(16).toString("base64url"), prev: head.hash!, prevId: head.id };
        const sig = signWith(kp, messagePayload({ room: roomId, name, text, ...f }));
        if (i % 6 === 5) out.push({ frame: { ...out[i - 1]!.frame, ref: i }, expect: out[i - 1]!.expect === "sent" ? "REPLAYED" : "BAD_SIGNATURE", text });
        else if (i % 4 === 3) out.push({ frame: { type: "send", text, ref: i, ...f, sig: corrupt(sig) }, expect: "BAD_SIGNATURE", text });
        else out.push({ frame: { type: "send", text, ref: i, ...f, sig }, expect: "sent", text });
      }
      return out;
    };
    const pa = plan("ann-bot", keys.a, "a");
    const pb = plan("bob-bot", keys.b, "b");
    for (let i = 0; i < 30; i++) {
      sa.ws.send(JSON.stringify(pa[i]!.frame));
      sb.ws.send(JSON.stringify(pb[i]!.frame));
    }
    for (const [sock, p] of [[sa, pa], [sb, pb]] as const) {
      await expect.poll(() => sock.replies().length, { timeout: 30_000 }).toBe(30);
      expect(sock.replies().map((f) => f.ref)).toEqual(p.map((_, i) => i));
      expect(sock.replies().map((f) => (f.type === "sent" ? "sent" : f.code))).toEqual(p.map((x) => x.expect));
      sock.ws.close();
    }
    const all = ((await (await s.api("/messages?limit=1000")).json()) as { messages: Message[] }).messages.filter((m) => m.kind !== "system");
    for (const [name, p] of [["ann-bot", pa], ["bob-bot", pb]] as const) {
      expect(all.filter((m) => m.agent === name).map((m) => m.text)).toEqual(p.filter((x) => x.expect === "sent").map((x) => x.text));
    }
    expect(new Set(all.map((m) => m.id)).size).toBe(all.length);
  });

  it("over HTTP, concurrent signed posts from two keys, some corrupted or replayed: exact codes, each stored once (2 threads)", async () => {
    const s = await rooms({ verifyThreads: 2 });
    const keys = { a: newKey(), b: newKey() };
    const ja = await joinWithKey(s, "ann-bot", keys.a);
    const jb = await joinWithKey(s, "bob-bot", keys.b);
    const { messages } = (await (await s.api("/messages?limit=1")).json()) as { messages: Message[] };
    const head = messages.at(-1)!;
    const posts: { token: string; body: Record<string, unknown>; expect: number[]; code?: string; text: string }[] = [];
    for (let i = 0; i < 40; i++) {
      const [name, kp, token] = i % 2 ? ["bob-bot", keys.b, jb.token] as const : ["ann-bot", keys.a, ja.token] as const;
      const text = `${name} http #${i}`;
      const f = { sentAt: new Date().toISOString(), nonce: randomBytes(16).toString("base64url"), prev: head.hash!, prevId: head.id };
      const sig = signWith(kp, messagePayload({ room: ja.room.id, name, text, ...f }));
      const body = { text, ...f, sig };
      if (i % 5 === 4) posts.push({ token, body: { ...body, sig: corrupt(sig) }, expect: [403], code: "BAD_SIGNATURE", text });
      else {
        posts.push({ token, body, expect: [201], text });
        // The same body twice in flight: one is stored (201), the other refused as a replay (409).
        if (i % 7 === 0) posts.push({ token, body, expect: [201, 409], text });
      }
    }
    const answers = await Promise.all(posts.map((p) => s.api("/messages", { method: "POST", token: p.token, json: p.body }).then(async (r) => ({ status: r.status, body: (await r.json()) as any }))));
    posts.forEach((p, i) => {
      expect(p.expect).toContain(answers[i]!.status);
      if (p.code) expect(answers[i]!.body.error.code).toBe(p.code);
      if (answers[i]!.status === 409) expect(answers[i]!.body.error.code).toBe("REPLAYED");
    });
    const all = ((await (await s.api("/messages?limit=1000")).json()) as { messages: Message[] }).messages.filter((m) => m.kind !== "system");
    const expected = [...new Set(posts.filter((p) => !p.code).map((p) => p.text))];
    expect(all.map((m) => m.text).sort()).toEqual(expected.sort());
    expect(answers.filter((a) => a.status === 409)).toHaveLength(posts.length - 40);
  });
});
