#include "rtc_base/checks.h"

#include <gtest/gtest.h>

namespace {

TEST(ChecksDeathTest, CheckAbortsWithExpressionAndLocation) {
  int x = 1;
  EXPECT_DEATH(RTC_CHECK(x == 2), "Check failed: x == 2");
  EXPECT_DEATH(RTC_CHECK(x == 2), "checks_unittest.cc, line");
}

TEST(ChecksDeathTest, CheckMsgAddsFormattedDetail) {
  EXPECT_DEATH(RTC_CHECK_MSG(false, "value was %d", 42), "value was 42");
}

TEST(ChecksDeathTest, ComparisonChecks) {
  EXPECT_DEATH(RTC_CHECK_EQ(1, 2), "Check failed");
  EXPECT_DEATH(RTC_CHECK_LT(3, 2), "Check failed");
  EXPECT_DEATH(RTC_NOTREACHED(), "NOTREACHED");
}

TEST(Checks, PassingChecksDoNothing) {
  RTC_CHECK(true);
  RTC_CHECK_EQ(2, 2);
  RTC_CHECK_GE(3, 3);
  RTC_DCHECK(true);
  RTC_DCHECK_NE(1, 2);
}

TEST(ChecksDeathTest, DcheckFollowsBuildMode) {
#if RTC_DCHECK_IS_ON
  EXPECT_DEATH(RTC_DCHECK(1 == 2), "Check failed: 1 == 2");
#else
  int evaluated = 0;
  RTC_DCHECK(++evaluated == 5);  // type-checked, never evaluated
  EXPECT_EQ(evaluated, 0);
#endif
}

}  // namespace
