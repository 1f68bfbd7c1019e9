#include "rtc_base/task_heap_internal.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <random>
#include <utility>
#include <vector>

#include "rtc_base/alloc.h"

namespace {

rtc_pending_task Item(int64_t deadline, uint64_t seq, void* owner = nullptr) {
  rtc_pending_task t = {};
  t.deadline_us = deadline;
  t.seq = seq;
  t.owner = owner;
  return t;
}

TEST(TaskHeap, PopsInDeadlineThenSequenceOrder) {
  rtc_task_heap heap = {};
  std::mt19937 rng(7);
  std::vector<std::pair<int64_t, uint64_t>> expected;
  for (uint64_t seq = 0; seq < 1000; seq++) {
    int64_t deadline = rng() % 50;  // many equal deadlines
    expected.emplace_back(deadline, seq);
    rtc_pending_task t = Item(deadline, seq);
    ASSERT_EQ(rtc_task_heap_push(&heap, &t), RTC_OK);
  }
  std::sort(expected.begin(), expected.end());
  for (const auto& e : expected) {
    ASSERT_NE(rtc_task_heap_top(&heap), nullptr);
    rtc_pending_task t;
    rtc_task_heap_pop(&heap, &t);
    EXPECT_EQ(t.deadline_us, e.first);
    EXPECT_EQ(t.seq, e.second);
  }
  EXPECT_EQ(rtc_task_heap_top(&heap), nullptr);
  rtc_task_heap_free(&heap);
}

TEST(TaskHeap, RemoveOwnedKeepsTheRestOrdered) {
  rtc_task_heap heap = {};
  int a, b;
  for (uint64_t seq = 0; seq < 200; seq++) {
    rtc_pending_task t = Item(static_cast<int64_t>((seq * 37) % 101), seq,
                              seq % 3 == 0 ? &a : &b);
    ASSERT_EQ(rtc_task_heap_push(&heap, &t), RTC_OK);
  }
  rtc_pending_task t;
  int removed = 0;
  while (rtc_task_heap_remove_owned(&heap, &a, &t)) {
    EXPECT_EQ(t.owner, &a);
    removed++;
  }
  EXPECT_EQ(removed, 67);
  int64_t last = -1;
  int left = 0;
  while (rtc_task_heap_top(&heap)) {
    rtc_task_heap_pop(&heap, &t);
    EXPECT_EQ(t.owner, &b);
    EXPECT_GE(t.deadline_us, last);
    last = t.deadline_us;
    left++;
  }
  EXPECT_EQ(left, 133);
  rtc_task_heap_free(&heap);
}

TEST(TaskHeap, FailedGrowthLeavesHeapUnchanged) {
  rtc_task_heap heap = {};
  for (uint64_t seq = 0; seq < 16; seq++) {
    rtc_pending_task t = Item(static_cast<int64_t>(seq), seq);
    ASSERT_EQ(rtc_task_heap_push(&heap, &t), RTC_OK);
  }
  rtc_alloc_fail_nth(1, 0);
  rtc_pending_task extra = Item(-1, 99);
  EXPECT_EQ(rtc_task_heap_push(&heap, &extra), RTC_ERR_NO_MEMORY);
  EXPECT_EQ(heap.size, 16u);
  EXPECT_EQ(rtc_task_heap_top(&heap)->deadline_us, 0);
  rtc_pending_task t;
  while (rtc_task_heap_top(&heap))
    rtc_task_heap_pop(&heap, &t);
  rtc_task_heap_free(&heap);
}

}  // namespace
