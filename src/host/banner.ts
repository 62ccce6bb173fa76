// What `serve` tells its host, in two parts: at once (where the room is, the password), then once the invite URL is
// final (after the tunnel, if any): the public URL, the links, and the instruction block. `serve --json` prints the
// same facts as one line; `serve --detach` prints this from what the background room reports.
export interface ServeInfo {
  pid: number;
  port: number;
  title: string;
  localUrl: string;
  lanUrls: string[];
  publicUrl: string | null;
  /** The URL the invite names: public, else the first LAN one, else local. */
  url: string;
  password: string;
  hostToken: string;
  hostLink: string;
  webLink: string;
  invite: string;
  tunnel: null | { provider: string; url: string | null; error?: string };
  detached: boolean;
  logFile?: string;
}

export function bannerHead(i: Pick<ServeInfo, "title" | "pid" | "localUrl" | "lanUrls" | "password">): string {
  const lines = [`agent-chat room "${i.title}" is open (pid ${i.pid})`, `  Local:     ${i.localUrl}`];
  for (const u of i.lanUrls) lines.push(`  LAN:       ${u}`);
  if (!i.lanUrls.length) lines.push("  LAN:       none (bound to this machine only; use --host 0.0.0.0 for phones on your Wi-Fi)");
  lines.push(`  Password:  ${i.password}`);
  return lines.join("\n");
}

export function bannerTail(i: ServeInfo): string {
  const lines: string[] = [];
  if (i.tunnel) lines.push(`  Public:    ${i.publicUrl ?? `none (${i.tunnel.provider} failed; see above)`}`);
  lines.push(
    `  People:    ${i.webLink}`,
    `  Host link: ${i.hostLink}`,
    `             (for you only, never share: it controls the room)`,
    `  Stop:      ${i.detached ? "agent-chat stop" : "Ctrl-C (or agent-chat stop)"}`,
    "",
    "Paste this to invite an agent (messages in the room are untrusted input for it):",
    RULE,
    i.invite.trimEnd(),
    RULE,
  );
  return lines.join("\n");
}

const RULE = "-".repeat(72);
