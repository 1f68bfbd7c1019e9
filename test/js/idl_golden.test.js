'use strict';
// Golden tests of the WebIDL -> Node-API generator (api/js/generator/):
// each api/js/generator/golden/<name>.idl (one family of constructs each,
// with golden/host.idl as the host definitions) is generated and compared
// with golden/<name>.expected/{bindings.c,bindings.h,bindings.js,
// rtcbox.d.ts}; each golden/errors/<name>.idl must be refused with the
// message its "// expect-error:" line gives.
//
//   node --test test/js/idl_golden.test.js     check
//   node test/js/idl_golden.test.js --update   rewrite the expected files
//
// The generated C of every golden file is also compiled (syntax only) with
// the project's warnings, when a C compiler is there.

const assert = require('node:assert/strict');
const { spawnSync } = require('node:child_process');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { test } = require('node:test');
const { ROOT } = require('./support.js');
const { generate } = require('../../api/js/generator/generate.js');

const GOLDEN = path.join(ROOT, 'api', 'js', 'generator', 'golden');
const UPDATE = process.argv.includes('--update');
const OUTPUTS = ['bindings.c', 'bindings.h', 'bindings.js', 'rtcbox.d.ts'];

function readIdl(file, host = false) {
  return { name: path.basename(file), text: fs.readFileSync(file, 'utf8'), host };
}

const host = readIdl(path.join(GOLDEN, 'host.idl'), true);
const goldens = fs
  .readdirSync(GOLDEN)
  .filter((f) => f.endsWith('.idl') && f !== 'host.idl')
  .sort();

function generateGolden(file) {
  return generate([host, readIdl(path.join(GOLDEN, file))], { name: 'golden', headerInclude: 'bindings.h' });
}

for (const file of goldens) {
  const name = file.replace(/\.idl$/, '');
  test(`golden ${name}: the generated files are the expected ones`, () => {
    const outputs = generateGolden(file);
    const dir = path.join(GOLDEN, `${name}.expected`);
    if (UPDATE) fs.mkdirSync(dir, { recursive: true });
    for (const out of OUTPUTS) {
      const expectedFile = path.join(dir, out);
      if (UPDATE) {
        fs.writeFileSync(expectedFile, outputs[out]);
        continue;
      }
      assert.ok(fs.existsSync(expectedFile), `${expectedFile} is missing (run with --update)`);
      assert.equal(outputs[out], fs.readFileSync(expectedFile, 'utf8'), `${name}.expected/${out} differs (run with --update)`);
    }
  });
}

test('the generator is deterministic', () => {
  for (const file of goldens) assert.deepEqual(generateGolden(file), generateGolden(file));
});

const ERRORS = path.join(GOLDEN, 'errors');
for (const file of fs.readdirSync(ERRORS).filter((f) => f.endsWith('.idl')).sort()) {
  test(`refuses errors/${file} with a message`, () => {
    const idl = readIdl(path.join(ERRORS, file));
    const m = /^\/\/ expect-error: (.*)$/m.exec(idl.text);
    assert.ok(m, 'the file needs an "// expect-error:" line');
    assert.throws(() => generate([host, idl]), (e) => {
      assert.equal(e.constructor.name, 'GeneratorError');
      assert.ok(e.message.includes(m[1]), `"${e.message}" should include "${m[1]}"`);
      return true;
    });
  });
}

test('the WebRTC IDL of api/idl generates', () => {
  const idl = path.join(ROOT, 'api', 'idl');
  const files = [
    readIdl(path.join(idl, 'host.idl'), true),
    ...['webrtc-pc.idl', 'webrtc-stats.idl', 'mediacapture-streams.idl'].map((f) => readIdl(path.join(idl, f))),
  ];
  const out = generate(files);
  assert.match(out['bindings.h'], /rtc_error rtcbox_RTCPeerConnection_createOffer\(rtcbox_ctx\* ctx, rtcbox_RTCPeerConnection\* self, const rtcbox_RTCOfferOptions\* options, rtcbox_promise\* promise\);/);
  assert.match(out['bindings.h'], /rtcbox_RTCPeerConnection_createOffer_RTCSessionDescriptionCallback\(/);
  assert.match(out['bindings.h'], /rtc_error rtcbox_RTCDataChannel_send_Blob\(rtcbox_ctx\* ctx, rtcbox_RTCDataChannel\* self, rtcbox_blob\* data\);/);
  assert.match(out['bindings.h'], /rtc_error rtcbox_fire_RTCPeerConnectionIceEvent\(rtcbox_wrapper\* target, const char\* type, const rtcbox_RTCPeerConnectionIceEventInit\* eventInitDict\);/);
  assert.match(out['bindings.js'], /class RTCPeerConnection extends HostEventTarget/);
  assert.match(out['bindings.js'], /class RTCError extends HostDOMException/);
  assert.match(out['rtcbox.d.ts'], /export declare class RTCStatsReport implements ReadonlyMap<string, object>/);
});

test('the GN template lists every generator source as an input of its action', () => {
  const gni = fs.readFileSync(path.join(ROOT, 'api', 'js', 'generator', 'idl_bindings.gni'), 'utf8');
  const lib = path.join(ROOT, 'api', 'js', 'generator', 'lib');
  const sources = ['generate.js', ...fs.readdirSync(lib).filter((f) => f.endsWith('.js')).map((f) => `lib/${f}`)];
  for (const f of sources) assert.ok(gni.includes(`"//api/js/generator/${f}"`), `${f} is not listed`);
});

function findCompiler() {
  for (const cc of [process.env.CC, 'clang', 'gcc', 'cc'].filter(Boolean)) {
    const r = spawnSync(cc, ['--version'], { encoding: 'utf8' });
    if (r.status === 0) return cc;
  }
  return null;
}

function nodeApiInclude() {
  const candidates = [path.join(ROOT, 'node_modules', 'node-api-headers', 'include'), '/usr/include/node'];
  return candidates.find((dir) => fs.existsSync(path.join(dir, 'node_api.h'))) || null;
}

test('the generated C of every golden file compiles without warnings', (t) => {
  const cc = findCompiler();
  const napi = nodeApiInclude();
  if (!cc || !napi) {
    t.skip('no C compiler or Node-API headers');
    return;
  }
  const flags = [
    '-std=c11', '-fsyntax-only', '-Wall', '-Wextra', '-Werror', '-Wundef', '-Wvla', '-Wshadow', '-Wformat=2',
    '-Wno-unused-parameter', '-Wstrict-prototypes', '-Wmissing-prototypes', '-D_GNU_SOURCE', '-DNAPI_VERSION=8',
    `-I${ROOT}`, `-I${napi}`,
  ];
  for (const file of goldens) {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'rtcbox-golden-'));
    try {
      const outputs = generateGolden(file);
      for (const out of OUTPUTS) fs.writeFileSync(path.join(dir, out), outputs[out]);
      const r = spawnSync(cc, [...flags, `-I${dir}`, path.join(dir, 'bindings.c')], { encoding: 'utf8' });
      assert.equal(r.status, 0, `${file}:\n${r.stderr}`);
      const js = spawnSync(process.execPath, ['--check', path.join(dir, 'bindings.js')], { encoding: 'utf8' });
      assert.equal(js.status, 0, `${file} bindings.js:\n${js.stderr}`);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  }
});
