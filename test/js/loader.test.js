'use strict';
// The package entry (api/js/lib/index.js, loader.js, global.js): where the
// addon comes from, RTLD_DEEPBIND, the generated bindings hook, globals.
//
// Why RTLD_DEEPBIND, measured on Node 20 (v20.20.2) with
// boringssl_test_addon.node: after a plain require(), the addon's SHA256
// is bound to the node executable's OpenSSL (sha256Library() returns
// "node"), and dtlsContextWorks() dies with SIGSEGV (exit status 139), as
// BoringSSL's internal calls land in node's OpenSSL. Loaded through the
// package entry, SHA256 is bound to BoringSSL's libcrypto.so.0 and a DTLS
// context works. The crashing variant is not kept as a test.

const assert = require('node:assert/strict');
const crypto = require('node:crypto');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { test } = require('node:test');
const { ROOT, DEEPBIND_SKIP, addonPath, runNode } = require('./support.js');

const loader = require('../../api/js/lib/loader.js');
const BORINGSSL_ADDON = addonPath('boringssl_test_addon');

function tempDir(t) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'rtcbox-loader-'));
  t.after(() => fs.rmSync(dir, { recursive: true, force: true }));
  return dir;
}

// The BoringSSL test addon alone in a temporary folder: in out/<cfg> it sits
// next to the real addon's gen/api/js/bindings.js, which the loader would
// apply to it.
function lonelyBoringsslAddon(t) {
  const addon = path.join(tempDir(t), 'boringssl_test_addon.node');
  fs.copyFileSync(BORINGSSL_ADDON, addon);
  return addon;
}

function touch(file) {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, '');
}

// Runs a script in a fresh node with `env`; returns its stdout, parsed.
function evalJson(script, env) {
  const result = runNode(['-e', script], { env });
  assert.equal(result.status, 0, `status ${result.status} signal ${result.signal}\n${result.stderr}`);
  return JSON.parse(result.stdout);
}

test('an addon linked to BoringSSL, loaded by require("rtcbox"), binds to BoringSSL and works', { skip: DEEPBIND_SKIP }, (t) => {
  const got = evalJson(`
    const a = require('rtcbox');
    console.log(JSON.stringify({
      library: a.sha256Library(),
      digest: a.sha256Hex('abc'),
      dtls: a.dtlsContextWorks(),
    }));`, { RTCBOX_ADDON: lonelyBoringsslAddon(t) });
  assert.match(got.library, /android\/libcrypto\.so\.0$/);
  assert.equal(got.digest, crypto.createHash('sha256').update('abc').digest('hex'));
  assert.equal(got.dtls, true);
});

test('the dlopen flags are RTLD_NOW | RTLD_DEEPBIND | RTLD_NODELETE', () => {
  const { RTLD_NOW, RTLD_DEEPBIND } = os.constants.dlopen;
  assert.ok(RTLD_DEEPBIND > 0);
  assert.equal(loader.dlopenFlags(), RTLD_NOW | RTLD_DEEPBIND | 0x1000);
});

test('require("rtcbox") loads the built rtcbox.node from out/ when RTCBOX_ADDON is not set', { skip: DEEPBIND_SKIP }, (t) => {
  const built = loader.CANDIDATES.map((c) => path.join(ROOT, c)).filter((f) => fs.existsSync(f));
  if (built.length === 0) {
    t.skip('no rtcbox.node built in out/release or out/clang');
    return;
  }
  const env = { ...process.env };
  delete env.RTCBOX_ADDON;
  const result = runNode(['-e', 'console.log(typeof require("rtcbox"))'], { env });
  assert.equal(result.status, 0, result.stderr);
  assert.equal(result.stdout, 'object\n');
});

test('findAddon prefers RTCBOX_ADDON, then out/release, then out/clang', (t) => {
  const root = tempDir(t);
  const release = path.join(root, 'out/release/rtcbox.node');
  const clang = path.join(root, 'out/clang/rtcbox.node');
  const custom = path.join(root, 'elsewhere/my.node');
  touch(clang);
  assert.equal(loader.findAddon({ env: {}, root }), clang);
  touch(release);
  assert.equal(loader.findAddon({ env: {}, root }), release);
  touch(custom);
  assert.equal(loader.findAddon({ env: { RTCBOX_ADDON: custom }, root }), custom);
});

test('findAddon says which files it looked for and to run make when no addon is built', (t) => {
  const root = tempDir(t);
  assert.throws(() => loader.findAddon({ env: {}, root }), (error) => {
    assert.match(error.message, /not built/);
    assert.match(error.message, /Run `make`/);
    assert.ok(error.message.includes(path.join(root, 'out/clang/rtcbox.node')));
    return true;
  });
});

test('findAddon reports an RTCBOX_ADDON that does not exist', (t) => {
  const missing = path.join(tempDir(t), 'missing.node');
  assert.throws(() => loader.findAddon({ env: { RTCBOX_ADDON: missing } }),
                (error) => error.message.includes(missing));
});

test('the package exports what the generated bindings.js next to the addon makes of the native exports', { skip: DEEPBIND_SKIP }, (t) => {
  const dir = tempDir(t);
  const addon = path.join(dir, 'rtcbox.node');
  fs.copyFileSync(BORINGSSL_ADDON, addon);
  fs.mkdirSync(path.join(dir, 'gen/api/js'), { recursive: true });
  fs.writeFileSync(path.join(dir, 'gen/api/js/bindings.js'), `
    module.exports = (native) => ({
      digestOfAbc: native.sha256Hex('abc'),
      nativeKeys: Object.keys(native).sort(),
    });`);
  const got = evalJson('console.log(JSON.stringify(require("rtcbox")))', { RTCBOX_ADDON: addon });
  assert.deepEqual(got, {
    digestOfAbc: crypto.createHash('sha256').update('abc').digest('hex'),
    nativeKeys: ['dtlsContextWorks', 'sha256Hex', 'sha256Library'],
  });
});

test('require("rtcbox/global") defines the exports on globalThis as writable, configurable, not enumerable', { skip: DEEPBIND_SKIP }, (t) => {
  const got = evalJson(`
    const rtcbox = require('rtcbox/global');
    console.log(JSON.stringify({
      same: globalThis.sha256Hex === rtcbox.sha256Hex,
      descriptor: Object.getOwnPropertyDescriptor(globalThis, 'sha256Hex'),
      enumerated: Object.keys(globalThis).includes('sha256Hex'),
      works: sha256Hex('abc').length,
    }));`, { RTCBOX_ADDON: lonelyBoringsslAddon(t) });
  assert.deepEqual(got, {
    same: true,
    descriptor: { writable: true, enumerable: false, configurable: true },
    enumerated: false,
    works: 64,
  });
});

test('a worker that alone loaded rtcbox and used BoringSSL exits without crashing the process', { skip: DEEPBIND_SKIP }, () => {
  // Node unloads an addon when the last env that loaded it goes; BoringSSL
  // leaves a thread-exit destructor on the worker's thread, which would
  // then run unmapped code (SIGSEGV). The loader keeps the addon mapped.
  const result = runNode(['-e', `
    const { Worker } = require('node:worker_threads');
    const w = new Worker(\`
      const { RTCPeerConnection } = require(${JSON.stringify(ROOT)});
      const pc = new RTCPeerConnection();
      pc.createOffer().then(() => { pc.close(); process.exit(0); });
    \`, { eval: true });
    w.on('exit', (code) => console.log('worker exit', code));
  `], { env: { RTCBOX_ADDON: addonPath('rtcbox') } });
  assert.equal(result.signal, null, result.stderr);
  assert.equal(result.status, 0, result.stderr);
  assert.match(result.stdout, /worker exit 0/);
});

test('package.json "types" names the TypeScript declarations generated from the IDL by the default build', () => {
  const pkg = JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8'));
  const file = path.join(ROOT, pkg.types);
  assert.equal(path.resolve(ROOT, 'out/clang/gen/api/js/rtcbox.d.ts'), file);
  const dts = fs.readFileSync(file, 'utf8');
  assert.match(dts, /^\/\/ Generated by api\/js\/generator\/generate\.js/);
  for (const name of ['RTCPeerConnection', 'RTCDataChannel', 'RTCIceCandidate', 'RTCSessionDescription'])
    assert.match(dts, new RegExp(`export declare class ${name} `), name);
});
