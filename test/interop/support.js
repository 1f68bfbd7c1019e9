'use strict';
// Shared helpers of the interop tests (not a test file itself): headless
// Chromium in a network namespace of its own, driven through Playwright,
// and rtcbox in this process.
//
// Namespaces. test/interop/run_tests.sh runs `node --test` in new network
// and PID namespaces (unshare) with only the loopback up; that is where
// rtcbox runs. Each Chromium is started by chromium_netns.sh (Playwright's
// executablePath), which puts it in a further network namespace joined to
// ours by a veth pair that it creates (rtcboxa 10.77.1.1 here, rtcboxb
// 10.77.1.2 there, each side's default route through it). ICE, DTLS, SCTP
// and mDNS therefore cross a real link between two hosts' worth of
// network stacks, and mDNS queries and answers are real multicast. The pair
// and Chromium's namespace vanish with Chromium's processes. Without
// RTCBOX_INTEROP_NETNS=1 (set by run_tests.sh once the namespaces are
// there) the tests skip: they change the network configuration of the
// namespace they run in.
//
// The page. It is "served" from http://127.0.0.1:8000/ by Playwright's
// request interception (page.route): no HTTP server, nothing listening. The
// origin is a secure context (a loopback URL is potentially trustworthy).
//
// Signaling. Node calls the page with page.evaluate(); the page reports
// events through a function exposed by page.exposeFunction(): both ride on
// Playwright's pipe to Chromium, so signaling needs no socket and the veth
// carries only WebRTC's traffic.

const assert = require('node:assert/strict');
const { spawnSync } = require('node:child_process');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');

const ROOT = path.resolve(__dirname, '..', '..');
const OUT = path.resolve(ROOT, process.env.RTCBOX_TEST_OUT || 'out/clang');
const CHROMIUM = process.env.RTCBOX_INTEROP_CHROMIUM || '/usr/bin/chromium';
const WRAPPER = path.join(__dirname, 'chromium_netns.sh');
const ORIGIN = 'http://127.0.0.1:8000';
const TIMEOUT_MS = 20000;

// The flags of `make demo-chromium` (demo/chromium.js) but its mDNS ones.
// With mDNS (Chromium's default) the media flags go too:
// --use-fake-ui-for-media-stream grants the page the media permission, and
// a page holding it gets raw host addresses instead of `<uuid>.local`
// names (measured: with it, Chromium here offers 10.77.1.2). `mdns: false`
// adds demo/chromium.js's two mDNS flags.
const FLAGS = [
  '--no-sandbox',
  '--headless',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
  '--disable-quic',
];
const MEDIA_FLAGS = ['--use-fake-ui-for-media-stream', '--use-fake-device-for-media-stream'];
const NO_MDNS_FLAGS = ['--disable-features=WebRtcHideLocalIpsWithMdns', '--allow-loopback-in-peer-connection'];

// More flags, for debugging (e.g. "--enable-logging=stderr
// --vmodule=*/webrtc/*=1" with DEBUG=pw:browser shows libwebrtc's log).
const EXTRA_FLAGS = (process.env.RTCBOX_INTEROP_CHROMIUM_FLAGS || '').split(/\s+/).filter(Boolean);

// The scripts of the page (page/), in the order it loads them.
const PAGE_SCRIPTS = ['messages.js', 'bench.js', 'peer.js'];

const SANITIZED = fs.readFileSync('/proc/self/maps', 'utf8').includes('libclang_rt.asan');

// Why the tests cannot run here (a skip reason), or false.
function whySkip() {
  if (process.env.RTCBOX_INTEROP_NETNS !== '1') {
    return 'run through test/interop/run_tests.sh (it makes the network namespaces these tests reconfigure)';
  }
  if (SANITIZED) return 'the ASan runtime refuses RTLD_DEEPBIND (rtcbox.node)';
  if (!fs.existsSync(CHROMIUM)) return `${CHROMIUM} is not installed (Debian package chromium)`;
  try {
    require.resolve('playwright-core');
  } catch (error) {
    return 'npm playwright-core is not installed (npm ci)';
  }
  return false;
}

let api = null;
function rtc() {
  if (!api) {
    process.env.RTCBOX_ADDON = path.join(OUT, 'rtcbox.node');
    api = require(ROOT);
  }
  return api;
}

function withTimeout(promise, what, ms = TIMEOUT_MS) {
  let timer;
  const timeout = new Promise((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms waiting for ${what}`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

function once(target, type, what) {
  return withTimeout(new Promise((resolve) => target.addEventListener(type, resolve, { once: true })),
      what || `'${type}'`);
}

// The pids of the processes whose command line mentions `text`.
function processesWith(text) {
  return fs.readdirSync('/proc').filter((pid) => /^\d+$/.test(pid)).filter((pid) => {
    try {
      return fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes(text);
    } catch (error) {
      return false;
    }
  });
}

// Whether this namespace has the veth end to Chromium's namespace. (Not
// /sys/class/net: sysfs shows the namespace it was mounted in.)
function hasVeth() {
  return spawnSync('ip', ['link', 'show', 'rtcboxa'], { stdio: 'ignore' }).status === 0;
}

// Headless Chromium with the interop page, in its namespace. Events of the
// page are recorded in `events`; waitFor() waits for one.
class Chromium {
  constructor() {
    this.events = [];
    this.waiters = [];
    this.context = null;
    this.page = null;
    this.folder = null;
    this.pageErrors = [];
  }

  static async launch({ mdns = true } = {}) {
    const c = new Chromium();
    c.folder = fs.mkdtempSync(path.join(os.tmpdir(), 'rtcbox-io-'));
    const profile = path.join(c.folder, 'profile');
    const tmp = path.join(c.folder, 'tmp');
    fs.mkdirSync(profile);
    fs.mkdirSync(tmp);
    const { chromium } = require('playwright-core');
    const started = performance.now();
    try {
      c.context = await chromium.launchPersistentContext(profile, {
        executablePath: WRAPPER,
        env: { ...process.env, TMPDIR: tmp, RTCBOX_INTEROP_CHROMIUM: CHROMIUM },
        headless: true,
        chromiumSandbox: false,
        args: [...(mdns ? FLAGS : [...FLAGS, ...MEDIA_FLAGS, ...NO_MDNS_FLAGS]), ...EXTRA_FLAGS],
        handleSIGINT: false,
        handleSIGTERM: false,
        handleSIGHUP: false,
        timeout: TIMEOUT_MS,
      });
    } catch (error) {
      fs.rmSync(c.folder, { recursive: true, force: true, maxRetries: 5 });
      throw error;
    }
    c.launchMs = performance.now() - started;
    c.version = c.context.browser() ? c.context.browser().version() : null;
    const page = c.context.pages()[0] || await c.context.newPage();
    c.page = page;
    page.on('pageerror', (error) => c.pageErrors.push(error.message));
    await page.route(`${ORIGIN}/**`, (route) => {
      const file = new URL(route.request().url()).pathname;
      const bodies = {
        '/': '<!DOCTYPE html><meta charset="utf-8"><title>rtcbox interop</title>' +
          PAGE_SCRIPTS.map((name) => `<script src="/${name}"></script>`).join(''),
      };
      for (const name of PAGE_SCRIPTS) bodies[`/${name}`] = fs.readFileSync(path.join(__dirname, 'page', name), 'utf8');
      if (!(file in bodies)) return route.fulfill({ status: 404, body: 'not found' });
      return route.fulfill({
        status: 200,
        contentType: file === '/' ? 'text/html' : 'text/javascript',
        body: bodies[file],
      });
    });
    await page.exposeFunction('interopEvent', (event) => c.onEvent(event));
    await page.goto(`${ORIGIN}/`);
    assert.equal(await page.evaluate(() => window.isSecureContext), true, 'the page is not a secure context');
    // (A persistent context has no browser() to ask: the user agent says.)
    if (!c.version) {
      const agent = await page.evaluate(() => navigator.userAgent);
      c.version = (/Chrome\/([\d.]+)/.exec(agent) || [null, null])[1];
    }
    return c;
  }

  onEvent(event) {
    this.events.push(event);
    for (const w of this.waiters.slice()) {
      if (w.match(event)) {
        this.waiters.splice(this.waiters.indexOf(w), 1);
        w.resolve(event);
      }
    }
    if (this.onevent) this.onevent(event);
  }

  // The first event (already recorded or to come) for which match(event).
  waitFor(match, what, ms = TIMEOUT_MS) {
    const seen = this.events.find(match);
    if (seen) return Promise.resolve(seen);
    return withTimeout(new Promise((resolve) => this.waiters.push({ match, resolve })), `Chromium: ${what}`, ms);
  }

  // Calls window.interop[method](...args) in the page.
  call(method, ...args) {
    return this.page.evaluate(([m, a]) => window.interop[m](...a), [method, args]);
  }

  // Closes Chromium and removes its folder; then checks that no process
  // of it is left and that its namespace's veth pair is gone.
  async close() {
    if (this.context) {
      const context = this.context;
      this.context = null;
      await withTimeout(context.close(), 'Chromium to close', 10000).catch(() => {});
    }
    if (!this.folder) return;
    const folder = this.folder;
    this.folder = null;
    // The processes end shortly after the browser says it closed.
    let left = processesWith(folder);
    for (let i = 0; i < 100 && left.length > 0; i++) {
      await new Promise((resolve) => setTimeout(resolve, 50));
      left = processesWith(folder);
    }
    fs.rmSync(folder, { recursive: true, force: true, maxRetries: 5 });
    assert.deepEqual(left, [], `Chromium processes left behind (${folder})`);
    let link = hasVeth();
    for (let i = 0; i < 100 && link; i++) {
      await new Promise((resolve) => setTimeout(resolve, 50));
      link = hasVeth();
    }
    assert.equal(link, false, 'the veth pair to Chromium\'s namespace is still there');
  }
}

// Starts Chromium for test `t` (closed and checked when the test ends:
// the check's failure fails the test) and creates its RTCPeerConnection.
async function startChromium(t, options = {}) {
  const c = await Chromium.launch(options);
  t.after(() => c.close());
  await c.call('create', {});
  t.diagnostic(`Chromium ${c.version} started in ${c.launchMs.toFixed(0)} ms (mdns ${options.mdns !== false})`);
  return c;
}

// A new rtcbox RTCPeerConnection, closed when test `t` ends.
function newRtcbox(t) {
  const { RTCPeerConnection } = rtc();
  const pc = new RTCPeerConnection();
  t.after(() => pc.close());
  return pc;
}

// Signaling between rtcbox's `pc` and Chromium `c`, for the life of a
// test: candidates trickle both ways from the start; negotiate() runs one
// offer/answer exchange. A candidate goes to a side only once that side
// has applied a remote description with the candidate's ufrag, as
// webrtc-pc requires (addIceCandidate rejects a ufrag that no applied
// remote description has): after an ICE restart, the answerer's new
// candidates would otherwise reach the offerer before the answer, and be
// refused. Until then it is held. `fromChromium` and `fromRtcbox` list the
// candidates each side received (a candidate the receiver refused is
// recorded as { error, cand }).
class Signaling {
  constructor(pc, c) {
    this.pc = pc;
    this.c = c;
    this.fromChromium = [];
    this.fromRtcbox = [];
    // The ufrags of the remote descriptions each side applied.
    this.rtcboxKnows = new Set();
    this.chromiumKnows = new Set();
    this.heldForRtcbox = [];
    this.heldForChromium = [];
    c.onevent = (event) => {
      if (event.type !== 'icecandidate' || !event.candidate) return;
      if (this.rtcboxKnows.has(event.candidate.usernameFragment)) this.toRtcbox(event.candidate);
      else this.heldForRtcbox.push(event.candidate);
    };
    pc.addEventListener('icecandidate', (e) => {
      if (!e.candidate) return;
      const cand = e.candidate.toJSON();
      if (this.chromiumKnows.has(cand.usernameFragment)) this.toChromium(cand);
      else this.heldForChromium.push(cand);
    });
  }

  toRtcbox(cand) {
    this.fromChromium.push(cand);
    return this.pc.addIceCandidate(cand).catch((e) => {
      this.fromChromium.push({ error: String(e), cand });
    });
  }

  toChromium(cand) {
    this.fromRtcbox.push(cand);
    return this.c.call('addCandidate', cand).catch((e) => {
      this.fromRtcbox.push({ error: String(e), cand });
    });
  }

  // Called once `side` applied a remote description: it now knows that
  // description's ufrags; the candidates held for it that carry one of
  // them go.
  applied(side, description) {
    const knows = side === 'rtcbox' ? this.rtcboxKnows : this.chromiumKnows;
    for (const m of description.sdp.matchAll(/^a=ice-ufrag:(\S+)/gm)) knows.add(m[1]);
    const held = side === 'rtcbox' ? this.heldForRtcbox : this.heldForChromium;
    const keep = [];
    for (const cand of held.splice(0)) {
      // A candidate without a ufrag belongs to whatever description is
      // current (webrtc-pc).
      if (cand.usernameFragment == null || knows.has(cand.usernameFragment)) {
        if (side === 'rtcbox') this.toRtcbox(cand);
        else this.toChromium(cand);
      } else {
        keep.push(cand);
      }
    }
    held.push(...keep);
  }

  // One offer/answer exchange, `offerer` ('rtcbox' or 'chromium') making
  // the offer (Chromium's includes an ICE restart after its restartIce()).
  // Resolves with { offer, answer } once both sides applied both.
  async negotiate(offerer) {
    const { pc, c } = this;
    let offer;
    let answer;
    if (offerer === 'rtcbox') {
      await pc.setLocalDescription(await pc.createOffer());
      offer = pc.localDescription.toJSON();
      await c.call('setRemote', offer);
      this.applied('chromium', offer);
      answer = await c.call('answer');
      await pc.setRemoteDescription(answer);
      this.applied('rtcbox', answer);
    } else {
      offer = await c.call('offer');
      await pc.setRemoteDescription(offer);
      this.applied('rtcbox', offer);
      await pc.setLocalDescription(await pc.createAnswer());
      answer = pc.localDescription.toJSON();
      await c.call('setRemote', answer);
      this.applied('chromium', answer);
    }
    return { offer, answer };
  }
}

// Resolves when rtcbox's `pc` and Chromium `c` both report connectionState
// 'connected' (Chromium: its latest report).
async function bothConnected(pc, c) {
  const rtcboxConnected = new Promise((resolve) => {
    const check = () => {
      if (pc.connectionState === 'connected') resolve();
    };
    pc.addEventListener('connectionstatechange', check);
    check();
  });
  const chromiumConnected = c.waitFor((e) => e.connectionState === 'connected', 'connectionState connected');
  await Promise.all([withTimeout(rtcboxConnected, 'rtcbox connectionState connected'), chromiumConnected]);
}

// Connects rtcbox's `pc` and Chromium `c`: `offerer` ('rtcbox' or
// 'chromium') makes the offer. Resolves with the Signaling (its candidate
// lists, and negotiate() for later exchanges) once both report
// connectionState 'connected'.
async function connect(pc, c, offerer) {
  const signaling = new Signaling(pc, c);
  await signaling.negotiate(offerer);
  await bothConnected(pc, c);
  return signaling;
}

module.exports = {
  ROOT, OUT, TIMEOUT_MS, whySkip, rtc, withTimeout, once, processesWith, Chromium, startChromium, newRtcbox,
  Signaling, bothConnected, connect,
};
