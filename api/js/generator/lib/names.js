'use strict';
// Names shared by the C and JS emitters: the properties of the native
// module object (bindings.c defines them, bindings.js calls them).

const native = {
  constructor: (i) => `${i.name}_constructor`,
  construct: (i) => `${i.name}_construct`,
  op: (i, name) => `${i.name}_${name}`,
  staticOp: (i, name) => `${i.name}_static_${name}`,
  get: (i, a) => `${i.name}_get_${a.name}`,
  set: (i, a) => `${i.name}_set_${a.name}`,
  staticGet: (i, a) => `${i.name}_static_get_${a.name}`,
  staticSet: (i, a) => `${i.name}_static_set_${a.name}`,
  stringify: (i) => `${i.name}_stringify`,
  entries: (i) => `${i.name}_entries`,
};

// FNV-1a 64-bit, for the module's type tag.
function fnv1a64(text) {
  let h = 0xcbf29ce484222325n;
  for (const b of Buffer.from(text, 'utf8')) {
    h ^= BigInt(b);
    h = (h * 0x100000001b3n) & 0xffffffffffffffffn;
  }
  return h;
}

function moduleTag(moduleName) {
  const lower = fnv1a64(`rtcbox type tag/${moduleName}/lower`);
  const upper = fnv1a64(`rtcbox type tag/${moduleName}/upper`);
  return [lower, upper].map((v) => `0x${v.toString(16).padStart(16, '0')}ull`);
}

// A C string literal for `s` (UTF-8; non-ASCII and specials escaped).
function cString(s) {
  let out = '"';
  for (const b of Buffer.from(s, 'utf8')) {
    if (b === 0x22) out += '\\"';
    else if (b === 0x5c) out += '\\\\';
    else if (b >= 0x20 && b < 0x7f && b !== 0x3f) out += String.fromCharCode(b);
    else out += `\\${b.toString(8).padStart(3, '0')}`;
  }
  return `${out}"`;
}

module.exports = { native, moduleTag, cString };
