#include "api/js/runtime/napi_task_queue.h"

#include <errno.h>
#include <pthread.h>
#include <stdint.h>
#include <time.h>

#include "rtc_base/alloc.h"
#include "rtc_base/checks.h"
#include "rtc_base/clock.h"
#include "rtc_base/event_loop.h"
#include "rtc_base/logging.h"
#include "rtc_base/mutex.h"
#include "rtc_base/refcount.h"
#include "rtc_base/task_heap_internal.h"
#include "rtc_base/thread_checker.h"

#define NO_DEADLINE INT64_MAX

typedef struct napi_queue {
  rtc_task_queue base; /* first: rtc_task_queue* <-> napi_queue* */
  napi_env env;
  napi_threadsafe_function tsfn;
  rtc_thread_checker js_thread;
  /* The env's reference (dropped by teardown) and one per deferred wake:
   * the last one frees the memory. */
  rtc_refcount refs;

  rtc_mutex mu;
  /* Every pending task, ready or delayed. */
  rtc_task_heap heap RTC_GUARDED_BY(mu);
  uint64_t next_seq RTC_GUARDED_BY(mu);
  /* A call of the threadsafe function is queued and has not started: the
   * JS thread will look at the heap, so nobody else needs to wake it. */
  bool wake_pending RTC_GUARDED_BY(mu);
  /* Wakes asked by posts (not by the JS thread's own chaining or the
   * timer thread), for tests. */
  uint64_t post_wakes RTC_GUARDED_BY(mu);
  /* Teardown has begun: posts fail with RTC_ERR_CLOSED. */
  bool closed RTC_GUARDED_BY(mu);
  /* The timer thread must exit. */
  bool timer_stop RTC_GUARDED_BY(mu);
  /* The deadline the timer thread sleeps until, NO_DEADLINE when it sleeps
   * until signalled. Whenever no wake is pending, it is no later than the
   * earliest deadline in the heap (who makes the heap's first deadline
   * earlier lowers it and signals timer_cv). */
  int64_t timer_deadline_us RTC_GUARDED_BY(mu);
  pthread_cond_t timer_cv; /* with mu */
  pthread_t timer_thread;

  /* JS thread only. */
  int keep_alive;
  rtc_task_queue* previous_current; /* current before this queue's creation */
} napi_queue;

static const rtc_task_queue_vtable kNapiQueueVtable;

/* Queues one call of the threadsafe function; its callback (call_js) runs
 * on the JS thread. Any thread. The caller has set wake_pending. */
static void wake(napi_queue* q) {
  napi_status status =
      napi_call_threadsafe_function(q->tsfn, NULL, napi_tsfn_nonblocking);
  if (status == napi_ok)
    return;
  /* napi_closing: the env is going away and teardown drops the tasks.
   * Anything else (no memory in the host): the next post tries again. */
  rtc_mutex_lock(&q->mu);
  q->wake_pending = false;
  rtc_mutex_unlock(&q->mu);
  if (status != napi_closing)
    RTC_LOG(WARNING, "napi_call_threadsafe_function failed (%d)", status);
}

static void queue_unref(napi_queue* q) {
  if (!rtc_refcount_dec(&q->refs))
    return;
  rtc_task_heap_free(&q->heap);
  pthread_cond_destroy(&q->timer_cv);
  rtc_mutex_destroy(&q->mu);
  rtc_free(q);
}

/* A wake deferred to the end of the posting event loop's round (see
 * post_tracked). Under mu, so that teardown, which sets `closed` under mu
 * before it releases the threadsafe function, cannot release it
 * meanwhile (mu is never held while the host takes its own lock to call
 * call_js, so the order mu -> the host's lock is the only one). */
static void deferred_wake(void* arg) {
  napi_queue* q = arg;
  rtc_mutex_lock(&q->mu);
  napi_status status = napi_closing;
  if (!q->closed)
    status =
        napi_call_threadsafe_function(q->tsfn, NULL, napi_tsfn_nonblocking);
  if (status != napi_ok)
    q->wake_pending = false;
  rtc_mutex_unlock(&q->mu);
  if (status != napi_ok && status != napi_closing)
    RTC_LOG(WARNING, "napi_call_threadsafe_function failed (%d)", status);
  queue_unref(q);
}

static rtc_error post_tracked(napi_queue* q,
                              int64_t delay_us,
                              rtc_task task,
                              size_t* slot) {
  int64_t now = rtc_time_monotonic_us();
  rtc_pending_task item = {
      .deadline_us =
          delay_us > NO_DEADLINE - now ? NO_DEADLINE : now + delay_us,
      .task = task,
      .owner = q,
      .slot = slot,
  };
  bool need_wake = false;
  bool signal_timer = false;
  rtc_mutex_lock(&q->mu);
  if (q->closed) {
    rtc_mutex_unlock(&q->mu);
    rtc_task_drop(&task);
    return RTC_ERR_CLOSED;
  }
  item.seq = q->next_seq++;
  rtc_error err = rtc_task_heap_push(&q->heap, &item);
  if (err == RTC_OK && rtc_task_heap_top(&q->heap)->seq == item.seq) {
    /* The new task comes first: whoever waits for the first deadline
     * must learn about it. */
    if (item.deadline_us <= now) {
      need_wake = !q->wake_pending;
      q->wake_pending = true;
      if (need_wake) {
        q->post_wakes++;
        /* Posted from an event loop's thread (the network thread): the
         * JS thread is woken when this round of the loop is over, once
         * for every task the round posts (each wake costs both threads a
         * context switch; a round that delivers a batch of packets posts
         * many). The deferred call holds a reference, taken here, before
         * teardown can see the post. */
        if (rtc_event_loop_defer(deferred_wake, q)) {
          rtc_refcount_inc(&q->refs);
          need_wake = false;
        }
      }
    } else if (item.deadline_us < q->timer_deadline_us) {
      q->timer_deadline_us = item.deadline_us;
      signal_timer = true;
    }
  }
  rtc_mutex_unlock(&q->mu);
  if (err != RTC_OK) {
    rtc_task_drop(&task);
    return err;
  }
  if (signal_timer)
    pthread_cond_signal(&q->timer_cv);
  if (need_wake)
    wake(q);
  return RTC_OK;
}

static rtc_error queue_post(rtc_task_queue* queue,
                            int64_t delay_us,
                            rtc_task task) {
  return post_tracked((napi_queue*)queue, delay_us, task, NULL);
}

static rtc_error queue_post_cancelable(rtc_task_queue* queue,
                                       int64_t delay_us,
                                       rtc_task task,
                                       rtc_task_handle* handle) {
  return post_tracked((napi_queue*)queue, delay_us, task, &handle->slot);
}

/* JS thread only, where tasks run: a pending task is not running. Removing
 * the first task can leave the timer thread armed for its deadline; it then
 * wakes once for nothing and sleeps again until the new first deadline. */
static bool queue_cancel(rtc_task_queue* queue,
                         rtc_task_handle* handle,
                         rtc_task* out) {
  napi_queue* q = (napi_queue*)queue;
  RTC_DCHECK_RUN_ON(&q->js_thread);
  rtc_mutex_lock(&q->mu);
  size_t index = rtc_task_heap_find_slot(&q->heap, &handle->slot);
  bool found = index != SIZE_MAX;
  if (found) {
    rtc_pending_task item;
    rtc_task_heap_remove_at(&q->heap, index, &item);
    *out = item.task;
  }
  rtc_mutex_unlock(&q->mu);
  return found;
}

static void queue_destroy(rtc_task_queue* queue) {
  (void)queue;
  RTC_CHECK_MSG(false,
                "a Node-API task queue is destroyed with its napi_env, "
                "never with rtc_task_queue_destroy()");
}

/* An exception a task left pending (a JS callback threw) is reported as an
 * uncaught exception ('uncaughtException', then exit if nobody handles it),
 * as an exception thrown by an event listener is reported in a browser,
 * and the queue goes on with the next task. */
static void report_pending_exception(napi_env env) {
  bool pending = false;
  if (napi_is_exception_pending(env, &pending) != napi_ok || !pending)
    return;
  napi_value error;
  if (napi_get_and_clear_last_exception(env, &error) == napi_ok)
    napi_fatal_exception(env, error);
}

/* The threadsafe function's callback: runs on the JS thread, inside the
 * host's callback scope, which drains the microtask queue when we return.
 * Runs the first task if it is due, and queues one more call if the next
 * is due too (one task per call: see the header). env is NULL when the
 * host empties the threadsafe function's queue after teardown: the queue
 * may be freed by then, so `context` must not be touched. */
static void call_js(napi_env env,
                    napi_value js_callback,
                    void* context,
                    void* data) {
  (void)js_callback;
  (void)data;
  if (!env)
    return;
  napi_queue* q = context;
  RTC_DCHECK_RUN_ON(&q->js_thread);
  int64_t now = rtc_time_monotonic_us();
  rtc_pending_task item;
  bool found = false;
  bool need_wake = false;
  bool signal_timer = false;
  rtc_mutex_lock(&q->mu);
  q->wake_pending = false;
  const rtc_pending_task* top = rtc_task_heap_top(&q->heap);
  if (!q->closed && top && top->deadline_us <= now) {
    rtc_task_heap_pop(&q->heap, &item);
    found = true;
  }
  top = rtc_task_heap_top(&q->heap);
  if (!q->closed && top) {
    if (top->deadline_us <= now) {
      need_wake = true;
      q->wake_pending = true;
    } else if (top->deadline_us < q->timer_deadline_us) {
      q->timer_deadline_us = top->deadline_us;
      signal_timer = true;
    }
  }
  rtc_mutex_unlock(&q->mu);
  if (signal_timer)
    pthread_cond_signal(&q->timer_cv);
  if (need_wake)
    wake(q);
  if (!found)
    return;
  rtc_task_queue* previous = rtc_task_queue_set_current(&q->base);
  rtc_task_run(&item.task);
  rtc_task_queue_set_current(previous);
  report_pending_exception(env);
}

/* Sleeps on timer_cv until `deadline_us` (NO_DEADLINE: until signalled). */
static void timer_wait(napi_queue* q, int64_t deadline_us) RTC_REQUIRES(q->mu) {
  if (deadline_us == NO_DEADLINE) {
    pthread_cond_wait(&q->timer_cv, &q->mu.impl);
    return;
  }
  struct timespec ts = {
      .tv_sec = (time_t)(deadline_us / RTC_US_PER_SEC),
      .tv_nsec = (long)(deadline_us % RTC_US_PER_SEC) * 1000,
  };
  int rc = pthread_cond_timedwait(&q->timer_cv, &q->mu.impl, &ts);
  RTC_CHECK_MSG(rc == 0 || rc == ETIMEDOUT, "pthread_cond_timedwait: %d", rc);
}

/* Wakes the JS thread when the first task of the heap falls due. While a
 * wake is pending the JS thread looks after the heap itself, and tells this
 * thread (timer_cv) when it leaves a task that is not due yet. */
static void* timer_main(void* arg) {
  napi_queue* q = arg;
  pthread_setname_np(pthread_self(), "rtc-js-timer");
  rtc_mutex_lock(&q->mu);
  while (!q->timer_stop) {
    const rtc_pending_task* top = rtc_task_heap_top(&q->heap);
    int64_t now = rtc_time_monotonic_us();
    if (top && top->deadline_us <= now) {
      q->timer_deadline_us = NO_DEADLINE;
      if (!q->wake_pending) {
        q->wake_pending = true;
        rtc_mutex_unlock(&q->mu);
        wake(q);
        rtc_mutex_lock(&q->mu);
        continue;
      }
    } else {
      q->timer_deadline_us = top ? top->deadline_us : NO_DEADLINE;
    }
    timer_wait(q, q->timer_deadline_us);
  }
  rtc_mutex_unlock(&q->mu);
  return NULL;
}

/* The env cleanup hook: the env is going away, on its JS thread. */
static void teardown(void* arg) {
  napi_queue* q = arg;
  RTC_DCHECK_RUN_ON(&q->js_thread);
  rtc_mutex_lock(&q->mu);
  q->closed = true;
  q->timer_stop = true;
  rtc_mutex_unlock(&q->mu);
  pthread_cond_signal(&q->timer_cv);
  RTC_CHECK(pthread_join(q->timer_thread, NULL) == 0);

  /* No call of call_js can come any more with a non-NULL env. */
  napi_release_threadsafe_function(q->tsfn, napi_tsfn_abort);

  /* Drop the tasks one at a time, with the queue current as when they run:
   * a task's destroy may post (it fails: closed) or check its thread. */
  rtc_task_queue* previous = rtc_task_queue_set_current(&q->base);
  for (;;) {
    rtc_pending_task item;
    rtc_mutex_lock(&q->mu);
    bool found = rtc_task_heap_top(&q->heap) != NULL;
    if (found)
      rtc_task_heap_pop(&q->heap, &item);
    rtc_mutex_unlock(&q->mu);
    if (!found)
      break;
    rtc_task_drop(&item.task);
  }
  if (previous == &q->base)
    previous = q->previous_current;
  rtc_task_queue_set_current(previous);

  queue_unref(q);
}

rtc_error rtcbox_napi_queue_create(napi_env env, rtc_task_queue** out) {
  *out = NULL;
  rtc_error err = RTC_ERR_INTERNAL;
  napi_queue* q = rtc_calloc(1, sizeof(*q));
  if (!q)
    return RTC_ERR_NO_MEMORY;
  q->base.vtable = &kNapiQueueVtable;
  q->base.clock = rtc_clock_monotonic();
  q->env = env;
  q->timer_deadline_us = NO_DEADLINE;
  rtc_refcount_init(&q->refs);
  rtc_thread_checker_init(&q->js_thread);
  RTC_CHECK(rtc_thread_checker_is_current(&q->js_thread));
  rtc_mutex_init(&q->mu);
  pthread_condattr_t attr;
  RTC_CHECK(pthread_condattr_init(&attr) == 0);
  RTC_CHECK(pthread_condattr_setclock(&attr, CLOCK_MONOTONIC) == 0);
  RTC_CHECK(pthread_cond_init(&q->timer_cv, &attr) == 0);
  pthread_condattr_destroy(&attr);

  napi_value name;
  if (napi_create_string_utf8(env, "rtcbox signaling queue", NAPI_AUTO_LENGTH,
                              &name) != napi_ok)
    goto free_queue;
  if (napi_create_threadsafe_function(env, NULL, NULL, name, 0, 1, NULL, NULL,
                                      q, call_js, &q->tsfn) != napi_ok)
    goto free_queue;
  /* Unreferenced until someone holds a keep-alive count. */
  if (napi_unref_threadsafe_function(env, q->tsfn) != napi_ok)
    goto release_tsfn;
  int rc = pthread_create(&q->timer_thread, NULL, timer_main, q);
  if (rc != 0) {
    err = rc == EAGAIN ? RTC_ERR_NO_MEMORY : RTC_ERR_IO;
    goto release_tsfn;
  }
  /* Added after the threadsafe function, whose own hook therefore runs
   * after ours (hooks run in reverse order). */
  if (napi_add_env_cleanup_hook(env, teardown, q) != napi_ok)
    goto stop_thread;
  q->previous_current = rtc_task_queue_set_current(&q->base);
  *out = &q->base;
  return RTC_OK;

stop_thread:
  rtc_mutex_lock(&q->mu);
  q->timer_stop = true;
  rtc_mutex_unlock(&q->mu);
  pthread_cond_signal(&q->timer_cv);
  RTC_CHECK(pthread_join(q->timer_thread, NULL) == 0);
release_tsfn:
  napi_release_threadsafe_function(q->tsfn, napi_tsfn_abort);
free_queue:
  pthread_cond_destroy(&q->timer_cv);
  rtc_mutex_destroy(&q->mu);
  rtc_free(q);
  return err;
}

static const rtc_task_queue_vtable kNapiQueueVtable = {
    .post = queue_post,
    .post_cancelable = queue_post_cancelable,
    .cancel = queue_cancel,
    .destroy = queue_destroy,
};

bool rtcbox_napi_queue_is_napi(const rtc_task_queue* queue) {
  return queue && queue->vtable == &kNapiQueueVtable;
}

static napi_queue* from_queue(rtc_task_queue* queue) {
  RTC_CHECK_MSG(rtcbox_napi_queue_is_napi(queue), "not a Node-API queue");
  return (napi_queue*)queue;
}

void rtcbox_napi_queue_keep_alive(rtc_task_queue* queue, int delta) {
  napi_queue* q = from_queue(queue);
  RTC_DCHECK_RUN_ON(&q->js_thread);
  int before = q->keep_alive;
  RTC_CHECK_MSG(delta >= 0 ? before <= INT32_MAX - delta : before >= -delta,
                "keep-alive count %d%+d out of range", before, delta);
  q->keep_alive = before + delta;
  if (before == 0 && q->keep_alive > 0)
    napi_ref_threadsafe_function(q->env, q->tsfn);
  else if (before > 0 && q->keep_alive == 0)
    napi_unref_threadsafe_function(q->env, q->tsfn);
}

int rtcbox_napi_queue_keep_alive_count(const rtc_task_queue* queue) {
  const napi_queue* q = from_queue((rtc_task_queue*)queue);
  return q->keep_alive;
}

uint64_t rtcbox_napi_queue_wake_count(rtc_task_queue* queue) {
  napi_queue* q = from_queue(queue);
  rtc_mutex_lock(&q->mu);
  uint64_t count = q->post_wakes;
  rtc_mutex_unlock(&q->mu);
  return count;
}

size_t rtcbox_napi_queue_pending_count(rtc_task_queue* queue) {
  napi_queue* q = from_queue(queue);
  rtc_mutex_lock(&q->mu);
  size_t count = q->heap.size;
  rtc_mutex_unlock(&q->mu);
  return count;
}
