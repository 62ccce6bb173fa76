// --help text. Agents read it, so it is plain (no colours, no padding at line ends), lists every flag with an
// example, and ends with examples of whole commands. Locked by snapshot tests (test/cli/help.test.ts).
import type { ArgDef, ArgsDef } from "citty";

interface HelpInput {
  /** "agent-chat send" */
  usage: string;
  description: string;
  args?: ArgsDef;
  /** For the main command: name → description. */
  commands?: [string, string][];
  examples: string[];
}

export function renderHelp(h: HelpInput): string {
  const args = Object.entries(h.args ?? {});
  const positionals = args.filter(([, d]) => d.type === "positional");
  const flags = args.filter(([, d]) => d.type !== "positional");
  const posUsage = positionals.map(([n, d]) => (d.required === false ? `[${n.toUpperCase()}]` : `<${n.toUpperCase()}>`)).join(" ");
  const lines = [`${h.usage}: ${h.description}`, "", `Usage: ${h.usage}${h.commands ? " <command> [flags]" : " [flags]"}${posUsage ? ` ${posUsage}` : ""}`];
  const table = (title: string, rows: [string, string][]) => {
    if (!rows.length) return;
    const width = Math.min(34, Math.max(...rows.map(([l]) => l.length)));
    lines.push("", `${title}:`);
    for (const [left, right] of rows) lines.push(left.length > width ? `  ${left}\n  ${" ".repeat(width)}  ${right}` : `  ${left.padEnd(width)}  ${right}`);
  };
  table("Commands", h.commands ?? []);
  table("Arguments", positionals.map(([n, d]) => [n.toUpperCase(), d.description ?? ""]));
  table("Flags", [...flags.map(([n, d]) => [flagLabel(n, d), d.description ?? ""] as [string, string]), ["-h, --help", "Show this help"]]);
  lines.push("", "Examples:", ...h.examples.map((e) => `  ${e}`));
  if (h.commands) lines.push("", `Run \`${h.usage} <command> --help\` for a command's flags.`);
  return lines.join("\n").replace(/[ \t]+$/gm, "");
}

function flagLabel(name: string, d: ArgDef): string {
  const aliases = (d as { alias?: string | string[] }).alias;
  const names = [`--${name}`, ...(Array.isArray(aliases) ? aliases : aliases ? [aliases] : []).map((a) => (a.length === 1 ? `-${a}` : `--${a}`))];
  // Short aliases first, as is usual: "-m, --message".
  names.sort((a, b) => Number(b.length === 2) - Number(a.length === 2));
  const hint = d.type === "string" || d.type === "enum" ? ` <${d.valueHint ?? name}>` : "";
  return names.join(", ") + hint;
}
