'use strict';
// The web-platform-tests runner: runs WPT testharness.js files against
// rtcbox in Node, one process per file (run_one.js), and reports per file
// and per subtest, per directory and per class, against the committed
// expectations (test/wpt/expectations.json).
//
//   node test/wpt/run.js --wpt <root> [options] [path prefix...]
//
//   --wpt DIR             the WPT root (test/wpt/fetch_wpt.sh prints it)
//   --addon FILE          the rtcbox.node to test (default: out/clang)
//   --out DIR             where reports and logs go (default: out/wpt)
//   --jobs N              files run at once (default: the number of CPUs, at
//                         most 4)
//   --timeout-multiplier X  scales the per-file timeouts (10 s; 60 s for
//                         files marked long)
//   --expectations FILE   default test/wpt/expectations.json
//   --update-expectations write the results of this run as the expectations
//                         (subtests listed with several statuses, flaky
//                         ones, keep them when the result is one of them)
//   --quiet               no line per file
//   --kill-grace SECONDS  how long a file has to report after its timeout
//                         before it is killed (default 15)
//   --reruns N            files with regressions run again, up to N times
//                         (default 1): a regression must repeat in every
//                         rerun; one that does not is reported as flaky
//   prefixes              run only files whose path starts with one of them
//                         (default: webrtc/, every test file of it)
//
// Exit status: 0 when no subtest expected to pass failed (a regression), 1
// otherwise, 2 on a usage error. The last line of stdout is
// "wpt <passed> <regressions> <known failures>", for test/run_all.sh.
//
// Reports: <out>/report.txt (every file and subtest, the summary) and
// <out>/report.json; the child's output of each file in <out>/logs/. Every
// report starts with the WPT version (the cache's VERSION file).

const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { spawn } = require('node:child_process');

const HERE = __dirname;
const REPO = path.resolve(HERE, '..', '..');
const BASE_TIMEOUT_MS = 10000;
const LONG_TIMEOUT_MS = 60000;
// After the harness's timeout() the child has this long to report before it
// is killed (a hung event loop, a deadlock).
const DEFAULT_KILL_GRACE_MS = 15000;

function usage(message) {
  process.stderr.write(`run.js: ${message}\n` +
    'usage: node test/wpt/run.js --wpt DIR [--addon FILE] [--out DIR] [--jobs N]\n' +
    '       [--timeout-multiplier X] [--expectations FILE] [--update-expectations]\n' +
    '       [--quiet] [--kill-grace SECONDS] [--reruns N] [path prefix...]\n');
  process.exit(2);
}

function parseArgs(argv) {
  const options = {
    wpt: null,
    addon: path.join(REPO, 'out', 'clang', 'rtcbox.node'),
    out: path.join(REPO, 'out', 'wpt'),
    jobs: Math.max(1, Math.min(4, os.cpus().length)),
    multiplier: 1,
    expectations: path.join(HERE, 'expectations.json'),
    update: false,
    quiet: false,
    killGraceMs: DEFAULT_KILL_GRACE_MS,
    reruns: 1,
    prefixes: [],
  };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    const value = () => {
      if (i + 1 >= argv.length) usage(`${arg} needs a value`);
      return argv[++i];
    };
    switch (arg) {
      case '--wpt': options.wpt = path.resolve(value()); break;
      case '--addon': options.addon = path.resolve(value()); break;
      case '--out': options.out = path.resolve(value()); break;
      case '--jobs': options.jobs = Number(value()); break;
      case '--timeout-multiplier': options.multiplier = Number(value()); break;
      case '--expectations': options.expectations = path.resolve(value()); break;
      case '--update-expectations': options.update = true; break;
      case '--quiet': options.quiet = true; break;
      case '--kill-grace': options.killGraceMs = Number(value()) * 1000; break;
      case '--reruns': options.reruns = Number(value()); break;
      default:
        if (arg.startsWith('--')) usage(`unknown option ${arg}`);
        options.prefixes.push(arg.replace(/^\/+/, ''));
    }
  }
  if (!options.wpt) usage('--wpt is required');
  if (!Number.isInteger(options.jobs) || options.jobs < 1) usage('--jobs must be a positive integer');
  if (!(options.multiplier > 0)) usage('--timeout-multiplier must be positive');
  if (!(options.killGraceMs >= 0)) usage('--kill-grace must be a number of seconds');
  if (!Number.isInteger(options.reruns) || options.reruns < 0) usage('--reruns must be an integer >= 0');
  if (!fs.existsSync(path.join(options.wpt, 'resources', 'testharness.js'))) {
    usage(`${options.wpt} is not a WPT root (no resources/testharness.js); run test/wpt/fetch_wpt.sh`);
  }
  if (!fs.existsSync(options.addon)) usage(`no addon at ${options.addon}`);
  if (options.prefixes.length === 0) options.prefixes = ['webrtc/'];
  return options;
}

// --- Which files ----------------------------------------------------------------

// Test files of a WPT directory: .html (not support pages) and .window.js,
// .any.js. Folders that hold no tests are left out.
const NOT_TESTS = new Set(['resources', 'support', 'tools', 'third_party', 'coverage']);

function listTests(root, prefixes) {
  const found = [];
  const walk = (rel) => {
    for (const entry of fs.readdirSync(path.join(root, rel), { withFileTypes: true })) {
      const child = rel ? `${rel}/${entry.name}` : entry.name;
      if (entry.isDirectory()) {
        if (!NOT_TESTS.has(entry.name)) walk(child);
      } else if (/\.(html|window\.js|any\.js)$/.test(entry.name)) {
        found.push(child);
      }
    }
  };
  const tops = new Set(prefixes.map((p) => p.split('/')[0]));
  for (const top of tops) {
    if (fs.existsSync(path.join(root, top))) walk(top);
  }
  return found.filter((f) => prefixes.some((p) => f.startsWith(p))).sort();
}

function isLong(root, file) {
  const text = fs.readFileSync(path.join(root, file), 'utf8');
  return /<meta\s+name=["']?timeout["']?\s+content=["']?long/i.test(text) ||
         /^\/\/\s*META:\s*timeout=long\s*$/m.test(text);
}

// test/wpt/classes.txt: file -> { cls, count } (the survey's subtest count).
function readClasses() {
  const classes = new Map();
  const text = fs.readFileSync(path.join(HERE, 'classes.txt'), 'utf8');
  for (const line of text.split('\n')) {
    const m = /^(\S+)\s+([A-D])\s+(\d+)\s*$/.exec(line);
    if (m) classes.set(m[1], { cls: m[2], count: Number(m[3]) });
  }
  return classes;
}

function readVersion(root) {
  try {
    const lines = fs.readFileSync(path.join(root, 'VERSION'), 'utf8').split('\n');
    return lines.filter((l) => /^(firefox-esr|wpt commit) /.test(l)).join(', ') || 'unknown';
  } catch {
    return 'unknown (no VERSION file in the WPT root)';
  }
}

// --- Running one file ---------------------------------------------------------------

function runFile(options, file, index, attempt = 0) {
  const timeoutMs = Math.round((isLong(options.wpt, file) ? LONG_TIMEOUT_MS : BASE_TIMEOUT_MS) *
                               options.multiplier);
  const resultPath = path.join(options.out, 'tmp', `${index}.json`);
  const logPath = path.join(options.out, 'logs',
                            file.replace(/\//g, '__') + (attempt ? `.rerun${attempt}` : '') + '.log');
  fs.rmSync(resultPath, { force: true });
  const log = fs.openSync(logPath, 'w');
  const started = Date.now();
  return new Promise((resolve) => {
    const child = spawn(process.execPath,
        ['--expose-gc', path.join(HERE, 'run_one.js'), options.wpt, file, resultPath], {
          cwd: REPO,
          env: { ...process.env, RTCBOX_ADDON: options.addon, RTCBOX_WPT_TIMEOUT_MS: String(timeoutMs) },
          stdio: ['ignore', log, log],
          detached: true,
        });
    let killed = false;
    const killer = setTimeout(() => {
      killed = true;
      try { process.kill(-child.pid, 'SIGKILL'); } catch { child.kill('SIGKILL'); }
    }, timeoutMs + options.killGraceMs);
    child.on('exit', (code, signal) => {
      clearTimeout(killer);
      // Whatever the test started in its process group goes too.
      try { process.kill(-child.pid, 'SIGKILL'); } catch { /* gone */ }
      fs.closeSync(log);
      const seconds = (Date.now() - started) / 1000;
      let result = null;
      try {
        result = JSON.parse(fs.readFileSync(resultPath, 'utf8'));
      } catch { /* no result: crash or hang */ }
      fs.rmSync(resultPath, { force: true });
      if (!result) {
        const why = killed ? `killed after ${timeoutMs + options.killGraceMs} ms without a result` :
                    signal ? `terminated by ${signal}` : `exited with status ${code} without a result`;
        result = { harness: { status: killed ? 'TIMEOUT' : 'CRASH', message: why }, subtests: [], notes: [] };
      } else if (code !== 0 || signal) {
        result.notes.push(`process ended with ${signal || 'status ' + code} after reporting`);
      }
      result.file = file;
      result.seconds = Math.round(seconds * 10) / 10;
      result.log = path.relative(options.out, logPath);
      resolve(result);
    });
  });
}

async function runAll(options, files, onResult, attempt = 0) {
  const results = new Array(files.length);
  // Long files first, so that they do not end the run alone.
  const order = files.map((file, i) => ({ file, i, long: isLong(options.wpt, file) }))
      .sort((a, b) => (b.long - a.long) || (a.i - b.i));
  let next = 0;
  const worker = async () => {
    while (next < order.length) {
      const { file, i } = order[next++];
      results[i] = await runFile(options, file, i, attempt);
      onResult(results[i]);
    }
  };
  await Promise.all(Array.from({ length: Math.min(options.jobs, order.length) }, worker));
  return results;
}

// --- Expectations -------------------------------------------------------------------

function readExpectations(file) {
  if (!fs.existsSync(file)) return { files: {} };
  return JSON.parse(fs.readFileSync(file, 'utf8'));
}

const asList = (e) => (Array.isArray(e) ? e : [e]);

// Compares a run with the expectations. A regression is a subtest expected
// to pass (PASS its only expected status) that did not, or is missing, and
// a file whose harness was expected to complete that crashed.
function compare(results, expectations) {
  const regressions = [];
  const newlyPassing = [];
  const changed = [];
  let knownFailures = 0;
  for (const r of results) {
    const expected = expectations.files[r.file];
    const expSubtests = expected ? expected.subtests : {};
    if (expected && expected.harness !== 'CRASH' && r.harness.status === 'CRASH') {
      regressions.push({ file: r.file, name: null, expected: expected.harness, actual: 'CRASH' });
    }
    const seen = new Set();
    for (const s of r.subtests) {
      seen.add(s.name);
      const exp = Object.hasOwn(expSubtests, s.name) ? asList(expSubtests[s.name]) : null;
      if (s.status === 'PASS') {
        if (!exp || !exp.includes('PASS')) newlyPassing.push({ file: r.file, name: s.name, expected: exp ? exp.join('|') : 'new' });
        continue;
      }
      if (exp && exp.length === 1 && exp[0] === 'PASS') {
        regressions.push({ file: r.file, name: s.name, expected: 'PASS', actual: s.status, message: s.message });
      } else {
        knownFailures++;
        if (exp && !exp.includes(s.status)) changed.push({ file: r.file, name: s.name, expected: exp.join('|'), actual: s.status });
      }
    }
    for (const [name, exp] of Object.entries(expSubtests)) {
      if (seen.has(name)) continue;
      const list = asList(exp);
      if (list.length === 1 && list[0] === 'PASS') {
        regressions.push({ file: r.file, name, expected: 'PASS', actual: 'MISSING' });
      }
    }
  }
  return { regressions, newlyPassing, changed, knownFailures, flaky: [] };
}

function updatedExpectations(results, old, version) {
  const files = {};
  for (const r of results) {
    const before = (old.files[r.file] || {}).subtests || {};
    const subtests = {};
    for (const s of r.subtests) {
      const prev = before[s.name];
      subtests[s.name] = Array.isArray(prev) && prev.includes(s.status) ? prev : s.status;
    }
    files[r.file] = { harness: r.harness.status, subtests };
  }
  return { version, files };
}

// One subtest per line, so that a change of expectations is a readable diff.
function formatExpectations(exp) {
  const lines = ['{', `  "version": ${JSON.stringify(exp.version)},`, '  "files": {'];
  const names = Object.keys(exp.files).sort();
  names.forEach((file, i) => {
    const f = exp.files[file];
    lines.push(`    ${JSON.stringify(file)}: {`);
    lines.push(`      "harness": ${JSON.stringify(f.harness)},`);
    const subs = Object.entries(f.subtests);
    if (subs.length === 0) {
      lines.push('      "subtests": {}');
    } else {
      lines.push('      "subtests": {');
      subs.forEach(([name, status], j) => {
        lines.push(`        ${JSON.stringify(name)}: ${JSON.stringify(status)}${j + 1 < subs.length ? ',' : ''}`);
      });
      lines.push('      }');
    }
    lines.push(`    }${i + 1 < names.length ? ',' : ''}`);
  });
  lines.push('  }', '}', '');
  return lines.join('\n');
}

// --- Reports ---------------------------------------------------------------------------

function directoryOf(file) {
  const parts = file.split('/');
  return parts.length > 2 ? parts.slice(0, -1).join('/') + '/' : parts[0] + '/ (top)';
}

// Per group: files, files fully passing, subtests passed / total, files
// whose harness crashed, timed out or errored. With `floor`, a file's total
// is at least floor(file) (the frozen denominator of classes.txt).
function tally(results, keyOf, floor = () => 0) {
  const groups = new Map();
  for (const r of results) {
    const key = keyOf(r);
    if (key === null) continue;
    if (!groups.has(key)) groups.set(key, { files: 0, fullyPassing: 0, passed: 0, total: 0, crash: 0, timeout: 0, error: 0 });
    const g = groups.get(key);
    g.files++;
    const passed = r.subtests.filter((s) => s.status === 'PASS').length;
    g.passed += passed;
    g.total += Math.max(r.subtests.length, floor(r.file));
    if (r.harness.status === 'OK' && r.subtests.length > 0 && passed === r.subtests.length) g.fullyPassing++;
    if (r.harness.status === 'CRASH') g.crash++;
    if (r.harness.status === 'TIMEOUT') g.timeout++;
    if (r.harness.status === 'ERROR') g.error++;
  }
  return groups;
}

const pct = (a, b) => (b ? (100 * a / b).toFixed(1) : '-');

function summaryLines(results, classes) {
  const lines = [];
  const row = (label, g) => lines.push(
      `  ${label.padEnd(22)} ${String(g.files).padStart(5)} ${String(g.fullyPassing).padStart(7)} ` +
      `${String(g.passed).padStart(7)}/${String(g.total).padEnd(6)} ${pct(g.passed, g.total).padStart(6)}%` +
      `   ${g.crash}/${g.timeout}/${g.error}`);
  const header = `  ${''.padEnd(22)} ${'files'.padStart(5)} ${'all-ok'.padStart(7)} ${'subtests passed'.padStart(14)}  ` +
                 `${'rate'.padStart(6)}   CRASH/TIMEOUT/ERROR files`;
  lines.push('Per directory:', header);
  const byDir = tally(results, (r) => directoryOf(r.file));
  for (const key of [...byDir.keys()].sort()) row(key, byDir.get(key));
  row('all', tally(results, () => 'all').get('all') || { files: 0, fullyPassing: 0, passed: 0, total: 0, crash: 0, timeout: 0, error: 0 });
  lines.push('Per class (test/wpt/classes.txt; A: API only, B: capture, C: DOM, D: WPT server;',
             'a file counts at least the subtests the survey counted):', header);
  const byClass = tally(results, (r) => (classes.has(r.file) ? 'class ' + classes.get(r.file).cls : null),
                        (file) => (classes.has(file) ? classes.get(file).count : 0));
  for (const key of [...byClass.keys()].sort()) row(key, byClass.get(key));
  return lines;
}

function writeReports(options, version, results, comparison, classes) {
  const lines = [`WPT ${version}`, `rtcbox addon ${options.addon}`, ''];
  for (const r of results) {
    const passed = r.subtests.filter((s) => s.status === 'PASS').length;
    lines.push(`${r.file}  ${r.harness.status}  ${passed}/${r.subtests.length}  ${r.seconds} s` +
               (r.harness.message ? `  (${oneLine(r.harness.message)})` : ''));
    for (const note of r.notes || []) lines.push(`    note: ${note}`);
    for (const s of r.subtests) {
      lines.push(`    ${s.status.padEnd(8)} ${oneLine(s.name)}` + (s.message ? `: ${oneLine(s.message)}` : ''));
    }
  }
  lines.push('', ...summaryLines(results, classes), '');
  lines.push(...comparisonLines(comparison, 1000));
  fs.writeFileSync(path.join(options.out, 'report.txt'), lines.join('\n') + '\n');
  fs.writeFileSync(path.join(options.out, 'report.json'), JSON.stringify({
    version,
    addon: options.addon,
    date: new Date().toISOString(),
    results,
    regressions: comparison.regressions,
    flaky: comparison.flaky || [],
    newlyPassing: comparison.newlyPassing,
  }, null, 1));
}

function oneLine(text) {
  const s = String(text).replace(/\s+/g, ' ');
  return s.length > 300 ? s.slice(0, 297) + '...' : s;
}

function comparisonLines(c, limit) {
  const lines = [];
  const show = (title, list, fmt) => {
    if (list.length === 0) return;
    lines.push(`${title} (${list.length}):`);
    for (const x of list.slice(0, limit)) lines.push('  ' + fmt(x));
    if (list.length > limit) lines.push(`  ... and ${list.length - limit} more (report.txt)`);
  };
  show('REGRESSIONS: expected to pass, did not', c.regressions, (x) =>
    `${x.file}${x.name === null ? '' : ' :: ' + oneLine(x.name)}: ${x.actual}` + (x.message ? ` (${oneLine(x.message)})` : ''));
  show('FLAKY: failed, then passed when run again (mark them or fix them)', c.flaky || [], (x) =>
    `${x.file}${x.name === null ? '' : ' :: ' + oneLine(x.name)}: ${x.actual} once` + (x.message ? ` (${oneLine(x.message)})` : ''));
  show('Newly passing: raise the expectations (--update-expectations)', c.newlyPassing, (x) =>
    `${x.file} :: ${oneLine(x.name)} (was ${x.expected})`);
  show('Changed failure status (not a regression)', c.changed, (x) =>
    `${x.file} :: ${oneLine(x.name)}: ${x.expected} -> ${x.actual}`);
  return lines;
}

// Runs the files with regressions again (one at a time, so that a file
// that failed because the machine was busy gets it to itself). A
// regression stays one only if it repeats in every rerun; the others move
// to comparison.flaky and are reported as such.
async function rerunRegressions(options, expectations, comparison) {
  comparison.flaky = [];
  for (let attempt = 1; attempt <= options.reruns && comparison.regressions.length > 0; attempt++) {
    const files = [...new Set(comparison.regressions.map((x) => x.file))];
    console.log(`rerun ${attempt}: ${files.length} file(s) with regressions: ${files.join(', ')}`);
    const reruns = await runAll({ ...options, jobs: 1 }, files, () => {}, attempt);
    const again = compare(reruns, expectations).regressions;
    const key = (x) => `${x.file}\n${x.name}`;
    const repeated = new Set(again.map(key));
    comparison.flaky.push(...comparison.regressions.filter((x) => !repeated.has(key(x))));
    comparison.regressions = comparison.regressions.filter((x) => repeated.has(key(x)));
  }
}

async function main() {
  const options = parseArgs(process.argv.slice(2));
  const version = readVersion(options.wpt);
  const classes = readClasses();
  const files = listTests(options.wpt, options.prefixes);
  if (files.length === 0) usage(`no test files under ${options.prefixes.join(', ')}`);
  fs.mkdirSync(path.join(options.out, 'logs'), { recursive: true });
  fs.mkdirSync(path.join(options.out, 'tmp'), { recursive: true });

  console.log(`WPT ${version}`);
  console.log(`${files.length} files, ${options.jobs} at a time, timeouts ${BASE_TIMEOUT_MS * options.multiplier / 1000} s ` +
              `(long: ${LONG_TIMEOUT_MS * options.multiplier / 1000} s), addon ${path.relative(REPO, options.addon)}`);
  const started = Date.now();
  let done = 0;
  const results = await runAll(options, files, (r) => {
    done++;
    if (options.quiet) return;
    const passed = r.subtests.filter((s) => s.status === 'PASS').length;
    console.log(`[${String(done).padStart(3)}/${files.length}] ${r.harness.status.padEnd(7)} ` +
                `${String(passed).padStart(3)}/${String(r.subtests.length).padEnd(3)} ${String(r.seconds).padStart(5)} s  ${r.file}`);
  });
  const old = readExpectations(options.expectations);
  // Only the files of this run are compared (a prefix run leaves the others).
  const comparison = compare(results, old);
  if (!options.update) await rerunRegressions(options, old, comparison);
  fs.rmSync(path.join(options.out, 'tmp'), { recursive: true, force: true });
  writeReports(options, version, results, comparison, classes);

  console.log('');
  console.log(`WPT ${version}`);
  for (const line of summaryLines(results, classes)) console.log(line);
  console.log(`${((Date.now() - started) / 1000).toFixed(0)} s; reports: ${path.relative(REPO, options.out)}/report.txt, report.json`);
  for (const line of comparisonLines(comparison, 40)) console.log(line);

  if (options.update) {
    const merged = updatedExpectations(results, old, version);
    const all = { version, files: { ...old.files, ...merged.files } };
    fs.writeFileSync(options.expectations, formatExpectations(all));
    console.log(`expectations written: ${path.relative(REPO, options.expectations)}`);
  }
  // A flaky subtest passed in a rerun: it counts as passing.
  const passed = results.reduce((n, r) => n + r.subtests.filter((s) => s.status === 'PASS').length, 0) +
                 comparison.flaky.filter((x) => x.name !== null).length;
  console.log(`wpt ${passed} ${comparison.regressions.length} ${comparison.knownFailures}`);
  process.exitCode = comparison.regressions.length > 0 && !options.update ? 1 : 0;
}

main().catch((error) => {
  console.error(error);
  process.exit(2);
});
