'use strict';
// rtcbox beside libwebrtc (npm @roamhq/wrtc) and libdatachannel (npm
// node-datachannel, its W3C polyfill) in one run on one machine (issue 9).
// A benchmark, not a test: it prints figures, and fails only when nothing
// could be measured.
//
//   test/bench/run_peers.sh [options]   (or: make bench BENCH=peers BENCH_ARGS='...')
//
//   --runs N      runs per figure (5); each run is a new child process
//   --quick       1 run each, smaller volumes (development)
//   --only A,B    only these benchmarks (ids below, comma-separated)
//   --impls A,B   only these implementations (rtcbox,wrtc,ndc)
//   --build DIR   the build whose rtcbox.node is used (out/release)
//
// Every run of every benchmark is a child process of its own
// (test/bench/worker.js <impl> <bench> <params>): CPU seconds, peak RSS,
// threads and fds are then those of one implementation. The
// implementations take turns run by run (run i starts with implementation
// i mod 3), so that a change in the machine's load spreads over all three.
// A run that fails is retried once; failures are counted and reported.
//
// Writes out/bench/results.json (every sample), out/bench/README-table.md
// (medians, min, max, ratios rtcbox/peer) and out/bench/goodput.png
// (goodput against message size).

const childProcess = require('node:child_process');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { parseArgs } = require('node:util');
const { plotPng } = require('./plot.js');

const ROOT = path.resolve(__dirname, '..', '..');
const OUT = path.join(ROOT, 'out', 'bench');
const KiB = 1024;
const MiB = 1024 * 1024;

function usage(message) {
  if (message) process.stderr.write(`run.js: ${message}\n`);
  process.stderr.write('usage: test/bench/run_peers.sh [--runs 5] [--quick] [--only DC-BULK-64K,...] ' +
    '[--impls rtcbox,wrtc,ndc] [--build out/release]\n');
  process.exit(2);
}

let opts;
try {
  opts = parseArgs({
    options: {
      runs: { type: 'string', default: '5' },
      quick: { type: 'boolean', default: false },
      only: { type: 'string', default: '' },
      impls: { type: 'string', default: 'rtcbox,wrtc,ndc' },
      build: { type: 'string', default: 'out/release' },
      help: { type: 'boolean', short: 'h', default: false },
    },
  }).values;
} catch (error) {
  usage(error.message);
}
if (opts.help) usage();
if (!/^\d+$/.test(opts.runs) || Number(opts.runs) < 1) usage(`--runs ${opts.runs}: expected an integer >= 1`);
const QUICK = opts.quick;
const RUNS = QUICK ? 1 : Number(opts.runs);
const BUILD = path.resolve(ROOT, opts.build);

const IMPLS = [
  { key: 'rtcbox', name: 'rtcbox' },
  { key: 'wrtc', name: 'libwebrtc (@roamhq/wrtc)' },
  { key: 'ndc', name: 'libdatachannel (node-datachannel)' },
].filter((i) => opts.impls.split(',').includes(i.key));
if (!IMPLS.length) usage(`--impls ${opts.impls}: none of rtcbox, wrtc, ndc`);

// @roamhq/wrtc runs its asynchronous calls (createOffer, setLocalDescription
// ...) on libuv's thread pool and blocks a pool thread until libwebrtc's
// signalling thread answers: with 4 threads (the default), 15 or so pairs
// negotiating at once deadlock it. Its children get a pool big enough.
const ENV = { wrtc: { UV_THREADPOOL_SIZE: '1024' } };

const BULK = QUICK ? 32 * MiB : 256 * MiB;
const BULK_1K = QUICK ? 8 * MiB : 256 * MiB;
const SWEEP = QUICK ? 16 * MiB : 32 * MiB;
const BULK_CROWD = QUICK ? 16 * MiB : 64 * MiB;
// Idle pairs beside DC-BULK-64K-CROWD: 200 RTCPeerConnections, some 8,600
// fds for @roamhq/wrtc (about 43 each; this machine allows 20,000).
const CROWD = QUICK ? 20 : 100;

// What is better: 'high' or 'low'; the ratio is rtcbox/peer either way.
const M = (key, label, unit, better, digits) => ({ key, label, unit, better, digits });
const BULK_METRICS = [
  M('mbps', 'goodput', 'MB/s', 'high', 1),
  M('cpuPerGB', 'CPU', 's/GB', 'low', 1),
  M('peakRssMiB', 'peak RSS', 'MiB', 'low', 0),
];
// The CPU split by thread: JavaScript's (the main thread of each process)
// and all the others (an implementation's network and library threads).
const BULK_THREAD_METRICS = [
  ...BULK_METRICS.slice(0, 2),
  M('cpuJsPerGB', 'CPU, JS thread', 's/GB', 'low', 1),
  M('cpuOtherPerGB', 'CPU, other threads', 's/GB', 'low', 1),
  ...BULK_METRICS.slice(2),
];

const BENCHES = [
  {
    id: 'DC-BULK-64K', title: `${BULK / MiB} MiB of 64 KiB messages, one process`,
    bench: 'bulk', params: { size: 64 * KiB, total: BULK, procs: 1 }, metrics: BULK_THREAD_METRICS, timeout: 180,
  },
  {
    id: 'DC-BULK-64K-2P', title: `${BULK / MiB} MiB of 64 KiB messages, two processes (CPU and RSS: both)`,
    bench: 'bulk', params: { size: 64 * KiB, total: BULK, procs: 2 }, metrics: BULK_THREAD_METRICS, timeout: 180,
  },
  {
    id: 'DC-BULK-1K', title: `${BULK_1K / MiB} MiB of 1 KiB messages, one process`,
    bench: 'bulk', params: { size: KiB, total: BULK_1K, procs: 1 }, metrics: BULK_METRICS, timeout: 180,
  },
  {
    // Per-packet work that grows with the connections of the process
    // (a lookup that walks them all) shows here, not in DC-BULK-64K.
    id: 'DC-BULK-64K-CROWD', title: `${BULK_CROWD / MiB} MiB of 64 KiB messages, one process, beside ${CROWD} idle ` +
      `pairs (an open channel each) connected first`,
    bench: 'bulk', params: { size: 64 * KiB, total: BULK_CROWD, procs: 1, crowd: CROWD }, metrics: BULK_METRICS,
    runs: Math.min(RUNS, 3), timeout: 180,
  },
  {
    id: 'DC-MSG-RATE', title: `64-byte unordered maxRetransmits 0 messages, ${QUICK ? 2 : 10} s`,
    bench: 'rate', params: { seconds: QUICK ? 2 : 10, size: 64 },
    metrics: [M('msgsPerSec', 'received', 'msg/s', 'high', 0), M('lossPct', 'lost', '%', 'low', 2)], timeout: 60,
  },
  {
    id: 'DC-PINGPONG', title: '64-byte echo on a reliable ordered channel, 5000 round trips',
    bench: 'pingpong', params: { count: QUICK ? 1000 : 5000, warmup: 200, size: 64 },
    metrics: [M('p50us', 'RTT p50', 'µs', 'low', 0), M('p99us', 'RTT p99', 'µs', 'low', 0)], timeout: 120,
  },
  {
    id: 'SETUP-1', title: `new pair until the channel is open at both ends, ${QUICK ? 10 : 50} pairs one after the other`,
    bench: 'setup', params: { count: QUICK ? 10 : 50 },
    metrics: [M('p50ms', 'p50', 'ms', 'low', 1), M('p99ms', 'p99', 'ms', 'low', 1)], timeout: 120,
  },
  {
    id: 'SETUP-1-CERT', title: 'the same, both ends reusing one ECDSA certificate (generateCertificate())',
    bench: 'setup', params: { count: QUICK ? 10 : 50, reuseCert: true },
    metrics: [M('p50ms', 'p50', 'ms', 'low', 1), M('p99ms', 'p99', 'ms', 'low', 1)], timeout: 120,
  },
  {
    id: 'CERT', title: 'RTCPeerConnection.generateCertificate(), median of 20 (ECDSA) and 5 (RSA) in a run',
    bench: 'cert', params: {},
    metrics: [M('ecdsaMs', 'ECDSA P-256', 'ms', 'low', 2), M('rsaMs', 'RSA-2048', 'ms', 'low', 0)], timeout: 60,
  },
  ...[1, 10, 100, 500].map((pairs) => ({
    id: `IDLE-${pairs}`, title: `${pairs} idle connected pair(s) with an open channel; per RTCPeerConnection`,
    bench: 'idle', params: { pairs },
    metrics: [M('rssKiBPerPc', 'RSS', 'KiB', 'low', 0), M('threadsPerPc', 'threads', '', 'low', 2),
      M('fdsPerPc', 'fds', '', 'low', 1), M('fdsLeftAfterClose', 'fds left after close', '', 'low', 0)],
    // 500 pairs: @roamhq/wrtc needs some 43 fds per RTCPeerConnection,
    // 43,000 in all: run_peers.sh raises RLIMIT_NOFILE to 131072 where it
    // may (our machines allow 20000, and no more: wrtc's runs fail there).
    timeout: pairs === 500 ? 150 : 90, skipQuick: pairs === 500,
  })),
  {
    id: 'SETUP-100', title: '100 new pairs at once until every channel is open',
    bench: 'setupN', params: { pairs: 100 },
    metrics: [M('totalMs', 'all open', 'ms', 'low', 0)], timeout: 45, noRetry: true,
  },
  ...[1, 4, 16, 64, 256].map((k) => ({
    id: `SWEEP-${k}K`, title: `${SWEEP / MiB} MiB of ${k} KiB messages, one process (the plot)`,
    bench: 'bulk', params: { size: k * KiB, total: k === 64 ? BULK : SWEEP, procs: 1 }, sweep: k, runs: Math.min(RUNS, 3),
    reuse: k === 64 ? 'DC-BULK-64K' : null,
    metrics: [M('mbps', 'goodput', 'MB/s', 'high', 1)], timeout: 180,
  })),
].filter((b) => !(QUICK && b.skipQuick));

// The ceilings: C programs of test/bench (BUILD.gn), run RUNS times each
// like a fourth implementation; `against` names the benchmark (or lists the
// benchmarks) whose rtcbox median they are set against.
const C = (key, label, unit, digits) => ({ key, label, unit, digits });
// rtcbox's 64 KiB bulk in one process and in two, against each SCTP ceiling.
const BULK_64K_BOTH = ['DC-BULK-64K', 'DC-BULK-64K-2P'];
const CEILINGS = [
  {
    id: 'CEIL-SCTP-64K', title: `usrsctp alone over AF_CONN as rtcbox configures it (its CRC32c; no DTLS, no ICE, both ends in one thread), ` +
      `${BULK / MiB} MiB of 64 KiB messages`,
    program: 'sctp_ceiling', args: [String(64 * KiB), String(BULK)], against: BULK_64K_BOTH,
    metrics: [C('mbps', 'goodput', 'MB/s', 1), C('cpuPerGB', 'CPU', 's/GB', 1)],
  },
  {
    id: 'CEIL-SCTP-1K', title: `the same, ${BULK_1K / MiB} MiB of 1 KiB messages`,
    program: 'sctp_ceiling', args: [String(KiB), String(BULK_1K)], against: 'DC-BULK-1K',
    metrics: [C('mbps', 'goodput', 'MB/s', 1), C('cpuPerGB', 'CPU', 's/GB', 1)],
  },
  {
    id: 'CEIL-DTLS-SCTP-64K', title: `CEIL-SCTP-64K with BoringSSL's DTLS 1.2 between the ends, as rtcbox configures it ` +
      `(one SCTP packet, one record; both ends in one thread, no ICE, no sockets), ${BULK / MiB} MiB of 64 KiB messages`,
    program: 'sctp_ceiling', args: ['--dtls', String(64 * KiB), String(BULK)], against: BULK_64K_BOTH,
    metrics: [C('mbps', 'goodput', 'MB/s', 1), C('cpuPerGB', 'CPU', 's/GB', 1)],
  },
  {
    id: 'CEIL-SCTP-64K-2P', title: `CEIL-SCTP-64K with each end in its own process (its own core), over loopback UDP ` +
      `(connected sockets; sendmmsg with UDP GSO, recvmmsg with GRO, as rtcbox's sockets; no DTLS, no ICE), ` +
      `${BULK / MiB} MiB of 64 KiB messages`,
    program: 'sctp_ceiling', args: ['--procs', '2', String(64 * KiB), String(BULK)], against: 'DC-BULK-64K-2P',
    metrics: [C('mbps', 'goodput', 'MB/s', 1), C('cpuPerGB', 'CPU (both processes)', 's/GB', 1)],
  },
  {
    id: 'CEIL-DTLS-SCTP-64K-2P', title: `CEIL-DTLS-SCTP-64K with each end in its own process, over loopback UDP as ` +
      `CEIL-SCTP-64K-2P: what a design with one network thread per process can reach, without rtcbox's own costs ` +
      `(JavaScript, task queues, ICE), ${BULK / MiB} MiB of 64 KiB messages`,
    program: 'sctp_ceiling', args: ['--dtls', '--procs', '2', String(64 * KiB), String(BULK)], against: 'DC-BULK-64K-2P',
    metrics: [C('mbps', 'goodput', 'MB/s', 1), C('cpuPerGB', 'CPU (both processes)', 's/GB', 1)],
  },
  ...['send', 'sendmmsg', 'gso'].map((mode) => ({
    id: `CEIL-UDP-${mode.toUpperCase()}`, title: `loopback UDP, 1200-byte datagrams with ${mode === 'gso' ? 'UDP GSO (UDP_SEGMENT, 54 a call)' : mode === 'sendmmsg' ? 'sendmmsg (64 a call)' : 'send (one a call)'}, receiver on recvmmsg, 1 s`,
    program: 'udp_ceiling', args: [mode, '1', '1200'],
    metrics: [C('receivedPerSec', 'received', 'datagrams/s', 0), C('sentPerSec', 'sent', 'datagrams/s', 0),
      C('mbps', 'received', 'MB/s', 0)],
  })),
  // Not a ceiling: rtcbox's IDLE without JavaScript, where V8's heap does
  // not grow with the few pairs of IDLE-1 and IDLE-10.
  ...[1, 10, 100].map((pairs) => ({
    id: `IDLE-C-${pairs}`, title: `rtcbox's IDLE in C (test/bench/idle_pairs, the default configuration as in JavaScript: ` +
      `mDNS host names, ICE-TCP), ${pairs} pair(s) beside one more kept open from the start; per RTCPeerConnection`,
    program: 'idle_pairs', args: [String(pairs)], env: { IDLE_DEFAULTS: '1' },
    metrics: [C('rssKiBPerPc', 'RSS', 'KiB', 0), C('fdsPerPc', 'fds', '', 1)],
  })),
];
// Progress lines align on the longest benchmark or ceiling id.
const ID_WIDTH = Math.max(...BENCHES.map((b) => b.id.length), ...CEILINGS.map((c) => c.id.length));

const selected = opts.only ? opts.only.split(',') : null;
if (selected) {
  for (const id of selected) {
    if (!BENCHES.some((b) => b.id === id) && !CEILINGS.some((b) => b.id === id)) usage(`--only: no benchmark ${id}`);
  }
}

// --- What was measured, on what ---

function sh(command, args, cwd = ROOT) {
  const r = childProcess.spawnSync(command, args, { encoding: 'utf8', cwd });
  return r.status === 0 ? r.stdout.trim() : null;
}

function commit() {
  const head = sh('git', ['rev-parse', '--short', 'HEAD']) || 'unknown';
  const dirty = sh('git', ['status', '--porcelain', '--untracked-files=no']);
  return dirty ? `${head} (with uncommitted changes)` : head;
}

function machine() {
  const cpuinfo = fs.readFileSync('/proc/cpuinfo', 'utf8');
  const model = (/^model name\s*:\s*(.*)$/m.exec(cpuinfo) || [null, 'unknown'])[1];
  const mem = (os.totalmem() / 2 ** 30).toFixed(0);
  return `${sh('nproc', []) || os.availableParallelism()} CPUs (nproc), ${model}, ${mem} GiB; Linux ${os.release()}; ` +
    `Node ${process.version}`;
}

function peerVersions() {
  const v = (name) => {
    try {
      return JSON.parse(fs.readFileSync(path.join(__dirname, 'node_modules', name, 'package.json'), 'utf8')).version;
    } catch (error) {
      return 'missing';
    }
  };
  return `@roamhq/wrtc ${v('@roamhq/wrtc')}, node-datachannel ${v('node-datachannel')}`;
}

// --- Runs ---

function runWorker(impl, bench) {
  return new Promise((resolve) => {
    const env = { ...process.env, RTCBOX_BENCH_BUILD: BUILD, ...(ENV[impl] || {}) };
    // --expose-gc: IDLE collects V8's garbage before it reads RSS.
    const child = childProcess.spawn(process.execPath, ['--expose-gc', path.join(__dirname, 'worker.js'), impl,
      bench.bench, JSON.stringify(bench.params)], { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (d) => { out += d; });
    child.stderr.on('data', (d) => { err += d; });
    const timer = setTimeout(() => {
      err += `killed after ${bench.timeout} s\n`;
      child.kill('SIGKILL');
    }, bench.timeout * 1000);
    child.on('close', (code) => {
      clearTimeout(timer);
      const line = out.trim().split('\n').pop();
      if (code === 0 && line) {
        try {
          return resolve({ ok: true, result: JSON.parse(line) });
        } catch (error) {
          // fall through
        }
      }
      resolve({ ok: false, error: (err.trim().split('\n').find((l) => /Error|killed/.test(l)) || `exit ${code}`).trim() });
    });
  });
}

function runProgram(ceiling) {
  const r = childProcess.spawnSync(path.join(BUILD, ceiling.program), ceiling.args,
    { encoding: 'utf8', timeout: 180000, env: { ...process.env, ...(ceiling.env || {}) } });
  const line = (r.stdout || '').trim().split('\n').pop();
  if (r.status === 0 && line) {
    try {
      return { ok: true, result: JSON.parse(line) };
    } catch (error) {
      // fall through
    }
  }
  return { ok: false, error: ((r.stderr || '').trim().split('\n').pop() || `exit ${r.status}`) };
}

function summarize(samples, metrics) {
  const out = {};
  for (const m of metrics) {
    const xs = samples.map((s) => s[m.key]).filter((x) => typeof x === 'number');
    out[m.key] = xs.length ? { median: median(xs), min: Math.min(...xs), max: Math.max(...xs), n: xs.length } : null;
  }
  return out;
}

// A ceiling's entry in the results (every selected ceiling, in CEILINGS
// order, made before the first benchmark runs).
function ceilingEntries(results) {
  const entries = [];
  for (const ceiling of CEILINGS) {
    if (selected && !selected.includes(ceiling.id)) continue;
    const entry = { id: ceiling.id, title: ceiling.title, program: ceiling.program, args: ceiling.args,
      against: ceiling.against, metrics: ceiling.metrics, samples: [], failures: [], attempts: 0 };
    results.ceilings.push(entry);
    entries.push({ ceiling, entry });
    if (!fs.existsSync(path.join(BUILD, ceiling.program))) {
      entry.failures.push(`no ${path.relative(ROOT, path.join(BUILD, ceiling.program))}`);
      entry.attempts = RUNS;
    }
  }
  return entries;
}

// One more run of a ceiling, unless it has had its RUNS.
function runCeilingOnce({ ceiling, entry }) {
  if (entry.attempts >= RUNS) return;
  const i = entry.attempts++;
  const r = runProgram(ceiling);
  if (!r.ok) {
    entry.failures.push(r.error);
    process.stderr.write(`${ceiling.id} run ${i + 1}: failed: ${r.error}\n`);
    return;
  }
  entry.samples.push(r.result);
  process.stderr.write(`${ceiling.id.padEnd(ID_WIDTH)} run ${i + 1}/${RUNS}: ` +
    `${ceiling.metrics.map((m) => `${m.label} ${fmt(r.result[m.key], m.digits)} ${m.unit}`).join(', ')}\n`);
}

// The runs each ceiling still lacks (those set against no benchmark of this
// run, or against one that ran fewer rounds), then the figures.
function finishCeilings(entries) {
  for (const e of entries) {
    while (e.entry.attempts < RUNS) runCeilingOnce(e);
    e.entry.summary = summarize(e.entry.samples, e.ceiling.metrics);
    delete e.entry.attempts;
  }
}

function median(xs) {
  const s = xs.slice().sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

function fmt(x, digits) {
  if (x === null || x === undefined || Number.isNaN(x)) return '–';
  return x.toFixed(digits);
}

async function main() {
  if (!fs.existsSync(path.join(BUILD, 'rtcbox.node'))) {
    process.stderr.write(`run.js: no ${path.join(BUILD, 'rtcbox.node')} (test/bench/run_peers.sh builds it)\n`);
    return 1;
  }
  const started = Date.now();
  const info = {
    rtcbox: `commit ${commit()}, ${path.relative(ROOT, BUILD)}/rtcbox.node`,
    peers: peerVersions(),
    machine: machine(),
    network: 'loopback and a veth pair (10.77.0.1/24, 10.77.0.2/24) in a network namespace of its own (test/netns.sh)',
    loadBefore: os.loadavg().map((x) => x.toFixed(2)).join(' '),
  };
  process.stderr.write(`${info.rtcbox}; ${info.peers}\n${info.machine}\n${RUNS} run(s) per figure\n`);
  const results = { info, runs: RUNS, quick: QUICK, benches: [], ceilings: [] };
  const byId = {};
  const ceilings = ceilingEntries(results);
  for (const bench of BENCHES) {
    if (selected && !selected.includes(bench.id)) continue;
    const entry = { id: bench.id, title: bench.title, bench: bench.bench, params: bench.params, sweep: bench.sweep,
      metrics: bench.metrics, impls: {} };
    byId[bench.id] = entry;
    results.benches.push(entry);
    if (bench.reuse && byId[bench.reuse]) {
      entry.reused = bench.reuse;
      entry.impls = byId[bench.reuse].impls;
      continue;
    }
    for (const impl of IMPLS) entry.impls[impl.key] = { samples: [], failures: [], unsupported: null };
    const runs = bench.runs || RUNS;
    const t0 = Date.now();
    for (let i = 0; i < runs; i++) {
      for (let k = 0; k < IMPLS.length; k++) {
        const impl = IMPLS[(k + i) % IMPLS.length];
        const slot = entry.impls[impl.key];
        if (slot.unsupported || slot.gaveUp) continue;
        let r = await runWorker(impl.key, bench);
        if (!r.ok && !bench.noRetry) {
          slot.failures.push(r.error);
          r = await runWorker(impl.key, bench);
        }
        if (!r.ok) {
          // Twice in a row (or once without retry): no more runs of it for
          // this benchmark.
          slot.failures.push(r.error);
          slot.gaveUp = true;
          process.stderr.write(`${bench.id} ${impl.key} run ${i + 1}: failed, no more runs: ${r.error}\n`);
          continue;
        }
        if (r.result.unsupported) {
          slot.unsupported = r.result.unsupported;
          continue;
        }
        slot.samples.push(r.result);
        process.stderr.write(`${bench.id.padEnd(ID_WIDTH)} ${impl.key.padEnd(6)} run ${i + 1}/${runs}: ` +
          `${bench.metrics.map((m) => `${m.label} ${fmt(r.result[m.key], m.digits)} ${m.unit}`).join(', ')}\n`);
      }
      // The ceilings this benchmark is set against run in its rounds, right
      // after the implementations: the host's state (other virtual
      // machines take 0–34% of this one's CPU time) changes within minutes,
      // and a ratio is only worth something between runs made under the
      // same. A ceiling set against two benchmarks runs in the first one's.
      for (const c of ceilings) {
        if ([].concat(c.ceiling.against || []).includes(bench.id)) runCeilingOnce(c);
      }
    }
    entry.seconds = (Date.now() - t0) / 1000;
    for (const impl of IMPLS) {
      const slot = entry.impls[impl.key];
      slot.summary = summarize(slot.samples, bench.metrics);
    }
  }
  finishCeilings(ceilings);
  info.loadAfter = os.loadavg().map((x) => x.toFixed(2)).join(' ');
  info.seconds = (Date.now() - started) / 1000;
  info.finished = new Date().toISOString().replace(/\.\d+Z$/, 'Z');

  fs.mkdirSync(OUT, { recursive: true });
  fs.writeFileSync(path.join(OUT, 'results.json'), `${JSON.stringify(results, null, 1)}\n`);
  const md = markdown(results);
  fs.writeFileSync(path.join(OUT, 'README-table.md'), md);
  const sweep = results.benches.filter((b) => b.sweep);
  if (sweep.length >= 2) {
    const series = IMPLS.map((impl) => ({
      name: impl.name,
      points: sweep.map((b) => [b.sweep, b.impls[impl.key] && b.impls[impl.key].summary && b.impls[impl.key].summary.mbps ?
        b.impls[impl.key].summary.mbps.median : null]).filter((p) => p[1] !== null),
    }));
    fs.writeFileSync(path.join(OUT, 'goodput.png'), plotPng({
      title: 'Data-channel goodput against message size (median, one process)',
      xLabel: 'message size, KiB (log)', yLabel: 'MB/s', series,
    }));
  }
  process.stdout.write(md);
  process.stdout.write(`\n(in ${path.relative(process.cwd(), OUT) || OUT}: results.json, README-table.md, goodput.png; ` +
    `${info.seconds.toFixed(0)} s)\n`);
  return 0;
}

// --- Markdown ---

function cell(summary, m) {
  if (!summary) return '–';
  return `${fmt(summary.median, m.digits)} (${fmt(summary.min, m.digits)}–${fmt(summary.max, m.digits)})`;
}

function markdown(results) {
  const peers = IMPLS.filter((i) => i.key !== 'rtcbox');
  const head = ['benchmark', 'figure', ...IMPLS.map((i) => i.key), ...peers.map((p) => `rtcbox/${p.key}`)];
  const lines = [
    '# rtcbox beside libwebrtc and libdatachannel',
    '',
    `Written by test/bench/run.js (\`make bench\`) on ${results.info.finished} in ${results.info.seconds.toFixed(0)} s.`,
    '',
    `Each cell: median (min–max) of ${results.runs} run(s), each run a new Node process per implementation ` +
      '(DC-BULK-64K-CROWD and the SWEEP sizes: at most 3 runs). rtcbox/peer: ratio of the medians (goodput and msg/s: higher is ' +
      'better; times, CPU, RSS, threads, fds: lower is better). –: not measured (see the notes).',
    '',
    `| ${head.join(' | ')} |`,
    `|${head.map((_, i) => (i < 2 ? '---' : '---:')).join('|')}|`,
  ];
  const notes = [];
  for (const b of results.benches) {
    if (b.reused) continue;
    for (const m of b.metrics) {
      const rtcbox = b.impls.rtcbox && b.impls.rtcbox.summary && b.impls.rtcbox.summary[m.key];
      const cells = [b.id, `${m.label}${m.unit ? ` ${m.unit}` : ''}`,
        ...IMPLS.map((i) => cell(b.impls[i.key].summary && b.impls[i.key].summary[m.key], m)),
        ...peers.map((p) => {
          const s = b.impls[p.key].summary && b.impls[p.key].summary[m.key];
          return rtcbox && s && s.median > 0 && rtcbox.median >= 0 ? (rtcbox.median / s.median).toFixed(2) : '–';
        })];
      lines.push(`| ${cells.join(' | ')} |`);
    }
    for (const i of IMPLS) {
      const slot = b.impls[i.key];
      if (slot.unsupported) notes.push(`${b.id}, ${i.key}: not measured: ${slot.unsupported}.`);
      if (slot.failures.length) {
        notes.push(`${b.id}, ${i.key}: ${slot.failures.length} failed run(s) ` +
          `(${slot.samples.length} measured): ${[...new Set(slot.failures)].slice(0, 2).join('; ')}.`);
      }
      const polled = slot.samples.reduce((n, s) => n + (s.wokenByPoll || 0), 0);
      if (polled && i.key !== 'wrtc') notes.push(`${b.id}, ${i.key}: ${polled} waits for bufferedamountlow ended by polling.`);
    }
  }
  if (results.ceilings.length) {
    lines.push('');
    lines.push('Ceilings, and IDLE without JavaScript, on the same run (C programs of test/bench; median (min–max) of the same number of runs; ' +
      'a ceiling set against a benchmark runs in that benchmark\'s rounds, each run right after the implementations\' runs of the round):');
    lines.push('');
    lines.push('| ceiling | figure | median (min–max) | rtcbox / ceiling |');
    lines.push('|---|---|---:|---:|');
    for (const c of results.ceilings) {
      if (!c.summary) {
        notes.push(`${c.id}: not measured: ${c.failures.join('; ')}.`);
        continue;
      }
      for (const m of c.metrics) {
        const ratios = [];
        for (const against of [].concat(c.against || [])) {
          const b = results.benches.find((x) => x.id === against);
          const r = b && b.impls.rtcbox && b.impls.rtcbox.summary && b.impls.rtcbox.summary[m.key];
          if (r && c.summary[m.key]) ratios.push(`${(r.median / c.summary[m.key].median).toFixed(2)} (${against})`);
        }
        const ratio = ratios.length ? ratios.join(', ') : '–';
        lines.push(`| ${c.id} | ${m.label}${m.unit ? ` ${m.unit}` : ''} | ${cell(c.summary[m.key], m)} | ${ratio} |`);
      }
      if (c.failures.length) notes.push(`${c.id}: ${c.failures.length} failed run(s): ${c.failures[0]}.`);
    }
  }
  lines.push('');
  lines.push('Benchmarks:');
  lines.push('');
  for (const b of [...results.benches, ...results.ceilings]) lines.push(`- ${b.id}: ${b.title}.`);
  lines.push('');
  lines.push('Machine and versions:');
  lines.push('');
  lines.push(`- machine: ${results.info.machine}`);
  lines.push(`- rtcbox: ${results.info.rtcbox}`);
  lines.push(`- peers: ${results.info.peers}; node-datachannel through its W3C polyfill (node-datachannel/polyfill)`);
  lines.push(`- network: ${results.info.network}`);
  lines.push(`- load average (1, 5, 15 min): ${results.info.loadBefore} before, ${results.info.loadAfter} after`);
  lines.push('');
  lines.push('Notes:');
  lines.push('');
  for (const n of [
    'Goodput (DC-BULK, SWEEP): bytes received over the time from the start of sending to the arrival of the last ' +
      'message, MB/s = 10^6 bytes/s; the sender and receiver loops of test/interop/page/bench.js (refill up to ' +
      '1 MiB of bufferedAmount when bufferedamountlow fires at 512 KiB; every message checked). CPU: user + system ' +
      'seconds of the process(es) during the transfer, per 10^9 bytes; DC-BULK-64K splits it into the JavaScript ' +
      'thread (of each process) and all other threads (/proc/self/task/*/stat, 10 ms ticks). Peak RSS: the ' +
      'process\'s maximum (two processes: the sum of both).',
    '@roamhq/wrtc never fires bufferedamountlow (no bufferedAmountLowThreshold): its sender polls bufferedAmount ' +
      'every 1 ms instead; and its bufferedAmount lags send() for small messages, so the sender also stops each ' +
      'burst at 1 MiB and yields to the event loop. Its children run with UV_THREADPOOL_SIZE=1024: with libuv\'s ' +
      'default of 4 threads, 15 or more pairs negotiating at once deadlock it (SETUP-100, IDLE).',
    `The SWEEP sizes other than 64 KiB send ${SWEEP / MiB} MiB (64 KiB: DC-BULK-64K's runs), and ` +
      `DC-BULK-64K-CROWD ${BULK_CROWD / MiB} MiB, to keep the whole run near 20 minutes.`,
    'SETUP-100: one attempt per run, no retry; it gives up after 30 s.',
    'IDLE: (after − before) / RTCPeerConnections, before = the module loaded and one pair connected and kept open ' +
      '(not counted: what a process pays once, threads and per-thread buffers, is in the baseline), each read after ' +
      'a full V8 garbage collection (global.gc(), node --expose-gc: the negotiations\' garbage is not what an idle ' +
      'connection keeps); ' +
      'RSS and threads from /proc/self/status, fds from /proc/self/fd; fds left after close: the process\'s fds ' +
      '2 s after every pair was closed, less before (all of them, not per connection); pairs made 10 at a time, a pair not open ' +
      'within 10 s closed and made again (up to 3 times; retries in results.json); a run stops early when the ' +
      'pairs still to make would go past the process\'s open-file limit.',
    ...notes,
  ]) lines.push(`- ${n}`);
  lines.push('');
  return lines.join('\n');
}

main().then((code) => process.exit(code), (error) => {
  process.stderr.write(`run.js: ${error && error.stack || error}\n`);
  process.exit(1);
});
