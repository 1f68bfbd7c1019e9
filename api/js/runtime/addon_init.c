/*
 * The init of rtcbox.node: the env's signaling queue and state, then the
 * generated glue (api/js/impl/common.c, rtcbox_impl_addon_init).
 */
#include <node_api.h>

#include "api/js/impl/impl.h"

NAPI_MODULE_EXPORT int32_t node_api_module_get_api_version_v1(void);

NAPI_MODULE_INIT() {
  return rtcbox_impl_addon_init(env, exports);
}
