#include "rtc_base/sim_time.h"

#include <gtest/gtest.h>

#include <functional>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "rtc_base/alloc.h"
#include "rtc_base/safety_flag.h"

namespace {

rtc_error PostFn(rtc_task_queue* q,
                 std::function<void()> fn,
                 int64_t delay_us = 0) {
  auto* heap_fn = new std::function<void()>(std::move(fn));
  rtc_task task = {
      [](void* arg) { (*static_cast<std::function<void()>*>(arg))(); },
      [](void* arg) { delete static_cast<std::function<void()>*>(arg); },
      heap_fn};
  return rtc_task_queue_post_delayed(q, delay_us, task);
}

class SimTimeTest : public testing::Test {
 protected:
  void SetUp() override {
    ASSERT_EQ(rtc_sim_time_create(1000, &time_), RTC_OK);
    ASSERT_EQ(rtc_sim_time_create_queue(time_, "a", &a_), RTC_OK);
    ASSERT_EQ(rtc_sim_time_create_queue(time_, "b", &b_), RTC_OK);
  }
  void TearDown() override {
    rtc_task_queue_destroy(a_);
    rtc_task_queue_destroy(b_);
    rtc_sim_time_destroy(time_);
  }
  int64_t Now() { return rtc_sim_time_now_us(time_); }

  rtc_sim_time* time_ = nullptr;
  rtc_task_queue* a_ = nullptr;
  rtc_task_queue* b_ = nullptr;
};

TEST_F(SimTimeTest, NothingRunsUntilDriven) {
  int ran = 0;
  ASSERT_EQ(PostFn(a_, [&] { ran++; }), RTC_OK);
  EXPECT_EQ(ran, 0);
  EXPECT_EQ(rtc_sim_time_run_until_idle(time_), 1u);
  EXPECT_EQ(ran, 1);
  EXPECT_EQ(Now(), 1000);
}

TEST_F(SimTimeTest, RunUntilIdleDoesNotMoveTheClock) {
  int ran = 0;
  ASSERT_EQ(PostFn(
                a_, [&] { ran++; }, 1),
            RTC_OK);
  EXPECT_EQ(rtc_sim_time_run_until_idle(time_), 0u);
  EXPECT_EQ(ran, 0);
  EXPECT_EQ(rtc_sim_time_next_deadline_us(time_), 1001);
  EXPECT_EQ(rtc_sim_time_advance_us(time_, 1), 1u);
  EXPECT_EQ(ran, 1);
  EXPECT_EQ(rtc_sim_time_next_deadline_us(time_), INT64_MAX);
}

TEST_F(SimTimeTest, TasksPostedByTasksRunInTheSameIdleRun) {
  std::vector<int> order;
  ASSERT_EQ(PostFn(a_,
                   [&] {
                     order.push_back(1);
                     PostFn(b_, [&] {
                       order.push_back(3);
                       PostFn(a_, [&] { order.push_back(4); });
                     });
                   }),
            RTC_OK);
  ASSERT_EQ(PostFn(a_, [&] { order.push_back(2); }), RTC_OK);
  EXPECT_EQ(rtc_sim_time_run_until_idle(time_), 4u);
  EXPECT_EQ(order, (std::vector<int>{1, 2, 3, 4}));
}

TEST_F(SimTimeTest, DelayedTasksRunAtTheirDeadlineInOrderAcrossQueues) {
  std::vector<std::pair<std::string, int64_t>> ran;
  auto record = [&](const char* name, rtc_task_queue* q) {
    return [&, name, q] {
      EXPECT_TRUE(rtc_task_queue_is_current(q));
      EXPECT_FALSE(rtc_task_queue_is_current(q == a_ ? b_ : a_));
      ran.emplace_back(name, Now());
    };
  };
  ASSERT_EQ(PostFn(a_, record("a300", a_), 300), RTC_OK);
  ASSERT_EQ(PostFn(b_, record("b100", b_), 100), RTC_OK);
  ASSERT_EQ(PostFn(a_, record("a100", a_), 100), RTC_OK);
  ASSERT_EQ(PostFn(b_, record("b200", b_), 200), RTC_OK);
  ASSERT_EQ(PostFn(b_, record("b0", b_), 0), RTC_OK);
  EXPECT_EQ(rtc_sim_time_advance_us(time_, 250), 4u);
  EXPECT_EQ(Now(), 1250);
  EXPECT_EQ(rtc_sim_time_advance_us(time_, 50), 1u);
  using P = std::pair<std::string, int64_t>;
  EXPECT_EQ(ran, (std::vector<P>{{"b0", 1000},
                                 {"b100", 1100},
                                 {"a100", 1100},
                                 {"b200", 1200},
                                 {"a300", 1300}}));
  EXPECT_FALSE(rtc_task_queue_is_current(a_));
}

TEST_F(SimTimeTest, QueueClockIsTheSimulatedClock) {
  EXPECT_EQ(rtc_task_queue_now_us(a_), 1000);
  rtc_sim_time_advance_us(time_, 5 * RTC_US_PER_SEC);
  EXPECT_EQ(rtc_task_queue_now_us(a_), 5001000);
  EXPECT_EQ(rtc_clock_now_us(rtc_sim_time_clock(time_)), 5001000);
}

TEST_F(SimTimeTest, RepeatingTaskIsDeterministic) {
  // A 20 ms ticker for one simulated minute ticks exactly 3000 times.
  struct Ticker {
    rtc_task_queue* q;
    int ticks = 0;
    static void Tick(void* arg) {
      auto* t = static_cast<Ticker*>(arg);
      t->ticks++;
      rtc_task task = {&Ticker::Tick, nullptr, t};
      rtc_task_queue_post_delayed(t->q, 20 * RTC_US_PER_MS, task);
    }
  } ticker{a_};
  rtc_task first = {&Ticker::Tick, nullptr, &ticker};
  ASSERT_EQ(rtc_task_queue_post_delayed(a_, 20 * RTC_US_PER_MS, first), RTC_OK);
  rtc_sim_time_advance_us(time_, 60 * RTC_US_PER_SEC);
  EXPECT_EQ(ticker.ticks, 3000);
}

TEST_F(SimTimeTest, RunUntilStopsWhenDoneOrAtTimeout) {
  bool flag = false;
  ASSERT_EQ(PostFn(
                a_, [&] { flag = true; }, 500),
            RTC_OK);
  ASSERT_EQ(PostFn(
                a_, [] {}, 900),
            RTC_OK);
  auto done = [](void* arg) { return *static_cast<bool*>(arg); };
  EXPECT_TRUE(rtc_sim_time_run_until(time_, done, &flag, 10000));
  EXPECT_EQ(Now(), 1500);  // stopped right after the task that did it
  bool never = false;
  EXPECT_FALSE(rtc_sim_time_run_until(time_, done, &never, 2000));
  EXPECT_EQ(Now(), 3500);
}

TEST_F(SimTimeTest, DestroyingAQueueDropsOnlyItsTasks) {
  rtc_task_queue* c;
  ASSERT_EQ(rtc_sim_time_create_queue(time_, "c", &c), RTC_OK);
  int ran_c = 0, dropped_c = 0, ran_a = 0;
  struct Args {
    int* ran;
    int* dropped;
  } args{&ran_c, &dropped_c};
  for (int i = 0; i < 10; i++) {
    rtc_task task = {[](void* p) { (*static_cast<Args*>(p)->ran)++; },
                     [](void* p) { (*static_cast<Args*>(p)->dropped)++; },
                     &args};
    ASSERT_EQ(rtc_task_queue_post_delayed(c, i * 10, task), RTC_OK);
    ASSERT_EQ(PostFn(
                  a_, [&] { ran_a++; }, i * 10),
              RTC_OK);
  }
  rtc_task_queue_destroy(c);
  EXPECT_EQ(dropped_c, 10);
  rtc_sim_time_advance_us(time_, 1000);
  EXPECT_EQ(ran_c, 0);
  EXPECT_EQ(ran_a, 10);
}

TEST_F(SimTimeTest, GuardedTaskSkippedAfterOwnerDies) {
  rtc_safety_flag* flag;
  ASSERT_EQ(rtc_safety_flag_create(&flag), RTC_OK);
  int ran = 0, destroyed = 0;
  struct Args {
    int* ran;
    int* destroyed;
  } args{&ran, &destroyed};
  rtc_task task = {[](void* p) { (*static_cast<Args*>(p)->ran)++; },
                   [](void* p) { (*static_cast<Args*>(p)->destroyed)++; },
                   &args};
  ASSERT_EQ(rtc_task_queue_post_guarded(a_, flag, 10, task), RTC_OK);
  ASSERT_EQ(rtc_task_queue_post_guarded(a_, flag, 20, task), RTC_OK);
  rtc_sim_time_advance_us(time_, 15);
  EXPECT_EQ(ran, 1);
  rtc_safety_flag_set_not_alive(flag);
  rtc_safety_flag_unref(flag);  // the pending task still holds a reference
  rtc_sim_time_advance_us(time_, 15);
  EXPECT_EQ(ran, 1);
  EXPECT_EQ(destroyed, 2);
}

TEST_F(SimTimeTest, PostingFromAnotherThreadIsSafe) {
  int ran = 0;
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; t++) {
    threads.emplace_back([&] {
      for (int i = 0; i < 1000; i++)
        ASSERT_EQ(PostFn(b_, [&] { ran++; }), RTC_OK);
    });
  }
  for (auto& t : threads)
    t.join();
  EXPECT_EQ(rtc_sim_time_run_until_idle(time_), 4000u);
  EXPECT_EQ(ran, 4000);
}

TEST_F(SimTimeTest, OutOfMemoryPostDropsTheTask) {
  // The shared heap grows in steps; fill it so the next push must grow.
  for (int i = 0; i < 16; i++)
    ASSERT_EQ(PostFn(a_, [] {}), RTC_OK);
  bool dropped = false;
  rtc_task task = {[](void*) { FAIL(); },
                   [](void* p) { *static_cast<bool*>(p) = true; }, &dropped};
  rtc_alloc_fail_nth(1, 1);
  EXPECT_EQ(rtc_task_queue_post(a_, task), RTC_ERR_NO_MEMORY);
  rtc_alloc_clear_failure();
  EXPECT_TRUE(dropped);
  EXPECT_EQ(rtc_sim_time_run_until_idle(time_), 16u);
}

TEST_F(SimTimeTest, CreationFailsCleanlyWithoutMemory) {
  for (uint64_t n = 1; n <= 3; n++) {
    rtc_alloc_fail_nth(n, 0);
    rtc_sim_time* t = nullptr;
    rtc_error err = rtc_sim_time_create(0, &t);
    rtc_alloc_clear_failure();
    if (err == RTC_OK) {
      rtc_sim_time_destroy(t);
      break;
    }
    EXPECT_EQ(err, RTC_ERR_NO_MEMORY);
    EXPECT_EQ(t, nullptr);
  }
  rtc_alloc_fail_nth(1, 0);
  rtc_task_queue* q = nullptr;
  EXPECT_EQ(rtc_sim_time_create_queue(time_, "x", &q), RTC_ERR_NO_MEMORY);
  EXPECT_EQ(q, nullptr);
}

TEST_F(SimTimeTest, DrivingFromATaskIsFatal) {
  ASSERT_EQ(PostFn(a_, [&] { rtc_sim_time_run_until_idle(time_); }), RTC_OK);
  EXPECT_DEATH(rtc_sim_time_run_until_idle(time_), "driven from a task");
  // In this process the task is still pending: TearDown drops it.
}

TEST(SimTimeDeathTest, DestroyWithLiveQueueIsFatal) {
  rtc_sim_time* time;
  ASSERT_EQ(rtc_sim_time_create(0, &time), RTC_OK);
  rtc_task_queue* q;
  ASSERT_EQ(rtc_sim_time_create_queue(time, "q", &q), RTC_OK);
  EXPECT_DEATH(rtc_sim_time_destroy(time), "still alive");
  rtc_task_queue_destroy(q);
  rtc_sim_time_destroy(time);
}

}  // namespace
