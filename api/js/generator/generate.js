#!/usr/bin/env node
'use strict';
// The WebIDL -> Node-API generator (api/js/DESIGN.md).
//
//   node generate.js --out DIR [--host FILE.idl]... [--name NAME]
//                    [--header-include PATH] FILE.idl...
//
//   --out DIR             where bindings.c, bindings.h, bindings.js and
//                         rtcbox.d.ts are written
//   --host FILE.idl       definitions the host provides (EventTarget,
//                         DOMException, Blob, ...): no class or glue is
//                         generated for their interfaces; their other
//                         definitions are used as types (repeatable)
//   --name NAME           the module's name (its type tag derives from it;
//                         default "rtcbox")
//   --header-include PATH how bindings.c includes bindings.h (default
//                         "bindings.h"; GN passes the path from the root
//                         gen dir)
//
// Exits non-zero with a message on stderr for IDL it cannot handle.

const fs = require('node:fs');
const path = require('node:path');

const { buildModel } = require('./lib/model.js');
const { emitC } = require('./lib/emit_c.js');
const { emitJs } = require('./lib/emit_js.js');
const { emitDts } = require('./lib/emit_dts.js');
const { GeneratorError } = require('./lib/types.js');

function parseArgs(argv) {
  const opts = { out: null, hosts: [], files: [], name: 'rtcbox', headerInclude: 'bindings.h' };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const next = () => {
      if (i + 1 >= argv.length) throw new GeneratorError(`${a} needs a value`);
      return argv[++i];
    };
    if (a === '--out') opts.out = next();
    else if (a === '--host') opts.hosts.push(next());
    else if (a === '--name') opts.name = next();
    else if (a === '--header-include') opts.headerInclude = next();
    else if (a.startsWith('--')) throw new GeneratorError(`unknown option ${a}`);
    else opts.files.push(a);
  }
  if (!opts.out) throw new GeneratorError('--out DIR is required');
  if (!opts.files.length) throw new GeneratorError('no IDL files');
  return opts;
}

// Generates from IDL texts; returns { 'bindings.c': text, ... }.
// files: [{ name, text, host }]
function generate(files, { name = 'rtcbox', headerInclude = 'bindings.h' } = {}) {
  const model = buildModel(files);
  const c = emitC(model, { moduleName: name, headerInclude });
  return {
    'bindings.c': c.source,
    'bindings.h': c.header,
    'bindings.js': emitJs(model, { moduleName: name }),
    'rtcbox.d.ts': emitDts(model),
  };
}

function writeIfChanged(file, text) {
  try {
    if (fs.readFileSync(file, 'utf8') === text) {
      // Touch it: build systems compare timestamps with the inputs.
      const now = new Date();
      fs.utimesSync(file, now, now);
      return;
    }
  } catch {
    // missing: write it
  }
  fs.writeFileSync(file, text);
}

function main(argv) {
  const opts = parseArgs(argv);
  const files = [
    ...opts.hosts.map((f) => ({ name: path.basename(f), text: fs.readFileSync(f, 'utf8'), host: true })),
    ...opts.files.map((f) => ({ name: path.basename(f), text: fs.readFileSync(f, 'utf8'), host: false })),
  ];
  const outputs = generate(files, opts);
  fs.mkdirSync(opts.out, { recursive: true });
  for (const [file, text] of Object.entries(outputs)) writeIfChanged(path.join(opts.out, file), text);
}

if (require.main === module) {
  try {
    main(process.argv.slice(2));
  } catch (e) {
    if (e instanceof GeneratorError) {
      process.stderr.write(`generate.js: ${e.message}\n`);
      process.exit(1);
    }
    throw e;
  }
}

module.exports = { generate };
