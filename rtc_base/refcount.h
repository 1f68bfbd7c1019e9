/*
 * An atomic reference count for shared objects (rtc_foo_ref/rtc_foo_unref).
 *
 *   struct rtc_foo { rtc_refcount refs; ... };
 *   rtc_refcount_init(&foo->refs);                       // count = 1
 *   void rtc_foo_ref(rtc_foo* f) { rtc_refcount_inc(&f->refs); }
 *   void rtc_foo_unref(rtc_foo* f) {
 *     if (rtc_refcount_dec(&f->refs)) destroy(f);
 *   }
 *
 * Increments are relaxed; the decrement that reaches zero synchronizes with
 * every earlier decrement, so the destroyer sees all writes made by other
 * holders. Taking a reference on a dead object (count 0) or overflowing the
 * count is a fatal RTC_CHECK.
 *
 * Threads: any.
 */
#ifndef RTC_BASE_REFCOUNT_H_
#define RTC_BASE_REFCOUNT_H_

#include <stdbool.h>
#include <stdint.h>

#ifdef __cplusplus
#include <atomic>
extern "C" {
typedef struct rtc_refcount {
  std::atomic<int32_t> count;
} rtc_refcount;
#else
#include <stdatomic.h>
typedef struct rtc_refcount {
  _Atomic int32_t count;
} rtc_refcount;
#endif

/* Sets the count to 1 (the creator's reference). */
void rtc_refcount_init(rtc_refcount* ref);
void rtc_refcount_inc(rtc_refcount* ref);
/* Drops one reference; true when it was the last one. */
bool rtc_refcount_dec(rtc_refcount* ref) __attribute__((warn_unused_result));
/* True when the caller holds the only reference. */
bool rtc_refcount_has_one_ref(const rtc_refcount* ref);
int32_t rtc_refcount_get(const rtc_refcount* ref);

#ifdef __cplusplus
}  // extern "C"
#endif

#endif  // RTC_BASE_REFCOUNT_H_
