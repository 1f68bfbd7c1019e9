#include "rtc_base/sim_time.h"

#include <stdio.h>

#include "rtc_base/alloc.h"
#include "rtc_base/checks.h"
#include "rtc_base/mutex.h"
#include "rtc_base/task_heap_internal.h"

struct rtc_sim_time {
  rtc_sim_clock* clock;
  rtc_mutex mu;
  rtc_task_heap heap RTC_GUARDED_BY(mu); /* tasks of every queue */
  uint64_t next_seq RTC_GUARDED_BY(mu);
  size_t queue_count; /* driving thread only */
  bool running;       /* a task is running: no re-entrant driving */
};

typedef struct sim_queue {
  rtc_task_queue base; /* first */
  rtc_sim_time* time;
  char name[32];
} sim_queue;

static rtc_error post_tracked(sim_queue* q,
                              int64_t delay_us,
                              rtc_task task,
                              size_t* slot) {
  rtc_sim_time* time = q->time;
  int64_t now = rtc_sim_clock_now_us(time->clock);
  rtc_pending_task item = {
      .deadline_us = delay_us > INT64_MAX - now ? INT64_MAX : now + delay_us,
      .task = task,
      .owner = q,
      .slot = slot,
  };
  rtc_mutex_lock(&time->mu);
  item.seq = time->next_seq++;
  rtc_error err = rtc_task_heap_push(&time->heap, &item);
  rtc_mutex_unlock(&time->mu);
  if (err != RTC_OK)
    rtc_task_drop(&task);
  return err;
}

static rtc_error sim_post(rtc_task_queue* queue,
                          int64_t delay_us,
                          rtc_task task) {
  return post_tracked((sim_queue*)queue, delay_us, task, NULL);
}

static rtc_error sim_post_cancelable(rtc_task_queue* queue,
                                     int64_t delay_us,
                                     rtc_task task,
                                     rtc_task_handle* handle) {
  return post_tracked((sim_queue*)queue, delay_us, task, &handle->slot);
}

/* The driving thread: tasks run there, so a pending task is not running. */
static bool sim_cancel(rtc_task_queue* queue,
                       rtc_task_handle* handle,
                       rtc_task* out) {
  sim_queue* q = (sim_queue*)queue;
  rtc_sim_time* time = q->time;
  rtc_mutex_lock(&time->mu);
  size_t index = rtc_task_heap_find_slot(&time->heap, &handle->slot);
  bool found = index != SIZE_MAX;
  if (found) {
    /* The heap is shared: a handle given to the wrong queue would find the
     * task all the same; refuse it, it is a bug in the caller. */
    RTC_CHECK_MSG(time->heap.items[index].owner == q,
                  "task cancelled through another queue than its own");
    rtc_pending_task item;
    rtc_task_heap_remove_at(&time->heap, index, &item);
    *out = item.task;
  }
  rtc_mutex_unlock(&time->mu);
  return found;
}

static void sim_queue_destroy(rtc_task_queue* queue) {
  sim_queue* q = (sim_queue*)queue;
  rtc_sim_time* time = q->time;
  /* Drop this queue's tasks one at a time: a task's destroy may post. */
  rtc_task_queue* previous = rtc_task_queue_set_current(queue);
  for (;;) {
    rtc_pending_task item;
    rtc_mutex_lock(&time->mu);
    bool found = rtc_task_heap_remove_owned(&time->heap, q, &item);
    rtc_mutex_unlock(&time->mu);
    if (!found)
      break;
    rtc_task_drop(&item.task);
  }
  rtc_task_queue_set_current(previous);
  time->queue_count--;
  rtc_free(q);
}

static const rtc_task_queue_vtable kSimQueueVtable = {
    .post = sim_post,
    .post_cancelable = sim_post_cancelable,
    .cancel = sim_cancel,
    .destroy = sim_queue_destroy,
};

rtc_error rtc_sim_time_create(int64_t start_us, rtc_sim_time** out) {
  *out = NULL;
  rtc_sim_time* time = rtc_calloc(1, sizeof(*time));
  if (!time)
    return RTC_ERR_NO_MEMORY;
  rtc_error err = rtc_sim_clock_create(start_us, &time->clock);
  if (err != RTC_OK) {
    rtc_free(time);
    return err;
  }
  rtc_mutex_init(&time->mu);
  *out = time;
  return RTC_OK;
}

void rtc_sim_time_destroy(rtc_sim_time* time) {
  if (!time)
    return;
  RTC_CHECK_MSG(time->queue_count == 0, "%zu simulated queues still alive",
                time->queue_count);
  rtc_task_heap_free(&time->heap);
  rtc_mutex_destroy(&time->mu);
  rtc_sim_clock_destroy(time->clock);
  rtc_free(time);
}

const rtc_clock* rtc_sim_time_clock(rtc_sim_time* time) {
  return rtc_sim_clock_get(time->clock);
}

int64_t rtc_sim_time_now_us(rtc_sim_time* time) {
  return rtc_sim_clock_now_us(time->clock);
}

rtc_error rtc_sim_time_create_queue(rtc_sim_time* time,
                                    const char* name,
                                    rtc_task_queue** out) {
  *out = NULL;
  sim_queue* q = rtc_calloc(1, sizeof(*q));
  if (!q)
    return RTC_ERR_NO_MEMORY;
  q->base.vtable = &kSimQueueVtable;
  q->base.clock = rtc_sim_clock_get(time->clock);
  q->time = time;
  snprintf(q->name, sizeof(q->name), "%s", name ? name : "sim");
  time->queue_count++;
  *out = &q->base;
  return RTC_OK;
}

int64_t rtc_sim_time_next_deadline_us(rtc_sim_time* time) {
  rtc_mutex_lock(&time->mu);
  const rtc_pending_task* top = rtc_task_heap_top(&time->heap);
  int64_t deadline = top ? top->deadline_us : INT64_MAX;
  rtc_mutex_unlock(&time->mu);
  return deadline;
}

size_t rtc_sim_time_pending_count(rtc_sim_time* time) {
  rtc_mutex_lock(&time->mu);
  size_t count = time->heap.size;
  rtc_mutex_unlock(&time->mu);
  return count;
}

/* Runs the earliest task if it is due by `limit_us`, moving the clock to
 * its deadline. Returns false when there is none. */
static bool run_one(rtc_sim_time* time, int64_t limit_us) {
  rtc_pending_task item;
  rtc_mutex_lock(&time->mu);
  const rtc_pending_task* top = rtc_task_heap_top(&time->heap);
  if (!top || top->deadline_us > limit_us) {
    rtc_mutex_unlock(&time->mu);
    return false;
  }
  rtc_task_heap_pop(&time->heap, &item);
  rtc_mutex_unlock(&time->mu);
  if (item.deadline_us > rtc_sim_clock_now_us(time->clock))
    rtc_sim_clock_set_us(time->clock, item.deadline_us);
  time->running = true;
  rtc_task_queue* previous = rtc_task_queue_set_current(item.owner);
  rtc_task_run(&item.task);
  rtc_task_queue_set_current(previous);
  time->running = false;
  return true;
}

static void check_not_running(rtc_sim_time* time) {
  RTC_CHECK_MSG(!time->running, "simulated time is driven from a task it runs");
}

size_t rtc_sim_time_run_until_idle(rtc_sim_time* time) {
  check_not_running(time);
  size_t count = 0;
  while (run_one(time, rtc_sim_clock_now_us(time->clock)))
    count++;
  return count;
}

size_t rtc_sim_time_advance_us(rtc_sim_time* time, int64_t delta_us) {
  check_not_running(time);
  RTC_CHECK_GE(delta_us, 0);
  int64_t end = rtc_sim_clock_now_us(time->clock) + delta_us;
  size_t count = 0;
  while (run_one(time, end))
    count++;
  rtc_sim_clock_set_us(time->clock, end);
  return count;
}

bool rtc_sim_time_run_until(rtc_sim_time* time,
                            bool (*done)(void* arg),
                            void* arg,
                            int64_t timeout_us) {
  check_not_running(time);
  RTC_CHECK_GE(timeout_us, 0);
  int64_t end = rtc_sim_clock_now_us(time->clock) + timeout_us;
  if (done(arg))
    return true;
  while (run_one(time, end)) {
    if (done(arg))
      return true;
  }
  rtc_sim_clock_set_us(time->clock, end);
  return done(arg);
}
