'use strict';
// Finds and loads rtcbox.node (DESIGN.md, "Loading"). index.js is the
// package entry; this file is separate so that tests can drive the search
// with their own environment and package root.

const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');

// The package root: the folder of package.json, three levels up.
const PACKAGE_ROOT = path.resolve(__dirname, '..', '..', '..');

// Where a built addon is looked for, relative to the package root, in this
// order, after the RTCBOX_ADDON environment variable.
const CANDIDATES = ['out/release/rtcbox.node', 'out/clang/rtcbox.node'];

// Where the generated JavaScript glue sits, relative to the addon's folder.
const BINDINGS = path.join('gen', 'api', 'js', 'bindings.js');

// The addon file to load: $RTCBOX_ADDON (absolute, or relative to the
// working directory) if set, else the first candidate that exists. Throws an
// Error that says what to do when there is none.
function findAddon({ env = process.env, root = PACKAGE_ROOT } = {}) {
  const fromEnv = env.RTCBOX_ADDON;
  if (fromEnv) {
    const file = path.resolve(fromEnv);
    if (!fs.existsSync(file)) {
      throw new Error(`rtcbox: RTCBOX_ADDON is ${fromEnv}, and ${file} does not exist`);
    }
    return file;
  }
  for (const candidate of CANDIDATES) {
    const file = path.join(root, candidate);
    if (fs.existsSync(file)) return file;
  }
  throw new Error(
      'rtcbox: the native addon is not built: none of ' +
      CANDIDATES.map((c) => path.join(root, c)).join(', ') +
      ' exists. Run `make` in ' + root +
      ' (or set RTCBOX_ADDON to the path of rtcbox.node).');
}

// dlopen flags. RTLD_DEEPBIND puts the addon's own dependencies ahead of the
// global scope when its symbols are bound: the node executable exports its
// OpenSSL, and without it BoringSSL's calls inside libssl.so.0 and
// libcrypto.so.0 bind to node's OpenSSL functions of the same names (a plain
// require() of an addon linked to BoringSSL crashes: test/js/loader.test.js).
// RTLD_NOW: a missing symbol fails the load, not a later call.
// RTLD_NODELETE (glibc's value; os.constants.dlopen does not list it):
// Node unloads an addon when the last env that loaded it goes (a worker),
// and BoringSSL leaves a thread-exit destructor on that env's thread, which
// must still find its code mapped.
const RTLD_NODELETE = 0x1000;

function dlopenFlags() {
  const { RTLD_NOW, RTLD_DEEPBIND } = os.constants.dlopen;
  return RTLD_NOW | (RTLD_DEEPBIND || 0) | RTLD_NODELETE;
}

// Loads the addon at `file` and returns its exports (the native object).
function loadNative(file) {
  const module = { exports: {}, filename: file };
  process.dlopen(module, file, dlopenFlags());
  return module.exports;
}

// What the package exports, given the addon at `file`: if the generated
// bindings.js sits next to it (<addon folder>/gen/api/js/bindings.js), what
// that module's function returns for the native exports; otherwise the
// native exports themselves.
function loadPackage(file) {
  const native = loadNative(file);
  const bindings = path.join(path.dirname(file), BINDINGS);
  if (!fs.existsSync(bindings)) return native;
  const install = require(bindings);
  if (typeof install !== 'function') {
    throw new TypeError(`rtcbox: ${bindings} must export a function (native) => exports`);
  }
  return install(native);
}

module.exports = { findAddon, loadNative, loadPackage, dlopenFlags, PACKAGE_ROOT, CANDIDATES };
