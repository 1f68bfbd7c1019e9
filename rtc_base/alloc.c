#include "rtc_base/alloc.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

/* Allocations (g_live) and attempts (g_attempts) of threads without a
 * home, and every attempt while a failure is armed. */
static atomic_int_fast64_t g_live;
static atomic_int_fast64_t g_attempts;
static atomic_uint_fast64_t g_injected;
/* The attempt number (1-based, as counted by g_attempts) that fails, or 0. */
static atomic_uint_fast64_t g_fail_at;
static atomic_bool g_fail_sticky;

static bool mul_overflows(size_t count, size_t size, size_t* out) {
  return __builtin_mul_overflow(count, size, out);
}

/* --- Per-thread state: the allocation count, blocks given back --- */

typedef struct handoff_home handoff_home;

/* Before each block of rtc_handoff_malloc. */
typedef union handoff_header {
  struct {
    handoff_home* home; /* NULL: freed where it is, whatever the thread */
    union handoff_header* next; /* in home->returned */
  } h;
  max_align_t align;
} handoff_header;

/* A thread's allocation counts and list of blocks given back. Homes are
 * never freed (a block may still point at one): a thread's home goes to
 * g_spare when it exits, for the next new thread. Plain calloc: a home is
 * not an rtcbox object (tests compare rtc_alloc_live_count before and
 * after). What its thread writes and what other threads write are on
 * different cache lines: a line written by two threads moves between their
 * cores at each write (one global count of allocations cost 64 KiB bulk
 * about 3% of its goodput; one of attempts was an atomic add per
 * allocation on a line every thread wrote). */
struct handoff_home {
  /* Written by its thread only (relaxed loads and stores, no atomic add). */
  atomic_int_fast64_t live_count; /* allocations minus frees */
  atomic_int_fast64_t attempts;   /* attempts while no failure is armed */
  char pad[64];
  /* Written by the threads that give blocks back. */
  _Atomic(handoff_header*) returned;
  atomic_int_fast64_t returned_count; /* blocks in `returned` */
  atomic_bool live;                   /* its thread runs */
  handoff_home* next_spare;           /* under g_home_mu */
  handoff_home* next_all;             /* every home: g_homes */
};

static pthread_mutex_t g_home_mu = PTHREAD_MUTEX_INITIALIZER;
static handoff_home* g_spare; /* under g_home_mu */
static handoff_home* g_homes; /* under g_home_mu; keeps homes reachable */
static pthread_once_t g_home_once = PTHREAD_ONCE_INIT;
static pthread_key_t g_home_key;
static bool g_home_key_ok;
static _Thread_local handoff_home* t_home;
static _Thread_local bool t_home_failed;

/* Frees the blocks given back to `home` so far (any thread). */
static void free_returned(handoff_home* home) {
  handoff_header* b = atomic_exchange(&home->returned, NULL);
  int64_t n = 0;
  while (b) {
    handoff_header* next = b->h.next;
    free(b);
    b = next;
    n++;
  }
  atomic_fetch_sub_explicit(&home->returned_count, n, memory_order_relaxed);
}

/* Thread exit: later blocks are freed where they are (see
 * rtc_handoff_free), and this home waits for another thread. */
static void home_exit(void* arg) {
  handoff_home* home = arg;
  /* Whatever this thread frees from now on (other destructors) is counted
   * in g_live. */
  t_home = NULL;
  t_home_failed = true;
  atomic_store(&home->live, false);
  free_returned(home);
  pthread_mutex_lock(&g_home_mu);
  atomic_fetch_add(&g_live, atomic_exchange(&home->live_count, 0));
  home->next_spare = g_spare;
  g_spare = home;
  pthread_mutex_unlock(&g_home_mu);
}

static void home_key_init(void) {
  g_home_key_ok = pthread_key_create(&g_home_key, home_exit) == 0;
}

/* This thread's home, NULL when it cannot have one (no memory). */
static handoff_home* this_home(void) {
  if (t_home || t_home_failed)
    return t_home;
  pthread_once(&g_home_once, home_key_init);
  handoff_home* home = NULL;
  if (g_home_key_ok) {
    pthread_mutex_lock(&g_home_mu);
    home = g_spare;
    if (home) {
      g_spare = home->next_spare;
    } else if ((home = calloc(1, sizeof(*home)))) {
      home->next_all = g_homes;
      g_homes = home;
    }
    pthread_mutex_unlock(&g_home_mu);
  }
  if (home && pthread_setspecific(g_home_key, home) != 0) {
    pthread_mutex_lock(&g_home_mu);
    home->next_spare = g_spare;
    g_spare = home;
    pthread_mutex_unlock(&g_home_mu);
    home = NULL;
  }
  if (!home) {
    t_home_failed = true;
    return NULL;
  }
  /* A spare home may hold blocks of its last thread: they are freed like
   * the ones given back from now on. */
  atomic_store(&home->live, true);
  t_home = home;
  return home;
}

/* Adds `delta` to `own`, a counter of this thread's home that only this
 * thread writes, or without a home (`own` NULL) to the process-wide
 * `global`. */
static void add_own(atomic_int_fast64_t* own,
                    atomic_int_fast64_t* global,
                    int64_t delta) {
  if (!own) {
    atomic_fetch_add(global, delta);
    return;
  }
  atomic_store_explicit(own,
                        atomic_load_explicit(own, memory_order_relaxed) + delta,
                        memory_order_relaxed);
}

/* Counts `delta` allocations on this thread (`home`: this_home()). */
static void count_live(handoff_home* home, int delta) {
  add_own(home ? &home->live_count : NULL, &g_live, delta);
}

/* Counts one attempt and says whether it must fail (`home`: this_home()).
 * While no failure is armed (all but a few tests) the attempt is counted
 * in the thread's home. */
static bool should_fail(handoff_home* home) {
  uint64_t fail_at = atomic_load_explicit(&g_fail_at, memory_order_relaxed);
  if (fail_at == 0) {
    add_own(home ? &home->attempts : NULL, &g_attempts, 1);
    return false;
  }
  uint64_t n = (uint64_t)atomic_fetch_add(&g_attempts, 1) + 1;
  if (n == fail_at || (n > fail_at && atomic_load(&g_fail_sticky))) {
    atomic_fetch_add(&g_injected, 1);
    return true;
  }
  return false;
}

void* rtc_malloc(size_t size) {
  handoff_home* home = this_home();
  if (should_fail(home))
    return NULL;
  void* p = malloc(size ? size : 1);
  if (p)
    count_live(home, 1);
  return p;
}

void* rtc_calloc(size_t count, size_t size) {
  size_t total;
  if (mul_overflows(count, size, &total))
    return NULL;
  handoff_home* home = this_home();
  if (should_fail(home))
    return NULL;
  void* p = calloc(1, total ? total : 1);
  if (p)
    count_live(home, 1);
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
  if (should_fail(this_home()))
    return NULL;
  return realloc(ptr, size ? size : 1);
}

void* rtc_realloc_array(void* ptr, size_t count, size_t size) {
  size_t total;
  if (mul_overflows(count, size, &total))
    return NULL;
  return rtc_realloc(ptr, total);
}

void* rtc_grow_array(void* array,
                     size_t* capacity,
                     size_t count,
                     size_t first,
                     size_t limit,
                     size_t size) {
  if (count < *capacity)
    return array;
  if (count >= limit)
    return NULL;
  size_t grown = *capacity ? (*capacity > limit / 2 ? limit : *capacity * 2)
                           : (first < limit ? first : limit);
  if (grown <= count)
    grown = count + 1;
  void* moved = rtc_realloc_array(array, grown, size);
  if (!moved)
    return NULL;
  *capacity = grown;
  return moved;
}

void rtc_free(void* ptr) {
  if (!ptr)
    return;
  count_live(this_home(), -1);
  free(ptr);
}

void* rtc_handoff_malloc(size_t size) {
  handoff_home* home = this_home();
  if (home && atomic_load_explicit(&home->returned, memory_order_relaxed))
    free_returned(home);
  if (should_fail(home))
    return NULL;
  if (size > SIZE_MAX - sizeof(handoff_header))
    return NULL;
  handoff_header* b = malloc(sizeof(*b) + (size ? size : 1));
  if (!b)
    return NULL;
  count_live(home, 1);
  b->h.home = home;
  return b + 1;
}

void rtc_handoff_free(void* ptr) {
  if (!ptr)
    return;
  count_live(this_home(), -1);
  handoff_header* b = (handoff_header*)ptr - 1;
  handoff_home* home = b->h.home;
  if (!home || home == t_home || !atomic_load(&home->live)) {
    free(b);
    return;
  }
  handoff_header* head =
      atomic_load_explicit(&home->returned, memory_order_relaxed);
  do {
    b->h.next = head;
  } while (!atomic_compare_exchange_weak_explicit(
      &home->returned, &head, b, memory_order_release, memory_order_relaxed));
  atomic_fetch_add_explicit(&home->returned_count, 1, memory_order_relaxed);
  /* Its thread may have exited since the check above, after freeing what
   * it had: then nobody else frees this block. */
  if (!atomic_load(&home->live))
    free_returned(home);
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

/* The counter at `offset` in every home, plus `global` (may be NULL), read
 * under g_home_mu (a thread that exits moves its live count to g_live). */
static int64_t sum_homes(size_t offset, atomic_int_fast64_t* global) {
  pthread_mutex_lock(&g_home_mu);
  int64_t n = global ? atomic_load(global) : 0;
  for (handoff_home* h = g_homes; h; h = h->next_all)
    n += atomic_load((atomic_int_fast64_t*)((char*)h + offset));
  pthread_mutex_unlock(&g_home_mu);
  return n;
}

int64_t rtc_handoff_returned_count(void) {
  return sum_homes(offsetof(handoff_home, returned_count), NULL);
}

int64_t rtc_alloc_live_count(void) {
  return sum_homes(offsetof(handoff_home, live_count), &g_live);
}

uint64_t rtc_alloc_attempt_count(void) {
  return (uint64_t)sum_homes(offsetof(handoff_home, attempts), &g_attempts);
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
