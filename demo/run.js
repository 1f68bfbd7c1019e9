'use strict';
// `make demo`: two WebRTC peers in two processes send a file over a data
// channel, on this machine, and this prints how it went.
//
//   node demo/run.js [--chromium] [--size 64MiB] [--seed N] [--timeout S] [--verbose]
//
// Starts the signaling relay (relay.js), the receiver and the sender
// (peer.js; with --chromium the receiver is headless Chromium, chromium.js),
// reads their JSON events from their stdout, draws one progress bar (on a
// terminal; otherwise a plain line now and then), then prints the
// connection timeline, a stats summary and the verdict.
//
// Exit status: 0 only if the receiver's SHA-256 of what it received equals
// the sender's SHA-256 of the file and every process ended well; 1 when
// anything failed; 2 for bad arguments; 3 when the Node peers'
// implementation cannot run the demo (for rtcbox: its bindings are not
// built or not written yet); 130 on SIGINT (143 SIGTERM, 129 SIGHUP). On
// every way out the child processes are stopped and the temporary folder
// (one for the whole run, the children's TMPDIR) is removed.
//
// Environment: RTCBOX_DEMO_IMPL (the Node peers' implementation: rtcbox,
// the default, or wrtc; impl.js), RTCBOX_DEMO_SIZE (like --size),
// RTCBOX_DEMO_CHROMIUM (the Chromium executable, /usr/bin/chromium),
// RTCBOX_ADDON (which rtcbox.node; api/js/lib/loader.js).

const {spawn} = require('node:child_process');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const readline = require('node:readline');
const {parseArgs} = require('node:util');

const DEMO = __dirname;
const MiB = 1024 * 1024;

const EXIT_FAILED = 1;
const EXIT_USAGE = 2;
const EXIT_NO_IMPL = 3;

class UsageError extends Error {}

// "64MiB", "512KiB", "1GiB", "10MB", "1000" (bytes) -> bytes.
function parseSize(text) {
  const m = /^\s*(\d+(?:\.\d+)?)\s*([KMG]i?B?|B)?\s*$/i.exec(String(text));
  if (!m) throw new UsageError(`bad size ${JSON.stringify(text)} (examples: 64MiB, 512KiB, 1000000)`);
  const unit = (m[2] || 'B').toUpperCase().replace(/B$/, '');
  const scale = {'': 1, 'K': 1e3, 'M': 1e6, 'G': 1e9, 'KI': 1024, 'MI': MiB, 'GI': 1024 * MiB}[unit];
  const bytes = Math.round(Number(m[1]) * scale);
  if (!Number.isSafeInteger(bytes) || bytes <= 0) throw new UsageError(`bad size ${JSON.stringify(text)}`);
  return bytes;
}

function mib(bytes) {
  return `${(bytes / MiB).toFixed(1)} MiB`;
}

function grouped(n) {
  return typeof n === 'number' ? n.toLocaleString('en-US') : 'n/a';
}

// MB/s (10^6 bytes a second).
function mbps(bytes, ms) {
  return ms > 0 ? bytes / 1e6 / (ms / 1000) : NaN;
}

// Seconds (as getStats() gives them) in ms, without inventing digits:
// 0.001 -> "1 ms", 0.00023 -> "0.23 ms".
function secondsAsMs(seconds) {
  const ms = seconds * 1000;
  return `${Number(ms.toPrecision(3)).toString()} ms`;
}

// The children, so that every way out can stop them.
const children = [];
let tempRoot = null;
// Set by a signal: main() then stops reporting.
let interrupted = false;

function removeTempRoot() {
  if (tempRoot) fs.rmSync(tempRoot, {recursive: true, force: true, maxRetries: 5});
  tempRoot = null;
}

// Stops every child still running: SIGTERM (each child cleans up its own
// files and processes then), SIGKILL for those still there after graceMs.
// Resolves once all have exited.
async function stopChildren(graceMs = 6000) {
  const running = children.filter((c) => c.code === null && c.signal === null);
  for (const c of running) c.child.kill('SIGTERM');
  const timer = setTimeout(() => {
    for (const c of running) if (c.code === null && c.signal === null) c.child.kill('SIGKILL');
  }, graceMs);
  await Promise.all(running.map((c) => c.exited));
  clearTimeout(timer);
}

// A child process whose stdout carries JSON events, one a line. Lines that
// are not JSON are kept as its log, with its stderr.
function startChild(name, args, onEvent, env) {
  const child = spawn(process.execPath, args, {cwd: path.resolve(DEMO, '..'), env, stdio: ['pipe', 'pipe', 'pipe']});
  const record = {name, child, log: [], code: null, signal: null};
  children.push(record);
  readline.createInterface({input: child.stdout}).on('line', (line) => {
    let event = null;
    try {
      event = JSON.parse(line);
    } catch (error) {
      // Not an event.
    }
    if (event && typeof event === 'object' && typeof event.type === 'string') {
      onEvent(name, event);
    } else {
      record.log.push(line);
    }
  });
  readline.createInterface({input: child.stderr}).on('line', (line) => record.log.push(line));
  // A child that exits before reading its standard input must not take this
  // process down with EPIPE.
  child.stdin.on('error', () => {});
  record.exited = new Promise((resolve) => {
    child.on('exit', (code, signal) => {
      record.code = code;
      record.signal = signal;
      resolve(record);
    });
    child.on('error', (error) => {
      record.log.push(String(error));
      record.code = -1;
      resolve(record);
    });
  });
  return record;
}

// Runs `node demo/peer.js --probe` with `env`: the implementation's
// description, or why it cannot run the demo.
function probeImpl(env) {
  return new Promise((resolve) => {
    const record = startChild('probe', [path.join(DEMO, 'peer.js'), '--probe'], (name, e) => {
      if (e.type === 'probe') record.result = e;
    }, env);
    const timer = setTimeout(() => record.child.kill('SIGKILL'), 30000);
    record.exited.then(() => {
      clearTimeout(timer);
      children.splice(children.indexOf(record), 1);
      resolve(record.result || {ok: false, message: `the probe printed no result (${record.signal || `status ${record.code}`}):\n` +
        record.log.join('\n')});
    });
  });
}

// The progress display: one bar redrawn on a terminal, else a line at
// every 10% (and at most every 2 s in between).
class Progress {
  constructor(out, total) {
    this.out = out;
    this.total = total;
    this.tty = Boolean(out.isTTY);
    this.received = 0;
    this.firstAt = null;
    this.firstBytes = 0;
    this.lastT = null;
    this.lastDraw = 0;
    this.lastLine = 0;
    this.lastDecile = -1;
    this.drawn = false;
  }

  // The receiver's progress events (the bar shows what has arrived).
  update(bytes, t) {
    if (this.firstAt === null) {
      this.firstAt = t;
      this.firstBytes = bytes;
    }
    this.received = bytes;
    this.lastT = t;
    this.draw(false);
  }

  text(width) {
    const fraction = this.total > 0 ? this.received / this.total : 0;
    // The rate since the receiver's first progress event, from the
    // receiver's own timestamps.
    const rate = this.firstAt !== null ? mbps(this.received - this.firstBytes, this.lastT - this.firstAt) : NaN;
    const digits = (this.total / MiB).toFixed(1).length;
    const figures = `${String(Math.floor(fraction * 100)).padStart(3)}%  ` +
        `${(this.received / MiB).toFixed(1).padStart(digits)}/${mib(this.total)}  ` +
        `${(Number.isFinite(rate) ? rate.toFixed(1) : '-').padStart(6)} MB/s`;
    if (width === 0) return `  received ${figures.trim()}`;
    const barWidth = Math.max(10, Math.min(40, width - figures.length - 4));
    const full = Math.round(fraction * barWidth);
    return `[${'#'.repeat(full)}${'-'.repeat(barWidth - full)}] ${figures}`;
  }

  draw(final) {
    const now = Date.now();
    if (this.tty) {
      if (!final && now - this.lastDraw < 50) return;
      this.lastDraw = now;
      this.out.write(`\r\x1b[K${this.text(this.out.columns || 80)}`);
      this.drawn = true;
      return;
    }
    const decile = Math.floor((this.received / this.total) * 10);
    if (final || decile > this.lastDecile || now - this.lastLine >= 2000) {
      if (final && now === this.lastLine) return;
      if (final && decile === this.lastDecile && this.received === this.total) return;
      this.lastDecile = decile;
      this.lastLine = now;
      this.out.write(`${this.text(0)}\n`);
    }
  }

  // The last state, and the end of the bar's line.
  end() {
    if (this.tty) {
      if (!this.drawn) return;
      this.draw(true);
      this.out.write('\n');
      return;
    }
    if (this.received > 0) this.draw(true);
  }
}

// {"host mDNS": 2, "host IPv4": 1} -> "3 (host mDNS x2, host IPv4)".
function kinds(table) {
  const entries = Object.entries(table || {});
  const total = entries.reduce((n, [, k]) => n + k, 0);
  if (total === 0) return 'none';
  return `${total} (${entries.map(([kind, n]) => (n > 1 ? `${kind} x${n}` : kind)).join(', ')})`;
}

function describeCandidate(x) {
  if (!x) return '?';
  const address = !x.address ? '(address not in the stats)' : String(x.address).includes(':') ? `[${x.address}]` : x.address;
  return `${x.type || '?'} ${address}:${x.port}`;
}

function describePair(pair) {
  if (!pair || !pair.local || !pair.remote) return 'n/a (no selected candidate pair in getStats())';
  const protocol = pair.local.protocol ? ` ${pair.local.protocol}` : '';
  return `${describeCandidate(pair.local)} -> ${describeCandidate(pair.remote)}${protocol}`;
}

function rttText(pair) {
  if (!pair || typeof pair.currentRoundTripTime !== 'number') return 'n/a (no currentRoundTripTime)';
  let text = secondsAsMs(pair.currentRoundTripTime);
  if (typeof pair.totalRoundTripTime === 'number' && pair.responsesReceived > 0) {
    text += ` (mean ${secondsAsMs(pair.totalRoundTripTime / pair.responsesReceived)} over ${pair.responsesReceived} STUN checks)`;
  }
  return text;
}

// The rows of the timeline table: a label and, per peer, the timeline
// event names that stand for it (the first one seen counts).
const MILESTONES = [
  ['RTCPeerConnection created', ['RTCPeerConnection created'], ['RTCPeerConnection created']],
  ['ICE gathering started', ['ICE gathering: gathering'], ['ICE gathering: gathering']],
  ['ICE gathering complete', ['ICE gathering: complete'], ['ICE gathering: complete']],
  ['ICE connected', ['ICE: connected', 'ICE: completed'], ['ICE: connected', 'ICE: completed']],
  ['DTLS connected', ['DTLS: connected'], ['DTLS: connected']],
  ['SCTP connected', ['SCTP: connected'], ['SCTP: connected']],
  ['data channel open', ['data channel: open'], ['data channel: open']],
  ['first byte (sent/received)', ['first byte sent'], ['first byte']],
  ['last byte (sent/received)', ['last byte queued'], ['last byte']],
  ['SHA-256 verdict', ['receiver says: SHA-256 matched', 'receiver says: SHA-256 MISMATCH'],
    ['SHA-256 matched', 'SHA-256 MISMATCH']],
  ['closed', ['closed'], ['closed']],
];

// The report after the run; returns the lines.
function report(state, verbose) {
  const lines = [];
  const out = (s = '') => lines.push(s);
  const timeline = state.timeline.slice().sort((a, b) => a.t - b.t);
  const find = (peer, names) => timeline.find((e) => e.peer === peer && names.includes(e.name));
  if (timeline.length === 0) {
    out();
    out('No timeline: no peer got as far as creating its RTCPeerConnection.');
    return lines;
  }
  const created = find('sender', ['RTCPeerConnection created']);
  const t0 = created ? created.t : timeline[0].t;
  const ms = (e) => (e ? (e.t - t0).toFixed(1) : '-');

  out();
  out(`Timeline (ms since the sender created its RTCPeerConnection${created ? '' : ': it did not; since the first event'})`);
  out(`  ${''.padEnd(28)}${'sender'.padStart(9)}${'receiver'.padStart(11)}`);
  for (const [label, senderNames, receiverNames] of MILESTONES) {
    out(`  ${label.padEnd(28)}${ms(find('sender', senderNames)).padStart(9)}${ms(find('receiver', receiverNames)).padStart(11)}`);
  }
  for (const peer of ['sender', 'receiver']) {
    const i = state.info[peer];
    if (i.dtlsSource && !i.dtlsSource.startsWith('RTCDtlsTransport')) out(`  ${peer}: DTLS from ${i.dtlsSource}`);
    if (i.sctpSource && !i.sctpSource.startsWith('RTCSctpTransport')) out(`  ${peer}: SCTP from ${i.sctpSource}`);
  }
  if (verbose) {
    out();
    out('Every event (ms, same origin)');
    for (const e of timeline) {
      out(`  ${ms(e).padStart(9)}  ${e.peer.padEnd(8)}  ${e.name}${e.detail ? `  (${e.detail})` : ''}`);
    }
  }

  out();
  out('Stats');
  const s = state.stats.sender || {};
  const r = state.stats.receiver || {};
  const result = state.results.receiver;
  const size = state.size;
  const first = find('receiver', ['first byte']);
  const last = find('receiver', ['last byte']);
  const open = find('sender', ['data channel: open']);
  if (open && created) {
    out(`  channel open  ${(open.t - created.t).toFixed(1)} ms after the sender created its RTCPeerConnection`);
  }
  if (first && last) {
    const took = last.t - first.t;
    out(`  throughput    ${mbps(size, took).toFixed(1)} MB/s (${(mbps(size, took) * 8).toFixed(0)} Mbit/s): ` +
        `${mib(size)} from the receiver's first to last byte, ${took.toFixed(1)} ms`);
    const verdict = find('receiver', ['SHA-256 matched', 'SHA-256 MISMATCH']);
    if (open && verdict) {
      out(`                ${mbps(size, verdict.t - open.t).toFixed(1)} MB/s from the sender's channel open to the receiver's verdict, ` +
          `${(verdict.t - open.t).toFixed(1)} ms`);
    }
  } else {
    out('  throughput    n/a (the receiver has no first and last byte)');
  }
  const dcSent = s.dataChannel && s.dataChannel.bytesSent;
  const dcReceived = r.dataChannel && r.dataChannel.bytesReceived;
  out(`  bytes         file ${grouped(size)} in ${grouped(result && result.messages)} binary messages; ` +
      `data channel (getStats, with the text messages): sent ${grouped(dcSent)}, received ${grouped(dcReceived)}`);
  for (const [peer, st] of [['sender', s], ['receiver', r]]) {
    const t = st.transport;
    if (!t) continue;
    const bits = [];
    if (typeof t.bytesSent === 'number') bits.push(`sent ${grouped(t.bytesSent)}`);
    if (typeof t.bytesReceived === 'number') bits.push(`received ${grouped(t.bytesReceived)}`);
    if (t.dtlsRole) bits.push(`DTLS ${t.dtlsRole}`);
    if (t.tlsVersion) {
      const name = {FEFF: 'DTLS 1.0', FEFD: 'DTLS 1.2', FEFC: 'DTLS 1.3'}[String(t.tlsVersion).toUpperCase()];
      bits.push(name ? `${name} (${t.tlsVersion})` : `version ${t.tlsVersion}`);
    }
    if (t.dtlsCipher) bits.push(t.dtlsCipher);
    out(`  transport     ${(peer + ':').padEnd(10)}${bits.join(', ') || 'n/a'}`);
  }
  out(`  RTT           sender:   ${rttText(s.pair)}`);
  out(`                receiver: ${rttText(r.pair)}`);
  out(`  selected pair sender:   ${describePair(s.pair)}`);
  out(`                receiver: ${describePair(r.pair)}`);
  for (const peer of ['sender', 'receiver']) {
    const c = state.info[peer].candidates;
    if (!c) continue;
    out(`  candidates    ${(peer + ':').padEnd(10)}gathered ${kinds(c.gathered)}; received ${kinds(c.received)}`);
  }
  const bp = state.info.sender.backPressure;
  if (bp) {
    out(`  back-pressure paused ${bp.waits} times above ${mib(bp.highWater)} buffered until ${mib(bp.lowThreshold)} ` +
        `(${bp.wokenByEvent} by bufferedamountlow, ${bp.wokenByPoll} by polling); max bufferedAmount ${mib(bp.maxBufferedAmount)}; ` +
        `send() raised bufferedAmount at once in ${bp.grewOnSend} of ${bp.sends} calls`);
  }
  const launch = state.info.receiver.chromiumLaunchMs;
  if (typeof launch === 'number') out(`  Chromium      started in ${launch.toFixed(0)} ms (before the timeline)`);
  return lines;
}

async function main(argv) {
  let values;
  try {
    ({values} = parseArgs({
      args: argv,
      options: {
        chromium: {type: 'boolean', default: false},
        size: {type: 'string', default: process.env.RTCBOX_DEMO_SIZE || '64MiB'},
        seed: {type: 'string', default: '1'},
        timeout: {type: 'string', default: '120'},
        verbose: {type: 'boolean', default: false},
        help: {type: 'boolean', default: false},
      },
    }));
  } catch (error) {
    throw new UsageError(error.message);
  }
  if (values.help) {
    process.stdout.write('usage: node demo/run.js [--chromium] [--size 64MiB] [--seed N] [--timeout S] [--verbose]\n');
    return 0;
  }
  const size = parseSize(values.size);
  const timeoutMs = Number(values.timeout) * 1000;
  if (!(timeoutMs > 0)) throw new UsageError(`bad --timeout ${values.timeout} (seconds)`);
  if (!/^\d+$/.test(values.seed)) throw new UsageError(`bad --seed ${values.seed} (a whole number)`);
  const say = (text) => process.stdout.write(`${text}\n`);
  const complain = (text) => process.stderr.write(`demo: ${text}\n`);

  tempRoot = fs.mkdtempSync(path.join(os.tmpdir(), 'rtcbox-demo-'));
  // The children's temporary files go there (TMPDIR), and they remove it,
  // when empty, if this process is killed (orphan.js).
  const env = {...process.env, TMPDIR: tempRoot, RTCBOX_DEMO_RUN_DIR: tempRoot};

  // The Node peers' implementation, checked in a child process (it loads a
  // native addon) before anything starts.
  const impl = await probeImpl(env);
  if (!impl.ok) {
    complain(`the Node peers' WebRTC implementation cannot run the demo:\n  ${impl.message}`);
    return EXIT_NO_IMPL;
  }
  const chromiumExe = process.env.RTCBOX_DEMO_CHROMIUM || '/usr/bin/chromium';
  if (values.chromium) {
    try {
      require.resolve('playwright-core');
    } catch (error) {
      complain('--chromium needs npm playwright-core: run `make demo-chromium` (`npm ci` installs it)');
      return EXIT_FAILED;
    }
    if (!fs.existsSync(chromiumExe)) {
      complain(`--chromium needs ${chromiumExe}: run \`make demo-chromium\` as root (it installs Debian's chromium)`);
      return EXIT_FAILED;
    }
  }

  const state = {
    size,
    timeline: [],
    info: {sender: {}, receiver: {}},
    stats: {},
    results: {},
    errors: [],
    relay: null,
  };
  const progress = new Progress(process.stdout, size);
  let listening;
  const relayReady = new Promise((resolve) => {
    listening = resolve;
  });
  const onEvent = (from, e) => {
    const peer = e.peer || from;
    switch (e.type) {
      case 'listening':
        listening(e);
        break;
      case 'relay':
        state.relay = e;
        break;
      case 'timeline':
        state.timeline.push({...e, peer});
        break;
      case 'progress':
        if (peer === 'receiver') progress.update(e.bytes, e.t);
        break;
      case 'info':
        if (state.info[peer]) Object.assign(state.info[peer], e);
        break;
      case 'stats':
        state.stats[peer] = e;
        break;
      case 'result':
        state.results[peer] = e;
        break;
      case 'error':
        state.errors.push(`${peer}: ${e.message}`);
        break;
      default:
        break;
    }
  };

  const relay = startChild('relay', [path.join(DEMO, 'relay.js'), '--exit-with-stdin',
    '--timeout', String(timeoutMs + 10000)], onEvent, env);
  const ready = await Promise.race([relayReady, relay.exited.then(() => null),
    new Promise((resolve) => setTimeout(() => resolve(null), 10000).unref())]);
  if (!ready) {
    await stopChildren();
    complain(`the relay did not start:\n${relay.log.join('\n')}`);
    return EXIT_FAILED;
  }
  const signal = `ws://127.0.0.1:${ready.port}/?room=demo`;
  const common = ['--timeout', String(timeoutMs), '--exit-with-stdin'];
  let receiver;
  if (values.chromium) {
    receiver = startChild('receiver', [path.join(DEMO, 'chromium.js'), '--page', `${ready.page}?room=demo`,
      '--executable', chromiumExe, ...common], onEvent, env);
  } else {
    receiver = startChild('receiver', [path.join(DEMO, 'peer.js'), '--role', 'receiver',
      '--signal', `${signal}&role=receiver`, ...common], onEvent, env);
  }
  const sender = startChild('sender', [path.join(DEMO, 'peer.js'), '--role', 'sender', '--signal', `${signal}&role=sender`,
    '--size', String(size), '--seed', values.seed, ...common], onEvent, env);

  say(`rtcbox demo: ${mib(size)} over one data channel, from a Node peer to ` +
      `${values.chromium ? 'headless Chromium' : 'a Node peer'}, on this machine`);
  say(`  Node peers  ${impl.description}, Node ${process.version}`);
  say(`  relay       ${ready.url}${values.chromium ? ` (and the receiver's page ${ready.page})` : ''}`);

  // Everything ends within the timeout, or is stopped.
  let timedOut = false;
  const killer = setTimeout(() => {
    timedOut = true;
    stopChildren();
  }, timeoutMs + 15000);
  // A peer that failed: the other gets a few seconds to notice and report
  // (the relay tells it), then is stopped.
  for (const [peer, other] of [[sender, receiver], [receiver, sender]]) {
    peer.exited.then(() => {
      if (peer.code === 0 || other.code !== null || other.signal !== null) return;
      setTimeout(() => {
        if (other.code === null && other.signal === null) {
          state.errors.push(`${other.name}: stopped, as the ${peer.name} had failed`);
          other.child.kill('SIGTERM');
        }
      }, 3000).unref();
    });
  }
  const peersDone = Promise.all([sender.exited, receiver.exited]);
  // The file's line as soon as the sender has it, before the bar.
  await Promise.race([peersDone, new Promise((resolve) => {
    const check = setInterval(() => {
      if (state.info.sender.file || sender.code !== null) {
        clearInterval(check);
        resolve();
      }
    }, 10);
  })]);
  const file = state.info.sender.file;
  if (file) {
    say(`  file        ${file.name}, ${grouped(file.size)} bytes, generated in ${file.generatedMs.toFixed(0)} ms`);
    say(`              SHA-256 ${file.sha256} (sender)`);
  }
  await peersDone;
  if (interrupted) return EXIT_FAILED;
  progress.end();
  if (values.chromium && state.info.receiver.impl) say(`  receiver    ${state.info.receiver.impl}`);
  // The relay exits once both peers said done; not waiting for it forever.
  const relayTimer = setTimeout(() => relay.child.kill('SIGTERM'), 3000);
  await relay.exited;
  clearTimeout(relayTimer);
  clearTimeout(killer);

  for (const line of report(state, values.verbose)) say(line);

  const problems = [...state.errors];
  if (timedOut) problems.push(`stopped after ${values.timeout} s`);
  for (const c of children) {
    if (c.code !== 0) problems.push(`${c.name} exited with ${c.signal ? `signal ${c.signal}` : `status ${c.code}`}`);
  }
  // The verdict, checked here too: the receiver's hash of what it got
  // against the sender's hash of the file, each computed in its own process.
  const result = state.results.receiver;
  const matched = Boolean(file && result && result.ok && result.sha256 === file.sha256 &&
      result.bytes === size && state.results.sender && state.results.sender.ok);
  if (problems.length > 0 || values.verbose) {
    for (const c of children) {
      if (c.log.length > 0 && (c.code !== 0 || values.verbose)) {
        say(`\n---- ${c.name} output (last 40 lines) ----\n${c.log.slice(-40).join('\n')}`);
      }
    }
  }
  say('');
  if (result && file) {
    say(`Result: SHA-256 ${matched ? 'matched' : 'DID NOT MATCH'}: the receiver computed ${result.sha256} ` +
        `over ${grouped(result.bytes)} bytes, the sender ${file.sha256}`);
  } else {
    say('Result: FAILED: the receiver did not verify the file');
  }
  for (const p of problems) {
    // The first lines of each (Playwright's errors carry its whole log).
    const text = String(p).split('\n');
    const shown = values.verbose ? text : text.slice(0, 6);
    say(`  problem: ${shown.join('\n    ')}`);
    if (shown.length < text.length) say(`    (${text.length - shown.length} more lines: --verbose shows them)`);
  }
  return matched && problems.length === 0 ? 0 : EXIT_FAILED;
}

if (require.main === module) {
  // On every way out: children stopped, the temporary folder removed.
  const stop = (signal, code) => {
    if (interrupted) return;
    interrupted = true;
    process.stdout.write(`\ndemo: ${signal}: stopping\n`);
    stopChildren().finally(() => {
      removeTempRoot();
      process.exit(code);
    });
  };
  process.on('SIGINT', () => stop('SIGINT', 130));
  process.on('SIGTERM', () => stop('SIGTERM', 143));
  process.on('SIGHUP', () => stop('SIGHUP', 129));
  process.on('exit', () => {
    // A last resort (the normal paths have stopped them already): the
    // children also exit when their standard input closes with this process.
    for (const c of children) if (c.code === null && c.signal === null) c.child.kill('SIGKILL');
    removeTempRoot();
  });
  // process.exit(): nothing is left to wait for (stdout and stderr are
  // synchronous on Linux, files, pipes and terminals alike).
  main(process.argv.slice(2)).then(async (code) => {
    await stopChildren();
    removeTempRoot();
    if (!interrupted) process.exit(code);
  }, async (error) => {
    process.stderr.write(`demo: ${error instanceof UsageError ? error.message : error.stack}\n`);
    await stopChildren();
    removeTempRoot();
    if (!interrupted) process.exit(error instanceof UsageError ? EXIT_USAGE : EXIT_FAILED);
  });
}

module.exports = {parseSize};
