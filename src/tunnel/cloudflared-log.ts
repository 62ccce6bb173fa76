// Reading cloudflared's stderr. We parse it ourselves rather than through untun, listhen or the `cloudflared` npm
// package: the README's "Left out" list records that untun crashes the host on close() when the location is lowercase and when
// cloudflared fails, and that the npm package's URL regex takes `https://api.trycloudflare.com` from the failure line
// for the tunnel's URL. Every pattern here is unit-tested on real log lines (test/fixtures/tunnel/*.log).

/**
 * The quick tunnel's URL, only as printed inside the "Visit it at" box (`|  https://x-y-z.trycloudflare.com  |`).
 * Requiring the box's bars keeps URLs quoted in error lines out; the lookahead refuses the API host outright.
 */
export const QUICK_TUNNEL_URL_RE = /\|\s+(https:\/\/(?!api\.)[a-z0-9]+(?:-[a-z0-9]+)*\.trycloudflare\.com)\/?\s+\|/;

/** One edge connection is up: only from here on does the URL answer (earlier it returns 404/530). */
export const TUNNEL_READY_RE = /\bRegistered tunnel connection\b/;

/** cloudflared could not get a quick tunnel at all (offline, DNS, Cloudflare refusing); it exits right after. */
export const QUICK_TUNNEL_FAILED_RE = /\b(?:ERR|FTL)\s+failed to request quick Tunnel:?\s*(.*)$/;

/**
 * Any error-level line. Not fatal by itself: cloudflared logs ERR for edge connections it then retries (or moves
 * from QUIC to HTTP/2), so these are reported as progress and kept for the explanation if it later exits.
 */
export const ERROR_LINE_RE = /\b(?:ERR|FTL)\s+(.+)$/;

/** Symptoms of "this machine cannot reach Cloudflare", to say "check your network" rather than "retry later". */
export const OFFLINE_RE = /no such host|network is unreachable|i\/o timeout|connection refused|dial tcp|TLS handshake timeout/i;

type LogEvent =
  | { kind: "url"; url: string }
  | { kind: "ready" }
  | { kind: "fatal"; detail: string }
  | { kind: "error"; detail: string }
  | { kind: "other" };

export function parseLogLine(line: string): LogEvent {
  const url = QUICK_TUNNEL_URL_RE.exec(line);
  if (url) return { kind: "url", url: url[1]! };
  if (TUNNEL_READY_RE.test(line)) return { kind: "ready" };
  const fatal = QUICK_TUNNEL_FAILED_RE.exec(line);
  if (fatal) return { kind: "fatal", detail: fatal[1]!.trim() || line.trim() };
  const err = ERROR_LINE_RE.exec(line);
  if (err) return { kind: "error", detail: err[1]!.trim() };
  return { kind: "other" };
}

/** What to do about a failed quick-tunnel request, depending on whether the network itself looks down. */
export function quickTunnelFailureHint(detail: string): string {
  return OFFLINE_RE.test(detail)
    ? "This machine cannot reach api.trycloudflare.com (offline, DNS failure, or a firewall/proxy in the way). " +
        "Check the network connection, then start again with --tunnel."
    : "Cloudflare did not hand out a quick tunnel (they are rate-limited and sometimes unavailable). " +
        "Wait a minute and start again with --tunnel, or use --tunnel ngrok.";
}
