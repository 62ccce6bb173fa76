import { afterEach, expect, it, vi } from "vitest";
import { createNotices, NOTICE_BURST } from "./notices.js";

afterEach(() => void vi.useRealTimers());

it("a combined notice that cannot be stored (Redis down) from the window's timer does not throw out of the timer", () => {
  vi.useFakeTimers();
  let calls = 0;
  const errors: unknown[] = [];
  const notices = createNotices({
    windowMs: 1000,
    now: () => Date.now(),
    emit: () => {
      if (++calls > NOTICE_BURST) throw new Error("STORE_UNAVAILABLE");
    },
    onError: (err) => errors.push(err),
  });
  for (let i = 0; i < NOTICE_BURST + 3; i++) notices.add({ name: `n${i}`, what: "joined (agent)" });
  expect(calls).toBe(NOTICE_BURST); // the rest wait for the window's end
  // Without the guard, the throw escapes the timer: an uncaught exception, a crashed server.
  expect(() => vi.advanceTimersByTime(1000)).not.toThrow();
  expect(calls).toBe(NOTICE_BURST + 1);
  expect(errors.map((e) => (e as Error).message)).toEqual(["STORE_UNAVAILABLE"]);
  expect(notices.pending).toBe(0);
});
