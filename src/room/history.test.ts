import { describe, expect, it } from "vitest";
import { createHistory } from "./history.js";

const ids = (items: string[]) => items.map((j) => JSON.parse(j).id);
function filled(capacity: number, n: number) {
  const h = createHistory(capacity);
  for (let i = 1; i <= n; i++) h.push(JSON.stringify({ id: i }));
  return h;
}

describe("history ring", () => {
  it("returns messages after a cursor, in order, with next = last id", () => {
    const h = filled(10, 5);
    expect(ids(h.since(2).items)).toEqual([3, 4, 5]);
    expect(h.since(2)).toMatchObject({ next: 5, reset: false });
    expect(h.since(5)).toEqual({ items: [], next: 5, reset: false });
    expect(ids(h.since(0, 2).items)).toEqual([1, 2]);
    expect(h.since(0, 2).next).toBe(2);
  });

  it("stops growing at capacity and keeps the newest", () => {
    const h = filled(3, 10);
    expect(h.size).toBe(3);
    expect(h.oldestId).toBe(8);
    expect(ids(h.all().items)).toEqual([8, 9, 10]);
  });

  it("signals a reset for a cursor older than the oldest kept message, never a silent gap", () => {
    const h = filled(3, 10);
    const s = h.since(5);
    expect(s.reset).toBe(true);
    expect(ids(s.items)).toEqual([8, 9, 10]);
    // exactly at the edge there is no gap
    expect(h.since(7).reset).toBe(false);
    expect(ids(h.since(7).items)).toEqual([8, 9, 10]);
  });

  it("signals a reset for a cursor from the future (an earlier room)", () => {
    const h = filled(10, 3);
    const s = h.since(50);
    expect(s.reset).toBe(true);
    expect(ids(s.items)).toEqual([1, 2, 3]);
    expect(filled(10, 0).since(7)).toEqual({ items: [], next: 0, reset: true });
  });
});
