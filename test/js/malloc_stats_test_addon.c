/*
 * A test addon for test/js/webrtc_lifetime.test.js: what glibc's malloc has
 * handed out and not taken back, summed over every arena (mallinfo2(3)).
 *
 * RSS is a poor leak detector for a process that allocates and frees large
 * blocks all the time: fragmentation of malloc's heap and its mmap threshold
 * make RSS rise in steps that are no leak. The bytes in use are what a leak
 * adds to, whether the leak is ours, usrsctp's or BoringSSL's (all three
 * allocate with malloc).
 *
 * Exports:
 *   mallocInUse()   bytes in use: mallinfo2's uordblks (heap chunks in use)
 *                   plus hblkhd (chunks malloc gave their own mmap)
 */
#include <malloc.h>
#include <node_api.h>

static napi_value MallocInUse(napi_env env, napi_callback_info info) {
  (void)info;
  struct mallinfo2 stats = mallinfo2();
  napi_value result;
  if (napi_create_double(env, (double)(stats.uordblks + stats.hblkhd),
                         &result) != napi_ok) {
    napi_throw_error(env, NULL, "napi_create_double");
    return NULL;
  }
  return result;
}

NAPI_MODULE_EXPORT int32_t node_api_module_get_api_version_v1(void);

NAPI_MODULE_INIT() {
  napi_value fn;
  if (napi_create_function(env, "mallocInUse", NAPI_AUTO_LENGTH, MallocInUse,
                           NULL, &fn) != napi_ok ||
      napi_set_named_property(env, exports, "mallocInUse", fn) != napi_ok) {
    napi_throw_error(env, NULL, "malloc_stats_test_addon: init");
    return NULL;
  }
  return exports;
}
