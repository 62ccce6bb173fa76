// stop: end a room served from this machine (foreground or --detach), its tunnel with it, and leave nothing behind.
import { rmSync } from "node:fs";
import { normalizeUrl } from "../../client/http.js";
import { usageError } from "../../client/exit.js";
import { describeHost } from "../../client/host-target.js";
import { alive, listHosts, removeHost, type HostRecord } from "../../client/state.js";
import { command, intFlag, out } from "./_shared.js";

export default command({
  meta: { name: "stop", description: "stop a room served from this machine (e.g. one started with serve --detach)" },
  args: {
    port: { type: "string", valueHint: "port", description: "Which room, when several run here, e.g. --port 8765" },
    url: { type: "string", valueHint: "url", description: "Which room, by any of its URLs, e.g. --url http://127.0.0.1:8765" },
    all: { type: "boolean", description: "Stop every room served from this machine, e.g. --all" },
    json: { type: "boolean", description: "One JSON object per stopped room, e.g. --json" },
  },
  examples: ["agent-chat stop", "agent-chat stop --port 9000", "agent-chat stop --all"],
  async run({ args }) {
    const port = intFlag(args.port, "port", 1, 65535);
    const url = args.url ? normalizeUrl(args.url) : undefined;
    let hosts = listHosts();
    if (port !== undefined) hosts = hosts.filter((h) => h.port === port);
    if (url) hosts = hosts.filter((h) => h.localUrl === url || h.urls.includes(url));
    if (!hosts.length) {
      return out(args.json ? JSON.stringify({ stopped: [] }) : `no room is running from this machine${port || url ? " there" : ""}; nothing to stop.`);
    }
    if (hosts.length > 1 && !args.all) {
      throw usageError(`${hosts.length} rooms run here (${hosts.map(describeHost).join("; ")}): pick one with --port, or stop them all with --all.`);
    }
    const lines: string[] = [];
    for (const h of hosts) {
      await end(h);
      lines.push(args.json ? JSON.stringify({ stopped: true, pid: h.pid, port: h.port, title: h.title }) : `stopped ${describeHost(h)}`);
    }
    await out(lines.join("\n"));
  },
});

/** SIGTERM (the room closes its tunnel and streams), then SIGKILL if it has not gone within 10 s. */
async function end(h: HostRecord) {
  const gone = async (ms: number) => {
    for (const deadline = Date.now() + ms; Date.now() < deadline; await new Promise((r) => setTimeout(r, 50))) if (!alive(h.pid)) return true;
    return !alive(h.pid);
  };
  try {
    process.kill(h.pid, "SIGTERM");
  } catch {
    /* already gone */
  }
  if (!(await gone(10_000))) {
    try {
      process.kill(h.pid, "SIGKILL");
    } catch {
      /* gone meanwhile */
    }
    await gone(2000);
  }
  removeHost(h.port, h.pid);
  if (h.logFile) rmSync(h.logFile, { force: true });
}
