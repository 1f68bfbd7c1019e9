/*
 * Task queues: the one interface through which rtcbox threads talk
 * (ARCHITECTURE.md §2). A task queue runs tasks one at a time, in order:
 * tasks run no earlier than their deadline, in deadline order, and tasks
 * with the same deadline in the order they were posted. Tasks posted from
 * one thread therefore run in that thread's order.
 *
 * Implementations:
 *   rtc_event_loop_create()      (rtc_base/event_loop.h) a thread running
 *                                an epoll loop: timers, eventfd wake-up and
 *                                socket readiness
 *   rtc_sim_time_create_queue()  (rtc_base/sim_time.h) a simulated,
 *                                single-threaded queue on simulated time
 *   the embedder's signaling task runner (for example the Node bindings)
 *
 * Ownership: a task is owned by the queue from the moment it is posted.
 * `destroy` (if not NULL) is called exactly once: after `run`, or instead of
 * it when the task is dropped (queue destroyed, safety flag dead, post
 * failed). Posting never runs the task inline.
 */
#ifndef RTC_BASE_TASK_QUEUE_H_
#define RTC_BASE_TASK_QUEUE_H_

#include <stdbool.h>
#include <stdint.h>

#include "rtc_base/clock.h"
#include "rtc_base/error.h"
#include "rtc_base/safety_flag.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef void (*rtc_task_fn)(void* arg);

typedef struct rtc_task {
  rtc_task_fn run;     /* may be NULL */
  rtc_task_fn destroy; /* may be NULL */
  void* arg;
} rtc_task;

typedef struct rtc_task_queue rtc_task_queue;
typedef struct rtc_fd_watch rtc_fd_watch;

/* Readiness events for rtc_task_queue_watch_fd(). */
#define RTC_FD_READABLE 0x1u
#define RTC_FD_WRITABLE 0x2u
#define RTC_FD_ERROR 0x4u  /* always reported, need not be asked for */
#define RTC_FD_HANGUP 0x8u /* always reported, need not be asked for */

/* Called on the queue's thread with the events that are ready. */
typedef void (*rtc_fd_callback)(void* arg, int fd, uint32_t events);

/* --- For implementers of task queues --- */

typedef struct rtc_task_queue_vtable {
  /* Queues `task` to run once delay_us (>= 0) has passed. Takes ownership
   * of `task` even when it fails (then it drops it). Any thread. */
  rtc_error (*post)(rtc_task_queue* queue, int64_t delay_us, rtc_task task);
  /* Optional (NULL: RTC_ERR_NOT_SUPPORTED). Queue thread only. */
  rtc_error (*watch_fd)(rtc_task_queue* queue,
                        int fd,
                        uint32_t events,
                        rtc_fd_callback callback,
                        void* arg,
                        rtc_fd_watch** out);
  rtc_error (*watch_set_events)(rtc_fd_watch* watch, uint32_t events);
  void (*watch_destroy)(rtc_fd_watch* watch);
  /* Drops pending tasks and frees the queue. Never from the queue itself. */
  void (*destroy)(rtc_task_queue* queue);
} rtc_task_queue_vtable;

struct rtc_task_queue {
  const rtc_task_queue_vtable* vtable;
  const rtc_clock* clock; /* the clock deadlines are measured on */
};

struct rtc_fd_watch {
  rtc_task_queue* queue;
};

/* Runs a task, then destroys it. */
void rtc_task_run(rtc_task* task);
/* Destroys a task without running it. */
void rtc_task_drop(rtc_task* task);
/* Marks `queue` (may be NULL) as the one running tasks on this thread;
 * returns the previous one, to give back to rtc_task_queue_set_current()
 * when the task is done. */
rtc_task_queue* rtc_task_queue_set_current(rtc_task_queue* queue);

/* --- For users --- */

/* Posts `task` to run as soon as possible. Any thread.
 * Errors: RTC_ERR_NO_MEMORY, RTC_ERR_CLOSED (queue shutting down); the task
 * has then been dropped. */
rtc_error rtc_task_queue_post(rtc_task_queue* queue, rtc_task task);
/* Posts `task` to run after delay_us (negative counts as 0). Any thread. */
rtc_error rtc_task_queue_post_delayed(rtc_task_queue* queue,
                                      int64_t delay_us,
                                      rtc_task task);
/* As rtc_task_queue_post_delayed(), but `run` is skipped if `flag` is no
 * longer alive when the task is due (its `destroy` still runs). The task
 * holds a reference to `flag`. (flag: transfer none) */
rtc_error rtc_task_queue_post_guarded(rtc_task_queue* queue,
                                      rtc_safety_flag* flag,
                                      int64_t delay_us,
                                      rtc_task task);

/* True when the calling thread is running a task (or fd callback) of
 * `queue`. */
bool rtc_task_queue_is_current(const rtc_task_queue* queue);
/* The queue whose task is running on this thread, or NULL. */
rtc_task_queue* rtc_task_queue_current(void);
/* Now, on the queue's clock. */
int64_t rtc_task_queue_now_us(const rtc_task_queue* queue);

/* Calls `callback` on the queue's thread whenever `fd` is ready for
 * `events` (level-triggered). Queue thread only. `fd` stays the caller's;
 * destroy the watch before closing it.
 * Errors: RTC_ERR_NOT_SUPPORTED (queue without fd support),
 * RTC_ERR_NO_MEMORY, RTC_ERR_INVALID_ARGUMENT (bad fd), RTC_ERR_IO. */
rtc_error rtc_task_queue_watch_fd(rtc_task_queue* queue,
                                  int fd,
                                  uint32_t events,
                                  rtc_fd_callback callback,
                                  void* arg,
                                  rtc_fd_watch** out);
/* Changes the events watched. Queue thread only. */
rtc_error rtc_fd_watch_set_events(rtc_fd_watch* watch, uint32_t events);
/* Stops watching; the callback is not called again, even for events
 * already collected. Queue thread only. */
void rtc_fd_watch_destroy(rtc_fd_watch* watch);

/* Drops every pending task (their `destroy` runs) and frees the queue.
 * Must not be called from a task of the queue itself. */
void rtc_task_queue_destroy(rtc_task_queue* queue);

#ifdef __cplusplus
}  // extern "C"
#endif

#endif  // RTC_BASE_TASK_QUEUE_H_
