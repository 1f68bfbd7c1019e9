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

// A cancellable task whose argument is an rtc_malloc allocation, so that
// rtc_alloc_live_count() shows when the queue lets go of it.
struct Counts {
  int ran = 0;
  int destroyed = 0;
};

struct CountedArg {
  Counts* counts;
};

rtc_error PostCounted(rtc_task_queue* q,
                      Counts* counts,
                      int64_t delay_us,
                      rtc_task_handle* handle) {
  auto* arg = static_cast<CountedArg*>(rtc_malloc(sizeof(CountedArg)));
  if (!arg)
    return RTC_ERR_NO_MEMORY;
  arg->counts = counts;
  rtc_task task = {[](void* a) { static_cast<CountedArg*>(a)->counts->ran++; },
                   [](void* a) {
                     static_cast<CountedArg*>(a)->counts->destroyed++;
                     rtc_free(a);
                   },
                   arg};
  return rtc_task_queue_post_cancelable(q, delay_us, task, handle);
}

TEST_F(SimTimeTest, SimulatedQueuesCanCancel) {
  EXPECT_TRUE(rtc_task_queue_can_cancel(a_));
}

TEST_F(SimTimeTest, CancelBeforeDueDropsTheTaskAtOnce) {
  Counts counts;
  rtc_task_handle handle = RTC_TASK_HANDLE_INIT;
  EXPECT_FALSE(rtc_task_handle_pending(&handle));
  ASSERT_EQ(PostCounted(a_, &counts, 30 * RTC_US_PER_SEC, &handle), RTC_OK);
  EXPECT_TRUE(rtc_task_handle_pending(&handle));
  EXPECT_EQ(rtc_sim_time_pending_count(time_), 1u);
  // The task's argument is live (and so is the heap's storage).
  int64_t live = rtc_alloc_live_count();

  EXPECT_TRUE(rtc_task_queue_cancel(a_, &handle));
  EXPECT_FALSE(rtc_task_handle_pending(&handle));
  EXPECT_EQ(counts.destroyed, 1);
  EXPECT_EQ(rtc_alloc_live_count(), live - 1);
  EXPECT_EQ(rtc_sim_time_pending_count(time_), 0u);
  EXPECT_EQ(rtc_sim_time_next_deadline_us(time_), INT64_MAX);

  EXPECT_FALSE(rtc_task_queue_cancel(a_, &handle));
  rtc_sim_time_advance_us(time_, 60 * RTC_US_PER_SEC);
  EXPECT_EQ(counts.ran, 0);
  EXPECT_EQ(counts.destroyed, 1);
}

TEST_F(SimTimeTest, CancelKeepsTheOtherTasksInOrder) {
  // Cancel from the middle of a crowd, across both queues' shared heap.
  std::vector<int> order;
  rtc_task_handle handles[20] = {};
  for (int i = 0; i < 20; i++) {
    auto* fn = new std::function<void()>([&order, i] { order.push_back(i); });
    rtc_task task = {
        [](void* arg) { (*static_cast<std::function<void()>*>(arg))(); },
        [](void* arg) { delete static_cast<std::function<void()>*>(arg); }, fn};
    ASSERT_EQ(rtc_task_queue_post_cancelable(i % 2 ? a_ : b_, (i * 7) % 20,
                                             task, &handles[i]),
              RTC_OK);
  }
  for (int i = 0; i < 20; i += 3)
    EXPECT_TRUE(rtc_task_queue_cancel(i % 2 ? a_ : b_, &handles[i]));
  EXPECT_EQ(rtc_sim_time_pending_count(time_), 13u);
  rtc_sim_time_advance_us(time_, 100);
  std::vector<int> expected;
  for (int d = 0; d < 20; d++) {
    for (int i = 0; i < 20; i++) {
      if ((i * 7) % 20 == d && i % 3 != 0)
        expected.push_back(i);
    }
  }
  EXPECT_EQ(order, expected);
}

TEST_F(SimTimeTest, CancelAfterTheTaskRanReturnsFalse) {
  Counts counts;
  rtc_task_handle handle = RTC_TASK_HANDLE_INIT;
  ASSERT_EQ(PostCounted(a_, &counts, 10, &handle), RTC_OK);
  rtc_sim_time_advance_us(time_, 10);
  EXPECT_EQ(counts.ran, 1);
  EXPECT_EQ(counts.destroyed, 1);
  EXPECT_FALSE(rtc_task_handle_pending(&handle));
  EXPECT_FALSE(rtc_task_queue_cancel(a_, &handle));
  EXPECT_EQ(counts.destroyed, 1);
}

TEST_F(SimTimeTest, TaskCanCancelAnotherOfItsQueueButNotItself) {
  struct State {
    rtc_task_queue* q;
    rtc_task_handle self = RTC_TASK_HANDLE_INIT;
    rtc_task_handle other = RTC_TASK_HANDLE_INIT;
    bool self_pending = true;
    bool cancelled_self = true;
    bool cancelled_other = false;
    Counts other_counts;
  } state;
  state.q = a_;
  ASSERT_EQ(PostCounted(a_, &state.other_counts, 100, &state.other), RTC_OK);
  rtc_task first = {[](void* arg) {
                      auto* s = static_cast<State*>(arg);
                      EXPECT_TRUE(rtc_task_queue_is_current(s->q));
                      s->self_pending = rtc_task_handle_pending(&s->self);
                      s->cancelled_self = rtc_task_queue_cancel(s->q, &s->self);
                      s->cancelled_other =
                          rtc_task_queue_cancel(s->q, &s->other);
                    },
                    nullptr, &state};
  ASSERT_EQ(rtc_task_queue_post_cancelable(a_, 10, first, &state.self), RTC_OK);
  rtc_sim_time_advance_us(time_, 1000);
  EXPECT_FALSE(state.self_pending);  // running is not pending
  EXPECT_FALSE(state.cancelled_self);
  EXPECT_TRUE(state.cancelled_other);
  EXPECT_EQ(state.other_counts.ran, 0);
  EXPECT_EQ(state.other_counts.destroyed, 1);
}

TEST_F(SimTimeTest, RunMayFreeItsOwnHandle) {
  // The queue forgets the handle before running the task.
  struct Owner {
    rtc_task_handle handle = RTC_TASK_HANDLE_INIT;
    int* ran;
  };
  int ran = 0;
  auto* owner = new Owner;
  owner->ran = &ran;
  rtc_task task = {[](void* arg) {
                     auto* o = static_cast<Owner*>(arg);
                     (*o->ran)++;
                     delete o;
                   },
                   nullptr, owner};
  ASSERT_EQ(rtc_task_queue_post_cancelable(a_, 5, task, &owner->handle),
            RTC_OK);
  // Tasks posted later move the owner's task around the heap.
  for (int i = 0; i < 40; i++)
    ASSERT_EQ(PostFn(
                  b_, [] {}, 40 - i),
              RTC_OK);
  rtc_sim_time_advance_us(time_, 100);
  EXPECT_EQ(ran, 1);
}

TEST_F(SimTimeTest, ManyTasksRestartedTenThousandTimesLeaveOnePendingEach) {
  // What a restarted timer does: cancel the pending task, post a new one.
  // The heap holds one entry per handle, and no restart allocates.
  constexpr int kHandles = 32;
  constexpr int kRestarts = 10000;
  rtc_task_handle handles[kHandles] = {};
  int ran[kHandles] = {};
  auto post = [&](int h, int64_t delay) {
    rtc_task task = {[](void* arg) { (*static_cast<int*>(arg))++; }, nullptr,
                     &ran[h]};
    return rtc_task_queue_post_cancelable(h % 2 ? a_ : b_, delay, task,
                                          &handles[h]);
  };
  for (int h = 0; h < kHandles; h++)
    ASSERT_EQ(post(h, 1000 + h), RTC_OK);
  uint64_t attempts = rtc_alloc_attempt_count();
  for (int r = 0; r < kRestarts; r++) {
    for (int h = 0; h < kHandles; h++) {
      ASSERT_TRUE(rtc_task_queue_cancel(h % 2 ? a_ : b_, &handles[h]));
      ASSERT_EQ(post(h, 1000 + (r * 7919 + h * 31) % 5000), RTC_OK);
    }
  }
  EXPECT_EQ(rtc_alloc_attempt_count(), attempts);
  EXPECT_EQ(rtc_sim_time_pending_count(time_), static_cast<size_t>(kHandles));
  rtc_sim_time_advance_us(time_, 10000);
  for (int h = 0; h < kHandles; h++)
    EXPECT_EQ(ran[h], 1) << h;
  EXPECT_EQ(rtc_sim_time_pending_count(time_), 0u);
}

TEST_F(SimTimeTest, DestroyingTheQueueLeavesItsHandlesIdle) {
  rtc_task_queue* c;
  ASSERT_EQ(rtc_sim_time_create_queue(time_, "c", &c), RTC_OK);
  Counts counts;
  rtc_task_handle handle = RTC_TASK_HANDLE_INIT;
  ASSERT_EQ(PostCounted(c, &counts, 100, &handle), RTC_OK);
  rtc_task_queue_destroy(c);
  EXPECT_EQ(counts.destroyed, 1);
  EXPECT_FALSE(rtc_task_handle_pending(&handle));
  // An idle handle never reaches its (here: no longer existing) queue.
  EXPECT_FALSE(rtc_task_queue_cancel(nullptr, &handle));
}

TEST_F(SimTimeTest, FailedCancelablePostLeavesTheHandleIdle) {
  for (int i = 0; i < 16; i++)
    ASSERT_EQ(PostFn(a_, [] {}), RTC_OK);
  Counts counts;
  rtc_task_handle handle = RTC_TASK_HANDLE_INIT;
  // The argument allocation succeeds, the heap growth fails.
  rtc_alloc_fail_nth(2, 0);
  EXPECT_EQ(PostCounted(a_, &counts, 0, &handle), RTC_ERR_NO_MEMORY);
  rtc_alloc_clear_failure();
  EXPECT_EQ(counts.destroyed, 1);
  EXPECT_FALSE(rtc_task_handle_pending(&handle));
  EXPECT_EQ(rtc_sim_time_run_until_idle(time_), 16u);
  EXPECT_EQ(counts.ran, 0);
}

TEST_F(SimTimeTest, CancelablePostFromAnotherThreadCanBeCancelled) {
  Counts counts;
  rtc_task_handle handle = RTC_TASK_HANDLE_INIT;
  std::thread poster([&] {
    // Plain posts around it move the tracked task in the shared heap.
    for (int i = 0; i < 100; i++)
      ASSERT_EQ(PostFn(
                    b_, [] {}, 200 - i),
                RTC_OK);
    ASSERT_EQ(PostCounted(a_, &counts, 150, &handle), RTC_OK);
    for (int i = 0; i < 100; i++)
      ASSERT_EQ(PostFn(
                    b_, [] {}, i),
                RTC_OK);
  });
  poster.join();
  EXPECT_TRUE(rtc_task_queue_cancel(a_, &handle));
  EXPECT_EQ(counts.destroyed, 1);
  EXPECT_EQ(rtc_sim_time_advance_us(time_, 1000), 200u);
  EXPECT_EQ(counts.ran, 0);
}

TEST_F(SimTimeTest, PendingHandleCannotBePostedAgain) {
  rtc_task_handle handle = RTC_TASK_HANDLE_INIT;
  rtc_task task = {[](void*) {}, nullptr, nullptr};
  ASSERT_EQ(rtc_task_queue_post_cancelable(a_, 10, task, &handle), RTC_OK);
  EXPECT_DEATH(rtc_task_queue_post_cancelable(a_, 10, task, &handle),
               "already tracks a pending task");
  EXPECT_TRUE(rtc_task_queue_cancel(a_, &handle));
}

TEST_F(SimTimeTest, CancelThroughAnotherQueueIsFatal) {
  rtc_task_handle handle = RTC_TASK_HANDLE_INIT;
  rtc_task task = {[](void*) {}, nullptr, nullptr};
  ASSERT_EQ(rtc_task_queue_post_cancelable(a_, 10, task, &handle), RTC_OK);
  EXPECT_DEATH(rtc_task_queue_cancel(b_, &handle), "another queue");
  EXPECT_TRUE(rtc_task_queue_cancel(a_, &handle));
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
