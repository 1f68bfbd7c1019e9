'use strict';
// The sender and the receiver of the data-channel throughput benchmark
// (test/bench/dc_chromium.js), the same code in Node (require) and in the
// interop page (<script>), so that every direction runs the same loops.
//
// A run is `count` binary messages of `size` bytes on one channel. Message
// `seq` carries seq in its first 4 bytes, seq ^ 0x5a5a5a5a in the 4 at the
// middle and ~seq in its last 4 (little-endian): the receiver checks the
// length and these three words of every message, which catches loss,
// reordering, duplication, truncation and messages glued together, at the
// cost of three reads per 64 KiB (no hashing in the timed loop).
//
// The sender fills the channel up to `high` bytes of bufferedAmount, then
// waits for bufferedamountlow (bufferedAmountLowThreshold = `low`) and fills
// again. In case an implementation never fires the event, bufferedAmount is
// also polled every POLL_MS while waiting; wakeups by the poll are counted
// (they should be 0: any other figure means the event was late or missing).

(function(root) {
  const SIZE = 64 * 1024;
  const LOW = 512 * 1024;
  const HIGH = 1024 * 1024;
  const POLL_MS = 250;

  function words(size) {
    return [0, (size >> 1) & ~3, size - 4];
  }

  // A reusable message buffer (send() copies what it is given).
  function payload(size) {
    if (size < 12) throw new RangeError(`messages of ${size} bytes are too small to carry the markers`);
    const bytes = new Uint8Array(size);
    for (let i = 0; i < size; i++) bytes[i] = (i * 131 + 7) & 0xff;
    return bytes;
  }

  function stamp(bytes, seq) {
    const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    const [a, b, c] = words(bytes.byteLength);
    view.setUint32(a, seq, true);
    view.setUint32(b, (seq ^ 0x5a5a5a5a) >>> 0, true);
    view.setUint32(c, ~seq >>> 0, true);
  }

  // Why `data` is not message `seq` of `size` bytes, or null.
  function check(seq, data, size) {
    if (typeof data === 'string') return `message ${seq}: a string, expected binary`;
    const length = data.byteLength;
    if (length !== size) return `message ${seq}: ${length} bytes, expected ${size}`;
    const view = ArrayBuffer.isView(data) ? new DataView(data.buffer, data.byteOffset, length) : new DataView(data);
    const [a, b, c] = words(size);
    const got = [view.getUint32(a, true), view.getUint32(b, true), view.getUint32(c, true)];
    if (got[0] !== seq || got[1] !== ((seq ^ 0x5a5a5a5a) >>> 0) || got[2] !== (~seq >>> 0)) {
      return `message ${seq}: markers ${got.join('/')}, expected ${seq}`;
    }
    return null;
  }

  // Resolves once bufferedAmount is at most `low` (or the channel is no
  // longer open): 'event', 'poll' or 'already'. `poll`: the polling period
  // in ms (POLL_MS), shorter for an implementation known to lack the event.
  function waitLow(dc, low, poll = POLL_MS) {
    if (dc.bufferedAmount <= low || dc.readyState !== 'open') return Promise.resolve('already');
    return new Promise((resolve) => {
      let poller = null;
      const done = (how) => {
        dc.removeEventListener('bufferedamountlow', onLow);
        clearInterval(poller);
        resolve(how);
      };
      const onLow = () => done('event');
      dc.addEventListener('bufferedamountlow', onLow);
      poller = setInterval(() => {
        if (dc.bufferedAmount <= low || dc.readyState !== 'open') done('poll');
      }, poll);
    });
  }

  // Sends messages 0..count-1 of `size` bytes; resolves once the last one
  // is handed to the channel, with the sender's figures.
  async function send(dc, {count, size = SIZE, low = LOW, high = HIGH, poll = POLL_MS}) {
    const bytes = payload(size);
    dc.bufferedAmountLowThreshold = low;
    const stats = {waits: 0, wokenByPoll: 0, maxBuffered: 0, yields: 0};
    let seq = 0;
    while (seq < count) {
      if (dc.readyState !== 'open') throw new Error(`the channel is ${dc.readyState} after ${seq} messages`);
      // At most `high` bytes per burst: the same as the bufferedAmount
      // bound where send() raises bufferedAmount at once, as the spec says;
      // a bound where it lags (@roamhq/wrtc's does, for small messages).
      let burst = 0;
      while (seq < count && dc.bufferedAmount + size <= high && burst + size <= high) {
        stamp(bytes, seq++);
        dc.send(bytes);
        burst += size;
      }
      stats.maxBuffered = Math.max(stats.maxBuffered, dc.bufferedAmount);
      if (seq < count) {
        stats.waits++;
        const how = await waitLow(dc, low, poll);
        if (how === 'poll') stats.wokenByPoll++;
        if (how === 'already') {
          // A burst ended by its own bound: let the event loop run.
          stats.yields++;
          await new Promise((resolve) => setTimeout(resolve, 0));
        }
      }
    }
    return stats;
  }

  // Counts and checks what `dc` receives; calls done(result) at message
  // `count`. Times are performance.now() at the receiver, in ms.
  function receive(dc, {count, size = SIZE}, done) {
    dc.binaryType = 'arraybuffer';
    const r = {messages: 0, bytes: 0, firstMs: null, lastMs: null, errors: []};
    dc.addEventListener('message', (e) => {
      const t = performance.now();
      if (r.messages === 0) r.firstMs = t;
      const error = check(r.messages, e.data, size);
      if (error && r.errors.length < 5) r.errors.push(error);
      r.bytes += typeof e.data === 'string' ? e.data.length : e.data.byteLength;
      r.messages++;
      if (r.messages === count) {
        r.lastMs = t;
        done({...r, errors: r.errors.slice()});
      }
    });
    return r;
  }

  root.InteropBench = {SIZE, LOW, HIGH, POLL_MS, payload, stamp, check, waitLow, send, receive};
  if (typeof module === 'object' && module.exports) module.exports = root.InteropBench;
})(typeof window === 'object' ? window : globalThis);
