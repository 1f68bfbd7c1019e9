/*
 * The init of rtcbox.node, until the runtime and the generated glue bring
 * theirs (then this file goes): creates the signaling queue of the env
 * (api/js/runtime/napi_task_queue.h) and exports nothing yet.
 */
#include <node_api.h>

#include "api/js/runtime/napi_task_queue.h"

NAPI_MODULE_EXPORT int32_t node_api_module_get_api_version_v1(void);

NAPI_MODULE_INIT() {
  rtc_task_queue* queue;
  rtc_error err = rtcbox_napi_queue_create(env, &queue);
  if (err != RTC_OK) {
    napi_throw_error(env, rtc_error_name(err),
                     "rtcbox: cannot create the signaling task queue");
    return NULL;
  }
  return exports;
}
