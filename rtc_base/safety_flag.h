/*
 * A safety flag says whether an object is still alive, for tasks posted on
 * its behalf that may run after it died. The object creates a flag, posts
 * tasks with rtc_task_queue_post_guarded(), and marks the flag not alive
 * (then drops its reference) when it is destroyed; tasks still pending then
 * do not run.
 *
 * Reference-counted; rtc_safety_flag_set_not_alive() must be called on the
 * thread (task queue) that runs the guarded tasks, so that no guarded task
 * is running while the object dies.
 */
#ifndef RTC_BASE_SAFETY_FLAG_H_
#define RTC_BASE_SAFETY_FLAG_H_

#include <stdbool.h>

#include "rtc_base/error.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct rtc_safety_flag rtc_safety_flag;

/* A new, alive flag with one reference. Errors: RTC_ERR_NO_MEMORY. */
rtc_error rtc_safety_flag_create(rtc_safety_flag** out);
void rtc_safety_flag_ref(rtc_safety_flag* flag);
void rtc_safety_flag_unref(rtc_safety_flag* flag);
bool rtc_safety_flag_alive(const rtc_safety_flag* flag);
void rtc_safety_flag_set_not_alive(rtc_safety_flag* flag);

#ifdef __cplusplus
}  // extern "C"
#endif

#endif  // RTC_BASE_SAFETY_FLAG_H_
