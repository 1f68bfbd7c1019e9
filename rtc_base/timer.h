/*
 * A cancellable one-shot timer on a task queue: start it (again and again,
 * each start replacing the previous deadline), stop it, and its callback
 * runs at most once per start, on the queue, never after a stop.
 *
 * The timer is a value embedded in its owner. Stop it before freeing the
 * owner (the callback itself may free the owner: the timer is stopped
 * while its callback runs). On a queue that implements cancellation (the
 * event loop, simulated queues) a stop or a restart takes the pending task
 * out of the queue at once and a start allocates nothing; on a queue that
 * does not (rtc_task_queue_can_cancel() false), each start allocates a small
 * ticket and a stop detaches it: the queue keeps the dead task until its
 * deadline, when it does nothing.
 *
 * All zero (rtc_calloc) is a stopped timer on no queue: stopping it is
 * harmless. Destroying the queue stops its timers.
 *
 * Threads: the queue's thread only (init may happen anywhere before use).
 */
#ifndef RTC_BASE_TIMER_H_
#define RTC_BASE_TIMER_H_

#include <stdbool.h>
#include <stdint.h>

#include "rtc_base/error.h"
#include "rtc_base/task_queue.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct rtc_timer_ticket rtc_timer_ticket;

typedef struct rtc_timer {
  rtc_task_queue* queue;
  rtc_task_fn callback;
  void* arg;
  rtc_task_handle handle;   /* the pending start, on a queue that cancels */
  rtc_timer_ticket* ticket; /* the pending start, on a queue that cannot */
  int64_t deadline_us;      /* valid while a start is pending */
} rtc_timer;

/* (callback, arg: transfer none; called on the queue with `arg`) */
void rtc_timer_init(rtc_timer* timer,
                    rtc_task_queue* queue,
                    rtc_task_fn callback,
                    void* arg);
/* (Re)starts the timer to fire at deadline_us on the queue's clock (a
 * deadline in the past fires as soon as the queue runs it). Errors:
 * RTC_ERR_NO_MEMORY, RTC_ERR_CLOSED (queue shutting down): the timer is
 * then stopped. */
rtc_error rtc_timer_start_at(rtc_timer* timer, int64_t deadline_us);
rtc_error rtc_timer_start(rtc_timer* timer, int64_t delay_us);
/* Starts the timer only if it is stopped or due later than deadline_us. */
rtc_error rtc_timer_start_before(rtc_timer* timer, int64_t deadline_us);
/* The callback will not run for any start so far. Does nothing on a
 * stopped timer (it does not touch the queue then, which may be gone). */
void rtc_timer_stop(rtc_timer* timer);
bool rtc_timer_is_running(const rtc_timer* timer);

#ifdef __cplusplus
}  // extern "C"
#endif

#endif  // RTC_BASE_TIMER_H_
