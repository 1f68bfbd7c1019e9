/*
 * The Node-API runtime of the JavaScript bindings (api/js/DESIGN.md): what
 * the generated glue (bindings.c, from api/js/generator/) and the
 * hand-written implementations (api/js/impl/) call.
 *
 *   - Values: rtcbox_string (DOMString and friends as UTF-8 with length),
 *     rtcbox_bytes (BufferSource and friends).
 *   - The call context rtcbox_ctx: every implementation function gets one;
 *     it carries the env, an arena for temporaries of the call and the
 *     error the implementation reports.
 *   - Wrappers: the rtcbox_wrapper header every implementation struct
 *     starts with; one JS object per C object, held strongly or weakly.
 *   - Promises (rtcbox_promise), callbacks (rtcbox_callback) and Blobs
 *     (rtcbox_blob): handles the implementation keeps and uses later on the
 *     JS thread.
 *   - Errors: rtc_error (rtc_base/error.h) to TypeError, RangeError, the
 *     realm's DOMException, or the generated RTCError class.
 *   - Events: construction and dispatch on a wrapper's JS object.
 *   - The WebIDL conversions (WebIDL §3.2) the glue uses.
 *
 * Threads: everything here runs on the JS thread of the env the values
 * belong to (the signaling queue, api/js/runtime/napi_task_queue.h, brings
 * work there). Nothing is cached across envs: each env (the main thread,
 * each worker_thread) has its own instance data, its own classes, its own
 * DOMException.
 *
 * Errors inside the runtime: functions returning bool return false with a
 * JS exception pending (thrown in the env); they never abort on bad input.
 *
 * Node-API only (NAPI_VERSION 8); no V8 or libuv headers.
 */
#ifndef API_JS_RUNTIME_RUNTIME_H_
#define API_JS_RUNTIME_RUNTIME_H_

#include <node_api.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "rtc_base/arena.h"
#include "rtc_base/error.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ------------------------------------------------------------------------
 * Values
 * --------------------------------------------------------------------- */

/* A string. From JS (the glue's conversions): UTF-8, NUL-terminated, valid
 * for the duration of the call (it lives in the call's arena).
 *   DOMString: WTF-8 (UTF-8 in which a lone surrogate of the JS string is
 *              kept, encoded as its 3-byte generalized UTF-8 sequence), so
 *              that every DOMString round-trips exactly;
 *   USVString: UTF-8 (lone surrogates replaced by U+FFFD, WebIDL §3.2.12);
 *   ByteString: the code units themselves, one byte each (WebIDL §3.2.11).
 * To JS: `data` need not be NUL-terminated; invalid UTF-8 becomes U+FFFD.
 * A nullable string is null when data is NULL. */
typedef struct rtcbox_string {
  const char* data;
  size_t length;
} rtcbox_string;

#define RTCBOX_STRING_LITERAL(s) ((rtcbox_string){(s), sizeof(s) - 1})
/* NULL gives the null string. */
rtcbox_string rtcbox_string_from_cstr(const char* s);

/* Bytes of a buffer source (ArrayBuffer, a typed array, DataView). From
 * JS: a copy made at conversion time, in the call's arena (a detached
 * buffer gives length 0). To JS: copied into a new ArrayBuffer (or the
 * view type the IDL names). A nullable value is null when data is NULL. */
typedef struct rtcbox_bytes {
  const uint8_t* data;
  size_t length;
} rtcbox_bytes;

/* Buffer source types, as a mask of the types a conversion accepts. */
enum {
  RTCBOX_BUFFER_ARRAY_BUFFER = 1u << 0,
  RTCBOX_BUFFER_DATA_VIEW = 1u << 1,
  RTCBOX_BUFFER_INT8 = 1u << 2,
  RTCBOX_BUFFER_UINT8 = 1u << 3,
  RTCBOX_BUFFER_UINT8_CLAMPED = 1u << 4,
  RTCBOX_BUFFER_INT16 = 1u << 5,
  RTCBOX_BUFFER_UINT16 = 1u << 6,
  RTCBOX_BUFFER_INT32 = 1u << 7,
  RTCBOX_BUFFER_UINT32 = 1u << 8,
  RTCBOX_BUFFER_FLOAT16 = 1u << 9,
  RTCBOX_BUFFER_FLOAT32 = 1u << 10,
  RTCBOX_BUFFER_FLOAT64 = 1u << 11,
  RTCBOX_BUFFER_BIGINT64 = 1u << 12,
  RTCBOX_BUFFER_BIGUINT64 = 1u << 13,
  /* In an accept mask: [AllowShared] (views on a SharedArrayBuffer are
   * accepted). In a type: the value is shared. */
  RTCBOX_BUFFER_SHARED = 1u << 14,
  RTCBOX_BUFFER_SHARED_ARRAY_BUFFER = 1u << 15, /* the SharedArrayBuffer type */
};
#define RTCBOX_BUFFER_VIEWS 0x3ffeu /* every typed array and DataView */

/* ------------------------------------------------------------------------
 * The call context
 * --------------------------------------------------------------------- */

typedef enum rtcbox_call_kind {
  RTCBOX_CALL_OPERATION,   /* "Failed to execute 'm' on 'I': ..." */
  RTCBOX_CALL_GETTER,      /* "Failed to read the 'm' property from 'I': " */
  RTCBOX_CALL_SETTER,      /* "Failed to set the 'm' property on 'I': ..." */
  RTCBOX_CALL_CONSTRUCTOR, /* "Failed to construct 'I': ..." */
  RTCBOX_CALL_OTHER,       /* resolving a promise, invoking a callback,
                              firing an event: "I.m: ..." */
} rtcbox_call_kind;

/* One per call from JS (and per promise resolution, callback invocation,
 * event). The implementation:
 *   - reports a failure by returning an rtc_error; a message and RTCError
 *     details go in ctx->error (rtcbox_ctx_fail, or rtc_error_set on
 *     &ctx->error), else the table's description is used;
 *   - takes memory for its results with rtcbox_ctx_alloc (freed after the
 *     glue converted them);
 *   - may use ctx->env for values of type any/object.
 * If the implementation calls into JS and leaves an exception pending, that
 * exception is what JS sees. */
typedef struct rtcbox_ctx {
  napi_env env;
  rtc_arena arena;
  rtc_error_info error;
  const char* interface_name;
  const char* member_name;
  rtcbox_call_kind kind;
  /* Handles (callbacks, blobs) converted during the call: released when
   * it finishes; the implementation takes its own references. */
  struct rtcbox_release* releases;
} rtcbox_ctx;

void rtcbox_ctx_init(rtcbox_ctx* ctx,
                     napi_env env,
                     rtcbox_call_kind kind,
                     const char* interface_name,
                     const char* member_name);
/* Releases the call's handles and frees the arena. */
void rtcbox_ctx_finish(rtcbox_ctx* ctx);
/* Zeroed memory that lives until the call returns to JS; NULL when out of
 * memory. */
void* rtcbox_ctx_alloc(rtcbox_ctx* ctx, size_t size);
/* A copy of `s` (NUL-terminated) in the call's arena; the null string when
 * out of memory or s is NULL. */
rtcbox_string rtcbox_ctx_strdup(rtcbox_ctx* ctx, const char* s);
/* Records `code` and a printf-style message (NULL: the description) in
 * ctx->error; returns `code`:  return rtcbox_ctx_fail(ctx, RTC_ERR_..., ..) */
rtc_error rtcbox_ctx_fail(rtcbox_ctx* ctx, rtc_error code, const char* fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* ------------------------------------------------------------------------
 * Errors
 * --------------------------------------------------------------------- */

/* The JS error for `info` (rtc_base/error.h's table): TypeError, RangeError,
 * `new DOMException(message, name)` with the realm's DOMException, `new
 * RTCError({errorDetail, ...}, message)` with the generated class, or the
 * generated OverconstrainedError. An empty message takes the description.
 * NULL with an exception pending on failure. */
napi_value rtcbox_error_create(napi_env env, const rtc_error_info* info);
napi_value rtcbox_error_create_code(napi_env env,
                                    rtc_error code,
                                    const char* message);

/* Throw in ctx->env, prefixing the context ("Failed to execute 'x' on
 * 'Y': "). All return false, for `return rtcbox_throw_...(...)`. */
bool rtcbox_throw_type_error(rtcbox_ctx* ctx, const char* fmt, ...)
    __attribute__((format(printf, 2, 3)));
bool rtcbox_throw_range_error(rtcbox_ctx* ctx, const char* fmt, ...)
    __attribute__((format(printf, 2, 3)));
/* `code` with `message` (NULL: description). */
bool rtcbox_throw_code(rtcbox_ctx* ctx, rtc_error code, const char* message);
/* ctx->error for `code` (what an implementation function returned). If a
 * JS exception is already pending, leaves it. */
bool rtcbox_throw_result(rtcbox_ctx* ctx, rtc_error code);
/* "Illegal invocation" (a wrong `this`). */
bool rtcbox_throw_illegal_invocation(rtcbox_ctx* ctx);
/* A failed Node-API call: leaves a pending exception, or throws one. */
bool rtcbox_throw_status(rtcbox_ctx* ctx, napi_status status);
/* "1 argument required, but only 0 present." when argc < required. */
bool rtcbox_check_argc(rtcbox_ctx* ctx, size_t argc, size_t required);

/* Takes the pending exception (or, if none, a generic error) out of env. */
napi_value rtcbox_take_exception(napi_env env);

/* ------------------------------------------------------------------------
 * Classes and per-env state (used by the generated glue)
 * --------------------------------------------------------------------- */

typedef enum rtcbox_class_kind {
  /* Implemented in C: the JS object wraps an rtcbox_<X>, which starts with
   * an rtcbox_wrapper (or with its parent interface's struct). */
  RTCBOX_CLASS_NATIVE = 1,
  /* Implemented by bindings.js from converted constructor arguments
   * (Event and DOMException subclasses); C sees their objects as
   * napi_value. */
  RTCBOX_CLASS_JS = 2,
} rtcbox_class_kind;

typedef struct rtcbox_class_info {
  const char* name;
  int32_t parent; /* class id of the parent interface, 0: none or host */
  rtcbox_class_kind kind;
  /* NATIVE: calls rtcbox_<X>_finalize of the implementation. */
  void (*finalize)(void* self);
} rtcbox_class_info;

typedef struct rtcbox_module_info {
  const char* name;
  /* One tag per generated module: every native object is tagged with it;
   * the wrapper says which class the object is. */
  napi_type_tag tag;
  /* Indexed by class id; entry 0 is unused (id 0 means "no class"). */
  const rtcbox_class_info* classes;
  int32_t class_count;           /* entries, entry 0 included */
  int32_t rtc_error_class;       /* class id of RTCError, or 0 */
  int32_t overconstrained_class; /* class id of OverconstrainedError, or 0 */
} rtcbox_module_info;

/* Called by the generated rtcbox_bindings_init: creates the env's instance
 * data and adds `rtcbox_register(ctors, brands, token)` to `exports`, which
 * bindings.js calls once with its classes (an array indexed by class id),
 * the JS brand checks of JS classes, and its private construction token.
 * `module` must outlive the env (a static table). */
bool rtcbox_runtime_init(napi_env env,
                         napi_value exports,
                         const rtcbox_module_info* module);

/* `new <class>(...argv)` with the env's registered class. */
bool rtcbox_construct(rtcbox_ctx* ctx,
                      int32_t class_id,
                      size_t argc,
                      const napi_value* argv,
                      napi_value* out);

/* The call's receiver and arguments. *argv points to `inline_argv` (of
 * `inline_count` entries) when enough, else to arena memory. */
bool rtcbox_get_args(rtcbox_ctx* ctx,
                     napi_callback_info info,
                     napi_value* this_arg,
                     size_t* argc,
                     napi_value** argv,
                     napi_value* inline_argv,
                     size_t inline_count);

/* ------------------------------------------------------------------------
 * Wrappers
 * --------------------------------------------------------------------- */

typedef struct rtcbox_link rtcbox_link;

/* The first member of every implementation struct rtcbox_<X> (of a
 * derived interface: of its parent's struct). Zero it when creating the
 * object (rtc_calloc). The runtime owns its fields.
 *
 * Lifetime: a C object's JS object is created the first time it is handed
 * to JS (returned, resolved, in an event). From then on the JS object owns
 * it: when the JS object is collected (or its env torn down), the runtime
 * calls rtcbox_<X>_finalize(self) on the JS thread, which releases it (the
 * implementation decides whether that frees it: if it keeps the object in
 * its own lists it must take it out there, or hold it strongly). An object
 * handed to JS again after that gets a new JS object. */
typedef struct rtcbox_wrapper {
  rtcbox_link* link; /* the JS object, NULL when there is none */
  int32_t class_id;  /* the object's class; 0 until it is first wrapped,
                        or set it for a derived class returned through a
                        base type (RTCBOX_CLASS_<X> of bindings.h) */
  bool strong;       /* keep the JS object alive */
} rtcbox_wrapper;

/* Holds the wrapper's JS object strongly (it cannot be collected: an
 * object that can still fire events) or weakly (collectable once JS drops
 * it). Takes effect now if the JS object exists, else when it is created.
 * JS thread only. */
void rtcbox_wrapper_set_strong(rtcbox_wrapper* w, bool strong);
/* The JS object, or NULL if there is none (not created yet, or collected).
 * Needs an open handle scope (any call from JS, or rtcbox_scope_open). */
napi_value rtcbox_wrapper_object(rtcbox_wrapper* w);
/* The env of the wrapper's JS object; NULL if there is none or its env is
 * being torn down. */
napi_env rtcbox_wrapper_env(const rtcbox_wrapper* w);
/* Cuts the link between `w` and its JS object without finalizing: for an
 * implementation that frees an object whose JS object may live on. The JS
 * object's members then throw. JS thread only. */
void rtcbox_wrapper_detach(rtcbox_wrapper* w);

/* Glue: wraps `object` (a new JS object of `class_id`) around `w`. */
bool rtcbox_wrap(rtcbox_ctx* ctx,
                 napi_value object,
                 rtcbox_wrapper* w,
                 int32_t class_id);
/* Glue: the C object of `value` when it is a native object of class_id or
 * a descendant, else NULL (no exception). */
bool rtcbox_unwrap(rtcbox_ctx* ctx,
                   napi_value value,
                   int32_t class_id,
                   void** out);
/* Glue: brand check of `this`: TypeError "Illegal invocation" if wrong. */
bool rtcbox_unwrap_this(rtcbox_ctx* ctx,
                        napi_value this_arg,
                        int32_t class_id,
                        void** out);
/* Glue: the JS object of `w` (created, of w->class_id or else
 * `static_class`, if needed); null for w NULL. */
bool rtcbox_to_js_wrapper(rtcbox_ctx* ctx,
                          rtcbox_wrapper* w,
                          int32_t static_class,
                          napi_value* out);
/* Glue: `value` is an object of the JS class `class_id` (its brand). */
bool rtcbox_is_js_instance(rtcbox_ctx* ctx,
                           napi_value value,
                           int32_t class_id,
                           bool* result);
/* Glue: `value instanceof globalThis[name]` (host classes: Blob, Event,
 * DOMException, ...). */
bool rtcbox_is_host_instance(rtcbox_ctx* ctx,
                             napi_value value,
                             const char* name,
                             bool* result);

/* A handle scope for work outside a call from JS (events, promises,
 * callbacks run from the signaling queue). */
typedef struct rtcbox_scope {
  napi_env env;
  napi_handle_scope scope;
} rtcbox_scope;
bool rtcbox_scope_open(rtcbox_scope* scope, napi_env env);
void rtcbox_scope_close(rtcbox_scope* scope);

/* ------------------------------------------------------------------------
 * Events
 * --------------------------------------------------------------------- */

/* target.dispatchEvent(event) on w's JS object. Does nothing (RTC_OK) when
 * w has no JS object (nothing can listen). Listeners' exceptions are
 * reported by the host's EventTarget; a failure to build or dispatch the
 * event (out of memory) clears its exception and returns an error. Needs
 * an open scope. Errors: RTC_ERR_INTERNAL. */
rtc_error rtcbox_dispatch_event(rtcbox_wrapper* target, napi_value event);
/* Fires a plain Event (the realm's `Event`) named `type`, with the given
 * bubbles/cancelable. Opens its own scope. */
rtc_error rtcbox_fire_event(rtcbox_wrapper* target,
                            const char* type,
                            bool bubbles,
                            bool cancelable);
/* The global `name` of the realm: for Blob, Event, SharedArrayBuffer and
 * Uint8Array the value taken when the runtime started (what the page put
 * in their place since changes nothing), for any other name the global
 * object's property now. False with nothing in *out when it cannot be
 * read. */
bool rtcbox_get_realm_global(napi_env env, const char* name, napi_value* out);
/* Fires a MessageEvent named "message" whose data is `data`, with the
 * realm's MessageEvent (taken when the runtime started; see
 * rtcbox_dispatch_event for what a listener's exception does). Needs an
 * open scope. Errors: RTC_ERR_NOT_SUPPORTED (the host had no MessageEvent
 * then: nothing was fired), RTC_ERR_INTERNAL. */
rtc_error rtcbox_fire_message(rtcbox_wrapper* target, napi_value data);

/* ------------------------------------------------------------------------
 * Promises
 * --------------------------------------------------------------------- */

/* A pending promise returned to JS. The glue creates it and hands it to
 * the implementation (transfer full), which must later, on the JS thread,
 * do exactly one of: resolve it (the generated typed
 * rtcbox_promise_resolve_<T>, or the functions below), reject it, or drop
 * it (the JS promise then never settles, as the spec wants of some
 * operations on a closed peer connection). Each of these frees it.
 * A promise still pending when its env is torn down is freed then; the
 * handle is invalid after that teardown. */
typedef struct rtcbox_promise rtcbox_promise;

/* Glue: creates the promise; *value is the JS promise. */
bool rtcbox_promise_create(rtcbox_ctx* ctx,
                           napi_value* value,
                           rtcbox_promise** out);
napi_env rtcbox_promise_env(const rtcbox_promise* p);
void rtcbox_promise_resolve_undefined(rtcbox_promise* p);
void rtcbox_promise_resolve_value(rtcbox_promise* p, napi_value value);
/* Rejects with rtc_error's JS error; message NULL: the description. */
void rtcbox_promise_reject(rtcbox_promise* p,
                           rtc_error code,
                           const char* message);
void rtcbox_promise_reject_info(rtcbox_promise* p, const rtc_error_info* info);
void rtcbox_promise_reject_value(rtcbox_promise* p, napi_value reason);
void rtcbox_promise_drop(rtcbox_promise* p);
/* Leaves the promise pending for ever (webrtc-pc: an operation chained
 * before close() never settles) without keeping it alive. JS thread, JS
 * allowed to run (not in a finalizer). */
void rtcbox_promise_abandon(rtcbox_promise* p);
/* For generated resolvers: a context and scope for converting the value;
 * false (and the promise freed) if the env is gone. Finish with
 * rtcbox_promise_finish (resolves with `value`, or rejects with the
 * pending exception when ok is false). */
bool rtcbox_promise_begin(rtcbox_promise* p,
                          rtcbox_scope* scope,
                          rtcbox_ctx* ctx);
void rtcbox_promise_finish(rtcbox_promise* p,
                           rtcbox_scope* scope,
                           rtcbox_ctx* ctx,
                           bool ok,
                           napi_value value);
/* Pending promises of the env (tests). */
size_t rtcbox_promise_pending_count(napi_env env);

/* ------------------------------------------------------------------------
 * Callbacks (callback functions and callback interfaces)
 * --------------------------------------------------------------------- */

/* A JS function (or callback interface object) the implementation may call
 * later, on the JS thread, through the generated rtcbox_invoke_<Callback>.
 * Reference-counted: an implementation function that receives one and
 * keeps it past the call takes a reference (rtcbox_callback_ref) and
 * releases it later (rtcbox_callback_unref). Invalid after env teardown
 * (the runtime frees the ones still alive then). */
typedef struct rtcbox_callback rtcbox_callback;

void rtcbox_callback_ref(rtcbox_callback* cb);
void rtcbox_callback_unref(rtcbox_callback* cb);
/* The callback's env; NULL once the env is being torn down (then the
 * callback cannot be called any more). */
napi_env rtcbox_callback_env(const rtcbox_callback* cb);

/* Glue: converts a callback function value (must be callable, else
 * TypeError; [LegacyTreatNonObjectAsNull]: non-objects give NULL) or a
 * callback interface value (must be an object). `operation` is the
 * callback interface's operation name, NULL for a callback function. */
bool rtcbox_from_js_callback(rtcbox_ctx* ctx,
                             napi_value v,
                             const char* operation,
                             bool treat_non_object_as_null,
                             const char* label,
                             const char* type_name,
                             rtcbox_callback** out);
/* Glue: the callback's JS value (function or object). */
napi_value rtcbox_callback_value(rtcbox_callback* cb);
/* Glue: calls the callback (WebIDL "invoke a callback function" / "call a
 * user object's operation") with this = undefined; a JS exception stays
 * pending (false). */
bool rtcbox_callback_call(rtcbox_ctx* ctx,
                          rtcbox_callback* cb,
                          size_t argc,
                          const napi_value* argv,
                          napi_value* result);
/* Glue: reports the pending exception (as an uncaught exception), as
 * WebIDL says for exceptions of callbacks whose return value is dropped. */
void rtcbox_report_exception(napi_env env);
/* Glue: drops the pending exception, if any. */
void rtcbox_clear_exception(napi_env env);

/* ------------------------------------------------------------------------
 * Blobs
 * --------------------------------------------------------------------- */

/* A Blob argument (the realm's Blob class). Its size is known at once;
 * its bytes are read asynchronously, as in browsers: an implementation
 * that must keep the order of sends (RTCDataChannel.send) queues later
 * sends behind a pending read. Reference-counted like rtcbox_callback. */
typedef struct rtcbox_blob rtcbox_blob;

void rtcbox_blob_ref(rtcbox_blob* blob);
void rtcbox_blob_unref(rtcbox_blob* blob);
/* blob.size when it was converted. */
uint64_t rtcbox_blob_size(const rtcbox_blob* blob);

/* Called once per read on the JS thread: status RTC_OK with the bytes
 * (valid during the call), or an error (the read failed: RTC_ERR_NOT_READABLE;
 * the env was torn down first: RTC_ERR_ABORT, with no JS allowed). */
typedef void (*rtcbox_blob_read_cb)(void* user_data,
                                    rtc_error status,
                                    const uint8_t* data,
                                    size_t length);
/* Starts reading the whole blob (Blob.prototype.arrayBuffer of the realm).
 * The read holds a reference to the blob until it completes. A returned
 * error means `cb` will not be called. JS thread only.
 * Errors: RTC_ERR_NO_MEMORY, RTC_ERR_INVALID_STATE (env torn down),
 * RTC_ERR_INTERNAL. */
rtc_error rtcbox_blob_read(rtcbox_blob* blob,
                           rtcbox_blob_read_cb cb,
                           void* user_data);
/* Glue: converts a Blob value (TypeError if not a Blob). */
bool rtcbox_from_js_blob(rtcbox_ctx* ctx,
                         napi_value v,
                         const char* label,
                         rtcbox_blob** out);
/* Glue: the Blob object. */
napi_value rtcbox_blob_value(rtcbox_blob* blob);
/* A new Blob of the realm (the Blob class the runtime took when it started,
 * whatever the page put in globalThis.Blob since) whose one part is `part`
 * (an ArrayBuffer). NULL with an exception pending on failure. */
napi_value rtcbox_new_blob(napi_env env, napi_value part);
/* A new ArrayBuffer of the realm (fixed length, not shared) holding a copy
 * of `size` bytes of `data`; from a few KiB up the copy is made without
 * zero-filling the buffer first. NULL on failure. */
napi_value rtcbox_new_array_buffer_copy(napi_env env,
                                        const void* data,
                                        size_t size);

/* ------------------------------------------------------------------------
 * Conversions from JS (WebIDL §3.2), used by the glue. `label` names the
 * value in messages ("parameter 1", "member 'id' of RTCDataChannelInit").
 * --------------------------------------------------------------------- */

enum {
  RTCBOX_INT_ENFORCE_RANGE = 1, /* [EnforceRange] */
  RTCBOX_INT_CLAMP = 2,         /* [Clamp] */
};

bool rtcbox_from_js_boolean(rtcbox_ctx* ctx, napi_value v, bool* out);
/* ConvertToInt (WebIDL §3.2.4.9) for bit lengths 8, 16, 32 and 64; the
 * result is the integer's two's-complement bits. `type_name` is the IDL
 * type ("unsigned short") for messages. */
bool rtcbox_from_js_integer(rtcbox_ctx* ctx,
                            napi_value v,
                            int bits,
                            bool is_signed,
                            unsigned flags,
                            const char* label,
                            const char* type_name,
                            uint64_t* out);
bool rtcbox_from_js_int8(rtcbox_ctx*,
                         napi_value,
                         unsigned,
                         const char*,
                         int8_t*);
bool rtcbox_from_js_uint8(rtcbox_ctx*,
                          napi_value,
                          unsigned,
                          const char*,
                          uint8_t*);
bool rtcbox_from_js_int16(rtcbox_ctx*,
                          napi_value,
                          unsigned,
                          const char*,
                          int16_t*);
bool rtcbox_from_js_uint16(rtcbox_ctx*,
                           napi_value,
                           unsigned,
                           const char*,
                           uint16_t*);
bool rtcbox_from_js_int32(rtcbox_ctx*,
                          napi_value,
                          unsigned,
                          const char*,
                          int32_t*);
bool rtcbox_from_js_uint32(rtcbox_ctx*,
                           napi_value,
                           unsigned,
                           const char*,
                           uint32_t*);
bool rtcbox_from_js_int64(rtcbox_ctx*,
                          napi_value,
                          unsigned,
                          const char*,
                          int64_t*);
bool rtcbox_from_js_uint64(rtcbox_ctx*,
                           napi_value,
                           unsigned,
                           const char*,
                           uint64_t*);
/* float/double; restricted types throw TypeError for NaN and infinities
 * (and a float whose rounding overflows). */
bool rtcbox_from_js_float(rtcbox_ctx* ctx,
                          napi_value v,
                          bool unrestricted,
                          const char* label,
                          float* out);
bool rtcbox_from_js_double(rtcbox_ctx* ctx,
                           napi_value v,
                           bool unrestricted,
                           const char* label,
                           double* out);

typedef enum rtcbox_string_kind {
  RTCBOX_DOMSTRING,
  RTCBOX_USVSTRING,
  RTCBOX_BYTESTRING,
} rtcbox_string_kind;

/* ToString, then the encoding above. [LegacyNullToEmptyString]: pass
 * null_to_empty. */
bool rtcbox_from_js_string(rtcbox_ctx* ctx,
                           napi_value v,
                           rtcbox_string_kind kind,
                           bool null_to_empty,
                           const char* label,
                           rtcbox_string* out);
/* ToString, then the index of the value in `values` (TypeError if none). */
bool rtcbox_from_js_enum(rtcbox_ctx* ctx,
                         napi_value v,
                         const char* const* values,
                         size_t count,
                         const char* label,
                         const char* enum_name,
                         int* out);
/* A buffer source whose type is in `accept` (RTCBOX_BUFFER_*): its bytes,
 * copied into the call's arena. */
bool rtcbox_from_js_bytes(rtcbox_ctx* ctx,
                          napi_value v,
                          unsigned accept,
                          const char* label,
                          const char* type_name,
                          rtcbox_bytes* out);
/* The RTCBOX_BUFFER_* bit of v's type (RTCBOX_BUFFER_SHARED added for a
 * SharedArrayBuffer or a view on one), 0 when v is no buffer source. */
bool rtcbox_buffer_type(rtcbox_ctx* ctx, napi_value v, unsigned* out);
/* object: any Object (TypeError otherwise). */
bool rtcbox_from_js_object(rtcbox_ctx* ctx,
                           napi_value v,
                           const char* label,
                           napi_value* out);
/* Throws "<label> is not of type '<type_name>'." */
bool rtcbox_throw_not_of_type(rtcbox_ctx* ctx,
                              const char* label,
                              const char* type_name);

/* Type tests of the overload resolution and union algorithms. */
bool rtcbox_typeof(rtcbox_ctx* ctx, napi_value v, napi_valuetype* out);
bool rtcbox_is_object(rtcbox_ctx* ctx, napi_value v); /* object/function */
bool rtcbox_is_nullish(rtcbox_ctx* ctx, napi_value v);
bool rtcbox_is_undefined(rtcbox_ctx* ctx, napi_value v);

/* Dictionaries: Get(dict, name); *out is NULL when the value is undefined
 * (or dict is NULL: converting undefined/null). */
bool rtcbox_dict_get(rtcbox_ctx* ctx,
                     napi_value dict,
                     const char* name,
                     napi_value* out);
/* The dictionary value check: undefined, null or an Object. */
bool rtcbox_dict_check(rtcbox_ctx* ctx,
                       napi_value v,
                       const char* label,
                       const char* dict_name,
                       napi_value* dict_or_null);

/* Iterables (sequences): GetMethod(V, @@iterator); *method NULL when
 * undefined. */
bool rtcbox_get_iterator_method(rtcbox_ctx* ctx,
                                napi_value v,
                                napi_value* method);
typedef struct rtcbox_iter {
  napi_value iterator;
  napi_value next;
} rtcbox_iter;
/* GetIteratorFromMethod (TypeError if the result is not an object). */
bool rtcbox_iter_open(rtcbox_ctx* ctx,
                      napi_value v,
                      napi_value method,
                      rtcbox_iter* it);
/* IteratorStep + IteratorValue: *value NULL when done. */
bool rtcbox_iter_step(rtcbox_ctx* ctx, rtcbox_iter* it, napi_value* value);
/* Grows an arena array by one zeroed element (rtc_arena_push). */
void* rtcbox_push(rtcbox_ctx* ctx,
                  void** items,
                  size_t* length,
                  size_t* capacity,
                  size_t size);

/* Records: O.[[OwnPropertyKeys]]() (strings and symbols) as an array. */
bool rtcbox_record_keys(rtcbox_ctx* ctx,
                        napi_value obj,
                        napi_value* keys,
                        uint32_t* count);
/* O.[[GetOwnProperty]](key) exists and is enumerable. */
bool rtcbox_record_key_enumerable(rtcbox_ctx* ctx,
                                  napi_value obj,
                                  napi_value key,
                                  bool* result);

/* ------------------------------------------------------------------------
 * Conversions to JS
 * --------------------------------------------------------------------- */

/* null for the null string. */
bool rtcbox_to_js_string(rtcbox_ctx* ctx,
                         rtcbox_string s,
                         rtcbox_string_kind kind,
                         napi_value* out);
/* A new ArrayBuffer (accept has RTCBOX_BUFFER_ARRAY_BUFFER), else a
 * Uint8Array (or DataView), with a copy of the bytes; null for data NULL
 * when nullable. */
bool rtcbox_to_js_bytes(rtcbox_ctx* ctx,
                        rtcbox_bytes b,
                        unsigned type,
                        napi_value* out);
bool rtcbox_to_js_boolean(rtcbox_ctx* ctx, bool v, napi_value* out);
bool rtcbox_to_js_int64(rtcbox_ctx* ctx, int64_t v, napi_value* out);
bool rtcbox_to_js_uint64(rtcbox_ctx* ctx, uint64_t v, napi_value* out);
bool rtcbox_to_js_double(rtcbox_ctx* ctx, double v, napi_value* out);
bool rtcbox_to_js_null(rtcbox_ctx* ctx, napi_value* out);
bool rtcbox_to_js_undefined(rtcbox_ctx* ctx, napi_value* out);
/* Object.freeze (FrozenArray). */
bool rtcbox_freeze(rtcbox_ctx* ctx, napi_value v);
/* A plain object / array, and CreateDataProperty. */
bool rtcbox_new_object(rtcbox_ctx* ctx, napi_value* out);
bool rtcbox_new_array(rtcbox_ctx* ctx, size_t length, napi_value* out);
bool rtcbox_set_named(rtcbox_ctx* ctx,
                      napi_value obj,
                      const char* name,
                      napi_value value);
bool rtcbox_set_index(rtcbox_ctx* ctx,
                      napi_value arr,
                      uint32_t index,
                      napi_value value);
bool rtcbox_set_property(rtcbox_ctx* ctx,
                         napi_value obj,
                         napi_value key,
                         napi_value value);
/* Get(obj, key). */
bool rtcbox_get_property(rtcbox_ctx* ctx,
                         napi_value obj,
                         napi_value key,
                         napi_value* out);

/* ------------------------------------------------------------------------
 * Diagnostics (tests)
 * --------------------------------------------------------------------- */

/* Live runtime handles of the env: promises + callbacks + blobs + links. */
size_t rtcbox_live_handle_count(napi_env env);

#ifdef __cplusplus
}  // extern "C"
#endif

#endif  // API_JS_RUNTIME_RUNTIME_H_
