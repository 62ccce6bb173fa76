// Shared by the tunnel tests: fixture paths, temp dirs, and "is this pid still alive" polling.
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

export const FIXTURES = fileURLToPath(new URL("../fixtures/tunnel/", import.meta.url));
export const FAKE_CF = join(FIXTURES, "fake-cloudflared.mjs");
export const fixture = (name: string) => readFileSync(join(FIXTURES, name), "utf8").split("\n").filter(Boolean);

export function tempDir(): { dir: string; cleanup: () => void } {
  const dir = mkdtempSync(join(tmpdir(), "agent-chat-tunnel-"));
  return { dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

export function readLines(file: string): string[] {
  try {
    return readFileSync(file, "utf8").split("\n").filter(Boolean);
  } catch {
    return [];
  }
}

export const readPids = (file: string): number[] => readLines(file).map(Number);

/**
 * A back-off clock the test controls (TunnelTiming.sleep): every wait is recorded and held until `open()`; abort
 * still ends a wait at once, as the real one does (unless `honourAbort: false`, to test that the supervisor checks
 * for close() itself). `settled()` resolves once every wait so far has returned.
 */
export function gatedSleep(o: { honourAbort?: boolean } = {}) {
  const calls: number[] = [];
  const pending: Promise<boolean>[] = [];
  let release!: () => void;
  const gate = new Promise<void>((r) => (release = r));
  let waiting = 0;
  const sleep = (ms: number, signal: AbortSignal): Promise<boolean> => {
    calls.push(ms);
    waiting++;
    const done = new Promise<boolean>((resolve) => {
      if (o.honourAbort !== false) signal.addEventListener("abort", () => resolve(false), { once: true });
      void gate.then(() => resolve(true));
    }).finally(() => waiting--);
    pending.push(done);
    return done;
  };
  return { sleep, calls, waiting: () => waiting, open: () => release(), settled: () => Promise.all(pending) };
}

export function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === "EPERM";
  }
}

export async function waitFor<T>(probe: () => T | undefined | false, timeoutMs: number, what: string): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = probe();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** Sets environment variables for one test; returns the undo. The stand-in reads its mode from them. */
export function withEnv(vars: Record<string, string | undefined>): () => void {
  const before = Object.fromEntries(Object.keys(vars).map((k) => [k, process.env[k]]));
  const apply = (v: Record<string, string | undefined>) => {
    for (const [k, val] of Object.entries(v)) {
      if (val === undefined) delete process.env[k];
      else process.env[k] = val;
    }
  };
  apply(vars);
  return () => apply(before);
}
