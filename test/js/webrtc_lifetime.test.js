'use strict';
// Issue 5, item 3: wrappers kept alive while they can still fire events and
// released after close. 10,000 create/connect/close cycles, after which
// open file descriptors and RSS are back near where they started and the
// JS objects were collected; and whether peer connections left open keep
// Node running.
//
// The cycles run in a child process started with --expose-gc
// (fixtures/lifetime_cycles.js, which describes a cycle and prints its
// measurements as JSON). Choices, from measurements on the 2-core test
// machine with the debug build (out/clang):
//
// - Concurrency 2. rtcbox runs a cycle in ~10 ms alone, ~60-100 cycles/s
//   with 1 or 2 pairs at a time; with 3 or more pairs at a time every cycle
//   takes ~1 s: the first mDNS query of a remote `.local` candidate asks for
//   a unicast response (RFC 6762 §5.4), every ICE agent has its own mDNS
//   socket bound to port 5353 (SO_REUSEPORT), and the kernel hands the
//   unicast answer to one of them; the resolver then waits for its multicast
//   retransmission, 1 s later (p2p/mdns.c).
// - gc() every 100 cycles. rtcbox reports no external memory to V8, so V8
//   does not see the native memory a closed peer connection holds until its
//   JS object is collected (~60 KB per peer connection): without gc(), no
//   peer connection of 1,000 cycles was collected and RSS went from 55 MB
//   to 195 MB, until a major GC near 1,370 cycles collected 2,740 at once.
//   The test is about what is left after collection; forcing it bounds the
//   garbage in between.
// - MALLOC_MMAP_THRESHOLD_=131072 and MALLOC_ARENA_MAX=1 in the child's
//   environment: RSS then follows what is in use closely enough to see a
//   leak. Each peer connection allocates large transient blocks (usrsctp's
//   association arrays, 2.5 and 4 MB; the UDP sockets' 2 MB receive
//   arenas). By default glibc raises its mmap threshold after the first of
//   them is freed; they then come from the heap and fragment it, and RSS
//   rises in steps (one run: +35 MB between cycles 2,000 and 3,000, flat
//   after), although what malloc has in use stays at ~3.1 MB from cycle
//   1,000 to 4,000 (measured by walking glibc's arenas with gdb) and
//   rtc_malloc's live count is back to its start value after each gc(). A
//   fixed threshold returns those blocks to the system when they are
//   freed; one arena (instead of one per thread) keeps the creep of the
//   network thread's arena out (with the fixed threshold alone, the slope
//   below was up to 1,217 bytes/cycle when the machine was busy). The
//   fixed threshold costs throughput: ~110 cycles/s become ~70.
// - The leak check: the bytes malloc has in use (mallinfo2, summed over
//   the arenas; test/js/malloc_stats_test_addon.c), sampled every 1,000
//   cycles after several gc(). Everything rtcbox, usrsctp and BoringSSL
//   keep comes from malloc. The check is the growth from cycle 2,000 to
//   the end, as a Theil-Sen slope (the median of the slopes between every
//   two samples). Measured: 2.79 MiB at the start, 2.92 at cycle 2,000,
//   2.93 at 10,000: 2 bytes/cycle; with a 1 KiB Buffer kept per cycle
//   (a mutation of the fixture) the slope was 1,190 bytes/cycle. The
//   bound is 128 bytes/cycle.
// - RSS is reported and bounded coarsely only. It was the leak check
//   until stop 13 (bound 900 bytes/cycle on its slope), and it failed
//   twice with no leak: at 938 and 1,054 bytes/cycle, the first idle,
//   with RSS rising in one step of 4 MB between two samples while
//   malloc's bytes in use stayed flat (measured again this way: RSS +4.0
//   MiB at cycle 6,000, malloc +0.001 MiB). Fragmentation and V8's own
//   mappings move RSS in steps of megabytes; six earlier runs gave slopes
//   from 7 to 534 bytes/cycle for the same code. RSS from start to end may
//   grow by at most 64 MiB (measured: 31 to 35 MiB), from cycle 2,000 to
//   the end by at most 16 MiB (measured: 2 to 8 MiB): what a leak outside
//   malloc (mappings, thread stacks) of ~2 KiB per cycle would pass.
// - Open file descriptors: at most 5 more at the end, and at every sample,
//   than at the start (20 at the start and at every sample, measured).
// - Collection: a FinalizationRegistry holds the two peer connections and
//   the two RTCDataChannel objects of every cycle; at least 99% of them
//   must have been finalized at the end (measured: all 40,000, every run).
//
// Peer connections left open (fixtures/lifetime_keepalive.js): rtcbox holds
// a keep-alive count on Node's loop while a peer connection is in use
// (after its first setLocalDescription/setRemoteDescription) and not
// closed, while an operation is pending, and until a negotiationneeded
// event due has fired (api/js/impl/peer_connection.c): one that was only
// created (with a data channel) lets Node exit once negotiationneeded has
// fired; connected ones keep Node running (they can still fire events, as
// in a page) until close(). npm @roamhq/wrtc 0.10.0 (libwebrtc),
// run with the same fixture (RTCBOX_LIFETIME_MODULE=<its path>), keeps
// Node running in both cases until close(): the unconnected one too (still
// running after 6 s, when it was killed).

const assert = require('node:assert/strict');
const path = require('node:path');
const { test } = require('node:test');
const { DEEPBIND_SKIP, OUT, addonPath, runNode } = require('./support.js');

const CYCLES = path.join(__dirname, 'fixtures', 'lifetime_cycles.js');
const KEEPALIVE = path.join(__dirname, 'fixtures', 'lifetime_keepalive.js');
const ABANDONED = path.join(__dirname, 'fixtures', 'lifetime_abandoned.js');
const ENV = {
  RTCBOX_ADDON: addonPath('rtcbox'),
  RTCBOX_MALLOC_STATS_ADDON: addonPath('malloc_stats_test_addon'),
};

const CYCLE_COUNT = 10000;
const CONCURRENCY = 2;
const CHECKPOINT = 2000;
const MAX_FD_GROWTH = 5;
const MAX_MALLOC_SLOPE = 128; // bytes in use per cycle, from CHECKPOINT to the end
const MAX_RSS_GROWTH = 64 * 1024 * 1024; // from the start to the end
const MAX_RSS_LATE_GROWTH = 16 * 1024 * 1024; // from CHECKPOINT to the end
const MAX_HEAP_GROWTH = 4 * 1024 * 1024; // V8's heapUsed, start to end
const MIN_FINALIZED = 0.99; // of the peer connections and channels

const MiB = (bytes) => `${(bytes / (1024 * 1024)).toFixed(1)} MiB`;
const KiB = (bytes) => `${(bytes / 1024).toFixed(0)} KiB`;

// Theil-Sen slope of y over x: the median of the slopes between every
// two points.
function medianSlope(points) {
  const slopes = [];
  for (let i = 0; i < points.length; i++) {
    for (let j = i + 1; j < points.length; j++) {
      slopes.push((points[j].y - points[i].y) / (points[j].x - points[i].x));
    }
  }
  slopes.sort((a, b) => a - b);
  const mid = slopes.length >> 1;
  return slopes.length % 2 ? slopes[mid] : (slopes[mid - 1] + slopes[mid]) / 2;
}

// The cycles take ~140 s with the debug build on 2 idle cores: `make test`
// runs them once, in the default build (out/clang); the other
// builds skip them unless RTCBOX_LIFETIME_ALL=1. The bound is generous
// for a loaded machine.
const CYCLES_SKIP = DEEPBIND_SKIP ||
    (path.basename(OUT) !== 'clang' && process.env.RTCBOX_LIFETIME_ALL !== '1' &&
     'the 10,000 cycles run once per make test, in out/clang (RTCBOX_LIFETIME_ALL=1 runs them here)');

test(`${CYCLE_COUNT} create/connect/close cycles leave open fds and malloc's bytes in use near their start, and the wrappers collected`, { skip: CYCLES_SKIP, timeout: 490000 }, (t) => {
  const result = runNode(['--expose-gc', CYCLES, String(CYCLE_COUNT), String(CONCURRENCY), String(CHECKPOINT)], {
    env: { ...ENV, MALLOC_MMAP_THRESHOLD_: '131072', MALLOC_ARENA_MAX: '1' },
    timeoutMs: 480000,
  });
  const why = `status ${result.status} signal ${result.signal} after ${Math.round(result.ms)} ms\n` +
      `stdout:\n${result.stdout}\nstderr:\n${result.stderr}`;
  assert.equal(result.status, 0, why);
  const got = JSON.parse(result.stdout);
  const { start, checkpoint, end, samples } = got;
  const after = samples.filter((s) => s.cycles >= CHECKPOINT).concat([end]);
  const rssSlope = medianSlope(after.map((s) => ({ x: s.cycles, y: s.rss })));
  const mallocSlope = medianSlope(after.map((s) => ({ x: s.cycles, y: s.malloc })));

  t.diagnostic(`${got.cycles} cycles, ${got.concurrency} at a time, in ${(got.ms / 1000).toFixed(1)} s: ` +
      `${(got.cycles / (got.ms / 1000)).toFixed(1)} cycles/s (child process ${(result.ms / 1000).toFixed(1)} s in all)`);
  t.diagnostic(`RSS: start ${MiB(start.rss)}, after ${checkpoint.cycles} ${MiB(checkpoint.rss)}, ` +
      `end ${MiB(end.rss)}; slope from ${CHECKPOINT} on: ${Math.round(rssSlope)} bytes/cycle`);
  t.diagnostic(`malloc in use: start ${KiB(start.malloc)}, after ${checkpoint.cycles} ${KiB(checkpoint.malloc)}, ` +
      `end ${KiB(end.malloc)}; slope from ${CHECKPOINT} on: ${Math.round(mallocSlope)} bytes/cycle`);
  t.diagnostic(`RSS every 1000 cycles: ${samples.map((s) => (s.rss / 1048576).toFixed(1)).join(' ')} MiB`);
  t.diagnostic(`V8 heap used: start ${MiB(start.heapUsed)}, end ${MiB(end.heapUsed)}; ` +
      `open fds: start ${start.fds}, end ${end.fds}, most ${Math.max(...samples.map((s) => s.fds))}`);
  t.diagnostic(`finalized ${got.finalized} of ${got.registered} peer connections and data channels`);

  assert.deepEqual(got.errors, [], 'every cycle completed');
  assert.equal(got.cycles, CYCLE_COUNT);
  assert.equal(got.registered, CYCLE_COUNT * 4, 'two peer connections and two channels per cycle');
  assert.ok(got.finalized >= got.registered * MIN_FINALIZED,
      `only ${got.finalized} of ${got.registered} wrappers were collected`);
  for (const s of samples.concat([end])) {
    assert.ok(s.fds <= start.fds + MAX_FD_GROWTH, `${s.fds} fds open after ${s.cycles} cycles, ${start.fds} at the start`);
  }
  for (const s of samples.concat([start, end])) assert.equal(typeof s.malloc, 'number', 'malloc sampled');
  assert.ok(mallocSlope < MAX_MALLOC_SLOPE,
      `malloc's bytes in use grow by ${Math.round(mallocSlope)} per cycle after cycle ${CHECKPOINT} (bound ${MAX_MALLOC_SLOPE})`);
  assert.ok(end.rss - checkpoint.rss < MAX_RSS_LATE_GROWTH,
      `RSS grew by ${MiB(end.rss - checkpoint.rss)} after cycle ${checkpoint.cycles}`);
  assert.ok(end.rss - start.rss < MAX_RSS_GROWTH, `RSS grew by ${MiB(end.rss - start.rss)}`);
  assert.ok(end.heapUsed - start.heapUsed < MAX_HEAP_GROWTH, `V8's heap grew by ${MiB(end.heapUsed - start.heapUsed)}`);
});

test('a peer connection with a data channel that is never used nor closed does not keep Node running', { skip: DEEPBIND_SKIP }, () => {
  const result = runNode([KEEPALIVE, 'unconnected'], { env: ENV, timeoutMs: 20000 });
  assert.equal(result.status, 0, `status ${result.status} signal ${result.signal}\n${result.stderr}`);
  // negotiationneeded (due after createDataChannel) fires first.
  assert.equal(result.stdout, 'ready\nnegotiationneeded\nexits by itself\n', result.stderr);
});

test('connected peer connections that are never closed keep Node running (they can still fire events) until close()', { skip: DEEPBIND_SKIP }, () => {
  const result = runNode([KEEPALIVE, 'connected'], { env: ENV, timeoutMs: 20000 });
  assert.equal(result.status, 0, `status ${result.status} signal ${result.signal}\n${result.stderr}`);
  // "kept alive": the unref'd timer fired, so the loop was held; then the
  // fixture closed them, and Node ended by itself.
  assert.equal(result.stdout, 'ready\nkept alive\nexits by itself\n', result.stderr);
});

test('a peer connection closed with an operation still chained is collected; the operation never settles', { skip: DEEPBIND_SKIP }, () => {
  const result = runNode(['--expose-gc', ABANDONED], { env: ENV, timeoutMs: 20000 });
  assert.equal(result.status, 0, `status ${result.status} signal ${result.signal}\n${result.stderr}`);
  // webrtc-pc "chain an operation": once [[IsClosed]], the chained
  // operation's promise is never resolved nor rejected.
  assert.deepEqual(JSON.parse(result.stdout), { made: 20, collected: 20, settled: 0 }, result.stderr);
});
