/*
 * The Node-API runtime of the JavaScript bindings. See runtime.h.
 *
 * Per-env state (napi_set_instance_data) and its teardown:
 *   1. Our env cleanup hook (registered after Node-API's own, so it runs
 *      before it) marks the env as tearing down, so that nothing calls into
 *      JS any more, and ends pending Blob reads (their callbacks run with
 *      RTC_ERR_ABORT while the implementation's objects are still alive).
 *   2. Node-API finalizes the wrapped objects: each calls the
 *      implementation's rtcbox_<X>_finalize.
 *   3. The instance data's finalizer frees the promises, callbacks and
 *      blobs still alive (their handles are invalid after teardown).
 * The env state is reference-counted by the links of wrapped objects, so
 * that it outlives them whatever order Node-API finalizes things in.
 */
#include "api/js/runtime/runtime.h"

#include <float.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "rtc_base/alloc.h"

/* ------------------------------------------------------------------------
 * Per-env state
 * --------------------------------------------------------------------- */

typedef struct rtcbox_env rtcbox_env;
typedef struct blob_read blob_read;

/* The list header shared by every handle kind. */
typedef struct handle_node {
  struct handle_node* prev;
  struct handle_node* next;
} handle_node;

struct rtcbox_link {
  handle_node node; /* first: the env's list of links */
  rtcbox_env* envd;
  rtcbox_wrapper* wrapper; /* NULL once detached */
  napi_ref ref;
  int32_t class_id;
};

struct rtcbox_promise {
  handle_node node;
  rtcbox_env* envd;
  napi_deferred deferred;
};

struct rtcbox_callback {
  handle_node node;
  rtcbox_env* envd;
  napi_ref ref;
  const char* operation; /* callback interfaces: the operation's name */
  int refcount;
};

struct rtcbox_blob {
  handle_node node;
  rtcbox_env* envd;
  napi_ref ref;
  uint64_t size;
  int refcount;
};

struct blob_read {
  handle_node node;
  rtcbox_env* envd;
  rtcbox_blob* blob;
  rtcbox_blob_read_cb cb;
  void* user_data;
};

/* Globals the runtime uses on hot paths (every message sent or received),
 * taken from the realm once when the runtime starts, as a browser's engine
 * holds its realm's intrinsics: a page replacing or deleting the global
 * afterwards changes nothing, and nothing is looked up by name per call.
 * MessageEvent is taken apart (fire_message below): a host may lack it,
 * and then message events are Events (data_channel.c). */
enum {
  INTRINSIC_BLOB,
  INTRINSIC_EVENT,
  INTRINSIC_SHARED_ARRAY_BUFFER,
  INTRINSIC_UINT8_ARRAY,
  INTRINSIC_COUNT
};

static const char* const kIntrinsics[INTRINSIC_COUNT] = {
    "Blob",
    "Event",
    "SharedArrayBuffer",
    "Uint8Array",
};

struct rtcbox_env {
  napi_env env;
  const rtcbox_module_info* module;
  napi_ref* ctors;  /* indexed by class id */
  napi_ref* brands; /* JS classes' brand checks */
  napi_ref token;
  napi_ref iterator_symbol;
  napi_ref property_is_enumerable;
  /* The realm's values of kIntrinsics, as found when the runtime started
   * (NULL: it had none; then looked up on the global object each time). */
  napi_ref intrinsics[INTRINSIC_COUNT];
  napi_ref dispatch_event;   /* EventTarget.prototype.dispatchEvent */
  napi_ref resizable_getter; /* of ArrayBuffer.prototype.resizable */
  /* (target, data) => dispatches new MessageEvent('message', {data}) at
   * target, with the realm's MessageEvent, dispatchEvent and Reflect.apply
   * taken when the runtime started (kFireMessageSource); NULL when the host
   * has no MessageEvent. */
  napi_ref fire_message;
  int refcount; /* the instance data + one per link */
  bool tearing_down;
  bool hook_registered;
  handle_node links;
  handle_node promises;
  handle_node callbacks;
  handle_node blobs;
  handle_node reads;
};

static void list_init(handle_node* head) {
  head->prev = head;
  head->next = head;
}

static void list_insert(handle_node* head, handle_node* node) {
  node->next = head->next;
  node->prev = head;
  head->next->prev = node;
  head->next = node;
}

static void list_remove(handle_node* node) {
  if (!node->next)
    return;
  node->prev->next = node->next;
  node->next->prev = node->prev;
  node->next = NULL;
  node->prev = NULL;
}

static size_t list_count(const handle_node* head) {
  size_t n = 0;
  for (const handle_node* it = head->next; it != head; it = it->next)
    n++;
  return n;
}

static rtcbox_env* env_data(napi_env env) {
  void* data = NULL;
  if (napi_get_instance_data(env, &data) != napi_ok)
    return NULL;
  return (rtcbox_env*)data;
}

static void delete_ref(napi_env env, napi_ref* ref) {
  if (*ref) {
    napi_delete_reference(env, *ref);
    *ref = NULL;
  }
}

/* What cache_realm_values took. */
static void delete_realm_refs(napi_env env, rtcbox_env* envd) {
  delete_ref(env, &envd->iterator_symbol);
  delete_ref(env, &envd->property_is_enumerable);
  for (int i = 0; i < INTRINSIC_COUNT; i++)
    delete_ref(env, &envd->intrinsics[i]);
  delete_ref(env, &envd->dispatch_event);
  delete_ref(env, &envd->resizable_getter);
  delete_ref(env, &envd->fire_message);
}

static void env_unref(rtcbox_env* envd) {
  if (--envd->refcount > 0)
    return;
  rtc_free(envd->ctors);
  rtc_free(envd->brands);
  rtc_free(envd);
}

static void blob_read_free(blob_read* read) {
  list_remove(&read->node);
  rtcbox_blob_unref(read->blob);
  rtc_free(read);
}

/* Step 1 of the teardown (see the top of this file). */
static void env_cleanup_hook(void* arg) {
  rtcbox_env* envd = arg;
  envd->hook_registered = false;
  envd->tearing_down = true;
  while (envd->reads.next != &envd->reads) {
    blob_read* read = (blob_read*)envd->reads.next;
    list_remove(&read->node);
    read->cb(read->user_data, RTC_ERR_ABORT, NULL, 0);
    rtcbox_blob_unref(read->blob);
    rtc_free(read);
  }
}

/* Step 3 of the teardown. */
static void env_finalize(napi_env env, void* data, void* hint) {
  (void)hint;
  rtcbox_env* envd = data;
  if (envd->hook_registered) {
    napi_remove_env_cleanup_hook(env, env_cleanup_hook, envd);
    envd->hook_registered = false;
  }
  envd->tearing_down = true;
  while (envd->reads.next != &envd->reads)
    blob_read_free((blob_read*)envd->reads.next);
  while (envd->promises.next != &envd->promises) {
    rtcbox_promise* p = (rtcbox_promise*)envd->promises.next;
    list_remove(&p->node);
    rtc_free(p);
  }
  while (envd->callbacks.next != &envd->callbacks) {
    rtcbox_callback* cb = (rtcbox_callback*)envd->callbacks.next;
    list_remove(&cb->node);
    delete_ref(env, &cb->ref);
    rtc_free(cb);
  }
  while (envd->blobs.next != &envd->blobs) {
    rtcbox_blob* blob = (rtcbox_blob*)envd->blobs.next;
    list_remove(&blob->node);
    delete_ref(env, &blob->ref);
    rtc_free(blob);
  }
  for (int32_t i = 0; i < envd->module->class_count; i++) {
    delete_ref(env, &envd->ctors[i]);
    delete_ref(env, &envd->brands[i]);
  }
  delete_ref(env, &envd->token);
  delete_realm_refs(env, envd);
  /* Links still alive belong to objects Node-API has not finalized yet;
   * they keep envd (without its JS state) until then. */
  env_unref(envd);
}

/* ------------------------------------------------------------------------
 * The call context and errors
 * --------------------------------------------------------------------- */

rtcbox_string rtcbox_string_from_cstr(const char* s) {
  rtcbox_string r = {s, s ? strlen(s) : 0};
  return r;
}

struct rtcbox_release {
  struct rtcbox_release* next;
  rtcbox_callback* callback;
  rtcbox_blob* blob;
};

static bool ctx_add_release(rtcbox_ctx* ctx,
                            rtcbox_callback* callback,
                            rtcbox_blob* blob) {
  struct rtcbox_release* r = rtc_arena_alloc(&ctx->arena, sizeof(*r));
  if (!r)
    return false;
  r->callback = callback;
  r->blob = blob;
  r->next = ctx->releases;
  ctx->releases = r;
  return true;
}

void rtcbox_ctx_init(rtcbox_ctx* ctx,
                     napi_env env,
                     rtcbox_call_kind kind,
                     const char* interface_name,
                     const char* member_name) {
  ctx->env = env;
  rtc_arena_init(&ctx->arena, 0);
  rtc_error_info_init(&ctx->error);
  ctx->interface_name = interface_name ? interface_name : "";
  ctx->member_name = member_name ? member_name : "";
  ctx->kind = kind;
  ctx->releases = NULL;
}

void rtcbox_ctx_finish(rtcbox_ctx* ctx) {
  for (struct rtcbox_release* r = ctx->releases; r; r = r->next) {
    if (r->callback)
      rtcbox_callback_unref(r->callback);
    if (r->blob)
      rtcbox_blob_unref(r->blob);
  }
  ctx->releases = NULL;
  rtc_arena_reset(&ctx->arena);
}

void* rtcbox_ctx_alloc(rtcbox_ctx* ctx, size_t size) {
  return rtc_arena_alloc(&ctx->arena, size);
}

rtcbox_string rtcbox_ctx_strdup(rtcbox_ctx* ctx, const char* s) {
  rtcbox_string r = {NULL, 0};
  if (!s)
    return r;
  char* copy = rtc_arena_strdup(&ctx->arena, s);
  if (copy) {
    r.data = copy;
    r.length = strlen(copy);
  }
  return r;
}

rtc_error rtcbox_ctx_fail(rtcbox_ctx* ctx,
                          rtc_error code,
                          const char* fmt,
                          ...) {
  ctx->error.code = code;
  if (!fmt) {
    snprintf(ctx->error.message, sizeof(ctx->error.message), "%s",
             rtc_error_description(code));
    return code;
  }
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(ctx->error.message, sizeof(ctx->error.message), fmt, ap);
  va_end(ap);
  return code;
}

static void format_prefix(const rtcbox_ctx* ctx, char* buf, size_t size) {
  switch (ctx->kind) {
    case RTCBOX_CALL_OPERATION:
      snprintf(buf, size, "Failed to execute '%s' on '%s': ", ctx->member_name,
               ctx->interface_name);
      break;
    case RTCBOX_CALL_GETTER:
      snprintf(buf, size,
               "Failed to read the '%s' property from '%s': ", ctx->member_name,
               ctx->interface_name);
      break;
    case RTCBOX_CALL_SETTER:
      snprintf(buf, size,
               "Failed to set the '%s' property on '%s': ", ctx->member_name,
               ctx->interface_name);
      break;
    case RTCBOX_CALL_CONSTRUCTOR:
      snprintf(buf, size, "Failed to construct '%s': ", ctx->interface_name);
      break;
    case RTCBOX_CALL_OTHER:
    default:
      if (ctx->interface_name[0] && ctx->member_name[0])
        snprintf(buf, size, "%s.%s: ", ctx->interface_name, ctx->member_name);
      else if (ctx->interface_name[0])
        snprintf(buf, size, "%s: ", ctx->interface_name);
      else
        buf[0] = '\0';
      break;
  }
}

static bool exception_pending(napi_env env) {
  bool pending = false;
  napi_is_exception_pending(env, &pending);
  return pending;
}

static bool get_global_property(napi_env env,
                                const char* name,
                                napi_value* out) {
  napi_value global;
  if (napi_get_global(env, &global) != napi_ok)
    return false;
  return napi_get_named_property(env, global, name, out) == napi_ok;
}

/* The global `name`: the realm's value taken when the runtime started
 * when it is one of kIntrinsics, else the global object's property now. */
bool rtcbox_get_realm_global(napi_env env, const char* name, napi_value* out) {
  rtcbox_env* envd = env_data(env);
  for (int i = 0; envd && i < INTRINSIC_COUNT; i++) {
    if (envd->intrinsics[i] && strcmp(kIntrinsics[i], name) == 0)
      return napi_get_reference_value(env, envd->intrinsics[i], out) ==
                 napi_ok &&
             *out;
  }
  return get_global_property(env, name, out);
}

static bool is_function(napi_env env, napi_value v) {
  napi_valuetype t;
  return v && napi_typeof(env, v, &t) == napi_ok && t == napi_function;
}

static napi_value make_string(napi_env env, const char* s) {
  napi_value v = NULL;
  if (napi_create_string_utf8(env, s, NAPI_AUTO_LENGTH, &v) != napi_ok)
    return NULL;
  return v;
}

static napi_value make_int(napi_env env, int32_t i) {
  napi_value v = NULL;
  if (napi_create_int32(env, i, &v) != napi_ok)
    return NULL;
  return v;
}

static bool define_value(napi_env env,
                         napi_value obj,
                         napi_value key,
                         napi_value value) {
  napi_property_descriptor d = {
      NULL,
      key,
      NULL,
      NULL,
      NULL,
      value,
      napi_writable | napi_enumerable | napi_configurable,
      NULL};
  return napi_define_properties(env, obj, 1, &d) == napi_ok;
}

static bool define_named(napi_env env,
                         napi_value obj,
                         const char* name,
                         napi_value value) {
  napi_value key = make_string(env, name);
  return key && value && define_value(env, obj, key, value);
}

/* new DOMException(message, name) of the env's realm. */
static napi_value create_dom_exception(napi_env env,
                                       const char* message,
                                       const char* name) {
  napi_value ctor, argv[2], result = NULL;
  argv[0] = make_string(env, message);
  argv[1] = make_string(env, name);
  if (!argv[0] || !argv[1])
    return NULL;
  if (get_global_property(env, "DOMException", &ctor) &&
      is_function(env, ctor) &&
      napi_new_instance(env, ctor, 2, argv, &result) == napi_ok)
    return result;
  if (exception_pending(env))
    return NULL;
  /* A host without DOMException: an Error with the name. */
  if (napi_create_error(env, NULL, argv[0], &result) != napi_ok)
    return NULL;
  napi_set_named_property(env, result, "name", argv[1]);
  return result;
}

static napi_value registered_ctor(napi_env env, int32_t class_id) {
  rtcbox_env* envd = env_data(env);
  napi_value ctor = NULL;
  if (!envd || class_id <= 0 || class_id >= envd->module->class_count ||
      !envd->ctors[class_id])
    return NULL;
  if (napi_get_reference_value(env, envd->ctors[class_id], &ctor) != napi_ok)
    return NULL;
  return ctor;
}

static napi_value create_rtc_error(napi_env env,
                                   const rtc_error_info* info,
                                   const char* message) {
  rtcbox_env* envd = env_data(env);
  napi_value ctor =
      envd ? registered_ctor(env, envd->module->rtc_error_class) : NULL;
  const char* detail = rtc_error_detail_type(info->code);
  if (!ctor || !detail)
    return create_dom_exception(env, message, "OperationError");
  napi_value init, argv[2], result = NULL;
  if (napi_create_object(env, &init) != napi_ok)
    return NULL;
  if (!define_named(env, init, "errorDetail", make_string(env, detail)))
    return NULL;
  /* rtc_error_info: 0 is "absent" for the line number, -1 for the rest. */
  if (info->sdp_line_number > 0 &&
      !define_named(env, init, "sdpLineNumber",
                    make_int(env, info->sdp_line_number)))
    return NULL;
  if (info->sctp_cause_code >= 0 &&
      !define_named(env, init, "sctpCauseCode",
                    make_int(env, info->sctp_cause_code)))
    return NULL;
  if (info->received_alert >= 0 &&
      !define_named(env, init, "receivedAlert",
                    make_int(env, info->received_alert)))
    return NULL;
  if (info->sent_alert >= 0 &&
      !define_named(env, init, "sentAlert", make_int(env, info->sent_alert)))
    return NULL;
  argv[0] = init;
  argv[1] = make_string(env, message);
  if (!argv[1] || napi_new_instance(env, ctor, 2, argv, &result) != napi_ok)
    return NULL;
  return result;
}

static napi_value create_error(napi_env env,
                               rtc_error code,
                               const rtc_error_info* info,
                               const char* message) {
  napi_value msg, result = NULL;
  switch (rtc_error_js_kind(code)) {
    case RTC_JS_TYPE_ERROR:
      msg = make_string(env, message);
      if (!msg || napi_create_type_error(env, NULL, msg, &result) != napi_ok)
        return NULL;
      return result;
    case RTC_JS_RANGE_ERROR:
      msg = make_string(env, message);
      if (!msg || napi_create_range_error(env, NULL, msg, &result) != napi_ok)
        return NULL;
      return result;
    case RTC_JS_RTC_ERROR:
      return create_rtc_error(env, info, message);
    case RTC_JS_OVERCONSTRAINED: {
      rtcbox_env* envd = env_data(env);
      napi_value ctor =
          envd ? registered_ctor(env, envd->module->overconstrained_class)
               : NULL;
      if (ctor) {
        napi_value argv[2] = {make_string(env, ""), make_string(env, message)};
        if (argv[0] && argv[1] &&
            napi_new_instance(env, ctor, 2, argv, &result) == napi_ok)
          return result;
        return NULL;
      }
      return create_dom_exception(env, message, "OverconstrainedError");
    }
    case RTC_JS_NONE:
    case RTC_JS_DOMEXCEPTION:
    default: {
      const char* name = rtc_error_js_name(code);
      return create_dom_exception(env, message, name ? name : "OperationError");
    }
  }
}

napi_value rtcbox_error_create(napi_env env, const rtc_error_info* info) {
  const char* message =
      info->message[0] ? info->message : rtc_error_description(info->code);
  return create_error(env, info->code, info, message);
}

napi_value rtcbox_error_create_code(napi_env env,
                                    rtc_error code,
                                    const char* message) {
  rtc_error_info info;
  rtc_error_info_init(&info);
  info.code = code;
  if (message)
    snprintf(info.message, sizeof(info.message), "%s", message);
  return rtcbox_error_create(env, &info);
}

static void throw_value(napi_env env, napi_value error) {
  if (error)
    napi_throw(env, error);
  else if (!exception_pending(env))
    napi_throw_error(env, NULL, "rtcbox: cannot create the error");
}

__attribute__((format(printf, 3, 0))) static bool
throw_formatted(rtcbox_ctx* ctx, rtc_error code, const char* fmt, va_list ap) {
  if (exception_pending(ctx->env))
    return false;
  rtc_error_info info;
  rtc_error_info_init(&info);
  info.code = code;
  char prefix[200];
  char text[512];
  char full[sizeof(prefix) + sizeof(text)];
  format_prefix(ctx, prefix, sizeof(prefix));
  vsnprintf(text, sizeof(text), fmt, ap);
  snprintf(full, sizeof(full), "%s%s", prefix, text);
  throw_value(ctx->env, create_error(ctx->env, code, &info, full));
  return false;
}

bool rtcbox_throw_type_error(rtcbox_ctx* ctx, const char* fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  throw_formatted(ctx, RTC_ERR_INVALID_ARGUMENT, fmt, ap);
  va_end(ap);
  return false;
}

bool rtcbox_throw_range_error(rtcbox_ctx* ctx, const char* fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  throw_formatted(ctx, RTC_ERR_OUT_OF_RANGE, fmt, ap);
  va_end(ap);
  return false;
}

bool rtcbox_throw_code(rtcbox_ctx* ctx, rtc_error code, const char* message) {
  if (exception_pending(ctx->env))
    return false;
  rtc_error_info info;
  rtc_error_info_init(&info);
  info.code = code;
  char prefix[200];
  char full[sizeof(prefix) + 512];
  format_prefix(ctx, prefix, sizeof(prefix));
  snprintf(full, sizeof(full), "%s%.511s", prefix,
           message ? message : rtc_error_description(code));
  throw_value(ctx->env, create_error(ctx->env, code, &info, full));
  return false;
}

bool rtcbox_throw_result(rtcbox_ctx* ctx, rtc_error code) {
  if (exception_pending(ctx->env))
    return false;
  rtc_error_info info = ctx->error;
  if (info.code != code) {
    rtc_error_info_init(&info);
    info.code = code;
  }
  char prefix[200];
  char full[sizeof(prefix) + sizeof(info.message)];
  format_prefix(ctx, prefix, sizeof(prefix));
  snprintf(full, sizeof(full), "%s%s", prefix,
           info.message[0] ? info.message : rtc_error_description(code));
  throw_value(ctx->env, create_error(ctx->env, code, &info, full));
  return false;
}

bool rtcbox_throw_illegal_invocation(rtcbox_ctx* ctx) {
  if (exception_pending(ctx->env))
    return false;
  napi_value msg = make_string(ctx->env, "Illegal invocation");
  napi_value err = NULL;
  if (msg)
    napi_create_type_error(ctx->env, NULL, msg, &err);
  throw_value(ctx->env, err);
  return false;
}

bool rtcbox_throw_status(rtcbox_ctx* ctx, napi_status status) {
  if (status == napi_ok || exception_pending(ctx->env))
    return false;
  const napi_extended_error_info* info = NULL;
  napi_get_last_error_info(ctx->env, &info);
  char text[200];
  snprintf(text, sizeof(text), "Node-API call failed (%d: %s)", (int)status,
           info && info->error_message ? info->error_message : "unknown");
  return rtcbox_throw_code(ctx, RTC_ERR_INTERNAL, text);
}

bool rtcbox_check_argc(rtcbox_ctx* ctx, size_t argc, size_t required) {
  if (argc >= required)
    return true;
  return rtcbox_throw_type_error(
      ctx, "%zu argument%s required, but only %zu present.", required,
      required == 1 ? "" : "s", argc);
}

bool rtcbox_throw_not_of_type(rtcbox_ctx* ctx,
                              const char* label,
                              const char* type_name) {
  return rtcbox_throw_type_error(ctx, "%s is not of type '%s'.", label,
                                 type_name);
}

napi_value rtcbox_take_exception(napi_env env) {
  napi_value e = NULL;
  if (exception_pending(env) &&
      napi_get_and_clear_last_exception(env, &e) == napi_ok && e)
    return e;
  napi_value msg = make_string(env, "rtcbox: internal error");
  if (msg)
    napi_create_error(env, NULL, msg, &e);
  return e;
}

/* Node-API call helper: on failure, make sure an exception is pending. */
#define CALL(ctx, expr)                                \
  do {                                                 \
    napi_status call_status_ = (expr);                 \
    if (call_status_ != napi_ok)                       \
      return rtcbox_throw_status((ctx), call_status_); \
  } while (0)

/* ------------------------------------------------------------------------
 * Initialization and classes
 * --------------------------------------------------------------------- */

static bool store_ref(napi_env env, napi_value v, napi_ref* ref) {
  delete_ref(env, ref);
  return napi_create_reference(env, v, 1, ref) == napi_ok;
}

/* rtcbox_register(ctors, brands, token), called once by bindings.js. */
static napi_value register_classes(napi_env env, napi_callback_info info) {
  size_t argc = 3;
  napi_value argv[3];
  rtcbox_env* envd = env_data(env);
  if (!envd ||
      napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok ||
      argc < 3) {
    napi_throw_type_error(env, NULL, "rtcbox_register: bad arguments");
    return NULL;
  }
  for (int32_t i = 1; i < envd->module->class_count; i++) {
    napi_value ctor, brand;
    if (napi_get_element(env, argv[0], (uint32_t)i, &ctor) != napi_ok ||
        napi_get_element(env, argv[1], (uint32_t)i, &brand) != napi_ok)
      return NULL;
    if (is_function(env, ctor) && !store_ref(env, ctor, &envd->ctors[i]))
      return NULL;
    if (is_function(env, brand) && !store_ref(env, brand, &envd->brands[i]))
      return NULL;
  }
  if (!store_ref(env, argv[2], &envd->token))
    return NULL;
  return NULL;
}

/* The getter of ArrayBuffer.prototype.resizable, false when there is none
 * (an engine without resizable ArrayBuffers). */
static bool resizable_getter(napi_env env, napi_value* out) {
  napi_value ab, proto, object, describe, argv[2], desc, get;
  napi_valuetype t;
  if (!get_global_property(env, "ArrayBuffer", &ab) ||
      napi_get_named_property(env, ab, "prototype", &proto) != napi_ok ||
      !get_global_property(env, "Object", &object) ||
      napi_get_named_property(env, object, "getOwnPropertyDescriptor",
                              &describe) != napi_ok ||
      !is_function(env, describe))
    return false;
  argv[0] = proto;
  argv[1] = make_string(env, "resizable");
  if (!argv[1] ||
      napi_call_function(env, object, describe, 2, argv, &desc) != napi_ok ||
      napi_typeof(env, desc, &t) != napi_ok || t != napi_object ||
      napi_get_named_property(env, desc, "get", &get) != napi_ok ||
      !is_function(env, get))
    return false;
  *out = get;
  return true;
}

/* A message event in one call into JS, where building it from C took ten
 * Node-API calls per message (the global's lookup, the init dictionary,
 * the type string, the construction, dispatchEvent's call). Evaluated once
 * per env; everything it uses is bound when it is made, so that what the
 * page does later to globalThis.MessageEvent, EventTarget.prototype,
 * Function.prototype or Reflect changes nothing. The object and array
 * literals define their properties (no setter of Object.prototype or
 * Array.prototype runs). */
static const char kFireMessageSource[] =
    "(function (apply, dispatch, MessageEvent) {\n"
    "  'use strict';\n"
    "  return function fireMessage(target, data) {\n"
    "    apply(dispatch, target, [new MessageEvent('message', { data: data "
    "})]);\n"
    "  };\n"
    "})";

/* Makes envd->fire_message when the host has MessageEvent and
 * EventTarget.prototype.dispatchEvent. False only when a reference could
 * not be kept. */
static bool make_fire_message(napi_env env, rtcbox_env* envd) {
  napi_value ctor, reflect, apply, dispatch, source, maker, argv[3], fn;
  if (!envd->dispatch_event ||
      !get_global_property(env, "MessageEvent", &ctor) ||
      !is_function(env, ctor) ||
      !get_global_property(env, "Reflect", &reflect) ||
      napi_get_named_property(env, reflect, "apply", &apply) != napi_ok ||
      !is_function(env, apply) ||
      napi_get_reference_value(env, envd->dispatch_event, &dispatch) !=
          napi_ok ||
      napi_create_string_utf8(env, kFireMessageSource, NAPI_AUTO_LENGTH,
                              &source) != napi_ok ||
      napi_run_script(env, source, &maker) != napi_ok ||
      !is_function(env, maker)) {
    rtcbox_clear_exception(env);
    return true; /* without: data_channel.c builds the event itself */
  }
  argv[0] = apply;
  argv[1] = dispatch;
  argv[2] = ctor;
  napi_value undefined;
  if (napi_get_undefined(env, &undefined) != napi_ok ||
      napi_call_function(env, undefined, maker, 3, argv, &fn) != napi_ok ||
      !is_function(env, fn)) {
    rtcbox_clear_exception(env);
    return true;
  }
  return store_ref(env, fn, &envd->fire_message);
}

static bool cache_realm_values(napi_env env, rtcbox_env* envd) {
  napi_value symbol, iterator, object, proto, fn;
  if (!get_global_property(env, "Symbol", &symbol) ||
      napi_get_named_property(env, symbol, "iterator", &iterator) != napi_ok ||
      !get_global_property(env, "Object", &object) ||
      napi_get_named_property(env, object, "prototype", &proto) != napi_ok ||
      napi_get_named_property(env, proto, "propertyIsEnumerable", &fn) !=
          napi_ok)
    return false;
  if (!store_ref(env, iterator, &envd->iterator_symbol) ||
      !store_ref(env, fn, &envd->property_is_enumerable))
    return false;
  /* The rest only when the host has them (a host without one: looked up
   * by name each time, as before it existed). */
  for (int i = 0; i < INTRINSIC_COUNT; i++) {
    napi_value v;
    if (get_global_property(env, kIntrinsics[i], &v) && is_function(env, v) &&
        !store_ref(env, v, &envd->intrinsics[i]))
      return false;
  }
  napi_value et, dispatch;
  if (get_global_property(env, "EventTarget", &et) && is_function(env, et) &&
      napi_get_named_property(env, et, "prototype", &proto) == napi_ok &&
      napi_get_named_property(env, proto, "dispatchEvent", &dispatch) ==
          napi_ok &&
      is_function(env, dispatch) &&
      !store_ref(env, dispatch, &envd->dispatch_event))
    return false;
  napi_value getter;
  if (resizable_getter(env, &getter) &&
      !store_ref(env, getter, &envd->resizable_getter))
    return false;
  if (!make_fire_message(env, envd))
    return false;
  rtcbox_clear_exception(env);
  return true;
}

bool rtcbox_runtime_init(napi_env env,
                         napi_value exports,
                         const rtcbox_module_info* module) {
  rtcbox_env* envd = rtc_calloc(1, sizeof(*envd));
  if (!envd)
    goto fail_alloc;
  envd->ctors = rtc_calloc((size_t)module->class_count, sizeof(napi_ref));
  envd->brands = rtc_calloc((size_t)module->class_count, sizeof(napi_ref));
  if (!envd->ctors || !envd->brands)
    goto fail_env;
  envd->env = env;
  envd->module = module;
  envd->refcount = 1;
  list_init(&envd->links);
  list_init(&envd->promises);
  list_init(&envd->callbacks);
  list_init(&envd->blobs);
  list_init(&envd->reads);
  if (!cache_realm_values(env, envd))
    goto fail_refs;
  if (napi_set_instance_data(env, envd, env_finalize, NULL) != napi_ok)
    goto fail_refs;
  /* From here env_finalize owns envd. */
  if (napi_add_env_cleanup_hook(env, env_cleanup_hook, envd) != napi_ok)
    goto fail_js;
  envd->hook_registered = true;
  napi_value fn;
  if (napi_create_function(env, "rtcbox_register", NAPI_AUTO_LENGTH,
                           register_classes, NULL, &fn) != napi_ok ||
      napi_set_named_property(env, exports, "rtcbox_register", fn) != napi_ok)
    goto fail_js;
  return true;

fail_refs:
  delete_realm_refs(env, envd);
fail_env:
  rtc_free(envd->ctors);
  rtc_free(envd->brands);
  rtc_free(envd);
fail_alloc:
  if (!exception_pending(env))
    napi_throw_error(env, NULL, "rtcbox: cannot initialize the runtime");
  return false;
fail_js:
  if (!exception_pending(env))
    napi_throw_error(env, NULL, "rtcbox: cannot initialize the runtime");
  return false;
}

bool rtcbox_construct(rtcbox_ctx* ctx,
                      int32_t class_id,
                      size_t argc,
                      const napi_value* argv,
                      napi_value* out) {
  napi_value ctor = registered_ctor(ctx->env, class_id);
  if (!ctor)
    return rtcbox_throw_code(ctx, RTC_ERR_INTERNAL,
                             "class not registered (bindings.js not loaded)");
  CALL(ctx, napi_new_instance(ctx->env, ctor, argc, argv, out));
  return true;
}

bool rtcbox_get_args(rtcbox_ctx* ctx,
                     napi_callback_info info,
                     napi_value* this_arg,
                     size_t* argc,
                     napi_value** argv,
                     napi_value* inline_argv,
                     size_t inline_count) {
  size_t n = inline_count;
  CALL(ctx, napi_get_cb_info(ctx->env, info, &n, inline_argv, this_arg, NULL));
  *argc = n;
  *argv = inline_argv;
  if (n <= inline_count)
    return true;
  napi_value* all = rtc_arena_alloc_array(&ctx->arena, n, sizeof(napi_value));
  if (!all)
    return rtcbox_throw_code(ctx, RTC_ERR_NO_MEMORY, NULL);
  CALL(ctx, napi_get_cb_info(ctx->env, info, &n, all, NULL, NULL));
  *argv = all;
  return true;
}

/* ------------------------------------------------------------------------
 * Wrappers
 * --------------------------------------------------------------------- */

static bool class_is_a(const rtcbox_module_info* module,
                       int32_t class_id,
                       int32_t wanted) {
  while (class_id > 0 && class_id < module->class_count) {
    if (class_id == wanted)
      return true;
    class_id = module->classes[class_id].parent;
  }
  return false;
}

static void link_finalize(napi_env env, void* data, void* hint) {
  (void)hint;
  rtcbox_link* link = data;
  rtcbox_env* envd = link->envd;
  delete_ref(env, &link->ref);
  list_remove(&link->node);
  rtcbox_wrapper* w = link->wrapper;
  if (w && w->link == link) {
    w->link = NULL;
    const rtcbox_class_info* info = &envd->module->classes[link->class_id];
    if (info->finalize)
      info->finalize(w);
  }
  rtc_free(link);
  env_unref(envd);
}

bool rtcbox_wrap(rtcbox_ctx* ctx,
                 napi_value object,
                 rtcbox_wrapper* w,
                 int32_t class_id) {
  rtcbox_env* envd = env_data(ctx->env);
  if (!envd)
    return rtcbox_throw_code(ctx, RTC_ERR_INTERNAL, "runtime not initialized");
  if (w->link)
    return rtcbox_throw_code(ctx, RTC_ERR_INTERNAL,
                             "the C object already has a JS object");
  rtcbox_link* link = rtc_calloc(1, sizeof(*link));
  if (!link)
    return rtcbox_throw_code(ctx, RTC_ERR_NO_MEMORY, NULL);
  link->envd = envd;
  link->wrapper = w;
  link->class_id = class_id;
  napi_status status =
      napi_wrap(ctx->env, object, link, link_finalize, NULL, NULL);
  if (status != napi_ok) {
    rtc_free(link);
    return rtcbox_throw_status(ctx, status);
  }
  /* From here link_finalize frees link. */
  list_insert(&envd->links, &link->node);
  envd->refcount++;
  w->link = link;
  w->class_id = class_id;
  status = napi_type_tag_object(ctx->env, object, &envd->module->tag);
  if (status == napi_ok)
    status =
        napi_create_reference(ctx->env, object, w->strong ? 1 : 0, &link->ref);
  if (status != napi_ok) {
    /* The object stays wrapped but unusable; its finalizer cleans up. */
    link->wrapper = NULL;
    w->link = NULL;
    return rtcbox_throw_status(ctx, status);
  }
  return true;
}

bool rtcbox_unwrap(rtcbox_ctx* ctx,
                   napi_value value,
                   int32_t class_id,
                   void** out) {
  *out = NULL;
  rtcbox_env* envd = env_data(ctx->env);
  napi_valuetype t;
  if (!envd || napi_typeof(ctx->env, value, &t) != napi_ok ||
      (t != napi_object && t != napi_function))
    return true;
  bool tagged = false;
  CALL(ctx, napi_check_object_type_tag(ctx->env, value, &envd->module->tag,
                                       &tagged));
  if (!tagged)
    return true;
  void* data = NULL;
  CALL(ctx, napi_unwrap(ctx->env, value, &data));
  rtcbox_link* link = data;
  if (link && link->wrapper &&
      class_is_a(envd->module, link->class_id, class_id))
    *out = link->wrapper;
  return true;
}

bool rtcbox_unwrap_this(rtcbox_ctx* ctx,
                        napi_value this_arg,
                        int32_t class_id,
                        void** out) {
  if (!rtcbox_unwrap(ctx, this_arg, class_id, out))
    return false;
  if (!*out)
    return rtcbox_throw_illegal_invocation(ctx);
  return true;
}

void rtcbox_wrapper_set_strong(rtcbox_wrapper* w, bool strong) {
  if (w->strong == strong)
    return;
  w->strong = strong;
  rtcbox_link* link = w->link;
  if (!link || !link->ref || link->envd->tearing_down)
    return;
  uint32_t count = 0;
  if (strong)
    napi_reference_ref(link->envd->env, link->ref, &count);
  else
    napi_reference_unref(link->envd->env, link->ref, &count);
}

napi_value rtcbox_wrapper_object(rtcbox_wrapper* w) {
  rtcbox_link* link = w ? w->link : NULL;
  napi_value obj = NULL;
  if (!link || !link->ref || link->envd->tearing_down)
    return NULL;
  if (napi_get_reference_value(link->envd->env, link->ref, &obj) != napi_ok)
    return NULL;
  return obj;
}

napi_env rtcbox_wrapper_env(const rtcbox_wrapper* w) {
  if (!w || !w->link || w->link->envd->tearing_down)
    return NULL;
  return w->link->envd->env;
}

void rtcbox_wrapper_detach(rtcbox_wrapper* w) {
  rtcbox_link* link = w->link;
  if (!link)
    return;
  link->wrapper = NULL;
  w->link = NULL;
}

bool rtcbox_to_js_wrapper(rtcbox_ctx* ctx,
                          rtcbox_wrapper* w,
                          int32_t static_class,
                          napi_value* out) {
  if (!w)
    return rtcbox_to_js_null(ctx, out);
  if (w->link) {
    if (w->link->envd->env != ctx->env)
      return rtcbox_throw_code(ctx, RTC_ERR_INVALID_ACCESS,
                               "the object belongs to another JS realm");
    napi_value obj = rtcbox_wrapper_object(w);
    if (obj) {
      *out = obj;
      return true;
    }
    /* Collected, its finalizer not run yet: that finalizer must not
     * finalize the C object, which gets a new JS object now. */
    rtcbox_wrapper_detach(w);
  }
  rtcbox_env* envd = env_data(ctx->env);
  int32_t class_id = w->class_id ? w->class_id : static_class;
  if (!envd || !envd->token)
    return rtcbox_throw_code(ctx, RTC_ERR_INTERNAL,
                             "bindings.js has not registered its classes");
  napi_value token, obj;
  CALL(ctx, napi_get_reference_value(ctx->env, envd->token, &token));
  if (!rtcbox_construct(ctx, class_id, 1, &token, &obj))
    return false;
  if (!rtcbox_wrap(ctx, obj, w, class_id))
    return false;
  *out = obj;
  return true;
}

bool rtcbox_is_js_instance(rtcbox_ctx* ctx,
                           napi_value value,
                           int32_t class_id,
                           bool* result) {
  *result = false;
  rtcbox_env* envd = env_data(ctx->env);
  if (!envd || class_id <= 0 || class_id >= envd->module->class_count ||
      !envd->brands[class_id])
    return rtcbox_throw_code(ctx, RTC_ERR_INTERNAL, "class not registered");
  napi_value brand, undefined, r;
  CALL(ctx, napi_get_reference_value(ctx->env, envd->brands[class_id], &brand));
  CALL(ctx, napi_get_undefined(ctx->env, &undefined));
  CALL(ctx, napi_call_function(ctx->env, undefined, brand, 1, &value, &r));
  CALL(ctx, napi_get_value_bool(ctx->env, r, result));
  return true;
}

bool rtcbox_is_host_instance(rtcbox_ctx* ctx,
                             napi_value value,
                             const char* name,
                             bool* result) {
  *result = false;
  if (!rtcbox_is_object(ctx, value))
    return true;
  napi_value ctor;
  if (!rtcbox_get_realm_global(ctx->env, name, &ctor))
    return rtcbox_throw_status(ctx, napi_generic_failure);
  if (!is_function(ctx->env, ctor))
    return true;
  CALL(ctx, napi_instanceof(ctx->env, value, ctor, result));
  return true;
}

bool rtcbox_scope_open(rtcbox_scope* scope, napi_env env) {
  scope->env = env;
  scope->scope = NULL;
  return napi_open_handle_scope(env, &scope->scope) == napi_ok;
}

void rtcbox_scope_close(rtcbox_scope* scope) {
  if (scope->scope)
    napi_close_handle_scope(scope->env, scope->scope);
  scope->scope = NULL;
}

/* ------------------------------------------------------------------------
 * Events
 * --------------------------------------------------------------------- */

void rtcbox_report_exception(napi_env env) {
  if (!exception_pending(env))
    return;
  napi_value e = NULL;
  if (napi_get_and_clear_last_exception(env, &e) == napi_ok && e)
    napi_fatal_exception(env, e);
}

void rtcbox_clear_exception(napi_env env) {
  napi_value e = NULL;
  if (exception_pending(env))
    napi_get_and_clear_last_exception(env, &e);
}

rtc_error rtcbox_dispatch_event(rtcbox_wrapper* target, napi_value event) {
  napi_value obj = rtcbox_wrapper_object(target);
  if (!obj)
    return RTC_OK;
  napi_env env = target->link->envd->env;
  /* EventTarget.prototype.dispatchEvent of the realm, not obj's own
   * property (a page cannot intercept the browser's dispatch). */
  napi_value et, proto, dispatch = NULL, result;
  if (target->link->envd->dispatch_event) {
    if (napi_get_reference_value(env, target->link->envd->dispatch_event,
                                 &dispatch) != napi_ok ||
        !dispatch)
      return RTC_ERR_INTERNAL;
  } else if (!get_global_property(env, "EventTarget", &et) ||
             napi_get_named_property(env, et, "prototype", &proto) != napi_ok ||
             napi_get_named_property(env, proto, "dispatchEvent", &dispatch) !=
                 napi_ok ||
             !is_function(env, dispatch)) {
    rtcbox_clear_exception(env);
    return RTC_ERR_INTERNAL;
  }
  if (napi_call_function(env, obj, dispatch, 1, &event, &result) != napi_ok) {
    rtcbox_clear_exception(env);
    return RTC_ERR_INTERNAL;
  }
  return RTC_OK;
}

rtc_error rtcbox_fire_message(rtcbox_wrapper* target, napi_value data) {
  napi_value obj = rtcbox_wrapper_object(target);
  if (!obj)
    return RTC_OK;
  rtcbox_env* envd = target->link->envd;
  if (!envd->fire_message)
    return RTC_ERR_NOT_SUPPORTED;
  napi_env env = envd->env;
  napi_value fn, undefined, argv[2] = {obj, data}, result;
  if (napi_get_reference_value(env, envd->fire_message, &fn) != napi_ok ||
      !fn || napi_get_undefined(env, &undefined) != napi_ok ||
      napi_call_function(env, undefined, fn, 2, argv, &result) != napi_ok) {
    rtcbox_clear_exception(env);
    return RTC_ERR_INTERNAL;
  }
  return RTC_OK;
}

rtc_error rtcbox_fire_event(rtcbox_wrapper* target,
                            const char* type,
                            bool bubbles,
                            bool cancelable) {
  napi_env env = rtcbox_wrapper_env(target);
  if (!env)
    return RTC_OK;
  rtcbox_scope scope;
  if (!rtcbox_scope_open(&scope, env))
    return RTC_ERR_INTERNAL;
  rtc_error err = RTC_ERR_INTERNAL;
  napi_value ctor, init, argv[2], event, b, c;
  if (!rtcbox_wrapper_object(target)) {
    err = RTC_OK;
    goto done;
  }
  if (!rtcbox_get_realm_global(env, "Event", &ctor) ||
      napi_create_object(env, &init) != napi_ok ||
      napi_get_boolean(env, bubbles, &b) != napi_ok ||
      napi_get_boolean(env, cancelable, &c) != napi_ok ||
      !define_named(env, init, "bubbles", b) ||
      !define_named(env, init, "cancelable", c))
    goto done;
  argv[0] = make_string(env, type);
  argv[1] = init;
  if (!argv[0] || napi_new_instance(env, ctor, 2, argv, &event) != napi_ok)
    goto done;
  err = rtcbox_dispatch_event(target, event);
done:
  if (err != RTC_OK)
    rtcbox_clear_exception(env);
  rtcbox_scope_close(&scope);
  return err;
}

/* ------------------------------------------------------------------------
 * Promises
 * --------------------------------------------------------------------- */

bool rtcbox_promise_create(rtcbox_ctx* ctx,
                           napi_value* value,
                           rtcbox_promise** out) {
  *out = NULL;
  rtcbox_env* envd = env_data(ctx->env);
  if (!envd)
    return rtcbox_throw_code(ctx, RTC_ERR_INTERNAL, "runtime not initialized");
  rtcbox_promise* p = rtc_calloc(1, sizeof(*p));
  if (!p)
    return rtcbox_throw_code(ctx, RTC_ERR_NO_MEMORY, NULL);
  napi_status status = napi_create_promise(ctx->env, &p->deferred, value);
  if (status != napi_ok) {
    rtc_free(p);
    return rtcbox_throw_status(ctx, status);
  }
  p->envd = envd;
  list_insert(&envd->promises, &p->node);
  *out = p;
  return true;
}

napi_env rtcbox_promise_env(const rtcbox_promise* p) {
  return p->envd->env;
}

static void promise_free(rtcbox_promise* p) {
  list_remove(&p->node);
  rtc_free(p);
}

static void promise_settle(rtcbox_promise* p, bool resolve, napi_value v) {
  napi_env env = p->envd->env;
  napi_status status = resolve ? napi_resolve_deferred(env, p->deferred, v)
                               : napi_reject_deferred(env, p->deferred, v);
  (void)status;
  promise_free(p);
}

bool rtcbox_promise_begin(rtcbox_promise* p,
                          rtcbox_scope* scope,
                          rtcbox_ctx* ctx) {
  if (p->envd->tearing_down) {
    promise_free(p);
    return false;
  }
  if (!rtcbox_scope_open(scope, p->envd->env)) {
    promise_free(p);
    return false;
  }
  rtcbox_ctx_init(ctx, p->envd->env, RTCBOX_CALL_OTHER, "", "");
  return true;
}

void rtcbox_promise_finish(rtcbox_promise* p,
                           rtcbox_scope* scope,
                           rtcbox_ctx* ctx,
                           bool ok,
                           napi_value value) {
  napi_env env = p->envd->env;
  if (ok && value)
    promise_settle(p, true, value);
  else
    promise_settle(p, false, rtcbox_take_exception(env));
  rtcbox_ctx_finish(ctx);
  rtcbox_scope_close(scope);
}

void rtcbox_promise_resolve_value(rtcbox_promise* p, napi_value value) {
  rtcbox_scope scope;
  rtcbox_ctx ctx;
  if (!rtcbox_promise_begin(p, &scope, &ctx))
    return;
  rtcbox_promise_finish(p, &scope, &ctx, true, value);
}

void rtcbox_promise_resolve_undefined(rtcbox_promise* p) {
  rtcbox_scope scope;
  rtcbox_ctx ctx;
  if (!rtcbox_promise_begin(p, &scope, &ctx))
    return;
  napi_value v = NULL;
  bool ok = rtcbox_to_js_undefined(&ctx, &v);
  rtcbox_promise_finish(p, &scope, &ctx, ok, v);
}

void rtcbox_promise_reject_value(rtcbox_promise* p, napi_value reason) {
  if (p->envd->tearing_down) {
    promise_free(p);
    return;
  }
  promise_settle(p, false, reason);
}

void rtcbox_promise_reject_info(rtcbox_promise* p, const rtc_error_info* info) {
  rtcbox_scope scope;
  rtcbox_ctx ctx;
  if (!rtcbox_promise_begin(p, &scope, &ctx))
    return;
  napi_value e = rtcbox_error_create(ctx.env, info);
  if (!e)
    e = rtcbox_take_exception(ctx.env);
  promise_settle(p, false, e);
  rtcbox_ctx_finish(&ctx);
  rtcbox_scope_close(&scope);
}

void rtcbox_promise_reject(rtcbox_promise* p,
                           rtc_error code,
                           const char* message) {
  rtc_error_info info;
  rtc_error_info_init(&info);
  info.code = code;
  if (message)
    snprintf(info.message, sizeof(info.message), "%s", message);
  rtcbox_promise_reject_info(p, &info);
}

void rtcbox_promise_drop(rtcbox_promise* p) {
  promise_free(p);
}

static napi_value ignore_then(napi_env env, napi_callback_info info) {
  (void)env;
  (void)info;
  return NULL;
}

void rtcbox_promise_abandon(rtcbox_promise* p) {
  /* Node-API lets a deferred go only when it is settled: a dropped one
   * stays a global handle, and its promise, its reactions and whatever
   * they hold (often the peer connection itself) are never collected.
   * Resolving it with a thenable whose then() ignores its arguments
   * (ECMA-262 NewPromiseResolveThenableJob) leaves the promise pending
   * for ever while nothing keeps it alive. */
  napi_env env = p->envd->env;
  napi_handle_scope scope;
  if (!p->envd->tearing_down &&
      napi_open_handle_scope(env, &scope) == napi_ok) {
    napi_value thenable;
    napi_value then;
    if (napi_create_object(env, &thenable) == napi_ok &&
        napi_create_function(env, "then", NAPI_AUTO_LENGTH, ignore_then, NULL,
                             &then) == napi_ok &&
        napi_set_named_property(env, thenable, "then", then) == napi_ok)
      napi_resolve_deferred(env, p->deferred, thenable);
    napi_close_handle_scope(env, scope);
  }
  promise_free(p);
}

size_t rtcbox_promise_pending_count(napi_env env) {
  rtcbox_env* envd = env_data(env);
  return envd ? list_count(&envd->promises) : 0;
}

/* ------------------------------------------------------------------------
 * Callbacks
 * --------------------------------------------------------------------- */

void rtcbox_callback_ref(rtcbox_callback* cb) {
  cb->refcount++;
}

void rtcbox_callback_unref(rtcbox_callback* cb) {
  if (--cb->refcount > 0)
    return;
  list_remove(&cb->node);
  delete_ref(cb->envd->env, &cb->ref);
  rtc_free(cb);
}

napi_env rtcbox_callback_env(const rtcbox_callback* cb) {
  return cb->envd->tearing_down ? NULL : cb->envd->env;
}

bool rtcbox_from_js_callback(rtcbox_ctx* ctx,
                             napi_value v,
                             const char* operation,
                             bool treat_non_object_as_null,
                             const char* label,
                             const char* type_name,
                             rtcbox_callback** out) {
  *out = NULL;
  napi_valuetype t;
  CALL(ctx, napi_typeof(ctx->env, v, &t));
  if (operation) {
    /* Callback interface: any Object (WebIDL §3.2.16). */
    if (t != napi_object && t != napi_function)
      return rtcbox_throw_not_of_type(ctx, label, type_name);
  } else if (t != napi_function) {
    /* Callback function (WebIDL §3.2.19): IsCallable, or for
     * [LegacyTreatNonObjectAsNull] any object (non-objects are null). */
    if (treat_non_object_as_null && t != napi_object)
      return true;
    if (!treat_non_object_as_null)
      return rtcbox_throw_type_error(ctx, "%s is not a function.", label);
  }
  rtcbox_env* envd = env_data(ctx->env);
  if (!envd)
    return rtcbox_throw_code(ctx, RTC_ERR_INTERNAL, "runtime not initialized");
  rtcbox_callback* cb = rtc_calloc(1, sizeof(*cb));
  if (!cb)
    return rtcbox_throw_code(ctx, RTC_ERR_NO_MEMORY, NULL);
  napi_status status = napi_create_reference(ctx->env, v, 1, &cb->ref);
  if (status != napi_ok) {
    rtc_free(cb);
    return rtcbox_throw_status(ctx, status);
  }
  cb->envd = envd;
  cb->operation = operation;
  cb->refcount = 1;
  list_insert(&envd->callbacks, &cb->node);
  if (!ctx_add_release(ctx, cb, NULL)) {
    rtcbox_callback_unref(cb);
    return rtcbox_throw_code(ctx, RTC_ERR_NO_MEMORY, NULL);
  }
  *out = cb;
  return true;
}

napi_value rtcbox_callback_value(rtcbox_callback* cb) {
  napi_value v = NULL;
  if (!cb || !cb->ref || cb->envd->tearing_down)
    return NULL;
  if (napi_get_reference_value(cb->envd->env, cb->ref, &v) != napi_ok)
    return NULL;
  return v;
}

bool rtcbox_callback_call(rtcbox_ctx* ctx,
                          rtcbox_callback* cb,
                          size_t argc,
                          const napi_value* argv,
                          napi_value* result) {
  if (cb->envd->tearing_down)
    return rtcbox_throw_code(ctx, RTC_ERR_INVALID_STATE, "env torn down");
  napi_value value = rtcbox_callback_value(cb);
  if (!value)
    return rtcbox_throw_code(ctx, RTC_ERR_INTERNAL, "callback is gone");
  napi_value fn = value, this_arg;
  CALL(ctx, napi_get_undefined(ctx->env, &this_arg));
  napi_valuetype t;
  CALL(ctx, napi_typeof(ctx->env, value, &t));
  if (cb->operation && t != napi_function) {
    /* WebIDL "call a user object's operation": O[opName], this = O. */
    CALL(ctx, napi_get_named_property(ctx->env, value, cb->operation, &fn));
    if (!is_function(ctx->env, fn))
      return rtcbox_throw_type_error(ctx, "'%s' is not a function.",
                                     cb->operation);
    this_arg = value;
  } else if (t != napi_function) {
    /* [LegacyTreatNonObjectAsNull] with a non-callable object: nothing. */
    return rtcbox_to_js_undefined(ctx, result);
  }
  CALL(ctx, napi_call_function(ctx->env, this_arg, fn, argc, argv, result));
  return true;
}

/* ------------------------------------------------------------------------
 * Blobs
 * --------------------------------------------------------------------- */

void rtcbox_blob_ref(rtcbox_blob* blob) {
  blob->refcount++;
}

void rtcbox_blob_unref(rtcbox_blob* blob) {
  if (--blob->refcount > 0)
    return;
  list_remove(&blob->node);
  delete_ref(blob->envd->env, &blob->ref);
  rtc_free(blob);
}

uint64_t rtcbox_blob_size(const rtcbox_blob* blob) {
  return blob->size;
}

napi_value rtcbox_blob_value(rtcbox_blob* blob) {
  napi_value v = NULL;
  if (!blob->ref || blob->envd->tearing_down)
    return NULL;
  if (napi_get_reference_value(blob->envd->env, blob->ref, &v) != napi_ok)
    return NULL;
  return v;
}

napi_value rtcbox_new_blob(napi_env env, napi_value part) {
  napi_value ctor, parts, blob;
  if (!rtcbox_get_realm_global(env, "Blob", &ctor) ||
      napi_create_array_with_length(env, 1, &parts) != napi_ok ||
      napi_set_element(env, parts, 0, part) != napi_ok ||
      napi_new_instance(env, ctor, 1, &parts, &blob) != napi_ok)
    return NULL;
  return blob;
}

bool rtcbox_from_js_blob(rtcbox_ctx* ctx,
                         napi_value v,
                         const char* label,
                         rtcbox_blob** out) {
  *out = NULL;
  bool is_blob = false;
  if (!rtcbox_is_host_instance(ctx, v, "Blob", &is_blob))
    return false;
  if (!is_blob)
    return rtcbox_throw_not_of_type(ctx, label, "Blob");
  napi_value size_value;
  double size = 0;
  CALL(ctx, napi_get_named_property(ctx->env, v, "size", &size_value));
  if (!rtcbox_from_js_double(ctx, size_value, false, label, &size))
    return false;
  rtcbox_env* envd = env_data(ctx->env);
  if (!envd)
    return rtcbox_throw_code(ctx, RTC_ERR_INTERNAL, "runtime not initialized");
  rtcbox_blob* blob = rtc_calloc(1, sizeof(*blob));
  if (!blob)
    return rtcbox_throw_code(ctx, RTC_ERR_NO_MEMORY, NULL);
  napi_status status = napi_create_reference(ctx->env, v, 1, &blob->ref);
  if (status != napi_ok) {
    rtc_free(blob);
    return rtcbox_throw_status(ctx, status);
  }
  blob->envd = envd;
  blob->size = size > 0 ? (uint64_t)size : 0;
  blob->refcount = 1;
  list_insert(&envd->blobs, &blob->node);
  if (!ctx_add_release(ctx, NULL, blob)) {
    rtcbox_blob_unref(blob);
    return rtcbox_throw_code(ctx, RTC_ERR_NO_MEMORY, NULL);
  }
  *out = blob;
  return true;
}

static napi_value blob_read_settled(napi_env env,
                                    napi_callback_info info,
                                    bool fulfilled) {
  size_t argc = 1;
  napi_value arg = NULL;
  void* data = NULL;
  if (napi_get_cb_info(env, info, &argc, &arg, NULL, &data) != napi_ok)
    return NULL;
  blob_read* read = data;
  if (!read->cb) /* already settled */
    return NULL;
  rtcbox_blob_read_cb cb = read->cb;
  read->cb = NULL;
  void* bytes = NULL;
  size_t length = 0;
  bool is_ab = false;
  rtc_error status = RTC_ERR_NOT_READABLE;
  if (fulfilled && argc >= 1 &&
      napi_is_arraybuffer(env, arg, &is_ab) == napi_ok && is_ab &&
      napi_get_arraybuffer_info(env, arg, &bytes, &length) == napi_ok)
    status = RTC_OK;
  cb(read->user_data, status, status == RTC_OK ? bytes : NULL,
     status == RTC_OK ? length : 0);
  blob_read_free(read);
  return NULL;
}

static napi_value blob_read_fulfilled(napi_env env, napi_callback_info info) {
  return blob_read_settled(env, info, true);
}

static napi_value blob_read_rejected(napi_env env, napi_callback_info info) {
  return blob_read_settled(env, info, false);
}

rtc_error rtcbox_blob_read(rtcbox_blob* blob,
                           rtcbox_blob_read_cb cb,
                           void* user_data) {
  rtcbox_env* envd = blob->envd;
  if (envd->tearing_down)
    return RTC_ERR_INVALID_STATE;
  napi_env env = envd->env;
  rtcbox_scope scope;
  if (!rtcbox_scope_open(&scope, env))
    return RTC_ERR_INTERNAL;
  rtc_error err = RTC_ERR_INTERNAL;
  blob_read* read = rtc_calloc(1, sizeof(*read));
  if (!read) {
    err = RTC_ERR_NO_MEMORY;
    goto done;
  }
  read->envd = envd;
  read->blob = blob;
  read->cb = cb;
  read->user_data = user_data;
  napi_value value = rtcbox_blob_value(blob);
  napi_value ctor, proto, array_buffer, promise, then, handlers[2], ignored;
  if (!value || !rtcbox_get_realm_global(env, "Blob", &ctor) ||
      napi_get_named_property(env, ctor, "prototype", &proto) != napi_ok ||
      napi_get_named_property(env, proto, "arrayBuffer", &array_buffer) !=
          napi_ok ||
      !is_function(env, array_buffer) ||
      napi_call_function(env, value, array_buffer, 0, NULL, &promise) !=
          napi_ok ||
      napi_get_named_property(env, promise, "then", &then) != napi_ok ||
      napi_create_function(env, "", 0, blob_read_fulfilled, read,
                           &handlers[0]) != napi_ok ||
      napi_create_function(env, "", 0, blob_read_rejected, read,
                           &handlers[1]) != napi_ok ||
      napi_call_function(env, promise, then, 2, handlers, &ignored) !=
          napi_ok) {
    napi_value e;
    if (exception_pending(env))
      napi_get_and_clear_last_exception(env, &e);
    rtc_free(read);
    goto done;
  }
  rtcbox_blob_ref(blob);
  list_insert(&envd->reads, &read->node);
  err = RTC_OK;
done:
  rtcbox_scope_close(&scope);
  return err;
}

/* ------------------------------------------------------------------------
 * Conversions from JS
 * --------------------------------------------------------------------- */

bool rtcbox_typeof(rtcbox_ctx* ctx, napi_value v, napi_valuetype* out) {
  CALL(ctx, napi_typeof(ctx->env, v, out));
  return true;
}

bool rtcbox_is_object(rtcbox_ctx* ctx, napi_value v) {
  napi_valuetype t;
  return v && napi_typeof(ctx->env, v, &t) == napi_ok &&
         (t == napi_object || t == napi_function);
}

bool rtcbox_is_nullish(rtcbox_ctx* ctx, napi_value v) {
  napi_valuetype t;
  return !v || (napi_typeof(ctx->env, v, &t) == napi_ok &&
                (t == napi_undefined || t == napi_null));
}

bool rtcbox_is_undefined(rtcbox_ctx* ctx, napi_value v) {
  napi_valuetype t;
  return !v || (napi_typeof(ctx->env, v, &t) == napi_ok && t == napi_undefined);
}

bool rtcbox_from_js_boolean(rtcbox_ctx* ctx, napi_value v, bool* out) {
  napi_value b;
  CALL(ctx, napi_coerce_to_bool(ctx->env, v, &b));
  CALL(ctx, napi_get_value_bool(ctx->env, b, out));
  return true;
}

/* ToNumber(V). */
static bool to_number(rtcbox_ctx* ctx, napi_value v, double* out) {
  napi_valuetype t;
  CALL(ctx, napi_typeof(ctx->env, v, &t));
  if (t != napi_number) {
    napi_value n;
    CALL(ctx, napi_coerce_to_number(ctx->env, v, &n));
    v = n;
  }
  CALL(ctx, napi_get_value_double(ctx->env, v, out));
  return true;
}

/* Rounds to the nearest integer, ties to even (WebIDL [Clamp]). */
static double round_half_even(double x) {
  double f = floor(x);
  double d = x - f;
  if (d < 0.5)
    return f;
  if (d > 0.5)
    return f + 1;
  return fmod(f, 2) == 0 ? f : f + 1;
}

static uint64_t integer_bits(double x, bool is_signed) {
  return is_signed ? (uint64_t)(int64_t)x : (uint64_t)x;
}

/* WebIDL §3.2.4.9 ConvertToInt(V, bitLength, signedness). */
bool rtcbox_from_js_integer(rtcbox_ctx* ctx,
                            napi_value v,
                            int bits,
                            bool is_signed,
                            unsigned flags,
                            const char* label,
                            const char* type_name,
                            uint64_t* out) {
  double upper, lower;
  /* 1-2. If bitLength is 64: upperBound 2^53 - 1, lowerBound -2^53 + 1 or
   * 0; otherwise the range of the type. */
  if (bits == 64) {
    upper = 9007199254740991.0;
    lower = is_signed ? -9007199254740991.0 : 0;
  } else if (is_signed) {
    lower = -ldexp(1, bits - 1);
    upper = ldexp(1, bits - 1) - 1;
  } else {
    lower = 0;
    upper = ldexp(1, bits) - 1;
  }
  /* 3. Let x be ? ToNumber(V). */
  double x;
  if (!to_number(ctx, v, &x))
    return false;
  /* 4. If x is -0, then set x to +0. */
  if (x == 0)
    x = 0;
  /* 5. If the conversion is to an IDL type associated with the
   * [EnforceRange] extended attribute: */
  if (flags & RTCBOX_INT_ENFORCE_RANGE) {
    /* 5.1 If x is NaN, +Infinity, or -Infinity, then throw a TypeError. */
    if (isnan(x) || isinf(x))
      return rtcbox_throw_type_error(
          ctx, "%s: Value is not a finite number (%s).", label, type_name);
    /* 5.2 Set x to IntegerPart(x). */
    x = trunc(x);
    if (x == 0)
      x = 0;
    /* 5.3 If x < lowerBound or x > upperBound, then throw a TypeError. */
    if (x < lower || x > upper)
      return rtcbox_throw_type_error(
          ctx, "%s: Value is outside the '%s' value range.", label, type_name);
    /* 5.4 Return x. */
    *out = integer_bits(x, is_signed);
    return true;
  }
  /* 6. If x is not NaN and the conversion is to an IDL type associated
   * with the [Clamp] extended attribute: */
  if (!isnan(x) && (flags & RTCBOX_INT_CLAMP)) {
    /* 6.1 Set x to min(max(x, lowerBound), upperBound). */
    x = fmin(fmax(x, lower), upper);
    /* 6.2 Round x to the nearest integer, choosing the even integer if it
     * lies halfway between two, and choosing +0 rather than -0. */
    x = round_half_even(x);
    if (x == 0)
      x = 0;
    /* 6.3 Return x. */
    *out = integer_bits(x, is_signed);
    return true;
  }
  /* 7. If x is NaN, +0, +Infinity, or -Infinity, then return +0. */
  if (isnan(x) || x == 0 || isinf(x)) {
    *out = 0;
    return true;
  }
  /* 8. Set x to IntegerPart(x). */
  x = trunc(x);
  /* 9. Set x to x modulo 2^bitLength. */
  uint64_t r;
  if (bits == 64) {
    double m = fmod(x, 18446744073709551616.0); /* exact; sign of x */
    r = m >= 0 ? (uint64_t)m : 0 - (uint64_t)(-m);
  } else {
    double modulus = ldexp(1, bits);
    double m = fmod(x, modulus);
    if (m < 0)
      m += modulus;
    r = (uint64_t)m;
    /* 10. If signedness is "signed" and x >= 2^(bitLength - 1), then return
     * x - 2^bitLength (sign-extended into the 64 bits). */
    if (is_signed && r >= ((uint64_t)1 << (bits - 1)))
      r |= ~(((uint64_t)1 << bits) - 1);
  }
  /* 11. Otherwise, return x. (64 bits: the two's complement bits already
   * are x - 2^64 for a signed x >= 2^63.) */
  *out = r;
  return true;
}

#define DEFINE_INT_CONVERSION(fn, ctype, bits, is_signed, name)              \
  bool fn(rtcbox_ctx* ctx, napi_value v, unsigned flags, const char* label,  \
          ctype* out) {                                                      \
    uint64_t r;                                                              \
    if (!rtcbox_from_js_integer(ctx, v, bits, is_signed, flags, label, name, \
                                &r))                                         \
      return false;                                                          \
    *out = (ctype)r;                                                         \
    return true;                                                             \
  }

DEFINE_INT_CONVERSION(rtcbox_from_js_int8, int8_t, 8, true, "byte")
DEFINE_INT_CONVERSION(rtcbox_from_js_uint8, uint8_t, 8, false, "octet")
DEFINE_INT_CONVERSION(rtcbox_from_js_int16, int16_t, 16, true, "short")
DEFINE_INT_CONVERSION(rtcbox_from_js_uint16,
                      uint16_t,
                      16,
                      false,
                      "unsigned short")
DEFINE_INT_CONVERSION(rtcbox_from_js_int32, int32_t, 32, true, "long")
DEFINE_INT_CONVERSION(rtcbox_from_js_uint32,
                      uint32_t,
                      32,
                      false,
                      "unsigned long")
DEFINE_INT_CONVERSION(rtcbox_from_js_int64, int64_t, 64, true, "long long")
DEFINE_INT_CONVERSION(rtcbox_from_js_uint64,
                      uint64_t,
                      64,
                      false,
                      "unsigned long long")

bool rtcbox_from_js_float(rtcbox_ctx* ctx,
                          napi_value v,
                          bool unrestricted,
                          const char* label,
                          float* out) {
  double x;
  if (!to_number(ctx, v, &x))
    return false;
  /* WebIDL §3.2.5/3.2.6: the closest single-precision value, where values
   * from 2^128 - 2^103 on round to 2^128 (infinity: a TypeError for the
   * restricted type). */
  const double overflow = ldexp(1, 128) - ldexp(1, 103);
  if (isnan(x)) {
    if (!unrestricted)
      return rtcbox_throw_type_error(
          ctx, "%s: The provided float value is non-finite.", label);
    *out = NAN;
    return true;
  }
  if (fabs(x) >= overflow) {
    if (!unrestricted)
      return rtcbox_throw_type_error(
          ctx, "%s: The provided float value is non-finite.", label);
    *out = x > 0 ? INFINITY : -INFINITY;
    return true;
  }
  if (fabs(x) > FLT_MAX)
    *out = x > 0 ? FLT_MAX : -FLT_MAX;
  else
    *out = (float)x;
  return true;
}

bool rtcbox_from_js_double(rtcbox_ctx* ctx,
                           napi_value v,
                           bool unrestricted,
                           const char* label,
                           double* out) {
  double x;
  if (!to_number(ctx, v, &x))
    return false;
  /* WebIDL §3.2.7: "If x is NaN, +Infinity, or -Infinity, then throw a
   * TypeError." (restricted double only) */
  if (!unrestricted && !isfinite(x))
    return rtcbox_throw_type_error(
        ctx, "%s: The provided double value is non-finite.", label);
  *out = x;
  return true;
}

/* Encodes UTF-16 `units` as WTF-8 (DOMString), UTF-8 with U+FFFD for lone
 * surrogates (USVString) or Latin-1 bytes (ByteString). */
static bool encode_string(rtcbox_ctx* ctx,
                          const uint16_t* units,
                          size_t n,
                          rtcbox_string_kind kind,
                          const char* label,
                          rtcbox_string* out) {
  if (n > (SIZE_MAX - 1) / 3)
    return rtcbox_throw_code(ctx, RTC_ERR_NO_MEMORY, NULL);
  uint8_t* buf = rtc_arena_alloc(&ctx->arena, n * 3 + 1);
  if (!buf)
    return rtcbox_throw_code(ctx, RTC_ERR_NO_MEMORY, NULL);
  size_t o = 0;
  for (size_t i = 0; i < n; i++) {
    uint32_t c = units[i];
    if (kind == RTCBOX_BYTESTRING) {
      /* WebIDL §3.2.11: "If the value of any element of x is greater than
       * 255, then throw a TypeError." */
      if (c > 0xff)
        return rtcbox_throw_type_error(
            ctx, "%s: Value is not a valid ByteString.", label);
      buf[o++] = (uint8_t)c;
      continue;
    }
    if (c >= 0xd800 && c <= 0xdbff && i + 1 < n && units[i + 1] >= 0xdc00 &&
        units[i + 1] <= 0xdfff) {
      c = 0x10000 + ((c - 0xd800) << 10) + (units[i + 1] - 0xdc00);
      i++;
    } else if (c >= 0xd800 && c <= 0xdfff && kind == RTCBOX_USVSTRING) {
      /* WebIDL §3.2.12: lone surrogates become U+FFFD. */
      c = 0xfffd;
    }
    if (c < 0x80) {
      buf[o++] = (uint8_t)c;
    } else if (c < 0x800) {
      buf[o++] = (uint8_t)(0xc0 | (c >> 6));
      buf[o++] = (uint8_t)(0x80 | (c & 0x3f));
    } else if (c < 0x10000) {
      buf[o++] = (uint8_t)(0xe0 | (c >> 12));
      buf[o++] = (uint8_t)(0x80 | ((c >> 6) & 0x3f));
      buf[o++] = (uint8_t)(0x80 | (c & 0x3f));
    } else {
      buf[o++] = (uint8_t)(0xf0 | (c >> 18));
      buf[o++] = (uint8_t)(0x80 | ((c >> 12) & 0x3f));
      buf[o++] = (uint8_t)(0x80 | ((c >> 6) & 0x3f));
      buf[o++] = (uint8_t)(0x80 | (c & 0x3f));
    }
  }
  buf[o] = '\0';
  out->data = (const char*)buf;
  out->length = o;
  return true;
}

bool rtcbox_from_js_string(rtcbox_ctx* ctx,
                           napi_value v,
                           rtcbox_string_kind kind,
                           bool null_to_empty,
                           const char* label,
                           rtcbox_string* out) {
  napi_valuetype t;
  CALL(ctx, napi_typeof(ctx->env, v, &t));
  if (null_to_empty && t == napi_null) {
    out->data = "";
    out->length = 0;
    return true;
  }
  napi_value s = v;
  if (t != napi_string)
    CALL(ctx, napi_coerce_to_string(ctx->env, v, &s)); /* ToString */
  size_t n = 0;
  CALL(ctx, napi_get_value_string_utf16(ctx->env, s, NULL, 0, &n));
  uint16_t* units = rtc_arena_alloc_array(&ctx->arena, n + 1, sizeof(*units));
  if (!units)
    return rtcbox_throw_code(ctx, RTC_ERR_NO_MEMORY, NULL);
  size_t copied = 0;
  CALL(ctx, napi_get_value_string_utf16(ctx->env, s, (char16_t*)units, n + 1,
                                        &copied));
  return encode_string(ctx, units, copied, kind, label, out);
}

bool rtcbox_from_js_enum(rtcbox_ctx* ctx,
                         napi_value v,
                         const char* const* values,
                         size_t count,
                         const char* label,
                         const char* enum_name,
                         int* out) {
  rtcbox_string s;
  if (!rtcbox_from_js_string(ctx, v, RTCBOX_DOMSTRING, false, label, &s))
    return false;
  for (size_t i = 0; i < count; i++) {
    if (strlen(values[i]) == s.length &&
        memcmp(values[i], s.data, s.length) == 0) {
      *out = (int)i;
      return true;
    }
  }
  /* WebIDL §3.2.15: "If S is not one of E's enumeration values, then throw
   * a TypeError." */
  return rtcbox_throw_type_error(
      ctx,
      "%s: The provided value '%.100s' is not a valid enum value of type "
      "%s.",
      label, s.data, enum_name);
}

static unsigned typedarray_bit(napi_typedarray_type t) {
  switch (t) {
    case napi_int8_array:
      return RTCBOX_BUFFER_INT8;
    case napi_uint8_array:
      return RTCBOX_BUFFER_UINT8;
    case napi_uint8_clamped_array:
      return RTCBOX_BUFFER_UINT8_CLAMPED;
    case napi_int16_array:
      return RTCBOX_BUFFER_INT16;
    case napi_uint16_array:
      return RTCBOX_BUFFER_UINT16;
    case napi_int32_array:
      return RTCBOX_BUFFER_INT32;
    case napi_uint32_array:
      return RTCBOX_BUFFER_UINT32;
    case napi_float32_array:
      return RTCBOX_BUFFER_FLOAT32;
    case napi_float64_array:
      return RTCBOX_BUFFER_FLOAT64;
    case napi_bigint64_array:
      return RTCBOX_BUFFER_BIGINT64;
    case napi_biguint64_array:
      return RTCBOX_BUFFER_BIGUINT64;
    default:
      return RTCBOX_BUFFER_FLOAT16;
  }
}

static size_t typedarray_element_size(napi_typedarray_type t) {
  switch (t) {
    case napi_int8_array:
    case napi_uint8_array:
    case napi_uint8_clamped_array:
      return 1;
    case napi_int16_array:
    case napi_uint16_array:
      return 2;
    case napi_int32_array:
    case napi_uint32_array:
    case napi_float32_array:
      return 4;
    case napi_float64_array:
    case napi_bigint64_array:
    case napi_biguint64_array:
      return 8;
    default:
      return 2; /* Float16Array */
  }
}

/* Is the ArrayBuffer `ab` (never a SharedArrayBuffer here) resizable? */
static bool is_resizable(rtcbox_ctx* ctx, napi_value ab, bool* out) {
  napi_value r;
  *out = false;
  rtcbox_env* envd = env_data(ctx->env);
  if (envd && envd->resizable_getter) {
    /* The realm's getter: what the page did to the property is not
     * IsResizableArrayBuffer. */
    napi_value getter;
    CALL(ctx,
         napi_get_reference_value(ctx->env, envd->resizable_getter, &getter));
    CALL(ctx, napi_call_function(ctx->env, ab, getter, 0, NULL, &r));
  } else {
    CALL(ctx, napi_get_named_property(ctx->env, ab, "resizable", &r));
  }
  napi_valuetype t;
  CALL(ctx, napi_typeof(ctx->env, r, &t));
  if (t == napi_boolean)
    CALL(ctx, napi_get_value_bool(ctx->env, r, out));
  return true;
}

typedef struct buffer_view {
  unsigned type;
  uint8_t* data;
  size_t length;
  napi_value buffer; /* the ArrayBuffer, NULL if shared */
} buffer_view;

static bool inspect_buffer(rtcbox_ctx* ctx, napi_value v, buffer_view* view) {
  memset(view, 0, sizeof(*view));
  if (!rtcbox_is_object(ctx, v))
    return true;
  bool yes = false;
  void* data = NULL;
  size_t length = 0, offset = 0;
  napi_value ab = NULL;
  CALL(ctx, napi_is_arraybuffer(ctx->env, v, &yes));
  if (yes) {
    CALL(ctx, napi_get_arraybuffer_info(ctx->env, v, &data, &length));
    view->type = RTCBOX_BUFFER_ARRAY_BUFFER;
    view->data = data;
    view->length = data ? length : 0;
    view->buffer = v;
    return true;
  }
  CALL(ctx, napi_is_dataview(ctx->env, v, &yes));
  if (yes) {
    CALL(ctx,
         napi_get_dataview_info(ctx->env, v, &length, &data, &ab, &offset));
    view->type = RTCBOX_BUFFER_DATA_VIEW;
  } else {
    CALL(ctx, napi_is_typedarray(ctx->env, v, &yes));
    if (!yes) {
      /* A SharedArrayBuffer is none of the above for Node-API; tell it
       * from other objects by its toStringTag. */
      napi_value sab_ctor;
      if (rtcbox_get_realm_global(ctx->env, "SharedArrayBuffer", &sab_ctor) &&
          is_function(ctx->env, sab_ctor)) {
        bool is_sab = false;
        CALL(ctx, napi_instanceof(ctx->env, v, sab_ctor, &is_sab));
        if (is_sab)
          view->type = RTCBOX_BUFFER_SHARED;
      }
      return true;
    }
    napi_typedarray_type tt;
    size_t count = 0;
    CALL(ctx, napi_get_typedarray_info(ctx->env, v, &tt, &count, &data, &ab,
                                       &offset));
    view->type = typedarray_bit(tt);
    length = count * typedarray_element_size(tt);
  }
  bool is_ab = false;
  CALL(ctx, napi_is_arraybuffer(ctx->env, ab, &is_ab));
  if (!is_ab)
    view->type |= RTCBOX_BUFFER_SHARED;
  else
    view->buffer = ab;
  view->data = data;
  view->length = data ? length : 0;
  return true;
}

bool rtcbox_buffer_type(rtcbox_ctx* ctx, napi_value v, unsigned* out) {
  buffer_view view;
  if (!inspect_buffer(ctx, v, &view))
    return false;
  *out = view.type;
  return true;
}

bool rtcbox_from_js_bytes(rtcbox_ctx* ctx,
                          napi_value v,
                          unsigned accept,
                          const char* label,
                          const char* type_name,
                          rtcbox_bytes* out) {
  buffer_view view;
  if (!inspect_buffer(ctx, v, &view))
    return false;
  unsigned kind = view.type & ~(unsigned)RTCBOX_BUFFER_SHARED;
  bool shared = (view.type & RTCBOX_BUFFER_SHARED) != 0;
  bool sab = shared && kind == 0; /* a SharedArrayBuffer itself */
  /* WebIDL §3.2.25-27: not the right type, or shared without
   * [AllowShared] (a SharedArrayBuffer only for that type): TypeError. */
  if (sab ? !(accept & RTCBOX_BUFFER_SHARED_ARRAY_BUFFER)
          : (!(kind & accept) || (shared && !(accept & RTCBOX_BUFFER_SHARED))))
    return rtcbox_throw_not_of_type(ctx, label, type_name);
  if (sab) {
    /* A SharedArrayBuffer itself: Node-API reads it through a view. */
    napi_value u8, arr;
    napi_typedarray_type tt;
    size_t count = 0, offset = 0;
    void* data = NULL;
    napi_value backing;
    if (!rtcbox_get_realm_global(ctx->env, "Uint8Array", &u8))
      return rtcbox_throw_status(ctx, napi_generic_failure);
    CALL(ctx, napi_new_instance(ctx->env, u8, 1, &v, &arr));
    CALL(ctx, napi_get_typedarray_info(ctx->env, arr, &tt, &count, &data,
                                       &backing, &offset));
    view.data = data;
    view.length = data ? count : 0;
  }
  /* "If IsResizableArrayBuffer(V) is true, then throw a TypeError." */
  bool resizable = false;
  if (view.buffer && !is_resizable(ctx, view.buffer, &resizable))
    return false;
  if (resizable)
    return rtcbox_throw_type_error(
        ctx, "%s: a resizable ArrayBuffer is not allowed.", label);
  out->length = view.length;
  out->data = rtc_arena_memdup(&ctx->arena, view.data ? view.data : (void*)"",
                               view.length);
  if (!out->data)
    return rtcbox_throw_code(ctx, RTC_ERR_NO_MEMORY, NULL);
  return true;
}

bool rtcbox_from_js_object(rtcbox_ctx* ctx,
                           napi_value v,
                           const char* label,
                           napi_value* out) {
  if (!rtcbox_is_object(ctx, v))
    return rtcbox_throw_not_of_type(ctx, label, "object");
  *out = v;
  return true;
}

bool rtcbox_dict_check(rtcbox_ctx* ctx,
                       napi_value v,
                       const char* label,
                       const char* dict_name,
                       napi_value* dict_or_null) {
  /* WebIDL §3.2.18 step 1: "If jsDict is not an Object and not undefined
   * or null, then throw a TypeError." */
  *dict_or_null = NULL;
  if (!v || rtcbox_is_nullish(ctx, v))
    return true;
  if (!rtcbox_is_object(ctx, v))
    return rtcbox_throw_type_error(
        ctx, "%s: The provided value is not of type '%s'.", label, dict_name);
  *dict_or_null = v;
  return true;
}

bool rtcbox_dict_get(rtcbox_ctx* ctx,
                     napi_value dict,
                     const char* name,
                     napi_value* out) {
  *out = NULL;
  if (!dict)
    return true;
  napi_value v;
  CALL(ctx, napi_get_named_property(ctx->env, dict, name, &v));
  if (!rtcbox_is_undefined(ctx, v))
    *out = v;
  return true;
}

bool rtcbox_get_iterator_method(rtcbox_ctx* ctx,
                                napi_value v,
                                napi_value* method) {
  *method = NULL;
  rtcbox_env* envd = env_data(ctx->env);
  if (!envd)
    return rtcbox_throw_code(ctx, RTC_ERR_INTERNAL, "runtime not initialized");
  napi_value sym, m;
  CALL(ctx, napi_get_reference_value(ctx->env, envd->iterator_symbol, &sym));
  CALL(ctx, napi_get_property(ctx->env, v, sym, &m));
  /* GetMethod: undefined or null is "no method"; else it must be
   * callable. */
  if (rtcbox_is_nullish(ctx, m))
    return true;
  if (!is_function(ctx->env, m))
    return rtcbox_throw_type_error(ctx, "@@iterator is not a function.");
  *method = m;
  return true;
}

bool rtcbox_iter_open(rtcbox_ctx* ctx,
                      napi_value v,
                      napi_value method,
                      rtcbox_iter* it) {
  CALL(ctx, napi_call_function(ctx->env, v, method, 0, NULL, &it->iterator));
  if (!rtcbox_is_object(ctx, it->iterator))
    return rtcbox_throw_type_error(ctx, "The iterator is not an object.");
  CALL(ctx, napi_get_named_property(ctx->env, it->iterator, "next", &it->next));
  return true;
}

bool rtcbox_iter_step(rtcbox_ctx* ctx, rtcbox_iter* it, napi_value* value) {
  *value = NULL;
  napi_value result, done;
  if (!is_function(ctx->env, it->next))
    return rtcbox_throw_type_error(ctx, "The iterator's next is not callable.");
  CALL(ctx,
       napi_call_function(ctx->env, it->iterator, it->next, 0, NULL, &result));
  if (!rtcbox_is_object(ctx, result))
    return rtcbox_throw_type_error(ctx,
                                   "The iterator result is not an object.");
  CALL(ctx, napi_get_named_property(ctx->env, result, "done", &done));
  bool is_done = false;
  if (!rtcbox_from_js_boolean(ctx, done, &is_done))
    return false;
  if (is_done)
    return true;
  CALL(ctx, napi_get_named_property(ctx->env, result, "value", value));
  return true;
}

void* rtcbox_push(rtcbox_ctx* ctx,
                  void** items,
                  size_t* length,
                  size_t* capacity,
                  size_t size) {
  void* p = rtc_arena_push(&ctx->arena, items, length, capacity, size);
  if (!p)
    rtcbox_throw_code(ctx, RTC_ERR_NO_MEMORY, NULL);
  return p;
}

bool rtcbox_record_keys(rtcbox_ctx* ctx,
                        napi_value obj,
                        napi_value* keys,
                        uint32_t* count) {
  CALL(ctx, napi_get_all_property_names(ctx->env, obj, napi_key_own_only,
                                        napi_key_all_properties,
                                        napi_key_numbers_to_strings, keys));
  CALL(ctx, napi_get_array_length(ctx->env, *keys, count));
  return true;
}

bool rtcbox_record_key_enumerable(rtcbox_ctx* ctx,
                                  napi_value obj,
                                  napi_value key,
                                  bool* result) {
  rtcbox_env* envd = env_data(ctx->env);
  if (!envd)
    return rtcbox_throw_code(ctx, RTC_ERR_INTERNAL, "runtime not initialized");
  napi_value fn, r;
  CALL(ctx,
       napi_get_reference_value(ctx->env, envd->property_is_enumerable, &fn));
  CALL(ctx, napi_call_function(ctx->env, obj, fn, 1, &key, &r));
  CALL(ctx, napi_get_value_bool(ctx->env, r, result));
  return true;
}

/* ------------------------------------------------------------------------
 * Conversions to JS
 * --------------------------------------------------------------------- */

bool rtcbox_to_js_string(rtcbox_ctx* ctx,
                         rtcbox_string s,
                         rtcbox_string_kind kind,
                         napi_value* out) {
  if (!s.data)
    return rtcbox_to_js_null(ctx, out);
  const uint8_t* b = (const uint8_t*)s.data;
  size_t n = s.length;
  bool ascii = true;
  for (size_t i = 0; i < n && ascii; i++)
    ascii = b[i] < 0x80;
  if (ascii || kind == RTCBOX_BYTESTRING) {
    CALL(ctx, napi_create_string_latin1(ctx->env, s.data, n, out));
    return true;
  }
  /* Lenient (W)UTF-8 decoding: a byte that does not start a valid sequence
   * becomes U+FFFD; encoded surrogates are kept as code units. */
  uint16_t* u = rtc_arena_alloc_array(&ctx->arena, n + 1, sizeof(*u));
  if (!u)
    return rtcbox_throw_code(ctx, RTC_ERR_NO_MEMORY, NULL);
  size_t o = 0;
  for (size_t i = 0; i < n;) {
    uint32_t c = b[i];
    size_t len = 1;
    if (c >= 0xc2 && c <= 0xdf && i + 1 < n && (b[i + 1] & 0xc0) == 0x80) {
      c = ((c & 0x1f) << 6) | (b[i + 1] & 0x3f);
      len = 2;
    } else if (c >= 0xe0 && c <= 0xef && i + 2 < n &&
               (b[i + 1] & 0xc0) == 0x80 && (b[i + 2] & 0xc0) == 0x80 &&
               (c != 0xe0 || b[i + 1] >= 0xa0)) {
      c = ((c & 0x0f) << 12) | ((uint32_t)(b[i + 1] & 0x3f) << 6) |
          (b[i + 2] & 0x3f);
      len = 3;
    } else if (c >= 0xf0 && c <= 0xf4 && i + 3 < n &&
               (b[i + 1] & 0xc0) == 0x80 && (b[i + 2] & 0xc0) == 0x80 &&
               (b[i + 3] & 0xc0) == 0x80 && (c != 0xf0 || b[i + 1] >= 0x90) &&
               (c != 0xf4 || b[i + 1] < 0x90)) {
      c = ((c & 0x07) << 18) | ((uint32_t)(b[i + 1] & 0x3f) << 12) |
          ((uint32_t)(b[i + 2] & 0x3f) << 6) | (b[i + 3] & 0x3f);
      len = 4;
    } else if (c >= 0x80) {
      c = 0xfffd;
    }
    i += len;
    if (c >= 0x10000) {
      c -= 0x10000;
      u[o++] = (uint16_t)(0xd800 + (c >> 10));
      u[o++] = (uint16_t)(0xdc00 + (c & 0x3ff));
    } else {
      if (kind == RTCBOX_USVSTRING && c >= 0xd800 && c <= 0xdfff)
        c = 0xfffd;
      u[o++] = (uint16_t)c;
    }
  }
  CALL(ctx, napi_create_string_utf16(ctx->env, (const char16_t*)u, o, out));
  return true;
}

/* From this size up a copy made by napi_create_buffer_copy costs less than
 * napi_create_arraybuffer's zero-filled one plus memcpy, although it makes
 * one more object (the Buffer): Node fills neither the Buffer's memory nor
 * its ArrayBuffer's. A 64 KiB message was ~17% of the receiving JS thread
 * in memset. */
#define BUFFER_COPY_MIN 4096

napi_value rtcbox_new_array_buffer_copy(napi_env env,
                                        const void* data,
                                        size_t size) {
  napi_value ab;
  if (size >= BUFFER_COPY_MIN) {
    napi_value buffer;
    void* copy = NULL;
    napi_typedarray_type type;
    size_t length = 0, offset = 0, ab_length = 0;
    void* view_data = NULL;
    void* ab_data = NULL;
    /* Only a Buffer that is the whole of its own ArrayBuffer will do (a
     * host may cut small Buffers from a shared pool: then its ArrayBuffer
     * holds other bytes too). */
    if (napi_create_buffer_copy(env, size, data, &copy, &buffer) == napi_ok &&
        napi_get_typedarray_info(env, buffer, &type, &length, &view_data, &ab,
                                 &offset) == napi_ok &&
        offset == 0 && length == size &&
        napi_get_arraybuffer_info(env, ab, &ab_data, &ab_length) == napi_ok &&
        ab_length == size && ab_data == view_data)
      return ab;
    rtcbox_clear_exception(env);
  }
  void* copy = NULL;
  if (napi_create_arraybuffer(env, size, &copy, &ab) != napi_ok)
    return NULL;
  if (size)
    memcpy(copy, data, size);
  return ab;
}

bool rtcbox_to_js_bytes(rtcbox_ctx* ctx,
                        rtcbox_bytes b,
                        unsigned type,
                        napi_value* out) {
  if (!b.data)
    return rtcbox_to_js_null(ctx, out);
  napi_value ab = rtcbox_new_array_buffer_copy(ctx->env, b.data, b.length);
  if (!ab)
    return rtcbox_throw_status(ctx, napi_generic_failure);
  if (type & RTCBOX_BUFFER_ARRAY_BUFFER) {
    *out = ab;
    return true;
  }
  if (!(type & RTCBOX_BUFFER_UINT8) && (type & RTCBOX_BUFFER_DATA_VIEW)) {
    CALL(ctx, napi_create_dataview(ctx->env, b.length, ab, 0, out));
    return true;
  }
  CALL(ctx, napi_create_typedarray(ctx->env, napi_uint8_array, b.length, ab, 0,
                                   out));
  return true;
}

bool rtcbox_to_js_boolean(rtcbox_ctx* ctx, bool v, napi_value* out) {
  CALL(ctx, napi_get_boolean(ctx->env, v, out));
  return true;
}

bool rtcbox_to_js_int64(rtcbox_ctx* ctx, int64_t v, napi_value* out) {
  CALL(ctx, napi_create_double(ctx->env, (double)v, out));
  return true;
}

bool rtcbox_to_js_uint64(rtcbox_ctx* ctx, uint64_t v, napi_value* out) {
  CALL(ctx, napi_create_double(ctx->env, (double)v, out));
  return true;
}

bool rtcbox_to_js_double(rtcbox_ctx* ctx, double v, napi_value* out) {
  CALL(ctx, napi_create_double(ctx->env, v, out));
  return true;
}

bool rtcbox_to_js_null(rtcbox_ctx* ctx, napi_value* out) {
  CALL(ctx, napi_get_null(ctx->env, out));
  return true;
}

bool rtcbox_to_js_undefined(rtcbox_ctx* ctx, napi_value* out) {
  CALL(ctx, napi_get_undefined(ctx->env, out));
  return true;
}

bool rtcbox_freeze(rtcbox_ctx* ctx, napi_value v) {
  CALL(ctx, napi_object_freeze(ctx->env, v));
  return true;
}

bool rtcbox_new_object(rtcbox_ctx* ctx, napi_value* out) {
  CALL(ctx, napi_create_object(ctx->env, out));
  return true;
}

bool rtcbox_new_array(rtcbox_ctx* ctx, size_t length, napi_value* out) {
  CALL(ctx, napi_create_array_with_length(ctx->env, length, out));
  return true;
}

/* CreateDataProperty: a define, never a Set (no setter of a prototype
 * runs). */
bool rtcbox_set_property(rtcbox_ctx* ctx,
                         napi_value obj,
                         napi_value key,
                         napi_value value) {
  if (!define_value(ctx->env, obj, key, value))
    return rtcbox_throw_status(ctx, napi_generic_failure);
  return true;
}

bool rtcbox_get_property(rtcbox_ctx* ctx,
                         napi_value obj,
                         napi_value key,
                         napi_value* out) {
  CALL(ctx, napi_get_property(ctx->env, obj, key, out));
  return true;
}

bool rtcbox_set_named(rtcbox_ctx* ctx,
                      napi_value obj,
                      const char* name,
                      napi_value value) {
  napi_value key;
  CALL(ctx, napi_create_string_utf8(ctx->env, name, NAPI_AUTO_LENGTH, &key));
  return rtcbox_set_property(ctx, obj, key, value);
}

bool rtcbox_set_index(rtcbox_ctx* ctx,
                      napi_value arr,
                      uint32_t index,
                      napi_value value) {
  /* Property keys are strings: "0", "1", ... */
  char digits[16];
  snprintf(digits, sizeof(digits), "%u", (unsigned)index);
  return rtcbox_set_named(ctx, arr, digits, value);
}

/* ------------------------------------------------------------------------
 * Diagnostics
 * --------------------------------------------------------------------- */

size_t rtcbox_live_handle_count(napi_env env) {
  rtcbox_env* envd = env_data(env);
  if (!envd)
    return 0;
  return list_count(&envd->promises) + list_count(&envd->callbacks) +
         list_count(&envd->blobs) + list_count(&envd->reads) +
         list_count(&envd->links);
}
