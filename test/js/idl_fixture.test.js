'use strict';
// The WebIDL -> Node-API generator end to end: test/js/idl_fixture/
// fixture.idl, generated (bindings.c, bindings.js), implemented by
// fixture_impl.c, built into out/<cfg>/idl_fixture_addon.node. Checks the
// behaviour against WebIDL (https://webidl.spec.whatwg.org/): conversions,
// checks, errors, promises, events, property shapes, lifetimes.
//
// RTCBOX_TEST_OUT selects the build (support.js). The addon is loaded with
// RTLD_NOW | RTLD_DEEPBIND as api/js/DESIGN.md says, except under ASan
// (its runtime, preloaded into node, refuses RTLD_DEEPBIND).

const assert = require('node:assert/strict');
const os = require('node:os');
const path = require('node:path');
const v8 = require('node:v8');
const vm = require('node:vm');
const { test } = require('node:test');
const { Worker } = require('node:worker_threads');
const { OUT, addonPath, runNode } = require('./support.js');

v8.setFlagsFromString('--expose-gc');
const gc = vm.runInNewContext('gc');

const ADDON = addonPath('idl_fixture_addon');
const BINDINGS = path.join(OUT, 'gen', 'test', 'js', 'idl_fixture', 'fixture_bindings', 'bindings.js');
const underAsan = /asan/.test(process.env.LD_PRELOAD || '');
const DLOPEN_FLAGS = os.constants.dlopen.RTLD_NOW | (underAsan ? 0 : os.constants.dlopen.RTLD_DEEPBIND);

function load() {
  const module = { exports: {} };
  process.dlopen(module, ADDON, DLOPEN_FLAGS);
  return require(BINDINGS)(module.exports);
}

const B = load();
const { FixtureTarget, FixtureThing, FixtureDerived, FixtureReport, FixtureEvent, RTCError } = B;

async function collect() {
  for (let i = 0; i < 4; i++) {
    gc();
    await new Promise((resolve) => setImmediate(resolve));
  }
}

// ---------------------------------------------------------------------------
// Integers: a reference ConvertToInt (WebIDL §3.2.4.9) in exact BigInt
// arithmetic, against the glue.

function roundHalfEven(x) {
  const f = Math.floor(x);
  const d = x - f;
  if (d < 0.5) return f;
  if (d > 0.5) return f + 1;
  return f % 2 === 0 ? f : f + 1;
}

function convertToInt(v, bits, signed, mode) {
  let upper;
  let lower;
  if (bits === 64) {
    upper = 2 ** 53 - 1;
    lower = signed ? -(2 ** 53) + 1 : 0;
  } else if (signed) {
    lower = -(2 ** (bits - 1));
    upper = 2 ** (bits - 1) - 1;
  } else {
    lower = 0;
    upper = 2 ** bits - 1;
  }
  let x = +v; // ToNumber: throws for BigInt and Symbol
  if (Object.is(x, -0)) x = 0;
  if (mode === 'enforce') {
    if (!Number.isFinite(x)) throw new TypeError('not finite');
    x = Math.trunc(x);
    if (x < lower || x > upper) throw new TypeError('out of range');
    return BigInt(x);
  }
  if (!Number.isNaN(x) && mode === 'clamp') {
    x = roundHalfEven(Math.min(Math.max(x, lower), upper));
    return BigInt(x);
  }
  if (!Number.isFinite(x) || x === 0) return 0n;
  const mod = 1n << BigInt(bits);
  let n = BigInt(Math.trunc(x)) % mod;
  if (n < 0n) n += mod;
  if (signed && n >= mod / 2n) n -= mod;
  return n;
}

const INT_VALUES = [
  0, -0, 1, -1, 0.5, -0.5, 1.5, 2.5, -1.5, -2.5, 0.49999999999999994, 127, 128, -128, -129, 255, 256,
  32767, 32768, -32768, -32769, 65535, 65536, 2 ** 31 - 1, 2 ** 31, -(2 ** 31), -(2 ** 31) - 1,
  2 ** 32 - 1, 2 ** 32, 2 ** 32 + 1, 2 ** 32 + 0.5, 2 ** 53 - 1, 2 ** 53, 2 ** 53 + 2, -(2 ** 53) + 1,
  -(2 ** 53), 2 ** 63, -(2 ** 63), 2 ** 64, 2 ** 64 + 2 ** 12, -(2 ** 64), 2 ** 65 + 2 ** 13, 1e20, -1e20,
  Number.MAX_VALUE, -Number.MAX_VALUE, Number.MIN_VALUE, -Number.MIN_VALUE, NaN, Infinity, -Infinity,
  '42', '  12  ', '0x10', '-7.9', 'abc', '', true, false, null, undefined, [], [7], [1, 2], {},
  { valueOf: () => 300 }, { toString: () => '-5' }, 10n, Symbol('s'),
];

const INT_OPS = [
  ['convertByte', 8, true, 'none'],
  ['convertOctet', 8, false, 'none'],
  ['convertShort', 16, true, 'none'],
  ['convertUnsignedShort', 16, false, 'none'],
  ['convertLong', 32, true, 'none'],
  ['convertUnsignedLong', 32, false, 'none'],
  ['convertLongLong', 64, true, 'none'],
  ['convertUnsignedLongLong', 64, false, 'none'],
  ['convertEnforcedOctet', 8, false, 'enforce'],
  ['convertEnforcedLong', 32, true, 'enforce'],
  ['convertEnforcedUnsignedLong', 32, false, 'enforce'],
  ['convertEnforcedLongLong', 64, true, 'enforce'],
  ['convertEnforcedUnsignedLongLong', 64, false, 'enforce'],
  ['convertClampedByte', 8, true, 'clamp'],
  ['convertClampedOctet', 8, false, 'clamp'],
  ['convertClampedUnsignedShort', 16, false, 'clamp'],
  ['convertClampedLong', 32, true, 'clamp'],
  ['convertClampedUnsignedLong', 32, false, 'clamp'],
  ['convertClampedLongLong', 64, true, 'clamp'],
  ['convertClampedUnsignedLongLong', 64, false, 'clamp'],
];

function show(v) {
  if (typeof v === 'symbol') return v.toString();
  if (typeof v === 'bigint') return `${v}n`;
  if (Object.is(v, -0)) return '-0';
  if (typeof v === 'string') return JSON.stringify(v);
  if (typeof v === 'object' && v !== null) return Array.isArray(v) ? `[${v}]` : '{...}';
  return String(v);
}

for (const [op, bits, signed, mode] of INT_OPS) {
  test(`${op} converts as WebIDL ConvertToInt(${bits}, ${signed ? 'signed' : 'unsigned'}${mode === 'none' ? '' : `, ${mode}`})`, () => {
    const t = new FixtureTarget();
    let checked = 0;
    for (const v of INT_VALUES) {
      let expected;
      let expectedError = null;
      try {
        expected = convertToInt(v, bits, signed, mode).toString();
      } catch (e) {
        expectedError = e;
      }
      if (expectedError) {
        assert.throws(() => t[op](v), TypeError, `${op}(${show(v)}) must throw a TypeError`);
      } else {
        assert.equal(t[op](v), expected, `${op}(${show(v)})`);
      }
      checked++;
    }
    assert.equal(checked, INT_VALUES.length);
  });
}

test('integers go back to JS as numbers (unsigned long long above 2^53 rounds)', () => {
  const t = new FixtureTarget();
  assert.equal(t.echoLong(-5), -5);
  assert.equal(t.echoLong(2 ** 31), -(2 ** 31));
  assert.equal(t.echoUnsignedLongLong(2 ** 60), 2 ** 60);
  assert.equal(t.echoUnsignedLongLong(-1), 2 ** 64);
});

test('double and float conversions reject non-finite values unless unrestricted', () => {
  const t = new FixtureTarget();
  assert.equal(t.echoDouble(1.25), 1.25);
  assert.ok(Object.is(t.echoDouble(-0), -0));
  assert.equal(t.echoDouble('2.5'), 2.5);
  for (const v of [NaN, Infinity, -Infinity, 'x', undefined, {}]) assert.throws(() => t.echoDouble(v), TypeError);
  assert.throws(() => t.echoDouble(1n), TypeError);
  assert.ok(Number.isNaN(t.echoUnrestrictedDouble(NaN)));
  assert.equal(t.echoUnrestrictedDouble(-Infinity), -Infinity);
  assert.equal(t.echoFloat(1.1), Math.fround(1.1));
  const FLT_MAX = 3.4028234663852886e38;
  assert.equal(t.echoFloat(FLT_MAX), FLT_MAX);
  assert.equal(t.echoFloat(2 ** 128 - 2 ** 103 - 2 ** 90), FLT_MAX);
  // 2^128 - 2^103 is halfway between FLT_MAX and 2^128: ties to even give
  // 2^128, an infinity.
  assert.throws(() => t.echoFloat(2 ** 128 - 2 ** 103), TypeError);
  assert.throws(() => t.echoFloat(1e39), TypeError);
  assert.throws(() => t.echoFloat(NaN), TypeError);
  assert.equal(t.echoUnrestrictedFloat(1e39), Infinity);
  assert.equal(t.echoUnrestrictedFloat(-1e39), -Infinity);
  assert.ok(Number.isNaN(t.echoUnrestrictedFloat(NaN)));
  assert.ok(Object.is(t.echoUnrestrictedFloat(-0), -0));
  assert.equal(t.echoFloat(Number.MIN_VALUE), 0);
});

test('boolean is ToBoolean', () => {
  const t = new FixtureTarget();
  for (const [v, b] of [[0, false], ['', false], [null, false], [undefined, false], [NaN, false], ['0', true], [{}, true], [[], true], [1n, true], [0n, false]]) {
    assert.equal(t.echoBoolean(v), b, `ToBoolean(${show(v)})`);
  }
});

// ---------------------------------------------------------------------------
// Strings.

test('DOMString keeps lone surrogates (WTF-8 in C), USVString replaces them', () => {
  const t = new FixtureTarget();
  for (const s of ['', 'abc', 'é', '\u{1F600}', 'a\uD800b', '\uDC00\uD800', 'x\uDBFF', '\0nul']) {
    assert.equal(t.echoDOMString(s), s, JSON.stringify(s));
  }
  assert.equal(t.echoUSVString('a\uD800b'), 'a\uFFFDb');
  assert.equal(t.echoUSVString('\uDC00\uD800'), '\uFFFD\uFFFD');
  assert.equal(t.echoUSVString('\uD83D\uDE00'), '\u{1F600}');
  assert.equal(t.utf8Length('\uD800'), 3);
  assert.equal(t.utf8Length('\u{1F600}'), 4);
  assert.equal(t.utf8Length('é'), 2);
  assert.equal(t.echoDOMString(null), 'null');
  assert.equal(t.echoDOMString(undefined), 'undefined');
  assert.equal(t.echoDOMString({ toString: () => 'x' }), 'x');
  assert.equal(t.echoDOMString(12.5), '12.5');
  assert.throws(() => t.echoDOMString(Symbol('s')), TypeError);
});

test('ByteString takes code units up to 255 and rejects others', () => {
  const t = new FixtureTarget();
  assert.equal(t.echoByteString('\u00ff\u0000a'), '\u00ff\u0000a');
  assert.throws(() => t.echoByteString('\u0100'), TypeError);
  assert.throws(() => t.echoByteString('\uD800'), TypeError);
});

test('[LegacyNullToEmptyString] turns null into ""', () => {
  const t = new FixtureTarget();
  assert.equal(t.echoNullToEmpty(null), '');
  assert.equal(t.echoNullToEmpty(undefined), 'undefined');
});

test('enums take their values only, after ToString', () => {
  const t = new FixtureTarget();
  assert.equal(t.echoColor('dark-blue'), 'dark-blue');
  assert.equal(t.echoColor(''), '');
  assert.equal(t.echoColor({ toString: () => 'red' }), 'red');
  for (const v of ['Red', 'blue', undefined, null, 0]) assert.throws(() => t.echoColor(v), TypeError);
  assert.throws(() => t.echoColor('x'), /is not a valid enum value of type FixtureColor/);
});

test('nullable types take null and undefined as null', () => {
  const t = new FixtureTarget();
  const thing = new FixtureThing('n');
  assert.equal(t.echoNullableLong(null), null);
  assert.equal(t.echoNullableLong(undefined), null);
  assert.equal(t.echoNullableLong('7'), 7);
  assert.equal(t.echoNullableString(null), null);
  assert.equal(t.echoNullableString(''), '');
  assert.equal(t.echoNullableThing(null), null);
  assert.equal(t.echoNullableThing(thing), thing);
  assert.throws(() => t.echoNullableThing({}), TypeError);
  assert.equal(t.echoNullableColor(null), null);
  assert.equal(t.echoNullableColor('red'), 'red');
  assert.throws(() => t.echoNullableColor('bad'), TypeError);
});

// ---------------------------------------------------------------------------
// Dictionaries.

const DICT_ORDER = [
  'baseName', 'baseValue', // FixtureBase first (the parent)
  'anything', 'color', 'counts', 'extra', 'flag', 'inner', 'inners', 'level', 'name', 'note', 'notify', 'port', 'ratio', 'urls',
];

test('dictionary members are read parent first, each level in lexicographic order', () => {
  const t = new FixtureTarget();
  const seen = [];
  const proxy = new Proxy({ name: 'n' }, {
    get(target, key, receiver) {
      if (typeof key === 'string') seen.push(key);
      return Reflect.get(target, key, receiver);
    },
  });
  t.echoDict(proxy);
  assert.deepEqual(seen, DICT_ORDER);
  // The same with getters on a plain object.
  const order = [];
  const dict = {};
  for (const key of [...DICT_ORDER].reverse()) {
    Object.defineProperty(dict, key, {
      enumerable: true,
      get() {
        order.push(key);
        return key === 'name' ? 'n' : undefined;
      },
    });
  }
  t.echoDict(dict);
  assert.deepEqual(order, DICT_ORDER);
});

test('dictionary defaults, absent members, required members and member conversions', () => {
  const t = new FixtureTarget();
  const r = t.echoDict({ name: 'n' });
  assert.deepEqual(Object.keys(r), ['baseName', 'baseValue', 'color', 'flag', 'inner', 'inners', 'name', 'note']);
  assert.equal(r.baseValue, 7);
  assert.equal(r.baseName, null);
  assert.equal(r.flag, true);
  assert.equal(r.color, 'red');
  assert.deepEqual(r.inner, { big: 0, label: 'inner' });
  assert.deepEqual(r.inners, []);
  assert.equal(r.note, null);
  for (const missing of ['port', 'level', 'counts', 'urls', 'ratio', 'anything', 'extra', 'notify']) assert.ok(!(missing in r), missing);
  assert.throws(() => t.echoDict({}), /FixtureDict.name: Required member is undefined/);
  assert.throws(() => t.echoDict(), TypeError);
  assert.throws(() => t.echoDict(5), TypeError);
  assert.throws(() => t.echoDict(null), TypeError); // null is {}, and name is required
  const extra = { any: 'thing' };
  const notify = () => {};
  const full = t.echoDict({
    name: 12, baseName: 'b', baseValue: '3', flag: 0, port: 65535, level: 300, color: '', inners: [{ label: 'a' }, {}],
    counts: { a: '1', b: 2.9 }, urls: 'u', inner: { big: 2 ** 40 }, ratio: -1.5, anything: NaN, extra, notify,
    note: 'n\uD800',
  });
  assert.equal(full.name, '12');
  assert.equal(full.baseName, 'b');
  assert.equal(full.baseValue, 3);
  assert.equal(full.flag, false);
  assert.equal(full.port, 65535);
  assert.equal(full.level, 255);
  assert.equal(full.color, '');
  assert.deepEqual(full.inners, [{ big: 0, label: 'a' }, { big: 0, label: 'inner' }]);
  assert.deepEqual(full.counts, { a: 1, b: 2 });
  assert.equal(full.urls, 'u');
  assert.deepEqual(full.inner, { big: 2 ** 40, label: 'inner' });
  assert.equal(full.ratio, -1.5);
  assert.ok(Number.isNaN(full.anything));
  assert.equal(full.extra, extra);
  assert.equal(full.notify, notify);
  assert.equal(full.note, 'n\uFFFD');
  assert.throws(() => t.echoDict({ name: 'n', port: 65536 }), /FixtureDict.port: Value is outside the 'unsigned short' value range/);
  assert.throws(() => t.echoDict({ name: 'n', ratio: Infinity }), TypeError);
  assert.throws(() => t.echoDict({ name: 'n', color: 'green' }), TypeError);
  assert.throws(() => t.echoDict({ name: 'n', notify: 5 }), TypeError);
  assert.throws(() => t.echoDict({ name: 'n', inners: 5 }), TypeError);
});

test('an optional dictionary argument takes undefined and null as its defaults', () => {
  const t = new FixtureTarget();
  assert.equal(t.describeDict(), 'baseValue=7 baseName=null');
  assert.equal(t.describeDict(undefined), 'baseValue=7 baseName=null');
  assert.equal(t.describeDict(null), 'baseValue=7 baseName=null');
  assert.equal(t.describeDict({ baseValue: 1, baseName: 'x' }), 'baseValue=1 baseName=x');
  assert.equal(t.describeDict(() => {}), 'baseValue=7 baseName=null'); // a function is an object
  assert.throws(() => t.describeDict('x'), TypeError);
});

test('a conversion failing half-way releases what it converted', () => {
  const t = new FixtureTarget();
  const before = FixtureTarget.liveHandles();
  assert.throws(() => t.echoDict({ name: 'n', notify() {}, port: -1 }), TypeError);
  assert.throws(() => t.echoDict({ name: 'n', notify() {}, urls: [Symbol('s')] }), TypeError);
  assert.equal(t.overloaded(new Blob(['x'])), 'blob:1'); // not kept by C
  assert.equal(FixtureTarget.liveHandles(), before);
});

// ---------------------------------------------------------------------------
// Sequences, records, unions.

test('sequences are created from any iterable, not from other values', () => {
  const t = new FixtureTarget();
  assert.deepEqual(t.echoLongs([1, '2', 3.7]), [1, 2, 3]);
  assert.deepEqual(t.echoLongs(new Set([5, 6])), [5, 6]);
  assert.deepEqual(t.echoLongs((function* gen() { yield 1; yield 2; })()), [1, 2]);
  assert.deepEqual(t.echoLongs({ *[Symbol.iterator]() { yield 9; } }), [9]);
  const patched = [1, 2];
  patched[Symbol.iterator] = function* iter() { yield 42; };
  assert.deepEqual(t.echoLongs(patched), [42]);
  assert.deepEqual(t.echoLongs(new Uint8Array([3, 4])), [3, 4]);
  assert.deepEqual(t.echoLongs([]), []);
  for (const v of [5, 'abc', {}, null, undefined, { [Symbol.iterator]: 5 }]) assert.throws(() => t.echoLongs(v), TypeError, show(v));
  assert.throws(() => t.echoLongs({ [Symbol.iterator]: () => 5 }), TypeError);
  assert.throws(() => t.echoLongs({ [Symbol.iterator]: () => ({ next: () => 5 }) }), TypeError);
  assert.throws(() => t.echoLongs([Symbol('x')]), TypeError);
  assert.deepEqual(t.echoInners([{ label: 'a' }, {}]), [{ big: 0, label: 'a' }, { big: 0, label: 'inner' }]);
  const big = Array.from({ length: 1000 }, (_, i) => i);
  assert.deepEqual(t.echoLongs(big), big);
});

test('FrozenArray results are frozen arrays', () => {
  const t = new FixtureTarget();
  const a = t.frozenStrings(['a', 'b']);
  assert.ok(Array.isArray(a));
  assert.ok(Object.isFrozen(a));
  assert.deepEqual(a, ['a', 'b']);
});

test('records take own enumerable properties in order; symbols throw; USVString keys merge', () => {
  const t = new FixtureTarget();
  assert.deepEqual(Object.entries(t.echoRecord({ b: 1, a: '2', 10: 3 })), [['10', 3], ['b', 1], ['a', 2]]);
  const withHidden = { a: 1 };
  Object.defineProperty(withHidden, 'hidden', { value: 2, enumerable: false });
  assert.deepEqual(t.echoRecord(withHidden), { a: 1 });
  assert.deepEqual(t.echoRecord(Object.create({ inherited: 1 })), {});
  assert.throws(() => t.echoRecord({ [Symbol('s')]: 1 }), TypeError);
  const hiddenSymbol = {};
  Object.defineProperty(hiddenSymbol, Symbol('s'), { value: 1, enumerable: false });
  assert.deepEqual(t.echoRecord(hiddenSymbol), {});
  const merged = t.echoRecord({ '\uD800': 1, a: 2, '\uDC00': 3 });
  assert.deepEqual(Object.entries(merged), [['\uFFFD', 3], ['a', 2]]);
  assert.deepEqual(t.echoStringRecord({ '\uD800': 'x' }), { '\uD800': 'x' });
  for (const v of [null, undefined, 5, 'str']) assert.throws(() => t.echoRecord(v), TypeError, show(v));
  const order = [];
  const proxy = new Proxy({ x: 1, y: 2 }, {
    ownKeys: () => ['y', 'x'],
    getOwnPropertyDescriptor(target, key) {
      order.push(`desc ${key}`);
      return Reflect.getOwnPropertyDescriptor(target, key);
    },
    get(target, key) {
      order.push(`get ${String(key)}`);
      return target[key];
    },
  });
  assert.deepEqual(Object.entries(t.echoRecord(proxy)), [['y', 2], ['x', 1]]);
  assert.deepEqual(order, ['desc y', 'get y', 'desc x', 'get x']);
});

test('unions pick their member as WebIDL says', () => {
  const t = new FixtureTarget();
  assert.equal(t.unionKind('a'), 'string:a');
  assert.equal(t.unionKind(['a', 'b']), 'sequence:2');
  assert.equal(t.unionKind(new Set(['x'])), 'sequence:1');
  assert.equal(t.unionKind({}), 'string:[object Object]');
  assert.equal(t.unionKind(5), 'string:5');
  assert.equal(t.unionKind(null), 'string:null');
  const thing = new FixtureThing('T');
  assert.equal(t.unionKind2(thing), 'thing:T');
  assert.equal(t.unionKind2({}), 'inner:inner');
  assert.equal(t.unionKind2({ label: 'L' }), 'inner:L');
  assert.equal(t.unionKind2(3), 'long:3');
  assert.equal(t.unionKind2(true), 'boolean:true');
  assert.equal(t.unionKind2(null), 'inner:inner');
  assert.equal(t.unionKind2(), 'inner:inner');
  assert.equal(t.unionKind2('7'), 'long:7'); // no string member: the numeric one
  assert.throws(() => t.unionKind2(Symbol('s')), TypeError);
  assert.equal(t.echoUnion(5), 5);
  assert.equal(t.echoUnion('5'), '5');
  assert.equal(t.echoUnion(true), 'true');
  assert.equal(t.bufferUnion(new Uint8Array([1, 2])), 'bytes:2:0102');
  assert.equal(t.bufferUnion(new ArrayBuffer(1)), 'bytes:1:00');
  assert.equal(t.bufferUnion('x'), 'string:x');
  assert.equal(t.bufferUnion([1]), 'string:1');
});

// ---------------------------------------------------------------------------
// Buffer sources.

test('BufferSource takes ArrayBuffer, every typed array and DataView (their bytes)', () => {
  const t = new FixtureTarget();
  const ab = new ArrayBuffer(8);
  new Uint8Array(ab).set([1, 2, 3, 4, 5, 6, 7, 8]);
  assert.equal(t.bufferInfo(ab), '8:0102030405060708');
  const views = [Int8Array, Uint8Array, Uint8ClampedArray, Int16Array, Uint16Array, Int32Array, Uint32Array, Float32Array, Float64Array, BigInt64Array, BigUint64Array];
  for (const V of views) {
    const whole = new V(ab);
    assert.equal(t.bufferInfo(whole), '8:0102030405060708', V.name);
  }
  assert.equal(t.bufferInfo(new Uint8Array(ab, 2, 3)), '3:030405');
  assert.equal(t.bufferInfo(new Uint16Array(ab, 2, 2)), '4:03040506');
  assert.equal(t.bufferInfo(new DataView(ab, 1, 2)), '2:0203');
  assert.equal(t.bufferInfo(new ArrayBuffer(0)), '0:');
  assert.equal(t.bufferInfo(Buffer.from('hi')), '2:6869');
});

test('detached buffers give no bytes; shared, resizable and other values throw', () => {
  const t = new FixtureTarget();
  const ab = new ArrayBuffer(4);
  const view = new Uint8Array(ab);
  structuredClone(ab, { transfer: [ab] });
  assert.equal(ab.byteLength, 0);
  assert.equal(t.bufferInfo(ab), '0:');
  assert.equal(t.bufferInfo(view), '0:');
  assert.throws(() => t.bufferInfo(new SharedArrayBuffer(4)), TypeError);
  assert.throws(() => t.bufferInfo(new Uint8Array(new SharedArrayBuffer(4))), TypeError);
  // Resizable ArrayBuffers exist from Node 20 (V8 11); Node 18 ignores the
  // option and makes a fixed-length buffer, which is accepted.
  const resizable = new ArrayBuffer(4, { maxByteLength: 8 });
  if (resizable.resizable) assert.throws(() => t.bufferInfo(resizable), TypeError);
  else assert.equal(t.bufferInfo(resizable), '4:00000000');
  for (const v of [[1, 2], {}, 'ab', null, undefined, 5]) assert.throws(() => t.bufferInfo(v), TypeError, show(v));
  const shared = new Uint8Array(new SharedArrayBuffer(3));
  shared[0] = 7;
  assert.equal(t.bufferShared(shared), '3:070000');
  assert.equal(t.bufferShared(new Int8Array(2)), '2:0000');
  assert.throws(() => t.bufferShared(new ArrayBuffer(1)), TypeError);
  assert.equal(t.uint8Only(new Uint8Array([5])), '1:05');
  assert.throws(() => t.uint8Only(new Int8Array(1)), TypeError);
  assert.throws(() => t.uint8Only(new Uint8ClampedArray(1)), TypeError);
  assert.throws(() => t.uint8Only(new DataView(new ArrayBuffer(1))), TypeError);
});

test('buffers go back to JS as new copies of the ArrayBuffer type or view named', () => {
  const t = new FixtureTarget();
  const ab = new Uint8Array([9, 8]).buffer;
  const back = t.echoArrayBuffer(ab);
  assert.ok(back instanceof ArrayBuffer);
  assert.notEqual(back, ab);
  assert.deepEqual([...new Uint8Array(back)], [9, 8]);
  const view = t.echoView(new DataView(ab, 1));
  assert.ok(view instanceof Uint8Array);
  assert.deepEqual([...view], [8]);
  assert.equal(t.echoView(null), null);
  assert.throws(() => t.echoArrayBuffer(new Uint8Array(1)), TypeError);
});

// ---------------------------------------------------------------------------
// Overloads and argument counts.

test('overload resolution picks by the distinguishing argument', () => {
  const t = new FixtureTarget();
  const thing = new FixtureThing('z');
  assert.equal(t.overloaded('s'), 'string:s');
  assert.equal(t.overloaded(thing), 'thing:z');
  assert.equal(t.overloaded(new Blob(['abc'])), 'blob:3');
  assert.equal(t.overloaded(new ArrayBuffer(4)), 'arraybuffer:4');
  assert.equal(t.overloaded([1, 2]), 'sequence:2');
  assert.equal(t.overloaded(new Uint8Array(2)), 'sequence:2'); // not an ArrayBuffer, but iterable
  assert.equal(t.overloaded(() => 1), 'callback');
  assert.equal(t.overloaded({}), 'string:[object Object]');
  assert.equal(t.overloaded(1), 'string:1'); // (long, boolean) needs two arguments
  assert.equal(t.overloaded(null), 'string:null');
  assert.equal(t.overloaded(1, true), 'long:1:true');
  assert.equal(t.overloaded('1', 0), 'long:1:false');
  assert.equal(t.overloaded(1, true, 'ignored'), 'long:1:true');
  assert.throws(() => t.overloaded(), /1 argument required, but only 0 present/);
});

test('overloads by argument count', () => {
  const t = new FixtureTarget();
  assert.equal(t.byCount(), 'none');
  assert.throws(() => t.byCount('a'), /No function was found that matched the signature provided/);
  assert.equal(t.byCount('a', 'b'), 'two:a,b');
  assert.equal(t.byCount('a', 'b', 'c'), 'two:a,b');
});

test('optional, defaulted and variadic arguments', () => {
  const t = new FixtureTarget();
  assert.equal(t.countArgs(1), 'first=1 second=absent rest=[]');
  assert.equal(t.countArgs(1, undefined), 'first=1 second=absent rest=[]');
  assert.equal(t.countArgs(1, 2), 'first=1 second=2 rest=[]');
  assert.equal(t.countArgs(1, 2, 3, '4', 5.5), 'first=1 second=2 rest=[3,4,5]');
  assert.throws(() => t.countArgs(1, 2, 3, Symbol('x')), TypeError);
  assert.throws(() => t.countArgs(), /1 argument required, but only 0 present/);
  assert.equal(t.optionalArgs(), 'a=absent b=dflt c=absent');
  assert.equal(t.optionalArgs(undefined, undefined, undefined), 'a=absent b=dflt c=absent');
  assert.equal(t.optionalArgs(5, 'x', 'dark-blue'), 'a=5 b=x c=dark-blue');
  assert.equal(t.optionalArgs(undefined, null), 'a=absent b=null c=absent');
  assert.throws(() => t.optionalArgs(1, 'b', 'nope'), TypeError);
});

test('argument count errors are TypeErrors worded as Chromium words them', () => {
  const t = new FixtureTarget();
  assert.throws(() => t.echoLong(), {
    name: 'TypeError',
    message: "Failed to execute 'echoLong' on 'FixtureTarget': 1 argument required, but only 0 present.",
  });
  assert.throws(() => FixtureTarget.staticAdd(1), {
    name: 'TypeError',
    message: "Failed to execute 'staticAdd' on 'FixtureTarget': 2 arguments required, but only 1 present.",
  });
  assert.throws(() => new FixtureEvent(), /Failed to construct 'FixtureEvent': 1 argument required, but only 0 present./);
});

// ---------------------------------------------------------------------------
// Brand checks, constructors, property shapes.

test('a wrong receiver is an "Illegal invocation" TypeError', () => {
  const t = new FixtureTarget();
  const P = FixtureTarget.prototype;
  for (const receiver of [{}, null, undefined, 5, new FixtureThing(), new EventTarget(), Object.create(P)]) {
    assert.throws(() => P.echoLong.call(receiver, 1), { name: 'TypeError', message: 'Illegal invocation' });
  }
  assert.throws(() => P.value, /Illegal invocation/);
  assert.throws(() => Object.getOwnPropertyDescriptor(P, 'value').set.call({}, 1), /Illegal invocation/);
  assert.throws(() => Object.getOwnPropertyDescriptor(P, 'onfoo').get.call({}), /Illegal invocation/);
  assert.throws(() => Object.getOwnPropertyDescriptor(P, 'thing').get.call({}), /Illegal invocation/);
  assert.throws(() => P.toString.call({}), /Illegal invocation/);
  assert.throws(() => FixtureThing.prototype.toJSON.call(t), /Illegal invocation/);
  assert.throws(() => FixtureDerived.prototype.derivedOnly.call(t), /Illegal invocation/);
  assert.throws(() => Object.getOwnPropertyDescriptor(FixtureEvent.prototype, 'code').get.call(new Event('x')), /Illegal invocation/);
  const detached = P.echoLong;
  assert.throws(() => detached(1), /Illegal invocation/);
  // A derived object passes its parent's checks.
  const d = new FixtureDerived();
  assert.equal(P.echoLong.call(d, 3), 3);
  assert.equal(d.derivedOnly(), 'derived 100');
  assert.equal(d.value, 100);
});

test('interface objects: constructors need new; no constructor is Illegal constructor', () => {
  assert.throws(() => FixtureTarget(), TypeError);
  assert.throws(() => FixtureEvent('x'), TypeError);
  assert.throws(() => new FixtureReport(), { name: 'TypeError', message: 'Illegal constructor' });
  const t = new FixtureTarget();
  assert.throws(() => new t.echoLong(1), TypeError); // operations are no constructors
  assert.ok(t instanceof EventTarget);
  assert.ok(new FixtureDerived() instanceof FixtureTarget);
  assert.equal(Object.getPrototypeOf(FixtureTarget), EventTarget);
  assert.equal(Object.getPrototypeOf(FixtureDerived), FixtureTarget);
  assert.equal(Object.getPrototypeOf(FixtureEvent), Event);
  assert.equal(Object.getPrototypeOf(RTCError), DOMException);
  class Sub extends FixtureTarget {}
  const s = new Sub();
  assert.ok(s instanceof Sub);
  assert.equal(s.echoLong(2), 2);
});

test('length and name of interface objects and functions are WebIDL\'s', () => {
  const expect = [
    [FixtureTarget, 'FixtureTarget', 0], [FixtureThing, 'FixtureThing', 0], [FixtureDerived, 'FixtureDerived', 0],
    [FixtureReport, 'FixtureReport', 0], [FixtureEvent, 'FixtureEvent', 1], [RTCError, 'RTCError', 1],
  ];
  for (const [C, name, length] of expect) {
    assert.equal(C.name, name);
    assert.equal(C.length, length, `${name}.length`);
  }
  const P = FixtureTarget.prototype;
  const lengths = {
    echoLong: 1, overloaded: 1, byCount: 0, countArgs: 1, optionalArgs: 0, describeDict: 0, unionKind2: 0,
    fire: 1, rejectWith: 1, callReturning: 2,
  };
  for (const [name, length] of Object.entries(lengths)) {
    assert.equal(P[name].length, length, `${name}.length`);
    assert.equal(P[name].name, name);
  }
  assert.equal(FixtureTarget.staticAdd.length, 2);
  const desc = Object.getOwnPropertyDescriptor(P, 'value');
  assert.equal(desc.get.name, 'get value');
  assert.equal(desc.set.name, 'set value');
  assert.equal(desc.set.length, 1);
  assert.equal(FixtureReport.prototype.get.length, 1);
  assert.equal(FixtureReport.prototype.forEach.length, 1);
  assert.equal(FixtureReport.prototype.entries.length, 0);
});

test('property descriptors: operations and attributes enumerable, constants read-only, @@toStringTag', () => {
  const P = FixtureTarget.prototype;
  for (const name of ['echoLong', 'report', 'toString', 'overloaded']) {
    const d = Object.getOwnPropertyDescriptor(P, name);
    assert.deepEqual([d.writable, d.enumerable, d.configurable, typeof d.value], [true, true, true, 'function'], name);
  }
  for (const name of ['value', 'readonlyValue', 'onfoo', 'thing', 'label']) {
    const d = Object.getOwnPropertyDescriptor(P, name);
    assert.deepEqual([d.enumerable, d.configurable, typeof d.get], [true, true, 'function'], name);
  }
  assert.equal(Object.getOwnPropertyDescriptor(P, 'readonlyValue').set, undefined);
  const s = Object.getOwnPropertyDescriptor(FixtureTarget, 'staticAdd');
  assert.deepEqual([s.writable, s.enumerable, s.configurable], [true, true, true]);
  assert.equal(Object.getOwnPropertyDescriptor(FixtureTarget, 'staticValue').enumerable, true);
  for (const o of [FixtureTarget, P]) {
    assert.deepEqual(Object.getOwnPropertyDescriptor(o, 'ANSWER'), { value: 42, writable: false, enumerable: true, configurable: false });
  }
  assert.deepEqual(Object.getOwnPropertyDescriptor(FixtureTarget, 'prototype'), { value: P, writable: false, enumerable: false, configurable: false });
  assert.deepEqual(Object.getOwnPropertyDescriptor(P, Symbol.toStringTag), { value: 'FixtureTarget', writable: false, enumerable: false, configurable: true });
  assert.equal(Object.getOwnPropertyDescriptor(P, 'constructor').enumerable, false);
  assert.equal(Object.prototype.toString.call(new FixtureTarget()), '[object FixtureTarget]');
  assert.equal(Object.prototype.toString.call(new FixtureEvent('x')), '[object FixtureEvent]');
  assert.equal(Object.prototype.toString.call(P), '[object FixtureTarget]');
});

test('metadata records [Exposed] and [SecureContext]', () => {
  const meta = require(BINDINGS).metadata;
  assert.deepEqual(meta.FixtureTarget.exposed, ['Window', 'DedicatedWorker']);
  assert.equal(meta.FixtureTarget.secureContext, true);
  assert.equal(meta.FixtureThing.secureContext, false);
  assert.equal(meta.FixtureEvent.kind, 'js');
  assert.equal(meta.FixtureTarget.kind, 'native');
});

// ---------------------------------------------------------------------------
// Attributes.

test('attributes convert on set; enum setters ignore invalid values', () => {
  'use strict';
  const t = new FixtureTarget();
  t.value = '12';
  assert.equal(t.value, 12);
  t.value = 2 ** 32 + 5;
  assert.equal(t.value, 5);
  assert.equal(t.readonlyValue, 10);
  assert.throws(() => { t.readonlyValue = 1; }, TypeError); // strict mode: no setter
  t.enforced = 7;
  assert.equal(t.enforced, 7);
  assert.throws(() => { t.enforced = -1; }, /Failed to set the 'enforced' property on 'FixtureTarget'/);
  assert.throws(() => { t.enforced = NaN; }, TypeError);
  assert.equal(t.enforced, 7);
  t.color = 'dark-blue';
  assert.equal(t.color, 'dark-blue');
  t.color = 'nope'; // WebIDL: ignored, no exception
  assert.equal(t.color, 'dark-blue');
  assert.throws(() => { t.color = Symbol('s'); }, TypeError); // ToString throws
  assert.equal(t.maybeColor, null);
  t.maybeColor = 'red';
  assert.equal(t.maybeColor, 'red');
  t.maybeColor = 'bad';
  assert.equal(t.maybeColor, 'red');
  t.maybeColor = null;
  assert.equal(t.maybeColor, null);
  assert.throws(() => Object.getOwnPropertyDescriptor(FixtureTarget.prototype, 'value').set.call(t), /1 argument required/);
  FixtureTarget.staticValue = 9;
  assert.equal(FixtureTarget.staticValue, 9);
});

test('[SameObject] and wrapper identity: one JS object per C object', async () => {
  const t = new FixtureTarget();
  const thing = t.thing;
  assert.ok(thing instanceof FixtureThing);
  assert.equal(t.thing, thing);
  thing.expando = 1;
  await collect();
  assert.equal(t.thing.expando, 1);
  assert.equal(t.currentThing, t.currentThing);
  assert.equal(t.frozen, t.frozen);
  assert.ok(Object.isFrozen(t.frozen));
  assert.deepEqual(t.frozen, ['x', 'y']);
  assert.equal(t.echoNullableThing(thing), thing);
});

test('stringifier and [Default] toJSON', () => {
  const t = new FixtureTarget();
  assert.equal(String(t), 'fixture');
  t.label = 'named';
  assert.equal(`${t}`, 'named');
  const thing = new FixtureThing('n');
  assert.deepEqual(thing.toJSON(), { name: 'n', mixinValue: 'mixin of n' });
  assert.equal(JSON.stringify(thing), '{"name":"n","mixinValue":"mixin of n"}');
  assert.equal(new FixtureThing().name, 'thing');
});

test('any and object', () => {
  const t = new FixtureTarget();
  const sym = Symbol('s');
  const obj = {};
  const fn = () => {};
  assert.equal(t.echoAny(undefined), undefined);
  assert.equal(t.echoAny(null), null);
  assert.equal(t.echoAny(sym), sym);
  assert.equal(t.echoAny(obj), obj);
  assert.equal(t.echoObject(obj), obj);
  assert.equal(t.echoObject(fn), fn);
  for (const v of [1, 'x', null, undefined, sym]) assert.throws(() => t.echoObject(v), TypeError, show(v));
});

// ---------------------------------------------------------------------------
// Promises.

test('promise-returning operations reject instead of throwing, every check included', async () => {
  const t = new FixtureTarget();
  const P = FixtureTarget.prototype;
  const cases = [
    [() => P.promiseArgs.call({}, 1), TypeError, /Illegal invocation/],
    [() => t.promiseArgs(), TypeError, /1 argument required, but only 0 present/],
    [() => t.promiseArgs(256), TypeError, /outside the 'octet' value range/],
    [() => t.promiseArgs(NaN), TypeError, /not a finite number/],
    [() => t.resolveDict({}), TypeError, /Required member/],
    [() => t.readBlob('not a blob'), TypeError, /is not of type 'Blob'/],
    [() => t.promiseArgs(13), DOMException, /unlucky 13/],
  ];
  for (const [call, type, message] of cases) {
    let p;
    assert.doesNotThrow(() => { p = call(); });
    assert.ok(p instanceof Promise);
    await assert.rejects(p, (e) => e instanceof type && message.test(e.message));
  }
  assert.equal(await t.promiseArgs(21), 42);
});

test('promises resolve later, with converted values, in order', async () => {
  const t = new FixtureTarget();
  const order = [];
  const a = t.resolveLater('a').then((v) => order.push(v));
  const b = t.resolveLater('b\uD800').then((v) => order.push(v));
  await new Promise((resolve) => setImmediate(resolve));
  assert.deepEqual(order, []);
  assert.equal(t.flushPromises(), 2);
  await Promise.all([a, b]);
  assert.deepEqual(order, ['a', 'b\uD800']);
  const d = await t.resolveDict({ name: 'n', port: 1 });
  assert.equal(d.port, 1);
  assert.equal(d.flag, true);
  const thing = await t.newThing('fresh');
  assert.ok(thing instanceof FixtureThing);
  assert.equal(thing.name, 'fresh');
});

test('rejections carry the rtc_error table\'s error: TypeError, RangeError, DOMException, RTCError', async () => {
  const t = new FixtureTarget();
  const cases = [
    [-2, TypeError, 'TypeError'],
    [-3, RangeError, 'RangeError'],
    [-10, DOMException, 'InvalidStateError'],
    [-11, DOMException, 'InvalidAccessError'],
    [-13, DOMException, 'NotSupportedError'],
    [-14, DOMException, 'SyntaxError'],
    [-15, DOMException, 'NotFoundError'],
    [-18, DOMException, 'AbortError'],
    [-1, DOMException, 'OperationError'],
    [-999, DOMException, 'OperationError'],
  ];
  for (const [code, type, name] of cases) {
    await assert.rejects(t.rejectWith(code), (e) => {
      assert.equal(e.constructor, type, `code ${code}`);
      assert.equal(e.name, name);
      assert.match(e.message, new RegExp(`rejected with ${code}`));
      return true;
    });
  }
  await assert.rejects(t.rejectWith(-44, 17), (e) => {
    assert.ok(e instanceof RTCError);
    assert.ok(e instanceof DOMException);
    assert.equal(e.name, 'OperationError');
    assert.equal(e.code, 0);
    assert.equal(e.errorDetail, 'sdp-syntax-error');
    assert.equal(e.sdpLineNumber, 17);
    assert.equal(e.sctpCauseCode, null);
    return true;
  });
  await assert.rejects(t.rejectWith(-41), (e) => e instanceof RTCError && e.errorDetail === 'dtls-failure' && e.sdpLineNumber === null);
});

test('errors thrown by the implementation use the same mapping, with the call\'s prefix', () => {
  const t = new FixtureTarget();
  assert.throws(() => t.throwError(-10), (e) => e.constructor === DOMException && e.name === 'InvalidStateError' &&
    e.message === "Failed to execute 'throwError' on 'FixtureTarget': fixture error -10");
  assert.throws(() => t.throwError(-2), TypeError);
  assert.throws(() => t.throwError(-3), RangeError);
  assert.throws(() => t.throwRTCError(-44, 5), (e) => e instanceof RTCError && e.sdpLineNumber === 5 && e.errorDetail === 'sdp-syntax-error');
});

test('RTCError is constructible from JS as a DOMException subclass', () => {
  const e = new RTCError({ errorDetail: 'sctp-failure', sctpCauseCode: 3 }, 'boom');
  assert.equal(e.name, 'OperationError');
  assert.equal(e.message, 'boom');
  assert.equal(e.errorDetail, 'sctp-failure');
  assert.equal(e.sctpCauseCode, 3);
  assert.equal(e.sdpLineNumber, null);
  assert.equal(new RTCError({ errorDetail: 'dtls-failure' }).message, '');
  assert.throws(() => new RTCError({ errorDetail: 'nope' }), TypeError);
  assert.throws(() => new RTCError({}), TypeError);
});

test('pending and dropped promises are tracked by the runtime', async () => {
  const t = new FixtureTarget();
  const before = FixtureTarget.pendingPromises();
  t.resolveLater('x');
  assert.equal(FixtureTarget.pendingPromises(), before + 1);
  t.dropPromise();
  assert.equal(FixtureTarget.pendingPromises(), before + 1);
  t.flushPromises();
  assert.equal(FixtureTarget.pendingPromises(), before);
});

test('maplike: entries, keys, values, get, has, forEach, size, @@iterator', async () => {
  const t = new FixtureTarget();
  const r = await t.report();
  assert.ok(r instanceof FixtureReport);
  assert.equal(r.size, 2);
  assert.deepEqual([...r.keys()], ['first', 'second']);
  assert.deepEqual([...r.values()].map((v) => v.label), ['first', 'second']);
  assert.deepEqual(r.get('second'), { big: 2, label: 'second' });
  assert.equal(r.get('missing'), undefined);
  assert.equal(r.has('first'), true);
  assert.equal(r.has({ toString: () => 'first' }), true);
  assert.equal(r.has('x'), false);
  assert.equal(r[Symbol.iterator], r.entries);
  assert.deepEqual([...r].map(([k]) => k), ['first', 'second']);
  const seen = [];
  const thisArg = {};
  r.forEach(function each(value, key, map) {
    seen.push([key, value.big, map === r, this === thisArg]);
  }, thisArg);
  assert.deepEqual(seen, [['first', 1, true, true], ['second', 2, true, true]]);
  assert.equal(r.get('first'), r.get('first')); // read once: the same object
  assert.throws(() => r.get(), /1 argument required/);
  assert.throws(() => r.forEach(5), TypeError);
  assert.throws(() => FixtureReport.prototype.get.call({}, 'first'), /Illegal invocation/);
  assert.throws(() => FixtureReport.prototype.size, /Illegal invocation/);
  assert.throws(() => r.get(Symbol('s')), TypeError);
  for (const name of ['entries', 'keys', 'values', 'forEach', 'get', 'has']) {
    assert.equal(Object.getOwnPropertyDescriptor(FixtureReport.prototype, name).enumerable, true, name);
  }
  assert.equal(Object.getOwnPropertyDescriptor(FixtureReport.prototype, Symbol.iterator).enumerable, false);
});

// ---------------------------------------------------------------------------
// Callbacks and Blobs.

test('callback functions and callback interfaces are called later from C', () => {
  const t = new FixtureTarget();
  const calls = [];
  t.storeCallback(function stored(value, count) {
    calls.push([value, count, this]);
  });
  assert.equal(t.callStored('v\uD800', 3), 1);
  assert.deepEqual(calls, [['v\uD800', 3, undefined]]);
  assert.throws(() => t.storeCallback(5), /is not a function/);
  assert.throws(() => t.storeCallback({}), TypeError);
  assert.equal(t.callReturning((x) => x + 1, 41), 42);
  assert.equal(t.callReturning(() => '7.9', 0), 7);
  const listener = {
    seen: [],
    handle(what) {
      this.seen.push([what, this === listener]);
    },
  };
  t.callListener(listener, 'w');
  assert.deepEqual(listener.seen, [['w', true]]);
  let called = null;
  t.callListener((what) => { called = what; }, 'fn');
  assert.equal(called, 'fn');
  assert.throws(() => t.callListener(5, 'x'), TypeError);
});

test('an exception thrown by a callback is reported, as an uncaught exception', () => {
  const script = `
    const os = require('os');
    const m = { exports: {} };
    process.dlopen(m, ${JSON.stringify(ADDON)}, ${DLOPEN_FLAGS});
    const B = require(${JSON.stringify(BINDINGS)})(m.exports);
    const reported = [];
    process.on('uncaughtException', (e) => reported.push(e.message));
    const t = new B.FixtureTarget();
    t.storeCallback(() => { throw new Error('from the callback'); });
    let thrown = null;
    try { t.callStored('x', 1); } catch (e) { thrown = e.name; }
    try { t.callListener({}, 'x'); } catch (e) { thrown += ',' + e.name; }
    console.log(JSON.stringify({ reported, thrown }));
  `;
  const r = runNode(['-e', script]);
  assert.equal(r.status, 0, r.stderr);
  const out = JSON.parse(r.stdout.trim().split('\n').pop());
  assert.equal(out.reported.length, 2);
  assert.equal(out.reported[0], 'from the callback');
  assert.match(out.reported[1], /'handle' is not a function/);
  assert.equal(out.thrown, 'OperationError,OperationError');
});

test('a Blob is read asynchronously; its size is known at once', async () => {
  const t = new FixtureTarget();
  assert.equal(await t.readBlob(new Blob(['hello ', 'blob'])), 'hello blob');
  assert.equal(await t.readBlob(new Blob([])), '');
  const bytes = new Uint8Array(100000).fill(65);
  assert.equal((await t.readBlob(new Blob([bytes]))).length, 100000);
  assert.equal(t.overloaded(new Blob(['12345'])), 'blob:5');
});

// ---------------------------------------------------------------------------
// Events.

test('events fired from C are dispatched with their class and init members', () => {
  const t = new FixtureTarget();
  const seen = [];
  t.addEventListener('plain', (e) => seen.push(['plain', e.constructor, e.type, e.cancelable, e.target === t]));
  t.addEventListener('rich', (e) => seen.push(['rich', e.constructor, e.detail, e.code, e.thing, e.things, e.bubbles]));
  t.fire('plain');
  const thing = new FixtureThing('in event');
  t.fireFixtureEvent('rich', { detail: 'd', code: 7, thing, things: [thing], bubbles: true });
  assert.deepEqual(seen[0], ['plain', Event, 'plain', false, true]);
  const [, cls, detail, code, thingSeen, things, bubbles] = seen[1];
  assert.equal(cls, FixtureEvent);
  assert.equal(detail, 'd');
  assert.equal(code, 7);
  assert.equal(thingSeen, thing);
  assert.deepEqual(things, [thing]);
  assert.ok(Object.isFrozen(things));
  assert.equal(bubbles, true);
  let defaults = null;
  t.addEventListener('empty', (e) => { defaults = [e.thing, e.detail, e.code, e.things.length]; });
  t.fireFixtureEvent('empty');
  assert.deepEqual(defaults, [null, '', 0, 0]);
});

test('FixtureEvent from JS: converted init members, defaults, [SameObject] FrozenArray', () => {
  const thing = new FixtureThing();
  const e = new FixtureEvent('x', { code: '5', bubbles: 1, things: new Set([thing]) });
  assert.ok(e instanceof Event);
  assert.equal(e.type, 'x');
  assert.equal(e.code, 5);
  assert.equal(e.bubbles, true);
  assert.equal(e.cancelable, false);
  assert.equal(e.thing, null);
  assert.equal(e.detail, '');
  assert.equal(e.things, e.things);
  assert.deepEqual(e.things, [thing]);
  assert.ok(Object.isFrozen(e.things));
  assert.equal(new FixtureEvent(5).type, '5');
  assert.throws(() => new FixtureEvent('x', { thing: {} }), TypeError);
  assert.throws(() => new FixtureEvent('x', { code: 1n }), TypeError);
  assert.throws(() => new FixtureEvent('x', 5), TypeError);
});

test('on<event> handlers keep their place among listeners, null removes them', () => {
  const t = new FixtureTarget();
  const order = [];
  t.addEventListener('foo', () => order.push('A'));
  t.onfoo = () => order.push('H1');
  t.addEventListener('foo', () => order.push('B'));
  t.fire('foo');
  assert.deepEqual(order.splice(0), ['A', 'H1', 'B']);
  t.onfoo = () => order.push('H2');
  t.fire('foo');
  assert.deepEqual(order.splice(0), ['A', 'H2', 'B']);
  t.onfoo = null;
  assert.equal(t.onfoo, null);
  t.fire('foo');
  assert.deepEqual(order.splice(0), ['A', 'B']);
  const h3 = () => order.push('H3');
  t.onfoo = h3;
  assert.equal(t.onfoo, h3);
  t.fire('foo');
  assert.deepEqual(order.splice(0), ['A', 'B', 'H3']);
  t.onfoo = 5; // not an object: null
  assert.equal(t.onfoo, null);
  const notCallable = {};
  t.onfoo = notCallable;
  assert.equal(t.onfoo, notCallable);
  t.fire('foo');
  assert.deepEqual(order.splice(0), ['A', 'B']);
  assert.equal(t.onbar, null);
});

test('an on<event> handler runs with this = the target, and false cancels the event', () => {
  const t = new FixtureTarget();
  let self = null;
  let prevented = null;
  t.onfoo = function handler() {
    self = this;
    return false;
  };
  t.addEventListener('foo', (e) => { prevented = e.defaultPrevented; });
  t.fire('foo', true);
  assert.equal(self, t);
  assert.equal(prevented, true);
  t.fire('foo', false);
  assert.equal(prevented, false);
});

// ---------------------------------------------------------------------------
// Lifetime.

test('collected objects are finalized and their C memory freed', async () => {
  await collect();
  const allocations = FixtureTarget.liveAllocations();
  const finalized = FixtureTarget.finalizedCount();
  (() => {
    for (let i = 0; i < 50; i++) {
      const t = new FixtureTarget();
      t.label = `t${i}`;
      t.storeCallback(() => {});
      void t.currentThing;
      void new FixtureThing(`thing ${i}`);
    }
  })();
  await collect();
  // 50 targets, each with its thing and currentThing, and 50 things.
  assert.equal(FixtureTarget.finalizedCount() - finalized, 200);
  assert.equal(FixtureTarget.liveAllocations(), allocations);
});

test('an allocation failing anywhere in a call throws (or rejects) and leaks nothing', async () => {
  const t = new FixtureTarget();
  // What t keeps (its things and their JS objects, a stored callback),
  // before the baseline.
  void t.thing;
  void t.currentThing;
  t.storeCallback(() => {});
  await collect();
  const allocations = FixtureTarget.liveAllocations();
  const big = { name: 'n', inners: [{}, { label: 'x' }], counts: { a: 1, b: 2 }, urls: ['u', 'v'], notify() {} };
  const operations = [
    () => new FixtureTarget(),
    () => new FixtureDerived(),
    () => t.echoDict(big),
    () => t.echoRecord({ a: 1, b: 2, c: 3 }),
    () => t.echoLongs(Array.from({ length: 300 }, (_, i) => i)),
    () => t.bufferInfo(new Uint8Array(100)),
    () => t.echoDOMString('x'.repeat(5000)),
    () => t.currentThing,
    () => t.newThing('fresh'),
    () => t.report().then((r) => r.size),
    () => { t.resolveLater('x').catch(() => {}); }, // settles at flushPromises()
    () => { t.label = 'label'; },
    () => t.storeCallback(() => {}),
    () => t.fireFixtureEvent('x', { things: [t.thing] }),
  ];
  const outcomes = new Set();
  for (const op of operations) {
    for (let n = 1; n <= 12; n++) {
      FixtureTarget.failAllocation(n);
      try {
        await op();
        outcomes.add('ok');
      } catch (e) {
        assert.ok(e instanceof DOMException || e instanceof TypeError, String(e));
        outcomes.add(e.name);
      } finally {
        FixtureTarget.failAllocation(0);
      }
    }
  }
  assert.ok(outcomes.has('OperationError'), [...outcomes].join());
  t.flushPromises();
  t.storeCallback(() => {});
  await collect();
  assert.equal(FixtureTarget.liveAllocations() - allocations, 0);
});

test('a strong wrapper is not collected until it is made weak again', async () => {
  let ref;
  (() => {
    const t = new FixtureTarget();
    t.setStrong(true);
    ref = new WeakRef(t);
  })();
  await collect();
  assert.ok(ref.deref() instanceof FixtureTarget);
  ref.deref().setStrong(false);
  await collect();
  assert.equal(ref.deref(), undefined);
});

test('the addon works in worker threads, and an env teardown frees everything', async () => {
  await collect();
  const allocations = FixtureTarget.liveAllocations();
  const script = `
    const { parentPort } = require('node:worker_threads');
    const m = { exports: {} };
    process.dlopen(m, ${JSON.stringify(ADDON)}, ${DLOPEN_FLAGS});
    const B = require(${JSON.stringify(BINDINGS)})(m.exports);
    const t = new B.FixtureTarget();
    t.setStrong(true);                     // strong at teardown
    t.storeCallback(() => {});             // a callback held by C
    t.resolveLater('never flushed');       // a pending promise C holds
    t.neverSettle();                       // a promise C forgot
    t.readBlob(new Blob(['x'.repeat(1000)])); // a read maybe pending
    const things = [t.thing, t.currentThing, new B.FixtureThing('w')];
    t.onfoo = () => {};
    t.fireFixtureEvent('foo', { things });
    parentPort.postMessage({ value: t.convertUnsignedLongLong(-1), pending: B.FixtureTarget.pendingPromises() });
  `;
  const worker = new Worker(script, { eval: true });
  // Listened for from the start: the worker may end right after its message.
  const exited = new Promise((resolve) => worker.once('exit', resolve));
  const message = await new Promise((resolve, reject) => {
    worker.once('message', resolve);
    worker.once('error', reject);
  });
  assert.deepEqual(message, { value: '18446744073709551615', pending: 3 });
  await exited;
  await collect();
  assert.equal(FixtureTarget.liveAllocations(), allocations);
});

test('a worker terminated while busy tears down cleanly', async () => {
  await collect();
  const allocations = FixtureTarget.liveAllocations();
  const script = `
    const { parentPort } = require('node:worker_threads');
    const m = { exports: {} };
    process.dlopen(m, ${JSON.stringify(ADDON)}, ${DLOPEN_FLAGS});
    const B = require(${JSON.stringify(BINDINGS)})(m.exports);
    const keep = [];
    for (let i = 0; i < 20; i++) {
      const t = new B.FixtureTarget();
      t.setStrong(i % 2 === 0);
      t.resolveLater('x');
      t.neverSettle();
      keep.push(t, t.currentThing);
    }
    parentPort.postMessage('ready');
    setInterval(() => keep.push(new B.FixtureThing()), 1);
  `;
  const worker = new Worker(script, { eval: true });
  await new Promise((resolve) => worker.once('message', resolve));
  await worker.terminate();
  await collect();
  assert.equal(FixtureTarget.liveAllocations(), allocations);
});
