#include "rtc_base/arena.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <cstring>

#include "rtc_base/alloc.h"

namespace {

TEST(Arena, AllocationsAreAlignedZeroedAndFreedTogether) {
  int64_t before = rtc_alloc_live_count();
  rtc_arena arena;
  rtc_arena_init(&arena, 256);
  for (int i = 1; i < 200; i++) {
    auto* p = static_cast<uint8_t*>(rtc_arena_alloc(&arena, i));
    ASSERT_NE(p, nullptr);
    EXPECT_EQ(reinterpret_cast<uintptr_t>(p) % 16, 0u);
    for (int j = 0; j < i; j++)
      ASSERT_EQ(p[j], 0);
    memset(p, 0xAB, i);
  }
  EXPECT_GT(rtc_alloc_live_count(), before);
  rtc_arena_reset(&arena);
  EXPECT_EQ(rtc_alloc_live_count(), before);
  EXPECT_EQ(arena.allocated, 0u);
}

TEST(Arena, LargeAllocationsKeepTheCurrentChunkUsable) {
  rtc_arena arena;
  rtc_arena_init(&arena, 128);
  void* small = rtc_arena_alloc(&arena, 16);
  void* big = rtc_arena_alloc(&arena, 10000);
  void* next = rtc_arena_alloc(&arena, 16);
  ASSERT_TRUE(small && big && next);
  // The second small allocation follows the first in the same chunk.
  EXPECT_EQ(static_cast<uint8_t*>(next) - static_cast<uint8_t*>(small), 16);
  rtc_arena_reset(&arena);
}

TEST(Arena, StringsAndCopies) {
  rtc_arena arena;
  rtc_arena_init(&arena, 0);
  EXPECT_STREQ(rtc_arena_strdup(&arena, "hello"), "hello");
  EXPECT_STREQ(rtc_arena_strndup(&arena, "hello", 2), "he");
  EXPECT_EQ(rtc_arena_strdup(&arena, nullptr), nullptr);
  const uint8_t bytes[3] = {1, 2, 3};
  EXPECT_EQ(memcmp(rtc_arena_memdup(&arena, bytes, 3), bytes, 3), 0);
  rtc_arena_reset(&arena);
}

TEST(Arena, PushGrowsArraysKeepingContents) {
  rtc_arena arena;
  rtc_arena_init(&arena, 0);
  int* values = nullptr;
  size_t count = 0, capacity = 0;
  for (int i = 0; i < 1000; i++) {
    auto* slot = static_cast<int*>(
        rtc_arena_push(&arena, reinterpret_cast<void**>(&values), &count,
                       &capacity, sizeof(int)));
    ASSERT_NE(slot, nullptr);
    EXPECT_EQ(*slot, 0);
    *slot = i;
  }
  ASSERT_EQ(count, 1000u);
  for (int i = 0; i < 1000; i++)
    EXPECT_EQ(values[i], i);
  rtc_arena_reset(&arena);
}

TEST(Arena, FailuresAndOverflowReturnNull) {
  rtc_arena arena;
  rtc_arena_init(&arena, 0);
  EXPECT_EQ(rtc_arena_alloc_array(&arena, SIZE_MAX / 2, 4), nullptr);
  EXPECT_EQ(rtc_arena_alloc(&arena, SIZE_MAX), nullptr);
  rtc_alloc_fail_nth(1, 0);
  EXPECT_EQ(rtc_arena_alloc(&arena, 8), nullptr);
  int* values = nullptr;
  size_t count = 0, capacity = 0;
  rtc_alloc_fail_nth(1, 0);
  EXPECT_EQ(rtc_arena_push(&arena, reinterpret_cast<void**>(&values), &count,
                           &capacity, sizeof(int)),
            nullptr);
  EXPECT_EQ(count, 0u);
  rtc_arena_reset(&arena);
}

}  // namespace
