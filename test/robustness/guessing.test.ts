// Password guessing, measured: how many guesses actually get checked against the password, from one address and
// from many rotating addresses (behind a tunnel, where the tunnel's header names the client), under the default
// limits (10 failures/min per address, 100/min overall). The clock is simulated so minutes pass in a second:
// only Date is faked; sockets and timers are real.
import { afterEach, describe, expect, it, vi } from "vitest";
import { startTestRoom, type TestRoom } from "../support/room.js";

let room: TestRoom | undefined;
afterEach(async () => {
  vi.useRealTimers();
  await room?.close();
  room = undefined;
});

const MINUTES = 5;
const STEP_S = 2;

/** One guess in any of the accepted forms; 401 = it was checked (and wrong), 429 = refused unchecked. */
async function guess(r: TestRoom, n: number, ip?: string) {
  const headers: Record<string, string> = {};
  if (ip) headers["cf-connecting-ip"] = ip;
  let path = "/room";
  const g = `guess-${n}`;
  switch (n % 4) {
    case 0:
      headers["x-room-password"] = g;
      break;
    case 1:
      headers.authorization = `Bearer ${g}`;
      break;
    case 2:
      path += `?password=${g}`;
      break;
    default:
      headers.authorization = `Bearer ac_${g}`; // a made-up participant token counts as a guess too
  }
  const res = await fetch(r.url + path, { headers });
  await res.arrayBuffer();
  return res.status;
}

describe("password guessing", () => {
  it(`one address: about 10 checked guesses per minute, whatever it sends (${MINUTES} simulated minutes)`, async () => {
    room = await startTestRoom({ authFailPerMinute: 10 }); // the default, spelled out
    vi.useFakeTimers({ toFake: ["Date"] });
    const start = Date.now();
    let checked = 0;
    let refused = 0;
    let n = 0;
    for (let t = 0; t < MINUTES * 60; t += STEP_S) {
      vi.setSystemTime(start + t * 1000);
      for (let k = 0; k < 5; k++) {
        const s = await guess(room, n++);
        if (s === 401) checked++;
        else if (s === 429) refused++;
        else throw new Error(`unexpected ${s}`);
      }
    }
    const perMinute = (checked - 10) / MINUTES;
    console.log(`[robustness] guessing, one address: ${n} sent, ${checked} checked (burst 10 + ${perMinute.toFixed(1)}/min), ${refused} refused unchecked`);
    // burst of 10, then 10 per minute
    expect(checked).toBeLessThanOrEqual(10 + 10 * MINUTES + 1);
    expect(checked).toBeGreaterThanOrEqual(10 * MINUTES); // the measurement itself works
  }, 60_000);

  it(`rotating addresses behind a tunnel: about 100 checked guesses per minute in all; the right password then waits too, tokens do not (${MINUTES} simulated minutes)`, async () => {
    room = await startTestRoom({ authFailPerMinute: 10, trustProxy: true });
    const joined = (await (await room.api("/join", { method: "POST", json: { name: "insider" } })).json()) as { token: string };
    vi.useFakeTimers({ toFake: ["Date"] });
    const start = Date.now();
    let checked = 0;
    let refused = 0;
    let n = 0;
    let ip = 0;
    const addr = () => `198.18.${(++ip >> 8) & 255}.${ip & 255}`; // a fresh address for every guess
    for (let t = 0; t < MINUTES * 60; t += STEP_S) {
      vi.setSystemTime(start + t * 1000);
      for (let k = 0; k < 8; k++) {
        const s = await guess(room, n++, addr());
        if (s === 401) checked++;
        else if (s === 429) refused++;
        else throw new Error(`unexpected ${s}`);
      }
    }
    const perMinute = (checked - 100) / MINUTES;
    console.log(`[robustness] guessing, ${ip} rotating addresses: ${n} sent, ${checked} checked (burst 100 + ${perMinute.toFixed(1)}/min), ${refused} refused unchecked`);
    expect(checked).toBeLessThanOrEqual(100 + 100 * MINUTES + 1);
    expect(checked).toBeGreaterThanOrEqual(100 * MINUTES);

    // While the overall budget is spent, even the right password from a fresh address is refused unchecked
    // (so a guess gains nothing); participants with tokens are not affected.
    const right = await fetch(room.url + "/room", { headers: { "x-room-password": room.password, "cf-connecting-ip": "203.0.113.200" } });
    expect(right.status).toBe(429);
    expect(Number(right.headers.get("retry-after"))).toBeGreaterThan(0);
    const post = await room.api("/messages", { method: "POST", token: joined.token, json: { text: "tokens still work" } });
    expect(post.status).toBe(201);
  }, 60_000);
});
