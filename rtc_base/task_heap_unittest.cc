#include "rtc_base/task_heap_internal.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdint>
#include <random>
#include <set>
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

// Every item is no earlier than its parent, and every item with a slot
// finds itself through it.
void ExpectHeapConsistent(const rtc_task_heap& heap) {
  for (size_t i = 0; i < heap.size; i++) {
    const rtc_pending_task& item = heap.items[i];
    if (i > 0) {
      const rtc_pending_task& parent = heap.items[(i - 1) / 2];
      ASSERT_TRUE(
          parent.deadline_us < item.deadline_us ||
          (parent.deadline_us == item.deadline_us && parent.seq < item.seq))
          << "heap property broken at " << i;
    }
    if (item.slot) {
      ASSERT_EQ(*item.slot, i + 1) << "slot out of step at " << i;
      ASSERT_EQ(rtc_task_heap_find_slot(&heap, item.slot), i);
    }
  }
}

TEST(TaskHeap, SlotsTrackPositionsThroughRandomPushPopAndRemove) {
  // Reference model: the set of (deadline, seq) in the heap. Item `seq`
  // owns slots[seq] (every third item has no slot, as plain posts do).
  constexpr uint64_t kItems = 4000;
  std::vector<size_t> slots(kItems, 0);  // never reallocated: stable
  std::vector<int64_t> deadlines(kItems);
  std::set<std::pair<int64_t, uint64_t>> model;
  rtc_task_heap heap = {};
  std::mt19937 rng(11);
  uint64_t next = 0;
  auto has_slot = [](uint64_t seq) { return seq % 3 != 0; };
  auto check_left = [&](const rtc_pending_task& out) {
    ASSERT_EQ(model.erase({out.deadline_us, out.seq}), 1u);
    if (has_slot(out.seq)) {
      ASSERT_EQ(out.slot, &slots[out.seq]);
      ASSERT_EQ(slots[out.seq], 0u) << "slot not cleared on leaving";
      ASSERT_EQ(rtc_task_heap_find_slot(&heap, &slots[out.seq]), SIZE_MAX);
    }
  };
  for (int step = 0; step < 20000; step++) {
    unsigned op = rng() % 10;
    if ((op < 5 || model.empty()) && next < kItems) {
      uint64_t seq = next++;
      deadlines[seq] = rng() % 100;  // many equal deadlines
      rtc_pending_task t = Item(deadlines[seq], seq);
      if (has_slot(seq))
        t.slot = &slots[seq];
      ASSERT_EQ(rtc_task_heap_push(&heap, &t), RTC_OK);
      model.insert({deadlines[seq], seq});
    } else if (model.empty()) {
      break;
    } else if (op < 7) {
      rtc_pending_task out;
      rtc_task_heap_pop(&heap, &out);
      ASSERT_EQ(std::make_pair(out.deadline_us, out.seq), *model.begin());
      check_left(out);
    } else {
      // Remove a random pending item, found through its slot when it has
      // one (as cancel does), else through a scan.
      auto it = model.begin();
      std::advance(it, rng() % model.size());
      uint64_t seq = it->second;
      size_t index = SIZE_MAX;
      if (has_slot(seq)) {
        index = rtc_task_heap_find_slot(&heap, &slots[seq]);
      } else {
        for (size_t i = 0; i < heap.size; i++) {
          if (heap.items[i].seq == seq)
            index = i;
        }
      }
      ASSERT_LT(index, heap.size);
      rtc_pending_task out;
      rtc_task_heap_remove_at(&heap, index, &out);
      ASSERT_EQ(out.seq, seq);
      check_left(out);
    }
    ASSERT_EQ(heap.size, model.size());
    ExpectHeapConsistent(heap);
    if (testing::Test::HasFatalFailure())
      return;
  }
  // What is left still pops in order.
  while (!model.empty()) {
    rtc_pending_task out;
    rtc_task_heap_pop(&heap, &out);
    ASSERT_EQ(std::make_pair(out.deadline_us, out.seq), *model.begin());
    check_left(out);
  }
  EXPECT_EQ(heap.size, 0u);
  rtc_task_heap_free(&heap);
}

TEST(TaskHeap, RemoveAtMovesTheLastItemUpWhenItIsEarlierThanTheParent) {
  // Two subtrees: removing deep in the right one must pull the last item
  // (from the left one, earlier than the hole's parent) up, not down.
  rtc_task_heap heap = {};
  const int64_t deadlines[] = {0, 1, 100, 2, 3, 101, 102, 4, 5, 6, 7};
  std::vector<size_t> slots(11, 0);
  for (uint64_t seq = 0; seq < 11; seq++) {
    rtc_pending_task t = Item(deadlines[seq], seq);
    t.slot = &slots[seq];
    ASSERT_EQ(rtc_task_heap_push(&heap, &t), RTC_OK);
  }
  ASSERT_EQ(heap.items[5].deadline_us, 101);
  rtc_pending_task out;
  rtc_task_heap_remove_at(&heap, 5, &out);
  EXPECT_EQ(out.deadline_us, 101);
  ExpectHeapConsistent(heap);
  // The last item (deadline 7) now sits above 100.
  EXPECT_EQ(heap.items[2].deadline_us, 7);
  int64_t last = -1;
  while (heap.size) {
    rtc_task_heap_pop(&heap, &out);
    EXPECT_GT(out.deadline_us, last);
    last = out.deadline_us;
  }
  for (size_t s : slots)
    EXPECT_EQ(s, 0u);
  rtc_task_heap_free(&heap);
}

TEST(TaskHeap, RemoveOwnedClearsSlots) {
  rtc_task_heap heap = {};
  int a, b;
  std::vector<size_t> slots(40, 0);
  for (uint64_t seq = 0; seq < 40; seq++) {
    rtc_pending_task t =
        Item(static_cast<int64_t>(40 - seq), seq, seq % 2 ? &a : &b);
    t.slot = &slots[seq];
    ASSERT_EQ(rtc_task_heap_push(&heap, &t), RTC_OK);
  }
  rtc_pending_task out;
  while (rtc_task_heap_remove_owned(&heap, &a, &out)) {
    EXPECT_EQ(slots[out.seq], 0u);
    ExpectHeapConsistent(heap);
  }
  EXPECT_EQ(heap.size, 20u);
  while (heap.size)
    rtc_task_heap_pop(&heap, &out);
  for (size_t s : slots)
    EXPECT_EQ(s, 0u);
  rtc_task_heap_free(&heap);
}

TEST(TaskHeap, FailedPushDoesNotWriteTheSlot) {
  rtc_task_heap heap = {};
  size_t slot = 0;
  rtc_pending_task t = Item(5, 1);
  t.slot = &slot;
  rtc_alloc_fail_nth(1, 0);
  EXPECT_EQ(rtc_task_heap_push(&heap, &t), RTC_ERR_NO_MEMORY);
  EXPECT_EQ(slot, 0u);
  ASSERT_EQ(rtc_task_heap_push(&heap, &t), RTC_OK);
  EXPECT_EQ(slot, 1u);
  rtc_pending_task out;
  rtc_task_heap_pop(&heap, &out);
  EXPECT_EQ(slot, 0u);
  rtc_task_heap_free(&heap);
}

TEST(TaskHeapDeathTest, SlotOutOfStepWithTheHeapIsFatal) {
  rtc_task_heap heap = {};
  size_t slots[2] = {0, 0};
  for (uint64_t seq = 0; seq < 2; seq++) {
    rtc_pending_task t = Item(static_cast<int64_t>(seq), seq);
    t.slot = &slots[seq];
    ASSERT_EQ(rtc_task_heap_push(&heap, &t), RTC_OK);
  }
  size_t stray = 1;  // claims index 0, which is slots[0]'s item
  EXPECT_DEATH(rtc_task_heap_find_slot(&heap, &stray), "out of step");
  size_t beyond = 7;
  EXPECT_DEATH(rtc_task_heap_find_slot(&heap, &beyond), "out of step");
  rtc_pending_task out;
  while (heap.size)
    rtc_task_heap_pop(&heap, &out);
  rtc_task_heap_free(&heap);
}

}  // namespace
