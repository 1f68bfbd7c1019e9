'use strict';
// Data-channel goodput between rtcbox and headless Chromium, with Chromium
// to Chromium (libwebrtc at both ends) as the reference, in one run on one
// machine. A benchmark, not a test: it prints figures, and fails only when
// data did not arrive intact (or a run stalled).
//
//   test/bench/run_chromium.sh [options]      (or: make bench BENCH_ARGS='...')
//
//   --size N     bytes per run (64MiB; units B, KiB, MiB, GiB, kB, MB, GB)
//   --runs N     measured runs per direction (5)
//   --warmup N   unmeasured runs per direction first, of min(size, 16 MiB) (1)
//   --build DIR  the build whose rtcbox.node is used (out/release)
//   --mdns       Chromium with its default mDNS host candidates (default
//                off: raw addresses, demo/chromium.js's flags, so that
//                name resolution stays out of the setup)
//
// It needs the namespaces of the interop tests (test/interop/support.js),
// which run_chromium.sh makes. One Chromium for the whole run; each run is
// a fresh pair of RTCPeerConnections, closed after it:
//   rtcbox -> Chromium    rtcbox offers, with the channel; Chromium receives
//   Chromium -> rtcbox    Chromium offers, with the channel; rtcbox receives
//   Chromium -> Chromium  two RTCPeerConnections in the page (the reference)
// over one reliable ordered channel, 64 KiB binary messages. The sender and
// the receiver are the same code in every direction (page/bench.js): the
// sender refills up to 1 MiB of bufferedAmount whenever bufferedamountlow
// says it fell to 512 KiB; the receiver checks each message's length and
// sequence-number markers and counts bytes.
//
// Goodput is measured at the receiver, from the arrival of the first
// message to the arrival of the last (the first message's bytes are not
// counted), in MB/s (10^6 bytes/s). CPU seconds are those spent from the
// start of sending until Node learns that the receiver has everything: of
// this Node process (rtcbox, and Playwright's side of the pipe) from
// process.cpuUsage(), and of all Chromium's processes from /proc/<pid>/stat.
// The directions take turns (run i starts with direction i mod 3), so that
// a change in the machine's load spreads over all three.
//
// Prints a table on stdout (progress on stderr) and writes the same as
// markdown to out/bench/dc_chromium.md.

const { spawnSync } = require('node:child_process');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { parseArgs } = require('node:util');

const ROOT = path.resolve(__dirname, '..', '..');
const MSG = 64 * 1024;
const WARMUP_MAX = 16 * 1024 * 1024;

function usage(message) {
  if (message) process.stderr.write(`dc_chromium: ${message}\n`);
  process.stderr.write('usage: test/bench/run_chromium.sh [--size 64MiB] [--runs 5] [--warmup 1] [--build out/release] [--mdns]\n');
  process.exit(2);
}

function parseSize(text) {
  const m = /^(\d+(?:\.\d+)?)\s*(B|KiB|MiB|GiB|kB|KB|MB|GB)?$/.exec(String(text).trim());
  if (!m) usage(`--size ${text}: expected a number of bytes with an optional unit (64MiB)`);
  const unit = { B: 1, KiB: 1024, MiB: 1 << 20, GiB: 1 << 30, kB: 1e3, KB: 1e3, MB: 1e6, GB: 1e9 }[m[2] || 'B'];
  return Math.round(Number(m[1]) * unit);
}

function parseCount(name, text, min) {
  if (!/^\d+$/.test(text) || Number(text) < min) usage(`--${name} ${text}: expected an integer >= ${min}`);
  return Number(text);
}

let opts;
try {
  opts = parseArgs({
    options: {
      size: { type: 'string', default: '64MiB' },
      runs: { type: 'string', default: '5' },
      warmup: { type: 'string', default: '1' },
      build: { type: 'string', default: 'out/release' },
      mdns: { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h', default: false },
    },
  }).values;
} catch (error) {
  usage(error.message);
}
if (opts.help) usage();
const SIZE = parseSize(opts.size);
const RUNS = parseCount('runs', opts.runs, 1);
const WARMUP = parseCount('warmup', opts.warmup, 0);
const BUILD = path.resolve(ROOT, opts.build);
const COUNT = Math.max(2, Math.round(SIZE / MSG));
const PLAN = { count: COUNT, size: MSG };
const WARMUP_PLAN = { count: Math.max(2, Math.min(COUNT, Math.round(WARMUP_MAX / MSG))), size: MSG };

// support.js loads the addon of RTCBOX_TEST_OUT.
process.env.RTCBOX_TEST_OUT = BUILD;
const { whySkip, rtc, withTimeout, once, processesWith, Chromium, connect } = require('../interop/support.js');
const Bench = require('../interop/page/bench.js');

// --- What was measured, on what ---

function sh(command, args) {
  const r = spawnSync(command, args, { encoding: 'utf8', cwd: ROOT });
  return r.status === 0 ? r.stdout.trim() : null;
}

function commit() {
  const head = sh('git', ['rev-parse', '--short', 'HEAD']) || 'unknown';
  const dirty = sh('git', ['status', '--porcelain', '--untracked-files=no']);
  return dirty ? `${head} (with uncommitted changes)` : head;
}

function buildInfo() {
  let args = '';
  try {
    args = fs.readFileSync(path.join(BUILD, 'args.gn'), 'utf8').split('\n')
        .map((l) => l.trim()).filter((l) => l && !l.startsWith('#')).join(' ');
  } catch (error) {
    args = 'no args.gn';
  }
  const addon = path.join(BUILD, 'rtcbox.node');
  const built = fs.statSync(addon).mtime.toISOString().replace(/\.\d+Z$/, 'Z');
  return `${path.relative(ROOT, addon)} (gn args: ${args || 'none'}; built ${built})`;
}

function machine() {
  const cpuinfo = fs.readFileSync('/proc/cpuinfo', 'utf8');
  const model = (/^model name\s*:\s*(.*)$/m.exec(cpuinfo) || [null, 'unknown'])[1];
  return `${sh('nproc', []) || os.availableParallelism()} CPUs (nproc), ${model}; Linux ${os.release()}; Node ${process.version}`;
}

function loadavg() {
  return os.loadavg().map((x) => x.toFixed(2)).join(' ');
}

// --- CPU time ---

const CLK_TCK = Number(sh('getconf', ['CLK_TCK'])) || 100;

// CPU seconds (user + system) of Chromium's processes so far: those whose
// command line names its profile folder (support.js's processesWith()).
function chromiumCpu(c) {
  let ticks = 0;
  for (const pid of processesWith(c.folder)) {
    try {
      const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      ticks += Number(fields[11]) + Number(fields[12]); // utime, stime
    } catch (error) {
      // gone meanwhile
    }
  }
  return ticks / CLK_TCK;
}

function startMeter(c) {
  const node = process.cpuUsage();
  const chromium = chromiumCpu(c);
  const started = performance.now();
  return () => {
    const n = process.cpuUsage(node);
    return {
      nodeCpu: (n.user + n.system) / 1e6,
      chromiumCpu: chromiumCpu(c) - chromium,
      wallMs: performance.now() - started,
    };
  };
}

// --- The three directions ---

function opened(dc, what) {
  return dc.readyState === 'open' ? Promise.resolve() : once(dc, 'open', what);
}

function timeoutMs(plan) {
  // 1 MB/s would be very slow indeed.
  return Math.max(60000, plan.count * plan.size / 1000);
}

async function rtcboxToChromium(c, plan) {
  const { RTCPeerConnection } = rtc();
  c.events.length = 0;
  await c.call('create', {});
  await c.call('benchPlan', plan);
  await c.call('setDatachannelMode', 'bench');
  const pc = new RTCPeerConnection();
  try {
    const dc = pc.createDataChannel('bench');
    await connect(pc, c, 'rtcbox');
    await opened(dc, 'rtcbox channel open');
    await c.waitFor((e) => e.type === 'channel-open' && e.channel.label === 'bench', 'channel open');
    const stop = startMeter(c);
    const done = c.waitFor((e) => e.type === 'bench-done', 'the last message', timeoutMs(plan));
    let sender;
    try {
      [sender] = await withTimeout(Promise.all([Bench.send(dc, plan), done]), 'the run', timeoutMs(plan));
    } catch (error) {
      const got = await c.call('benchReceived', 'bench').catch(() => null);
      throw new Error(`${error.message} (Chromium received ${JSON.stringify(got)})`);
    }
    const { result } = await done;
    return { ...stop(), result, sender };
  } finally {
    pc.close();
    await c.call('close');
  }
}

async function chromiumToRtcbox(c, plan) {
  const { RTCPeerConnection } = rtc();
  c.events.length = 0;
  await c.call('create', {});
  await c.call('createChannel', 'bench', {}, 'report');
  const pc = new RTCPeerConnection();
  try {
    let done = null;
    let progress = null;
    const announced = withTimeout(new Promise((resolve) => pc.addEventListener('datachannel', (e) => {
      done = new Promise((finish) => {
        progress = Bench.receive(e.channel, plan, finish);
      });
      resolve(e.channel);
    }, { once: true })), 'rtcbox\'s datachannel event');
    await connect(pc, c, 'chromium');
    const dc = await announced;
    await opened(dc, 'rtcbox\'s end open');
    await c.waitFor((e) => e.type === 'channel-open' && e.channel.label === 'bench', 'channel open');
    const stop = startMeter(c);
    let sender;
    let result;
    try {
      [sender, result] = await withTimeout(Promise.all([c.call('benchSend', 'bench', plan), done]), 'the run',
          timeoutMs(plan));
    } catch (error) {
      throw new Error(`${error.message} (rtcbox received ${progress.messages} messages, ${progress.bytes} bytes)`);
    }
    return { ...stop(), result, sender };
  } finally {
    pc.close();
    await c.call('close');
  }
}

async function chromiumToChromium(c, plan) {
  try {
    await withTimeout(c.call('loopbackOpen', plan, {}), 'the loopback pair to connect');
    const stop = startMeter(c);
    const { result, sender } = await withTimeout(c.call('loopbackRun', plan), 'the run', timeoutMs(plan));
    return { ...stop(), result, sender };
  } finally {
    await c.call('loopbackClose');
  }
}

const DIRECTIONS = [
  { key: 'r2c', name: 'rtcbox -> Chromium', run: rtcboxToChromium },
  { key: 'c2r', name: 'Chromium -> rtcbox', run: chromiumToRtcbox },
  { key: 'c2c', name: 'Chromium -> Chromium', run: chromiumToChromium },
];

// Throws unless the receiver got every message intact; returns MB/s.
function goodput(direction, plan, r) {
  const { result } = r;
  const want = plan.count * plan.size;
  if (result.errors.length > 0 || result.messages !== plan.count || result.bytes !== want) {
    throw new Error(`${direction.name}: received ${result.messages} messages, ${result.bytes} bytes ` +
      `(expected ${plan.count}, ${want}); ${result.errors.join('; ') || 'no message was wrong'}`);
  }
  return (result.bytes - plan.size) / (result.lastMs - result.firstMs) / 1000;
}

// --- Figures ---

function median(xs) {
  const s = xs.slice().sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

function summarize(samples) {
  const rows = {};
  for (const d of DIRECTIONS) {
    const ss = samples[d.key];
    const mbps = ss.map((s) => s.mbps);
    rows[d.key] = {
      name: d.name,
      runs: ss.length,
      median: median(mbps),
      min: Math.min(...mbps),
      max: Math.max(...mbps),
      all: mbps,
      nodeCpu: median(ss.map((s) => s.nodeCpu)),
      chromiumCpu: median(ss.map((s) => s.chromiumCpu)),
      seconds: median(ss.map((s) => (s.result.lastMs - s.result.firstMs) / 1000)),
      waits: ss.reduce((n, s) => n + s.sender.waits, 0),
      wokenByPoll: ss.reduce((n, s) => n + s.sender.wokenByPoll, 0),
      maxBuffered: Math.max(...ss.map((s) => s.sender.maxBuffered)),
    };
  }
  for (const d of DIRECTIONS) rows[d.key].ratio = rows[d.key].median / rows.c2c.median;
  return rows;
}

const COLUMNS = [
  ['direction', (r) => r.name],
  ['runs', (r) => String(r.runs)],
  ['median MB/s', (r) => r.median.toFixed(1)],
  ['min', (r) => r.min.toFixed(1)],
  ['max', (r) => r.max.toFixed(1)],
  ['/ Cr->Cr', (r) => r.ratio.toFixed(2)],
  ['time s', (r) => r.seconds.toFixed(2)],
  ['Node CPU s', (r) => r.nodeCpu.toFixed(2)],
  ['Chromium CPU s', (r) => r.chromiumCpu.toFixed(2)],
];

function textTable(rows) {
  const cells = [COLUMNS.map(([h]) => h), ...DIRECTIONS.map((d) => COLUMNS.map(([, f]) => f(rows[d.key])))];
  const widths = COLUMNS.map((_, i) => Math.max(...cells.map((row) => row[i].length)));
  const line = (row) => row.map((cell, i) => (i === 0 ? cell.padEnd(widths[i]) : cell.padStart(widths[i]))).join('  ');
  return [line(cells[0]), widths.map((w) => '-'.repeat(w)).join('  '), ...cells.slice(1).map(line)].join('\n');
}

function markdownTable(rows) {
  const head = `| ${COLUMNS.map(([h]) => h).join(' | ')} |`;
  const rule = `|${COLUMNS.map((_, i) => (i === 0 ? '---' : '---:')).join('|')}|`;
  const body = DIRECTIONS.map((d) => `| ${COLUMNS.map(([, f]) => f(rows[d.key])).join(' | ')} |`);
  return [head, rule, ...body].join('\n');
}

function mib(n) {
  return `${(n / 1048576).toFixed(n % 1048576 ? 2 : 0)} MiB`;
}

// --- Main ---

async function main() {
  const skip = whySkip();
  if (skip) {
    process.stderr.write(`dc_chromium: cannot run: ${skip}\n`);
    return 1;
  }
  if (!fs.existsSync(path.join(BUILD, 'rtcbox.node'))) {
    process.stderr.write(`dc_chromium: no ${path.join(BUILD, 'rtcbox.node')} (build it: test/bench/run_chromium.sh does)\n`);
    return 1;
  }
  const info = {
    rtcbox: `commit ${commit()}`,
    build: buildInfo(),
    machine: machine(),
  };
  const loadBefore = loadavg();
  const c = await Chromium.launch({ mdns: opts.mdns });
  let rows;
  try {
    info.chromium = `${c.version} (${process.env.RTCBOX_INTEROP_CHROMIUM || '/usr/bin/chromium'}, headless, ` +
      `mDNS ${opts.mdns ? 'on' : 'off'}), launched in ${c.launchMs.toFixed(0)} ms`;
    process.stderr.write(`Chromium ${info.chromium}\nrtcbox ${info.rtcbox}, ${info.build}\n${info.machine}\n`);
    process.stderr.write(`${RUNS} runs of ${mib(COUNT * MSG)} per direction (${COUNT} messages of 64 KiB), ` +
      `after ${WARMUP} warm-up run(s) of ${mib(WARMUP_PLAN.count * MSG)}\n`);
    const samples = { r2c: [], c2r: [], c2c: [] };
    for (let i = 0; i < WARMUP + RUNS; i++) {
      const warm = i < WARMUP;
      const plan = warm ? WARMUP_PLAN : PLAN;
      for (let k = 0; k < DIRECTIONS.length; k++) {
        const d = DIRECTIONS[(k + i) % DIRECTIONS.length];
        const r = await d.run(c, plan);
        r.mbps = goodput(d, plan, r);
        const label = warm ? `warm-up ${i + 1}/${WARMUP}` : `run ${i - WARMUP + 1}/${RUNS}`;
        process.stderr.write(`${label.padEnd(12)} ${d.name.padEnd(20)} ${r.mbps.toFixed(1).padStart(7)} MB/s  ` +
          `${((r.result.lastMs - r.result.firstMs) / 1000).toFixed(2)} s  CPU Node ${r.nodeCpu.toFixed(2)} s, ` +
          `Chromium ${r.chromiumCpu.toFixed(2)} s; ${r.sender.waits} waits` +
          `${r.sender.wokenByPoll ? ` (${r.sender.wokenByPoll} woken by polling)` : ''}\n`);
        if (!warm) samples[d.key].push(r);
      }
    }
    rows = summarize(samples);
  } finally {
    await c.close();
  }
  const loadAfter = loadavg();

  const notes = [
    `Goodput at the receiver, first message's arrival to last message's (the first message's bytes not counted), ` +
      `MB/s = 10^6 bytes/s; ${RUNS} runs of ${mib(COUNT * MSG)} (${COUNT} binary messages of 64 KiB) per direction, ` +
      `after ${WARMUP} unmeasured warm-up run(s) of ${mib(WARMUP_PLAN.count * MSG)}; directions interleaved.`,
    'One reliable ordered channel; a fresh RTCPeerConnection pair per run; the sender refills up to 1 MiB of ' +
      'bufferedAmount on bufferedamountlow (threshold 512 KiB); every message\'s length and sequence markers checked.',
    '/ Cr->Cr: median over Chromium -> Chromium\'s median. time s, Node CPU s, Chromium CPU s: medians per run ' +
      '(CPU from the start of sending until Node learns the receiver has everything; Node = rtcbox and Playwright\'s ' +
      'side; Chromium = all its processes).',
    'rtcbox and Chromium talk over a veth pair between two network namespaces; Chromium -> Chromium is two ' +
      'RTCPeerConnections of one page (its traffic on the loopback of Chromium\'s namespace, both ends in one ' +
      'renderer process).',
  ];
  const sender = DIRECTIONS.map((d) => `${d.name}: ${rows[d.key].waits} waits for bufferedamountlow, ` +
    `${rows[d.key].wokenByPoll} ended by polling instead, max bufferedAmount ${mib(rows[d.key].maxBuffered)}`);
  const perRun = DIRECTIONS.map((d) => `${d.name}: ${rows[d.key].all.map((x) => x.toFixed(1)).join(', ')} MB/s`);
  const ratios = `rtcbox -> Chromium / Chromium -> Chromium = ${rows.r2c.ratio.toFixed(2)}; ` +
    `Chromium -> rtcbox / Chromium -> Chromium = ${rows.c2r.ratio.toFixed(2)}`;
  const about = [
    ['Chromium', info.chromium],
    ['rtcbox', info.rtcbox],
    ['build', info.build],
    ['machine', info.machine],
    ['load average (1, 5, 15 min)', `${loadBefore} before, ${loadAfter} after`],
  ];

  const text = [
    '',
    'Data-channel goodput, 64 KiB binary messages, one reliable ordered channel',
    '',
    textTable(rows),
    '',
    ratios,
    '',
    'Per run:',
    ...perRun.map((l) => `  ${l}`),
    'Senders:',
    ...sender.map((l) => `  ${l}`),
    '',
    ...about.map(([k, v]) => `${k}: ${v}`),
    '',
    ...notes,
    '',
  ].join('\n');
  process.stdout.write(text);

  const md = [
    '# Data-channel goodput: rtcbox and headless Chromium',
    '',
    `Written by test/bench/dc_chromium.js (\`make bench\`) on ${new Date().toISOString().replace(/\.\d+Z$/, 'Z')}.`,
    '',
    markdownTable(rows),
    '',
    `${ratios}.`,
    '',
    ...about.map(([k, v]) => `- ${k}: ${v}`),
    '',
    'Per run:',
    '',
    ...perRun.map((l) => `- ${l}`),
    '',
    'Senders:',
    '',
    ...sender.map((l) => `- ${l}`),
    '',
    ...notes.map((l) => `${l}\n`),
  ].join('\n');
  const file = path.join(ROOT, 'out', 'bench', 'dc_chromium.md');
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, md);
  process.stdout.write(`(also in ${path.relative(process.cwd(), file) || file})\n`);
  return 0;
}

main().then((code) => {
  process.exit(code);
}, (error) => {
  process.stderr.write(`dc_chromium: ${error && error.stack || error}\n`);
  process.exit(1);
});
