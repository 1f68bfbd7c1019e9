#include "rtc_base/mutex.h"

#include <unistd.h>

#include "rtc_base/checks.h"

void rtc_mutex_init(rtc_mutex* mu) {
  RTC_CHECK(pthread_mutex_init(&mu->impl, NULL) == 0);
}

void rtc_mutex_destroy(rtc_mutex* mu) {
  RTC_CHECK(pthread_mutex_destroy(&mu->impl) == 0);
}

void rtc_mutex_lock(rtc_mutex* mu) RTC_NO_THREAD_SAFETY_ANALYSIS {
  RTC_CHECK(pthread_mutex_lock(&mu->impl) == 0);
}

void rtc_mutex_unlock(rtc_mutex* mu) RTC_NO_THREAD_SAFETY_ANALYSIS {
  RTC_CHECK(pthread_mutex_unlock(&mu->impl) == 0);
}

int rtc_current_thread_id(void) {
  static _Thread_local int tid;
  if (tid == 0)
    tid = (int)gettid();
  return tid;
}
