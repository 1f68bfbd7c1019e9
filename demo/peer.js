'use strict';
// One peer of `make demo` in Node: the sender (generates the file, offers,
// streams it) or the receiver (answers, hashes, verifies). The WebRTC part
// is session.js, the same code the Chromium receiver runs; this file adds
// what a Node host provides: the implementation (impl.js), the WebSocket
// (npm ws), the file on disk and node:crypto. Events go to stdout, one JSON
// object a line, for run.js.
//
//   node demo/peer.js --role sender --signal ws://127.0.0.1:PORT/?room=demo \
//       --size BYTES [--seed N] [--timeout MS]
//   node demo/peer.js --role receiver --signal URL [--timeout MS]
//   node demo/peer.js --probe     tries new RTCPeerConnection(),
//       createDataChannel() and createOffer(); prints a JSON line saying
//       which implementation, or what failed
//
// --exit-with-stdin: give up when standard input closes (run.js keeps a pipe
// open, so that a peer does not outlive it).
//
// The file: SIZE deterministic pseudo-random bytes from SEED (the AES-128-CTR
// keystream under SHA-256("rtcbox demo " + SEED)), written to a temporary
// file, which is read back to be sent and removed at the end.

const crypto = require('node:crypto');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const {parseArgs} = require('node:util');

const {loadImpl, DemoError} = require('./impl.js');
const {exitWithStdin} = require('./orphan.js');
const session = require('./session.js');

function emit(event) {
  process.stdout.write(`${JSON.stringify(event)}\n`);
}

// Writes the file; returns {dir, path, name, size, sha256, ms}.
// `dirs` gets the temporary folder as soon as it exists.
function generateFile(size, seed, dirs) {
  const started = performance.now();
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'file-'));
  dirs.add(dir);
  const name = `demo-${size}-seed${seed}.bin`;
  const file = path.join(dir, name);
  const key = crypto.createHash('sha256').update(`rtcbox demo ${seed}`).digest().subarray(0, 16);
  const cipher = crypto.createCipheriv('aes-128-ctr', key, Buffer.alloc(16));
  const hash = crypto.createHash('sha256');
  const zeros = Buffer.alloc(1024 * 1024);
  const fd = fs.openSync(file, 'w');
  try {
    for (let left = size; left > 0;) {
      const n = Math.min(left, zeros.length);
      const block = cipher.update(zeros.subarray(0, n));
      hash.update(block);
      fs.writeSync(fd, block);
      left -= n;
    }
  } finally {
    fs.closeSync(fd);
  }
  return {dir, path: file, name, size, sha256: hash.digest('hex'), ms: performance.now() - started};
}

// A reader of `file` in session.CHUNK_SIZE pieces, each its own buffer.
async function openReader(file) {
  const handle = await fs.promises.open(file.path, 'r');
  let position = 0;
  return {
    async read() {
      const n = Math.min(session.CHUNK_SIZE, file.size - position);
      if (n <= 0) return null;
      const buffer = Buffer.alloc(n);
      const {bytesRead} = await handle.read(buffer, 0, n, position);
      position += bytesRead;
      return bytesRead === n ? buffer : buffer.subarray(0, bytesRead);
    },
    close: () => handle.close(),
  };
}

function nodeHash() {
  const hash = crypto.createHash('sha256');
  return {
    update: (bytes) => hash.update(bytes),
    digest: () => hash.digest('hex'),
  };
}

// What --probe checks: that the implementation can do the first steps of
// the demo. Returns null, or {step, error} for the step that failed.
async function probe(RTCPeerConnection) {
  let pc = null;
  let step = 'new RTCPeerConnection()';
  try {
    pc = new RTCPeerConnection({iceServers: []});
    step = 'createDataChannel()';
    pc.createDataChannel('probe');
    step = 'createOffer()';
    await pc.createOffer();
    step = 'close()';
    pc.close();
    return null;
  } catch (error) {
    if (pc) {
      try {
        pc.close();
      } catch (ignored) {
        // Already reporting the first error.
      }
    }
    return {step, error};
  }
}

// Files to remove however the process ends: process.exit() runs 'exit'
// listeners, and the signals below end through process.exit().
const temporaryDirs = new Set();
process.on('exit', () => {
  for (const dir of temporaryDirs) fs.rmSync(dir, {recursive: true, force: true});
});
for (const [signal, code] of [['SIGINT', 130], ['SIGTERM', 143], ['SIGHUP', 129]]) {
  process.on(signal, () => {
    emit({type: 'error', message: `stopped by ${signal}`});
    process.exit(code);
  });
}

async function main() {
  const {values} = parseArgs({
    options: {
      'role': {type: 'string'},
      'signal': {type: 'string'},
      'size': {type: 'string', default: String(64 * 1024 * 1024)},
      'seed': {type: 'string', default: '1'},
      'timeout': {type: 'string', default: '120000'},
      'probe': {type: 'boolean', default: false},
      'exit-with-stdin': {type: 'boolean', default: false},
    },
  });
  if (values['exit-with-stdin']) {
    exitWithStdin(() => {
      emit({type: 'error', peer: values.role, message: 'standard input closed: run.js is gone'});
      process.exit(1);
    });
  }

  let impl;
  try {
    impl = loadImpl();
  } catch (error) {
    if (!(error instanceof DemoError)) throw error;
    emit(values.probe ? {type: 'probe', ok: false, message: error.message} :
      {type: 'error', peer: values.role, message: error.message});
    return 1;
  }
  if (values.probe) {
    const failed = await probe(impl.RTCPeerConnection);
    if (failed) {
      const name = failed.error && failed.error.name;
      emit({
        type: 'probe', ok: false, impl: impl.name,
        // NotSupportedError is what the placeholder of an unwritten part of
        // rtcbox's bindings throws (api/js/impl/).
        notImplemented: name === 'NotSupportedError',
        message: `${impl.description}: ${failed.step} failed: ${name || 'Error'}: ` +
            `${failed.error && failed.error.message}` +
            (name === 'NotSupportedError' ? ' (this part of the implementation is not written yet)' : ''),
      });
      return 1;
    }
    emit({type: 'probe', ok: true, impl: impl.name, description: impl.description, file: impl.file});
    return 0;
  }

  const role = values.role;
  if (role !== 'sender' && role !== 'receiver') throw new Error('--role must be sender or receiver');
  if (!values.signal) throw new Error('--signal URL is required');
  emit({type: 'info', peer: role, t: session.now(), impl: impl.description, host: `Node ${process.version}`});

  let file = null;
  let reader = null;
  try {
    if (role === 'sender') {
      const size = Number(values.size);
      if (!Number.isSafeInteger(size) || size <= 0) throw new Error(`bad --size ${values.size}`);
      file = generateFile(size, values.seed, temporaryDirs);
      emit({
        type: 'info', peer: role, t: session.now(),
        file: {name: file.name, size: file.size, sha256: file.sha256, generatedMs: file.ms, seed: values.seed},
      });
      reader = await openReader(file);
    }
    const signaling = await session.openSignaling(require('ws'), values.signal);
    const {ok} = await session.runPeer({
      role,
      RTCPeerConnection: impl.RTCPeerConnection,
      signaling,
      emit,
      file: file && {name: file.name, size: file.size, sha256: file.sha256, read: () => reader.read()},
      createHash: nodeHash,
      timeoutMs: Number(values.timeout),
    });
    signaling.close();
    return ok ? 0 : 1;
  } finally {
    if (reader) await reader.close();
    if (file) {
      fs.rmSync(file.dir, {recursive: true, force: true});
      temporaryDirs.delete(file.dir);
    }
  }
}

// Exits once main() is over, whatever the implementation still has running
// (threads, handles): the events are all written by then.
main().then((code) => {
  emit({type: 'done', code});
  process.exit(code);
}, (error) => {
  emit({type: 'error', message: String(error && error.stack ? error.stack : error)});
  emit({type: 'done', code: 1});
  process.exit(1);
});
