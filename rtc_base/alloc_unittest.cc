#include "rtc_base/alloc.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <cstring>
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

}  // namespace
