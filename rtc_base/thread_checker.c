#include "rtc_base/thread_checker.h"

#include "rtc_base/mutex.h"

void rtc_thread_checker_init(rtc_thread_checker* checker) {
  atomic_init(&checker->thread_id, 0);
}

bool rtc_thread_checker_is_current(rtc_thread_checker* checker) {
  int self = rtc_current_thread_id();
  int expected = 0;
  if (atomic_compare_exchange_strong(&checker->thread_id, &expected, self))
    return true;
  return expected == self;
}

void rtc_thread_checker_detach(rtc_thread_checker* checker) {
  atomic_store(&checker->thread_id, 0);
}
