// Shared by the robustness suites: the load kit (test/support/load.mjs, also used by the soak and the benchmark),
// a per-test room-process fixture, and the README's table of error codes.
import { readFileSync } from "node:fs";
import { join as pathJoin } from "node:path";
import { afterEach, expect } from "vitest";
import { ROOT, startRoomProcess, type RoomProcess } from "../support/load.mjs";

export * from "../support/load.mjs";
export type { AnyReader, JsonAnswer, Msg, ProbeResult, ProcMem, ProcStats, RawAnswer, RoomProcess, Rng } from "../support/load.mjs";

/** Room processes started by a test, each checked for a crash and closed after every test. */
export function useRoomProcesses(defaults: Record<string, unknown> = {}) {
  const rooms: RoomProcess[] = [];
  afterEach(async () => {
    for (const r of rooms.splice(0)) {
      expect(r.crashed, `server process died: ${r.exitInfo}`).toBe(false);
      await r.close();
    }
  });
  return async (opts: Record<string, unknown> = {}) => {
    const r = await startRoomProcess({ ...defaults, ...opts });
    rooms.push(r);
    return r;
  };
}

/** The README's error table: code → status. Every error answer must use one of these, with its status. */
export function documentedErrors(): Map<string, number> {
  const md = readFileSync(pathJoin(ROOT, "README.md"), "utf8");
  const start = md.indexOf("### Errors");
  if (start === -1) throw new Error("README.md has no '### Errors' section");
  const section = md.slice(start, md.indexOf("\n#", start + 10) === -1 ? undefined : md.indexOf("\n#", start + 10));
  const out = new Map<string, number>();
  for (const line of section.split("\n")) {
    const m = /^\|\s*(\d{3})\s*\|(.*)\|\s*$/.exec(line);
    if (!m) continue;
    for (const c of m[2]!.matchAll(/`([A-Z][A-Z_]+)`/g)) out.set(c[1]!, Number(m[1]));
  }
  return out;
}
