// Tests of the real task queue. These use real threads and real time, so
// they wait on condition variables (never sleep) and keep delays short.

#include "rtc_base/event_loop.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <atomic>
#include <condition_variable>
#include <functional>
#include <mutex>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "rtc_base/alloc.h"
#include "rtc_base/safety_flag.h"
#include "rtc_base/sim_time.h"
#include "rtc_base/timer.h"

namespace {

// Posts a std::function; its destroy frees it.
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

class Event {
 public:
  void Set() {
    std::lock_guard<std::mutex> lock(mu_);
    set_ = true;
    cv_.notify_all();
  }
  bool Wait(int timeout_ms = 10000) {
    std::unique_lock<std::mutex> lock(mu_);
    return cv_.wait_for(lock, std::chrono::milliseconds(timeout_ms),
                        [&] { return set_; });
  }

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  bool set_ = false;
};

// Runs fn on the queue and waits for it.
void RunOn(rtc_task_queue* q, std::function<void()> fn) {
  Event done;
  ASSERT_EQ(PostFn(q,
                   [&] {
                     fn();
                     done.Set();
                   }),
            RTC_OK);
  ASSERT_TRUE(done.Wait());
}

class EventLoopTest : public testing::Test {
 protected:
  void SetUp() override {
    ASSERT_EQ(rtc_event_loop_create("test-loop", &q_), RTC_OK);
  }
  void TearDown() override { rtc_task_queue_destroy(q_); }
  rtc_task_queue* q_ = nullptr;
};

TEST_F(EventLoopTest, PostingFromManyThreadsLosesNoTaskAndKeepsPerThreadOrder) {
  constexpr int kThreads = 8;
  constexpr int kPerThread = 5000;
  std::vector<std::pair<int, int>> ran;  // loop thread only
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; t++) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kPerThread; i++)
        ASSERT_EQ(PostFn(q_, [&ran, t, i] { ran.emplace_back(t, i); }), RTC_OK);
    });
  }
  for (auto& t : threads)
    t.join();
  RunOn(q_, [] {});
  ASSERT_EQ(ran.size(), static_cast<size_t>(kThreads * kPerThread));
  std::vector<int> next(kThreads, 0);
  for (const auto& r : ran) {
    EXPECT_EQ(r.second, next[r.first]) << "thread " << r.first;
    next[r.first] = r.second + 1;
  }
}

TEST_F(EventLoopTest, DelayedTasksFireInDeadlineOrderAndNotEarly) {
  std::vector<int> order;
  std::vector<int64_t> late_by;
  Event done;
  const int64_t delays_ms[] = {30, 10, 20, 0, 10, 5};
  int64_t start = rtc_time_monotonic_us();
  for (int i = 0; i < 6; i++) {
    int64_t deadline = start + delays_ms[i] * 1000;
    ASSERT_EQ(PostFn(
                  q_,
                  [&, i, deadline] {
                    order.push_back(i);
                    late_by.push_back(rtc_time_monotonic_us() - deadline);
                    if (order.size() == 6)
                      done.Set();
                  },
                  delays_ms[i] * 1000),
              RTC_OK);
  }
  ASSERT_TRUE(done.Wait());
  EXPECT_EQ(order, (std::vector<int>{3, 5, 1, 4, 2, 0}));
  for (int64_t late : late_by)
    EXPECT_GE(late, 0);
}

TEST_F(EventLoopTest, ManyTimersRunInDeadlineOrder) {
  constexpr int kTimers = 500;
  // The queue computes each deadline when the task is posted: it lies in
  // [before + delay, after + delay] around the post call.
  std::vector<int64_t> earliest(kTimers), latest(kTimers), ran_at(kTimers);
  std::vector<int> order;
  Event done;
  for (int i = 0; i < kTimers; i++) {
    int64_t delay = (i * 7919) % 20000;  // 0..20 ms, scattered
    earliest[i] = rtc_time_monotonic_us() + delay;
    ASSERT_EQ(PostFn(
                  q_,
                  [&, i] {
                    ran_at[i] = rtc_time_monotonic_us();
                    order.push_back(i);
                    if (order.size() == kTimers)
                      done.Set();
                  },
                  delay),
              RTC_OK);
    latest[i] = rtc_time_monotonic_us() + delay;
  }
  ASSERT_TRUE(done.Wait());
  for (int i = 0; i < kTimers; i++)
    EXPECT_GE(ran_at[i], earliest[i]) << "timer " << i << " fired early";
  // A timer that ran later must not have had a deadline surely earlier.
  for (size_t a = 0; a < order.size(); a++) {
    for (size_t b = a + 1; b < order.size(); b++)
      ASSERT_FALSE(latest[order[b]] < earliest[order[a]])
          << order[a] << " ran before " << order[b];
  }
}

// rtc_event_loop_defer(): the call runs on the loop's thread after the
// tasks of the round (the one that deferred it and the others due with
// it), in order, once; off a loop's thread it is refused.
TEST_F(EventLoopTest, DeferredCallsRunOnceWhenTheRoundIsOver) {
  EXPECT_FALSE(rtc_event_loop_defer([](void*) {}, nullptr));
  struct Log {
    std::vector<std::string> order;
    rtc_task_queue* q;
    bool current = true;
    Event done;
  } log;
  log.q = q_;
  // While a first task holds the loop, two more are posted: they run in
  // the next round, together.
  Event release;
  Event holding;
  ASSERT_EQ(PostFn(q_,
                   [&] {
                     holding.Set();
                     release.Wait();
                   }),
            RTC_OK);
  ASSERT_TRUE(holding.Wait());
  ASSERT_EQ(PostFn(q_,
                   [&] {
                     log.order.push_back("task 1");
                     ASSERT_TRUE(rtc_event_loop_defer(
                         [](void* arg) {
                           auto* l = static_cast<Log*>(arg);
                           l->order.push_back("deferred 1");
                           l->current &= rtc_task_queue_is_current(l->q);
                         },
                         &log));
                     ASSERT_TRUE(rtc_event_loop_defer(
                         [](void* arg) {
                           auto* l = static_cast<Log*>(arg);
                           l->order.push_back("deferred 2");
                           l->done.Set();
                         },
                         &log));
                   }),
            RTC_OK);
  ASSERT_EQ(PostFn(q_, [&] { log.order.push_back("task 2"); }), RTC_OK);
  release.Set();
  ASSERT_TRUE(log.done.Wait());
  EXPECT_EQ(log.order, (std::vector<std::string>{"task 1", "task 2",
                                                 "deferred 1", "deferred 2"}));
  EXPECT_TRUE(log.current);
}

// A round holds 32 deferred calls; beyond, the caller is told to act now.
TEST_F(EventLoopTest, DeferringIsRefusedBeyond32CallsInARound) {
  std::atomic<int> ran{0};
  int accepted = 0;
  RunOn(q_, [&] {
    for (int i = 0; i < 40; i++) {
      accepted += rtc_event_loop_defer(
          [](void* arg) { (*static_cast<std::atomic<int>*>(arg))++; }, &ran);
    }
  });
  RunOn(q_, [] {});
  EXPECT_EQ(accepted, 32);
  EXPECT_EQ(ran, 32);
}

// A call deferred while the loop quits (here by the destroy of a task that
// is dropped) still runs, on the loop's thread: a queue's wake-up must not
// be lost.
TEST(EventLoop, DeferredCallsRunWhenTheLoopQuits) {
  rtc_task_queue* q;
  ASSERT_EQ(rtc_event_loop_create("quitting", &q), RTC_OK);
  struct State {
    rtc_task_queue* q;
    bool deferred = false;
    bool ran_on_loop = false;
  } state;
  state.q = q;
  rtc_task task = {[](void*) {},
                   [](void* arg) {
                     auto* st = static_cast<State*>(arg);
                     st->deferred = rtc_event_loop_defer(
                         [](void* arg2) {
                           auto* st2 = static_cast<State*>(arg2);
                           st2->ran_on_loop = rtc_task_queue_is_current(st2->q);
                         },
                         st);
                   },
                   &state};
  ASSERT_EQ(rtc_task_queue_post_delayed(q, 3600 * RTC_US_PER_SEC, task),
            RTC_OK);
  rtc_task_queue_destroy(q);
  EXPECT_TRUE(state.deferred);
  EXPECT_TRUE(state.ran_on_loop);
}

TEST(EventLoop, DestroyDropsPendingTasksOnTheLoopThread) {
  rtc_task_queue* q;
  ASSERT_EQ(rtc_event_loop_create("dying", &q), RTC_OK);
  struct Counts {
    std::atomic<int> ran{0};
    std::atomic<int> dropped_on_loop{0};
    std::atomic<int> dropped_elsewhere{0};
    rtc_task_queue* q;
  } counts;
  counts.q = q;
  for (int i = 0; i < 100; i++) {
    rtc_task task = {[](void* arg) { static_cast<Counts*>(arg)->ran++; },
                     [](void* arg) {
                       auto* c = static_cast<Counts*>(arg);
                       if (rtc_task_queue_is_current(c->q))
                         c->dropped_on_loop++;
                       else
                         c->dropped_elsewhere++;
                     },
                     &counts};
    ASSERT_EQ(rtc_task_queue_post_delayed(q, 3600 * RTC_US_PER_SEC, task),
              RTC_OK);
  }
  rtc_task_queue_destroy(q);
  EXPECT_EQ(counts.ran, 0);
  EXPECT_EQ(counts.dropped_on_loop, 100);
  EXPECT_EQ(counts.dropped_elsewhere, 0);
}

TEST(EventLoop, TaskDroppedAtShutdownCannotPostAgain) {
  rtc_task_queue* q;
  ASSERT_EQ(rtc_event_loop_create("dying", &q), RTC_OK);
  struct State {
    rtc_task_queue* q;
    rtc_error repost = RTC_OK;
    bool inner_dropped = false;
  } state{q};
  rtc_task task = {
      nullptr,
      [](void* arg) {
        auto* s = static_cast<State*>(arg);
        rtc_task inner = {
            nullptr,
            [](void* a) { static_cast<State*>(a)->inner_dropped = true; }, s};
        s->repost = rtc_task_queue_post(s->q, inner);
      },
      &state};
  ASSERT_EQ(rtc_task_queue_post_delayed(q, 3600 * RTC_US_PER_SEC, task),
            RTC_OK);
  rtc_task_queue_destroy(q);
  EXPECT_EQ(state.repost, RTC_ERR_CLOSED);
  EXPECT_TRUE(state.inner_dropped);
}

TEST_F(EventLoopTest, TaskGuardedByDeadFlagDoesNotRun) {
  rtc_safety_flag* flag;
  ASSERT_EQ(rtc_safety_flag_create(&flag), RTC_OK);
  std::atomic<int> ran{0};
  std::atomic<int> destroyed{0};
  struct Args {
    std::atomic<int>* ran;
    std::atomic<int>* destroyed;
  } args{&ran, &destroyed};
  rtc_task task = {[](void* a) { (*static_cast<Args*>(a)->ran)++; },
                   [](void* a) { (*static_cast<Args*>(a)->destroyed)++; },
                   &args};
  // One guarded task that runs while the flag is alive, one that is due
  // after the owner died.
  ASSERT_EQ(rtc_task_queue_post_guarded(q_, flag, 0, task), RTC_OK);
  RunOn(q_, [] {});
  EXPECT_EQ(ran, 1);
  ASSERT_EQ(rtc_task_queue_post_guarded(q_, flag, 5000, task), RTC_OK);
  RunOn(q_, [&] {
    rtc_safety_flag_set_not_alive(flag);
    rtc_safety_flag_unref(flag);
  });
  Event later;
  ASSERT_EQ(PostFn(
                q_, [&] { later.Set(); }, 10000),
            RTC_OK);
  ASSERT_TRUE(later.Wait());
  EXPECT_EQ(ran, 1);
  EXPECT_EQ(destroyed, 2);
}

TEST_F(EventLoopTest, IsCurrentOnlyInsideTasks) {
  EXPECT_FALSE(rtc_task_queue_is_current(q_));
  EXPECT_EQ(rtc_task_queue_current(), nullptr);
  bool inside = false;
  rtc_task_queue* current = nullptr;
  RunOn(q_, [&] {
    inside = rtc_task_queue_is_current(q_);
    current = rtc_task_queue_current();
  });
  EXPECT_TRUE(inside);
  EXPECT_EQ(current, q_);
}

TEST_F(EventLoopTest, FailedPostDropsTheTask) {
  // A new loop's heap has no storage yet: the first post must allocate.
  rtc_task_queue* fresh;
  ASSERT_EQ(rtc_event_loop_create("fresh", &fresh), RTC_OK);
  bool dropped = false;
  rtc_task task = {[](void*) { FAIL() << "must not run"; },
                   [](void* a) { *static_cast<bool*>(a) = true; }, &dropped};
  rtc_alloc_fail_nth(1, 1);
  EXPECT_EQ(rtc_task_queue_post(fresh, task), RTC_ERR_NO_MEMORY);
  rtc_alloc_clear_failure();
  EXPECT_TRUE(dropped);
  rtc_task_queue_destroy(fresh);
}

struct Pipe {
  Pipe() { EXPECT_EQ(pipe2(fds, O_NONBLOCK | O_CLOEXEC), 0); }
  ~Pipe() {
    close(fds[0]);
    close(fds[1]);
  }
  int fds[2];
};

TEST_F(EventLoopTest, ReportsReadableFd) {
  Pipe p;
  struct State {
    int reads = 0;
    char byte = 0;
    uint32_t events = 0;
    Event got;
    rtc_fd_watch* watch = nullptr;
  } state;
  RunOn(q_, [&] {
    ASSERT_EQ(rtc_task_queue_watch_fd(
                  q_, p.fds[0], RTC_FD_READABLE,
                  [](void* arg, int fd, uint32_t events) {
                    auto* s = static_cast<State*>(arg);
                    s->events = events;
                    ASSERT_EQ(read(fd, &s->byte, 1), 1);
                    s->reads++;
                    s->got.Set();
                  },
                  &state, &state.watch),
              RTC_OK);
  });
  ASSERT_EQ(write(p.fds[1], "x", 1), 1);
  ASSERT_TRUE(state.got.Wait());
  RunOn(q_, [&] { rtc_fd_watch_destroy(state.watch); });
  EXPECT_EQ(state.reads, 1);
  EXPECT_EQ(state.byte, 'x');
  EXPECT_TRUE(state.events & RTC_FD_READABLE);
}

TEST_F(EventLoopTest, WritableAndChangedEvents) {
  Pipe p;
  struct State {
    int writable = 0;
    rtc_fd_watch* watch = nullptr;
    Event got;
  } state;
  RunOn(q_, [&] {
    ASSERT_EQ(rtc_task_queue_watch_fd(
                  q_, p.fds[1], RTC_FD_WRITABLE,
                  [](void* arg, int, uint32_t events) {
                    auto* s = static_cast<State*>(arg);
                    if (events & RTC_FD_WRITABLE)
                      s->writable++;
                    // Level-triggered: stop asking, or it fires forever.
                    ASSERT_EQ(rtc_fd_watch_set_events(s->watch, 0), RTC_OK);
                    s->got.Set();
                  },
                  &state, &state.watch),
              RTC_OK);
  });
  ASSERT_TRUE(state.got.Wait());
  RunOn(q_, [&] { rtc_fd_watch_destroy(state.watch); });
  EXPECT_EQ(state.writable, 1);
}

TEST_F(EventLoopTest, WatchDestroyedDuringDispatchIsNotCalledAgain) {
  Pipe pa, pb;
  ASSERT_EQ(write(pa.fds[1], "a", 1), 1);
  ASSERT_EQ(write(pb.fds[1], "b", 1), 1);
  struct State {
    rtc_fd_watch* watches[2] = {nullptr, nullptr};
    int calls = 0;
  } state;
  struct Arg {
    State* state;
    int index;
  } args[2] = {{&state, 0}, {&state, 1}};
  auto callback = [](void* arg, int, uint32_t) {
    auto* a = static_cast<Arg*>(arg);
    a->state->calls++;
    // Both fds are ready in the same round: destroy both watches, the
    // other one's event must then be ignored.
    for (auto*& w : a->state->watches) {
      rtc_fd_watch_destroy(w);
      w = nullptr;
    }
  };
  RunOn(q_, [&] {
    ASSERT_EQ(rtc_task_queue_watch_fd(q_, pa.fds[0], RTC_FD_READABLE, callback,
                                      &args[0], &state.watches[0]),
              RTC_OK);
    ASSERT_EQ(rtc_task_queue_watch_fd(q_, pb.fds[0], RTC_FD_READABLE, callback,
                                      &args[1], &state.watches[1]),
              RTC_OK);
  });
  // A round trip through the loop after the fds were polled.
  Event done;
  ASSERT_EQ(PostFn(
                q_, [&] { done.Set(); }, 20000),
            RTC_OK);
  ASSERT_TRUE(done.Wait());
  EXPECT_EQ(state.calls, 1);
}

TEST_F(EventLoopTest, WatchRejectsBadFdAndDuplicates) {
  Pipe p;
  RunOn(q_, [&] {
    rtc_fd_watch* w = nullptr;
    auto cb = [](void*, int, uint32_t) {};
    EXPECT_EQ(rtc_task_queue_watch_fd(q_, -1, RTC_FD_READABLE, cb, nullptr, &w),
              RTC_ERR_INVALID_ARGUMENT);
    EXPECT_EQ(
        rtc_task_queue_watch_fd(q_, 9999, RTC_FD_READABLE, cb, nullptr, &w),
        RTC_ERR_INVALID_ARGUMENT);
    ASSERT_EQ(
        rtc_task_queue_watch_fd(q_, p.fds[0], RTC_FD_READABLE, cb, nullptr, &w),
        RTC_OK);
    rtc_fd_watch* dup = nullptr;
    EXPECT_EQ(rtc_task_queue_watch_fd(q_, p.fds[0], RTC_FD_READABLE, cb,
                                      nullptr, &dup),
              RTC_ERR_INVALID_ARGUMENT);
    EXPECT_EQ(dup, nullptr);
    rtc_fd_watch_destroy(w);
  });
}

TEST(EventLoop, ReportsHangup) {
  rtc_task_queue* q;
  ASSERT_EQ(rtc_event_loop_create("hup", &q), RTC_OK);
  int fds[2];
  ASSERT_EQ(pipe2(fds, O_NONBLOCK | O_CLOEXEC), 0);
  struct State {
    uint32_t events = 0;
    rtc_fd_watch* watch = nullptr;
    Event got;
  } state;
  RunOn(q, [&] {
    ASSERT_EQ(rtc_task_queue_watch_fd(
                  q, fds[0], RTC_FD_READABLE,
                  [](void* arg, int, uint32_t events) {
                    auto* s = static_cast<State*>(arg);
                    s->events |= events;
                    rtc_fd_watch_destroy(s->watch);
                    s->got.Set();
                  },
                  &state, &state.watch),
              RTC_OK);
  });
  close(fds[1]);
  ASSERT_TRUE(state.got.Wait());
  EXPECT_TRUE(state.events & RTC_FD_HANGUP);
  rtc_task_queue_destroy(q);
  close(fds[0]);
}

// --- Cancellable tasks ---

struct Counts {
  std::atomic<int> ran{0};
  std::atomic<int> destroyed{0};
};

// A cancellable task whose argument is an rtc_malloc allocation, so that
// rtc_alloc_live_count() shows when the queue lets go of it.
rtc_error PostCounted(rtc_task_queue* q,
                      Counts* counts,
                      int64_t delay_us,
                      rtc_task_handle* handle) {
  auto** arg = static_cast<Counts**>(rtc_malloc(sizeof(Counts*)));
  if (!arg)
    return RTC_ERR_NO_MEMORY;
  *arg = counts;
  rtc_task task = {[](void* a) { (*static_cast<Counts**>(a))->ran++; },
                   [](void* a) {
                     (*static_cast<Counts**>(a))->destroyed++;
                     rtc_free(a);
                   },
                   arg};
  return rtc_task_queue_post_cancelable(q, delay_us, task, handle);
}

TEST_F(EventLoopTest, CancelBeforeDueDropsTheTaskAtOnce) {
  EXPECT_TRUE(rtc_task_queue_can_cancel(q_));
  Counts counts;
  rtc_task_handle handle = RTC_TASK_HANDLE_INIT;
  RunOn(q_, [&] {
    ASSERT_EQ(PostCounted(q_, &counts, 3600 * RTC_US_PER_SEC, &handle), RTC_OK);
    EXPECT_TRUE(rtc_task_handle_pending(&handle));
    EXPECT_EQ(rtc_event_loop_pending_count(q_), 1u);
    int64_t live = rtc_alloc_live_count();
    EXPECT_TRUE(rtc_task_queue_cancel(q_, &handle));
    EXPECT_FALSE(rtc_task_handle_pending(&handle));
    EXPECT_EQ(counts.destroyed, 1);
    EXPECT_EQ(rtc_alloc_live_count(), live - 1);
    EXPECT_EQ(rtc_event_loop_pending_count(q_), 0u);
    EXPECT_FALSE(rtc_task_queue_cancel(q_, &handle));
  });
  EXPECT_EQ(counts.ran, 0);
  EXPECT_EQ(counts.destroyed, 1);
}

TEST_F(EventLoopTest, CancellingTheEarliestTaskDoesNotDelayTheNext) {
  // The timerfd is armed for the cancelled task's deadline: the loop must
  // re-arm it for the next one, neither missing it nor running the
  // cancelled task.
  Counts cancelled;
  rtc_task_handle handle = RTC_TASK_HANDLE_INIT;
  Event done;
  int64_t deadline = 0;
  int64_t ran_at = 0;
  RunOn(q_, [&] {
    ASSERT_EQ(PostCounted(q_, &cancelled, 5000, &handle), RTC_OK);
    deadline = rtc_time_monotonic_us() + 15000;
    ASSERT_EQ(PostFn(
                  q_,
                  [&] {
                    ran_at = rtc_time_monotonic_us();
                    done.Set();
                  },
                  15000),
              RTC_OK);
  });
  // A round of the loop in between: it sleeps on the timerfd armed for
  // the first task.
  RunOn(q_, [&] { EXPECT_TRUE(rtc_task_queue_cancel(q_, &handle)); });
  ASSERT_TRUE(done.Wait());
  EXPECT_GE(ran_at, deadline);
  EXPECT_EQ(cancelled.ran, 0);
  EXPECT_EQ(cancelled.destroyed, 1);
}

TEST_F(EventLoopTest, CancelAfterTheTaskRanReturnsFalse) {
  Counts counts;
  rtc_task_handle handle = RTC_TASK_HANDLE_INIT;
  RunOn(q_, [&] { ASSERT_EQ(PostCounted(q_, &counts, 0, &handle), RTC_OK); });
  RunOn(q_, [&] {
    EXPECT_EQ(counts.ran, 1);
    EXPECT_FALSE(rtc_task_handle_pending(&handle));
    EXPECT_FALSE(rtc_task_queue_cancel(q_, &handle));
  });
  EXPECT_EQ(counts.destroyed, 1);
}

TEST_F(EventLoopTest, TaskCanCancelAnotherOfItsQueueButNotItself) {
  struct State {
    rtc_task_queue* q;
    rtc_task_handle self = RTC_TASK_HANDLE_INIT;
    rtc_task_handle other = RTC_TASK_HANDLE_INIT;
    bool cancelled_self = true;
    bool cancelled_other = false;
    Counts other_counts;
    Event done;
  } state;
  state.q = q_;
  rtc_task first = {[](void* arg) {
                      auto* s = static_cast<State*>(arg);
                      s->cancelled_self = rtc_task_queue_cancel(s->q, &s->self);
                      s->cancelled_other =
                          rtc_task_queue_cancel(s->q, &s->other);
                      s->done.Set();
                    },
                    nullptr, &state};
  RunOn(q_, [&] {
    ASSERT_EQ(PostCounted(q_, &state.other_counts, 3600 * RTC_US_PER_SEC,
                          &state.other),
              RTC_OK);
    ASSERT_EQ(rtc_task_queue_post_cancelable(q_, 1000, first, &state.self),
              RTC_OK);
  });
  ASSERT_TRUE(state.done.Wait());
  EXPECT_FALSE(state.cancelled_self);
  EXPECT_TRUE(state.cancelled_other);
  EXPECT_EQ(state.other_counts.ran, 0);
  EXPECT_EQ(state.other_counts.destroyed, 1);
  RunOn(q_, [&] { EXPECT_EQ(rtc_event_loop_pending_count(q_), 0u); });
}

TEST_F(EventLoopTest, RestartsTrackTasksWhileOtherThreadsPost) {
  // The loop thread restarts cancellable tasks 10,000 times each while
  // other threads post plain tasks, moving them around the heap. Every
  // cancel must find its task, and one task per handle remains.
  constexpr int kHandles = 16;
  constexpr int kRestarts = 10000;
  constexpr int kThreads = 4;
  constexpr int kPerThread = 2000;
  Counts counts[kHandles];
  rtc_task_handle handles[kHandles] = {};
  auto post = [&](int h, int64_t delay) {
    rtc_task task = {[](void* a) { static_cast<Counts*>(a)->ran++; },
                     [](void* a) { static_cast<Counts*>(a)->destroyed++; },
                     &counts[h]};
    return rtc_task_queue_post_cancelable(q_, delay, task, &handles[h]);
  };
  const int64_t kHour = 3600 * RTC_US_PER_SEC;
  std::atomic<int> other_dropped{0};
  RunOn(q_, [&] {
    for (int h = 0; h < kHandles; h++)
      ASSERT_EQ(post(h, kHour + h), RTC_OK);
  });
  // The posters start when the restarts do, to overlap with them.
  std::atomic<bool> go{false};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; t++) {
    threads.emplace_back([&, t] {
      while (!go)
        std::this_thread::yield();
      for (int i = 0; i < kPerThread; i++) {
        rtc_task task = {
            nullptr, [](void* a) { (*static_cast<std::atomic<int>*>(a))++; },
            &other_dropped};
        int64_t delay = kHour + ((t * kPerThread + i) * 7919) % 100000;
        ASSERT_EQ(rtc_task_queue_post_delayed(q_, delay, task), RTC_OK);
      }
    });
  }
  bool all_found = true;
  RunOn(q_, [&] {
    go = true;
    for (int r = 0; r < kRestarts; r++) {
      for (int h = 0; h < kHandles; h++) {
        all_found &= rtc_task_queue_cancel(q_, &handles[h]);
        ASSERT_EQ(post(h, kHour + (r * 31 + h * 977) % 100000), RTC_OK);
      }
    }
  });
  for (auto& t : threads)
    t.join();
  EXPECT_TRUE(all_found);
  RunOn(q_, [&] {
    EXPECT_EQ(rtc_event_loop_pending_count(q_),
              static_cast<size_t>(kHandles + kThreads * kPerThread));
    for (int h = 0; h < kHandles; h++) {
      EXPECT_TRUE(rtc_task_handle_pending(&handles[h]));
      EXPECT_EQ(counts[h].destroyed, kRestarts);
    }
  });
  // Destroying the loop drops the rest and leaves the handles idle.
  rtc_task_queue_destroy(q_);
  q_ = nullptr;
  ASSERT_EQ(rtc_event_loop_create("test-loop", &q_), RTC_OK);
  for (int h = 0; h < kHandles; h++) {
    EXPECT_FALSE(rtc_task_handle_pending(&handles[h]));
    EXPECT_EQ(counts[h].ran, 0);
    EXPECT_EQ(counts[h].destroyed, kRestarts + 1);
  }
  EXPECT_EQ(other_dropped, kThreads * kPerThread);
}

TEST_F(EventLoopTest,
       RestartingTenThousandTimesLeavesOneTaskAndAllocatesNothing) {
  rtc_task_handle handle = RTC_TASK_HANDLE_INIT;
  std::atomic<int> ran{0};
  Event done;
  struct Args {
    std::atomic<int>* ran;
    Event* done;
  } args{&ran, &done};
  rtc_task task = {[](void* a) {
                     auto* p = static_cast<Args*>(a);
                     (*p->ran)++;
                     p->done->Set();
                   },
                   nullptr, &args};
  uint64_t attempts = 0;
  RunOn(q_, [&] {
    ASSERT_EQ(rtc_task_queue_post_cancelable(q_, 3600 * RTC_US_PER_SEC, task,
                                             &handle),
              RTC_OK);
    attempts = rtc_alloc_attempt_count();
    for (int r = 0; r < 10000; r++) {
      ASSERT_TRUE(rtc_task_queue_cancel(q_, &handle));
      ASSERT_EQ(
          rtc_task_queue_post_cancelable(
              q_, r == 9999 ? 1000 : 3600 * RTC_US_PER_SEC, task, &handle),
          RTC_OK);
    }
    EXPECT_EQ(rtc_alloc_attempt_count(), attempts);
    EXPECT_EQ(rtc_event_loop_pending_count(q_), 1u);
  });
  ASSERT_TRUE(done.Wait());
  RunOn(q_, [&] { EXPECT_EQ(rtc_event_loop_pending_count(q_), 0u); });
  EXPECT_EQ(ran, 1);
}

TEST_F(EventLoopTest, StoppedTimerLeavesNothingPending) {
  rtc_timer timer;
  int fired = 0;
  rtc_timer_init(
      &timer, q_, [](void* a) { (*static_cast<int*>(a))++; }, &fired);
  RunOn(q_, [&] {
    ASSERT_EQ(rtc_timer_start(&timer, 40 * RTC_US_PER_SEC), RTC_OK);
    EXPECT_EQ(rtc_event_loop_pending_count(q_), 1u);
    rtc_timer_stop(&timer);
    EXPECT_EQ(rtc_event_loop_pending_count(q_), 0u);
  });
  EXPECT_EQ(fired, 0);
}

TEST(EventLoop, DestroyDropsCancelableTasksAndLeavesHandlesIdle) {
  rtc_task_queue* q;
  ASSERT_EQ(rtc_event_loop_create("dying", &q), RTC_OK);
  Counts counts;
  rtc_task_handle handle = RTC_TASK_HANDLE_INIT;
  // Posted from this thread, not the loop's.
  ASSERT_EQ(PostCounted(q, &counts, 3600 * RTC_US_PER_SEC, &handle), RTC_OK);
  EXPECT_TRUE(rtc_task_handle_pending(&handle));
  rtc_task_queue_destroy(q);
  EXPECT_FALSE(rtc_task_handle_pending(&handle));
  EXPECT_EQ(counts.ran, 0);
  EXPECT_EQ(counts.destroyed, 1);
  EXPECT_FALSE(rtc_task_queue_cancel(nullptr, &handle));
}

TEST(EventLoop, CancelablePostAfterShutdownFailsAndLeavesTheHandleIdle) {
  rtc_task_queue* q;
  ASSERT_EQ(rtc_event_loop_create("dying", &q), RTC_OK);
  struct State {
    rtc_task_queue* q;
    rtc_task_handle handle = RTC_TASK_HANDLE_INIT;
    rtc_error repost = RTC_OK;
    bool inner_dropped = false;
  } state;
  state.q = q;
  rtc_task task = {
      nullptr,
      [](void* arg) {
        auto* s = static_cast<State*>(arg);
        rtc_task inner = {
            nullptr,
            [](void* a) { static_cast<State*>(a)->inner_dropped = true; }, s};
        s->repost = rtc_task_queue_post_cancelable(s->q, 0, inner, &s->handle);
      },
      &state};
  ASSERT_EQ(rtc_task_queue_post_delayed(q, 3600 * RTC_US_PER_SEC, task),
            RTC_OK);
  rtc_task_queue_destroy(q);
  EXPECT_EQ(state.repost, RTC_ERR_CLOSED);
  EXPECT_TRUE(state.inner_dropped);
  EXPECT_FALSE(rtc_task_handle_pending(&state.handle));
}

TEST(SimQueue, HasNoFdSupport) {
  rtc_sim_time* time;
  ASSERT_EQ(rtc_sim_time_create(0, &time), RTC_OK);
  rtc_task_queue* q;
  ASSERT_EQ(rtc_sim_time_create_queue(time, "sim", &q), RTC_OK);
  rtc_fd_watch* w = nullptr;
  EXPECT_EQ(
      rtc_task_queue_watch_fd(
          q, 0, RTC_FD_READABLE, [](void*, int, uint32_t) {}, nullptr, &w),
      RTC_ERR_NOT_SUPPORTED);
  rtc_task_queue_destroy(q);
  rtc_sim_time_destroy(time);
}

TEST(EventLoopDeathTest, CannotDestroyItself) {
  EXPECT_DEATH(
      {
        rtc_task_queue* q;
        rtc_event_loop_create("self", &q);
        Event never;
        PostFn(q, [q] { rtc_task_queue_destroy(q); });
        never.Wait(5000);
      },
      "cannot destroy itself");
}

}  // namespace
