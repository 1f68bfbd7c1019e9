'use strict';
// Builds the generator's model from webidl2 ASTs: partials merged, mixins
// included, typedefs resolved, inheritance linked, every member's type a
// Type (lib/types.js), C names chosen.

const webidl2 = require('webidl2');
const T = require('./types.js');

const { fail } = T;

function extAttr(node, name) {
  return (node.extAttrs || []).find((e) => e.name === name) || null;
}

function exposedOf(node) {
  const ea = extAttr(node, 'Exposed');
  if (!ea) return null;
  if (!ea.rhs) return [];
  if (ea.rhs.type === '*') return ['*'];
  if (Array.isArray(ea.rhs.value)) return ea.rhs.value.map((v) => v.value);
  return [ea.rhs.value];
}

// Extended attributes the generator understands; any other on a generated
// definition is an error (so that nothing is silently ignored).
const KNOWN_EXT_ATTRS = new Set([
  'Exposed',
  'SecureContext',
  'SameObject',
  'NewObject',
  'Default',
  'Serializable',
  'Transferable',
  'EnforceRange',
  'Clamp',
  'AllowShared',
  'LegacyNullToEmptyString',
  'LegacyTreatNonObjectAsNull',
]);

function checkExtAttrs(node, where) {
  for (const ea of node.extAttrs || []) {
    if (!KNOWN_EXT_ATTRS.has(ea.name)) fail(`${where}: unsupported extended attribute [${ea.name}]`);
  }
}

class Model {
  constructor() {
    this.defs = new Map(); // name -> definition
    this.typedefCache = new Map();
    this.interfaces = [];
    this.dictionaries = [];
    this.enums = [];
    this.callbacks = [];
    this.files = [];
  }

  lookup(name) {
    return this.defs.get(name) || null;
  }

  typedefType(def) {
    if (this.typedefCache.has(def.name)) {
      const t = this.typedefCache.get(def.name);
      if (t === null) fail(`typedef ${def.name} refers to itself`);
      return t;
    }
    this.typedefCache.set(def.name, null);
    const t = T.resolveType(this, def.node.idlType, T.annotationsOf(def.node.extAttrs), `typedef ${def.name}`);
    this.typedefCache.set(def.name, t);
    return t;
  }
}

// files: [{ name, text, host }]
function buildModel(files, { validate = true } = {}) {
  const model = new Model();
  const asts = [];
  for (const f of files) {
    let ast;
    try {
      ast = webidl2.parse(f.text, { sourceName: f.name });
    } catch (e) {
      fail(`${f.name}: ${e.message}`);
    }
    asts.push({ file: f, ast });
    model.files.push(f.name);
  }
  if (validate) {
    const problems = webidl2.validate(asts.map((a) => a.ast)).filter((p) => p.level !== 'warning');
    if (problems.length) fail(problems.map((p) => p.message).join('\n'));
  }

  // 1. Collect definitions; merge partials later.
  const partials = [];
  const includes = [];
  for (const { file, ast } of asts) {
    for (const node of ast) {
      if (node.type === 'eof') continue;
      const where = `${file.name}: ${node.type} ${node.name || node.target || ''}`;
      if (node.type === 'includes') {
        includes.push({ node, file });
        continue;
      }
      if (node.partial) {
        partials.push({ node, file });
        continue;
      }
      if (node.type === 'namespace') {
        if (file.host) continue;
        fail(`${where}: namespaces are not supported`);
      }
      if (model.defs.has(node.name)) fail(`${where}: ${node.name} is defined twice`);
      const def = {
        type: node.type,
        name: node.name,
        node,
        host: Boolean(file.host),
        file: file.name,
        extAttrs: node.extAttrs || [],
        members: node.members ? node.members.map((m) => ({ node: m, ext: [] })) : [],
      };
      model.defs.set(node.name, def);
    }
  }
  for (const { node, file } of partials) {
    const base = model.defs.get(node.name);
    if (!base) fail(`${file.name}: partial ${node.type} ${node.name} without a definition`);
    const inherited = node.extAttrs || [];
    for (const m of node.members) base.members.push({ node: m, ext: inherited });
  }
  for (const { node, file } of includes) {
    const target = model.defs.get(node.target);
    const mixin = model.defs.get(node.includes);
    if (!target || target.type !== 'interface') fail(`${file.name}: includes: ${node.target} is not an interface`);
    if (!mixin || mixin.type !== 'interface mixin') fail(`${file.name}: includes: ${node.includes} is not a mixin`);
    for (const m of mixin.members) target.members.push({ node: m.node, ext: [...mixin.extAttrs, ...m.ext] });
  }

  // 2. Link inheritance.
  for (const def of model.defs.values()) {
    if ((def.type === 'interface' || def.type === 'dictionary') && def.node.inheritance) {
      const parent = model.defs.get(def.node.inheritance);
      if (!parent || parent.type !== def.type)
        fail(`${def.file}: ${def.name} inherits from ${def.node.inheritance}, which is not a ${def.type}`);
      def.parentDef = parent;
    } else {
      def.parentDef = null;
    }
  }
  for (const def of model.defs.values()) {
    const seen = new Set();
    for (let d = def; d; d = d.parentDef) {
      if (seen.has(d.name)) fail(`inheritance cycle through ${d.name}`);
      seen.add(d.name);
    }
  }

  // 3. Build each kind.
  for (const def of model.defs.values()) {
    if (def.type === 'enum') buildEnum(def);
  }
  for (const def of model.defs.values()) {
    if (def.type === 'dictionary') buildDictionary(model, def);
  }
  for (const def of model.defs.values()) {
    if (def.type === 'callback' || def.type === 'callback interface') buildCallback(model, def);
  }
  for (const def of model.defs.values()) {
    if (def.type === 'interface') classifyInterface(def);
  }
  for (const def of model.defs.values()) {
    if (def.type === 'dictionary') finishDictionary(def);
  }
  for (const def of model.defs.values()) {
    if (def.type === 'interface') buildInterface(model, def);
  }

  // 4. Generated definitions, in a stable order: interfaces parents first
  // (class ids), the rest by name.
  const generated = [...model.defs.values()].filter((d) => !d.host);
  const ifaces = [];
  const visit = (d) => {
    if (d.host || ifaces.includes(d)) return;
    if (d.parentDef) visit(d.parentDef);
    ifaces.push(d);
  };
  for (const d of generated.filter((x) => x.type === 'interface').sort(byName)) visit(d);
  ifaces.forEach((d, i) => {
    d.classId = i + 1;
  });
  model.interfaces = ifaces;
  model.dictionaries = generated.filter((d) => d.type === 'dictionary').sort(byName);
  model.enums = generated.filter((d) => d.type === 'enum').sort(byName);
  model.callbacks = generated
    .filter((d) => d.type === 'callback' || d.type === 'callback interface')
    .sort(byName);
  return model;
}

function byName(a, b) {
  return a.name < b.name ? -1 : a.name > b.name ? 1 : 0;
}

function buildEnum(def) {
  def.values = def.node.values.map((v) => v.value);
  const used = new Set();
  def.cvalues = def.values.map((v, i) => {
    let c = v === '' ? 'empty' : v.replace(/[^A-Za-z0-9_]/g, '_');
    if (/^[0-9]/.test(c)) c = `_${c}`;
    if (used.has(c)) c = `${c}_${i}`;
    used.add(c);
    return c;
  });
}

function buildDictionary(model, def) {
  checkExtAttrs(def.node, `dictionary ${def.name}`);
  def.ownMembers = def.members.map(({ node }) => {
    const where = `dictionary ${def.name}, member ${node.name}`;
    checkExtAttrs(node, where);
    const type = T.resolveType(model, node.idlType, T.annotationsOf(node.extAttrs), where);
    if (type.kind === 'promise') fail(`${where}: Promise members are not supported`);
    return {
      name: node.name,
      cname: T.cIdent(node.name),
      type,
      required: Boolean(node.required),
      default: node.default || null,
      dict: def,
    };
  });
  // WebIDL §3.2.18: members in lexicographic order of their identifiers.
  def.ownMembers.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
}

function finishDictionary(def) {
  const chain = [];
  for (let d = def; d; d = d.parentDef) chain.unshift(d);
  def.allMembers = chain.flatMap((d) => d.ownMembers);
  const seen = new Set();
  for (const m of def.allMembers) {
    if (seen.has(m.name)) fail(`dictionary ${def.name}: member ${m.name} defined twice in its inheritance chain`);
    seen.add(m.name);
  }
}

// Names the generated C functions use for their own parameters and
// locals next to the IDL arguments: an argument with one of them gets a
// trailing underscore.
const GLUE_NAMES = new Set([
  'ctx', 'self', 'result', 'promise', 'callback', 'target', 'env', 'scope',
  'err', 'argv', 'argc', 'event', 'defaults', 'ret', 'ok',
]);

function argumentCName(name) {
  const c = T.cIdent(name);
  return GLUE_NAMES.has(c) ? `${c}_` : c;
}

function buildArgs(model, args, where) {
  return args.map((a, i) => {
    const w = `${where}, argument ${a.name}`;
    checkExtAttrs(a, w);
    const type = T.resolveType(model, a.idlType, T.annotationsOf(a.extAttrs), w);
    if (type.kind === 'promise') fail(`${w}: Promise arguments are not supported`);
    if (type.kind === 'undefined') fail(`${w}: undefined argument`);
    return {
      name: a.name,
      cname: argumentCName(a.name),
      type,
      optional: Boolean(a.optional),
      variadic: Boolean(a.variadic),
      default: a.default || null,
      index: i,
    };
  });
}

function buildCallback(model, def) {
  checkExtAttrs(def.node, `callback ${def.name}`);
  if (def.type === 'callback') {
    def.isInterface = false;
    def.ret = T.resolveType(model, def.node.idlType, new Set(), `callback ${def.name}`);
    def.args = buildArgs(model, def.node.arguments, `callback ${def.name}`);
    def.operationName = null;
  } else {
    def.isInterface = true;
    const ops = def.members.map((m) => m.node).filter((m) => m.type === 'operation');
    if (ops.length !== 1) fail(`callback interface ${def.name}: exactly one operation is supported`);
    def.ret = T.resolveType(model, ops[0].idlType, new Set(), `callback interface ${def.name}`);
    def.args = buildArgs(model, ops[0].arguments, `callback interface ${def.name}`);
    def.operationName = ops[0].name;
  }
  def.cname = `rtcbox_invoke_${def.name}`;
}

// native: implemented in C (inherits from nothing or from EventTarget);
// js: Event and DOMException subclasses, built by bindings.js from their
// constructor's converted arguments; host: the host's own.
function classifyInterface(def) {
  if (def.host) {
    def.kind = 'host';
    return;
  }
  let hostBase = null;
  for (let d = def.parentDef; d; d = d.parentDef) {
    if (d.host) {
      hostBase = d;
      break;
    }
  }
  if (!hostBase) {
    def.kind = 'native';
    def.superKind = null;
    return;
  }
  const hostChain = [];
  for (let d = hostBase; d; d = d.parentDef) hostChain.push(d.name);
  if (hostBase.name === 'EventTarget') {
    def.kind = 'native';
    def.superKind = 'EventTarget';
  } else if (hostChain.includes('Event')) {
    def.kind = 'js';
    def.superKind = 'Event';
  } else if (hostChain.includes('DOMException')) {
    def.kind = 'js';
    def.superKind = 'DOMException';
  } else {
    fail(`interface ${def.name}: cannot inherit from the host interface ${hostBase.name}`);
  }
  def.hostBase = hostBase.name;
}

// DOMException subclasses: the name their constructor gives (the spec
// text says it; WebIDL cannot). [ExceptionName=X] would override.
const EXCEPTION_NAMES = {
  RTCError: 'OperationError',
  OverconstrainedError: 'OverconstrainedError',
};

function overloadSuffixes(ops, kind) {
  const names = [];
  const base = ops[0];
  ops.forEach((op, k) => {
    if (k === 0) {
      names.push('');
      return;
    }
    let i = 0;
    while (i < op.args.length && i < base.args.length && op.args[i].type.idl === base.args[i].type.idl) i++;
    let suffix;
    if (i < op.args.length) {
      suffix = op.args
        .slice(0, i + 1)
        .map((a) => a.type.idl.replace(/\[[A-Za-z]+\] /g, '').replace(/[^A-Za-z0-9]+/g, '_').replace(/^_|_$/g, ''))
        .join('_');
    } else {
      suffix = String(k);
    }
    if (names.includes(`_${suffix}`)) suffix = `${suffix}_${k}`;
    names.push(`_${suffix}`);
  });
  return names;
}

function buildInterface(model, def) {
  const where = `interface ${def.name}`;
  if (def.host) {
    // Host interfaces: only what type checks need.
    def.hasToJSON = def.members.some((m) => m.node.type === 'operation' && m.node.name === 'toJSON');
    return;
  }
  checkExtAttrs(def.node, where);
  def.exposed = exposedOf(def.node);
  def.secureContext = Boolean(extAttr(def.node, 'SecureContext'));
  def.serializable = Boolean(extAttr(def.node, 'Serializable'));
  def.transferable = Boolean(extAttr(def.node, 'Transferable'));
  def.constructors = [];
  def.operations = new Map();
  def.staticOperations = new Map();
  def.attributes = [];
  def.staticAttributes = [];
  def.constants = [];
  def.maplike = null;
  def.stringifier = null;
  def.defaultToJSON = false;
  def.hasToJSON = false;

  for (const { node, ext } of def.members) {
    const mwhere = `${where}, ${node.type} ${node.name || ''}`;
    checkExtAttrs(node, mwhere);
    const secure = Boolean(extAttr(node, 'SecureContext') || ext.some((e) => e.name === 'SecureContext'));
    const exposed = exposedOf(node) || exposedOf({ extAttrs: ext });
    switch (node.type) {
      case 'constructor':
        def.constructors.push({
          name: 'constructor',
          args: buildArgs(model, node.arguments, mwhere),
          ret: { kind: 'undefined', idl: 'undefined' },
          secureContext: secure,
          exposed,
        });
        break;
      case 'operation': {
        if (node.special === 'stringifier') {
          if (node.name) {
            const op = buildOperation(model, def, node, mwhere, secure, exposed);
            pushOp(def.operations, op);
            def.stringifier = { kind: 'operation', name: node.name };
          } else {
            def.stringifier = { kind: 'anonymous' };
          }
          break;
        }
        if (node.special && node.special !== 'static') fail(`${mwhere}: ${node.special} operations are not supported`);
        if (!node.name) fail(`${mwhere}: anonymous operations are not supported`);
        const op = buildOperation(model, def, node, mwhere, secure, exposed);
        if (node.special === 'static') {
          op.isStatic = true;
          pushOp(def.staticOperations, op);
        } else {
          if (op.name === 'toJSON') {
            def.hasToJSON = true;
            if (extAttr(node, 'Default')) {
              if (op.args.length) fail(`${mwhere}: [Default] toJSON takes no arguments`);
              def.defaultToJSON = true;
              break;
            }
          }
          pushOp(def.operations, op);
        }
        break;
      }
      case 'attribute': {
        if (node.special === 'inherit') fail(`${mwhere}: inherit attributes are not supported`);
        const type = T.resolveType(model, node.idlType, T.annotationsOf(node.extAttrs), mwhere);
        const attr = {
          name: node.name,
          cname: T.cIdent(node.name),
          type,
          readonly: Boolean(node.readonly),
          isStatic: node.special === 'static',
          sameObject: Boolean(extAttr(node, 'SameObject')),
          secureContext: secure,
          exposed,
          eventHandler: null,
        };
        if (node.special === 'stringifier') def.stringifier = { kind: 'attribute', name: node.name };
        // EventHandler: a nullable [LegacyTreatNonObjectAsNull] callback
        // function attribute named on<type> (HTML "event handler IDL
        // attribute"), implemented by bindings.js.
        if (
          type.kind === 'callback' &&
          type.nullable &&
          !type.isInterface &&
          type.def.extAttrs.some((e) => e.name === 'LegacyTreatNonObjectAsNull') &&
          /^on/.test(node.name)
        ) {
          attr.eventHandler = node.name.slice(2);
        }
        if (type.kind === 'promise') fail(`${mwhere}: Promise attributes are not supported`);
        if (attr.isStatic) def.staticAttributes.push(attr);
        else def.attributes.push(attr);
        break;
      }
      case 'const': {
        const type = T.resolveType(model, node.idlType, new Set(), mwhere);
        def.constants.push({ name: node.name, type, value: node.value });
        break;
      }
      case 'maplike': {
        if (!node.readonly) fail(`${mwhere}: only readonly maplike is supported`);
        const key = T.resolveType(model, node.idlType[0], new Set(), mwhere);
        const value = T.resolveType(model, node.idlType[1], new Set(), mwhere);
        if (key.kind !== 'string' || key.skind === 'ByteString')
          fail(`${mwhere}: maplike keys must be DOMString or USVString`);
        def.maplike = { key, value };
        break;
      }
      default:
        fail(`${mwhere}: ${node.type} members are not supported`);
    }
  }

  // C names of overloads.
  const nameOps = (map, prefix) => {
    for (const [name, ops] of map) {
      const suffixes = overloadSuffixes(ops);
      ops.forEach((op, i) => {
        op.index = i;
        op.cname = `rtcbox_${def.name}_${T.cIdent(name)}${suffixes[i]}`;
        op.prefix = prefix;
      });
    }
  };
  nameOps(def.operations, '');
  nameOps(def.staticOperations, 'static_');
  for (const name of def.staticOperations.keys()) {
    if (def.operations.has(name)) fail(`${where}: static and regular operation ${name}`);
  }
  if (def.constructors.length) {
    const suffixes = overloadSuffixes(def.constructors);
    def.constructors.forEach((c, i) => {
      c.index = i;
      c.cname = `rtcbox_${def.name}_constructor${suffixes[i]}`;
    });
  }
  for (const a of [...def.attributes, ...def.staticAttributes]) {
    a.getter = `rtcbox_${def.name}_get_${a.cname}`;
    a.setter = `rtcbox_${def.name}_set_${a.cname}`;
  }
  def.finalizeName = `rtcbox_${def.name}_finalize`;
  def.cstruct = `rtcbox_${def.name}`;

  if (def.kind === 'native' && def.attributes.some((a) => a.eventHandler !== null)) {
    let isTarget = false;
    for (let d = def.parentDef; d; d = d.parentDef) if (d.name === 'EventTarget') isTarget = true;
    if (!isTarget) fail(`${where}: event handler attributes need an EventTarget`);
  }
  if (def.kind === 'js') checkJsInterface(def);
  if (def.kind === 'native' && def.maplike) def.entriesName = `rtcbox_${def.name}_entries`;
  if (def.stringifier && def.stringifier.kind === 'anonymous') def.stringifyName = `rtcbox_${def.name}_stringify`;
}

function pushOp(map, op) {
  if (!map.has(op.name)) map.set(op.name, []);
  map.get(op.name).push(op);
}

function buildOperation(model, def, node, where, secure, exposed) {
  const ret = T.resolveType(model, node.idlType, T.annotationsOf(node.extAttrs), where);
  return {
    name: node.name,
    args: buildArgs(model, node.arguments, where),
    ret,
    isStatic: false,
    secureContext: secure,
    exposed,
    newObject: Boolean(extAttr(node, 'NewObject')),
  };
}

function checkJsInterface(def) {
  const where = `interface ${def.name} (a ${def.superKind} subclass built by bindings.js)`;
  if (def.operations.size || def.staticOperations.size || def.staticAttributes.length || def.maplike)
    fail(`${where}: only attributes and [Default] toJSON are supported`);
  if (def.stringifier) fail(`${where}: stringifiers are not supported`);
  for (const a of def.attributes) {
    if (!a.readonly && !a.eventHandler) fail(`${where}: attribute ${a.name} must be readonly`);
  }
  if (def.constructors.length !== 1) fail(`${where}: needs exactly one constructor`);
  const ctor = def.constructors[0];
  if (def.superKind === 'Event') {
    const first = ctor.args[0];
    if (!first || first.type.kind !== 'string') fail(`${where}: the constructor's first argument must be the type`);
  }
  if (def.superKind === 'DOMException') {
    def.exceptionName = EXCEPTION_NAMES[def.name] || def.name;
  }
  // Where each attribute's value comes from.
  for (const a of def.attributes) {
    if (a.eventHandler) fail(`${where}: event handler attributes are not supported`);
    const arg = ctor.args.find((x) => x.name === a.name);
    if (arg) {
      a.source = { kind: 'arg', arg };
      continue;
    }
    let found = null;
    for (const x of ctor.args) {
      if (x.type.kind !== 'dictionary') continue;
      const m = x.type.def.allMembers
        ? x.type.def.allMembers.find((mm) => mm.name === a.name)
        : null;
      if (m) {
        found = { kind: 'member', arg: x, member: m };
        break;
      }
    }
    a.source = found || { kind: 'default' };
  }
}

module.exports = { buildModel, extAttr, EXCEPTION_NAMES };
