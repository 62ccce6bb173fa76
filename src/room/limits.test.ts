import { describe, expect, it } from "vitest";
import { createBucket } from "./limits.js";

describe("token bucket", () => {
  it("allows a burst, then asks to wait, then refills at the rate", () => {
    const b = createBucket(60, 3); // one per second
    const t = 1_000_000;
    expect([b.take("a", t), b.take("a", t), b.take("a", t)]).toEqual([0, 0, 0]);
    expect(b.take("a", t)).toBe(1);
    expect(b.wait("a", t)).toBe(1);
    expect(b.take("b", t)).toBe(0); // keys are independent
    expect(b.take("a", t + 1000)).toBe(0);
  });

  it("0 per minute turns it off", () => {
    const b = createBucket(0, 0);
    for (let i = 0; i < 100; i++) expect(b.take("a")).toBe(0);
  });

  it("does not grow without bound under many one-off keys", () => {
    const b = createBucket(60, 2, 100);
    for (let i = 0; i < 10_000; i++) b.take("k" + i, 1000 + i);
    // the newest key is still limited correctly
    expect(b.take("k9999", 10_999)).toBe(0);
    expect(b.take("k9999", 10_999)).toBe(1);
  });
});
