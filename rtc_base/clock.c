#include "rtc_base/clock.h"

#include <stdatomic.h>
#include <time.h>

#include "rtc_base/alloc.h"
#include "rtc_base/checks.h"

static int64_t timespec_us(const struct timespec* ts) {
  return (int64_t)ts->tv_sec * RTC_US_PER_SEC + ts->tv_nsec / 1000;
}

int64_t rtc_time_monotonic_us(void) {
  struct timespec ts;
  RTC_CHECK(clock_gettime(CLOCK_MONOTONIC, &ts) == 0);
  return timespec_us(&ts);
}

int64_t rtc_time_utc_us(void) {
  struct timespec ts;
  RTC_CHECK(clock_gettime(CLOCK_REALTIME, &ts) == 0);
  return timespec_us(&ts);
}

static int64_t monotonic_now_us(const rtc_clock* clock) {
  (void)clock;
  return rtc_time_monotonic_us();
}

static const rtc_clock_vtable kMonotonicVtable = {monotonic_now_us};
static const rtc_clock kMonotonicClock = {&kMonotonicVtable};

const rtc_clock* rtc_clock_monotonic(void) {
  return &kMonotonicClock;
}

int64_t rtc_clock_now_us(const rtc_clock* clock) {
  return clock->vtable->now_us(clock);
}

int64_t rtc_clock_now_ms(const rtc_clock* clock) {
  return rtc_clock_now_us(clock) / RTC_US_PER_MS;
}

struct rtc_sim_clock {
  rtc_clock base; /* first: rtc_clock* <-> rtc_sim_clock* */
  _Atomic int64_t now_us;
};

static int64_t sim_now_us(const rtc_clock* clock) {
  return rtc_sim_clock_now_us((const rtc_sim_clock*)clock);
}

static const rtc_clock_vtable kSimVtable = {sim_now_us};

rtc_error rtc_sim_clock_create(int64_t start_us, rtc_sim_clock** out) {
  *out = NULL;
  if (start_us < 0)
    return RTC_ERR_INVALID_ARGUMENT;
  rtc_sim_clock* clock = rtc_calloc(1, sizeof(*clock));
  if (!clock)
    return RTC_ERR_NO_MEMORY;
  clock->base.vtable = &kSimVtable;
  atomic_init(&clock->now_us, start_us);
  *out = clock;
  return RTC_OK;
}

void rtc_sim_clock_destroy(rtc_sim_clock* clock) {
  rtc_free(clock);
}

const rtc_clock* rtc_sim_clock_get(rtc_sim_clock* clock) {
  return &clock->base;
}

int64_t rtc_sim_clock_now_us(const rtc_sim_clock* clock) {
  return atomic_load(&((rtc_sim_clock*)clock)->now_us);
}

void rtc_sim_clock_advance_us(rtc_sim_clock* clock, int64_t delta_us) {
  RTC_CHECK_GE(delta_us, 0);
  atomic_fetch_add(&clock->now_us, delta_us);
}

void rtc_sim_clock_set_us(rtc_sim_clock* clock, int64_t t_us) {
  RTC_CHECK_GE(t_us, rtc_sim_clock_now_us(clock));
  atomic_store(&clock->now_us, t_us);
}
