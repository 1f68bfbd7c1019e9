/*
 * A binary min-heap of pending tasks ordered by (deadline, sequence number):
 * the shared core of the task queue implementations. Not thread-safe; the
 * queue that owns it guards it.
 *
 * Position slots: an item may carry `slot`, a pointer to a size_t outside
 * the heap (the `slot` of an rtc_task_handle). While the item is in the
 * heap, the heap keeps *slot equal to its index + 1, on every move; when the
 * item leaves the heap (pop, remove_at, remove_owned) it sets *slot to 0.
 * That lets a queue find a task in O(1) and remove it in O(log n). The
 * slot is written with relaxed atomic stores (see rtc_task_handle_pending).
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
  void* owner;  /* which queue, for heaps shared by several queues */
  size_t* slot; /* NULL, or kept at index + 1 while in the heap (above) */
} rtc_pending_task;

typedef struct rtc_task_heap {
  rtc_pending_task* items;
  size_t size;
  size_t capacity;
} rtc_task_heap;

/* Errors: RTC_ERR_NO_MEMORY (the heap is unchanged, *item->slot is not
 * written). */
rtc_error rtc_task_heap_push(rtc_task_heap* heap, const rtc_pending_task* item);
/* The earliest task, or NULL when empty. (transfer none) */
const rtc_pending_task* rtc_task_heap_top(const rtc_task_heap* heap);
/* Removes the earliest task into *out; the heap must not be empty. */
void rtc_task_heap_pop(rtc_task_heap* heap, rtc_pending_task* out);
/* Removes the task at `index` (< size) into *out in O(log n). */
void rtc_task_heap_remove_at(rtc_task_heap* heap,
                             size_t index,
                             rtc_pending_task* out);
/* The index of the task whose slot is `slot`, or SIZE_MAX when that slot
 * says it is not in the heap. Checks (RTC_CHECK) that the slot agrees with
 * the heap: a stale or foreign slot must never remove another task. */
size_t rtc_task_heap_find_slot(const rtc_task_heap* heap, const size_t* slot);
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
