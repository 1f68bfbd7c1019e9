'use strict';
// The type model of the generator: WebIDL types (after typedef resolution)
// as plain objects, with their C representation, their TypeScript
// spelling and the WebIDL type relations the glue needs (flattening,
// distinguishability, JSON types).
//
// A Type is { kind, nullable, idl, ... } where kind is one of
//   undefined any object boolean int float string enum interface
//   dictionary callback sequence frozen record promise union buffer
// and the kind-specific fields are:
//   int:        bits, signed, enforce, clamp, name ("unsigned short")
//   float:      single, unrestricted
//   string:     skind ("DOMString" | "USVString" | "ByteString"), nullToEmpty
//   enum, interface, dictionary, callback: name, def (the model's definition)
//   sequence, frozen, promise: inner
//   record:     key (a string Type), value
//   union:      members (Types, unflattened), alias (typedef name or null)
//   buffer:     mask (RTCBOX_BUFFER_* bits), names (IDL names accepted)
// plus `alias`: the typedef name the type was written as, if any.

const INT_TYPES = {
  byte: { bits: 8, signed: true, c: 'int8_t', id: 'int8' },
  octet: { bits: 8, signed: false, c: 'uint8_t', id: 'uint8' },
  short: { bits: 16, signed: true, c: 'int16_t', id: 'int16' },
  'unsigned short': { bits: 16, signed: false, c: 'uint16_t', id: 'uint16' },
  long: { bits: 32, signed: true, c: 'int32_t', id: 'int32' },
  'unsigned long': { bits: 32, signed: false, c: 'uint32_t', id: 'uint32' },
  'long long': { bits: 64, signed: true, c: 'int64_t', id: 'int64' },
  'unsigned long long': { bits: 64, signed: false, c: 'uint64_t', id: 'uint64' },
};

const FLOAT_TYPES = {
  float: { single: true, unrestricted: false },
  'unrestricted float': { single: true, unrestricted: true },
  double: { single: false, unrestricted: false },
  'unrestricted double': { single: false, unrestricted: true },
};

// Buffer source types: their RTCBOX_BUFFER_* bit (api/js/runtime/runtime.h).
const BUFFER_BITS = {
  ArrayBuffer: 1 << 0,
  DataView: 1 << 1,
  Int8Array: 1 << 2,
  Uint8Array: 1 << 3,
  Uint8ClampedArray: 1 << 4,
  Int16Array: 1 << 5,
  Uint16Array: 1 << 6,
  Int32Array: 1 << 7,
  Uint32Array: 1 << 8,
  Float16Array: 1 << 9,
  Float32Array: 1 << 10,
  Float64Array: 1 << 11,
  BigInt64Array: 1 << 12,
  BigUint64Array: 1 << 13,
  SharedArrayBuffer: 1 << 15,
};
const BUFFER_SHARED = 1 << 14;

// Extended attributes that annotate a type (WebIDL §3.3); on an argument,
// attribute or dictionary member they apply to its type.
const TYPE_ANNOTATIONS = new Set([
  'EnforceRange',
  'Clamp',
  'AllowShared',
  'AllowResizable',
  'LegacyNullToEmptyString',
]);

// C keywords (and names C headers take) that IDL identifiers may collide
// with; such identifiers get a trailing underscore in C.
const C_RESERVED = new Set(
  ('auto break case char const continue default do double else enum extern ' +
    'float for goto if inline int long register restrict return short signed ' +
    'sizeof static struct switch typedef union unsigned void volatile while ' +
    'bool true false NULL _Bool _Complex _Imaginary errno').split(' '),
);

function cIdent(name) {
  const s = name.replace(/[^A-Za-z0-9_]/g, '_');
  return C_RESERVED.has(s) ? `${s}_` : s;
}

class GeneratorError extends Error {}

function fail(message) {
  throw new GeneratorError(message);
}

function annotationsOf(extAttrs) {
  const out = new Set();
  for (const ea of extAttrs || []) if (TYPE_ANNOTATIONS.has(ea.name)) out.add(ea.name);
  return out;
}

// Resolves a webidl2 idlType into a Type. `annotations`: a Set of
// annotation names from the member carrying the type.
function resolveType(model, idlType, annotations = new Set(), where = '') {
  const ann = new Set([...annotations, ...annotationsOf(idlType.extAttrs)]);
  let t;
  if (idlType.union) {
    const members = idlType.idlType.map((m) => resolveType(model, m, new Set(), where));
    t = makeUnion(members, null);
  } else if (idlType.generic) {
    const subs = idlType.idlType;
    switch (idlType.generic) {
      case 'sequence':
        t = { kind: 'sequence', inner: resolveType(model, subs[0], new Set(), where) };
        break;
      case 'FrozenArray':
        t = { kind: 'frozen', inner: resolveType(model, subs[0], new Set(), where) };
        break;
      case 'record': {
        const key = resolveType(model, subs[0], new Set(), where);
        if (key.kind !== 'string') fail(`${where}: record keys must be string types`);
        t = { kind: 'record', key, value: resolveType(model, subs[1], new Set(), where) };
        break;
      }
      case 'Promise':
        t = { kind: 'promise', inner: resolveType(model, subs[0], new Set(), where) };
        break;
      default:
        fail(`${where}: unsupported generic type ${idlType.generic}<...>`);
    }
  } else {
    t = resolveNamed(model, idlType.idlType, ann, where);
  }
  t = { ...t };
  if (idlType.nullable) {
    if (t.nullable) fail(`${where}: nullable of a nullable type`);
    t.nullable = true;
  }
  applyAnnotations(t, ann, where);
  t.idl = typeText(t);
  return t;
}

function makeUnion(members, alias) {
  // Buffer members merge into one buffer member; a union of buffers only
  // is a buffer type (BufferSource, ArrayBufferView).
  const flat = flattenMembers(members);
  const nullable = flat.some((m) => m.nullable) || members.some((m) => m.nullable);
  const buffers = flat.filter((m) => m.kind === 'buffer');
  const others = flat.filter((m) => m.kind !== 'buffer');
  if (buffers.length && others.length === 0) {
    const mask = buffers.reduce((a, b) => a | b.mask, 0);
    const names = [...new Set(buffers.flatMap((b) => b.names))];
    return { kind: 'buffer', mask, names, nullable, alias };
  }
  let outMembers = members.map((m) => ({ ...m, nullable: false }));
  if (buffers.length > 1) {
    const mask = buffers.reduce((a, b) => a | b.mask, 0);
    const names = [...new Set(buffers.flatMap((b) => b.names))];
    const merged = { kind: 'buffer', mask, names, nullable: false };
    merged.idl = typeText(merged);
    outMembers = [...others.map((m) => ({ ...m, nullable: false })), merged];
  }
  return { kind: 'union', members: outMembers, alias, nullable };
}

function resolveNamed(model, name, ann, where) {
  if (name === 'undefined' || name === 'void') return { kind: 'undefined' };
  if (name === 'any') return { kind: 'any' };
  if (name === 'object') return { kind: 'object' };
  if (name === 'boolean') return { kind: 'boolean' };
  if (name === 'bigint') fail(`${where}: bigint is not supported`);
  if (name === 'symbol') fail(`${where}: symbol is not supported`);
  if (INT_TYPES[name]) {
    const i = INT_TYPES[name];
    return { kind: 'int', bits: i.bits, signed: i.signed, name };
  }
  if (FLOAT_TYPES[name]) return { kind: 'float', ...FLOAT_TYPES[name] };
  if (name === 'DOMString' || name === 'USVString' || name === 'ByteString')
    return { kind: 'string', skind: name };
  if (BUFFER_BITS[name] !== undefined && !model.lookup(name))
    return { kind: 'buffer', mask: BUFFER_BITS[name], names: [name] };
  const def = model.lookup(name);
  if (!def) fail(`${where}: unknown type ${name}`);
  switch (def.type) {
    case 'typedef': {
      const inner = model.typedefType(def);
      const t = { ...inner, alias: name };
      if (t.kind === 'union' || t.kind === 'buffer') t.alias = name;
      return t;
    }
    case 'enum':
      return { kind: 'enum', name, def };
    case 'interface':
      return { kind: 'interface', name, def };
    case 'dictionary':
      return { kind: 'dictionary', name, def };
    case 'callback':
      return { kind: 'callback', name, def, isInterface: false };
    case 'callback interface':
      return { kind: 'callback', name, def, isInterface: true };
    default:
      fail(`${where}: ${name} is a ${def.type}, not a type`);
  }
  return null;
}

function applyAnnotations(t, ann, where) {
  if (ann.has('EnforceRange') || ann.has('Clamp')) {
    if (t.kind !== 'int') {
      // Annotations on a union apply to its integer members (WebIDL does
      // not allow that; be strict).
      fail(`${where}: [EnforceRange]/[Clamp] on a non-integer type`);
    }
    if (ann.has('EnforceRange') && ann.has('Clamp'))
      fail(`${where}: [EnforceRange] and [Clamp] together`);
    t.enforce = ann.has('EnforceRange');
    t.clamp = ann.has('Clamp');
  }
  if (ann.has('AllowShared')) {
    if (t.kind !== 'buffer') fail(`${where}: [AllowShared] on a non-buffer type`);
    t.mask |= BUFFER_SHARED;
  }
  if (ann.has('AllowResizable')) fail(`${where}: [AllowResizable] is not supported`);
  if (ann.has('LegacyNullToEmptyString')) {
    if (t.kind !== 'string') fail(`${where}: [LegacyNullToEmptyString] on a non-string`);
    t.nullToEmpty = true;
  }
}

// WebIDL §2.13.28 flattened member types (nullable stripped).
function flattenMembers(members) {
  const out = [];
  for (const m of members) {
    if (m.kind === 'union') out.push(...flattenMembers(m.members));
    else out.push({ ...m, nullable: false });
  }
  return out;
}

function flattened(t) {
  if (t.kind === 'union') return flattenMembers(t.members);
  return [{ ...t, nullable: false }];
}

// Does the type include a nullable type or a dictionary (WebIDL's
// "includes a nullable type")?
function includesNullable(t) {
  if (t.nullable) return true;
  if (t.kind === 'union') return t.members.some(includesNullable);
  return false;
}

function typeText(t) {
  let s;
  switch (t.kind) {
    case 'int':
      s = t.name;
      break;
    case 'float':
      s = `${t.unrestricted ? 'unrestricted ' : ''}${t.single ? 'float' : 'double'}`;
      break;
    case 'string':
      s = t.skind;
      break;
    case 'enum':
    case 'interface':
    case 'dictionary':
    case 'callback':
      s = t.name;
      break;
    case 'sequence':
      s = `sequence<${t.inner.idl}>`;
      break;
    case 'frozen':
      s = `FrozenArray<${t.inner.idl}>`;
      break;
    case 'promise':
      s = `Promise<${t.inner.idl}>`;
      break;
    case 'record':
      s = `record<${t.key.idl}, ${t.value.idl}>`;
      break;
    case 'union':
      s = t.alias || `(${t.members.map((m) => m.idl).join(' or ')})`;
      break;
    case 'buffer':
      s = t.alias || (t.names.length === 1 ? t.names[0] : `(${t.names.join(' or ')})`);
      break;
    default:
      s = t.kind;
  }
  if (t.enforce) s = `[EnforceRange] ${s}`;
  if (t.clamp) s = `[Clamp] ${s}`;
  return t.nullable ? `${s}?` : s;
}

// ---------------------------------------------------------------------------
// C representation

// Kinds whose C value is a pointer or a struct with a null state of its
// own: their nullable type has the same C type (NULL / data NULL is null).
function pointerLike(t) {
  switch (t.kind) {
    case 'any':
    case 'object':
    case 'callback':
    case 'string':
    case 'buffer':
      return true;
    case 'interface':
      return true;
    default:
      return false;
  }
}

function isNativeInterface(t) {
  return t.kind === 'interface' && t.def.kind === 'native';
}

function isBlob(t) {
  return t.kind === 'interface' && t.def.kind === 'host' && t.name === 'Blob';
}

// The identifier fragment naming t's C representation.
function cid(t) {
  const base = cidBase(t);
  if (t.nullable && !pointerLike(t)) return `nullable_${base}`;
  return base;
}

function cidBase(t) {
  switch (t.kind) {
    case 'boolean':
      return 'boolean';
    case 'int':
      return INT_TYPES[t.name].id;
    case 'float':
      return t.single ? 'float' : 'double';
    case 'string':
      return 'string';
    case 'enum':
    case 'dictionary':
      return t.name;
    case 'interface':
      if (isNativeInterface(t)) return t.name;
      if (isBlob(t)) return 'Blob';
      return 'value';
    case 'callback':
      return 'callback';
    case 'any':
    case 'object':
      return 'value';
    case 'buffer':
      return 'bytes';
    case 'sequence':
    case 'frozen':
      return `seq_${cid(t.inner)}`;
    case 'record':
      return `record_${cid(t.value)}`;
    case 'union':
      return unionId(t);
    default:
      fail(`no C representation for ${t.idl}`);
  }
  return null;
}

function unionId(t) {
  if (t.alias) return cIdent(t.alias);
  return t.members.map(unionMemberName).join('_or_');
}

// A union member's field name (and tag suffix) in the union's C struct.
function unionMemberName(m) {
  if (m.kind === 'interface') return m.name;
  if (m.kind === 'callback') return m.name;
  return cid({ ...m, nullable: false });
}

// The C type of a value of t.
function ctype(t) {
  if (t.nullable && !pointerLike(t)) return `rtcbox_${cid(t)}`;
  switch (t.kind) {
    case 'undefined':
      return 'void';
    case 'boolean':
      return 'bool';
    case 'int':
      return INT_TYPES[t.name].c;
    case 'float':
      return t.single ? 'float' : 'double';
    case 'string':
      return 'rtcbox_string';
    case 'buffer':
      return 'rtcbox_bytes';
    case 'any':
    case 'object':
      return 'napi_value';
    case 'callback':
      return 'rtcbox_callback*';
    case 'interface':
      if (isNativeInterface(t)) return `rtcbox_${t.name}*`;
      if (isBlob(t)) return 'rtcbox_blob*';
      return 'napi_value';
    case 'enum':
    case 'dictionary':
      return `rtcbox_${t.name}`;
    case 'sequence':
    case 'frozen':
    case 'record':
    case 'union':
      return `rtcbox_${cid(t)}`;
    default:
      fail(`no C type for ${t.idl}`);
  }
  return null;
}

// Values passed to implementation functions by const pointer (big
// structs); everything else is passed by value.
function byPointer(t) {
  if (t.nullable && !pointerLike(t)) return t.kind === 'dictionary' || t.kind === 'union';
  return t.kind === 'dictionary' || t.kind === 'union';
}

// The parameter declaration of an implementation function for a value
// of t named `name`.
function cparam(t, name) {
  const c = ctype(t);
  return byPointer(t) ? `const ${c}* ${name}` : `${c} ${name}`;
}

// A unique key for the conversion functions of t (semantic: includes
// annotations and nullability).
function convKey(t) {
  let k;
  switch (t.kind) {
    case 'int':
      k = INT_TYPES[t.name].id + (t.enforce ? '_enforce' : '') + (t.clamp ? '_clamp' : '');
      break;
    case 'float':
      k = (t.unrestricted ? 'u' : '') + (t.single ? 'float' : 'double');
      break;
    case 'string':
      k = t.skind + (t.nullToEmpty ? '_ntes' : '');
      break;
    case 'buffer':
      k = `bytes_${t.mask.toString(16)}`;
      break;
    case 'sequence':
      k = `seq_${convKey(t.inner)}`;
      break;
    case 'frozen':
      k = `frozen_${convKey(t.inner)}`;
      break;
    case 'record':
      k = `record_${convKey(t.key)}_${convKey(t.value)}`;
      break;
    case 'union':
      k = t.alias ? cIdent(t.alias) : t.members.map(convKey).join('_or_');
      break;
    case 'promise':
      k = `promise_${convKey(t.inner)}`;
      break;
    case 'enum':
    case 'interface':
    case 'dictionary':
    case 'callback':
      k = t.name;
      break;
    default:
      k = t.kind;
  }
  return t.nullable ? `nullable_${k}` : k;
}

// ---------------------------------------------------------------------------
// Categories (WebIDL §2.5.8 overload resolution, §3.2.24 unions)

function isNumeric(t) {
  return t.kind === 'int' || t.kind === 'float';
}

function isStringLike(t) {
  return t.kind === 'string' || t.kind === 'enum';
}

function isDictionaryLike(t) {
  return t.kind === 'dictionary' || t.kind === 'record' || (t.kind === 'callback' && t.isInterface);
}

function isSequenceLike(t) {
  return t.kind === 'sequence' || t.kind === 'frozen';
}

function isCallbackFunction(t) {
  return t.kind === 'callback' && !t.isInterface;
}

function isInterfaceLike(t) {
  return t.kind === 'interface';
}

function category(t) {
  if (t.kind === 'undefined') return 'undefined';
  if (t.kind === 'boolean') return 'boolean';
  if (isNumeric(t)) return 'numeric';
  if (isStringLike(t)) return 'string';
  if (t.kind === 'object') return 'object';
  if (isInterfaceLike(t)) return 'interface';
  if (isCallbackFunction(t)) return 'callback';
  if (isDictionaryLike(t)) return 'dictionary';
  if (isSequenceLike(t)) return 'sequence';
  if (t.kind === 'buffer') return 'buffer';
  if (t.kind === 'any') return 'any';
  return t.kind;
}

function interfaceAncestors(def) {
  const out = [];
  for (let d = def; d; d = d.parentDef) out.push(d.name);
  return out;
}

// WebIDL §2.5.4.x: are two types distinguishable?
function distinguishable(a, b) {
  // 1. "If one type includes a nullable type and the other type either
  // includes a nullable type, is a union type with flattened member types
  // including a dictionary type, or is a dictionary type, return false."
  const hasDict = (t) => flattened(t).some((m) => m.kind === 'dictionary');
  if ((includesNullable(a) && (includesNullable(b) || hasDict(b))) ||
      (includesNullable(b) && (includesNullable(a) || hasDict(a))))
    return false;
  const fa = flattened(a);
  const fb = flattened(b);
  if (fa.length > 1 || fb.length > 1) {
    for (const x of fa) for (const y of fb) if (!distinguishable(x, y)) return false;
    return true;
  }
  const x = fa[0];
  const y = fb[0];
  const cx = category(x);
  const cy = category(y);
  if (cx === 'any' || cy === 'any') return false;
  if (cx === 'undefined' || cy === 'undefined') {
    const other = cx === 'undefined' ? y : x;
    return !(other.kind === 'undefined' || other.kind === 'dictionary');
  }
  const primitive = new Set(['boolean', 'numeric', 'string']);
  if (primitive.has(cx) || primitive.has(cy)) return cx !== cy;
  if (cx === 'object' || cy === 'object') return false;
  if (cx === 'interface' && cy === 'interface') {
    if (x.name === y.name) return false;
    const ax = interfaceAncestors(x.def);
    const ay = interfaceAncestors(y.def);
    return !ax.includes(y.name) && !ay.includes(x.name);
  }
  if (cx === 'buffer' && cy === 'buffer') return (x.mask & y.mask & ~BUFFER_SHARED) === 0;
  if (cx === cy) return false;
  const pair = new Set([cx, cy]);
  if (pair.has('callback') && pair.has('dictionary')) {
    const cb = cx === 'callback' ? x : y;
    return !cb.def.extAttrs.some((e) => e.name === 'LegacyTreatNonObjectAsNull');
  }
  return true;
}

// WebIDL §2.13.32 JSON types.
function isJsonType(t, seen = new Set()) {
  if (t.kind === 'union') return t.members.every((m) => isJsonType(m, seen));
  switch (t.kind) {
    case 'boolean':
    case 'int':
    case 'float':
    case 'string':
    case 'enum':
    case 'object':
      return true;
    case 'sequence':
    case 'frozen':
      return isJsonType(t.inner, seen);
    case 'record':
      return isJsonType(t.value, seen);
    case 'dictionary': {
      if (seen.has(t.name)) return true;
      seen.add(t.name);
      return t.def.allMembers.every((m) => isJsonType(m.type, seen));
    }
    case 'interface':
      return Boolean(t.def.hasToJSON);
    default:
      return false;
  }
}

// ---------------------------------------------------------------------------
// TypeScript

function tsType(t) {
  let s;
  switch (t.kind) {
    case 'undefined':
      s = 'void';
      break;
    case 'any':
      s = 'any';
      break;
    case 'object':
      s = 'object';
      break;
    case 'boolean':
      s = 'boolean';
      break;
    case 'int':
    case 'float':
      s = 'number';
      break;
    case 'string':
      s = 'string';
      break;
    case 'enum':
    case 'interface':
    case 'dictionary':
    case 'callback':
      s = t.name;
      break;
    case 'sequence':
      s = `${tsParen(t.inner)}[]`;
      break;
    case 'frozen':
      s = `ReadonlyArray<${tsType(t.inner)}>`;
      break;
    case 'record':
      s = `Record<string, ${tsType(t.value)}>`;
      break;
    case 'promise':
      s = `Promise<${tsType(t.inner)}>`;
      break;
    case 'union':
      s = t.alias || t.members.map(tsType).join(' | ');
      break;
    case 'buffer':
      s = t.alias || t.names.filter((n) => n !== 'Float16Array').join(' | ');
      break;
    default:
      s = 'unknown';
  }
  return t.nullable ? `${s} | null` : s;
}

function tsParen(t) {
  const s = tsType(t);
  return /[ |]/.test(s) ? `(${s})` : s;
}

module.exports = {
  BUFFER_BITS,
  BUFFER_SHARED,
  C_RESERVED,
  GeneratorError,
  INT_TYPES,
  annotationsOf,
  byPointer,
  cIdent,
  category,
  cid,
  convKey,
  cparam,
  ctype,
  distinguishable,
  fail,
  flattened,
  includesNullable,
  isBlob,
  isCallbackFunction,
  isDictionaryLike,
  isJsonType,
  isNativeInterface,
  isNumeric,
  isSequenceLike,
  isStringLike,
  makeUnion,
  pointerLike,
  resolveType,
  tsType,
  typeText,
  unionId,
  unionMemberName,
};
