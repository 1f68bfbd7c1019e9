/*
 * Clocks. Time is an int64_t count of microseconds. Protocol code never
 * reads the system clock: it is given an rtc_clock (or an explicit `now`),
 * so that tests run on simulated time.
 *
 *   rtc_clock_monotonic()  the real monotonic clock (CLOCK_MONOTONIC)
 *   rtc_sim_clock          a clock that moves only when told to
 *
 * Threads: reading any clock is thread-safe; a simulated clock is moved by
 * whoever drives the simulation.
 */
#ifndef RTC_BASE_CLOCK_H_
#define RTC_BASE_CLOCK_H_

#include <stdint.h>

#include "rtc_base/error.h"

#ifdef __cplusplus
extern "C" {
#endif

#define RTC_US_PER_MS INT64_C(1000)
#define RTC_US_PER_SEC INT64_C(1000000)

typedef struct rtc_clock rtc_clock;

/* For implementers of clocks. */
typedef struct rtc_clock_vtable {
  int64_t (*now_us)(const rtc_clock* clock);
} rtc_clock_vtable;

struct rtc_clock {
  const rtc_clock_vtable* vtable;
};

/* Never goes backwards. */
int64_t rtc_clock_now_us(const rtc_clock* clock);
int64_t rtc_clock_now_ms(const rtc_clock* clock);

/* The process-wide monotonic clock. (transfer none; lives forever) */
const rtc_clock* rtc_clock_monotonic(void);
/* CLOCK_MONOTONIC in microseconds. */
int64_t rtc_time_monotonic_us(void);
/* Wall-clock time: microseconds since the Unix epoch (CLOCK_REALTIME). For
 * timestamps shown to users and certificate validity, never for timers. */
int64_t rtc_time_utc_us(void);

/* A simulated clock, starting at `start_us`. */
typedef struct rtc_sim_clock rtc_sim_clock;

/* Errors: RTC_ERR_NO_MEMORY, RTC_ERR_INVALID_ARGUMENT (start_us < 0). */
rtc_error rtc_sim_clock_create(int64_t start_us, rtc_sim_clock** out);
void rtc_sim_clock_destroy(rtc_sim_clock* clock);
/* The clock interface of `clock`. (transfer none) */
const rtc_clock* rtc_sim_clock_get(rtc_sim_clock* clock);
int64_t rtc_sim_clock_now_us(const rtc_sim_clock* clock);
/* Moves time forward by delta_us >= 0. */
void rtc_sim_clock_advance_us(rtc_sim_clock* clock, int64_t delta_us);
/* Moves time to t_us, which must not be in the past. */
void rtc_sim_clock_set_us(rtc_sim_clock* clock, int64_t t_us);

#ifdef __cplusplus
}  // extern "C"
#endif

#endif  // RTC_BASE_CLOCK_H_
