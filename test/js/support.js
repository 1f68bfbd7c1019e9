'use strict';
// Shared helpers of the JavaScript tests (not a test file itself).
//
// RTCBOX_TEST_OUT names the build folder whose addons the tests load
// (default out/clang), relative to the repository root or absolute.

const { spawnSync } = require('node:child_process');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');

const ROOT = path.resolve(__dirname, '..', '..');
const OUT = path.resolve(ROOT, process.env.RTCBOX_TEST_OUT || 'out/clang');

// True when the ASan runtime is loaded into this node (test/js/run_tests.sh
// preloads it to run an ASan build's addons). That runtime refuses
// RTLD_DEEPBIND, which addons linked to BoringSSL need (loader.js): tests of
// such loads skip themselves then.
const SANITIZED = fs.readFileSync('/proc/self/maps', 'utf8').includes('libclang_rt.asan');
const DEEPBIND_SKIP = SANITIZED && 'the ASan runtime refuses RTLD_DEEPBIND';

function addonPath(name) {
  return path.join(OUT, `${name}.node`);
}

// Loads a test addon of OUT. Test addons without BoringSSL need no
// RTLD_DEEPBIND (which ASan's runtime refuses), so they are loaded with
// RTLD_NOW only.
function loadTestAddon(name) {
  const module = { exports: {} };
  process.dlopen(module, addonPath(name), os.constants.dlopen.RTLD_NOW);
  return module.exports;
}

// Runs `node <args>` to completion (at most timeoutMs) and returns
// { status, signal, stdout, stderr, ms }.
function runNode(args, { env = {}, cwd = ROOT, timeoutMs = 30000 } = {}) {
  const started = process.hrtime.bigint();
  const result = spawnSync(process.execPath, args, {
    cwd,
    env: { ...process.env, ...env },
    encoding: 'utf8',
    timeout: timeoutMs,
  });
  return {
    status: result.status,
    signal: result.signal,
    stdout: result.stdout,
    stderr: result.stderr,
    ms: Number(process.hrtime.bigint() - started) / 1e6,
  };
}

module.exports = { ROOT, OUT, SANITIZED, DEEPBIND_SKIP, addonPath, loadTestAddon, runNode };
