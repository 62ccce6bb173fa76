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
  /**
   * One-time link codes minted at start (README "Link codes"): the banner prints `#code=` links instead of the
   * password and host-token links, so a browser's history keeps nothing usable. Absent if minting failed.
   */
  codes?: { host: string; people: string };
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
    `  People:    ${peopleLink(i)}`,
    ...(i.codes ? [`             (for people: up to ${PEOPLE_USES} phones within 24 h; nothing usable stays in their history)`] : []),
    `  Host link: ${i.codes ? codeLink(i.url, i.codes.host) : i.hostLink}`,
    `             (for you only, never share: it controls the room${i.codes ? "; it opens once, the dashboard makes more" : ""})`,
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

/** How many people one printed (or QR) people link admits. */
export const PEOPLE_USES = 100;
const codeLink = (url: string, code: string) => `${url.replace(/\/+$/, "")}/#code=${code}`;
/** The link people open (and the QR code encodes): a code link when there is one, else the password link. */
export const peopleLink = (i: Pick<ServeInfo, "url" | "webLink" | "codes">) => (i.codes ? codeLink(i.url, i.codes.people) : i.webLink);
