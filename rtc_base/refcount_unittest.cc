#include "rtc_base/refcount.h"

#include <gtest/gtest.h>

#include <thread>
#include <vector>

namespace {

TEST(Refcount, LastDecrementReportsZero) {
  rtc_refcount ref;
  rtc_refcount_init(&ref);
  EXPECT_TRUE(rtc_refcount_has_one_ref(&ref));
  rtc_refcount_inc(&ref);
  rtc_refcount_inc(&ref);
  EXPECT_EQ(rtc_refcount_get(&ref), 3);
  EXPECT_FALSE(rtc_refcount_has_one_ref(&ref));
  EXPECT_FALSE(rtc_refcount_dec(&ref));
  EXPECT_FALSE(rtc_refcount_dec(&ref));
  EXPECT_TRUE(rtc_refcount_has_one_ref(&ref));
  EXPECT_TRUE(rtc_refcount_dec(&ref));
}

TEST(Refcount, ConcurrentIncrementsAndDecrementsBalance) {
  rtc_refcount ref;
  rtc_refcount_init(&ref);
  std::vector<std::thread> threads;
  for (int t = 0; t < 8; t++) {
    threads.emplace_back([&] {
      for (int i = 0; i < 100000; i++) {
        rtc_refcount_inc(&ref);
        EXPECT_FALSE(rtc_refcount_dec(&ref));
      }
    });
  }
  for (auto& t : threads)
    t.join();
  EXPECT_EQ(rtc_refcount_get(&ref), 1);
  EXPECT_TRUE(rtc_refcount_dec(&ref));
}

TEST(RefcountDeathTest, ResurrectionIsFatal) {
  rtc_refcount ref;
  rtc_refcount_init(&ref);
  EXPECT_TRUE(rtc_refcount_dec(&ref));
  EXPECT_DEATH(rtc_refcount_inc(&ref), "refcount");
}

TEST(RefcountDeathTest, UnderflowIsFatal) {
  rtc_refcount ref;
  rtc_refcount_init(&ref);
  EXPECT_TRUE(rtc_refcount_dec(&ref));
  EXPECT_DEATH(if (rtc_refcount_dec(&ref)){}, "underflow");
}

}  // namespace
