/*
 * A cancellable one-shot timer on a task queue: start it (again and again,
 * each start replacing the previous deadline), stop it, and its callback
 * runs at most once per start, on the queue, never after a stop.
 *
 * The timer is a value embedded in its owner. Stop it before freeing the
 * owner: a pending task then finds it detached and does nothing.
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
  rtc_timer_ticket* ticket; /* the pending start, or NULL */
  int64_t deadline_us;      /* valid while a start is pending */
} rtc_timer;

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
void rtc_timer_stop(rtc_timer* timer);
bool rtc_timer_is_running(const rtc_timer* timer);

#ifdef __cplusplus
}  // extern "C"
#endif

#endif  // RTC_BASE_TIMER_H_
