'use strict';
// The demo's signaling relay: a WebSocket server (npm ws) on 127.0.0.1 with
// an ephemeral port. Peers connect to ws://127.0.0.1:PORT/?room=NAME&role=R,
// R being sender or receiver: each room has those two roles. Every JSON
// message a peer sends goes to the other role of its room, in order; those
// sent before the other side connected wait for it. Once both roles are
// there, each gets {"type":"peer","role":<the other>,"present":true}; when
// one disconnects, the other gets {"type":"peer","role":...,"present":false,
// "done":<whether it had said done>}. A peer says {"type":"done"} when it is
// finished; the relay exits once both roles of every room it has seen are
// done (or disconnected), after --timeout, or on SIGINT/SIGTERM/SIGHUP.
//
// The same port serves, over HTTP, the page of the Chromium receiver
// (browser/index.html, browser/receiver.js, session.js): an http://127.0.0.1
// page is a secure context, as WebRTC wants.
//
//   node demo/relay.js [--timeout MS] [--exit-with-stdin]
//
// --exit-with-stdin: also exit when standard input closes (run.js keeps a
// pipe open, so that the relay does not outlive it).
//
// Prints JSON lines on stdout: {"type":"listening","port":N,"url":...} once
// it listens, {"type":"relay",...} counts when it exits.

const fs = require('node:fs');
const http = require('node:http');
const path = require('node:path');
const {parseArgs} = require('node:util');
const {WebSocketServer} = require('ws');

const {exitWithStdin} = require('./orphan.js');

const ROLES = ['sender', 'receiver'];
const OTHER = {sender: 'receiver', receiver: 'sender'};

// What the HTTP side serves: these files and nothing else.
const STATIC = {
  '/': ['browser/index.html', 'text/html; charset=utf-8'],
  '/receiver.js': ['browser/receiver.js', 'text/javascript; charset=utf-8'],
  '/session.js': ['session.js', 'text/javascript; charset=utf-8'],
};

function emit(event) {
  process.stdout.write(`${JSON.stringify(event)}\n`);
}

// Starts the relay; resolves to {port, close(), done} where `done` resolves
// when every room is finished.
function startRelay({host = '127.0.0.1', port = 0, log = () => {}} = {}) {
  const rooms = new Map();
  const counts = {connections: 0, forwarded: 0, queued: 0, bytes: 0, refused: 0};
  let resolveDone;
  const done = new Promise((resolve) => {
    resolveDone = resolve;
  });

  const room = (name) => {
    if (!rooms.has(name)) {
      const r = {};
      for (const role of ROLES) r[role] = {ws: null, queue: [], joined: false, finished: false};
      rooms.set(name, r);
    }
    return rooms.get(name);
  };
  const checkFinished = () => {
    for (const r of rooms.values()) {
      if (!ROLES.every((role) => r[role].finished)) return;
    }
    if (rooms.size > 0) resolveDone(counts);
  };

  const server = http.createServer((req, res) => {
    const url = new URL(req.url, 'http://relay');
    const entry = req.method === 'GET' && STATIC[url.pathname];
    if (url.pathname === '/favicon.ico') {
      res.writeHead(204);
      res.end();
      return;
    }
    if (!entry) {
      res.writeHead(404, {'Content-Type': 'text/plain'});
      res.end('not found\n');
      return;
    }
    res.writeHead(200, {'Content-Type': entry[1], 'Cache-Control': 'no-store'});
    res.end(fs.readFileSync(path.join(__dirname, entry[0])));
  });
  const wss = new WebSocketServer({server});

  wss.on('connection', (ws, req) => {
    const url = new URL(req.url, 'http://relay');
    const roomName = url.searchParams.get('room') || 'demo';
    const role = url.searchParams.get('role');
    if (!ROLES.includes(role)) {
      counts.refused++;
      ws.close(4000, 'role must be sender or receiver');
      return;
    }
    const r = room(roomName);
    const me = r[role];
    if (me.joined) {
      counts.refused++;
      ws.close(4001, `room ${roomName} already has a ${role}`);
      return;
    }
    counts.connections++;
    me.ws = ws;
    me.joined = true;
    log(`${roomName}/${role} connected`);
    // Each side learns when the other is there (the sender waits for it
    // before it starts, so that the timeline does not include the time the
    // receiver takes to start, as Chromium does).
    const other = r[OTHER[role]];
    const presence = (who) => JSON.stringify({type: 'peer', role: who, present: true});
    if (other.ws) {
      other.ws.send(presence(role));
      ws.send(presence(OTHER[role]));
    }
    // What the other side sent before this one came.
    for (const text of me.queue) ws.send(text);
    me.queue = [];

    ws.on('message', (data, isBinary) => {
      let msg;
      try {
        if (isBinary) throw new Error('binary');
        msg = JSON.parse(String(data));
      } catch (error) {
        ws.close(1003, 'JSON text messages only');
        return;
      }
      if (msg && msg.type === 'done') {
        me.finished = true;
        log(`${roomName}/${role} done`);
        checkFinished();
        return;
      }
      const text = String(data);
      counts.bytes += text.length;
      if (other.ws && other.ws.readyState === other.ws.OPEN) {
        other.ws.send(text);
        counts.forwarded++;
      } else if (!other.joined) {
        other.queue.push(text);
        counts.queued++;
      }
    });
    ws.on('close', () => {
      me.ws = null;
      // The other side learns that this one left, done or not.
      if (other.ws && other.ws.readyState === other.ws.OPEN) {
        other.ws.send(JSON.stringify({type: 'peer', role, present: false, done: me.finished}));
      }
      me.finished = true;
      log(`${roomName}/${role} disconnected`);
      checkFinished();
    });
  });

  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      resolve({
        port: server.address().port,
        host,
        counts,
        done,
        close() {
          for (const client of wss.clients) client.terminate();
          wss.close();
          const closed = new Promise((r) => server.close(() => r()));
          // Keep-alive HTTP connections (the Chromium page's) too.
          server.closeAllConnections();
          return closed;
        },
      });
    });
  });
}

async function main() {
  const {values} = parseArgs({
    options: {
      'timeout': {type: 'string', default: '180000'},
      'exit-with-stdin': {type: 'boolean', default: false},
    },
  });
  const relay = await startRelay({log: (text) => process.stderr.write(`relay: ${text}\n`)});
  emit({type: 'listening', port: relay.port, url: `ws://127.0.0.1:${relay.port}/`, page: `http://127.0.0.1:${relay.port}/`});
  const timedOut = new Promise((resolve) => setTimeout(() => resolve(null), Number(values.timeout)).unref());
  const orphaned = new Promise((resolve) => {
    if (values['exit-with-stdin']) exitWithStdin(() => resolve(null));
    for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP']) process.on(signal, () => resolve(null));
  });
  const counts = await Promise.race([relay.done, timedOut, orphaned]);
  emit({type: 'relay', finished: counts !== null, ...relay.counts});
  await relay.close();
  process.exit(counts !== null ? 0 : 1);
}

if (require.main === module) {
  main().catch((error) => {
    process.stderr.write(`relay: ${error.stack}\n`);
    process.exit(1);
  });
}

module.exports = {startRelay};
