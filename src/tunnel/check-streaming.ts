// Does a Server-Sent Events stream actually stream through this public URL? Cloudflare quick tunnels are known to
// buffer SSE (cloudflared issue 1449): the client then sees nothing until the connection closes. The room sends the
// comment `: connected` at once on every stream, so "a comment within a few seconds" tells the two cases apart.
// The answer is advice for the invite, not a gate: long-poll works through every tunnel either way.

export async function checkStreaming(
  publicUrl: string,
  password: string,
  timeoutMs = 5000,
): Promise<{ streams: boolean; detail: string }> {
  const url = `${publicUrl.replace(/\/+$/, "")}/messages/stream?password=${encodeURIComponent(password)}`;
  const controller = new AbortController();
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    controller.abort();
  }, timeoutMs);
  const started = Date.now();
  const seconds = `${(timeoutMs / 1000).toFixed(timeoutMs % 1000 ? 1 : 0)} s`;
  const buffered = {
    streams: false,
    detail: `no stream data arrived within ${seconds}: this tunnel buffers server-sent events; clients fall back to long-poll (every message still arrives)`,
  };
  try {
    const res = await fetch(url, { headers: { accept: "text/event-stream" }, signal: controller.signal });
    if (!res.ok || !res.body) {
      await res.body?.cancel().catch(() => {});
      return { streams: false, detail: `the stream answered HTTP ${res.status} through the tunnel; clients will use long-poll` };
    }
    const reader = res.body.getReader();
    const decoder = new TextDecoder();
    let text = "";
    try {
      for (;;) {
        const { done, value } = await reader.read();
        if (done) break;
        text += decoder.decode(value, { stream: true });
        // Any complete SSE line counts: the opening comment, or an event if the room sent one first.
        if (/(^|\n)[^\n]*\n/.test(text)) {
          return { streams: true, detail: `the stream delivered its first bytes in ${Date.now() - started} ms` };
        }
      }
    } finally {
      controller.abort();
      await reader.cancel().catch(() => {});
    }
    // The connection closed before a full line: a proxy that buffered, then gave up.
    return text ? { streams: false, detail: "the stream was held back and cut off; clients will use long-poll" } : buffered;
  } catch (err) {
    if (timedOut) return buffered;
    // fetch() says only "fetch failed"; the reason (DNS, refused, TLS) is in its cause.
    const cause = (err as { cause?: { message?: string } }).cause?.message;
    const reason = cause ? `${(err as Error).message}: ${cause}` : (err as Error).message;
    return { streams: false, detail: `could not open the stream through the tunnel (${reason}); clients will use long-poll` };
  } finally {
    clearTimeout(timer);
  }
}
