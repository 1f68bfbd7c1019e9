'use strict';
// `make demo` end to end (demo/run.js): two Node peers on rtcbox, and a
// Node peer with headless Chromium as the receiver, send a 4 MiB file over
// a data channel on loopback; the run must exit 0, print the SHA-256
// verdict and the connection timeline. Also: Ctrl-C leaves no process and
// no temporary file behind, and the failures that need no peer connection
// exit non-zero with a clear message.
//
// The Node peers use rtcbox (the addon of RTCBOX_TEST_OUT), unless
// RTCBOX_DEMO_IMPL says otherwise (wrtc, for comparison: demo/impl.js).
// Tests that need rtcbox's RTCPeerConnection skip, saying why, while its
// bindings still throw NotSupportedError for new RTCPeerConnection(),
// createDataChannel() or createOffer() (the placeholders of api/js/impl/),
// and under ASan (DEEPBIND_SKIP). The Chromium test runs only when
// /usr/bin/chromium (or RTCBOX_DEMO_CHROMIUM) and npm playwright-core are
// there.

const assert = require('node:assert/strict');
const { spawn } = require('node:child_process');
const crypto = require('node:crypto');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { test } = require('node:test');
const { ROOT, DEEPBIND_SKIP, addonPath, runNode } = require('./support.js');

const RUN = path.join(ROOT, 'demo', 'run.js');
const PEER = path.join(ROOT, 'demo', 'peer.js');
const IMPL = process.env.RTCBOX_DEMO_IMPL || 'rtcbox';
const CHROMIUM = process.env.RTCBOX_DEMO_CHROMIUM || '/usr/bin/chromium';
const SIZE = 4 * 1024 * 1024;

function tempDir(t) {
  // A short name: Chromium's socket path under it must stay short.
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'rtcbox-dt-'));
  t.after(() => fs.rmSync(dir, { recursive: true, force: true }));
  return dir;
}

// The environment of a demo run: this build's addon, temporary files in
// `tmp`.
function demoEnv(tmp) {
  return { RTCBOX_ADDON: addonPath('rtcbox'), RTCBOX_DEMO_IMPL: IMPL, TMPDIR: tmp };
}

// Why the Node peers cannot run the demo (a skip reason), or null. A probe
// that fails for another reason than an unwritten part fails the test.
function whyNoPeers() {
  if (IMPL === 'rtcbox' && DEEPBIND_SKIP) return DEEPBIND_SKIP;
  const probe = runNode([PEER, '--probe'], { env: demoEnv(os.tmpdir()) });
  const line = probe.stdout.split('\n').find((l) => l.startsWith('{"type":"probe"'));
  assert.ok(line, `the probe printed no result (status ${probe.status}):\n${probe.stdout}${probe.stderr}`);
  const result = JSON.parse(line);
  if (result.ok) return null;
  if (result.notImplemented) return `rtcbox's RTCPeerConnection is not implemented yet: ${result.message}`;
  assert.fail(`the demo's peers cannot run: ${result.message}`);
}

function whyNoChromium() {
  if (!fs.existsSync(CHROMIUM)) return `${CHROMIUM} is not installed (make demo-chromium installs it)`;
  try {
    require.resolve('playwright-core');
  } catch (error) {
    return 'npm playwright-core is not installed (npm ci)';
  }
  return null;
}

// The SHA-256 of the demo's file of `size` bytes for seed 1, computed here
// from the recipe of demo/peer.js (AES-128-CTR keystream).
function expectedSha256(size) {
  const key = crypto.createHash('sha256').update('rtcbox demo 1').digest().subarray(0, 16);
  const cipher = crypto.createCipheriv('aes-128-ctr', key, Buffer.alloc(16));
  return crypto.createHash('sha256').update(cipher.update(Buffer.alloc(size))).digest('hex');
}

// The timeline rows whose two columns (sender, receiver) must be times.
const TIMELINE_ROWS = [
  'RTCPeerConnection created',
  'ICE gathering complete',
  'ICE connected',
  'DTLS connected',
  'SCTP connected',
  'data channel open',
  'first byte (sent/received)',
  'last byte (sent/received)',
  'SHA-256 verdict',
];

// Checks the output of a successful run.
function checkRun(result, tmp) {
  const output = `${result.stdout}\n---- stderr ----\n${result.stderr}`;
  assert.equal(result.status, 0, `demo exit status ${result.status} (signal ${result.signal}):\n${output}`);
  const sha = expectedSha256(SIZE);
  assert.match(result.stdout, new RegExp(`^Result: SHA-256 matched: the receiver computed ${sha} ` +
      `over 4,194,304 bytes, the sender ${sha}$`, 'm'), output);
  assert.match(result.stdout, /^Timeline \(ms since the sender created its RTCPeerConnection\)$/m, output);
  for (const row of TIMELINE_ROWS) {
    const escaped = row.replace(/[()/]/g, '\\$&');
    assert.match(result.stdout, new RegExp(`^  ${escaped} +-?\\d+\\.\\d +-?\\d+\\.\\d$`, 'm'), `row "${row}":\n${output}`);
  }
  // The sender's ICE gathering start, at least (libwebrtc-based peers may
  // report the answerer's gathering state already complete).
  assert.match(result.stdout, /^  ICE gathering started +\d+\.\d /m, output);
  assert.match(result.stdout, /^  throughput +\d+\.\d MB\/s/m, output);
  assert.match(result.stdout, /^  selected pair sender: +\S+ \S+ -> /m, output);
  assert.match(result.stdout, /^  RTT +sender: +\S+ ms/m, output);
  assert.deepEqual(fs.readdirSync(tmp), [], 'temporary files left behind');
}

// Probed once: a skip reason, or an error that the tests needing the
// peers fail with.
let peersSkip = false;
let peersError = null;
try {
  peersSkip = whyNoPeers() || false;
} catch (error) {
  peersError = error;
}

test('two Node peers send 4 MiB, the receiver verifies the SHA-256, the timeline is printed', { skip: peersSkip, timeout: 60000 }, (t) => {
  if (peersError) throw peersError;
  const tmp = tempDir(t);
  const result = runNode([RUN, '--size', '4MiB', '--timeout', '40'], { env: demoEnv(tmp), timeoutMs: 50000 });
  checkRun(result, tmp);
  assert.match(result.stdout, /from a Node peer to a Node peer, on this machine/);
});

test('a Node peer sends 4 MiB to headless Chromium, which verifies the SHA-256', { skip: peersSkip || whyNoChromium() || false, timeout: 60000 }, (t) => {
  if (peersError) throw peersError;
  const tmp = tempDir(t);
  const result = runNode([RUN, '--chromium', '--size', '4MiB', '--timeout', '40'], { env: demoEnv(tmp), timeoutMs: 50000 });
  checkRun(result, tmp);
  assert.match(result.stdout, /^ {2}receiver {4}(Headless)?Chrome\/\d+/m);
});

// Runs the demo in its own process group, sends SIGINT to the whole group
// (as Ctrl-C at a terminal does) once the file is on its way, and checks
// that everything is gone.
async function interrupt(t, args) {
  if (peersError) throw peersError;
  const tmp = tempDir(t);
  const child = spawn(process.execPath, [RUN, '--size', '256MiB', '--timeout', '40', ...args], {
    cwd: ROOT,
    env: { ...process.env, ...demoEnv(tmp) },
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stderr.on('data', (d) => {
    stderr += d;
  });
  const exited = new Promise((resolve) => child.on('exit', (code, signal) => resolve({ code, signal })));
  const guard = setTimeout(() => process.kill(-child.pid, 'SIGKILL'), 45000);
  try {
    await new Promise((resolve, reject) => {
      child.stdout.on('data', (d) => {
        stdout += d;
        if (/^ {2}received +\d+%/m.test(stdout)) resolve();
      });
      exited.then(() => reject(new Error(`the demo ended before it was interrupted:\n${stdout}${stderr}`)));
    });
    process.kill(-child.pid, 'SIGINT');
    const { code, signal } = await exited;
    assert.equal(code, 130, `exit ${code} signal ${signal}:\n${stdout}${stderr}`);
  } finally {
    clearTimeout(guard);
  }
  assert.match(stdout, /^demo: SIGINT: stopping$/m);
  // No process left in the group, nor any (Chromium runs in a group of its
  // own) with the temporary folder on its command line.
  assert.throws(() => process.kill(-child.pid, 0), { code: 'ESRCH' });
  const users = fs.readdirSync('/proc').filter((pid) => /^\d+$/.test(pid)).filter((pid) => {
    try {
      return fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes(tmp);
    } catch (error) {
      return false;
    }
  });
  assert.deepEqual(users, [], 'processes still using the temporary folder');
  assert.deepEqual(fs.readdirSync(tmp), [], 'temporary files left behind');
}

test('Ctrl-C (SIGINT to the process group) stops every process and removes every temporary file', { skip: peersSkip, timeout: 60000 }, (t) => interrupt(t, []));

test('Ctrl-C with the Chromium receiver stops Chromium and removes its profile', { skip: peersSkip || whyNoChromium() || false, timeout: 60000 }, (t) => interrupt(t, ['--chromium']));

test('an implementation that cannot be loaded ends the demo with status 3 and says why', (t) => {
  const tmp = tempDir(t);
  const result = runNode([RUN, '--size', '1MiB'], { env: { ...demoEnv(tmp), RTCBOX_DEMO_IMPL: './no/such/module' } });
  assert.equal(result.status, 3, result.stdout + result.stderr);
  assert.match(result.stderr, /^demo: the Node peers' WebRTC implementation cannot run the demo:\n {2}cannot find the module .*no\/such\/module/m);
  assert.deepEqual(fs.readdirSync(tmp), []);
});

test('a bad --size ends the demo with status 2 and says why', (t) => {
  const tmp = tempDir(t);
  const result = runNode([RUN, '--size', 'lots'], { env: demoEnv(tmp) });
  assert.equal(result.status, 2, result.stdout + result.stderr);
  assert.match(result.stderr, /^demo: bad size "lots" \(examples: 64MiB, 512KiB, 1000000\)$/m);
  assert.deepEqual(fs.readdirSync(tmp), []);
});

test('sizes are read in bytes, SI and binary units', () => {
  const { parseSize } = require('../../demo/run.js');
  assert.equal(parseSize('64MiB'), 64 * 1024 * 1024);
  assert.equal(parseSize('512KiB'), 512 * 1024);
  assert.equal(parseSize('10MB'), 10e6);
  assert.equal(parseSize('1000'), 1000);
  assert.throws(() => parseSize('0'), /bad size/);
  assert.throws(() => parseSize('-1MiB'), /bad size/);
});
