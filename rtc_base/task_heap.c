#include "rtc_base/task_heap_internal.h"

#include "rtc_base/alloc.h"
#include "rtc_base/checks.h"

static bool earlier(const rtc_pending_task* a, const rtc_pending_task* b) {
  if (a->deadline_us != b->deadline_us)
    return a->deadline_us < b->deadline_us;
  return a->seq < b->seq;
}

/* Relaxed atomic: the owner of the slot may read it (without the queue's
 * lock) on its own thread while another thread posts and moves this item. */
static void set_slot(const rtc_pending_task* item, size_t value) {
  if (item->slot)
    __atomic_store_n(item->slot, value, __ATOMIC_RELAXED);
}

/* Stores `item` at index i and tells its slot. */
static void place(rtc_task_heap* heap, size_t i, const rtc_pending_task* item) {
  heap->items[i] = *item;
  set_slot(item, i + 1);
}

/* Moves `item` up from the hole at index i to where it belongs. */
static void sift_up(rtc_task_heap* heap, size_t i, rtc_pending_task item) {
  while (i > 0) {
    size_t parent = (i - 1) / 2;
    if (!earlier(&item, &heap->items[parent]))
      break;
    place(heap, i, &heap->items[parent]);
    i = parent;
  }
  place(heap, i, &item);
}

/* Moves `item` down from the hole at index i to where it belongs. */
static void sift_down(rtc_task_heap* heap, size_t i, rtc_pending_task item) {
  for (;;) {
    size_t child = 2 * i + 1;
    if (child >= heap->size)
      break;
    if (child + 1 < heap->size &&
        earlier(&heap->items[child + 1], &heap->items[child]))
      child++;
    if (!earlier(&heap->items[child], &item))
      break;
    place(heap, i, &heap->items[child]);
    i = child;
  }
  place(heap, i, &item);
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
  heap->size++;
  sift_up(heap, heap->size - 1, *item);
  return RTC_OK;
}

const rtc_pending_task* rtc_task_heap_top(const rtc_task_heap* heap) {
  return heap->size ? &heap->items[0] : NULL;
}

void rtc_task_heap_pop(rtc_task_heap* heap, rtc_pending_task* out) {
  rtc_task_heap_remove_at(heap, 0, out);
}

void rtc_task_heap_remove_at(rtc_task_heap* heap,
                             size_t index,
                             rtc_pending_task* out) {
  RTC_CHECK(index < heap->size);
  *out = heap->items[index];
  set_slot(out, 0);
  heap->size--;
  if (index == heap->size)
    return; /* it was the last one: nothing moves */
  /* The last item fills the hole, then goes up or down from there. */
  rtc_pending_task last = heap->items[heap->size];
  if (index > 0 && earlier(&last, &heap->items[(index - 1) / 2]))
    sift_up(heap, index, last);
  else
    sift_down(heap, index, last);
}

size_t rtc_task_heap_find_slot(const rtc_task_heap* heap, const size_t* slot) {
  size_t value = __atomic_load_n(slot, __ATOMIC_RELAXED);
  if (value == 0)
    return SIZE_MAX;
  size_t index = value - 1;
  RTC_CHECK_MSG(index < heap->size && heap->items[index].slot == slot,
                "task handle out of step with its queue (wrong queue, or "
                "reused while pending?)");
  return index;
}

bool rtc_task_heap_remove_owned(rtc_task_heap* heap,
                                const void* owner,
                                rtc_pending_task* out) {
  for (size_t i = 0; i < heap->size; i++) {
    if (heap->items[i].owner != owner)
      continue;
    rtc_task_heap_remove_at(heap, i, out);
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
