'use strict';
// The messages of the interop echo test, the same in Node
// (require('./page/messages.js')) and in the page (<script>): message i of
// a run is a function of i alone, so either side can check what it
// received without the other sending a copy.
//
// Sizes mix the edge cases (0 bytes, 1 byte, around the 64 KiB of a
// typical SCTP chunking boundary, exactly 256 KiB, the max-message-size both
// Chromium and rtcbox announce) with many small messages; even i are
// strings (with 2- and 3-byte UTF-8 characters, so a byte count is not a
// character count), odd i binary. A string's size is its UTF-8 length.

(function(root) {
  const MAX = 256 * 1024;
  const EDGES = [0, 1, 2, 1023, 1024, 1025, 16383, 16384, 65535, 65536, 65537, 131072, MAX - 1, MAX];

  // A xorshift32 stream seeded by i (never 0).
  function prng(seed) {
    let x = (seed * 2654435761 + 0x9e3779b9) >>> 0 || 1;
    return () => {
      x ^= x << 13;
      x >>>= 0;
      x ^= x >>> 17;
      x ^= x << 5;
      x >>>= 0;
      return x;
    };
  }

  function sizeOf(i) {
    if (i < EDGES.length * 2) return EDGES[i >> 1];
    const next = prng(i * 7 + 3);
    // One message in eight is large (up to MAX), the others up to 4 KiB.
    return next() % 8 === 0 ? next() % (MAX + 1) : next() % 4097;
  }

  // Message i: a string (even i) or a Uint8Array (odd i) of sizeOf(i)
  // bytes.
  function message(i) {
    const size = sizeOf(i);
    const next = prng(i + 1);
    if (i % 2 === 1) {
      const bytes = new Uint8Array(size);
      for (let k = 0; k < size; k += 4) {
        const v = next();
        bytes[k] = v;
        if (k + 1 < size) bytes[k + 1] = v >>> 8;
        if (k + 2 < size) bytes[k + 2] = v >>> 16;
        if (k + 3 < size) bytes[k + 3] = v >>> 24;
      }
      return bytes;
    }
    // 'a'..'z' (1 byte), 'é' (2 bytes), '€' (3 bytes), filled to exactly
    // `size` UTF-8 bytes.
    const parts = [];
    let left = size;
    while (left > 0) {
      const v = next() % 16;
      if (v === 0 && left >= 3) {
        parts.push('\u20ac');
        left -= 3;
      } else if (v === 1 && left >= 2) {
        parts.push('\u00e9');
        left -= 2;
      } else {
        parts.push(String.fromCharCode(97 + (v % 26)));
        left -= 1;
      }
    }
    return parts.join('');
  }

  // Whether `data` (a string, or binary as ArrayBuffer/typed array/Buffer)
  // is message i, and if not, why.
  function check(i, data) {
    const want = message(i);
    if (typeof want === 'string') {
      if (typeof data !== 'string') return `message ${i}: expected a string, got ${typeof data}`;
      if (data !== want) return `message ${i}: string of ${data.length} chars differs (expected ${want.length})`;
      return null;
    }
    if (typeof data === 'string') return `message ${i}: expected binary, got a string`;
    const got = ArrayBuffer.isView(data) ? new Uint8Array(data.buffer, data.byteOffset, data.byteLength) : new Uint8Array(data);
    if (got.length !== want.length) return `message ${i}: ${got.length} bytes, expected ${want.length}`;
    for (let k = 0; k < got.length; k++) {
      if (got[k] !== want[k]) return `message ${i}: byte ${k} is ${got[k]}, expected ${want[k]}`;
    }
    return null;
  }

  function byteLength(data) {
    return typeof data === 'string' ? new TextEncoder().encode(data).length : data.byteLength;
  }

  root.InteropMessages = {MAX, EDGES, sizeOf, message, check, byteLength};
  if (typeof module === 'object' && module.exports) module.exports = root.InteropMessages;
})(typeof window === 'object' ? window : globalThis);
