'use strict';
// One measurement of one implementation, in a process of its own: the child
// that test/bench/run.js starts for every run, so that each figure of CPU
// time, RSS, threads and fds belongs to one implementation alone.
//
//   node test/bench/worker.js <impl> <bench> '<params as JSON>'
//
// <impl>: rtcbox (the addon of RTCBOX_BENCH_BUILD, out/release), wrtc
// (npm @roamhq/wrtc: libwebrtc) or ndc (npm node-datachannel's W3C
// polyfill: libdatachannel with usrsctp); the last two come from
// test/bench/node_modules. Prints one line of JSON, the result, on stdout.
//
// Benchmarks (params in brackets):
//   bulk      [size, total, procs, crowd]  one reliable ordered channel;
//             the sender and the receiver of test/interop/page/bench.js
//             (refill up to 1 MiB of bufferedAmount when bufferedamountlow
//             fires at 512 KiB; every message's length and markers
//             checked). procs 2: the receiver in a second process (this
//             script, role "peer"), signalling over the IPC pipe. crowd
//             (one process only): that many idle pairs, each with an open
//             channel, connected first and open during the run.
//   rate      [seconds, size]  unordered, maxRetransmits 0 messages sent as
//             fast as the channel takes them; messages received per second.
//   pingpong  [count, warmup, size]  one message echoed back, count times;
//             round-trip times.
//   setup     [count, reuseCert]  a new pair until its channel is open at
//             both ends, count times one after the other.
//   setupN    [pairs]  `pairs` new pairs at once until every channel is open.
//   cert      [ecdsa, rsa]  RTCPeerConnection.generateCertificate() times.
//   idle      [pairs]  RSS, threads and fds per RTCPeerConnection with
//             `pairs` connected pairs, each with an open channel.

const childProcess = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');
const { createRequire } = require('node:module');

const ROOT = path.resolve(__dirname, '..', '..');
const Bench = require('../interop/page/bench.js');

function load(impl) {
  const local = createRequire(path.join(__dirname, 'package.json'));
  let api;
  if (impl === 'rtcbox') {
    process.env.RTCBOX_ADDON = path.resolve(ROOT, process.env.RTCBOX_BENCH_BUILD || 'out/release', 'rtcbox.node');
    api = require(ROOT);
  } else if (impl === 'wrtc') {
    api = local('@roamhq/wrtc');
  } else if (impl === 'ndc') {
    api = local('node-datachannel/polyfill');
  } else {
    throw new Error(`unknown implementation ${impl}`);
  }
  return { RTCPeerConnection: api.RTCPeerConnection, impl };
}

// The polling period of the sender while it waits for bufferedamountlow
// (page/bench.js): @roamhq/wrtc never fires that event (its RTCDataChannel
// has no bufferedAmountLowThreshold), so it is polled every millisecond
// instead of every 250 (wokenByPoll counts it).
const POLL_MS = { rtcbox: 250, wrtc: 1, ndc: 250 };

// node-datachannel's setRemoteDescription() now and then rejects a
// description that carries candidates ("Got a remote candidate without ICE
// transport"): its descriptions travel without them (they are trickled
// anyway).
const STRIP_CANDIDATES = { ndc: true };

function describe(impl, d) {
  const sdp = STRIP_CANDIDATES[impl] ? d.sdp.split('\r\n').filter((l) => !/^a=(candidate|end-of-candidates)/.test(l)).join('\r\n') : d.sdp;
  return { type: d.type, sdp };
}

// --- Measures of this process ---

function cpuSeconds(since) {
  const u = process.cpuUsage(since);
  return (u.user + u.system) / 1e6;
}

// CPU seconds (user + system) of this process's threads so far: `main`,
// the JavaScript thread, and `other`, every other thread (an
// implementation's network, worker and library threads; V8's and libuv's).
// From /proc/self/task/*/stat, in clock ticks (10 ms): good to a few
// percent over a transfer of seconds. A thread that ends in between takes
// its time with it.
const CLK_TCK = 100;
function threadCpu() {
  const out = { main: 0, other: 0 };
  // Our pid as that /proc sees it (process.pid is the PID namespace's).
  const self = fs.readlinkSync('/proc/self');
  for (const tid of fs.readdirSync('/proc/self/task')) {
    let stat;
    try {
      stat = fs.readFileSync(`/proc/self/task/${tid}/stat`, 'utf8');
    } catch {
      continue; // ended meanwhile
    }
    // After "pid (comm) ": state is field 3; utime and stime are 14 and 15.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const seconds = (Number(fields[11]) + Number(fields[12])) / CLK_TCK;
    out[tid === self ? 'main' : 'other'] += seconds;
  }
  return out;
}

function threadCpuSince(before) {
  const now = threadCpu();
  return { main: now.main - before.main, other: now.other - before.other };
}

function status() {
  const text = fs.readFileSync('/proc/self/status', 'utf8');
  const field = (name) => Number((new RegExp(`^${name}:\\s*(\\d+)`, 'm').exec(text) || [0, 0])[1]);
  return { rssKiB: field('VmRSS'), threads: field('Threads'), fds: fs.readdirSync('/proc/self/fd').length };
}

function peakRssMiB() {
  return process.resourceUsage().maxRSS / 1024; // maxRSS is in KiB
}

function percentile(xs, p) {
  const s = xs.slice().sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.max(0, Math.ceil(p / 100 * s.length) - 1))];
}

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

function withTimeout(promise, what, ms) {
  let timer;
  return Promise.race([
    promise,
    new Promise((_, reject) => {
      timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms waiting for ${what}`)), ms);
    }),
  ]).finally(() => clearTimeout(timer));
}

function opened(dc) {
  if (dc.readyState === 'open') return Promise.resolve(dc);
  return new Promise((resolve, reject) => {
    dc.addEventListener('open', () => resolve(dc), { once: true });
    dc.addEventListener('close', () => reject(new Error('the channel closed before it opened')), { once: true });
  });
}

// --- A pair in this process ---

// Adds candidates to `pc`, holding those that come before its remote
// description (addIceCandidate() would reject them); call flush() once it is
// set.
function candidateSink(pc) {
  let held = [];
  const add = (c) => pc.addIceCandidate(c).catch(() => {});
  return {
    add(c) {
      if (held) held.push(c);
      else add(c);
    },
    flush() {
      const h = held || [];
      held = null;
      h.forEach(add);
    },
  };
}

// Two RTCPeerConnections, a offering a channel to b with trickled
// candidates; resolves with both ends once both are open.
async function pair(api, { config = {}, channel = {}, owned = null } = {}) {
  const a = new api.RTCPeerConnection(config);
  const b = new api.RTCPeerConnection(config);
  if (owned) owned.push(a, b);
  const toA = candidateSink(a);
  const toB = candidateSink(b);
  a.addEventListener('icecandidate', (e) => e.candidate && toB.add(e.candidate));
  b.addEventListener('icecandidate', (e) => e.candidate && toA.add(e.candidate));
  const remote = new Promise((resolve) => b.addEventListener('datachannel', (e) => resolve(e.channel), { once: true }));
  const dcA = a.createDataChannel('bench', channel);
  await a.setLocalDescription(await a.createOffer());
  await b.setRemoteDescription(describe(api.impl, a.localDescription));
  toB.flush();
  await b.setLocalDescription(await b.createAnswer());
  await a.setRemoteDescription(describe(api.impl, b.localDescription));
  toA.flush();
  const [dcB] = await Promise.all([remote.then(opened), opened(dcA)]);
  return { a, b, dcA, dcB, close() { a.close(); b.close(); } };
}

// A pair for the benchmarks that make many (IDLE, SETUP-100): an attempt
// that is not open within `ms` is closed and made again, up to `tries`
// times (node-datachannel now and then leaves a pair unconnected, or
// rejects a description); stats.retries counts those attempts.
async function patientPair(api, stats, { tries = 3, ms = 10000 } = {}) {
  for (let attempt = 1; ; attempt++) {
    const owned = [];
    try {
      return await withTimeout(pair(api, { owned }), 'a pair to connect', ms);
    } catch (error) {
      for (const pc of owned) pc.close();
      stats.retries++;
      if (attempt >= tries) throw new Error(`${tries} attempts at a pair failed, the last: ${error.message}`);
    }
  }
}

// Throws when `more` RTCPeerConnections would take this process past its
// open-file limit, going by the fds per connection so far.
function checkFdRoom(before, pcsSoFar, more) {
  const limits = fs.readFileSync('/proc/self/limits', 'utf8');
  const limit = Number((/^Max open files\s+(\d+)/m.exec(limits) || [0, Infinity])[1]);
  const now = status().fds;
  const perPc = pcsSoFar ? (now - before.fds) / pcsSoFar : 0;
  if (now + perPc * more > limit * 0.95) {
    throw new Error(`${more} more RTCPeerConnections at ${perPc.toFixed(1)} fds each would exceed the open-file ` +
      `limit (${limit}; ${now} open)`);
  }
}

// --- A pair across two processes ---

// The answering end in the child (role "peer"): it answers over the IPC
// pipe, runs the receiver of a bulk plan and reports its figures.
async function peerMain(impl) {
  const api = load(impl);
  const pc = new api.RTCPeerConnection({});
  const sink = candidateSink(pc);
  let plan = null;
  pc.addEventListener('icecandidate', (e) => e.candidate && process.send({ type: 'candidate', candidate: e.candidate.toJSON ? e.candidate.toJSON() : e.candidate }));
  pc.addEventListener('datachannel', (e) => {
    const dc = e.channel;
    let cpu0 = null;
    let threads0 = null;
    dc.addEventListener('message', () => {
      if (cpu0 === null) {
        cpu0 = process.cpuUsage();
        threads0 = threadCpu();
      }
    }, { once: true });
    Bench.receive(dc, plan, (result) => {
      // Times since the epoch, comparable with the sender's.
      result.firstMs += performance.timeOrigin;
      result.lastMs += performance.timeOrigin;
      process.send({ type: 'done', result, cpu: cpuSeconds(cpu0), threads: threadCpuSince(threads0), peakRssMiB: peakRssMiB() });
    });
  });
  process.on('message', async (m) => {
    if (m.type === 'plan') plan = m.plan;
    else if (m.type === 'offer') {
      await pc.setRemoteDescription(m.description);
      sink.flush();
      await pc.setLocalDescription(await pc.createAnswer());
      process.send({ type: 'answer', description: describe(impl, pc.localDescription) });
    } else if (m.type === 'candidate') {
      sink.add(m.candidate);
    } else if (m.type === 'exit') {
      pc.close();
      process.exit(0);
    }
  });
  // The sending process went away without saying so.
  process.on('disconnect', () => process.exit(0));
  process.send({ type: 'ready' });
}

// --- Benchmarks ---

async function bulk(api, impl, { size, total, procs = 1, crowd = 0 }) {
  const count = Math.max(2, Math.round(total / size));
  const plan = { count, size, poll: POLL_MS[impl] };
  if (procs === 2) return bulkTwoProcesses(api, impl, plan);
  // `crowd` idle pairs (an open channel each) stay open beside the run.
  const idlers = [];
  for (let i = 0; i < crowd; i += 10) {
    idlers.push(...await Promise.all(Array.from({ length: Math.min(10, crowd - i) }, () => patientPair(api, { retries: 0 }))));
  }
  try {
    return await bulkOneProcess(api, plan);
  } finally {
    for (const p of idlers) p.close();
  }
}

async function bulkOneProcess(api, plan) {
  const p = await pair(api);
  const done = new Promise((resolve) => Bench.receive(p.dcB, plan, resolve));
  const cpu0 = process.cpuUsage();
  const threads0 = threadCpu();
  const t0 = performance.now();
  const [sender, result] = await withTimeout(Promise.all([Bench.send(p.dcA, plan), done]), 'the bulk run', Math.max(120000, plan.count * plan.size / 1e3));
  const cpu = cpuSeconds(cpu0);
  const threads = threadCpuSince(threads0);
  const wallMs = performance.now() - t0;
  p.close();
  return bulkFigures(plan, result, sender, { cpu, threads }, wallMs, peakRssMiB(), t0);
}

// Goodput: the bytes received over the time from the start of sending to
// the arrival of the last message (so that a sender whose send() queues
// everything at once gains nothing by it); mbpsReceiving is the rate of
// dc_chromium.js, first arrival to last, the first message not counted.
function bulkFigures(plan, result, sender, { cpu, threads }, wallMs, peak, startMs) {
  const want = plan.count * plan.size;
  if (result.errors.length || result.messages !== plan.count || result.bytes !== want) {
    throw new Error(`received ${result.messages} messages, ${result.bytes} bytes (expected ${plan.count}, ${want}): ` +
      `${result.errors.join('; ') || 'no message was wrong'}`);
  }
  return {
    mbps: result.bytes / (result.lastMs - startMs) / 1000,
    mbpsReceiving: (result.bytes - plan.size) / (result.lastMs - result.firstMs) / 1000,
    cpuPerGB: cpu / (want / 1e9),
    // The JavaScript thread(s) and all others (/proc, clock ticks).
    cpuJsPerGB: threads.main / (want / 1e9),
    cpuOtherPerGB: threads.other / (want / 1e9),
    cpu,
    wallMs,
    peakRssMiB: peak,
    waits: sender.waits,
    wokenByPoll: sender.wokenByPoll,
    yields: sender.yields,
  };
}

async function bulkTwoProcesses(api, impl, plan) {
  const child = childProcess.fork(__filename, [impl, 'peer', '{}'], { stdio: ['ignore', 'ignore', 'inherit', 'ipc'] });
  // main() exits as soon as the figures are out: the receiving process
  // must not outlive it (it shares our stderr, which run.js waits on; a
  // peer whose close() hangs kept run.js waiting for ever).
  const killChild = () => child.kill('SIGKILL');
  process.on('exit', killChild);
  child.on('exit', () => process.off('exit', killChild));
  const messages = [];
  const waiters = [];
  child.on('message', (m) => {
    const i = waiters.findIndex((w) => w.type === m.type);
    if (i >= 0) waiters.splice(i, 1)[0].resolve(m);
    else messages.push(m);
  });
  const next = (type) => {
    const i = messages.findIndex((m) => m.type === type);
    if (i >= 0) return Promise.resolve(messages.splice(i, 1)[0]);
    return new Promise((resolve) => waiters.push({ type, resolve }));
  };
  const exited = new Promise((_, reject) => child.on('exit', (code) => reject(new Error(`the receiving process exited (${code})`))));
  exited.catch(() => {});
  try {
    await Promise.race([next('ready'), exited]);
    child.send({ type: 'plan', plan });
    const pc = new api.RTCPeerConnection({});
    const sink = candidateSink(pc);
    pc.addEventListener('icecandidate', (e) => e.candidate && child.send({ type: 'candidate', candidate: e.candidate.toJSON ? e.candidate.toJSON() : e.candidate }));
    child.on('message', (m) => {
      if (m.type === 'candidate') sink.add(m.candidate);
    });
    const dc = pc.createDataChannel('bench');
    await pc.setLocalDescription(await pc.createOffer());
    child.send({ type: 'offer', description: describe(impl, pc.localDescription) });
    const { description } = await Promise.race([next('answer'), exited]);
    await pc.setRemoteDescription(description);
    sink.flush();
    await withTimeout(Promise.race([opened(dc), exited]), 'the channel to open', 30000);
    const done = Promise.race([next('done'), exited]);
    const cpu0 = process.cpuUsage();
    const threads0 = threadCpu();
    const t0 = performance.now();
    const start = performance.timeOrigin + t0;
    const [sender, got] = await withTimeout(Promise.all([Bench.send(dc, plan), done]), 'the bulk run',
        Math.max(120000, plan.count * plan.size / 1e3));
    const cpu = cpuSeconds(cpu0) + got.cpu;
    const mine = threadCpuSince(threads0);
    const threads = { main: mine.main + got.threads.main, other: mine.other + got.threads.other };
    const wallMs = performance.now() - t0;
    const peak = peakRssMiB() + got.peakRssMiB;
    child.send({ type: 'exit' });
    pc.close();
    return bulkFigures(plan, got.result, sender, { cpu, threads }, wallMs, peak, start);
  } finally {
    setTimeout(() => child.kill('SIGKILL'), 2000).unref();
  }
}

async function rate(api, impl, { seconds = 10, size = 64 }) {
  const p = await pair(api, { channel: { ordered: false, maxRetransmits: 0 } });
  p.dcB.binaryType = 'arraybuffer';
  let received = 0;
  let first = 0;
  let last = 0;
  p.dcB.addEventListener('message', () => {
    last = performance.now();
    if (received++ === 0) first = last;
  });
  const bytes = Bench.payload(size);
  const dc = p.dcA;
  const low = 32 * 1024;
  const high = 128 * 1024;
  dc.bufferedAmountLowThreshold = low;
  let sent = 0;
  let wokenByPoll = 0;
  const cpu0 = process.cpuUsage();
  const end = performance.now() + seconds * 1000;
  while (performance.now() < end) {
    // Bounded batches, so that a channel whose bufferedAmount never grows
    // (it drops instead of queueing) still lets the receiver run.
    for (let i = 0; i < 256 && dc.bufferedAmount + size <= high; i++) {
      Bench.stamp(bytes, sent++);
      dc.send(bytes);
    }
    if (dc.bufferedAmount + size > high) {
      if (await Bench.waitLow(dc, low, POLL_MS[impl]) === 'poll') wokenByPoll++;
    } else {
      await new Promise((resolve) => setImmediate(resolve));
    }
  }
  // What is still under way arrives within a moment.
  for (let before = -1; before !== received;) {
    before = received;
    await sleep(200);
  }
  const cpu = cpuSeconds(cpu0);
  p.close();
  return {
    msgsPerSec: received > 1 ? (received - 1) / ((last - first) / 1000) : 0,
    sentPerSec: sent / seconds,
    lossPct: sent ? 100 * (sent - received) / sent : 0,
    cpu,
    wokenByPoll,
  };
}

async function pingpong(api, impl, { count = 5000, warmup = 200, size = 64 }) {
  const p = await pair(api);
  p.dcB.binaryType = 'arraybuffer';
  p.dcA.binaryType = 'arraybuffer';
  p.dcB.addEventListener('message', (e) => p.dcB.send(e.data));
  const bytes = Bench.payload(size);
  const rtts = [];
  const cpu0 = process.cpuUsage();
  await withTimeout(new Promise((resolve) => {
    let t = 0;
    let n = 0;
    const ping = () => {
      t = performance.now();
      p.dcA.send(bytes);
    };
    p.dcA.addEventListener('message', () => {
      const rtt = performance.now() - t;
      if (n++ >= warmup) rtts.push(rtt * 1000);
      if (n < warmup + count) ping();
      else resolve();
    });
    ping();
  }), 'the echoes', 120000);
  const cpu = cpuSeconds(cpu0);
  p.close();
  return { p50us: percentile(rtts, 50), p99us: percentile(rtts, 99), cpuPerRttUs: cpu / rtts.length * 1e6 };
}

async function certificate(api, algorithm) {
  if (typeof api.RTCPeerConnection.generateCertificate !== 'function') return null;
  try {
    return await api.RTCPeerConnection.generateCertificate(algorithm);
  } catch (error) {
    return null;
  }
}

const ECDSA = { name: 'ECDSA', namedCurve: 'P-256' };
const RSA = { name: 'RSASSA-PKCS1-v1_5', modulusLength: 2048, publicExponent: new Uint8Array([1, 0, 1]), hash: 'SHA-256' };

async function setup(api, impl, { count = 50, reuseCert = false }) {
  let config = {};
  if (reuseCert) {
    const cert = await certificate(api, ECDSA);
    if (!cert) return { unsupported: 'no RTCPeerConnection.generateCertificate()' };
    config = { certificates: [cert] };
  }
  // One unmeasured pair first: the module's first use (threads, tables).
  (await withTimeout(pair(api, { config }), 'the first pair', 30000)).close();
  const ms = [];
  for (let i = 0; i < count; i++) {
    const t0 = performance.now();
    const p = await withTimeout(pair(api, { config }), `pair ${i}`, 30000);
    ms.push(performance.now() - t0);
    p.close();
    await sleep(5);
  }
  return { p50ms: percentile(ms, 50), p99ms: percentile(ms, 99) };
}

async function setupN(api, impl, { pairs = 100 }) {
  (await withTimeout(pair(api), 'the first pair', 30000)).close();
  const t0 = performance.now();
  const each = [];
  const owned = [];
  let opened = 0;
  let all;
  try {
    all = await withTimeout(Promise.all(Array.from({ length: pairs }, () => pair(api, { owned }).then((p) => {
      each.push(performance.now() - t0);
      opened++;
      return p;
    }))), `${pairs} pairs`, 30000);
  } catch (error) {
    throw new Error(`${error.message} (${opened} of ${pairs} open)`);
  }
  const totalMs = performance.now() - t0;
  for (const p of all) p.close();
  return { totalMs, p50ms: percentile(each, 50), p99ms: percentile(each, 99) };
}

async function cert(api) {
  const out = {};
  for (const [key, algorithm, n] of [['ecdsaMs', ECDSA, 20], ['rsaMs', RSA, 5]]) {
    if (!(await certificate(api, algorithm))) {
      out[key] = null;
      continue;
    }
    const ms = [];
    for (let i = 0; i < n; i++) {
      const t0 = performance.now();
      await certificate(api, algorithm);
      ms.push(performance.now() - t0);
    }
    out[key] = percentile(ms, 50);
  }
  if (out.ecdsaMs === null && out.rsaMs === null) return { unsupported: 'no RTCPeerConnection.generateCertificate()' };
  return out;
}

async function idle(api, impl, { pairs = 10, batch = 10 }) {
  // The baseline: the module loaded and one pair connected, kept open
  // (not counted): what a process pays once, whatever the number of
  // connections (threads started, per-thread buffers made), is in it.
  const first = await withTimeout(pair(api), 'the first pair', 30000);
  await sleep(200);
  // Garbage of the negotiations is not what an idle connection keeps
  // (run.js starts this with --expose-gc).
  if (global.gc) global.gc();
  const before = status();
  const open = [];
  const stats = { retries: 0 };
  for (let i = 0; i < pairs; i += batch) {
    const n = Math.min(batch, pairs - i);
    checkFdRoom(before, 2 * i, 2 * (pairs - i));
    open.push(...await Promise.all(Array.from({ length: n }, () => patientPair(api, stats))));
  }
  await sleep(500);
  if (global.gc) global.gc();
  const after = status();
  const pcs = 2 * pairs;
  for (const p of open) p.close();
  // What closing leaves: the fds still open 2 s later (an implementation
  // may release its sockets on another thread after close() returns), the
  // first pair still open as in `before`.
  let closed = status();
  for (let waited = 0; closed.fds > before.fds && waited < 2000; waited += 100) {
    await sleep(100);
    closed = status();
  }
  first.close();
  return {
    rssKiBPerPc: (after.rssKiB - before.rssKiB) / pcs,
    threadsPerPc: (after.threads - before.threads) / pcs,
    fdsPerPc: (after.fds - before.fds) / pcs,
    fdsLeftAfterClose: closed.fds - before.fds,
    threads: after.threads,
    rssMiB: after.rssKiB / 1024,
    retries: stats.retries,
  };
}

const BENCHES = { bulk, rate, pingpong, setup, setupN, cert, idle };

async function main() {
  const [impl, bench, json] = process.argv.slice(2);
  if (bench === 'peer') return peerMain(impl);
  const params = JSON.parse(json || '{}');
  const api = load(impl);
  if (!BENCHES[bench]) throw new Error(`unknown benchmark ${bench}`);
  const result = await BENCHES[bench](api, impl, params);
  process.stdout.write(`${JSON.stringify(result)}\n`);
  process.exit(0);
}

main().catch((error) => {
  process.stderr.write(`worker ${process.argv.slice(2, 4).join(' ')}: ${error && error.stack || error}\n`);
  process.exit(1);
});
