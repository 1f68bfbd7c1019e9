/*
 * A mutex with thread-safety annotations, and helpers for threads.
 *
 * Rules (STYLE.md): a mutex names what it guards; never call out (callbacks,
 * other objects) while holding one; prefer state owned by one thread.
 */
#ifndef RTC_BASE_MUTEX_H_
#define RTC_BASE_MUTEX_H_

#include <pthread.h>

#include "rtc_base/thread_annotations.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct RTC_CAPABILITY("mutex") rtc_mutex {
  pthread_mutex_t impl;
} rtc_mutex;

/* A mutex that may be statically initialized: rtc_mutex m = RTC_MUTEX_INIT; */
#define RTC_MUTEX_INIT \
  { PTHREAD_MUTEX_INITIALIZER }

void rtc_mutex_init(rtc_mutex* mu);
void rtc_mutex_destroy(rtc_mutex* mu);
void rtc_mutex_lock(rtc_mutex* mu) RTC_ACQUIRE(mu);
void rtc_mutex_unlock(rtc_mutex* mu) RTC_RELEASE(mu);

/* The kernel thread id of the calling thread (gettid). */
int rtc_current_thread_id(void);

#ifdef __cplusplus
}  // extern "C"
#endif

#endif  // RTC_BASE_MUTEX_H_
