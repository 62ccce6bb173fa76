// A live view of a room on stdout (listen, join --follow): each message as it arrives, status lines on stderr,
// until Ctrl-C / SIGTERM (exit 0) or removal (exit 5). With `sendLines`, each line typed on stdin is sent.
import { createInterface } from "node:readline";
import { createClient, type Conn } from "./http.js";
import { CliError } from "./exit.js";
import { follow } from "./follow.js";
import { formatMessage } from "./format.js";
import { jsonLineSafe } from "./clean.js";
import { postSurely } from "./resend.js";

interface LiveOptions {
  conn: Conn;
  after: number;
  me?: string;
  json?: boolean;
  /** Start with long-poll instead of SSE. */
  poll?: boolean;
  /** Send each stdin line as a message; stop when stdin ends. */
  sendLines?: boolean;
}

export async function live(o: LiveOptions): Promise<void> {
  const ac = new AbortController();
  const stop = () => ac.abort();
  process.once("SIGINT", stop);
  process.once("SIGTERM", stop);
  const say = (line: string) => process.stderr.write(`${line}\n`);
  let failure: unknown;
  let shown = o.after; // the newest id shown: a typed line whose answer is lost is looked for after it
  const stdinDone = o.sendLines ? pipeStdin(o.conn, ac, (err) => ((failure ??= err), stop()), o.me, () => shown) : undefined;
  try {
    await follow({
      conn: o.conn,
      after: o.after,
      signal: ac.signal,
      poll: o.poll,
      // Tuning for slow links and for tests: how often a stream is cross-checked against the history.
      checkEveryMs: Number(process.env.AGENT_CHAT_STREAM_CHECK_MS) || undefined,
      log: (l) => say(`agent-chat: ${l}`),
      onReset: ({ cursor, oldest }) => say(`agent-chat: message #${cursor} is not in the room's history (restarted or full); continuing from #${oldest}.`),
      onMessage: (m) => (shown = Math.max(shown, m.id), process.stdout.write(`${o.json ? jsonLineSafe(JSON.stringify(m)) : formatMessage(m, { me: o.me })}\n`)),
    });
  } finally {
    process.off("SIGINT", stop);
    process.off("SIGTERM", stop);
    ac.abort();
  }
  await stdinDone;
  if (failure) throw failure;
}

// --- internal ---

/** Send stdin lines in order; on end of input, give the last sends a moment and stop the live view. */
function pipeStdin(conn: Conn, ac: AbortController, fail: (err: unknown) => void, me: string | undefined, shown: () => number): Promise<void> {
  const client = createClient(conn);
  const rl = createInterface({ input: process.stdin, terminal: false });
  let chain = Promise.resolve();
  rl.on("line", (line) => {
    if (!line.trim()) return;
    chain = chain.then(() =>
      // An answer lost on the way back (an instance behind a balancer died) is looked up before the line goes again.
      (me ? postSurely(client, { name: me, after: shown(), text: line }, () => client.send(line)) : client.send(line)).then(
        () => undefined,
        (err) => {
          // Rate limits and pauses are worth a line, not the end of the session.
          if (err instanceof CliError && err.exitCode === 4) process.stderr.write(`agent-chat: ${err.message}\n`);
          else fail(err);
        },
      ),
    );
  });
  return new Promise((resolve) => {
    rl.on("close", () => {
      // Let the stream show our last lines coming back before ending.
      void chain.then(() => setTimeout(() => (ac.abort(), resolve()), 500));
    });
    ac.signal.addEventListener("abort", () => (rl.close(), resolve()), { once: true });
  });
}
