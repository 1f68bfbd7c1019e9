/*
 * Thread-affinity checks. An object that lives on one thread embeds an
 * rtc_thread_checker; the checker attaches to the first thread that asks and
 * then says whether the caller is on that thread.
 *
 *   RTC_DCHECK_RUN_ON(&obj->network_thread);
 *
 * A checker may be detached (for example when an object is created on one
 * thread and handed to the thread that owns it from then on).
 *
 * Threads: any.
 */
#ifndef RTC_BASE_THREAD_CHECKER_H_
#define RTC_BASE_THREAD_CHECKER_H_

#include <stdbool.h>

#include "rtc_base/checks.h"

#ifdef __cplusplus
#include <atomic>
extern "C" {
#define RTC_ATOMIC_INT std::atomic<int>
#else
#include <stdatomic.h>
#define RTC_ATOMIC_INT _Atomic int
#endif

typedef struct rtc_thread_checker {
  RTC_ATOMIC_INT thread_id; /* 0: detached */
} rtc_thread_checker;

/* Starts detached; zero-initialized memory is a detached checker too. */
void rtc_thread_checker_init(rtc_thread_checker* checker);
/* Attaches to the calling thread if detached; then true when the caller is
 * on the attached thread. */
bool rtc_thread_checker_is_current(rtc_thread_checker* checker);
/* Forgets the thread; the next is_current() attaches again. */
void rtc_thread_checker_detach(rtc_thread_checker* checker);

#define RTC_DCHECK_RUN_ON(checker) \
  RTC_DCHECK_MSG(rtc_thread_checker_is_current(checker), "wrong thread")

#ifdef __cplusplus
}  // extern "C"
#endif

#endif  // RTC_BASE_THREAD_CHECKER_H_
