'use strict';
// The Chromium receiver of `make demo-chromium`: starts headless Chromium
// (Debian's chromium, driven by npm playwright-core) on a fresh profile,
// opens the receiver page that the relay serves and passes the page's events
// to stdout as JSON lines, as peer.js does for a Node peer.
//
//   node demo/chromium.js --page http://127.0.0.1:PORT/ [--timeout MS]
//       [--executable /usr/bin/chromium] [--exit-with-stdin]
//
// Chromium flags, besides the usual headless ones:
//   --disable-features=WebRtcHideLocalIpsWithMdns  host candidates carry
//       Chromium's addresses, not random .local names. (rtcbox's side
//       keeps its .local names; Chromium learns its address as a
//       peer-reflexive candidate when rtcbox's connectivity checks arrive.)
//   --allow-loopback-in-peer-connection  gather 127.0.0.1 too.
//
// The profile and Chromium's TMPDIR are in a new folder under os.tmpdir(),
// removed on every way out: the end, an error, SIGINT/SIGTERM/SIGHUP, or
// standard input closing (with --exit-with-stdin). Chromium runs in its own
// process group (Playwright starts it detached), so a Ctrl-C at the
// terminal does not reach it: this process closes it, and Playwright's
// 'exit' handler kills it if anything is left.

const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const {parseArgs} = require('node:util');

const {exitWithStdin} = require('./orphan.js');

const FLAGS = [
  '--no-sandbox',
  '--headless',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
  '--disable-quic',
  '--use-fake-ui-for-media-stream',
  '--use-fake-device-for-media-stream',
  '--disable-features=WebRtcHideLocalIpsWithMdns',
  '--allow-loopback-in-peer-connection',
];

// How long Chromium gets to close before it is killed.
const CLOSE_MS = 5000;

// A failure this file explains in its message (no stack trace needed).
class StartError extends Error {}

function emit(event) {
  process.stdout.write(`${JSON.stringify(event)}\n`);
}

let context = null;
// The folders of everything Chromium writes: its profile (user data
// folder) and its TMPDIR.
const folders = [];
let closing = null;
// Chromium's start, while it is under way (a signal then waits for it, to
// close it).
let launching = null;

function removeFolders() {
  while (folders.length > 0) fs.rmSync(folders.pop(), {recursive: true, force: true, maxRetries: 5});
}

// Chromium's TMPDIR: under `folder`, unless the path of the socket Chromium
// makes there, <TMPDIR>/org.chromium.Chromium.XXXXXX/SingletonSocket, would
// be longer than a Unix socket path can be (107 bytes; Chromium then
// dies): then a new folder in /tmp.
function chromiumTmpdir(folder) {
  const tmp = path.join(folder, 'tmp');
  if (Buffer.byteLength(path.join(tmp, 'org.chromium.Chromium.XXXXXX', 'SingletonSocket')) <= 107) {
    fs.mkdirSync(tmp);
    return tmp;
  }
  const short = fs.mkdtempSync('/tmp/rtcbox-');
  folders.push(short);
  return short;
}

// Closes Chromium (gracefully, else kills it) and removes the profile.
// Idempotent; never rejects.
function cleanup() {
  if (!closing) {
    closing = (async () => {
      if (launching) {
        const timer = new Promise((resolve) => setTimeout(resolve, 3 * CLOSE_MS).unref());
        await Promise.race([launching.catch(() => {}), timer]);
      }
      if (context) {
        const closed = context.close().catch(() => {});
        const timer = new Promise((resolve) => setTimeout(resolve, CLOSE_MS).unref());
        await Promise.race([closed, timer]);
        context = null;
      }
      removeFolders();
    })();
  }
  return closing;
}

// A backstop for a process.exit() that did not go through cleanup() (none
// of the paths below does that): the folder goes; Playwright's own 'exit'
// listener SIGKILLs Chromium's process group.
process.on('exit', removeFolders);

function stopOn(reason, code) {
  emit({type: 'error', peer: 'receiver', message: reason});
  cleanup().finally(() => process.exit(code));
}

for (const [signal, code] of [['SIGINT', 130], ['SIGTERM', 143], ['SIGHUP', 129]]) {
  process.on(signal, () => stopOn(`stopped by ${signal}`, code));
}

async function main() {
  const {values} = parseArgs({
    options: {
      'page': {type: 'string'},
      'timeout': {type: 'string', default: '120000'},
      'executable': {type: 'string', default: process.env.RTCBOX_DEMO_CHROMIUM || '/usr/bin/chromium'},
      'exit-with-stdin': {type: 'boolean', default: false},
    },
  });
  if (!values.page) throw new Error('--page URL is required');
  if (values['exit-with-stdin']) {
    exitWithStdin(() => stopOn('standard input closed: run.js is gone', 1));
  }
  if (!fs.existsSync(values.executable)) {
    throw new StartError(`${values.executable} does not exist: install Debian's chromium ` +
        '(`make demo-chromium` does, as root)');
  }
  const {chromium} = require('playwright-core');
  const folder = fs.mkdtempSync(path.join(os.tmpdir(), 'chromium-'));
  folders.push(folder);
  const profile = path.join(folder, 'profile');
  fs.mkdirSync(profile);
  const tmp = chromiumTmpdir(folder);
  const launchStarted = performance.now();
  launching = chromium.launchPersistentContext(profile, {
    executablePath: values.executable,
    env: {...process.env, TMPDIR: tmp},
    headless: true,
    chromiumSandbox: false,
    args: FLAGS,
    // This process handles the signals (above), to remove the profile too.
    handleSIGINT: false,
    handleSIGTERM: false,
    handleSIGHUP: false,
  }).then((c) => {
    context = c;
    launching = null;
    return c;
  });
  try {
    await launching;
  } catch (error) {
    // Playwright's message carries the whole command line and log: the
    // first line and what Chromium wrote to stderr say what went wrong.
    const text = String(error && error.message).replace(/\x1b\[[0-9;]*m/g, '');
    const stderr = text.split('\n').filter((l) => /\]\[err\] /.test(l)).map((l) => l.replace(/^.*?\]\[err\] /, ''));
    throw new StartError(`Chromium (${values.executable}) did not start: ${text.split('\n')[0]}` +
        (stderr.length ? `\nChromium's stderr:\n${[...new Set(stderr)].slice(0, 8).join('\n')}` : ''));
  }
  if (closing) return 1;
  const browser = context.browser();
  emit({type: 'info', peer: 'receiver', t: performance.timeOrigin + performance.now(),
    chromiumLaunchMs: performance.now() - launchStarted, flags: FLAGS,
    chromiumVersion: browser ? browser.version() : undefined});
  const page = context.pages()[0] || await context.newPage();
  let finish;
  const finished = new Promise((resolve) => {
    finish = resolve;
  });
  // The page's events, but for its 'done': this process says that.
  await page.exposeFunction('rtcboxEmit', (event) => {
    if (event.type === 'done') {
      finish(event.code);
    } else {
      emit(event);
    }
  });
  page.on('pageerror', (error) => {
    emit({type: 'error', peer: 'receiver', message: `page error: ${error.message}`});
    finish(1);
  });
  page.on('crash', () => {
    emit({type: 'error', peer: 'receiver', message: 'the page crashed'});
    finish(1);
  });
  context.on('close', () => finish(1));
  page.on('console', (msg) => process.stderr.write(`chromium console: ${msg.text()}\n`));
  const url = new URL(values.page);
  url.searchParams.set('timeout', values.timeout);
  await page.goto(url.href);
  const timer = setTimeout(() => {
    emit({type: 'error', peer: 'receiver', message: `the page did not finish in ${values.timeout} ms`});
    finish(1);
  }, Number(values.timeout) + 5000);
  const code = await finished;
  clearTimeout(timer);
  return code;
}

main().then(async (code) => {
  await cleanup();
  emit({type: 'done', code});
  process.exit(code);
}, async (error) => {
  const message = error instanceof StartError ? error.message : String(error && error.stack ? error.stack : error);
  emit({type: 'error', peer: 'receiver', message});
  await cleanup();
  emit({type: 'done', code: 1});
  process.exit(1);
});
