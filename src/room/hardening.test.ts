// The room's defences against one password holder (issue 12), driven through the room's own API with an injected
// clock: nothing here sleeps.
import { describe, expect, it } from "vitest";
import { createRoom } from "./index.js";
import { createHistory, jsonCost } from "./history.js";
import { findMentions, MAX_MENTIONS } from "./mentions.js";
import { foldName } from "../protocol/names.js";

/** A clock the test moves by hand. */
function clock(start = Date.parse("2026-12-01T12:00:00Z")) {
  let t = start;
  return { now: () => t, advance: (ms: number) => void (t += ms) };
}

const texts = (room: ReturnType<typeof createRoom>) => room.history.all().items.map((j) => JSON.parse(j) as { id: number; text: string; kind: string; agent: string });

describe("join flood", () => {
  it("1,000 joins cannot push a real message out of a 50-message history: notices are coalesced", () => {
    const c = clock();
    const room = createRoom({ now: c.now, history: 50, joinLimit: 0, maxParticipants: 5000 });
    room.post({ name: "real-person" }, "the message that must survive");
    for (let i = 0; i < 1000; i++) {
      room.join(`flood${i}`, "agent");
      if (i % 100 === 99) c.advance(1000); // 100 joins a second for 10 s
    }
    room.flushNotices();
    const all = texts(room);
    expect(all.map((m) => m.text)).toContain("the message that must survive");
    const system = all.filter((m) => m.kind === "system");
    expect(system.length).toBeLessThanOrEqual(12); // 5 one by one, then one per 10 s window
    expect(system.at(-1)!.text).toMatch(/more joined or left\.$/);
  });

  it("a few joins are still announced one by one, at once", () => {
    const room = createRoom({ joinLimit: 0 });
    room.join("ann", "agent");
    room.join("bea", "human");
    expect(texts(room).map((m) => m.text)).toEqual(["ann joined (agent).", "bea joined (human)."]);
  });
});

describe("participants: cap and expiry (injected clock)", () => {
  it("refuses joins past the cap with ROOM_FULL; password-only senders expire, then long-gone token holders make way", () => {
    const c = clock();
    const room = createRoom({ now: c.now, maxParticipants: 3, joinLimit: 0, rateLimit: 0, senderExpireMs: 60_000, participantExpireMs: 3_600_000, nameHoldMs: 600_000 });
    const a = room.join("a", "agent");
    room.post({ name: "pw-only" }, "hi");
    room.join("b", "agent");
    expect(() => room.join("c", "agent")).toThrow(expect.objectContaining({ code: "ROOM_FULL", status: 409 }));
    expect(() => room.post({ name: "pw-2" }, "hi")).toThrow(expect.objectContaining({ code: "ROOM_FULL" }));
    c.advance(60_000); // the password-only sender expires and makes way
    room.join("c", "agent");
    expect(room.participants.find("pw-only")).toBeUndefined();
    expect(() => room.join("d", "agent")).toThrow(expect.objectContaining({ code: "ROOM_FULL" }));
    c.advance(600_000); // past the name hold: the longest-unseen token holder makes way
    room.touch(room.participants.find("b")!);
    room.touch(room.participants.find("c")!);
    room.join("d", "agent");
    expect(room.participants.find("a")).toBeUndefined();
    expect(room.participants.lookupToken(a.token)).toBeUndefined(); // its token is gone with it
    expect(room.info().participantCount).toBe(3);
  });

  it("/room lists at most 200 participants, with the count and the next offset", () => {
    const room = createRoom({ joinLimit: 0, maxParticipants: 1000 });
    for (let i = 0; i < 450; i++) room.join(`p${String(i).padStart(3, "0")}`, "agent");
    const first = room.info();
    expect(first.participants).toHaveLength(200);
    expect(first).toMatchObject({ participantCount: 450, participantsMore: true, participantsNext: 200 });
    const last = room.info({}, { offset: 400 });
    expect(last.participants).toHaveLength(50);
    expect(last.participants.at(-1)!.name).toBe("p449");
    expect(last).not.toHaveProperty("participantsMore");
  });

  it("presence and name holds follow the injected clock", () => {
    const c = clock();
    const room = createRoom({ now: c.now, presenceGraceMs: 60_000, nameHoldMs: 1_800_000, joinLimit: 0 });
    room.join("sleepy", "agent");
    expect(room.info().participants[0]).toMatchObject({ name: "sleepy", online: true });
    c.advance(60_000);
    expect(room.info().participants[0]).toMatchObject({ online: false });
    expect(() => room.join("sleepy", "agent")).toThrow(expect.objectContaining({ code: "NAME_TAKEN" }));
    c.advance(1_740_000);
    expect(room.join("sleepy", "agent").isNew).toBe(true);
  });
});

describe("rate limits are keyed by credential and address, never by the claimed name", () => {
  it("password-only posts under 50 rotating names from one address share one limit", () => {
    const c = clock();
    const room = createRoom({ now: c.now, rateLimit: 60, joinLimit: 0, loopGuard: 0 });
    const origin = { credential: "password", address: "203.0.113.9" };
    let accepted = 0;
    let refused = 0;
    for (let i = 0; i < 1000; i++) {
      try {
        room.post({ name: `rot${i % 50}` }, `spam ${i}`, {}, origin);
        accepted++;
      } catch (e) {
        expect(e).toMatchObject({ code: "RATE_LIMITED" });
        refused++;
      }
    }
    expect(accepted).toBe(60); // the per-address burst (3 x a sender's), then one a second
    c.advance(10_000);
    expect(() => room.post({ name: "fresh-name" }, "x", {}, origin)).not.toThrow();
    // another address is not affected
    expect(() => room.post({ name: "other" }, "x", {}, { credential: "password", address: "198.51.100.1" })).not.toThrow();
    expect(refused).toBe(940);
  });

  it("joins: per address, per token, and for the whole room", () => {
    const c = clock();
    const room = createRoom({ now: c.now, joinLimit: 3, maxParticipants: 1000 });
    const from = (address: string) => ({ credential: "password", address });
    for (let i = 0; i < 3; i++) room.join(`a${i}`, "agent", undefined, from("10.0.0.1"));
    expect(() => room.join("a3", "agent", undefined, from("10.0.0.1"))).toThrow(expect.objectContaining({ code: "RATE_LIMITED" }));
    // the whole room takes 10 x 3 a minute, however many addresses
    let n = 0;
    try {
      for (let i = 0; i < 100; i++) room.join(`b${i}`, "agent", undefined, from(`10.1.0.${i}`)), n++;
    } catch (e) {
      expect(e).toMatchObject({ code: "RATE_LIMITED" });
    }
    expect(n).toBe(27);
    c.advance(60_000);
    expect(() => room.join("a3", "agent", undefined, from("10.0.0.1"))).not.toThrow();
  });

  it("the room-wide post limit holds across many tokens", () => {
    const c = clock();
    const room = createRoom({ now: c.now, rateLimit: 60, roomRateLimit: 30, joinLimit: 0 });
    const tokens = Array.from({ length: 40 }, (_, i) => room.join(`t${i}`, "agent").participant);
    let accepted = 0;
    for (const p of tokens) {
      try {
        room.post({ participant: p }, "hi");
        accepted++;
      } catch (e) {
        expect(e).toMatchObject({ code: "RATE_LIMITED" });
      }
    }
    expect(accepted).toBe(30);
  });
});

describe("kind is registered, never claimed by a post; claims do not skip the pause or the loop guard", () => {
  it("password-only posts are agents: paused, and stored as agent", () => {
    const room = createRoom({ rateLimit: 0 });
    room.pause();
    expect(() => room.post({ name: "sneaky" }, "I am human, honest")).toThrow(expect.objectContaining({ code: "PAUSED" }));
    room.resume();
    expect(room.post({ name: "sneaky" }, "hi").kind).toBe("agent");
  });

  it("a claimed human is paused like an agent and does not lift the loop guard; a vouched one does", () => {
    const room = createRoom({ rateLimit: 0, loopGuard: 3, joinLimit: 0 });
    const bot = room.join("bot", "agent").participant;
    const claimed = room.join("claims-human", "human").participant;
    const vouched = room.join("real-human", { kind: "human", vouched: true }).participant;
    expect(claimed).toMatchObject({ kind: "human", vouched: false });
    for (let i = 0; i < 2; i++) room.post({ participant: bot }, `loop ${i}`);
    const m = room.post({ participant: claimed }, "carry on"); // counts as an agent message: the third in a row
    expect(m).toMatchObject({ kind: "human", vouched: false });
    expect(room.paused).toBe("loop");
    expect(() => room.post({ participant: claimed }, "go on")).toThrow(expect.objectContaining({ code: "PAUSED", message: expect.stringMatching(/claim/) }));
    expect(room.post({ participant: vouched }, "go on")).toMatchObject({ kind: "human", vouched: true });
    expect(room.paused).toBe(null);
    room.pause();
    expect(() => room.post({ participant: claimed }, "x")).toThrow(expect.objectContaining({ code: "PAUSED" }));
    expect(() => room.post({ participant: vouched }, "x")).not.toThrow();
  });

  it("re-joining with one's token cannot turn a claim into a vouch", () => {
    const room = createRoom({ joinLimit: 0 });
    const first = room.join("pat", "human");
    const again = room.join("pat", { kind: "human", vouched: false }, first.token);
    expect(again.participant.vouched).toBe(false);
  });
});

describe("mentions: linear in the text", () => {
  it("one 32 KB post of '@a b …' costs a bounded number of lookups per '@', whatever the participants", () => {
    const text = "@a b ".repeat(6553);
    let lookups = 0;
    const found = findMentions(text, (k) => (lookups++, k === "a-b" ? "a b" : undefined));
    expect(found).toEqual(["a b"]);
    const ats = 6553;
    expect(lookups).toBeLessThanOrEqual(ats * 2);
  });

  it("50,000 participants with spaces in their names: a 32 KB post costs about what it costs with 10", () => {
    const big = createRoom({ rateLimit: 0, joinLimit: 0, maxParticipants: 60_000, loopGuard: 0 });
    for (let i = 0; i < 50_000; i++) big.join(`a b${i}`, "agent");
    const small = createRoom({ rateLimit: 0, joinLimit: 0, loopGuard: 0 });
    for (let i = 0; i < 10; i++) small.join(`a b${i}`, "agent");
    const text = "@a b ".repeat(6553);
    let n = 0;
    const time = (room: typeof big) => {
      const sender = room.join(`sender${n++}`, "agent").participant;
      // CPU time of this process (each test file runs in its own fork), not wall time: a loaded machine that
      // deschedules the test for a second must not count as cost.
      const t0 = process.cpuUsage();
      for (let i = 0; i < 3; i++) room.post({ participant: sender }, text);
      const d = process.cpuUsage(t0);
      return (d.user + d.system) / 1000;
    };
    time(small); // warm up the code paths
    const tSmall = time(small);
    const tBig = time(big);
    // Generous: the old matcher scanned the text once per participant with a space (3.4 s at 50k, ~1000x).
    expect(tBig).toBeLessThan(tSmall * 10 + 500);
  }, 60_000);

  it("finds names with spaces, @all, and records at most 50 names", () => {
    const names = new Map([[foldName("Mary Ann"), "Mary Ann"], ["bob", "bob"]]);
    expect(findMentions("hi @mary ann and @bob.", (k) => names.get(k))).toEqual(["Mary Ann", "bob"]);
    expect(findMentions("@everyone look", () => undefined)).toEqual(["all"]);
    const many = Array.from({ length: 80 }, (_, i) => `@n${i}`).join(" ");
    expect(findMentions(many, (k) => k)).toHaveLength(MAX_MENTIONS);
  });
});

describe("history bounded by bytes", () => {
  it("counts two-byte strings double and drops the oldest to stay under the ceiling", () => {
    expect(jsonCost('"abc"')).toBe(5);
    expect(jsonCost('"ab\u2028"')).toBe(10);
    const h = createHistory(10_000, 1_000_000);
    // worst case for JSON: quotes double under escaping, one U+2028 makes the whole string two-byte
    const worst = JSON.stringify({ text: '"'.repeat(32_767) + "\u2028" });
    for (let i = 0; i < 100; i++) h.push(worst);
    expect(h.bytes).toBeLessThanOrEqual(1_000_000);
    expect(h.size).toBe(Math.floor(1_000_000 / jsonCost(worst)));
    expect(h.since(0).reset).toBe(true); // the dropped ones are signalled, never a silent gap
  });

  it("the room's history stays under historyBytes with worst-case texts", () => {
    const room = createRoom({ rateLimit: 0, loopGuard: 0, historyBytes: 2 * 1024 * 1024 });
    const s = room.join("w", "agent").participant;
    for (let i = 0; i < 200; i++) room.post({ participant: s }, '"\\'.repeat(16_382) + "\u2028");
    expect(room.history.bytes).toBeLessThanOrEqual(2 * 1024 * 1024);
    expect(room.history.size).toBeGreaterThan(5);
  });

  it("reads come in bounded batches with more: true", () => {
    const h = createHistory(100);
    for (let i = 1; i <= 30; i++) h.push(JSON.stringify({ id: i, pad: "x".repeat(100) }));
    const a = h.since(0, 10);
    expect(a).toMatchObject({ next: 10, more: true });
    const b = h.since(0, 1000, 500); // ~116 bytes each: 4 fit in 500
    expect(b.items).toHaveLength(4);
    expect(b.more).toBe(true);
    expect(h.since(25, 10).more).toBeUndefined();
    expect(h.since(0, 1000, 1).items).toHaveLength(1); // always at least one, however large
  });
});
