/*
 * A binary min-heap of pending tasks ordered by (deadline, sequence number):
 * the shared core of the task queue implementations. Not thread-safe; the
 * queue that owns it guards it.
 */
#ifndef RTC_BASE_TASK_HEAP_INTERNAL_H_
#define RTC_BASE_TASK_HEAP_INTERNAL_H_

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "rtc_base/error.h"
#include "rtc_base/task_queue.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct rtc_pending_task {
  int64_t deadline_us;
  uint64_t seq;
  rtc_task task;
  void* owner; /* which queue, for heaps shared by several queues */
} rtc_pending_task;

typedef struct rtc_task_heap {
  rtc_pending_task* items;
  size_t size;
  size_t capacity;
} rtc_task_heap;

/* Errors: RTC_ERR_NO_MEMORY (the heap is unchanged). */
rtc_error rtc_task_heap_push(rtc_task_heap* heap, const rtc_pending_task* item);
/* The earliest task, or NULL when empty. (transfer none) */
const rtc_pending_task* rtc_task_heap_top(const rtc_task_heap* heap);
/* Removes the earliest task into *out; the heap must not be empty. */
void rtc_task_heap_pop(rtc_task_heap* heap, rtc_pending_task* out);
/* Removes one task of `owner` into *out; false when it has none. Never
 * allocates, so it serves to empty a dying queue. */
bool rtc_task_heap_remove_owned(rtc_task_heap* heap,
                                const void* owner,
                                rtc_pending_task* out);
/* Frees the storage (the tasks must have been taken out first). */
void rtc_task_heap_free(rtc_task_heap* heap);

#ifdef __cplusplus
}  // extern "C"
#endif

#endif  // RTC_BASE_TASK_HEAP_INTERNAL_H_
