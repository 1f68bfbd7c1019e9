/*
 * Allocation wrappers. Every allocation in rtcbox goes through these, so that
 * tests can count live allocations (leak checks: a closed object must bring
 * the count back to its baseline) and make a chosen allocation fail (every
 * out-of-memory path is testable).
 *
 * Threads: all functions are thread-safe.
 * Failure: the allocating functions return NULL (never abort); size
 * arithmetic is overflow-checked.
 */
#ifndef RTC_BASE_ALLOC_H_
#define RTC_BASE_ALLOC_H_

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define RTC_MALLOC_LIKE __attribute__((malloc, warn_unused_result))

/* malloc(size); a size of 0 allocates 1 byte. (transfer full) */
void* rtc_malloc(size_t size) RTC_MALLOC_LIKE;
/* calloc(count, size), NULL when count * size overflows. (transfer full) */
void* rtc_calloc(size_t count, size_t size) RTC_MALLOC_LIKE;
/* Uninitialized count * size bytes, NULL on overflow. (transfer full) */
void* rtc_malloc_array(size_t count, size_t size) RTC_MALLOC_LIKE;
/* realloc(ptr, size). On failure returns NULL and ptr stays valid.
 * rtc_realloc(NULL, n) is rtc_malloc(n); a size of 0 keeps 1 byte. */
void* rtc_realloc(void* ptr, size_t size) __attribute__((warn_unused_result));
/* rtc_realloc(ptr, count * size), NULL (ptr untouched) on overflow. */
void* rtc_realloc_array(void* ptr, size_t count, size_t size)
    __attribute__((warn_unused_result));
/* Room for element `count` of an array of `*capacity` elements of `size`
 * bytes that doubles as it fills, from `first` elements up to `limit`
 * (count < limit): returns the array (perhaps moved; *capacity updated),
 * or NULL when out of memory (the array untouched). */
void* rtc_grow_array(void* array,
                     size_t* capacity,
                     size_t count,
                     size_t first,
                     size_t limit,
                     size_t size) __attribute__((warn_unused_result));
/* Frees memory from any function above. NULL is ignored. */
void rtc_free(void* ptr);

/* --- Blocks that cross threads ---
 *
 * For what one thread allocates and another frees at a high rate (data
 * channel messages between the network thread and the signaling thread).
 * glibc's free() of a block from another thread's arena takes that arena's
 * lock, which its own thread takes on every malloc() of more than 1,032
 * bytes (tcache's limit); with 1 KiB messages going both ways the two
 * threads spent about a tenth of their time waking each other on those
 * locks. rtc_handoff_free() on a thread other than the allocating one
 * gives the block back to that thread (one atomic push), which frees what
 * came back, in its own arena, at its next rtc_handoff_malloc() (one
 * atomic exchange for all of it), or when it exits. The accounting below
 * counts a block given back as freed.
 *
 * rtc_handoff_malloc: as rtc_malloc (a size of 0 allocates 1 byte; fails
 * when a test says so). (transfer full) */
void* rtc_handoff_malloc(size_t size) RTC_MALLOC_LIKE;
/* Frees a block of rtc_handoff_malloc, on any thread. NULL is ignored. */
void rtc_handoff_free(void* ptr);

/* Copies of strings and bytes. (transfer full) */
char* rtc_strdup(const char* s) RTC_MALLOC_LIKE;
/* Copies at most n bytes of s and always NUL-terminates. */
char* rtc_strndup(const char* s, size_t n) RTC_MALLOC_LIKE;
void* rtc_memdup(const void* data, size_t size) RTC_MALLOC_LIKE;

/* --- Accounting and failure injection (tests) --- */

/* Allocations made and not yet freed, process-wide. */
int64_t rtc_alloc_live_count(void);
/* Allocation attempts since the process started (failed ones included). */
uint64_t rtc_alloc_attempt_count(void);
/* Allocation attempts that failed because a test asked for it. */
uint64_t rtc_alloc_injected_failure_count(void);

/* Blocks given back to their thread (rtc_handoff_free) and not yet freed
 * there, process-wide. */
int64_t rtc_handoff_returned_count(void);

/* Makes the n-th allocation attempt from now fail (n = 1: the next one).
 * If `sticky` is non-zero, that attempt and every later one fail until
 * rtc_alloc_clear_failure(). n = 0 clears. The count is process-wide:
 * single-threaded code (simulated time) gives repeatable results. */
void rtc_alloc_fail_nth(uint64_t n, int sticky);
void rtc_alloc_clear_failure(void);

#ifdef __cplusplus
}  // extern "C"
#endif

#endif  // RTC_BASE_ALLOC_H_
