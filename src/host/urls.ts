// Where a room can be reached from: this machine, and every IPv4 LAN address (phones on the same Wi-Fi).
import { networkInterfaces } from "node:os";

const ALL = new Set(["0.0.0.0", "::", ""]);

export function lanUrls(port: number, host: string): string[] {
  if (!ALL.has(host)) {
    // Bound to one address: that address is the only way in (unless it is loopback).
    return /^127\.|^localhost$|^::1$/.test(host) ? [] : [`http://${host.includes(":") ? `[${host}]` : host}:${port}`];
  }
  const out: string[] = [];
  for (const list of Object.values(networkInterfaces())) {
    for (const a of list ?? []) {
      if (a.family === "IPv4" && !a.internal) out.push(`http://${a.address}:${port}`);
    }
  }
  return [...new Set(out)];
}
