#include "rtc_base/timer.h"

#include <gtest/gtest.h>

#include <vector>

#include "rtc_base/alloc.h"
#include "rtc_base/sim_time.h"

namespace {

class TimerTest : public testing::Test {
 protected:
  void SetUp() override {
    ASSERT_EQ(rtc_sim_time_create(0, &time_), RTC_OK);
    ASSERT_EQ(rtc_sim_time_create_queue(time_, "q", &q_), RTC_OK);
    rtc_timer_init(&timer_, q_, &TimerTest::Fired, this);
  }
  void TearDown() override {
    rtc_timer_stop(&timer_);
    rtc_task_queue_destroy(q_);
    rtc_sim_time_destroy(time_);
  }
  static void Fired(void* arg) {
    auto* self = static_cast<TimerTest*>(arg);
    self->fired_at_.push_back(rtc_sim_time_now_us(self->time_));
  }
  // Timer calls must happen on the queue.
  template <typename F>
  void OnQueue(F f) {
    auto* fn = new F(f);
    rtc_task task = {[](void* a) { (*static_cast<F*>(a))(); },
                     [](void* a) { delete static_cast<F*>(a); }, fn};
    ASSERT_EQ(rtc_task_queue_post(q_, task), RTC_OK);
    rtc_sim_time_run_until_idle(time_);
  }

  rtc_sim_time* time_ = nullptr;
  rtc_task_queue* q_ = nullptr;
  rtc_timer timer_;
  std::vector<int64_t> fired_at_;
};

TEST_F(TimerTest, FiresOnceAtItsDeadline) {
  OnQueue([&] { ASSERT_EQ(rtc_timer_start(&timer_, 100), RTC_OK); });
  EXPECT_TRUE(rtc_timer_is_running(&timer_));
  rtc_sim_time_advance_us(time_, 1000);
  EXPECT_EQ(fired_at_, std::vector<int64_t>{100});
  EXPECT_FALSE(rtc_timer_is_running(&timer_));
}

TEST_F(TimerTest, RestartReplacesTheDeadline) {
  OnQueue([&] {
    ASSERT_EQ(rtc_timer_start(&timer_, 100), RTC_OK);
    ASSERT_EQ(rtc_timer_start(&timer_, 300), RTC_OK);
  });
  rtc_sim_time_advance_us(time_, 1000);
  EXPECT_EQ(fired_at_, std::vector<int64_t>{300});
}

TEST_F(TimerTest, StopCancels) {
  OnQueue([&] {
    ASSERT_EQ(rtc_timer_start(&timer_, 100), RTC_OK);
    rtc_timer_stop(&timer_);
  });
  rtc_sim_time_advance_us(time_, 1000);
  EXPECT_TRUE(fired_at_.empty());
}

TEST_F(TimerTest, StartBeforeOnlyMovesEarlier) {
  OnQueue([&] {
    ASSERT_EQ(rtc_timer_start(&timer_, 200), RTC_OK);
    ASSERT_EQ(rtc_timer_start_before(&timer_, 500), RTC_OK);
    ASSERT_EQ(rtc_timer_start_before(&timer_, 50), RTC_OK);
  });
  rtc_sim_time_advance_us(time_, 1000);
  EXPECT_EQ(fired_at_, std::vector<int64_t>{50});
}

TEST_F(TimerTest, CallbackMayRestartItself) {
  struct Rearm {
    rtc_timer timer;
    int count = 0;
  } rearm;
  rtc_timer_init(
      &rearm.timer, q_,
      [](void* a) {
        auto* r = static_cast<Rearm*>(a);
        if (++r->count < 5)
          rtc_timer_start(&r->timer, 10);
      },
      &rearm);
  OnQueue([&] { ASSERT_EQ(rtc_timer_start(&rearm.timer, 10), RTC_OK); });
  rtc_sim_time_advance_us(time_, 1000);
  EXPECT_EQ(rearm.count, 5);
}

TEST_F(TimerTest, DestroyingTheQueueStopsTheTimer) {
  rtc_task_queue* other;
  ASSERT_EQ(rtc_sim_time_create_queue(time_, "other", &other), RTC_OK);
  rtc_timer t;
  rtc_timer_init(&t, other, &TimerTest::Fired, this);
  rtc_task task = {
      [](void* a) { rtc_timer_start(static_cast<rtc_timer*>(a), 10); }, nullptr,
      &t};
  ASSERT_EQ(rtc_task_queue_post(other, task), RTC_OK);
  rtc_sim_time_run_until_idle(time_);
  EXPECT_TRUE(rtc_timer_is_running(&t));
  rtc_task_queue_destroy(other);
  EXPECT_FALSE(rtc_timer_is_running(&t));
  rtc_sim_time_advance_us(time_, 100);
  EXPECT_TRUE(fired_at_.empty());
}

TEST_F(TimerTest, FailedStartLeavesTimerStopped) {
  OnQueue([&] {
    ASSERT_EQ(rtc_timer_start(&timer_, 100), RTC_OK);
    rtc_alloc_fail_nth(1, 0);
    EXPECT_EQ(rtc_timer_start(&timer_, 200), RTC_ERR_NO_MEMORY);
    EXPECT_FALSE(rtc_timer_is_running(&timer_));
  });
  rtc_sim_time_advance_us(time_, 1000);
  EXPECT_TRUE(fired_at_.empty());
}

}  // namespace
