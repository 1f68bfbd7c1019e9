/*
 * Per-env state, the process-wide context and the object header of the
 * implementation (impl.h).
 */
#include <stdlib.h>
#include <string.h>

#include "api/js/impl/impl.h"

#include "api/js/runtime/napi_task_queue.h"
#include "rtc_base/alloc.h"
#include "rtc_base/checks.h"
#include "rtc_base/mutex.h"
#include "rtc_base/random.h"

/* --- Object header --- */

void rtcbox_impl_init(rtcbox_impl_header* h,
                      int32_t class_id,
                      void (*free_fn)(rtcbox_impl_header* self)) {
  h->wrapper.class_id = class_id;
  h->refs = 1;
  h->free_fn = free_fn;
  h->parent = NULL;
}

void rtcbox_impl_init_embedded(rtcbox_impl_header* h,
                               int32_t class_id,
                               rtcbox_impl_header* parent) {
  h->wrapper.class_id = class_id;
  h->refs = 0;
  h->free_fn = NULL;
  h->parent = parent;
}

void rtcbox_impl_ref(rtcbox_impl_header* h) {
  RTC_CHECK(h->refs >= 0);
  if (h->refs++ == 0 && h->parent)
    rtcbox_impl_ref(h->parent);
}

void rtcbox_impl_unref(rtcbox_impl_header* h) {
  if (!h)
    return;
  RTC_CHECK(h->refs > 0);
  if (--h->refs > 0)
    return;
  if (h->parent) {
    rtcbox_impl_unref(h->parent);
    return;
  }
  if (h->free_fn)
    h->free_fn(h);
}

void* rtcbox_impl_out(rtcbox_impl_header* h) {
  if (h && !h->wrapper.link)
    rtcbox_impl_ref(h);
  return h;
}

void rtcbox_impl_out_unused(rtcbox_impl_header* h, bool had_js) {
  if (h && !had_js && !h->wrapper.link)
    rtcbox_impl_unref(h);
}

/* --- Envs --- */

static rtc_mutex g_mu = RTC_MUTEX_INIT;
static rtcbox_impl_env* g_envs RTC_GUARDED_BY(g_mu);
static rtc_context* g_context RTC_GUARDED_BY(g_mu);
static int g_context_users RTC_GUARDED_BY(g_mu);

rtcbox_impl_env* rtcbox_impl_env_get(napi_env env) {
  rtc_mutex_lock(&g_mu);
  rtcbox_impl_env* e = g_envs;
  while (e && e->env != env)
    e = e->next;
  rtc_mutex_unlock(&g_mu);
  return e;
}

static void env_cleanup(void* arg) {
  rtcbox_impl_env* ienv = arg;
  ienv->tearing_down = true;
  /* Before the signaling queue goes (its hook was registered first, so it
   * runs after this one): nothing may post to it any more. */
  rtcbox_pc_env_teardown(ienv);
  rtc_mutex_lock(&g_mu);
  for (rtcbox_impl_env** p = &g_envs; *p; p = &(*p)->next) {
    if (*p == ienv) {
      *p = ienv->next;
      break;
    }
  }
  rtc_mutex_unlock(&g_mu);
  rtc_free(ienv);
}

napi_value rtcbox_impl_addon_init(napi_env env, napi_value exports) {
  if (rtcbox_impl_env_get(env))
    return rtcbox_bindings_init(env, exports);
  rtc_task_queue* queue;
  rtc_error err = rtcbox_napi_queue_create(env, &queue);
  if (err != RTC_OK) {
    napi_throw_error(env, rtc_error_name(err),
                     "rtcbox: cannot create the signaling task queue");
    return NULL;
  }
  rtcbox_impl_env* ienv = rtc_calloc(1, sizeof(*ienv));
  if (!ienv) {
    napi_throw_error(env, "OperationError", "rtcbox: out of memory");
    return NULL;
  }
  ienv->env = env;
  ienv->queue = queue;
  if (napi_add_env_cleanup_hook(env, env_cleanup, ienv) != napi_ok) {
    rtc_free(ienv);
    napi_throw_error(env, "OperationError", "rtcbox: cannot add a hook");
    return NULL;
  }
  rtc_mutex_lock(&g_mu);
  ienv->next = g_envs;
  g_envs = ienv;
  rtc_mutex_unlock(&g_mu);
  return rtcbox_bindings_init(env, exports);
}

/* --- The context --- */

rtc_error rtcbox_impl_context_acquire(rtc_context** out) {
  rtc_error err = RTC_OK;
  rtc_mutex_lock(&g_mu);
  if (!g_context) {
    /* The embedder's trust store for TURN over TLS (turns: URLs): a PEM
     * file named by the environment of the process (a page cannot set
     * it); otherwise the system's CA bundle. */
    rtc_context_config config;
    rtc_context_config_init(&config);
    const char* ca = getenv("RTCBOX_TLS_CA_FILE");
    if (ca && ca[0])
      config.tls_ca_file = ca;
    err = rtc_context_create(&config, &g_context);
  }
  if (err == RTC_OK) {
    g_context_users++;
    *out = g_context;
  }
  rtc_mutex_unlock(&g_mu);
  return err;
}

void rtcbox_impl_context_release(rtc_context* context) {
  if (!context)
    return;
  rtc_context* to_destroy = NULL;
  rtc_mutex_lock(&g_mu);
  RTC_CHECK(context == g_context && g_context_users > 0);
  if (--g_context_users == 0) {
    to_destroy = g_context;
    g_context = NULL;
  }
  rtc_mutex_unlock(&g_mu);
  /* Outside the lock: joining the threads may take a moment, and another
   * env may start a new context meanwhile. */
  rtc_context_destroy(to_destroy);
}

/* --- Helpers --- */

char* rtcbox_impl_strdup(rtcbox_string s) {
  if (!s.data)
    return NULL;
  char* copy = rtc_malloc(s.length + 1);
  if (!copy)
    return NULL;
  memcpy(copy, s.data, s.length);
  copy[s.length] = '\0';
  return copy;
}

void rtcbox_impl_uuid(char out[37]) {
  rtc_random_uuid_v4(out);
}
