'use strict';
// Runs one web-platform-tests testharness.js file in this Node process's
// main realm, against rtcbox, and writes its results as JSON. Started by
// test/wpt/run.js, one process per test file (a crash or a hang of one file
// must not take the others with it).
//
//   node --expose-gc test/wpt/run_one.js <wpt root> <file> <result.json>
//
// <file> is relative to <wpt root>, e.g. webrtc/RTCCertificate.html.
// Environment: RTCBOX_ADDON (the rtcbox.node to test), RTCBOX_WPT_TIMEOUT_MS
// (the file's timeout, decided by run.js from the file's metadata).
//
// The environment is testharness.js's ShellTestEnvironment, shaped like a
// browser window where WebRTC tests look (../shared/reference/wpt.md §4):
//  - `self`/`window` are the global, which is an event target; uncaught
//    exceptions and unhandled rejections reach it as `error` and
//    `unhandledrejection` events, as in a browser, so the harness sees them;
//  - the scripts of the file (the <script> elements of an .html, or the
//    `// META: script=` lines and then the file itself for a .window.js) run
//    in order with vm.runInThisContext: classic scripts sharing one global
//    scope, all in the same turn (the shell environment considers the page
//    loaded after the first microtask), an exception in one reported as an
//    `error` event before the next runs;
//  - objects, errors and DOMExceptions come from this realm, so the
//    harness's constructor identity checks hold;
//  - `fetch` of a same-origin URL reads the file from the WPT checkout
//    (idlharness fetches /interfaces/*.idl);
//  - `test_driver.set_permission` and `test_driver.bless` stand in for the
//    WebDriver bridge;
//  - there is no DOM: a minimal `document` (defined after testharness.js
//    has chosen its environment) lets tests write progress text, and
//    refuses to create elements.
// The harness's completion callback is the source of truth. When the file's
// timeout expires the harness's own timeout() ends it (TIMEOUT); run.js
// kills the process a little later if even that does not complete.

const fs = require('node:fs');
const path = require('node:path');
const vm = require('node:vm');

const [wptRoot, file, resultPath] = process.argv.slice(2);
if (!wptRoot || !file || !resultPath) {
  process.stderr.write('usage: run_one.js <wpt root> <file> <result.json>\n');
  process.exit(2);
}
const timeoutMs = Number(process.env.RTCBOX_WPT_TIMEOUT_MS || 10000);
const ROOT = path.resolve(wptRoot);
const REPO = path.resolve(__dirname, '..', '..');

// Scripts served by the WPT server under another name.
const ALIASES = new Map([
  ['/resources/WebIDLParser.js', '/resources/webidl2/lib/webidl2.js'],
]);
// Scripts that talk to the browser's test driver or report to the harness's
// window: this runner replaces them.
const REPLACED = new Set([
  '/resources/testharnessreport.js',
  '/resources/testdriver.js',
  '/resources/testdriver-vendor.js',
  '/resources/testdriver-actions.js',
]);

// --- The file and its scripts ------------------------------------------------

function decodeEntities(text) {
  return text.replace(/&(amp|lt|gt|quot|#39|apos);/g, (m, e) => (
    { amp: '&', lt: '<', gt: '>', quot: '"', '#39': "'", apos: "'" }[e]));
}

// Returns the value of attribute `name` in a start tag's attribute text.
function attribute(attrs, name) {
  const re = new RegExp(`(?:^|\\s)${name}\\s*=\\s*(?:"([^"]*)"|'([^']*)'|([^\\s"'>]+))`, 'i');
  const m = re.exec(attrs);
  if (!m) return null;
  return decodeEntities(m[1] ?? m[2] ?? m[3]);
}

// The scripts of an HTML test file in document order: {src} or {code, line}.
// A script element ends at the first `</script` (the HTML tokenizer's rule).
// Comments are skipped. Only classic scripts run (type absent or a
// JavaScript MIME type), as in a browser.
function parseHtml(text) {
  const scripts = [];
  let title = null;
  let longTimeout = false;
  const re = /<!--[\s\S]*?-->|<script\b([^>]*)>([\s\S]*?)<\/script\s*>|<title>([\s\S]*?)<\/title>|<meta\b([^>]*)>/gi;
  let m;
  while ((m = re.exec(text)) !== null) {
    if (m[0].startsWith('<!--')) continue;
    if (m[3] !== undefined) {
      if (title === null) title = decodeEntities(m[3]).replace(/\s+/g, ' ').trim();
      continue;
    }
    if (m[4] !== undefined) {
      if ((attribute(m[4], 'name') || '').toLowerCase() === 'timeout' &&
          (attribute(m[4], 'content') || '').toLowerCase() === 'long') {
        longTimeout = true;
      }
      continue;
    }
    const attrs = m[1];
    const type = (attribute(attrs, 'type') || '').trim().toLowerCase();
    if (type && !/^(text|application)\/(x-)?(java|ecma)script$/.test(type)) continue;
    const src = attribute(attrs, 'src');
    if (src !== null) {
      scripts.push({ src });
    } else {
      const line = text.slice(0, m.index).split('\n').length;
      scripts.push({ code: m[2], line });
    }
  }
  return { scripts, title, longTimeout };
}

// A .window.js test: the harness, the `// META: script=` scripts, the file.
function parseWindowJs(text) {
  const scripts = [{ src: '/resources/testharness.js' }];
  let title = null;
  let longTimeout = false;
  for (const line of text.split('\n')) {
    const m = /^\/\/\s*META:\s*(\w+)=(.*)$/.exec(line.trim());
    if (!m) continue;
    const value = m[2].trim();
    if (m[1] === 'script') scripts.push({ src: value });
    else if (m[1] === 'title') title = value;
    else if (m[1] === 'timeout' && value === 'long') longTimeout = true;
  }
  scripts.push({ src: '/' + file.split(path.sep).join('/') });
  return { scripts, title, longTimeout };
}

const testUrl = new URL(
    (/\.https\./.test(file) ? 'https://web-platform.test:8443/' : 'http://web-platform.test:8000/') +
    file.split(path.sep).join('/'));

// The checkout path of a URL of this origin, or null.
function localPath(url) {
  if (url.origin !== testUrl.origin) return null;
  let pathname = decodeURIComponent(url.pathname);
  pathname = ALIASES.get(pathname) || pathname;
  const resolved = path.resolve(ROOT, '.' + pathname);
  if (resolved !== ROOT && !resolved.startsWith(ROOT + path.sep)) return null;
  return resolved;
}

// --- Results -------------------------------------------------------------------

const TEST_STATUS = ['PASS', 'FAIL', 'TIMEOUT', 'NOTRUN', 'PRECONDITION_FAILED'];
const HARNESS_STATUS = ['OK', 'ERROR', 'TIMEOUT', 'PRECONDITION_FAILED'];
const notes = [];
let written = false;

function writeResult(result) {
  if (written) return;
  written = true;
  try {
    fs.writeFileSync(resultPath, JSON.stringify(result));
  } catch (error) {
    // The runner sees a process that ended without a result: a CRASH.
    process.stderr.write(`run_one.js: cannot write ${resultPath}: ${error}\n`);
    process.exit(3);
  }
}

// --- The global -----------------------------------------------------------------

function installGlobals(title) {
  const g = globalThis;
  g.self = g;
  g.window = g;
  g.location = testUrl;
  g.isSecureContext = testUrl.protocol === 'https:';
  if (title) g.META_TITLE = title;

  // The global as an event target, as a Window is.
  const target = new EventTarget();
  for (const name of ['addEventListener', 'removeEventListener', 'dispatchEvent']) {
    Object.defineProperty(g, name, {
      value: target[name].bind(target), writable: true, configurable: true,
    });
  }
  // ErrorEvent and PromiseRejectionEvent as far as the harness reads them.
  class ErrorEvent extends Event {
    constructor(type, init = {}) {
      super(type, init);
      this.message = init.message ?? '';
      this.filename = init.filename ?? '';
      this.lineno = init.lineno ?? 0;
      this.colno = init.colno ?? 0;
      this.error = init.error;
    }
  }
  class PromiseRejectionEvent extends Event {
    constructor(type, init = {}) {
      super(type, init);
      this.promise = init.promise;
      this.reason = init.reason;
    }
  }
  if (!g.ErrorEvent) g.ErrorEvent = ErrorEvent;
  if (!g.PromiseRejectionEvent) g.PromiseRejectionEvent = PromiseRejectionEvent;

  // A browser reports an uncaught exception at the window (an `error` event)
  // and goes on; so does this process.
  process.on('uncaughtException', (error) => reportError(error));
  process.on('unhandledRejection', (reason, promise) => {
    g.dispatchEvent(new g.PromiseRejectionEvent('unhandledrejection',
                                                { promise, reason, cancelable: true }));
  });

  // The global is the page's Window: idlharness decides which interfaces
  // are exposed from `Window in self` (an [Exposed=Window] interface, as
  // all of WebRTC's are).
  if (!g.Window) {
    g.Window = function Window() { throw new TypeError('Illegal constructor'); };
    Object.setPrototypeOf(g, Object.create(Object.getPrototypeOf(g), {
      constructor: { value: g.Window, writable: true, configurable: true },
    }));
    g.Window.prototype = Object.getPrototypeOf(g);
  }

  // The harness's fallback for a canvas stream: none in Node, so
  // getNoiseStream() goes to navigator.mediaDevices.
  g.HTMLCanvasElement = class HTMLCanvasElement {};
  if (typeof g.navigator === 'undefined') {
    Object.defineProperty(g, 'navigator', {
      value: {}, writable: true, configurable: true,
    });
  }

  // FileReader over Blob.arrayBuffer()/text() (Node has Blob, not FileReader).
  if (!g.FileReader) g.FileReader = makeFileReader();

  // The WebDriver bridge's stand-ins: permissions are granted by the host
  // (rtcbox has no prompts in this runner) and every call is a user
  // activation.
  g.test_driver = {
    set_permission: async () => {},
    bless: async (_intent, action) => (typeof action === 'function' ? action() : undefined),
  };

  // fetch: same-origin URLs are files of the checkout, as wptserve serves
  // them.
  const realFetch = g.fetch;
  g.fetch = async function fetch(input, init) {
    const url = new URL(typeof input === 'string' ? input : input.url, testUrl);
    const local = localPath(url);
    if (local === null) {
      if (realFetch) return realFetch(input, init);
      throw new TypeError(`fetch: ${url} is not reachable`);
    }
    try {
      const body = await fs.promises.readFile(local);
      return new Response(body, { status: 200, headers: { 'Content-Type': mimeType(local) } });
    } catch {
      return new Response('Not found', { status: 404 });
    }
  };
}

function mimeType(file) {
  if (file.endsWith('.js')) return 'text/javascript';
  if (file.endsWith('.json')) return 'application/json';
  if (file.endsWith('.html')) return 'text/html';
  return 'text/plain';
}

function makeFileReader() {
  return class FileReader extends EventTarget {
    constructor() {
      super();
      this.readyState = 0;
      this.result = null;
      this.error = null;
      this.onload = null;
      this.onloadend = null;
      this.onerror = null;
    }
    readAsArrayBuffer(blob) { this._read(blob, (b) => b.arrayBuffer()); }
    readAsText(blob) { this._read(blob, (b) => b.text()); }
    _read(blob, how) {
      this.readyState = 1;
      how(blob).then((result) => {
        this.readyState = 2;
        this.result = result;
        this._fire('load');
        this._fire('loadend');
      }, (error) => {
        this.readyState = 2;
        this.error = error;
        this._fire('error');
        this._fire('loadend');
      });
    }
    _fire(type) {
      const event = new Event(type);
      const handler = this['on' + type];
      if (typeof handler === 'function') handler.call(this, event);
      this.dispatchEvent(event);
    }
  };
}

// The minimal document, installed once testharness.js has chosen the shell
// environment: tests that write progress into an element find one; creating
// elements fails (there is no DOM to render into).
function installDocument(title) {
  const element = () => ({
    textContent: '', innerHTML: '', innerText: '', value: '', style: {},
    appendChild(child) { return child; },
    setAttribute() {},
  });
  const elements = new Map();
  globalThis.document = {
    title: title || '',
    body: element(),
    getElementById(id) {
      if (!elements.has(id)) elements.set(id, element());
      return elements.get(id);
    },
    getElementsByTagName(name) {
      if (String(name).toLowerCase() === 'title' && title) {
        return [{ firstChild: { data: title } }];
      }
      return [];
    },
    querySelector() { return null; },
    createElement(name) {
      throw new DOMException(`document.createElement('${name}'): the Node WPT runner has no DOM`,
                             'NotSupportedError');
    },
    createTextNode(text) { return { data: String(text) }; },
  };
}

function reportError(error) {
  const message = error && error.message !== undefined ? String(error.message) : String(error);
  const event = new globalThis.ErrorEvent('error', { message, error, cancelable: true });
  globalThis.dispatchEvent(event);
}

// --- Running ----------------------------------------------------------------------

function loadScripts(scripts, htmlPath) {
  const loaded = [];
  for (const script of scripts) {
    if (script.code !== undefined) {
      loaded.push({ code: script.code, filename: htmlPath, lineOffset: script.line - 1 });
      continue;
    }
    const url = new URL(script.src, testUrl);
    const local = localPath(url);
    const pathname = url.pathname;
    if (REPLACED.has(pathname)) continue;
    if (local === null || !fs.existsSync(local)) {
      // A browser gets a 404 and goes on without the script.
      notes.push(`script not found: ${script.src}`);
      continue;
    }
    loaded.push({ code: fs.readFileSync(local, 'utf8'), filename: local, lineOffset: 0, pathname });
  }
  return loaded;
}

function main() {
  const filePath = path.join(ROOT, file);
  const text = fs.readFileSync(filePath, 'utf8');
  const parsed = file.endsWith('.window.js') || file.endsWith('.any.js') ?
    parseWindowJs(text) : parseHtml(text);

  installGlobals(parsed.title);
  // The implementation under test, installed as a browser defines its
  // interface objects.
  require(path.join(REPO, 'api', 'js', 'lib', 'global.js'));

  const scripts = loadScripts(parsed.scripts, filePath);
  if (!scripts.some((s) => s.pathname === '/resources/testharness.js')) {
    writeResult({ harness: { status: 'ERROR', message: 'no testharness.js in the file' },
                  subtests: [], notes });
    process.exit(0);
  }

  let harnessLoaded = false;
  for (const script of scripts) {
    try {
      vm.runInThisContext(script.code, {
        filename: script.filename, lineOffset: script.lineOffset,
      });
    } catch (error) {
      if (!harnessLoaded) {
        writeResult({ harness: { status: 'ERROR', message: `loading ${script.filename}: ${error}` },
                      subtests: [], notes });
        process.exit(0);
      }
      reportError(error);
    }
    if (!harnessLoaded && script.pathname === '/resources/testharness.js') {
      harnessLoaded = true;
      globalThis.add_completion_callback((tests, status) => {
        writeResult({
          harness: {
            status: HARNESS_STATUS[status.status] || String(status.status),
            message: status.message || null,
          },
          subtests: tests.map((t) => ({
            name: t.name,
            status: TEST_STATUS[t.status] || String(t.status),
            message: t.message || null,
          })),
          notes,
        });
        // Leave once the harness has finished, whatever the tests left open,
        // after the callbacks queued behind this one.
        setImmediate(() => process.exit(0));
      });
      installDocument(parsed.title);
    }
  }

  // The harness of a shell has no timeout of its own.
  const timer = setTimeout(() => {
    notes.push(`timeout after ${timeoutMs} ms`);
    globalThis.timeout();
  }, timeoutMs);
  timer.unref?.call(timer);
  // Keeps the process alive until the harness completes or times out, even
  // when a test waits for an event nothing will fire.
  setInterval(() => {}, 1 << 30);
}

main();
