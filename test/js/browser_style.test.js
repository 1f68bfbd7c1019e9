'use strict';
// Issue 5, "Done when": a browser-style script whose only rtcbox-specific
// line is the import connects two peers and exchanges messages unchanged.
//
// The script is fixtures/browser_style_script.js: globals only
// (RTCPeerConnection, RTCSessionDescription, RTCIceCandidate, EventTarget,
// Blob, TextEncoder, ...), on<event> handlers and addEventListener,
// async/await, an in-band and a negotiated channel, strings, ArrayBuffers,
// a typed-array view and Blobs, descriptions and candidates JSON-encoded
// over a fake signaling channel. It checks what it receives itself and
// prints a transcript ending in "done".
//
// The marker-line convention: a line of the script that ends with the
// comment `// rtcbox: node only (browsers: remove this line)` is Node.js
// only; there must be exactly one, and it must be the
// `require('rtcbox/global')` line. The browser run replaces that line by an
// empty line (so that line numbers stay the same) and changes nothing else.
//
// How `require('rtcbox/global')` resolves from a file in the repository:
// by package self-reference (Node.js >= 13.1 for CommonJS too): the
// nearest package.json of test/js/fixtures/ is the repository root's,
// named "rtcbox", with an "exports" map, so the name resolves to the
// package itself through that map (./global -> api/js/lib/global.js),
// exactly as it would from an application's node_modules. No symlink, no
// NODE_PATH, nothing created and removed; the first test checks the
// resolution so that a change that breaks it says so.
//
// Then the same text runs in headless Chromium (/usr/bin/chromium through
// npm playwright-core), when both are there: proof that it is browser code
// and that Chromium prints the same transcript. That part skips, saying
// why, when either is missing.

const assert = require('node:assert/strict');
const fs = require('node:fs');
const http = require('node:http');
const os = require('node:os');
const path = require('node:path');
const { test } = require('node:test');
const { ROOT, DEEPBIND_SKIP, addonPath, runNode } = require('./support.js');

const SCRIPT = path.join(__dirname, 'fixtures', 'browser_style_script.js');
const MARKER = '// rtcbox: node only (browsers: remove this line)';
const CHROMIUM = '/usr/bin/chromium';
const CHROMIUM_ARGS = [
  '--no-sandbox',
  '--headless',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
  '--disable-quic',
  '--disable-features=WebRtcHideLocalIpsWithMdns',
  '--allow-loopback-in-peer-connection',
];
const TIMEOUT_MS = 20000;

// What the script prints when everything worked, in Node.js and in
// Chromium alike.
const TRANSCRIPT = [
  'negotiationneeded',
  'offer sent offer',
  'connected connected connected',
  'stats succeeded host',
  'datachannel chat true',
  'channels open open open open open',
  'strings 4 echoed',
  'binary 65536 150 18',
  'blob 4 true true',
  'chat closed closed closed',
  'peers closed closed closed',
  'done',
];

function scriptText() {
  return fs.readFileSync(SCRIPT, 'utf8');
}

// The script as a browser gets it: the marker line emptied.
function browserText(text) {
  return text.split('\n').map((line) => (line.endsWith(MARKER) ? '' : line)).join('\n');
}

function transcriptOf(stdout) {
  return stdout.split('\n').filter((line) => line !== '');
}

test('the script\'s only rtcbox-specific line is require("rtcbox/global"), which resolves to the package', () => {
  const text = scriptText();
  const lines = text.split('\n');
  const marked = lines.filter((line) => line.endsWith(MARKER));
  assert.deepEqual(marked, [`require('rtcbox/global'); ${MARKER}`]);
  assert.deepEqual(lines.slice(0, 2), ["'use strict';", marked[0]], 'the import comes first, after the directive');

  // Without it, nothing of Node.js or rtcbox is left: no module system, no
  // process, no Buffer, no other mention of rtcbox.
  const browser = browserText(text);
  assert.equal(browser.split('\n').length, lines.length);
  const code = browser.replace(/\/\/.*$/gm, '');
  for (const word of ['require', 'module', 'exports', 'process', 'Buffer', 'rtcbox', '__dirname', 'global', 'import']) {
    assert.doesNotMatch(code, new RegExp(`\\b${word}\\b`), `the browser text uses "${word}"`);
  }

  // Package self-reference: the root's package.json maps ./global.
  const resolved = runNode(['-e', `console.log(require.resolve('rtcbox/global'))`], { cwd: path.dirname(SCRIPT) });
  assert.equal(resolved.status, 0, resolved.stderr);
  assert.equal(resolved.stdout.trim(), path.join(ROOT, 'api', 'js', 'lib', 'global.js'));
  const pkg = JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8'));
  assert.equal(pkg.name, 'rtcbox');
});

test('the browser-style script connects two rtcbox peers in Node.js and exchanges every message unchanged', { skip: DEEPBIND_SKIP }, (t) => {
  const result = runNode([SCRIPT], { env: { RTCBOX_ADDON: addonPath('rtcbox') }, timeoutMs: TIMEOUT_MS });
  const why = `status ${result.status} signal ${result.signal} after ${Math.round(result.ms)} ms\n` +
      `stdout:\n${result.stdout}\nstderr:\n${result.stderr}`;
  assert.equal(result.signal, null, `killed (it must end by itself once closed): ${why}`);
  assert.equal(result.status, 0, why);
  assert.deepEqual(transcriptOf(result.stdout), TRANSCRIPT, why);
  // rtcbox's own log lines (warnings) go to stderr; they are shown, not
  // judged here.
  if (result.stderr !== '') t.diagnostic(`stderr: ${result.stderr.trim()}`);
  t.diagnostic(`Node.js run: ${Math.round(result.ms)} ms`);
});

// Why the Chromium run cannot happen here, or false.
function chromiumSkip() {
  if (!fs.existsSync(CHROMIUM)) return `${CHROMIUM} is not installed`;
  try {
    require.resolve('playwright-core');
  } catch {
    return 'npm playwright-core cannot be resolved from the repository (not installed in node_modules)';
  }
  return false;
}

// Serves `/` (a page that loads the script) and `/script.js` on loopback.
async function serve(script) {
  const server = http.createServer((req, res) => {
    if (req.url === '/') {
      res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
      res.end('<!doctype html><meta charset="utf-8"><title>browser-style script</title><script src="/script.js"></script>');
    } else if (req.url === '/script.js') {
      res.writeHead(200, { 'content-type': 'text/javascript; charset=utf-8' });
      res.end(script);
    } else if (req.url === '/favicon.ico') {
      res.writeHead(204);
      res.end();
    } else {
      res.writeHead(404);
      res.end();
    }
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  return server;
}

// Chromium's environment: ours without the ASan runtime that
// test/js/run_tests.sh preloads into node for an ASan build.
function browserEnv() {
  const env = { ...process.env };
  delete env.LD_PRELOAD;
  delete env.ASAN_OPTIONS;
  return env;
}

// Runs `script` in a page of a fresh headless Chromium; returns its console
// lines and page errors once it printed "done" or "FAIL ..." or threw (or
// after TIMEOUT_MS).
async function runInChromium(script) {
  const { chromium } = require('playwright-core');
  const profile = fs.mkdtempSync(path.join(os.tmpdir(), 'rtcbox-chromium-'));
  const server = await serve(script);
  let context = null;
  let timer = null;
  try {
    context = await chromium.launchPersistentContext(profile, {
      executablePath: CHROMIUM,
      headless: true,
      args: CHROMIUM_ARGS,
      timeout: TIMEOUT_MS,
      env: browserEnv(),
    });
    const page = context.pages()[0] || await context.newPage();
    const lines = [];
    const errors = [];
    let finish;
    const finished = new Promise((resolve) => { finish = resolve; });
    page.on('console', (message) => {
      lines.push(message.text());
      if (message.text() === 'done' || message.text().startsWith('FAIL')) finish();
    });
    page.on('pageerror', (error) => {
      errors.push(String((error && error.stack) || error));
      finish();
    });
    await page.goto(`http://127.0.0.1:${server.address().port}/`, { timeout: TIMEOUT_MS });
    const timedOut = new Promise((resolve) => {
      timer = setTimeout(() => resolve(errors.push(`no "done" within ${TIMEOUT_MS} ms`)), TIMEOUT_MS);
    });
    await Promise.race([finished, timedOut]);
    return { lines, errors };
  } finally {
    clearTimeout(timer);
    if (context) await context.close();
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
    fs.rmSync(profile, { recursive: true, force: true });
  }
}

test('the same script, without its marked line, runs in headless Chromium with the same transcript', { skip: chromiumSkip() }, async () => {
  const { lines, errors } = await runInChromium(browserText(scriptText()));
  const why = `console:\n${lines.join('\n')}\npage errors:\n${errors.join('\n')}`;
  assert.deepEqual(errors, [], why);
  assert.deepEqual(lines, TRANSCRIPT, why);
});
