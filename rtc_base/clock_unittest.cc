#include "rtc_base/clock.h"

#include <gtest/gtest.h>

namespace {

TEST(Clock, MonotonicNeverGoesBackwards) {
  const rtc_clock* clock = rtc_clock_monotonic();
  int64_t last = rtc_clock_now_us(clock);
  for (int i = 0; i < 1000; i++) {
    int64_t now = rtc_clock_now_us(clock);
    EXPECT_GE(now, last);
    last = now;
  }
  EXPECT_EQ(rtc_clock_now_ms(clock) / 1000, rtc_time_monotonic_us() / 1000000);
}

TEST(Clock, UtcIsAfter2020) {
  EXPECT_GT(rtc_time_utc_us(), INT64_C(1577836800) * RTC_US_PER_SEC);
}

TEST(SimClock, MovesOnlyWhenTold) {
  rtc_sim_clock* sim;
  ASSERT_EQ(rtc_sim_clock_create(1000, &sim), RTC_OK);
  const rtc_clock* clock = rtc_sim_clock_get(sim);
  EXPECT_EQ(rtc_clock_now_us(clock), 1000);
  EXPECT_EQ(rtc_clock_now_us(clock), 1000);
  rtc_sim_clock_advance_us(sim, 500);
  EXPECT_EQ(rtc_clock_now_us(clock), 1500);
  rtc_sim_clock_set_us(sim, 5 * RTC_US_PER_SEC);
  EXPECT_EQ(rtc_clock_now_ms(clock), 5000);
  rtc_sim_clock_destroy(sim);
}

TEST(SimClock, RejectsNegativeStart) {
  rtc_sim_clock* sim = reinterpret_cast<rtc_sim_clock*>(1);
  EXPECT_EQ(rtc_sim_clock_create(-1, &sim), RTC_ERR_INVALID_ARGUMENT);
  EXPECT_EQ(sim, nullptr);
}

TEST(SimClockDeathTest, CannotGoBackwards) {
  rtc_sim_clock* sim;
  ASSERT_EQ(rtc_sim_clock_create(1000, &sim), RTC_OK);
  EXPECT_DEATH(rtc_sim_clock_set_us(sim, 999), "Check failed");
  EXPECT_DEATH(rtc_sim_clock_advance_us(sim, -1), "Check failed");
  rtc_sim_clock_destroy(sim);
}

}  // namespace
