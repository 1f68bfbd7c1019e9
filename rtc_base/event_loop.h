/*
 * The real task queue: a thread running an epoll loop, with a timer heap
 * armed on a timerfd (microsecond deadlines), an eventfd to wake it when a
 * task is posted from another thread, and socket readiness registration
 * (rtc_task_queue_watch_fd). The network thread of a process is one of
 * these (ARCHITECTURE.md §2).
 *
 * Deadlines are measured on rtc_clock_monotonic(). Tasks due at the start
 * of a loop round run before the loop polls file descriptors again, so a
 * task that keeps posting itself cannot starve socket readiness.
 */
#ifndef RTC_BASE_EVENT_LOOP_H_
#define RTC_BASE_EVENT_LOOP_H_

#include <stdbool.h>
#include <stddef.h>

#include "rtc_base/error.h"
#include "rtc_base/task_queue.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Starts the thread, named `name` (at most 15 bytes are kept), and returns
 * its queue; free it with rtc_task_queue_destroy(), which stops and joins
 * the thread after dropping the pending tasks on it. Any thread.
 * Errors: RTC_ERR_NO_MEMORY, RTC_ERR_IO (epoll/eventfd/timerfd/thread
 * creation failed). (out: transfer full) */
rtc_error rtc_event_loop_create(const char* name, rtc_task_queue** out);

/* On the thread of an event loop of rtc_event_loop_create(): runs fn(arg)
 * on that thread once the current round of tasks and descriptor callbacks
 * is over, before the loop waits for more (and before it quits). Lets a
 * queue on another thread be woken once per round rather than once per
 * task posted to it. Returns false on any other thread, or when the round
 * already holds 32 deferred calls: the caller then does it at once. */
bool rtc_event_loop_defer(void (*fn)(void* arg), void* arg);

/* How many tasks are pending on `queue` (created by rtc_event_loop_create):
 * posted and neither taken out to run, cancelled nor dropped. For tests and
 * diagnostics (a stopped rtc_timer leaves nothing behind). Any thread; from
 * another thread the count may be out of date by the time it returns. */
size_t rtc_event_loop_pending_count(rtc_task_queue* queue);

#ifdef __cplusplus
}  // extern "C"
#endif

#endif  // RTC_BASE_EVENT_LOOP_H_
