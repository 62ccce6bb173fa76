// Hostile input. A seeded fuzzing pass over every endpoint, method and header with random, malformed and oversized
// input, sent over raw sockets (fetch refuses most of it); then a fixed list of protocol edge cases; then names
// built to impersonate. Every answer must be a documented one: no 500, no stack trace or file path, every error
// `{error:{code,message}}` with a code and status from the README's table, nothing outside public/ served.
// A failing case names its index (#n) under the fixed seed; FUZZ_DEBUG='POST /messages' prints every case whose
// method and path start so, with its answer.
import { readdirSync, readFileSync } from "node:fs";
import { join as pathJoin } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { openStream, startTestRoom, type TestRoom } from "../support/room.js";
import { documentedErrors, rawRequest, ROOT, rng, until, type RawAnswer, type Rng } from "./helpers.js";

const SEED = 0x8badf00d;
const REQUESTS = 3000;
const CONCURRENCY = 24;

let room: TestRoom;
const logs: string[] = [];
let publicBodies: Set<string>;
const codes = documentedErrors();

beforeAll(async () => {
  room = await startTestRoom({
    // Limits that would end the pass early are lifted (the fuzz is about input, not rates); the body and time
    // limits stay real, the request deadline short so slow cases end quickly.
    authFailPerMinute: 1_000_000,
    rateLimit: 0,
    loopGuard: 0,
    trustProxy: true,
    requestTimeoutMs: 2000,
    log: (l) => logs.push(l),
  });
  // every file under public/, subfolders (public/vendor/) included
  publicBodies = new Set(
    readdirSync(pathJoin(ROOT, "public"), { recursive: true, withFileTypes: true })
      .filter((e) => e.isFile())
      .map((e) => readFileSync(pathJoin(e.parentPath, e.name)).toString("latin1")),
  );
});
afterAll(() => room?.close());

// Text that must never reach a client: file contents outside public/, stack frames, paths on this machine.
const SECRETS = [
  ['"devDependencies"', "package.json"],
  ["export function createRoutes", "src/server/routes.ts"],
  ['"compilerOptions"', "tsconfig.json"],
  ["root:x:0:0", "/etc/passwd"],
  ["[core]", ".git/config"],
  ["startRoomServer", "server source"],
];
const LEAKS = [/\n\s+at .+:\d+:\d+/, /node:internal/, /file:\/\//, /\b(TypeError|ReferenceError|SyntaxError|RangeError)\b/, /\.ts:\d+/, /\/work\//];

const API = ["/health", "/join", "/leave", "/messages", "/messages/poll", "/messages/stream", "/room", "/invite", "/qr.svg", "/host/kick", "/host/pause", "/host/resume", "/host/title"];
const PATH_TRICKS = [
  "/",
  "/index.html",
  "/app.js",
  "/style.css",
  "/favicon.svg",
  "/../package.json",
  "/%2e%2e/package.json",
  "/%2E%2E%2Fpackage.json",
  "/..%2fpackage.json",
  "/..%5cpackage.json",
  "/public/../package.json",
  "/index.html%00.json",
  "/%00",
  "//etc/passwd",
  "//index.html",
  "/./index.html",
  "/index.html/.",
  "/\\..\\package.json",
  "/..\\..\\etc\\passwd",
  "/%c0%ae%c0%ae/package.json",
  "/src/server/routes.ts",
  "/dist/server/index.js",
  "/.git/config",
  "/node_modules/h3/package.json",
  "/.env",
  "/~root",
  "/%ff%fe",
  "/%",
  "/%zz",
  "/messages/../package.json",
  "/messages%2f..%2f..%2fpackage.json",
  "/health/",
  "/messages//",
  "/MESSAGES",
  "/index.HTML",
];
const GETS = ["/health", "/messages", "/messages/poll", "/messages/stream", "/room", "/invite", "/qr.svg"];
const POSTS = ["/join", "/join", "/leave", "/messages", "/messages", "/messages", "/messages", "/messages", "/messages", "/host/kick", "/host/pause", "/host/resume", "/host/title"];
const OTHER_METHODS = ["PUT", "DELETE", "PATCH", "HEAD", "OPTIONS", "TRACE"];

const NAMES = [
  "alice",
  "Alice",
  "ａｌｉｃｅ",
  "аlice", // Cyrillic а
  "\u202Eecila", // right-to-left override
  "\u2067alice\u2069",
  "a\u0301\u0302\u0303\u0304\u0305\u0306\u0307\u0308\u0309\u030a",
  "\u200b",
  "\u200b\u200c\u200d",
  "\ufeffbom",
  "🎈",
  "👩‍👩‍👧‍👦",
  "系统",
  "مرحبا",
  "שלום",
  "System",
  "ALL",
  "everyone",
  "host",
  "x".repeat(40),
  "x".repeat(41),
  "🎈".repeat(40),
  "",
  "   ",
  "a\nb",
  "a\u0000b",
  "a\u2028b",
  "\ud800",
  "\udfff\ud800",
  "Z̴̡̨̛͉͖̪̼̤̱͙̰̬̼̪̘̝̖̫̺̭̪̫̱̖̞̬̖̗͇̬̲̠̟̳̠̩̓̏͑͗̒̆̍̅͂̋̾̔̽̾̇̇́̀̀̀͊͘̚̕͝͠ͅ",
  "<script>alert(1)</script>",
  "${7*7}",
  "../../etc/passwd",
  "%00",
  "robert'); DROP TABLE participants;--",
];
const JUNK_NUMBERS = [
  "%ed%a0%80", // a surrogate half as raw UTF-8 bytes (decoded by the server, not by us)
"0", "1", "-1", "1.5", "1e3", "1e308", "-0", "NaN", "Infinity", "0x10", "007", "999999999999999", "9999999999999999", "18446744073709551616", " 1", "1 ", "+1", "١٢", "", "a", "[]", "%00", "%ff", "💯", "1,2"];

function junkString(g: Rng): string {
  switch (g.int(0, 7)) {
    case 0:
      return g.pick(NAMES);
    case 1:
      return "x".repeat(g.pick([0, 1, 1000, 33_000, 70_000]));
    case 2:
      return String.fromCharCode(...Array.from({ length: g.int(1, 40) }, () => g.int(0, 0xffff)));
    case 3:
      return "hello @alice @all @" + g.pick(NAMES);
    case 4:
      return "line\nline\ttab\r\nCR \u0007 bell \u001b[31m ansi";
    case 5:
      return g.pick(JUNK_NUMBERS);
    default:
      return `fuzz ${g.int(0, 1e6)}`;
  }
}

function junkValue(g: Rng, depth = 0): unknown {
  switch (g.int(0, depth > 2 ? 4 : 7)) {
    case 0:
      return null;
    case 1:
      return g.pick([true, false]);
    case 2:
      return g.pick([0, -1, 1.5, 1e308, -1e308, 2 ** 53, Number.MAX_SAFE_INTEGER + 2]);
    case 3:
    case 4:
      return junkString(g);
    case 5:
      return Array.from({ length: g.int(0, 3) }, () => junkValue(g, depth + 1));
    default:
      return Object.fromEntries(Array.from({ length: g.int(0, 3) }, () => [g.pick(["agent", "text", "name", "kind", "__proto__", "constructor", "toString"]), junkValue(g, depth + 1)]));
  }
}

function body(g: Rng): Buffer {
  switch (g.int(0, 15)) {
    case 0:
      return Buffer.alloc(0);
    case 1:
      return Buffer.from(g.pick(["{", "}", "[]", "null", "1", '"str"', "{'a':1}", '{"agent":}', '{"text":"a"', "\u0000", "{}{}", '{"__proto__":{"x":1}}']));
    case 2:
      return Buffer.from(JSON.stringify(junkValue(g)));
    case 3:
      return Buffer.concat([Buffer.from('{"agent":"bytes","text":"'), Buffer.from([0xed, 0xa0, 0x80, 0xff, 0xfe, 0xc0, 0xae, 0xf0, 0x9f]), Buffer.from('"}')]); // surrogate half and invalid UTF-8 as raw bytes
    case 4:
      return Buffer.from(JSON.stringify({ agent: "big", text: "b".repeat(g.pick([32 * 1024, 32 * 1024 + 1, 66_000])) }));
    case 5:
      return Buffer.from("[".repeat(g.pick([100, 10_000, 60_000])) + "]".repeat(10)); // deep nesting
    case 6:
      return Buffer.from(JSON.stringify({ text: junkString(g), replyTo: g.pick([1, -1, "1", 1.5, 1e300, null, "x"]) }));
    case 7:
    case 8:
    case 9:
    case 10:
      return Buffer.from(JSON.stringify(oddPost(g)));
    default: {
      const o: Record<string, unknown> = {};
      if (g.chance(0.8)) o.agent = g.chance(0.5) ? g.pick(NAMES) : junkValue(g);
      if (g.chance(0.8)) o.text = g.chance(0.6) ? junkString(g) : junkValue(g);
      if (g.chance(0.5)) o.name = g.chance(0.6) ? g.pick(NAMES) : junkValue(g);
      if (g.chance(0.3)) o.kind = g.pick(["agent", "human", "system", "AGENT", "", 1, null]);
      if (g.chance(0.2)) o.title = junkString(g);
      return Buffer.from(JSON.stringify(o));
    }
  }
}

/** Percent-encode the UTF-8 bytes of `s` (encodeURIComponent throws on a lone surrogate half). */
const pct = (s: string) => [...Buffer.from(s, "utf8")].map((b) => (/[A-Za-z0-9_.~-]/.test(String.fromCharCode(b)) ? String.fromCharCode(b) : "%" + b.toString(16).padStart(2, "0"))).join("");

function query(g: Rng): string {
  if (g.chance(0.3)) return "";
  const keys = ["after", "limit", "timeout", "password", "token", "after", "x"];
  const parts: string[] = [];
  for (let i = 0, n = g.int(1, 4); i < n; i++) {
    const k = g.pick(keys);
    let v: string;
    if (k === "password") v = g.chance(0.5) ? pct(room.password) : pct(junkString(g)).slice(0, 3000);
    else if (k === "token") v = g.pick(["ac_", "ach_", "ac_" + "A".repeat(43), pct(junkString(g)).slice(0, 200)]);
    else if (k === "timeout") v = g.pick(["0", "0.01", "0.2", "-1", "1e999", "NaN", "x", ""]); // never a long hold
    else v = pct(g.pick(JUNK_NUMBERS));
    parts.push(g.chance(0.05) ? k : `${k}=${v}`);
  }
  if (g.chance(0.05)) parts.push("%zz=%");
  if (g.chance(0.05)) parts.push(g.pick(["after=%ed%a0%80", "password=%ff%fe", "token=ac_%c0%ae", "limit=%00", "after[]=1", "after=1&after=2"])); // raw bytes, as sent
  return "?" + parts.join("&");
}

interface Case {
  n: number;
  chunks: Buffer[];
  method: string;
  path: string;
  /** may legitimately hold the connection open (a stream, or a poll) */
  holds: boolean;
  /** Content-Length promised more than was sent: the server answers 408 when its deadline passes */
  short: boolean;
}

let tokens: string[] = [];

// Texts that must survive every transport intact (JSON.stringify writes the lone surrogate as an escape).
const ODD_TEXTS = [
  "plain",
  "emoji 🎈👩‍👩‍👧‍👦",
  "RTL مرحبا שלום \u202e reversed",
  "combining a\u0301\u0308 zalgo Z̴̡̨̛͉͖̪̼̤̱",
  "separators \u2028 \u2029 end",
  "</script><img src=x onerror=alert(1)>",
  "data: fake\n\nid: 999\nevent: reset\n\n",
  "lone \ud800 half",
  "\\u0000 literal backslash",
  "tab\tand\r\nCRLF",
  "\ufeffBOM and \u200b zero width",
  "x".repeat(32 * 1024 - 20),
];
const ODD_NAMES = ["fuzz-poster", "ｆｕｚｚ", "🎈 bot", "مرحبا", "名前", "zo\u0308e", "o'brien", "a b c"];

function oddPost(g: Rng): Record<string, unknown> {
  const o: Record<string, unknown> = { agent: g.pick(ODD_NAMES), text: `${g.pick(ODD_TEXTS)} ${g.int(0, 1e6)}` };
  if (g.chance(0.3)) o.kind = "human";
  if (g.chance(0.1)) o.replyTo = g.int(1, 50);
  return o;
}

/** A plausible post with awkward content: most of these are accepted, so delivery of odd text is exercised. */
function plausiblePost(g: Rng, n: number): Case {
  const o = oddPost(g);
  let auth = `X-Room-Password: ${room.password}`;
  if (tokens.length && g.chance(0.3)) {
    auth = `Authorization: Bearer ${g.pick(tokens)}`;
    delete o.agent;
  }
  const b = Buffer.from(JSON.stringify(o));
  const head = `POST /messages HTTP/1.1\r\nHost: 127.0.0.1\r\n${auth}\r\nContent-Type: application/json\r\nContent-Length: ${b.length}\r\nConnection: close\r\n\r\n`;
  return { n, chunks: [Buffer.concat([Buffer.from(head, "latin1"), b])], method: "POST", path: "/messages", holds: false, short: false };
}

function makeCase(g: Rng, n: number): Case {
  if (g.chance(0.12)) return plausiblePost(g, n);
  const roll = g.next();
  const method = roll < 0.4 ? "GET" : roll < 0.8 ? "POST" : g.pick(OTHER_METHODS);
  const where = g.next();
  const base =
    where < 0.7 ? (method === "POST" ? g.pick(POSTS) : g.pick(GETS)) : where < 0.8 ? g.pick(API) : where < 0.97 ? g.pick(PATH_TRICKS) : "/" + "a/".repeat(g.int(100, 3000));
  const path = base + query(g);
  const h: string[] = [`Host: ${g.chance(0.97) ? "127.0.0.1" : g.pick(["", "a b", "x".repeat(300), "[::1", "evil.example"])}`];
  switch (g.int(0, 19)) {
    case 0:
    case 1:
      break;
    case 2:
    case 3:
    case 4:
    case 5:
    case 6:
    case 7:
    case 8:
      h.push(`X-Room-Password: ${room.password}`);
      break;
    case 9:
    case 10:
      h.push(`Authorization: Bearer ${g.chance(0.5) ? room.password : room.hostToken}`);
      break;
    case 11:
    case 12:
    case 13:
      if (tokens.length) h.push(`Authorization: Bearer ${g.pick(tokens)}`);
      break;
    case 14:
    case 15:
      h.push(`Authorization: ${g.pick(["Bearer", "Bearer ", "bearer   x", "Basic YTpi", "Bearer ac_" + "x".repeat(5000), "Bearer ach_AAAA", "\u00ff\u00fe"])}`);
      break;
    case 16:
    case 17:
      h.push(`X-Room-Password: ${g.pick(["", "wrong", room.password + " ", room.password.toUpperCase(), "\u00e9\u00e8", "x".repeat(8000)])}`);
      break;
    default:
      h.push(`X-Room-Password: ${room.password}`, `X-Room-Password: other`);
  }
  if (g.chance(0.3)) h.push(`Last-Event-ID: ${g.pick([...JUNK_NUMBERS, "0", "5", "99999999", "1\u00a0", "x".repeat(2000)])}`);
  if (g.chance(0.15)) h.push(`cf-connecting-ip: ${g.pick(["1.2.3.4", "", "::1", "x".repeat(500), "1.2.3.4, 5.6.7.8", "\u00ff"])}`);
  if (g.chance(0.1)) h.push(`X-Forwarded-For: ${g.pick(["1.1.1.1", "a,b,c,", ",,,", "x".repeat(300)])}`);
  if (g.chance(0.03)) h.push(`X-Huge: ${"h".repeat(g.pick([8000, 20_000, 70_000]))}`); // past Node's 16 KiB header limit too
  if (g.chance(0.05)) h.push(`Accept: ${g.pick(["text/event-stream", "*/*", "application/json;q=0", "\u00ff"])}`);
  h.push(`Content-Type: ${g.pick(["application/json", "application/json", "text/plain", "application/x-www-form-urlencoded", "multipart/form-data; boundary=x", "", "application/json; charset=latin1"])}`);

  let b = method === "POST" || method === "PUT" || method === "PATCH" || g.chance(0.05) ? body(g) : Buffer.alloc(0);
  let short = false;
  const framing = g.int(0, 79);
  if (framing === 0) h.push(`Content-Length: ${g.pick(["abc", "-1", "1e3", "99999999999999999999", " 5", "0x10"])}`);
  else if (framing === 1) h.push(`Content-Length: ${b.length}`, `Content-Length: ${b.length + 1}`);
  else if (framing === 2) h.push("Transfer-Encoding: chunked", `Content-Length: ${b.length}`); // smuggling shape
  else if (framing === 3) {
    h.push("Transfer-Encoding: chunked");
    b = Buffer.concat([Buffer.from(g.pick([`${b.length.toString(16)}\r\n`, "zz\r\n", "fffffffffffffff\r\n", "-1\r\n"])), b, Buffer.from("\r\n0\r\n\r\n")]);
  } else if (framing === 4 && b.length > 2) {
    h.push(`Content-Length: ${b.length + 10}`); // promises more than it sends
    short = true;
  } else if (framing === 5 && b.length > 2) h.push(`Content-Length: ${b.length - 2}`); // sends more: the rest is another "request"
  else if (b.length || method === "POST") h.push(`Content-Length: ${b.length}`);
  h.push("Connection: close");

  const requestLine = g.chance(0.03)
    ? g.pick([`${method} ${path}`, `${method} ${path} HTTP/9.9`, `${method}  ${path} HTTP/1.1`, `${method} ${path} HTTP/1.1 extra`, `${method.toLowerCase()} ${path} HTTP/1.1`, `FOO ${path} HTTP/1.1`, `${method} ${path}\u0000 HTTP/1.1`])
    : `${method} ${path} HTTP/1.1`;
  const head = Buffer.from(`${requestLine}\r\n${h.join("\r\n")}\r\n\r\n`, "latin1");
  // Sometimes in pieces, as a slow or fragmented client would send it.
  const all = Buffer.concat([head, b]);
  const chunks = g.chance(0.05) ? [all.subarray(0, Math.floor(all.length / 3)), all.subarray(Math.floor(all.length / 3))] : [all];
  const holds = (path.startsWith("/messages/stream") || path.startsWith("/messages/poll")) && (method === "GET" || method === "HEAD");
  return { n, chunks, method, path, holds, short };
}

/** What is wrong with an answer, or undefined when it is a documented one. */
function judge(c: Case, a: RawAnswer): string | undefined {
  if (a.silent) {
    if (c.holds) return undefined; // a valid stream or poll may say nothing yet (SSE sends headers at once, though)
    return `no answer${a.error ? ` (${a.error})` : ""}`;
  }
  if (a.status === 500 || a.status >= 501) return `status ${a.status}`;
  if (!a.status) return `unparseable status line ${JSON.stringify(a.statusLine.slice(0, 80))}`;
  const text = a.body.toString("latin1");
  for (const re of LEAKS) if (re.test(text)) return `leak ${re} in ${JSON.stringify(text.slice(0, 200))}`;
  for (const [s, what] of SECRETS) if (text.includes(s!)) return `served ${what}`;
  if (a.status >= 200 && a.status < 300) {
    const type = a.headers["content-type"] ?? "";
    if (type.startsWith("text/event-stream")) return undefined;
    if (type.startsWith("application/json") || type.startsWith("text/plain") || type.startsWith("image/svg")) return undefined;
    if (a.status === 204) return undefined;
    // anything else must be one of public/'s files, byte for byte (or a HEAD with no body)
    if (c.method === "HEAD" && a.body.length === 0) return undefined;
    if (!publicBodies.has(text)) return `2xx ${type} body that is not a file of public/: ${JSON.stringify(text.slice(0, 80))}`;
    return undefined;
  }
  if (c.method === "HEAD" && a.body.length === 0) return undefined;
  const type = a.headers["content-type"] ?? "";
  if (!type.startsWith("application/json")) return `${a.status} with content-type ${JSON.stringify(type)}: ${JSON.stringify(text.slice(0, 120))}`;
  let e: { error?: { code?: unknown; message?: unknown } };
  try {
    e = JSON.parse(a.body.toString("utf8"));
  } catch {
    return `${a.status} body is not JSON: ${JSON.stringify(text.slice(0, 120))}`;
  }
  const code = e.error?.code;
  if (typeof code !== "string" || typeof e.error?.message !== "string") return `${a.status} without {error:{code,message}}: ${text.slice(0, 120)}`;
  if (!codes.has(code)) return `undocumented code ${code}`;
  if (codes.get(code) !== a.status) return `${code} with status ${a.status} (README says ${codes.get(code)})`;
  if (a.status === 429 || code === "TOO_MANY_CONNECTIONS") if (!a.headers["retry-after"]) return `${code} without Retry-After`;
  return undefined;
}

describe("fuzz", () => {
  it(`${REQUESTS} seeded random requests (seed ${SEED.toString(16)}): only documented answers, nothing outside public/, the room still works`, async () => {
    // A few real participants, so token paths are reached.
    for (const name of ["fuzz-a", "fuzz-b", "fuzz-c"]) {
      const r = await room.api("/join", { method: "POST", json: { name } });
      tokens.push(((await r.json()) as { token: string }).token);
    }
    // A reader for the whole pass: every accepted message must reach it byte for byte.
    const reader = await openStream(`${room.url}/messages/stream?password=${encodeURIComponent(room.password)}`, { "last-event-id": "0" });
    const streamed = new Map<number, string>();
    const reading = (async () => {
      for (let e; (e = await reader.next(120_000).catch(() => undefined)); ) if (e.event === "message") streamed.set(Number(e.id), e.data);
    })();
    const accepted = new Map<number, string>();
    const g = rng(SEED);
    const cases = Array.from({ length: REQUESTS }, (_, n) => makeCase(g, n));
    const problems: string[] = [];
    const byStatus = new Map<number, number>();
    const byCode = new Map<string, number>();
    let next = 0;
    const worker = async () => {
      while (next < cases.length) {
        const c = cases[next++]!;
        const a = await rawRequest(room.port, c.chunks, {
          // A stream or a held poll may rightly say nothing: 1.5 s of it is enough. Every other case is answered (the
          // short-bodied ones with 408 after the 2-s request deadline) and ends the read at once; its deadline is a
          // net, since running out means "no answer" (a failure) — 5-6 s was one a busy machine could miss.
          deadlineMs: c.holds ? 1500 : 30_000,
          gapMs: c.chunks.length > 1 ? 20 : 0,
          headersOnly: c.holds,
        });
        byStatus.set(a.status, (byStatus.get(a.status) ?? 0) + 1);
        if (a.status >= 400 && a.body.length) {
          try {
            const code = JSON.parse(a.body.toString("utf8")).error.code as string;
            byCode.set(code, (byCode.get(code) ?? 0) + 1);
          } catch {
            /* judged below */
          }
        }
        if (a.status === 201 && c.path.startsWith("/messages")) {
          const m = JSON.parse(a.body.toString("utf8")).message;
          accepted.set(m.id, JSON.stringify(m));
        }
        if (process.env.FUZZ_DEBUG && (c.method + " " + c.path).startsWith(process.env.FUZZ_DEBUG)) console.log(c.n, c.chunks[0]!.toString("latin1").slice(0, 300).replace(/\r\n/g, " | "), "=>", a.body.toString().slice(0, 150));
        const p = judge(c, a);
        if (p && problems.length < 20) problems.push(`#${c.n} ${c.method} ${c.path.slice(0, 100)}: ${p}`);
      }
    };
    await Promise.all(Array.from({ length: CONCURRENCY }, worker));
    console.log(`[robustness] fuzz: ${REQUESTS} requests; statuses ${JSON.stringify(Object.fromEntries([...byStatus].sort()))}; codes ${JSON.stringify(Object.fromEntries([...byCode].sort()))}`);
    expect(problems).toEqual([]);
    const lastAccepted = Math.max(0, ...accepted.keys());
    await until(() => streamed.has(lastAccepted), (seen) => seen, 30_000, "the last accepted post on the stream").catch(() => {}); // then compare what arrived
    const garbled = [...accepted].filter(([id, json]) => streamed.get(id) !== json);
    expect(garbled.slice(0, 3), `${garbled.length} of ${accepted.size} accepted messages differ on the stream`).toEqual([]);
    expect(accepted.size, "accepted posts in the pass").toBeGreaterThan(50);
    reader.close();
    await reading;
    expect(logs.filter((l) => /internal error/i.test(l))).toEqual([]);
    expect(byStatus.get(500) ?? 0).toBe(0);

    // The room still works: health, a post (as a human, in case the fuzz paused agents), and its delivery.
    expect((await fetch(room.url + "/health")).status).toBe(200);
    const s = await openStream(`${room.url}/messages/stream?password=${pct(room.password)}`);
    const res = await room.api("/messages", { method: "POST", json: { agent: "after-fuzz", text: "still standing", kind: "human" } });
    expect(res.status).toBe(201);
    const got = await s.messages(2).catch(async () => []);
    expect(got.map((m) => m.text)).toContain("still standing");
    s.close();
  }, 90_000);
});

describe("protocol edges", () => {
  // Each a request a real client, proxy or scanner sends; each must get a documented answer.
  const cases: [string, string][] = [
    ["HTTP/1.1 without Host", "GET /health HTTP/1.1\r\nConnection: close\r\n\r\n"],
    ["HTTP/1.0 without Host", "GET /health HTTP/1.0\r\n\r\n"],
    ["absolute-form target", "GET http://evil.example/package.json HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"],
    ["asterisk target", "OPTIONS * HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"],
    ["unknown method", "BREW /health HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"],
    ["header too large", `GET /health HTTP/1.1\r\nHost: x\r\nX-Big: ${"b".repeat(20_000)}\r\nConnection: close\r\n\r\n`],
    ["bare LF line ends", "GET /health HTTP/1.1\nHost: x\nConnection: close\n\n"],
    ["NUL in the path", "GET /index.html\u0000.txt HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"],
    ["smuggling: CL and TE", "POST /messages HTTP/1.1\r\nHost: x\r\nContent-Length: 4\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n0\r\n\r\nGET /room HTTP/1.1\r\nHost: x\r\n\r\n"],
    ["websocket upgrade", "GET /messages/stream HTTP/1.1\r\nHost: x\r\nConnection: Upgrade\r\nUpgrade: websocket\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n"],
    ["HTTP/2 preface", "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"],
    ["TLS hello on the plain port", "\u0016\u0003\u0001\u0002\u0000\u0001\u0000\u0001\u00fc\u0003\u0003"],
  ];
  for (const [what, bytes] of cases) {
    it(`${what}: a documented answer (JSON error or 2xx), no stack trace`, async () => {
      const a = await rawRequest(room.port, [Buffer.from(bytes, "latin1")], { deadlineMs: 4000 });
      const p = a.silent ? "no answer" : judge({ n: 0, chunks: [], method: "GET", path: "", holds: false, short: false }, a);
      expect(p, `${a.statusLine} ${a.body.toString("latin1").slice(0, 200)}`).toBeUndefined();
      expect((await fetch(room.url + "/health")).status).toBe(200);
    });
  }
});

describe("names built to impersonate", () => {
  it("a name with bidi controls cannot pose as a joined participant (\\u202E + 'ecila' shows as 'alice')", async () => {
    const r = await startTestRoom();
    try {
      expect((await r.api("/join", { method: "POST", json: { name: "alice" } })).status).toBe(201);
      for (const name of ["\u202Eecila", "\u202Dalice", "\u2066alice", "ali\u200Fce", "\u061Calice"]) {
        const res = await r.api("/join", { method: "POST", json: { name } });
        // either refused as a bad name, or recognised as the held name "alice"
        expect([400, 409], JSON.stringify(name)).toContain(res.status);
        const post = await r.api("/messages", { method: "POST", json: { agent: name, text: "I am alice" } });
        expect([400, 409], `password post as ${JSON.stringify(name)}`).toContain(post.status);
      }
    } finally {
      await r.close();
    }
  });
});
