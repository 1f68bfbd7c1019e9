#include "rtc_base/task_queue.h"

#include "rtc_base/alloc.h"
#include "rtc_base/checks.h"

static _Thread_local rtc_task_queue* t_current;

void rtc_task_run(rtc_task* task) {
  if (task->run)
    task->run(task->arg);
  rtc_task_drop(task);
}

void rtc_task_drop(rtc_task* task) {
  rtc_task_fn destroy = task->destroy;
  task->run = NULL;
  task->destroy = NULL;
  if (destroy)
    destroy(task->arg);
}

rtc_task_queue* rtc_task_queue_set_current(rtc_task_queue* queue) {
  rtc_task_queue* previous = t_current;
  t_current = queue;
  return previous;
}

rtc_task_queue* rtc_task_queue_current(void) {
  return t_current;
}

bool rtc_task_queue_is_current(const rtc_task_queue* queue) {
  return queue && t_current == queue;
}

int64_t rtc_task_queue_now_us(const rtc_task_queue* queue) {
  return rtc_clock_now_us(queue->clock);
}

rtc_error rtc_task_queue_post(rtc_task_queue* queue, rtc_task task) {
  return queue->vtable->post(queue, 0, task);
}

rtc_error rtc_task_queue_post_delayed(rtc_task_queue* queue,
                                      int64_t delay_us,
                                      rtc_task task) {
  return queue->vtable->post(queue, delay_us > 0 ? delay_us : 0, task);
}

void rtc_task_handle_init(rtc_task_handle* handle) {
  __atomic_store_n(&handle->slot, 0, __ATOMIC_RELAXED);
}

bool rtc_task_handle_pending(const rtc_task_handle* handle) {
  /* Relaxed: queues write the slot under their lock, possibly on another
   * thread (a post there moves this task in the heap); only its zeroness
   * matters here, and only the queue's thread makes it zero. */
  return __atomic_load_n(&handle->slot, __ATOMIC_RELAXED) != 0;
}

bool rtc_task_queue_can_cancel(const rtc_task_queue* queue) {
  return queue->vtable->post_cancelable && queue->vtable->cancel;
}

rtc_error rtc_task_queue_post_cancelable(rtc_task_queue* queue,
                                         int64_t delay_us,
                                         rtc_task task,
                                         rtc_task_handle* handle) {
  /* A pending handle would leave the queue with two tasks writing one slot,
   * one of them out of reach of its owner's cancel. */
  RTC_CHECK_MSG(!rtc_task_handle_pending(handle),
                "task handle already tracks a pending task");
  if (!rtc_task_queue_can_cancel(queue)) {
    rtc_task_drop(&task);
    return RTC_ERR_NOT_SUPPORTED;
  }
  return queue->vtable->post_cancelable(queue, delay_us > 0 ? delay_us : 0,
                                        task, handle);
}

bool rtc_task_queue_cancel(rtc_task_queue* queue, rtc_task_handle* handle) {
  /* Idle: nothing to do, and the queue may be gone already. */
  if (!rtc_task_handle_pending(handle))
    return false;
  /* Pending implies it was posted with post_cancelable on a queue that
   * has it, unless the handle is given to the wrong queue. */
  RTC_CHECK_MSG(queue->vtable->cancel, "queue without cancel support");
  rtc_task task;
  if (!queue->vtable->cancel(queue, handle, &task))
    return false;
  RTC_DCHECK(!rtc_task_handle_pending(handle));
  rtc_task_drop(&task);
  return true;
}

/* A task that runs `inner` only while `flag` is alive. */
typedef struct guarded_task {
  rtc_safety_flag* flag;
  rtc_task inner;
} guarded_task;

static void guarded_run(void* arg) {
  guarded_task* g = arg;
  if (rtc_safety_flag_alive(g->flag) && g->inner.run)
    g->inner.run(g->inner.arg);
}

static void guarded_destroy(void* arg) {
  guarded_task* g = arg;
  rtc_task_drop(&g->inner);
  rtc_safety_flag_unref(g->flag);
  rtc_free(g);
}

rtc_error rtc_task_queue_post_guarded(rtc_task_queue* queue,
                                      rtc_safety_flag* flag,
                                      int64_t delay_us,
                                      rtc_task task) {
  guarded_task* g = rtc_malloc(sizeof(*g));
  if (!g) {
    rtc_task_drop(&task);
    return RTC_ERR_NO_MEMORY;
  }
  rtc_safety_flag_ref(flag);
  g->flag = flag;
  g->inner = task;
  rtc_task wrapper = {guarded_run, guarded_destroy, g};
  return rtc_task_queue_post_delayed(queue, delay_us, wrapper);
}

rtc_error rtc_task_queue_watch_fd(rtc_task_queue* queue,
                                  int fd,
                                  uint32_t events,
                                  rtc_fd_callback callback,
                                  void* arg,
                                  rtc_fd_watch** out) {
  *out = NULL;
  if (!queue->vtable->watch_fd)
    return RTC_ERR_NOT_SUPPORTED;
  if (fd < 0 || !callback)
    return RTC_ERR_INVALID_ARGUMENT;
  RTC_DCHECK(rtc_task_queue_is_current(queue));
  return queue->vtable->watch_fd(queue, fd, events, callback, arg, out);
}

rtc_error rtc_fd_watch_set_events(rtc_fd_watch* watch, uint32_t events) {
  RTC_DCHECK(rtc_task_queue_is_current(watch->queue));
  return watch->queue->vtable->watch_set_events(watch, events);
}

void rtc_fd_watch_destroy(rtc_fd_watch* watch) {
  if (!watch)
    return;
  RTC_DCHECK(rtc_task_queue_is_current(watch->queue));
  watch->queue->vtable->watch_destroy(watch);
}

void rtc_task_queue_destroy(rtc_task_queue* queue) {
  if (!queue)
    return;
  RTC_CHECK_MSG(!rtc_task_queue_is_current(queue),
                "a task queue cannot destroy itself");
  queue->vtable->destroy(queue);
}
