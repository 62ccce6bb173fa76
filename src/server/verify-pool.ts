// Ed25519 signature checks of signed messages in worker threads (README "Known agents" → "Speed of signed messages").
// One check costs ~80-110 µs of CPU here, 2-3x a whole unsigned POST, so on the main thread it caps a server's signed
// messages/s; with a free core it runs beside the main thread instead. The room decides what to verify and stores
// in arrival order (room/post-queue.ts); this only answers "does this signature verify under this key". Node's own
// crypto in the workers too, no add-on.
import { availableParallelism } from "node:os";
import { Worker } from "node:worker_threads";
import { SIG_RE } from "../protocol/signing.js";
import type { ProvenKey } from "../room/identity.js";
import type { SignatureVerifier } from "../room/verdict.js";

// The worker's whole program, run with `eval` so it needs no file of its own beside the built one (the same code then
// runs from src/ under the tests and from dist/). A batch is [id, key, payload, sig, id, key, …]; the answer is the ids
// and a byte per id (1 valid, 0 not). Parsed keys are kept (bounded), so a key costs its parsing once per worker.
// Why the check is a copy of protocol/signing.ts's verifyBytes (and publicKeyObject) and not an import of it: a
// worker thread loads modules with plain Node, and under the tests this file runs from src/, where signing is a .ts
// file Node 20 cannot load (ERR_UNKNOWN_FILE_EXTENSION: no type stripping before Node 22) — a worker file of its own
// would meet the same wall. So keep the two the same: Ed25519 over the payload's UTF-8 bytes, the signature
// base64url, any throw = not valid (verifyBytes' SIG_RE test is done before a check is sent: `verify` below).
const WORKER = `
const { parentPort } = require("node:worker_threads");
const { createPublicKey, verify } = require("node:crypto");
const keys = new Map();
function keyObject(x) {
  let k = keys.get(x);
  if (!k) {
    if (keys.size >= 10000) keys.delete(keys.keys().next().value);
    k = createPublicKey({ key: { kty: "OKP", crv: "Ed25519", x }, format: "jwk" });
    keys.set(x, k);
  }
  return k;
}
parentPort.on("message", (batch) => {
  const n = batch.length / 4;
  const ids = new Array(n);
  const ok = new Uint8Array(n);
  for (let i = 0; i < n; i++) {
    ids[i] = batch[4 * i];
    try {
      ok[i] = verify(null, Buffer.from(batch[4 * i + 2]), keyObject(batch[4 * i + 1]), Buffer.from(batch[4 * i + 3], "base64url")) ? 1 : 0;
    } catch {
      ok[i] = 0;
    }
  }
  parentPort.postMessage({ ids, ok });
});
`;

/** The default pool size: one thread per core but the main thread's (0 on one core: verify inline). */
export const defaultVerifyThreads = (): number => Math.max(0, availableParallelism() - 1);

interface Slot {
  worker: Worker;
  /** Checks sent to it and not answered yet. */
  busy: number;
  /** The batch being gathered for it in this turn of the event loop. */
  batch: unknown[];
}

export interface VerifyPool {
  threads: number;
  verify: SignatureVerifier;
  close(): Promise<void>;
}

/**
 * `threads` workers, started on first use, unref'd (they never keep the process alive). Checks asked for in one turn
 * of the event loop go out as one message per worker (posting costs the main thread more than a check's bytes). A
 * worker that fails answers its open checks with undefined (the room then verifies them inline) and is replaced on
 * the next check. `hooks.started` sees each worker as it starts (the tests end one to show the fallback).
 */
export function createVerifyPool(requested: number, log: (line: string) => void = () => {}, hooks: { started?: (w: Worker) => void } = {}): VerifyPool {
  const threads = Math.max(0, Math.floor(requested) || 0);
  const slots: (Slot | undefined)[] = new Array(threads).fill(undefined);
  const waiting = new Map<number, { resolve: (ok: boolean | undefined) => void; slot: Slot }>();
  let nextId = 1;
  let flushQueued = false;
  let closed = false;

  function start(i: number): Slot {
    const worker = new Worker(WORKER, { eval: true, name: `agent-chat verify ${i + 1}` });
    worker.unref();
    const slot: Slot = { worker, busy: 0, batch: [] };
    worker.on("message", (m: { ids: number[]; ok: Uint8Array }) => {
      for (let k = 0; k < m.ids.length; k++) {
        const w = waiting.get(m.ids[k]!);
        if (!w) continue;
        waiting.delete(m.ids[k]!);
        slot.busy--;
        w.resolve(m.ok[k] === 1);
      }
    });
    const fail = (why: string) => {
      if (slots[i] !== slot) return;
      slots[i] = undefined;
      if (!closed) log(`verify thread ${i + 1} ${why}; its checks run on the main thread, and a new thread starts`);
      for (const [id, w] of waiting) if (w.slot === slot) waiting.delete(id), w.resolve(undefined);
    };
    worker.on("error", (e) => fail(`failed (${e.message})`));
    worker.on("exit", (code) => fail(`exited (${code})`));
    slots[i] = slot;
    hooks.started?.(worker);
    return slot;
  }

  /** The slot with the fewest checks out (started if missing). */
  function pick(): Slot {
    let best: Slot | undefined;
    for (let i = 0; i < slots.length; i++) {
      const s = slots[i] ?? start(i);
      if (!best || s.busy + s.batch.length / 4 < best.busy + best.batch.length / 4) best = s;
    }
    return best!;
  }

  function flush() {
    flushQueued = false;
    for (const s of slots) {
      if (!s || !s.batch.length) continue;
      s.worker.postMessage(s.batch);
      s.busy += s.batch.length / 4;
      s.batch = [];
    }
  }

  const verify: SignatureVerifier = (payload: string, sig: string, signer: ProvenKey) => {
    if (closed || threads < 1) return Promise.resolve(undefined);
    if (!SIG_RE.test(sig)) return Promise.resolve(false); // as verifyBytes: a malformed signature never verifies
    const slot = pick();
    const id = nextId++;
    slot.batch.push(id, signer.key, payload, sig);
    if (!flushQueued) (flushQueued = true), setImmediate(flush);
    return new Promise((resolve) => waiting.set(id, { resolve, slot }));
  };

  return {
    threads,
    verify,
    async close() {
      closed = true;
      for (const w of waiting.values()) w.resolve(undefined);
      waiting.clear();
      await Promise.all(slots.map((s) => s?.worker.terminate()));
    },
  };
}
