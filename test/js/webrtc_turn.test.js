'use strict';
// TURN through the JS bindings: RTCIceServer entries with turn: URLs and
// credentials, iceTransportPolicy "relay", relayed candidates (their
// relayProtocol, url and hidden raddr), getStats() and icecandidateerror,
// against a real coturn (/usr/bin/turnserver) the suite starts on loopback
// in a temporary folder and stops (and removes) afterwards. Without coturn
// the tests skip. TURN over TLS is covered by the C suites (they make the
// certificates with BoringSSL).

const assert = require('node:assert/strict');
const { spawn } = require('node:child_process');
const dgram = require('node:dgram');
const fs = require('node:fs');
const net = require('node:net');
const os = require('node:os');
const path = require('node:path');
const { test, before, after } = require('node:test');
const { DEEPBIND_SKIP, addonPath } = require('./support.js');

const TURNSERVER = '/usr/bin/turnserver';
const USER = 'rtcbox';
const PASSWORD = 's3cret-pass';
const TIMEOUT_MS = 10000;

let api = null;
function rtc() {
  if (!api) {
    process.env.RTCBOX_ADDON = addonPath('rtcbox');
    api = require('../..');
  }
  return api;
}

function withTimeout(promise, what, ms = TIMEOUT_MS) {
  let timer;
  const timeout = new Promise((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out waiting for ${what}`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

// A TCP port free on 127.0.0.1 (coturn takes UDP and TCP on it), below
// coturn's relay range.
async function freePort() {
  for (;;) {
    const port = await new Promise((resolve, reject) => {
      const server = net.createServer();
      server.on('error', reject);
      server.listen(0, '127.0.0.1', () => {
        const p = server.address().port;
        server.close(() => resolve(p));
      });
    });
    if (port < 49152) return port;
  }
}

// Resolves once the server answers a STUN Binding request over UDP.
function answersStun(port) {
  return new Promise((resolve) => {
    const socket = dgram.createSocket('udp4');
    const request = Buffer.alloc(20);
    request.writeUInt16BE(0x0001, 0);
    request.writeUInt32BE(0x2112a442, 4);
    require('node:crypto').randomFillSync(request, 8, 12);
    const done = (ok) => {
      clearTimeout(timer);
      socket.close();
      resolve(ok);
    };
    const timer = setTimeout(() => done(false), 100);
    socket.on('message', () => done(true));
    socket.on('error', () => done(false));
    socket.send(request, port, '127.0.0.1');
  });
}

const coturn = { skip: false, process: null, dir: null, port: 0 };

before(async () => {
  if (DEEPBIND_SKIP) return;
  if (!fs.existsSync(TURNSERVER)) {
    coturn.skip = `coturn is not installed (${TURNSERVER})`;
    return;
  }
  coturn.dir = fs.mkdtempSync(path.join(os.tmpdir(), 'rtcbox-js-turn-'));
  coturn.port = await freePort();
  const conf = path.join(coturn.dir, 'turnserver.conf');
  fs.writeFileSync(conf, [
    'listening-ip=127.0.0.1', 'relay-ip=127.0.0.1', `listening-port=${coturn.port}`,
    'lt-cred-mech', `user=${USER}:${PASSWORD}`, 'realm=rtcbox.test',
    `userdb=${coturn.dir}/turndb`, 'no-tls', 'no-dtls', 'no-cli', 'allow-loopback-peers',
    'no-rfc5780', 'no-stun-backward-compatibility', 'fingerprint',
    `log-file=${coturn.dir}/turn.log`, 'simple-log', `pidfile=${coturn.dir}/turnserver.pid`, '',
  ].join('\n'));
  coturn.process = spawn(TURNSERVER, ['-c', conf], { stdio: 'ignore' });
  const deadline = Date.now() + TIMEOUT_MS;
  while (Date.now() < deadline) {
    if (coturn.process.exitCode !== null) break;
    if (await answersStun(coturn.port)) return;
  }
  coturn.skip = 'turnserver did not answer within 10 s';
});

after(async () => {
  if (coturn.process && coturn.process.exitCode === null) {
    const exited = new Promise((resolve) => coturn.process.once('exit', resolve));
    coturn.process.kill('SIGTERM');
    await withTimeout(exited, 'turnserver to exit').catch(() => coturn.process.kill('SIGKILL'));
  }
  if (coturn.dir) fs.rmSync(coturn.dir, { recursive: true, force: true });
});

function skipReason() {
  return DEEPBIND_SKIP || coturn.skip;
}

function turnUrl(transport) {
  return `turn:127.0.0.1:${coturn.port}?transport=${transport}`;
}

function relayConfig(transport, credential = PASSWORD) {
  return {
    iceServers: [{ urls: turnUrl(transport), username: USER, credential }],
    iceTransportPolicy: 'relay',
  };
}

function newPc(t, config) {
  const pc = new (rtc().RTCPeerConnection)(config);
  t.after(() => pc.close());
  return pc;
}

function event(target, type) {
  return withTimeout(new Promise((resolve) => target.addEventListener(type, resolve, { once: true })), type);
}

for (const transport of ['udp', 'tcp']) {
  test(`relay-only data channel through coturn over ${transport}`, { timeout: 30000 }, async (t) => {
    if (skipReason()) return t.skip(skipReason());
    const pc1 = newPc(t, relayConfig(transport));
    const pc2 = newPc(t, relayConfig(transport));
    const candidates = [];
    for (const [from, to] of [[pc1, pc2], [pc2, pc1]]) {
      from.addEventListener('icecandidate', (e) => {
        if (!e.candidate || !e.candidate.candidate) return;
        candidates.push({ candidate: e.candidate, url: e.url });
        to.addIceCandidate(e.candidate).catch((err) => assert.fail(`addIceCandidate: ${err}`));
      });
      from.addEventListener('icecandidateerror', (e) => assert.fail(`icecandidateerror ${e.errorCode} ${e.errorText}`));
    }
    const channel = pc1.createDataChannel('chat');
    const remote = event(pc2, 'datachannel');
    const started = performance.now();
    await pc1.setLocalDescription();
    await pc2.setRemoteDescription(pc1.localDescription);
    await pc2.setLocalDescription();
    await pc1.setRemoteDescription(pc2.localDescription);
    const channel2 = (await remote).channel;
    if (channel.readyState !== 'open') await event(channel, 'open');
    t.diagnostic(`createOffer to channel open: ${(performance.now() - started).toFixed(1)} ms`);

    const got1 = [];
    const got2 = [];
    channel.onmessage = (e) => got1.push(e.data);
    channel2.onmessage = (e) => got2.push(e.data);
    for (let i = 0; i < 10; i++) {
      channel.send(`to pc2 ${i}`);
      channel2.send(`to pc1 ${i}`);
    }
    await withTimeout(new Promise((resolve) => {
      const check = setInterval(() => {
        if (got1.length === 10 && got2.length === 10) {
          clearInterval(check);
          resolve();
        }
      }, 5);
    }), 'messages');
    assert.deepEqual(got2, [...Array(10).keys()].map((i) => `to pc2 ${i}`));
    assert.deepEqual(got1, [...Array(10).keys()].map((i) => `to pc1 ${i}`));

    // Only relayed candidates, raddr hidden, with the server and protocol.
    assert.ok(candidates.length >= 2);
    for (const { candidate, url } of candidates) {
      assert.equal(candidate.type, 'relay', candidate.candidate);
      assert.equal(candidate.relatedAddress, '0.0.0.0');
      assert.equal(candidate.relatedPort, 0);
      assert.equal(candidate.relayProtocol, transport);
      assert.equal(candidate.url, turnUrl(transport));
      assert.equal(url, turnUrl(transport));
    }
    const stats = await pc1.getStats();
    const local = [...stats.values()].filter((s) => s.type === 'local-candidate');
    assert.ok(local.length >= 1);
    for (const s of local) {
      assert.equal(s.candidateType, 'relay');
      assert.equal(s.relayProtocol, transport);
      assert.equal(s.url, turnUrl(transport));
    }
  });
}

test('wrong TURN credentials fire icecandidateerror 401 with the URL', { timeout: 30000 }, async (t) => {
  if (skipReason()) return t.skip(skipReason());
  for (const transport of ['udp', 'tcp']) {
    const pc = newPc(t, relayConfig(transport, 'not-the-password'));
    const errors = [];
    pc.onicecandidateerror = (e) => errors.push(e);
    const candidates = [];
    pc.onicecandidate = (e) => candidates.push(e.candidate);
    pc.createDataChannel('x');
    await pc.setLocalDescription();
    if (pc.iceGatheringState !== 'complete') await event(pc, 'icegatheringstatechange');
    while (pc.iceGatheringState !== 'complete') await event(pc, 'icegatheringstatechange');
    assert.equal(errors.length, 1, transport);
    const e = errors[0];
    assert.ok(e instanceof rtc().RTCPeerConnectionIceErrorEvent);
    assert.equal(e.errorCode, 401);
    assert.equal(e.url, turnUrl(transport));
    assert.equal(typeof e.errorText, 'string');
    // Under the relay policy the local address is not exposed.
    assert.equal(e.address, null);
    assert.equal(e.port, null);
    // No candidate; the end-of-candidates markers only.
    assert.ok(candidates.every((c) => c === null || c.candidate === ''));
    pc.close();
  }
});
