// --help is read by agents deciding which flag to use: every command's text is locked here. A change to a flag or
// its description shows up as a diff of these snapshots (update with `npx vitest run test/cli/help.test.ts -u`).
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { run } from "./helpers.js";

const home = mkdtempSync(join(tmpdir(), "agent-chat-help-"));
const help = async (...args: string[]) => {
  const r = await run([...args, "--help"], { home });
  expect(r.code).toBe(0);
  expect(r.stderr).toBe("");
  expect(r.stdout).not.toMatch(/\u001b\[|[ \t]$/m); // no colours, no trailing blanks
  return r.stdout;
};

describe("--help", () => {
  it("agent-chat", async () => {
    expect(await help()).toMatchInlineSnapshot(`
      "agent-chat: ephemeral, password-protected chat rooms for AI agents and the humans behind them

      Usage: agent-chat <command> [flags]

      Commands:
        serve     host a room: prints its URLs, password, QR code, host link and the instruction block
        stop      stop a room served from this machine (e.g. one started with serve --detach)
        join      join a room under a name, print the recent messages and the next commands
        send      send one message to the room (text as argument, --message, or stdin)
        read      print the messages since your last read or wait, and mark them read
        wait      wait for new messages (up to --timeout seconds), print them and mark them read
        listen    stream messages to stdout until stopped (Ctrl-C); reconnects and resumes without loss
        who       list who is in the room, online first
        invite    print the room's instruction block, to paste to another agent
        leave     leave the room (frees your name) and forget it on this machine
        kick      host only: remove a participant from the room and bar its name
        password  host only: rotate the room password (--rotate); people already in carry on
        pause     host only: pause agents (their messages are refused until resume)
        resume    host only: let agents talk again (after pause or the loop guard)
        title     host only: change the room's title
        rooms     host only: list the server's rooms, create one (prints its invite), or close one
        keys      host only: mint an invite key per agent (prints its invite block), list keys, or revoke one
        mcp       run a stdio MCP server (tools: join, send, read, wait, who) for Claude Code and other MCP clients
        notify    unread messages and @mentions since your last read, without marking them read (for prompts, hooks, status lines)
        status    check the room connection and your credentials, and say exactly what is wrong
        id        show, export or import this machine's key for an agent name (its fingerprint identifies you in every room)
        verify    check a transcript's signatures and order offline: per message signed, unsigned or tampered

      Flags:
        -h, --help  Show this help

      Examples:
        agent-chat serve --tunnel                 # host a room; prints URLs, password, QR code and the invite
        AGENT_CHAT_PASSWORD=PW agent-chat join --url URL --name alice-bot
        agent-chat send --name alice-bot "hello @bob"   # also shows what arrived unread
        agent-chat wait --name alice-bot          # up to 50 s for new messages; an empty answer is normal
        agent-chat leave --name alice-bot         # when you are done

      Run \`agent-chat <command> --help\` for a command's flags.
      "
    `);
  });
  it("serve", async () => {
    expect(await help("serve")).toMatchInlineSnapshot(`
      "agent-chat serve: host a room: prints its URLs, password, QR code, host link and the instruction block

      Usage: agent-chat serve [flags]

      Flags:
        --port <port>                 Port to listen on; 0 picks a free one, e.g. --port 9000 (default 8765)
        --host <address>              Address to bind, e.g. --host 127.0.0.1 for this machine only (default 0.0.0.0: LAN too)
        --password <password>         Room password, e.g. --password 'correct horse' (default: a generated one, printed)
        --name <title>                Room title, e.g. --name "Release planning" (default agent-chat)
        --tunnel <cloudflared|ngrok>  Also open a public URL, e.g. --tunnel or --tunnel ngrok (bare --tunnel: cloudflared; ngrok needs NGROK_AUTHTOKEN)
        --cloudflared <path>          The cloudflared binary, e.g. --cloudflared ~/bin/cloudflared (default: $AGENT_CHAT_CLOUDFLARED, then PATH, then the copy in ~/.agent-chat/bin)
        --install-cloudflared         Download cloudflared into ~/.agent-chat/bin if it is missing, even without a terminal (agents, scripts, --detach); --no-install-cloudflared never
        --history <n>                 Messages kept in memory, e.g. --history 1000 (default 10000)
        --max-text <bytes>            Longest message text, e.g. --max-text 8192 (default 32768)
        --max-body <bytes>            Largest request body, e.g. --max-body 131072 (default 65536)
        --rate-limit <n>              Messages per sender per minute; 0 turns it off, e.g. --rate-limit 120 (default 60)
        --loop-guard <n>              Agent messages in a row, with no human one, before agents are paused; 0 off, e.g. --loop-guard 100 (default 50)
        --max-connections <n>         Open connections before new ones are refused, e.g. --max-connections 2000 (default 10000)
        --auth-fail-limit <n>         Wrong passwords per address per minute, e.g. --auth-fail-limit 5 (default 10)
        --max-rooms <n>               Rooms this server may hold, the first one included, e.g. --max-rooms 20 (default 100)
        --max-members <n>             Participants per room, e.g. --max-members 50 (default 1000)
        --history-bytes <bytes>       Memory the kept messages may take per room, e.g. --history-bytes 16777216 (default 67108864)
        --join-limit <n>              Joins per minute per address and per key (10x that per room); 0 off, e.g. --join-limit 120 (default 60)
        --ws-frame-limit <n>          Frames per second one WebSocket may send (twice that as a burst), e.g. --ws-frame-limit 50 (default 20)
        --max-keys <n>                Invite keys per room, revoked ones included, e.g. --max-keys 20 (default 200)
        --redis <url>                 Keep rooms in Redis, shared by every instance given the same URL, e.g. --redis redis://127.0.0.1:6379 (default: $AGENT_CHAT_REDIS, else in memory)
        --public-url <url>            The URL people reach this server by (a load balancer in front), named by the invite, e.g. --public-url https://chat.example.org (default: $AGENT_CHAT_PUBLIC_URL, else the tunnel's, LAN or local URL)
        --verify-threads <n>          Worker threads that check message signatures; 0 checks them on the main thread, e.g. --verify-threads 0 (default: cores - 1)
        --require-identity            Admit only agents with a key: joins prove one, every message is signed, e.g. --require-identity (README "Known agents")
        --qr                          Print the QR code (on stderr) even when stderr is not a terminal, e.g. --qr; --no-qr never
        --json                        Print one JSON line (URLs, password, host token, invite…) on stdout instead of the banner, e.g. --json
        --detach                      Run the room in the background, print its details and exit; stop it with agent-chat stop, e.g. --detach
        -h, --help                    Show this help

      Examples:
        agent-chat serve
        agent-chat serve --tunnel --name "Release planning"
        agent-chat serve --detach --json        # for agents: returns at once; agent-chat stop ends it
        agent-chat serve --port 0 --host 127.0.0.1 --password pw --rate-limit 0
      "
    `);
  });
  it("stop", async () => {
    expect(await help("stop")).toMatchInlineSnapshot(`
      "agent-chat stop: stop a room served from this machine (e.g. one started with serve --detach)

      Usage: agent-chat stop [flags]

      Flags:
        --port <port>  Which room, when several run here, e.g. --port 8765
        --url <url>    Which room, by any of its URLs, e.g. --url http://127.0.0.1:8765
        --all          Stop every room served from this machine, e.g. --all
        --json         One JSON object per stopped room, e.g. --json
        -h, --help     Show this help

      Examples:
        agent-chat stop
        agent-chat stop --port 9000
        agent-chat stop --all
      "
    `);
  });
  it("join", async () => {
    expect(await help("join")).toMatchInlineSnapshot(`
      "agent-chat join: join a room under a name, print the recent messages and the next commands

      Usage: agent-chat join [flags] [LINK]

      Arguments:
        LINK  The invite link, e.g. 'https://x.trycloudflare.com/r/k3x9q2m7pa#key=ak_…' (quote it; instead of --url and --key)

      Flags:
        --url <url>                  Room URL from the invite, e.g. --url http://192.168.1.5:8765 (env AGENT_CHAT_URL; default: the room you joined)
        --room <id>                  Which room of the server, e.g. --room k3x9q2m7pa (env AGENT_CHAT_ROOM; or a URL ending in /r/<id>; default: the server's first room)
        --password <password>        Room password, e.g. --password abcd-efgh-jkmn-pqrs (env AGENT_CHAT_PASSWORD; saved by join)
        --name, --agent-name <name>  Your name in the room, e.g. --name alice-bot (env AGENT_CHAT_NAME); join saves it: give it on every command so each acts as you
        --json                       One JSON object per line on stdout, e.g. --json
        --key <ak_…>                 Invite key from the host, e.g. --key ak_… (env AGENT_CHAT_KEY; the key is your identity: no password needed)
        --kind <agent|human>         What you are, e.g. --kind human (default: agent; human with --follow in a terminal)
        --follow                     Stay attached: print messages as they come, send each line you type, e.g. --follow
        --share                      Act as a name another running agent on this machine joined (same read position), e.g. --share (env AGENT_CHAT_SHARE=1)
        -h, --help                   Show this help

      Examples:
        agent-chat join --url http://192.168.1.5:8765 --name alice-bot     # password from AGENT_CHAT_PASSWORD
        agent-chat join 'http://192.168.1.5:8765/r/k3x9q2m7pa#key=ak_…'    # an invite link with a key (and its name)
        agent-chat join --url http://192.168.1.5:8765 --room k3x9q2m7pa --key ak_… --name bob
        agent-chat join --name bob --kind human --follow
        AGENT_CHAT_URL=http://127.0.0.1:8765 AGENT_CHAT_PASSWORD=pw agent-chat join --name carol-bot --json
      "
    `);
  });
  it("send", async () => {
    expect(await help("send")).toMatchInlineSnapshot(`
      "agent-chat send: send one message to the room (text as argument, --message, or stdin)

      Usage: agent-chat send [flags] [TEXT]

      Arguments:
        TEXT  The message, e.g. "hello @bob" (quote it)

      Flags:
        --url <url>                  Room URL from the invite, e.g. --url http://192.168.1.5:8765 (env AGENT_CHAT_URL; default: the room you joined)
        --room <id>                  Which room of the server, e.g. --room k3x9q2m7pa (env AGENT_CHAT_ROOM; or a URL ending in /r/<id>; default: the server's first room)
        --password <password>        Room password, e.g. --password abcd-efgh-jkmn-pqrs (env AGENT_CHAT_PASSWORD; saved by join)
        --name, --agent-name <name>  Your name in the room, e.g. --name alice-bot (env AGENT_CHAT_NAME); join saves it: give it on every command so each acts as you
        --json                       One JSON object per line on stdout, e.g. --json
        -m, --message <text>         The message, e.g. -m "hello @bob" (instead of the argument)
        --reply-to <id>              Id of the message you answer, e.g. --reply-to 42
        --to <name>                  Private: only this participant (and you) will see it, e.g. --to bob (needs a joined token or key)
        --if-caught-up               Send only if nothing from others waits unread; else print those messages (marked read), send nothing and exit 6, e.g. --if-caught-up
        -h, --help                   Show this help

      Examples:
        agent-chat send "hello @bob"
        agent-chat send --if-caught-up "I take the tests"   # exit 6 and the news when someone wrote first
        agent-chat send -m 'done: see #41' --reply-to 41
        agent-chat send --to bob "just between us"
        git diff --stat | agent-chat send
        agent-chat send --name alice-bot "hi"
      "
    `);
  });
  it("read", async () => {
    expect(await help("read")).toMatchInlineSnapshot(`
      "agent-chat read: print the messages since your last read or wait, and mark them read

      Usage: agent-chat read [flags]

      Flags:
        --url <url>                  Room URL from the invite, e.g. --url http://192.168.1.5:8765 (env AGENT_CHAT_URL; default: the room you joined)
        --room <id>                  Which room of the server, e.g. --room k3x9q2m7pa (env AGENT_CHAT_ROOM; or a URL ending in /r/<id>; default: the server's first room)
        --password <password>        Room password, e.g. --password abcd-efgh-jkmn-pqrs (env AGENT_CHAT_PASSWORD; saved by join)
        --name, --agent-name <name>  Your name in the room, e.g. --name alice-bot (env AGENT_CHAT_NAME); join saves it: give it on every command so each acts as you
        --json                       One JSON object per line on stdout, e.g. --json
        --peek                       Do not mark them read, e.g. --peek
        --last <n>                   The last N messages of the room, read or not (yours included), e.g. --last 20
        --limit <n>                  At most N messages per read, e.g. --limit 20 (default 100)
        --transcript                 Print the room's whole history as one verifiable JSON transcript (cursor unchanged), e.g. --transcript > t.json
        -h, --help                   Show this help

      Examples:
        agent-chat read
        agent-chat read --peek
        agent-chat read --last 20
        agent-chat read --name alice-bot --json
        agent-chat read --transcript > t.json   # then: agent-chat verify t.json
      "
    `);
  });
  it("wait", async () => {
    expect(await help("wait")).toMatchInlineSnapshot(`
      "agent-chat wait: wait for new messages (up to --timeout seconds), print them and mark them read

      Usage: agent-chat wait [flags]

      Flags:
        --url <url>                  Room URL from the invite, e.g. --url http://192.168.1.5:8765 (env AGENT_CHAT_URL; default: the room you joined)
        --room <id>                  Which room of the server, e.g. --room k3x9q2m7pa (env AGENT_CHAT_ROOM; or a URL ending in /r/<id>; default: the server's first room)
        --password <password>        Room password, e.g. --password abcd-efgh-jkmn-pqrs (env AGENT_CHAT_PASSWORD; saved by join)
        --name, --agent-name <name>  Your name in the room, e.g. --name alice-bot (env AGENT_CHAT_NAME); join saves it: give it on every command so each acts as you
        --json                       One JSON object per line on stdout, e.g. --json
        --timeout <seconds>          Give up after this many seconds, e.g. --timeout 100 (default 50; an empty answer is normal: wait again)
        --mention                    Wake only for messages that @mention you or @all (others are marked read and counted), e.g. --mention
        -h, --help                   Show this help

      Examples:
        agent-chat wait
        agent-chat wait --timeout 100
        agent-chat wait --mention
        agent-chat wait --name alice-bot --json
      "
    `);
  });
  it("listen", async () => {
    expect(await help("listen")).toMatchInlineSnapshot(`
      "agent-chat listen: stream messages to stdout until stopped (Ctrl-C); reconnects and resumes without loss

      Usage: agent-chat listen [flags]

      Flags:
        --url <url>                  Room URL from the invite, e.g. --url http://192.168.1.5:8765 (env AGENT_CHAT_URL; default: the room you joined)
        --room <id>                  Which room of the server, e.g. --room k3x9q2m7pa (env AGENT_CHAT_ROOM; or a URL ending in /r/<id>; default: the server's first room)
        --password <password>        Room password, e.g. --password abcd-efgh-jkmn-pqrs (env AGENT_CHAT_PASSWORD; saved by join)
        --name, --agent-name <name>  Your name in the room, e.g. --name alice-bot (env AGENT_CHAT_NAME); join saves it: give it on every command so each acts as you
        --json                       One JSON object per line on stdout, e.g. --json
        --after <id>                 Start after this message id instead of now, e.g. --after 0 (the whole history)
        --poll                       Use long-poll from the start instead of streaming, e.g. --poll
        -h, --help                   Show this help

      Examples:
        agent-chat listen
        agent-chat listen --after 0 --json > room.jsonl
        agent-chat listen --url http://127.0.0.1:8765 --password pw --poll
      "
    `);
  });
  it("who", async () => {
    expect(await help("who")).toMatchInlineSnapshot(`
      "agent-chat who: list who is in the room, online first

      Usage: agent-chat who [flags]

      Flags:
        --url <url>                  Room URL from the invite, e.g. --url http://192.168.1.5:8765 (env AGENT_CHAT_URL; default: the room you joined)
        --room <id>                  Which room of the server, e.g. --room k3x9q2m7pa (env AGENT_CHAT_ROOM; or a URL ending in /r/<id>; default: the server's first room)
        --password <password>        Room password, e.g. --password abcd-efgh-jkmn-pqrs (env AGENT_CHAT_PASSWORD; saved by join)
        --name, --agent-name <name>  Your name in the room, e.g. --name alice-bot (env AGENT_CHAT_NAME); join saves it: give it on every command so each acts as you
        --json                       One JSON object per line on stdout, e.g. --json
        -h, --help                   Show this help

      Examples:
        agent-chat who
        agent-chat who --json
      "
    `);
  });
  it("invite", async () => {
    expect(await help("invite")).toMatchInlineSnapshot(`
      "agent-chat invite: print the room's instruction block, to paste to another agent

      Usage: agent-chat invite [flags]

      Flags:
        --url <url>                  Room URL from the invite, e.g. --url http://192.168.1.5:8765 (env AGENT_CHAT_URL; default: the room you joined)
        --room <id>                  Which room of the server, e.g. --room k3x9q2m7pa (env AGENT_CHAT_ROOM; or a URL ending in /r/<id>; default: the server's first room)
        --password <password>        Room password, e.g. --password abcd-efgh-jkmn-pqrs (env AGENT_CHAT_PASSWORD; saved by join)
        --name, --agent-name <name>  Your name in the room, e.g. --name alice-bot (env AGENT_CHAT_NAME); join saves it: give it on every command so each acts as you
        --json                       One JSON object per line on stdout, e.g. --json
        -h, --help                   Show this help

      Examples:
        agent-chat invite
        agent-chat invite --url http://127.0.0.1:8765 --password pw
        agent-chat invite --json
      "
    `);
  });
  it("leave", async () => {
    expect(await help("leave")).toMatchInlineSnapshot(`
      "agent-chat leave: leave the room (frees your name) and forget it on this machine

      Usage: agent-chat leave [flags]

      Flags:
        --url <url>                  Room URL from the invite, e.g. --url http://192.168.1.5:8765 (env AGENT_CHAT_URL; default: the room you joined)
        --room <id>                  Which room of the server, e.g. --room k3x9q2m7pa (env AGENT_CHAT_ROOM; or a URL ending in /r/<id>; default: the server's first room)
        --password <password>        Room password, e.g. --password abcd-efgh-jkmn-pqrs (env AGENT_CHAT_PASSWORD; saved by join)
        --name, --agent-name <name>  Your name in the room, e.g. --name alice-bot (env AGENT_CHAT_NAME); join saves it: give it on every command so each acts as you
        --json                       One JSON object per line on stdout, e.g. --json
        -h, --help                   Show this help

      Examples:
        agent-chat leave
        agent-chat leave --name alice-bot
      "
    `);
  });
  it("kick", async () => {
    expect(await help("kick")).toMatchInlineSnapshot(`
      "agent-chat kick: host only: remove a participant from the room and bar its name

      Usage: agent-chat kick [flags] <NAME>

      Arguments:
        NAME  Who to remove, e.g. alice-bot

      Flags:
        --url <url>           Room URL, e.g. --url http://127.0.0.1:8765 (env AGENT_CHAT_URL; default: the room served from this machine)
        --room <id>           Which room of the server, e.g. --room k3x9q2m7pa (env AGENT_CHAT_ROOM; or a URL ending in /r/<id>; default: the server's first room)
        --host-token <token>  Host token printed by serve, e.g. --host-token ach_… (env AGENT_CHAT_HOST_TOKEN; saved by serve on this machine)
        --json                One JSON object on stdout, e.g. --json
        --rotate-password     Also give the room a new password (printed once); people still in carry on, e.g. --rotate-password
        -h, --help            Show this help

      Examples:
        agent-chat kick alice-bot
        agent-chat kick mallory --rotate-password
        agent-chat kick alice-bot --url https://x.trycloudflare.com --host-token ach_…
      "
    `);
  });
  it("pause", async () => {
    expect(await help("pause")).toMatchInlineSnapshot(`
      "agent-chat pause: host only: pause agents (their messages are refused until resume)

      Usage: agent-chat pause [flags]

      Flags:
        --url <url>           Room URL, e.g. --url http://127.0.0.1:8765 (env AGENT_CHAT_URL; default: the room served from this machine)
        --room <id>           Which room of the server, e.g. --room k3x9q2m7pa (env AGENT_CHAT_ROOM; or a URL ending in /r/<id>; default: the server's first room)
        --host-token <token>  Host token printed by serve, e.g. --host-token ach_… (env AGENT_CHAT_HOST_TOKEN; saved by serve on this machine)
        --json                One JSON object on stdout, e.g. --json
        -h, --help            Show this help

      Examples:
        agent-chat pause
        agent-chat pause --url http://127.0.0.1:8765 --host-token ach_…
      "
    `);
  });
  it("resume", async () => {
    expect(await help("resume")).toMatchInlineSnapshot(`
      "agent-chat resume: host only: let agents talk again (after pause or the loop guard)

      Usage: agent-chat resume [flags]

      Flags:
        --url <url>           Room URL, e.g. --url http://127.0.0.1:8765 (env AGENT_CHAT_URL; default: the room served from this machine)
        --room <id>           Which room of the server, e.g. --room k3x9q2m7pa (env AGENT_CHAT_ROOM; or a URL ending in /r/<id>; default: the server's first room)
        --host-token <token>  Host token printed by serve, e.g. --host-token ach_… (env AGENT_CHAT_HOST_TOKEN; saved by serve on this machine)
        --json                One JSON object on stdout, e.g. --json
        -h, --help            Show this help

      Examples:
        agent-chat resume
        agent-chat resume --url http://127.0.0.1:8765 --host-token ach_…
      "
    `);
  });
  it("title", async () => {
    expect(await help("title")).toMatchInlineSnapshot(`
      "agent-chat title: host only: change the room's title

      Usage: agent-chat title [flags] <TITLE>

      Arguments:
        TITLE  The new title, e.g. "Release planning" (quote it)

      Flags:
        --url <url>           Room URL, e.g. --url http://127.0.0.1:8765 (env AGENT_CHAT_URL; default: the room served from this machine)
        --room <id>           Which room of the server, e.g. --room k3x9q2m7pa (env AGENT_CHAT_ROOM; or a URL ending in /r/<id>; default: the server's first room)
        --host-token <token>  Host token printed by serve, e.g. --host-token ach_… (env AGENT_CHAT_HOST_TOKEN; saved by serve on this machine)
        --json                One JSON object on stdout, e.g. --json
        -h, --help            Show this help

      Examples:
        agent-chat title "Release planning"
      "
    `);
  });
  it("rooms", async () => {
    expect(await help("rooms")).toMatchInlineSnapshot(`
      "agent-chat rooms: host only: list the server's rooms, create one (prints its invite), or close one

      Usage: agent-chat rooms [flags] [ACTION] [ARG]

      Arguments:
        ACTION  list (default), create or close
        ARG     create: the title, e.g. "Team B"; close: the room id

      Flags:
        --url <url>            Room URL, e.g. --url http://127.0.0.1:8765 (env AGENT_CHAT_URL; default: the room served from this machine)
        --host-token <token>   Host token printed by serve, e.g. --host-token ach_… (env AGENT_CHAT_HOST_TOKEN; saved by serve on this machine)
        --json                 One JSON object on stdout, e.g. --json
        --password <password>  create: the new room's password, e.g. --password 'team b pw' (default: a generated one)
        --keys-only            create: the room takes invite keys only, never a password, e.g. --keys-only
        -h, --help             Show this help

      Examples:
        agent-chat rooms                                  # id, title, people, messages and URL of each room
        agent-chat rooms create "Team B"                  # prints the new room's URL, password and invite block
        agent-chat rooms create "Reviewers" --keys-only   # then: agent-chat keys mint --room ID --label reviewer
        agent-chat rooms close k3x9q2m7pa
        agent-chat rooms --url https://x.trycloudflare.com --host-token ach_… --json
      "
    `);
  });
  it("keys", async () => {
    expect(await help("keys")).toMatchInlineSnapshot(`
      "agent-chat keys: host only: mint an invite key per agent (prints its invite block), list keys, or revoke one

      Usage: agent-chat keys [flags] [ACTION] [KEYID]

      Arguments:
        ACTION  list (default), mint or revoke
        KEYID   revoke: the key's id (from keys list), e.g. k_3f9a0c12d4e6

      Flags:
        --url <url>           Room URL, e.g. --url http://127.0.0.1:8765 (env AGENT_CHAT_URL; default: the room served from this machine)
        --room <id>           Which room of the server, e.g. --room k3x9q2m7pa (env AGENT_CHAT_ROOM; or a URL ending in /r/<id>; default: the server's first room)
        --host-token <token>  Host token printed by serve, e.g. --host-token ach_… (env AGENT_CHAT_HOST_TOKEN; saved by serve on this machine)
        --json                One JSON object on stdout, e.g. --json
        --label <text>        mint: what the key is for, e.g. --label "reviewer bot"
        --name <name>         mint: fix the participant's name, e.g. --name rev-bot (default: the name given at first use, then pinned)
        --kind <agent|human>  mint: fix the kind, e.g. --kind human (default: given at first use, else agent)
        --uses <n>            mint: how many joins the key allows, e.g. --uses 1 (default: unlimited)
        --expires <duration>  mint: the key stops working after this, e.g. --expires 2h (s, m, h, d; default: never)
        -h, --help            Show this help

      Examples:
        agent-chat keys mint --room k3x9q2m7pa --label "reviewer" --name rev-bot   # paste the printed block into the agent's chat
        agent-chat keys mint --label helper --uses 1 --expires 1h                    # the server's first room
        agent-chat keys --room k3x9q2m7pa                                            # who claimed which key, and when
        agent-chat keys revoke k_3f9a0c12d4e6 --room k3x9q2m7pa                      # cut that agent off now
      "
    `);
  });
  it("every command listed, including ones added later, has plain help with examples", async () => {
    const names = [...(await help()).matchAll(/^ {2}([a-z]+) {2,}/gm)].map((m) => m[1]!);
    expect(names.length).toBeGreaterThanOrEqual(14);
    for (const name of names) expect(await help(name)).toMatch(new RegExp(`^agent-chat ${name}: [\\s\\S]*\\nExamples:\\n[\\s\\S]*agent-chat ${name}\\b`));
  });
  it("-h and help work too; --version prints the package version", async () => {
    expect((await run(["send", "-h"], { home })).stdout).toBe(await help("send"));
    expect((await run(["help"], { home })).stdout).toBe(await help());
    const v = await run(["--version"], { home });
    expect(v.stdout).toMatch(/^\d+\.\d+\.\d+\n$/);
  });
});
