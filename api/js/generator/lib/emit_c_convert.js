'use strict';
// The conversion functions of the generated glue (part of CEmitter, see
// emit_c.js): JS -> C (WebIDL §3.2) and C -> JS (§3.2 "converting IDL
// values to JavaScript values"), one static C function per type, generated
// on demand.

const T = require('./types.js');
const { cString } = require('./names.js');

const { fail } = T;

function indent(lines, n = 1) {
  const pad = '  '.repeat(n);
  return lines.map((l) => (l === '' ? '' : pad + l));
}

function stripNullable(t) {
  return { ...t, nullable: false, idl: t.idl.replace(/\?$/, '') };
}

function stringKind(t) {
  return t.skind === 'USVString' ? 'RTCBOX_USVSTRING' : t.skind === 'ByteString' ? 'RTCBOX_BYTESTRING' : 'RTCBOX_DOMSTRING';
}

class Converters {

  js2c(t) {
    const key = T.convKey(t);
    let e = this.js2cFns.get(key);
    if (!e) {
      this.needType(t);
      e = { name: `js2c_${key}`, type: t, dir: 'js2c' };
      this.js2cFns.set(key, e);
      if (t.kind === 'dictionary' && !t.nullable) {
        // Its body is built here, once (members' converters on demand).
        e.name = `js2c_${t.name}`;
        e.dict = true;
        this.dictFrom.push(...this.dictFromLines(t.def));
      } else {
        this.queue.push(e);
      }
    }
    return e.name;
  }

  c2js(t) {
    const key = T.convKey(t);
    let e = this.c2jsFns.get(key);
    if (!e) {
      this.needType(t);
      e = { name: `c2js_${key}`, type: t, dir: 'c2js' };
      if (t.kind === 'dictionary' && !t.nullable) {
        e.name = `rtcbox_${t.name}_to_js`;
        e.public = true;
      }
      this.c2jsFns.set(key, e);
      if (!e.public) this.queue.push(e);
    }
    return e.name;
  }

  converterPrototype(e) {
    const c = T.ctype(e.type);
    if (e.dir === 'js2c')
      return `static bool ${e.name}(rtcbox_ctx* ctx, napi_value v, const char* label, ${c}* out)`;
    const cin = c.endsWith('*') ? `${c} const*` : `const ${c}*`;
    return `static bool ${e.name}(rtcbox_ctx* ctx, ${cin} in, napi_value* out)`;
  }

  drainConverters() {
    const out = [];
    while (this.queue.length) {
      const e = this.queue.shift();
      const body = e.dir === 'js2c' ? this.js2cBody(e.type) : this.c2jsBody(e.type);
      out.push(`/* ${e.dir === 'js2c' ? 'JS -> C' : 'C -> JS'}: ${e.type.idl} */`);
      out.push(`${this.converterPrototype(e)} {`, ...indent(body), '}', '');
    }
    return out;
  }

  js2cBody(t) {
    if (t.nullable) {
      const base = stripNullable(t);
      const inner = this.js2c(base);
      if (T.pointerLike(t)) {
        return [
          'if (rtcbox_is_nullish(ctx, v)) {',
          '  memset(out, 0, sizeof(*out));',
          '  return true;',
          '}',
          `return ${inner}(ctx, v, label, out);`,
        ];
      }
      return [
        'memset(out, 0, sizeof(*out));',
        'if (rtcbox_is_nullish(ctx, v)) {',
        '  out->is_null = true;',
        '  return true;',
        '}',
        `return ${inner}(ctx, v, label, &out->value);`,
      ];
    }
    switch (t.kind) {
      case 'boolean':
        return ['(void)label;', 'return rtcbox_from_js_boolean(ctx, v, out);'];
      case 'int': {
        const flags = t.enforce ? 'RTCBOX_INT_ENFORCE_RANGE' : t.clamp ? 'RTCBOX_INT_CLAMP' : '0';
        const fn = `rtcbox_from_js_${T.INT_TYPES[t.name].id}`;
        return [`return ${fn}(ctx, v, ${flags}, label, out);`];
      }
      case 'float':
        return [
          `return rtcbox_from_js_${t.single ? 'float' : 'double'}(ctx, v, ${t.unrestricted}, label, out);`,
        ];
      case 'string':
        return [
          `return rtcbox_from_js_string(ctx, v, ${stringKind(t)}, ${Boolean(t.nullToEmpty)}, label, out);`,
        ];
      case 'enum':
        return [
          'int index = 0;',
          `if (!rtcbox_from_js_enum(ctx, v, ${t.name}_values, ${t.def.values.length}, label, ${cString(t.name)}, &index))`,
          '  return false;',
          `*out = (rtcbox_${t.name})index;`,
          'return true;',
        ];
      case 'buffer':
        return [
          `return rtcbox_from_js_bytes(ctx, v, 0x${t.mask.toString(16)}u, label, ${cString(t.idl)}, out);`,
        ];
      case 'any':
        return ['(void)ctx;', '(void)label;', '*out = v;', 'return true;'];
      case 'object':
        return ['return rtcbox_from_js_object(ctx, v, label, out);'];
      case 'interface':
        return this.js2cInterface(t);
      case 'callback': {
        const op = t.isInterface ? cString(t.def.operationName) : 'NULL';
        const legacy = t.def.extAttrs.some((e) => e.name === 'LegacyTreatNonObjectAsNull');
        return [`return rtcbox_from_js_callback(ctx, v, ${op}, ${legacy}, label, ${cString(t.name)}, out);`];
      }
      case 'dictionary':
        return [`return js2c_${t.name}(ctx, v, label, out);`];
      case 'sequence':
      case 'frozen':
        return this.js2cSequence(t);
      case 'record':
        return this.js2cRecord(t);
      case 'union':
        return this.js2cUnion(t);
      default:
        fail(`cannot convert ${t.idl} from JS`);
    }
    return [];
  }

  js2cInterface(t) {
    const d = t.def;
    if (d.kind === 'native') {
      return [
        'void* p = NULL;',
        `if (!rtcbox_unwrap(ctx, v, RTCBOX_CLASS_${t.name}, &p))`,
        '  return false;',
        'if (!p)',
        `  return rtcbox_throw_not_of_type(ctx, label, ${cString(t.name)});`,
        `*out = (rtcbox_${t.name}*)p;`,
        'return true;',
      ];
    }
    if (d.kind === 'js') {
      return [
        'bool is = false;',
        `if (!rtcbox_is_js_instance(ctx, v, RTCBOX_CLASS_${t.name}, &is))`,
        '  return false;',
        'if (!is)',
        `  return rtcbox_throw_not_of_type(ctx, label, ${cString(t.name)});`,
        '*out = v;',
        'return true;',
      ];
    }
    if (T.isBlob(t)) return ['return rtcbox_from_js_blob(ctx, v, label, out);'];
    return [
      'bool is = false;',
      `if (!rtcbox_is_host_instance(ctx, v, ${cString(t.name)}, &is))`,
      '  return false;',
      'if (!is)',
      `  return rtcbox_throw_not_of_type(ctx, label, ${cString(t.name)});`,
      '*out = v;',
      'return true;',
    ];
  }

  // WebIDL §3.2.20 "Creating a sequence from an iterable".
  js2cSequence(t) {
    const inner = this.js2c(t.inner);
    const ic = T.ctype(t.inner);
    return [
      'napi_value method = NULL;',
      'rtcbox_iter it;',
      'size_t capacity = 0;',
      'memset(out, 0, sizeof(*out));',
      '/* "If Type(V) is not Object, throw a TypeError. Let method be ? GetMethod(V,',
      ' * @@iterator). If method is undefined, throw a TypeError." */',
      'if (!rtcbox_is_object(ctx, v))',
      '  return rtcbox_throw_type_error(ctx, "%s: The provided value cannot be converted to a sequence.", label);',
      'if (!rtcbox_get_iterator_method(ctx, v, &method))',
      '  return false;',
      'if (!method)',
      '  return rtcbox_throw_type_error(ctx, "%s: The object must have a callable @@iterator property.", label);',
      'if (!rtcbox_iter_open(ctx, v, method, &it))',
      '  return false;',
      'for (;;) {',
      '  napi_value item = NULL;',
      '  if (!rtcbox_iter_step(ctx, &it, &item))',
      '    return false;',
      '  if (!item)',
      '    return true;',
      `  ${ic}* slot = rtcbox_push(ctx, (void**)&out->items, &out->length, &capacity, sizeof(*slot));`,
      '  if (!slot)',
      '    return false;',
      `  if (!${inner}(ctx, item, label, slot))`,
      '    return false;',
      '}',
    ];
  }

  // WebIDL §3.2.21 record<K, V>.
  js2cRecord(t) {
    const keyFn = this.js2c(t.key);
    const valFn = this.js2c(t.value);
    const name = T.ctype(t);
    const lines = [
      'napi_value keys = NULL;',
      'uint32_t count = 0;',
      'size_t capacity = 0;',
      'memset(out, 0, sizeof(*out));',
      '/* "If Type(O) is not Object, throw a TypeError." */',
      'if (!rtcbox_is_object(ctx, v))',
      `  return rtcbox_throw_not_of_type(ctx, label, ${cString(t.idl)});`,
      '/* "Let keys be ? O.[[OwnPropertyKeys]]()." */',
      'if (!rtcbox_record_keys(ctx, v, &keys, &count))',
      '  return false;',
      'for (uint32_t i = 0; i < count; i++) {',
      '  napi_value key = NULL;',
      '  napi_value value = NULL;',
      '  bool enumerable = false;',
      '  rtcbox_string typed_key;',
      '  if (napi_get_element(ctx->env, keys, i, &key) != napi_ok)',
      '    return rtcbox_throw_status(ctx, napi_generic_failure);',
      '  /* "If desc is not undefined and desc.[[Enumerable]] is true:" */',
      '  if (!rtcbox_record_key_enumerable(ctx, v, key, &enumerable))',
      '    return false;',
      '  if (!enumerable)',
      '    continue;',
      `  if (!${keyFn}(ctx, key, label, &typed_key))`,
      '    return false;',
      '  if (!rtcbox_get_property(ctx, v, key, &value))',
      '    return false;',
    ];
    if (t.key.skind === 'USVString') {
      lines.push(
        '  /* Two keys can become the same USVString: the later value wins, in',
        '   * the place of the first. */',
        `  ${name}_entry* entry = NULL;`,
        '  for (size_t j = 0; j < out->length; j++) {',
        '    if (out->entries[j].key.length == typed_key.length &&',
        '        memcmp(out->entries[j].key.data, typed_key.data, typed_key.length) == 0)',
        '      entry = &out->entries[j];',
        '  }',
        '  if (!entry) {',
        '    entry = rtcbox_push(ctx, (void**)&out->entries, &out->length, &capacity, sizeof(*entry));',
        '    if (!entry)',
        '      return false;',
        '  }',
      );
    } else {
      lines.push(
        `  ${name}_entry* entry = rtcbox_push(ctx, (void**)&out->entries, &out->length, &capacity, sizeof(*entry));`,
        '  if (!entry)',
        '    return false;',
      );
    }
    lines.push(
      '  entry->key = typed_key;',
      `  if (!${valFn}(ctx, value, label, &entry->value))`,
      '    return false;',
      '}',
      'return true;',
    );
    return lines;
  }

  // WebIDL §3.2.24 union types.
  js2cUnion(t) {
    const uid = T.unionId(t);
    const members = t.members;
    const set = (m) => {
      const mn = T.unionMemberName(m);
      return [`out->type = RTCBOX_${uid}_${mn};`, `return ${this.js2c(m)}(ctx, v, label, &out->as_${mn});`];
    };
    const find = (pred) => members.filter(pred);
    const lines = [
      'napi_valuetype vt;',
      'memset(out, 0, sizeof(*out));',
      'if (!rtcbox_typeof(ctx, v, &vt))',
      '  return false;',
      'bool is_object = vt == napi_object || vt == napi_function;',
      '(void)is_object;',
    ];
    const dicts = find((m) => m.kind === 'dictionary');
    if (dicts.length) {
      lines.push('/* 4. null or undefined and a dictionary member */');
      lines.push('if (vt == napi_undefined || vt == napi_null) {', ...indent(set(dicts[0])), '}');
    }
    const ifaces = find((m) => m.kind === 'interface');
    if (ifaces.length) {
      lines.push('/* 5. a platform object implementing a member interface */');
      lines.push('if (is_object) {');
      for (const m of ifaces) lines.push(...indent(this.platformCheck(m, set(m), 'return false;')));
      lines.push('}');
    }
    const buffers = find((m) => m.kind === 'buffer');
    if (buffers.length) {
      lines.push('/* 6-8. ArrayBuffer, DataView, typed arrays */');
      lines.push('if (is_object) {');
      lines.push('  unsigned bt = 0;');
      lines.push('  if (!rtcbox_buffer_type(ctx, v, &bt))', '    return false;');
      lines.push('  if (bt == RTCBOX_BUFFER_SHARED)', '    bt |= RTCBOX_BUFFER_ARRAY_BUFFER | RTCBOX_BUFFER_SHARED_ARRAY_BUFFER;');
      lines.push(`  if (bt & 0x${(buffers[0].mask & ~0x4000).toString(16)}u) {`, ...indent(set(buffers[0]), 2), '  }');
      lines.push('}');
    }
    const callbacks = find((m) => T.isCallbackFunction(m));
    if (callbacks.length) {
      lines.push('/* 9. IsCallable(V) and a callback function member */');
      lines.push('if (vt == napi_function) {', ...indent(set(callbacks[0])), '}');
    }
    const seqs = find((m) => T.isSequenceLike(m));
    const dictLike = [...dicts, ...find((m) => m.kind === 'record' || (m.kind === 'callback' && m.isInterface))];
    const objects = find((m) => m.kind === 'object');
    if (seqs.length || dictLike.length || objects.length) {
      lines.push('/* 10. an object */');
      lines.push('if (is_object) {');
      if (seqs.length) {
        lines.push(
          '  napi_value method = NULL;',
          '  if (!rtcbox_get_iterator_method(ctx, v, &method))',
          '    return false;',
          '  if (method) {',
          ...indent(set(seqs[0]), 2),
          '  }',
        );
      }
      if (dictLike.length) lines.push(...indent(set(dictLike[0])));
      else if (objects.length) lines.push(...indent(set(objects[0])));
      lines.push('}');
    }
    const bools = find((m) => m.kind === 'boolean');
    const numerics = find((m) => T.isNumeric(m));
    const strings = find((m) => T.isStringLike(m));
    if (bools.length) lines.push('/* 11. a Boolean */', 'if (vt == napi_boolean) {', ...indent(set(bools[0])), '}');
    if (numerics.length) lines.push('/* 12. a Number */', 'if (vt == napi_number) {', ...indent(set(numerics[0])), '}');
    if (strings.length) {
      lines.push('/* 14. a string type */', ...set(strings[0]));
      return lines;
    }
    if (numerics.length) {
      lines.push('/* 16. a numeric type */', ...set(numerics[0]));
      return lines;
    }
    if (bools.length) {
      lines.push('/* 17. boolean */', ...set(bools[0]));
      return lines;
    }
    lines.push(`return rtcbox_throw_not_of_type(ctx, label, ${cString(t.idl)});`);
    return lines;
  }

  // Code testing whether `v` is a platform object implementing m (an
  // interface type); runs `then` if so.
  platformCheck(m, then, onError, value = 'v') {
    const d = m.def;
    if (d.kind === 'native') {
      return [
        '{',
        '  void* p = NULL;',
        `  if (!rtcbox_unwrap(ctx, ${value}, RTCBOX_CLASS_${m.name}, &p))`,
        `    ${onError}`,
        '  if (p) {',
        ...indent(then, 2),
        '  }',
        '}',
      ];
    }
    const check =
      d.kind === 'js'
        ? `rtcbox_is_js_instance(ctx, ${value}, RTCBOX_CLASS_${m.name}, &is)`
        : `rtcbox_is_host_instance(ctx, ${value}, ${cString(m.name)}, &is)`;
    return ['{', '  bool is = false;', `  if (!${check})`, `    ${onError}`, '  if (is) {', ...indent(then, 2), '  }', '}'];
  }

  c2jsBody(t) {
    if (t.nullable) {
      const base = stripNullable(t);
      const inner = this.c2js(base);
      if (T.pointerLike(t)) {
        const isNull =
          t.kind === 'string' || t.kind === 'buffer' ? '!in->data' : '!*in';
        return [`if (${isNull})`, '  return rtcbox_to_js_null(ctx, out);', `return ${inner}(ctx, in, out);`];
      }
      return ['if (in->is_null)', '  return rtcbox_to_js_null(ctx, out);', `return ${inner}(ctx, &in->value, out);`];
    }
    switch (t.kind) {
      case 'boolean':
        return ['return rtcbox_to_js_boolean(ctx, *in, out);'];
      case 'int':
        if (t.bits === 64) return [`return rtcbox_to_js_${t.signed ? 'int64' : 'uint64'}(ctx, *in, out);`];
        return ['return rtcbox_to_js_double(ctx, (double)*in, out);'];
      case 'float':
        return ['return rtcbox_to_js_double(ctx, (double)*in, out);'];
      case 'string':
        return [
          'rtcbox_string s = *in;',
          'if (!s.data)',
          '  s = RTCBOX_STRING_LITERAL("");',
          `return rtcbox_to_js_string(ctx, s, ${stringKind(t)}, out);`,
        ];
      case 'enum':
        return [
          `if ((unsigned)*in >= ${t.def.values.length}u)`,
          `  return rtcbox_throw_code(ctx, RTC_ERR_INTERNAL, "not a value of ${t.name}");`,
          `return rtcbox_to_js_string(ctx, rtcbox_string_from_cstr(${t.name}_values[*in]), RTCBOX_DOMSTRING, out);`,
        ];
      case 'buffer':
        return [
          'rtcbox_bytes b = *in;',
          'if (!b.data)',
          '  b.data = (const uint8_t*)"";',
          `return rtcbox_to_js_bytes(ctx, b, 0x${t.mask.toString(16)}u, out);`,
        ];
      case 'any':
        return ['if (!*in)', '  return rtcbox_to_js_undefined(ctx, out);', '*out = *in;', 'return true;'];
      case 'object':
        return [
          'if (!*in)',
          '  return rtcbox_throw_code(ctx, RTC_ERR_INTERNAL, "the implementation gave no object");',
          '*out = *in;',
          'return true;',
        ];
      case 'interface': {
        const none = `  return rtcbox_throw_code(ctx, RTC_ERR_INTERNAL, "the implementation gave no ${t.name}");`;
        if (T.isNativeInterface(t))
          return [
            'if (!*in)',
            none,
            `return rtcbox_to_js_wrapper(ctx, (rtcbox_wrapper*)*in, RTCBOX_CLASS_${t.name}, out);`,
          ];
        if (T.isBlob(t))
          return [
            'napi_value value = *in ? rtcbox_blob_value(*in) : NULL;',
            'if (!value)',
            none,
            '*out = value;',
            'return true;',
          ];
        return ['if (!*in)', none, '*out = *in;', 'return true;'];
      }
      case 'callback':
        return [
          'napi_value value = *in ? rtcbox_callback_value(*in) : NULL;',
          'if (!value)',
          '  return rtcbox_throw_code(ctx, RTC_ERR_INTERNAL, "the implementation gave no callback");',
          '*out = value;',
          'return true;',
        ];
      case 'sequence':
      case 'frozen': {
        const inner = this.c2js(t.inner);
        const lines = [
          'napi_value array = NULL;',
          'if (in->length > UINT32_MAX)',
          '  return rtcbox_throw_range_error(ctx, "sequence too long");',
          'if (!rtcbox_new_array(ctx, in->length, &array))',
          '  return false;',
          'for (size_t i = 0; i < in->length; i++) {',
          '  napi_value item = NULL;',
          `  if (!${inner}(ctx, &in->items[i], &item) || !rtcbox_set_index(ctx, array, (uint32_t)i, item))`,
          '    return false;',
          '}',
        ];
        if (t.kind === 'frozen') lines.push('if (!rtcbox_freeze(ctx, array))', '  return false;');
        lines.push('*out = array;', 'return true;');
        return lines;
      }
      case 'record': {
        const inner = this.c2js(t.value);
        return [
          'napi_value object = NULL;',
          'if (!rtcbox_new_object(ctx, &object))',
          '  return false;',
          'for (size_t i = 0; i < in->length; i++) {',
          '  napi_value key = NULL;',
          '  napi_value value = NULL;',
          `  if (!rtcbox_to_js_string(ctx, in->entries[i].key, ${stringKind(t.key)}, &key) ||`,
          `      !${inner}(ctx, &in->entries[i].value, &value) ||`,
          '      !rtcbox_set_property(ctx, object, key, value))',
          '    return false;',
          '}',
          '*out = object;',
          'return true;',
        ];
      }
      case 'union': {
        const uid = T.unionId(t);
        const lines = ['switch (in->type) {'];
        for (const m of t.members) {
          const mn = T.unionMemberName(m);
          lines.push(`  case RTCBOX_${uid}_${mn}:`, `    return ${this.c2js(m)}(ctx, &in->as_${mn}, out);`);
        }
        lines.push(
          '  default:',
          `    return rtcbox_throw_code(ctx, RTC_ERR_INTERNAL, "no member of ${t.idl.replace(/"/g, '')} is set");`,
          '}',
        );
        return lines;
      }
      default:
        fail(`cannot convert ${t.idl} to JS`);
    }
    return [];
  }

}

// Installs the methods above on `cls` (CEmitter).
function installConverters(cls) {
  for (const name of Object.getOwnPropertyNames(Converters.prototype)) {
    if (name !== 'constructor') cls.prototype[name] = Converters.prototype[name];
  }
}

module.exports = { installConverters, stringKind, stripNullable, indent };
