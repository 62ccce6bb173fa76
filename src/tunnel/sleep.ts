// The one real clock of the tunnel layer: every wait goes through a function like this one, and TunnelOptions.timing
// lets a caller (the tests) put its own in its place.

/**
 * Resolves true after `ms`, or false as soon as `signal` aborts. `unref`: the wait alone does not keep the process
 * alive (a pending restart must never hold a closing host open).
 */
export function sleep(ms: number, signal: AbortSignal, unref = false): Promise<boolean> {
  if (signal.aborted) return Promise.resolve(false);
  return new Promise((resolve) => {
    const timer = setTimeout(() => {
      signal.removeEventListener("abort", onAbort);
      resolve(true);
    }, ms);
    if (unref) timer.unref();
    const onAbort = () => {
      clearTimeout(timer);
      resolve(false);
    };
    signal.addEventListener("abort", onAbort, { once: true });
  });
}
