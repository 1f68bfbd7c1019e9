#include "rtc_base/logging.h"

#include <gtest/gtest.h>

#include <cstdlib>
#include <string>
#include <vector>

namespace {

struct Captured {
  rtc_log_level level;
  std::string file;
  int line;
  std::string message;
};

class LoggingTest : public testing::Test {
 protected:
  void SetUp() override { rtc_log_set_sink(&LoggingTest::Sink, this); }
  void TearDown() override {
    rtc_log_set_sink(nullptr, nullptr);
    ASSERT_EQ(rtc_log_configure("", nullptr), RTC_OK);
  }

  static void Sink(void* user,
                   rtc_log_level level,
                   const char* file,
                   int line,
                   const char* message) {
    static_cast<LoggingTest*>(user)->captured_.push_back(
        {level, file, line, message});
  }

  std::vector<Captured> captured_;
};

TEST_F(LoggingTest, DefaultLevelIsWarning) {
  ASSERT_EQ(rtc_log_configure("", nullptr), RTC_OK);
  RTC_LOG(VERBOSE, "verbose");
  RTC_LOG(INFO, "info");
  RTC_LOG(WARNING, "warning %d", 1);
  RTC_LOG(ERROR, "error");
  ASSERT_EQ(captured_.size(), 2u);
  EXPECT_EQ(captured_[0].level, RTC_LOG_WARNING);
  EXPECT_EQ(captured_[0].message, "warning 1");
  EXPECT_EQ(captured_[0].file, "rtc_base/logging_unittest.cc");
  EXPECT_GT(captured_[0].line, 0);
  EXPECT_EQ(captured_[1].level, RTC_LOG_ERROR);
}

TEST_F(LoggingTest, BareLevelSetsTheDefault) {
  ASSERT_EQ(rtc_log_configure("verbose", nullptr), RTC_OK);
  RTC_LOG(VERBOSE, "v");
  ASSERT_EQ(rtc_log_configure("none", nullptr), RTC_OK);
  RTC_LOG(ERROR, "e");
  ASSERT_EQ(captured_.size(), 1u);
  EXPECT_EQ(captured_[0].message, "v");
}

TEST_F(LoggingTest, LongestPathPrefixWins) {
  ASSERT_EQ(rtc_log_configure("error,rtc_base=info,rtc_base/logging=verbose,"
                              "rtc_base/logging_unittest.cc=warning",
                              nullptr),
            RTC_OK);
  RTC_LOG(INFO, "hidden");
  RTC_LOG(WARNING, "shown");
  ASSERT_EQ(captured_.size(), 1u);
  EXPECT_EQ(captured_[0].message, "shown");

  ASSERT_EQ(rtc_log_configure("error,rtc_base=info,p2p=verbose", nullptr),
            RTC_OK);
  EXPECT_TRUE(rtc_log_is_enabled(RTC_LOG_INFO, "../../rtc_base/alloc.c"));
  EXPECT_FALSE(rtc_log_is_enabled(RTC_LOG_VERBOSE, "../../rtc_base/alloc.c"));
  EXPECT_TRUE(rtc_log_is_enabled(RTC_LOG_VERBOSE, "../../p2p/stun.c"));
  EXPECT_FALSE(rtc_log_is_enabled(RTC_LOG_WARNING, "../../pc/sdp.c"));
  EXPECT_TRUE(rtc_log_is_enabled(RTC_LOG_ERROR, "../../pc/sdp.c"));
}

TEST_F(LoggingTest, InvalidSpecIsRejectedAndConfigurationKept) {
  ASSERT_EQ(rtc_log_configure("info", nullptr), RTC_OK);
  rtc_error_info info;
  rtc_error_info_init(&info);
  EXPECT_EQ(rtc_log_configure("loud", &info), RTC_ERR_SYNTAX);
  EXPECT_NE(std::string(info.message).find("loud"), std::string::npos);
  EXPECT_EQ(rtc_log_configure("p2p=", nullptr), RTC_ERR_SYNTAX);
  EXPECT_EQ(rtc_log_configure("=info", nullptr), RTC_ERR_SYNTAX);
  EXPECT_EQ(rtc_log_configure("info,", nullptr), RTC_OK);  // empty tail
  EXPECT_EQ(
      rtc_log_configure(std::string(200, 'a').append("=info").c_str(), nullptr),
      RTC_ERR_SYNTAX);
  std::string many = "info";
  for (int i = 0; i < 17; i++)
    many += ",p" + std::to_string(i) + "=error";
  EXPECT_EQ(rtc_log_configure(many.c_str(), nullptr), RTC_ERR_SYNTAX);
  RTC_LOG(INFO, "still info");
  ASSERT_EQ(captured_.size(), 1u);
}

TEST_F(LoggingTest, EnvironmentVariableSelectsLevels) {
  ASSERT_EQ(setenv("RTCBOX_LOG", "verbose", 1), 0);
  rtc_log_configure_from_env();
  RTC_LOG(VERBOSE, "from env");
  ASSERT_EQ(setenv("RTCBOX_LOG", "error,rtc_base=none", 1), 0);
  rtc_log_configure_from_env();
  RTC_LOG(ERROR, "silenced");
  ASSERT_EQ(unsetenv("RTCBOX_LOG"), 0);
  rtc_log_configure_from_env();
  RTC_LOG(WARNING, "default again");
  ASSERT_EQ(captured_.size(), 2u);
  EXPECT_EQ(captured_[0].message, "from env");
  EXPECT_EQ(captured_[1].message, "default again");
}

TEST_F(LoggingTest, LongMessagesAreTruncatedWithMarker) {
  std::string longer(5000, 'x');
  RTC_LOG(ERROR, "%s", longer.c_str());
  ASSERT_EQ(captured_.size(), 1u);
  EXPECT_LT(captured_[0].message.size(), 1024u);
  EXPECT_EQ(captured_[0].message.substr(captured_[0].message.size() - 3),
            "...");
}

TEST_F(LoggingTest, ArgumentsAreNotEvaluatedWhenDisabled) {
  int evaluated = 0;
  RTC_LOG(VERBOSE, "%d", ++evaluated);
  EXPECT_EQ(evaluated, 0);
}

TEST(Logging, SourcePathDropsBuildDirectoryPrefix) {
  EXPECT_STREQ(rtc_log_source_path("../../p2p/stun.c"), "p2p/stun.c");
  EXPECT_STREQ(rtc_log_source_path("./pc/sdp.c"), "pc/sdp.c");
  EXPECT_STREQ(rtc_log_source_path("pc/sdp.c"), "pc/sdp.c");
}

TEST(Logging, LevelNames) {
  EXPECT_STREQ(rtc_log_level_name(RTC_LOG_VERBOSE), "verbose");
  EXPECT_STREQ(rtc_log_level_name(RTC_LOG_ERROR), "error");
  EXPECT_STREQ(rtc_log_level_name(static_cast<rtc_log_level>(99)), "unknown");
}

TEST(Logging, DefaultSinkWritesToStderr) {
  testing::internal::CaptureStderr();
  RTC_LOG(ERROR, "to stderr %s", "ok");
  std::string out = testing::internal::GetCapturedStderr();
  EXPECT_NE(out.find("E rtc_base/logging_unittest.cc:"), std::string::npos);
  EXPECT_NE(out.find("to stderr ok\n"), std::string::npos);
}

}  // namespace
