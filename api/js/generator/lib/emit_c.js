'use strict';
// Emits bindings.h and bindings.c: the C types of the IDL, the contract
// of the hand-written implementation, and the Node-API glue doing every
// WebIDL conversion and check (api/js/DESIGN.md).

const T = require('./types.js');
const O = require('./overload.js');
const { native, moduleTag, cString } = require('./names.js');
const { installConverters, stringKind, stripNullable, indent } = require('./emit_c_convert.js');

const { fail } = T;

function argLabel(i) {
  return `parameter ${i + 1}`;
}

// "Promise<RTCSessionDescriptionInit> createOffer(optional RTCOfferOptions
// options = {})" for comments.
function signature(name, args, ret) {
  const a = args
    .map((x) => {
      let s = `${x.optional ? 'optional ' : ''}${x.type.idl}${x.variadic ? '...' : ''} ${x.name}`;
      if (x.default) s += ` = ${defaultText(x.default)}`;
      return s;
    })
    .join(', ');
  return `${ret ? `${ret.idl} ` : ''}${name}(${a})`;
}

function defaultText(d) {
  switch (d.type) {
    case 'string':
      return `"${d.value}"`;
    case 'sequence':
      return '[]';
    case 'dictionary':
      return '{}';
    case 'null':
      return 'null';
    case 'Infinity':
      return d.negative ? '-Infinity' : 'Infinity';
    case 'NaN':
      return 'NaN';
    default:
      return String(d.value);
  }
}

class CEmitter {
  constructor(model, opts) {
    this.model = model;
    this.opts = opts;
    this.structs = new Map(); // name -> { deps, lines }
    this.structOrder = [];
    this.forward = new Set();
    this.enumsNeeded = new Set();
    this.dictsNeeded = new Set();
    this.js2cFns = new Map(); // key -> { name, type, done }
    this.c2jsFns = new Map();
    this.queue = [];
    this.glue = []; // lines of glue functions
    this.properties = []; // [jsName, glueName]
    this.decls = []; // header declarations (contract etc.)
    this.publicFns = []; // lines of public function definitions
    this.resolvers = new Map();
    this.helpers = [];
    this.dictFns = [];
    this.dictFrom = []; // js2c functions of dictionaries (those used)
  }

  // ---------------------------------------------------------------------
  // Types

  structName(t) {
    if (t.kind === 'enum' && !t.nullable) return null;
    const c = T.ctype(t);
    if (!c.startsWith('rtcbox_') || c.endsWith('*')) return null;
    if (t.kind === 'interface') return null;
    return c;
  }

  addStruct(name, deps, lines) {
    if (this.structs.has(name)) return;
    this.structs.set(name, { deps: deps.filter(Boolean), lines });
    this.structOrder.push(name);
    this.forward.add(name);
  }

  needType(t) {
    if (t.nullable && !T.pointerLike(t)) {
      const base = stripNullable(t);
      this.needType(base);
      const name = T.ctype(t);
      this.addStruct(name, [this.structName(base)], [
        `/* ${t.idl} */`,
        `struct ${name} {`,
        '  bool is_null;',
        `  ${T.ctype(base)} value;`,
        '};',
      ]);
      return;
    }
    switch (t.kind) {
      case 'enum':
        this.enumsNeeded.add(t.def);
        return;
      case 'dictionary':
        this.needDict(t.def);
        return;
      case 'interface':
        if (T.isNativeInterface(t)) this.forward.add(`rtcbox_${t.name}`);
        return;
      case 'sequence':
      case 'frozen': {
        this.needType(t.inner);
        const name = T.ctype(t);
        this.addStruct(name, [], [
          `/* sequence<${t.inner.idl}> (and FrozenArray): items[0..length) */`,
          `struct ${name} {`,
          `  ${T.ctype(t.inner)}* items;`,
          '  size_t length;',
          '};',
        ]);
        return;
      }
      case 'record': {
        this.needType(t.value);
        const name = T.ctype(t);
        this.addStruct(`${name}_entry`, [this.structName(t.value)], [
          `struct ${name}_entry {`,
          '  rtcbox_string key;',
          `  ${T.ctype(t.value)} value;`,
          '};',
        ]);
        this.addStruct(name, [], [
          `/* record<${t.key.idl}, ${t.value.idl}>: entries in order */`,
          `struct ${name} {`,
          `  ${name}_entry* entries;`,
          '  size_t length;',
          '};',
        ]);
        return;
      }
      case 'union': {
        const name = T.ctype(t);
        const uid = T.unionId(t);
        const deps = [];
        for (const m of t.members) {
          this.needType(m);
          deps.push(this.structName(m));
        }
        const lines = [`/* ${t.idl}: \`type\` says which member is set */`, `typedef enum ${name}_type {`];
        t.members.forEach((m, i) => {
          lines.push(`  RTCBOX_${uid}_${T.unionMemberName(m)} = ${i + 1}, /* ${m.idl} */`);
        });
        lines.push(`} ${name}_type;`, `struct ${name} {`, `  ${name}_type type;`);
        for (const m of t.members) lines.push(`  ${T.ctype(m)} as_${T.unionMemberName(m)};`);
        lines.push('};');
        this.addStruct(name, deps, lines);
        return;
      }
      case 'promise':
        this.needType(t.inner);
        return;
      default:
    }
  }

  needDict(def) {
    if (this.dictsNeeded.has(def)) return;
    this.dictsNeeded.add(def);
    const name = `rtcbox_${def.name}`;
    const deps = [];
    const lines = [];
    lines.push(`/* dictionary ${def.name}${def.parentDef ? ` : ${def.parentDef.name}` : ''}`);
    lines.push(' * (members of every level, ancestors first, each level in lexicographic');
    lines.push(' * order; has_<m> is set when an optional member without default is');
    lines.push(' * present) */');
    lines.push(`struct ${name} {`);
    for (const m of def.allMembers) {
      this.needType(m.type);
      deps.push(this.structName(m.type));
      let comment = `${m.required ? 'required ' : ''}${m.type.idl} ${m.name}`;
      if (m.default) comment += ` = ${defaultText(m.default)}`;
      if (m.dict !== def) comment += ` (${m.dict.name})`;
      lines.push(`  /* ${comment} */`);
      if (this.hasFlag(m)) lines.push(`  bool has_${m.cname};`);
      lines.push(`  ${T.ctype(m.type)} ${m.cname};`);
    }
    if (!def.allMembers.length) lines.push('  char unused_; /* C has no empty structs */');
    lines.push('};');
    this.addStruct(name, deps, lines);
    this.decls.push(
      `/* Sets every member of ${def.name} to its default (absent if none). */`,
      `void ${name}_init(${name}* value);`,
      `/* ${def.name} to a new JS object (WebIDL §3.2.18); false with an`,
      ' * exception pending on failure. */',
      `bool ${name}_to_js(rtcbox_ctx* ctx, const ${name}* value, napi_value* out);`,
      '',
    );
    this.emitDictFunctions(def);
  }

  hasFlag(m) {
    return !m.required && !m.default;
  }

  // ---------------------------------------------------------------------
  // Defaults

  // C statements setting `lhs` (an lvalue of t's C type) to the IDL
  // default `d`.
  defaultStmts(lhs, t, d) {
    if (!d) return [];
    if (d.type === 'null') {
      if (!t.nullable) fail(`default null for non-nullable ${t.idl}`);
      if (T.pointerLike(t)) return [`memset(&${lhs}, 0, sizeof(${lhs}));`];
      return [`${lhs}.is_null = true;`];
    }
    if (t.nullable && !T.pointerLike(t)) {
      return [`${lhs}.is_null = false;`, ...this.defaultStmts(`${lhs}.value`, stripNullable(t), d)];
    }
    if (t.kind === 'union') {
      const pick = t.members.find((m) => {
        switch (d.type) {
          case 'string':
            return T.isStringLike(m);
          case 'number':
          case 'Infinity':
          case 'NaN':
            return T.isNumeric(m);
          case 'boolean':
            return m.kind === 'boolean';
          case 'sequence':
            return T.isSequenceLike(m);
          case 'dictionary':
            return m.kind === 'dictionary';
          default:
            return false;
        }
      });
      if (!pick) fail(`default ${defaultText(d)} matches no member of ${t.idl}`);
      const uid = T.unionId(t);
      const mn = T.unionMemberName(pick);
      return [`${lhs}.type = RTCBOX_${uid}_${mn};`, ...this.defaultStmts(`${lhs}.as_${mn}`, pick, d)];
    }
    switch (d.type) {
      case 'boolean':
        return [`${lhs} = ${d.value ? 'true' : 'false'};`];
      case 'number': {
        if (t.kind === 'int') {
          const v = BigInt(d.value);
          const lit = t.bits === 64 ? (t.signed ? `INT64_C(${v})` : `UINT64_C(${v})`) : `${v}`;
          return [`${lhs} = (${T.ctype(t)})(${lit});`];
        }
        if (t.kind === 'float') return [`${lhs} = ${Number(d.value)};`];
        break;
      }
      case 'Infinity':
        return [`${lhs} = ${d.negative ? '-' : ''}INFINITY;`];
      case 'NaN':
        return [`${lhs} = NAN;`];
      case 'string':
        if (t.kind === 'string') return [`${lhs} = RTCBOX_STRING_LITERAL(${cString(d.value)});`];
        if (t.kind === 'enum') {
          const i = t.def.values.indexOf(d.value);
          if (i < 0) fail(`default "${d.value}" is not a value of ${t.name}`);
          return [`${lhs} = RTCBOX_${t.name}_${t.def.cvalues[i]};`];
        }
        break;
      case 'sequence':
        if (T.isSequenceLike(t)) return [`memset(&${lhs}, 0, sizeof(${lhs}));`];
        break;
      case 'dictionary':
        if (t.kind === 'dictionary') return [`rtcbox_${t.name}_init(&${lhs});`];
        break;
      default:
    }
    fail(`unsupported default ${defaultText(d)} for ${t.idl}`);
    return [];
  }

  // ---------------------------------------------------------------------
  // Dictionaries

  emitDictFunctions(def) {
    const name = `rtcbox_${def.name}`;
    const init = [`void ${name}_init(${name}* value) {`, '  memset(value, 0, sizeof(*value));'];
    for (const m of def.allMembers) init.push(...indent(this.defaultStmts(`value->${m.cname}`, m.type, m.default)));
    init.push('}', '');
    // C -> JS (public).
    const to = [`bool ${name}_to_js(rtcbox_ctx* ctx, const ${name}* in, napi_value* out) {`, '  napi_value object = NULL;'];
    if (def.allMembers.length) to.push('  napi_value value = NULL;');
    to.push('  if (!rtcbox_new_object(ctx, &object))', '    return false;');
    for (const m of def.allMembers) {
      const conv = this.c2js(m.type);
      const body = [
        `if (!${conv}(ctx, &in->${m.cname}, &value) || !rtcbox_set_named(ctx, object, ${cString(m.name)}, value))`,
        '  return false;',
      ];
      if (this.hasFlag(m)) to.push(`  if (in->has_${m.cname}) {`, ...indent(body, 2), '  }');
      else to.push(...indent(body));
    }
    to.push('  *out = object;', '  return true;', '}', '');
    this.dictFns.push({ def, init, to });
  }

  // JS -> C of a dictionary (static; emitted when used).
  dictFromLines(def) {
    const name = `rtcbox_${def.name}`;
    const from = [
      `/* JS -> C: dictionary ${def.name} (WebIDL §3.2.18: ancestors first, each`,
      ' * level in lexicographic order; defaults applied; required members checked) */',
      `static bool js2c_${def.name}(rtcbox_ctx* ctx, napi_value v, const char* label, ${name}* out) {`,
      '  napi_value dict = NULL;',
    ];
    if (def.allMembers.length) from.push('  napi_value member = NULL;');
    from.push(
      `  ${name}_init(out);`,
      `  if (!rtcbox_dict_check(ctx, v, label, ${cString(def.name)}, &dict))`,
      '    return false;',
    );
    for (const m of def.allMembers) {
      const conv = this.js2c(m.type);
      const mlabel = cString(`${m.dict.name}.${m.name}`);
      from.push(
        `  if (!rtcbox_dict_get(ctx, dict, ${cString(m.name)}, &member))`,
        '    return false;',
        '  if (member) {',
        `    if (!${conv}(ctx, member, ${mlabel}, &out->${m.cname}))`,
        '      return false;',
      );
      if (this.hasFlag(m)) from.push(`    out->has_${m.cname} = true;`);
      from.push('  }');
      if (m.required) {
        from.push(
          '  else {',
          `    return rtcbox_throw_type_error(ctx, "%s: Required member is undefined.", ${mlabel});`,
          '  }',
        );
      }
    }
    from.push('  return true;', '}', '');
    return from;
  }

  // ---------------------------------------------------------------------
  // Implementation contract and glue

  // The implementation function's parameters for `args` (after ctx/self).
  implParams(args) {
    const out = [];
    for (const a of args) {
      this.needType(a.type);
      if (a.variadic) {
        const seq = { kind: 'sequence', inner: a.type, nullable: false };
        seq.idl = `sequence<${a.type.idl}>`;
        this.needType(seq);
        out.push(`${T.ctype(seq)} ${a.cname}`);
        continue;
      }
      if (a.optional && !a.default && a.type.kind !== 'dictionary') out.push(`bool has_${a.cname}`);
      out.push(T.cparam(a.type, a.cname));
    }
    return out;
  }

  // Conversion of the arguments of one overload inside its call helper.
  // Returns { decls, code, callArgs }.
  argConversions(args) {
    const code = [];
    const callArgs = [];
    args.forEach((a, i) => {
      const v = `arg_${a.cname}`;
      if (a.variadic) {
        const seq = { kind: 'sequence', inner: a.type, nullable: false };
        seq.idl = `sequence<${a.type.idl}>`;
        const conv = this.js2c(a.type);
        code.push(
          `${T.ctype(seq)} ${v};`,
          `size_t ${v}_capacity = 0;`,
          `memset(&${v}, 0, sizeof(${v}));`,
          `for (size_t i = ${i}; i < argc; i++) {`,
          `  ${T.ctype(a.type)}* slot = rtcbox_push(ctx, (void**)&${v}.items, &${v}.length, &${v}_capacity, sizeof(*slot));`,
          '  if (!slot)',
          '    return false;',
          `  if (!${conv}(ctx, argv[i], ${cString(`parameter ${i + 1} (variadic)`)}, slot))`,
          '    return false;',
          '}',
        );
        callArgs.push(v);
        return;
      }
      const conv = this.js2c(a.type);
      const label = cString(argLabel(i));
      code.push(`${T.ctype(a.type)} ${v};`, `memset(&${v}, 0, sizeof(${v}));`);
      if (!a.optional) {
        code.push(`if (!${conv}(ctx, argv[${i}], ${label}, &${v}))`, '  return false;');
      } else if (a.type.kind === 'dictionary') {
        // An optional dictionary is converted from undefined when missing
        // (its default is {}).
        code.push(`if (!${conv}(ctx, argc > ${i} ? argv[${i}] : NULL, ${label}, &${v}))`, '  return false;');
      } else {
        const flag = !a.default;
        if (flag) code.push(`bool has_${v} = false;`);
        code.push(`if (argc > ${i} && !rtcbox_is_undefined(ctx, argv[${i}])) {`);
        code.push(`  if (!${conv}(ctx, argv[${i}], ${label}, &${v}))`, '    return false;');
        if (flag) code.push(`  has_${v} = true;`);
        code.push('}');
        if (a.default) code.push('else {', ...indent(this.defaultStmts(v, a.type, a.default)), '}');
        if (flag) callArgs.push(`has_${v}`);
      }
      callArgs.push(T.byPointer(a.type) ? `&${v}` : v);
    });
    return { code, callArgs };
  }

  // Emits one "call helper" per overload and returns their names.
  // kind: 'op' | 'static' | 'ctor' | 'construct'
  emitCallHelpers(iface, ops, kind) {
    const names = [];
    ops.forEach((op, k) => {
      const fname = `call_${iface.name}_${kind === 'ctor' ? 'constructor' : kind === 'construct' ? 'construct' : op.name}${kind === 'static' ? '_static' : ''}_${k}`;
      names.push(fname);
      const { code, callArgs } = this.argConversions(op.args);
      const body = [];
      body.push('(void)this_arg;', '(void)self;', '(void)promise;', '(void)result;', '(void)argv;', '(void)argc;');
      body.push(...code);
      if (kind === 'ctor') {
        body.push(
          `rtcbox_${iface.name}* object = NULL;`,
          `rtc_error err = ${op.cname}(${['ctx', ...callArgs, '&object'].join(', ')});`,
          'if (err != RTC_OK)',
          '  return rtcbox_throw_result(ctx, err);',
          'if (!object)',
          '  return rtcbox_throw_code(ctx, RTC_ERR_INTERNAL, "the implementation created no object");',
          'if (((rtcbox_wrapper*)object)->link)',
          '  return rtcbox_throw_code(ctx, RTC_ERR_INTERNAL, "the new object already has a JS object");',
          `if (!rtcbox_wrap(ctx, this_arg, (rtcbox_wrapper*)object, RTCBOX_CLASS_${iface.name})) {`,
          `  ${iface.finalizeName}(object);`,
          '  return false;',
          '}',
          'return rtcbox_to_js_undefined(ctx, result);',
        );
      } else if (kind === 'construct') {
        body.push(...this.constructBody(iface, op));
      } else {
        const self = kind === 'static' ? [] : [`(rtcbox_${iface.name}*)self`];
        const ret = op.ret;
        if (ret.kind === 'promise') {
          body.push(
            `rtc_error err = ${op.cname}(${['ctx', ...self, ...callArgs, 'promise'].join(', ')});`,
            'if (err != RTC_OK)',
            '  return rtcbox_throw_result(ctx, err);',
            'return true;',
          );
          this.needResolver(ret.inner);
        } else if (ret.kind === 'undefined') {
          body.push(
            `rtc_error err = ${op.cname}(${['ctx', ...self, ...callArgs].join(', ')});`,
            'if (err != RTC_OK)',
            '  return rtcbox_throw_result(ctx, err);',
            'return rtcbox_to_js_undefined(ctx, result);',
          );
        } else {
          const conv = this.c2js(ret);
          body.push(
            `${T.ctype(ret)} value;`,
            'memset(&value, 0, sizeof(value));',
            `rtc_error err = ${op.cname}(${['ctx', ...self, ...callArgs, '&value'].join(', ')});`,
            'if (err != RTC_OK)',
            '  return rtcbox_throw_result(ctx, err);',
            `return ${conv}(ctx, &value, result);`,
          );
        }
      }
      this.glue.push(
        `/* ${signature(kind === 'ctor' || kind === 'construct' ? 'constructor' : op.name, op.args, kind === 'ctor' || kind === 'construct' ? null : op.ret)} */`,
        `static bool ${fname}(rtcbox_ctx* ctx, napi_value this_arg, void* self, size_t argc, napi_value* argv,`,
        '    rtcbox_promise* promise, napi_value* result) {',
        ...indent(body),
        '}',
        '',
      );
    });
    return names;
  }

  // The body of a JS class's construct helper: returns
  // [superArg0, superArg1, values].
  constructBody(iface, op) {
    const lines = [
      'napi_value array = NULL;',
      'napi_value values = NULL;',
      'napi_value item = NULL;',
      'if (!rtcbox_new_array(ctx, 3, &array) || !rtcbox_new_object(ctx, &values))',
      '  return false;',
    ];
    const argVar = (a) => `arg_${a.cname}`;
    if (iface.superKind === 'Event') {
      const typeArg = op.args[0];
      lines.push(
        `if (!${this.c2js(typeArg.type)}(ctx, &${argVar(typeArg)}, &item) || !rtcbox_set_index(ctx, array, 0, item))`,
        '  return false;',
      );
      const dictArg = op.args.find((a) => a.type.kind === 'dictionary');
      if (dictArg) {
        lines.push(
          `if (!${this.c2js(dictArg.type)}(ctx, &${argVar(dictArg)}, &item) || !rtcbox_set_index(ctx, array, 1, item))`,
          '  return false;',
        );
      } else {
        lines.push('if (!rtcbox_to_js_undefined(ctx, &item) || !rtcbox_set_index(ctx, array, 1, item))', '  return false;');
      }
    } else {
      const msg = op.args.find((a) => a.name === 'message' && a.type.kind === 'string');
      if (msg) {
        lines.push(
          `if (!${this.c2js(msg.type)}(ctx, &${argVar(msg)}, &item) || !rtcbox_set_index(ctx, array, 0, item))`,
          '  return false;',
        );
      } else {
        lines.push(
          'if (!rtcbox_to_js_string(ctx, RTCBOX_STRING_LITERAL(""), RTCBOX_DOMSTRING, &item) || !rtcbox_set_index(ctx, array, 0, item))',
          '  return false;',
        );
      }
      lines.push(
        `if (!rtcbox_to_js_string(ctx, RTCBOX_STRING_LITERAL(${cString(iface.exceptionName)}), RTCBOX_DOMSTRING, &item) || !rtcbox_set_index(ctx, array, 1, item))`,
        '  return false;',
      );
    }
    for (const a of iface.attributes) {
      const set = `!rtcbox_set_named(ctx, values, ${cString(a.name)}, item)`;
      const src = a.source;
      const valueConv = (fromType, expr) => {
        let t = a.type;
        if (T.ctype(t) !== T.ctype(fromType)) t = stripNullable(a.type);
        if (T.ctype(t) !== T.ctype(fromType))
          fail(`${iface.name}.${a.name}: its type ${a.type.idl} does not match ${fromType.idl}`);
        return `${this.c2js(t)}(ctx, ${expr}, &item)`;
      };
      if (src.kind === 'arg') {
        lines.push(`if (!${valueConv(src.arg.type, `&${argVar(src.arg)}`)} || ${set})`, '  return false;');
      } else if (src.kind === 'member') {
        const m = src.member;
        const conv = valueConv(m.type, `&${argVar(src.arg)}.${m.cname}`);
        if (this.hasFlag(m)) {
          lines.push(`if (${argVar(src.arg)}.has_${m.cname}) {`, `  if (!${conv})`, '    return false;', '} else {');
          lines.push(...indent(this.attrDefault(a.type)), '}');
          lines.push(`if (${set})`, '  return false;');
        } else {
          lines.push(`if (!${conv} || ${set})`, '  return false;');
        }
      } else {
        lines.push(...this.attrDefault(a.type), `if (${set})`, '  return false;');
      }
    }
    lines.push(
      'if (!rtcbox_set_index(ctx, array, 2, values))',
      '  return false;',
      '*result = array;',
      'return true;',
    );
    return lines;
  }

  // Sets `item` to the value of an attribute of type t whose init
  // dictionary member is absent.
  attrDefault(t) {
    if (t.nullable) return ['if (!rtcbox_to_js_null(ctx, &item))', '  return false;'];
    switch (t.kind) {
      case 'string':
        return ['if (!rtcbox_to_js_string(ctx, RTCBOX_STRING_LITERAL(""), RTCBOX_DOMSTRING, &item))', '  return false;'];
      case 'boolean':
        return ['if (!rtcbox_to_js_boolean(ctx, false, &item))', '  return false;'];
      case 'int':
      case 'float':
        return ['if (!rtcbox_to_js_double(ctx, 0, &item))', '  return false;'];
      case 'sequence':
      case 'frozen': {
        const l = ['if (!rtcbox_new_array(ctx, 0, &item))', '  return false;'];
        if (t.kind === 'frozen') l.push('if (!rtcbox_freeze(ctx, item))', '  return false;');
        return l;
      }
      default:
        return ['if (!rtcbox_to_js_undefined(ctx, &item))', '  return false;'];
    }
  }

  // The dispatch code (WebIDL §3.7.7 overload resolution) calling the
  // helpers; sets `ok`.
  dispatch(iface, ops, helpers, where) {
    const call = (k, argc) =>
      `ok = ${helpers[k]}(&ctx, this_arg, self, ${argc}, argv, promise, &result);`;
    if (ops.length === 1) {
      const r = O.requiredCount(ops[0]);
      return [`ok = rtcbox_check_argc(&ctx, argc, ${r}) && ${helpers[0]}(&ctx, this_arg, self, argc, argv, promise, &result);`];
    }
    const p = O.plan(ops, where);
    const lines = [];
    lines.push(`size_t argcount = argc;`);
    if (!p.variadic) lines.push(`if (argcount > ${p.finiteMax})`, `  argcount = ${p.finiteMax};`);
    lines.push('switch (argcount) {');
    p.groups.forEach((g, gi) => {
      if (g.counts === 'more') lines.push('  default:');
      else for (const n of g.counts) lines.push(`  case ${n}:`);
      if (g.ops.length === 0) {
        const noMatch = 'ok = rtcbox_throw_type_error(&ctx, "No function was found that matched the signature provided.");';
        if (p.minRequired > 0)
          lines.push(
            `    if (argc < ${p.minRequired})`,
            `      ok = rtcbox_check_argc(&ctx, argc, ${p.minRequired});`,
            '    else',
            `      ${noMatch}`,
          );
        else lines.push(`    ${noMatch}`);
        lines.push('    break;');
        return;
      }
      if (g.ops.length === 1) {
        lines.push(`    ${call(ops.indexOf(g.ops[0]), 'argcount')}`, '    break;');
        return;
      }
      const pick = this.emitPicker(iface, ops, g, gi, where);
      lines.push(
        '    {',
        `      int pick = ${pick}(&ctx, argv[${g.index}]);`,
        '      if (pick == -2)',
        '        ok = false;',
        '      else if (pick < 0)',
        '        ok = rtcbox_throw_type_error(&ctx, "No function was found that matched the signature provided.");',
      );
      for (const op of g.ops) {
        const k = ops.indexOf(op);
        lines.push(`      else if (pick == ${k})`, `        ${call(k, 'argcount')}`);
      }
      lines.push('    }', '    break;');
    });
    if (!p.variadic) lines.push('  default:', '    ok = false;', '    break;');
    lines.push('}');
    return lines;
  }

  // A function choosing the overload from the distinguishing argument
  // (WebIDL §3.7.7 step 12): returns the overload index, -1 for none, -2
  // on a JS exception.
  emitPicker(iface, ops, group, gi, where) {
    const name = `pick_${iface.name}_${where.replace(/[^A-Za-z0-9]+/g, '_')}_${gi}`;
    const d = group.index;
    const entries = group.ops.map((op) => {
      const e = O.entryAt(op, d);
      return { k: ops.indexOf(op), type: e.type, optionality: e.optionality, flat: T.flattened(e.type) };
    });
    const has = (e, pred) => e.flat.some(pred);
    const lines = [
      'napi_valuetype vt;',
      'if (!rtcbox_typeof(ctx, v, &vt))',
      '  return -2;',
      'bool is_object = vt == napi_object || vt == napi_function;',
      '(void)is_object;',
    ];
    const firstWhere = (pred) => entries.find(pred);
    let e = firstWhere((x) => x.optionality === 'optional');
    if (e) lines.push('/* undefined, and an optional argument */', `if (vt == napi_undefined)`, `  return ${e.k};`);
    e = firstWhere((x) => T.includesNullable(x.type) || has(x, (m) => m.kind === 'dictionary'));
    if (e) lines.push('/* null or undefined, and a nullable type or dictionary */', 'if (vt == napi_undefined || vt == napi_null)', `  return ${e.k};`);
    const ifaceEntries = entries.filter((x) => has(x, (m) => m.kind === 'interface'));
    if (ifaceEntries.length) {
      lines.push('/* a platform object implementing the interface */', 'if (is_object) {');
      for (const x of ifaceEntries) {
        for (const m of x.flat.filter((mm) => mm.kind === 'interface')) {
          lines.push(...indent(this.platformCheck(m, [`return ${x.k};`], 'return -2;')));
        }
      }
      lines.push('}');
    }
    const bufEntries = entries.filter((x) => has(x, (m) => m.kind === 'buffer'));
    if (bufEntries.length) {
      lines.push(
        '/* ArrayBuffer, DataView, typed arrays */',
        'if (is_object) {',
        '  unsigned bt = 0;',
        '  if (!rtcbox_buffer_type(ctx, v, &bt))',
        '    return -2;',
        '  if (bt == RTCBOX_BUFFER_SHARED)',
        '    bt |= RTCBOX_BUFFER_ARRAY_BUFFER | RTCBOX_BUFFER_SHARED_ARRAY_BUFFER;',
      );
      for (const x of bufEntries) {
        const mask = x.flat.filter((m) => m.kind === 'buffer').reduce((a, m) => a | (m.mask & ~0x4000), 0);
        lines.push(`  if (bt & 0x${mask.toString(16)}u)`, `    return ${x.k};`);
      }
      lines.push('}');
    }
    e = firstWhere((x) => has(x, (m) => T.isCallbackFunction(m) || m.kind === 'object'));
    if (e) lines.push('/* IsCallable(V) */', 'if (vt == napi_function)', `  return ${e.k};`);
    e = firstWhere((x) => has(x, T.isSequenceLike));
    if (e) {
      lines.push(
        '/* an object with @@iterator, and a sequence type */',
        'if (is_object) {',
        '  napi_value method = NULL;',
        '  if (!rtcbox_get_iterator_method(ctx, v, &method))',
        '    return -2;',
        '  if (method)',
        `    return ${e.k};`,
        '}',
      );
    }
    e = firstWhere((x) => has(x, (m) => T.isDictionaryLike(m) || m.kind === 'object'));
    if (e) lines.push('/* an object, and a dictionary, record, callback interface or object */', 'if (is_object)', `  return ${e.k};`);
    e = firstWhere((x) => has(x, (m) => m.kind === 'boolean'));
    if (e) lines.push('if (vt == napi_boolean)', `  return ${e.k};`);
    e = firstWhere((x) => has(x, T.isNumeric));
    if (e) lines.push('if (vt == napi_number)', `  return ${e.k};`);
    let last = null;
    for (const pred of [T.isStringLike, T.isNumeric, (m) => m.kind === 'boolean', (m) => m.kind === 'any']) {
      last = firstWhere((x) => has(x, pred));
      if (last) break;
    }
    lines.push(last ? `return ${last.k};` : 'return -1;');
    this.glue.push(
      `/* Overload resolution of ${iface.name}.${where}: distinguishing argument ${d + 1} */`,
      `static int ${name}(rtcbox_ctx* ctx, napi_value v) {`,
      ...indent(lines),
      '}',
      '',
    );
    return name;
  }

  // A napi_callback for a set of overloads.
  emitEntry(iface, ops, kind, jsName, member) {
    const helpers = this.emitCallHelpers(iface, ops, kind);
    const isPromise = kind !== 'ctor' && kind !== 'construct' && ops[0].ret.kind === 'promise';
    if (isPromise && ops.some((o) => o.ret.kind !== 'promise'))
      fail(`${iface.name}.${member}: overloads must all return promises or none`);
    const maxArgs = Math.max(1, ...ops.map((o) => o.args.length));
    const glueName = `glue_${jsName}`;
    const callKind = kind === 'ctor' || kind === 'construct' ? 'RTCBOX_CALL_CONSTRUCTOR' : 'RTCBOX_CALL_OPERATION';
    const lines = [
      `static napi_value ${glueName}(napi_env env, napi_callback_info info) {`,
      '  rtcbox_ctx ctx;',
      `  napi_value inline_argv[${maxArgs}];`,
      '  napi_value* argv = NULL;',
      '  napi_value this_arg = NULL;',
      '  napi_value result = NULL;',
      '  size_t argc = 0;',
      '  void* self = NULL;',
      '  rtcbox_promise* promise = NULL;',
      '  bool ok = true;',
      `  rtcbox_ctx_init(&ctx, env, ${callKind}, ${cString(iface.name)}, ${cString(member)});`,
    ];
    if (isPromise) {
      lines.push(
        '  napi_value promise_value = NULL;',
        '  /* A promise-returning operation never throws: every failure, the',
        '   * checks and conversions included, rejects the promise. */',
        '  if (!rtcbox_promise_create(&ctx, &promise_value, &promise)) {',
        '    rtcbox_ctx_finish(&ctx);',
        '    return NULL;',
        '  }',
      );
    }
    lines.push(`  ok = rtcbox_get_args(&ctx, info, &this_arg, &argc, &argv, inline_argv, ${maxArgs});`);
    if (kind === 'op') {
      lines.push(`  ok = ok && rtcbox_unwrap_this(&ctx, this_arg, RTCBOX_CLASS_${iface.name}, &self);`);
    }
    lines.push('  if (ok) {', ...indent(this.dispatch(iface, ops, helpers, member), 2), '  }');
    if (isPromise) {
      lines.push(
        '  if (ok)',
        '    promise = NULL; /* the implementation owns it */',
        '  else',
        '    rtcbox_promise_reject_value(promise, rtcbox_take_exception(env));',
        '  result = promise_value;',
      );
    } else {
      lines.push('  (void)promise;');
    }
    lines.push('  rtcbox_ctx_finish(&ctx);', '  return ok || result ? result : NULL;', '}', '');
    this.glue.push(...lines);
    this.properties.push([jsName, glueName]);
  }

  needResolver(t) {
    if (t.kind === 'undefined') return;
    const key = T.convKey(t);
    if (this.resolvers.has(key)) return;
    this.needType(t);
    const fname = `rtcbox_promise_resolve_${key}`;
    this.resolvers.set(key, fname);
    const param = T.cparam(t, 'value');
    const conv = this.c2js(t);
    this.decls.push(
      `/* Resolves with a ${t.idl} (converted now; a failed conversion rejects). */`,
      `void ${fname}(rtcbox_promise* promise, ${param});`,
    );
    this.publicFns.push(
      `void ${fname}(rtcbox_promise* promise, ${param}) {`,
      '  rtcbox_scope scope;',
      '  rtcbox_ctx ctx;',
      '  napi_value v = NULL;',
      '  if (!rtcbox_promise_begin(promise, &scope, &ctx))',
      '    return;',
      `  bool ok = ${conv}(&ctx, ${T.byPointer(t) ? 'value' : '&value'}, &v);`,
      '  rtcbox_promise_finish(promise, &scope, &ctx, ok, v);',
      '}',
      '',
    );
  }

  emitAttribute(iface, a, isStatic) {
    const jsGet = isStatic ? native.staticGet(iface, a) : native.get(iface, a);
    const jsSet = isStatic ? native.staticSet(iface, a) : native.set(iface, a);
    const selfParam = isStatic ? [] : [`rtcbox_${iface.name}* self`];
    const selfArg = isStatic ? [] : [`(rtcbox_${iface.name}*)self`];
    this.needType(a.type);
    const unwrap = isStatic
      ? []
      : [`  ok = ok && rtcbox_unwrap_this(&ctx, this_arg, RTCBOX_CLASS_${iface.name}, &self);`];
    // Getter.
    this.decls.push(
      `/* ${isStatic ? 'static ' : ''}${a.readonly ? 'readonly ' : ''}attribute ${a.type.idl} ${a.name} (getter) */`,
      `rtc_error ${a.getter}(${['rtcbox_ctx* ctx', ...selfParam, `${T.ctype(a.type)}* result`].join(', ')});`,
    );
    const conv = this.c2js(a.type);
    this.glue.push(
      `static napi_value glue_${jsGet}(napi_env env, napi_callback_info info) {`,
      '  rtcbox_ctx ctx;',
      '  napi_value inline_argv[1];',
      '  napi_value* argv = NULL;',
      '  napi_value this_arg = NULL;',
      '  napi_value result = NULL;',
      '  size_t argc = 0;',
      '  void* self = NULL;',
      `  ${T.ctype(a.type)} value;`,
      '  memset(&value, 0, sizeof(value));',
      `  rtcbox_ctx_init(&ctx, env, RTCBOX_CALL_GETTER, ${cString(iface.name)}, ${cString(a.name)});`,
      '  bool ok = rtcbox_get_args(&ctx, info, &this_arg, &argc, &argv, inline_argv, 1);',
      ...unwrap,
      '  if (ok) {',
      `    rtc_error err = ${a.getter}(${['&ctx', ...selfArg, '&value'].join(', ')});`,
      `    ok = err == RTC_OK ? ${conv}(&ctx, &value, &result) : rtcbox_throw_result(&ctx, err);`,
      '  }',
      '  (void)self;',
      '  rtcbox_ctx_finish(&ctx);',
      '  return ok ? result : NULL;',
      '}',
      '',
    );
    this.properties.push([jsGet, `glue_${jsGet}`]);
    if (a.readonly) return;
    // Setter.
    this.decls.push(
      `/* ${isStatic ? 'static ' : ''}attribute ${a.type.idl} ${a.name} (setter) */`,
      `rtc_error ${a.setter}(${['rtcbox_ctx* ctx', ...selfParam, T.cparam(a.type, 'value')].join(', ')});`,
    );
    const lines = [
      `static napi_value glue_${jsSet}(napi_env env, napi_callback_info info) {`,
      '  rtcbox_ctx ctx;',
      '  napi_value inline_argv[1];',
      '  napi_value* argv = NULL;',
      '  napi_value this_arg = NULL;',
      '  size_t argc = 0;',
      '  void* self = NULL;',
      `  ${T.ctype(a.type)} value;`,
      '  memset(&value, 0, sizeof(value));',
      `  rtcbox_ctx_init(&ctx, env, RTCBOX_CALL_SETTER, ${cString(iface.name)}, ${cString(a.name)});`,
      '  bool ok = rtcbox_get_args(&ctx, info, &this_arg, &argc, &argv, inline_argv, 1);',
      ...unwrap,
      '  ok = ok && rtcbox_check_argc(&ctx, argc, 1);',
    ];
    const base = a.type.nullable ? stripNullable(a.type) : a.type;
    if (base.kind === 'enum') {
      // WebIDL §3.7.6 attribute setter: "If the attribute is of an
      // enumeration type and S is not one of the enumeration's values,
      // then return undefined." (no exception)
      const lhs = a.type.nullable ? 'value.value' : 'value';
      lines.push('  bool skip = false;', '  if (ok) {');
      if (a.type.nullable)
        lines.push('    if (rtcbox_is_nullish(&ctx, argv[0])) {', '      value.is_null = true;', '    } else {');
      else lines.push('    {');
      lines.push(
        '      rtcbox_string s;',
        '      ok = rtcbox_from_js_string(&ctx, argv[0], RTCBOX_DOMSTRING, false, "value", &s);',
        `      int index = ok ? enum_index_${base.name}(s) : -1;`,
        '      if (index < 0)',
        '        skip = true;',
        '      else',
        `        ${lhs} = (rtcbox_${base.name})index;`,
        '    }',
        '  }',
        '  if (ok && !skip) {',
      );
      this.enumIndexNeeded = this.enumIndexNeeded || new Set();
      this.enumIndexNeeded.add(base.def);
    } else {
      lines.push(`  ok = ok && ${this.js2c(a.type)}(&ctx, argv[0], "value", &value);`, '  if (ok) {');
    }
    lines.push(
      `    rtc_error err = ${a.setter}(${['&ctx', ...selfArg, T.byPointer(a.type) ? '&value' : 'value'].join(', ')});`,
      '    if (err != RTC_OK)',
      '      ok = rtcbox_throw_result(&ctx, err);',
      '  }',
      '  (void)self;',
      '  rtcbox_ctx_finish(&ctx);',
      '  return NULL;',
      '}',
      '',
    );
    this.glue.push(...lines);
    this.properties.push([jsSet, `glue_${jsSet}`]);
  }

  emitNativeInterface(iface) {
    const S = `rtcbox_${iface.name}`;
    this.forward.add(S);
    this.decls.push(
      '/* ------------------------------------------------------------------',
      ` * interface ${iface.name}${iface.parentDef ? ` : ${iface.parentDef.name}` : ''}: implemented in C.`,
      ` * struct ${S} (defined by the implementation) starts with ${
        iface.parentDef && !iface.parentDef.host ? `rtcbox_${iface.parentDef.name}` : 'rtcbox_wrapper'
      }.`,
      ' * ---------------------------------------------------------------- */',
      '',
      `/* The JS object of ${iface.name} was collected (or its env torn down):`,
      ' * release the C object. JS thread; no JS may run. */',
      `void ${iface.finalizeName}(${S}* self);`,
    );
    this.finalizers = this.finalizers || [];
    this.finalizers.push(iface);
    for (const c of iface.constructors) {
      this.decls.push(
        `/* ${signature('constructor', c.args, null)} */`,
        `rtc_error ${c.cname}(${['rtcbox_ctx* ctx', ...this.implParams(c.args), `${S}** result`].join(', ')});`,
      );
    }
    if (iface.constructors.length) this.emitEntry(iface, iface.constructors, 'ctor', native.constructor(iface), 'constructor');
    const opDecls = (ops, isStatic) => {
      for (const op of ops) {
        const params = ['rtcbox_ctx* ctx'];
        if (!isStatic) params.push(`${S}* self`);
        params.push(...this.implParams(op.args));
        if (op.ret.kind === 'promise') params.push('rtcbox_promise* promise');
        else if (op.ret.kind !== 'undefined') {
          this.needType(op.ret);
          params.push(`${T.ctype(op.ret)}* result`);
        }
        this.decls.push(`/* ${isStatic ? 'static ' : ''}${signature(op.name, op.args, op.ret)} */`);
        if (op.ret.kind === 'promise')
          this.decls.push(
            '/* Returns RTC_OK and then settles `promise` (transfer full) later, or',
            ' * returns an error (the promise is rejected with it). */',
          );
        this.decls.push(`rtc_error ${op.cname}(${params.join(', ')});`);
      }
    };
    for (const [name, ops] of iface.operations) {
      opDecls(ops, false);
      this.emitEntry(iface, ops, 'op', native.op(iface, name), name);
    }
    for (const [name, ops] of iface.staticOperations) {
      opDecls(ops, true);
      this.emitEntry(iface, ops, 'static', native.staticOp(iface, name), name);
    }
    for (const a of iface.attributes) if (!a.eventHandler) this.emitAttribute(iface, a, false);
    for (const a of iface.staticAttributes) this.emitAttribute(iface, a, true);
    if (iface.stringifyName) {
      this.decls.push('/* stringifier */', `rtc_error ${iface.stringifyName}(rtcbox_ctx* ctx, ${S}* self, rtcbox_string* result);`);
      const jsName = native.stringify(iface);
      this.glue.push(
        `static napi_value glue_${jsName}(napi_env env, napi_callback_info info) {`,
        '  rtcbox_ctx ctx;',
        '  napi_value inline_argv[1];',
        '  napi_value* argv = NULL;',
        '  napi_value this_arg = NULL;',
        '  napi_value result = NULL;',
        '  size_t argc = 0;',
        '  void* self = NULL;',
        '  rtcbox_string value = {NULL, 0};',
        `  rtcbox_ctx_init(&ctx, env, RTCBOX_CALL_OPERATION, ${cString(iface.name)}, "toString");`,
        '  bool ok = rtcbox_get_args(&ctx, info, &this_arg, &argc, &argv, inline_argv, 1);',
        `  ok = ok && rtcbox_unwrap_this(&ctx, this_arg, RTCBOX_CLASS_${iface.name}, &self);`,
        '  if (ok) {',
        `    rtc_error err = ${iface.stringifyName}(&ctx, (${S}*)self, &value);`,
        '    if (!value.data)',
        '      value = RTCBOX_STRING_LITERAL("");',
        '    ok = err == RTC_OK ? rtcbox_to_js_string(&ctx, value, RTCBOX_DOMSTRING, &result) : rtcbox_throw_result(&ctx, err);',
        '  }',
        '  rtcbox_ctx_finish(&ctx);',
        '  return ok ? result : NULL;',
        '}',
        '',
      );
      this.properties.push([jsName, `glue_${jsName}`]);
    }
    if (iface.maplike) this.emitMaplike(iface);
  }

  emitMaplike(iface) {
    const S = `rtcbox_${iface.name}`;
    const rec = { kind: 'record', key: iface.maplike.key, value: iface.maplike.value, nullable: false };
    rec.idl = `record<${rec.key.idl}, ${rec.value.idl}>`;
    this.needType(rec);
    const rc = T.ctype(rec);
    this.decls.push(
      `/* readonly maplike<${iface.maplike.key.idl}, ${iface.maplike.value.idl}>: the entries, read once (when`,
      ' * JS first uses the map); fill *result from rtcbox_ctx_alloc memory. */',
      `rtc_error ${iface.entriesName}(rtcbox_ctx* ctx, ${S}* self, ${rc}* result);`,
    );
    const vconv = this.c2js(iface.maplike.value);
    const jsName = native.entries(iface);
    this.glue.push(
      `static napi_value glue_${jsName}(napi_env env, napi_callback_info info) {`,
      '  rtcbox_ctx ctx;',
      '  napi_value inline_argv[1];',
      '  napi_value* argv = NULL;',
      '  napi_value this_arg = NULL;',
      '  napi_value result = NULL;',
      '  size_t argc = 0;',
      '  void* self = NULL;',
      `  ${rc} entries;`,
      '  memset(&entries, 0, sizeof(entries));',
      `  rtcbox_ctx_init(&ctx, env, RTCBOX_CALL_OPERATION, ${cString(iface.name)}, "entries");`,
      '  bool ok = rtcbox_get_args(&ctx, info, &this_arg, &argc, &argv, inline_argv, 1);',
      `  ok = ok && rtcbox_unwrap_this(&ctx, this_arg, RTCBOX_CLASS_${iface.name}, &self);`,
      '  if (ok) {',
      `    rtc_error err = ${iface.entriesName}(&ctx, (${S}*)self, &entries);`,
      '    ok = err == RTC_OK ? rtcbox_new_array(&ctx, entries.length, &result) : rtcbox_throw_result(&ctx, err);',
      '  }',
      '  for (size_t i = 0; ok && i < entries.length; i++) {',
      '    napi_value pair = NULL;',
      '    napi_value key = NULL;',
      '    napi_value value = NULL;',
      `    ok = rtcbox_new_array(&ctx, 2, &pair) && rtcbox_to_js_string(&ctx, entries.entries[i].key, ${stringKind(iface.maplike.key)}, &key) &&`,
      `         ${vconv}(&ctx, &entries.entries[i].value, &value) && rtcbox_set_index(&ctx, pair, 0, key) &&`,
      '         rtcbox_set_index(&ctx, pair, 1, value) && rtcbox_set_index(&ctx, result, (uint32_t)i, pair);',
      '  }',
      '  rtcbox_ctx_finish(&ctx);',
      '  return ok ? result : NULL;',
      '}',
      '',
    );
    this.properties.push([jsName, `glue_${jsName}`]);
  }

  emitJsInterface(iface) {
    this.emitEntry(iface, iface.constructors, 'construct', native.construct(iface), 'constructor');
    if (iface.superKind === 'Event') this.emitFire(iface);
  }

  emitFire(iface) {
    const ctor = iface.constructors[0];
    const rest = ctor.args.slice(1);
    const fname = `rtcbox_fire_${iface.name}`;
    const params = ['rtcbox_wrapper* target', 'const char* type', ...this.implParams(rest)];
    this.decls.push(
      `/* Fires new ${iface.name}(type, ...) at target (target.dispatchEvent), on the`,
      ' * JS thread. RTC_OK without doing anything when target has no JS object.',
      ` * A NULL dictionary is its defaults. */`,
      `rtc_error ${fname}(${params.join(', ')});`,
    );
    const n = ctor.args.length;
    const lines = [
      `rtc_error ${fname}(${params.join(', ')}) {`,
      '  napi_env env = rtcbox_wrapper_env(target);',
      '  if (!env)',
      '    return RTC_OK;',
      '  rtcbox_scope scope;',
      '  if (!rtcbox_scope_open(&scope, env))',
      '    return RTC_ERR_INTERNAL;',
      '  rtcbox_ctx ctx;',
      `  rtcbox_ctx_init(&ctx, env, RTCBOX_CALL_OTHER, ${cString(iface.name)}, "dispatch");`,
      '  rtc_error err = RTC_ERR_INTERNAL;',
      `  napi_value argv[${n}];`,
      '  napi_value event = NULL;',
      '  if (!rtcbox_wrapper_object(target)) {',
      '    err = RTC_OK;',
      '    goto done;',
      '  }',
      '  if (!rtcbox_to_js_string(&ctx, rtcbox_string_from_cstr(type), RTCBOX_DOMSTRING, &argv[0]))',
      '    goto done;',
    ];
    rest.forEach((a, i) => {
      if (a.variadic) fail(`${iface.name}: variadic event constructor arguments are not supported`);
      const conv = this.c2js(a.type);
      if (a.type.kind === 'dictionary') {
        lines.push(
          '  {',
          `    rtcbox_${a.type.name} defaults;`,
          `    if (!${a.cname}) {`,
          `      rtcbox_${a.type.name}_init(&defaults);`,
          `      ${a.cname} = &defaults;`,
          '    }',
          `    if (!${conv}(&ctx, ${a.cname}, &argv[${i + 1}]))`,
          '      goto done;',
          '  }',
        );
      } else if (a.optional && !a.default) {
        lines.push(
          `  if (!has_${a.cname}) {`,
          `    if (!rtcbox_to_js_undefined(&ctx, &argv[${i + 1}]))`,
          '      goto done;',
          `  } else if (!${conv}(&ctx, ${T.byPointer(a.type) ? '' : '&'}${a.cname}, &argv[${i + 1}])) {`,
          '    goto done;',
          '  }',
        );
      } else {
        lines.push(`  if (!${conv}(&ctx, ${T.byPointer(a.type) ? '' : '&'}${a.cname}, &argv[${i + 1}]))`, '    goto done;');
      }
    });
    lines.push(
      `  if (!rtcbox_construct(&ctx, RTCBOX_CLASS_${iface.name}, ${n}, argv, &event))`,
      '    goto done;',
      '  err = rtcbox_dispatch_event(target, event);',
      'done:',
      '  if (err != RTC_OK)',
      '    rtcbox_clear_exception(env);',
      '  rtcbox_ctx_finish(&ctx);',
      '  rtcbox_scope_close(&scope);',
      '  return err;',
      '}',
      '',
    );
    this.publicFns.push(...lines);
  }

  emitCallback(def) {
    const allowed = new Set(['undefined', 'boolean', 'int', 'float', 'enum']);
    if (!allowed.has(def.ret.kind) || def.ret.nullable)
      fail(`callback ${def.name}: return type ${def.ret.idl} is not supported (a value must outlive the call)`);
    if (def.args.some((a) => a.variadic)) fail(`callback ${def.name}: variadic arguments are not supported`);
    const params = ['rtcbox_callback* callback', ...this.implParams(def.args)];
    if (def.ret.kind !== 'undefined') {
      this.needType(def.ret);
      params.push(`${T.ctype(def.ret)}* result`);
    }
    this.decls.push(
      `/* callback ${def.isInterface ? 'interface ' : ''}${def.name}: ${signature(def.operationName || def.name, def.args, def.ret)}`,
      ' * Calls it (JS thread). An exception it throws is reported (as an uncaught',
      ' * exception) and gives RTC_ERR_OPERATION; RTC_ERR_INVALID_STATE once its env',
      ' * is being torn down. */',
      `rtc_error ${def.cname}(${params.join(', ')});`,
    );
    const n = Math.max(1, def.args.length);
    const lines = [
      `rtc_error ${def.cname}(${params.join(', ')}) {`,
      '  napi_env env = rtcbox_callback_env(callback);',
      '  if (!env)',
      '    return RTC_ERR_INVALID_STATE;',
      '  rtcbox_scope scope;',
      '  if (!rtcbox_scope_open(&scope, env))',
      '    return RTC_ERR_INTERNAL;',
      '  rtcbox_ctx ctx;',
      `  rtcbox_ctx_init(&ctx, env, RTCBOX_CALL_OTHER, ${cString(def.name)}, "");`,
      `  napi_value argv[${n}];`,
      '  napi_value ret = NULL;',
      '  bool ok = true;',
    ];
    def.args.forEach((a, i) => {
      const conv = this.c2js(a.type);
      if (a.optional && !a.default) {
        lines.push(
          `  if (ok && !has_${a.cname})`,
          `    ok = rtcbox_to_js_undefined(&ctx, &argv[${i}]);`,
          '  else if (ok)',
          `    ok = ${conv}(&ctx, ${T.byPointer(a.type) ? '' : '&'}${a.cname}, &argv[${i}]);`,
        );
      } else {
        lines.push(`  ok = ok && ${conv}(&ctx, ${T.byPointer(a.type) ? '' : '&'}${a.cname}, &argv[${i}]);`);
      }
    });
    lines.push(
      '  rtc_error err = RTC_OK;',
      '  if (!ok) {',
      '    /* The arguments could not be made (out of memory): not the',
      '     * callback\'s exception. */',
      '    rtcbox_clear_exception(env);',
      '    err = RTC_ERR_NO_MEMORY;',
      '  }',
      `  if (ok && !rtcbox_callback_call(&ctx, callback, ${def.args.length}, argv, &ret)) {`,
      '    rtcbox_report_exception(env);',
      '    err = RTC_ERR_OPERATION;',
      '    ok = false;',
      '  }',
    );
    if (def.ret.kind !== 'undefined') {
      lines.push(
        `  if (ok && !${this.js2c(def.ret)}(&ctx, ret, "the callback's result", result)) {`,
        '    rtcbox_report_exception(env);',
        '    err = RTC_ERR_OPERATION;',
        '  }',
      );
    } else {
      lines.push('  (void)ret;');
    }
    lines.push(
      '  rtcbox_ctx_finish(&ctx);',
      '  rtcbox_scope_close(&scope);',
      '  return err;',
      '}',
      '',
    );
    this.publicFns.push(...lines);
  }

  // ---------------------------------------------------------------------
  // Output

  run() {
    const m = this.model;
    for (const d of m.dictionaries) this.needDict(d);
    for (const e of m.enums) this.enumsNeeded.add(e);
    for (const i of m.interfaces) {
      if (i.kind === 'native') this.emitNativeInterface(i);
      else this.emitJsInterface(i);
    }
    for (const c of m.callbacks) this.emitCallback(c);
    const converters = this.drainConverters();
    return { header: this.header(), source: this.source(converters) };
  }

  sortedStructs() {
    const out = [];
    const state = new Map();
    const visit = (name) => {
      if (state.get(name) === 'done') return;
      if (state.get(name) === 'visiting') fail(`C types contain each other by value: ${name}`);
      state.set(name, 'visiting');
      const s = this.structs.get(name);
      for (const d of s.deps) if (this.structs.has(d)) visit(d);
      state.set(name, 'done');
      out.push(name);
    };
    for (const name of this.structOrder) visit(name);
    return out;
  }

  header() {
    const m = this.model;
    const guard = `RTCBOX_${this.opts.moduleName.toUpperCase().replace(/[^A-Z0-9]/g, '_')}_BINDINGS_H_`;
    const L = [];
    L.push(
      `/* Generated by api/js/generator/generate.js from ${m.files.join(', ')}.`,
      ' * Do not edit: change the IDL or the generator (api/js/DESIGN.md).',
      ' *',
      ' * The C side of the bindings: the types of the IDL, the functions the',
      ' * implementation (api/js/impl/) defines, and the functions it calls.',
      ' * Everything runs on the JS thread. */',
      `#ifndef ${guard}`,
      `#define ${guard}`,
      '',
      '#include <node_api.h>',
      '#include <stdbool.h>',
      '#include <stddef.h>',
      '#include <stdint.h>',
      '',
      '#include "api/js/runtime/runtime.h"',
      '#include "rtc_base/error.h"',
      '',
      '#ifdef __cplusplus',
      'extern "C" {',
      '#endif',
      '',
      '/* Class ids (rtcbox_wrapper.class_id). */',
      'enum {',
    );
    for (const i of m.interfaces) L.push(`  RTCBOX_CLASS_${i.name} = ${i.classId}, /* ${i.kind} */`);
    L.push(`  RTCBOX_CLASS_COUNT_ = ${m.interfaces.length + 1}`, '};', '');
    const enums = [...this.enumsNeeded].sort((a, b) => (a.name < b.name ? -1 : 1));
    for (const e of enums) {
      L.push(`/* enum ${e.name} */`, `typedef enum rtcbox_${e.name} {`);
      e.values.forEach((v, k) => L.push(`  RTCBOX_${e.name}_${e.cvalues[k]} = ${k}, /* "${v}" */`));
      L.push(`} rtcbox_${e.name};`, `/* The IDL string of a value ("${e.values[0]}"); NULL if out of range. */`);
      L.push(`const char* rtcbox_${e.name}_name(rtcbox_${e.name} value);`, '');
    }
    L.push('/* Types */');
    for (const name of [...this.forward].sort()) L.push(`typedef struct ${name} ${name};`);
    L.push('');
    for (const name of this.sortedStructs()) L.push(...this.structs.get(name).lines, '');
    L.push(...this.decls, '');
    L.push(
      '/* The native functions of bindings.js, on `exports`, and the runtime of',
      ' * the env (call from the addon\'s init). NULL with an exception pending on',
      ' * failure. */',
      'napi_value rtcbox_bindings_init(napi_env env, napi_value exports);',
      '',
      '#ifdef __cplusplus',
      '}  // extern "C"',
      '#endif',
      '',
      `#endif  // ${guard}`,
      '',
    );
    return L.join('\n');
  }

  source(converters) {
    const m = this.model;
    const L = [];
    L.push(
      `/* Generated by api/js/generator/generate.js from ${m.files.join(', ')}.`,
      ' * Do not edit. The Node-API glue: argument counts, brand checks, WebIDL',
      ' * conversions, calls of the implementation, results back to JS. */',
      `#include "${this.opts.headerInclude}"`,
      '',
      '#include <math.h>',
      '#include <string.h>',
      '',
    );
    // Enum tables.
    const enums = [...this.enumsNeeded].sort((a, b) => (a.name < b.name ? -1 : 1));
    for (const e of enums) {
      L.push(`static const char* const ${e.name}_values[] = {`);
      for (const v of e.values) L.push(`    ${cString(v)},`);
      L.push('};', '');
      L.push(
        `const char* rtcbox_${e.name}_name(rtcbox_${e.name} value) {`,
        `  return (unsigned)value < ${e.values.length}u ? ${e.name}_values[value] : NULL;`,
        '}',
        '',
      );
      if (this.enumIndexNeeded && this.enumIndexNeeded.has(e)) {
        L.push(
          `static int enum_index_${e.name}(rtcbox_string s) {`,
          `  for (int i = 0; i < ${e.values.length}; i++) {`,
          `    if (strlen(${e.name}_values[i]) == s.length && memcmp(${e.name}_values[i], s.data, s.length) == 0)`,
          '      return i;',
          '  }',
          '  return -1;',
          '}',
          '',
        );
      }
    }
    // Classes.
    const tag = moduleTag(this.opts.moduleName);
    for (const i of this.finalizers || []) {
      L.push(`static void finalize_${i.name}(void* self) {`, `  ${i.finalizeName}((rtcbox_${i.name}*)self);`, '}', '');
    }
    L.push('static const rtcbox_class_info rtcbox_classes[] = {', '    {NULL, 0, RTCBOX_CLASS_NATIVE, NULL},');
    for (const i of m.interfaces) {
      const parent = i.parentDef && !i.parentDef.host ? `RTCBOX_CLASS_${i.parentDef.name}` : '0';
      const kind = i.kind === 'native' ? 'RTCBOX_CLASS_NATIVE' : 'RTCBOX_CLASS_JS';
      const fin = i.kind === 'native' ? `finalize_${i.name}` : 'NULL';
      L.push(`    {${cString(i.name)}, ${parent}, ${kind}, ${fin}},`);
    }
    L.push('};', '');
    const rtcError = m.interfaces.find((i) => i.name === 'RTCError' && i.kind === 'js');
    const overconstrained = m.interfaces.find((i) => i.name === 'OverconstrainedError' && i.kind === 'js');
    L.push(
      'static const rtcbox_module_info rtcbox_module = {',
      `    ${cString(this.opts.moduleName)},`,
      `    {${tag[0]}, ${tag[1]}},`,
      '    rtcbox_classes,',
      '    RTCBOX_CLASS_COUNT_,',
      `    ${rtcError ? 'RTCBOX_CLASS_RTCError' : '0'},`,
      `    ${overconstrained ? 'RTCBOX_CLASS_OverconstrainedError' : '0'},`,
      '};',
      '',
    );
    // Converter prototypes.
    const all = [...this.js2cFns.values(), ...this.c2jsFns.values()].filter((e) => !e.public);
    for (const e of all) L.push(`${this.converterPrototype(e)};`);
    L.push('');
    // Dictionaries.
    for (const f of this.dictFns) L.push(...f.init, ...f.to);
    L.push(...this.dictFrom);
    L.push(...converters);
    L.push(...this.glue);
    L.push(...this.publicFns);
    // Init.
    const props = [...this.properties].sort((a, b) => (a[0] < b[0] ? -1 : 1));
    L.push('static const napi_property_descriptor rtcbox_functions[] = {');
    for (const [js, c] of props) L.push(`    {${cString(js)}, NULL, ${c}, NULL, NULL, NULL, napi_default, NULL},`);
    if (!props.length) L.push('    {"rtcbox_none", NULL, NULL, NULL, NULL, NULL, napi_default, NULL},');
    L.push('};', '');
    L.push(
      'napi_value rtcbox_bindings_init(napi_env env, napi_value exports) {',
      '  if (!rtcbox_runtime_init(env, exports, &rtcbox_module))',
      '    return NULL;',
    );
    if (props.length)
      L.push(
        '  if (napi_define_properties(env, exports, sizeof(rtcbox_functions) / sizeof(rtcbox_functions[0]),',
        '                             rtcbox_functions) != napi_ok)',
        '    return NULL;',
      );
    else L.push('  (void)rtcbox_functions;');
    L.push('  return exports;', '}', '');
    return L.join('\n');
  }
}

installConverters(CEmitter);

function emitC(model, opts) {
  return new CEmitter(model, opts).run();
}

module.exports = { emitC, signature };
