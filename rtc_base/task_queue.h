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
 * failed, task cancelled). Posting never runs the task inline.
 */
#ifndef RTC_BASE_TASK_QUEUE_H_
#define RTC_BASE_TASK_QUEUE_H_

#include <stdbool.h>
#include <stddef.h>
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

/* Tracks one task posted with rtc_task_queue_post_cancelable() while it is
 * pending, so that rtc_task_queue_cancel() can take it out of the queue at
 * once. A caller-allocated value, usually embedded in the object that owns
 * the task. All zero (RTC_TASK_HANDLE_INIT, rtc_calloc, `= {0}`) is an idle
 * handle; no teardown is needed.
 *
 * `slot` belongs to the queue: while the task is pending it holds the
 * task's position in the queue's heap plus one (the queue updates it under
 * its lock whenever the task moves), otherwise 0. It is read and written
 * with relaxed atomic accesses, so reading it on the queue's thread while
 * another thread posts to the queue is not a data race. */
typedef struct rtc_task_handle {
  size_t slot;
} rtc_task_handle;

#define RTC_TASK_HANDLE_INIT \
  { 0 }

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
  /* Last, so that an older vtable initialized by position leaves them NULL.
   * Optional, both or neither (NULL: cancellation not supported; then
   * rtc_task_queue_post_cancelable() fails with RTC_ERR_NOT_SUPPORTED and
   * users such as rtc_timer fall back to `post`).
   * post_cancelable: as `post`, and keeps handle->slot non-zero exactly
   * while the task is pending: set when it is queued, cleared (under the
   * queue's lock) when it is taken out to run, to be dropped, or by
   * `cancel`. Any thread; the handle is idle on entry.
   * cancel: if the task tracked by `handle` is still pending, takes it out
   * of the queue into *out (without dropping it: the caller does, outside
   * the queue's locks) and returns true; else returns false. Queue thread
   * only. */
  rtc_error (*post_cancelable)(rtc_task_queue* queue,
                               int64_t delay_us,
                               rtc_task task,
                               rtc_task_handle* handle);
  bool (*cancel)(rtc_task_queue* queue, rtc_task_handle* handle, rtc_task* out);
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

/* --- Cancellable tasks ---
 *
 * A task posted with a handle can be taken back while it is pending: it
 * then never runs, its `destroy` runs at once and the queue forgets it
 * (no allocation or heap entry stays behind until the deadline). A task is
 * pending from its post until the queue takes it out to run it (a task
 * that is running, or has run, is no longer pending), drops it (queue
 * destroyed) or it is cancelled.
 *
 * Use a handle from one thread at a time (normally the queue's): a post
 * from another thread must happen before the cancel that is meant to
 * remove it. */

/* Makes `handle` idle (the same as zeroing it). Any thread. */
void rtc_task_handle_init(rtc_task_handle* handle);
/* True while the task tracked by `handle` is pending. Exact on the queue's
 * thread (only that thread ends a pending state); elsewhere a snapshot.
 * (transfer none) */
bool rtc_task_handle_pending(const rtc_task_handle* handle);
/* True when `queue` implements cancellation (both queues of rtc_base do;
 * an embedder's queue may not). Any thread. */
bool rtc_task_queue_can_cancel(const rtc_task_queue* queue);
/* As rtc_task_queue_post_delayed(), and `handle` tracks the task while it
 * is pending. The handle must be idle, and stay valid at the same address
 * until the task is no longer pending (it has been taken out to run,
 * dropped, or cancelled); the queue does not touch it after that, so a
 * task's `run` may free the memory holding its own handle. Any thread.
 * Errors: RTC_ERR_NOT_SUPPORTED (queue without cancellation),
 * RTC_ERR_NO_MEMORY, RTC_ERR_CLOSED; the task has then been dropped and the
 * handle stays idle. (handle: transfer none) */
rtc_error rtc_task_queue_post_cancelable(rtc_task_queue* queue,
                                         int64_t delay_us,
                                         rtc_task task,
                                         rtc_task_handle* handle);
/* If the task tracked by `handle` is pending on `queue`, removes it and
 * drops it (its `destroy` runs before this returns, its `run` never does),
 * leaves the handle idle and returns true. Returns false otherwise (idle
 * handle; task already taken out to run, even if it is running right now;
 * dropped). Never touches `queue` when the handle is idle, so it is safe
 * after the queue was destroyed. Queue thread only (for simulated queues,
 * the thread driving simulated time). (handle: transfer none) */
bool rtc_task_queue_cancel(rtc_task_queue* queue, rtc_task_handle* handle);

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
