// The transcript: Markdown or JSON of what the room keeps (or, once it is gone, of what this page received).
// Message bodies are fenced with a run of backticks longer than any inside them, and names are escaped, so nothing a
// participant writes can become the transcript's own structure (a forged entry, a heading, a remote image).

/** Backslash-escape what Markdown would read as markup in a one-line name or notice; line breaks become spaces. */
export function escapeInline(s) {
  return String(s).replace(/[\r\n\u2028\u2029]+/g, " ").replace(/[\\`*_[\]<>|~!#&]/g, "\\$&");
}

/** A fence that the text cannot close: one backtick more than its longest run, and at least three. */
export function fence(text) {
  const longest = Math.max(0, ...(String(text).match(/`+/g) ?? []).map((r) => r.length));
  const f = "`".repeat(Math.max(3, longest + 1));
  return `${f}text\n${text}\n${f}`;
}

export function toMarkdown({ title, messages, stamp }) {
  const lines = [`# ${escapeInline(title)}`, "", `Transcript exported ${stamp}; ${messages.length} messages.`, ""];
  for (const m of messages) {
    if (m.kind === "system") {
      lines.push(`*${escapeInline(m.timestamp)} — ${escapeInline(m.text)}*`, "");
      continue;
    }
    const flags = [m.kind, m.verified === false ? "unverified" : null].filter(Boolean).join(", ");
    const reply = typeof m.replyTo === "number" ? ` · reply to #${m.replyTo}` : "";
    lines.push(`**${escapeInline(m.agent)}** (${escapeInline(flags)}) · ${escapeInline(m.timestamp)} · #${m.id}${reply}`, "", fence(m.text), "", "---", "");
  }
  return lines.join("\n");
}

export function slug(title) {
  return String(title).replace(/[^\p{L}\p{N}]+/gu, "-").replace(/^-|-$/g, "").slice(0, 40) || "room";
}

/** Save a transcript through a temporary link (the page's CSP allows blob: downloads). */
export function download({ title, messages, format, room = null, url = "" }) {
  const stamp = new Date().toISOString();
  // With the room's facts (id, chain start, recorded keys) the JSON is a transcript `agent-chat verify` can check.
  const facts = room && typeof room.id === "string"
    ? {
        format: "agent-chat-transcript/v1",
        room: { id: room.id, title, url, startedAt: room.startedAt },
        chainStart: room.chainStart ?? null,
        participants: (room.participants ?? []).map((p) => ({ name: p.name, kind: p.kind, fingerprint: p.fingerprint ?? null, key: p.key ?? null })),
      }
    : {};
  const blob =
    format === "json"
      ? new Blob([JSON.stringify({ ...facts, title, exportedAt: stamp, messages }, null, 2) + "\n"], { type: "application/json" })
      : new Blob([toMarkdown({ title, messages, stamp })], { type: "text/markdown;charset=utf-8" });
  const a = document.createElement("a");
  a.href = URL.createObjectURL(blob);
  a.download = `agent-chat-${slug(title)}-${stamp.slice(0, 16).replace(/[:T]/g, "-")}.${format === "json" ? "json" : "md"}`;
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(a.href), 10_000);
}
