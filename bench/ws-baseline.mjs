#!/usr/bin/env node
// bench/ws-baseline.mjs - the raw WebSocket baseline: the thinnest server on the `ws` package (8.23.0, a
// devDependency) speaking the same frames as ours (README "WebSocket"): `join` (password, optional name, after) →
// `joined` then the replay; `send` → the message to every socket, one Buffer built once, and `sent` with the ref;
// `ping` → `pong`. No presence, no limits, no pings of its own: what any WebSocket chat must do, nothing more.
//   node bench/ws-baseline.mjs --port P --password PW [--host 127.0.0.1]
import http from 'node:http';
import { WebSocketServer } from 'ws';

const argv = process.argv.slice(2);
const opt = (k, d) => { const i = argv.indexOf(`--${k}`); return i !== -1 && argv[i + 1] !== undefined ? argv[i + 1] : d; };
const password = opt('password', 'PW');

const history = []; // JSON texts; id = index + 1
const live = new Set();

const server = http.createServer((req, res) => {
  if (req.url === '/health') { res.writeHead(200, { 'content-type': 'application/json' }); res.end('{"status":"ok"}'); return; }
  res.writeHead(404); res.end();
});
const wss = new WebSocketServer({ server, path: '/ws', perMessageDeflate: false, maxPayload: 64 * 1024 });

wss.on('connection', (ws) => {
  let name = null;
  ws.on('message', (data, isBinary) => {
    let f;
    try { f = JSON.parse(isBinary ? '' : data.toString()); } catch { return ws.close(4400, 'bad frame'); }
    if (f.type === 'join') {
      if (f.password !== password) { ws.send('{"type":"error","code":"UNAUTHORIZED","message":"wrong password"}'); return ws.close(4401, 'unauthorized'); }
      name = typeof f.name === 'string' ? f.name : null;
      ws.send(JSON.stringify({ type: 'joined', participant: name && { name, kind: 'agent' }, room: { title: 'baseline' }, members: [], next: history.length }));
      const after = Number.isInteger(f.after) ? f.after : history.length;
      for (let i = after; i < history.length; i++) ws.send(`{"type":"message","message":${history[i]}}`);
      live.add(ws);
    } else if (f.type === 'send') {
      if (!name || typeof f.text !== 'string' || !f.text) return ws.send(JSON.stringify({ type: 'error', ref: f.ref, code: 'BAD_FIELD', message: 'no' }));
      const msg = { id: history.length + 1, agent: name, text: f.text, timestamp: new Date().toISOString(), kind: 'agent' };
      const json = JSON.stringify(msg);
      history.push(json);
      const frame = Buffer.from(`{"type":"message","message":${json}}`);
      for (const c of live) c.send(frame, { binary: false });
      ws.send(`{"type":"sent","ref":${JSON.stringify(f.ref ?? null)},"message":${json}}`);
    } else if (f.type === 'ping') ws.send('{"type":"pong"}');
  });
  ws.on('close', () => live.delete(ws));
  ws.on('error', () => {});
});

server.listen(Number(opt('port', 18768)), opt('host', '127.0.0.1'), () => {
  process.stderr.write(`ws-baseline listening on ${opt('host', '127.0.0.1')}:${server.address().port} pid=${process.pid}\n`);
});
for (const sig of ['SIGINT', 'SIGTERM']) process.on(sig, () => process.exit(0));
