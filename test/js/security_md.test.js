'use strict';
// SECURITY.md matches the code (issue 8): its table names, for every row
// of the security checklist, the tests that prove it. Every test named
// there must exist in the file given beside it, and every test in the tree
// named after a checklist row (`SEC17_…`, `IP06_…`) must be in the table,
// so that neither can drift from the other. No addon: plain text checks.

const assert = require('node:assert/strict');
const fs = require('node:fs');
const path = require('node:path');
const { test } = require('node:test');

const ROOT = path.resolve(__dirname, '..', '..');
const SECURITY = fs.readFileSync(path.join(ROOT, 'SECURITY.md'), 'utf8');
const ID_NAME = /\b(SEC|ICE|CON|IP|DC|API|ORG)(\d\d)_[A-Za-z0-9_]+/g;

// The table rows: { id, tests: [{ name, file }] }.
function tableRows() {
  const rows = [];
  for (const line of SECURITY.split('\n')) {
    const m = /^\| ((?:SEC|ICE|CON|IP|DC|API|ORG)-\d\d) \|/.exec(line);
    if (!m) continue;
    const tests = [...line.matchAll(/`([A-Z]+\d\d_[A-Za-z0-9_]+)` \(([^)]+)\)/g)].map((t) => ({ name: t[1], file: t[2] }));
    rows.push({ id: m[1], tests });
  }
  return rows;
}

// Every source file of the tests (and of code, for names that appear
// there), walked from the folders that hold them.
function sources(dir, out = []) {
  for (const entry of fs.readdirSync(path.join(ROOT, dir), { withFileTypes: true })) {
    const rel = path.join(dir, entry.name);
    if (entry.isDirectory()) {
      if (entry.name !== 'corpus' && entry.name !== 'node_modules') sources(rel, out);
    } else if (/\.(cc|c|js)$/.test(entry.name)) {
      out.push(rel);
    }
  }
  return out;
}

test('every row of SECURITY.md names tests that exist where it says', () => {
  const rows = tableRows();
  assert.ok(rows.length >= 69, `only ${rows.length} rows in SECURITY.md's table`);
  const ids = rows.map((r) => r.id);
  assert.equal(new Set(ids).size, ids.length, 'a row appears twice');
  for (const { id, tests } of rows) {
    for (const { name, file } of tests) {
      assert.equal(name.slice(0, name.indexOf('_')), id.replace('-', ''), `${name} listed under ${id}`);
      const text = fs.readFileSync(path.join(ROOT, file), 'utf8');
      assert.ok(new RegExp(`\\b${name}\\b`).test(text), `${name} is not in ${file}`);
    }
  }
});

test('every test named after a checklist row is in SECURITY.md', () => {
  const listed = new Set(tableRows().flatMap((r) => r.tests.map((t) => t.name)));
  const missing = [];
  for (const dir of ['p2p', 'pc', 'api', 'rtc_base', 'test']) {
    for (const file of sources(dir)) {
      if (file === path.join('test', 'js', 'security_md.test.js')) continue;
      const text = fs.readFileSync(path.join(ROOT, file), 'utf8');
      for (const m of text.matchAll(ID_NAME)) {
        if (!listed.has(m[0])) missing.push(`${m[0]} (${file})`);
      }
    }
  }
  assert.deepEqual([...new Set(missing)], []);
});
