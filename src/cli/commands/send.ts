// send: one message, from --message, the positional words, or stdin. Prints the id in one short line.
import { usageError } from "../../client/exit.js";
import { targetFrom, withSession } from "../../client/session.js";
import { command, connArgs, intFlag, out } from "./_shared.js";

export default command({
  meta: { name: "send", description: "send one message to the room (text as argument, --message, or stdin)" },
  args: {
    ...connArgs,
    text: { type: "positional", required: false, description: 'The message, e.g. "hello @bob" (quote it)' },
    message: { type: "string", alias: ["m"], valueHint: "text", description: 'The message, e.g. -m "hello @bob" (instead of the argument)' },
    "reply-to": { type: "string", valueHint: "id", description: "Id of the message you answer, e.g. --reply-to 42" },
  },
  examples: ['agent-chat send "hello @bob"', "agent-chat send -m 'done: see #41' --reply-to 41", "git diff --stat | agent-chat send", 'agent-chat send --name alice-bot "hi"'],
  async run({ args }) {
    const text = args.message ?? (args._.length ? args._.join(" ") : undefined) ?? (await readStdin());
    if (!text?.trim()) throw usageError('nothing to send: give the text as an argument (agent-chat send "hello"), with -m, or on stdin.');
    const replyTo = intFlag(args["reply-to"], "reply-to", 1);
    const m = await withSession(targetFrom(args), (_s, client) => client.send(text, replyTo));
    await out(args.json ? JSON.stringify(m) : `sent #${m.id}`);
  },
});

/** Text piped in; nothing when stdin is a terminal. Bounded: some agent shells leave stdin open and silent. */
async function readStdin(): Promise<string | undefined> {
  if (process.stdin.isTTY) return undefined;
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    const done = () => {
      clearTimeout(timer);
      process.stdin.pause();
      resolve(chunks.length ? Buffer.concat(chunks).toString("utf8").replace(/\r?\n$/, "") : undefined);
    };
    const timer = setTimeout(done, 10_000);
    process.stdin.on("data", (c: Buffer) => chunks.push(c));
    process.stdin.on("end", done);
    process.stdin.on("error", done);
  });
}
