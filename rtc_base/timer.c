#include "rtc_base/timer.h"

#include "rtc_base/alloc.h"
#include "rtc_base/checks.h"

/* --- Queues with cancellation: the task points at the timer itself. ---
 * While the task is pending the timer is alive (stopping it, required
 * before freeing it, cancels the task), and the queue clears the handle
 * before running the task, so the timer is stopped while its callback runs
 * (which may free it or start it again). Dropped unrun (queue destroyed),
 * the handle is cleared just the same: nothing else to do, no destroy. */

static void timer_run(void* arg) {
  rtc_timer* timer = arg;
  timer->callback(timer->arg);
}

/* --- Queues without cancellation: one ticket per start. ---
 * The posted task holds it; a stop detaches it. */
struct rtc_timer_ticket {
  rtc_timer* timer; /* NULL once stopped or replaced */
};

static void ticket_run(void* arg) {
  rtc_timer_ticket* ticket = arg;
  rtc_timer* timer = ticket->timer;
  if (!timer)
    return;
  timer->ticket = NULL;
  ticket->timer = NULL;
  timer->callback(timer->arg);
}

static void ticket_destroy(void* arg) {
  rtc_timer_ticket* ticket = arg;
  if (ticket->timer)
    ticket->timer->ticket = NULL; /* dropped unrun: the timer is stopped */
  rtc_free(ticket);
}

void rtc_timer_init(rtc_timer* timer,
                    rtc_task_queue* queue,
                    rtc_task_fn callback,
                    void* arg) {
  timer->queue = queue;
  timer->callback = callback;
  timer->arg = arg;
  rtc_task_handle_init(&timer->handle);
  timer->ticket = NULL;
  timer->deadline_us = 0;
}

void rtc_timer_stop(rtc_timer* timer) {
  if (timer->ticket) {
    timer->ticket->timer = NULL;
    timer->ticket = NULL;
  }
  /* Idle handle: returns at once without touching the queue. */
  rtc_task_queue_cancel(timer->queue, &timer->handle);
}

rtc_error rtc_timer_start_at(rtc_timer* timer, int64_t deadline_us) {
  RTC_DCHECK(rtc_task_queue_is_current(timer->queue));
  rtc_timer_stop(timer);
  timer->deadline_us = deadline_us;
  int64_t delay = deadline_us - rtc_task_queue_now_us(timer->queue);
  if (rtc_task_queue_can_cancel(timer->queue)) {
    rtc_task task = {timer_run, NULL, timer};
    /* On failure the handle stays idle: the timer is stopped. */
    return rtc_task_queue_post_cancelable(timer->queue, delay, task,
                                          &timer->handle);
  }
  rtc_timer_ticket* ticket = rtc_malloc(sizeof(*ticket));
  if (!ticket)
    return RTC_ERR_NO_MEMORY;
  ticket->timer = timer;
  timer->ticket = ticket;
  rtc_task task = {ticket_run, ticket_destroy, ticket};
  /* On failure the task was dropped: ticket_destroy stopped the timer. */
  return rtc_task_queue_post_delayed(timer->queue, delay, task);
}

rtc_error rtc_timer_start(rtc_timer* timer, int64_t delay_us) {
  return rtc_timer_start_at(timer,
                            rtc_task_queue_now_us(timer->queue) + delay_us);
}

rtc_error rtc_timer_start_before(rtc_timer* timer, int64_t deadline_us) {
  if (rtc_timer_is_running(timer) && timer->deadline_us <= deadline_us)
    return RTC_OK;
  return rtc_timer_start_at(timer, deadline_us);
}

bool rtc_timer_is_running(const rtc_timer* timer) {
  return timer->ticket != NULL || rtc_task_handle_pending(&timer->handle);
}
