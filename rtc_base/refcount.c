#include "rtc_base/refcount.h"

#include "rtc_base/checks.h"

void rtc_refcount_init(rtc_refcount* ref) {
  atomic_init(&ref->count, 1);
}

void rtc_refcount_inc(rtc_refcount* ref) {
  int32_t old = atomic_fetch_add_explicit(&ref->count, 1, memory_order_relaxed);
  RTC_CHECK_MSG(old > 0 && old < INT32_MAX, "refcount %d", (int)old);
}

bool rtc_refcount_dec(rtc_refcount* ref) {
  int32_t old = atomic_fetch_sub_explicit(&ref->count, 1, memory_order_acq_rel);
  RTC_CHECK_MSG(old > 0, "refcount underflow");
  return old == 1;
}

bool rtc_refcount_has_one_ref(const rtc_refcount* ref) {
  return atomic_load_explicit(&ref->count, memory_order_acquire) == 1;
}

int32_t rtc_refcount_get(const rtc_refcount* ref) {
  return atomic_load_explicit(&ref->count, memory_order_acquire);
}
