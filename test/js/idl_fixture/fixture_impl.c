/*
 * The implementation of fixture.idl for the generator's end-to-end test
 * (test/js/idl_fixture.test.js). Most operations echo or describe what the
 * glue converted, so that the test sees exactly what C received.
 *
 * Lifetimes: FixtureTarget, FixtureDerived and FixtureReport objects are
 * owned by their JS objects (freed by their finalizers). FixtureThing
 * objects are also held by C (a target's `thing` and `currentThing`): they
 * count those holders in `holders` and are freed when the last holder is
 * gone and their JS object is (or never was) there.
 */
#include <node_api.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>

#include "rtc_base/alloc.h"
#include "test/js/idl_fixture/fixture_bindings/bindings.h"

static atomic_uint g_finalized;
static atomic_int g_static_value;

/* ------------------------------------------------------------------------
 * Helpers
 * --------------------------------------------------------------------- */

__attribute__((format(printf, 2, 3))) static rtcbox_string
fmt(rtcbox_ctx* ctx, const char* format, ...) {
  char buf[512];
  va_list ap;
  va_start(ap, format);
  vsnprintf(buf, sizeof(buf), format, ap);
  va_end(ap);
  return rtcbox_ctx_strdup(ctx, buf);
}

/* Sets *result to a formatted string (in the call's arena) and returns. */
#define RETURN_FMT(ctx, result, ...)                                         \
  do {                                                                       \
    *(result) = fmt((ctx), __VA_ARGS__);                                     \
    return (result)->data ? RTC_OK                                           \
                          : rtcbox_ctx_fail((ctx), RTC_ERR_NO_MEMORY, NULL); \
  } while (0)

/* "<length>:<hex of the first 8 bytes>" */
static rtc_error describe_bytes(rtcbox_ctx* ctx,
                                rtcbox_bytes b,
                                rtcbox_string* result) {
  char hex[17] = {0};
  for (size_t i = 0; i < b.length && i < 8; i++)
    snprintf(hex + 2 * i, 3, "%02x", b.data[i]);
  RETURN_FMT(ctx, result, "%zu:%s", b.length, hex);
}

static char* copy_string(rtcbox_string s) {
  return rtc_strndup(s.data ? s.data : "", s.length);
}

/* ------------------------------------------------------------------------
 * FixtureThing
 * --------------------------------------------------------------------- */

struct rtcbox_FixtureThing {
  rtcbox_wrapper wrapper;
  char* name;
  int holders; /* C holders (targets) */
};

static rtcbox_FixtureThing* thing_create(const char* name, size_t length) {
  rtcbox_FixtureThing* t = rtc_calloc(1, sizeof(*t));
  if (!t)
    return NULL;
  t->name = rtc_strndup(name, length);
  if (!t->name) {
    rtc_free(t);
    return NULL;
  }
  return t;
}

static void thing_free(rtcbox_FixtureThing* t) {
  rtc_free(t->name);
  rtc_free(t);
  atomic_fetch_add(&g_finalized, 1);
}

static void thing_hold(rtcbox_FixtureThing* t) {
  t->holders++;
}

static void thing_release(rtcbox_FixtureThing* t) {
  if (--t->holders == 0 && !t->wrapper.link)
    thing_free(t);
}

void rtcbox_FixtureThing_finalize(rtcbox_FixtureThing* self) {
  if (self->holders == 0)
    thing_free(self);
}

rtc_error rtcbox_FixtureThing_constructor(rtcbox_ctx* ctx,
                                          rtcbox_string name,
                                          rtcbox_FixtureThing** result) {
  *result = thing_create(name.data, name.length);
  return *result ? RTC_OK : rtcbox_ctx_fail(ctx, RTC_ERR_NO_MEMORY, NULL);
}

rtc_error rtcbox_FixtureThing_get_name(rtcbox_ctx* ctx,
                                       rtcbox_FixtureThing* self,
                                       rtcbox_string* result) {
  *result = rtcbox_string_from_cstr(self->name);
  return RTC_OK;
}

rtc_error rtcbox_FixtureThing_get_mixinValue(rtcbox_ctx* ctx,
                                             rtcbox_FixtureThing* self,
                                             rtcbox_string* result) {
  RETURN_FMT(ctx, result, "mixin of %s", self->name);
}

/* ------------------------------------------------------------------------
 * FixtureTarget (and FixtureDerived, whose struct starts with it)
 * --------------------------------------------------------------------- */

typedef struct pending_promise {
  rtcbox_promise* promise;
  char* value;
  struct pending_promise* next;
} pending_promise;

struct rtcbox_FixtureTarget {
  rtcbox_wrapper wrapper;
  int32_t value;
  uint32_t enforced;
  rtcbox_FixtureColor color;
  rtcbox_nullable_FixtureColor maybe_color;
  char* label;
  rtcbox_FixtureThing* thing;
  rtcbox_FixtureThing* current;
  rtcbox_callback* stored;
  pending_promise* pending;
};

struct rtcbox_FixtureDerived {
  rtcbox_FixtureTarget base;
};

static rtc_error target_init(rtcbox_FixtureTarget* t) {
  t->value = 0;
  t->color = RTCBOX_FixtureColor_red;
  t->maybe_color.is_null = true;
  t->thing = thing_create("same", 4);
  if (t->thing)
    thing_hold(t->thing);
  t->label = rtc_strdup("fixture");
  if (!t->label || !t->thing)
    return RTC_ERR_NO_MEMORY;
  return RTC_OK;
}

static void target_release(rtcbox_FixtureTarget* t) {
  while (t->pending) {
    pending_promise* p = t->pending;
    t->pending = p->next;
    rtcbox_promise_drop(p->promise);
    rtc_free(p->value);
    rtc_free(p);
  }
  if (t->stored)
    rtcbox_callback_unref(t->stored);
  if (t->thing)
    thing_release(t->thing);
  if (t->current)
    thing_release(t->current);
  rtc_free(t->label);
}

rtc_error rtcbox_FixtureTarget_constructor(rtcbox_ctx* ctx,
                                           rtcbox_FixtureTarget** result) {
  rtcbox_FixtureTarget* t = rtc_calloc(1, sizeof(*t));
  if (!t)
    return rtcbox_ctx_fail(ctx, RTC_ERR_NO_MEMORY, NULL);
  if (target_init(t) != RTC_OK) {
    target_release(t);
    rtc_free(t);
    return rtcbox_ctx_fail(ctx, RTC_ERR_NO_MEMORY, NULL);
  }
  *result = t;
  return RTC_OK;
}

void rtcbox_FixtureTarget_finalize(rtcbox_FixtureTarget* self) {
  target_release(self);
  rtc_free(self);
  atomic_fetch_add(&g_finalized, 1);
}

rtc_error rtcbox_FixtureDerived_constructor(rtcbox_ctx* ctx,
                                            rtcbox_FixtureDerived** result) {
  rtcbox_FixtureDerived* d = rtc_calloc(1, sizeof(*d));
  if (!d)
    return rtcbox_ctx_fail(ctx, RTC_ERR_NO_MEMORY, NULL);
  if (target_init(&d->base) != RTC_OK) {
    target_release(&d->base);
    rtc_free(d);
    return rtcbox_ctx_fail(ctx, RTC_ERR_NO_MEMORY, NULL);
  }
  d->base.value = 100;
  *result = d;
  return RTC_OK;
}

void rtcbox_FixtureDerived_finalize(rtcbox_FixtureDerived* self) {
  target_release(&self->base);
  rtc_free(self);
  atomic_fetch_add(&g_finalized, 1);
}

rtc_error rtcbox_FixtureDerived_derivedOnly(rtcbox_ctx* ctx,
                                            rtcbox_FixtureDerived* self,
                                            rtcbox_string* result) {
  RETURN_FMT(ctx, result, "derived %d", (int)self->base.value);
}

/* Integers. */

#define CONVERT_SIGNED(name, ctype)                                          \
  rtc_error rtcbox_FixtureTarget_##name(rtcbox_ctx* ctx,                     \
                                        rtcbox_FixtureTarget* self, ctype v, \
                                        rtcbox_string* result) {             \
    RETURN_FMT(ctx, result, "%lld", (long long)v);                           \
  }
#define CONVERT_UNSIGNED(name, ctype)                                        \
  rtc_error rtcbox_FixtureTarget_##name(rtcbox_ctx* ctx,                     \
                                        rtcbox_FixtureTarget* self, ctype v, \
                                        rtcbox_string* result) {             \
    RETURN_FMT(ctx, result, "%llu", (unsigned long long)v);                  \
  }

CONVERT_SIGNED(convertByte, int8_t)
CONVERT_UNSIGNED(convertOctet, uint8_t)
CONVERT_SIGNED(convertShort, int16_t)
CONVERT_UNSIGNED(convertUnsignedShort, uint16_t)
CONVERT_SIGNED(convertLong, int32_t)
CONVERT_UNSIGNED(convertUnsignedLong, uint32_t)
CONVERT_SIGNED(convertLongLong, int64_t)
CONVERT_UNSIGNED(convertUnsignedLongLong, uint64_t)
CONVERT_UNSIGNED(convertEnforcedOctet, uint8_t)
CONVERT_SIGNED(convertEnforcedLong, int32_t)
CONVERT_UNSIGNED(convertEnforcedUnsignedLong, uint32_t)
CONVERT_SIGNED(convertEnforcedLongLong, int64_t)
CONVERT_UNSIGNED(convertEnforcedUnsignedLongLong, uint64_t)
CONVERT_SIGNED(convertClampedByte, int8_t)
CONVERT_UNSIGNED(convertClampedOctet, uint8_t)
CONVERT_UNSIGNED(convertClampedUnsignedShort, uint16_t)
CONVERT_SIGNED(convertClampedLong, int32_t)
CONVERT_UNSIGNED(convertClampedUnsignedLong, uint32_t)
CONVERT_SIGNED(convertClampedLongLong, int64_t)
CONVERT_UNSIGNED(convertClampedUnsignedLongLong, uint64_t)

#define ECHO(name, ctype)                                                    \
  rtc_error rtcbox_FixtureTarget_##name(                                     \
      rtcbox_ctx* ctx, rtcbox_FixtureTarget* self, ctype v, ctype* result) { \
    *result = v;                                                             \
    return RTC_OK;                                                           \
  }

ECHO(echoLong, int32_t)
ECHO(echoUnsignedLongLong, uint64_t)
ECHO(echoDouble, double)
ECHO(echoUnrestrictedDouble, double)
ECHO(echoFloat, float)
ECHO(echoUnrestrictedFloat, float)
ECHO(echoBoolean, bool)
ECHO(echoDOMString, rtcbox_string)
ECHO(echoUSVString, rtcbox_string)
ECHO(echoByteString, rtcbox_string)
ECHO(echoNullToEmpty, rtcbox_string)
ECHO(echoColor, rtcbox_FixtureColor)
ECHO(echoNullableLong, rtcbox_nullable_int32)
ECHO(echoNullableString, rtcbox_string)
ECHO(echoNullableThing, rtcbox_FixtureThing*)
ECHO(echoNullableColor, rtcbox_nullable_FixtureColor)
ECHO(echoLongs, rtcbox_seq_int32)
ECHO(echoInners, rtcbox_seq_FixtureInner)
ECHO(frozenStrings, rtcbox_seq_string)
ECHO(echoRecord, rtcbox_record_int32)
ECHO(echoStringRecord, rtcbox_record_string)
ECHO(echoArrayBuffer, rtcbox_bytes)
ECHO(echoView, rtcbox_bytes)
ECHO(echoAny, napi_value)
ECHO(echoObject, napi_value)

rtc_error rtcbox_FixtureTarget_utf8Length(rtcbox_ctx* ctx,
                                          rtcbox_FixtureTarget* self,
                                          rtcbox_string v,
                                          uint32_t* result) {
  *result = (uint32_t)v.length;
  return RTC_OK;
}

/* Dictionaries. */

rtc_error rtcbox_FixtureTarget_echoDict(rtcbox_ctx* ctx,
                                        rtcbox_FixtureTarget* self,
                                        const rtcbox_FixtureDict* d,
                                        rtcbox_FixtureDict* result) {
  *result = *d;
  return RTC_OK;
}

rtc_error rtcbox_FixtureTarget_describeDict(rtcbox_ctx* ctx,
                                            rtcbox_FixtureTarget* self,
                                            const rtcbox_FixtureBase* d,
                                            rtcbox_string* result) {
  RETURN_FMT(ctx, result, "baseValue=%d baseName=%s", (int)d->baseValue,
             d->baseName.data ? d->baseName.data : "null");
}

/* Unions. */

rtc_error rtcbox_FixtureTarget_unionKind(rtcbox_ctx* ctx,
                                         rtcbox_FixtureTarget* self,
                                         const rtcbox_string_or_seq_string* v,
                                         rtcbox_string* result) {
  if (v->type == RTCBOX_string_or_seq_string_string)
    RETURN_FMT(ctx, result, "string:%s", v->as_string.data);
  RETURN_FMT(ctx, result, "sequence:%zu", v->as_seq_string.length);
}

rtc_error rtcbox_FixtureTarget_unionKind2(
    rtcbox_ctx* ctx,
    rtcbox_FixtureTarget* self,
    const rtcbox_FixtureThing_or_FixtureInner_or_int32_or_boolean* v,
    rtcbox_string* result) {
  switch (v->type) {
    case RTCBOX_FixtureThing_or_FixtureInner_or_int32_or_boolean_FixtureThing:
      RETURN_FMT(ctx, result, "thing:%s", v->as_FixtureThing->name);
    case RTCBOX_FixtureThing_or_FixtureInner_or_int32_or_boolean_FixtureInner:
      RETURN_FMT(ctx, result, "inner:%s", v->as_FixtureInner.label.data);
    case RTCBOX_FixtureThing_or_FixtureInner_or_int32_or_boolean_int32:
      RETURN_FMT(ctx, result, "long:%d", (int)v->as_int32);
    case RTCBOX_FixtureThing_or_FixtureInner_or_int32_or_boolean_boolean:
      RETURN_FMT(ctx, result, "boolean:%s", v->as_boolean ? "true" : "false");
  }
  return rtcbox_ctx_fail(ctx, RTC_ERR_INTERNAL, "no union member");
}

rtc_error rtcbox_FixtureTarget_echoUnion(rtcbox_ctx* ctx,
                                         rtcbox_FixtureTarget* self,
                                         const rtcbox_string_or_int32* v,
                                         rtcbox_string_or_int32* result) {
  *result = *v;
  return RTC_OK;
}

rtc_error rtcbox_FixtureTarget_bufferUnion(rtcbox_ctx* ctx,
                                           rtcbox_FixtureTarget* self,
                                           const rtcbox_string_or_bytes* v,
                                           rtcbox_string* result) {
  if (v->type == RTCBOX_string_or_bytes_string)
    RETURN_FMT(ctx, result, "string:%s", v->as_string.data);
  rtcbox_string bytes;
  rtc_error err = describe_bytes(ctx, v->as_bytes, &bytes);
  if (err != RTC_OK)
    return err;
  RETURN_FMT(ctx, result, "bytes:%s", bytes.data);
}

/* Buffer sources. */

rtc_error rtcbox_FixtureTarget_bufferInfo(rtcbox_ctx* ctx,
                                          rtcbox_FixtureTarget* self,
                                          rtcbox_bytes v,
                                          rtcbox_string* result) {
  return describe_bytes(ctx, v, result);
}

rtc_error rtcbox_FixtureTarget_bufferShared(rtcbox_ctx* ctx,
                                            rtcbox_FixtureTarget* self,
                                            rtcbox_bytes v,
                                            rtcbox_string* result) {
  return describe_bytes(ctx, v, result);
}

rtc_error rtcbox_FixtureTarget_uint8Only(rtcbox_ctx* ctx,
                                         rtcbox_FixtureTarget* self,
                                         rtcbox_bytes v,
                                         rtcbox_string* result) {
  return describe_bytes(ctx, v, result);
}

/* Overloads. */

rtc_error rtcbox_FixtureTarget_overloaded(rtcbox_ctx* ctx,
                                          rtcbox_FixtureTarget* self,
                                          rtcbox_string s,
                                          rtcbox_string* result) {
  RETURN_FMT(ctx, result, "string:%s", s.data);
}

rtc_error rtcbox_FixtureTarget_overloaded_long(rtcbox_ctx* ctx,
                                               rtcbox_FixtureTarget* self,
                                               int32_t n,
                                               bool b,
                                               rtcbox_string* result) {
  RETURN_FMT(ctx, result, "long:%d:%s", (int)n, b ? "true" : "false");
}

rtc_error rtcbox_FixtureTarget_overloaded_FixtureThing(
    rtcbox_ctx* ctx,
    rtcbox_FixtureTarget* self,
    rtcbox_FixtureThing* t,
    rtcbox_string* result) {
  RETURN_FMT(ctx, result, "thing:%s", t->name);
}

rtc_error rtcbox_FixtureTarget_overloaded_Blob(rtcbox_ctx* ctx,
                                               rtcbox_FixtureTarget* self,
                                               rtcbox_blob* b,
                                               rtcbox_string* result) {
  RETURN_FMT(ctx, result, "blob:%llu", (unsigned long long)rtcbox_blob_size(b));
}

rtc_error rtcbox_FixtureTarget_overloaded_ArrayBuffer(
    rtcbox_ctx* ctx,
    rtcbox_FixtureTarget* self,
    rtcbox_bytes ab,
    rtcbox_string* result) {
  RETURN_FMT(ctx, result, "arraybuffer:%zu", ab.length);
}

rtc_error rtcbox_FixtureTarget_overloaded_sequence_long(
    rtcbox_ctx* ctx,
    rtcbox_FixtureTarget* self,
    rtcbox_seq_int32 s,
    rtcbox_string* result) {
  RETURN_FMT(ctx, result, "sequence:%zu", s.length);
}

rtc_error rtcbox_FixtureTarget_overloaded_FixtureCallback(
    rtcbox_ctx* ctx,
    rtcbox_FixtureTarget* self,
    rtcbox_callback* cb,
    rtcbox_string* result) {
  RETURN_FMT(ctx, result, "callback");
}

rtc_error rtcbox_FixtureTarget_byCount(rtcbox_ctx* ctx,
                                       rtcbox_FixtureTarget* self,
                                       rtcbox_string* result) {
  RETURN_FMT(ctx, result, "none");
}

rtc_error rtcbox_FixtureTarget_byCount_DOMString(rtcbox_ctx* ctx,
                                                 rtcbox_FixtureTarget* self,
                                                 rtcbox_string a,
                                                 rtcbox_string b,
                                                 rtcbox_string* result) {
  RETURN_FMT(ctx, result, "two:%s,%s", a.data, b.data);
}

rtc_error rtcbox_FixtureTarget_countArgs(rtcbox_ctx* ctx,
                                         rtcbox_FixtureTarget* self,
                                         int32_t first,
                                         bool has_second,
                                         int32_t second,
                                         rtcbox_seq_int32 rest,
                                         rtcbox_string* result) {
  char buf[256];
  size_t o = (size_t)snprintf(buf, sizeof(buf), "first=%d second=", (int)first);
  if (has_second)
    o += (size_t)snprintf(buf + o, sizeof(buf) - o, "%d", (int)second);
  else
    o += (size_t)snprintf(buf + o, sizeof(buf) - o, "absent");
  o += (size_t)snprintf(buf + o, sizeof(buf) - o, " rest=[");
  for (size_t i = 0; i < rest.length && o < sizeof(buf) - 16; i++)
    o += (size_t)snprintf(buf + o, sizeof(buf) - o, "%s%d", i ? "," : "",
                          (int)rest.items[i]);
  snprintf(buf + o, sizeof(buf) - o, "]");
  RETURN_FMT(ctx, result, "%s", buf);
}

rtc_error rtcbox_FixtureTarget_optionalArgs(rtcbox_ctx* ctx,
                                            rtcbox_FixtureTarget* self,
                                            bool has_a,
                                            int32_t a,
                                            rtcbox_string b,
                                            bool has_c,
                                            rtcbox_FixtureColor c,
                                            rtcbox_string* result) {
  char a_text[16] = "absent";
  if (has_a)
    snprintf(a_text, sizeof(a_text), "%d", (int)a);
  RETURN_FMT(ctx, result, "a=%s b=%s c=%s", a_text, b.data,
             has_c ? rtcbox_FixtureColor_name(c) : "absent");
}

/* Promises. */

rtc_error rtcbox_FixtureTarget_resolveLater(rtcbox_ctx* ctx,
                                            rtcbox_FixtureTarget* self,
                                            rtcbox_string v,
                                            rtcbox_promise* promise) {
  pending_promise* p = rtc_calloc(1, sizeof(*p));
  if (!p)
    return rtcbox_ctx_fail(ctx, RTC_ERR_NO_MEMORY, NULL);
  p->value = copy_string(v);
  if (!p->value) {
    rtc_free(p);
    return rtcbox_ctx_fail(ctx, RTC_ERR_NO_MEMORY, NULL);
  }
  p->promise = promise;
  /* Append: promises settle in call order. */
  pending_promise** tail = &self->pending;
  while (*tail)
    tail = &(*tail)->next;
  *tail = p;
  return RTC_OK;
}

rtc_error rtcbox_FixtureTarget_flushPromises(rtcbox_ctx* ctx,
                                             rtcbox_FixtureTarget* self,
                                             uint32_t* result) {
  *result = 0;
  while (self->pending) {
    pending_promise* p = self->pending;
    self->pending = p->next;
    rtcbox_promise_resolve_DOMString(p->promise,
                                     rtcbox_string_from_cstr(p->value));
    rtc_free(p->value);
    rtc_free(p);
    (*result)++;
  }
  return RTC_OK;
}

rtc_error rtcbox_FixtureTarget_resolveDict(rtcbox_ctx* ctx,
                                           rtcbox_FixtureTarget* self,
                                           const rtcbox_FixtureDict* d,
                                           rtcbox_promise* promise) {
  rtcbox_promise_resolve_FixtureDict(promise, d);
  return RTC_OK;
}

rtc_error rtcbox_FixtureTarget_rejectWith(rtcbox_ctx* ctx,
                                          rtcbox_FixtureTarget* self,
                                          int32_t code,
                                          int32_t sdpLineNumber,
                                          rtcbox_promise* promise) {
  rtc_error_info info;
  rtc_error_info_init(&info);
  rtc_error_set(&info, (rtc_error)code, "rejected with %d", (int)code);
  info.sdp_line_number = sdpLineNumber;
  rtcbox_promise_reject_info(promise, &info);
  return RTC_OK;
}

rtc_error rtcbox_FixtureTarget_promiseArgs(rtcbox_ctx* ctx,
                                           rtcbox_FixtureTarget* self,
                                           uint8_t x,
                                           rtcbox_promise* promise) {
  if (x == 13)
    return rtcbox_ctx_fail(ctx, RTC_ERR_INVALID_STATE, "unlucky %u",
                           (unsigned)x);
  rtcbox_promise_resolve_int32(promise, 2 * (int32_t)x);
  return RTC_OK;
}

rtc_error rtcbox_FixtureTarget_newThing(rtcbox_ctx* ctx,
                                        rtcbox_FixtureTarget* self,
                                        rtcbox_string name,
                                        rtcbox_promise* promise) {
  rtcbox_FixtureThing* t = thing_create(name.data, name.length);
  if (!t)
    return rtcbox_ctx_fail(ctx, RTC_ERR_NO_MEMORY, NULL);
  rtcbox_promise_resolve_FixtureThing(promise, t);
  if (!t->wrapper.link)
    thing_free(t); /* not handed to JS (the env is going away) */
  return RTC_OK;
}

typedef struct blob_request {
  rtcbox_promise* promise;
} blob_request;

static void blob_read_done(void* user_data,
                           rtc_error status,
                           const uint8_t* data,
                           size_t length) {
  blob_request* req = user_data;
  if (status == RTC_OK) {
    rtcbox_string s = {(const char*)data, length};
    rtcbox_promise_resolve_DOMString(req->promise, s);
  } else {
    rtcbox_promise_reject(req->promise, status, "cannot read the blob");
  }
  rtc_free(req);
}

rtc_error rtcbox_FixtureTarget_readBlob(rtcbox_ctx* ctx,
                                        rtcbox_FixtureTarget* self,
                                        rtcbox_blob* b,
                                        rtcbox_promise* promise) {
  blob_request* req = rtc_calloc(1, sizeof(*req));
  if (!req)
    return rtcbox_ctx_fail(ctx, RTC_ERR_NO_MEMORY, NULL);
  req->promise = promise;
  rtc_error err = rtcbox_blob_read(b, blob_read_done, req);
  if (err != RTC_OK) {
    rtc_free(req);
    return rtcbox_ctx_fail(ctx, err, "cannot start reading the blob");
  }
  return RTC_OK;
}

rtc_error rtcbox_FixtureTarget_neverSettle(rtcbox_ctx* ctx,
                                           rtcbox_FixtureTarget* self,
                                           rtcbox_promise* promise) {
  /* Deliberately forgotten: the runtime frees it at env teardown. */
  (void)promise;
  return RTC_OK;
}

rtc_error rtcbox_FixtureTarget_dropPromise(rtcbox_ctx* ctx,
                                           rtcbox_FixtureTarget* self,
                                           rtcbox_promise* promise) {
  rtcbox_promise_drop(promise);
  return RTC_OK;
}

/* Callbacks. */

rtc_error rtcbox_FixtureTarget_storeCallback(rtcbox_ctx* ctx,
                                             rtcbox_FixtureTarget* self,
                                             rtcbox_callback* cb) {
  rtcbox_callback_ref(cb);
  if (self->stored)
    rtcbox_callback_unref(self->stored);
  self->stored = cb;
  return RTC_OK;
}

rtc_error rtcbox_FixtureTarget_callStored(rtcbox_ctx* ctx,
                                          rtcbox_FixtureTarget* self,
                                          rtcbox_string value,
                                          int32_t count,
                                          uint32_t* result) {
  *result = 0;
  if (!self->stored)
    return RTC_OK;
  rtc_error err = rtcbox_invoke_FixtureCallback(self->stored, value, count);
  if (err != RTC_OK)
    return rtcbox_ctx_fail(ctx, err, "the callback failed");
  *result = 1;
  return RTC_OK;
}

rtc_error rtcbox_FixtureTarget_callReturning(rtcbox_ctx* ctx,
                                             rtcbox_FixtureTarget* self,
                                             rtcbox_callback* cb,
                                             int32_t x,
                                             int32_t* result) {
  rtc_error err = rtcbox_invoke_FixtureReturning(cb, x, result);
  if (err != RTC_OK)
    return rtcbox_ctx_fail(ctx, err, "the callback failed");
  return RTC_OK;
}

rtc_error rtcbox_FixtureTarget_callListener(rtcbox_ctx* ctx,
                                            rtcbox_FixtureTarget* self,
                                            rtcbox_callback* l,
                                            rtcbox_string what) {
  rtc_error err = rtcbox_invoke_FixtureListener(l, what);
  if (err != RTC_OK)
    return rtcbox_ctx_fail(ctx, err, "the listener failed");
  return RTC_OK;
}

/* Errors. */

rtc_error rtcbox_FixtureTarget_throwError(rtcbox_ctx* ctx,
                                          rtcbox_FixtureTarget* self,
                                          int32_t code) {
  return rtcbox_ctx_fail(ctx, (rtc_error)code, "fixture error %d", (int)code);
}

rtc_error rtcbox_FixtureTarget_throwRTCError(rtcbox_ctx* ctx,
                                             rtcbox_FixtureTarget* self,
                                             int32_t code,
                                             int32_t sdpLineNumber) {
  ctx->error.sdp_line_number = sdpLineNumber;
  return rtcbox_ctx_fail(ctx, (rtc_error)code, "bad line %d",
                         (int)sdpLineNumber);
}

/* Events. */

rtc_error rtcbox_FixtureTarget_fire(rtcbox_ctx* ctx,
                                    rtcbox_FixtureTarget* self,
                                    rtcbox_string type,
                                    bool cancelable) {
  return rtcbox_fire_event(&self->wrapper, type.data, false, cancelable);
}

rtc_error rtcbox_FixtureTarget_fireFixtureEvent(
    rtcbox_ctx* ctx,
    rtcbox_FixtureTarget* self,
    rtcbox_string type,
    const rtcbox_FixtureEventInit* init) {
  return rtcbox_fire_FixtureEvent(&self->wrapper, type.data, init);
}

/* Attributes. */

rtc_error rtcbox_FixtureTarget_get_value(rtcbox_ctx* ctx,
                                         rtcbox_FixtureTarget* self,
                                         int32_t* result) {
  *result = self->value;
  return RTC_OK;
}

rtc_error rtcbox_FixtureTarget_set_value(rtcbox_ctx* ctx,
                                         rtcbox_FixtureTarget* self,
                                         int32_t value) {
  self->value = value;
  return RTC_OK;
}

rtc_error rtcbox_FixtureTarget_get_enforced(rtcbox_ctx* ctx,
                                            rtcbox_FixtureTarget* self,
                                            uint32_t* result) {
  *result = self->enforced;
  return RTC_OK;
}

rtc_error rtcbox_FixtureTarget_set_enforced(rtcbox_ctx* ctx,
                                            rtcbox_FixtureTarget* self,
                                            uint32_t value) {
  self->enforced = value;
  return RTC_OK;
}

rtc_error rtcbox_FixtureTarget_get_color(rtcbox_ctx* ctx,
                                         rtcbox_FixtureTarget* self,
                                         rtcbox_FixtureColor* result) {
  *result = self->color;
  return RTC_OK;
}

rtc_error rtcbox_FixtureTarget_set_color(rtcbox_ctx* ctx,
                                         rtcbox_FixtureTarget* self,
                                         rtcbox_FixtureColor value) {
  self->color = value;
  return RTC_OK;
}

rtc_error rtcbox_FixtureTarget_get_maybeColor(
    rtcbox_ctx* ctx,
    rtcbox_FixtureTarget* self,
    rtcbox_nullable_FixtureColor* result) {
  *result = self->maybe_color;
  return RTC_OK;
}

rtc_error rtcbox_FixtureTarget_set_maybeColor(
    rtcbox_ctx* ctx,
    rtcbox_FixtureTarget* self,
    rtcbox_nullable_FixtureColor value) {
  self->maybe_color = value;
  return RTC_OK;
}

rtc_error rtcbox_FixtureTarget_get_readonlyValue(rtcbox_ctx* ctx,
                                                 rtcbox_FixtureTarget* self,
                                                 int32_t* result) {
  *result = self->value * 2;
  return RTC_OK;
}

rtc_error rtcbox_FixtureTarget_get_thing(rtcbox_ctx* ctx,
                                         rtcbox_FixtureTarget* self,
                                         rtcbox_FixtureThing** result) {
  *result = self->thing;
  return RTC_OK;
}

rtc_error rtcbox_FixtureTarget_get_currentThing(rtcbox_ctx* ctx,
                                                rtcbox_FixtureTarget* self,
                                                rtcbox_FixtureThing** result) {
  if (!self->current) {
    self->current = thing_create("current", 7);
    if (!self->current)
      return rtcbox_ctx_fail(ctx, RTC_ERR_NO_MEMORY, NULL);
    thing_hold(self->current);
  }
  *result = self->current;
  return RTC_OK;
}

rtc_error rtcbox_FixtureTarget_get_frozen(rtcbox_ctx* ctx,
                                          rtcbox_FixtureTarget* self,
                                          rtcbox_seq_string* result) {
  rtcbox_string* items = rtcbox_ctx_alloc(ctx, 2 * sizeof(*items));
  if (!items)
    return rtcbox_ctx_fail(ctx, RTC_ERR_NO_MEMORY, NULL);
  items[0] = RTCBOX_STRING_LITERAL("x");
  items[1] = RTCBOX_STRING_LITERAL("y");
  result->items = items;
  result->length = 2;
  return RTC_OK;
}

rtc_error rtcbox_FixtureTarget_get_label(rtcbox_ctx* ctx,
                                         rtcbox_FixtureTarget* self,
                                         rtcbox_string* result) {
  *result = rtcbox_string_from_cstr(self->label);
  return RTC_OK;
}

rtc_error rtcbox_FixtureTarget_set_label(rtcbox_ctx* ctx,
                                         rtcbox_FixtureTarget* self,
                                         rtcbox_string value) {
  char* copy = copy_string(value);
  if (!copy)
    return rtcbox_ctx_fail(ctx, RTC_ERR_NO_MEMORY, NULL);
  rtc_free(self->label);
  self->label = copy;
  return RTC_OK;
}

rtc_error rtcbox_FixtureTarget_setStrong(rtcbox_ctx* ctx,
                                         rtcbox_FixtureTarget* self,
                                         bool strong) {
  rtcbox_wrapper_set_strong(&self->wrapper, strong);
  return RTC_OK;
}

/* Static members. */

rtc_error rtcbox_FixtureTarget_staticAdd(rtcbox_ctx* ctx,
                                         int32_t a,
                                         int32_t b,
                                         int32_t* result) {
  *result = (int32_t)((uint32_t)a + (uint32_t)b);
  return RTC_OK;
}

rtc_error rtcbox_FixtureTarget_get_staticValue(rtcbox_ctx* ctx,
                                               int32_t* result) {
  *result = atomic_load(&g_static_value);
  return RTC_OK;
}

rtc_error rtcbox_FixtureTarget_set_staticValue(rtcbox_ctx* ctx, int32_t value) {
  atomic_store(&g_static_value, value);
  return RTC_OK;
}

rtc_error rtcbox_FixtureTarget_liveHandles(rtcbox_ctx* ctx, uint32_t* result) {
  *result = (uint32_t)rtcbox_live_handle_count(ctx->env);
  return RTC_OK;
}

rtc_error rtcbox_FixtureTarget_liveAllocations(rtcbox_ctx* ctx,
                                               int64_t* result) {
  *result = rtc_alloc_live_count();
  return RTC_OK;
}

rtc_error rtcbox_FixtureTarget_finalizedCount(rtcbox_ctx* ctx,
                                              uint32_t* result) {
  *result = atomic_load(&g_finalized);
  return RTC_OK;
}

rtc_error rtcbox_FixtureTarget_failAllocation(rtcbox_ctx* ctx, uint32_t n) {
  rtc_alloc_fail_nth(n, 0);
  return RTC_OK;
}

rtc_error rtcbox_FixtureTarget_pendingPromises(rtcbox_ctx* ctx,
                                               uint32_t* result) {
  *result = (uint32_t)rtcbox_promise_pending_count(ctx->env);
  return RTC_OK;
}

/* ------------------------------------------------------------------------
 * FixtureReport (readonly maplike<DOMString, object>)
 * --------------------------------------------------------------------- */

struct rtcbox_FixtureReport {
  rtcbox_wrapper wrapper;
  int entries; /* how many entries to report */
};

rtc_error rtcbox_FixtureTarget_report(rtcbox_ctx* ctx,
                                      rtcbox_FixtureTarget* self,
                                      rtcbox_promise* promise) {
  rtcbox_FixtureReport* r = rtc_calloc(1, sizeof(*r));
  if (!r)
    return rtcbox_ctx_fail(ctx, RTC_ERR_NO_MEMORY, NULL);
  r->entries = 2;
  rtcbox_promise_resolve_FixtureReport(promise, r);
  if (!r->wrapper.link)
    rtc_free(r);
  return RTC_OK;
}

void rtcbox_FixtureReport_finalize(rtcbox_FixtureReport* self) {
  rtc_free(self);
  atomic_fetch_add(&g_finalized, 1);
}

rtc_error rtcbox_FixtureReport_entries(rtcbox_ctx* ctx,
                                       rtcbox_FixtureReport* self,
                                       rtcbox_record_value* result) {
  static const char* const kKeys[] = {"first", "second"};
  result->entries =
      rtcbox_ctx_alloc(ctx, (size_t)self->entries * sizeof(*result->entries));
  if (!result->entries)
    return rtcbox_ctx_fail(ctx, RTC_ERR_NO_MEMORY, NULL);
  for (int i = 0; i < self->entries; i++) {
    rtcbox_FixtureInner inner;
    rtcbox_FixtureInner_init(&inner);
    inner.label = rtcbox_string_from_cstr(kKeys[i]);
    inner.big = (uint64_t)(i + 1);
    result->entries[i].key = rtcbox_string_from_cstr(kKeys[i]);
    if (!rtcbox_FixtureInner_to_js(ctx, &inner, &result->entries[i].value))
      return RTC_ERR_INTERNAL; /* the exception is pending */
    result->length++;
  }
  return RTC_OK;
}

/* ------------------------------------------------------------------------
 * The addon
 * --------------------------------------------------------------------- */

NAPI_MODULE_EXPORT int32_t node_api_module_get_api_version_v1(void);

NAPI_MODULE_INIT() {
  return rtcbox_bindings_init(env, exports);
}
