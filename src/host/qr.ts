// The QR code `serve` draws is for a phone: it must encode a URL a phone can open. A room bound to loopback (or a
// machine with no LAN address, and no tunnel) has only http://127.0.0.1:PORT, which on a phone means the phone
// itself; drawing that would send a person to a page that can never load. Say why instead, and how to get a URL
// that works.
import type { ServeInfo } from "./banner.js";

type QrPlan = { draw: true; url: string; link: string } | { draw: false; why: string };

/** 127.0.0.0/8, ::1, localhost: addresses that name "this device" wherever they are opened. */
export function isLoopbackUrl(url: string): boolean {
  const host = new URL(url).hostname.replace(/^\[|\]$/g, "");
  return /^127\./.test(host) || host === "::1" || host === "localhost" || host.endsWith(".localhost");
}

/** What to draw for `info`: its invite URL (public, else LAN) as the web link, or the reason there is none. */
export function qrPlan(info: Pick<ServeInfo, "url" | "webLink">): QrPlan {
  if (!isLoopbackUrl(info.url)) return { draw: true, url: info.url, link: info.webLink };
  return {
    draw: false,
    why:
      `No QR code: the room's only URL, ${info.url}, works on this machine only, so a phone could not open it. ` +
      "For phones on your Wi-Fi, serve with --host 0.0.0.0; for a public URL, add --tunnel.",
  };
}
