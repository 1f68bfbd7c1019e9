#include "rtc_base/alloc.h"

#include <stdatomic.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

static atomic_int_fast64_t g_live;
static atomic_uint_fast64_t g_attempts;
static atomic_uint_fast64_t g_injected;
/* The attempt number (1-based, as counted by g_attempts) that fails, or 0. */
static atomic_uint_fast64_t g_fail_at;
static atomic_bool g_fail_sticky;

/* Counts one attempt and says whether it must fail. */
static bool should_fail(void) {
  uint64_t n = atomic_fetch_add(&g_attempts, 1) + 1;
  uint64_t fail_at = atomic_load(&g_fail_at);
  if (fail_at == 0)
    return false;
  if (n == fail_at || (n > fail_at && atomic_load(&g_fail_sticky))) {
    atomic_fetch_add(&g_injected, 1);
    return true;
  }
  return false;
}

static bool mul_overflows(size_t count, size_t size, size_t* out) {
  return __builtin_mul_overflow(count, size, out);
}

void* rtc_malloc(size_t size) {
  if (should_fail())
    return NULL;
  void* p = malloc(size ? size : 1);
  if (p)
    atomic_fetch_add(&g_live, 1);
  return p;
}

void* rtc_calloc(size_t count, size_t size) {
  size_t total;
  if (mul_overflows(count, size, &total))
    return NULL;
  if (should_fail())
    return NULL;
  void* p = calloc(1, total ? total : 1);
  if (p)
    atomic_fetch_add(&g_live, 1);
  return p;
}

void* rtc_malloc_array(size_t count, size_t size) {
  size_t total;
  if (mul_overflows(count, size, &total))
    return NULL;
  return rtc_malloc(total);
}

void* rtc_realloc(void* ptr, size_t size) {
  if (!ptr)
    return rtc_malloc(size);
  if (should_fail())
    return NULL;
  return realloc(ptr, size ? size : 1);
}

void* rtc_realloc_array(void* ptr, size_t count, size_t size) {
  size_t total;
  if (mul_overflows(count, size, &total))
    return NULL;
  return rtc_realloc(ptr, total);
}

void rtc_free(void* ptr) {
  if (!ptr)
    return;
  atomic_fetch_sub(&g_live, 1);
  free(ptr);
}

char* rtc_strdup(const char* s) {
  return rtc_memdup(s, strlen(s) + 1);
}

char* rtc_strndup(const char* s, size_t n) {
  size_t len = strnlen(s, n);
  char* copy = rtc_malloc(len + 1);
  if (!copy)
    return NULL;
  memcpy(copy, s, len);
  copy[len] = '\0';
  return copy;
}

void* rtc_memdup(const void* data, size_t size) {
  void* copy = rtc_malloc(size);
  if (copy && size)
    memcpy(copy, data, size);
  return copy;
}

int64_t rtc_alloc_live_count(void) {
  return atomic_load(&g_live);
}

uint64_t rtc_alloc_attempt_count(void) {
  return atomic_load(&g_attempts);
}

uint64_t rtc_alloc_injected_failure_count(void) {
  return atomic_load(&g_injected);
}

void rtc_alloc_fail_nth(uint64_t n, int sticky) {
  atomic_store(&g_fail_sticky, sticky != 0);
  atomic_store(&g_fail_at, n ? atomic_load(&g_attempts) + n : 0);
}

void rtc_alloc_clear_failure(void) {
  atomic_store(&g_fail_at, 0);
  atomic_store(&g_fail_sticky, false);
}
