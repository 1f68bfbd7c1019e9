#include "rtc_base/safety_flag.h"

#include <stdatomic.h>

#include "rtc_base/alloc.h"
#include "rtc_base/refcount.h"

struct rtc_safety_flag {
  rtc_refcount refs;
  atomic_bool alive;
};

rtc_error rtc_safety_flag_create(rtc_safety_flag** out) {
  rtc_safety_flag* flag = rtc_malloc(sizeof(*flag));
  *out = flag;
  if (!flag)
    return RTC_ERR_NO_MEMORY;
  rtc_refcount_init(&flag->refs);
  atomic_init(&flag->alive, true);
  return RTC_OK;
}

void rtc_safety_flag_ref(rtc_safety_flag* flag) {
  rtc_refcount_inc(&flag->refs);
}

void rtc_safety_flag_unref(rtc_safety_flag* flag) {
  if (flag && rtc_refcount_dec(&flag->refs))
    rtc_free(flag);
}

bool rtc_safety_flag_alive(const rtc_safety_flag* flag) {
  return atomic_load(&((rtc_safety_flag*)flag)->alive);
}

void rtc_safety_flag_set_not_alive(rtc_safety_flag* flag) {
  atomic_store(&flag->alive, false);
}
