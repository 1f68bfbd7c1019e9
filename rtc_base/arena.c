#include "rtc_base/arena.h"

#include <stdint.h>
#include <string.h>

#include "rtc_base/alloc.h"

#define ALIGNMENT 16

struct rtc_arena_chunk {
  rtc_arena_chunk* next;
  size_t size; /* usable bytes after the header */
  size_t used;
  /* data follows, aligned */
};

static size_t header_size(void) {
  return (sizeof(rtc_arena_chunk) + ALIGNMENT - 1) & ~(size_t)(ALIGNMENT - 1);
}

void rtc_arena_init(rtc_arena* arena, size_t chunk_size) {
  arena->chunks = NULL;
  arena->chunk_size = chunk_size ? chunk_size : 4096;
  arena->allocated = 0;
}

void rtc_arena_reset(rtc_arena* arena) {
  rtc_arena_chunk* c = arena->chunks;
  while (c) {
    rtc_arena_chunk* next = c->next;
    rtc_free(c);
    c = next;
  }
  arena->chunks = NULL;
  arena->allocated = 0;
}

void* rtc_arena_alloc(rtc_arena* arena, size_t size) {
  if (size > SIZE_MAX / 2)
    return NULL;
  size_t rounded = (size + ALIGNMENT - 1) & ~(size_t)(ALIGNMENT - 1);
  if (rounded == 0)
    rounded = ALIGNMENT;
  rtc_arena_chunk* c = arena->chunks;
  if (!c || c->size - c->used < rounded) {
    size_t want = rounded > arena->chunk_size ? rounded : arena->chunk_size;
    c = rtc_malloc(header_size() + want);
    if (!c)
      return NULL;
    c->size = want;
    c->used = 0;
    /* A big one-off allocation goes behind the current chunk so that the
     * current chunk's free room stays usable. */
    if (arena->chunks && want > arena->chunk_size) {
      c->next = arena->chunks->next;
      arena->chunks->next = c;
    } else {
      c->next = arena->chunks;
      arena->chunks = c;
    }
  }
  void* p = (uint8_t*)c + header_size() + c->used;
  c->used += rounded;
  arena->allocated += rounded;
  memset(p, 0, size);
  return p;
}

void* rtc_arena_alloc_array(rtc_arena* arena, size_t count, size_t size) {
  size_t total;
  if (__builtin_mul_overflow(count, size, &total))
    return NULL;
  return rtc_arena_alloc(arena, total);
}

char* rtc_arena_strndup(rtc_arena* arena, const char* s, size_t len) {
  if (!s)
    return NULL;
  char* copy = rtc_arena_alloc(arena, len + 1);
  if (copy)
    memcpy(copy, s, len);
  return copy;
}

char* rtc_arena_strdup(rtc_arena* arena, const char* s) {
  return s ? rtc_arena_strndup(arena, s, strlen(s)) : NULL;
}

void* rtc_arena_memdup(rtc_arena* arena, const void* data, size_t size) {
  void* copy = rtc_arena_alloc(arena, size);
  if (copy && size)
    memcpy(copy, data, size);
  return copy;
}

void* rtc_arena_push(rtc_arena* arena,
                     void** array,
                     size_t* count,
                     size_t* capacity,
                     size_t size) {
  if (*count == *capacity) {
    size_t grown = *capacity ? *capacity * 2 : 4;
    void* bigger = rtc_arena_alloc_array(arena, grown, size);
    if (!bigger)
      return NULL;
    if (*count)
      memcpy(bigger, *array, *count * size);
    *array = bigger;
    *capacity = grown;
  }
  void* element = (uint8_t*)*array + *count * size;
  memset(element, 0, size);
  (*count)++;
  return element;
}
