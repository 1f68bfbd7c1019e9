'use strict';
// Tests of the WPT runner itself (run.js, run_one.js) on the fixture files
// of test/wpt/fixtures/, served as /rtcbox-runner/ of a WPT root made of
// the real testharness.js and interfaces/ of the pinned WPT checkout.
// test/wpt/run_wpt.sh runs it before the WPT run, with
//   RTCBOX_WPT_ROOT  the checkout (test/wpt/fetch_wpt.sh)
//   RTCBOX_ADDON     the rtcbox.node under test
// and it skips without them.

const assert = require('node:assert');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { spawnSync } = require('node:child_process');
const { test, before, after } = require('node:test');

const wptRoot = process.env.RTCBOX_WPT_ROOT;
const addon = process.env.RTCBOX_ADDON;
const skip = !wptRoot || !addon ? 'needs RTCBOX_WPT_ROOT and RTCBOX_ADDON (test/wpt/run_wpt.sh)' : false;

let tmp;
let results;
let stdout;
let runSeconds;
let expectationsFile;

function runRunner(args) {
  return spawnSync(process.execPath, [path.join(__dirname, 'run.js'), ...args], {
    encoding: 'utf8', timeout: 120000, env: { ...process.env, RTCBOX_WPT_FIXTURE_DIR: tmp },
  });
}

before(() => {
  if (skip) return;
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'rtcbox-wpt-runner-'));
  const root = path.join(tmp, 'wpt');
  fs.mkdirSync(root);
  for (const dir of ['resources', 'interfaces', 'common']) {
    fs.symlinkSync(path.join(wptRoot, dir), path.join(root, dir));
  }
  fs.symlinkSync(path.join(__dirname, 'fixtures'), path.join(root, 'rtcbox-runner'));
  fs.writeFileSync(path.join(root, 'VERSION'), 'firefox-esr fixture-version\nwpt commit fixture-commit\n');
  expectationsFile = path.join(tmp, 'expectations.json');
  // What a previous run recorded: pass.html passed entirely, fail.html's
  // "fails" was known to fail, throws.html passed (now ERROR), crash.html
  // completed.
  fs.writeFileSync(expectationsFile, JSON.stringify({
    version: 'x',
    files: {
      'rtcbox-runner/fail.html': { harness: 'OK', subtests: { passes: 'PASS', fails: 'FAIL' } },
      'rtcbox-runner/crash.html': { harness: 'OK', subtests: { 'kills its process': 'FAIL' } },
      'rtcbox-runner/hang.html': { harness: 'TIMEOUT', subtests: { 'passes first': ['PASS', 'FAIL'] } },
      'rtcbox-runner/flaky.html': { harness: 'OK', subtests: { 'fails once': 'PASS' } },
    },
  }));
  const started = Date.now();
  const run = runRunner(['--wpt', root, '--addon', addon, '--out', path.join(tmp, 'out'),
                         '--expectations', expectationsFile, '--timeout-multiplier', '0.1',
                         '--kill-grace', '2', '--jobs', '2', 'rtcbox-runner/']);
  runSeconds = (Date.now() - started) / 1000;
  stdout = run.stdout;
  assert.ok(fs.existsSync(path.join(tmp, 'out', 'report.json')), `no report: ${run.stdout}\n${run.stderr}`);
  const report = JSON.parse(fs.readFileSync(path.join(tmp, 'out', 'report.json'), 'utf8'));
  results = new Map(report.results.map((r) => [r.file.replace('rtcbox-runner/', ''), r]));
  results.report = report;
  results.status = run.status;
});

after(() => {
  if (tmp) fs.rmSync(tmp, { recursive: true, force: true });
});

const statuses = (r) => Object.fromEntries(r.subtests.map((s) => [s.name, s.status]));

test('every fixture file runs once, listed in path order', { skip }, () => {
  assert.deepStrictEqual([...results.keys()], [
    'crash.html', 'fail.html', 'flaky.html', 'hang.html', 'meta.window.js', 'pass.html',
    'stuck.html', 'throws.html', 'unhandled.html',
  ]);
});

test('a file of passing subtests: realm, scripts, fetch, test_driver, FileReader', { skip }, () => {
  const r = results.get('pass.html');
  assert.strictEqual(r.harness.status, 'OK');
  assert.deepStrictEqual(statuses(r), {
    'scripts share the global scope, src resolves against the file': 'PASS',
    'rtcbox errors pass the harness identity checks': 'PASS',
    'fetch reads same-origin files from the checkout': 'PASS',
    'test_driver stands in for the WebDriver bridge': 'PASS',
    'FileReader reads blobs': 'PASS',
  }, JSON.stringify(r.subtests, null, 1));
});

test('a failing assertion is FAIL with its message; a missing script is a note', { skip }, () => {
  const r = results.get('fail.html');
  assert.strictEqual(r.harness.status, 'OK');
  assert.deepStrictEqual(statuses(r), { passes: 'PASS', fails: 'FAIL' });
  assert.match(r.subtests[1].message, /one is not two/);
  assert.ok(r.notes.some((n) => n.includes('missing-helper.js')), r.notes.join('\n'));
});

test('an exception thrown by a script is a harness ERROR, later scripts run', { skip }, () => {
  const r = results.get('throws.html');
  assert.strictEqual(r.harness.status, 'ERROR');
  assert.match(r.harness.message, /thrown by a script/);
  assert.deepStrictEqual(statuses(r), { 'registered before the error': 'PASS', 'a later script still runs': 'PASS' });
});

test('an unhandled rejection reaches the harness', { skip }, () => {
  const r = results.get('unhandled.html');
  assert.strictEqual(r.harness.status, 'ERROR');
  assert.match(r.harness.message, /^Unhandled rejection: nobody handles this/);
});

test('a subtest that never ends: TIMEOUT after the long timeout, the rest NOTRUN', { skip }, () => {
  const r = results.get('hang.html');
  assert.strictEqual(r.harness.status, 'TIMEOUT');
  assert.deepStrictEqual(statuses(r), { 'passes first': 'PASS', 'never settles': 'TIMEOUT', 'never starts': 'NOTRUN' });
  // <meta name="timeout" content="long">: 60 s x 0.1, not 10 s x 0.1.
  assert.ok(r.seconds >= 5.5 && r.seconds < 12, `took ${r.seconds} s`);
});

test('a process that dies is CRASH, one that stops responding is killed as TIMEOUT', { skip }, () => {
  const crash = results.get('crash.html');
  assert.strictEqual(crash.harness.status, 'CRASH');
  assert.match(crash.harness.message, /SIGSEGV/);
  assert.deepStrictEqual(crash.subtests, []);
  const stuck = results.get('stuck.html');
  assert.strictEqual(stuck.harness.status, 'TIMEOUT');
  assert.match(stuck.harness.message, /killed after 3000 ms/);
  // The run went on after both.
  assert.ok(results.has('unhandled.html'));
  assert.ok(runSeconds < 60, `the run took ${runSeconds} s`);
});

test('.window.js: META title and scripts, then the file; the minimal document', { skip }, () => {
  const r = results.get('meta.window.js');
  assert.strictEqual(r.harness.status, 'OK');
  assert.deepStrictEqual(statuses(r), {
    'META scripts run before the file': 'PASS',
    'the minimal document': 'PASS',
  });
});

test('compared with the expectations: a crash is a regression, the rest is reported', { skip }, () => {
  const { regressions, newlyPassing } = results.report;
  const key = (x) => `${x.file.replace('rtcbox-runner/', '')} :: ${x.name}`;
  assert.deepStrictEqual(regressions.map(key).sort(), [
    'crash.html :: null',
  ]);
  // Files without expectations and subtests expected to fail that pass.
  assert.ok(newlyPassing.some((x) => key(x) === 'pass.html :: FileReader reads blobs'));
  assert.ok(!newlyPassing.some((x) => key(x) === 'fail.html :: passes'));
  // A flaky expectation accepts either status.
  assert.ok(!regressions.some((x) => key(x).startsWith('hang.html')));
  assert.strictEqual(results.status, 1, 'a regression makes the run fail');
  assert.match(stdout, /^WPT firefox-esr fixture-version, wpt commit fixture-commit$/m);
  assert.match(stdout, /REGRESSIONS: expected to pass, did not \(1\)/);
  // 12 passing subtests and the flaky one.
  assert.match(stdout, /^wpt 13 1 \d+$/m);
});

test('a regression that does not repeat when its file runs again is flaky, not a failure', { skip }, () => {
  const { regressions, flaky } = results.report;
  assert.deepStrictEqual(flaky.map((x) => `${x.file} :: ${x.name} :: ${x.actual}`),
                         ['rtcbox-runner/flaky.html :: fails once :: FAIL']);
  assert.ok(!regressions.some((x) => x.file.endsWith('flaky.html')));
  assert.match(stdout, /^rerun 1: 2 file\(s\) with regressions: rtcbox-runner\/crash.html, rtcbox-runner\/flaky.html$/m);
  assert.match(stdout, /FLAKY: failed, then passed when run again/);
  // The first run's failure is in the report.
  assert.strictEqual(results.get('flaky.html').subtests[0].status, 'FAIL');
});

test('--update-expectations records every subtest and keeps a flaky list that still holds', { skip }, () => {
  const root = path.join(tmp, 'wpt');
  const run = runRunner(['--wpt', root, '--addon', addon, '--out', path.join(tmp, 'out2'),
                         '--expectations', expectationsFile, '--timeout-multiplier', '0.1',
                         '--kill-grace', '2', '--update-expectations', '--quiet',
                         'rtcbox-runner/hang.html', 'rtcbox-runner/fail.html']);
  assert.strictEqual(run.status, 0, run.stdout + run.stderr);
  const written = JSON.parse(fs.readFileSync(expectationsFile, 'utf8'));
  assert.strictEqual(written.version, 'firefox-esr fixture-version, wpt commit fixture-commit');
  assert.deepStrictEqual(written.files['rtcbox-runner/hang.html'], {
    harness: 'TIMEOUT',
    subtests: { 'passes first': ['PASS', 'FAIL'], 'never settles': 'TIMEOUT', 'never starts': 'NOTRUN' },
  });
  assert.deepStrictEqual(written.files['rtcbox-runner/fail.html'].subtests, { passes: 'PASS', fails: 'FAIL' });
  // Files not run keep their expectations.
  assert.ok(written.files['rtcbox-runner/crash.html']);
});
