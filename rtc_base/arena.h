/*
 * An arena: many small allocations freed together. For trees built once
 * and dropped as a whole (a parsed SDP, a stats report). Allocations are
 * 16-byte aligned and come from chunks taken with rtc_malloc, so arena
 * memory is counted by the leak checks and can be made to fail in tests.
 *
 * Threads: an arena belongs to one thread at a time.
 */
#ifndef RTC_BASE_ARENA_H_
#define RTC_BASE_ARENA_H_

#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct rtc_arena_chunk rtc_arena_chunk;

typedef struct rtc_arena {
  rtc_arena_chunk* chunks;
  size_t chunk_size; /* default size of new chunks */
  size_t allocated;  /* bytes handed out */
} rtc_arena;

/* chunk_size 0: 4 KiB. Allocates nothing yet. */
void rtc_arena_init(rtc_arena* arena, size_t chunk_size);
/* Frees every allocation at once; the arena can be used again. */
void rtc_arena_reset(rtc_arena* arena);

/* Zeroed memory, NULL on failure (or overflow). */
void* rtc_arena_alloc(rtc_arena* arena, size_t size);
void* rtc_arena_alloc_array(rtc_arena* arena, size_t count, size_t size);
/* Copies; NULL in gives NULL out. */
char* rtc_arena_strdup(rtc_arena* arena, const char* s);
char* rtc_arena_strndup(rtc_arena* arena, const char* s, size_t len);
void* rtc_arena_memdup(rtc_arena* arena, const void* data, size_t size);
/* Grows an array of `size`-byte elements from *count to *count + 1 by
 * copying it into new arena memory (the old copy stays until reset) and
 * returns the new element (zeroed), or NULL on failure (the array is then
 * unchanged). `capacity` tracks room so that growth is amortized. */
void* rtc_arena_push(rtc_arena* arena,
                     void** array,
                     size_t* count,
                     size_t* capacity,
                     size_t size);

#ifdef __cplusplus
}  // extern "C"
#endif

#endif  // RTC_BASE_ARENA_H_
