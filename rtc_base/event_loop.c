#include "rtc_base/event_loop.h"

#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/timerfd.h>
#include <unistd.h>

#include "rtc_base/alloc.h"
#include "rtc_base/checks.h"
#include "rtc_base/logging.h"
#include "rtc_base/mutex.h"
#include "rtc_base/task_heap_internal.h"

#define MAX_EVENTS 64
#define MAX_DEFERRED 32
#define NO_DEADLINE INT64_MAX

typedef struct loop_watch loop_watch;

typedef struct deferred_call {
  void (*fn)(void* arg);
  void* arg;
} deferred_call;

typedef struct event_loop {
  rtc_task_queue base; /* first: rtc_task_queue* <-> event_loop* */
  char name[16];
  int epoll_fd;
  int wake_fd;  /* eventfd */
  int timer_fd; /* timerfd, CLOCK_MONOTONIC, one-shot, absolute */
  pthread_t thread;

  rtc_mutex mu;
  rtc_task_heap heap RTC_GUARDED_BY(mu);
  uint64_t next_seq RTC_GUARDED_BY(mu);
  bool quitting RTC_GUARDED_BY(mu);

  /* Loop thread only. */
  int64_t armed_deadline_us;
  loop_watch* watches;   /* live watches, doubly linked */
  loop_watch* graveyard; /* destroyed during dispatch, freed after it */
  bool dispatching;
  /* rtc_event_loop_defer(): run before the loop waits again. */
  deferred_call deferred[MAX_DEFERRED];
  size_t deferred_count;
} event_loop;

/* The event loop whose thread this is, if any. */
static _Thread_local event_loop* tls_loop;

struct loop_watch {
  rtc_fd_watch base; /* first */
  int fd;
  rtc_fd_callback callback;
  void* arg;
  bool dead;
  loop_watch* prev;
  loop_watch* next;
};

/* epoll_event.data.ptr of the loop's own descriptors. */
static char kWakeTag;
static char kTimerTag;

static void wake(event_loop* loop) {
  uint64_t one = 1;
  /* EAGAIN means the counter is already non-zero: the loop will wake. */
  ssize_t n = write(loop->wake_fd, &one, sizeof(one));
  (void)n;
}

static rtc_error post_tracked(event_loop* loop,
                              int64_t delay_us,
                              rtc_task task,
                              size_t* slot) {
  int64_t now = rtc_time_monotonic_us();
  rtc_pending_task item = {
      .deadline_us =
          delay_us > NO_DEADLINE - now ? NO_DEADLINE : now + delay_us,
      .task = task,
      .slot = slot,
  };
  rtc_mutex_lock(&loop->mu);
  if (loop->quitting) {
    rtc_mutex_unlock(&loop->mu);
    rtc_task_drop(&task);
    return RTC_ERR_CLOSED;
  }
  item.seq = loop->next_seq++;
  rtc_error err = rtc_task_heap_push(&loop->heap, &item);
  bool new_first =
      err == RTC_OK && rtc_task_heap_top(&loop->heap)->seq == item.seq;
  rtc_mutex_unlock(&loop->mu);
  if (err != RTC_OK) {
    rtc_task_drop(&task);
    return err;
  }
  /* The loop thread looks at the heap again before it sleeps. */
  if (new_first && !rtc_task_queue_is_current(&loop->base))
    wake(loop);
  return RTC_OK;
}

static rtc_error loop_post(rtc_task_queue* queue,
                           int64_t delay_us,
                           rtc_task task) {
  return post_tracked((event_loop*)queue, delay_us, task, NULL);
}

static rtc_error loop_post_cancelable(rtc_task_queue* queue,
                                      int64_t delay_us,
                                      rtc_task task,
                                      rtc_task_handle* handle) {
  return post_tracked((event_loop*)queue, delay_us, task, &handle->slot);
}

/* Loop thread only, so the task cannot be running concurrently: once
 * popped it is no longer pending. The timerfd may stay armed for the
 * removed task's deadline; prepare_wait(), which always runs before the
 * loop sleeps again, re-arms it for the new earliest deadline (or disarms
 * it), so no wake-up is missed and none is wasted. */
static bool loop_cancel(rtc_task_queue* queue,
                        rtc_task_handle* handle,
                        rtc_task* out) {
  event_loop* loop = (event_loop*)queue;
  RTC_DCHECK(rtc_task_queue_is_current(queue));
  rtc_mutex_lock(&loop->mu);
  size_t index = rtc_task_heap_find_slot(&loop->heap, &handle->slot);
  bool found = index != SIZE_MAX;
  if (found) {
    rtc_pending_task item;
    rtc_task_heap_remove_at(&loop->heap, index, &item);
    *out = item.task;
  }
  rtc_mutex_unlock(&loop->mu);
  return found;
}

static uint32_t to_epoll(uint32_t events) {
  uint32_t e = 0;
  if (events & RTC_FD_READABLE)
    e |= EPOLLIN;
  if (events & RTC_FD_WRITABLE)
    e |= EPOLLOUT;
  return e;
}

static uint32_t from_epoll(uint32_t e) {
  uint32_t events = 0;
  if (e & (EPOLLIN | EPOLLPRI))
    events |= RTC_FD_READABLE;
  if (e & EPOLLOUT)
    events |= RTC_FD_WRITABLE;
  if (e & EPOLLERR)
    events |= RTC_FD_ERROR;
  if (e & (EPOLLHUP | EPOLLRDHUP))
    events |= RTC_FD_HANGUP;
  return events;
}

static rtc_error errno_to_error(int e) {
  switch (e) {
    case EBADF:
    case EPERM:
    case EEXIST:
    case EINVAL:
    case ENOENT:
      return RTC_ERR_INVALID_ARGUMENT;
    case ENOMEM:
    case ENOSPC:
      return RTC_ERR_NO_MEMORY;
    default:
      return RTC_ERR_IO;
  }
}

static rtc_error loop_watch_fd(rtc_task_queue* queue,
                               int fd,
                               uint32_t events,
                               rtc_fd_callback callback,
                               void* arg,
                               rtc_fd_watch** out) {
  event_loop* loop = (event_loop*)queue;
  loop_watch* w = rtc_calloc(1, sizeof(*w));
  if (!w)
    return RTC_ERR_NO_MEMORY;
  w->base.queue = queue;
  w->fd = fd;
  w->callback = callback;
  w->arg = arg;
  struct epoll_event ev = {.events = to_epoll(events), .data.ptr = w};
  if (epoll_ctl(loop->epoll_fd, EPOLL_CTL_ADD, fd, &ev) != 0) {
    rtc_error err = errno_to_error(errno);
    rtc_free(w);
    return err;
  }
  w->next = loop->watches;
  if (loop->watches)
    loop->watches->prev = w;
  loop->watches = w;
  *out = &w->base;
  return RTC_OK;
}

static rtc_error loop_watch_set_events(rtc_fd_watch* watch, uint32_t events) {
  loop_watch* w = (loop_watch*)watch;
  event_loop* loop = (event_loop*)watch->queue;
  struct epoll_event ev = {.events = to_epoll(events), .data.ptr = w};
  if (epoll_ctl(loop->epoll_fd, EPOLL_CTL_MOD, w->fd, &ev) != 0)
    return errno_to_error(errno);
  return RTC_OK;
}

static void unlink_watch(event_loop* loop, loop_watch* w) {
  if (w->prev)
    w->prev->next = w->next;
  else
    loop->watches = w->next;
  if (w->next)
    w->next->prev = w->prev;
  w->prev = w->next = NULL;
}

static void loop_watch_destroy(rtc_fd_watch* watch) {
  loop_watch* w = (loop_watch*)watch;
  event_loop* loop = (event_loop*)watch->queue;
  /* Fails harmlessly if the fd was closed first (the kernel removed it). */
  epoll_ctl(loop->epoll_fd, EPOLL_CTL_DEL, w->fd, NULL);
  unlink_watch(loop, w);
  if (loop->dispatching) {
    /* Events of this round may still point at it. */
    w->dead = true;
    w->next = loop->graveyard;
    loop->graveyard = w;
  } else {
    rtc_free(w);
  }
}

/* Runs the tasks that are due and were posted before this round began.
 * Returns false when the loop must quit. */
static bool run_due_tasks(event_loop* loop) {
  rtc_mutex_lock(&loop->mu);
  uint64_t limit_seq = loop->next_seq;
  rtc_mutex_unlock(&loop->mu);
  int64_t now = rtc_time_monotonic_us();
  for (;;) {
    rtc_pending_task item;
    rtc_mutex_lock(&loop->mu);
    if (loop->quitting) {
      rtc_mutex_unlock(&loop->mu);
      return false;
    }
    const rtc_pending_task* top = rtc_task_heap_top(&loop->heap);
    if (!top || top->deadline_us > now || top->seq >= limit_seq) {
      rtc_mutex_unlock(&loop->mu);
      return true;
    }
    rtc_task_heap_pop(&loop->heap, &item);
    rtc_mutex_unlock(&loop->mu);
    rtc_task_run(&item.task);
  }
}

/* Arms the timer for the earliest deadline; returns the epoll timeout: 0
 * when a task is due already, -1 otherwise (the timerfd wakes the loop). */
static int prepare_wait(event_loop* loop) {
  rtc_mutex_lock(&loop->mu);
  const rtc_pending_task* top = rtc_task_heap_top(&loop->heap);
  int64_t deadline = top ? top->deadline_us : NO_DEADLINE;
  bool quitting = loop->quitting;
  rtc_mutex_unlock(&loop->mu);
  if (quitting || deadline <= rtc_time_monotonic_us())
    return 0;
  /* Re-arm when the earliest deadline changed: earlier (a new post) or
   * later (its task was cancelled). With nothing pending, disarm (an
   * all-zero it_value does), so a cancelled timer wakes nobody. */
  if (deadline != loop->armed_deadline_us) {
    struct itimerspec spec = {{0, 0}, {0, 0}};
    if (deadline != NO_DEADLINE) {
      spec.it_value.tv_sec = deadline / RTC_US_PER_SEC;
      spec.it_value.tv_nsec = (deadline % RTC_US_PER_SEC) * 1000;
    }
    RTC_CHECK(timerfd_settime(loop->timer_fd, TFD_TIMER_ABSTIME, &spec, NULL) ==
              0);
    loop->armed_deadline_us = deadline;
  }
  return -1;
}

static void drain_fd(int fd) {
  uint64_t value;
  ssize_t n = read(fd, &value, sizeof(value));
  (void)n;
}

static void dispatch(event_loop* loop,
                     const struct epoll_event* events,
                     int n) {
  loop->dispatching = true;
  for (int i = 0; i < n; i++) {
    void* tag = events[i].data.ptr;
    if (tag == &kWakeTag) {
      drain_fd(loop->wake_fd);
    } else if (tag == &kTimerTag) {
      drain_fd(loop->timer_fd);
      loop->armed_deadline_us = NO_DEADLINE;
    } else {
      loop_watch* w = tag;
      if (!w->dead)
        w->callback(w->arg, w->fd, from_epoll(events[i].events));
    }
  }
  loop->dispatching = false;
  while (loop->graveyard) {
    loop_watch* w = loop->graveyard;
    loop->graveyard = w->next;
    rtc_free(w);
  }
}

/* Runs the calls deferred during the round (in order; calls deferred by
 * them run too). */
static void run_deferred(event_loop* loop) {
  for (size_t i = 0; i < loop->deferred_count; i++)
    loop->deferred[i].fn(loop->deferred[i].arg);
  loop->deferred_count = 0;
}

bool rtc_event_loop_defer(void (*fn)(void* arg), void* arg) {
  event_loop* loop = tls_loop;
  if (!loop || loop->deferred_count == MAX_DEFERRED)
    return false;
  loop->deferred[loop->deferred_count++] = (deferred_call){fn, arg};
  return true;
}

static void drop_pending_tasks(event_loop* loop) {
  for (;;) {
    rtc_pending_task item;
    rtc_mutex_lock(&loop->mu);
    bool found = rtc_task_heap_top(&loop->heap) != NULL;
    if (found)
      rtc_task_heap_pop(&loop->heap, &item);
    rtc_mutex_unlock(&loop->mu);
    if (!found)
      return;
    rtc_task_drop(&item.task);
  }
}

static void* loop_main(void* arg) {
  event_loop* loop = arg;
  pthread_setname_np(pthread_self(), loop->name);
  rtc_task_queue* previous = rtc_task_queue_set_current(&loop->base);
  tls_loop = loop;
  struct epoll_event events[MAX_EVENTS];
  while (run_due_tasks(loop)) {
    run_deferred(loop);
    int timeout = prepare_wait(loop);
    int n = epoll_wait(loop->epoll_fd, events, MAX_EVENTS, timeout);
    if (n < 0) {
      RTC_CHECK_MSG(errno == EINTR, "epoll_wait: %s", strerror(errno));
      continue;
    }
    dispatch(loop, events, n);
  }
  run_deferred(loop);
  /* Pending tasks are dropped on the loop's own thread, where their
   * arguments live. */
  drop_pending_tasks(loop);
  run_deferred(loop);
  tls_loop = NULL;
  while (loop->watches) {
    loop_watch* w = loop->watches;
    RTC_LOG(WARNING, "event loop '%s' destroyed with fd %d still watched",
            loop->name, w->fd);
    unlink_watch(loop, w);
    rtc_free(w);
  }
  rtc_task_queue_set_current(previous);
  return NULL;
}

static void loop_destroy(rtc_task_queue* queue) {
  event_loop* loop = (event_loop*)queue;
  rtc_mutex_lock(&loop->mu);
  loop->quitting = true;
  rtc_mutex_unlock(&loop->mu);
  wake(loop);
  RTC_CHECK(pthread_join(loop->thread, NULL) == 0);
  close(loop->epoll_fd);
  close(loop->wake_fd);
  close(loop->timer_fd);
  rtc_task_heap_free(&loop->heap);
  rtc_mutex_destroy(&loop->mu);
  rtc_free(loop);
}

static const rtc_task_queue_vtable kEventLoopVtable = {
    .post = loop_post,
    .watch_fd = loop_watch_fd,
    .watch_set_events = loop_watch_set_events,
    .watch_destroy = loop_watch_destroy,
    .post_cancelable = loop_post_cancelable,
    .cancel = loop_cancel,
    .destroy = loop_destroy,
};

size_t rtc_event_loop_pending_count(rtc_task_queue* queue) {
  RTC_CHECK_MSG(queue->vtable == &kEventLoopVtable, "not an event loop");
  event_loop* loop = (event_loop*)queue;
  rtc_mutex_lock(&loop->mu);
  size_t count = loop->heap.size;
  rtc_mutex_unlock(&loop->mu);
  return count;
}

static bool add_tag(int epoll_fd, int fd, void* tag) {
  struct epoll_event ev = {.events = EPOLLIN, .data.ptr = tag};
  return epoll_ctl(epoll_fd, EPOLL_CTL_ADD, fd, &ev) == 0;
}

rtc_error rtc_event_loop_create(const char* name, rtc_task_queue** out) {
  *out = NULL;
  rtc_error err = RTC_ERR_IO;
  event_loop* loop = rtc_calloc(1, sizeof(*loop));
  if (!loop)
    return RTC_ERR_NO_MEMORY;
  loop->base.vtable = &kEventLoopVtable;
  loop->base.clock = rtc_clock_monotonic();
  snprintf(loop->name, sizeof(loop->name), "%s", name ? name : "rtc-loop");
  loop->armed_deadline_us = NO_DEADLINE;
  rtc_mutex_init(&loop->mu);

  loop->epoll_fd = epoll_create1(EPOLL_CLOEXEC);
  if (loop->epoll_fd < 0)
    goto free_loop;
  loop->wake_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
  if (loop->wake_fd < 0)
    goto close_epoll;
  loop->timer_fd = timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC | TFD_NONBLOCK);
  if (loop->timer_fd < 0)
    goto close_wake;
  if (!add_tag(loop->epoll_fd, loop->wake_fd, &kWakeTag) ||
      !add_tag(loop->epoll_fd, loop->timer_fd, &kTimerTag))
    goto close_timer;
  int rc = pthread_create(&loop->thread, NULL, loop_main, loop);
  if (rc != 0) {
    err = rc == EAGAIN ? RTC_ERR_NO_MEMORY : RTC_ERR_IO;
    goto close_timer;
  }
  *out = &loop->base;
  return RTC_OK;

close_timer:
  close(loop->timer_fd);
close_wake:
  close(loop->wake_fd);
close_epoll:
  close(loop->epoll_fd);
free_loop:
  rtc_mutex_destroy(&loop->mu);
  rtc_free(loop);
  return err;
}
