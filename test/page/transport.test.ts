// The page's transport state machine in Node, with stand-in strategies (the real ones need a browser and are
// exercised by test/browser): strategies in order, fallback, reset, diagnosis after a failure, and cancellation by
// AbortController — stop() aborts the running strategy's signal and nothing runs after it.
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { ApiError } from "../../public/api.js";
import { createTransport, type Link, type Outcome, type Strategy } from "../../public/transport.js";

/** A strategy the test drives: each call is recorded with its link, and ends when the test says so (or on abort). */
function scripted() {
  const calls: { link: Link; end: (o: Outcome) => void }[] = [];
  const waiters: (() => void)[] = [];
  const strategy: Strategy = (link) =>
    new Promise<Outcome>((resolve) => {
      link.signal.addEventListener("abort", () => resolve("aborted"), { once: true });
      calls.push({ link, end: resolve });
      waiters.splice(0).forEach((w) => w());
    });
  /** Resolves with call number n (0-based) once it has started. */
  const call = (n: number) =>
    new Promise<{ link: Link; end: (o: Outcome) => void }>((resolve) => {
      const check = () => (calls[n] ? resolve(calls[n]!) : waiters.push(check));
      check();
    });
  return { strategy, calls, call };
}

function make(strategies: Record<string, Strategy>, over: Partial<Parameters<typeof createTransport>[0]> = {}) {
  const states: string[] = [];
  const delivered: number[] = [];
  const fatals: unknown[] = [];
  let roomCalls = 0;
  const t = createTransport({
    api: async (path) => {
      if (path === "room") roomCalls++;
      return { title: "t", lastId: 0 };
    },
    token: () => "ac_x",
    isFatal: (e) => e instanceof ApiError && e.status === 401,
    deliver: (list) => delivered.push(...list.map((m) => m.id)),
    reset: async () => 100,
    state: (s) => states.push(s),
    fatal: (e) => fatals.push(e),
    room: () => {},
    strategies,
    ...over,
  });
  return { t, states, delivered, fatals, roomCalls: () => roomCalls };
}

// The transport's pauses are setTimeout: faked, so "nothing happens later" is checked by moving the clock a minute
// on, not by sleeping.
beforeEach(() => void vi.useFakeTimers({ toFake: ["setTimeout", "clearTimeout"] }));
afterEach(() => void vi.useRealTimers());
const later = () => vi.advanceTimersByTimeAsync(60_000);

describe("transport", () => {
  it("delivers, moves the cursor, and stop() aborts the running strategy", async () => {
    const a = scripted();
    const { t, states, delivered } = make({ a: a.strategy });
    t.start(5);
    const first = await a.call(0);
    expect(first.link.cursor).toBe(5);
    first.link.live("live");
    first.link.deliver([{ id: 6 }, { id: 7 }]);
    expect(delivered).toEqual([6, 7]);
    expect(t.cursor).toBe(7);
    expect(states).toEqual(["live"]);
    t.stop();
    expect(first.link.signal.aborted).toBe(true);
    await later();
    expect(a.calls).toHaveLength(1); // nothing starts again after stop()
  });

  it("'fallback' moves on to the next strategy, from the same cursor", async () => {
    const a = scripted();
    const b = scripted();
    const { t } = make({ a: a.strategy, b: b.strategy });
    t.start(3);
    (await a.call(0)).end("fallback");
    const next = await b.call(0);
    expect(next.link.cursor).toBe(3);
    expect(t.mode).toBe("b");
    t.stop();
  });

  it("'reset' reloads (reset() gives the new cursor) and goes on with the same strategy", async () => {
    const a = scripted();
    const { t } = make({ a: a.strategy });
    t.start(50);
    (await a.call(0)).end("reset");
    const again = await a.call(1);
    expect(again.link.cursor).toBe(100);
    t.stop();
  });

  it("'failed' asks /room why, says reconnecting, and connects again", async () => {
    const a = scripted();
    const m = make({ a: a.strategy });
    m.t.start(0);
    (await a.call(0)).end("failed");
    await later(); // the short pause before reconnecting
    await a.call(1);
    expect(m.states).toContain("reconnecting");
    expect(m.roomCalls()).toBe(1);
    m.t.stop();
  });

  it("a fatal answer from /room ends the session: fatal() once, no more attempts", async () => {
    const a = scripted();
    const m = make({ a: a.strategy }, { api: async () => { throw new ApiError(401, "UNAUTHORIZED", "who?"); } });
    m.t.start(0);
    (await a.call(0)).end("failed");
    await later();
    expect(m.fatals).toHaveLength(1);
    expect(a.calls).toHaveLength(1);
  });

  it("stop() during the back-off pause cancels it: the strategy never runs again (and without stop() it would)", async () => {
    for (const stopIt of [false, true]) {
      const a = scripted();
      let answered!: () => void;
      const asked = new Promise<void>((r) => (answered = r));
      const m = make({ a: a.strategy }, { api: async () => (answered(), { lastId: 0 }) });
      m.t.start(0);
      (await a.call(0)).end("failed");
      await asked;
      await vi.advanceTimersByTimeAsync(0); // now in the pause before reconnecting
      if (stopIt) m.t.stop();
      await later();
      expect(a.calls, stopIt ? "stopped" : "not stopped").toHaveLength(stopIt ? 1 : 2);
      m.t.stop();
    }
  });

  it("a second start() aborts the first run", async () => {
    const a = scripted();
    const { t } = make({ a: a.strategy });
    t.start(1);
    const first = await a.call(0);
    t.start(9);
    expect(first.link.signal.aborted).toBe(true);
    expect((await a.call(1)).link.cursor).toBe(9);
    t.stop();
  });
});
