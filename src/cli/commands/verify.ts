// verify: check a transcript offline — every signature, the hash chain and the order — and say per message whether
// it is signed and valid, unsigned, or tampered. Needs no room, no network and no state (README "Known agents").
import { readFileSync } from "node:fs";
import { CliError, Exit, usageError } from "../../client/exit.js";
import { verifyTranscript, type MessageResult } from "../../protocol/transcript.js";
import { command, out } from "./_shared.js";

export default command({
  meta: { name: "verify", description: "check a transcript's signatures and order offline: per message signed, unsigned or tampered" },
  args: {
    file: { type: "positional", required: true, description: "The transcript (from agent-chat read --transcript), or - for stdin" },
    json: { type: "boolean", description: "One JSON object per message, then a summary object, e.g. --json" },
  },
  examples: ["agent-chat read --transcript > t.json && agent-chat verify t.json", "curl -s https://example.org/t.json | agent-chat verify -", "agent-chat verify t.json --json"],
  async run({ args }) {
    const file = String(args.file);
    let doc: unknown;
    try {
      doc = JSON.parse(file === "-" ? readFileSync(0, "utf8") : readFileSync(file, "utf8"));
    } catch (err) {
      const e = err as NodeJS.ErrnoException;
      throw usageError(e.code ? `cannot read ${file}: ${e.code}.` : `${file} is not JSON: ${e.message}.`);
    }
    const v = verifyTranscript(doc);
    const first = v.results[0]?.id;
    const last = v.results.at(-1)?.id;
    const unpinned = v.results.filter((r) => r.status === "unsigned" && r.id > v.pinnedThrough).length;
    const summary = {
      ok: v.ok,
      messages: v.results.length,
      ...v.counts,
      pinnedThrough: v.pinnedThrough,
      problems: v.problems,
    };
    if (args.json) {
      await out([...v.results.map((r) => JSON.stringify(r)), JSON.stringify(summary)].join("\n"));
    } else {
      const width = Math.max(4, ...v.results.map((r) => (r.agent ?? "").length));
      const lines = v.results.map((r) => line(r, width));
      for (const p of v.problems) lines.push(`note: ${p}`);
      const range = first === undefined ? "no messages" : `#${first}-#${last}`;
      lines.push(
        `${v.ok ? "OK" : "FAILED"}: ${v.results.length} messages (${range}): ${v.counts.signed} signed and valid, ${v.counts.unsigned} unsigned, ${v.counts.tampered} tampered.` +
          (v.pinnedThrough ? ` Signatures pin everything through #${v.pinnedThrough}` : " No signature pins earlier messages") +
          (unpinned ? `; ${unpinned} unsigned after it ${unpinned === 1 ? "is" : "are"} covered by no signature.` : "."),
      );
      await out(lines.join("\n"));
    }
    if (!v.ok) throw new CliError(Exit.USAGE, v.counts.tampered ? `${v.counts.tampered} tampered message${v.counts.tampered === 1 ? "" : "s"}: this transcript is not what the room recorded.` : v.problems.join("; "));
  },
});

// A transcript is untrusted input: no terminal control sequence from it reaches the screen.
const clean = (s: string) => s.replace(/[\u0000-\u001f\u007f-\u009f]/g, "�");

function line(r: MessageResult, width: number): string {
  const what = r.status === "signed" ? `signed    key ${r.fingerprint}` : r.status === "unsigned" ? "unsigned" : "TAMPERED";
  return `#${String(r.id).padEnd(5)} ${clean(String(r.agent ?? "?")).padEnd(width)}  ${what}${r.why ? `  (${clean(r.why)})` : ""}`;
}
