#include "rtc_base/timer.h"

#include <gtest/gtest.h>

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "rtc_base/alloc.h"
#include "rtc_base/sim_time.h"

namespace {

// A queue without cancellation, as an embedder's may be: it forwards to a
// simulated queue and runs the tasks as its own.
struct PlainQueue {
  rtc_task_queue base;  // first
  rtc_task_queue* inner;

  struct Wrapped {
    PlainQueue* queue;
    rtc_task task;
  };
  static rtc_error Post(rtc_task_queue* queue, int64_t delay, rtc_task task) {
    auto* self = reinterpret_cast<PlainQueue*>(queue);
    auto* w = new Wrapped{self, task};
    rtc_task outer = {&PlainQueue::Run, &PlainQueue::Drop, w};
    return rtc_task_queue_post_delayed(self->inner, delay, outer);
  }
  static void Run(void* arg) {
    auto* w = static_cast<Wrapped*>(arg);
    rtc_task_queue* previous = rtc_task_queue_set_current(&w->queue->base);
    if (w->task.run)
      w->task.run(w->task.arg);
    rtc_task_queue_set_current(previous);
  }
  static void Drop(void* arg) {
    auto* w = static_cast<Wrapped*>(arg);
    rtc_task_queue* previous = rtc_task_queue_set_current(&w->queue->base);
    rtc_task_drop(&w->task);
    rtc_task_queue_set_current(previous);
    delete w;
  }
  static void Destroy(rtc_task_queue* queue) {
    auto* self = reinterpret_cast<PlainQueue*>(queue);
    rtc_task_queue_destroy(self->inner);
    delete self;
  }
  static const rtc_task_queue_vtable kVtable;

  // Takes `inner` over. (transfer full)
  static rtc_task_queue* Wrap(rtc_task_queue* inner) {
    auto* self = new PlainQueue{{&kVtable, inner->clock}, inner};
    return &self->base;
  }
};
static_assert(offsetof(PlainQueue, base) == 0, "base must come first");

// No post_cancelable, no cancel (the last two members).
const rtc_task_queue_vtable PlainQueue::kVtable = {
    &PlainQueue::Post,    nullptr, nullptr, nullptr,
    &PlainQueue::Destroy, nullptr, nullptr,
};

enum class QueueKind { kCancelling, kPlain };

class TimerTest : public testing::TestWithParam<QueueKind> {
 protected:
  void SetUp() override {
    ASSERT_EQ(rtc_sim_time_create(0, &time_), RTC_OK);
    q_ = MakeQueue("q");
    ASSERT_NE(q_, nullptr);
    rtc_timer_init(&timer_, q_, &TimerTest::Fired, this);
  }
  void TearDown() override {
    rtc_timer_stop(&timer_);
    rtc_task_queue_destroy(q_);
    rtc_sim_time_destroy(time_);
  }
  bool Cancelling() const { return GetParam() == QueueKind::kCancelling; }
  rtc_task_queue* MakeQueue(const char* name) {
    rtc_task_queue* q = nullptr;
    EXPECT_EQ(rtc_sim_time_create_queue(time_, name, &q), RTC_OK);
    if (q && !Cancelling())
      q = PlainQueue::Wrap(q);
    return q;
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

std::string QueueKindName(const testing::TestParamInfo<QueueKind>& param) {
  return param.param == QueueKind::kCancelling ? "Cancelling" : "WithoutCancel";
}

INSTANTIATE_TEST_SUITE_P(Queues,
                         TimerTest,
                         testing::Values(QueueKind::kCancelling,
                                         QueueKind::kPlain),
                         QueueKindName);

TEST_P(TimerTest, QueueKindIsAsIntended) {
  EXPECT_EQ(rtc_task_queue_can_cancel(q_), Cancelling());
}

TEST_P(TimerTest, FiresOnceAtItsDeadline) {
  OnQueue([&] { ASSERT_EQ(rtc_timer_start(&timer_, 100), RTC_OK); });
  EXPECT_TRUE(rtc_timer_is_running(&timer_));
  rtc_sim_time_advance_us(time_, 1000);
  EXPECT_EQ(fired_at_, std::vector<int64_t>{100});
  EXPECT_FALSE(rtc_timer_is_running(&timer_));
}

TEST_P(TimerTest, RestartReplacesTheDeadline) {
  OnQueue([&] {
    ASSERT_EQ(rtc_timer_start(&timer_, 100), RTC_OK);
    ASSERT_EQ(rtc_timer_start(&timer_, 300), RTC_OK);
  });
  rtc_sim_time_advance_us(time_, 1000);
  EXPECT_EQ(fired_at_, std::vector<int64_t>{300});
}

TEST_P(TimerTest, StopCancels) {
  OnQueue([&] {
    ASSERT_EQ(rtc_timer_start(&timer_, 100), RTC_OK);
    rtc_timer_stop(&timer_);
    EXPECT_FALSE(rtc_timer_is_running(&timer_));
  });
  rtc_sim_time_advance_us(time_, 1000);
  EXPECT_TRUE(fired_at_.empty());
}

TEST_P(TimerTest, StopFreesThePendingTaskAtOnceWhenTheQueueCanCancel) {
  OnQueue([&] {
    ASSERT_EQ(rtc_timer_start(&timer_, 40 * RTC_US_PER_SEC), RTC_OK);
    rtc_timer_stop(&timer_);
  });
  if (Cancelling()) {
    EXPECT_EQ(rtc_sim_time_pending_count(time_), 0u);
    EXPECT_EQ(rtc_sim_time_next_deadline_us(time_), INT64_MAX);
  } else {
    // The fallback: the dead task stays until its deadline, then does
    // nothing.
    EXPECT_EQ(rtc_sim_time_pending_count(time_), 1u);
    EXPECT_EQ(rtc_sim_time_next_deadline_us(time_), 40 * RTC_US_PER_SEC);
  }
  rtc_sim_time_advance_us(time_, 60 * RTC_US_PER_SEC);
  EXPECT_TRUE(fired_at_.empty());
  EXPECT_EQ(rtc_sim_time_pending_count(time_), 0u);
}

TEST_P(TimerTest, RestartingTenThousandTimesKeepsOneTaskAndFiresOnce) {
  uint64_t attempts = 0;
  OnQueue([&] {
    ASSERT_EQ(rtc_timer_start(&timer_, 1000), RTC_OK);
    attempts = rtc_alloc_attempt_count();
    for (int i = 1; i <= 10000; i++)
      ASSERT_EQ(rtc_timer_start(&timer_, 1000 + i), RTC_OK);
  });
  if (Cancelling()) {
    EXPECT_EQ(rtc_sim_time_pending_count(time_), 1u);
    EXPECT_EQ(rtc_sim_time_next_deadline_us(time_), 11000);
    EXPECT_EQ(rtc_alloc_attempt_count(), attempts);  // no malloc per start
  } else {
    EXPECT_EQ(rtc_sim_time_pending_count(time_), 10001u);
  }
  rtc_sim_time_advance_us(time_, 20000);
  EXPECT_EQ(fired_at_, std::vector<int64_t>{11000});
  EXPECT_EQ(rtc_sim_time_pending_count(time_), 0u);
}

TEST_P(TimerTest, StartBeforeOnlyMovesEarlier) {
  OnQueue([&] {
    ASSERT_EQ(rtc_timer_start(&timer_, 200), RTC_OK);
    ASSERT_EQ(rtc_timer_start_before(&timer_, 500), RTC_OK);
    ASSERT_EQ(rtc_timer_start_before(&timer_, 50), RTC_OK);
  });
  rtc_sim_time_advance_us(time_, 1000);
  EXPECT_EQ(fired_at_, std::vector<int64_t>{50});
}

TEST_P(TimerTest, StartBeforeStartsAStoppedTimer) {
  OnQueue([&] {
    ASSERT_EQ(rtc_timer_start(&timer_, 20), RTC_OK);
    rtc_timer_stop(&timer_);
    ASSERT_EQ(rtc_timer_start_before(&timer_, 500), RTC_OK);
  });
  rtc_sim_time_advance_us(time_, 1000);
  EXPECT_EQ(fired_at_, std::vector<int64_t>{500});
}

TEST_P(TimerTest, CallbackMayRestartItself) {
  struct Rearm {
    rtc_timer timer;
    int count = 0;
    bool running_in_callback = true;
  } rearm;
  rtc_timer_init(
      &rearm.timer, q_,
      [](void* a) {
        auto* r = static_cast<Rearm*>(a);
        r->running_in_callback &= rtc_timer_is_running(&r->timer);
        if (++r->count < 5)
          rtc_timer_start(&r->timer, 10);
      },
      &rearm);
  OnQueue([&] { ASSERT_EQ(rtc_timer_start(&rearm.timer, 10), RTC_OK); });
  rtc_sim_time_advance_us(time_, 1000);
  EXPECT_EQ(rearm.count, 5);
  EXPECT_FALSE(rearm.running_in_callback);  // stopped while it runs
  EXPECT_EQ(rtc_sim_time_pending_count(time_), 0u);
}

TEST_P(TimerTest, CallbackMayFreeTheOwner) {
  struct Owner {
    rtc_timer timer;
    int* fired;
  };
  int fired = 0;
  auto* owner = static_cast<Owner*>(rtc_malloc(sizeof(Owner)));
  ASSERT_NE(owner, nullptr);
  owner->fired = &fired;
  rtc_timer_init(
      &owner->timer, q_,
      [](void* a) {
        auto* o = static_cast<Owner*>(a);
        (*o->fired)++;
        rtc_free(o);  // the timer lives in it
      },
      owner);
  OnQueue([&] { ASSERT_EQ(rtc_timer_start(&owner->timer, 10), RTC_OK); });
  // Other tasks move the timer's task around the heap meanwhile.
  for (int i = 0; i < 40; i++) {
    rtc_task nothing = {[](void*) {}, nullptr, nullptr};
    ASSERT_EQ(rtc_task_queue_post_delayed(q_, 40 - i, nothing), RTC_OK);
  }
  rtc_sim_time_advance_us(time_, 100);
  EXPECT_EQ(fired, 1);
}

TEST_P(TimerTest, OwnerMayBeFreedRightAfterStop) {
  struct Owner {
    rtc_timer timer;
  };
  auto* owner = static_cast<Owner*>(rtc_malloc(sizeof(Owner)));
  ASSERT_NE(owner, nullptr);
  rtc_timer_init(&owner->timer, q_, &TimerTest::Fired, this);
  OnQueue([&] {
    ASSERT_EQ(rtc_timer_start(&owner->timer, 10), RTC_OK);
    rtc_timer_stop(&owner->timer);
    rtc_free(owner);
  });
  for (int i = 0; i < 40; i++) {
    rtc_task nothing = {[](void*) {}, nullptr, nullptr};
    ASSERT_EQ(rtc_task_queue_post_delayed(q_, 40 - i, nothing), RTC_OK);
  }
  rtc_sim_time_advance_us(time_, 100);
  EXPECT_TRUE(fired_at_.empty());
}

TEST_P(TimerTest, DestroyingTheQueueStopsTheTimer) {
  rtc_task_queue* other = MakeQueue("other");
  ASSERT_NE(other, nullptr);
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
  rtc_timer_stop(&t);  // harmless: it does not reach the dead queue
  rtc_sim_time_advance_us(time_, 100);
  EXPECT_TRUE(fired_at_.empty());
}

TEST_P(TimerTest, FailedStartLeavesTimerStopped) {
  OnQueue([&] {
    // Fill the simulated heap to its first capacity (16), so that the next
    // post must grow it: on a cancelling queue that is the start's only
    // allocation; without cancel, the ticket is allocated first.
    for (int i = 0; i < 16; i++) {
      rtc_task nothing = {[](void*) {}, nullptr, nullptr};
      ASSERT_EQ(rtc_task_queue_post_delayed(q_, 3600 * RTC_US_PER_SEC, nothing),
                RTC_OK);
    }
    rtc_alloc_fail_nth(1, 0);
    EXPECT_EQ(rtc_timer_start(&timer_, 200), RTC_ERR_NO_MEMORY);
    rtc_alloc_clear_failure();
    EXPECT_FALSE(rtc_timer_is_running(&timer_));
  });
  rtc_sim_time_advance_us(time_, 1000);
  EXPECT_TRUE(fired_at_.empty());
}

TEST_P(TimerTest, RestartWithoutMemoryWorksOnlyWhenTheQueueCanCancel) {
  // On a cancelling queue a restart frees the old heap entry before it
  // posts and allocates nothing: it cannot fail for memory. Without cancel
  // it allocates a ticket, and on failure leaves the timer stopped.
  OnQueue([&] {
    ASSERT_EQ(rtc_timer_start(&timer_, 100), RTC_OK);
    rtc_alloc_fail_nth(1, 1);  // every allocation fails
    rtc_error err = rtc_timer_start(&timer_, 200);
    rtc_alloc_clear_failure();
    if (Cancelling()) {
      EXPECT_EQ(err, RTC_OK);
      EXPECT_TRUE(rtc_timer_is_running(&timer_));
    } else {
      EXPECT_EQ(err, RTC_ERR_NO_MEMORY);
      EXPECT_FALSE(rtc_timer_is_running(&timer_));
    }
  });
  rtc_sim_time_advance_us(time_, 1000);
  EXPECT_EQ(fired_at_,
            Cancelling() ? std::vector<int64_t>{200} : std::vector<int64_t>{});
}

TEST(Timer, ZeroedTimerIsStoppedAndStopIsHarmless) {
  rtc_timer timer = {};
  EXPECT_FALSE(rtc_timer_is_running(&timer));
  rtc_timer_stop(&timer);
  EXPECT_FALSE(rtc_timer_is_running(&timer));
}

TEST(Timer, CancelablePostOnAQueueWithoutCancelFailsAndDropsTheTask) {
  rtc_sim_time* time;
  ASSERT_EQ(rtc_sim_time_create(0, &time), RTC_OK);
  rtc_task_queue* inner;
  ASSERT_EQ(rtc_sim_time_create_queue(time, "inner", &inner), RTC_OK);
  rtc_task_queue* q = PlainQueue::Wrap(inner);
  bool dropped = false;
  rtc_task task = {[](void*) { FAIL() << "must not run"; },
                   [](void* a) { *static_cast<bool*>(a) = true; }, &dropped};
  rtc_task_handle handle = RTC_TASK_HANDLE_INIT;
  EXPECT_EQ(rtc_task_queue_post_cancelable(q, 0, task, &handle),
            RTC_ERR_NOT_SUPPORTED);
  EXPECT_TRUE(dropped);
  EXPECT_FALSE(rtc_task_handle_pending(&handle));
  EXPECT_FALSE(rtc_task_queue_cancel(q, &handle));
  EXPECT_EQ(rtc_sim_time_run_until_idle(time), 0u);
  rtc_task_queue_destroy(q);
  rtc_sim_time_destroy(time);
}

}  // namespace
