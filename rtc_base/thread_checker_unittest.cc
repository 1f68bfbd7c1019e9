#include "rtc_base/thread_checker.h"

#include <gtest/gtest.h>

#include <thread>

namespace {

TEST(ThreadChecker, AttachesToFirstCaller) {
  rtc_thread_checker checker;
  rtc_thread_checker_init(&checker);
  EXPECT_TRUE(rtc_thread_checker_is_current(&checker));
  bool other = true;
  std::thread([&] { other = rtc_thread_checker_is_current(&checker); }).join();
  EXPECT_FALSE(other);
  EXPECT_TRUE(rtc_thread_checker_is_current(&checker));
}

TEST(ThreadChecker, DetachLetsAnotherThreadAttach) {
  rtc_thread_checker checker;
  rtc_thread_checker_init(&checker);
  EXPECT_TRUE(rtc_thread_checker_is_current(&checker));
  rtc_thread_checker_detach(&checker);
  bool other = false;
  std::thread([&] { other = rtc_thread_checker_is_current(&checker); }).join();
  EXPECT_TRUE(other);
  EXPECT_FALSE(rtc_thread_checker_is_current(&checker));
}

#if RTC_DCHECK_IS_ON
TEST(ThreadCheckerDeathTest, RunOnDiesOnWrongThread) {
  rtc_thread_checker checker;
  rtc_thread_checker_init(&checker);
  RTC_DCHECK_RUN_ON(&checker);
  EXPECT_DEATH(std::thread([&] { RTC_DCHECK_RUN_ON(&checker); }).join(),
               "wrong thread");
}
#endif

}  // namespace
