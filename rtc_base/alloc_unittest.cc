#include "rtc_base/alloc.h"

#include <gtest/gtest.h>

#include <condition_variable>
#include <cstdint>
#include <cstring>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

namespace {

TEST(Alloc, CountsLiveAllocations) {
  int64_t before = rtc_alloc_live_count();
  void* a = rtc_malloc(10);
  void* b = rtc_calloc(3, 4);
  ASSERT_NE(a, nullptr);
  ASSERT_NE(b, nullptr);
  EXPECT_EQ(rtc_alloc_live_count(), before + 2);
  rtc_free(a);
  EXPECT_EQ(rtc_alloc_live_count(), before + 1);
  rtc_free(b);
  rtc_free(nullptr);
  EXPECT_EQ(rtc_alloc_live_count(), before);
}

TEST(Alloc, ZeroSizeAllocationIsFreeable) {
  void* p = rtc_malloc(0);
  ASSERT_NE(p, nullptr);
  rtc_free(p);
}

TEST(Alloc, CallocZeroesMemory) {
  auto* p = static_cast<unsigned char*>(rtc_calloc(64, 1));
  ASSERT_NE(p, nullptr);
  for (int i = 0; i < 64; i++)
    EXPECT_EQ(p[i], 0);
  rtc_free(p);
}

TEST(Alloc, ArrayAllocationsRejectOverflow) {
  EXPECT_EQ(rtc_calloc(SIZE_MAX / 2, 3), nullptr);
  EXPECT_EQ(rtc_malloc_array(SIZE_MAX / 2, 3), nullptr);
  void* p = rtc_malloc(8);
  ASSERT_NE(p, nullptr);
  EXPECT_EQ(rtc_realloc_array(p, SIZE_MAX / 4, 8), nullptr);
  rtc_free(p);  // still valid after the failed realloc
}

TEST(Alloc, ReallocKeepsContentsAndCount) {
  int64_t before = rtc_alloc_live_count();
  auto* p = static_cast<char*>(rtc_realloc(nullptr, 4));
  ASSERT_NE(p, nullptr);
  std::memcpy(p, "abc", 4);
  EXPECT_EQ(rtc_alloc_live_count(), before + 1);
  p = static_cast<char*>(rtc_realloc(p, 4096));
  ASSERT_NE(p, nullptr);
  EXPECT_STREQ(p, "abc");
  EXPECT_EQ(rtc_alloc_live_count(), before + 1);
  rtc_free(p);
  EXPECT_EQ(rtc_alloc_live_count(), before);
}

TEST(Alloc, FailsExactlyTheNthAttempt) {
  uint64_t injected = rtc_alloc_injected_failure_count();
  rtc_alloc_fail_nth(3, 0);
  void* a = rtc_malloc(1);
  void* b = rtc_malloc(1);
  void* c = rtc_malloc(1);
  void* d = rtc_malloc(1);
  EXPECT_NE(a, nullptr);
  EXPECT_NE(b, nullptr);
  EXPECT_EQ(c, nullptr);
  EXPECT_NE(d, nullptr);
  EXPECT_EQ(rtc_alloc_injected_failure_count(), injected + 1);
  rtc_free(a);
  rtc_free(b);
  rtc_free(d);
}

TEST(Alloc, StickyFailureFailsEveryLaterAttemptUntilCleared) {
  rtc_alloc_fail_nth(2, 1);
  void* a = rtc_malloc(1);
  EXPECT_NE(a, nullptr);
  EXPECT_EQ(rtc_malloc(1), nullptr);
  EXPECT_EQ(rtc_calloc(1, 1), nullptr);
  EXPECT_EQ(rtc_strdup("x"), nullptr);
  void* grown = rtc_realloc(a, 100);
  EXPECT_EQ(grown, nullptr);  // a is untouched
  rtc_alloc_clear_failure();
  void* b = rtc_malloc(1);
  EXPECT_NE(b, nullptr);
  rtc_free(a);
  rtc_free(b);
}

TEST(Alloc, FailNthZeroDisablesInjection) {
  rtc_alloc_fail_nth(1, 1);
  rtc_alloc_fail_nth(0, 0);
  void* p = rtc_malloc(1);
  EXPECT_NE(p, nullptr);
  rtc_free(p);
}

TEST(Alloc, StringAndByteCopies) {
  char* s = rtc_strdup("hello");
  ASSERT_NE(s, nullptr);
  EXPECT_STREQ(s, "hello");
  char* t = rtc_strndup("hello", 3);
  ASSERT_NE(t, nullptr);
  EXPECT_STREQ(t, "hel");
  char* u = rtc_strndup("hi", 10);
  ASSERT_NE(u, nullptr);
  EXPECT_STREQ(u, "hi");
  const uint8_t bytes[3] = {1, 0, 2};
  auto* m = static_cast<uint8_t*>(rtc_memdup(bytes, 3));
  ASSERT_NE(m, nullptr);
  EXPECT_EQ(std::memcmp(m, bytes, 3), 0);
  rtc_free(s);
  rtc_free(t);
  rtc_free(u);
  rtc_free(m);
}

TEST(Alloc, CountsAreExactUnderConcurrency) {
  int64_t before = rtc_alloc_live_count();
  std::vector<std::thread> threads;
  for (int t = 0; t < 8; t++) {
    threads.emplace_back([] {
      for (int i = 0; i < 10000; i++) {
        void* p = rtc_malloc(16);
        ASSERT_NE(p, nullptr);
        rtc_free(p);
      }
    });
  }
  for (auto& t : threads)
    t.join();
  EXPECT_EQ(rtc_alloc_live_count(), before);
}

// rtc_grow_array: doubles from `first`, stops at `limit`, and leaves the
// array as it was when memory runs out.
TEST(Alloc, GrowArrayDoublesUpToTheLimit) {
  int* a = nullptr;
  size_t capacity = 0;
  std::vector<size_t> capacities;
  for (size_t count = 0; count < 10; count++) {
    int* grown = static_cast<int*>(
        rtc_grow_array(a, &capacity, count, 3, 10, sizeof(int)));
    ASSERT_NE(grown, nullptr) << count;
    a = grown;
    a[count] = static_cast<int>(count);
    if (capacities.empty() || capacities.back() != capacity)
      capacities.push_back(capacity);
  }
  EXPECT_EQ(capacities, (std::vector<size_t>{3, 6, 10}));
  for (int i = 0; i < 10; i++)
    EXPECT_EQ(a[i], i);
  // Full: no room for an eleventh, the array unchanged.
  EXPECT_EQ(rtc_grow_array(a, &capacity, 10, 3, 10, sizeof(int)), nullptr);
  EXPECT_EQ(capacity, 10u);
  rtc_free(a);

  // Out of memory: NULL, and the array and its capacity as they were.
  int* b = static_cast<int*>(
      rtc_grow_array(nullptr, &(capacity = 0), 0, 1, SIZE_MAX, sizeof(int)));
  ASSERT_NE(b, nullptr);
  b[0] = 7;
  rtc_alloc_fail_nth(1, 0);
  EXPECT_EQ(rtc_grow_array(b, &capacity, 1, 1, SIZE_MAX, sizeof(int)), nullptr);
  rtc_alloc_clear_failure();
  EXPECT_EQ(capacity, 1u);
  EXPECT_EQ(b[0], 7);
  // Overflowing sizes are refused.
  EXPECT_EQ(rtc_grow_array(b, &capacity, 1, 1, SIZE_MAX, SIZE_MAX / 2 + 1),
            nullptr);
  rtc_free(b);
}

// --- rtc_handoff_malloc / rtc_handoff_free ---

// A thread that runs the functions given to it, one at a time, until
// Stop(): stands for the network thread.
class Worker {
 public:
  Worker() : thread_([this] { Loop(); }) {}
  ~Worker() { Stop(); }
  // Runs fn on the worker and waits for it.
  void Run(std::function<void()> fn) {
    std::unique_lock<std::mutex> lock(mu_);
    fn_ = std::move(fn);
    cv_.notify_all();
    cv_.wait(lock, [&] { return !fn_; });
  }
  void Stop() {
    if (!thread_.joinable())
      return;
    {
      std::lock_guard<std::mutex> lock(mu_);
      stop_ = true;
    }
    cv_.notify_all();
    thread_.join();
  }

 private:
  void Loop() {
    std::unique_lock<std::mutex> lock(mu_);
    for (;;) {
      cv_.wait(lock, [&] { return stop_ || fn_; });
      if (fn_) {
        fn_();
        fn_ = nullptr;
        cv_.notify_all();
      } else if (stop_) {
        return;
      }
    }
  }
  std::mutex mu_;
  std::condition_variable cv_;
  std::function<void()> fn_;
  bool stop_ = false;
  std::thread thread_;
};

std::vector<void*> AllocateOn(Worker& w, int n, size_t size) {
  std::vector<void*> blocks;
  w.Run([&] {
    for (int i = 0; i < n; i++) {
      auto* p = static_cast<unsigned char*>(rtc_handoff_malloc(size));
      if (!p)
        return;
      memset(p, i & 0xff, size);
      blocks.push_back(p);
    }
  });
  EXPECT_EQ(blocks.size(), static_cast<size_t>(n));
  return blocks;
}

TEST(Handoff, SameThreadFreeIsImmediate) {
  int64_t live = rtc_alloc_live_count();
  int64_t returned = rtc_handoff_returned_count();
  void* a = rtc_handoff_malloc(0);
  void* b = rtc_handoff_malloc(4096);
  ASSERT_NE(a, nullptr);
  ASSERT_NE(b, nullptr);
  EXPECT_EQ(reinterpret_cast<uintptr_t>(b) % alignof(max_align_t), 0u);
  EXPECT_EQ(rtc_alloc_live_count(), live + 2);
  rtc_handoff_free(a);
  rtc_handoff_free(b);
  rtc_handoff_free(nullptr);
  EXPECT_EQ(rtc_alloc_live_count(), live);
  EXPECT_EQ(rtc_handoff_returned_count(), returned);
}

// Freed on another thread, a block goes back to the thread that allocated
// it (counted as freed at once), which frees it at its next allocation.
TEST(Handoff, BlocksFreedElsewhereGoBackToTheirThread) {
  Worker w;
  int64_t live = rtc_alloc_live_count();
  int64_t returned = rtc_handoff_returned_count();
  std::vector<void*> blocks = AllocateOn(w, 100, 1100);
  EXPECT_EQ(rtc_alloc_live_count(), live + 100);
  for (size_t i = 0; i < blocks.size(); i++) {
    auto* p = static_cast<unsigned char*>(blocks[i]);
    EXPECT_EQ(p[0], i & 0xff);
    EXPECT_EQ(p[1099], i & 0xff);
    rtc_handoff_free(p);
  }
  EXPECT_EQ(rtc_alloc_live_count(), live);
  EXPECT_EQ(rtc_handoff_returned_count(), returned + 100);
  // The worker's next allocation frees what came back.
  void* more = nullptr;
  w.Run([&] { more = rtc_handoff_malloc(10); });
  EXPECT_EQ(rtc_handoff_returned_count(), returned);
  rtc_handoff_free(more);
  w.Run([&] { rtc_handoff_free(rtc_handoff_malloc(1)); });
  EXPECT_EQ(rtc_handoff_returned_count(), returned);
  EXPECT_EQ(rtc_alloc_live_count(), live);
}

TEST(Handoff, ThreadExitFreesWhatCameBack) {
  int64_t returned = rtc_handoff_returned_count();
  Worker w;
  std::vector<void*> blocks = AllocateOn(w, 10, 64);
  for (void* p : blocks)
    rtc_handoff_free(p);
  EXPECT_EQ(rtc_handoff_returned_count(), returned + 10);
  w.Stop();
  EXPECT_EQ(rtc_handoff_returned_count(), returned);
}

// Once their thread has exited, blocks are freed where they are; its home
// serves the next thread.
TEST(Handoff, BlocksOfAnExitedThreadAreFreedWhereTheyAre) {
  int64_t live = rtc_alloc_live_count();
  int64_t returned = rtc_handoff_returned_count();
  std::vector<void*> blocks;
  {
    Worker w;
    blocks = AllocateOn(w, 10, 2000);
  }
  for (void* p : blocks)
    rtc_handoff_free(p);
  EXPECT_EQ(rtc_handoff_returned_count(), returned);
  EXPECT_EQ(rtc_alloc_live_count(), live);
  Worker next;
  blocks = AllocateOn(next, 5, 100);
  for (void* p : blocks)
    rtc_handoff_free(p);
  EXPECT_EQ(rtc_handoff_returned_count(), returned + 5);
  next.Stop();
  EXPECT_EQ(rtc_handoff_returned_count(), returned);
}

TEST(Handoff, FailsWhenATestSaysSo) {
  rtc_alloc_fail_nth(1, 0);
  EXPECT_EQ(rtc_handoff_malloc(16), nullptr);
  void* p = rtc_handoff_malloc(16);
  EXPECT_NE(p, nullptr);
  rtc_handoff_free(p);
  rtc_alloc_clear_failure();
  EXPECT_EQ(rtc_handoff_malloc(SIZE_MAX - 8), nullptr);
}

// Two threads passing blocks both ways as fast as they can, as the network
// and signaling threads do with messages: every block arrives intact, and
// nothing is left over (ASan and LeakSanitizer check the rest).
TEST(Handoff, TwoThreadsPassingBlocksBothWays) {
  int64_t live = rtc_alloc_live_count();
  const int kBlocks = 50000;
  std::mutex mu;
  std::condition_variable cv;
  std::vector<void*> to_a, to_b;
  int finished = 0;
  // Sends kBlocks blocks to `out` and frees what arrives in `in`, until
  // both threads have sent everything and nothing is left to free.
  auto pass = [&](std::vector<void*>& out, std::vector<void*>& in,
                  unsigned char mark) {
    int sent = 0;
    int wrong = 0;
    bool counted = false;
    for (;;) {
      std::vector<void*> got;
      {
        std::unique_lock<std::mutex> lock(mu);
        for (int k = 0; k < 64 && sent < kBlocks; k++, sent++) {
          auto* p = static_cast<unsigned char*>(
              rtc_handoff_malloc(100 + static_cast<size_t>(sent % 1500)));
          ASSERT_NE(p, nullptr);
          p[0] = mark;
          out.push_back(p);
        }
        if (sent == kBlocks && !counted) {
          counted = true;
          finished++;
        }
        cv.notify_all();
        got.swap(in);
        if (got.empty() && sent == kBlocks) {
          if (finished == 2)
            break;
          cv.wait(lock);
          continue;
        }
      }
      for (void* p : got) {
        wrong += static_cast<unsigned char*>(p)[0] == mark;
        rtc_handoff_free(p);
      }
    }
    EXPECT_EQ(wrong, 0);
  };
  std::thread a([&] { pass(to_b, to_a, 0xa); });
  std::thread b([&] { pass(to_a, to_b, 0xb); });
  a.join();
  b.join();
  for (void* p : to_a)
    rtc_handoff_free(p);
  for (void* p : to_b)
    rtc_handoff_free(p);
  EXPECT_EQ(rtc_alloc_live_count(), live);
}

}  // namespace
