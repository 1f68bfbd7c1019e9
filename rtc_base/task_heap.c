#include "rtc_base/task_heap_internal.h"

#include "rtc_base/alloc.h"
#include "rtc_base/checks.h"

static bool earlier(const rtc_pending_task* a, const rtc_pending_task* b) {
  if (a->deadline_us != b->deadline_us)
    return a->deadline_us < b->deadline_us;
  return a->seq < b->seq;
}

static void swap(rtc_pending_task* a, rtc_pending_task* b) {
  rtc_pending_task t = *a;
  *a = *b;
  *b = t;
}

static void sift_up(rtc_task_heap* heap, size_t i) {
  while (i > 0) {
    size_t parent = (i - 1) / 2;
    if (!earlier(&heap->items[i], &heap->items[parent]))
      break;
    swap(&heap->items[i], &heap->items[parent]);
    i = parent;
  }
}

static void sift_down(rtc_task_heap* heap, size_t i) {
  for (;;) {
    size_t left = 2 * i + 1;
    size_t right = left + 1;
    size_t best = i;
    if (left < heap->size && earlier(&heap->items[left], &heap->items[best]))
      best = left;
    if (right < heap->size && earlier(&heap->items[right], &heap->items[best]))
      best = right;
    if (best == i)
      return;
    swap(&heap->items[i], &heap->items[best]);
    i = best;
  }
}

rtc_error rtc_task_heap_push(rtc_task_heap* heap,
                             const rtc_pending_task* item) {
  if (heap->size == heap->capacity) {
    size_t capacity = heap->capacity ? heap->capacity * 2 : 16;
    rtc_pending_task* items =
        rtc_realloc_array(heap->items, capacity, sizeof(*items));
    if (!items)
      return RTC_ERR_NO_MEMORY;
    heap->items = items;
    heap->capacity = capacity;
  }
  heap->items[heap->size] = *item;
  sift_up(heap, heap->size);
  heap->size++;
  return RTC_OK;
}

const rtc_pending_task* rtc_task_heap_top(const rtc_task_heap* heap) {
  return heap->size ? &heap->items[0] : NULL;
}

void rtc_task_heap_pop(rtc_task_heap* heap, rtc_pending_task* out) {
  RTC_CHECK(heap->size > 0);
  *out = heap->items[0];
  heap->size--;
  if (heap->size) {
    heap->items[0] = heap->items[heap->size];
    sift_down(heap, 0);
  }
}

bool rtc_task_heap_remove_owned(rtc_task_heap* heap,
                                const void* owner,
                                rtc_pending_task* out) {
  for (size_t i = 0; i < heap->size; i++) {
    if (heap->items[i].owner != owner)
      continue;
    *out = heap->items[i];
    heap->size--;
    if (i < heap->size) {
      heap->items[i] = heap->items[heap->size];
      sift_down(heap, i);
      sift_up(heap, i);
    }
    return true;
  }
  return false;
}

void rtc_task_heap_free(rtc_task_heap* heap) {
  RTC_DCHECK(heap->size == 0);
  rtc_free(heap->items);
  heap->items = NULL;
  heap->size = heap->capacity = 0;
}
